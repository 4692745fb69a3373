//! Cursor pagination: `start_cursor` + `page_size` (default and maximum 100) in, the list
//! envelope with `next_cursor` / `has_more` out. A cursor is the id of the next item.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{errors::NotionError, richtext::shown};

/// The requested window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageReq {
    pub start_cursor: Option<String>,
    pub page_size: usize,
}

const MAX: u64 = 100;

/// From a POST body (`body.start_cursor`, `body.page_size`).
pub(crate) fn from_body(body: &Value) -> Result<PageReq, NotionError> {
    let size = match body.get("page_size") {
        None | Some(Value::Null) => MAX,
        Some(v) => {
            v.as_u64().ok_or_else(|| NotionError::body("body.page_size", "a number", &shown(Some(v))))?
        }
    };
    let cursor = match body.get("start_cursor") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => return Err(NotionError::body("body.start_cursor", "a string", &shown(Some(v)))),
    };
    checked(size, cursor, "body")
}

/// From query parameters (`query.start_cursor`, `query.page_size`).
pub(crate) fn from_query(q: &HashMap<String, String>) -> Result<PageReq, NotionError> {
    let size = match q.get("page_size") {
        None => MAX,
        Some(raw) => raw.parse::<u64>().map_err(|_| {
            NotionError::validation(format!(
                "query failed validation: query.page_size should be a number, instead was `\"{raw}\"`."
            ))
        })?,
    };
    checked(size, q.get("start_cursor").cloned(), "query")
}

fn checked(size: u64, cursor: Option<String>, place: &str) -> Result<PageReq, NotionError> {
    if size > MAX {
        return Err(NotionError::validation(format!(
            "{place} failed validation: {place}.page_size should be ≤ `{MAX}`, instead was `{size}`."
        )));
    }
    if size == 0 {
        return Err(NotionError::validation(format!(
            "{place} failed validation: {place}.page_size should be ≥ `1`, instead was `0`."
        )));
    }
    Ok(PageReq { start_cursor: cursor, page_size: size as usize })
}

/// Cuts one page out of `items` (id, object) and wraps it in the list envelope.
pub(crate) fn list(items: Vec<(String, Value)>, req: &PageReq, kind: &str) -> Result<Value, NotionError> {
    let start = match &req.start_cursor {
        None => 0,
        Some(c) => {
            let wanted = crate::ids::parse_notion_id(c).unwrap_or_else(|| c.clone());
            items.iter().position(|(id, _)| *id == wanted).ok_or_else(|| {
                NotionError::validation(format!("The start_cursor provided is invalid: {c}"))
            })?
        }
    };
    let end = (start + req.page_size).min(items.len());
    let next = items.get(end).map(|(id, _)| id.clone());
    let results: Vec<Value> = items[start..end].iter().map(|(_, v)| v.clone()).collect();
    Ok(json!({
        "object": "list",
        "results": results,
        "next_cursor": next,
        "has_more": next.is_some(),
        "type": kind,
        kind: {},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<(String, Value)> {
        (0..n).map(|i| (format!("id{i}"), json!(i))).collect()
    }

    #[test]
    fn pages_follow_next_cursor_until_has_more_is_false() {
        let req = PageReq { start_cursor: None, page_size: 2 };
        let first = list(items(5), &req, "block").unwrap();
        assert_eq!(first["results"], json!([0, 1]));
        assert_eq!(first["next_cursor"], "id2");
        assert_eq!(first["has_more"], true);
        let last =
            list(items(5), &PageReq { start_cursor: Some("id4".into()), page_size: 2 }, "block").unwrap();
        assert_eq!(last["results"], json!([4]));
        assert_eq!(last["next_cursor"], Value::Null);
        assert_eq!(last["has_more"], false);
    }

    #[test]
    fn page_size_over_100_is_refused() {
        let err = from_body(&json!({"page_size": 101})).unwrap_err();
        assert_eq!(
            err.message,
            "body failed validation: body.page_size should be ≤ `100`, instead was `101`."
        );
        let mut q = HashMap::new();
        q.insert("page_size".to_string(), "101".to_string());
        assert!(from_query(&q).unwrap_err().message.starts_with("query failed validation"));
    }
}
