//! Data source queries: property and timestamp filters (compound `and`/`or`) and sorts.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::{
    errors::NotionError,
    model::{DataSource, Page},
    richtext,
};
use crate::clock::iso;

/// A validated filter.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Property { name: String, kind: String, op: String, value: Value },
    Timestamp { which: String, op: String, value: Value },
}

const TEXT_OPS: &[&str] = &[
    "equals",
    "does_not_equal",
    "contains",
    "does_not_contain",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
];
const NUMBER_OPS: &[&str] = &[
    "equals",
    "does_not_equal",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
    "is_empty",
    "is_not_empty",
];
const SELECT_OPS: &[&str] = &["equals", "does_not_equal", "is_empty", "is_not_empty"];
const LIST_OPS: &[&str] = &["contains", "does_not_contain", "is_empty", "is_not_empty"];
const DATE_OPS: &[&str] =
    &["equals", "before", "after", "on_or_before", "on_or_after", "is_empty", "is_not_empty"];
const CHECKBOX_OPS: &[&str] = &["equals", "does_not_equal"];

/// Filter keys accepted for each property type.
fn filter_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "title" | "rich_text" => &["title", "rich_text"],
        "url" => &["url", "rich_text"],
        "email" => &["email", "rich_text"],
        "phone_number" => &["phone_number", "rich_text"],
        "number" => &["number"],
        "checkbox" => &["checkbox"],
        "select" => &["select"],
        "status" => &["status"],
        "multi_select" => &["multi_select"],
        "people" => &["people"],
        "date" => &["date"],
        _ => &[],
    }
}

fn ops_for(kind: &str) -> &'static [&'static str] {
    match kind {
        "number" => NUMBER_OPS,
        "checkbox" => CHECKBOX_OPS,
        "select" | "status" => SELECT_OPS,
        "multi_select" | "people" => LIST_OPS,
        "date" => DATE_OPS,
        _ => TEXT_OPS,
    }
}

