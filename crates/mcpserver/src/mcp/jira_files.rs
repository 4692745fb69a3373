//! Jira attachments: list an issue's files, download one (small files inside the result,
//! larger ones as a resource link that `resources/read` serves through mcpserver), upload one
//! (multipart `POST /issue/{key}/attachments` with `X-Atlassian-Token: no-check`).
//!
//! A file is never handed over as a provider URL: Jira's content URL needs the user's token,
//! and the media URL it redirects to is signed for whoever holds it. mcpserver reads the bytes
//! itself (`GET /attachment/content/{id}?redirect=false`) and names the file by its own URI,
//! `mcpserver://jira/{cloud_id}/attachment/{id}` (see `resources`).

use super::context::{Reply, ToolContext, ToolError};
use super::jira::{issue_key, jira};
use super::registry::{Group, ToolDef, Toolset, WRITE};
use super::resources::{self, FileRef};
use crate::upstream::{self, FilePart};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The attachment tools as a selectable set.
pub(crate) const ATTACHMENTS: Toolset = Toolset {
    name: "jira_attachments",
    group: Group::Jira,
    about: "issue attachments: list, download, upload",
};

/// The attachment tools.
pub(crate) fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(ATTACHMENTS, name, title);
    vec![
        tool("jira_list_attachments", "Jira issue attachments")
            .about("The files attached to a Jira issue: name, size, type, author, and the resource URI to download each.")
            .run(list_attachments),
        tool("jira_download_attachment", "Download a Jira attachment")
            .about("A Jira attachment by id: a small file comes inside the result (text as text, images as images), a larger one as a resource link to read with resources/read.")
            .run(download_attachment),
        tool("jira_upload_attachment", "Attach a file to a Jira issue")
            .about("Attach a file to a Jira issue: its bytes as content_base64, or resource_uri naming a file mcpserver serves (e.g. another attachment). Content type from content_type or the file name.")
            .hints(WRITE)
            .run(upload_attachment),
    ]
}

/// An attachment as Jira describes it (`fields.attachment`, `GET /attachment/{id}`, the
/// answer of an upload).
#[derive(Deserialize)]
pub(super) struct AttachmentDoc {
    #[serde(deserialize_with = "id_text")]
    id: String,
    #[serde(default)]
    filename: String,
    #[serde(default)]
    size: u64,
    #[serde(default, rename = "mimeType")]
    mime_type: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    author: Option<Author>,
}

#[derive(Deserialize)]
struct Author {
    #[serde(default, rename = "displayName")]
    display_name: Option<String>,
}

/// Jira's ids are strings; an older answer's number is read as its text.
fn id_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom("an attachment id is a string")),
    }
}

/// An attachment as the tools show it.
#[derive(Serialize, JsonSchema)]
pub struct Attachment {
    pub id: String,
    pub filename: String,
    /// Bytes.
    pub size: u64,
    pub mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Display name of who attached it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Where mcpserver serves the file (`resources/read`, `jira_upload_attachment`'s
    /// `resource_uri`): `mcpserver://jira/{cloud_id}/attachment/{id}`.
    pub uri: String,
}

impl AttachmentDoc {
    pub(super) fn shown(&self, cloud_id: &str) -> Attachment {
        Attachment {
            id: self.id.clone(),
            filename: self.filename.clone(),
            size: self.size,
            mime_type: self.mime_type.clone().unwrap_or_else(|| "application/octet-stream".to_string()),
            created: self.created.clone(),
            author: self.author.as_ref().and_then(|a| a.display_name.clone()),
            uri: FileRef::JiraAttachment { cloud_id: cloud_id.to_string(), id: self.id.clone() }.uri(),
        }
    }
}

impl Attachment {
    /// What a resource link or an embedded resource says of the file.
    fn described(&self) -> resources::Described {
        resources::Described {
            uri: self.uri.clone(),
            name: self.filename.clone(),
            mime_type: self.mime_type.clone(),
            size: self.size,
        }
    }

