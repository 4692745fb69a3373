//! Data source schemas in requests: the property configurations of `POST /v1/databases`
//! (`initial_data_source.properties`) and of `PATCH /v1/data_sources/{id}` (`properties`:
//! add, change, rename, or remove with `null`), after the SDK's `PropertyConfigurationRequest`
//! and `UpdateDataSourceBodyParameters`.
//!
//! The simulator supports the types whose configuration is empty or a list of options
//! (`title`, `rich_text`, `number`, `select`, `multi_select`, `status`, `date`, `people`,
//! `files`, `checkbox`, `url`, `email`, `phone_number`, `created_time`, `created_by`,
//! `last_edited_time`, `last_edited_by`); `formula`, `relation`, `rollup`, `unique_id` and
//! the other computed types answer a `validation_error` like an unknown type.

use serde_json::{Map, Value, json};

use super::{errors::NotionError, model::PropSchema, richtext};
use crate::ids;

/// The property types the simulator creates.
pub(crate) const TYPES: &[&str] = &[
    "title",
    "rich_text",
    "number",
    "select",
    "multi_select",
    "status",
    "date",
    "people",
    "files",
    "checkbox",
    "url",
    "email",
    "phone_number",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
];

/// Notion's `NumberFormat` (the common ones).
const NUMBER_FORMATS: &[&str] = &[
    "number",
    "number_with_commas",
    "percent",
    "dollar",
    "euro",
    "pound",
    "yen",
    "rupee",
    "won",
    "yuan",
    "real",
    "franc",
    "ruble",
    "canadian_dollar",
    "australian_dollar",
];

/// Notion's `SelectColor`.
const SELECT_COLORS: &[&str] =
    &["default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red"];

/// Most properties a data source's schema holds (the API documents a 50 KB schema limit; the
/// simulator counts properties instead).
const MAX_PROPERTIES: usize = 100;

fn shown(v: &Value) -> String {
    richtext::shown(Some(v))
}

/// The type named by a property configuration: its `type`, else the one type key it has.
fn kind_of(obj: &Map<String, Value>, path: &str) -> Result<String, NotionError> {
    if let Some(t) = obj.get("type") {
        let kind = t.as_str().unwrap_or_default();
        if !TYPES.contains(&kind) {
            return Err(NotionError::body(&format!("{path}.type"), "a supported property type", &shown(t)));
        }
        return Ok(kind.to_string());
    }
    let found: Vec<&String> =
        obj.keys().filter(|k| !["name", "description", "type"].contains(&k.as_str())).collect();
    match found.as_slice() {
        [k] if TYPES.contains(&k.as_str()) => Ok((*k).clone()),
        [k] => Err(NotionError::validation(format!(
            "body failed validation: {path}.{k} is not a supported property type; supported: {}.",
            TYPES.join(", ")
        ))),
        _ => Err(NotionError::body(
            path,
            "an object with exactly one property type",
            &shown(&Value::Object(obj.clone())),
        )),
    }
}

fn options(v: Option<&Value>, path: &str) -> Result<Vec<Value>, NotionError> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let Some(items) = v.as_array() else {
        return Err(NotionError::body(path, "an array", &shown(v)));
    };
    if items.len() > 100 {
        return Err(NotionError::validation(format!(
            "body failed validation: {path}.length should be ≤ `100`, instead was `{}`.",
            items.len()
        )));
    }
    let mut out: Vec<Value> = Vec::new();
    for (i, o) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let name = o.get("name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
        if name.is_empty() {
            return Err(NotionError::body(
                &format!("{p}.name"),
                "a non-empty string",
                &shown(o.get("name").unwrap_or(&Value::Null)),
            ));
        }
        if name.contains(',') {
            return Err(NotionError::validation(format!(
                "Invalid select option, commas not allowed: {name}"
            )));
        }
        if out.iter().any(|x| x["name"] == name) {
            return Err(NotionError::validation(format!("Duplicate select option name: {name}")));
        }
        let color = match o.get("color") {
            None | Some(Value::Null) => "default",
            Some(c) => c
                .as_str()
                .filter(|c| SELECT_COLORS.contains(c))
                .ok_or_else(|| NotionError::body(&format!("{p}.color"), "a select color", &shown(c)))?,
        };
        let id = o.get("id").and_then(Value::as_str).map_or_else(|| ids::random_b64(4), str::to_string);
        out.push(json!({"id": id, "name": name, "color": color, "description": o.get("description").cloned().unwrap_or(Value::Null)}));
    }
    Ok(out)
}

