//! Enhanced JQL search: token pagination, field selection, the JQL subset, errors, 410.

mod common;

use std::collections::HashSet;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn keys(body: &Value) -> Vec<String> {
    body["issues"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn pages_follow_next_page_token_until_is_last() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body =
            json!({"jql": "project = PLAT ORDER BY key ASC", "maxResults": 10, "fields": ["summary"]});
        if let Some(t) = &token {
            body["nextPageToken"] = json!(t);
        }
        let (status, page) = jira.post("/search/jql", body).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.get("total").is_none(), "enhanced search has no total");
        seen.extend(keys(&page));
        pages += 1;
        if page["isLast"] == true {
            assert!(page.get("nextPageToken").is_none());
            break;
        }
        token = Some(page["nextPageToken"].as_str().unwrap().to_string());
        assert!(pages < 10, "bounded");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 24);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 24);
    assert_eq!(seen[0], "PLAT-1");
    assert_eq!(seen[23], "PLAT-24");
}

#[tokio::test]
async fn get_search_takes_the_same_parameters_in_the_query_string() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, page) =
        jira.get("/search/jql?jql=project%20%3D%20MOB&maxResults=5&fields=summary,status").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["issues"].as_array().unwrap().len(), 5);
    let fields = page["issues"][0]["fields"].as_object().unwrap();
    assert_eq!(fields.len(), 2);
    let token = page["nextPageToken"].as_str().unwrap();
    let (status, next) =
        jira.get(&format!("/search/jql?jql=project%20%3D%20MOB&maxResults=5&nextPageToken={token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(keys(&next).iter().all(|k| !keys(&page).contains(k)));
}

#[tokio::test]
async fn without_fields_only_id_key_and_self_come_back() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, page) = jira.post("/search/jql", json!({"jql": "project = OPS"})).await;
    let issue = &page["issues"][0];
    assert!(issue["id"].is_string() && issue["key"].is_string() && issue["self"].is_string());
    assert!(issue["fields"].as_object().is_none_or(|f| f.is_empty()));
    assert_eq!(page["issues"].as_array().unwrap().len(), 16, "default maxResults 50 covers OPS");
}

