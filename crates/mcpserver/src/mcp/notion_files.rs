//! Notion files: upload one to a page (Notion's file upload API: create a `single_part`
//! upload, send the bytes as `multipart/form-data`, attach it as a media block or to a `files`
//! property) and read Notion-hosted file blocks through mcpserver.
//!
//! Notion hosts files at short-lived signed URLs (an hour); a tool never hands one over. A
//! file block is named by mcpserver's URI, `mcpserver://notion/{workspace_id}/block/{id}`,
//! and `resources/read` fetches a fresh URL from the block, then the bytes (without the
//! user's token: the URL is signed).

use super::context::{Reply, ToolContext, ToolError};
use super::notion::{notion, notion_id};
use super::registry::{Group, ToolDef, Toolset, WRITE};
use super::resources;
use crate::domain::Provider;
use crate::upstream::FilePart;
use axum::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The file tools as a selectable set.
pub(crate) const FILES: Toolset =
    Toolset { name: "notion_files", group: Group::Notion, about: "upload files to pages" };

/// The file tools.
pub(crate) fn tools() -> Vec<ToolDef> {
    vec![ToolDef::build(FILES, "notion_upload_file", "Upload a file to a Notion page")
        .about("Upload a file to a Notion page: appended as an image, video, audio, PDF or file block by its type, or added to a `files` property. Bytes as content_base64, or resource_uri naming a file mcpserver serves (e.g. a Jira attachment).")
        .hints(WRITE)
        .run(upload_file)]
}

/// The block types that show an uploaded file, by content type (Notion's media blocks).
pub(super) fn block_type(content_type: &str) -> &'static str {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        t if t.starts_with("image/") => "image",
        t if t.starts_with("video/") => "video",
        t if t.starts_with("audio/") => "audio",
        "application/pdf" => "pdf",
        _ => "file",
    }
}

/// The media block types a file can be read from.
pub(super) const MEDIA_BLOCKS: &[&str] = &["image", "video", "audio", "pdf", "file"];

/// Arguments of `notion_upload_file`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadArgs {
    /// The page (id or URL).
    pub page: String,
    /// The file name Notion shows, e.g. `diagram.png`.
    pub filename: String,
    /// The file's bytes, base64 (standard alphabet). Give this or resource_uri.
    pub content_base64: Option<String>,
    /// A file mcpserver serves (`mcpserver://…`, e.g. from jira_list_attachments). Give this or
    /// content_base64.
    pub resource_uri: Option<String>,
    /// e.g. `image/png`; default from the file name's extension.
    pub content_type: Option<String>,
    /// The name of a `files` property of the page to add the file to; without it the file is
    /// appended to the page as a block.
    pub property: Option<String>,
    /// A caption for the block (plain text; not with property).
    pub caption: Option<String>,
    pub workspace: Option<String>,
}

/// Result of `notion_upload_file`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Uploaded {
    /// Notion's file upload id.
    pub file_upload_id: String,
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    pub page: String,
    /// `block` or `property`.
    pub attached_as: String,
    /// The new block (with attached_as `block`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
    /// The block's type: `image`, `video`, `audio`, `pdf` or `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_type: Option<String>,
    /// The property (with attached_as `property`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}

#[derive(Deserialize)]
struct FileUpload {
    id: String,
    #[serde(default)]
    status: String,
}

