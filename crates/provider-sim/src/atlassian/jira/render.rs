//! Jira REST v3 response shapes.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::{
    adf,
    model::{
        Attachment, Comment, Component, Issue, IssueType, JiraData, LinkType, Priority, Project, Sprint,
        Status, Style, Version, Worklog,
    },
};
use crate::{
    clock,
    seed::people::{Person, find_person},
};

/// Base of `self` links: `{base_url}/ex/jira/{cloudid}/rest/api/3`.
#[derive(Clone, Debug)]
pub(crate) struct Links {
    pub api: String,
    /// The caller's account id (for `isWatching` and `hasVoted`).
    pub viewer: String,
}

fn avatars(seed: &str) -> Value {
    let url = |size: u32| {
        format!("https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/{seed}/{size}.png")
    };
    json!({"48x48": url(48), "24x24": url(24), "16x16": url(16), "32x32": url(32)})
}

/// A user as embedded in issues and comments.
pub(crate) fn user(l: &Links, account_id: &str) -> Value {
    match find_person(account_id) {
        Some(p) => person(l, &p, false),
        None => {
            json!({"accountId": account_id, "active": false, "displayName": "Former user", "accountType": "atlassian"})
        }
    }
}

/// A user; `full` adds `locale` (as `/myself` and `/user` answer).
pub(crate) fn person(l: &Links, p: &Person, full: bool) -> Value {
    let mut out = json!({
        "self": format!("{}/user?accountId={}", l.api, p.account_id),
        "accountId": p.account_id,
        "accountType": "atlassian",
        "emailAddress": p.email,
        "avatarUrls": avatars(&p.account_id),
        "displayName": p.name,
        "active": true,
        "timeZone": p.time_zone,
    });
    if full {
        out["locale"] = json!(p.locale.replace('-', "_"));
    }
    out
}

pub(crate) fn status(l: &Links, s: Status) -> Value {
    let (cat_id, key, color, name) = s.category();
    json!({
        "self": format!("{}/status/{}", l.api, s.id()),
        "description": "",
        "iconUrl": format!("{}/images/icons/statuses/generic.png", l.api),
        "name": s.name(),
        "id": s.id(),
        "statusCategory": {
            "self": format!("{}/statuscategory/{cat_id}", l.api),
            "id": cat_id,
            "key": key,
            "colorName": color,
            "name": name,
        },
    })
}

pub(crate) fn priority(l: &Links, p: Priority) -> Value {
    json!({
        "self": format!("{}/priority/{}", l.api, p.id()),
        "iconUrl": format!("{}/images/icons/priorities/{}.svg", l.api, p.name().to_lowercase()),
        "name": p.name(),
        "id": p.id(),
    })
}

/// The type `t` as project `p` has it (a team-managed project's own id, name and `scope`).
pub(crate) fn issuetype(l: &Links, p: &Project, t: IssueType) -> Value {
    let pt = super::screens::issue_type(p, t);
    let mut out = json!({
        "self": format!("{}/issuetype/{}", l.api, pt.id),
        "id": pt.id,
        "description": t.description(),
        "iconUrl": format!("{}/images/icons/issuetypes/{}.png", l.api, t.name().to_lowercase()),
        "name": pt.name,
        "subtask": t == IssueType::Subtask,
        "avatarId": 10300 + t.id().parse::<u32>().unwrap_or(0) % 100,
        "hierarchyLevel": t.hierarchy_level(),
    });
    if p.style == Style::NextGen {
        out["scope"] = json!({"type": "PROJECT", "project": {"id": p.id.to_string()}});
    }
    out
}

/// A project as embedded in an issue.
pub(crate) fn project_ref(l: &Links, p: &Project) -> Value {
    json!({
        "self": format!("{}/project/{}", l.api, p.id),
        "id": p.id.to_string(),
        "key": p.key,
        "name": p.name,
        "projectTypeKey": "software",
        "simplified": p.style == Style::NextGen,
        "avatarUrls": avatars(&p.key),
    })
}

/// A project as `/project/search` lists it: `description` and `lead` only when `expand` names
/// them (or `*`), as the REST v3 reference documents that endpoint's `expand`.
pub(crate) fn project_listed(l: &Links, p: &Project, expand: Option<&str>) -> Value {
    let mut out = project(l, p);
    let expanded = |name: &str| expand.unwrap_or("").split(',').any(|e| e.trim() == name || e.trim() == "*");
    for name in ["description", "lead"] {
        if !expanded(name)
            && let Some(map) = out.as_object_mut()
        {
            map.remove(name);
        }
    }
    out
}

