//! Page property values: request shapes validated against a data source's schema and turned
//! into response shapes (`{"id","type",<type>:…}`).

use serde_json::{Map, Value, json};

use super::{
    errors::NotionError,
    model::{DataSource, PropSchema},
    render, richtext,
};
use crate::{ids, seed::people::people};

/// Properties of a page whose parent is a page or the workspace: only `title`.
pub(crate) fn normalize_plain_page(input: Option<&Value>) -> Result<Map<String, Value>, NotionError> {
    let mut out = Map::new();
    let Some(input) = input else {
        out.insert("title".into(), title_value(Vec::new()));
        return Ok(out);
    };
    let Some(obj) = input.as_object() else {
        return Err(NotionError::body("body.properties", "an object", &richtext::shown(Some(input))));
    };
    for (key, value) in obj {
        if key != "title" && key != "Title" {
            return Err(NotionError::validation(format!("{key} is not a property that exists.")));
        }
        let items = value.get("title").unwrap_or(value);
        let rt = richtext::normalize(Some(items), &format!("body.properties.{key}.title"))?;
        out.insert("title".into(), title_value(rt));
    }
    if out.is_empty() {
        out.insert("title".into(), title_value(Vec::new()));
    }
    Ok(out)
}

fn title_value(rt: Vec<Value>) -> Value {
    json!({"id": "title", "type": "title", "title": rt})
}

/// Empty values for every property of the schema (a new row starts with them).
pub(crate) fn defaults(ds: &DataSource) -> Map<String, Value> {
    ds.properties
        .iter()
        .map(|p| {
            let empty = match p.kind.as_str() {
                "title" | "rich_text" | "multi_select" | "people" | "relation" | "files" => json!([]),
                "checkbox" => json!(false),
                "status" => first_option(p),
                _ => Value::Null,
            };
            (p.name.clone(), wrap(p, empty))
        })
        .collect()
}

fn first_option(p: &PropSchema) -> Value {
    p.config["options"].get(0).map(option_value).unwrap_or(Value::Null)
}

/// A select/status option as a page property value carries it: `id`, `name`, `color` (the
/// SDK's `PartialSelectPropertyValueResponse`; the schema's `description` is not repeated).
fn option_value(option: &Value) -> Value {
    json!({"id": option["id"], "name": option["name"], "color": option["color"]})
}

fn wrap(p: &PropSchema, value: Value) -> Value {
    let mut out = json!({"id": p.id, "type": p.kind});
    out[p.kind.as_str()] = value;
    out
}

/// Validates `input` against `ds` and returns response values keyed by property name.
/// Unknown select options are created, as Notion does.
pub(crate) fn normalize_row(
    input: Option<&Value>,
    ds: &mut DataSource,
) -> Result<Map<String, Value>, NotionError> {
    let mut out = Map::new();
    let Some(input) = input else {
        return Ok(out);
    };
    let Some(obj) = input.as_object() else {
        return Err(NotionError::body("body.properties", "an object", &richtext::shown(Some(input))));
    };
    for (key, value) in obj {
        let schema = ds
            .property(key)
            .cloned()
            .ok_or_else(|| NotionError::validation(format!("{key} is not a property that exists.")))?;
        let normalized = value_of(&schema, value, ds)?;
        out.insert(schema.name.clone(), wrap(&schema, normalized));
    }
    Ok(out)
}

fn mismatch(p: &PropSchema) -> NotionError {
    NotionError::validation(format!("{} is expected to be {}.", p.name, p.kind))
}

fn value_of(p: &PropSchema, value: &Value, ds: &mut DataSource) -> Result<Value, NotionError> {
    let path = format!("body.properties.{}", p.name);
    let inner = match value.get(p.kind.as_str()) {
        Some(v) => v,
        None if p.kind == "title" && value.is_array() => value,
        None => return Err(mismatch(p)),
    };
    match p.kind.as_str() {
        "title" | "rich_text" => {
            Ok(Value::Array(richtext::normalize(Some(inner), &format!("{path}.{}", p.kind))?))
        }
        "number" => scalar(p, inner, Value::is_number),
        "checkbox" => scalar(p, inner, Value::is_boolean),
        "url" => limited_string(p, inner, 2000, &path),
        "email" | "phone_number" => limited_string(p, inner, 200, &path),
        "select" => select(p, inner, ds),
        "status" => status(p, inner),
        "multi_select" => multi_select(p, inner, ds, &path),
        "date" => date(p, inner),
        "people" => people_value(p, inner, &path),
        "files" => files_value(p, inner, &path),
        _ => Err(NotionError::validation(format!("{} is a {} property and cannot be set.", p.name, p.kind))),
    }
}

fn scalar(p: &PropSchema, v: &Value, ok: fn(&Value) -> bool) -> Result<Value, NotionError> {
    if v.is_null() || ok(v) { Ok(v.clone()) } else { Err(mismatch(p)) }
}

