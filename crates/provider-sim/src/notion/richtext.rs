//! Rich text: request items are validated against Notion's limits and normalised into the
//! response shape (`annotations`, `plain_text`, `href`).

use serde_json::{Value, json};

use super::errors::NotionError;

const MAX_TEXT: usize = 2000;
pub(crate) const MAX_URL: usize = 2000;
pub(crate) const MAX_EQUATION: usize = 1000;
const MAX_ITEMS: usize = 100;

/// A string's length as the API counts it: UTF-16 code units (JavaScript's `length`), so
/// `🚀` counts 2 and `é` 1.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

pub(crate) fn too_long(path: &str, max: usize, len: usize) -> NotionError {
    NotionError::validation(format!(
        "body failed validation: {path}.length should be ≤ `{max}`, instead was `{len}`."
    ))
}

/// A short rendering of a JSON value for error messages.
pub(crate) fn shown(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 60 { format!("{}...", &s[..s.floor_char_boundary(57)]) } else { s }
        }
    }
}

/// Validates and normalises a rich-text array found at `path`.
pub(crate) fn normalize(v: Option<&Value>, path: &str) -> Result<Vec<Value>, NotionError> {
    let Some(items) = v.and_then(Value::as_array) else {
        return Err(NotionError::body(path, "an array", &shown(v)));
    };
    if items.len() > MAX_ITEMS {
        return Err(too_long(path, MAX_ITEMS, items.len()));
    }
    items.iter().enumerate().map(|(i, item)| normalize_item(item, &format!("{path}[{i}]"))).collect()
}

fn normalize_item(item: &Value, path: &str) -> Result<Value, NotionError> {
    if !item.is_object() {
        return Err(NotionError::body(path, "an object", &shown(Some(item))));
    }
    let kind = item.get("type").and_then(Value::as_str).unwrap_or_else(|| {
        ["mention", "equation"].into_iter().find(|k| item.get(*k).is_some()).unwrap_or("text")
    });
    if !["text", "mention", "equation"].contains(&kind) {
        return Err(NotionError::body(
            &format!("{path}.type"),
            "`\"text\"`, `\"mention\"`, or `\"equation\"`",
            &format!("\"{kind}\""),
        ));
    }
    if let Some((k, v)) = item
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| !["type", kind, "annotations"].contains(&k.as_str())))
    {
        return Err(NotionError::body(&format!("{path}.{k}"), "not present", &shown(Some(v))));
    }
    let annotations = annotations(item.get("annotations"), &format!("{path}.annotations"))?;
    let (body, plain, href) = match kind {
        "text" => text_body(item.get("text"), &format!("{path}.text"))?,
        "equation" => equation_body(item.get("equation"), &format!("{path}.equation"))?,
        "mention" => mention_body(item.get("mention"), &format!("{path}.mention"))?,
        other => {
            return Err(NotionError::body(
                &format!("{path}.type"),
                "`\"text\"`, `\"mention\"`, or `\"equation\"`",
                &format!("\"{other}\""),
            ));
        }
    };
    let mut out = json!({"type": kind, "annotations": annotations, "plain_text": plain, "href": href});
    out[kind] = body;
    Ok(out)
}

fn text_body(v: Option<&Value>, path: &str) -> Result<(Value, String, Value), NotionError> {
    let content = v.and_then(|t| t.get("content"));
    if let Some((k, v)) = v
        .and_then(Value::as_object)
        .and_then(|o| o.iter().find(|(k, _)| !["content", "link"].contains(&k.as_str())))
    {
        return Err(NotionError::body(&format!("{path}.{k}"), "not present", &shown(Some(v))));
    }
    let Some(content) = content.and_then(Value::as_str) else {
        return Err(NotionError::body(&format!("{path}.content"), "defined", &shown(content)));
    };
    let len = utf16_len(content);
    if len > MAX_TEXT {
        return Err(too_long(&format!("{path}.content"), MAX_TEXT, len));
    }
    let link = match v.and_then(|t| t.get("link")) {
        None | Some(Value::Null) => Value::Null,
        Some(l) => {
            if let Some((k, v)) = l.as_object().and_then(|o| o.iter().find(|(k, _)| k.as_str() != "url")) {
                return Err(NotionError::body(&format!("{path}.link.{k}"), "not present", &shown(Some(v))));
            }
            let Some(url) = l.get("url").and_then(Value::as_str) else {
                return Err(NotionError::body(&format!("{path}.link.url"), "defined", &shown(l.get("url"))));
            };
            let n = utf16_len(url);
            if n > MAX_URL {
                return Err(too_long(&format!("{path}.link.url"), MAX_URL, n));
            }
            json!({"url": url})
        }
    };
    let href = link.get("url").cloned().unwrap_or(Value::Null);
    Ok((json!({"content": content, "link": link}), content.to_string(), href))
}

