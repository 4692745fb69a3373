//! Notion's File Upload API: create (`single_part` only), send (`multipart/form-data`),
//! retrieve, expiry after an hour, the supported file types and the workspace's size limit,
//! attaching uploads to media blocks and `files` properties, and the Notion-hosted URLs they
//! read back as (served without a bearer token).

mod common;

use std::time::Duration;

use common::*;
use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really a picture";

fn part(bytes: &[u8], filename: &str, mime: &str) -> Part {
    Part::bytes(bytes.to_vec()).file_name(filename.to_string()).mime_str(mime).unwrap()
}

async fn create(n: &Notion, body: Value) -> (StatusCode, Value) {
    n.post("/file_uploads", body).await
}

async fn send_form(n: &Notion, id: &str, form: Form) -> (StatusCode, Value) {
    send(n.req(Method::POST, &format!("/file_uploads/{id}/send")).multipart(form)).await
}

async fn send_part(n: &Notion, id: &str, part: Part) -> (StatusCode, Value) {
    send_form(n, id, Form::new().part("file", part)).await
}

/// A pending upload's id.
async fn pending(n: &Notion) -> String {
    let (status, body) = create(n, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// An uploaded PNG's id.
async fn uploaded_png(n: &Notion, filename: &str) -> String {
    let id = pending(n).await;
    let (status, body) = send_part(n, &id, part(PNG, filename, "image/png")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

fn image_block(upload: &str) -> Value {
    json!({"type": "image", "image": {"type": "file_upload", "file_upload": {"id": upload}}})
}

async fn append(n: &Notion, parent: &str, children: Value) -> (StatusCode, Value) {
    n.patch(&format!("/blocks/{parent}/children"), json!({"children": children})).await
}

fn assert_validation(status: StatusCode, body: &Value, contains: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "validation_error", "{body}");
    let message = body["message"].as_str().unwrap_or("");
    assert!(message.contains(contains), "message {message:?} lacks {contains:?}");
}

/// The Tasks data source with a `files` property "Attachments", and one of its rows.
async fn tasks_with_attachments(n: &Notion) -> (String, String) {
    let ds = n.tasks_data_source().await;
    let (status, body) =
        n.patch(&format!("/data_sources/{ds}"), json!({"properties": {"Attachments": {"files": {}}}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, rows) = n.post(&format!("/data_sources/{ds}/query"), json!({"page_size": 1})).await;
    (ds, rows["results"][0]["id"].as_str().unwrap().to_string())
}

async fn fetch_without_token(url: &str) -> reqwest::Response {
    client().get(url).send().await.expect("hosted file answers")
}

#[tokio::test]
async fn a_new_upload_is_pending_with_an_upload_url_and_expires_in_an_hour() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let (status, body) = create(&n, json!({"mode": "single_part"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["id"].as_str().unwrap();
    assert_eq!(body["object"], "file_upload");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["upload_url"], format!("{}/v1/file_uploads/{id}/send", sim.base_url()));
    assert_eq!(body["created_by"], json!({"id": n.bot_id, "type": "bot"}));
    assert_eq!((body["in_trash"].clone(), body["archived"].clone()), (json!(false), json!(false)));
    assert!(body["filename"].is_null() && body["content_type"].is_null() && body["content_length"].is_null());
    let created = time::OffsetDateTime::parse(
        body["created_time"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expiry = time::OffsetDateTime::parse(
        body["expiry_time"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expiry - created, time::Duration::hours(1));

    let (status, got) = n.get(&format!("/file_uploads/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!((got["id"].clone(), got["status"].clone()), (json!(id), json!("pending")));
    let (_, newest) = n.with_version("2026-03-11").get(&format!("/file_uploads/{id}")).await;
    assert!(newest.get("archived").is_none() && newest["in_trash"] == false, "{newest}");
    assert_eq!(sim.notion_file_upload_count(), 1);
    assert_eq!(sim.notion_file_upload(id).unwrap().status, "pending");
}

#[tokio::test]
async fn a_sent_file_is_uploaded_with_the_parts_name_type_and_length() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = pending(&n).await;
    let (status, body) = send_part(&n, &id, part(PNG, "logo.png", "image/png")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "uploaded");
    assert_eq!(
        (body["filename"].clone(), body["content_type"].clone()),
        (json!("logo.png"), json!("image/png"))
    );
    assert_eq!(body["content_length"], PNG.len());
    assert!(body.get("upload_url").is_none(), "only pending uploads have an upload_url: {body}");
    let held = sim.notion_file_upload(&id).unwrap();
    assert_eq!((held.status.as_str(), held.bytes.as_deref()), ("uploaded", Some(PNG)));
    assert!(!held.attached);
}

#[tokio::test]
async fn what_create_names_wins_and_a_missing_type_comes_from_the_extension() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let (_, body) = create(&n, json!({"filename": "Quarterly report.pdf"})).await;
    assert_eq!(body["content_type"], "application/pdf", "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let plain = Part::bytes(b"%PDF-1.4".to_vec()).file_name("upload.bin");
    let (status, body) = send_part(&n, &id, plain).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["filename"].clone(), body["content_type"].clone()),
        (json!("Quarterly report.pdf"), json!("application/pdf"))
    );

    let (_, body) = create(&n, json!({"filename": "notes", "content_type": "text/plain"})).await;
    assert_eq!(body["filename"], "notes.txt", "an extension is added from the content type: {body}");
}

#[tokio::test]
async fn an_image_block_with_an_upload_reads_back_as_a_hosted_file_served_without_a_token() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let page = n.page_id("Onboarding Guide").await;
    let upload = uploaded_png(&n, "logo.png").await;
    let (status, body) = append(&n, &page, json!([image_block(&upload)])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let image = &body["results"][0]["image"];
    assert_eq!(image["type"], "file", "{image}");
    assert!(image.get("file_upload").is_none());
    let url = image["file"]["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/notion-files/{upload}/", sim.base_url())), "{url}");
    assert!(url.ends_with("/logo.png"), "{url}");
    assert!(image["file"]["expiry_time"].is_string());

    let stored = sim.notion_children(&page).into_iter().last().unwrap();
    assert_eq!(stored["image"]["file"]["url"], url.as_str());
    let resp = fetch_without_token(&url).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);

    let (_, got) = n.get(&format!("/file_uploads/{upload}")).await;
    assert_eq!(got["status"], "uploaded");
    assert!(got["expiry_time"].is_null(), "an attached upload no longer expires: {got}");
    assert!(sim.notion_file_upload(&upload).unwrap().attached);
}

#[tokio::test]
async fn a_hosted_url_with_a_wrong_secret_is_access_denied() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let page = n.page_id("Onboarding Guide").await;
    let upload = uploaded_png(&n, "logo.png").await;
    let (_, body) = append(&n, &page, json!([image_block(&upload)])).await;
    let url = body["results"][0]["image"]["file"]["url"].as_str().unwrap().to_string();
    let secret = url.rsplit('/').nth(1).unwrap();
    let forged = url.replace(secret, "not-the-secret");
    let resp = fetch_without_token(&forged).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("AccessDenied"));
    let pending_one = pending(&n).await;
    let resp = fetch_without_token(&format!("{}/notion-files/{pending_one}/x/file", sim.base_url())).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "an upload never attached has no hosted file");
}

#[tokio::test]
async fn a_files_property_takes_uploads_on_update_and_create_and_one_upload_attaches_twice() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let (ds, row) = tasks_with_attachments(&n).await;
    let upload = uploaded_png(&n, "diagram.png").await;
    let files = json!({"files": [{"type": "file_upload", "file_upload": {"id": upload}}]});
    let (status, body) =
        n.patch(&format!("/pages/{row}"), json!({"properties": {"Attachments": files}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let item = &body["properties"]["Attachments"]["files"][0];
    assert_eq!((item["name"].clone(), item["type"].clone()), (json!("diagram.png"), json!("file")), "{item}");
    let url = item["file"]["url"].as_str().unwrap().to_string();
    assert_eq!(fetch_without_token(&url).await.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(
        sim.notion_page(&row).unwrap()["properties"]["Attachments"]["files"][0]["file"]["url"],
        url.as_str()
    );
    let prop = body["properties"]["Attachments"]["id"].as_str().unwrap().to_string();
    let (status, item) = n.get(&format!("/pages/{row}/properties/{prop}")).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["files"][0]["file"]["url"], url.as_str(), "the property item is hosted too: {item}");

    // The same upload again, named, in a new row with an image block among its children.
    let named =
        json!({"files": [{"type": "file_upload", "file_upload": {"id": upload}, "name": "Architecture"}]});
    let (status, body) = n
        .post(
            "/pages",
            json!({
                "parent": {"data_source_id": ds},
                "properties": {"Name": {"title": [{"text": {"content": "With files"}}]}, "Attachments": named},
                "children": [image_block(&upload)],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["properties"]["Attachments"]["files"][0]["name"], "Architecture");
    let id = body["id"].as_str().unwrap();
    assert_eq!(sim.notion_children(id)[0]["image"]["type"], "file");

    // A page read back and written again keeps its hosted file.
    let again = json!({"files": body["properties"]["Attachments"]["files"].clone()});
    let (status, body) =
        n.patch(&format!("/pages/{id}"), json!({"properties": {"Attachments": again}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["properties"]["Attachments"]["files"][0]["type"], "file");
}

#[tokio::test]
async fn sending_twice_is_refused_and_the_first_contents_stay() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = uploaded_png(&n, "logo.png").await;
    let (status, body) = send_part(&n, &id, part(b"GIF89a", "other.gif", "image/gif")).await;
    assert_validation(status, &body, "`uploaded`");
    let held = sim.notion_file_upload(&id).unwrap();
    assert_eq!((held.filename.as_deref(), held.bytes.as_deref()), (Some("logo.png"), Some(PNG)));
}

#[tokio::test]
async fn a_send_without_a_file_part_is_refused() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = pending(&n).await;
    let (status, body) = send_form(&n, &id, Form::new().text("attachment", "x")).await;
    assert_validation(status, &body, "body.file should be defined");
    let (status, body) = n.post(&format!("/file_uploads/{id}/send"), json!({"file": "x"})).await;
    assert_validation(status, &body, "multipart/form-data");
    assert_eq!(sim.notion_file_upload(&id).unwrap().status, "pending");
}

#[tokio::test]
async fn unsupported_or_mismatched_content_types_are_refused_naming_them() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = pending(&n).await;
    let (status, body) = send_part(&n, &id, part(b"PK", "archive.zip", "application/zip")).await;
    assert_validation(status, &body, "application/zip");
    let (status, body) = send_part(&n, &id, part(PNG, "logo.png", "image/gif")).await;
    assert_validation(status, &body, "does not match");
    assert_eq!(sim.notion_file_upload(&id).unwrap().status, "pending");

    let (status, body) = create(&n, json!({"content_type": "application/x-msdownload"})).await;
    assert_validation(status, &body, "application/x-msdownload");
    let (status, body) = create(&n, json!({"filename": "setup.exe"})).await;
    assert_validation(status, &body, ".exe");
    let (_, body) = create(&n, json!({"content_type": "image/png"})).await;
    let declared = body["id"].as_str().unwrap().to_string();
    let (status, body) = send_part(&n, &declared, part(b"%PDF", "doc.pdf", "application/pdf")).await;
    assert_validation(status, &body, "does not match");
    assert_eq!(sim.notion_file_upload_count(), 2, "refused creates leave nothing behind");
}

#[tokio::test]
async fn a_file_over_the_free_workspaces_limit_is_refused_and_a_paid_workspace_takes_it() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let (_, me) = n.get("/users/me").await;
    assert_eq!(me["bot"]["workspace_limits"]["max_file_upload_size_in_bytes"], 5 * 1024 * 1024);
    let big = vec![b'a'; 5 * 1024 * 1024 + 1];
    let id = pending(&n).await;
    let (status, body) = send_part(&n, &id, part(&big, "big.txt", "text/plain")).await;
    assert_validation(status, &body, "5242880");
    assert_eq!(sim.notion_file_upload(&id).unwrap().status, "pending");

    sim.set_notion_paid_plan(true);
    let (_, me) = n.get("/users/me").await;
    assert_eq!(me["bot"]["workspace_limits"]["max_file_upload_size_in_bytes"], 5u64 * 1024 * 1024 * 1024);
    let (status, body) = send_part(&n, &id, part(&big, "big.txt", "text/plain")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["content_length"], big.len());
}

#[tokio::test]
async fn an_upload_not_attached_within_an_hour_expires() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let page = n.page_id("Onboarding Guide").await;
    let never_sent = pending(&n).await;
    let never_attached = uploaded_png(&n, "a.png").await;
    let attached = uploaded_png(&n, "b.png").await;
    let (status, body) = append(&n, &page, json!([image_block(&attached)])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    sim.advance_clock(Duration::from_secs(3601));

    let (_, body) = n.get(&format!("/file_uploads/{never_sent}")).await;
    assert_eq!(body["status"], "expired", "{body}");
    assert!(body.get("upload_url").is_none());
    let (status, body) = send_part(&n, &never_sent, part(PNG, "a.png", "image/png")).await;
    assert_validation(status, &body, "`expired`");
    let (status, body) = append(&n, &page, json!([image_block(&never_attached)])).await;
    assert_validation(status, &body, "`expired`");
    assert_eq!(sim.notion_file_upload(&never_attached).unwrap().status, "expired");

    let (_, body) = n.get(&format!("/file_uploads/{attached}")).await;
    assert_eq!(body["status"], "uploaded", "an attached upload does not expire: {body}");
    let (status, body) = append(&n, &page, json!([image_block(&attached)])).await;
    assert_eq!(status, StatusCode::OK, "and can be attached again: {body}");
}

#[tokio::test]
async fn multi_part_and_external_url_modes_are_not_simulated() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    for mode in ["multi_part", "external_url"] {
        let (status, body) =
            create(&n, json!({"mode": mode, "filename": "a.mp4", "number_of_parts": 2})).await;
        assert_validation(status, &body, mode);
    }
    let (status, body) = create(&n, json!({"mode": "many"})).await;
    assert_validation(status, &body, "body.mode");
    assert_eq!(sim.notion_file_upload_count(), 0);
}

#[tokio::test]
async fn only_an_uploaded_upload_attaches_and_only_where_its_type_fits() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let page = n.page_id("Onboarding Guide").await;
    let before = sim.notion_children(&page).len();
    let waiting = pending(&n).await;
    let (status, body) = append(&n, &page, json!([paragraph("first"), image_block(&waiting)])).await;
    assert_validation(status, &body, "`pending`");
    let unknown = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let (status, body) = append(&n, &page, json!([image_block(unknown)])).await;
    assert_validation(status, &body, unknown);
    let png = uploaded_png(&n, "logo.png").await;
    let video = json!({"type": "video", "video": {"type": "file_upload", "file_upload": {"id": png}}});
    let (status, body) = append(&n, &page, json!([video])).await;
    assert_validation(status, &body, "`video`");
    assert_eq!(sim.notion_children(&page).len(), before, "nothing was appended");
    assert!(!sim.notion_file_upload(&png).unwrap().attached);

    let file = json!({"type": "file", "file": {"type": "file_upload", "file_upload": {"id": png}}});
    let (status, body) = append(&n, &page, json!([file])).await;
    assert_eq!(status, StatusCode::OK, "a file block takes any type: {body}");
    assert_eq!(body["results"][0]["file"]["name"], "logo.png", "named after the upload");

    let (_, row) = tasks_with_attachments(&n).await;
    let files = json!({"files": [{"type": "file_upload", "file_upload": {"id": waiting}}]});
    let (status, body) =
        n.patch(&format!("/pages/{row}"), json!({"properties": {"Attachments": files}})).await;
    assert_validation(status, &body, "`pending`");
}

#[tokio::test]
async fn another_connection_cannot_see_or_use_an_upload() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let other = Notion::new(&sim);
    assert_ne!(n.bot_id, other.bot_id);
    let id = pending(&n).await;
    let (status, body) = other.get(&format!("/file_uploads/{id}")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("object_not_found")), "{body}");
    let (status, _) = send_part(&other, &id, part(PNG, "a.png", "image/png")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = n.get("/file_uploads/3c90c3cc-0d44-4b50-8888-8dd25736052a").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn versions_before_2022_06_28_have_no_file_upload_api() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = pending(&n).await;
    let old = n.with_version("2022-02-22");
    let (status, body) = create(&old, json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request_url")),
        "{body}"
    );
    let (status, body) = old.get(&format!("/file_uploads/{id}")).await;
    assert_eq!(body["code"], "invalid_request_url", "{status} {body}");
    let (status, body) = send_part(&old, &id, part(PNG, "a.png", "image/png")).await;
    assert_eq!(body["code"], "invalid_request_url", "{status} {body}");
    let (status, body) = create(&n.with_version("2022-06-28"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(sim.notion_file_upload_count(), 2);
}

#[tokio::test]
async fn uploads_and_their_bytes_survive_a_restart_on_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg =
        || provider_sim::SimConfig { state_file: Some(dir.path().join("state.json")), ..Default::default() };
    let sim = sim_with(cfg()).await;
    let n = Notion::new(&sim);
    let page = n.page_id("Onboarding Guide").await;
    let upload = uploaded_png(&n, "logo.png").await;
    let (status, body) = append(&n, &page, json!([image_block(&upload)])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let waiting = pending(&n).await;
    sim.shutdown().await;

    let sim = sim_with(cfg()).await;
    assert_eq!(sim.notion_file_upload(&waiting).unwrap().status, "pending");
    let held = sim.notion_file_upload(&upload).unwrap();
    assert_eq!((held.bytes.as_deref(), held.attached), (Some(PNG), true));
    let block = sim.notion_children(&page).into_iter().last().unwrap();
    let url = block["image"]["file"]["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&sim.base_url()), "rendered from the new origin: {url}");
    assert_eq!(fetch_without_token(&url).await.bytes().await.unwrap().as_ref(), PNG);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_icon_and_a_cover_take_image_uploads_and_a_block_update_swaps_in_one() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let page = n.page_id("Onboarding Guide").await;
    let photo = uploaded_png(&n, "Team photo.png").await;
    let upload_ref = json!({"type": "file_upload", "file_upload": {"id": photo}});
    let (status, body) =
        n.patch(&format!("/pages/{page}"), json!({"icon": upload_ref, "cover": upload_ref})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = body["cover"]["file"]["url"].as_str().unwrap().to_string();
    assert_eq!(body["icon"]["type"], "file", "{body}");
    assert!(url.ends_with("/Team%20photo.png"), "{url}");
    assert_eq!(fetch_without_token(&url).await.bytes().await.unwrap().as_ref(), PNG);

    let id = pending(&n).await;
    let (_, _) = send_part(&n, &id, part(b"%PDF-1.4", "terms.pdf", "application/pdf")).await;
    let (status, body) = n
        .patch(
            &format!("/pages/{page}"),
            json!({"cover": {"type": "file_upload", "file_upload": {"id": id}}}),
        )
        .await;
    assert_validation(status, &body, "`image`");
    assert!(!sim.notion_file_upload(&id).unwrap().attached);

    let external =
        json!({"type": "pdf", "pdf": {"type": "external", "external": {"url": "https://example.com/a.pdf"}}});
    let (_, body) = append(&n, &page, json!([external])).await;
    let block = body["results"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = n
        .patch(
            &format!("/blocks/{block}"),
            json!({"pdf": {"type": "file_upload", "file_upload": {"id": id}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["pdf"]["type"], "file", "{body}");
    assert!(body["pdf"].get("external").is_none());
    assert!(sim.notion_file_upload(&id).unwrap().attached);
}

#[tokio::test]
async fn the_file_routes_have_route_keys() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let page = n.page_id("Onboarding Guide").await;
    let upload = uploaded_png(&n, "logo.png").await;
    n.get(&format!("/file_uploads/{upload}")).await;
    let (_, body) = append(&n, &page, json!([image_block(&upload)])).await;
    fetch_without_token(body["results"][0]["image"]["file"]["url"].as_str().unwrap()).await;
    let counters = sim.counters();
    for key in [
        provider_sim::routes::NOTION_CREATE_FILE_UPLOAD,
        provider_sim::routes::NOTION_SEND_FILE_UPLOAD,
        provider_sim::routes::NOTION_GET_FILE_UPLOAD,
        provider_sim::routes::NOTION_HOSTED_FILE,
    ] {
        assert_eq!(counters.route(key), 1, "{key}");
    }
    sim.set_fault(provider_sim::routes::NOTION_SEND_FILE_UPLOAD, provider_sim::Fault::status(503, 1));
    let id = pending(&n).await;
    let (status, body) = send_part(&n, &id, part(PNG, "logo.png", "image/png")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("service_unavailable"))
    );
    assert_eq!(sim.notion_file_upload(&id).unwrap().status, "pending");
}

#[tokio::test]
async fn a_single_part_send_stops_at_20_mib_even_in_a_paid_workspace() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    sim.set_notion_paid_plan(true);
    for size in [20 * 1024 * 1024 + 1, 22 * 1024 * 1024] {
        let id = pending(&n).await;
        let (status, body) = send_part(&n, &id, part(&vec![b'a'; size], "big.txt", "text/plain")).await;
        assert_validation(status, &body, "multi_part");
        assert_eq!(sim.notion_file_upload(&id).unwrap().status, "pending");
    }
}
