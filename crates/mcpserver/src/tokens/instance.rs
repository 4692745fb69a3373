//! This process's name as a refresh-lease owner, and the dead predecessor's leases a restarted
//! instance gives back (issue 17 item 16).
//!
//! The name is unique per process (pid and a random id): two live processes never share one,
//! so two can never refresh with one refresh token. With an instance directory, the process
//! also holds an exclusive `flock` on a slot file there for its whole life, and writes its name
//! into it. The kernel drops that lock only when the process has exited (kill -9 included), so
//! a process that gets a slot knows the name it finds there belongs to a dead process: it frees
//! that name's leases at once instead of letting them run out. A process still finishing its
//! refresh during a rolling restart keeps its slot, so its successor takes another one.

use std::fs::File;
use std::path::{Path, PathBuf};

/// How many slot files a directory may hold (instances running at once on one host).
const SLOTS: usize = 64;

/// This process's lease name, and the dead name its slot held before (if any).
pub struct Identity {
    pub owner: String,
    pub predecessor: Option<String>,
    /// Locked for the life of the process; dropping it would free the slot.
    _slot: Option<File>,
}

impl Identity {
    /// A fresh name, with a slot in `dir` when one is given and usable (else without one).
    pub fn claim(dir: Option<&Path>) -> Self {
        let owner = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let Some(dir) = dir else {
            return Self { owner, predecessor: None, _slot: None };
        };
        match take_slot(dir, &owner) {
            Ok((file, path, predecessor)) => {
                tracing::debug!(slot = %path.display(), "refresh-lease slot taken");
                Self { owner, predecessor, _slot: Some(file) }
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "no refresh-lease slot (MCPSERVER_INSTANCE_DIR): a crashed instance's leases will run out on their own");
                Self { owner, predecessor: None, _slot: None }
            }
        }
    }
}

#[cfg(unix)]
fn take_slot(dir: &Path, owner: &str) -> std::io::Result<(File, PathBuf, Option<String>)> {
    use std::io::{Read, Seek, Write};
    use std::os::unix::fs::OpenOptionsExt;
    for n in 0..SLOTS {
        let path = dir.join(format!("mcpserver-instance-{n}.lock"));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)?;
        // An exclusive `flock` (std's, as the demo's folder lock), released when the process ends.
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => continue, // a live process holds this slot
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        let mut previous = String::new();
        file.read_to_string(&mut previous)?;
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(owner.as_bytes())?;
        file.sync_all()?;
        let previous = previous.trim();
        let predecessor = (!previous.is_empty() && previous != owner).then(|| previous.to_string());
        return Ok((file, path, predecessor));
    }
    Err(std::io::Error::other(format!("all {SLOTS} slots are held by live processes")))
}

#[cfg(not(unix))]
fn take_slot(_dir: &Path, _owner: &str) -> std::io::Result<(File, PathBuf, Option<String>)> {
    Err(std::io::Error::other("slots need flock (unix)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_held_by_a_live_process_is_not_taken_and_a_freed_one_names_its_last_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::claim(Some(dir.path()));
        assert!(first.predecessor.is_none());
        let second = Identity::claim(Some(dir.path()));
        assert!(second.predecessor.is_none(), "the first slot is held, so the second takes a new one");
        let dead = first.owner.clone();
        drop(first); // the process "exits": its lock is released
        let restarted = Identity::claim(Some(dir.path()));
        assert_eq!(restarted.predecessor.as_deref(), Some(dead.as_str()));
        assert_ne!(restarted.owner, dead, "a restarted process still has a name of its own");
        assert_ne!(restarted.owner, second.owner);
    }

    #[test]
    fn no_directory_means_no_slot_and_no_predecessor() {
        let identity = Identity::claim(None);
        assert!(identity.predecessor.is_none());
        let missing = Identity::claim(Some(Path::new("/nonexistent/mcpserver-slots")));
        assert!(missing.predecessor.is_none());
    }
}
