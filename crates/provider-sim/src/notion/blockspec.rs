//! Block requests (`children` of append / create page, the body of a block update):
//! validated and normalised as the API does, following the request types of the official SDK
//! (`@notionhq/client`, `BlockObjectRequest` in `api-endpoints/common.d.ts`):
//!
//! * a block is `{"object"?: "block", "type"?: K, K: {...}}`, nothing else; each type object
//!   has its own keys (unknown keys, missing required keys and wrong kinds of values are
//!   `validation_error`s naming the body path);
//! * ≤ 100 blocks per `children` array; **two levels of nesting below the request's blocks**:
//!   a top-level block's children may have children, theirs may not (the SDK's
//!   `BlockObjectRequest` → `BlockObjectWithSingleLevelOfChildrenRequest` →
//!   `BlockObjectRequestWithoutChildren`). A `table` needs its `table_row` children, so it
//!   can stand at the first two levels only; a `column_list`'s columns do not count as a level;
//! * colors are `ApiColor`, code languages `LanguageRequest`; rich text as in [`richtext`].

use serde_json::{Map, Value, json};

use super::{errors::NotionError, richtext};

/// A block to create, with its nested children.
#[derive(Debug, Clone)]
pub(crate) struct NewBlock {
    pub kind: String,
    pub content: Value,
    pub children: Vec<NewBlock>,
}

/// Notion's `ApiColor`.
pub(crate) const COLORS: &[&str] = &[
    "default",
    "gray",
    "brown",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "red",
    "default_background",
    "gray_background",
    "brown_background",
    "orange_background",
    "yellow_background",
    "green_background",
    "blue_background",
    "purple_background",
    "pink_background",
    "red_background",
];

/// Notion's `LanguageRequest`: the languages a `code` block may name.
pub(crate) const LANGUAGES: &[&str] = &[
    "abap",
    "abc",
    "agda",
    "arduino",
    "ascii art",
    "assembly",
    "bash",
    "basic",
    "bnf",
    "c",
    "c#",
    "c++",
    "clojure",
    "coffeescript",
    "coq",
    "css",
    "dart",
    "dhall",
    "diff",
    "docker",
    "ebnf",
    "elixir",
    "elm",
    "erlang",
    "f#",
    "flow",
    "fortran",
    "gherkin",
    "glsl",
    "go",
    "graphql",
    "groovy",
    "haskell",
    "hcl",
    "html",
    "idris",
    "java",
    "javascript",
    "json",
    "julia",
    "kotlin",
    "latex",
    "less",
    "lisp",
    "livescript",
    "llvm ir",
    "lua",
    "makefile",
    "markdown",
    "markup",
    "matlab",
    "mathematica",
    "mermaid",
    "nix",
    "notion formula",
    "objective-c",
    "ocaml",
    "pascal",
    "perl",
    "php",
    "plain text",
    "powershell",
    "prolog",
    "protobuf",
    "purescript",
    "python",
    "r",
    "racket",
    "reason",
    "ruby",
    "rust",
    "sass",
    "scala",
    "scheme",
    "scss",
    "shell",
    "smalltalk",
    "solidity",
    "sql",
    "swift",
    "toml",
    "typescript",
    "vb.net",
    "verilog",
    "vhdl",
    "visual basic",
    "webassembly",
    "xml",
    "yaml",
    "java/c/c++/c#",
];

/// Block types with rich text, color and (optionally) children.
const TEXT_BLOCKS: &[&str] = &[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "heading_4",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "callout",
    "template",
];
/// Every block type a request may create.
const KINDS: &[&str] = &[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "heading_4",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "callout",
    "template",
    "code",
    "equation",
    "divider",
    "breadcrumb",
    "table_of_contents",
    "bookmark",
    "embed",
    "image",
    "video",
    "pdf",
    "file",
    "audio",
    "link_to_page",
    "table",
    "table_row",
    "column_list",
    "column",
    "synced_block",
];
const MAX_CHILDREN: usize = 100;
/// Levels of nesting allowed below a request's own blocks.
const NESTING: usize = 2;

