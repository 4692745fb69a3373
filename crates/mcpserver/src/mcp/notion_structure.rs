//! Notion page content as Markdown and workspace structure: replace or edit a page's content,
//! create a database with a schema, change a data source's schema, move a page.
//!
//! `Notion-Version` is a property of each call (`Call::version`), the configured
//! `NOTION_VERSION` by default:
//! - the page Markdown endpoints (`GET`/`PATCH /v1/pages/{id}/markdown`) exist from
//!   2026-03-11; with an older configured version `notion_get_page` and
//!   `notion_update_content` take the block road (blocks converted by `crate::markdown`);
//! - the structure tools need data sources (2025-09-03): they send the configured version, or
//!   2025-09-03 when the configured one is older.

use super::context::{Reply, ToolContext, ToolError, configured_notion_version};
use super::notion::{children, notion, notion_id, or_untitled, resolve_data_source, title_of};
use super::registry::{Group, OVERWRITE, ToolDef, Toolset, WRITE};
use crate::markdown::notion::{append_batches, markdown_to_rich_text};
use axum::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The first version with the page Markdown endpoints.
pub(crate) const MARKDOWN_VERSION: &str = "2026-03-11";
/// The first version with data sources (`initial_data_source`, `/v1/data_sources`).
pub(crate) const DATA_SOURCE_VERSION: &str = "2025-09-03";

/// Databases, their schemas and where pages live, as a selectable set (the content tool is
/// one of the page tools).
pub(crate) const STRUCTURE: Toolset = Toolset {
    name: "notion_structure",
    group: Group::Notion,
    about: "create databases, change their columns, move pages",
};

/// The structure and Markdown content tools.
pub(crate) fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(STRUCTURE, name, title);
    vec![
        ToolDef::build(super::notion::PAGES, "notion_update_content", "Rewrite a Notion page's content")
            .about("Replace a Notion page's whole content with Markdown, or apply find-and-replace edits to its Markdown.")
            .hints(OVERWRITE)
            .run(update_content),
        tool("notion_create_database", "Create a Notion database")
            .about("Create a Notion database under a page, with a schema such as {\"Name\":\"title\",\"Status\":{\"select\":[\"Todo\",\"Done\"]},\"Due\":\"date\"}.")
            .hints(WRITE)
            .run(create_database),
        tool("notion_update_data_source", "Change a Notion database's columns")
            .about("Add, rename or remove properties (columns) of a Notion database (data source), or rename it.")
            .hints(OVERWRITE)
            .run(update_data_source),
        tool("notion_move_page", "Move a Notion page")
            .about("Move a Notion page under another page or into a database (data source).")
            .hints(OVERWRITE)
            .run(move_page),
    ]
}

/// The configured version, or `min` when that is older (dates compare as text).
fn at_least(ctx: &ToolContext, min: &str) -> String {
    let configured = configured_notion_version(&ctx.state);
    if configured < min { min.to_string() } else { configured.to_string() }
}

/// Does the configured version have the page Markdown endpoints?
pub(crate) fn markdown_road(ctx: &ToolContext) -> bool {
    configured_notion_version(&ctx.state) >= MARKDOWN_VERSION
}

/// `GET /v1/pages/{id}/markdown`: the content and whether Notion truncated it.
pub(crate) async fn page_markdown(
    ctx: &ToolContext,
    id: &str,
    workspace: Option<&str>,
) -> Result<(String, bool), ToolError> {
    let answer = ctx.json(notion(format!("/pages/{id}/markdown")).account(workspace)).await?;
    let Some(markdown) = answer["markdown"].as_str() else {
        return Err(ToolError::unexpected(crate::domain::Provider::Notion));
    };
    Ok((markdown.to_string(), answer["truncated"].as_bool().unwrap_or(false)))
}

/// One find-and-replace edit.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Edit {
    /// Exact Markdown to find (once, unless `all`).
    pub old: String,
    pub new: String,
    /// Replace every occurrence.
    pub all: Option<bool>,
}

