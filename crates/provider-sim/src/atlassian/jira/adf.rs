//! Atlassian Document Format: the v3 API's only accepted shape for rich text.

use serde_json::{Map, Value, json};

/// Jira's message for a rich-text field that is not a valid document.
pub(crate) const NOT_A_DOCUMENT: &str =
    "Operation value must be an Atlassian Document (see the Atlassian Document Format)";

/// How Jira judges a rich-text value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A document Jira stores.
    Valid,
    /// Not a JSON object at all (a plain string, say): Jira's field message.
    NotADocument,
    /// An object that breaks the ADF schema: `400 {"errorMessages":["INVALID_INPUT"]}`.
    Invalid(String),
}

/// Judges `v` against the published ADF schema (when loaded) or the structural rules.
pub(crate) fn judge(v: &Value) -> Verdict {
    if !v.is_object() {
        return Verdict::NotADocument;
    }
    match crate::spec::check_adf(v) {
        Ok(()) => Verdict::Valid,
        Err(reason) => {
            tracing::debug!(%reason, "ADF document refused");
            Verdict::Invalid(reason)
        }
    }
}

// ------------------------------------------------------------------ structural rules
//
// The rules of `@atlaskit/adf-schema`'s `full.json` for the nodes and marks below, written
// out by hand so the check also runs where the schema is not installed (the demo). Nodes
// the schema has but this table does not model in detail (media, extensions, layouts, sync
// blocks, embed cards, inline media, captions, block task items) are accepted with whatever
// they hold: an approximation that errs on the lenient side.

/// What an attribute value must be.
#[derive(Clone, Copy)]
enum A {
    Str,
    NonEmpty,
    Bool,
    Num { min: Option<f64>, max: Option<f64> },
    Nums,
    Enum(&'static [&'static str]),
    Hex6,
    StatusColor,
    Any,
}

const NUM: A = A::Num { min: None, max: None };

/// Attributes of a node or mark: allowed names (with their kind) and which are required.
struct Attrs {
    /// `attrs` itself must be present.
    required: bool,
    fields: &'static [(&'static str, A)],
    must: &'static [&'static str],
}

const NO_ATTRS: Option<Attrs> = None;
const LOCAL_ID: &[(&str, A)] = &[("localId", A::Str)];

fn attrs(fields: &'static [(&'static str, A)]) -> Option<Attrs> {
    Some(Attrs { required: false, fields, must: &[] })
}

fn attrs_req(fields: &'static [(&'static str, A)], must: &'static [&'static str]) -> Option<Attrs> {
    Some(Attrs { required: true, fields, must })
}

const INLINE: &[&str] = &[
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "date",
    "status",
    "placeholder",
    "inlineExtension",
    "mediaInline",
];
const DOC: &[&str] = &[
    "blockCard",
    "codeBlock",
    "mediaSingle",
    "paragraph",
    "taskList",
    "orderedList",
    "bulletList",
    "blockquote",
    "decisionList",
    "embedCard",
    "extension",
    "heading",
    "mediaGroup",
    "rule",
    "panel",
    "table",
    "bodiedExtension",
    "expand",
    "layoutSection",
    "syncBlock",
    "bodiedSyncBlock",
];
const LIST_ITEM: &[&str] =
    &["paragraph", "bulletList", "orderedList", "taskList", "mediaSingle", "codeBlock", "extension"];
const QUOTE: &[&str] =
    &["paragraph", "orderedList", "bulletList", "codeBlock", "mediaSingle", "mediaGroup", "extension"];
