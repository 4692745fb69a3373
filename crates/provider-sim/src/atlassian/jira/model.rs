//! Jira's data: projects, issues, comments, and the fixed catalogues (statuses, workflows,
//! priorities, issue types).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// Workflow statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Status {
    ToDo,
    InProgress,
    Done,
}

impl Status {
    pub(crate) const ALL: [Status; 3] = [Status::ToDo, Status::InProgress, Status::Done];

    pub(crate) fn id(self) -> &'static str {
        match self {
            Status::ToDo => "10000",
            Status::InProgress => "3",
            Status::Done => "10001",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Status::ToDo => "To Do",
            Status::InProgress => "In Progress",
            Status::Done => "Done",
        }
    }

    /// `(id, key, colorName, name)` of the status category.
    pub(crate) fn category(self) -> (u32, &'static str, &'static str, &'static str) {
        match self {
            Status::ToDo => (2, "new", "blue-gray", "To Do"),
            Status::InProgress => (4, "indeterminate", "yellow", "In Progress"),
            Status::Done => (3, "done", "green", "Done"),
        }
    }

    /// A status by name or id (case-insensitive).
    pub(crate) fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.name().eq_ignore_ascii_case(s) || st.id() == s)
    }

    /// A status category by name, key or id.
    pub(crate) fn parse_category(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| {
            let (id, key, _, name) = st.category();
            name.eq_ignore_ascii_case(s) || key.eq_ignore_ascii_case(s) || id.to_string() == s
        })
    }
}

/// One workflow transition.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transition {
    pub id: &'static str,
    pub name: &'static str,
    pub to: Status,
    /// The transition shows a screen (here: the classic workflow's Done, for the resolution).
    /// Jira Cloud takes `update.comment` only on a transition with a screen; on one without,
    /// it answers 204 and drops the comment.
    pub screen: bool,
}

/// Workflows differ in their transition ids, as real ones do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Workflow {
    /// To Do -21-> In Progress -31-> Done; In Progress -11-> To Do; Done -41-> To Do.
    Software,
    /// The classic Jira ids: 4 Start Progress, 5 Done, 301 Stop Progress, 3 Reopen.
    Classic,
}

impl Workflow {
    /// Transitions available from `from`.
    pub(crate) fn transitions(self, from: Status) -> &'static [Transition] {
        const fn t(id: &'static str, name: &'static str, to: Status) -> Transition {
            Transition { id, name, to, screen: false }
        }
        const fn with_screen(id: &'static str, name: &'static str, to: Status) -> Transition {
            Transition { id, name, to, screen: true }
        }
        const SW_TODO: &[Transition] = &[t("21", "In Progress", Status::InProgress)];
        const SW_PROG: &[Transition] = &[t("11", "To Do", Status::ToDo), t("31", "Done", Status::Done)];
        const SW_DONE: &[Transition] = &[t("41", "Reopen", Status::ToDo)];
        const CL_TODO: &[Transition] = &[t("4", "Start Progress", Status::InProgress)];
        const CL_PROG: &[Transition] =
            &[t("301", "Stop Progress", Status::ToDo), with_screen("5", "Done", Status::Done)];
        const CL_DONE: &[Transition] = &[t("3", "Reopen", Status::ToDo)];
        match (self, from) {
            (Workflow::Software, Status::ToDo) => SW_TODO,
            (Workflow::Software, Status::InProgress) => SW_PROG,
            (Workflow::Software, Status::Done) => SW_DONE,
            (Workflow::Classic, Status::ToDo) => CL_TODO,
            (Workflow::Classic, Status::InProgress) => CL_PROG,
            (Workflow::Classic, Status::Done) => CL_DONE,
        }
    }
}

/// Priorities, highest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Priority {
    Highest,
    High,
    Medium,
    Low,
    Lowest,
}

impl Priority {
    pub(crate) const ALL: [Priority; 5] =
        [Priority::Highest, Priority::High, Priority::Medium, Priority::Low, Priority::Lowest];

