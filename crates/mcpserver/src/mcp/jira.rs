//! Jira tools: JQL search, issues, comments, transitions, assignment, projects, users, sites.

use super::context::{Call, ToolContext, ToolError, ToolOutput, text};
use crate::markdown::adf::{adf_to_markdown, markdown_to_adf};
use crate::store::{Connection, Provider};
use axum::http::Method;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// The fields `jira_search` asks Jira for: exactly those its summaries show (each field more
/// is more for Jira to gather and for us to parse; `fields` adds the caller's own).
pub const SEARCH_FIELDS: &str = "summary,status,assignee,priority,issuetype,updated";
/// The fields `jira_get_issue` asks for: the summary ones plus the details it shows.
pub const ISSUE_FIELDS: &str =
    "summary,status,assignee,priority,issuetype,updated,description,labels,reporter,created,parent";

fn jira(path: impl Into<String>) -> Call<'static> {
    Call::get(Provider::Jira, format!("/rest/api/3{}", path.into()))
}

/// An issue key such as `ENG-12` (or a numeric id), checked so it cannot alter the path.
fn issue_key(key: &str) -> Result<String, ToolError> {
    let key = key.trim();
    let valid = !key.is_empty()
        && key.len() <= 64
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(key.to_ascii_uppercase())
    } else {
        Err(ToolError::invalid("issue_key must look like ENG-12"))
    }
}

fn site_url(connection: &Connection, site: Option<&str>) -> String {
    crate::tokens::pick_site(connection, site)
        .map(|s| s.url.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

/// The parts of an issue that a summary shows, read straight from Jira's JSON.
#[derive(Deserialize)]
struct IssueSummary {
    key: String,
    #[serde(default)]
    fields: SummaryFields,
}

/// The fields tools read from an issue (`SEARCH_FIELDS` and `ISSUE_FIELDS`); absent ones stay
/// `None`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SummaryFields {
    summary: Option<String>,
    status: Option<Named>,
    issuetype: Option<Named>,
    priority: Option<Named>,
    assignee: Option<Person>,
    updated: Option<String>,
    /// ADF.
    description: Option<Value>,
    labels: Option<Value>,
    reporter: Option<Person>,
    created: Option<String>,
    parent: Option<KeyOnly>,
}

#[derive(Deserialize)]
struct KeyOnly {
    #[serde(default)]
    key: Option<String>,
}

/// A comment as `GET …/comment` lists it, the parts a tool shows.
#[derive(Deserialize)]
struct CommentDoc {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    author: Option<Person>,
    #[serde(default)]
    created: Option<String>,
    /// ADF.
    #[serde(default)]
    body: Value,
}

#[derive(Deserialize)]
struct CommentPage {
    #[serde(default)]
    comments: Vec<CommentDoc>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Person {
    #[serde(default, rename = "displayName")]
    display_name: Option<String>,
}

/// A page of `POST /search/jql` whose issues hold only the summary fields.
#[derive(Deserialize)]
struct SummaryPage {
    #[serde(default)]
    issues: Vec<IssueSummary>,
    #[serde(default, rename = "nextPageToken")]
    next_page_token: Option<String>,
    #[serde(default, rename = "isLast")]
    is_last: Option<bool>,
}

impl IssueSummary {
    /// The summary object the tools return.
    fn to_json(&self, base: &str) -> Value {
        let f = &self.fields;
        let name = |n: &Option<Named>| n.as_ref().and_then(|n| n.name.clone());
        json!({
            "key": self.key,
            "summary": f.summary,
            "status": name(&f.status),
            "type": name(&f.issuetype),
            "priority": name(&f.priority),
            "assignee": f.assignee.as_ref().and_then(|a| a.display_name.clone()),
            "updated": f.updated,
            "url": format!("{base}/browse/{}", self.key),
        })
    }
}

/// A compact issue summary of a whole issue (the search path with extra fields): the same
/// object as [`IssueSummary::to_json`], read from the tree.
fn summarize(issue: &Value, base: &str) -> Value {
    match IssueSummary::deserialize(issue) {
        Ok(summary) => summary.to_json(base),
        Err(_) => json!({"key": issue["key"]}),
    }
}

fn issue_line(i: &Value) -> String {
    let assignee = i["assignee"].as_str().unwrap_or("unassigned");
    format!("- **{}** {} — {} · {}", text(i, "/key"), text(i, "/summary"), text(i, "/status"), assignee)
}

/// Arguments of `jira_search`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// JQL, e.g. `project = ENG AND status = "In Progress" ORDER BY created DESC`.
    pub jql: String,
    /// Extra fields to return besides the summary ones.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Issues per page (1-100, default 20).
    pub limit: Option<u32>,
    /// `next_page_token` of the previous page.
    pub next_page_token: Option<String>,
    /// Jira site (cloud id or URL); default site otherwise.
    pub site: Option<String>,
}

pub async fn search(ctx: ToolContext, args: SearchArgs) -> Result<ToolOutput, ToolError> {
    if args.jql.trim().is_empty() {
        return Err(ToolError::invalid("jql must not be empty"));
    }
    let limit = args.limit.unwrap_or(20).clamp(1, 100);
    let mut fields: Vec<String> = SEARCH_FIELDS.split(',').map(str::to_string).collect();
    fields.extend(args.fields.iter().cloned());
    let mut body = json!({"jql": args.jql, "maxResults": limit, "fields": fields});
    if let Some(token) = &args.next_page_token {
        body["nextPageToken"] = json!(token);
    }
    let call = jira("/search/jql").with_method(Method::POST, body).site(args.site.as_deref());
    let (issues, next, is_last) = if args.fields.is_empty() {
        // The usual case: only the summary fields, read without building the whole answer.
        let (page, connection) = ctx.send_as::<SummaryPage>(call).await?;
        let base = site_url(&connection, args.site.as_deref());
        let issues: Vec<Value> = page.issues.iter().map(|i| i.to_json(&base)).collect();
        (issues, page.next_page_token, page.is_last)
    } else {
        let (answer, connection) = ctx.send(call).await?;
        let base = site_url(&connection, args.site.as_deref());
        let issues: Vec<Value> = answer["issues"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                let mut s = summarize(i, &base);
                for extra in &args.fields {
                    s[extra.as_str()] = i["fields"][extra.as_str()].clone();
                }
                s
            })
            .collect();
        (issues, answer["nextPageToken"].as_str().map(str::to_string), answer["isLast"].as_bool())
    };
    let mut markdown = if issues.is_empty() {
        "No issues match.".to_string()
    } else {
        issues.iter().map(issue_line).collect::<Vec<_>>().join("\n")
    };
    if let Some(token) = &next {
        markdown.push_str(&format!("\n\nMore results: next_page_token `{token}`"));
    }
    Ok(ToolOutput {
        structured: json!({"issues": issues, "next_page_token": next, "is_last": is_last.unwrap_or(next.is_none())}),
        markdown,
    })
}

