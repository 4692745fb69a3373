//! Jira issue attachments: the multipart upload behind Jira's XSRF check, the size limit,
//! metadata, content (303 to a media URL, or the bytes with `redirect=false`), thumbnails,
//! removal, scopes, the seeded files, JQL `attachments`, and the state file.

mod common;

use common::*;
use provider_sim::{Fault, SimConfig, routes};
use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};

const TOKEN: &str = "X-Atlassian-Token";

fn part(name: &str, mime: &str, bytes: &[u8]) -> Part {
    Part::bytes(bytes.to_vec()).file_name(name.to_string()).mime_str(mime).unwrap()
}

fn form(files: &[(&str, &str, &[u8])]) -> Form {
    files.iter().fold(Form::new(), |f, (name, mime, bytes)| f.part("file", part(name, mime, bytes)))
}

async fn upload(jira: &Jira, key: &str, form: Form) -> (StatusCode, Value) {
    send(
        jira.req(Method::POST, &format!("/issue/{key}/attachments"))
            .header(TOKEN, "no-check")
            .multipart(form),
    )
    .await
}

async fn attachment_field(jira: &Jira, key: &str) -> Vec<Value> {
    let (status, issue) = jira.get(&format!("/issue/{key}?fields=attachment")).await;
    assert_eq!(status, StatusCode::OK, "{issue}");
    issue["fields"]["attachment"].as_array().unwrap().clone()
}

