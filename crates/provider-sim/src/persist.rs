//! The world on disk (`SimConfig::state_file`): Jira content, Notion content, both providers'
//! codes, grants, access tokens and refresh-token families, and the clock's offset.
//!
//! Saved whole, atomically (`<file>.tmp`, fsync, rename, fsync of the folder), after every
//! request that may change something and before its answer leaves, so a refresh token the
//! client has received is on disk: a simulator killed at any moment restarts with every
//! rotation its clients saw. Counters, faults, rate-limit buckets, pending consent pages and
//! the run-time switches are not kept. One simulator per file: nothing here stops a second
//! one from writing it too (`mcpserver demo` holds a lock on its folder for that).

use std::{
    collections::BTreeMap,
    fs::OpenOptions,
    io::{self, Write},
    path::{Path, PathBuf},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use serde::{Deserialize, Serialize};

use crate::{
    atlassian::{grants::AtlassianAuth, jira::model::JiraData},
    clock::Clock,
    notion::{grants::NotionAuth, model::NotionData},
    state::World,
};

/// The file format's version; another one is refused.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct SavedRef<'a> {
    version: u32,
    clock: &'a Clock,
    atlassian: &'a AtlassianAuth,
    notion_auth: &'a NotionAuth,
    jira: &'a BTreeMap<String, JiraData>,
    notion: &'a NotionData,
}

/// A world read back from the file.
#[derive(Deserialize)]
pub(crate) struct Saved {
    pub clock: Clock,
    pub atlassian: AtlassianAuth,
    pub notion_auth: NotionAuth,
    pub jira: BTreeMap<String, JiraData>,
    pub notion: NotionData,
}

#[derive(Deserialize)]
struct Header {
    version: u32,
}

/// The state file of one simulator.
#[derive(Debug)]
pub(crate) struct StateFile {
    path: PathBuf,
    /// Saves asked for so far (each after its change was made).
    requested: AtomicU64,
    /// Held from the snapshot to the rename, so the last file written is the newest world;
    /// holds how many of the asked-for saves the file on disk covers.
    writing: Mutex<u64>,
}

impl StateFile {
    pub(crate) fn new(path: &Path) -> Self {
        StateFile { path: path.to_path_buf(), requested: AtomicU64::new(0), writing: Mutex::new(0) }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The saved world, or `None` when there is no file yet. A file that cannot be read or
    /// is not a state file of this version is an error naming the file, never its content
    /// (it holds tokens).
    pub(crate) fn load(&self) -> anyhow::Result<Option<Saved>> {
        let shown = self.path.display();
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => anyhow::bail!("cannot read the simulator's state file {shown}: {e}"),
        };
        let header: Header = serde_json::from_slice(&text).map_err(|e| self.invalid(&e))?;
        if header.version != VERSION {
            anyhow::bail!(
                "the simulator's state file {shown} has format version {}, this simulator reads version {VERSION}; move it away to start with a fresh world",
                header.version
            );
        }
        serde_json::from_slice(&text).map(Some).map_err(|e| self.invalid(&e))
    }

    /// Writes `world` to the file, atomically, once the caller's change is made. Saves asked
    /// for while another is written are done by one snapshot taken after all of them.
    pub(crate) fn save(&self, world: &Mutex<World>) -> io::Result<()> {
        let mine = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut covered = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if *covered >= mine {
            return Ok(()); // a snapshot taken after this change is on disk
        }
        let upto = self.requested.load(Ordering::SeqCst);
        let bytes = {
            let w = world.lock().unwrap_or_else(|p| p.into_inner());
            serde_json::to_vec(&SavedRef {
                version: VERSION,
                clock: &w.clock,
                atlassian: &w.atl,
                notion_auth: &w.notion_auth,
                jira: &w.jira,
                notion: &w.notion,
            })
            .map_err(io::Error::other)?
        };
        write_atomically(&self.path, &bytes)?;
        *covered = upto;
        Ok(())
    }

    /// serde's own message may quote a value from the file (a token): only its kind and
    /// position are shown.
    fn invalid(&self, e: &serde_json::Error) -> anyhow::Error {
        use serde_json::error::Category;
        let what = match e.classify() {
            Category::Io => "cannot be read",
            Category::Syntax => "is not valid JSON",
            Category::Eof => "ends too early (cut short?)",
            Category::Data => "does not hold a provider-sim world",
        };
        anyhow::anyhow!(
            "the simulator's state file {} {what} (line {}, column {}); move it away to start with a fresh world",
            self.path.display(),
            e.line(),
            e.column()
        )
    }
}

/// The temporary file a save goes through: `<file>.tmp`, in the same folder.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "state".into());
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes `<path>.tmp` (mode 0600, created afresh, so never through a link), syncs it, renames
/// it over `path` and syncs the folder.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    #[cfg(unix)]
    {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_file_sits_next_to_the_state_file() {
        assert_eq!(temp_path(Path::new("/a/b/sim.json")), Path::new("/a/b/sim.json.tmp"));
        assert_eq!(temp_path(Path::new("sim.json")), Path::new("sim.json.tmp"));
    }
}