const CELL: &[&str] = &[
    "paragraph",
    "panel",
    "blockquote",
    "orderedList",
    "bulletList",
    "rule",
    "heading",
    "codeBlock",
    "mediaSingle",
    "mediaGroup",
    "decisionList",
    "taskList",
    "blockCard",
    "embedCard",
    "extension",
    "nestedExpand",
];
const PANEL: &[&str] = &[
    "paragraph",
    "heading",
    "bulletList",
    "orderedList",
    "blockCard",
    "mediaGroup",
    "mediaSingle",
    "codeBlock",
    "taskList",
    "rule",
    "decisionList",
    "extension",
];
const EXPAND: &[&str] = &[
    "paragraph",
    "panel",
    "blockquote",
    "orderedList",
    "bulletList",
    "rule",
    "heading",
    "codeBlock",
    "mediaGroup",
    "mediaSingle",
    "decisionList",
    "taskList",
    "table",
    "blockCard",
    "embedCard",
    "extension",
    "nestedExpand",
];
const NESTED_EXPAND: &[&str] = &[
    "paragraph",
    "heading",
    "mediaSingle",
    "mediaGroup",
    "codeBlock",
    "bulletList",
    "orderedList",
    "taskList",
    "decisionList",
    "rule",
    "panel",
    "blockquote",
    "extension",
];
/// Nodes accepted without a closer look (see above).
const LOOSE: &[&str] = &[
    "mediaSingle",
    "media",
    "mediaGroup",
    "mediaInline",
    "caption",
    "embedCard",
    "extension",
    "bodiedExtension",
    "inlineExtension",
    "layoutSection",
    "layoutColumn",
    "syncBlock",
    "bodiedSyncBlock",
    "blockTaskItem",
];

/// Children a node takes: none (no `content` key), or these kinds (`required`: the key must
/// be there; `min1`: at least one).
enum Content {
    None,
    Of { kinds: &'static [&'static str], required: bool, min1: bool },
}

const fn of(kinds: &'static [&'static str], required: bool, min1: bool) -> Content {
    Content::Of { kinds, required, min1 }
}

/// Marks a node may carry (`None`: no `marks` key).
enum Marks {
    None,
    /// A `marks` key is allowed but must be empty.
    Empty,
    Block(&'static [&'static str]),
}

struct Rule {
    attrs: Option<Attrs>,
    content: Content,
    marks: Marks,
}

