//! Jira fields: the fields of a project's create screen (with their types and allowed values)
//! and the site's fields found by name; and the checks `jira_create_issue` and
//! `jira_update_issue` make of their `fields`, `due_date`, `components` and `fix_versions`
//! before sending anything (the screen must have the field, the value must fit its type, an
//! option, component or version must exist).

use super::context::{Call, Reply, ToolContext, ToolError, bounded};
use super::jira::jira;
use super::jira_meta::{self, Allowed, Field};
use super::registry::{Group, ToolDef, Toolset};
use crate::domain::Provider;
use crate::markdown::offload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The field tools as a selectable set.
pub(crate) const FIELDS: Toolset = Toolset {
    name: "jira_fields",
    group: Group::Jira,
    about: "the fields of a project's create screen; custom and system fields by name",
};

/// The field tools.
pub(crate) fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(FIELDS, name, title);
    vec![
        tool("jira_get_create_fields", "Jira create fields")
            .about("The fields of a Jira project's create screen for an issue type: id, name, required, type, allowed values. Use the ids or names in jira_create_issue's `fields`.")
            .run(get_create_fields),
        tool("jira_search_fields", "Find Jira fields")
            .about("Find Jira fields by part of their name or description: custom fields (default) or system ones; id, name, type. Page with start_at.")
            .run(search_fields),
    ]
}

/// Arguments of `jira_get_create_fields`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateFieldsArgs {
    /// Project key, e.g. `ENG`.
    pub project: String,
    /// Issue type name or id (default `Task`).
    pub issue_type: Option<String>,
    pub site: Option<String>,
}

/// A field of a screen.
#[derive(Serialize, JsonSchema)]
pub(crate) struct FieldOut {
    /// Field id, e.g. `customfield_10016` or `duedate`.
    pub id: String,
    pub name: String,
    pub required: bool,
    /// Jira fills it in when it is not given.
    pub has_default: bool,
    /// Schema type: `string`, `number`, `option`, `array`, `date`, `user`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The type of an array's items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<String>,
    pub custom: bool,
    /// The values it takes (option values, component and version names, …), when Jira lists them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
}

/// Result of `jira_get_create_fields`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct CreateFields {
    pub project: String,
    /// The issue type's name as the project spells it.
    pub issue_type: String,
    pub issue_type_id: String,
    pub fields: Vec<FieldOut>,
}

fn is_custom(f: &Field) -> bool {
    f.schema.custom.is_some() || f.id.starts_with("customfield_")
}

fn out(f: &Field) -> FieldOut {
    FieldOut {
        id: f.id.clone(),
        name: f.name.clone(),
        required: f.required,
        has_default: f.has_default,
        kind: f.schema.kind.clone(),
        items: f.schema.items.clone(),
        custom: is_custom(f),
        allowed_values: f.allowed_values.iter().filter_map(|a| a.label().map(str::to_string)).collect(),
    }
}

pub(crate) async fn get_create_fields(
    ctx: ToolContext,
    args: CreateFieldsArgs,
) -> Result<Reply<CreateFields>, ToolError> {
    let project = super::jira::project_key(&args.project)?;
    let site = args.site.as_deref();
    let wanted = args.issue_type.as_deref().unwrap_or("Task");
    let chosen = super::jira::pick_project_type(&ctx, site, &project, wanted).await?;
    let screen = jira_meta::create_fields(&ctx, site, &project, &chosen.id).await?;
    let fields: Vec<FieldOut> = screen.iter().map(out).collect();
    let markdown = fields
        .iter()
        .map(|f| {
            let mut line =
                format!("- `{}` {} ({}{})", f.id, f.name, f.kind, if f.required { ", required" } else { "" });
            if !f.allowed_values.is_empty() {
                line.push_str(&format!(": {}", f.allowed_values.join(", ")));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n");
    let markdown = format!("Create screen of {project} {}:\n{markdown}", chosen.name);
    Ok(Reply::new(
        CreateFields { project, issue_type: chosen.name, issue_type_id: chosen.id, fields },
        markdown,
    ))
}

/// Arguments of `jira_search_fields`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchFieldsArgs {
    /// Part of the field's name or description, any case; all fields when absent.
    pub query: Option<String>,
    /// `custom` (default), `system` or `all`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// 1-50, default 20.
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    /// `next_start_at` of the previous page.
    pub start_at: Option<u32>,
    pub site: Option<String>,
}

/// A field found.
#[derive(Serialize, JsonSchema)]
pub(crate) struct FoundField {
    pub id: String,
    pub name: String,
    pub custom: bool,
    /// Schema type.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Result of `jira_search_fields`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct FoundFields {
    pub fields: Vec<FoundField>,
    pub total: u64,
    pub is_last: bool,
    /// Pass as `start_at` for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_start_at: Option<u64>,
}

#[derive(Deserialize)]
struct FieldPage {
    #[serde(default)]
    values: Vec<FieldDoc>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default, rename = "isLast")]
    is_last: Option<bool>,
}