    /// One line of a list: name, size, type, who.
    pub(super) fn markdown(&self) -> String {
        let by = self.author.as_deref().map(|a| format!(", by {a}")).unwrap_or_default();
        format!(
            "- **{}** ({}, {}{by}) · id {} · {}",
            self.filename,
            size_text(self.size),
            self.mime_type,
            self.id,
            self.uri
        )
    }
}

/// `1.5 KB`, `2.0 MB`: a size a person reads.
pub(super) fn size_text(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

/// The cloud id of the site a call goes to (the URIs name the site by it).
fn cloud_id(connection: &crate::domain::Connection, site: Option<&str>) -> Result<String, ToolError> {
    crate::domain::pick_site(connection, site)
        .map(|s| s.id.clone())
        .map_err(|e| ToolError::invalid(e.to_string()))
}

/// Arguments of `jira_list_attachments`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListArgs {
    /// Issue key, e.g. `ENG-12`.
    pub issue_key: String,
    /// Jira site (cloud id or URL).
    pub site: Option<String>,
}

/// Result of `jira_list_attachments`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Attachments {
    pub issue_key: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Deserialize)]
struct IssueAttachments {
    #[serde(default)]
    fields: AttachmentField,
}

#[derive(Deserialize, Default)]
struct AttachmentField {
    #[serde(default)]
    attachment: Vec<AttachmentDoc>,
}

pub(crate) async fn list_attachments(
    ctx: ToolContext,
    args: ListArgs,
) -> Result<Reply<Attachments>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let site = args.site.as_deref();
    let call = jira(format!("/issue/{key}")).query("fields", "attachment").site(site);
    let (issue, connection) = ctx.send_as::<IssueAttachments>(call).await?;
    let cloud = cloud_id(&connection, site)?;
    let attachments: Vec<Attachment> = issue.fields.attachment.iter().map(|a| a.shown(&cloud)).collect();
    let markdown = if attachments.is_empty() {
        format!("{key} has no attachments.")
    } else {
        let lines: Vec<String> = attachments.iter().map(Attachment::markdown).collect();
        format!("{key} has {} attachment(s):\n{}", attachments.len(), lines.join("\n"))
    };
    let links = attachments.iter().map(|a| a.described().link()).collect();
    Ok(Reply::new(Attachments { issue_key: key, attachments }, markdown).with_content(links))
}

/// Arguments of `jira_download_attachment`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DownloadArgs {
    /// The attachment's id (from jira_list_attachments or jira_get_issue).
    pub attachment_id: String,
    /// Jira site (cloud id or URL).
    pub site: Option<String>,
}

/// Result of `jira_download_attachment`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Download {
    #[serde(flatten)]
    pub attachment: Attachment,
    /// Whether the file is inside this result; otherwise read `uri` with resources/read.
    pub inline: bool,
}

/// A Jira attachment id: digits only, so it cannot alter the path.
pub(super) fn attachment_id(id: &str) -> Result<String, ToolError> {
    let id = id.trim();
    if !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id.to_string())
    } else {
        Err(ToolError::invalid(format!("`{id}` is not a Jira attachment id (digits, e.g. 10001)")))
    }
}

/// The metadata of one attachment.
pub(super) async fn attachment(
    ctx: &ToolContext,
    id: &str,
    site: Option<&str>,
) -> Result<(Attachment, std::sync::Arc<crate::domain::Connection>), ToolError> {
    let (doc, connection) =
        ctx.send_as::<AttachmentDoc>(jira(format!("/attachment/{id}")).site(site)).await?;
    let cloud = cloud_id(&connection, site)?;
    Ok((doc.shown(&cloud), connection))
}

