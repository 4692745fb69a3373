//! Jira tools: JQL search, issues, comments, transitions, assignment, projects, users, sites.
//! Each tool's result is a typed value; its schema is the tool's `outputSchema`.

use super::context::{Call, Reply, ToolContext, ToolError, bounded};
use super::jira_fields;
use super::jira_links;
use super::jira_meta;
use super::registry::{Group, OVERWRITE, ToolDef, Toolset, WRITE, WRITE_IDEMPOTENT};
use crate::domain::{Connection, Provider};
use crate::markdown::adf::adf_to_markdown;
use crate::markdown::offload;
use axum::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// This module's tools as a selectable set.
pub(crate) const ISSUES: Toolset = Toolset {
    name: "jira_issues",
    group: Group::Jira,
    about: "search, read, create and update issues, comment, transition, assign; projects, users, sites",
};

/// The Jira tools.
pub fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(ISSUES, name, title);
    vec![
        tool("jira_search", "Search Jira issues")
            .about("Search Jira issues with JQL. Returns key, summary, status, assignee, priority, URL; page with next_page_token.")
            .run(search),
        tool("jira_get_issue", "Get a Jira issue")
            .about("One Jira issue with its description and recent comments as Markdown.")
            .run(get_issue),
        tool("jira_create_issue", "Create a Jira issue")
            .about("Create a Jira issue. The description is Markdown; assignee is an account id or `me`. The type is matched to the project's own by name. `fields` sets other fields by name or id (e.g. `Story Points`, `customfield_10016`; options by value); a field the project's create screen lacks is refused before sending.")
            .hints(WRITE)
            .run(create_issue),
        tool("jira_update_issue", "Update a Jira issue")
            .about("Change a Jira issue's summary, Markdown description, priority, labels, due date, components, fix versions, or other `fields` by name or id. A field the issue's edit screen lacks is refused before sending.")
            .hints(OVERWRITE)
            .run(update_issue),
        tool("jira_add_comment", "Comment on a Jira issue")
            .about("Add a Markdown comment to a Jira issue.")
            .hints(WRITE)
            .run(add_comment),
        tool("jira_get_comments", "Read Jira comments")
            .about("The most recent comments of a Jira issue, as Markdown.")
            .run(get_comments),
        tool("jira_get_transitions", "List Jira transitions")
            .about("The workflow transitions available for a Jira issue now.")
            .run(get_transitions),
        tool("jira_transition_issue", "Move a Jira issue")
            .about("Move a Jira issue through its workflow by transition name or id, or target status; optional Markdown comment.")
            .hints(WRITE_IDEMPOTENT)
            .run(transition_issue),
        tool("jira_assign_issue", "Assign a Jira issue")
            .about("Assign a Jira issue to an account id, `me`, or `none`.")
            .hints(WRITE_IDEMPOTENT)
            .run(assign_issue),
        tool("jira_list_projects", "List Jira projects")
            .about("Jira projects visible to the user, optionally filtered.")
            .run(list_projects),
        tool("jira_search_users", "Find Jira users")
            .about("Find Jira users by name or email; returns account ids.")
            .run(search_users),
        tool("jira_list_sites", "List Jira sites")
            .about("The Jira sites of the user's connection and which is the default.")
            .run(list_sites),
    ]
}

/// The fields `jira_search` asks Jira for: exactly those its summaries show (each field more
/// is more for Jira to gather and for us to parse; `fields` adds the caller's own).
pub const SEARCH_FIELDS: &str = "summary,status,assignee,priority,issuetype,updated";
/// The fields `jira_get_issue` asks for: the summary ones plus the details it shows.
pub const ISSUE_FIELDS: &str = "summary,status,assignee,priority,issuetype,updated,description,labels,reporter,created,parent,duedate,issuelinks,subtasks,attachment";

pub(super) fn jira(path: impl Into<String>) -> Call<'static> {
    Call::get(Provider::Jira, format!("/rest/api/3{}", path.into()))
}