#[derive(Deserialize)]
struct FieldDoc {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    schema: jira_meta::Schema,
    #[serde(default)]
    description: Option<String>,
}

pub(crate) async fn search_fields(
    ctx: ToolContext,
    args: SearchFieldsArgs,
) -> Result<Reply<FoundFields>, ToolError> {
    let limit = bounded(args.limit, 20, (1, 50), "limit")?;
    let start = args.start_at.unwrap_or(0);
    let kind = match args.kind.as_deref().map(str::trim).unwrap_or("custom") {
        "custom" => Some("custom"),
        "system" => Some("system"),
        "all" => None,
        other => {
            return Err(ToolError::invalid(format!("type must be custom, system or all, not `{other}`")));
        }
    };
    let mut call: Call<'static> =
        jira("/field/search").query("startAt", start).query("maxResults", limit).query("orderBy", "name");
    if let Some(kind) = kind {
        call = call.query("type", kind);
    }
    if let Some(q) = args.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        call = call.query("query", q);
    }
    let (page, _) = ctx.send_as::<FieldPage>(call.site(args.site.as_deref())).await?;
    let got = page.values.len() as u64;
    let fields: Vec<FoundField> = page
        .values
        .into_iter()
        .map(|f| FoundField {
            custom: f.schema.custom.is_some() || f.id.starts_with("customfield_"),
            kind: f.schema.kind,
            items: f.schema.items,
            id: f.id,
            name: f.name,
            description: f.description.filter(|d| !d.is_empty()),
        })
        .collect();
    let total = page.total.unwrap_or(u64::from(start) + got);
    let is_last = page.is_last.unwrap_or(u64::from(start) + got >= total) || got == 0;
    let next_start_at = (!is_last).then_some(u64::from(start) + got);
    let mut markdown = if fields.is_empty() {
        "No fields match.".to_string()
    } else {
        fields.iter().map(|f| format!("- `{}` {} ({})", f.id, f.name, f.kind)).collect::<Vec<_>>().join("\n")
    };
    if let Some(next) = next_start_at {
        markdown.push_str(&format!("\n\nMore: start_at {next} ({total} in all)"));
    }
    Ok(Reply::new(FoundFields { fields, total, is_last, next_start_at }, markdown))
}

// ------------------------------------------------------------------ checks for create/update

/// Fields that have an argument (or a tool) of their own: refused in `fields`.
const OWN_ARGUMENT: &[(&str, &str)] = &[
    ("project", "project"),
    ("issuetype", "issue_type"),
    ("summary", "summary"),
    ("description", "description"),
    ("assignee", "assignee (or jira_assign_issue)"),
    ("reporter", "(none: Jira sets the reporter)"),
    ("labels", "labels / add_labels / remove_labels"),
    ("priority", "priority"),
    ("parent", "parent"),
    ("duedate", "due_date"),
    ("components", "components"),
    ("fixVersions", "fix_versions"),
    ("comment", "jira_add_comment"),
];

fn refuse(message: String, details: Value) -> ToolError {
    ToolError(crate::http::ApiError::invalid(message).with_details(details))
}