/// Arguments of `notion_update_content`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateContentArgs {
    /// Page id or URL.
    pub page: String,
    /// The new whole content (Markdown).
    pub content: Option<String>,
    /// Or edits to the current content (≤100).
    pub edits: Option<Vec<Edit>>,
    /// Allow removing child pages/databases the new content leaves out.
    pub delete_child_pages: Option<bool>,
    pub workspace: Option<String>,
}

/// Result of `notion_update_content`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ContentUpdated {
    pub page: String,
    /// `markdown` (Notion's page Markdown endpoint) or `blocks` (blocks replaced).
    pub via: String,
    /// The Notion-Version the update was sent with.
    pub notion_version: String,
}

fn check_edits(edits: &[Edit]) -> Result<(), ToolError> {
    if edits.is_empty() || edits.len() > 100 {
        return Err(ToolError::invalid(format!("edits must hold 1 to 100 edits, not {}", edits.len())));
    }
    if let Some(i) = edits.iter().position(|e| e.old.is_empty()) {
        return Err(ToolError::invalid(format!("edits[{i}].old must not be empty")));
    }
    Ok(())
}

/// `old` replaced in `text` (once, or everywhere with `all`), as Notion's `update_content` does.
fn apply_edit(text: &str, e: &Edit, i: usize) -> Result<String, ToolError> {
    match text.matches(e.old.as_str()).count() {
        0 => Err(ToolError::invalid(format!("edits[{i}].old is not in the page's content"))),
        1 => Ok(text.replacen(e.old.as_str(), &e.new, 1)),
        _ if e.all == Some(true) => Ok(text.replace(e.old.as_str(), &e.new)),
        n => Err(ToolError::invalid(format!("edits[{i}].old occurs {n} times; make it unique or set all"))),
    }
}

pub(crate) async fn update_content(
    ctx: ToolContext,
    args: UpdateContentArgs,
) -> Result<Reply<ContentUpdated>, ToolError> {
    let id = notion_id(&args.page)?;
    let workspace = args.workspace.as_deref();
    match (&args.content, &args.edits) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ToolError::invalid("give content or edits, not both"));
        }
        (None, Some(edits)) => check_edits(edits)?,
        (Some(_), None) => {}
    }
    let allow = args.delete_child_pages.unwrap_or(false);
    let version = configured_notion_version(&ctx.state).to_string();
    if markdown_road(&ctx) {
        let body = match (&args.content, &args.edits) {
            (Some(c), _) => json!({"type": "replace_content", "replace_content": {
                "new_str": c, "allow_deleting_content": allow}}),
            (_, edits) => {
                let updates: Vec<Value> = edits
                    .iter()
                    .flatten()
                    .map(|e| json!({"old_str": e.old, "new_str": e.new, "replace_all_matches": e.all == Some(true)}))
                    .collect();
                json!({"type": "update_content", "update_content": {
                    "content_updates": updates, "allow_deleting_content": allow}})
            }
        };
        let call =
            notion(format!("/pages/{id}/markdown")).with_method(Method::PATCH, body).account(workspace);
        ctx.json(call.version(&version)).await?;
        let out = ContentUpdated { page: id, via: "markdown".into(), notion_version: version };
        return Ok(Reply::new(out, "Page content updated."));
    }
    // The block road: the page's blocks (child pages and databases stay), as Markdown.
    let mut read = 0;
    let blocks = children(&ctx, &id, workspace, 0, super::notion::MAX_BLOCKS, &mut read).await?;
    let old: Vec<Value> = blocks
        .into_iter()
        .filter(|b| !matches!(b["type"].as_str(), Some("child_page" | "child_database")))
        .collect();
    let new_markdown = match (&args.content, &args.edits) {
        (Some(c), _) => c.clone(),
        (_, edits) => {
            let mut text = crate::markdown::offload::blocks_to_markdown(old.clone()).await;
            for (i, e) in edits.iter().flatten().enumerate() {
                text = apply_edit(&text, e, i)?;
            }
            text
        }
    };
    let new_blocks = crate::markdown::offload::markdown_to_blocks(new_markdown).await;
    for b in &old {
        if let Some(bid) = b["id"].as_str() {
            ctx.json(notion(format!("/blocks/{bid}")).delete().account(workspace)).await?;
        }
    }
    for batch in append_batches(new_blocks) {
        let call =
            notion(format!("/blocks/{id}/children")).with_method(Method::PATCH, json!({"children": batch}));
        ctx.json(call.account(workspace)).await?;
    }
    let out = ContentUpdated { page: id, via: "blocks".into(), notion_version: version };
    Ok(Reply::new(out, "Page content updated (blocks replaced)."))
}