/// A `validation_error` for a key the type does not have.
fn not_present(path: &str, v: &Value) -> NotionError {
    NotionError::body(path, "not present", &richtext::shown(Some(v)))
}

fn one_of(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`\"{v}\"`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// Checks `v` (at `path`) is one of `values`.
fn enum_value<'a>(v: &'a Value, path: &str, values: &[&str]) -> Result<&'a str, NotionError> {
    match v.as_str() {
        Some(s) if values.contains(&s) => Ok(s),
        _ => Err(NotionError::body(path, &one_of(values), &richtext::shown(Some(v)))),
    }
}

/// A color at `path` (absent → `default`).
pub(crate) fn color(v: Option<&Value>, path: &str) -> Result<String, NotionError> {
    match v {
        None => Ok("default".into()),
        Some(c) => enum_value(c, path, COLORS).map(str::to_string),
    }
}

fn expect_bool(v: Option<&Value>, path: &str) -> Result<bool, NotionError> {
    match v {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(NotionError::body(path, "a boolean", &richtext::shown(Some(other)))),
    }
}

fn expect_string<'a>(v: Option<&'a Value>, path: &str) -> Result<&'a str, NotionError> {
    match v {
        Some(Value::String(s)) => Ok(s),
        None => Err(NotionError::body(path, "defined", "undefined")),
        Some(other) => Err(NotionError::body(path, "a string", &richtext::shown(Some(other)))),
    }
}

/// Refuses keys of `obj` outside `allowed`.
fn only_keys(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), NotionError> {
    match obj.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        Some((k, v)) => Err(not_present(&format!("{path}.{k}"), v)),
        None => Ok(()),
    }
}

fn object<'a>(v: Option<&'a Value>, path: &str) -> Result<&'a Map<String, Value>, NotionError> {
    match v {
        Some(Value::Object(o)) => Ok(o),
        None => Err(NotionError::body(path, "defined", "undefined")),
        Some(other) => Err(NotionError::body(path, "an object", &richtext::shown(Some(other)))),
    }
}

fn id_value(v: Option<&Value>, path: &str) -> Result<String, NotionError> {
    let s = expect_string(v, path)?;
    crate::ids::parse_notion_id(s).ok_or_else(|| NotionError::body(path, "a valid uuid", &format!("\"{s}\"")))
}

/// Parses a `children` array at `path` whose blocks may nest `budget` more levels
/// (a request's top level: 2).
pub(crate) fn parse_children(
    v: Option<&Value>,
    path: &str,
    budget: usize,
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
    items.iter().enumerate().map(|(i, b)| parse_block(b, &format!("{path}[{i}]"), budget)).collect()
}

/// The children of a request's top level (`body.children`).
pub(crate) fn parse_request_children(v: Option<&Value>) -> Result<Vec<NewBlock>, NotionError> {
    parse_children(v, "body.children", NESTING)
}

fn block_kind<'a>(b: &'a Map<String, Value>, path: &str) -> Result<&'a str, NotionError> {
    if let Some(t) = b.get("type") {
        let kind = t.as_str().unwrap_or("");
        if !KINDS.contains(&kind) {
            return Err(NotionError::body(
                &format!("{path}.type"),
                "a supported block type",
                &richtext::shown(Some(t)),
            ));
        }
        return Ok(kind);
    }
    KINDS
        .iter()
        .find(|k| b.contains_key(**k))
        .copied()
        .ok_or_else(|| NotionError::body(&format!("{path}.type"), "a supported block type", "undefined"))
}