    pub(crate) fn id(self) -> &'static str {
        match self {
            Priority::Highest => "1",
            Priority::High => "2",
            Priority::Medium => "3",
            Priority::Low => "4",
            Priority::Lowest => "5",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Priority::Highest => "Highest",
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
            Priority::Lowest => "Lowest",
        }
    }

    /// Sort rank: higher priority, larger rank (so `ORDER BY priority DESC` starts at Highest).
    pub(crate) fn rank(self) -> u8 {
        5 - Priority::ALL.iter().position(|p| *p == self).unwrap_or(4) as u8
    }

    pub(crate) fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(s) || p.id() == s)
    }
}

/// Issue types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum IssueType {
    Epic,
    Task,
    Bug,
    Story,
    Subtask,
}

impl IssueType {
    pub(crate) const ALL: [IssueType; 5] =
        [IssueType::Epic, IssueType::Task, IssueType::Bug, IssueType::Story, IssueType::Subtask];

    pub(crate) fn id(self) -> &'static str {
        match self {
            IssueType::Epic => "10000",
            IssueType::Task => "10001",
            IssueType::Bug => "10002",
            IssueType::Story => "10003",
            IssueType::Subtask => "10004",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            IssueType::Epic => "Epic",
            IssueType::Task => "Task",
            IssueType::Bug => "Bug",
            IssueType::Story => "Story",
            IssueType::Subtask => "Subtask",
        }
    }

    pub(crate) fn description(self) -> &'static str {
        match self {
            IssueType::Epic => "A big user story that needs to be broken down.",
            IssueType::Task => "A small, distinct piece of work.",
            IssueType::Bug => "A problem or error.",
            IssueType::Story => "A user story told from the user's perspective.",
            IssueType::Subtask => "A small piece of work that's part of a larger task.",
        }
    }

    pub(crate) fn hierarchy_level(self) -> i32 {
        match self {
            IssueType::Epic => 1,
            IssueType::Subtask => -1,
            _ => 0,
        }
    }

    pub(crate) fn parse(s: &str) -> Option<IssueType> {
        IssueType::ALL.into_iter().find(|t| {
            t.name().eq_ignore_ascii_case(s)
                || t.id() == s
                || (*t == IssueType::Subtask && s.eq_ignore_ascii_case("Sub-task"))
        })
    }
}

/// How a project is managed, as Jira's project JSON says (`style`, `simplified`):
/// company-managed (`classic`: the site's shared issue types, `Sub-task`) or team-managed
/// (`next-gen`: issue types of its own, with project-scoped ids, `Subtask`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Style {
    #[default]
    Classic,
    NextGen,
}

impl Style {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Style::Classic => "classic",
            Style::NextGen => "next-gen",
        }
    }
}

/// What a project's screens leave off or require, beyond the fields every screen has (see
/// `screens.rs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScreenRules {
    /// Fields on none of the project's create and edit screens, e.g. `priority`.
    #[serde(default)]
    pub hidden: Vec<String>,
    /// Fields left off the create screens only (they can be set by an edit later).
    #[serde(default)]
    pub not_on_create: Vec<String>,
    /// Fields the create screen of an issue type requires.
    #[serde(default)]
    pub required: Vec<(IssueType, String)>,
}

/// Project permissions the simulator checks (everyone has every other one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Permission {
    /// `ASSIGN_ISSUES`: assign, and the assignee field on screens.
    AssignIssues,
    /// `TRANSITION_ISSUES`: see and take transitions.
    TransitionIssues,
}

/// A Jira project.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Project {
    pub id: u64,
    pub key: String,
    pub name: String,
    pub description: String,
    pub lead: String,
    pub workflow: Workflow,
    pub next_number: u32,
    #[serde(default)]
    pub style: Style,
    #[serde(default)]
    pub screens: ScreenRules,
    /// Permissions some users lack here: (account id, permission).
    #[serde(default)]
    pub denied: Vec<(String, Permission)>,
}

impl Project {
    /// Whether `account_id` has `permission` in this project.
    pub(crate) fn may(&self, account_id: &str, permission: Permission) -> bool {
        !self.denied.iter().any(|(who, p)| who == account_id && *p == permission)
    }
}

/// A comment on an issue.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Comment {
    pub id: u64,
    pub author: String,
    pub body: Value,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
}