/// Arguments of `jira_get_issue`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueArgs {
    /// Issue key, e.g. `ENG-12`.
    pub issue_key: String,
    /// How many recent comments to include (0-20, default 5).
    pub comments: Option<u32>,
    /// Jira site (cloud id or URL).
    pub site: Option<String>,
}

pub async fn get_issue(ctx: ToolContext, args: IssueArgs) -> Result<ToolOutput, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let site = args.site.as_deref();
    let call = jira(format!("/issue/{key}")).query("fields", ISSUE_FIELDS).site(site);
    let wanted = args.comments.unwrap_or(5).min(20) as usize;
    // The issue and its comments are independent requests: send them together.
    let comments =
        async { if wanted > 0 { recent_comments(&ctx, &key, site, wanted).await } else { Ok(Vec::new()) } };
    let (issue, comments) = futures::join!(ctx.send_as::<IssueSummary>(call), comments);
    let (issue, connection) = issue?;
    let comments = comments?;
    let mut out = issue.to_json(&site_url(&connection, site));
    let f = &issue.fields;
    let description =
        f.description.as_ref().filter(|d| !d.is_null()).map(adf_to_markdown).unwrap_or_default();
    out["description"] = json!(description);
    out["labels"] = f.labels.clone().unwrap_or(Value::Null);
    out["reporter"] = json!(f.reporter.as_ref().and_then(|r| r.display_name.as_deref()));
    out["created"] = json!(f.created);
    out["parent"] = json!(f.parent.as_ref().and_then(|p| p.key.as_deref()));
    out["comments"] = json!(comments);
    let mut md = format!(
        "# {} {}\n\n**Status:** {} · **Type:** {} · **Priority:** {} · **Assignee:** {}\n\n{}",
        key,
        text(&out, "/summary"),
        text(&out, "/status"),
        text(&out, "/type"),
        text(&out, "/priority"),
        out["assignee"].as_str().unwrap_or("unassigned"),
        if description.is_empty() { "_No description._".to_string() } else { description.clone() },
    );
    if !comments.is_empty() {
        md.push_str("\n\n## Recent comments\n");
        for c in &comments {
            md.push_str(&format!(
                "\n**{}** ({}):\n{}\n",
                text(c, "/author"),
                text(c, "/created"),
                text(c, "/body")
            ));
        }
    }
    md.push_str(&format!("\n\n{}", text(&out, "/url")));
    Ok(ToolOutput { structured: out, markdown: md })
}