fn limited_string(p: &PropSchema, v: &Value, max: usize, path: &str) -> Result<Value, NotionError> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::String(s) if s.chars().count() > max => Err(NotionError::validation(format!(
            "body failed validation: {path}.{}.length should be ≤ `{max}`, instead was `{}`.",
            p.kind,
            s.chars().count()
        ))),
        Value::String(_) => Ok(v.clone()),
        _ => Err(mismatch(p)),
    }
}

fn find_option(p: &PropSchema, v: &Value) -> Option<Value> {
    let options = p.config.get("options")?.as_array()?;
    options
        .iter()
        .find(|o| {
            (v.get("id").is_some() && o.get("id") == v.get("id"))
                || (v.get("name").is_some() && o.get("name") == v.get("name"))
        })
        .map(option_value)
}

fn option_or_new(p: &PropSchema, v: &Value, ds: &mut DataSource) -> Result<Value, NotionError> {
    if let Some(found) = find_option(p, v) {
        return Ok(found);
    }
    let Some(name) = v.get("name").and_then(Value::as_str) else {
        return Err(NotionError::validation(format!(
            "Invalid select option id: {}",
            richtext::shown(v.get("id"))
        )));
    };
    if name.contains(',') {
        return Err(NotionError::validation(format!("Invalid select option, commas not allowed: {name}")));
    }
    let option = json!({"id": ids::random_b64(3), "name": name, "color": "default"});
    if let Some(schema) = ds.property_mut(&p.id)
        && let Some(list) = schema.config["options"].as_array_mut()
    {
        // The schema's options carry a `description` (the SDK's `SelectPropertyResponse`).
        let mut entry = option.clone();
        entry["description"] = Value::Null;
        list.push(entry);
    }
    Ok(option)
}

fn select(p: &PropSchema, v: &Value, ds: &mut DataSource) -> Result<Value, NotionError> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Object(_) => option_or_new(p, v, ds),
        _ => Err(mismatch(p)),
    }
}

fn status(p: &PropSchema, v: &Value) -> Result<Value, NotionError> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Object(_) => find_option(p, v).ok_or_else(|| {
            NotionError::validation(format!(
                "Invalid status option. Status option \"{}\" does not exist.",
                v.get("name").or(v.get("id")).and_then(Value::as_str).unwrap_or("")
            ))
        }),
        _ => Err(mismatch(p)),
    }
}

fn multi_select(p: &PropSchema, v: &Value, ds: &mut DataSource, path: &str) -> Result<Value, NotionError> {
    let Some(items) = v.as_array() else {
        return Err(mismatch(p));
    };
    if items.len() > 100 {
        return Err(NotionError::validation(format!(
            "body failed validation: {path}.multi_select.length should be ≤ `100`, instead was `{}`.",
            items.len()
        )));
    }
    items.iter().map(|i| option_or_new(p, i, ds)).collect::<Result<Vec<_>, _>>().map(Value::Array)
}

fn date(p: &PropSchema, v: &Value) -> Result<Value, NotionError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let start = v.get("start").and_then(Value::as_str).ok_or_else(|| mismatch(p))?;
    let valid = |s: &str| {
        s.len() >= 10
            && s[..10]
                .chars()
                .enumerate()
                .all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() })
    };
    if !valid(start) {
        return Err(NotionError::validation(format!(
            "body failed validation: body.properties.{}.date.start should be a valid ISO 8601 date string, instead was `\"{start}\"`.",
            p.name
        )));
    }
    Ok(json!({
        "start": start,
        "end": v.get("end").cloned().unwrap_or(Value::Null),
        "time_zone": v.get("time_zone").cloned().unwrap_or(Value::Null),
    }))
}

