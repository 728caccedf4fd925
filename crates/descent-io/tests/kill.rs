//! A process killed in the middle of a long write leaves the old file whole, or no file.
//!
//! Each test re-runs this test binary as a child (`--exact` its own name, with
//! `DESCENT_IO_CHILD` naming the target) that streams [`CHUNKS`] chunks of 1 MiB into an
//! [`AtomicFile`] over the target and prints a line after the first [`SIGNAL_AFTER`] chunks. The
//! parent waits for that line and sends `SIGKILL` (`Child::kill`), which runs no destructor. The
//! child commits only after reading a line from its stdin, which the killing tests never send:
//! however fast or slow the child, the kill lands somewhere between the first chunks and the
//! commit, and the assertions hold wherever it lands. A control test sends the line and checks
//! that the same child, left alone, does replace the file (so the others could fail).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use descent_io::AtomicFile;

/// The child's chunks: 256 MiB in all, longer than the parent takes to kill it.
const CHUNKS: usize = 256;
/// The child prints its line after this many chunks are in the temporary file.
const SIGNAL_AFTER: usize = 4;
const MIB: usize = 1 << 20;
/// The line the child prints.
const STARTED: &str = "descent-io child: writing";

/// Chunk `i` of the child's file: every byte `i + 1` (never the old file's bytes, 0xAA).
fn chunk(i: usize) -> Vec<u8> {
    vec![(i % 255 + 1) as u8; MIB]
}

/// The child's side: stream `chunks` chunks into `target`, signal, wait for the go-ahead on
/// stdin, commit.
fn child(target: &Path, chunks: usize) {
    let mut file = AtomicFile::create(target).unwrap();
    for i in 0..chunks {
        file.write_all(&chunk(i)).unwrap();
        if i + 1 == SIGNAL_AFTER {
            file.flush().unwrap(); // the chunks are in the temporary file, not in a buffer
            println!("{STARTED}");
            std::io::stdout().flush().unwrap();
        }
    }
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    file.commit().unwrap();
}

/// Runs `test` (this binary's test of that name) as a child writing `target`, and returns it
/// once it has printed [`STARTED`].
fn spawn(test: &str, target: &Path, chunks: usize) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("DESCENT_IO_CHILD", target)
        .env("DESCENT_IO_CHUNKS", chunks.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // The harness prints "test NAME ... " before the child's line, on the same line. A reader
    // thread passes the news on and then keeps reading, so that the child's last lines (the
    // harness's "ok") find a reader; a child that never signals fails the test after a minute
    // instead of hanging it.
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (started, news) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = stdout.lines().map_while(Result::ok);
        let _ = started.send(lines.by_ref().any(|line| line.ends_with(STARTED)));
        lines.for_each(drop);
    });
    if news.recv_timeout(std::time::Duration::from_secs(60)) != Ok(true) {
        child.kill().unwrap();
        panic!("the child did not start writing");
    }
    child
}

/// If this process is a child, does the child's work and returns true.
fn as_child() -> bool {
    let Some(target) = std::env::var_os("DESCENT_IO_CHILD") else { return false };
    let chunks = std::env::var("DESCENT_IO_CHUNKS").unwrap().parse().unwrap();
    child(Path::new(&target), chunks);
    true
}

/// Kills `child` and waits for it; asserts that the kill, not an exit, ended it.
fn kill(mut child: Child) {
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child finished before the kill: {status}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(status.signal(), Some(9), "{status}");
    }
}

/// The temporary files in `dir` (what a killed writer leaves) and their sizes.
fn leftovers(dir: &Path) -> Vec<(PathBuf, u64)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(".descent-") && name.ends_with(".tmp")
        })
        .map(|p| {
            let len = std::fs::metadata(&p).unwrap().len();
            (p, len)
        })
        .collect()
}

/// Asserts that the killed child was mid-write: its temporary file holds at least the chunks
/// before its signal and at most all of them.
fn assert_killed_mid_write(dir: &Path) {
    let left = leftovers(dir);
    assert_eq!(left.len(), 1, "{left:?}");
    let len = left[0].1 as usize;
    assert!((SIGNAL_AFTER * MIB..=CHUNKS * MIB).contains(&len), "temporary file of {len} bytes");
}

#[test]
fn a_killed_overwrite_leaves_the_old_file() {
    if as_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("result.bin");
    let old: Vec<u8> = (0..100_000).map(|i| if i % 7 == 0 { 0x55 } else { 0xAA }).collect();
    std::fs::write(&target, &old).unwrap();
    let child = spawn("a_killed_overwrite_leaves_the_old_file", &target, CHUNKS);
    kill(child);
    let mut found = Vec::new();
    std::fs::File::open(&target).unwrap().read_to_end(&mut found).unwrap();
    assert!(found == old, "the target changed: {} bytes, {} before", found.len(), old.len());
    assert_killed_mid_write(dir.path());
}

#[test]
fn a_killed_first_write_leaves_no_file() {
    if as_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("result.bin");
    let child = spawn("a_killed_first_write_leaves_no_file", &target, CHUNKS);
    kill(child);
    assert!(!target.exists(), "a file appeared at the target");
    assert_killed_mid_write(dir.path());
}

/// The control: the same child, told to go on, replaces the file with all its chunks and
/// leaves no temporary file.
#[test]
fn the_child_left_alone_replaces_the_file() {
    if as_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("result.bin");
    std::fs::write(&target, b"old").unwrap();
    let chunks = SIGNAL_AFTER + 2;
    let mut child = spawn("the_child_left_alone_replaces_the_file", &target, chunks);
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    assert!(child.wait().unwrap().success());
    let found = std::fs::read(&target).unwrap();
    assert_eq!(found.len(), chunks * MIB);
    for (i, piece) in found.chunks(MIB).enumerate() {
        assert!(piece == chunk(i).as_slice(), "chunk {i} differs");
    }
    assert!(leftovers(dir.path()).is_empty());
}
