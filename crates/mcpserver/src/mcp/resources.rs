//! The files mcpserver serves to MCP clients as resources: a tool names a file by an URI of
//! mcpserver's own (never the provider's URL, which needs the user's token or is signed for
//! whoever holds it), and `resources/read` reads it through the user's connection.
//!
//! URIs: `mcpserver://jira/{cloud_id}/attachment/{id}`, `mcpserver://notion/{workspace_id}/block/{id}`.

use super::context::{ToolContext, ToolError};
use super::{jira_files, notion_files};
use crate::domain::Provider;
use bytes::Bytes;
use rmcp::model::{ContentBlock, Resource, ResourceContents, ResourceTemplate};

const JIRA_PREFIX: &str = "mcpserver://jira/";
const NOTION_PREFIX: &str = "mcpserver://notion/";

/// A file mcpserver can serve.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FileRef {
    /// A Jira attachment on a site.
    JiraAttachment { cloud_id: String, id: String },
    /// A Notion-hosted file in a media block (image, video, audio, pdf, file) of a workspace.
    NotionBlock { workspace_id: String, id: String },
}

impl FileRef {
    /// The file an URI names; `None` when it is not one of mcpserver's URIs.
    pub fn parse(uri: &str) -> Option<Self> {
        let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if let Some(rest) = uri.strip_prefix(JIRA_PREFIX) {
            let (cloud_id, id) = rest.split_once("/attachment/")?;
            return (plain(cloud_id) && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
                .then(|| Self::JiraAttachment { cloud_id: cloud_id.to_string(), id: id.to_string() });
        }
        let rest = uri.strip_prefix(NOTION_PREFIX)?;
        let (workspace_id, id) = rest.split_once("/block/")?;
        let uuid = id.len() <= 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        (plain(workspace_id) && !id.is_empty() && uuid)
            .then(|| Self::NotionBlock { workspace_id: workspace_id.to_string(), id: id.to_string() })
    }

    /// The kind of file, for audit events (`jira_attachment`, `notion_file`): never its ids.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::JiraAttachment { .. } => "jira_attachment",
            Self::NotionBlock { .. } => "notion_file",
        }
    }

    pub fn uri(&self) -> String {
        match self {
            Self::JiraAttachment { cloud_id, id } => format!("{JIRA_PREFIX}{cloud_id}/attachment/{id}"),
            Self::NotionBlock { workspace_id, id } => format!("{NOTION_PREFIX}{workspace_id}/block/{id}"),
        }
    }
}

/// The URI templates `resources/templates/list` shows.
pub(crate) fn templates() -> Vec<ResourceTemplate> {
    let template = |uri: String, name: &str, title: &str, description: &str| {
        let mut t = ResourceTemplate::new(uri, name);
        t.title = Some(title.to_string());
        t.description = Some(description.to_string());
        t
    };
    vec![
        template(
            format!("{JIRA_PREFIX}{{cloud_id}}/attachment/{{id}}"),
            "jira_attachment",
            "Jira attachment",
            "A file attached to a Jira issue (ids from jira_list_attachments), read as the signed-in user.",
        ),
        template(
            format!("{NOTION_PREFIX}{{workspace_id}}/block/{{id}}"),
            "notion_file",
            "Notion file",
            "The file of a Notion image, video, audio, PDF or file block (ids from notion_list_blocks), read as the signed-in user.",
        ),
    ]
}

/// A file's bytes and content type.
pub(crate) struct File {
    pub bytes: Bytes,
    pub mime_type: String,
}

