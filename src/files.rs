//! Whole files in and out, safely against what a path may name: every
//! whole-file read of the library and the CLI goes through [`read_limited`]
//! (or [`read_limited_from`] for standard input), every output file through
//! [`write_replacing`].
//!
//! Reads stop one byte past their limit (`Read::take`), so a file that is
//! too large, or endless (`/dev/zero`, a FIFO nobody closes), is refused
//! after a bounded read instead of filling memory. Writes replace a regular
//! file atomically (a temporary file beside the real target, flushed,
//! renamed over it, with the old file's permission bits), follow symlinks
//! to the file they name, and write straight into a target that is not a
//! regular file (a device such as `/dev/null`, a FIFO) instead of renaming
//! a plain file over it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Why a whole file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The file holds more than `limit` bytes; `size` is its size when the
    /// file system knows it (a regular file), not when it is a stream.
    #[error("{}", too_large(*.limit, *.size))]
    TooLarge {
        /// The limit that was passed.
        limit: u64,
        /// The file's size, when known.
        size: Option<u64>,
    },
}

fn too_large(limit: u64, size: Option<u64>) -> String {
    match size {
        Some(n) => format!("the file is {n} bytes, more than the limit of {limit} bytes"),
        None => format!("the file is longer than the limit of {limit} bytes"),
    }
}

/// Reads the whole file at `path`, at most `limit` bytes of it: a larger
/// file is [`ReadError::TooLarge`] after reading no more than `limit + 1`
/// bytes (a regular file whose size is already known to be too large is
/// not read at all).
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = File::open(path)?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    if let Some(n) = size.filter(|n| *n > limit) {
        return Err(ReadError::TooLarge {
            limit,
            size: Some(n),
        });
    }
    read_limited_from(file, limit).map_err(|e| match e {
        // the file grew while it was read
        ReadError::TooLarge { limit, .. } => ReadError::TooLarge { limit, size: None },
        e => e,
    })
}

/// Reads `input` to its end, at most `limit` bytes: more is
/// [`ReadError::TooLarge`] after reading `limit + 1` bytes. For standard
/// input and other streams.
pub fn read_limited_from(input: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    input
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit, size: None });
    }
    Ok(bytes)
}

/// [`read_limited`] for text: UTF-8 is checked, its error an
/// [`io::ErrorKind::InvalidData`].
pub fn read_limited_string(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_limited(path, limit)?;
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidData, "the file is not UTF-8 text").into()
    })
}

/// The most symlinks followed from one path (as Linux's `ELOOP`).
const MAX_LINKS: usize = 40;

/// The file a path names once its symlinks are followed: the path itself
/// when it is not a link (or does not exist), else the target of the last
/// link, which need not exist yet (writing through a dangling link creates
/// its target, as the shell's `>` does).
pub fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links to follow"
    )))
}

/// Writes `bytes` to the file `path` names, so that what was there is
/// replaced:
///
/// - symlinks are followed, and the file they lead to is written (the link
///   stays a link);
/// - a regular file (or none) is replaced atomically: a reader sees the old
///   content or the new, never a part. A temporary file beside the target
///   (in the target's folder, so the rename stays on one file system) is
///   written, flushed to disk and renamed over it, and the folder synced.
///   The replacement keeps the old file's permission bits (a 0600 file
///   stays 0600) and, where the process may, its owner;
/// - anything else that exists (a character device such as `/dev/null`, a
///   FIFO, a socket) is opened and written into, truncated where that
///   means anything, never replaced by a regular file.
pub fn write_replacing(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = resolve_links(path)?;
    let existing = match std::fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(m) = &existing {
        if m.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        if !m.is_file() {
            let mut f = OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&target)?;
            return f.write_all(bytes).and_then(|()| f.flush());
        }
    }
    replace_atomically(&target, bytes, existing.as_ref())
}