/// The property types a schema may name (`text` is `rich_text`, `phone` is `phone_number`).
const TYPES: &[&str] = &[
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

const NUMBER_FORMATS: &[&str] =
    &["number", "number_with_commas", "percent", "dollar", "euro", "pound", "yen", "rupee", "won", "yuan"];

fn type_name(raw: &str) -> Option<&'static str> {
    let raw = match raw {
        "text" => "rich_text",
        "phone" => "phone_number",
        "multiselect" => "multi_select",
        other => other,
    };
    TYPES.iter().find(|t| **t == raw).copied()
}

fn check_name(name: &str, what: &str) -> Result<(), ToolError> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(ToolError::invalid(format!("{what} `{name}`: a name is 1 to 100 characters")));
    }
    Ok(())
}

fn options(name: &str, list: &Value) -> Result<Value, ToolError> {
    let Some(items) = list.as_array() else {
        return Err(ToolError::invalid(format!("property `{name}`: options are a list of names")));
    };
    if items.len() > 100 {
        return Err(ToolError::invalid(format!("property `{name}`: at most 100 options")));
    }
    let mut seen: Vec<&str> = Vec::new();
    for o in items {
        let Some(o) = o.as_str().map(str::trim).filter(|o| !o.is_empty()) else {
            return Err(ToolError::invalid(format!("property `{name}`: every option is a non-empty name")));
        };
        if o.contains(',') {
            return Err(ToolError::invalid(format!("property `{name}`: option `{o}` has a comma")));
        }
        if seen.contains(&o) {
            return Err(ToolError::invalid(format!("property `{name}`: option `{o}` is listed twice")));
        }
        seen.push(o);
    }
    Ok(json!({"options": seen.iter().map(|o| json!({"name": o})).collect::<Vec<_>>()}))
}

/// One property of a simple schema (`"date"`, `{"select": ["A","B"]}`, `{"number": "dollar"}`)
/// as Notion's property configuration object, e.g. `{"select": {"options": [{"name": "A"}]}}`.
pub(crate) fn property_config(name: &str, spec: &Value) -> Result<(String, Value), ToolError> {
    check_name(name, "property")?;
    let unknown = |t: &str| {
        ToolError::invalid(format!(
            "property `{name}`: unknown type `{t}`; types: text, {}",
            TYPES.join(", ")
        ))
    };
    let (kind, arg) = match spec {
        Value::String(t) => (type_name(t).ok_or_else(|| unknown(t))?, Value::Null),
        Value::Object(o) if o.len() == 1 => {
            let (t, arg) = o.iter().next().map(|(t, a)| (t.as_str(), a.clone())).unwrap_or_default();
            (type_name(t).ok_or_else(|| unknown(t))?, arg)
        }
        _ => {
            return Err(ToolError::invalid(format!(
                "property `{name}`: give a type name (\"date\") or one type with its options ({{\"select\": [\"A\", \"B\"]}})"
            )));
        }
    };
    let config = match (kind, &arg) {
        ("select" | "multi_select" | "status", Value::Null) => json!({}),
        ("select" | "multi_select" | "status", list) => options(name, list)?,
        ("number", Value::Null) => json!({"format": "number"}),
        ("number", Value::String(f)) if NUMBER_FORMATS.contains(&f.as_str()) => json!({"format": f}),
        ("number", other) => {
            return Err(ToolError::invalid(format!(
                "property `{name}`: number format `{}` unknown; formats: {}",
                other.as_str().unwrap_or_default(),
                NUMBER_FORMATS.join(", ")
            )));
        }
        (_, Value::Null) => json!({}),
        (k, _) => {
            return Err(ToolError::invalid(format!("property `{name}`: a `{k}` property takes no options")));
        }
    };
    Ok((kind.to_string(), json!({ kind: config })))
}