/// Parses and checks `body.filter` against the schema.
pub(crate) fn parse_filter(v: &Value, ds: &DataSource, path: &str) -> Result<Filter, NotionError> {
    let Some(obj) = v.as_object() else {
        return Err(NotionError::body(path, "an object", &richtext::shown(Some(v))));
    };
    for compound in ["and", "or"] {
        if let Some(list) = obj.get(compound) {
            let items = list.as_array().ok_or_else(|| {
                NotionError::body(&format!("{path}.{compound}"), "an array", &richtext::shown(Some(list)))
            })?;
            let parsed = items
                .iter()
                .enumerate()
                .map(|(i, f)| parse_filter(f, ds, &format!("{path}.{compound}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(if compound == "and" { Filter::And(parsed) } else { Filter::Or(parsed) });
        }
    }
    if let Some(which) = obj.get("timestamp").and_then(Value::as_str) {
        return timestamp_filter(obj, which, path);
    }
    let Some(name) = obj.get("property").and_then(Value::as_str) else {
        return Err(NotionError::body(&format!("{path}.property"), "defined", "undefined"));
    };
    let schema = ds
        .property(name)
        .ok_or_else(|| NotionError::validation(format!("Could not find property with name or id: {name}")))?;
    let keys = filter_keys(&schema.kind);
    let Some((key, cond)) = keys.iter().find_map(|k| obj.get(*k).map(|c| (*k, c))) else {
        return Err(NotionError::body(
            &format!("{path}.{}", keys.first().copied().unwrap_or(schema.kind.as_str())),
            "defined",
            "undefined",
        ));
    };
    let (op, value) = condition(cond, ops_for(&schema.kind), &format!("{path}.{key}"))?;
    Ok(Filter::Property { name: schema.name.clone(), kind: schema.kind.clone(), op, value })
}

fn timestamp_filter(obj: &Map<String, Value>, which: &str, path: &str) -> Result<Filter, NotionError> {
    if which != "created_time" && which != "last_edited_time" {
        return Err(NotionError::body(
            &format!("{path}.timestamp"),
            "`\"created_time\"` or `\"last_edited_time\"`",
            &format!("\"{which}\""),
        ));
    }
    let cond = obj
        .get(which)
        .ok_or_else(|| NotionError::body(&format!("{path}.{which}"), "defined", "undefined"))?;
    let (op, value) = condition(cond, DATE_OPS, &format!("{path}.{which}"))?;
    Ok(Filter::Timestamp { which: which.to_string(), op, value })
}

fn condition(cond: &Value, allowed: &[&str], path: &str) -> Result<(String, Value), NotionError> {
    let Some((op, value)) = cond.as_object().and_then(|o| o.iter().next()) else {
        return Err(NotionError::body(path, "an object with one condition", &richtext::shown(Some(cond))));
    };
    if !allowed.contains(&op.as_str()) {
        return Err(NotionError::body(
            &format!("{path}.{op}"),
            &format!("one of {}", allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")),
            "present",
        ));
    }
    Ok((op.clone(), value.clone()))
}

/// Does `page` pass the filter?
pub(crate) fn matches(f: &Filter, page: &Page) -> bool {
    match f {
        Filter::And(all) => all.iter().all(|f| matches(f, page)),
        Filter::Or(any) => any.iter().any(|f| matches(f, page)),
        Filter::Timestamp { which, op, value } => {
            let t = if which == "created_time" { page.created_time } else { page.last_edited_time };
            date_cmp(Some(&iso(t)), op, value)
        }
        Filter::Property { name, kind, op, value } => {
            let prop = page.properties.get(name).and_then(|p| p.get(kind.as_str()));
            property_matches(kind, prop, op, value)
        }
    }
}

fn property_matches(kind: &str, prop: Option<&Value>, op: &str, value: &Value) -> bool {
    match kind {
        "title" | "rich_text" => {
            let text = prop.and_then(Value::as_array).map(|a| richtext::plain(a)).unwrap_or_default();
            text_cmp(&text, op, value)
        }
        "url" | "email" | "phone_number" => text_cmp(prop.and_then(Value::as_str).unwrap_or(""), op, value),
        "number" => number_cmp(prop.and_then(Value::as_f64), op, value),
        "checkbox" => {
            let b = prop.and_then(Value::as_bool).unwrap_or(false);
            (op == "equals") == (Some(b) == value.as_bool())
        }
        "select" | "status" => {
            let name = prop.and_then(|p| p.get("name")).and_then(Value::as_str);
            option_cmp(name, op, value)
        }
        "multi_select" | "people" => {
            let field = if kind == "people" { "id" } else { "name" };
            let names: Vec<&str> = prop
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|o| o.get(field).and_then(Value::as_str)).collect())
                .unwrap_or_default();
            list_cmp(&names, op, value)
        }
        "date" => date_cmp(prop.and_then(|d| d.get("start")).and_then(Value::as_str), op, value),
        _ => false,
    }
}

fn text_cmp(text: &str, op: &str, value: &Value) -> bool {
    let want = value.as_str().unwrap_or("");
    let (t, w) = (text.to_lowercase(), want.to_lowercase());
    match op {
        "equals" => text == want,
        "does_not_equal" => text != want,
        "contains" => t.contains(&w),
        "does_not_contain" => !t.contains(&w),
        "starts_with" => t.starts_with(&w),
        "ends_with" => t.ends_with(&w),
        "is_empty" => text.is_empty(),
        _ => !text.is_empty(),
    }
}

fn number_cmp(n: Option<f64>, op: &str, value: &Value) -> bool {
    let want = value.as_f64();
    match (op, n, want) {
        ("is_empty", n, _) => n.is_none(),
        ("is_not_empty", n, _) => n.is_some(),
        ("equals", Some(n), Some(w)) => n == w,
        ("does_not_equal", Some(n), Some(w)) => n != w,
        ("greater_than", Some(n), Some(w)) => n > w,
        ("less_than", Some(n), Some(w)) => n < w,
        ("greater_than_or_equal_to", Some(n), Some(w)) => n >= w,
        ("less_than_or_equal_to", Some(n), Some(w)) => n <= w,
        _ => false,
    }
}

fn option_cmp(name: Option<&str>, op: &str, value: &Value) -> bool {
    match op {
        "equals" => name.is_some() && name == value.as_str(),
        "does_not_equal" => name != value.as_str(),
        "is_empty" => name.is_none(),
        _ => name.is_some(),
    }
}

fn list_cmp(items: &[&str], op: &str, value: &Value) -> bool {
    let want = value.as_str().map(|w| crate::ids::parse_notion_id(w).unwrap_or_else(|| w.to_string()));
    let has = want.as_deref().is_some_and(|w| items.contains(&w));
    match op {
        "contains" => has,
        "does_not_contain" => !has,
        "is_empty" => items.is_empty(),
        _ => !items.is_empty(),
    }
}

/// ISO strings compare by their date (and time, when both have one).
fn date_cmp(start: Option<&str>, op: &str, value: &Value) -> bool {
    match (op, start) {
        ("is_empty", s) => s.is_none(),
        ("is_not_empty", s) => s.is_some(),
        (_, None) => false,
        (op, Some(s)) => {
            let b = value.as_str().unwrap_or("");
            let a = if b.len() <= 10 { s.get(..10).unwrap_or(s) } else { s };
            match op {
                "equals" => a == b,
                "before" => a < b,
                "after" => a > b,
                "on_or_before" => a <= b,
                _ => a >= b,
            }
        }
    }
}

/// One sort key.
#[derive(Debug, Clone)]
pub(crate) enum Sort {
    Property { name: String, kind: String, descending: bool },
    Timestamp { which: String, descending: bool },
}

/// Parses `body.sorts`.
pub(crate) fn parse_sorts(v: Option<&Value>, ds: &DataSource) -> Result<Vec<Sort>, NotionError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let items =
        v.as_array().ok_or_else(|| NotionError::body("body.sorts", "an array", &richtext::shown(Some(v))))?;
    items
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let descending = match s.get("direction").and_then(Value::as_str) {
                Some("descending") => true,
                Some("ascending") | None => false,
                Some(other) => {
                    return Err(NotionError::body(
                        &format!("body.sorts[{i}].direction"),
                        "`\"ascending\"` or `\"descending\"`",
                        &format!("\"{other}\""),
                    ));
                }
            };
            if let Some(which) = s.get("timestamp").and_then(Value::as_str) {
                return Ok(Sort::Timestamp { which: which.to_string(), descending });
            }
            let name = s.get("property").and_then(Value::as_str).unwrap_or("");
            let p = ds.property(name).ok_or_else(|| {
                NotionError::validation(format!("Could not find sort property with name or id: {name}"))
            })?;
            Ok(Sort::Property { name: p.name.clone(), kind: p.kind.clone(), descending })
        })
        .collect()
}

