//! The site's fields: the custom fields it has (a number, a select list with options, a text
//! field), the values they take, and `GET /field` and `GET /field/search`, which list them
//! with the system fields.

use std::sync::Arc;

use axum::{
    Extension, Json,
    extract::{Query, State},
    response::IntoResponse,
};
use serde_json::{Value, json};

use super::{JiraCtx, render::Links, screens};
use crate::{
    atlassian::errors::{JiraError, JiraResult},
    state::Sim,
};

/// What a custom field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A number (`float`).
    Number,
    /// One option of a list (`select`).
    Select,
    /// A line of text, at most 255 characters (`textfield`).
    Text,
    /// Rich text (`textarea`): the v3 API takes and shows it as an ADF document.
    Rich,
}

/// A custom field of the site.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Custom {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub kind: Kind,
    /// Options of a select list: (id, value).
    pub options: &'static [(&'static str, &'static str)],
}

/// The site's custom fields (Sprint and Rank, the Jira Software fields, are listed apart:
/// no screen here sets them).
pub(crate) const CUSTOM: &[Custom] = &[
    Custom {
        id: "customfield_10016",
        name: "Story Points",
        description: "Measurement of complexity and/or size of a requirement.",
        kind: Kind::Number,
        options: &[],
    },
    Custom {
        id: "customfield_10040",
        name: "Severity",
        description: "How badly the problem hurts.",
        kind: Kind::Select,
        options: &[("10050", "Critical"), ("10051", "Major"), ("10052", "Minor")],
    },
    Custom {
        id: "customfield_10041",
        name: "Team",
        description: "The team that owns the work.",
        kind: Kind::Text,
        options: &[],
    },
    Custom {
        id: "customfield_10042",
        name: "Acceptance criteria",
        description: "What must hold for the work to be done.",
        kind: Kind::Rich,
        options: &[],
    },
];

/// A custom field by id.
pub(crate) fn custom(id: &str) -> Option<&'static Custom> {
    CUSTOM.iter().find(|c| c.id == id)
}

impl Custom {
    /// The number in `customfield_NNNNN`.
    fn number(&self) -> u64 {
        self.id.trim_start_matches("customfield_").parse().unwrap_or(0)
    }

    fn type_key(&self) -> &'static str {
        match self.kind {
            Kind::Number => "com.atlassian.jira.plugin.system.customfieldtypes:float",
            Kind::Select => "com.atlassian.jira.plugin.system.customfieldtypes:select",
            Kind::Text => "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
            Kind::Rich => "com.atlassian.jira.plugin.system.customfieldtypes:textarea",
        }
    }

    fn searcher_key(&self) -> &'static str {
        match self.kind {
            Kind::Number => "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber",
            Kind::Select => "com.atlassian.jira.plugin.system.customfieldtypes:multiselectsearcher",
            Kind::Text | Kind::Rich => "com.atlassian.jira.plugin.system.customfieldtypes:textsearcher",
        }
    }

    /// The field's `schema`.
    pub(crate) fn schema(&self) -> Value {
        let kind = match self.kind {
            Kind::Number => "number",
            Kind::Select => "option",
            Kind::Text | Kind::Rich => "string",
        };
        json!({"type": kind, "custom": self.type_key(), "customId": self.number()})
    }

    /// An option as Jira shows it (in `allowedValues` and as the field's value).
    pub(crate) fn option_json(&self, l: &Links, id: &str) -> Value {
        let value = self.options.iter().find(|(i, _)| *i == id).map_or("", |(_, v)| v);
        json!({"self": format!("{}/customFieldOption/{id}", l.api), "value": value, "id": id})
    }

    /// Every option, for `allowedValues`.
    pub(crate) fn allowed_values(&self, l: &Links) -> Value {
        self.options.iter().map(|(id, _)| self.option_json(l, id)).collect()
    }

    /// Reads a value sent in `fields` (or a `set`): what is stored (the number, the option
    /// id, the text), `None` to clear it, or Jira's message for the field.
    pub(crate) fn read(&self, v: &Value) -> Result<Option<Value>, String> {
        if v.is_null() {
            return Ok(None);
        }
        match self.kind {
            Kind::Number => {
                v.as_f64().map(|_| Some(v.clone())).ok_or_else(|| "Operation value must be a number".into())
            }
            Kind::Text => {
                let s = v.as_str().ok_or("Operation value must be a string")?;
                if s.chars().count() > 255 {
                    return Err(format!(
                        "{}: The entered text is too long. It exceeds the allowed limit of 255 characters.",
                        self.name
                    ));
                }
                Ok(Some(json!(s)))
            }
            Kind::Rich => match super::adf::judge(v) {
                super::adf::Verdict::Valid => Ok(Some(v.clone())),
                _ => Err(super::adf::NOT_A_DOCUMENT.into()),
            },
            Kind::Select => {
                let text = |k: &str| match v.get(k) {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                if let Some(id) = text("id") {
                    return self
                        .options
                        .iter()
                        .find(|(i, _)| *i == id)
                        .map(|(i, _)| Some(json!(i)))
                        .ok_or_else(|| format!("Option id '{id}' is not valid"));
                }
                if let Some(value) = text("value") {
                    return self
                        .options
                        .iter()
                        .find(|(_, o)| *o == value)
                        .map(|(i, _)| Some(json!(i)))
                        .ok_or_else(|| format!("Option value '{value}' is not valid"));
                }
                Err(format!("Specify a valid 'id' or 'name' for {}", self.name))
            }
        }
    }

    /// A stored value as an issue shows it.
    pub(crate) fn render(&self, l: &Links, stored: Option<&Value>) -> Value {
        match (self.kind, stored) {
            (_, None) => Value::Null,
            (Kind::Select, Some(id)) => self.option_json(l, id.as_str().unwrap_or_default()),
            (_, Some(v)) => v.clone(),
        }
    }
}

