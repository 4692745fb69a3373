//! The fields JQL knows here, their kinds, an issue's values for each, and the resolution of a
//! written value to the form the values are compared in.

use super::{super::model::*, Context, JqlError};
use crate::seed::people::find_person;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Project,
    Status,
    Category,
    Assignee,
    Reporter,
    Creator,
    Type,
    Priority,
    Labels,
    Key,
    Parent,
    EpicLink,
    Resolution,
    Text,
    Summary,
    Description,
    Comment,
    Environment,
    Created,
    Updated,
    Resolved,
    Due,
    CategoryChanged,
    Component,
    FixVersion,
    AffectedVersion,
    Watcher,
    Voter,
    Watchers,
    Votes,
    Sprint,
    Rank,
    Attachments,
}

impl Field {
    /// By JQL name (case-insensitive), quoted display name or `cf[id]` of a custom field.
    pub(super) fn parse(name: &str) -> Option<Field> {
        let lower = name.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "project" => Field::Project,
            "status" => Field::Status,
            "statuscategory" | "status category" => Field::Category,
            "assignee" => Field::Assignee,
            "reporter" => Field::Reporter,
            "creator" => Field::Creator,
            "issuetype" | "type" | "issue type" => Field::Type,
            "priority" => Field::Priority,
            "labels" | "label" => Field::Labels,
            "key" | "issuekey" | "id" | "issue" => Field::Key,
            "parent" => Field::Parent,
            "epic link" | "cf[10014]" => Field::EpicLink,
            "resolution" => Field::Resolution,
            "text" => Field::Text,
            "summary" => Field::Summary,
            "description" => Field::Description,
            "comment" => Field::Comment,
            "environment" => Field::Environment,
            "created" | "createddate" => Field::Created,
            "updated" | "updateddate" => Field::Updated,
            "resolved" | "resolutiondate" => Field::Resolved,
            "due" | "duedate" => Field::Due,
            "statuscategorychangeddate" => Field::CategoryChanged,
            "component" => Field::Component,
            "fixversion" | "fix version" => Field::FixVersion,
            "affectedversion" | "affects version" => Field::AffectedVersion,
            "watcher" => Field::Watcher,
            "voter" => Field::Voter,
            "watchers" => Field::Watchers,
            "votes" => Field::Votes,
            "sprint" | "cf[10020]" => Field::Sprint,
            "rank" | "cf[10019]" => Field::Rank,
            "attachments" => Field::Attachments,
            _ => return None,
        })
    }

    pub(super) fn is_text(self) -> bool {
        matches!(
            self,
            Field::Text | Field::Summary | Field::Description | Field::Comment | Field::Environment
        )
    }

    pub(super) fn is_date(self) -> bool {
        matches!(
            self,
            Field::Created | Field::Updated | Field::Resolved | Field::Due | Field::CategoryChanged
        )
    }

    pub(super) fn is_number(self) -> bool {
        matches!(self, Field::Watchers | Field::Votes)
    }

    pub(super) fn is_user(self) -> bool {
        matches!(self, Field::Assignee | Field::Reporter | Field::Creator | Field::Watcher | Field::Voter)
    }

    pub(super) fn is_issue(self) -> bool {
        matches!(self, Field::Key | Field::Parent | Field::EpicLink)
    }

    pub(super) fn is_version(self) -> bool {
        matches!(self, Field::FixVersion | Field::AffectedVersion)
    }

    /// Only `IS [NOT] EMPTY` (and sorting, for the rank).
    pub(super) fn emptiness_only(self) -> bool {
        matches!(self, Field::Rank | Field::Attachments)
    }

    /// The fields Jira's history searches (`WAS`, `CHANGED`) support.
    pub(super) fn tracked(self) -> Option<Tracked> {
        Some(match self {
            Field::Status => Tracked::Status,
            Field::Assignee => Tracked::Assignee,
            Field::Reporter => Tracked::Reporter,
            Field::Priority => Tracked::Priority,
            Field::Resolution => Tracked::Resolution,
            Field::FixVersion => Tracked::FixVersion,
            _ => return None,
        })
    }
}