fn equation_body(v: Option<&Value>, path: &str) -> Result<(Value, String, Value), NotionError> {
    let expr = v.and_then(|e| e.get("expression"));
    let Some(expr) = expr.and_then(Value::as_str) else {
        return Err(NotionError::body(&format!("{path}.expression"), "defined", &shown(expr)));
    };
    let n = utf16_len(expr);
    if n > MAX_EQUATION {
        return Err(too_long(&format!("{path}.expression"), MAX_EQUATION, n));
    }
    Ok((json!({"expression": expr}), expr.to_string(), Value::Null))
}

fn mention_body(v: Option<&Value>, path: &str) -> Result<(Value, String, Value), NotionError> {
    let Some(m) = v.filter(|m| m.is_object()) else {
        return Err(NotionError::body(path, "an object", &shown(v)));
    };
    let kind = m.get("type").and_then(Value::as_str).unwrap_or_else(|| {
        ["user", "page", "database", "date"].into_iter().find(|k| m.get(*k).is_some()).unwrap_or("")
    });
    let inner = m.get(kind).cloned().unwrap_or(Value::Null);
    let plain = match kind {
        "user" | "page" | "database" => inner
            .get("id")
            .and_then(Value::as_str)
            .map(|id| format!("@{id}"))
            .ok_or_else(|| NotionError::body(&format!("{path}.{kind}.id"), "defined", "undefined"))?,
        "date" => inner.get("start").and_then(Value::as_str).unwrap_or("").to_string(),
        _ => {
            return Err(NotionError::body(
                &format!("{path}.type"),
                "`\"user\"`, `\"page\"`, `\"database\"`, or `\"date\"`",
                &shown(m.get("type")),
            ));
        }
    };
    let mut body = json!({"type": kind});
    body[kind] = inner;
    Ok((body, plain, Value::Null))
}

fn annotations(v: Option<&Value>, path: &str) -> Result<Value, NotionError> {
    const FLAGS: &[&str] = &["bold", "italic", "strikethrough", "underline", "code"];
    let empty = serde_json::Map::new();
    let given = match v {
        None => &empty,
        Some(Value::Object(o)) => o,
        Some(other) => return Err(NotionError::body(path, "an object", &shown(Some(other)))),
    };
    let mut out = json!({});
    for flag in FLAGS {
        out[*flag] = match given.get(*flag) {
            None => Value::Bool(false),
            Some(Value::Bool(b)) => Value::Bool(*b),
            Some(other) => {
                return Err(NotionError::body(&format!("{path}.{flag}"), "a boolean", &shown(Some(other))));
            }
        };
    }
    out["color"] = json!(super::blockspec::color(given.get("color"), &format!("{path}.color"))?);
    if let Some((k, v)) = given.iter().find(|(k, _)| k.as_str() != "color" && !FLAGS.contains(&k.as_str())) {
        return Err(NotionError::body(&format!("{path}.{k}"), "not present", &shown(Some(v))));
    }
    Ok(out)
}

/// One plain text item in response form.
pub(crate) fn text(content: &str) -> Value {
    normalize_item(&json!({"text": {"content": content}}), "seed").unwrap_or(Value::Null)
}

/// Concatenated `plain_text` of an array.
pub(crate) fn plain(items: &[Value]) -> String {
    items.iter().filter_map(|i| i.get("plain_text").and_then(Value::as_str)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_normalised_with_default_annotations() {
        let out = normalize(
            Some(&json!([{"type": "text", "text": {"content": "hi", "link": {"url": "https://x"}}, "annotations": {"bold": true}}])),
            "body.rich_text",
        )
        .unwrap();
        assert_eq!(out[0]["plain_text"], "hi");
        assert_eq!(out[0]["href"], "https://x");
        assert_eq!(out[0]["annotations"]["bold"], true);
        assert_eq!(out[0]["annotations"]["color"], "default");
    }

    #[test]
    fn content_over_2000_characters_is_a_validation_error_naming_the_path() {
        let long = "x".repeat(2001);
        let err = normalize(Some(&json!([{"text": {"content": long}}])), "body.rich_text").unwrap_err();
        assert_eq!(err.code, "validation_error");
        assert_eq!(
            err.message,
            "body failed validation: body.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`."
        );
        let exactly = "é".repeat(2000);
        assert!(normalize(Some(&json!([{"text": {"content": exactly}}])), "p").is_ok());
        // Counted in UTF-16 units, as the API does: 1001 rockets are 2002 units.
        let rockets = "🚀".repeat(1001);
        let err = normalize(Some(&json!([{"text": {"content": rockets}}])), "p").unwrap_err();
        assert!(
            err.message.contains("p[0].text.content.length should be ≤ `2000`, instead was `2002`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn more_than_100_items_is_refused() {
        let items: Vec<Value> = (0..101).map(|_| json!({"text": {"content": "a"}})).collect();
        let err = normalize(Some(&Value::Array(items)), "body.rich_text").unwrap_err();
        assert!(err.message.contains("body.rich_text.length should be ≤ `100`, instead was `101`"));
    }
}