/// An issue key such as `ENG-12` (or a numeric id), checked so it cannot alter the path.
pub(super) fn issue_key(key: &str) -> Result<String, ToolError> {
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

pub(super) fn site_url(connection: &Connection, site: Option<&str>) -> String {
    crate::domain::pick_site(connection, site)
        .map(|s| s.url.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

/// The parts of an issue that a summary shows, read straight from Jira's JSON.
#[derive(Deserialize)]
pub(super) struct IssueSummary {
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
    labels: Option<Vec<String>>,
    reporter: Option<Person>,
    created: Option<String>,
    parent: Option<KeyOnly>,
    duedate: Option<String>,
    issuelinks: Option<Vec<jira_links::LinkDoc>>,
    subtasks: Option<Vec<jira_links::LinkedDoc>>,
    attachment: Option<Vec<super::jira_files::AttachmentDoc>>,
}

#[derive(Deserialize)]
struct KeyOnly {
    #[serde(default)]
    key: Option<String>,
}

/// A comment as `GET …/comment` lists it, the parts a tool shows.
#[derive(Deserialize)]
pub(super) struct CommentDoc {
    #[serde(default)]
    id: String,
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

fn name_of(named: &Option<Named>) -> Option<String> {
    named.as_ref().and_then(|n| n.name.clone())
}

#[derive(Deserialize)]
struct Person {
    #[serde(default, rename = "displayName")]
    display_name: Option<String>,
}

fn person(who: &Option<Person>) -> Option<String> {
    who.as_ref().and_then(|p| p.display_name.clone())
}

/// An issue as the tools list it.
#[derive(Serialize, JsonSchema)]
pub struct Issue {
    /// Issue key, e.g. `ENG-12`.
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Issue type name.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Display name; absent when unassigned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// The issue in the browser.
    pub url: String,
    /// The extra fields asked for (`fields`), by field id, as Jira returns them.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
}

impl IssueSummary {
    /// The summary the tools return.
    pub(super) fn brief(&self, base: &str) -> Issue {
        let f = &self.fields;
        Issue {
            key: self.key.clone(),
            summary: f.summary.clone(),
            status: name_of(&f.status),
            kind: name_of(&f.issuetype),
            priority: name_of(&f.priority),
            assignee: person(&f.assignee),
            updated: f.updated.clone(),
            url: format!("{base}/browse/{}", self.key),
            fields: Map::new(),
        }
    }
}

pub(super) fn issue_line(i: &Issue) -> String {
    format!(
        "- **{}** {} — {} · {}",
        i.key,
        i.summary.as_deref().unwrap_or_default(),
        i.status.as_deref().unwrap_or_default(),
        i.assignee.as_deref().unwrap_or("unassigned")
    )
}

/// Arguments of `jira_search`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// JQL, e.g. `project = ENG AND status = "In Progress" ORDER BY created DESC`.
    pub jql: String,
    /// Extra fields to return besides the summary ones (in each issue's `fields`).
    #[serde(default)]
    pub fields: Vec<String>,
    /// Issues per page (1-100, default 20).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// `next_page_token` of the previous page.
    pub next_page_token: Option<String>,
    /// Jira site (cloud id or URL); default site otherwise.
    pub site: Option<String>,
}

/// Result of `jira_search`.
#[derive(Serialize, JsonSchema)]
pub struct SearchResult {
    pub issues: Vec<Issue>,
    /// Pass as `next_page_token` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    pub is_last: bool,
}

pub async fn search(ctx: ToolContext, args: SearchArgs) -> Result<Reply<SearchResult>, ToolError> {
    if args.jql.trim().is_empty() {
        return Err(ToolError::invalid("jql must not be empty"));
    }
    let limit = bounded(args.limit, 20, (1, 100), "limit")?;
    let mut fields: Vec<String> = SEARCH_FIELDS.split(',').map(str::to_string).collect();
    fields.extend(args.fields.iter().cloned());
    let mut body = json!({"jql": args.jql, "maxResults": limit, "fields": fields});
    if let Some(token) = &args.next_page_token {
        body["nextPageToken"] = json!(token);
    }
    let call = jira("/search/jql").with_method(Method::POST, body).site(args.site.as_deref());
    let (page, connection) = ctx.send_as::<Page>(call).await?;
    let base = site_url(&connection, args.site.as_deref());
    let mut issues = Vec::with_capacity(page.issues.len());
    for raw in &page.issues {
        let unexpected = |_| ToolError::unexpected(Provider::Jira);
        let summary: IssueSummary = serde_json::from_str(raw.get()).map_err(unexpected)?;
        let mut issue = summary.brief(&base);
        // The fields asked for beyond the summary's, read from the same issue as they came.
        if !args.fields.is_empty() {
            let all: AllFields = serde_json::from_str(raw.get()).map_err(unexpected)?;
            issue.fields = args
                .fields
                .iter()
                .filter_map(|f| all.fields.get(f).filter(|v| !v.is_null()).map(|v| (f.clone(), v.clone())))
                .collect();
        }
        issues.push(issue);
    }
    let next = page.next_page_token;
    let mut markdown = if issues.is_empty() {
        "No issues match.".to_string()
    } else {
        issues.iter().map(issue_line).collect::<Vec<_>>().join("\n")
    };
    if let Some(token) = &next {
        markdown.push_str(&format!("\n\nMore results: next_page_token `{token}`"));
    }
    let is_last = page.is_last.unwrap_or(next.is_none());
    Ok(Reply::new(SearchResult { issues, next_page_token: next, is_last }, markdown))
}

/// A page of `POST /search/jql`: each issue kept as its text, read typed (and, for asked-for
/// extra fields, once more as a map) instead of as a tree of every field it carries.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    issues: Vec<Box<serde_json::value::RawValue>>,
    #[serde(default, rename = "nextPageToken")]
    next_page_token: Option<String>,
    #[serde(default, rename = "isLast")]
    is_last: Option<bool>,
}

/// Every field of an issue, by name.
#[derive(Deserialize)]
struct AllFields {
    #[serde(default)]
    fields: serde_json::Map<String, Value>,
}

/// Arguments of `jira_get_issue`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueArgs {
    /// Issue key, e.g. `ENG-12`.
    pub issue_key: String,
    /// How many recent comments to include (0-20, default 5).
    #[schemars(range(max = 20))]
    pub comments: Option<u32>,
    /// Jira site (cloud id or URL).
    pub site: Option<String>,
}

/// Result of `jira_get_issue`.
#[derive(Serialize, JsonSchema)]
pub struct IssueDetails {
    #[serde(flatten)]
    pub issue: Issue,
    /// Markdown; empty when the issue has none.
    pub description: String,
    pub labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Key of the parent issue (sub-tasks, issues in an epic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// `yyyy-mm-dd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Links to other issues, as this issue reads them.
    pub links: Vec<jira_links::IssueLinkOut>,
    pub subtasks: Vec<jira_links::OtherIssue>,
    /// The issue's files (download with jira_download_attachment or resources/read).
    pub attachments: Vec<super::jira_files::Attachment>,
    /// The most recent comments, oldest first.
    pub comments: Vec<Comment>,
}

/// A comment.
#[derive(Serialize, JsonSchema)]
pub struct Comment {
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Markdown.
    pub body: String,
}

impl Comment {
    fn markdown(&self) -> String {
        format!(
            "**{}** ({}):\n{}",
            self.author.as_deref().unwrap_or_default(),
            self.created.as_deref().unwrap_or_default(),
            self.body
        )
    }
}

pub async fn get_issue(ctx: ToolContext, args: IssueArgs) -> Result<Reply<IssueDetails>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let site = args.site.as_deref();
    let wanted = bounded(args.comments, 5, (0, 20), "comments")? as usize;
    let call = jira(format!("/issue/{key}")).query("fields", ISSUE_FIELDS).site(site);
    // The issue and its comments are independent requests: send them together.
    let comments =
        async { if wanted > 0 { recent_comments(&ctx, &key, site, wanted).await } else { Ok(Vec::new()) } };
    let (issue, comments) = futures::join!(ctx.send_as::<IssueSummary>(call), comments);
    let (issue, connection) = issue?;
    let f = &issue.fields;
    // A large document is converted off the async workers.
    let description = match f.description.clone().filter(|d| !d.is_null()) {
        Some(doc) => offload::adf_to_markdown(doc).await,
        None => String::new(),
    };
    let details = IssueDetails {
        issue: issue.brief(&site_url(&connection, site)),
        description,
        labels: f.labels.clone().unwrap_or_default(),
        reporter: person(&f.reporter),
        created: f.created.clone(),
        parent: f.parent.as_ref().and_then(|p| p.key.clone()),
        due_date: f.duedate.clone(),
        links: jira_links::issue_links(f.issuelinks.as_deref().unwrap_or_default()),
        subtasks: f.subtasks.iter().flatten().map(jira_links::other).collect(),
        attachments: match crate::domain::pick_site(&connection, site) {
            Ok(s) => f.attachment.iter().flatten().map(|a| a.shown(&s.id)).collect(),
            Err(_) => Vec::new(),
        },
        comments: comments?,
    };
    let i = &details.issue;
    let mut md = format!(
        "# {} {}\n\n**Status:** {} · **Type:** {} · **Priority:** {} · **Assignee:** {}\n\n{}",
        key,
        i.summary.as_deref().unwrap_or_default(),
        i.status.as_deref().unwrap_or_default(),
        i.kind.as_deref().unwrap_or_default(),
        i.priority.as_deref().unwrap_or_default(),
        i.assignee.as_deref().unwrap_or("unassigned"),
        if details.description.is_empty() { "_No description._" } else { &details.description },
    );
    let mut facts = Vec::new();
    if let Some(r) = &details.reporter {
        facts.push(format!("**Reporter:** {r}"));
    }
    if let Some(p) = &details.parent {
        facts.push(format!("**Parent:** {p}"));
    }
    if let Some(d) = &details.due_date {
        facts.push(format!("**Due:** {d}"));
    }
    if !details.labels.is_empty() {
        facts.push(format!("**Labels:** {}", details.labels.join(", ")));
    }
    if !facts.is_empty() {
        md.push_str(&format!("\n\n{}", facts.join(" · ")));
    }
    md.push_str(&jira_links::links_markdown(&details.links, &details.subtasks));
    if !details.attachments.is_empty() {
        md.push_str("\n\n## Attachments\n");
        for a in &details.attachments {
            md.push_str(&format!("\n{}", a.markdown()));
        }
    }
    if !details.comments.is_empty() {
        md.push_str("\n\n## Recent comments\n");
        for c in &details.comments {
            md.push_str(&format!("\n{}\n", c.markdown()));
        }
    }
    md.push_str(&format!("\n\n{}", i.url));
    Ok(Reply::new(details, md))
}

/// The `wanted` most recent comments, oldest first: one request, newest first
/// (`orderBy=-created`), turned around.
async fn recent_comments(
    ctx: &ToolContext,
    key: &str,
    site: Option<&str>,
    wanted: usize,
) -> Result<Vec<Comment>, ToolError> {
    let call = jira(format!("/issue/{key}/comment"))
        .query("orderBy", "-created")
        .query("maxResults", wanted)
        .site(site);
    let (page, _) = ctx.send_as::<CommentPage>(call).await?;
    let limit = offload::BLOCKING_THRESHOLD;
    let size = page.comments.iter().map(|c| offload::json_size(&c.body, limit)).sum();
    Ok(offload::run(page.comments, size, |comments| comments.iter().rev().map(comment).collect()).await)
}

pub(super) fn comment(c: &CommentDoc) -> Comment {
    Comment {
        id: c.id.clone(),
        author: person(&c.author),
        created: c.created.clone(),
        body: adf_to_markdown(&c.body),
    }
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
    /// Due date, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Component names of the project.
    #[serde(default)]
    pub components: Vec<String>,
    /// Fix version names of the project.
    #[serde(default)]
    pub fix_versions: Vec<String>,
    /// Other fields by name or id (see jira_get_create_fields), e.g. `{"Story Points": 3, "Severity": "Major"}`.
    #[serde(default)]
    pub fields: Map<String, Value>,
    pub site: Option<String>,
}

/// Result of `jira_create_issue`.
#[derive(Serialize, JsonSchema)]
pub struct Created {
    pub key: String,
    pub id: String,
    pub url: String,
    pub summary: String,
}

/// The account id for `who` (`me`, an account id), or `None` for nobody.
pub(super) async fn account_id(ctx: &ToolContext, who: &str) -> Result<Option<String>, ToolError> {
    match who.trim() {
        "me" => Ok(Some(ctx.connection(Provider::Jira, None).await?.profile.account_id)),
        "" | "none" | "unassigned" => Ok(None),
        id => Ok(Some(id.to_string())),
    }
}

/// A project key such as `ENG` (or a numeric id), checked so it cannot alter a path.
pub(super) fn project_key(project: &str) -> Result<String, ToolError> {
    let project = project.trim();
    let valid = !project.is_empty()
        && project.len() <= 64
        && project.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(project.to_ascii_uppercase())
    } else {
        Err(ToolError::invalid("project must be a project key such as ENG"))
    }
}