/// A `status` property's options and groups: the default three when none are given.
fn status_config(inner: &Value, path: &str) -> Result<Value, NotionError> {
    let mut opts = options(inner.get("options"), &format!("{path}.options"))?;
    if opts.is_empty() {
        opts = vec![
            json!({"id": ids::random_b64(4), "name": "Not started", "color": "default", "description": null}),
            json!({"id": ids::random_b64(4), "name": "In progress", "color": "blue", "description": null}),
            json!({"id": ids::random_b64(4), "name": "Done", "color": "green", "description": null}),
        ];
    }
    let ids_at = |range: std::ops::Range<usize>| -> Vec<Value> {
        opts.iter().enumerate().filter(|(i, _)| range.contains(i)).map(|(_, o)| o["id"].clone()).collect()
    };
    let n = opts.len();
    let groups = json!([
        {"id": ids::random_b64(4), "name": "To-do", "color": "gray", "option_ids": ids_at(0..1)},
        {"id": ids::random_b64(4), "name": "In progress", "color": "blue", "option_ids": ids_at(1..n.saturating_sub(1).max(1))},
        {"id": ids::random_b64(4), "name": "Complete", "color": "green", "option_ids": ids_at(n.saturating_sub(1).max(1)..n)},
    ]);
    Ok(json!({"options": opts, "groups": groups}))
}

/// The stored configuration of a `kind` property from its request object at `path`.
fn config(kind: &str, inner: Option<&Value>, path: &str) -> Result<Value, NotionError> {
    let inner = inner.cloned().unwrap_or_else(|| json!({}));
    let Some(obj) = inner.as_object() else {
        return Err(NotionError::body(path, "an object", &shown(&inner)));
    };
    let allowed: &[&str] = match kind {
        "number" => &["format"],
        "select" | "multi_select" | "status" => &["options"],
        _ => &[],
    };
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(NotionError::body(&format!("{path}.{k}"), "not present", &shown(&obj[k])));
    }
    Ok(match kind {
        "number" => {
            let format = match obj.get("format") {
                None | Some(Value::Null) => "number",
                Some(f) => f.as_str().filter(|f| NUMBER_FORMATS.contains(f)).ok_or_else(|| {
                    NotionError::body(&format!("{path}.format"), "a number format", &shown(f))
                })?,
            };
            json!({"format": format})
        }
        "select" | "multi_select" => {
            json!({"options": options(obj.get("options"), &format!("{path}.options"))?})
        }
        "status" => status_config(&inner, path)?,
        _ => json!({}),
    })
}

fn check_name(name: &str, path: &str) -> Result<(), NotionError> {
    if name.trim().is_empty() {
        return Err(NotionError::body(path, "a non-empty property name", &format!("\"{name}\"")));
    }
    if richtext::utf16_len(name) > 100 {
        return Err(richtext::too_long(path, 100, richtext::utf16_len(name)));
    }
    Ok(())
}

fn new_property(name: &str, v: &Value, path: &str) -> Result<PropSchema, NotionError> {
    let Some(obj) = v.as_object() else {
        return Err(NotionError::body(path, "an object", &shown(v)));
    };
    let kind = kind_of(obj, path)?;
    let name = obj.get("name").and_then(Value::as_str).unwrap_or(name).to_string();
    check_name(&name, &format!("{path}.name"))?;
    let config = config(&kind, obj.get(&kind), &format!("{path}.{kind}"))?;
    let id = if kind == "title" { "title".to_string() } else { ids::random_b64(4) };
    Ok(PropSchema { id, name, kind, config })
}

fn check_titles(props: &[PropSchema]) -> Result<(), NotionError> {
    match props.iter().filter(|p| p.kind == "title").count() {
        1 => Ok(()),
        0 => Err(NotionError::validation(
            "Title property is required: a data source needs exactly one property of type `title`.",
        )),
        _ => Err(NotionError::validation(
            "Only one title property is allowed: a data source has exactly one property of type `title`.",
        )),
    }
}

fn check_unique(props: &[PropSchema]) -> Result<(), NotionError> {
    for (i, p) in props.iter().enumerate() {
        if props[..i].iter().any(|q| q.name.eq_ignore_ascii_case(&p.name)) {
            return Err(NotionError::validation(format!(
                "Property name `{}` is used more than once.",
                p.name
            )));
        }
    }
    if props.len() > MAX_PROPERTIES {
        return Err(NotionError::validation(format!(
            "A data source holds at most {MAX_PROPERTIES} properties."
        )));
    }
    Ok(())
}