fn parse_block(b: &Value, path: &str, budget: usize) -> Result<NewBlock, NotionError> {
    let Some(obj) = b.as_object() else {
        return Err(NotionError::body(path, "an object", &richtext::shown(Some(b))));
    };
    let kind = block_kind(obj, path)?;
    if let Some(o) = obj.get("object")
        && o != "block"
    {
        return Err(NotionError::body(&format!("{path}.object"), "`\"block\"`", &richtext::shown(Some(o))));
    }
    only_keys(obj, &["object", "type", kind], path)?;
    let inner = format!("{path}.{kind}");
    let body = object(obj.get(kind), &inner)?;
    parse_type_object(kind, body, &inner, budget)
}

/// Validates a block update (`PATCH /v1/blocks/{id}`): the type object of `kind` at `path`,
/// without children.
pub(crate) fn parse_update(kind: &str, body: &Value, path: &str) -> Result<Value, NotionError> {
    let obj = object(Some(body), path)?;
    if let Some(kids) = obj.get("children") {
        return Err(not_present(&format!("{path}.children"), kids));
    }
    if matches!(kind, "table" | "column_list" | "column") {
        // Their required children cannot come with an update: only their own settings.
        return parse_settings(kind, obj, path);
    }
    if !merges_on_update(kind) {
        return Ok(parse_type_object(kind, obj, path, 0)?.content);
    }
    // Checked as on creation, with what the SDK's update types make optional filled in for
    // the check only; the answer holds just the keys given (the rest stays as stored).
    let mut probe = obj.clone();
    if UPDATE_TEXT_OPTIONAL.contains(&kind) {
        probe.entry("rich_text").or_insert_with(|| json!([]));
    }
    if kind == "code" {
        probe.entry("language").or_insert_with(|| json!("plain text"));
    }
    let parsed = parse_type_object(kind, &probe, path, 0)?.content;
    let given = parsed.as_object().into_iter().flatten().filter(|(k, _)| obj.contains_key(*k));
    Ok(Value::Object(given.map(|(k, v)| (k.clone(), v.clone())).collect()))
}

/// Block types whose update changes only the keys it gives (text blocks and code; tables and
/// columns their settings): the stored content is merged with the update.
pub(crate) fn merges_on_update(kind: &str) -> bool {
    TEXT_BLOCKS.contains(&kind) || matches!(kind, "code" | "table" | "column")
}

/// Block types whose `rich_text` is optional in an update (the SDK's `UpdateBlockBodyParameters`:
/// `paragraph` is `ContentWithRichTextColorAndIconUpdateRequest`, `to_do`, `callout` and `code`
/// their own optional lists); the other text blocks require it.
const UPDATE_TEXT_OPTIONAL: &[&str] = &["paragraph", "to_do", "callout", "code"];

/// `table` / `column_list` / `column` settings on an update.
fn parse_settings(kind: &str, obj: &Map<String, Value>, path: &str) -> Result<Value, NotionError> {
    match kind {
        "table" => {
            only_keys(obj, &["has_column_header", "has_row_header"], path)?;
            // Only what is given changes.
            let mut out = Map::new();
            for key in ["has_column_header", "has_row_header"] {
                if obj.contains_key(key) {
                    out.insert(key.into(), json!(expect_bool(obj.get(key), &format!("{path}.{key}"))?));
                }
            }
            Ok(Value::Object(out))
        }
        "column" => {
            only_keys(obj, &["width_ratio"], path)?;
            match obj.get("width_ratio") {
                None => Ok(json!({})),
                Some(r) if r.is_number() => Ok(json!({"width_ratio": r})),
                Some(r) => Err(NotionError::body(
                    &format!("{path}.width_ratio"),
                    "a number",
                    &richtext::shown(Some(r)),
                )),
            }
        }
        _ => {
            only_keys(obj, &[], path)?;
            Ok(json!({}))
        }
    }
}