/// The issue fields a create or an edit sets, each with the tool argument that sets it.
type Given = Vec<(&'static str, &'static str)>;

/// An argument whose field the project does not allow: refused before anything is sent.
fn not_allowed(argument: &str, whose: &str, screen: &str, details: Value) -> ToolError {
    ToolError(
        crate::http::ApiError::invalid(format!(
            "{whose} does not allow `{argument}`: the field is not on its {screen} screen in Jira (for this account); leave `{argument}` out"
        ))
        .with_details(details),
    )
}

/// The project's issue type named `wanted` (its id, or its name as `pick_type` matches it),
/// from the cached metadata; an unknown one is refused naming the project's types.
pub(super) async fn pick_project_type(
    ctx: &ToolContext,
    site: Option<&str>,
    project: &str,
    wanted: &str,
) -> Result<jira_meta::IssueType, ToolError> {
    let types = jira_meta::issue_types(ctx, site, project).await?;
    if types.is_empty() {
        return Err(ToolError::invalid(format!(
            "Jira lists no issue types this account may create in project {project} (it may lack the Create issues permission there)"
        )));
    }
    let Some(chosen) = jira_meta::pick_type(&types, wanted).cloned() else {
        let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
        return Err(ToolError(
            crate::http::ApiError::invalid(format!(
                "project {project} has no issue type `{wanted}`; its types: {}",
                names.join(", ")
            ))
            .with_details(json!({"project": project, "issue_types": names})),
        ));
    };
    Ok(chosen)
}