/// The schema of a new data source (`body.initial_data_source.properties`); absent: one
/// title property `Name`, as Notion does.
pub(crate) fn create(v: Option<&Value>, path: &str) -> Result<Vec<PropSchema>, NotionError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(vec![PropSchema {
            id: "title".into(),
            name: "Name".into(),
            kind: "title".into(),
            config: json!({}),
        }]);
    };
    let Some(obj) = v.as_object() else {
        return Err(NotionError::body(path, "an object", &shown(v)));
    };
    let props = obj
        .iter()
        .map(|(name, p)| new_property(name, p, &format!("{path}.{name}")))
        .collect::<Result<Vec<_>, _>>()?;
    check_titles(&props)?;
    check_unique(&props)?;
    Ok(props)
}

/// Applies a schema update (`body.properties` of `PATCH /v1/data_sources/{id}`) to `current`:
/// keys name an existing property (by name or id) or a new one; `null` removes, `{"name"}`
/// renames, a type configuration changes the type or its options. All or nothing.
pub(crate) fn update(current: &[PropSchema], v: &Value, path: &str) -> Result<Vec<PropSchema>, NotionError> {
    let Some(obj) = v.as_object() else {
        return Err(NotionError::body(path, "an object", &shown(v)));
    };
    let mut props = current.to_vec();
    for (key, change) in obj {
        let p = format!("{path}.{key}");
        let at = props.iter().position(|q| q.name == *key || q.id == *key);
        match (at, change) {
            (None, Value::Null) => {
                return Err(NotionError::validation(format!("{key} is not a property that exists.")));
            }
            (Some(i), Value::Null) => {
                if props[i].kind == "title" {
                    return Err(NotionError::validation(
                        "Cannot delete the title property of a data source.",
                    ));
                }
                props.remove(i);
            }
            (None, change) => props.push(new_property(key, change, &p)?),
            (Some(i), Value::Object(o)) => {
                let typed = o.keys().any(|k| !["name", "description"].contains(&k.as_str()));
                if typed {
                    let kind = kind_of(o, &p)?;
                    if props[i].kind == "title" && kind != "title" {
                        return Err(NotionError::validation("Cannot change the type of the title property."));
                    }
                    props[i].config = config(&kind, o.get(&kind), &format!("{p}.{kind}"))?;
                    if props[i].kind != kind {
                        props[i].kind = kind;
                    }
                }
                if let Some(name) = o.get("name") {
                    let name = name
                        .as_str()
                        .ok_or_else(|| NotionError::body(&format!("{p}.name"), "a string", &shown(name)))?;
                    check_name(name, &format!("{p}.name"))?;
                    props[i].name = name.to_string();
                }
            }
            (Some(_), other) => return Err(NotionError::body(&p, "an object or `null`", &shown(other))),
        }
    }
    check_titles(&props)?;
    check_unique(&props)?;
    Ok(props)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_needs_one_title_and_known_types() {
        let ok = create(Some(&json!({"Name": {"title": {}}, "Due": {"type": "date", "date": {}}, "S": {"select": {"options": [{"name": "A"}]}}})), "p").unwrap();
        let by = |n: &str| ok.iter().find(|p| p.name == n).unwrap().clone();
        assert_eq!(ok.len(), 3);
        assert_eq!(by("Name").id, "title");
        assert_eq!(by("S").config["options"][0]["color"], "default");
        assert!(
            create(Some(&json!({"Due": {"date": {}}})), "p")
                .unwrap_err()
                .message
                .contains("Title property is required")
        );
        assert!(
            create(Some(&json!({"A": {"title": {}}, "B": {"title": {}}})), "p")
                .unwrap_err()
                .message
                .contains("Only one title")
        );
        assert!(
            create(Some(&json!({"A": {"title": {}}, "B": {"bogus": {}}})), "p")
                .unwrap_err()
                .message
                .contains("not a supported property type")
        );
    }

    #[test]
    fn updates_rename_remove_and_refuse_duplicates() {
        let base = create(Some(&json!({"Name": {"title": {}}, "Due": {"date": {}}})), "p").unwrap();
        let out =
            update(&base, &json!({"Due": {"name": "Deadline"}, "Tags": {"multi_select": {}}}), "p").unwrap();
        assert!(out.iter().any(|p| p.name == "Deadline" && p.kind == "date"));
        assert!(out.iter().any(|p| p.name == "Tags" && p.kind == "multi_select"));
        let out = update(&out, &json!({"Deadline": null}), "p").unwrap();
        assert_eq!(out.len(), 2);
        assert!(
            update(&out, &json!({"Tags": {"name": "Name"}}), "p")
                .unwrap_err()
                .message
                .contains("more than once")
        );
        assert!(update(&out, &json!({"Name": null}), "p").unwrap_err().message.contains("title property"));
    }
}