fn children_of(
    obj: &Map<String, Value>,
    path: &str,
    budget: usize,
    required: bool,
) -> Result<Vec<NewBlock>, NotionError> {
    match obj.get("children") {
        None if required => Err(NotionError::body(&format!("{path}.children"), "defined", "undefined")),
        None => Ok(Vec::new()),
        Some(kids) if budget == 0 => Err(not_present(&format!("{path}.children"), kids)),
        Some(kids) => parse_children(Some(kids), &format!("{path}.children"), budget - 1),
    }
}

fn caption(obj: &Map<String, Value>, path: &str) -> Result<Vec<Value>, NotionError> {
    match obj.get("caption") {
        None => Ok(Vec::new()),
        c => richtext::normalize(c, &format!("{path}.caption")),
    }
}

fn url_value(v: Option<&Value>, path: &str) -> Result<String, NotionError> {
    let url = expect_string(v, path)?;
    let n = richtext::utf16_len(url);
    if n > richtext::MAX_URL {
        return Err(richtext::too_long(path, richtext::MAX_URL, n));
    }
    Ok(url.to_string())
}

/// `external` / `file_upload` media (image, video, pdf, file, audio).
fn media(kind: &str, obj: &Map<String, Value>, path: &str) -> Result<Value, NotionError> {
    let mut allowed = vec!["type", "external", "file_upload", "caption"];
    if kind == "file" {
        allowed.push("name");
    }
    only_keys(obj, &allowed, path)?;
    let source = match obj.get("type") {
        Some(t) => enum_value(t, &format!("{path}.type"), &["external", "file_upload"])?,
        None if obj.contains_key("file_upload") => "file_upload",
        None => "external",
    };
    let src = object(obj.get(source), &format!("{path}.{source}"))?;
    let mut out = json!({"caption": caption(obj, path)?, "type": source});
    if source == "external" {
        only_keys(src, &["url"], &format!("{path}.external"))?;
        out["external"] = json!({"url": url_value(src.get("url"), &format!("{path}.external.url"))?});
    } else {
        only_keys(src, &["id"], &format!("{path}.file_upload"))?;
        out["file_upload"] = json!({"id": id_value(src.get("id"), &format!("{path}.file_upload.id"))?});
    }
    if kind == "file" {
        let name = match obj.get("name") {
            None => String::new(),
            n => expect_string(n, &format!("{path}.name"))?.to_string(),
        };
        out["name"] = json!(name);
    }
    Ok(out)
}

fn icon(v: &Value, path: &str) -> Result<Value, NotionError> {
    let obj = object(Some(v), path)?;
    let kind = match obj.get("type") {
        Some(t) => enum_value(
            t,
            &format!("{path}.type"),
            &["emoji", "external", "file_upload", "custom_emoji", "icon"],
        )?,
        None => ["emoji", "external", "file_upload", "custom_emoji", "icon"]
            .into_iter()
            .find(|k| obj.contains_key(*k))
            .ok_or_else(|| NotionError::body(&format!("{path}.emoji"), "defined", "undefined"))?,
    };
    only_keys(obj, &["type", kind], path)?;
    if kind == "emoji" {
        expect_string(obj.get("emoji"), &format!("{path}.emoji"))?;
    } else {
        object(obj.get(kind), &format!("{path}.{kind}"))?;
    }
    let mut out = json!({"type": kind});
    out[kind] = obj[kind].clone();
    Ok(out)
}

