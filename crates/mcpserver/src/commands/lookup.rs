//! Lookups some commands need before their call, done with other registry tools: a person's
//! Jira account id from a name, and a Notion filter from `property:value` options.

use super::run::{offered_tool, run_tool};
use crate::http::ApiError;
use crate::mcp::context::{ToolContext, text};
use crate::mcp::registry::ToolSet;
use serde_json::{Map, Value, json};

/// The account id of the one Jira user matching `name` (an exact name wins over partial ones).
pub(super) async fn jira_account(ctx: &ToolContext, tools: &ToolSet, name: &str) -> Result<String, ApiError> {
    let tool = offered_tool(tools, "jira_search_users")?;
    let found = run_tool(ctx, tool, json!({"query": name, "limit": 10}), "command").await?;
    let users: Vec<&Value> = found.structured["users"].as_array().into_iter().flatten().collect();
    let exact: Vec<&Value> =
        users.iter().copied().filter(|u| text(u, "/name").eq_ignore_ascii_case(name.trim())).collect();
    let chosen = if exact.len() == 1 { exact } else { users };
    match chosen.as_slice() {
        [one] => Ok(text(one, "/account_id").to_string()),
        [] => Err(ApiError::invalid(format!("no Jira user matches `{name}`"))),
        many => {
            let names: Vec<&str> = many.iter().map(|u| text(u, "/name")).collect();
            Err(ApiError::invalid(format!(
                "`{name}` matches several Jira users: {}; be more specific",
                names.join(", ")
            ))
            .with_details(json!({"matches": names})))
        }
    }
}

/// A Notion filter for `property:value` conditions, checked against the data source schema.
pub(super) async fn notion_filter(
    ctx: &ToolContext,
    tools: &ToolSet,
    data_source: &str,
    conditions: &[(String, String)],
) -> Result<Value, ApiError> {
    let tool = offered_tool(tools, "notion_get_data_source")?;
    let schema = run_tool(ctx, tool, json!({"data_source": data_source}), "command").await?.structured;
    let properties = schema["properties"].as_object().cloned().unwrap_or_default();
    let mut filters = Vec::new();
    for (name, value) in conditions {
        let (property, spec) = property(&properties, name, text(&schema, "/title"))?;
        filters.push(condition(property, spec, value)?);
    }
    Ok(match filters.len() {
        1 => filters.remove(0),
        _ => json!({"and": filters}),
    })
}

/// The property an option names: case-insensitive, `_` and `-` standing for spaces.
fn property<'p>(
    properties: &'p Map<String, Value>,
    option: &str,
    database: &str,
) -> Result<(&'p str, &'p Value), ApiError> {
    let wanted = normalize(option);
    properties.iter().find(|(name, _)| normalize(name) == wanted).map(|(n, v)| (n.as_str(), v)).ok_or_else(
        || {
            let names: Vec<&String> = properties.keys().collect();
            let listed: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
            ApiError::invalid(format!(
                "unknown option `{option}:`; the database {database} has the properties {}",
                listed.join(", ")
            ))
            .with_details(json!({"option": option, "accepted": listed}))
        },
    )
}

fn normalize(name: &str) -> String {
    name.to_lowercase().replace(['_', '-'], " ")
}

/// One property condition, by the property's type.
fn condition(name: &str, spec: &Value, value: &str) -> Result<Value, ApiError> {
    let kind = text(spec, "/type");
    let test = match kind {
        "status" | "select" => json!({"equals": choice(name, spec, value)?}),
        "multi_select" => json!({"contains": choice(name, spec, value)?}),
        "title" | "rich_text" | "url" | "email" | "phone_number" => json!({"contains": value}),
        "number" => json!({"equals": number(name, value)?}),
        "checkbox" => json!({"equals": boolean(name, value)?}),
        "date" => json!({"equals": value}),
        other => {
            return Err(ApiError::invalid(format!(
                "`{name}` is a {other} property; /notion query filters status, select, multi_select, text, number, checkbox and date properties"
            ))
            .with_details(json!({"option": name})));
        }
    };
    Ok(json!({"property": name, kind: test}))
}

/// The option of a select-like property matching `value` (case-insensitive), as Notion names it.
fn choice(name: &str, spec: &Value, value: &str) -> Result<String, ApiError> {
    let options: Vec<&str> =
        spec["options"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    options.iter().find(|o| o.eq_ignore_ascii_case(value.trim())).map(|o| o.to_string()).ok_or_else(|| {
        ApiError::invalid(format!("`{name}` has no option `{value}`; it has {}", options.join(", ")))
            .with_details(json!({"option": name, "accepted": options}))
    })
}

fn number(name: &str, value: &str) -> Result<serde_json::Number, ApiError> {
    value.trim().parse().map_err(|_| {
        ApiError::invalid(format!("`{name}` takes a number, not `{value}`"))
            .with_details(json!({"option": name}))
    })
}

fn boolean(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.trim().to_lowercase().as_str() {
        "true" | "yes" | "checked" => Ok(true),
        "false" | "no" | "unchecked" => Ok(false),
        _ => Err(ApiError::invalid(format!("`{name}` takes yes or no, not `{value}`"))
            .with_details(json!({"option": name, "accepted": ["yes", "no"]}))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_follow_the_property_type() {
        let status = json!({"type": "status", "options": ["Not started", "Done"]});
        assert_eq!(
            condition("Status", &status, "done").unwrap(),
            json!({"property": "Status", "status": {"equals": "Done"}})
        );
        assert!(condition("Status", &status, "Later").unwrap_err().message.contains("Not started, Done"));
        let estimate = json!({"type": "number"});
        assert_eq!(condition("Estimate", &estimate, "3").unwrap()["number"]["equals"], 3);
        let people = json!({"type": "people"});
        assert!(condition("Assignee", &people, "ada").is_err());
    }

    #[test]
    fn property_names_match_loosely_and_unknown_ones_list_the_known() {
        let props: Map<String, Value> =
            serde_json::from_value(json!({"Due date": {}, "Status": {}})).unwrap();
        assert_eq!(property(&props, "due_date", "Tasks").unwrap().0, "Due date");
        let e = property(&props, "stat", "Tasks").unwrap_err();
        assert_eq!(e.details.unwrap()["accepted"], json!(["Due date", "Status"]));
    }
}
