//! Reading a job's output files safely: the CLI (or a model steering it) controls what is in
//! the output directory, so a "file" may be a symbolic link to the runner's secrets, a FIFO that
//! blocks for ever, or something huge. Outputs are opened one path component at a time with
//! `O_NOFOLLOW` (no symbolic link anywhere in the path is followed), must be regular files, and
//! are refused above a size limit.

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

/// Why an output could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0} does not exist")]
    Missing(String),
    #[error("{0} is a symbolic link or lies behind one; refused")]
    Symlink(String),
    #[error("{0} is not a regular file")]
    NotAFile(String),
    #[error("{path} is {size} bytes, more than the limit of {limit}")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{0} is not a plain relative path")]
    BadPath(String),
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
}

/// Opens `relative` inside `dir` without following any symbolic link, as a regular file.
pub fn open_output(dir: &Path, relative: &str) -> Result<File, OutputError> {
    let bad = || OutputError::BadPath(relative.to_owned());
    let parts: Vec<&std::ffi::OsStr> = Path::new(relative)
        .components()
        .map(|c| match c {
            Component::Normal(name) => Ok(name),
            _ => Err(bad()),
        })
        .collect::<Result<_, _>>()?;
    if parts.is_empty() {
        return Err(bad());
    }
    let base = File::open(dir).map_err(|e| OutputError::Io(dir.display().to_string(), e))?;
    let mut current = OwnedFd::from(base);
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let name = CString::new(part.as_bytes()).map_err(|_| bad())?;
        let flags = libc::O_RDONLY
            | libc::O_NOFOLLOW
            | libc::O_CLOEXEC
            | libc::O_NONBLOCK
            | if last { 0 } else { libc::O_DIRECTORY };
        // SAFETY: `current` is an open directory descriptor and `name` a NUL-terminated string.
        let fd = unsafe { libc::openat(current.as_raw_fd(), name.as_ptr(), flags) };
        if fd < 0 {
            let err = std::io::Error::last_os_error();
            return Err(match err.raw_os_error() {
                Some(libc::ELOOP) => OutputError::Symlink(relative.to_owned()),
                Some(libc::ENOTDIR) => OutputError::Symlink(relative.to_owned()),
                Some(libc::ENOENT) => OutputError::Missing(relative.to_owned()),
                _ => OutputError::Io(relative.to_owned(), err),
            });
        }
        // SAFETY: `fd` was just returned by openat and is owned by nobody else.
        current = unsafe { OwnedFd::from_raw_fd(fd) };
    }
    let file = File::from(current);
    let meta = file
        .metadata()
        .map_err(|e| OutputError::Io(relative.to_owned(), e))?;
    if !meta.is_file() {
        return Err(OutputError::NotAFile(relative.to_owned()));
    }
    Ok(file)
}

/// Reads `relative` inside `dir` (see [`open_output`]), refusing files over `limit` bytes.
pub fn read_output(dir: &Path, relative: &str, limit: u64) -> Result<Vec<u8>, OutputError> {
    let file = open_output(dir, relative)?;
    let size = file
        .metadata()
        .map_err(|e| OutputError::Io(relative.to_owned(), e))?
        .len();
    let too_large = |size| OutputError::TooLarge {
        path: relative.to_owned(),
        size,
        limit,
    };
    if size > limit {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // One byte more than the limit: a file growing while read is caught too.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| OutputError::Io(relative.to_owned(), e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn plain_files_are_read_and_links_anywhere_in_the_path_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        std::fs::create_dir_all(out.join("sub")).unwrap();
        std::fs::write(out.join("sub/ok.md"), "fine").unwrap();
        std::fs::write(tmp.path().join("secret"), "s3cret").unwrap();
        symlink(tmp.path().join("secret"), out.join("link.md")).unwrap();
        symlink(tmp.path(), out.join("dirlink")).unwrap();
        assert_eq!(read_output(&out, "sub/ok.md", 100).unwrap(), b"fine");
        assert!(matches!(
            read_output(&out, "link.md", 100),
            Err(OutputError::Symlink(_))
        ));
        assert!(matches!(
            read_output(&out, "dirlink/secret", 100),
            Err(OutputError::Symlink(_))
        ));
        assert!(matches!(
            read_output(&out, "missing.md", 100),
            Err(OutputError::Missing(_))
        ));
        assert!(matches!(
            read_output(&out, "../secret", 100),
            Err(OutputError::BadPath(_))
        ));
        assert!(matches!(
            read_output(&out, "sub", 100),
            Err(OutputError::NotAFile(_))
        ));
    }

    #[test]
    fn files_over_the_limit_and_fifos_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("big.md"), vec![b'x'; 101]).unwrap();
        assert!(matches!(
            read_output(tmp.path(), "big.md", 100),
            Err(OutputError::TooLarge { size: 101, .. })
        ));
        assert_eq!(read_output(tmp.path(), "big.md", 101).unwrap().len(), 101);
        let fifo = CString::new(tmp.path().join("pipe.md").as_os_str().as_bytes()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_output(tmp.path(), "pipe.md", 100),
            Err(OutputError::NotAFile(_))
        ));
    }
}
