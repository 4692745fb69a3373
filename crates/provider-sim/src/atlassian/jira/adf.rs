//! Atlassian Document Format: the v3 API's only accepted shape for rich text.

use serde_json::{Value, json};

const NODES: &[&str] = &[
    "paragraph",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "codeBlock",
    "blockquote",
    "rule",
    "panel",
    "table",
    "tableRow",
    "tableHeader",
    "tableCell",
    "mediaSingle",
    "media",
    "mediaGroup",
    "expand",
    "nestedExpand",
    "taskList",
    "taskItem",
    "decisionList",
    "decisionItem",
    "layoutSection",
    "layoutColumn",
    "blockCard",
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "date",
    "status",
    "placeholder",
];

const MARKS: &[&str] = &[
    "strong",
    "em",
    "code",
    "link",
    "strike",
    "underline",
    "subsup",
    "textColor",
    "backgroundColor",
    "alignment",
    "indentation",
    "border",
    "annotation",
];

/// Jira's message for a rich-text field that is not a valid document.
pub(crate) const NOT_A_DOCUMENT: &str =
    "Operation value must be an Atlassian Document (see the Atlassian Document Format)";

/// True if `v` is a well-formed ADF document (`doc`, version 1, known nodes and marks).
pub(crate) fn is_document(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("doc")
        && v.get("version").and_then(Value::as_u64) == Some(1)
        && v.get("content").and_then(Value::as_array).is_some_and(|nodes| nodes.iter().all(is_node))
}

fn is_node(v: &Value) -> bool {
    let Some(kind) = v.get("type").and_then(Value::as_str) else {
        return false;
    };
    if !NODES.contains(&kind) {
        return false;
    }
    if kind == "text" && v.get("text").and_then(Value::as_str).is_none_or(str::is_empty) {
        return false;
    }
    let content_ok = match v.get("content") {
        None => true,
        Some(Value::Array(children)) => children.iter().all(is_node),
        Some(_) => false,
    };
    let marks_ok = match v.get("marks") {
        None => true,
        Some(Value::Array(marks)) => {
            marks.iter().all(|m| m.get("type").and_then(Value::as_str).is_some_and(|t| MARKS.contains(&t)))
        }
        Some(_) => false,
    };
    content_ok && marks_ok
}

/// A document of one paragraph per line of `text`.
pub(crate) fn doc(text: &str) -> Value {
    let paragraphs: Vec<Value> = text
        .split('\n')
        .map(|line| {
            if line.is_empty() {
                json!({"type": "paragraph", "content": []})
            } else {
                json!({"type": "paragraph", "content": [{"type": "text", "text": line}]})
            }
        })
        .collect();
    json!({"type": "doc", "version": 1, "content": paragraphs})
}

/// All text of a document, blocks separated by newlines (for `text ~` search).
pub(crate) fn plain_text(v: &Value) -> String {
    let mut out = String::new();
    collect(v, &mut out);
    out
}

fn collect(v: &Value, out: &mut String) {
    if let Some(t) = v.get("text").and_then(Value::as_str) {
        out.push_str(t);
    }
    if let Some(children) = v.get("content").and_then(Value::as_array) {
        for c in children {
            collect(c, out);
        }
        out.push('\n');
    }
}

/// A small HTML rendering (for `expand=renderedFields`).
pub(crate) fn to_html(v: &Value) -> String {
    let mut out = String::new();
    html(v, &mut out);
    out
}

fn html(v: &Value, out: &mut String) {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    if kind == "text" {
        out.push_str(&crate::consent::escape(v.get("text").and_then(Value::as_str).unwrap_or("")));
        return;
    }
    let tag = match kind {
        "paragraph" => "p",
        "heading" => "h3",
        "bulletList" => "ul",
        "orderedList" => "ol",
        "listItem" => "li",
        "codeBlock" => "pre",
        "blockquote" => "blockquote",
        "hardBreak" => return out.push_str("<br/>"),
        "rule" => return out.push_str("<hr/>"),
        _ => "",
    };
    if !tag.is_empty() {
        out.push_str(&format!("<{tag}>"));
    }
    for c in v.get("content").and_then(Value::as_array).into_iter().flatten() {
        html(c, out);
    }
    if !tag.is_empty() {
        out.push_str(&format!("</{tag}>"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_string_is_not_a_document() {
        assert!(!is_document(&json!("Hello")));
        assert!(!is_document(&json!({"type": "doc", "version": 2, "content": []})));
        assert!(!is_document(&json!({"type": "doc", "version": 1, "content": [{"type": "blink"}]})));
        assert!(is_document(&doc("Hello\nworld")));
    }

    #[test]
    fn plain_text_collects_every_text_node() {
        let text = plain_text(&doc("Login fails\nafter timeout"));
        assert!(text.contains("Login fails") && text.contains("after timeout"));
        assert_eq!(to_html(&doc("a<b")), "<p>a&lt;b</p>");
    }
}