/// The `wanted` most recent comments, oldest first: one request, newest first
/// (`orderBy=-created`), turned around.
async fn recent_comments(
    ctx: &ToolContext,
    key: &str,
    site: Option<&str>,
    wanted: usize,
) -> Result<Vec<Value>, ToolError> {
    let call = jira(format!("/issue/{key}/comment"))
        .query("orderBy", "-created")
        .query("maxResults", wanted)
        .site(site);
    let (page, _) = ctx.send_as::<CommentPage>(call).await?;
    Ok(page.comments.iter().rev().map(comment).collect())
}

fn comment(c: &CommentDoc) -> Value {
    json!({
        "id": c.id,
        "author": c.author.as_ref().and_then(|a| a.display_name.as_deref()),
        "created": c.created,
        "body": adf_to_markdown(&c.body),
    })
}

/// Arguments of `jira_create_issue`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// Project key, e.g. `ENG`.
    pub project: String,
    /// Issue type name (default `Task`).
    pub issue_type: Option<String>,
    pub summary: String,
    /// Description in Markdown.
    pub description: Option<String>,
    /// Account id, or `me`.
    pub assignee: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    /// Priority name, e.g. `High`.
    pub priority: Option<String>,
    /// Parent issue key (sub-tasks, epics).
    pub parent: Option<String>,
    pub site: Option<String>,
}

async fn account_id(ctx: &ToolContext, who: &str) -> Result<Value, ToolError> {
    match who.trim() {
        "me" => Ok(json!(ctx.connection(Provider::Jira, None).await?.profile.account_id)),
        "" | "none" | "unassigned" => Ok(Value::Null),
        id => Ok(json!(id)),
    }
}

pub async fn create_issue(ctx: ToolContext, args: CreateArgs) -> Result<ToolOutput, ToolError> {
    if args.summary.trim().is_empty() {
        return Err(ToolError::invalid("summary must not be empty"));
    }
    let mut fields = json!({
        "project": {"key": args.project.trim().to_ascii_uppercase()},
        "issuetype": {"name": args.issue_type.as_deref().unwrap_or("Task")},
        "summary": args.summary,
    });
    if let Some(md) = &args.description {
        fields["description"] = markdown_to_adf(md);
    }
    if let Some(who) = &args.assignee {
        fields["assignee"] = json!({"accountId": account_id(&ctx, who).await?});
    }
    if !args.labels.is_empty() {
        fields["labels"] = json!(args.labels);
    }
    if let Some(p) = &args.priority {
        fields["priority"] = json!({"name": p});
    }
    if let Some(parent) = &args.parent {
        fields["parent"] = json!({"key": issue_key(parent)?});
    }
    let site = args.site.as_deref();
    let (created, connection) =
        ctx.send(jira("/issue").with_method(Method::POST, json!({"fields": fields})).site(site)).await?;
    let key = created["key"].as_str().unwrap_or_default().to_string();
    let url = format!("{}/browse/{key}", site_url(&connection, site));
    Ok(ToolOutput {
        markdown: format!("Created **{key}**: {}\n{url}", args.summary),
        structured: json!({"key": key, "id": created["id"], "url": url, "summary": args.summary}),
    })
}

/// Arguments of `jira_update_issue`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    pub issue_key: String,
    pub summary: Option<String>,
    /// New description in Markdown (replaces the old one).
    pub description: Option<String>,
    /// Labels to add.
    #[serde(default)]
    pub add_labels: Vec<String>,
    /// Labels to remove.
    #[serde(default)]
    pub remove_labels: Vec<String>,
    pub priority: Option<String>,
    pub site: Option<String>,
}

