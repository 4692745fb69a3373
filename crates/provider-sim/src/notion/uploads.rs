//! File uploads (`/v1/file_uploads`): the upload objects, attaching them, and how an attached
//! upload reads back as a Notion-hosted file (the accepted types: [`super::filetypes`]).
//!
//! Lifecycle, after Notion's *Working with files and media* and *Uploading small files*
//! guides: created `pending` with an `expiry_time` one hour after creation; sent once
//! (`single_part`) → `uploaded`; attached to a block, a `files` property (or an icon or cover)
//! → `expiry_time` becomes `null` and the upload never expires ("upload once, attach many
//! times": it may be attached again). An upload not attached by its `expiry_time`, sent or not,
//! is `expired` and can be neither sent nor attached.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use super::{
    blockspec::NewBlock,
    errors::NotionError,
    filetypes::{MEDIA_BLOCKS, fits_block},
    version::Version,
};
use crate::clock::iso;

/// How long an upload waits to be attached.
pub(crate) const EXPIRY: Duration = Duration::hours(1);
/// How long a Notion-hosted file URL is said to be valid.
pub(crate) const URL_LIFETIME: Duration = Duration::hours(1);
/// A free workspace's per-file limit (5 MiB; what `/v1/users/me` reports).
pub(crate) const FREE_LIMIT: u64 = 5 * 1024 * 1024;
/// A paid workspace's per-file limit (5 GiB).
pub(crate) const PAID_LIMIT: u64 = 5 * 1024 * 1024 * 1024;
/// The most a `single_part` upload may send (20 MiB; larger files need `multi_part`).
pub(crate) const SINGLE_PART_LIMIT: u64 = 20 * 1024 * 1024;

/// One file upload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct FileUpload {
    pub id: String,
    /// The connection (bot) that created it; no other may see or use it.
    pub bot_id: String,
    pub created_time: OffsetDateTime,
    pub last_edited_time: OffsetDateTime,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    /// The sent content (`None` while pending).
    #[serde(with = "b64_bytes")]
    pub bytes: Option<Vec<u8>>,
    /// Attached at least once: no expiry any more.
    pub attached: bool,
    /// The unguessable part of its hosted URL.
    pub secret: String,
}

/// Where an upload is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    Uploaded,
    Expired,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Uploaded => "uploaded",
            Status::Expired => "expired",
        }
    }
}

impl FileUpload {
    /// `None` once attached.
    pub(crate) fn expiry_time(&self) -> Option<OffsetDateTime> {
        (!self.attached).then(|| self.created_time + EXPIRY)
    }

    pub(crate) fn status(&self, now: OffsetDateTime) -> Status {
        match (self.expiry_time(), &self.bytes) {
            (Some(expiry), _) if now >= expiry => Status::Expired,
            (_, None) => Status::Pending,
            (_, Some(_)) => Status::Uploaded,
        }
    }

    /// The file upload object.
    pub(crate) fn render(&self, origin: &str, now: OffsetDateTime, v: Version) -> Value {
        let status = self.status(now);
        let mut out = json!({
            "object": "file_upload",
            "id": self.id,
            "created_time": iso(self.created_time),
            "created_by": {"id": self.bot_id, "type": "bot"},
            "last_edited_time": iso(self.last_edited_time),
            "in_trash": false,
            "expiry_time": self.expiry_time().map(iso),
            "status": status.as_str(),
            "filename": self.filename,
            "content_type": self.content_type,
            "content_length": self.bytes.as_ref().map(Vec::len),
        });
        if v.has_archived() {
            out["archived"] = Value::Bool(false);
        }
        if status == Status::Pending {
            out["upload_url"] = json!(format!("{origin}/v1/file_uploads/{}/send", self.id));
        }
        out
    }

    /// The path of its Notion-hosted URL.
    pub(crate) fn hosted_path(&self) -> String {
        let name = self.filename.as_deref().unwrap_or("file");
        format!("/notion-files/{}/{}/{}", self.id, self.secret, url_escape(name))
    }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// How hosted files are rendered: this run's origin and the time of the request. Set on every
/// access ([`super::api`]'s `on_data`, the handle's inspections), never saved.
#[derive(Clone, Debug)]
pub(crate) struct Hosting {
    pub origin: String,
    pub now: OffsetDateTime,
}

impl Default for Hosting {
    fn default() -> Self {
        Hosting { origin: String::new(), now: OffsetDateTime::UNIX_EPOCH }
    }
}

/// Every file upload of the workspace.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct FileUploads {
    pub by_id: HashMap<String, FileUpload>,
}

impl FileUploads {
    /// The upload `id` as `bot_id` may see it.
    pub(crate) fn get(&self, id: &str, bot_id: &str) -> Option<&FileUpload> {
        self.by_id.get(id).filter(|u| u.bot_id == bot_id)
    }

    pub(crate) fn get_mut(&mut self, id: &str, bot_id: &str) -> Option<&mut FileUpload> {
        self.by_id.get_mut(id).filter(|u| u.bot_id == bot_id)
    }