async fn keys_of(jira: &Jira, jql: &str) -> Vec<String> {
    let (status, body) =
        jira.post("/search/jql", json!({"jql": jql, "fields": ["key"], "maxResults": 100})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["issues"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_seeded_issue_has_a_note_and_a_png() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let held = sim.jira_attachments("PLAT-3");
    let names: Vec<(&str, &str)> = held.iter().map(|a| (a.filename.as_str(), a.mime_type.as_str())).collect();
    assert_eq!(names, [("notes.txt", "text/plain"), ("diagram.png", "image/png")]);
    assert!(String::from_utf8(held[0].bytes.clone()).unwrap().contains("staging"));
    let png = &held[1].bytes;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 16);

    let field = attachment_field(&jira, "PLAT-3").await;
    assert_eq!(field.len(), 2);
    let (note, image) = (&field[0], &field[1]);
    assert_eq!(note["id"], json!(held[0].id));
    assert_eq!(note["filename"], "notes.txt");
    assert_eq!(note["mimeType"], "text/plain");
    assert_eq!(note["size"], held[0].bytes.len());
    assert_eq!(note["self"], jira_url(&sim, &format!("/attachment/{}", held[0].id)));
    assert_eq!(note["content"], jira_url(&sim, &format!("/attachment/content/{}", held[0].id)));
    assert!(note.get("thumbnail").is_none(), "a text file has no thumbnail");
    assert_eq!(image["thumbnail"], jira_url(&sim, &format!("/attachment/thumbnail/{}", held[1].id)));
    assert_eq!(note["author"]["accountId"], json!(held[0].author));
    assert!(note["author"]["displayName"].is_string() && note["created"].is_string());
    // All fields by default; other issues have none.
    let (_, issue) = jira.get("/issue/PLAT-3").await;
    assert_eq!(issue["fields"]["attachment"].as_array().unwrap().len(), 2);
    assert_eq!(attachment_field(&jira, "PLAT-1").await, Vec::<Value>::new());
    // `fields` rules as elsewhere: not asked, not there.
    let (_, issue) = jira.get("/issue/PLAT-3?fields=summary").await;
    assert!(issue["fields"].get("attachment").is_none());

    assert_eq!(keys_of(&jira, "attachments IS NOT EMPTY").await, ["PLAT-3"]);
    let empty = keys_of(&jira, "project = PLAT AND attachments IS EMPTY").await;
    assert_eq!(empty.len(), 23);
    assert!(!empty.contains(&"PLAT-3".to_string()));
}

#[tokio::test]
async fn an_upload_stores_every_file_part_and_answers_the_new_attachments() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let png = sim.jira_attachments("PLAT-3")[1].bytes.clone();
    let files: &[(&str, &str, &[u8])] =
        &[("report.csv", "text/csv", b"a,b\n1,2\n"), ("shot.png", "image/png", &png)];
    let updated = sim.jira_issue("PLAT-5").unwrap()["fields"]["updated"].clone();
    // A part of another name is not a file.
    let with_text = form(files).text("comment", "ignored");
    let (status, body) = upload(&jira, "PLAT-5", with_text).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let added = body.as_array().unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(added[0]["filename"], "report.csv");
    assert_eq!(added[0]["mimeType"], "text/csv");
    assert_eq!(added[0]["size"], 8);
    assert_eq!(added[0]["author"]["accountId"], ADA);
    assert!(added[0]["id"].is_string());
    assert!(added[1]["thumbnail"].is_string());

    let held = sim.jira_attachments("PLAT-5");
    assert_eq!(held.len(), 2);
    assert_eq!(
        (held[0].id.as_str(), held[0].bytes.as_slice()),
        (added[0]["id"].as_str().unwrap(), &b"a,b\n1,2\n"[..])
    );
    assert_eq!(held[1].bytes, png);
    assert_eq!(held[1].author, ADA);
    assert_eq!(attachment_field(&jira, "PLAT-5").await, added.clone());
    assert_eq!(sim.counters().route(routes::JIRA_ADD_ATTACHMENTS), 1);
    assert_ne!(sim.jira_issue("PLAT-5").unwrap()["fields"]["updated"], updated, "the issue was updated");
    // The route key takes faults: the handler does not run.
    sim.set_fault(routes::JIRA_ADD_ATTACHMENTS, Fault::status(503, 1));
    let (status, _) = upload(&jira, "PLAT-5", form(files)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(sim.jira_attachments("PLAT-5").len(), 2);

    // The bytes come back as they went, with their type.
    let id = added[0]["id"].as_str().unwrap();
    let resp =
        jira.req(Method::GET, &format!("/attachment/content/{id}?redirect=false")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/csv");
    assert_eq!(resp.headers()["content-length"], "8");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"a,b\n1,2\n");
    // A part without a type (or a generic one) gets one from its name.
    let form = Form::new().part("file", Part::bytes(b"hello".to_vec()).file_name("hello.txt"));
    let (status, body) = upload(&jira, "PLAT-5", form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["mimeType"], "text/plain");
}

#[tokio::test]
async fn without_the_xsrf_header_the_upload_is_blocked_and_nothing_is_stored() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let files: &[(&str, &str, &[u8])] = &[("a.txt", "text/plain", b"a")];
    let resp =
        jira.req(Method::POST, "/issue/PLAT-5/attachments").multipart(form(files)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(resp.text().await.unwrap(), "XSRF check failed");
    let resp = jira
        .req(Method::POST, "/issue/PLAT-5/attachments")
        .header(TOKEN, "check")
        .multipart(form(files))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(sim.jira_attachments("PLAT-5").is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_multipart_or_has_no_file_is_refused() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, body) = send(
        jira.req(Method::POST, "/issue/PLAT-5/attachments")
            .header(TOKEN, "no-check")
            .json(&json!({"file": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["errorMessages"], json!(["Unsupported Media Type"]));
    let (status, body) = upload(&jira, "PLAT-5", Form::new().text("file", "not a file")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errorMessages"][0].as_str().unwrap().contains("'file'"), "{body}");
    assert!(body["errors"].is_object());
    let files: &[(&str, &str, &[u8])] = &[("a.txt", "text/plain", b"a")];
    let (status, body) = upload(&jira, "PLAT-9999", form(files)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["errorMessages"],
        json!(["Issue does not exist or you do not have permission to see it."])
    );
    assert!(sim.jira_attachments("PLAT-5").is_empty());
}

#[tokio::test]
async fn a_file_over_the_limit_is_413_and_none_of_the_upload_is_stored() {
    let sim = sim_with(SimConfig { jira_attachment_max_bytes: 1024, ..Default::default() }).await;
    let jira = Jira::new(&sim).await;
    let (status, meta) = jira.get("/attachment/meta").await;
    assert_eq!((status, meta), (StatusCode::OK, json!({"enabled": true, "uploadLimit": 1024})));
    let small = vec![b'a'; 10];
    let big = vec![b'b'; 1025];
    let files: &[(&str, &str, &[u8])] =
        &[("small.txt", "text/plain", &small), ("big.bin", "application/octet-stream", &big)];
    let (status, body) = upload(&jira, "PLAT-5", form(files)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["errorMessages"][0].as_str().unwrap().contains("big.bin"), "{body}");
    assert!(body["errors"].is_object());
    assert!(sim.jira_attachments("PLAT-5").is_empty());
    // More than 60 files at once are refused too.
    let many: Vec<(String, Vec<u8>)> = (0..61).map(|i| (format!("f{i}.txt"), vec![b'x'])).collect();
    let files: Vec<(&str, &str, &[u8])> =
        many.iter().map(|(n, b)| (n.as_str(), "text/plain", b.as_slice())).collect();
    let (status, body) = upload(&jira, "PLAT-5", form(&files)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(sim.jira_attachments("PLAT-5").is_empty());
    // Exactly the limit is fine.
    let exact = vec![b'c'; 1024];
    let (status, _) =
        upload(&jira, "PLAT-5", form(&[("exact.bin", "application/octet-stream", &exact)])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.jira_attachments("PLAT-5")[0].bytes.len(), 1024);
}

#[tokio::test]
async fn a_file_of_the_default_limit_gets_through_the_body_limit() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let max = SimConfig::JIRA_ATTACHMENT_MAX_BYTES as usize;
    let bytes: Vec<u8> = (0..max).map(|i| (i % 251) as u8).collect();
    let (status, body) =
        upload(&jira, "PLAT-5", form(&[("big.bin", "application/octet-stream", &bytes)])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["size"], max);
    assert_eq!(sim.jira_attachments("PLAT-5")[0].bytes, bytes);
    let over = vec![0u8; max + 1];
    let (status, _) = upload(&jira, "PLAT-5", form(&[("over.bin", "application/octet-stream", &over)])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(sim.jira_attachments("PLAT-5").len(), 1);
}

#[tokio::test]
async fn content_redirects_to_a_media_url_that_serves_the_bytes_without_a_bearer() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let png = sim.jira_attachments("PLAT-3")[1].clone();
    let resp = jira.req(Method::GET, &format!("/attachment/content/{}", png.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{}/sim-media/attachment/{}/", sim.base_url(), png.id)),
        "{location}"
    );
    let resp = client().get(&location).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["content-length"], png.bytes.len().to_string().as_str());
    assert_eq!(resp.bytes().await.unwrap().to_vec(), png.bytes);
    assert_eq!(sim.counters().route(routes::SIM_MEDIA_ATTACHMENT), 1);
    // `redirect=true` is the default's redirect.
    let resp =
        jira.req(Method::GET, &format!("/attachment/content/{}?redirect=true", png.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // Another secret, another id.
    let (base, _) = location.rsplit_once('/').unwrap();
    let (status, _) = send(client().get(format!("{base}/not-the-secret"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(client().get(format!("{}/sim-media/attachment/99999/x", sim.base_url()))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The thumbnail of an image is the image; of a text file Jira's default thumbnail, or
    // nothing with `fallbackToDefault=false`.
    let resp = jira
        .req(Method::GET, &format!("/attachment/thumbnail/{}?redirect=false", png.id))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().to_vec(), png.bytes);
    let note = &sim.jira_attachments("PLAT-3")[0];
    let resp = jira.req(Method::GET, &format!("/attachment/thumbnail/{}", note.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let resp = client().get(&location).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    let icon = resp.bytes().await.unwrap();
    assert_eq!(&icon[..8], b"\x89PNG\r\n\x1a\n");
    let resp = jira
        .req(Method::GET, &format!("/attachment/thumbnail/{}?redirect=false", note.id))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.unwrap(), icon);
    let (status, body) =
        jira.get(&format!("/attachment/thumbnail/{}?fallbackToDefault=false", note.id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["errorMessages"].is_array());
    let (status, body) = jira.get("/attachment/content/99999?redirect=false").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errorMessages"], json!(["The attachment with id '99999' does not exist"]));
}

#[tokio::test]
async fn metadata_and_removal() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let note = sim.jira_attachments("PLAT-3")[0].clone();
    let (status, meta) = jira.get(&format!("/attachment/{}", note.id)).await;
    assert_eq!(status, StatusCode::OK, "{meta}");
    assert_eq!(meta["id"], json!(note.id.parse::<u64>().unwrap()), "AttachmentMetadata.id is a number");
    assert_eq!(meta["filename"], "notes.txt");
    assert_eq!(meta["mimeType"], "text/plain");
    assert_eq!(meta["size"], note.bytes.len());
    assert_eq!(meta["content"], jira_url(&sim, &format!("/attachment/content/{}", note.id)));
    assert_eq!(meta["author"]["accountId"], json!(note.author));
    assert_eq!(meta["properties"], json!({}));
    for unknown in ["99999", "abc"] {
        let (status, body) = jira.get(&format!("/attachment/{unknown}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body["errorMessages"],
            json!([format!("The attachment with id '{unknown}' does not exist")])
        );
    }

    let (status, _) = send(jira.req(Method::DELETE, &format!("/attachment/{}", note.id))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let left = sim.jira_attachments("PLAT-3");
    assert_eq!(left.iter().map(|a| a.filename.as_str()).collect::<Vec<_>>(), ["diagram.png"]);
    assert_eq!(attachment_field(&jira, "PLAT-3").await.len(), 1);
    let (status, _) = jira.get(&format!("/attachment/{}", note.id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(jira.req(Method::DELETE, &format!("/attachment/{}", note.id))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(sim.counters().route(routes::JIRA_DELETE_ATTACHMENT), 2);
}

#[tokio::test]
async fn reads_need_read_jira_work_and_changes_write_jira_work() {
    let sim = sim().await;
    let reader = Jira { sim: sim.clone(), token: sim.issue_jira_grant(ADA, "read:jira-work").access_token };
    let note = sim.jira_attachments("PLAT-3")[0].clone();
    let (status, _) = reader.get(&format!("/attachment/{}", note.id)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = reader.get(&format!("/attachment/content/{}?redirect=false", note.id)).await;
    assert_eq!(status, StatusCode::OK);
    let files: &[(&str, &str, &[u8])] = &[("a.txt", "text/plain", b"a")];
    let (status, body) = upload(&reader, "PLAT-5", form(files)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Unauthorized; scope does not match");
    let (status, _) = send(reader.req(Method::DELETE, &format!("/attachment/{}", note.id))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(sim.jira_attachments("PLAT-5").is_empty());
    assert_eq!(sim.jira_attachments("PLAT-3").len(), 2);

    let user_only =
        Jira { sim: sim.clone(), token: sim.issue_jira_grant(ADA, "read:jira-user").access_token };
    let (status, _) = user_only.get(&format!("/attachment/{}", note.id)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Granular scopes of the same kind do too.
    let granular = Jira {
        sim: sim.clone(),
        token: sim.issue_jira_grant(ADA, "read:attachment:jira write:attachment:jira").access_token,
    };
    let (status, _) = upload(&granular, "PLAT-5", form(files)).await;
    assert_eq!(status, StatusCode::OK);
    // The granular scope of a removal is `delete:attachment:jira`.
    let deleter =
        Jira { sim: sim.clone(), token: sim.issue_jira_grant(ADA, "delete:attachment:jira").access_token };
    let (status, _) = upload(&deleter, "PLAT-5", form(files)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(deleter.req(Method::DELETE, &format!("/attachment/{}", note.id))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(sim.jira_attachments("PLAT-3").len(), 1);
}

#[tokio::test]
async fn attachments_survive_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim.json");
    let config = || SimConfig { state_file: Some(file.clone()), ..Default::default() };
    let sim = sim_with(config()).await;
    let jira = Jira::new(&sim).await;
    let bytes: Vec<u8> = (0..=255u8).collect();
    let (status, _) = upload(&jira, "PLAT-5", form(&[("all.bin", "application/octet-stream", &bytes)])).await;
    assert_eq!(status, StatusCode::OK);
    let before = sim.jira_attachments("PLAT-5");
    sim.shutdown().await;

    let sim = sim_with(config()).await;
    assert_eq!(sim.jira_attachments("PLAT-5"), before);
    assert_eq!(sim.jira_attachments("PLAT-3").len(), 2);
    // New ids carry on after the kept ones.
    let jira = Jira::new(&sim).await;
    let (_, body) = upload(&jira, "PLAT-5", form(&[("b.txt", "text/plain", b"b")])).await;
    assert_ne!(body[0]["id"].as_str().unwrap(), before[0].id);
}