/// A project with the details `GET /project/{key}` answers by default (description, lead).
pub(crate) fn project(l: &Links, p: &Project) -> Value {
    let mut out = project_ref(l, p);
    out["expand"] = json!("description,lead,issueTypes,url,projectKeys,permissions,insight");
    out["style"] = json!(p.style.as_str());
    out["isPrivate"] = json!(false);
    out["properties"] = json!({});
    out["description"] = json!(p.description);
    out["lead"] = user(l, &p.lead);
    out
}

/// A comment.
pub(crate) fn comment(l: &Links, issue_id: u64, c: &Comment) -> Value {
    json!({
        "self": format!("{}/issue/{issue_id}/comment/{}", l.api, c.id),
        "id": c.id.to_string(),
        "author": user(l, &c.author),
        "body": c.body,
        "updateAuthor": user(l, &c.author),
        "created": clock::jira(c.created),
        "updated": clock::jira(c.updated),
        "jsdPublic": true,
    })
}

/// The comment page bean.
pub(crate) fn comments_page(l: &Links, issue: &Issue, start: usize, max: usize) -> Value {
    let page: Vec<Value> =
        issue.comments.iter().skip(start).take(max).map(|c| comment(l, issue.id, c)).collect();
    json!({"startAt": start, "maxResults": max, "total": issue.comments.len(), "comments": page})
}

/// A link type as `GET /issueLinkType` lists it and links embed it.
pub(crate) fn link_type(l: &Links, t: &LinkType) -> Value {
    json!({
        "id": t.id.to_string(),
        "name": t.name,
        "inward": t.inward,
        "outward": t.outward,
        "self": format!("{}/issueLinkType/{}", l.api, t.id),
    })
}

/// Another issue as a link or a subtask list embeds it: id, key, and a few fields.
pub(crate) fn linked_issue(l: &Links, data: &JiraData, i: &Issue) -> Option<Value> {
    let project = data.project(&i.project)?;
    Some(json!({
        "id": i.id.to_string(),
        "key": i.key,
        "self": format!("{}/issue/{}", l.api, i.id),
        "fields": {
            "summary": i.summary,
            "status": status(l, i.status),
            "priority": priority(l, i.priority),
            "issuetype": issuetype(l, project, i.issuetype),
        },
    }))
}

/// A link as `GET /issueLink/{id}` answers it: the source is `inwardIssue`, the destination
/// `outwardIssue` (as `POST /issueLink` takes them).
pub(crate) fn issue_link(
    l: &Links,
    data: &JiraData,
    source: &Issue,
    link: &super::model::IssueLink,
) -> Value {
    let mut out = link_head(l, data, link);
    if let Some(v) = linked_issue(l, data, source) {
        out["inwardIssue"] = v;
    }
    if let Some(v) = data.issue(&link.destination.to_string()).and_then(|d| linked_issue(l, data, d)) {
        out["outwardIssue"] = v;
    }
    out
}

fn link_head(l: &Links, data: &JiraData, link: &super::model::IssueLink) -> Value {
    let kind = data.link_types.iter().find(|t| t.id == link.kind);
    json!({
        "id": link.id.to_string(),
        "self": format!("{}/issueLink/{}", l.api, link.id),
        "type": kind.map_or(Value::Null, |t| link_type(l, t)),
    })
}

/// `fields.issuelinks` of `i`: each link from the other issue's side, as Jira shows it. On the
/// source, the destination is the `outwardIssue` (read with the outward phrase: "blocks"); on
/// the destination, the source is the `inwardIssue` ("is blocked by").
fn issue_links(l: &Links, data: &JiraData, i: &Issue) -> Vec<Value> {
    let mut out = Vec::new();
    for link in &i.links {
        if let Some(other) = data.issue(&link.destination.to_string()).and_then(|d| linked_issue(l, data, d))
        {
            let mut v = link_head(l, data, link);
            v["outwardIssue"] = other;
            out.push(v);
        }
    }
    for source in &data.issues {
        for link in source.links.iter().filter(|k| k.destination == i.id) {
            if let Some(other) = linked_issue(l, data, source) {
                let mut v = link_head(l, data, link);
                v["inwardIssue"] = other;
                out.push(v);
            }
        }
    }
    out
}