#[tokio::test]
async fn project_and_status_clauses_filter_exactly() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, page) = jira.post("/search/jql", json!({"jql": r#"project = PLAT AND status = "In Progress""#, "fields": ["status", "project"], "maxResults": 100})).await;
    let issues = page["issues"].as_array().unwrap();
    assert!(!issues.is_empty());
    for i in issues {
        assert_eq!(i["fields"]["status"]["name"], "In Progress");
        assert_eq!(i["fields"]["project"]["key"], "PLAT");
    }
    let (_, all) = jira
        .post("/search/jql", json!({"jql": "project = PLAT", "fields": ["status"], "maxResults": 100}))
        .await;
    let expected = all["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["fields"]["status"]["name"] == "In Progress")
        .count();
    assert_eq!(issues.len(), expected);
}

#[tokio::test]
async fn current_user_and_order_by_created_desc_work() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, page) = jira.post("/search/jql", json!({"jql": "assignee = currentUser() ORDER BY created DESC", "fields": ["assignee", "created"], "maxResults": 100})).await;
    let issues = page["issues"].as_array().unwrap();
    assert!(!issues.is_empty());
    assert!(issues.iter().all(|i| i["fields"]["assignee"]["accountId"] == ADA));
    let created: Vec<&str> = issues.iter().map(|i| i["fields"]["created"].as_str().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
}

#[tokio::test]
async fn text_search_finds_words_in_summaries_descriptions_and_comments() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, page) = jira
        .post("/search/jql", json!({"jql": r#"text ~ "login""#, "fields": ["summary"], "maxResults": 100}))
        .await;
    let found = keys(&page);
    assert!(!found.is_empty());
    let (_, none) = jira.post("/search/jql", json!({"jql": r#"text ~ "xylophone""#})).await;
    assert!(none["issues"].as_array().unwrap().is_empty());
    assert_eq!(none["isLast"], true);
    jira.post("/issue/MOB-4/comment", json!({"body": adf("The xylophone module crashed")})).await;
    let (_, now) = jira.post("/search/jql", json!({"jql": r#"text ~ "xylophone""#})).await;
    assert_eq!(keys(&now), vec!["MOB-4"]);
}

#[tokio::test]
async fn new_issues_are_searchable_at_once() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, created) = jira
        .post("/issue", json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Rotate the zebra credentials"}}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, page) = jira.post("/search/jql", json!({"jql": r#"project = OPS AND summary ~ "zebra""#})).await;
    assert_eq!(keys(&page), vec![created["key"].as_str().unwrap().to_string()]);
}

#[tokio::test]
async fn unbounded_queries_are_refused() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let expected = json!({"errorMessages": ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."], "errors": {}});
    for jql in ["", "ORDER BY created DESC"] {
        assert_eq!(
            jira.post("/search/jql", json!({"jql": jql})).await,
            (StatusCode::BAD_REQUEST, expected.clone()),
            "{jql:?}"
        );
    }
}

#[tokio::test]
async fn jql_errors_use_jiras_messages() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let cases = [
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("status ~ Done", "The operator '~' is not supported by the 'status' field."),
        ("key = PLAT-999", "An issue with key 'PLAT-999' does not exist for field 'key'."),
    ];
    for (jql, message) in cases {
        let (status, body) = jira.post("/search/jql", json!({"jql": jql})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{jql}");
        assert_eq!(body["errorMessages"], json!([message]), "{jql}");
    }
    let (_, body) = jira.post("/search/jql", json!({"jql": "project PLAT"})).await;
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .starts_with("Error in the JQL Query: Expecting operator but got 'PLAT'.")
    );
}

#[tokio::test]
async fn a_page_token_only_works_for_its_own_query() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, page) = jira.post("/search/jql", json!({"jql": "project = PLAT", "maxResults": 5})).await;
    let token = page["nextPageToken"].as_str().unwrap();
    let (status, body) =
        jira.post("/search/jql", json!({"jql": "project = MOB", "nextPageToken": token})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errorMessages"][0].is_string());
}

#[tokio::test]
async fn approximate_count_matches_the_search() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, count) = jira
        .post("/search/approximate-count", json!({"jql": "project in (PLAT, MOB) AND status != Done"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = jira
        .post("/search/jql", json!({"jql": "project in (PLAT, MOB) AND status != Done", "maxResults": 100}))
        .await;
    assert_eq!(count["count"], page["issues"].as_array().unwrap().len());
}

#[tokio::test]
async fn the_old_search_endpoint_is_gone() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, body) = jira.get("/search?jql=project%3DPLAT").await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body["errorMessages"][0].as_str().unwrap().contains("/rest/api/3/search/jql"));
    assert_eq!(jira.post("/search", json!({"jql": "project = PLAT"})).await.0, StatusCode::GONE);
}

/// Issue 19 item 5: valid JQL from Jira's reference (fields, operators, functions, history
/// clauses, ordering) is answered 200, not 400.
#[tokio::test]
async fn the_full_jql_grammar_is_accepted() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let valid = [
        "created >= startOfDay()",
        "updated <= endOfWeek()",
        "created > startOfMonth(-1M) AND created < endOfMonth(\"+1\")",
        "created >= startOfYear(\"-1y\") OR due < endOfDay(\"+2w\")",
        "created >= startOfWeek(-1w) AND updated <= endOfYear()",
        "updated >= \"-4w 2d\" AND created < now()",
        "sprint in openSprints()",
        "sprint in closedSprints() OR sprint in futureSprints()",
        "status WAS \"In Progress\"",
        "status WAS IN (Done, \"In Progress\") BEFORE now()",
        "status WAS NOT Done AND project = PLAT",
        "status WAS NOT IN (Done) AFTER -3650d",
        "assignee WAS EMPTY",
        "assignee CHANGED",
        "status CHANGED FROM \"To Do\" TO \"In Progress\" AFTER \"2024-01-01\" BEFORE now()",
        "status CHANGED DURING (\"2024-01-01\", \"2030-12-31\") BY currentUser()",
        "status CHANGED ON \"2025-03-01\" OR priority CHANGED",
        "status in (Done, \"To Do\") AND key in (PLAT-1, PLAT-2, MOB-3)",
        "assignee in (currentUser(), membersOf(\"jira-software-users\"))",
        "issuetype in standardIssueTypes() OR issuetype in subtaskIssueTypes()",
        "component = API OR component in (iOS, Android) OR component is EMPTY",
        "fixVersion = \"1.0\" OR fixVersion in unreleasedVersions() OR fixVersion in releasedVersions(PLAT)",
        "fixVersion = latestReleasedVersion(PLAT) OR fixVersion = earliestUnreleasedVersion(MOB)",
        "affectedVersion is not EMPTY",
        "watcher = currentUser() AND watchers > 0",
        "voter = currentUser() OR votes >= 1",
        "issue in watchedIssues() OR issue in votedIssues() OR issue in issueHistory()",
        "issue in updatedBy(5b10a2844c20165700ede21g, \"-30d\") OR issue in linkedIssues(PLAT-1)",
        "project in projectsLeadByUser() OR project in projectsWhereUserHasPermission(\"Browse Projects\")",
        "component in componentsLeadByUser()",
        "priority >= High",
        "priority < Medium ORDER BY priority DESC, key ASC",
        "project = PLAT ORDER BY Rank ASC",
        "project = PLAT ORDER BY key",
        "environment ~ \"staging\" OR environment is EMPTY",
        "\"Epic Link\" is EMPTY AND parent is EMPTY",
        "cf[10020] in openSprints() ORDER BY cf[10019]",
        "resolution = Unresolved AND statusCategory != Done",
        "labels not in (backend) AND summary !~ \"zebra\"",
        "assignee is null AND reporter in membersOf(\"site-admins\")",
        "project = PLAT AND NOT status = Done ORDER BY updated DESC, created ASC",
    ];
    for jql in valid {
        let (status, body) = jira.post("/search/jql", json!({"jql": jql, "maxResults": 5})).await;
        assert_eq!(status, StatusCode::OK, "{jql}: {body}");
    }
}

/// What Jira rejects is still a 400 with Jira's message.
#[tokio::test]
async fn jql_rejections_keep_jiras_wording() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let cases = [
        ("created > nextTuesday()", "Unable to find JQL function 'nextTuesday()'."),
        ("created > now(1)", "Function 'now' expected '0' arguments but received '1'."),
        ("cf[99999] = x", "Field 'cf[99999]' does not exist or you do not have permission to view it."),
        (
            "assignee in membersOf(\"nosuchgroup\")",
            "Function 'membersOf' can not generate a list of usernames for group 'nosuchgroup'; the group does not exist.",
        ),
        ("summary CHANGED", "History searches do not support the 'summary' field."),
        ("project = PLAT ORDER BY text", "Field 'text' does not support sorting."),
    ];
    for (jql, message) in cases {
        let (status, body) = jira.post("/search/jql", json!({"jql": jql})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{jql}");
        assert_eq!(body["errorMessages"], json!([message]), "{jql}");
        assert_eq!(body["errors"], json!({}), "{jql}");
    }
    let (status, body) =
        jira.post("/search/jql", json!({"jql": "status WAS Done AND\n  project PLAT"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let m = body["errorMessages"][0].as_str().unwrap();
    assert!(m.starts_with("Error in the JQL Query: Expecting operator but got 'PLAT'."), "{m}");
    assert!(m.ends_with("(line 2, character 11)"), "{m}");
}

/// History clauses see the changes the simulator records when it changes an issue.
#[tokio::test]
async fn was_and_changed_see_recorded_transitions() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, created) = jira
        .post("/issue", json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "Walk the quokka"}}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let key = created["key"].as_str().unwrap().to_string();
    let find = |jql: String| {
        let jira = &jira;
        async move {
            let (status, page) = jira.post("/search/jql", json!({"jql": jql, "maxResults": 100})).await;
            assert_eq!(status, StatusCode::OK, "{jql}: {page}");
            keys(&page)
        }
    };
    let mine = |extra: &str| format!("summary ~ quokka AND {extra}");
    assert!(find(mine("status CHANGED")).await.is_empty());
    assert_eq!(find(mine("status WAS \"To Do\"")).await, vec![key.clone()]);
    assert_eq!(
        jira.post(&format!("/issue/{key}/transitions"), json!({"transition": {"id": "21"}})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        find(mine("status CHANGED FROM \"To Do\" TO \"In Progress\" BY currentUser()")).await,
        vec![key.clone()]
    );
    assert_eq!(find(mine("status WAS \"To Do\" AND status = \"In Progress\"")).await, vec![key.clone()]);
    assert!(find(mine("status WAS Done")).await.is_empty());
    assert!(find(mine("status CHANGED BEFORE \"2020-01-01\"")).await.is_empty());
    assert!(find(mine("status CHANGED TO Done")).await.is_empty());
    assert_eq!(
        jira.put(&format!("/issue/{key}/assignee"), json!({"accountId": GRACE})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(find(mine("assignee CHANGED FROM EMPTY TO \"Grace Hopper\"")).await, vec![key.clone()]);
    assert_eq!(find(mine("assignee WAS EMPTY AND assignee WAS NOT currentUser()")).await, vec![key.clone()]);
}

/// The values the new fields search are in the issues' answers.
#[tokio::test]
async fn searched_sprints_versions_components_and_watches_are_rendered() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let jql = "sprint in openSprints() AND fixVersion is not EMPTY AND component is not EMPTY";
    let fields = ["components", "fixVersions", "customfield_10020", "watches", "votes", "environment"];
    let (status, page) =
        jira.post("/search/jql", json!({"jql": jql, "fields": fields, "maxResults": 100})).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let issues = page["issues"].as_array().unwrap();
    assert!(!issues.is_empty());
    for i in issues {
        let f = &i["fields"];
        assert!(f["customfield_10020"].as_array().unwrap().iter().any(|s| s["state"] == "active"), "{f}");
        assert!(f["fixVersions"][0]["name"].is_string() && f["fixVersions"][0]["released"].is_boolean());
        assert!(f["components"][0]["name"].is_string());
        assert!(f["watches"]["watchCount"].as_u64().unwrap() >= 1);
        assert!(f["votes"]["votes"].is_u64());
        assert!(f["environment"].is_null() || f["environment"]["type"] == "doc");
    }
    let (_, watched) = jira
        .post(
            "/search/jql",
            json!({"jql": "watcher = currentUser()", "fields": ["watches"], "maxResults": 100}),
        )
        .await;
    let watched = watched["issues"].as_array().unwrap();
    assert!(!watched.is_empty());
    assert!(watched.iter().all(|i| i["fields"]["watches"]["isWatching"] == true));
}
