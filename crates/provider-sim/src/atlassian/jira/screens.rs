//! A project's issue types and screens: which types it has (ids and names differ between
//! company-managed and team-managed projects), which fields each type's create and edit
//! screens carry, and which of them are required. `createmeta`, `editmeta` and the checks of
//! `POST /issue` and `PUT /issue/{key}` all read them from here.

use serde_json::{Value, json};

use super::{
    fields,
    model::{IssueType, JiraData, Permission, Priority, Project, Style},
    render::{self, Links},
};

/// The order Jira lists a project's types in (standard types, then the sub-task).
const ORDER: [IssueType; 5] =
    [IssueType::Task, IssueType::Bug, IssueType::Story, IssueType::Epic, IssueType::Subtask];

/// An issue type as one project has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProjectType {
    pub kind: IssueType,
    pub id: String,
    pub name: &'static str,
}

/// The type `kind` in `p`: company-managed projects share the site's ids and call the
/// sub-task `Sub-task`; a team-managed project has ids of its own and says `Subtask`.
pub(crate) fn issue_type(p: &Project, kind: IssueType) -> ProjectType {
    match p.style {
        Style::Classic => ProjectType {
            kind,
            id: kind.id().to_string(),
            name: if kind == IssueType::Subtask { "Sub-task" } else { kind.name() },
        },
        Style::NextGen => {
            let index = IssueType::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u64;
            let id = 10100 + 10 * p.id.saturating_sub(10000) + index;
            ProjectType { kind, id: id.to_string(), name: kind.name() }
        }
    }
}

/// Every type of `p`, in Jira's order.
pub(crate) fn issue_types(p: &Project) -> Vec<ProjectType> {
    ORDER.iter().map(|k| issue_type(p, *k)).collect()
}

/// A type of `p` by id or by name (case-insensitive).
pub(crate) fn find_type(p: &Project, id_or_name: &str) -> Option<IssueType> {
    issue_types(p)
        .into_iter()
        .find(|t| t.id == id_or_name || t.name.eq_ignore_ascii_case(id_or_name))
        .map(|t| t.kind)
}

/// Whether `id` is an issue type id of some project (or of the site) other than `p`: Jira
/// then says the type selected is invalid (for the project), not that it does not exist.
pub(crate) fn known_elsewhere<'a>(mut projects: impl Iterator<Item = &'a Project>, id: &str) -> bool {
    IssueType::ALL.iter().any(|k| k.id() == id) || projects.any(|p| issue_types(p).iter().any(|t| t.id == id))
}

/// Which screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Screen {
    Create,
    Edit,
}

/// The system fields the simulator models: id, display name, schema type, operations.
const FIELDS: &[(&str, &str, &str, &[&str])] = &[
    ("summary", "Summary", "string", &["set"]),
    ("issuetype", "Issue Type", "issuetype", &[]),
    ("project", "Project", "project", &["set"]),
    ("parent", "Parent", "issuelink", &["set"]),
    ("description", "Description", "string", &["set"]),
    ("reporter", "Reporter", "user", &["set"]),
    ("assignee", "Assignee", "user", &["set"]),
    ("priority", "Priority", "priority", &["set"]),
    ("labels", "Labels", "array", &["add", "set", "remove"]),
    ("duedate", "Due date", "date", &["set"]),
    ("components", "Components", "array", &["add", "set", "remove"]),
    ("fixVersions", "Fix versions", "array", &["set", "add", "remove"]),
    ("comment", "Comment", "comments-page", &["add", "edit", "remove"]),
];

/// A field on a screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OnScreen {
    pub id: &'static str,
    pub name: &'static str,
    pub required: bool,
}

/// The fields of the `screen` of type `kind` in `p` as `who` sees it, in screen order (the
/// assignee only for those who may assign).
pub(crate) fn fields(p: &Project, kind: IssueType, screen: Screen, who: &str) -> Vec<OnScreen> {
    let rules = &p.screens;
    let may_assign = p.may(who, Permission::AssignIssues);
    FIELDS
        .iter()
        .filter(|(id, ..)| match *id {
            "project" => screen == Screen::Create,
            "comment" => screen == Screen::Edit,
            // An epic is at the top of the hierarchy: it has no parent to set.
            "parent" => kind != IssueType::Epic,
            "assignee" => may_assign,
            _ => true,
        })
        .map(|(id, name, ..)| (*id, *name))
        .chain(fields::CUSTOM.iter().map(|c| (c.id, c.name)))
        .filter(|(id, _)| !rules.hidden.iter().any(|h| h == id))
        .filter(|(id, _)| screen == Screen::Edit || !rules.not_on_create.iter().any(|h| h == id))
        .map(|(id, name)| {
            let required = matches!(id, "summary" | "issuetype")
                || (screen == Screen::Create && matches!(id, "project" | "reporter"))
                || (screen == Screen::Create && id == "parent" && kind == IssueType::Subtask)
                || (screen == Screen::Create && rules.required.iter().any(|(k, f)| *k == kind && f == id));
            OnScreen { id, name, required }
        })
        .collect()
}

/// The display name and `schema` of a system field the simulator models.
pub(crate) fn system_field(id: &str) -> Option<(&'static str, Value)> {
    let (id, name, kind, _) = FIELDS.iter().find(|(i, ..)| *i == id).copied()?;
    let mut schema = json!({"type": kind, "system": id});
    match id {
        "labels" => schema["items"] = json!("string"),
        "components" => schema["items"] = json!("component"),
        "fixVersions" => schema["items"] = json!("version"),
        _ => {}
    }
    Some((name, schema))
}