/// Seconds as Jira writes a duration with its default time tracking (1w = 5d, 1d = 8h):
/// `1w 2d 3h 30m`.
pub(crate) fn duration(seconds: u64) -> String {
    let mut left = seconds / 60;
    let mut parts = Vec::new();
    for (unit, minutes) in [("w", 5 * 8 * 60), ("d", 8 * 60), ("h", 60), ("m", 1)] {
        if left >= minutes {
            parts.push(format!("{}{unit}", left / minutes));
            left %= minutes;
        }
    }
    if parts.is_empty() { "0m".to_string() } else { parts.join(" ") }
}

/// A worklog.
pub(crate) fn worklog(l: &Links, issue_id: u64, w: &Worklog) -> Value {
    let mut out = json!({
        "self": format!("{}/issue/{issue_id}/worklog/{}", l.api, w.id),
        "author": user(l, &w.author),
        "updateAuthor": user(l, &w.author),
        "created": clock::jira(w.created),
        "updated": clock::jira(w.updated),
        "started": clock::jira(w.started),
        "timeSpent": duration(w.seconds),
        "timeSpentSeconds": w.seconds,
        "id": w.id.to_string(),
        "issueId": issue_id.to_string(),
    });
    if let Some(c) = &w.comment {
        out["comment"] = c.clone();
    }
    out
}

/// The worklog page bean.
pub(crate) fn worklogs_page(l: &Links, issue: &Issue, start: usize, max: usize) -> Value {
    let page: Vec<Value> =
        issue.worklogs.iter().skip(start).take(max).map(|w| worklog(l, issue.id, w)).collect();
    json!({"startAt": start, "maxResults": max, "total": issue.worklogs.len(), "worklogs": page})
}

/// An attachment as an issue's `attachment` field and `POST …/attachments` show it (the
/// document's `Attachment`: `id` a string, the author a `UserDetails`); `thumbnail` for images.
pub(crate) fn attachment(l: &Links, a: &Attachment) -> Value {
    let mut out = json!({
        "self": format!("{}/attachment/{}", l.api, a.id),
        "id": a.id.to_string(),
        "filename": a.filename,
        "author": user(l, &a.author),
        "created": clock::jira(a.created),
        "size": a.bytes.len(),
        "mimeType": a.mime_type,
        "content": format!("{}/attachment/content/{}", l.api, a.id),
    });
    if a.is_image() {
        out["thumbnail"] = json!(format!("{}/attachment/thumbnail/{}", l.api, a.id));
    }
    out
}

/// An attachment as `GET …/attachment/{id}` answers it (the document's `AttachmentMetadata`:
/// `id` a number, `properties`).
pub(crate) fn attachment_metadata(l: &Links, a: &Attachment) -> Value {
    let mut out = attachment(l, a);
    out["id"] = json!(a.id);
    out["properties"] = json!({});
    out
}

/// Every field an issue has, in Jira's order of importance.
pub(crate) const ALL_FIELDS: &[&str] = &[
    "summary",
    "status",
    "assignee",
    "reporter",
    "creator",
    "priority",
    "issuetype",
    "project",
    "labels",
    "created",
    "updated",
    "resolution",
    "resolutiondate",
    "duedate",
    "description",
    "comment",
    "parent",
    "statuscategorychangedate",
    "components",
    "fixVersions",
    "versions",
    "environment",
    "watches",
    "votes",
    "customfield_10020",
    "customfield_10019",
    "customfield_10016",
    "customfield_10040",
    "customfield_10041",
    "customfield_10042",
    "issuelinks",
    "subtasks",
    "worklog",
    "attachment",
];

/// `fields=` selection: names, `*all`, `*navigable`, `-name`.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldSel {
    all: bool,
    navigable: bool,
    include: HashSet<String>,
    exclude: HashSet<String>,
}

impl FieldSel {
    /// Every field (GET issue without `fields`).
    pub(crate) fn everything() -> Self {
        FieldSel { all: true, ..Default::default() }
    }

    /// Parses the list; an empty list selects nothing but `id`/`key`/`self`.
    pub(crate) fn parse<'a>(items: impl IntoIterator<Item = &'a str>) -> Self {
        let mut sel = FieldSel::default();
        for raw in items.into_iter().flat_map(|s| s.split(',')).map(str::trim) {
            match raw {
                "" => {}
                "*all" => sel.all = true,
                "*navigable" => sel.navigable = true,
                f if f.starts_with('-') => {
                    sel.exclude.insert(f[1..].to_string());
                }
                f => {
                    sel.include.insert(f.to_string());
                }
            }
        }
        sel
    }

    pub(crate) fn wants(&self, name: &str) -> bool {
        if self.exclude.contains(name) {
            return false;
        }
        self.include.contains(name) || self.all || (self.navigable && !matches!(name, "comment" | "worklog"))
    }

    /// True when only `id`/`key` were asked for (larger pages allowed).
    pub(crate) fn is_id_only(&self) -> bool {
        !self.all && !self.navigable && self.include.iter().all(|f| f == "id" || f == "key")
    }
}