fn people_value(p: &PropSchema, v: &Value, path: &str) -> Result<Value, NotionError> {
    let Some(items) = v.as_array() else {
        return Err(mismatch(p));
    };
    if items.len() > 100 {
        return Err(NotionError::validation(format!(
            "body failed validation: {path}.people.length should be ≤ `100`, instead was `{}`.",
            items.len()
        )));
    }
    items
        .iter()
        .map(|u| {
            let id = u.get("id").and_then(Value::as_str).and_then(ids::parse_notion_id);
            id.and_then(|id| people().into_iter().find(|person| person.notion_id == id))
                .map(|person| render::person(&person))
                .ok_or_else(|| {
                    NotionError::validation(format!(
                        "Could not find user with ID: {}.",
                        u.get("id").and_then(Value::as_str).unwrap_or("")
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// A `files` value: external files, Notion-hosted files (one of the simulator's own URLs reads
/// back as the upload it serves) and file uploads, each `{name, type, <type>: …}`; an upload's
/// empty name is filled in when it is attached.
fn files_value(p: &PropSchema, v: &Value, path: &str) -> Result<Value, NotionError> {
    let Some(items) = v.as_array() else {
        return Err(mismatch(p));
    };
    if items.len() > 100 {
        return Err(NotionError::validation(format!(
            "body failed validation: {path}.files.length should be ≤ `100`, instead was `{}`.",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| file_item(item, &format!("{path}.files[{i}]")))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

const FILE_KINDS: [&str; 3] = ["file_upload", "external", "file"];

fn file_item(item: &Value, path: &str) -> Result<Value, NotionError> {
    let Some(obj) = item.as_object() else {
        return Err(NotionError::body(path, "an object", &richtext::shown(Some(item))));
    };
    let kind = match obj.get("type") {
        Some(t) => FILE_KINDS.into_iter().find(|k| t == k).ok_or_else(|| {
            NotionError::body(
                &format!("{path}.type"),
                "`\"file_upload\"`, `\"external\"`, or `\"file\"`",
                &richtext::shown(Some(t)),
            )
        })?,
        None => FILE_KINDS
            .into_iter()
            .find(|k| obj.contains_key(*k))
            .ok_or_else(|| NotionError::body(&format!("{path}.file_upload"), "defined", "undefined"))?,
    };
    if let Some((k, v)) = obj.iter().find(|(k, _)| !["type", "name", kind].contains(&k.as_str())) {
        return Err(NotionError::body(&format!("{path}.{k}"), "not present", &richtext::shown(Some(v))));
    }
    let name = match obj.get("name") {
        Some(Value::String(s)) => s.clone(),
        None if kind == "file_upload" => String::new(),
        other => return Err(NotionError::body(&format!("{path}.name"), "a string", &richtext::shown(other))),
    };
    let inner = &obj[kind];
    let string = |key: &str| {
        inner.get(key).and_then(Value::as_str).map(String::from).ok_or_else(|| {
            NotionError::body(&format!("{path}.{kind}.{key}"), "a string", &richtext::shown(inner.get(key)))
        })
    };
    match kind {
        "file_upload" => {
            let raw = string("id")?;
            let id = ids::parse_notion_id(&raw).ok_or_else(|| {
                NotionError::body(&format!("{path}.file_upload.id"), "a valid uuid", &format!("\"{raw}\""))
            })?;
            Ok(json!({"name": name, "type": "file_upload", "file_upload": {"id": id}}))
        }
        "external" => Ok(json!({"name": name, "type": "external", "external": {"url": string("url")?}})),
        _ => {
            let url = string("url")?;
            match hosted_upload_id(&url) {
                Some(id) => Ok(json!({"name": name, "type": "file_upload", "file_upload": {"id": id}})),
                None => Ok(json!({"name": name, "type": "file", "file": {
                    "url": url,
                    "expiry_time": inner.get("expiry_time").cloned().unwrap_or(Value::Null),
                }})),
            }
        }
    }
}

/// The upload behind one of the simulator's hosted-file URLs (`…/notion-files/{id}/…`).
fn hosted_upload_id(url: &str) -> Option<String> {
    let rest = url.split_once("/notion-files/")?.1;
    ids::parse_notion_id(rest.split('/').next()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::notion::tasks_schema;

    fn ds() -> DataSource {
        DataSource {
            id: "ds".into(),
            database_id: "db".into(),
            name: "Tasks".into(),
            properties: tasks_schema(),
            created_time: time::OffsetDateTime::UNIX_EPOCH,
            last_edited_time: time::OffsetDateTime::UNIX_EPOCH,
            created_by: "u".into(),
        }
    }

    #[test]
    fn unknown_and_mistyped_properties_are_refused_with_notion_wording() {
        let mut ds = ds();
        let err = normalize_row(Some(&json!({"Colour": {"select": {"name": "x"}}})), &mut ds).unwrap_err();
        assert_eq!(err.message, "Colour is not a property that exists.");
        let err = normalize_row(Some(&json!({"Priority": {"rich_text": []}})), &mut ds).unwrap_err();
        assert_eq!(err.message, "Priority is expected to be select.");
        let err = normalize_row(Some(&json!({"Status": {"status": {"name": "Nope"}}})), &mut ds).unwrap_err();
        assert!(err.message.starts_with("Invalid status option."));
    }

    #[test]
    fn a_new_select_option_is_created() {
        let mut ds = ds();
        let out = normalize_row(Some(&json!({"Priority": {"select": {"name": "Urgent"}}})), &mut ds).unwrap();
        assert_eq!(out["Priority"]["select"]["name"], "Urgent");
        assert!(find_option(ds.property("Priority").unwrap(), &json!({"name": "Urgent"})).is_some());
    }

    #[test]
    fn plain_pages_only_take_a_title() {
        let out = normalize_plain_page(Some(&json!({"title": [{"text": {"content": "Hi"}}]}))).unwrap();
        assert_eq!(out["title"]["title"][0]["plain_text"], "Hi");
        assert!(normalize_plain_page(Some(&json!({"Status": {}}))).is_err());
    }
}