/// Reads the file `uri` names as the caller, at most `limit` bytes (else an error naming
/// `setting`). An URI that is not mcpserver's is `invalid_request`.
pub(crate) async fn read(
    ctx: &ToolContext,
    uri: &str,
    limit: usize,
    setting: &str,
) -> Result<File, ToolError> {
    let Some(file) = FileRef::parse(uri) else {
        let shown: String = uri.chars().take(200).collect();
        return Err(ToolError::invalid(format!(
            "`{shown}` is not a file mcpserver serves (mcpserver://jira/{{cloud_id}}/attachment/{{id}} or \
             mcpserver://notion/{{workspace_id}}/block/{{id}})"
        )));
    };
    match file {
        FileRef::JiraAttachment { cloud_id, id } => {
            let (bytes, mime_type) = jira_files::content(ctx, &id, Some(&cloud_id), limit, setting).await?;
            Ok(File { bytes, mime_type })
        }
        FileRef::NotionBlock { workspace_id, id } => {
            notion_files::block_file(ctx, &workspace_id, &id, limit, setting).await
        }
    }
}

/// The bytes a tool uploads: from `content_base64` or from a file mcpserver serves (with its
/// content type), at most `limit` (`MCPSERVER_UPLOAD_MAX_BYTES`); exactly one of the two.
pub(crate) async fn source(
    ctx: &ToolContext,
    content_base64: Option<&str>,
    resource_uri: Option<&str>,
    limit: usize,
) -> Result<Source, ToolError> {
    match (content_base64, resource_uri) {
        (Some(data), None) => Ok(Source { bytes: decode_base64(data, limit)?, mime_type: None }),
        (None, Some(uri)) => match read(ctx, uri, limit, UPLOAD_LIMIT).await {
            Ok(file) => Ok(Source { bytes: file.bytes, mime_type: Some(file.mime_type) }),
            // Too large to upload is the caller's input, not the provider's failure.
            Err(ToolError(e)) if crate::upstream::is_too_large(&e, UPLOAD_LIMIT) => Err(ToolError::invalid(
                format!("the file at {uri} is larger than {UPLOAD_LIMIT} ({limit} bytes); nothing was sent"),
            )),
            Err(e) => Err(e),
        },
        _ => Err(ToolError::invalid("give exactly one of content_base64 and resource_uri")),
    }
}

const UPLOAD_LIMIT: &str = "MCPSERVER_UPLOAD_MAX_BYTES";

/// The content type of an upload: the one given (checked to be a MIME type, before anything is
/// sent), else the source file's, else the file name's.
pub(crate) fn upload_type(
    given: Option<String>,
    source: Option<String>,
    filename: &str,
) -> Result<String, ToolError> {
    match given {
        Some(given) => match given.trim().parse::<mime::Mime>() {
            Ok(parsed) => Ok(parsed.to_string()),
            Err(_) => Err(ToolError::invalid(format!(
                "content_type `{}` is not a content type (e.g. text/plain, image/png)",
                given.chars().take(80).collect::<String>()
            ))),
        },
        None => Ok(source.unwrap_or_else(|| guess_type(filename))),
    }
}

/// The bytes of an upload, and the content type of the file they came from (none for base64).
pub(crate) struct Source {
    pub bytes: Bytes,
    pub mime_type: Option<String>,
}

/// A file at a URL the provider signed (Notion's hosted files): fetched without the user's
/// token (the signature is the credential), following no redirect, at most `limit` bytes.
/// Only an `https` URL is fetched, or one on the provider's configured API origin (the
/// simulator's stand-in for the file host).
pub(crate) async fn fetch_signed(
    ctx: &ToolContext,
    provider: Provider,
    url: &str,
    limit: usize,
    setting: &str,
) -> Result<File, ToolError> {
    let parsed = url::Url::parse(url).map_err(|_| ToolError::unexpected(provider))?;
    let api = match provider {
        Provider::Notion => &ctx.state.config.notion_api_url,
        Provider::Jira => &ctx.state.config.atlassian_api_url,
    };
    if parsed.scheme() != "https" && parsed.origin() != api.origin() {
        return Err(ToolError::unexpected(provider));
    }
    let unavailable = |_| {
        ToolError(
            crate::http::ApiError::new(
                crate::http::ErrorCode::ProviderUnavailable,
                "the file host did not answer",
            )
            .with_provider(provider.as_str()),
        )
    };
    let response = ctx.state.http.get(parsed).send().await.map_err(unavailable)?;
    if !response.status().is_success() {
        return Err(ToolError(
            crate::http::ApiError::new(
                crate::http::ErrorCode::ProviderError,
                format!("the file host answered {}", response.status().as_u16()),
            )
            .with_provider(provider.as_str())
            .with_status(response.status().as_u16()),
        ));
    }
    let (bytes, mime_type) = crate::upstream::read_file(response, limit, provider, setting).await?;
    Ok(File { bytes, mime_type })
}