/// The field of `screen` that `key` names: its id, or its name in any case (refused when two
/// fields share the name).
fn find<'a>(screen: &'a [Field], key: &str, whose: &str, which: &str) -> Result<&'a Field, ToolError> {
    let key = key.trim();
    if let Some(f) = screen.iter().find(|f| f.id == key) {
        return Ok(f);
    }
    let named: Vec<&Field> = screen.iter().filter(|f| f.name.eq_ignore_ascii_case(key)).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(refuse(
            format!(
                "{whose} has no field `{key}` on its {which} screen in Jira (for this account); jira_get_create_fields lists the fields a project's create screen has"
            ),
            json!({"field": key}),
        )),
        many => Err(refuse(
            format!(
                "more than one field is called `{key}` on {whose}'s {which} screen: give its id ({})",
                many.iter().map(|f| f.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
            json!({"field": key}),
        )),
    }
}

/// The allowed value `given` names (an option's value or a name in any case, or an id).
fn pick_allowed<'a>(allowed: &'a [Allowed], given: &str) -> Option<&'a Allowed> {
    allowed
        .iter()
        .find(|a| a.label().is_some_and(|l| l == given))
        .or_else(|| allowed.iter().find(|a| a.label().is_some_and(|l| l.eq_ignore_ascii_case(given))))
        .or_else(|| allowed.iter().find(|a| a.id.as_deref() == Some(given)))
}

fn labels(allowed: &[Allowed]) -> Vec<&str> {
    allowed.iter().filter_map(Allowed::label).collect()
}

/// One option value as Jira takes it: `{"value": …}` for a value it lists, `{"id": …}` for an id.
fn option_value(f: &Field, given: &Value, key: &str) -> Result<Value, ToolError> {
    let bad = |shown: String| {
        let known = labels(&f.allowed_values);
        refuse(
            format!("`{key}` ({}) has no option {shown}; its options: {}", f.name, known.join(", ")),
            json!({"field": f.id, "allowed_values": known}),
        )
    };
    let text = match given {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => {
            match (o.get("value").and_then(Value::as_str), o.get("id").and_then(Value::as_str)) {
                (Some(v), _) => v.to_string(),
                (None, Some(id)) => id.to_string(),
                _ => return Err(bad(given.to_string())),
            }
        }
        other => return Err(bad(other.to_string())),
    };
    if f.allowed_values.is_empty() {
        // Jira did not list the options: it judges the value itself.
        return Ok(json!({"value": text}));
    }
    match pick_allowed(&f.allowed_values, &text) {
        Some(a) if a.label().is_some_and(|l| l.eq_ignore_ascii_case(&text)) => {
            Ok(json!({"value": a.label().unwrap_or_default()}))
        }
        Some(a) => Ok(json!({"id": a.id})),
        None => Err(bad(format!("`{text}`"))),
    }
}

/// A date as `YYYY-MM-DD` (a real day), or what is wrong with it.
pub(super) fn date(given: &str, argument: &str) -> Result<String, ToolError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let given = given.trim();
    match time::Date::parse(given, format) {
        Ok(d) if given.len() == 10 => Ok(d.to_string()),
        _ => Err(ToolError::invalid(format!("{argument} must be a date as YYYY-MM-DD, not `{given}`"))),
    }
}

/// The value of field `f` as Jira takes it, from what the caller gave (`key` is how they named it).
async fn convert(ctx: &ToolContext, f: &Field, given: &Value, key: &str) -> Result<Value, ToolError> {
    let wrong = |what: &str| {
        refuse(
            format!("`{key}` ({}) takes {what}, not {given}", f.name),
            json!({"field": f.id, "type": f.schema.kind}),
        )
    };
    if given.is_null() {
        return Ok(Value::Null);
    }
    Ok(match f.schema.kind.as_str() {
        "number" => match given {
            Value::Number(_) => given.clone(),
            Value::String(s) => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => json!(n),
                _ => return Err(wrong("a number")),
            },
            _ => return Err(wrong("a number")),
        },
        "string" => {
            let Some(s) = given.as_str() else { return Err(wrong("text")) };
            // A multi-line text field is rich text: Jira's v3 API takes it as ADF.
            if f.schema.custom.as_deref().is_some_and(|c| c.ends_with(":textarea")) {
                offload::markdown_to_adf(s.to_string()).await
            } else {
                json!(s)
            }
        }
        "option" => option_value(f, given, key)?,
        "date" => {
            let Some(s) = given.as_str() else { return Err(wrong("a date as YYYY-MM-DD")) };
            json!(date(s, &format!("`{key}`"))?)
        }
        "datetime" => {
            let Some(s) = given.as_str() else { return Err(wrong("a date-time")) };
            json!(s)
        }
        "user" => {
            let Some(s) = given.as_str() else { return Err(wrong("an account id or `me`")) };
            json!({"accountId": super::jira::account_id(ctx, s).await?})
        }
        "array" => {
            let items: Vec<Value> = match given {
                Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            };
            let mut out = Vec::with_capacity(items.len());
            for item in &items {
                out.push(match f.schema.items.as_deref() {
                    Some("option") => option_value(f, item, key)?,
                    Some("string") => match item.as_str() {
                        Some(s) => json!(s),
                        None => return Err(wrong("a list of text")),
                    },
                    Some("user") => match item.as_str() {
                        Some(s) => json!({"accountId": super::jira::account_id(ctx, s).await?}),
                        None => return Err(wrong("a list of account ids")),
                    },
                    _ => item.clone(),
                });
            }
            Value::Array(out)
        }
        // Other types (cascading selects, app fields, …) go as given: Jira judges them.
        _ => given.clone(),
    })
}

