//! `MCPSERVER_PROXY_MAX_RESPONSE_BYTES` bounds every provider answer read, through the proxy
//! and through the tools alike (issue 17 item 4): a larger answer is `provider_error` naming
//! the setting, never read whole into memory.

mod support;

use serde_json::json;
use support::mcp::{call, connect, ok, text};
use support::world::{Options, World};

const LIMIT: &str = "65536";

#[tokio::test]
async fn answers_over_the_limit_are_refused_by_the_tools_and_the_proxy() {
    let options =
        Options { flags: vec!["--proxy-max-response-bytes".into(), LIMIT.into()], ..Default::default() };
    let world = World::start_with(options).await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let client = connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await;
    // Three comments of 30 000 characters: their page is about 90 KB, over the 64 KiB limit.
    let long = "word ".repeat(6000);
    for _ in 0..3 {
        ok(&client, "jira_add_comment", json!({"issue_key": "PLAT-2", "body": long})).await;
    }
    // A small answer still passes.
    ok(&client, "jira_get_comments", json!({"issue_key": "PLAT-2", "limit": 1})).await;

    let result = call(&client, "jira_get_comments", json!({"issue_key": "PLAT-2", "limit": 3})).await;
    assert_eq!(result.is_error, Some(true), "{}", text(&result));
    let error = &result.structured_content.as_ref().unwrap()["error"];
    assert_eq!(error["code"], "provider_error");
    assert!(error["message"].as_str().unwrap().contains("MCPSERVER_PROXY_MAX_RESPONSE_BYTES"), "{error}");

    let response = world
        .http
        .post(world.server.url("/api/jira/proxy"))
        .bearer_auth(world.jwt("alice", &[]))
        .json(&json!({"method": "GET", "path": "/rest/api/3/issue/PLAT-2/comment", "query": {"maxResults": "3"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("MCPSERVER_PROXY_MAX_RESPONSE_BYTES"),
        "{body}"
    );
}
