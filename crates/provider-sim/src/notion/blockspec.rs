//! Block requests (`children` of append / create page): validated and normalised, with
//! Notion's limits (≤ 100 per array, ≤ 2 nesting levels per request, rich-text limits).

use serde_json::{Value, json};

use super::{errors::NotionError, richtext};

/// A block to create, with its nested children.
#[derive(Debug, Clone)]
pub(crate) struct NewBlock {
    pub kind: String,
    pub content: Value,
    pub children: Vec<NewBlock>,
}

const TEXT_BLOCKS: &[&str] = &[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "callout",
];
const OTHER_BLOCKS: &[&str] = &["code", "divider", "equation", "bookmark", "table_of_contents"];
const MAX_CHILDREN: usize = 100;
const MAX_DEPTH: usize = 2;

/// Parses a `children` array at `path`; `depth` 1 for the request's top level.
pub(crate) fn parse_children(
    v: Option<&Value>,
    path: &str,
    depth: usize,
) -> Result<Vec<NewBlock>, NotionError> {
    let Some(items) = v.and_then(Value::as_array) else {
        return Err(NotionError::body(path, "an array", &richtext::shown(v)));
    };
    if items.len() > MAX_CHILDREN {
        return Err(NotionError::validation(format!(
            "body failed validation: {path}.length should be ≤ `{MAX_CHILDREN}`, instead was `{}`.",
            items.len()
        )));
    }
    items.iter().enumerate().map(|(i, b)| parse_block(b, &format!("{path}[{i}]"), depth)).collect()
}

fn block_kind(b: &Value) -> Option<&str> {
    b.get("type")
        .and_then(Value::as_str)
        .or_else(|| TEXT_BLOCKS.iter().chain(OTHER_BLOCKS).find(|k| b.get(**k).is_some()).copied())
}

fn parse_block(b: &Value, path: &str, depth: usize) -> Result<NewBlock, NotionError> {
    if !b.is_object() {
        return Err(NotionError::body(path, "an object", &richtext::shown(Some(b))));
    }
    let Some(kind) = block_kind(b) else {
        return Err(NotionError::body(&format!("{path}.type"), "a supported block type", "undefined"));
    };
    if !TEXT_BLOCKS.contains(&kind) && !OTHER_BLOCKS.contains(&kind) {
        return Err(NotionError::body(
            &format!("{path}.type"),
            "a supported block type",
            &format!("\"{kind}\""),
        ));
    }
    let body = b.get(kind).cloned().unwrap_or_else(|| json!({}));
    let inner = format!("{path}.{kind}");
    let mut content = content(kind, &body, &inner)?;
    let children = match content.as_object_mut().and_then(|o| o.remove("children")) {
        None => Vec::new(),
        Some(kids) if depth >= MAX_DEPTH => {
            return Err(NotionError::body(
                &format!("{inner}.children"),
                "not present",
                &richtext::shown(Some(&kids)),
            ));
        }
        Some(kids) => parse_children(Some(&kids), &format!("{inner}.children"), depth + 1)?,
    };
    Ok(NewBlock { kind: kind.to_string(), content, children })
}

fn content(kind: &str, body: &Value, path: &str) -> Result<Value, NotionError> {
    let children = body.get("children").cloned();
    let mut out = match kind {
        "divider" | "table_of_contents" => json!({}),
        "equation" => {
            let expr = body.get("expression").and_then(Value::as_str).unwrap_or("");
            if expr.chars().count() > 1000 {
                return Err(NotionError::validation(format!(
                    "body failed validation: {path}.expression.length should be ≤ `1000`, instead was `{}`.",
                    expr.chars().count()
                )));
            }
            json!({"expression": expr})
        }
        "bookmark" => json!({
            "url": body.get("url").and_then(Value::as_str).unwrap_or(""),
            "caption": richtext::normalize(Some(body.get("caption").unwrap_or(&json!([]))), &format!("{path}.caption"))?,
        }),
        "code" => json!({
            "rich_text": richtext::normalize(body.get("rich_text"), &format!("{path}.rich_text"))?,
            "language": body.get("language").and_then(Value::as_str).unwrap_or("plain text"),
            "caption": [],
        }),
        _ => text_content(kind, body, path)?,
    };
    if let Some(kids) = children {
        out["children"] = kids;
    }
    Ok(out)
}

fn text_content(kind: &str, body: &Value, path: &str) -> Result<Value, NotionError> {
    let rich_text = richtext::normalize(body.get("rich_text"), &format!("{path}.rich_text"))?;
    let color = body.get("color").and_then(Value::as_str).unwrap_or("default");
    let mut out = json!({"rich_text": rich_text, "color": color});
    match kind {
        "to_do" => {
            out["checked"] = Value::Bool(body.get("checked").and_then(Value::as_bool).unwrap_or(false))
        }
        "callout" => {
            out["icon"] = body.get("icon").cloned().unwrap_or_else(|| json!({"type": "emoji", "emoji": "💡"}))
        }
        k if k.starts_with("heading_") => {
            out["is_toggleable"] =
                Value::Bool(body.get("is_toggleable").and_then(Value::as_bool).unwrap_or(false))
        }
        _ => {}
    }
    Ok(out)
}

/// A paragraph (or other text block) for seeding.
pub(crate) fn text_block(kind: &str, text: &str) -> NewBlock {
    let body = json!({"rich_text": [{"type": "text", "text": {"content": text}}]});
    let content = if TEXT_BLOCKS.contains(&kind) {
        text_content(kind, &body, "seed").unwrap_or(Value::Null)
    } else {
        json!({})
    };
    NewBlock { kind: kind.to_string(), content, children: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_normalised_and_the_type_can_be_implied() {
        let kids = parse_children(
            Some(&json!([{"paragraph": {"rich_text": [{"text": {"content": "hi"}}]}}, {"type": "to_do", "to_do": {"rich_text": []}}])),
            "body.children",
            1,
        )
        .unwrap();
        assert_eq!(kids[0].kind, "paragraph");
        assert_eq!(kids[0].content["color"], "default");
        assert_eq!(kids[1].content["checked"], false);
    }

    #[test]
    fn three_levels_of_nesting_are_refused() {
        let deep = json!([{"toggle": {"rich_text": [], "children": [{"toggle": {"rich_text": [], "children": [{"paragraph": {"rich_text": []}}]}}]}}]);
        let err = parse_children(Some(&deep), "body.children", 1).unwrap_err();
        assert!(
            err.message.contains("body.children[0].toggle.children[0].toggle.children should be not present")
        );
        let two = json!([{"toggle": {"rich_text": [], "children": [{"paragraph": {"rich_text": []}}]}}]);
        assert_eq!(parse_children(Some(&two), "body.children", 1).unwrap()[0].children.len(), 1);
    }

    #[test]
    fn a_paragraph_with_2001_characters_names_its_path() {
        let long = "a".repeat(2001);
        let err = parse_children(
            Some(&json!([{"paragraph": {"rich_text": [{"text": {"content": long}}]}}])),
            "body.children",
            1,
        )
        .unwrap_err();
        assert!(
            err.message
                .contains("body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`")
        );
    }
}
