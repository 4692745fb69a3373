//! Jira tools for issue links and worklogs: list the site's link types, link two issues in
//! the direction asked, remove a link, log time, read the time logged.
//!
//! Direction: `POST /issueLink` takes the link's source as `inwardIssue` and its destination
//! as `outwardIssue`; the source reads the link with the type's outward phrase ("PLAT-1
//! blocks PLAT-2"), the destination with the inward one ("PLAT-2 is blocked by PLAT-1"). An
//! issue's `issuelinks` show the other side: `outwardIssue` on the source, `inwardIssue` on
//! the destination (Atlassian's issue linking model).

use super::context::{Reply, ToolContext, ToolError, bounded};
use super::jira::{issue_key, jira};
use super::jira_meta::{self, LinkType};
use super::registry::{Group, OVERWRITE, ToolDef, Toolset, WRITE};
use crate::markdown::adf::adf_to_markdown;
use crate::markdown::offload;
use axum::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The link tools as a selectable set.
pub(crate) const LINKS: Toolset =
    Toolset { name: "jira_links", group: Group::Jira, about: "issue links and link types" };
/// The worklog tools as a selectable set.
pub(crate) const WORKLOGS: Toolset =
    Toolset { name: "jira_worklogs", group: Group::Jira, about: "log and read time spent" };

/// The link and worklog tools.
pub(crate) fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(LINKS, name, title);
    let worklog = |name, title| ToolDef::build(WORKLOGS, name, title);
    vec![
        tool("jira_list_link_types", "Jira link types")
            .about("The issue link types of the Jira site: name and the phrase of each direction.")
            .run(list_link_types),
        tool("jira_link_issues", "Link Jira issues")
            .about("Link two Jira issues: `issue_key` <link> `other_issue_key`, e.g. PLAT-1 `blocks` PLAT-2 or `is blocked by`; link is a type name or phrase. Optional Markdown comment.")
            .hints(WRITE)
            .run(link_issues),
        tool("jira_remove_link", "Remove a Jira issue link")
            .about("Delete an issue link by its id (from jira_get_issue's links).")
            .hints(OVERWRITE)
            .run(remove_link),
        worklog("jira_add_worklog", "Log work on a Jira issue")
            .about("Log time on a Jira issue: time_spent like `1w 2d 3h 30m` (1w = 5d, 1d = 8h), optional start and Markdown comment.")
            .hints(WRITE)
            .run(add_worklog),
        worklog("jira_get_worklogs", "Read Jira worklogs")
            .about("The time logged on a Jira issue, oldest first; page with start_at.")
            .run(get_worklogs),
    ]
}

/// Arguments of `jira_list_link_types`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkTypesArgs {
    pub site: Option<String>,
}

/// A link type.
#[derive(Serialize, JsonSchema)]
pub(crate) struct LinkTypeOut {
    pub id: String,
    pub name: String,
    /// What the link's destination reads, e.g. `is blocked by`.
    pub inward: String,
    /// What the link's source reads, e.g. `blocks`.
    pub outward: String,
}

/// Result of `jira_list_link_types`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct LinkTypes {
    pub link_types: Vec<LinkTypeOut>,
}

pub(crate) async fn list_link_types(
    ctx: ToolContext,
    args: LinkTypesArgs,
) -> Result<Reply<LinkTypes>, ToolError> {
    let types = jira_meta::link_types(&ctx, args.site.as_deref()).await?;
    let link_types: Vec<LinkTypeOut> = types
        .iter()
        .map(|t| LinkTypeOut {
            id: t.id.clone(),
            name: t.name.clone(),
            inward: t.inward.clone(),
            outward: t.outward.clone(),
        })
        .collect();
    let markdown = link_types
        .iter()
        .map(|t| format!("- **{}**: A {} B · B {} A", t.name, t.outward, t.inward))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Reply::new(LinkTypes { link_types }, markdown))
}

