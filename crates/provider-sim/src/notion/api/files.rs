//! File uploads: create, retrieve, send (`multipart/form-data`), and the Notion-hosted file
//! URLs attached uploads read back as (served without a bearer token, like S3's signed URLs).

use std::sync::Arc;

use axum::{
    Extension,
    body::{Body, Bytes},
    extract::{Multipart, Path, State, multipart::MultipartRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{new_id, on_data};
use crate::{
    ids,
    notion::{
        NotionCtx,
        errors::{self, NotionError, NotionResult},
        filetypes, json_body, path_id, richtext,
        uploads::{FileUpload, SINGLE_PART_LIMIT, Status},
        version::Version,
    },
    state::Sim,
};

/// The body limit of the send route: a whole `single_part` file plus its form's framing.
pub(crate) const SEND_BODY_LIMIT: usize = SINGLE_PART_LIMIT as usize + 1024 * 1024;

/// The File Upload API came with 2022-06-28; older versions do not have the routes.
fn check_version(v: Version) -> Result<(), NotionError> {
    if v.has_file_uploads() { Ok(()) } else { Err(NotionError::invalid_request_url()) }
}

fn optional_string(body: &Value, key: &str) -> Result<Option<String>, NotionError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => {
            Err(NotionError::body(&format!("body.{key}"), "a string", &richtext::shown(Some(other))))
        }
    }
}

/// `mode`: only `single_part` is simulated.
fn check_mode(body: &Value) -> Result<(), NotionError> {
    match body.get("mode").and_then(Value::as_str) {
        None if body.get("mode").is_none_or(Value::is_null) => Ok(()),
        Some("single_part") => Ok(()),
        Some(mode @ ("multi_part" | "external_url")) => Err(NotionError::validation(format!(
            "The simulator supports only `single_part` file uploads; `mode` `{mode}` is not simulated."
        ))),
        _ => Err(NotionError::body(
            "body.mode",
            "`\"single_part\"`, `\"multi_part\"`, or `\"external_url\"`",
            &richtext::shown(body.get("mode")),
        )),
    }
}

/// `POST /v1/file_uploads`: a `pending` upload that expires in an hour.
pub(crate) async fn create_file_upload(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    body: Bytes,
) -> NotionResult {
    check_version(ctx.version)?;
    let body = json_body(&body)?;
    check_mode(&body)?;
    if let Some((k, v)) = body.as_object().and_then(|o| {
        o.iter().find(|(k, v)| !["mode", "filename", "content_type"].contains(&k.as_str()) && !v.is_null())
    }) {
        return Err(NotionError::body(&format!("body.{k}"), "not present", &richtext::shown(Some(v))));
    }
    let filename = optional_string(&body, "filename")?;
    let content_type = optional_string(&body, "content_type")?;
    let (filename, content_type) = filetypes::settle(filename.as_deref(), content_type.as_deref())?;
    on_data(&sim, &ctx, |data, stamp| {
        let upload = FileUpload {
            id: new_id(),
            bot_id: stamp.by.clone(),
            created_time: stamp.at,
            last_edited_time: stamp.at,
            filename,
            content_type,
            bytes: None,
            attached: false,
            secret: ids::random_b64(24),
        };
        let out = upload.render(&data.hosting.origin, data.hosting.now, ctx.version);
        data.uploads.by_id.insert(upload.id.clone(), upload);
        Ok(errors::ok(out))
    })
}

/// `GET /v1/file_uploads/{file_upload_id}`: only the connection that created it sees it.
pub(crate) async fn get_file_upload(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
) -> NotionResult {
    check_version(ctx.version)?;
    let id = path_id(&raw, "file_upload_id")?;
    on_data(&sim, &ctx, |data, _| {
        let upload =
            data.uploads.get(&id, &ctx.bot_id).ok_or_else(|| NotionError::not_found("file upload", &id))?;
        Ok(errors::ok(upload.render(&data.hosting.origin, data.hosting.now, ctx.version)))
    })
}

/// The `file` part of a send.
struct SentFile {
    bytes: Vec<u8>,
    filename: Option<String>,
    content_type: Option<String>,
}

fn too_large_for_single_part() -> NotionError {
    NotionError::validation(format!(
        "The file is larger than the {SINGLE_PART_LIMIT}-byte (20 MiB) limit of a `single_part` file upload; send it in parts (`multi_part`)."
    ))
}