fn field(l: &Links, data: &JiraData, i: &Issue, name: &str) -> Option<Value> {
    let user_opt = |a: &Option<String>| a.as_deref().map_or(Value::Null, |a| user(l, a));
    Some(match name {
        "summary" => json!(i.summary),
        "status" => status(l, i.status),
        "assignee" => user_opt(&i.assignee),
        "reporter" => user(l, &i.reporter),
        "creator" => user(l, &i.creator),
        "priority" => priority(l, i.priority),
        "issuetype" => issuetype(l, data.project(&i.project)?, i.issuetype),
        "project" => data.project(&i.project).map_or(Value::Null, |p| project_ref(l, p)),
        "labels" => json!(i.labels),
        "created" => json!(clock::jira(i.created)),
        "updated" => json!(clock::jira(i.updated)),
        "statuscategorychangedate" => json!(clock::jira(i.status_changed)),
        "resolution" => i.resolution_date.map_or(Value::Null, |_| {
            json!({"self": format!("{}/resolution/10000", l.api), "id": "10000", "description": "Work has been completed on this issue.", "name": "Done"})
        }),
        "resolutiondate" => i.resolution_date.map_or(Value::Null, |d| json!(clock::jira(d))),
        "duedate" => i.duedate.as_ref().map_or(Value::Null, |d| json!(d)),
        "description" => i.description.clone().unwrap_or(Value::Null),
        "comment" => {
            let mut page = comments_page(l, i, 0, 20);
            page["self"] = json!(format!("{}/issue/{}/comment", l.api, i.id));
            page
        }
        "parent" => {
            let p = data.issue(i.parent.as_deref()?)?;
            json!({"id": p.id.to_string(), "key": p.key, "self": format!("{}/issue/{}", l.api, p.id),
                   "fields": {"summary": p.summary, "status": status(l, p.status), "priority": priority(l, p.priority), "issuetype": issuetype(l, data.project(&p.project)?, p.issuetype)}})
        }
        "components" => json!(
            i.components
                .iter()
                .filter_map(|n| data.components.iter().find(|c| c.name == *n))
                .map(|c| component(l, c))
                .collect::<Vec<_>>()
        ),
        "fixVersions" => versions(l, data, &i.fix_versions),
        "versions" => versions(l, data, &i.affected_versions),
        "environment" => i.environment.as_deref().map_or(Value::Null, adf::doc),
        "watches" => json!({
            "self": format!("{}/issue/{}/watchers", l.api, i.key),
            "watchCount": i.watchers.len(),
            "isWatching": i.watchers.contains(&l.viewer),
        }),
        "votes" => json!({
            "self": format!("{}/issue/{}/votes", l.api, i.key),
            "votes": i.voters.len(),
            "hasVoted": i.voters.contains(&l.viewer),
        }),
        "customfield_10020" if i.sprints.is_empty() => Value::Null,
        "customfield_10020" => json!(
            i.sprints
                .iter()
                .filter_map(|id| data.sprints.iter().find(|s| s.id == *id))
                .map(|s| {
                    let mut v = json!({"id": s.id, "name": s.name, "state": s.state.as_str(), "boardId": s.board, "goal": s.goal});
                    sprint_dates(&mut v, s);
                    v
                })
                .collect::<Vec<_>>()
        ),
        "customfield_10019" => json!(format!("0|i{:05}:", i.rank)),
        id if id.starts_with("customfield_") => super::fields::custom(id)?.render(l, i.custom.get(id)),
        "issuelinks" => json!(issue_links(l, data, i)),
        "subtasks" => json!(
            data.issues
                .iter()
                .filter(|s| s.issuetype == IssueType::Subtask && s.parent.as_deref() == Some(i.key.as_str()))
                .filter_map(|s| linked_issue(l, data, s))
                .collect::<Vec<_>>()
        ),
        "worklog" => worklogs_page(l, i, 0, 20),
        "attachment" => json!(i.attachments.iter().map(|a| attachment(l, a)).collect::<Vec<_>>()),
        _ => return None,
    })
}

