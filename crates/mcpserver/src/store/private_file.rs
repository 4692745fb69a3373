//! Files that hold secrets (the SQLite database, the demo's generated keys): created with
//! mode 0600 and never through a symbolic link, and trusted when they already exist only if
//! nobody else could have written or read them.

use std::io::{Read, Write};
use std::path::Path;

/// Creates `path` with `contents`, mode 0600; fails if anything (a file, a symlink) is
/// already there.
pub fn create(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = options().write(true).create_new(true).open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Creates an empty `path` with mode 0600 unless something is already there (then nothing
/// changes: an existing database keeps its mode).
pub fn create_empty_if_missing(path: &Path) -> std::io::Result<()> {
    match options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Reads `path` if it exists (`None` when it does not). Refuses, with the reason, a symlink,
/// anything but a regular file, a file owned by another user, or one others may read or
/// write (mode other than 0600).
pub fn open_existing(path: &Path) -> Result<Option<String>, String> {
    let mut file = match options().read(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            return Err(if link {
                "it is a symbolic link; replace it with the file itself (mode 0600) or delete it".to_string()
            } else {
                format!("it cannot be opened ({e})")
            });
        }
    };
    // Checked on the opened file, so it cannot be swapped between the check and the read.
    let meta = file.metadata().map_err(|e| format!("cannot read its metadata ({e})"))?;
    check_private(&meta)?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(|e| format!("cannot read it ({e})"))?;
    Ok(Some(text))
}

#[cfg(unix)]
fn options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    // O_NONBLOCK: opening a FIFO planted there must not hang; it is then refused as not a
    // regular file.
    options.mode(0o600).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    options
}

#[cfg(not(unix))]
fn options() -> std::fs::OpenOptions {
    std::fs::OpenOptions::new()
}

#[cfg(unix)]
fn check_private(meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    if !meta.is_file() {
        return Err("it is not a regular file; delete it".into());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!("it is owned by uid {}, not by this user (uid {me}); delete it", meta.uid()));
    }
    let mode = meta.mode() & 0o777;
    if mode != 0o600 {
        return Err(format!(
            "its mode is {mode:04o}, so others may read or change it; `chmod 600` it or delete it"
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(meta: &std::fs::Metadata) -> Result<(), String> {
    if meta.is_file() { Ok(()) } else { Err("it is not a regular file; delete it".into()) }
}