/// Property types by name.
type Kinds = BTreeMap<String, String>;

/// A whole simple schema as `initial_data_source.properties`: one title (`Name` added when
/// none is given), no name twice (case-insensitive).
fn schema(spec: &Map<String, Value>) -> Result<(Map<String, Value>, Kinds), ToolError> {
    let mut out = Map::new();
    let mut kinds = BTreeMap::new();
    let mut lower: Vec<String> = Vec::new();
    for (name, s) in spec {
        let (kind, config) = property_config(name, s)?;
        let l = name.trim().to_lowercase();
        if lower.contains(&l) {
            return Err(ToolError::invalid(format!("property `{name}` is named twice")));
        }
        lower.push(l);
        out.insert(name.clone(), config);
        kinds.insert(name.clone(), kind);
    }
    match kinds.values().filter(|k| *k == "title").count() {
        0 if lower.contains(&"name".to_string()) => {
            return Err(ToolError::invalid("one property must be the `title`"));
        }
        0 => {
            out.insert("Name".into(), json!({"title": {}}));
            kinds.insert("Name".into(), "title".into());
        }
        1 => {}
        _ => return Err(ToolError::invalid("only one property can be the `title`")),
    }
    if out.len() > 100 {
        return Err(ToolError::invalid("at most 100 properties"));
    }
    Ok((out, kinds))
}

/// Arguments of `notion_create_database`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateDatabaseArgs {
    /// Parent page id or URL.
    pub parent: String,
    pub title: String,
    /// Columns by name: a type (`title`, `text`, `number`, `select`, `multi_select`, `status`,
    /// `date`, `people`, `checkbox`, `url`, `email`, `phone`, `files`, …) or
    /// `{"select": ["A","B"]}` / `{"number": "dollar"}`. `Name` is the title unless one is given.
    #[schemars(with = "BTreeMap<String, Value>")]
    pub properties: Option<Map<String, Value>>,
    /// Shown inside the parent page (default false: a full-page database).
    pub inline: Option<bool>,
    pub workspace: Option<String>,
}

/// Result of `notion_create_database`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct DatabaseCreated {
    pub id: String,
    /// The database's data source (for rows, queries and schema changes).
    pub data_source: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Property types by name.
    pub properties: BTreeMap<String, String>,
}

pub(crate) async fn create_database(
    ctx: ToolContext,
    args: CreateDatabaseArgs,
) -> Result<Reply<DatabaseCreated>, ToolError> {
    let parent = notion_id(&args.parent)?;
    if args.title.trim().is_empty() {
        return Err(ToolError::invalid("title must not be empty"));
    }
    let (properties, kinds) = schema(&args.properties.clone().unwrap_or_default())?;
    let body = json!({
        "parent": {"type": "page_id", "page_id": parent},
        "title": markdown_to_rich_text(&args.title),
        "is_inline": args.inline.unwrap_or(false),
        "initial_data_source": {"properties": properties},
    });
    let call = notion("/databases").with_method(Method::POST, body).account(args.workspace.as_deref());
    let db = ctx.json(call.version(at_least(&ctx, DATA_SOURCE_VERSION))).await?;
    let out = DatabaseCreated {
        id: db["id"].as_str().unwrap_or_default().to_string(),
        data_source: db.pointer("/data_sources/0/id").and_then(Value::as_str).unwrap_or_default().to_string(),
        title: title_of(&db),
        url: db["url"].as_str().map(str::to_string),
        properties: kinds,
    };
    let columns: Vec<String> = out.properties.iter().map(|(n, k)| format!("{n} ({k})")).collect();
    let markdown = format!(
        "Created database [{}]({}) with {}; data source `{}`.",
        or_untitled(&out.title),
        out.url.as_deref().unwrap_or_default(),
        columns.join(", "),
        out.data_source
    );
    Ok(Reply::new(out, markdown))
}