/// Picks the project's issue type named `wanted` and checks the `given` fields and the
/// caller's `extra` ones against its create screen (fields it lacks; required fields not
/// given), from the cached metadata; the `extra` fields come back as Jira takes them.
async fn check_create(
    ctx: &ToolContext,
    site: Option<&str>,
    project: &str,
    wanted: &str,
    given: &Given,
    extra: &Map<String, Value>,
) -> Result<(jira_meta::IssueType, Vec<(String, Value)>), ToolError> {
    let chosen = pick_project_type(ctx, site, project, wanted).await?;
    let screen = jira_meta::create_fields(ctx, site, project, &chosen.id).await?;
    let whose = format!("project {project} ({} issues)", chosen.name);
    let details =
        |argument: &str| json!({"project": project, "issue_type": chosen.name, "argument": argument});
    for (field, argument) in given {
        if jira_meta::field(&screen, field).is_none() {
            return Err(not_allowed(argument, &whose, "create", details(argument)));
        }
    }
    let extra = jira_fields::custom_fields(ctx, &screen, extra, &whose, "create").await?;
    let needed = screen.iter().find(|f| {
        f.required
            && !f.has_default
            && !matches!(f.id.as_str(), "project" | "issuetype" | "summary" | "reporter")
            && !given.iter().any(|(field, _)| *field == f.id)
            && !extra.iter().any(|(field, _)| *field == f.id)
    });
    if let Some(f) = needed {
        let settable = [
            ("description", "description"),
            ("assignee", "assignee"),
            ("labels", "labels"),
            ("priority", "priority"),
            ("parent", "parent"),
            ("duedate", "due_date"),
            ("components", "components"),
            ("fixVersions", "fix_versions"),
        ];
        let message = match settable.iter().find(|(id, _)| *id == f.id) {
            Some((_, argument)) => format!("{whose} requires `{argument}`"),
            None => format!("{whose} requires the field {} (`{}`): give it in `fields`", f.name, f.id),
        };
        return Err(ToolError(crate::http::ApiError::invalid(message).with_details(details(&f.id))));
    }
    Ok((chosen, extra))
}

