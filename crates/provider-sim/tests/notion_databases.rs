//! Databases and data sources: version split, schema, queries with filters and sorts, rows.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().unwrap_or_else(|| panic!("a list: {body}"))
}

async fn database_id(n: &Notion) -> String {
    let ds = n.tasks_data_source().await;
    let (_, source) = n.get(&format!("/data_sources/{ds}")).await;
    source["parent"]["database_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_2025_database_lists_its_data_sources_and_an_old_one_carries_the_schema() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let db = database_id(&n).await;
    let (status, new) = n.get(&format!("/databases/{db}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(new["object"], "database");
    assert_eq!(new["data_sources"], json!([{"id": ds, "name": "Tasks"}]));
    assert!(new.get("properties").is_none());
    let (_, old) = n.with_version("2022-06-28").get(&format!("/databases/{db}")).await;
    assert!(old.get("data_sources").is_none());
    assert_eq!(old["properties"]["Status"]["type"], "status");
}

#[tokio::test]
async fn a_data_source_has_the_schema() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let (status, source) = n.get(&format!("/data_sources/{ds}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(source["object"], "data_source");
    assert_eq!(source["parent"]["type"], "database_id");
    let props = source["properties"].as_object().unwrap();
    for (name, kind) in [
        ("Name", "title"),
        ("Status", "status"),
        ("Assignee", "people"),
        ("Due", "date"),
        ("Priority", "select"),
        ("Tags", "multi_select"),
        ("Estimate", "number"),
        ("Blocked", "checkbox"),
    ] {
        assert_eq!(props[name]["type"], kind, "{name}");
    }
    assert_eq!(props["Status"]["status"]["options"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn data_source_routes_need_2025_09_03_and_database_query_predates_it() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let db = database_id(&n).await;
    let old = n.with_version("2022-06-28");
    for (status, err) in [
        old.get(&format!("/data_sources/{ds}")).await,
        old.post(&format!("/data_sources/{ds}/query"), json!({})).await,
        n.post(&format!("/databases/{db}/query"), json!({})).await,
    ] {
        assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request_url")));
    }
    let (status, rows) = old.post(&format!("/databases/{db}/query"), json!({"page_size": 5})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows["type"], "page_or_database");
    assert_eq!(results(&rows).len(), 5);
    assert_eq!(results(&rows)[0]["parent"], json!({"type": "database_id", "database_id": db}));
}

#[tokio::test]
async fn querying_a_data_source_filters_sorts_and_paginates() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let (status, all) = n.post(&format!("/data_sources/{ds}/query"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["type"], "page_or_data_source");
    let rows = results(&all);
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0]["parent"]["data_source_id"], ds.as_str());
    let done = rows.iter().filter(|r| r["properties"]["Status"]["status"]["name"] == "Done").count();
    let (_, filtered) = n
        .post(
            &format!("/data_sources/{ds}/query"),
            json!({"filter": {"property": "Status", "status": {"equals": "Done"}}}),
        )
        .await;
    assert_eq!(results(&filtered).len(), done);
    let (_, sorted) = n
        .post(&format!("/data_sources/{ds}/query"), json!({
            "filter": {"and": [{"property": "Estimate", "number": {"greater_than": 2}}, {"property": "Blocked", "checkbox": {"equals": false}}]},
            "sorts": [{"property": "Estimate", "direction": "descending"}],
        }))
        .await;
    let estimates: Vec<f64> =
        results(&sorted).iter().map(|r| r["properties"]["Estimate"]["number"].as_f64().unwrap()).collect();
    assert!(!estimates.is_empty() && estimates.iter().all(|e| *e > 2.0));
    assert!(estimates.windows(2).all(|w| w[0] >= w[1]));
    let (_, page) = n.post(&format!("/data_sources/{ds}/query"), json!({"page_size": 10})).await;
    assert_eq!((results(&page).len(), page["has_more"].as_bool()), (10, Some(true)));
    let (_, rest) = n
        .post(
            &format!("/data_sources/{ds}/query"),
            json!({"page_size": 100, "start_cursor": page["next_cursor"]}),
        )
        .await;
    assert_eq!((results(&rest).len(), rest["has_more"].as_bool()), (15, Some(false)));
}

#[tokio::test]
async fn text_people_and_date_filters_work() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let (_, hits) = n
        .post(
            &format!("/data_sources/{ds}/query"),
            json!({"filter": {"property": "Name", "title": {"contains": "roadmap"}}}),
        )
        .await;
    assert_eq!(results(&hits).len(), 1);
    assert_eq!(page_title(&results(&hits)[0]), "Write the Q2 roadmap");
    let ada = sim.issue_notion_grant("ada").owner["user"]["id"].as_str().unwrap().to_string();
    let (_, mine) = n
        .post(
            &format!("/data_sources/{ds}/query"),
            json!({"filter": {"property": "Assignee", "people": {"contains": ada}}}),
        )
        .await;
    assert!(results(&mine).iter().all(|r| r["properties"]["Assignee"]["people"][0]["id"] == ada.as_str()));
    let (_, early) = n
        .post(
            &format!("/data_sources/{ds}/query"),
            json!({"filter": {"property": "Due", "date": {"before": "2025-01-20"}}}),
        )
        .await;
    assert!(
        results(&early)
            .iter()
            .all(|r| r["properties"]["Due"]["date"]["start"].as_str().unwrap() < "2025-01-20")
    );
    assert!(!results(&early).is_empty());
}

#[tokio::test]
async fn bad_filters_are_validation_errors() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let (status, err) = n
        .post(
            &format!("/data_sources/{ds}/query"),
            json!({"filter": {"property": "Colour", "select": {"equals": "red"}}}),
        )
        .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    assert_eq!(err["message"], "Could not find property with name or id: Colour");
    let (status, _) = n
        .post(
            &format!("/data_sources/{ds}/query"),
            json!({"filter": {"property": "Status", "status": {"bigger_than": 1}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = n.post(&format!("/data_sources/{ds}/query"), json!({"page_size": 101})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_row_created_in_a_data_source_gets_every_property() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let (status, row) = n
        .post(
            "/pages",
            json!({"parent": {"data_source_id": ds}, "properties": {
                "Name": {"title": [{"text": {"content": "Ship the simulator"}}]},
                "Status": {"status": {"name": "In progress"}},
                "Tags": {"multi_select": [{"name": "Engineering"}, {"name": "Brand new"}]},
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["parent"]["type"], "data_source_id");
    assert_eq!(row["parent"]["data_source_id"], ds.as_str());
    assert_eq!(row["properties"]["Status"]["status"]["name"], "In progress");
    assert_eq!(row["properties"]["Tags"]["multi_select"][1]["name"], "Brand new");
    assert_eq!(row["properties"]["Estimate"]["number"], Value::Null);
    assert_eq!(row["properties"]["Blocked"]["checkbox"], false);
    let (_, found) = n
        .post(
            &format!("/data_sources/{ds}/query"),
            json!({"filter": {"property": "Name", "title": {"equals": "Ship the simulator"}}}),
        )
        .await;
    assert_eq!(results(&found).len(), 1);
}

#[tokio::test]
async fn rows_are_validated_against_the_schema() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let (status, err) = n
        .post(
            "/pages",
            json!({"parent": {"data_source_id": ds}, "properties": {"Colour": {"select": {"name": "red"}}}}),
        )
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Colour is not a property that exists."))
    );
    let (status, err) = n
        .post(
            "/pages",
            json!({"parent": {"data_source_id": ds}, "properties": {"Estimate": {"rich_text": []}}}),
        )
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Estimate is expected to be number."))
    );
    let (status, err) =
        n.post("/pages", json!({"parent": {"data_source_id": "00000000-0000-4000-8000-000000000000"}})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::NOT_FOUND, Some("object_not_found")));
}

#[tokio::test]
async fn old_versions_create_rows_with_a_database_parent() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let db = database_id(&n).await;
    let old = n.with_version("2022-06-28");
    let (status, row) = old.post("/pages", json!({"parent": {"database_id": db}, "properties": {"Name": {"title": [{"text": {"content": "Old style"}}]}}})).await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["parent"], json!({"type": "database_id", "database_id": db}));
    let ds = n.tasks_data_source().await;
    let (status, _) = old.post("/pages", json!({"parent": {"data_source_id": ds}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "data_source_id parents need 2025-09-03");
}

#[tokio::test]
async fn a_page_property_can_be_read_on_its_own() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let (_, rows) = n.post(&format!("/data_sources/{ds}/query"), json!({"page_size": 1})).await;
    let row = &results(&rows)[0];
    let id = row["id"].as_str().unwrap();
    let (status, status_prop) = n.get(&format!("/pages/{id}/properties/s%5CJT")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_prop["object"], "property_item");
    assert_eq!(status_prop["type"], "status");
    let (_, title) = n.get(&format!("/pages/{id}/properties/title")).await;
    assert_eq!(title["object"], "list");
    assert_eq!(title["results"][0]["type"], "title");
}