pub async fn update_issue(ctx: ToolContext, args: UpdateArgs) -> Result<ToolOutput, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let mut fields = serde_json::Map::new();
    let mut changed = Vec::new();
    if let Some(s) = &args.summary {
        fields.insert("summary".into(), json!(s));
        changed.push("summary");
    }
    if let Some(d) = &args.description {
        fields.insert("description".into(), markdown_to_adf(d));
        changed.push("description");
    }
    if let Some(p) = &args.priority {
        fields.insert("priority".into(), json!({"name": p}));
        changed.push("priority");
    }
    let mut label_ops: Vec<Value> = args.add_labels.iter().map(|l| json!({"add": l})).collect();
    label_ops.extend(args.remove_labels.iter().map(|l| json!({"remove": l})));
    if !label_ops.is_empty() {
        changed.push("labels");
    }
    if changed.is_empty() {
        return Err(ToolError::invalid(
            "nothing to update: give summary, description, priority, add_labels or remove_labels",
        ));
    }
    let mut body = json!({"fields": fields});
    if !label_ops.is_empty() {
        body["update"] = json!({"labels": label_ops});
    }
    ctx.send(jira(format!("/issue/{key}")).with_method(Method::PUT, body).site(args.site.as_deref())).await?;
    Ok(ToolOutput {
        markdown: format!("Updated **{key}**: {}", changed.join(", ")),
        structured: json!({"key": key, "updated": changed}),
    })
}

/// Arguments of `jira_add_comment`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentArgs {
    pub issue_key: String,
    /// The comment in Markdown.
    pub body: String,
    pub site: Option<String>,
}

pub async fn add_comment(ctx: ToolContext, args: CommentArgs) -> Result<ToolOutput, ToolError> {
    let key = issue_key(&args.issue_key)?;
    if args.body.trim().is_empty() {
        return Err(ToolError::invalid("body must not be empty"));
    }
    let call = jira(format!("/issue/{key}/comment"))
        .with_method(Method::POST, json!({"body": markdown_to_adf(&args.body)}));
    let (created, _) = ctx.send_as::<CommentDoc>(call.site(args.site.as_deref())).await?;
    Ok(ToolOutput {
        markdown: format!("Commented on **{key}**."),
        structured: json!({"key": key, "comment": comment(&created)}),
    })
}

/// Arguments of `jira_get_comments`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentsArgs {
    pub issue_key: String,
    /// Most recent comments to return (1-50, default 20).
    pub limit: Option<u32>,
    pub site: Option<String>,
}

pub async fn get_comments(ctx: ToolContext, args: CommentsArgs) -> Result<ToolOutput, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let comments =
        recent_comments(&ctx, &key, args.site.as_deref(), args.limit.unwrap_or(20).clamp(1, 50) as usize)
            .await?;
    let markdown = if comments.is_empty() {
        format!("{key} has no comments.")
    } else {
        comments
            .iter()
            .map(|c| format!("**{}** ({}):\n{}", text(c, "/author"), text(c, "/created"), text(c, "/body")))
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    Ok(ToolOutput { structured: json!({"key": key, "comments": comments}), markdown })
}

/// Arguments of `jira_get_transitions`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyArgs {
    pub issue_key: String,
    pub site: Option<String>,
}

async fn transitions(ctx: &ToolContext, key: &str, site: Option<&str>) -> Result<Vec<Value>, ToolError> {
    let answer = ctx.json(jira(format!("/issue/{key}/transitions")).site(site)).await?;
    Ok(answer["transitions"].as_array().cloned().unwrap_or_default())
}

pub async fn get_transitions(ctx: ToolContext, args: KeyArgs) -> Result<ToolOutput, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let list: Vec<Value> = transitions(&ctx, &key, args.site.as_deref())
        .await?
        .iter()
        .map(|t| json!({"id": t["id"], "name": t["name"], "to": t.pointer("/to/name")}))
        .collect();
    let markdown = list
        .iter()
        .map(|t| format!("- `{}` {} → {}", text(t, "/id"), text(t, "/name"), text(t, "/to")))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(ToolOutput { structured: json!({"key": key, "transitions": list}), markdown })
}

/// Arguments of `jira_transition_issue`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionArgs {
    pub issue_key: String,
    /// Transition name or id, or the target status name (e.g. `In Progress`).
    pub transition: String,
    /// Optional comment in Markdown.
    pub comment: Option<String>,
    pub site: Option<String>,
}