/// Validates the type object `obj` of a `kind` block at `path`; its children may nest
/// `budget` more levels.
fn parse_type_object(
    kind: &str,
    obj: &Map<String, Value>,
    path: &str,
    budget: usize,
) -> Result<NewBlock, NotionError> {
    let sub = |k: &str| format!("{path}.{k}");
    let mut children = Vec::new();
    let content = match kind {
        k if TEXT_BLOCKS.contains(&k) => {
            let mut allowed = vec!["rich_text", "children"];
            match k {
                "template" => {}
                "to_do" => allowed.extend(["color", "checked"]),
                "callout" | "paragraph" => allowed.extend(["color", "icon"]),
                h if h.starts_with("heading_") => allowed.extend(["color", "is_toggleable"]),
                _ => allowed.push("color"),
            }
            only_keys(obj, &allowed, path)?;
            let rich_text = match obj.get("rich_text") {
                None => return Err(NotionError::body(&sub("rich_text"), "defined", "undefined")),
                rt => richtext::normalize(rt, &sub("rich_text"))?,
            };
            let mut out = json!({"rich_text": rich_text});
            if k != "template" {
                out["color"] = json!(color(obj.get("color"), &sub("color"))?);
            }
            match k {
                "to_do" => out["checked"] = json!(expect_bool(obj.get("checked"), &sub("checked"))?),
                "callout" => {
                    out["icon"] = match obj.get("icon") {
                        None => json!({"type": "emoji", "emoji": "💡"}),
                        Some(i) => icon(i, &sub("icon"))?,
                    }
                }
                "paragraph" => {
                    if let Some(i) = obj.get("icon") {
                        out["icon"] = icon(i, &sub("icon"))?;
                    }
                }
                h if h.starts_with("heading_") => {
                    out["is_toggleable"] =
                        json!(expect_bool(obj.get("is_toggleable"), &sub("is_toggleable"))?)
                }
                _ => {}
            }
            children = children_of(obj, path, budget, false)?;
            out
        }
        "code" => {
            only_keys(obj, &["rich_text", "language", "caption"], path)?;
            let rich_text = match obj.get("rich_text") {
                None => return Err(NotionError::body(&sub("rich_text"), "defined", "undefined")),
                rt => richtext::normalize(rt, &sub("rich_text"))?,
            };
            let language = match obj.get("language") {
                None => return Err(NotionError::body(&sub("language"), "defined", "undefined")),
                Some(l) => enum_value(l, &sub("language"), LANGUAGES)?,
            };
            json!({"rich_text": rich_text, "language": language, "caption": caption(obj, path)?})
        }
        "equation" => {
            only_keys(obj, &["expression"], path)?;
            let expr = expect_string(obj.get("expression"), &sub("expression"))?;
            let n = richtext::utf16_len(expr);
            if n > richtext::MAX_EQUATION {
                return Err(richtext::too_long(&sub("expression"), richtext::MAX_EQUATION, n));
            }
            json!({"expression": expr})
        }
        "divider" | "breadcrumb" => {
            only_keys(obj, &[], path)?;
            json!({})
        }
        "table_of_contents" => {
            only_keys(obj, &["color"], path)?;
            json!({"color": color(obj.get("color"), &sub("color"))?})
        }
        "bookmark" | "embed" => {
            only_keys(obj, &["url", "caption"], path)?;
            json!({"url": url_value(obj.get("url"), &sub("url"))?, "caption": caption(obj, path)?})
        }
        "image" | "video" | "pdf" | "file" | "audio" => media(kind, obj, path)?,
        "link_to_page" => {
            let target = match obj.get("type") {
                Some(t) => enum_value(t, &sub("type"), &["page_id", "database_id", "comment_id"])?,
                None => ["page_id", "database_id", "comment_id"]
                    .into_iter()
                    .find(|k| obj.contains_key(*k))
                    .ok_or_else(|| NotionError::body(&sub("page_id"), "defined", "undefined"))?,
            };
            only_keys(obj, &["type", target], path)?;
            let mut out = json!({"type": target});
            out[target] = json!(id_value(obj.get(target), &sub(target))?);
            out
        }
        "table" => {
            only_keys(obj, &["table_width", "children", "has_column_header", "has_row_header"], path)?;
            let width = match obj.get("table_width") {
                Some(Value::Number(n)) if n.as_u64().is_some_and(|w| w >= 1) => n.as_u64().unwrap_or(1),
                None => return Err(NotionError::body(&sub("table_width"), "defined", "undefined")),
                other => {
                    return Err(NotionError::body(
                        &sub("table_width"),
                        "a positive integer",
                        &richtext::shown(other),
                    ));
                }
            };
            children = children_of(obj, path, budget, true)?;
            check_rows(&children, width, &sub("children"))?;
            json!({
                "table_width": width,
                "has_column_header": expect_bool(obj.get("has_column_header"), &sub("has_column_header"))?,
                "has_row_header": expect_bool(obj.get("has_row_header"), &sub("has_row_header"))?,
            })
        }
        "table_row" => {
            only_keys(obj, &["cells"], path)?;
            let Some(cells) = obj.get("cells").and_then(Value::as_array) else {
                return Err(NotionError::body(&sub("cells"), "an array", &richtext::shown(obj.get("cells"))));
            };
            let cells = cells
                .iter()
                .enumerate()
                .map(|(i, c)| richtext::normalize(Some(c), &format!("{path}.cells[{i}]")).map(Value::Array))
                .collect::<Result<Vec<_>, _>>()?;
            json!({"cells": cells})
        }
        "column_list" => {
            only_keys(obj, &["children"], path)?;
            if budget < NESTING {
                return Err(not_present(path, &Value::Object(obj.clone())));
            }
            // The columns do not count as a level: their children nest as the list's would.
            children = match obj.get("children") {
                None => return Err(NotionError::body(&sub("children"), "defined", "undefined")),
                Some(kids) => parse_children(Some(kids), &sub("children"), budget),
            }?;
            if let Some((i, c)) = children.iter().enumerate().find(|(_, c)| c.kind != "column") {
                return Err(NotionError::body(
                    &format!("{path}.children[{i}].type"),
                    "`\"column\"`",
                    &format!("\"{}\"", c.kind),
                ));
            }
            json!({})
        }
        "column" => {
            only_keys(obj, &["children", "width_ratio"], path)?;
            if let Some(r) = obj.get("width_ratio")
                && !r.is_number()
            {
                return Err(NotionError::body(&sub("width_ratio"), "a number", &richtext::shown(Some(r))));
            }
            children = match obj.get("children") {
                None => return Err(NotionError::body(&sub("children"), "defined", "undefined")),
                Some(kids) => parse_children(Some(kids), &sub("children"), budget.saturating_sub(1)),
            }?;
            json!({})
        }
        "synced_block" => {
            only_keys(obj, &["synced_from", "children"], path)?;
            let from = match obj.get("synced_from") {
                None => return Err(NotionError::body(&sub("synced_from"), "defined", "undefined")),
                Some(Value::Null) => Value::Null,
                Some(f) => {
                    let f = object(Some(f), &sub("synced_from"))?;
                    only_keys(f, &["type", "block_id"], &sub("synced_from"))?;
                    json!({"type": "block_id", "block_id": id_value(f.get("block_id"), &format!("{path}.synced_from.block_id"))?})
                }
            };
            children = children_of(obj, path, budget, false)?;
            json!({"synced_from": from})
        }
        other => {
            return Err(NotionError::body(
                &format!("{path}.type"),
                "a supported block type",
                &format!("\"{other}\""),
            ));
        }
    };
    if kind != "table"
        && let Some(i) = children.iter().position(|c| c.kind == "table_row")
    {
        return Err(NotionError::validation(format!(
            "body failed validation: {path}.children[{i}] should be a block that is not a `table_row`: table rows belong in a table."
        )));
    }
    if kind != "column_list"
        && let Some(i) = children.iter().position(|c| c.kind == "column")
    {
        return Err(NotionError::validation(format!(
            "body failed validation: {path}.children[{i}] should be a block that is not a `column`: columns belong in a column_list."
        )));
    }
    Ok(NewBlock { kind: kind.to_string(), content, children })
}