/// How `wanted` names a link type: its name or outward phrase (the issue is the source), or
/// its inward phrase (the issue is the destination). Case and spacing do not matter.
fn pick_link<'a>(types: &'a [LinkType], wanted: &str) -> Option<(&'a LinkType, Direction)> {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let wanted = norm(wanted);
    let by = |field: fn(&LinkType) -> &str| types.iter().find(|t| norm(field(t)) == wanted);
    by(|t| &t.name)
        .or_else(|| by(|t| &t.outward))
        .map(|t| (t, Direction::Outward))
        .or_else(|| by(|t| &t.inward).map(|t| (t, Direction::Inward)))
}

/// Which side of a link an issue is on, as the issue reads it.
#[derive(Clone, Copy, Serialize, JsonSchema, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The issue is the link's source and reads the outward phrase (`blocks`).
    Outward,
    /// The issue is the link's destination and reads the inward phrase (`is blocked by`).
    Inward,
}

/// Arguments of `jira_link_issues`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkArgs {
    /// The issue the sentence starts with, e.g. `PLAT-1` in "PLAT-1 blocks PLAT-2".
    pub issue_key: String,
    /// A link type name (`Blocks`) or phrase (`blocks`, `is blocked by`, `relates to`, `duplicates`).
    pub link: String,
    /// The other issue, e.g. `PLAT-2`.
    pub other_issue_key: String,
    /// Optional comment in Markdown (added to the link's source issue).
    pub comment: Option<String>,
    pub site: Option<String>,
}

/// Result of `jira_link_issues`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Linked {
    /// The link's id (for jira_remove_link), when Jira lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_id: Option<String>,
    /// The link type's name.
    pub link_type: String,
    /// The source: it reads the outward phrase.
    pub outward_issue: String,
    /// The destination: it reads the inward phrase.
    pub inward_issue: String,
    /// The link as `issue_key` reads it, e.g. `PLAT-1 is blocked by PLAT-2`.
    pub sentence: String,
}

pub(crate) async fn link_issues(ctx: ToolContext, args: LinkArgs) -> Result<Reply<Linked>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let other = issue_key(&args.other_issue_key)
        .map_err(|_| ToolError::invalid("other_issue_key must look like ENG-12"))?;
    if key == other {
        return Err(ToolError::invalid("an issue cannot be linked to itself"));
    }
    if args.comment.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return Err(ToolError::invalid("comment must not be empty when given"));
    }
    let site = args.site.as_deref();
    let types = jira_meta::link_types(&ctx, site).await?;
    let Some((kind, direction)) = pick_link(&types, &args.link) else {
        let known: Vec<String> =
            types.iter().map(|t| format!("{} ({} / {})", t.name, t.outward, t.inward)).collect();
        return Err(ToolError(
            crate::http::ApiError::invalid(format!(
                "no link type `{}` in this Jira site; known types: {}",
                args.link.trim(),
                known.join(", ")
            ))
            .with_details(
                json!({"link": args.link, "link_types": types.iter().map(|t| &t.name).collect::<Vec<_>>()}),
            ),
        ));
    };
    // The source goes in `inwardIssue`: see the module's note.
    let (source, destination) = match direction {
        Direction::Outward => (key.clone(), other.clone()),
        Direction::Inward => (other.clone(), key.clone()),
    };
    let mut body = json!({
        "type": {"id": kind.id},
        "inwardIssue": {"key": source},
        "outwardIssue": {"key": destination},
    });
    if let Some(c) = &args.comment {
        body["comment"] = json!({"body": offload::markdown_to_adf(c.clone()).await});
    }
    ctx.send(jira("/issueLink").with_method(Method::POST, body).site(site)).await?;
    // Jira answers a new link with no body: its id is read from the source's links. The link
    // is made by now, so a failed read only leaves the id out (a retry would not link twice,
    // but would add the comment again).
    let link_id = find_link(&ctx, site, &source, &destination, &kind.id).await.ok().flatten();
    let phrase = match direction {
        Direction::Outward => &kind.outward,
        Direction::Inward => &kind.inward,
    };
    let sentence = format!("{key} {phrase} {other}");
    let markdown = format!("Linked: **{sentence}** ({}).", kind.name);
    Ok(Reply::new(
        Linked {
            link_id,
            link_type: kind.name.clone(),
            outward_issue: source,
            inward_issue: destination,
            sentence,
        },
        markdown,
    ))
}