/// A file name as the provider stores it: no path, no control characters.
pub(crate) fn file_name(name: &str) -> Result<String, ToolError> {
    let name = name.trim();
    let bad = name.is_empty()
        || name.len() > 255
        || name.chars().any(|c| c.is_control() || c == '/' || c == '\\')
        || name == "."
        || name == "..";
    if bad {
        return Err(ToolError::invalid(format!(
            "filename `{name}` must be a plain file name (no path, at most 255 bytes)"
        )));
    }
    Ok(name.to_string())
}

/// A file a tool describes: what a resource link or an embedded resource says of it.
pub(crate) struct Described {
    pub uri: String,
    pub name: String,
    pub mime_type: String,
    pub size: u64,
}

impl Described {
    /// A resource link: the client reads the file with `resources/read`.
    pub fn link(&self) -> ContentBlock {
        ContentBlock::resource_link(
            Resource::new(&self.uri, &self.name).with_mime_type(&self.mime_type).with_size(self.size),
        )
    }

    /// The file inside the result: an image as image content, text as an embedded text
    /// resource, anything else as an embedded blob.
    pub fn inline(&self, bytes: &[u8]) -> ContentBlock {
        if self.mime_type.starts_with("image/") {
            return ContentBlock::image(base64_of(bytes), &self.mime_type);
        }
        ContentBlock::resource(contents(&self.uri, &self.mime_type, bytes))
    }
}

/// A file as `resources/read` (or an embedded resource) carries it: text when its type is
/// text and its bytes are UTF-8, else base64.
pub(crate) fn contents(uri: &str, mime_type: &str, bytes: &[u8]) -> ResourceContents {
    match std::str::from_utf8(bytes) {
        Ok(text) if is_text(mime_type) => ResourceContents::TextResourceContents {
            uri: uri.to_string(),
            mime_type: Some(mime_type.to_string()),
            text: text.to_string(),
            meta: None,
        },
        _ => ResourceContents::BlobResourceContents {
            uri: uri.to_string(),
            mime_type: Some(mime_type.to_string()),
            blob: base64_of(bytes),
            meta: None,
        },
    }
}