/// Sorts pages by `sorts` (default: newest first by creation, as Notion does).
pub(crate) fn sort(pages: &mut [&Page], sorts: &[Sort]) {
    pages.sort_by(|a, b| {
        if sorts.is_empty() {
            return b.created_time.cmp(&a.created_time).then_with(|| a.id.cmp(&b.id));
        }
        for s in sorts {
            let (ord, desc) = match s {
                Sort::Timestamp { which, descending } => {
                    let key =
                        |p: &Page| if which == "created_time" { p.created_time } else { p.last_edited_time };
                    (key(a).cmp(&key(b)), *descending)
                }
                Sort::Property { name, kind, descending } => (compare_prop(a, b, name, kind), *descending),
            };
            let ord = if desc { ord.reverse() } else { ord };
            if ord.is_ne() {
                return ord;
            }
        }
        a.id.cmp(&b.id)
    });
}

fn sort_value(p: &Page, name: &str, kind: &str) -> (u8, String, f64) {
    let v = p.properties.get(name).and_then(|x| x.get(kind));
    match kind {
        "number" => v.and_then(Value::as_f64).map_or((1, String::new(), 0.0), |n| (0, String::new(), n)),
        "title" | "rich_text" => {
            let s = v.and_then(Value::as_array).map(|a| richtext::plain(a)).unwrap_or_default();
            (u8::from(s.is_empty()), s.to_lowercase(), 0.0)
        }
        "select" | "status" => option_text(v.and_then(|o| o.get("name"))),
        "date" => option_text(v.and_then(|d| d.get("start"))),
        "checkbox" => (0, v.and_then(Value::as_bool).unwrap_or(false).to_string(), 0.0),
        _ => (1, String::new(), 0.0),
    }
}

fn option_text(v: Option<&Value>) -> (u8, String, f64) {
    v.and_then(Value::as_str).map_or((1, String::new(), 0.0), |s| (0, s.to_lowercase(), 0.0))
}

fn compare_prop(a: &Page, b: &Page, name: &str, kind: &str) -> Ordering {
    let (ea, sa, na) = sort_value(a, name, kind);
    let (eb, sb, nb) = sort_value(b, name, kind);
    ea.cmp(&eb).then_with(|| sa.cmp(&sb)).then_with(|| na.partial_cmp(&nb).unwrap_or(Ordering::Equal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_compare_by_day_when_the_filter_has_no_time() {
        assert!(date_cmp(Some("2025-02-03T10:00:00.000Z"), "equals", &Value::from("2025-02-03")));
        assert!(date_cmp(Some("2025-02-03"), "before", &Value::from("2025-02-04")));
        assert!(date_cmp(Some("2025-02-03"), "on_or_after", &Value::from("2025-02-03")));
        assert!(!date_cmp(None, "after", &Value::from("2025-02-03")));
    }

    #[test]
    fn text_conditions_are_case_insensitive_for_contains() {
        assert!(text_cmp("Write the Roadmap", "contains", &Value::from("roadmap")));
        assert!(text_cmp("", "is_empty", &Value::Bool(true)));
        assert!(!text_cmp("a", "equals", &Value::from("A")));
    }
}