fn versions(l: &Links, data: &JiraData, names: &[String]) -> Value {
    json!(
        names
            .iter()
            .filter_map(|n| data.versions.iter().find(|v| v.name == *n))
            .map(|v| version(l, v))
            .collect::<Vec<_>>()
    )
}

/// A component as an issue's `components` and `allowedValues` show it.
pub(crate) fn component(l: &Links, c: &Component) -> Value {
    json!({"self": format!("{}/component/{}", l.api, c.id), "id": c.id.to_string(), "name": c.name})
}

/// A version as an issue's `fixVersions` and `allowedValues` show it.
pub(crate) fn version(l: &Links, v: &Version) -> Value {
    let mut out = json!({
        "self": format!("{}/version/{}", l.api, v.id),
        "id": v.id.to_string(),
        "description": "",
        "name": v.name,
        "archived": false,
        "released": v.released,
    });
    if let Some(d) = v.release_date {
        out["releaseDate"] = json!(d.to_string());
    }
    out
}

/// An issue with the selected fields; `expand` may ask for `renderedFields` and `names`.
/// An issue as a search without `fields` lists it: `id`, `key`, `self`.
pub(crate) fn issue_ref(l: &Links, i: &Issue) -> Value {
    json!({"id": i.id.to_string(), "key": i.key, "self": format!("{}/issue/{}", l.api, i.id)})
}

pub(crate) fn issue(l: &Links, data: &JiraData, i: &Issue, sel: &FieldSel, expand: &[String]) -> Value {
    let mut fields = Map::new();
    for name in ALL_FIELDS {
        if sel.wants(name)
            && let Some(v) = field(l, data, i, name)
        {
            fields.insert((*name).to_string(), v);
        }
    }
    let mut out = json!({
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": i.id.to_string(),
        "self": format!("{}/issue/{}", l.api, i.id),
        "key": i.key,
    });
    if expand.iter().any(|e| e == "renderedFields") {
        out["renderedFields"] = json!({
            "description": i.description.as_ref().map(adf::to_html),
            "created": clock::jira(i.created),
            "updated": clock::jira(i.updated),
        });
    }
    if expand.iter().any(|e| e == "names") {
        let names: Map<String, Value> = fields.keys().map(|k| (k.clone(), json!(display_name(k)))).collect();
        out["names"] = Value::Object(names);
    }
    out["fields"] = Value::Object(fields);
    out
}

fn display_name(field: &str) -> String {
    match field {
        "issuetype" => "Issue Type".into(),
        "duedate" => "Due date".into(),
        "resolutiondate" => "Resolved".into(),
        "statuscategorychangedate" => "Status Category Changed".into(),
        "fixVersions" => "Fix versions".into(),
        "versions" => "Affects versions".into(),
        "customfield_10020" => "Sprint".into(),
        "customfield_10019" => "Rank".into(),
        id if super::fields::custom(id).is_some() => super::fields::custom(id).map_or("", |c| c.name).into(),
        "issuelinks" => "Linked Issues".into(),
        "subtasks" => "Sub-tasks".into(),
        "worklog" => "Log Work".into(),
        f => {
            let mut c = f.chars();
            c.next().map(|h| h.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        }
    }
}

/// A transition as `GET …/transitions` lists it.
pub(crate) fn transition(l: &Links, t: &super::model::Transition) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "to": status(l, t.to),
        "hasScreen": t.screen,
        "isGlobal": false,
        "isInitial": false,
        "isAvailable": true,
        "isConditional": false,
        "isLooped": false,
    })
}

/// A sprint's `startDate`, `endDate` and `completeDate`, those it has.
pub(crate) fn sprint_dates(v: &mut Value, s: &Sprint) {
    for (name, at) in [("startDate", s.start), ("endDate", s.end), ("completeDate", s.complete)] {
        if let Some(at) = at {
            v[name] = json!(clock::iso(at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selection_understands_all_navigable_and_exclusions() {
        let s = FieldSel::parse(["summary,status"]);
        assert!(s.wants("summary") && !s.wants("comment"));
        let s = FieldSel::parse(["*navigable", "-description"]);
        assert!(s.wants("summary") && !s.wants("comment") && !s.wants("description"));
        let s = FieldSel::parse(["*all"]);
        assert!(s.wants("comment"));
        assert!(FieldSel::parse(["id", "key"]).is_id_only());
        assert!(FieldSel::parse(Vec::<&str>::new()).is_id_only());
    }
}