pub(crate) async fn download_attachment(
    ctx: ToolContext,
    args: DownloadArgs,
) -> Result<Reply<Download>, ToolError> {
    let id = attachment_id(&args.attachment_id)?;
    let (attachment, _) = attachment(&ctx, &id, args.site.as_deref()).await?;
    let inline_max = ctx.state.config.inline_max_bytes;
    let reference = attachment.described();
    if attachment.size as usize > inline_max {
        let markdown = format!(
            "**{}** ({}, {}) is larger than MCPSERVER_INLINE_MAX_BYTES: read it with resources/read at {}",
            attachment.filename,
            size_text(attachment.size),
            attachment.mime_type,
            attachment.uri
        );
        let link = reference.link();
        return Ok(Reply::new(Download { attachment, inline: false }, markdown).with_content(vec![link]));
    }
    let (bytes, _) =
        content(&ctx, &id, args.site.as_deref(), inline_max, "MCPSERVER_INLINE_MAX_BYTES").await?;
    let markdown = format!(
        "**{}** ({}, {}), attached below.",
        attachment.filename,
        size_text(attachment.size),
        attachment.mime_type
    );
    let block = reference.inline(&bytes);
    Ok(Reply::new(Download { attachment, inline: true }, markdown).with_content(vec![block]))
}

/// The bytes and content type of an attachment, at most `limit` bytes (else
/// `provider_error` naming `setting`).
pub(super) async fn content(
    ctx: &ToolContext,
    id: &str,
    site: Option<&str>,
    limit: usize,
    setting: &str,
) -> Result<(bytes::Bytes, String), ToolError> {
    // `redirect=false`: the bytes from Jira itself, not a redirect to its media host.
    let call = jira(format!("/attachment/content/{id}"))
        .query("redirect", "false")
        .site(site)
        .header("accept", "*/*");
    ctx.download(call, limit, setting).await
}

/// Arguments of `jira_upload_attachment`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadArgs {
    /// Issue key, e.g. `ENG-12`.
    pub issue_key: String,
    /// The file name Jira shows, e.g. `report.pdf`.
    pub filename: String,
    /// The file's bytes, base64 (standard alphabet). Give this or resource_uri.
    pub content_base64: Option<String>,
    /// A file mcpserver serves, e.g. `mcpserver://jira/{cloud_id}/attachment/{id}` (copy an
    /// attachment from another issue). Give this or content_base64.
    pub resource_uri: Option<String>,
    /// e.g. `application/pdf`; default from the file name's extension.
    pub content_type: Option<String>,
    /// Jira site (cloud id or URL).
    pub site: Option<String>,
}

/// Result of `jira_upload_attachment`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Uploaded {
    pub issue_key: String,
    pub attachments: Vec<Attachment>,
}

pub(crate) async fn upload_attachment(
    ctx: ToolContext,
    args: UploadArgs,
) -> Result<Reply<Uploaded>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let filename = resources::file_name(&args.filename)?;
    let site = args.site.as_deref();
    let limit = ctx.state.config.upload_max_bytes;
    let file =
        resources::source(&ctx, args.content_base64.as_deref(), args.resource_uri.as_deref(), limit).await?;
    let content_type =
        args.content_type.or(file.mime_type).unwrap_or_else(|| resources::guess_type(&filename));
    let part = FilePart { name: "file", filename, content_type, bytes: file.bytes };
    let call = jira(format!("/issue/{key}/attachments"))
        .site(site)
        .header(upstream::ATLASSIAN_TOKEN, "no-check")
        .multipart(vec![part]);
    let (created, connection) = ctx.send_as::<Vec<AttachmentDoc>>(call).await?;
    let cloud = cloud_id(&connection, site)?;
    let attachments: Vec<Attachment> = created.iter().map(|a| a.shown(&cloud)).collect();
    let lines: Vec<String> = attachments.iter().map(Attachment::markdown).collect();
    let markdown = format!("Attached to {key}:\n{}", lines.join("\n"));
    Ok(Reply::new(Uploaded { issue_key: key, attachments }, markdown))
}