pub(crate) async fn upload_file(ctx: ToolContext, args: UploadArgs) -> Result<Reply<Uploaded>, ToolError> {
    let page = notion_id(&args.page)?;
    let filename = resources::file_name(&args.filename)?;
    let workspace = args.workspace.as_deref();
    if args.property.is_some() && args.caption.is_some() {
        return Err(ToolError::invalid("caption is for a block; a files property has none"));
    }
    let limit = ctx.state.config.upload_max_bytes;
    let file =
        resources::source(&ctx, args.content_base64.as_deref(), args.resource_uri.as_deref(), limit).await?;
    let content_type =
        args.content_type.or(file.mime_type).unwrap_or_else(|| resources::guess_type(&filename));
    // The property is checked before anything is uploaded: a page without it gets nothing.
    let existing = match &args.property {
        Some(name) => Some(files_property(&ctx, &page, name, workspace).await?),
        None => None,
    };
    let size = file.bytes.len() as u64;
    let created = json!({"mode": "single_part", "filename": filename, "content_type": content_type});
    let call = notion("/file_uploads").with_method(Method::POST, created).account(workspace);
    let (upload, _) = ctx.send_as::<FileUpload>(call).await?;
    let id = notion_id(&upload.id)?;
    let part = FilePart {
        name: "file",
        filename: filename.clone(),
        content_type: content_type.clone(),
        bytes: file.bytes,
    };
    let call = notion(format!("/file_uploads/{id}/send")).multipart(vec![part]).account(workspace);
    let (sent, _) = ctx.send_as::<FileUpload>(call).await?;
    if sent.status != "uploaded" {
        return Err(ToolError::unexpected(Provider::Notion));
    }
    let attachment = json!({"type": "file_upload", "file_upload": {"id": id}});
    let mut out = Uploaded {
        file_upload_id: id.clone(),
        filename: filename.clone(),
        content_type: content_type.clone(),
        size,
        page: page.clone(),
        attached_as: "block".to_string(),
        block_id: None,
        block_type: None,
        property: None,
    };
    match (args.property, existing) {
        (Some(name), Some(mut files)) => {
            let mut item = attachment;
            item["name"] = json!(filename);
            files.push(item);
            let body = json!({"properties": {name.clone(): {"files": files}}});
            ctx.json(notion(format!("/pages/{page}")).with_method(Method::PATCH, body).account(workspace))
                .await?;
            out.attached_as = "property".to_string();
            out.property = Some(name);
        }
        _ => {
            let kind = block_type(&content_type);
            let mut media = attachment;
            if let Some(caption) = &args.caption {
                media["caption"] = json!([{"type": "text", "text": {"content": caption}}]);
            }
            if kind == "file" {
                media["name"] = json!(filename);
            }
            let body = json!({"children": [{"object": "block", "type": kind, kind: media}]});
            let call = notion(format!("/blocks/{page}/children"))
                .with_method(Method::PATCH, body)
                .account(workspace);
            let answer = ctx.json(call).await?;
            out.block_id = answer["results"][0]["id"].as_str().map(str::to_string);
            out.block_type = Some(kind.to_string());
        }
    }
    let place = match &out.property {
        Some(p) => format!("to the property **{p}**"),
        None => format!("as a {} block", out.block_type.as_deref().unwrap_or("file")),
    };
    let markdown = format!(
        "Uploaded **{filename}** ({}, {content_type}) to page `{page}` {place}.",
        super::jira_files::size_text(size)
    );
    Ok(Reply::new(out, markdown))
}

/// The files a page's `files` property holds, as they are written back (each as it was
/// read, without the expiry of a hosted URL); a property that is not there or not of type
/// `files` is `invalid_request`, naming the page's files properties.
async fn files_property(
    ctx: &ToolContext,
    page: &str,
    name: &str,
    workspace: Option<&str>,
) -> Result<Vec<Value>, ToolError> {
    let answer = ctx.json(notion(format!("/pages/{page}")).account(workspace)).await?;
    let properties = answer["properties"].as_object().cloned().unwrap_or_default();
    match properties.get(name) {
        Some(p) if p["type"] == "files" => Ok(p["files"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                let mut f = f.clone();
                if let Some(hosted) = f.get_mut("file").and_then(Value::as_object_mut) {
                    hosted.remove("expiry_time");
                }
                f
            })
            .collect()),
        _ => {
            let names: Vec<&str> =
                properties.iter().filter(|(_, p)| p["type"] == "files").map(|(n, _)| n.as_str()).collect();
            let known = if names.is_empty() { "it has none".to_string() } else { names.join(", ") };
            Err(ToolError::invalid(format!(
                "the page has no files property `{name}` (its files properties: {known})"
            )))
        }
    }
}

/// The bytes and content type of a Notion-hosted file block, at most `limit` bytes (else
/// an error naming `setting`): a fresh signed URL from the block, then the bytes, fetched
/// without the user's token. A block that holds no hosted file is `invalid_request`.
pub(super) async fn block_file(
    ctx: &ToolContext,
    workspace: &str,
    block: &str,
    limit: usize,
    setting: &str,
) -> Result<resources::File, ToolError> {
    let block = notion_id(block)?;
    let answer = ctx.json(notion(format!("/blocks/{block}")).account(Some(workspace))).await?;
    let kind = answer["type"].as_str().unwrap_or_default();
    let url = answer[kind]["file"]["url"].as_str().filter(|_| MEDIA_BLOCKS.contains(&kind));
    let Some(url) = url else {
        return Err(ToolError::invalid(format!("block `{block}` holds no file Notion hosts")));
    };
    resources::fetch_signed(ctx, Provider::Notion, url, limit, setting).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_goes_into_the_block_its_type_fits() {
        for (content_type, block) in [
            ("image/png", "image"),
            ("IMAGE/JPEG; q=1", "image"),
            ("video/mp4", "video"),
            ("audio/mpeg", "audio"),
            ("application/pdf", "pdf"),
            ("text/plain", "file"),
            ("application/zip", "file"),
        ] {
            assert_eq!(block_type(content_type), block, "{content_type}");
        }
    }
}