/// An issue.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Issue {
    pub id: u64,
    pub key: String,
    pub project: String,
    pub issuetype: IssueType,
    pub summary: String,
    pub description: Option<Value>,
    pub status: Status,
    pub assignee: Option<String>,
    pub reporter: String,
    pub creator: String,
    pub priority: Priority,
    pub labels: Vec<String>,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
    pub status_changed: OffsetDateTime,
    pub resolution_date: Option<OffsetDateTime>,
    pub duedate: Option<String>,
    pub parent: Option<String>,
    pub comments: Vec<Comment>,
    /// Component names (of the issue's project).
    pub components: Vec<String>,
    /// Version names (of the issue's project).
    pub fix_versions: Vec<String>,
    pub affected_versions: Vec<String>,
    /// Account ids.
    pub watchers: Vec<String>,
    pub voters: Vec<String>,
    /// Sprint ids, oldest first (an issue carried over keeps its closed sprints).
    pub sprints: Vec<u64>,
    /// Backlog order: smaller ranks first.
    pub rank: u64,
    pub environment: Option<String>,
    /// The changes the history clauses (`WAS`, `CHANGED`) search, oldest first.
    pub history: Vec<Change>,
    /// The links this issue is the source of (the `inwardIssue` of `POST /issueLink`, which
    /// reads as `<this> <outward phrase> <destination>`, e.g. "blocks"); the destination shows
    /// them too, with the inward phrase.
    #[serde(default)]
    pub links: Vec<IssueLink>,
    /// Time logged on the issue, oldest first.
    #[serde(default)]
    pub worklogs: Vec<Worklog>,
    /// Files attached to the issue, oldest first.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Custom field values by field id (`fields.rs`): a number, an option id, a text.
    #[serde(default)]
    pub custom: std::collections::BTreeMap<String, Value>,
}

/// An issue link type (`GET /issueLinkType`): a name and the phrase of each direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LinkType {
    pub id: u64,
    pub name: String,
    /// How the destination reads the link, e.g. "is blocked by".
    pub inward: String,
    /// How the source reads the link, e.g. "blocks".
    pub outward: String,
}

/// The link types of a new Jira Cloud site.
pub(crate) fn default_link_types() -> Vec<LinkType> {
    let t = |id, name: &str, inward: &str, outward: &str| LinkType {
        id,
        name: name.into(),
        inward: inward.into(),
        outward: outward.into(),
    };
    vec![
        t(10000, "Blocks", "is blocked by", "blocks"),
        t(10001, "Cloners", "is cloned by", "clones"),
        t(10002, "Duplicate", "is duplicated by", "duplicates"),
        t(10003, "Relates", "relates to", "relates to"),
    ]
}

/// A link from the issue that holds it to `destination`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IssueLink {
    pub id: u64,
    /// The link type's id.
    pub kind: u64,
    /// The other issue's id.
    pub destination: u64,
}

/// A worklog entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Worklog {
    pub id: u64,
    pub author: String,
    /// ADF.
    pub comment: Option<Value>,
    pub started: OffsetDateTime,
    pub seconds: u64,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
}

/// A file attached to an issue. Its bytes live in the world, so the state file keeps them
/// (base64).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Attachment {
    pub id: u64,
    pub filename: String,
    /// Account id of who attached it.
    pub author: String,
    pub created: OffsetDateTime,
    /// As the upload declared it (or guessed from the file name).
    pub mime_type: String,
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
    /// The unguessable part of the media URL `…/attachment/content/{id}` redirects to, which
    /// serves the bytes without a bearer token (as Jira's media links carry their own token).
    pub secret: String,
}

impl Attachment {
    /// Images have a thumbnail.
    pub(crate) fn is_image(&self) -> bool {
        self.mime_type.starts_with("image/")
    }
}

/// Bytes as one base64 string in JSON (a number array would be four times larger).
mod base64_bytes {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(D::Error::custom)
    }
}

/// The fields whose changes are recorded (the fields Jira's history searches support).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Tracked {
    Status,
    Assignee,
    Reporter,
    Priority,
    Resolution,
    FixVersion,
}