/// The id of the link of type `kind` from `source` to `destination`, as `source` lists it.
async fn find_link(
    ctx: &ToolContext,
    site: Option<&str>,
    source: &str,
    destination: &str,
    kind: &str,
) -> Result<Option<String>, ToolError> {
    #[derive(Deserialize)]
    struct Links {
        #[serde(default)]
        fields: LinkFields,
    }
    #[derive(Deserialize, Default)]
    struct LinkFields {
        #[serde(default)]
        issuelinks: Vec<LinkDoc>,
    }
    let call = jira(format!("/issue/{source}")).query("fields", "issuelinks").site(site);
    let (issue, _) = ctx.send_as::<Links>(call).await?;
    Ok(issue
        .fields
        .issuelinks
        .into_iter()
        .find(|l| {
            l.kind.id == kind
                && l.outward_issue.as_ref().is_some_and(|o| o.key.eq_ignore_ascii_case(destination))
        })
        .map(|l| l.id))
}

/// A link id, checked so it cannot alter the path.
fn link_id(id: &str) -> Result<String, ToolError> {
    let id = id.trim();
    if !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(id.to_string())
    } else {
        Err(ToolError::invalid("link_id must be a link's numeric id (from jira_get_issue's links)"))
    }
}

/// Arguments of `jira_remove_link`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RemoveLinkArgs {
    /// The link's id (jira_get_issue lists it with each link).
    pub link_id: String,
    pub site: Option<String>,
}

/// Result of `jira_remove_link`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct LinkRemoved {
    pub link_id: String,
}

pub(crate) async fn remove_link(
    ctx: ToolContext,
    args: RemoveLinkArgs,
) -> Result<Reply<LinkRemoved>, ToolError> {
    let id = link_id(&args.link_id)?;
    ctx.send(jira(format!("/issueLink/{id}")).delete().site(args.site.as_deref())).await?;
    let markdown = format!("Issue link {id} removed.");
    Ok(Reply::new(LinkRemoved { link_id: id }, markdown))
}

// ------------------------------------------------------------------ links on an issue

/// A link as an issue's `issuelinks` lists it.
#[derive(Deserialize)]
pub(super) struct LinkDoc {
    #[serde(default)]
    id: String,
    #[serde(default, rename = "type")]
    kind: LinkType,
    #[serde(default, rename = "inwardIssue")]
    inward_issue: Option<LinkedDoc>,
    #[serde(default, rename = "outwardIssue")]
    outward_issue: Option<LinkedDoc>,
}

/// Another issue as a link or the subtask list embeds it.
#[derive(Deserialize)]
pub(super) struct LinkedDoc {
    #[serde(default)]
    key: String,
    #[serde(default)]
    fields: LinkedFields,
}

#[derive(Deserialize, Default)]
struct LinkedFields {
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    status: Option<NameOnly>,
}

#[derive(Deserialize)]
struct NameOnly {
    #[serde(default)]
    name: Option<String>,
}