fn replace_atomically(
    target: &Path,
    bytes: &[u8],
    existing: Option<&std::fs::Metadata>,
) -> io::Result<()> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    // a fresh name (`create_new`): never open what another left there,
    // such as a link planted at a predictable name
    let (tmp, mut f) = {
        let mut n = 0u32;
        loop {
            let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => return Err(e),
            }
        }
    };
    let result = (|| {
        if let Some(m) = existing {
            keep_owner_and_mode(&f, m)?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, target)?;
        // the rename itself reaches the disk with the folder
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Gives the temporary file the replaced file's owner (where the process
/// may: as root, or when it already owns it) and permission bits.
fn keep_owner_and_mode(f: &File, old: &std::fs::Metadata) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let new = f.metadata()?;
        if new.uid() != old.uid() || new.gid() != old.gid() {
            // best effort: a user may not give a file away; the mode below
            // is set after it, as a change of owner clears set-id bits
            let _ = std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid()));
        }
    }
    f.set_permissions(old.permissions())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of one test's own, removed at the end.
    struct Scratch(PathBuf);

    impl Scratch {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tempdir(name: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("handoff-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }

    #[test]
    fn reads_stop_one_byte_past_the_limit() {
        // an endless reader: refused, not read to the end of memory
        let e = read_limited_from(io::repeat(0), 1000).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::TooLarge {
                    limit: 1000,
                    size: None
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "the file is longer than the limit of 1000 bytes"
        );
        assert_eq!(
            read_limited_from(&[7u8; 1000][..], 1000).unwrap().len(),
            1000
        );
        assert!(read_limited_from(&[7u8; 1001][..], 1000).is_err());
    }

    #[test]
    fn a_file_over_the_limit_is_refused_with_its_size() {
        let dir = tempdir("big");
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; 101]).unwrap();
        let e = read_limited(&p, 100).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::TooLarge {
                    limit: 100,
                    size: Some(101)
                }
            ),
            "{e:?}"
        );
        assert_eq!(read_limited(&p, 101).unwrap().len(), 101);
        assert!(matches!(
            read_limited(&dir.path().join("none"), 100),
            Err(ReadError::Io(_))
        ));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn dev_zero_is_refused_after_the_limit() {
        let e = read_limited(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { size: None, .. }), "{e:?}");
    }

    #[test]
    fn a_regular_file_is_replaced_and_a_new_one_created() {
        let dir = tempdir("replace");
        let p = dir.path().join("out.txt");
        write_replacing(&p, b"one").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_replacing(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // no temporary file is left behind
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_replacing(dir.path(), b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_stays_a_link() {
        let dir = tempdir("links");
        let real = dir.path().join("sub").join("real.txt");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("sub/real.txt", &link).unwrap();
        // a link to the link
        let link2 = dir.path().join("link2.txt");
        std::os::unix::fs::symlink(&link, &link2).unwrap();
        write_replacing(&link2, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::symlink_metadata(&link2)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        // a dangling link: its target is created
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("sub/made.txt", &dangling).unwrap();
        write_replacing(&dangling, b"made").unwrap();
        assert!(std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read(dir.path().join("sub/made.txt")).unwrap(),
            b"made"
        );
        // a loop is an error, not a hang
        let a = dir.path().join("a");
        std::os::unix::fs::symlink("b", &a).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        assert!(write_replacing(&a, b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn permission_bits_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempdir("mode");
        let p = dir.path().join("secret.json");
        std::fs::write(&p, b"{}").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_replacing(&p, b"{\"a\": 1}").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_replacing(&p, b"{}").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_into_not_replaced() {
        let dir = tempdir("fifo");
        let p = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&p).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let reader = {
            let p = p.clone();
            std::thread::spawn(move || std::fs::read(p).unwrap())
        };
        write_replacing(&p, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(&p).unwrap().file_type().is_fifo());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_device_is_written_into_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempdir("device");
        let p = dir.path().join("null");
        // a private `/dev/null` (character device 1, 3): root only
        let made = std::process::Command::new("mknod")
            .arg(&p)
            .args(["c", "1", "3"])
            .stderr(std::process::Stdio::null())
            .status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mknod needs root");
            return;
        }
        write_replacing(&p, b"gone").unwrap();
        assert!(std::fs::symlink_metadata(&p)
            .unwrap()
            .file_type()
            .is_char_device());
        // a link to the device: still the device
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        write_replacing(&link, b"gone").unwrap();
        assert!(std::fs::symlink_metadata(&p)
            .unwrap()
            .file_type()
            .is_char_device());
    }
}