/// One recorded change: values as JQL resolves them (status and priority ids, account ids,
/// `"Done"` for the resolution, version names); `None` is empty.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Change {
    pub at: OffsetDateTime,
    pub author: String,
    pub field: Tracked,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A board sprint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Sprint {
    pub id: u64,
    pub name: String,
    pub state: SprintState,
    /// The board it was created on (`originBoardId`).
    #[serde(default)]
    pub board: u64,
    /// Set when it was started (future sprints may have planned dates too).
    #[serde(default)]
    pub start: Option<OffsetDateTime>,
    #[serde(default)]
    pub end: Option<OffsetDateTime>,
    /// When it was completed (closed sprints only).
    #[serde(default)]
    pub complete: Option<OffsetDateTime>,
    #[serde(default)]
    pub goal: String,
}

impl SprintState {
    /// The name the agile API uses (`state` field and filter).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SprintState::Closed => "closed",
            SprintState::Active => "active",
            SprintState::Future => "future",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<SprintState> {
        [SprintState::Closed, SprintState::Active, SprintState::Future]
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// A Jira Software board: scrum boards have sprints, kanban boards do not.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Board {
    pub id: u64,
    pub name: String,
    pub kind: BoardKind,
    /// The key of the project it is located in (its filter selects that project's issues).
    pub project: String,
    /// Who may see it when its filter is shared with some people only; empty: everyone who
    /// can browse the project.
    #[serde(default)]
    pub viewers: Vec<String>,
}

impl Board {
    /// Whether `account_id` may see the board.
    pub(crate) fn visible_to(&self, account_id: &str) -> bool {
        self.viewers.is_empty() || self.viewers.iter().any(|v| v == account_id)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum BoardKind {
    Scrum,
    Kanban,
}

impl BoardKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BoardKind::Scrum => "scrum",
            BoardKind::Kanban => "kanban",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum SprintState {
    Closed,
    Active,
    Future,
}

/// A project version.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Version {
    pub id: u64,
    pub name: String,
    pub project: String,
    pub released: bool,
    pub release_date: Option<time::Date>,
}

/// A project component.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Component {
    pub id: u64,
    pub name: String,
    pub project: String,
    pub lead: String,
}

impl Issue {
    /// Project key and number, for `ORDER BY key`.
    pub(crate) fn key_order(&self) -> (String, u64) {
        let number = self.key.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        (self.project.clone(), number)
    }

    /// Moves to `to`, keeping resolution fields consistent, and records the change.
    pub(crate) fn set_status(&mut self, to: Status, author: &str, now: OffsetDateTime) {
        let resolution = |s: Status| (s == Status::Done).then(|| "Done".to_string());
        if to != self.status {
            self.record(Tracked::Status, Some(self.status.id().into()), Some(to.id().into()), author, now);
            let (was, will) = (resolution(self.status), resolution(to));
            if was != will {
                self.record(Tracked::Resolution, was, will, author, now);
            }
        }
        self.status = to;
        self.status_changed = now;
        self.updated = now;
        self.resolution_date = (to == Status::Done).then_some(now);
    }

    /// Records a change of `field` unless the value stays the same.
    pub(crate) fn record(
        &mut self,
        field: Tracked,
        from: Option<String>,
        to: Option<String>,
        author: &str,
        at: OffsetDateTime,
    ) {
        if from != to {
            self.history.push(Change { at, author: author.to_string(), field, from, to });
        }
    }
}

/// One site's Jira content.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct JiraData {
    pub projects: Vec<Project>,
    pub issues: Vec<Issue>,
    pub next_issue_id: u64,
    pub next_comment_id: u64,
    pub sprints: Vec<Sprint>,
    #[serde(default)]
    pub boards: Vec<Board>,
    pub versions: Vec<Version>,
    pub components: Vec<Component>,
    #[serde(default = "default_link_types")]
    pub link_types: Vec<LinkType>,
    #[serde(default = "first_id")]
    pub next_link_id: u64,
    #[serde(default = "first_id")]
    pub next_worklog_id: u64,
    #[serde(default = "first_id")]
    pub next_attachment_id: u64,
}