pub async fn transition_issue(ctx: ToolContext, args: TransitionArgs) -> Result<ToolOutput, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let site = args.site.as_deref();
    let available = transitions(&ctx, &key, site).await?;
    let wanted = args.transition.trim();
    let matches = |t: &&Value| {
        text(t, "/id") == wanted
            || text(t, "/name").eq_ignore_ascii_case(wanted)
            || text(t, "/to/name").eq_ignore_ascii_case(wanted)
    };
    let Some(chosen) = available.iter().find(matches) else {
        let names: Vec<&str> = available.iter().map(|t| text(t, "/name")).collect();
        return Err(ToolError::invalid(format!(
            "no transition `{wanted}` from the current status; available: {}",
            names.join(", ")
        )));
    };
    let mut body = json!({"transition": {"id": chosen["id"]}});
    if let Some(c) = &args.comment {
        body["update"] = json!({"comment": [{"add": {"body": markdown_to_adf(c)}}]});
    }
    ctx.send(jira(format!("/issue/{key}/transitions")).with_method(Method::POST, body).site(site)).await?;
    let to = text(chosen, "/to/name").to_string();
    Ok(ToolOutput {
        markdown: format!("Moved **{key}** to {to}."),
        structured: json!({"key": key, "transition": chosen["name"], "status": to}),
    })
}

/// Arguments of `jira_assign_issue`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignArgs {
    pub issue_key: String,
    /// Account id, `me`, or `none` to unassign.
    pub assignee: String,
    pub site: Option<String>,
}

pub async fn assign_issue(ctx: ToolContext, args: AssignArgs) -> Result<ToolOutput, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let account = account_id(&ctx, &args.assignee).await?;
    let call = jira(format!("/issue/{key}/assignee")).with_method(Method::PUT, json!({"accountId": account}));
    ctx.send(call.site(args.site.as_deref())).await?;
    let who = account.as_str().map_or("nobody".to_string(), str::to_string);
    Ok(ToolOutput {
        markdown: format!("Assigned **{key}** to {who}."),
        structured: json!({"key": key, "assignee": account}),
    })
}

/// Arguments of `jira_list_projects`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectsArgs {
    /// Filter by name or key.
    pub query: Option<String>,
    /// 1-100, default 50.
    pub limit: Option<u32>,
    pub site: Option<String>,
}

pub async fn list_projects(ctx: ToolContext, args: ProjectsArgs) -> Result<ToolOutput, ToolError> {
    let mut call = jira("/project/search").query("maxResults", args.limit.unwrap_or(50).clamp(1, 100));
    if let Some(q) = &args.query {
        call = call.query("query", q);
    }
    let answer = ctx.json(call.site(args.site.as_deref())).await?;
    let projects: Vec<Value> = answer["values"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| json!({"key": p["key"], "name": p["name"], "id": p["id"]}))
        .collect();
    let markdown = projects
        .iter()
        .map(|p| format!("- **{}** {}", text(p, "/key"), text(p, "/name")))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(ToolOutput { structured: json!({"projects": projects}), markdown })
}

/// Arguments of `jira_search_users`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsersArgs {
    /// Name or email fragment.
    pub query: String,
    /// 1-50, default 10.
    pub limit: Option<u32>,
    pub site: Option<String>,
}

pub async fn search_users(ctx: ToolContext, args: UsersArgs) -> Result<ToolOutput, ToolError> {
    let call = jira("/user/search")
        .query("query", &args.query)
        .query("maxResults", args.limit.unwrap_or(10).clamp(1, 50));
    let answer = ctx.json(call.site(args.site.as_deref())).await?;
    let users: Vec<Value> = answer
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| json!({"account_id": u["accountId"], "name": u["displayName"], "email": u["emailAddress"]}))
        .collect();
    let markdown = users
        .iter()
        .map(|u| format!("- {} (`{}`)", text(u, "/name"), text(u, "/account_id")))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(ToolOutput { structured: json!({"users": users}), markdown })
}

/// Arguments of `jira_list_sites` (none).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

pub async fn list_sites(ctx: ToolContext, _: NoArgs) -> Result<ToolOutput, ToolError> {
    let connection = ctx.connection(Provider::Jira, None).await?;
    let default = connection.profile.default_site.clone();
    let sites: Vec<Value> = connection.profile.sites.iter()
        .map(|s| json!({"cloud_id": s.id, "name": s.name, "url": s.url, "default": Some(&s.id) == default.as_ref()}))
        .collect();
    let markdown = sites
        .iter()
        .map(|s| {
            format!(
                "- {} {} (`{}`){}",
                text(s, "/name"),
                text(s, "/url"),
                text(s, "/cloud_id"),
                if s["default"] == true { " — default" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(ToolOutput { structured: json!({"sites": sites}), markdown })
}