/// Another issue, briefly.
#[derive(Serialize, JsonSchema)]
pub struct OtherIssue {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// A link of an issue, as the issue reads it.
#[derive(Serialize, JsonSchema)]
pub struct IssueLinkOut {
    /// For jira_remove_link.
    pub id: String,
    /// The link type's name, e.g. `Blocks`.
    #[serde(rename = "type")]
    pub kind: String,
    pub direction: Direction,
    /// What this issue is to the other, e.g. `is blocked by`.
    pub phrase: String,
    pub issue: OtherIssue,
}

pub(super) fn other(doc: &LinkedDoc) -> OtherIssue {
    OtherIssue {
        key: doc.key.clone(),
        summary: doc.fields.summary.clone(),
        status: doc.fields.status.as_ref().and_then(|s| s.name.clone()),
    }
}

/// An issue's links as it reads them: the other issue is `outwardIssue` when this one is the
/// source (outward phrase), `inwardIssue` when it is the destination (inward phrase).
pub(super) fn issue_links(docs: &[LinkDoc]) -> Vec<IssueLinkOut> {
    docs.iter()
        .filter_map(|l| {
            let (direction, phrase, doc) = match (&l.outward_issue, &l.inward_issue) {
                (Some(o), _) => (Direction::Outward, &l.kind.outward, o),
                (None, Some(i)) => (Direction::Inward, &l.kind.inward, i),
                (None, None) => return None,
            };
            Some(IssueLinkOut {
                id: l.id.clone(),
                kind: l.kind.name.clone(),
                direction,
                phrase: phrase.clone(),
                issue: other(doc),
            })
        })
        .collect()
}

/// Markdown lines of links and subtasks for `jira_get_issue`.
pub(super) fn links_markdown(links: &[IssueLinkOut], subtasks: &[OtherIssue]) -> String {
    let line = |o: &OtherIssue| {
        format!(
            "**{}** {} ({})",
            o.key,
            o.summary.as_deref().unwrap_or_default(),
            o.status.as_deref().unwrap_or_default()
        )
    };
    let mut md = String::new();
    if !links.is_empty() {
        md.push_str("\n\n## Links\n");
        for l in links {
            md.push_str(&format!("\n- {} {} · link `{}`", l.phrase, line(&l.issue), l.id));
        }
    }
    if !subtasks.is_empty() {
        md.push_str("\n\n## Sub-tasks\n");
        for s in subtasks {
            md.push_str(&format!("\n- {}", line(s)));
        }
    }
    md
}

// ------------------------------------------------------------------ worklogs

/// A time spent in Jira's notation: whole numbers of `w`, `d`, `h`, `m`, each at most once,
/// largest first (`1w 2d 3h 30m`, `2h30m`). Returns it as Jira writes it and its seconds with
/// Jira's default time tracking (1w = 5d, 1d = 8h).
pub(crate) fn parse_time_spent(text: &str) -> Result<(String, u64), ToolError> {
    const UNITS: [(char, u64); 4] = [('w', 5 * 8 * 3600), ('d', 8 * 3600), ('h', 3600), ('m', 60)];
    let refuse = || {
        ToolError::invalid(format!(
            "time_spent `{}` is not a Jira duration: use whole weeks, days, hours, minutes like `1w 2d 3h 30m` or `45m`",
            text.trim()
        ))
    };
    let compact: String =
        text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    let mut rest = compact.as_str();
    let mut parts = Vec::new();
    let mut seconds: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(refuse)?;
        if digits == 0 || digits > 6 {
            return Err(refuse());
        }
        let amount: u64 = rest[..digits].parse().map_err(|_| refuse())?;
        let unit = rest[digits..].chars().next().ok_or_else(refuse)?;
        let at = UNITS[next_unit..].iter().position(|(u, _)| *u == unit).ok_or_else(refuse)? + next_unit;
        next_unit = at + 1;
        seconds += amount * UNITS[at].1;
        parts.push(format!("{amount}{unit}"));
        rest = &rest[digits + 1..];
    }
    if parts.is_empty() {
        return Err(refuse());
    }
    if seconds < 60 {
        return Err(ToolError::invalid("time_spent must be at least 1m"));
    }
    Ok((parts.join(" "), seconds))
}

/// `started` as Jira takes it, from an ISO 8601 date-time (`2021-01-17T12:34:00Z`, with an
/// offset, or Jira's own `2021-01-17T12:34:00.000+0000`): in UTC, to the millisecond.
pub(crate) fn jira_started(text: &str) -> Result<String, ToolError> {
    use time::format_description::well_known::Rfc3339;
    let jira_in = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory][offset_minute]"
    );
    let text = text.trim();
    let at = time::OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(text, jira_in))
        .map_err(|_| {
            ToolError::invalid(format!(
                "started `{text}` is not an ISO date-time with a time zone, e.g. 2021-01-17T12:34:00Z or 2021-01-17T12:34:00+01:00"
            ))
        })?;
    Ok(jira_time(at))
}

fn jira_time(at: time::OffsetDateTime) -> String {
    let out = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
    );
    at.to_offset(time::UtcOffset::UTC).format(out).unwrap_or_default()
}