/// The ids of the system fields the simulator models.
pub(crate) fn system_ids() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|(id, ..)| *id)
}

/// Whether `field` is on the `screen` of type `kind` in `p` for `who`.
pub(crate) fn allows(p: &Project, kind: IssueType, screen: Screen, field: &str, who: &str) -> bool {
    fields(p, kind, screen, who).iter().any(|f| f.id == field)
}

/// One field as `createmeta` (with `fieldId`) and `editmeta` describe it.
pub(crate) fn field_json(
    l: &Links,
    data: &JiraData,
    p: &Project,
    kind: IssueType,
    f: &OnScreen,
    screen: Screen,
) -> Value {
    let custom = fields::custom(f.id);
    let ops: &[&str] = match custom {
        Some(_) => &["set"],
        None => FIELDS.iter().find(|(id, ..)| *id == f.id).map_or(&[], |(.., ops)| *ops),
    };
    let schema = match custom {
        Some(c) => c.schema(),
        None => system_field(f.id).map_or(json!({"type": "any"}), |(_, s)| s),
    };
    let mut out = json!({
        "required": f.required,
        "schema": schema,
        "name": f.name,
        "key": f.id,
        "operations": ops,
    });
    let has_default = matches!(f.id, "priority" | "reporter");
    if screen == Screen::Create {
        out["fieldId"] = json!(f.id);
        out["hasDefaultValue"] = json!(has_default);
    }
    match f.id {
        "issuetype" => {
            // Create: the type asked for; edit: the types of the same level it may become.
            let types: Vec<Value> = issue_types(p)
                .into_iter()
                .filter(|t| match screen {
                    Screen::Create => t.kind == kind,
                    Screen::Edit => t.kind.hierarchy_level() == kind.hierarchy_level(),
                })
                .map(|t| render::issuetype(l, p, t.kind))
                .collect();
            out["allowedValues"] = json!(types);
        }
        "project" => out["allowedValues"] = json!([render::project_ref(l, p)]),
        "priority" => {
            let all: Vec<Value> = Priority::ALL.iter().map(|x| render::priority(l, *x)).collect();
            out["allowedValues"] = json!(all);
            if screen == Screen::Create {
                out["defaultValue"] = render::priority(l, Priority::Medium);
            }
        }
        "assignee" | "reporter" => {
            out["autoCompleteUrl"] = json!(format!("{}/user/search?query=", l.api));
        }
        "labels" => out["autoCompleteUrl"] = json!(format!("{}/label/suggest?query=", l.api)),
        "components" => {
            let own: Vec<Value> = data
                .components
                .iter()
                .filter(|c| c.project == p.key)
                .map(|c| render::component(l, c))
                .collect();
            out["allowedValues"] = json!(own);
        }
        "fixVersions" => {
            let own: Vec<Value> =
                data.versions.iter().filter(|v| v.project == p.key).map(|v| render::version(l, v)).collect();
            out["allowedValues"] = json!(own);
        }
        _ => {}
    }
    if let Some(c) = custom.filter(|c| c.kind == fields::Kind::Select) {
        out["allowedValues"] = c.allowed_values(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::jira::seed_site;

    #[test]
    fn team_managed_types_have_ids_of_their_own() {
        let data = seed_site(42);
        let classic = data.project("PLAT").unwrap();
        let team = data.project("MOB").unwrap();
        assert_eq!(team.style, Style::NextGen);
        assert_eq!(issue_type(classic, IssueType::Subtask).name, "Sub-task");
        assert_eq!(issue_type(team, IssueType::Subtask).name, "Subtask");
        assert_ne!(issue_type(classic, IssueType::Task).id, issue_type(team, IssueType::Task).id);
        assert_eq!(find_type(team, "subtask"), Some(IssueType::Subtask));
        assert_eq!(find_type(team, "Sub-task"), None);
        assert_eq!(find_type(classic, &issue_type(team, IssueType::Bug).id), None);
        assert!(known_elsewhere(data.projects.iter(), &issue_type(team, IssueType::Bug).id));
    }

    #[test]
    fn screens_follow_the_project_rules() {
        let data = seed_site(42);
        let ops = data.project("OPS").unwrap();
        let ada = "5b10a2844c20165700ede21g";
        assert!(!allows(ops, IssueType::Task, Screen::Create, "priority", ada));
        assert!(!allows(ops, IssueType::Task, Screen::Edit, "priority", ada));
        assert!(allows(data.project("PLAT").unwrap(), IssueType::Task, Screen::Create, "priority", ada));
        let sub = fields(ops, IssueType::Subtask, Screen::Create, ada);
        assert!(sub.iter().any(|f| f.id == "parent" && f.required));
        assert!(!allows(ops, IssueType::Epic, Screen::Create, "parent", ada));
        assert!(allows(ops, IssueType::Task, Screen::Edit, "comment", ada));
        assert!(!allows(ops, IssueType::Task, Screen::Create, "comment", ada));
        // Who may not assign does not see the assignee.
        let katherine = "61e9a3c0b1a2c4006a1f7e33";
        assert!(allows(ops, IssueType::Task, Screen::Edit, "assignee", ada));
        assert!(!allows(ops, IssueType::Task, Screen::Edit, "assignee", katherine));
    }
}