fn rule(kind: &str) -> Option<Rule> {
    use A::*;
    const CELL_ATTRS: &[(&str, A)] = &[
        ("colspan", NUM),
        ("rowspan", NUM),
        ("colwidth", Nums),
        ("background", Str),
        ("localId", Str),
        ("valign", Enum(&["top", "middle", "bottom"])),
    ];
    let r = match kind {
        "paragraph" => Rule {
            attrs: attrs(LOCAL_ID),
            content: of(INLINE, false, false),
            marks: Marks::Block(&["alignment", "indentation", "fontSize"]),
        },
        "heading" => Rule {
            attrs: attrs_req(
                &[("level", Num { min: Some(1.0), max: Some(6.0) }), ("localId", Str)],
                &["level"],
            ),
            content: of(INLINE, false, false),
            marks: Marks::Block(&["alignment", "indentation"]),
        },
        "bulletList" => {
            Rule { attrs: attrs(LOCAL_ID), content: of(&["listItem"], true, true), marks: Marks::None }
        }
        "orderedList" => Rule {
            attrs: attrs(&[("order", Num { min: Some(0.0), max: None }), ("localId", Str)]),
            content: of(&["listItem"], true, true),
            marks: Marks::None,
        },
        "listItem" => Rule { attrs: attrs(LOCAL_ID), content: of(LIST_ITEM, true, true), marks: Marks::None },
        "codeBlock" => Rule {
            attrs: attrs(&[
                ("language", Str),
                ("uniqueId", Str),
                ("localId", Str),
                ("wrap", Bool),
                ("hideLineNumbers", Bool),
            ]),
            content: of(&["text"], false, false),
            marks: Marks::Empty,
        },
        "blockquote" => Rule { attrs: attrs(LOCAL_ID), content: of(QUOTE, true, true), marks: Marks::None },
        "rule" => Rule { attrs: attrs(LOCAL_ID), content: Content::None, marks: Marks::None },
        "hardBreak" => Rule {
            attrs: attrs(&[("text", Enum(&["\n"])), ("localId", Str)]),
            content: Content::None,
            marks: Marks::None,
        },
        "panel" => Rule {
            attrs: attrs_req(
                &[
                    ("panelType", Enum(&["info", "note", "tip", "warning", "error", "success", "custom"])),
                    ("panelIcon", Str),
                    ("panelIconId", Str),
                    ("panelIconText", Str),
                    ("panelColor", Str),
                    ("localId", Str),
                ],
                &["panelType"],
            ),
            content: of(PANEL, true, true),
            marks: Marks::None,
        },
        "table" => Rule {
            attrs: attrs(&[
                ("displayMode", Enum(&["default", "fixed"])),
                ("isNumberColumnEnabled", Bool),
                ("layout", Enum(&["wide", "full-width", "center", "align-end", "align-start", "default"])),
                ("localId", NonEmpty),
                ("width", NUM),
            ]),
            content: of(&["tableRow"], true, true),
            marks: Marks::Block(&["fragment"]),
        },
        "tableRow" => Rule {
            attrs: attrs(LOCAL_ID),
            content: of(&["tableCell", "tableHeader"], true, false),
            marks: Marks::None,
        },
        "tableCell" | "tableHeader" => {
            Rule { attrs: attrs(CELL_ATTRS), content: of(CELL, true, true), marks: Marks::None }
        }
        "taskList" => Rule {
            attrs: attrs_req(LOCAL_ID, &["localId"]),
            content: of(&["taskItem", "taskList", "blockTaskItem"], true, true),
            marks: Marks::None,
        },
        "taskItem" => Rule {
            attrs: attrs_req(&[("localId", Str), ("state", Enum(&["TODO", "DONE"]))], &["localId", "state"]),
            content: of(INLINE, false, false),
            marks: Marks::None,
        },
        "decisionList" => Rule {
            attrs: attrs_req(LOCAL_ID, &["localId"]),
            content: of(&["decisionItem"], true, true),
            marks: Marks::None,
        },
        "decisionItem" => Rule {
            attrs: attrs_req(&[("localId", Str), ("state", Str)], &["localId", "state"]),
            content: of(INLINE, false, false),
            marks: Marks::None,
        },
        "expand" => Rule {
            attrs: attrs(&[("title", Str), ("localId", Str)]),
            content: of(EXPAND, true, true),
            marks: Marks::Empty,
        },
        "nestedExpand" => Rule {
            attrs: attrs_req(&[("title", Str), ("localId", Str)], &[]),
            content: of(NESTED_EXPAND, true, true),
            marks: Marks::None,
        },
        "mention" => Rule {
            attrs: attrs_req(
                &[
                    ("id", Str),
                    ("localId", Str),
                    ("text", Str),
                    ("accessLevel", Str),
                    ("userType", Enum(&["DEFAULT", "SPECIAL", "APP"])),
                ],
                &["id"],
            ),
            content: Content::None,
            marks: Marks::None,
        },
        "emoji" => Rule {
            attrs: attrs_req(
                &[("shortName", Str), ("id", Str), ("text", Str), ("localId", Str)],
                &["shortName"],
            ),
            content: Content::None,
            marks: Marks::None,
        },
        "date" => Rule {
            attrs: attrs_req(&[("timestamp", NonEmpty), ("localId", Str)], &["timestamp"]),
            content: Content::None,
            marks: Marks::None,
        },
        "status" => Rule {
            attrs: attrs_req(
                &[("text", NonEmpty), ("color", StatusColor), ("localId", Str), ("style", Str)],
                &["text", "color"],
            ),
            content: Content::None,
            marks: Marks::None,
        },
        "placeholder" => Rule {
            attrs: attrs_req(&[("text", Str), ("localId", Str)], &["text"]),
            content: Content::None,
            marks: Marks::None,
        },
        // `url` or `data` (inlineCard; blockCard also `datasource`), checked in `card`.
        "inlineCard" | "blockCard" => Rule {
            attrs: attrs_req(
                &[
                    ("url", Str),
                    ("data", Any),
                    ("datasource", Any),
                    ("localId", Str),
                    ("width", NUM),
                    ("layout", Str),
                ],
                &[],
            ),
            content: Content::None,
            marks: Marks::None,
        },
        _ => return None,
    };
    Some(r)
}

/// Text marks and what their attributes must be.
fn mark_attrs(kind: &str) -> Option<Option<Attrs>> {
    use A::*;
    Some(match kind {
        "strong" | "em" | "strike" | "underline" | "code" => NO_ATTRS,
        "link" => attrs_req(
            &[("href", Str), ("title", Str), ("id", Str), ("collection", Str), ("occurrenceKey", Str)],
            &["href"],
        ),
        "subsup" => attrs_req(&[("type", Enum(&["sub", "sup"]))], &["type"]),
        "textColor" | "backgroundColor" => attrs_req(&[("color", Hex6)], &["color"]),
        "annotation" => {
            attrs_req(&[("id", Str), ("annotationType", Enum(&["inlineComment"]))], &["id", "annotationType"])
        }
        "alignment" => attrs_req(&[("align", Enum(&["center", "end"]))], &["align"]),
        "indentation" => attrs_req(&[("level", Num { min: Some(1.0), max: Some(6.0) })], &["level"]),
        "fontSize" | "fragment" | "border" | "breakout" | "dataConsumer" => {
            Some(Attrs { required: false, fields: &[], must: &[] })
        }
        _ => return None,
    })
}