/// The caller's `fields`, each checked against `screen` (`which`: `create` or `edit`; `whose`:
/// the project or issue) and turned into what Jira takes: (field id, value), in the order given.
pub(super) async fn custom_fields(
    ctx: &ToolContext,
    screen: &[Field],
    given: &Map<String, Value>,
    whose: &str,
    which: &str,
) -> Result<Vec<(String, Value)>, ToolError> {
    let mut out: Vec<(String, Value)> = Vec::with_capacity(given.len());
    for (key, value) in given {
        // A field with an argument of its own, named by its id (even off the screen) or by
        // the name the screen gives it.
        let own = |id: &str| OWN_ARGUMENT.iter().find(|(own, _)| own.eq_ignore_ascii_case(id));
        let reserved = match own(key.trim()) {
            Some(found) => Some(found),
            None => own(&find(screen, key, whose, which)?.id),
        };
        if let Some((id, argument)) = reserved {
            return Err(refuse(
                format!("`fields.{key}` ({id}) has an argument of its own: use {argument}, not `fields`"),
                json!({"field": key}),
            ));
        }
        let f = find(screen, key, whose, which)?;
        if which == "edit" && !f.operations.is_empty() && !f.operations.iter().any(|o| o == "set") {
            return Err(refuse(
                format!("{whose}'s edit screen does not allow setting `{key}` ({})", f.name),
                json!({"field": f.id}),
            ));
        }
        if out.iter().any(|(id, _)| *id == f.id) {
            return Err(refuse(
                format!("`fields` names {} ({}) twice", f.name, f.id),
                json!({"field": f.id}),
            ));
        }
        out.push((f.id.clone(), convert(ctx, f, value, key).await?));
    }
    Ok(out)
}

/// A component or version of a project (`GET /project/{key}/components`, `…/versions`).
#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

/// `names` as the project's components (`what` = `components`) or versions (`versions`),
/// each as `{"id": …}`; an unknown name is refused naming the project's own.
pub(super) async fn project_items(
    ctx: &ToolContext,
    site: Option<&str>,
    project: &str,
    what: &str,
    argument: &str,
    names: &[String],
) -> Result<Vec<Value>, ToolError> {
    let call = Call::get(Provider::Jira, format!("/rest/api/3/project/{project}/{what}")).site(site);
    let (known, _) = ctx.send_as::<Vec<Named>>(call).await?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let name = name.trim();
        let found = known
            .iter()
            .find(|k| k.name == name)
            .or_else(|| known.iter().find(|k| k.name.eq_ignore_ascii_case(name)));
        match found {
            Some(k) => out.push(json!({"id": k.id})),
            None => {
                let all: Vec<&str> = known.iter().map(|k| k.name.as_str()).collect();
                let list = if all.is_empty() { "none".to_string() } else { all.join(", ") };
                return Err(refuse(
                    format!(
                        "project {project} has no {} `{name}` ({argument}); its {what}: {list}",
                        &what[..what.len() - 1]
                    ),
                    json!({"argument": argument, "project": project, what: all}),
                ));
            }
        }
    }
    Ok(out)
}