pub async fn create_issue(ctx: ToolContext, args: CreateArgs) -> Result<Reply<Created>, ToolError> {
    if args.summary.trim().is_empty() {
        return Err(ToolError::invalid("summary must not be empty"));
    }
    let project = project_key(&args.project)?;
    let site = args.site.as_deref();
    let given: Given = [
        ("description", "description", args.description.is_some()),
        ("assignee", "assignee", args.assignee.is_some()),
        ("labels", "labels", !args.labels.is_empty()),
        ("priority", "priority", args.priority.is_some()),
        ("parent", "parent", args.parent.is_some()),
        ("duedate", "due_date", args.due_date.is_some()),
        ("components", "components", !args.components.is_empty()),
        ("fixVersions", "fix_versions", !args.fix_versions.is_empty()),
    ]
    .into_iter()
    .filter(|(.., set)| *set)
    .map(|(field, argument, _)| (field, argument))
    .collect();
    let parent = args.parent.as_deref().map(issue_key).transpose()?;
    let due = args.due_date.as_deref().map(|d| jira_fields::date(d, "due_date")).transpose()?;
    let wanted = args.issue_type.as_deref().unwrap_or("Task");
    let (chosen, extra) = check_create(&ctx, site, &project, wanted, &given, &args.fields).await?;
    let mut components = Vec::new();
    if !args.components.is_empty() {
        components =
            jira_fields::project_items(&ctx, site, &project, "components", "components", &args.components)
                .await?;
    }
    let mut versions = Vec::new();
    if !args.fix_versions.is_empty() {
        versions =
            jira_fields::project_items(&ctx, site, &project, "versions", "fix_versions", &args.fix_versions)
                .await?;
    }
    let mut fields = json!({
        "project": {"key": project},
        "issuetype": {"id": chosen.id},
        "summary": args.summary,
    });
    if let Some(md) = &args.description {
        fields["description"] = offload::markdown_to_adf(md.clone()).await;
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
    if let Some(parent) = parent {
        fields["parent"] = json!({"key": parent});
    }
    if let Some(due) = due {
        fields["duedate"] = json!(due);
    }
    if !components.is_empty() {
        fields["components"] = json!(components);
    }
    if !versions.is_empty() {
        fields["fixVersions"] = json!(versions);
    }
    for (id, value) in extra {
        fields[id.as_str()] = value;
    }
    let call = jira("/issue").with_method(Method::POST, json!({"fields": fields})).site(site);
    let (created, connection) = ctx.send_as::<CreatedDoc>(call).await?;
    let url = format!("{}/browse/{}", site_url(&connection, site), created.key);
    Ok(Reply::new(
        Created { url: url.clone(), key: created.key.clone(), id: created.id, summary: args.summary.clone() },
        format!("Created **{}**: {}\n{url}", created.key, args.summary),
    ))
}

/// Jira's answer to `POST /issue`.
#[derive(Deserialize)]
struct CreatedDoc {
    key: String,
    #[serde(default)]
    id: String,
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
    /// Due date, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Component names of the project (replace the issue's).
    #[serde(default)]
    pub components: Vec<String>,
    /// Fix version names of the project (replace the issue's).
    #[serde(default)]
    pub fix_versions: Vec<String>,
    /// Other fields by name or id, e.g. `{"Story Points": 5}`; `null` clears one.
    #[serde(default)]
    pub fields: Map<String, Value>,
    pub site: Option<String>,
}

/// Result of `jira_update_issue`.
#[derive(Serialize, JsonSchema)]
pub struct Updated {
    pub key: String,
    /// What changed: `summary`, `description`, `priority`, `labels`, `due_date`, `components`,
    /// `fix_versions`, and the id of each of `fields`.
    pub updated: Vec<String>,
}

pub async fn update_issue(ctx: ToolContext, args: UpdateArgs) -> Result<Reply<Updated>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let mut fields = serde_json::Map::new();
    let mut changed = Vec::new();
    if let Some(s) = &args.summary {
        fields.insert("summary".into(), json!(s));
        changed.push("summary".to_string());
    }
    if let Some(d) = &args.description {
        fields.insert("description".into(), offload::markdown_to_adf(d.clone()).await);
        changed.push("description".to_string());
    }
    if let Some(p) = &args.priority {
        fields.insert("priority".into(), json!({"name": p}));
        changed.push("priority".to_string());
    }
    let mut label_ops: Vec<Value> = args.add_labels.iter().map(|l| json!({"add": l})).collect();
    label_ops.extend(args.remove_labels.iter().map(|l| json!({"remove": l})));
    if !label_ops.is_empty() {
        changed.push("labels".to_string());
    }
    if let Some(d) = &args.due_date {
        fields.insert("duedate".into(), json!(jira_fields::date(d, "due_date")?));
        changed.push("due_date".to_string());
    }
    if !args.components.is_empty() {
        changed.push("components".to_string());
    }
    if !args.fix_versions.is_empty() {
        changed.push("fix_versions".to_string());
    }
    if changed.is_empty() && args.fields.is_empty() {
        return Err(ToolError::invalid(
            "nothing to update: give summary, description, priority, add_labels, remove_labels, due_date, components, fix_versions or fields",
        ));
    }
    // The project, for its components and versions: the key's prefix.
    let project = match key.rsplit_once('-') {
        Some((project, _)) => Some(project.to_string()),
        None if args.components.is_empty() && args.fix_versions.is_empty() => None,
        None => {
            return Err(ToolError::invalid(
                "issue_key must be a key such as ENG-12 (not an id) with components or fix_versions",
            ));
        }
    };
    // The issue's edit screen, from the cached metadata: each field there, with the operation.
    let screen = jira_meta::edit_fields(&ctx, args.site.as_deref(), &key).await?;
    let wanted = [
        ("summary", "summary", "set", args.summary.is_some()),
        ("description", "description", "set", args.description.is_some()),
        ("priority", "priority", "set", args.priority.is_some()),
        ("labels", "add_labels", "add", !args.add_labels.is_empty()),
        ("labels", "remove_labels", "remove", !args.remove_labels.is_empty()),
        ("duedate", "due_date", "set", args.due_date.is_some()),
        ("components", "components", "set", !args.components.is_empty()),
        ("fixVersions", "fix_versions", "set", !args.fix_versions.is_empty()),
    ];
    for (field, argument, operation, _) in wanted.iter().filter(|w| w.3) {
        let allowed = jira_meta::field(&screen, field)
            .is_some_and(|f| f.operations.is_empty() || f.operations.iter().any(|o| o == operation));
        if !allowed {
            let details = json!({"issue_key": key, "argument": argument});
            return Err(not_allowed(argument, &key, "edit", details));
        }
    }
    let site = args.site.as_deref();
    for (id, value) in jira_fields::custom_fields(&ctx, &screen, &args.fields, &key, "edit").await? {
        changed.push(id.clone());
        fields.insert(id, value);
    }
    if let Some(project) = &project {
        if !args.components.is_empty() {
            let items =
                jira_fields::project_items(&ctx, site, project, "components", "components", &args.components)
                    .await?;
            fields.insert("components".into(), json!(items));
        }
        if !args.fix_versions.is_empty() {
            let items = jira_fields::project_items(
                &ctx,
                site,
                project,
                "versions",
                "fix_versions",
                &args.fix_versions,
            )
            .await?;
            fields.insert("fixVersions".into(), json!(items));
        }
    }
    let mut body = json!({"fields": fields});
    if !label_ops.is_empty() {
        body["update"] = json!({"labels": label_ops});
    }
    ctx.send(jira(format!("/issue/{key}")).with_method(Method::PUT, body).site(args.site.as_deref())).await?;
    let markdown = format!("Updated **{key}**: {}", changed.join(", "));
    Ok(Reply::new(Updated { key, updated: changed }, markdown))
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

/// Result of `jira_add_comment`.
#[derive(Serialize, JsonSchema)]
pub struct Commented {
    pub key: String,
    pub comment: Comment,
}

pub async fn add_comment(ctx: ToolContext, args: CommentArgs) -> Result<Reply<Commented>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    if args.body.trim().is_empty() {
        return Err(ToolError::invalid("body must not be empty"));
    }
    let call = jira(format!("/issue/{key}/comment"))
        .with_method(Method::POST, json!({"body": offload::markdown_to_adf(args.body.clone()).await}));
    let (created, _) = ctx.send_as::<CommentDoc>(call.site(args.site.as_deref())).await?;
    let markdown = format!("Commented on **{key}**.");
    Ok(Reply::new(Commented { key, comment: comment(&created) }, markdown))
}