/// A field as `GET /field` lists it.
fn field_bean(id: &str) -> Option<Value> {
    if let Some(c) = custom(id) {
        let number = c.number();
        return Some(json!({
            "id": c.id, "key": c.id, "name": c.name, "untranslatedName": c.name, "custom": true,
            "orderable": true, "navigable": true, "searchable": true,
            "clauseNames": [format!("cf[{number}]"), c.name],
            "schema": c.schema(),
        }));
    }
    let (name, schema) = screens::system_field(id)?;
    let clause = if id == "fixVersions" { "fixVersion".to_string() } else { id.to_string() };
    Some(json!({
        "id": id, "key": id, "name": name, "custom": false,
        "orderable": true, "navigable": true, "searchable": true,
        "clauseNames": [clause],
        "schema": schema,
    }))
}

/// Every field id, system fields first.
fn all_ids() -> Vec<&'static str> {
    screens::system_ids().chain(CUSTOM.iter().map(|c| c.id)).collect()
}

/// `GET …/field`: every field, system and custom, unpaged.
pub(super) async fn list(Extension(_ctx): Extension<JiraCtx>) -> JiraResult {
    let all: Vec<Value> = all_ids().into_iter().filter_map(field_bean).collect();
    Ok(Json(all).into_response())
}

/// `GET …/field/search`: fields by `type` (`custom`, `system`), `id` and `query` (part of
/// the name or description, any case), paged, ordered by name.
pub(super) async fn search(
    State(_sim): State<Arc<Sim>>,
    Extension(_ctx): Extension<JiraCtx>,
    Query(q): Query<Vec<(String, String)>>,
) -> JiraResult {
    let one = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let list = |k: &str| super::issues::list_param(&q, k);
    let start: usize = match one("startAt") {
        Some(s) => {
            s.parse().map_err(|_| JiraError::bad_request("The 'startAt' parameter must be a number."))?
        }
        None => 0,
    };
    let max: usize = match one("maxResults") {
        Some(s) => {
            s.parse().map_err(|_| JiraError::bad_request("The 'maxResults' parameter must be a number."))?
        }
        None => 50,
    }
    .clamp(1, 50);
    let types = list("type");
    if let Some(bad) = types.iter().find(|t| !matches!(t.as_str(), "custom" | "system")) {
        return Err(JiraError::bad_request(format!("Invalid type '{bad}'. Valid values: custom, system.")));
    }
    let ids = list("id");
    let query = one("query").unwrap_or_default().to_lowercase();
    let expand = list("expand");
    let mut found: Vec<(String, Value)> = all_ids()
        .into_iter()
        .filter(|id| {
            let is_custom = custom(id).is_some();
            types.is_empty() || types.iter().any(|t| (t == "custom") == is_custom)
        })
        .filter(|id| ids.is_empty() || ids.iter().any(|i| i == id))
        .filter_map(|id| {
            let bean = field_bean(id)?;
            let name = bean["name"].as_str().unwrap_or_default().to_string();
            let description = custom(id).map_or("", |c| c.description);
            let hit = query.is_empty()
                || name.to_lowercase().contains(&query)
                || description.to_lowercase().contains(&query);
            if !hit {
                return None;
            }
            let mut out = json!({"id": id, "name": name, "schema": bean["schema"]});
            if !description.is_empty() {
                out["description"] = json!(description);
            }
            if expand.iter().any(|e| e == "key") {
                out["key"] = json!(id);
            }
            if expand.iter().any(|e| e == "isLocked") {
                out["isLocked"] = json!(false);
            }
            if let (Some(c), true) = (custom(id), expand.iter().any(|e| e == "searcherKey")) {
                out["searcherKey"] = json!(c.searcher_key());
            }
            Some((name.to_lowercase(), out))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let total = found.len();
    let values: Vec<Value> = found.into_iter().skip(start).take(max).map(|(_, v)| v).collect();
    let is_last = start + values.len() >= total;
    Ok(Json(
        json!({"maxResults": max, "startAt": start, "total": total, "isLast": is_last, "values": values}),
    )
    .into_response())
}
