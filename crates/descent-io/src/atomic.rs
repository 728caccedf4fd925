//! Atomic writes: a file appears at its path complete, or the old file (or none) stays.
//!
//! [`AtomicFile::create`] opens a temporary file (`.descent-XXXXXX.tmp`, mode 0600) in the
//! target's directory at once, so that an unwritable path fails before any work is done. The
//! caller writes into it ([`std::io::Write`], buffered: large outputs can be streamed), then
//! [`AtomicFile::commit`]:
//!
//! 1. flushes the buffer and `fsync`s the file (its bytes are on disk before its name is);
//! 2. sets mode 0644 on unix (an output is an ordinary file, readable by all, as `File::create`
//!    under the usual umask would make it; whatever mode an old file had is not kept);
//! 3. renames it over the target (`rename(2)` is atomic within a file system: a reader opens
//!    either the old file or the new one);
//! 4. `fsync`s the directory on unix, so that the rename itself survives a power cut.
//!
//! Dropped without a commit (an error, a panic that unwinds), the temporary file is deleted and
//! the target is untouched. A process killed outright (`SIGKILL`, a power cut) cannot delete
//! it: the target is still untouched, and a hidden `.descent-*.tmp` file may stay beside it.
//!
//! Why the same directory: a rename across file systems is a copy, which is not atomic.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// What writing a file can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file at `path` could not be created, written, flushed or renamed into place; the
    /// old file, if any, is unchanged. Fix: check that the directory exists and is writable,
    /// and that the disk has room.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The target.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

impl Error {
    /// The error of writing `path`, for callers that stream into an [`AtomicFile`] and get a
    /// bare [`io::Error`] from [`Write`].
    #[must_use]
    pub fn new(path: &Path, source: io::Error) -> Self {
        Self::Write { path: path.to_owned(), source }
    }

    /// The file that could not be written.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::Write { path, .. } => path,
        }
    }

    /// The path and the operating system's error, for the crates whose own error type has an
    /// `Io { file, source }` variant.
    #[must_use]
    pub fn into_parts(self) -> (PathBuf, io::Error) {
        match self {
            Self::Write { path, source } => (path, source),
        }
    }
}

/// `Result` with this module's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Buffer size of [`AtomicFile`]'s writes: small writes (CSV lines) are gathered, large ones
/// pass straight through.
const BUFFER: usize = 64 * 1024;

/// A file that appears at its path only when complete; see the [module docs](self).
///
/// # Example
/// ```
/// use std::io::Write as _;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.csv");
/// let mut file = descent_io::AtomicFile::create(&path)?;
/// file.write_all(b"a,b\n")?;
/// drop(file); // no commit: nothing appears
/// assert!(!path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AtomicFile {
    file: BufWriter<NamedTempFile>,
    path: PathBuf,
}

impl AtomicFile {
    /// Opens the temporary file beside `path` now, so that an unwritable path fails before any
    /// work is done.
    ///
    /// # Errors
    /// [`Error::Write`] when the temporary file cannot be created (the directory is missing,
    /// read-only, or `path` has no directory that can hold files).
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let dir = directory(path);
        let file = tempfile::Builder::new()
            .prefix(".descent-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::new(path, e))?;
        Ok(Self { file: BufWriter::with_capacity(BUFFER, file), path: path.to_owned() })
    }