/// Where link, worklog and attachment ids start (Jira Cloud's ids start at 10000).
fn first_id() -> u64 {
    10000
}

impl JiraData {
    /// A project by key (case-insensitive), id or name.
    pub(crate) fn project(&self, key_or_id: &str) -> Option<&Project> {
        self.projects.iter().find(|p| {
            p.key.eq_ignore_ascii_case(key_or_id)
                || p.id.to_string() == key_or_id
                || p.name.eq_ignore_ascii_case(key_or_id)
        })
    }

    /// Index of an issue by key (case-insensitive) or id.
    pub(crate) fn issue_index(&self, id_or_key: &str) -> Option<usize> {
        self.issues
            .iter()
            .position(|i| i.key.eq_ignore_ascii_case(id_or_key) || i.id.to_string() == id_or_key)
    }

    /// An issue by key or id.
    pub(crate) fn issue(&self, id_or_key: &str) -> Option<&Issue> {
        self.issue_index(id_or_key).map(|i| &self.issues[i])
    }

    /// Allocates the next issue id and key in `project_key`.
    pub(crate) fn allocate_issue(&mut self, project_key: &str) -> Option<(u64, String)> {
        let project = self.projects.iter_mut().find(|p| p.key.eq_ignore_ascii_case(project_key))?;
        let key = format!("{}-{}", project.key, project.next_number);
        project.next_number += 1;
        self.next_issue_id += 1;
        Some((self.next_issue_id, key))
    }

    /// Allocates the next comment id.
    pub(crate) fn allocate_comment(&mut self) -> u64 {
        self.next_comment_id += 1;
        self.next_comment_id
    }

    /// Allocates the next issue link id.
    pub(crate) fn allocate_link(&mut self) -> u64 {
        self.next_link_id += 1;
        self.next_link_id
    }

    /// Allocates the next worklog id.
    pub(crate) fn allocate_worklog(&mut self) -> u64 {
        self.next_worklog_id += 1;
        self.next_worklog_id
    }

    /// Allocates the next attachment id.
    pub(crate) fn allocate_attachment(&mut self) -> u64 {
        self.next_attachment_id += 1;
        self.next_attachment_id
    }

    /// The index of the issue holding the attachment `id`, and the attachment.
    pub(crate) fn attachment(&self, id: u64) -> Option<(usize, &Attachment)> {
        self.issues
            .iter()
            .enumerate()
            .find_map(|(i, issue)| issue.attachments.iter().find(|a| a.id == id).map(|a| (i, a)))
    }

    /// A link type by id, or by name (case-insensitive, as Jira matches it).
    pub(crate) fn link_type(&self, id: Option<&str>, name: Option<&str>) -> Option<&LinkType> {
        self.link_types.iter().find(|t| match (id, name) {
            (Some(id), _) => t.id.to_string() == id,
            (None, Some(name)) => t.name.eq_ignore_ascii_case(name),
            (None, None) => false,
        })
    }

    /// The source issue's index and the link with this id.
    pub(crate) fn link(&self, id: u64) -> Option<(usize, &IssueLink)> {
        self.issues
            .iter()
            .enumerate()
            .find_map(|(i, issue)| issue.links.iter().find(|l| l.id == id).map(|l| (i, l)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflows_lead_from_to_do_through_in_progress_to_done() {
        for wf in [Workflow::Software, Workflow::Classic] {
            let start = wf.transitions(Status::ToDo);
            assert_eq!(start.len(), 1);
            assert_eq!(start[0].to, Status::InProgress);
            assert!(wf.transitions(Status::InProgress).iter().any(|t| t.to == Status::Done));
        }
        assert_ne!(
            Workflow::Software.transitions(Status::ToDo)[0].id,
            Workflow::Classic.transitions(Status::ToDo)[0].id
        );
    }

    #[test]
    fn priority_rank_puts_highest_on_top() {
        assert!(Priority::Highest.rank() > Priority::Lowest.rank());
        assert_eq!(Priority::parse("high"), Some(Priority::High));
        assert_eq!(IssueType::parse("Sub-task"), Some(IssueType::Subtask));
    }
}