    /// The upload `id` if `bot_id` may attach it now (to a block of `kind`, when it is one).
    pub(crate) fn attachable(
        &self,
        id: &str,
        bot_id: &str,
        now: OffsetDateTime,
        kind: Option<&str>,
    ) -> Result<&FileUpload, NotionError> {
        let upload = self
            .get(id, bot_id)
            .ok_or_else(|| NotionError::validation(format!("Could not find file upload with ID: {id}.")))?;
        let status = upload.status(now);
        if status != Status::Uploaded {
            return Err(NotionError::validation(format!(
                "File upload with ID `{id}` has a status of `{}`; only an `uploaded` file upload can be attached.",
                status.as_str()
            )));
        }
        let ct = upload.content_type.as_deref().unwrap_or("");
        if let Some(kind) = kind
            && !fits_block(kind, ct)
        {
            return Err(NotionError::validation(format!(
                "File upload with ID `{id}` has a content type of `{ct}`, which cannot be used in a `{kind}` block."
            )));
        }
        Ok(upload)
    }

    /// Marks uploads attached (they stop expiring).
    pub(crate) fn mark_attached(&mut self, ids: &[String], at: OffsetDateTime) {
        for id in ids {
            if let Some(u) = self.by_id.get_mut(id)
                && !u.attached
            {
                u.attached = true;
                u.last_edited_time = at;
            }
        }
    }

    /// Checks the `file_upload` file objects of a block's content (`kind` a media block) and
    /// names a `file` block after its upload when no name was given; returns the upload ids.
    pub(crate) fn prepare_media(
        &self,
        kind: &str,
        content: &mut Value,
        bot_id: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, NotionError> {
        if content.get("type").and_then(Value::as_str) != Some("file_upload") {
            return Ok(Vec::new());
        }
        let id = content["file_upload"]["id"].as_str().unwrap_or("").to_string();
        let upload = self.attachable(&id, bot_id, now, Some(kind))?;
        if kind == "file" && content.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
            content["name"] = json!(upload.filename.clone().unwrap_or_default());
        }
        Ok(vec![id])
    }

    /// [`Self::prepare_media`] for every media block among `blocks` and their children.
    pub(crate) fn prepare_blocks(
        &self,
        blocks: &mut [NewBlock],
        bot_id: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, NotionError> {
        let mut ids = Vec::new();
        for b in blocks {
            if MEDIA_BLOCKS.contains(&b.kind.as_str()) {
                ids.extend(self.prepare_media(&b.kind, &mut b.content, bot_id, now)?);
            }
            ids.extend(self.prepare_blocks(&mut b.children, bot_id, now)?);
        }
        Ok(ids)
    }

    /// Checks the `file_upload` items of `files` property values and names them after their
    /// uploads when no name was given; returns the upload ids.
    pub(crate) fn prepare_properties(
        &self,
        props: &mut Map<String, Value>,
        bot_id: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, NotionError> {
        let mut ids = Vec::new();
        for value in props.values_mut().filter(|v| v["type"] == "files") {
            for item in value["files"].as_array_mut().into_iter().flatten() {
                if item["type"] != "file_upload" {
                    continue;
                }
                let id = item["file_upload"]["id"].as_str().unwrap_or("").to_string();
                let upload = self.attachable(&id, bot_id, now, None)?;
                if item["name"].as_str().is_none_or(str::is_empty) {
                    item["name"] = json!(upload.filename.clone().unwrap_or_default());
                }
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Replaces, anywhere in `out`, a `{"type":"file_upload","file_upload":{"id"}}` file object
    /// whose upload is attached by the Notion-hosted file it has become.
    pub(crate) fn host(&self, out: &mut Value, hosting: &Hosting) {
        match out {
            Value::Object(obj) => {
                if obj.get("type").and_then(Value::as_str) == Some("file_upload")
                    && let Some(upload) = obj
                        .get("file_upload")
                        .and_then(|f| f.get("id"))
                        .and_then(Value::as_str)
                        .and_then(|id| self.by_id.get(id))
                        .filter(|u| u.attached)
                {
                    obj.remove("file_upload");
                    obj.insert("type".into(), json!("file"));
                    obj.insert(
                        "file".into(),
                        json!({
                            "url": format!("{}{}", hosting.origin, upload.hosted_path()),
                            "expiry_time": iso(hosting.now + URL_LIFETIME),
                        }),
                    );
                    return;
                }
                obj.values_mut().for_each(|v| self.host(v, hosting));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.host(v, hosting)),
            _ => {}
        }
    }
}

/// Bytes as base64 in the state file.
mod b64_bytes {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| STANDARD.decode(s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_expires_unless_attached() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let mut u = FileUpload {
            id: "u".into(),
            bot_id: "b".into(),
            created_time: t,
            last_edited_time: t,
            filename: None,
            content_type: None,
            bytes: None,
            attached: false,
            secret: "s".into(),
        };
        assert_eq!(u.status(t), Status::Pending);
        assert_eq!(u.status(t + EXPIRY), Status::Expired);
        u.bytes = Some(vec![1]);
        assert_eq!(u.status(t), Status::Uploaded);
        assert_eq!(u.status(t + EXPIRY), Status::Expired);
        u.attached = true;
        assert_eq!(u.status(t + EXPIRY * 10), Status::Uploaded);
        assert_eq!(u.expiry_time(), None);
    }
}