/// A table's children: `table_row`s of exactly `width` cells.
pub(crate) fn check_rows(rows: &[NewBlock], width: u64, path: &str) -> Result<(), NotionError> {
    for (i, row) in rows.iter().enumerate() {
        if row.kind != "table_row" {
            return Err(NotionError::body(
                &format!("{path}[{i}].type"),
                "`\"table_row\"`",
                &format!("\"{}\"", row.kind),
            ));
        }
        let cells = row.content["cells"].as_array().map_or(0, Vec::len) as u64;
        if cells != width {
            return Err(NotionError::validation(
                "Number of cells in table row must match the table width of the parent.",
            ));
        }
    }
    Ok(())
}

/// Children appended to an existing block (`kind`, with its `content`): rows into a table,
/// columns into a column list, other blocks elsewhere.
pub(crate) fn check_append_target(
    kind: Option<&str>,
    content: Option<&Value>,
    children: &[NewBlock],
) -> Result<(), NotionError> {
    match kind {
        Some("table") => {
            let width = content.and_then(|c| c["table_width"].as_u64()).unwrap_or(0);
            check_rows(children, width, "body.children")
        }
        Some("column_list") => match children.iter().position(|c| c.kind != "column") {
            Some(i) => Err(NotionError::body(
                &format!("body.children[{i}].type"),
                "`\"column\"`",
                &format!("\"{}\"", children[i].kind),
            )),
            None => Ok(()),
        },
        _ => {
            if let Some(i) = children.iter().position(|c| c.kind == "table_row") {
                return Err(NotionError::validation(format!(
                    "body failed validation: body.children[{i}] should be a block that is not a `table_row`: table rows belong in a table."
                )));
            }
            if let Some(i) = children.iter().position(|c| c.kind == "column") {
                return Err(NotionError::validation(format!(
                    "body failed validation: body.children[{i}] should be a block that is not a `column`: columns belong in a column_list."
                )));
            }
            Ok(())
        }
    }
}