/// Arguments of `jira_add_worklog`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddWorklogArgs {
    pub issue_key: String,
    /// Jira notation: `1w 2d 3h 30m`, `2h`, `45m` (1w = 5d, 1d = 8h).
    pub time_spent: String,
    /// When the work started, ISO date-time with zone (default: now).
    pub started: Option<String>,
    /// Optional comment in Markdown.
    pub comment: Option<String>,
    pub site: Option<String>,
}

/// A worklog as Jira answers it, the parts a tool shows.
#[derive(Deserialize)]
struct WorklogDoc {
    #[serde(default)]
    id: String,
    #[serde(default)]
    author: Option<AuthorDoc>,
    #[serde(default)]
    started: Option<String>,
    #[serde(default, rename = "timeSpent")]
    time_spent: Option<String>,
    #[serde(default, rename = "timeSpentSeconds")]
    seconds: Option<u64>,
    /// ADF.
    #[serde(default)]
    comment: Option<Value>,
}

#[derive(Deserialize)]
struct AuthorDoc {
    #[serde(default, rename = "displayName")]
    display_name: Option<String>,
}

/// A worklog entry.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Worklog {
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    /// As Jira writes it, e.g. `3h 20m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_spent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    /// Markdown; empty when none.
    pub comment: String,
}

fn worklog(w: &WorklogDoc) -> Worklog {
    Worklog {
        id: w.id.clone(),
        author: w.author.as_ref().and_then(|a| a.display_name.clone()),
        started: w.started.clone(),
        time_spent: w.time_spent.clone(),
        seconds: w.seconds,
        comment: w.comment.as_ref().filter(|c| !c.is_null()).map(adf_to_markdown).unwrap_or_default(),
    }
}

/// Result of `jira_add_worklog`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct WorklogAdded {
    pub key: String,
    pub worklog: Worklog,
}

pub(crate) async fn add_worklog(
    ctx: ToolContext,
    args: AddWorklogArgs,
) -> Result<Reply<WorklogAdded>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let (time_spent, _) = parse_time_spent(&args.time_spent)?;
    let started = match args.started.as_deref() {
        Some(s) => jira_started(s)?,
        None => jira_time(
            time::OffsetDateTime::from_unix_timestamp(ctx.state.clock.now())
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        ),
    };
    if args.comment.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return Err(ToolError::invalid("comment must not be empty when given"));
    }
    // Sent in Jira's notation, so that the site's own time tracking settings read it.
    let mut body = json!({"timeSpent": time_spent, "started": started});
    if let Some(c) = &args.comment {
        body["comment"] = offload::markdown_to_adf(c.clone()).await;
    }
    let call = jira(format!("/issue/{key}/worklog")).with_method(Method::POST, body);
    let (added, _) = ctx.send_as::<WorklogDoc>(call.site(args.site.as_deref())).await?;
    let worklog = worklog(&added);
    let markdown = format!(
        "Logged {} on **{key}** (started {}).",
        worklog.time_spent.as_deref().unwrap_or(&time_spent),
        worklog.started.as_deref().unwrap_or(&started)
    );
    Ok(Reply::new(WorklogAdded { key, worklog }, markdown))
}

/// Arguments of `jira_get_worklogs`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorklogsArgs {
    pub issue_key: String,
    /// Index of the first worklog (default 0; `next_start_at` of the previous page).
    pub start_at: Option<u32>,
    /// Worklogs per page (1-100, default 20).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    pub site: Option<String>,
}

#[derive(Deserialize)]
struct WorklogPage {
    #[serde(default, rename = "startAt")]
    start_at: u64,
    #[serde(default, rename = "maxResults")]
    max_results: u64,
    #[serde(default)]
    total: u64,
    #[serde(default)]
    worklogs: Vec<WorklogDoc>,
}

/// Result of `jira_get_worklogs`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Worklogs {
    pub key: String,
    pub start_at: u64,
    pub max_results: u64,
    /// Worklogs on the issue in all.
    pub total: u64,
    /// Pass as `start_at` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_start_at: Option<u64>,
    pub worklogs: Vec<Worklog>,
}

