//! Printing and writing: human tables, JSON objects, files written atomically.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// A file that appears at its path only when complete: written to a temporary file in the
/// same directory, renamed into place on [`AtomicFile::commit`], deleted if dropped before.
pub struct AtomicFile {
    file: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

impl AtomicFile {
    /// Opens the temporary file now, so that an unwritable path fails before any work.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let file = tempfile::Builder::new()
            .prefix(".descent-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Self { file, path: path.to_owned() })
    }

    /// Writes `contents` and renames the file into place.
    pub fn commit(mut self, contents: &[u8]) -> anyhow::Result<()> {
        let what = || format!("cannot write {}", self.path.display());
        self.file.write_all(contents).with_context(what)?;
        self.file.flush().with_context(what)?;
        // A temporary file is private (0600); the output is an ordinary file (0644).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let permissions = std::fs::Permissions::from_mode(0o644);
            self.file.as_file().set_permissions(permissions).with_context(what)?;
        }
        self.file.persist(&self.path).map_err(|e| e.error).with_context(what)?;
        Ok(())
    }
}

/// A number as the tables show it: up to 6 significant digits, exponent when far from 1.
pub fn number(x: f64) -> String {
    if x == 0.0 || (1e-3..1e6).contains(&x.abs()) {
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.into() }
    } else if x.is_finite() {
        let s = format!("{x:.4e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{mantissa}e{exponent}")
    } else {
        format!("{x}")
    }
}

/// A vector as `[a, b, …]`, eliding the middle of long ones.
pub fn vector(v: &[f64]) -> String {
    const SHOW: usize = 6;
    let items: Vec<String> = if v.len() <= 2 * SHOW {
        v.iter().map(|&x| number(x)).collect()
    } else {
        let mut items: Vec<String> = v[..SHOW].iter().map(|&x| number(x)).collect();
        items.push(format!("… ({} more) …", v.len() - 2 * SHOW));
        items.extend(v[v.len() - SHOW..].iter().map(|&x| number(x)));
        items
    };
    format!("[{}]", items.join(", "))
}

/// Prints `rows` as two aligned columns.
pub fn print_fields(rows: &[(&str, String)]) {
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    for (key, value) in rows {
        println!("{key:<width$}  {value}");
    }
}

/// Prints a table with a header row, columns padded to their widest cell.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> =
            cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// Prints one JSON object on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_honest() {
        assert_eq!(number(1.0), "1");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(1.0 / 3.0), "0.333333");
        assert_eq!(number(1e-9), "1e-9");
        assert_eq!(number(-2.5e-7), "-2.5e-7");
        assert_eq!(number(1.23456e12), "1.2346e12");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
        assert_eq!(vector(&[1.0, 2.5]), "[1, 2.5]");
        assert!(vector(&[0.0; 20]).contains("8 more"));
    }

    #[test]
    fn an_atomic_file_appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let file = AtomicFile::create(&path).unwrap();
        assert!(!path.exists());
        drop(file);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "temporary removed");
        AtomicFile::create(&path).unwrap().commit(b"a,b\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b\n");
        assert!(AtomicFile::create(&dir.path().join("missing/out.csv")).is_err());
    }
}