/// An issue's values of `field`, in the form [`canonical`] gives.
pub(super) fn values(field: Field, issue: &Issue) -> Vec<String> {
    match field {
        Field::Project => vec![issue.project.clone()],
        Field::Status | Field::Category => vec![issue.status.id().to_string()],
        Field::Priority => vec![issue.priority.id().to_string()],
        Field::Type => vec![issue.issuetype.id().to_string()],
        Field::Assignee => issue.assignee.iter().cloned().collect(),
        Field::Reporter => vec![issue.reporter.clone()],
        Field::Creator => vec![issue.creator.clone()],
        Field::Labels => issue.labels.iter().map(|l| l.to_lowercase()).collect(),
        Field::Key => vec![issue.key.clone()],
        Field::Parent | Field::EpicLink => issue.parent.iter().cloned().collect(),
        Field::Resolution => issue.resolution_date.map(|_| "Done".to_string()).into_iter().collect(),
        Field::Summary => vec![issue.summary.clone()],
        Field::Description => issue.description.iter().map(super::super::adf::plain_text).collect(),
        Field::Environment => issue.environment.iter().cloned().collect(),
        Field::Component => issue.components.clone(),
        Field::FixVersion => issue.fix_versions.clone(),
        Field::AffectedVersion => issue.affected_versions.clone(),
        Field::Watcher => issue.watchers.clone(),
        Field::Voter => issue.voters.clone(),
        Field::Watchers => vec![issue.watchers.len().to_string()],
        Field::Votes => vec![issue.voters.len().to_string()],
        Field::Sprint => issue.sprints.iter().map(u64::to_string).collect(),
        Field::Rank => vec![issue.rank.to_string()],
        Field::Attachments => issue.attachments.iter().map(|a| a.id.to_string()).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn no_value(v: &str, field: &str) -> JqlError {
    JqlError(format!("The value '{v}' does not exist for the field '{field}'."))
}

/// Resolutions of Jira Cloud's default scheme; the simulator sets only `Done`.
const RESOLUTIONS: &[&str] = &["Done", "Won't Do", "Duplicate", "Cannot Reproduce"];

/// A written value as compared: ids for statuses, priorities and types, account ids, keys,
/// names of components and versions, sprint ids. `None` is EMPTY (or `Unresolved`).
pub(super) fn canonical(
    field: Field,
    name: &str,
    raw: &str,
    ctx: &Context<'_>,
) -> Result<Option<String>, JqlError> {
    let data = ctx.data;
    let found = match field {
        Field::Project => data.project(raw).map(|p| p.key.clone()),
        Field::Status => Status::parse(raw).map(|s| s.id().to_string()),
        Field::Category => Status::parse_category(raw).map(|s| s.id().to_string()),
        Field::Priority => Priority::parse(raw).map(|p| p.id().to_string()),
        Field::Type => IssueType::parse(raw).map(|t| t.id().to_string()),
        f if f.is_user() => find_person(raw).map(|p| p.account_id),
        Field::Labels => Some(raw.to_lowercase()),
        Field::Resolution if raw.eq_ignore_ascii_case("unresolved") => return Ok(None),
        Field::Resolution => RESOLUTIONS.iter().find(|r| r.eq_ignore_ascii_case(raw)).map(|r| r.to_string()),
        f if f.is_issue() => {
            return data.issue(raw).map(|i| Some(i.key.clone())).ok_or_else(|| {
                JqlError(format!("An issue with key '{raw}' does not exist for field '{name}'."))
            });
        }
        Field::Component => data
            .components
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(raw) || c.id.to_string() == raw)
            .map(|c| c.name.clone()),
        f if f.is_version() => data
            .versions
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(raw) || v.id.to_string() == raw)
            .map(|v| v.name.clone()),
        Field::Sprint => data
            .sprints
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(raw) || s.id.to_string() == raw)
            .map(|s| s.id.to_string()),
        f if f.is_number() => raw.trim().parse::<u64>().ok().map(|n| n.to_string()),
        _ => None,
    };
    found.map(Some).ok_or_else(|| no_value(raw, name))
}