    /// The target path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, syncs and renames the file over the target (the steps of the
    /// [module docs](self)).
    ///
    /// # Errors
    /// [`Error::Write`] when a step fails (a full disk, the target is a directory, …): the
    /// temporary file is deleted and the target is as it was, except when only the final
    /// directory sync fails (the new file is in place then, but its name may not survive a
    /// power cut).
    pub fn commit(self) -> Result<()> {
        let Self { file, path } = self;
        let error = |e| Error::new(&path, e);
        let file = file.into_inner().map_err(|e| error(e.into_error()))?;
        file.as_file().sync_all().map_err(error)?;
        // A temporary file is private (0600); the output is an ordinary file (0644).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(error)?;
        }
        // A failed rename hands the file back inside the error; dropping it deletes it.
        file.persist(&path).map_err(|e| error(e.error))?;
        sync_directory(directory(&path)).map_err(error)
    }

    /// Writes `bytes` and commits: [`write_all`](Write::write_all) then [`commit`](Self::commit)
    /// with the errors naming the path.
    ///
    /// # Errors
    /// As [`commit`](Self::commit).
    pub fn commit_with(mut self, bytes: &[u8]) -> Result<()> {
        self.file.write_all(bytes).map_err(|e| Error::new(&self.path, e))?;
        self.commit()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    /// Flushes the buffer into the temporary file (the target is untouched until the commit).
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `bytes` to `path` atomically ([`AtomicFile::create`], then
/// [`commit_with`](AtomicFile::commit_with)).
///
/// # Errors
/// [`Error::Write`] when the file cannot be written; the old file, if any, is unchanged.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    AtomicFile::create(path)?.commit_with(bytes)
}

/// The directory that holds `path` (`.` for a bare file name).
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// `fsync`s a directory so that a rename in it is on disk. File systems that cannot sync a
/// directory (some network and FUSE ones answer `EINVAL`) are taken at their word: there is
/// nothing more to do there.
fn sync_directory(dir: &Path) -> io::Result<()> {
    if cfg!(unix) {
        match File::open(dir).and_then(|d| d.sync_all()) {
            Err(e)
                if matches!(e.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported) =>
            {
                Ok(())
            }
            other => other,
        }
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_file_appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut file = AtomicFile::create(&path).unwrap();
        assert_eq!(file.path(), path);
        file.write_all(b"a,b\n").unwrap();
        file.flush().unwrap();
        assert!(!path.exists());
        let temporary = names(dir.path());
        assert_eq!(temporary.len(), 1);
        assert!(temporary[0].starts_with(".descent-") && temporary[0].ends_with(".tmp"));
        drop(file);
        assert!(names(dir.path()).is_empty(), "the temporary file is removed");
        let mut file = AtomicFile::create(&path).unwrap();
        write!(file, "a,b\n1,2\n").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b\n1,2\n");
        assert_eq!(names(dir.path()), ["out.csv"]);
    }

    #[test]
    fn an_overwrite_replaces_the_whole_file_with_mode_0644() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::write(&path, vec![7u8; 10_000]).unwrap();
        write_atomic(&path, b"short").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"short");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        // Larger than the buffer, in odd pieces: every byte arrives, in order.
        let big: Vec<u8> = (0..3 * BUFFER + 17).map(|i| (i * 31 % 251) as u8).collect();
        let mut file = AtomicFile::create(&path).unwrap();
        for piece in big.chunks(1000) {
            file.write_all(piece).unwrap();
        }
        file.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), big);
    }

    #[test]
    fn failures_name_the_path_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing/out.csv");
        let e = AtomicFile::create(&missing).unwrap_err();
        assert_eq!(e.path(), missing);
        assert!(e.to_string().starts_with(&format!("cannot write {}: ", missing.display())), "{e}");
        assert_eq!(e.into_parts().1.kind(), io::ErrorKind::NotFound);
        // The rename fails (the target is a non-empty directory): the error names the target,
        // the directory is untouched and the temporary file is gone.
        let target = dir.path().join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"x").unwrap();
        let e = write_atomic(&target, b"new").unwrap_err();
        assert_eq!(e.path(), target);
        assert_eq!(names(dir.path()), ["taken"]);
        assert_eq!(names(&target), ["inside"]);
    }

    #[test]
    fn a_bare_file_name_is_written_in_the_current_directory() {
        assert_eq!(directory(Path::new("out.csv")), Path::new("."));
        assert_eq!(directory(Path::new("a/out.csv")), Path::new("a"));
        assert_eq!(directory(Path::new("/out.csv")), Path::new("/"));
    }
}