/// Arguments of `jira_get_comments`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentsArgs {
    pub issue_key: String,
    /// Most recent comments to return (1-50, default 20).
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    pub site: Option<String>,
}

/// Result of `jira_get_comments`.
#[derive(Serialize, JsonSchema)]
pub struct Comments {
    pub key: String,
    /// Oldest first.
    pub comments: Vec<Comment>,
}

pub async fn get_comments(ctx: ToolContext, args: CommentsArgs) -> Result<Reply<Comments>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let wanted = bounded(args.limit, 20, (1, 50), "limit")? as usize;
    let comments = recent_comments(&ctx, &key, args.site.as_deref(), wanted).await?;
    let markdown = if comments.is_empty() {
        format!("{key} has no comments.")
    } else {
        comments.iter().map(Comment::markdown).collect::<Vec<_>>().join("\n\n")
    };
    Ok(Reply::new(Comments { key, comments }, markdown))
}

/// Arguments of `jira_get_transitions`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyArgs {
    pub issue_key: String,
    pub site: Option<String>,
}

/// A workflow transition as Jira lists it.
#[derive(Deserialize)]
struct TransitionDoc {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    to: Option<Named>,
    #[serde(default, rename = "hasScreen")]
    has_screen: bool,
}

#[derive(Deserialize)]
struct TransitionPage {
    #[serde(default)]
    transitions: Vec<TransitionDoc>,
}