/// Arguments of `notion_update_data_source`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateDataSourceArgs {
    /// Data source or database: id or URL.
    pub data_source: String,
    /// New columns, as in notion_create_database.
    #[schemars(with = "Option<BTreeMap<String, Value>>")]
    pub add: Option<Map<String, Value>>,
    /// Old name → new name.
    pub rename: Option<BTreeMap<String, String>>,
    /// Names of columns to delete.
    pub remove: Option<Vec<String>>,
    /// New database title.
    pub title: Option<String>,
    pub workspace: Option<String>,
}

/// Result of `notion_update_data_source`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct DataSourceUpdated {
    pub id: String,
    pub title: String,
    /// Property types by name, after the change.
    pub properties: BTreeMap<String, String>,
}

pub(crate) async fn update_data_source(
    ctx: ToolContext,
    args: UpdateDataSourceArgs,
) -> Result<Reply<DataSourceUpdated>, ToolError> {
    let workspace = args.workspace.as_deref();
    let id = notion_id(&args.data_source)?;
    let add = args.add.clone().unwrap_or_default();
    let rename = args.rename.clone().unwrap_or_default();
    let remove = args.remove.clone().unwrap_or_default();
    if add.is_empty() && rename.is_empty() && remove.is_empty() && args.title.is_none() {
        return Err(ToolError::invalid("nothing to change: give add, rename, remove or title"));
    }
    // Everything that can be checked without the schema, before any request.
    let mut properties = Map::new();
    for (name, spec) in &add {
        let (kind, config) = property_config(name, spec)?;
        if kind == "title" {
            return Err(ToolError::invalid(format!(
                "property `{name}`: a database has one title already (rename it instead)"
            )));
        }
        properties.insert(name.clone(), config);
    }
    for (old, new) in &rename {
        check_name(new, "new name")?;
        if remove.contains(old) || add.contains_key(old) {
            return Err(ToolError::invalid(format!("`{old}` is renamed and also added or removed")));
        }
    }
    if let Some(t) = &args.title
        && t.trim().is_empty()
    {
        return Err(ToolError::invalid("title must not be empty"));
    }
    let version = at_least(&ctx, DATA_SOURCE_VERSION);
    let ds_id = resolve_data_source(&ctx, &id, workspace).await?;
    let current =
        ctx.json(notion(format!("/data_sources/{ds_id}")).account(workspace).version(&version)).await?;
    let existing: BTreeMap<String, String> = current["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(n, p)| (n.clone(), p["type"].as_str().unwrap_or_default().to_string()))
        .collect();
    for name in &remove {
        match existing.get(name) {
            None => return Err(ToolError::invalid(format!("no column `{name}` to remove"))),
            Some(k) if k == "title" => {
                return Err(ToolError::invalid(format!(
                    "`{name}` is the title column; it cannot be removed"
                )));
            }
            Some(_) => properties.insert(name.clone(), Value::Null),
        };
    }
    let mut after: Vec<String> = existing.keys().filter(|n| !remove.contains(n)).cloned().collect();
    for (old, new) in &rename {
        if !existing.contains_key(old) {
            return Err(ToolError::invalid(format!("no column `{old}` to rename")));
        }
        after.retain(|n| n != old);
        properties.insert(old.clone(), json!({"name": new}));
    }
    for name in add.keys().map(String::as_str).chain(rename.values().map(String::as_str)) {
        if after.iter().any(|n| n.eq_ignore_ascii_case(name.trim())) {
            return Err(ToolError::invalid(format!("a column named `{name}` exists already")));
        }
        after.push(name.to_string());
    }
    let mut body = json!({});
    if !properties.is_empty() {
        body["properties"] = Value::Object(properties);
    }
    if let Some(t) = &args.title {
        body["title"] = json!(markdown_to_rich_text(t));
    }
    let call = notion(format!("/data_sources/{ds_id}")).with_method(Method::PATCH, body).account(workspace);
    let ds = ctx.json(call.version(&version)).await?;
    let kinds: BTreeMap<String, String> = ds["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(n, p)| (n.clone(), p["type"].as_str().unwrap_or_default().to_string()))
        .collect();
    let out = DataSourceUpdated {
        id: ds["id"].as_str().unwrap_or(&ds_id).to_string(),
        title: title_of(&ds),
        properties: kinds,
    };
    let columns: Vec<String> = out.properties.iter().map(|(n, k)| format!("{n} ({k})")).collect();
    let markdown = format!("Updated **{}**: {}", or_untitled(&out.title), columns.join(", "));
    Ok(Reply::new(out, markdown))
}

/// Arguments of `notion_move_page`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MovePageArgs {
    /// Page id or URL.
    pub page: String,
    /// The new parent: page, data source or database id or URL.
    pub to: String,
    /// `page` (default), `data_source` or `database`.
    pub to_type: Option<String>,
    pub workspace: Option<String>,
}

/// Result of `notion_move_page`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PageMoved {
    pub id: String,
    pub title: String,
    /// `page_id` or `data_source_id`.
    pub parent_type: String,
    pub parent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

pub(crate) async fn move_page(ctx: ToolContext, args: MovePageArgs) -> Result<Reply<PageMoved>, ToolError> {
    let workspace = args.workspace.as_deref();
    let page = notion_id(&args.page)?;
    let to = notion_id(&args.to)?;
    if page == to {
        return Err(ToolError::invalid("a page cannot be moved under itself"));
    }
    let version = at_least(&ctx, DATA_SOURCE_VERSION);
    let parent = match args.to_type.as_deref().unwrap_or("page") {
        "page" => json!({"type": "page_id", "page_id": to}),
        "data_source" | "database" => {
            let ds = resolve_data_source(&ctx, &to, workspace).await?;
            json!({"type": "data_source_id", "data_source_id": ds})
        }
        other => {
            return Err(ToolError::invalid(format!(
                "to_type must be page, data_source or database, not `{other}`"
            )));
        }
    };
    let call = notion(format!("/pages/{page}/move"))
        .with_method(Method::POST, json!({"parent": parent}))
        .account(workspace);
    let moved = ctx.json(call.version(version)).await?;
    let parent_type = moved.pointer("/parent/type").and_then(Value::as_str).unwrap_or_default().to_string();
    let out = PageMoved {
        id: moved["id"].as_str().unwrap_or(&page).to_string(),
        title: title_of(&moved),
        parent: moved["parent"][parent_type.as_str()].as_str().unwrap_or_default().to_string(),
        parent_type,
        url: moved["url"].as_str().map(str::to_string),
    };
    let markdown = format!(
        "Moved [{}]({}) to `{}`.",
        or_untitled(&out.title),
        out.url.as_deref().unwrap_or_default(),
        out.parent
    );
    Ok(Reply::new(out, markdown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simple_schema_maps_to_notion_property_objects() {
        let spec = json!({"Task": "title", "Status": {"select": ["Todo", "Done"]}, "Due": "date", "Cost": {"number": "dollar"}, "Notes": "text"});
        let (props, kinds) = schema(spec.as_object().unwrap()).unwrap();
        assert_eq!(props["Task"], json!({"title": {}}));
        assert_eq!(props["Status"], json!({"select": {"options": [{"name": "Todo"}, {"name": "Done"}]}}));
        assert_eq!(props["Cost"], json!({"number": {"format": "dollar"}}));
        assert_eq!(kinds["Notes"], "rich_text");
        let (props, _) = schema(json!({"Due": "date"}).as_object().unwrap()).unwrap();
        assert_eq!(props["Name"], json!({"title": {}}), "a title is added");
        for bad in [
            json!({"A": "title", "B": "title"}),
            json!({"A": "bogus"}),
            json!({"A": {"select": ["x", "x"]}}),
            json!({"A": {"date": ["x"]}}),
            json!({"A": {"number": "bitcoin"}}),
            json!({"name": "date"}),
        ] {
            assert!(schema(bad.as_object().unwrap()).is_err(), "{bad}");
        }
    }
}