/// Reads the whole form (so an error answer never leaves before the body is read) and keeps
/// its `file` part.
async fn read_form(form: Result<Multipart, MultipartRejection>) -> Result<Option<SentFile>, NotionError> {
    let mut form = form.map_err(|_| {
        NotionError::validation(
            "body failed validation: the request should be `multipart/form-data` with the file contents under `file`.",
        )
    })?;
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large_for_single_part()
        } else {
            NotionError::validation(format!(
                "body failed validation: the multipart form could not be read: {e}."
            ))
        }
    };
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(broken)? {
        if field.name() != Some("file") || file.is_some() {
            field.bytes().await.map_err(broken)?;
            continue;
        }
        let filename = field.file_name().map(String::from).filter(|n| !n.is_empty());
        let content_type = field
            .content_type()
            .map(filetypes::essence)
            .filter(|c| !c.is_empty() && c != "application/octet-stream");
        let bytes = field.bytes().await.map_err(broken)?.to_vec();
        file = Some(SentFile { bytes, filename, content_type });
    }
    Ok(file)
}

/// The upload's name and type once `file` is sent: what `create` gave wins, else the part's.
fn settle_sent(upload: &FileUpload, file: &SentFile) -> Result<(Option<String>, String), NotionError> {
    if let (Some(declared), Some(sent)) = (&upload.content_type, &file.content_type)
        && declared != sent
    {
        return Err(NotionError::validation(format!(
            "The content type of the sent file, `{sent}`, does not match the file upload's content type `{declared}`."
        )));
    }
    let filename = upload.filename.as_deref().or(file.filename.as_deref());
    let content_type = upload.content_type.as_deref().or(file.content_type.as_deref());
    let (filename, content_type) = filetypes::settle(filename, content_type)?;
    let content_type = content_type.ok_or_else(|| {
        NotionError::validation(
            "The content type of the file could not be determined: give a `content_type` or a filename with a supported extension.",
        )
    })?;
    Ok((filename, content_type))
}

/// `POST /v1/file_uploads/{file_upload_id}/send`: the contents of a `pending` upload.
pub(crate) async fn send_file_upload(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> NotionResult {
    check_version(ctx.version)?;
    let id = path_id(&raw, "file_upload_id")?;
    let file = read_form(form).await;
    on_data(&sim, &ctx, |data, stamp| {
        let limit = data.max_file_upload_bytes();
        let now = data.hosting.now;
        let upload =
            data.uploads.get(&id, &ctx.bot_id).ok_or_else(|| NotionError::not_found("file upload", &id))?;
        let status = upload.status(now);
        if status != Status::Pending {
            return Err(NotionError::validation(format!(
                "File upload with ID `{id}` has a status of `{}`; only a `pending` file upload can be sent.",
                status.as_str()
            )));
        }
        let file = file?.ok_or_else(|| NotionError::body("body.file", "defined", "undefined"))?;
        let len = file.bytes.len() as u64;
        if len > limit {
            return Err(NotionError::validation(format!(
                "The file is {len} bytes, over this workspace's file size limit of {limit} bytes."
            )));
        }
        if len > SINGLE_PART_LIMIT {
            return Err(too_large_for_single_part());
        }
        let (filename, content_type) = settle_sent(upload, &file)?;
        let upload = data
            .uploads
            .get_mut(&id, &ctx.bot_id)
            .ok_or_else(|| NotionError::not_found("file upload", &id))?;
        upload.filename = filename;
        upload.content_type = Some(content_type);
        upload.bytes = Some(file.bytes);
        upload.last_edited_time = stamp.at;
        let out = upload.render(&data.hosting.origin, now, ctx.version);
        Ok(errors::ok(out))
    })
}

/// S3's answer to a URL it did not sign.
fn access_denied() -> Response {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// `GET /notion-files/{id}/{secret}/{filename}`: an attached upload's bytes, no token needed;
/// any other id, secret or name is S3's `403 AccessDenied`.
pub(crate) async fn hosted_file(
    State(sim): State<Arc<Sim>>,
    Path((id, secret, filename)): Path<(String, String, String)>,
) -> Response {
    let found = sim.with(|w| {
        let u = w.notion.uploads.by_id.get(&id)?;
        let matches = u.attached && u.secret == secret && u.filename.as_deref().unwrap_or("file") == filename;
        matches.then(|| (u.content_type.clone().unwrap_or_default(), u.bytes.clone().unwrap_or_default()))
    });
    let Some((content_type, bytes)) = found else {
        return access_denied();
    };
    let mut resp = Response::new(Body::from(bytes));
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}