/// A transition available now.
#[derive(Serialize, JsonSchema)]
pub struct Transition {
    pub id: String,
    pub name: String,
    /// The status it leads to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Whether Jira shows a screen on it (only then does it take a comment with it).
    #[serde(skip)]
    #[schemars(skip)]
    pub has_screen: bool,
}

/// Result of `jira_get_transitions`.
#[derive(Serialize, JsonSchema)]
pub struct Transitions {
    pub key: String,
    pub transitions: Vec<Transition>,
}

async fn transitions(ctx: &ToolContext, key: &str, site: Option<&str>) -> Result<Vec<Transition>, ToolError> {
    let (page, _) =
        ctx.send_as::<TransitionPage>(jira(format!("/issue/{key}/transitions")).site(site)).await?;
    Ok(page
        .transitions
        .into_iter()
        .map(|t| Transition { to: name_of(&t.to), id: t.id, name: t.name, has_screen: t.has_screen })
        .collect())
}

pub async fn get_transitions(ctx: ToolContext, args: KeyArgs) -> Result<Reply<Transitions>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let list = transitions(&ctx, &key, args.site.as_deref()).await?;
    let markdown = list
        .iter()
        .map(|t| format!("- `{}` {} → {}", t.id, t.name, t.to.as_deref().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Reply::new(Transitions { key, transitions: list }, markdown))
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

/// Result of `jira_transition_issue`.
#[derive(Serialize, JsonSchema)]
pub struct Moved {
    pub key: String,
    /// The transition taken.
    pub transition: String,
    /// The issue's status now.
    pub status: String,
    /// How the comment was added, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<CommentPath>,
}

/// How a transition's comment was added.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentPath {
    /// With the transition, which has a screen.
    WithTransition,
    /// Through the comment endpoint after the transition: Jira Cloud drops a comment sent with
    /// a transition that has no screen.
    Separately,
}

pub async fn transition_issue(ctx: ToolContext, args: TransitionArgs) -> Result<Reply<Moved>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let site = args.site.as_deref();
    let available = transitions(&ctx, &key, site).await?;
    let wanted = args.transition.trim();
    let matches = |t: &&Transition| {
        t.id == wanted
            || t.name.eq_ignore_ascii_case(wanted)
            || t.to.as_deref().is_some_and(|to| to.eq_ignore_ascii_case(wanted))
    };
    if available.is_empty() {
        return Err(ToolError::invalid(format!(
            "Jira offers this account no transitions on {key}: none lead from its status, or the account lacks the Transition issues permission in its project"
        )));
    }
    let Some(chosen) = available.iter().find(matches) else {
        let names: Vec<&str> = available.iter().map(|t| t.name.as_str()).collect();
        return Err(ToolError::invalid(format!(
            "no transition `{wanted}` from the current status; available: {}",
            names.join(", ")
        )));
    };
    let mut body = json!({"transition": {"id": chosen.id}});
    let comment = match &args.comment {
        Some(c) => Some(offload::markdown_to_adf(c.clone()).await),
        None => None,
    };
    let path = comment
        .as_ref()
        .map(|_| if chosen.has_screen { CommentPath::WithTransition } else { CommentPath::Separately });
    if let (Some(adf), Some(CommentPath::WithTransition)) = (&comment, &path) {
        body["update"] = json!({"comment": [{"add": {"body": adf}}]});
    }
    ctx.send(jira(format!("/issue/{key}/transitions")).with_method(Method::POST, body).site(site)).await?;
    let to = chosen.to.clone().unwrap_or_default();
    let mut markdown = format!("Moved **{key}** to {to}.");
    if let (Some(adf), Some(CommentPath::Separately)) = (comment, &path) {
        let call = jira(format!("/issue/{key}/comment")).with_method(Method::POST, json!({"body": adf}));
        if let Err(ToolError(mut e)) = ctx.send(call.site(site)).await {
            e.message = format!("moved {key} to {to}, but its comment could not be added: {}", e.message);
            return Err(ToolError(e));
        }
        markdown.push_str(" The comment was added separately (this transition has no screen for one).");
    }
    Ok(Reply::new(Moved { key, transition: chosen.name.clone(), status: to, comment: path }, markdown))
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