pub(crate) async fn get_worklogs(ctx: ToolContext, args: WorklogsArgs) -> Result<Reply<Worklogs>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let limit = bounded(args.limit, 20, (1, 100), "limit")?;
    let start = args.start_at.unwrap_or(0);
    let call = jira(format!("/issue/{key}/worklog")).query("startAt", start).query("maxResults", limit);
    let (page, _) = ctx.send_as::<WorklogPage>(call.site(args.site.as_deref())).await?;
    let worklogs: Vec<Worklog> = page.worklogs.iter().map(worklog).collect();
    let end = page.start_at + worklogs.len() as u64;
    let next_start_at = (!worklogs.is_empty() && end < page.total).then_some(end);
    let mut markdown = if worklogs.is_empty() {
        format!("No worklogs on {key} from {}.", page.start_at)
    } else {
        worklogs
            .iter()
            .map(|w| {
                format!(
                    "- {} · {} · {}{}",
                    w.started.as_deref().unwrap_or_default(),
                    w.time_spent.as_deref().unwrap_or_default(),
                    w.author.as_deref().unwrap_or_default(),
                    if w.comment.is_empty() { String::new() } else { format!(": {}", w.comment.trim()) }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if let Some(next) = next_start_at {
        markdown.push_str(&format!("\n\n{} of {}; more with start_at {next}.", end, page.total));
    }
    Ok(Reply::new(
        Worklogs {
            key,
            start_at: page.start_at,
            max_results: page.max_results,
            total: page.total,
            next_start_at,
            worklogs,
        },
        markdown,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> Vec<LinkType> {
        let t = |id: &str, name: &str, inward: &str, outward: &str| LinkType {
            id: id.into(),
            name: name.into(),
            inward: inward.into(),
            outward: outward.into(),
        };
        vec![
            t("10000", "Blocks", "is blocked by", "blocks"),
            t("10002", "Duplicate", "is duplicated by", "duplicates"),
            t("10003", "Relates", "relates to", "relates to"),
        ]
    }

    #[test]
    fn a_link_is_named_by_its_type_or_either_phrase() {
        let types = types();
        let pick = |w: &str| pick_link(&types, w).map(|(t, d)| (t.name.as_str(), d));
        assert_eq!(pick("Blocks"), Some(("Blocks", Direction::Outward)));
        assert_eq!(pick("blocks"), Some(("Blocks", Direction::Outward)));
        assert_eq!(pick(" IS  blocked by "), Some(("Blocks", Direction::Inward)));
        assert_eq!(pick("is duplicated by"), Some(("Duplicate", Direction::Inward)));
        assert_eq!(pick("duplicates"), Some(("Duplicate", Direction::Outward)));
        assert_eq!(pick("relates to"), Some(("Relates", Direction::Outward)));
        assert_eq!(pick("causes"), None);
    }

    #[test]
    fn time_spent_is_read_in_jiras_notation_with_its_defaults() {
        assert_eq!(
            parse_time_spent("1w 2d 3h 30m").unwrap(),
            ("1w 2d 3h 30m".into(), (40 + 16 + 3) * 3600 + 1800)
        );
        assert_eq!(parse_time_spent("2h30m").unwrap(), ("2h 30m".into(), 9000));
        assert_eq!(parse_time_spent(" 45M ").unwrap(), ("45m".into(), 2700));
        assert_eq!(parse_time_spent("1d").unwrap().1, 8 * 3600);
        for bad in ["", "2", "h", "1.5h", "30m 2h", "2h 2h", "two hours", "2x", "-1h", "0m", "9999999h"] {
            assert!(parse_time_spent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn started_is_sent_in_jiras_format_in_utc() {
        assert_eq!(jira_started("2021-01-17T12:34:00Z").unwrap(), "2021-01-17T12:34:00.000+0000");
        assert_eq!(jira_started("2021-01-17T13:34:00+01:00").unwrap(), "2021-01-17T12:34:00.000+0000");
        assert_eq!(jira_started("2021-01-17T12:34:00.000+0000").unwrap(), "2021-01-17T12:34:00.000+0000");
        for bad in ["2021-01-17", "2021-01-17T12:34:00", "yesterday"] {
            assert!(jira_started(bad).is_err(), "{bad}");
        }
    }
}
