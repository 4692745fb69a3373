//! Issue attachments: `POST …/issue/{key}/attachments` (multipart), `GET …/attachment/meta`,
//! `GET`/`DELETE …/attachment/{id}`, `GET …/attachment/content/{id}` and
//! `…/attachment/thumbnail/{id}` (303 to the media URL unless `redirect=false`), and that media
//! URL, `GET /sim-media/attachment/{id}/{secret}`, which needs no bearer token.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension, Json, Router,
    body::Body,
    extract::{FromRequest, Multipart, Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

use super::{JiraCtx, issues::on_site, model::Attachment, render};
use crate::{
    atlassian::errors::{self, JiraError, JiraResult},
    ids,
    state::Sim,
};

/// How much one upload request may carry: four files at the limit, and their envelope.
pub(crate) fn request_limit(max: u64) -> usize {
    usize::try_from(max.saturating_mul(4).saturating_add(1 << 20)).unwrap_or(usize::MAX)
}

/// The media URL `…/attachment/content/{id}` redirects to.
pub(crate) const MEDIA: &str = "/sim-media/attachment/{id}/{secret}";

/// The media route, outside the Jira gate: the URL's secret is its credential.
pub(crate) fn media_router() -> Router<Arc<Sim>> {
    Router::new().route(MEDIA, get(media))
}

/// Jira's 404 for an attachment id it does not know (worded as Jira Cloud answers it).
fn no_attachment(id: &str) -> JiraError {
    JiraError::new(StatusCode::NOT_FOUND, vec![format!("The attachment with id '{id}' does not exist")])
}

fn number(id: &str) -> Result<u64, JiraError> {
    id.parse().map_err(|_| no_attachment(id))
}

/// `GET …/attachment/meta`: attachments are on, and the per-file limit.
pub(super) async fn settings(State(sim): State<Arc<Sim>>) -> Response {
    Json(json!({"enabled": true, "uploadLimit": sim.fixed.jira_attachment_max_bytes})).into_response()
}

/// `GET …/attachment/{id}`: the `AttachmentMetadata`.
pub(super) async fn get_metadata(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
) -> JiraResult {
    let n = number(&id)?;
    on_site(&sim, &ctx, |data, _| {
        let (_, a) = data.attachment(n).ok_or_else(|| no_attachment(&id))?;
        Ok(Json(render::attachment_metadata(&ctx.links, a)).into_response())
    })
}

/// `DELETE …/attachment/{id}`: 204, gone from its issue.
pub(super) async fn delete(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
) -> JiraResult {
    let n = number(&id)?;
    on_site(&sim, &ctx, |data, now| {
        let (index, _) = data.attachment(n).ok_or_else(|| no_attachment(&id))?;
        let issue = &mut data.issues[index];
        issue.attachments.retain(|a| a.id != n);
        issue.updated = now;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

/// The bytes with their stored type; `Content-Length` comes with the full body.
fn bytes_answer(a: &Attachment) -> Response {
    let mut response = Body::from(a.bytes.clone()).into_response();
    let mime = HeaderValue::from_str(&a.mime_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    response.headers_mut().insert(header::CONTENT_TYPE, mime);
    response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(a.bytes.len()));
    response
}

/// The thumbnail of a file that is not an image, as Jira falls back to a default one: a
/// 48×48 PNG.
fn default_thumbnail() -> Response {
    let png = crate::seed::jira::png(48, 48);
    ([(header::CONTENT_TYPE, "image/png")], png).into_response()
}

/// A boolean query parameter (`true`/`false`, any case); absent or another value: `default`.
fn flag(q: &HashMap<String, String>, name: &str, default: bool) -> bool {
    match q.get(name).map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "false" => false,
        Some(v) if v == "true" => true,
        _ => default,
    }
}

/// Jira Cloud answers `303 See Other` to its media service unless `redirect=false`. A
/// thumbnail is the image itself; of another file, the default thumbnail unless
/// `fallbackToDefault=false` (then 404).
fn download(sim: &Sim, ctx: &JiraCtx, id: &str, q: &HashMap<String, String>, thumbnail: bool) -> JiraResult {
    let n = number(id)?;
    let redirect = flag(q, "redirect", true);
    on_site(sim, ctx, |data, _| {
        let (_, a) = data.attachment(n).ok_or_else(|| no_attachment(id))?;
        let fallback = thumbnail && !a.is_image();
        if fallback && !flag(q, "fallbackToDefault", true) {
            return Err(JiraError::new(
                StatusCode::NOT_FOUND,
                vec![format!("The attachment with id '{id}' has no thumbnail")],
            ));
        }
        if !redirect {
            return Ok(if fallback { default_thumbnail() } else { bytes_answer(a) });
        }
        let mut location = format!("{}/sim-media/attachment/{}/{}", sim.base_url, a.id, a.secret);
        if thumbnail {
            location.push_str("?thumbnail=true");
        }
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, v);
        }
        Ok(response)
    })
}

/// `GET …/attachment/content/{id}?redirect=`.
pub(super) async fn content(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> JiraResult {
    download(&sim, &ctx, &id, &q, false)
}

/// `GET …/attachment/thumbnail/{id}?redirect=`: images only; the "thumbnail" is the image
/// itself (`width`/`height` are not applied).
pub(super) async fn thumbnail(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> JiraResult {
    download(&sim, &ctx, &id, &q, true)
}

/// `GET /sim-media/attachment/{id}/{secret}[?thumbnail=true]`: the bytes (or the thumbnail),
/// without a bearer; another secret 403.
async fn media(
    State(sim): State<Arc<Sim>>,
    Path((id, secret)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Ok(n) = id.parse::<u64>() else {
        return errors::gateway(StatusCode::NOT_FOUND, "Not Found");
    };
    let thumbnail = flag(&q, "thumbnail", false);
    sim.with(|w| {
        let mut known = false;
        for data in w.jira.values() {
            if let Some((_, a)) = data.attachment(n) {
                if a.secret == secret {
                    return if thumbnail && !a.is_image() { default_thumbnail() } else { bytes_answer(a) };
                }
                known = true;
            }
        }
        if known {
            errors::gateway(StatusCode::FORBIDDEN, "Forbidden")
        } else {
            errors::gateway(StatusCode::NOT_FOUND, "Not Found")
        }
    })
}

/// The values of `X-Atlassian-Token` that pass Jira's XSRF check.
fn xsrf_passed(headers: &HeaderMap) -> bool {
    headers
        .get("x-atlassian-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "no-check" | "nocheck"))
}

/// The media type of the body, lowercased, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Jira's XSRF answer: 403, plain text.
fn xsrf_failed() -> Response {
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain;charset=UTF-8")], "XSRF check failed")
        .into_response()
}

fn too_large(name: &str, max: u64) -> JiraError {
    JiraError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        vec![format!("The file '{name}' is too large to attach: the limit is {max} bytes.")],
    )
}

/// A part's declared type, or one guessed from the file name when it declares none (or only
/// `application/octet-stream`), as Jira fills in a type from the extension.
fn mime_of(declared: Option<&str>, filename: &str) -> String {
    if let Some(t) = declared.map(str::trim).filter(|t| !t.is_empty() && *t != "application/octet-stream") {
        return t.to_string();
    }
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
    .to_string()
}

/// A file of the upload, before it has an id.
struct Upload {
    filename: String,
    mime_type: String,
    bytes: Vec<u8>,
}

/// How many files one upload may carry (more: 413, as the reference documents).
const MAX_FILES: usize = 60;

/// Reads every `file` part (with a file name; other parts are ignored), each at most `max`
/// bytes, at most [`MAX_FILES`]: the first breach is the 413, answered once the body is read
/// (the route's body limit bounds it), so the client is not cut off while it still sends.
async fn read_files(mut form: Multipart, max: u64) -> Result<Vec<Upload>, JiraError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            JiraError::new(StatusCode::PAYLOAD_TOO_LARGE, vec!["The request is too large.".into()])
        } else {
            JiraError::bad_request(format!("The multipart body could not be read: {}", e.body_text()))
        }
    };
    let mut files = Vec::new();
    let mut refused = None;
    while let Some(mut field) = form.next_field().await.map_err(broken)? {
        let wanted = field.name() == Some("file") && refused.is_none();
        let Some(filename) = field.file_name().map(str::to_string).filter(|_| wanted) else {
            while field.chunk().await.map_err(broken)?.is_some() {}
            continue;
        };
        let mime_type = mime_of(field.content_type(), &filename);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if refused.is_some() {
                continue;
            }
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > max {
                refused = Some(too_large(&filename, max));
                bytes = Vec::new();
            }
        }
        if refused.is_none() {
            files.push(Upload { filename, mime_type, bytes });
            if files.len() > MAX_FILES {
                refused = Some(JiraError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    vec![format!("At most {MAX_FILES} files can be attached at once.")],
                ));
            }
        }
    }
    match refused {
        Some(e) => Err(e),
        None => Ok(files),
    }
}