/// Whether a content type is text a model reads as such.
fn is_text(mime_type: &str) -> bool {
    let essence = mime_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(essence.as_str(), "application/json" | "application/xml" | "application/yaml")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The bytes of a tool's `content_base64`, refused (before decoding) when they would be over
/// `limit` (`MCPSERVER_UPLOAD_MAX_BYTES`).
pub(crate) fn decode_base64(data: &str, limit: usize) -> Result<Bytes, ToolError> {
    use base64::Engine as _;
    // Base64 broken into lines is read without them; most comes in one line and is not copied.
    let data: std::borrow::Cow<str> = if data.bytes().any(|b| b.is_ascii_whitespace()) {
        data.chars().filter(|c| !c.is_ascii_whitespace()).collect::<String>().into()
    } else {
        data.into()
    };
    let too_large = || {
        ToolError::invalid(format!(
            "the file is larger than MCPSERVER_UPLOAD_MAX_BYTES ({limit} bytes); nothing was sent"
        ))
    };
    if data.len() / 4 * 3 > limit + 2 {
        return Err(too_large());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .map_err(|e| ToolError::invalid(format!("content_base64 is not base64: {e}")))?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(Bytes::from(bytes))
}

/// The content type a file name suggests (`application/octet-stream` when none).
pub(crate) fn guess_type(filename: &str) -> String {
    mime_guess::from_path(filename).first_or_octet_stream().essence_str().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mcpservers_own_uris_name_files() {
        let uri = "mcpserver://jira/11111111-2222-3333-4444-555555555555/attachment/10001";
        let parsed = FileRef::parse(uri).unwrap();
        assert_eq!(parsed.uri(), uri);
        for bad in [
            "https://example.atlassian.net/rest/api/3/attachment/content/10001",
            "mcpserver://jira/site/attachment/10001/../../x",
            "mcpserver://jira/si/te/attachment/1",
            "mcpserver://jira//attachment/1",
            "mcpserver://jira/site/attachment/",
            "mcpserver://notion/x",
            "mcpserver://notion/ws/block/../../x",
        ] {
            assert_eq!(FileRef::parse(bad), None, "{bad}");
        }
        let notion = "mcpserver://notion/ws-1/block/59833787-2cf9-4fdf-8782-e53db20768a5";
        assert_eq!(FileRef::parse(notion).unwrap().uri(), notion);
        for bad in ["mcpserver://jira/site/attachment/10001?x=1", "mcpserver://notion/ws/block/x/y"] {
            assert_eq!(FileRef::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn text_comes_as_text_and_anything_else_as_base64() {
        let text = contents("u", "text/plain; charset=utf-8", "café".as_bytes());
        assert!(matches!(text, ResourceContents::TextResourceContents { ref text, .. } if text == "café"));
        let json = contents("u", "application/vnd.api+json", b"{}");
        assert!(matches!(json, ResourceContents::TextResourceContents { .. }));
        // Declared text, but not UTF-8: base64 rather than a lossy copy.
        let broken = contents("u", "text/plain", b"caf\xe9");
        assert!(
            matches!(broken, ResourceContents::BlobResourceContents { ref blob, .. } if blob == "Y2Fm6Q==")
        );
        let pdf = contents("u", "application/pdf", b"%PDF-1.7");
        assert!(matches!(pdf, ResourceContents::BlobResourceContents { .. }));
    }

    #[test]
    fn base64_over_the_limit_is_refused_before_decoding() {
        assert_eq!(decode_base64("aGVsbG8=", 5).unwrap().as_ref(), b"hello");
        assert_eq!(decode_base64("aGVs\nbG8=", 5).unwrap().as_ref(), b"hello");
        let error = decode_base64("aGVsbG8=", 4).unwrap_err();
        assert!(error.0.message.contains("MCPSERVER_UPLOAD_MAX_BYTES"), "{}", error.0.message);
        let huge = "A".repeat(4_000_000);
        assert!(decode_base64(&huge, 1000).unwrap_err().0.message.contains("MCPSERVER_UPLOAD_MAX_BYTES"));
        assert!(decode_base64("not base64!", 100).unwrap_err().0.message.contains("not base64"));
    }

    #[test]
    fn a_given_content_type_must_be_one() {
        assert_eq!(upload_type(Some("image/png".into()), None, "a.txt").unwrap(), "image/png");
        assert_eq!(upload_type(None, Some("text/csv".into()), "a.txt").unwrap(), "text/csv");
        assert_eq!(upload_type(None, None, "a.pdf").unwrap(), "application/pdf");
        let error = upload_type(Some("not a type".into()), None, "a.txt").unwrap_err();
        assert!(error.0.message.contains("not a content type"), "{}", error.0.message);
    }

    #[test]
    fn a_type_is_guessed_from_the_file_name() {
        assert_eq!(guess_type("report.pdf"), "application/pdf");
        assert_eq!(guess_type("chart.PNG"), "image/png");
        assert_eq!(guess_type("notes"), "application/octet-stream");
    }
}