/// Result of `jira_assign_issue`.
#[derive(Serialize, JsonSchema)]
pub struct Assigned {
    pub key: String,
    /// The assignee's account id; absent when the issue was unassigned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

pub async fn assign_issue(ctx: ToolContext, args: AssignArgs) -> Result<Reply<Assigned>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let account = account_id(&ctx, &args.assignee).await?;
    let call = jira(format!("/issue/{key}/assignee")).with_method(Method::PUT, json!({"accountId": account}));
    ctx.send(call.site(args.site.as_deref())).await?;
    let markdown = format!("Assigned **{key}** to {}.", account.as_deref().unwrap_or("nobody"));
    Ok(Reply::new(Assigned { key, assignee: account }, markdown))
}

/// Arguments of `jira_list_projects`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectsArgs {
    /// Filter by name or key.
    pub query: Option<String>,
    /// 1-100, default 50.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    pub site: Option<String>,
}

#[derive(Deserialize)]
struct ProjectPage {
    #[serde(default)]
    values: Vec<Project>,
}

/// A project.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Project {
    pub key: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id: String,
}

/// Result of `jira_list_projects`.
#[derive(Serialize, JsonSchema)]
pub struct Projects {
    pub projects: Vec<Project>,
}

pub async fn list_projects(ctx: ToolContext, args: ProjectsArgs) -> Result<Reply<Projects>, ToolError> {
    let mut call = jira("/project/search").query("maxResults", bounded(args.limit, 50, (1, 100), "limit")?);
    if let Some(q) = &args.query {
        call = call.query("query", q);
    }
    let (page, _) = ctx.send_as::<ProjectPage>(call.site(args.site.as_deref())).await?;
    let markdown =
        page.values.iter().map(|p| format!("- **{}** {}", p.key, p.name)).collect::<Vec<_>>().join("\n");
    Ok(Reply::new(Projects { projects: page.values }, markdown))
}

/// Arguments of `jira_search_users`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsersArgs {
    /// Name or email fragment.
    pub query: String,
    /// 1-50, default 10.
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    pub site: Option<String>,
}

/// A user as `GET /user/search` lists them.
#[derive(Deserialize)]
struct UserDoc {
    #[serde(default, rename = "accountId")]
    account_id: String,
    #[serde(default, rename = "displayName")]
    display_name: String,
    #[serde(default, rename = "emailAddress")]
    email: Option<String>,
}

/// A Jira user.
#[derive(Serialize, JsonSchema)]
pub struct User {
    pub account_id: String,
    pub name: String,
    /// Only when the user's privacy settings show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Result of `jira_search_users`.
#[derive(Serialize, JsonSchema)]
pub struct Users {
    pub users: Vec<User>,
}

pub async fn search_users(ctx: ToolContext, args: UsersArgs) -> Result<Reply<Users>, ToolError> {
    let call = jira("/user/search")
        .query("query", &args.query)
        .query("maxResults", bounded(args.limit, 10, (1, 50), "limit")?);
    let (found, _) = ctx.send_as::<Vec<UserDoc>>(call.site(args.site.as_deref())).await?;
    let users: Vec<User> = found
        .into_iter()
        .map(|u| User { account_id: u.account_id, name: u.display_name, email: u.email })
        .collect();
    let markdown =
        users.iter().map(|u| format!("- {} (`{}`)", u.name, u.account_id)).collect::<Vec<_>>().join("\n");
    Ok(Reply::new(Users { users }, markdown))
}

/// No arguments.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// A Jira site of the connection.
#[derive(Serialize, JsonSchema)]
pub struct SiteOut {
    pub cloud_id: String,
    pub name: String,
    pub url: String,
    /// The site tools use when none is given.
    pub default: bool,
}

/// Result of `jira_list_sites`.
#[derive(Serialize, JsonSchema)]
pub struct Sites {
    pub sites: Vec<SiteOut>,
}

pub async fn list_sites(ctx: ToolContext, _: NoArgs) -> Result<Reply<Sites>, ToolError> {
    let connection = ctx.connection(Provider::Jira, None).await?;
    let default = connection.profile.default_site.clone();
    let sites: Vec<SiteOut> = connection
        .profile
        .sites
        .iter()
        .map(|s| SiteOut {
            cloud_id: s.id.clone(),
            name: s.name.clone(),
            url: s.url.clone(),
            default: Some(&s.id) == default.as_ref(),
        })
        .collect();
    let markdown = sites
        .iter()
        .map(|s| {
            format!("- {} {} (`{}`){}", s.name, s.url, s.cloud_id, if s.default { " — default" } else { "" })
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Reply::new(Sites { sites }, markdown))
}