/// `POST …/issue/{key}/attachments`: `multipart/form-data` with `file` parts, behind Jira's
/// XSRF check (`X-Atlassian-Token: no-check`); 200 with the new attachments. All or nothing:
/// one file over the limit stores none.
pub(super) async fn add(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    headers: HeaderMap,
    req: Request,
) -> JiraResult {
    let kind = media_type(&headers);
    // The XSRF filter looks at the form types a browser can send cross-site.
    let form_like =
        matches!(kind.as_str(), "multipart/form-data" | "application/x-www-form-urlencoded" | "text/plain");
    if form_like && !xsrf_passed(&headers) {
        return Ok(xsrf_failed());
    }
    if kind != "multipart/form-data" {
        return Err(JiraError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            vec!["Unsupported Media Type".into()],
        ));
    }
    on_site(&sim, &ctx, |data, _| data.issue_index(&key).map(|_| ()).ok_or_else(JiraError::no_issue))?;
    let form = Multipart::from_request(req, &sim).await.map_err(|e| {
        JiraError::bad_request(format!("The multipart body could not be read: {}", e.body_text()))
    })?;
    let files = read_files(form, sim.fixed.jira_attachment_max_bytes).await?;
    if files.is_empty() {
        return Err(JiraError::bad_request(
            "No file was attached: send the files as multipart parts named 'file'.",
        ));
    }
    on_site(&sim, &ctx, |data, now| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        let mut added = Vec::new();
        for f in files {
            let attachment = Attachment {
                id: data.allocate_attachment(),
                filename: f.filename,
                author: ctx.account_id.clone(),
                created: now,
                mime_type: f.mime_type,
                bytes: f.bytes,
                secret: ids::random_b64(24),
            };
            added.push(render::attachment(&ctx.links, &attachment));
            data.issues[index].attachments.push(attachment);
        }
        data.issues[index].updated = now;
        Ok(Json(added).into_response())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_generic_type_is_guessed_from_the_name() {
        assert_eq!(mime_of(Some("image/png"), "x.bin"), "image/png");
        assert_eq!(mime_of(None, "notes.TXT"), "text/plain");
        assert_eq!(mime_of(Some("application/octet-stream"), "d.png"), "image/png");
        assert_eq!(mime_of(None, "blob"), "application/octet-stream");
    }
}