/// A paragraph (or other text block) for seeding.
pub(crate) fn text_block(kind: &str, text: &str) -> NewBlock {
    let body = json!({"rich_text": [{"type": "text", "text": {"content": text}}]});
    let content = match body.as_object() {
        Some(obj) if TEXT_BLOCKS.contains(&kind) => {
            parse_type_object(kind, obj, "seed", 0).map(|b| b.content).unwrap_or(Value::Null)
        }
        _ => json!({}),
    };
    NewBlock { kind: kind.to_string(), content, children: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<Vec<NewBlock>, NotionError> {
        parse_request_children(Some(&v))
    }

    #[test]
    fn blocks_are_normalised_and_the_type_can_be_implied() {
        let kids = parse(json!([{"paragraph": {"rich_text": [{"text": {"content": "hi"}}]}}, {"type": "to_do", "to_do": {"rich_text": []}}]))
            .unwrap();
        assert_eq!(kids[0].kind, "paragraph");
        assert_eq!(kids[0].content["color"], "default");
        assert_eq!(kids[1].content["checked"], false);
    }

    #[test]
    fn two_levels_below_the_request_are_allowed_a_third_is_refused() {
        let leaf = json!({"paragraph": {"rich_text": []}});
        let three = json!([{"toggle": {"rich_text": [], "children": [{"toggle": {"rich_text": [], "children": [leaf]}}]}}]);
        let parsed = parse(three).unwrap();
        assert_eq!(parsed[0].children[0].children.len(), 1);
        let four = json!([{"toggle": {"rich_text": [], "children": [{"toggle": {"rich_text": [], "children": [
            {"toggle": {"rich_text": [], "children": [leaf]}}
        ]}}]}}]);
        let err = parse(four).unwrap_err();
        assert!(
            err.message.contains(
                "body.children[0].toggle.children[0].toggle.children[0].toggle.children should be not present"
            ),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_paragraph_with_2001_characters_names_its_path() {
        let long = "a".repeat(2001);
        let err = parse(json!([{"paragraph": {"rich_text": [{"text": {"content": long}}]}}])).unwrap_err();
        assert!(
            err.message
                .contains("body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`")
        );
    }
}
