//! Every file the workspace writes goes through descent-io: no other crate's source opens a
//! file for writing itself.
//!
//! The test reads every `crates/*/src/**/*.rs` and looks for the calls that write a file
//! directly ([`WRITERS`]: `fs::write`, `File::create`, `OpenOptions`, `tempfile`'s temporary
//! files and their `persist`, the libraries' own path-taking writers). descent-io's own files
//! are allowed (they are the helper). Test code may write fixtures as it likes, so lines in
//! test code are skipped: a `#[cfg(test)]` item at the left margin is skipped up to the line
//! `}` that closes it (rustfmt, which `.ci/run` enforces, puts nothing else at the left margin
//! inside an item, so the first such line is its end); a one-line `#[cfg(test)]` item (`use …;`)
//! alone. Comments are skipped (the docs may name what they avoid). Files under `tests/`,
//! `benches/` and `examples/` are not read: they are tests or demonstrations, not outputs of the
//! tools.
//!
//! A crate that needs a new way of writing files adds it to descent-io, not here.

use std::path::{Path, PathBuf};

/// Calls that write a file without going through descent-io.
const WRITERS: &[&str] = &[
    "fs::write",
    "File::create",
    "OpenOptions",
    "File::options",
    "persist(",
    "NamedTempFile",
    "tempfile::Builder",
    "tempfile_in",
    // hound, plotters and png can write to a path themselves; the workspace encodes into
    // memory and writes the bytes atomically.
    "WavWriter::create",
    "BitMapBackend::new(",
    "SVGBackend::new(",
];

/// The lines of `source` that are not test code or comments, with their numbers (from 1).
fn checked_lines(source: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut iter = source.lines().enumerate();
    while let Some((i, line)) = iter.next() {
        if line.starts_with("#[cfg(test)]") {
            // Skip the item the attribute applies to: its attributes and doc comments, then
            // either one line ending in `;` or everything up to its closing `}`.
            for (_, item) in iter.by_ref() {
                let item = item.trim_end();
                if item.starts_with("#[") || item.starts_with("//") {
                    continue;
                }
                if item.ends_with(';') {
                    break;
                }
                if item.ends_with('{') {
                    for (_, body) in iter.by_ref() {
                        if body.trim_end() == "}" {
                            break;
                        }
                    }
                }
                break;
            }
            continue;
        }
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        lines.push((i + 1, line));
    }
    lines
}

/// Whether `line` names `call` as a whole path (`File::create`, not `AtomicFile::create`).
fn names(line: &str, call: &str) -> bool {
    line.match_indices(call).any(|(at, _)| {
        !line[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn only_descent_io_writes_files() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(crates).unwrap() {
        let krate = krate.unwrap().path();
        if krate.file_name().unwrap() != "descent-io" && krate.join("src").is_dir() {
            rust_files(&krate.join("src"), &mut files);
        }
    }
    // The scan saw the workspace: every crate's lib.rs and the CLI's output module.
    for expected in
        ["descent/src/lib.rs", "descent-nn/src/checkpoint.rs", "descent-cli/src/output.rs"]
    {
        assert!(files.contains(&crates.join(expected)), "{expected} was not scanned");
    }
    let mut found = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for (number, line) in checked_lines(&source) {
            for writer in WRITERS.iter().filter(|w| names(line, w)) {
                let shown = file.strip_prefix(crates).unwrap().display();
                found.push(format!("{shown}:{number}: {writer}: {}", line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "files written without descent-io:\n{}", found.join("\n"));
}

/// The filter keeps code and drops test items and comments.
#[test]
fn test_code_and_comments_are_skipped_and_nothing_else() {
    let source = "\
use std::fs;
// std::fs::write in a comment
    /// File::create in a doc comment
fn save() {
    fs::write(\"a\", b\"\").unwrap();
}
#[cfg(test)]
use std::fs::File;
fn after_use() { File::create(\"b\"); }
#[cfg(test)]
mod tests {
    fn helper() {
        std::fs::write(\"c\", b\"\").unwrap();
    }
}
#[cfg(test)]
#[allow(dead_code)]
/// A fixture writer.
fn fixture() {
    std::fs::write(\"d\", b\"\").unwrap();
}
fn last() { tempfile::NamedTempFile::new(); }
";
    let kept: Vec<usize> = checked_lines(source).into_iter().map(|(n, _)| n).collect();
    assert_eq!(kept, [1, 4, 5, 6, 9, 22]);
}

#[test]
fn a_call_is_matched_as_a_whole_path() {
    assert!(names("    std::fs::File::create(path)?;", "File::create"));
    assert!(names("File::create(path)", "File::create"));
    assert!(names("let f = AtomicFile::create(p); File::create(q);", "File::create"));
    assert!(!names("let f = AtomicFile::create(path)?;", "File::create"));
    assert!(!names("my_fs::write(x)", "fs::write"));
    assert!(names("std::fs::write(x)", "fs::write"));
}