const TEXT_MARKS: &[&str] = &[
    "link",
    "em",
    "strong",
    "strike",
    "subsup",
    "underline",
    "textColor",
    "annotation",
    "backgroundColor",
    "code",
];
/// Marks allowed next to `code`.
const WITH_CODE: &[&str] = &["code", "link", "annotation"];

fn value_ok(a: A, v: &Value) -> bool {
    match a {
        A::Str => v.is_string(),
        A::NonEmpty => v.as_str().is_some_and(|s| !s.is_empty()),
        A::Bool => v.is_boolean(),
        A::Num { min, max } => {
            v.as_f64().is_some_and(|n| min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m))
        }
        A::Nums => v.as_array().is_some_and(|a| a.iter().all(Value::is_number)),
        A::Enum(values) => v.as_str().is_some_and(|s| values.contains(&s)),
        A::Hex6 => v.as_str().is_some_and(is_hex6),
        A::StatusColor => v.as_str().is_some_and(|s| {
            ["neutral", "purple", "blue", "red", "yellow", "green"].contains(&s) || is_hex6(s)
        }),
        A::Any => true,
    }
}

fn is_hex6(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_attrs(rule: &Option<Attrs>, obj: &Map<String, Value>, path: &str) -> Result<(), String> {
    let given = obj.get("attrs");
    let Some(rule) = rule else {
        return match given {
            None => Ok(()),
            Some(_) => Err(format!("{path}: no `attrs` allowed")),
        };
    };
    let Some(given) = given else {
        return if rule.required { Err(format!("{path}: `attrs` is required")) } else { Ok(()) };
    };
    let Some(given) = given.as_object() else {
        return Err(format!("{path}.attrs: not an object"));
    };
    for name in rule.must {
        if !given.contains_key(*name) {
            return Err(format!("{path}.attrs: `{name}` is required"));
        }
    }
    for (name, v) in given {
        match rule.fields.iter().find(|(n, _)| n == name) {
            None => return Err(format!("{path}.attrs: unknown attribute `{name}`")),
            Some((_, a)) if !value_ok(*a, v) => {
                return Err(format!("{path}.attrs.{name}: invalid value {v}"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn check_marks(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), String> {
    let Some(marks) = obj.get("marks") else {
        return Ok(());
    };
    let Some(marks) = marks.as_array() else {
        return Err(format!("{path}.marks: not an array"));
    };
    let kinds: Vec<&str> =
        marks.iter().map(|m| m.get("type").and_then(Value::as_str).unwrap_or("")).collect();
    for (i, (mark, kind)) in marks.iter().zip(&kinds).enumerate() {
        let here = format!("{path}.marks[{i}]");
        let Some(m) = mark.as_object() else {
            return Err(format!("{here}: not an object"));
        };
        if !allowed.contains(kind) {
            return Err(format!("{here}: mark `{kind}` not allowed here"));
        }
        let Some(rule) = mark_attrs(kind) else {
            return Err(format!("{here}: unknown mark `{kind}`"));
        };
        if let Some(k) = m.keys().find(|k| *k != "type" && *k != "attrs") {
            return Err(format!("{here}: unknown key `{k}`"));
        }
        check_attrs(&rule, m, &here)?;
    }
    if kinds.contains(&"code")
        && let Some(other) = kinds.iter().find(|k| !WITH_CODE.contains(k))
    {
        return Err(format!("{path}.marks: `{other}` cannot be combined with `code`"));
    }
    Ok(())
}

fn check_text(obj: &Map<String, Value>, path: &str, marks: &[&str]) -> Result<(), String> {
    if let Some(k) = obj.keys().find(|k| !["type", "text", "marks"].contains(&k.as_str())) {
        return Err(format!("{path}: unknown key `{k}`"));
    }
    if obj.get("text").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(format!("{path}.text: a non-empty string is required"));
    }
    check_marks(obj, marks, path)
}

fn check_node(v: &Value, allowed: &[&str], path: &str, depth: usize) -> Result<(), String> {
    if depth > 64 {
        return Err(format!("{path}: nested too deeply"));
    }
    let Some(obj) = v.as_object() else {
        return Err(format!("{path}: not an object"));
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("");
    if !allowed.contains(&kind) {
        return Err(format!("{path}: `{kind}` is not allowed here"));
    }
    if LOOSE.contains(&kind) {
        return Ok(());
    }
    if kind == "text" {
        return check_text(obj, path, TEXT_MARKS);
    }
    let Some(rule) = rule(kind) else {
        return Err(format!("{path}: unknown node `{kind}`"));
    };
    if let Some(k) = obj.keys().find(|k| !["type", "attrs", "content", "marks"].contains(&k.as_str())) {
        return Err(format!("{path}: unknown key `{k}`"));
    }
    check_attrs(&rule.attrs, obj, path)?;
    if kind == "inlineCard" || kind == "blockCard" {
        let a = obj.get("attrs").and_then(Value::as_object);
        let has = |k: &str| a.is_some_and(|a| a.contains_key(k));
        let ok = has("url") || has("data") || (kind == "blockCard" && has("datasource"));
        if !ok {
            return Err(format!("{path}.attrs: `url` or `data` is required"));
        }
    }
    match rule.marks {
        Marks::None if obj.contains_key("marks") => return Err(format!("{path}: no `marks` allowed")),
        Marks::None => {}
        Marks::Empty => check_marks(obj, &[], path)?,
        Marks::Block(m) => check_marks(obj, m, path)?,
    }
    match (&rule.content, obj.get("content")) {
        (Content::None, None) => Ok(()),
        (Content::None, Some(_)) => Err(format!("{path}: no `content` allowed")),
        (Content::Of { required: true, .. }, None) => Err(format!("{path}: `content` is required")),
        (Content::Of { .. }, None) => Ok(()),
        (Content::Of { kinds, min1, .. }, Some(c)) => {
            let Some(children) = c.as_array() else {
                return Err(format!("{path}.content: not an array"));
            };
            if *min1 && children.is_empty() {
                return Err(format!("{path}.content: at least one node is required"));
            }
            for (i, child) in children.iter().enumerate() {
                let here = format!("{path}.content[{i}]");
                if kind == "codeBlock" {
                    // Text without marks only.
                    let o =
                        child.as_object().filter(|o| o.get("type").and_then(Value::as_str) == Some("text"));
                    let Some(o) = o else {
                        return Err(format!("{here}: only text is allowed in a codeBlock"));
                    };
                    check_text(o, &here, &[])?;
                } else {
                    check_node(child, kinds, &here, depth + 1)?;
                }
            }
            Ok(())
        }
    }
}

/// The structural check: `Ok` or the first rule `v` breaks (with its path).
pub(crate) fn check_structure(v: &Value) -> Result<(), String> {
    let Some(obj) = v.as_object() else {
        return Err("not an object".into());
    };
    if let Some(k) = obj.keys().find(|k| !["type", "version", "content"].contains(&k.as_str())) {
        return Err(format!("doc: unknown key `{k}`"));
    }
    if obj.get("type").and_then(Value::as_str) != Some("doc") {
        return Err("type: must be `doc`".into());
    }
    if obj.get("version").and_then(Value::as_f64) != Some(1.0) {
        return Err("version: must be 1".into());
    }
    let Some(content) = obj.get("content").and_then(Value::as_array) else {
        return Err("content: an array is required".into());
    };
    for (i, node) in content.iter().enumerate() {
        check_node(node, DOC, &format!("content[{i}]"), 0)?;
    }
    Ok(())
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
        assert_eq!(judge(&json!("Hello")), Verdict::NotADocument);
        assert!(matches!(judge(&json!({"type": "doc", "version": 2, "content": []})), Verdict::Invalid(_)));
        assert!(matches!(
            judge(&json!({"type": "doc", "version": 1, "content": [{"type": "blink"}]})),
            Verdict::Invalid(_)
        ));
        assert_eq!(judge(&doc("Hello\nworld")), Verdict::Valid);
        assert_eq!(check_structure(&doc("Hello\nworld")), Ok(()));
    }

    #[test]
    fn plain_text_collects_every_text_node() {
        let text = plain_text(&doc("Login fails\nafter timeout"));
        assert!(text.contains("Login fails") && text.contains("after timeout"));
        assert_eq!(to_html(&doc("a<b")), "<p>a&lt;b</p>");
    }
}
