//! Notion tools: search, pages (read as Markdown, create, update, append), data sources
//! (query, schema) and comments. Ids are accepted as ids or Notion URLs.

use super::context::{Call, Reply, ToolContext, ToolError, bounded};
use super::registry::{Group, OVERWRITE, ToolDef, Toolset, WRITE};
use crate::domain::Provider;
use crate::markdown::notion::{append_batches, markdown_to_rich_text, plain_text};
use axum::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// This module's tools as a selectable set.
pub(crate) const PAGES: Toolset = Toolset {
    name: "notion_pages",
    group: Group::Notion,
    about: "search, read, create and update pages, append content, query databases, comments",
};

/// The Notion tools.
pub(crate) fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(PAGES, name, title);
    vec![
        tool("notion_search", "Search Notion")
            .about("Search Notion pages and databases shared with the integration by title.")
            .run(search),
        tool("notion_get_page", "Read a Notion page")
            .about("A Notion page's properties and content as Markdown (bounded).")
            .run(get_page),
        tool("notion_create_page", "Create a Notion page")
            .about("Create a Notion page under a page or a database (data source) with a title and Markdown content.")
            .hints(WRITE)
            .run(create_page),
        tool("notion_update_page", "Update a Notion page")
            .about("Change a Notion page's title or properties, or move it to trash / restore it.")
            .hints(OVERWRITE)
            .run(update_page),
        tool("notion_append_content", "Append to a Notion page")
            .about("Append Markdown content to the end of a Notion page.")
            .hints(WRITE)
            .run(append_content),
        tool("notion_query_data_source", "Query a Notion database")
            .about("Rows of a Notion database (data source) with optional filter and sorts.")
            .run(query_data_source),
        tool("notion_get_data_source", "Notion database schema")
            .about("The properties (columns) of a Notion database and their options.")
            .run(get_data_source),
        tool("notion_add_comment", "Comment on a Notion page")
            .about("Add a comment to a Notion page.")
            .hints(WRITE)
            .run(add_comment),
        tool("notion_get_comments", "Read Notion comments")
            .about("The comments on a Notion page or block.")
            .run(get_comments),
    ]
}

/// Most blocks read for one page.
pub(super) const MAX_BLOCKS: usize = 500;

pub(super) fn notion(path: impl Into<String>) -> Call<'static> {
    Call::get(Provider::Notion, format!("/v1{}", path.into()))
}

/// A Notion id from an id (with or without dashes) or a Notion URL; dashed UUID form.
pub(crate) fn notion_id(input: &str) -> Result<String, ToolError> {
    let trimmed = input.trim();
    let path = match url::Url::parse(trimmed) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url.path().to_string(),
        _ => trimmed.to_string(),
    };
    let hex: String = path
        .rsplit(['/', '-'])
        .next()
        .filter(|s| s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_string)
        .unwrap_or_else(|| path.chars().filter(|c| *c != '-').collect());
    let hex = if hex.len() > 32 { hex[hex.len() - 32..].to_string() } else { hex };
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ToolError::invalid(format!(
            "`{}` is not a Notion id or URL",
            trimmed.chars().take(80).collect::<String>()
        )));
    }
    let h = hex.to_ascii_lowercase();
    Ok(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
}

/// The title of a page or data source object.
pub(super) fn title_of(object: &Value) -> String {
    if let Some(title) = object["title"].as_array() {
        return plain_text(title);
    }
    object["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, p)| p["type"] == "title")
        .map(|(_, p)| plain_text(p["title"].as_array().map(Vec::as_slice).unwrap_or_default()))
        .unwrap_or_default()
}

/// A property value as plain JSON (text, names, numbers, dates).
fn simple_value(p: &Value) -> Value {
    let kind = p["type"].as_str().unwrap_or_default();
    let v = &p[kind];
    match kind {
        "title" | "rich_text" => json!(plain_text(v.as_array().map(Vec::as_slice).unwrap_or_default())),
        "select" | "status" => v["name"].clone(),
        "multi_select" => {
            json!(v.as_array().into_iter().flatten().map(|o| o["name"].clone()).collect::<Vec<_>>())
        }
        "date" => v["start"].clone(),
        "people" => json!(v.as_array().into_iter().flatten().map(|u| u["name"].clone()).collect::<Vec<_>>()),
        "number" | "checkbox" | "url" | "email" | "phone_number" | "created_time" | "last_edited_time" => {
            v.clone()
        }
        _ => Value::Null,
    }
}

/// A page (or a data source row) as the tools show it.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PageSummary {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Property values as plain JSON (text, names, numbers, dates), by property name; empty
    /// ones and kinds without a plain form are left out.
    pub properties: Map<String, Value>,
    pub in_trash: bool,
}

pub(super) fn page_summary(page: &Value) -> PageSummary {
    let properties: Map<String, Value> = page["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, p)| (name.clone(), simple_value(p)))
        .filter(|(_, v)| !v.is_null())
        .collect();
    PageSummary {
        id: page["id"].as_str().unwrap_or_default().to_string(),
        title: title_of(page),
        url: page["url"].as_str().map(str::to_string),
        properties,
        in_trash: page["in_trash"].as_bool().unwrap_or(false),
    }
}

/// Arguments of `notion_search`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchArgs {
    /// Words to look for in titles.
    #[serde(default)]
    pub query: String,
    /// `page` or `data_source` (databases); both when absent.
    pub filter: Option<String>,
    /// 1-100, default 20.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Notion workspace id; default workspace otherwise.
    pub workspace: Option<String>,
}

/// A page or database found.
#[derive(Serialize, JsonSchema)]
pub(crate) struct FoundOut {
    pub id: String,
    /// `page` or `data_source`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Result of `notion_search`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct SearchResult {
    pub results: Vec<FoundOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub(crate) async fn search(ctx: ToolContext, args: SearchArgs) -> Result<Reply<SearchResult>, ToolError> {
    let limit = bounded(args.limit, 20, (1, 100), "limit")?;
    let mut body = json!({"query": args.query, "page_size": limit});
    match args.filter.as_deref() {
        None => {}
        Some(kind @ ("page" | "data_source")) => {
            body["filter"] = json!({"property": "object", "value": kind})
        }
        Some(other) => {
            return Err(ToolError::invalid(format!("filter must be `page` or `data_source`, not `{other}`")));
        }
    }
    if let Some(c) = &args.cursor {
        body["start_cursor"] = json!(c);
    }
    let (answer, _) = ctx
        .send_as::<SearchAnswer>(
            notion("/search").with_method(Method::POST, body).account(args.workspace.as_deref()),
        )
        .await?;
    let mut markdown = String::new();
    let mut results = Vec::with_capacity(answer.results.len());
    for found in answer.results {
        let title = found.title();
        let (id, object, url) = (found.id.unwrap_or_default(), found.object, found.url);
        if !markdown.is_empty() {
            markdown.push('\n');
        }
        let _ = write!(
            markdown,
            "- [{}]({}) · {} `{id}`",
            or_untitled(&title),
            url.as_deref().unwrap_or(""),
            object.as_deref().unwrap_or("")
        );
        results.push(FoundOut { id, object, title, url });
    }
    if markdown.is_empty() {
        markdown.push_str("Nothing found.");
    }
    if let Some(c) = &answer.next_cursor {
        let _ = write!(markdown, "\n\nMore results: cursor `{c}`");
    }
    Ok(Reply::new(SearchResult { results, next_cursor: answer.next_cursor }, markdown))
}

/// A `POST /v1/search` answer, read straight into the parts `notion_search` shows.
#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    results: Vec<Found>,
    #[serde(default)]
    next_cursor: Option<String>,
}

/// A page or data source in a search answer.
#[derive(Deserialize)]
struct Found {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    url: Option<String>,
    /// Data sources (and databases) carry their title here (a short rich-text array).
    #[serde(default)]
    title: Option<Vec<Value>>,
    /// Pages carry it in the property of type `title`.
    #[serde(default, deserialize_with = "title_in_properties")]
    properties: Option<String>,
}

impl Found {
    /// The same title [`title_of`] reads from the whole object.
    fn title(&self) -> String {
        match (&self.title, &self.properties) {
            (Some(title), _) => plain_text(title),
            (None, Some(title)) => title.clone(),
            (None, None) => String::new(),
        }
    }
}

/// A property as far as finding the title goes: its type, and the rich text of a page's title
/// (a data source's `title` property is its schema, `{}`: hence `Value`).
#[derive(Deserialize)]
struct TitleOnly {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    title: Value,
}

/// Reads a page's `properties` object down to the plain text of its `title` property (the
/// other properties' values are skipped, not built).
fn title_in_properties<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Option<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of properties")
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some((_, property)) = map.next_entry::<serde::de::IgnoredAny, TitleOnly>()? {
                if found.is_none() && property.kind.as_deref() == Some("title") {
                    found =
                        Some(plain_text(property.title.as_array().map(Vec::as_slice).unwrap_or_default()));
                }
            }
            Ok(found)
        }
    }
    deserializer.deserialize_any(Visitor)
}

pub(super) fn or_untitled(title: &str) -> &str {
    if title.is_empty() { "Untitled" } else { title }
}

/// Arguments of `notion_get_page`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageArgs {
    /// Page id or URL.
    pub page: String,
    /// Most blocks of content to read (1-500, default 200).
    #[schemars(range(min = 1, max = 500))]
    pub max_blocks: Option<u32>,
    pub workspace: Option<String>,
}

/// Result of `notion_get_page`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PageContent {
    #[serde(flatten)]
    pub page: PageSummary,
    /// The page's blocks as Markdown.
    pub content: String,
    /// More blocks than `max_blocks`: the content stops there.
    pub truncated: bool,
}

pub(crate) async fn get_page(ctx: ToolContext, args: PageArgs) -> Result<Reply<PageContent>, ToolError> {
    let id = notion_id(&args.page)?;
    let workspace = args.workspace.as_deref();
    let budget = bounded(args.max_blocks, 200, (1, MAX_BLOCKS as u32), "max_blocks")? as usize;
    let page = ctx.json(notion(format!("/pages/{id}")).account(workspace)).await?;
    // 2026-03-11 and later: Notion renders the page (one call); before: the blocks, converted here.
    let (content, truncated) = if super::notion_structure::markdown_road(&ctx) {
        super::notion_structure::page_markdown(&ctx, &id, workspace).await?
    } else {
        let mut read = 0usize;
        let mut blocks = children(&ctx, &id, workspace, 0, budget, &mut read).await?;
        let connection = ctx.connection(Provider::Notion, workspace).await?;
        let workspace_id =
            connection.profile.workspace_id.as_deref().unwrap_or(&connection.profile.account_id);
        super::notion_files::name_hosted_files(&mut blocks, workspace_id);
        (crate::markdown::offload::blocks_to_markdown(blocks).await, read >= budget)
    };
    let page = page_summary(&page);
    let mut markdown = format!("# {}\n\n{content}", or_untitled(&page.title));
    if truncated {
        markdown.push_str("\n\n_(content truncated)_");
    }
    Ok(Reply::new(PageContent { page, content, truncated }, markdown))
}

/// Reads a block's children (two levels deep), within a block budget.
pub(super) async fn children(
    ctx: &ToolContext,
    id: &str,
    workspace: Option<&str>,
    depth: usize,
    budget: usize,
    read: &mut usize,
) -> Result<Vec<Value>, ToolError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = notion(format!("/blocks/{id}/children")).query("page_size", 100).account(workspace);
        if let Some(c) = &cursor {
            call = call.query("start_cursor", c);
        }
        let page = ctx.json(call).await?;
        for block in page["results"].as_array().into_iter().flatten() {
            if *read >= budget {
                return Ok(out);
            }
            *read += 1;
            let mut block = block.clone();
            if block["has_children"] == true && depth < 2 {
                let child_id = block["id"].as_str().unwrap_or_default().to_string();
                let nested = Box::pin(children(ctx, &child_id, workspace, depth + 1, budget, read)).await?;
                block["children"] = json!(nested);
            }
            out.push(block);
        }
        ctx.progress.report(*read, Some(budget), format!("read {} blocks", *read)).await;
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if page["has_more"] != true || cursor.is_none() {
            return Ok(out);
        }
    }
}

/// Arguments of `notion_create_page`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateArgs {
    /// Parent page, data source or database: id or URL.
    pub parent: String,
    /// `page` (default), `data_source` or `database`.
    pub parent_type: Option<String>,
    pub title: String,
    /// Page content in Markdown.
    pub content: Option<String>,
    /// Extra Notion property values (for data source rows), as the API takes them.
    pub properties: Option<Map<String, Value>>,
    pub workspace: Option<String>,
}

async fn data_source_for(
    ctx: &ToolContext,
    id: &str,
    kind: &str,
    workspace: Option<&str>,
) -> Result<Value, ToolError> {
    let ds_id = if kind == "database" {
        let db = ctx.json(notion(format!("/databases/{id}")).account(workspace)).await?;
        db.pointer("/data_sources/0/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ToolError::invalid("that database has no data source"))?
    } else {
        id.to_string()
    };
    ctx.json(notion(format!("/data_sources/{ds_id}")).account(workspace)).await
}

fn title_property(schema: &Value) -> String {
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, p)| p["type"] == "title")
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| "title".to_string())
}

/// Result of `notion_create_page`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct CreatedPage {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub title: String,
}

pub(crate) async fn create_page(ctx: ToolContext, args: CreateArgs) -> Result<Reply<CreatedPage>, ToolError> {
    let parent = notion_id(&args.parent)?;
    let workspace = args.workspace.as_deref();
    let title_rt = markdown_to_rich_text(&args.title);
    let (parent_json, title_key) = match args.parent_type.as_deref().unwrap_or("page") {
        "page" => (json!({"page_id": parent}), "title".to_string()),
        kind @ ("data_source" | "database") => {
            let schema = data_source_for(&ctx, &parent, kind, workspace).await?;
            (json!({"data_source_id": schema["id"]}), title_property(&schema))
        }
        other => {
            return Err(ToolError::invalid(format!(
                "parent_type must be page, data_source or database, not `{other}`"
            )));
        }
    };
    let mut properties = args.properties.clone().unwrap_or_default();
    properties.insert(title_key, json!({"title": title_rt}));
    let mut batches = append_batches(
        crate::markdown::offload::markdown_to_blocks(args.content.clone().unwrap_or_default()).await,
    )
    .into_iter();
    let first = batches.next().unwrap_or_default();
    let body = json!({"parent": parent_json, "properties": properties, "children": first});
    let page = ctx.json(notion("/pages").with_method(Method::POST, body).account(workspace)).await?;
    let id = page["id"].as_str().unwrap_or_default().to_string();
    for batch in batches {
        ctx.json(
            notion(format!("/blocks/{id}/children"))
                .with_method(Method::PATCH, json!({"children": batch}))
                .account(workspace),
        )
        .await?;
    }
    let url = page["url"].as_str().map(str::to_string);
    let markdown = format!("Created page [{}]({})", args.title, url.as_deref().unwrap_or_default());
    Ok(Reply::new(CreatedPage { id, url, title: args.title.clone() }, markdown))
}

/// Arguments of `notion_update_page`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateArgs {
    /// Page id or URL.
    pub page: String,
    pub title: Option<String>,
    /// Notion property values to set, as the API takes them.
    pub properties: Option<Map<String, Value>>,
    /// true: move to trash; false: restore.
    pub in_trash: Option<bool>,
    pub workspace: Option<String>,
}

pub(crate) async fn update_page(ctx: ToolContext, args: UpdateArgs) -> Result<Reply<PageSummary>, ToolError> {
    let id = notion_id(&args.page)?;
    let workspace = args.workspace.as_deref();
    let mut properties = args.properties.clone().unwrap_or_default();
    if let Some(title) = &args.title {
        let page = ctx.json(notion(format!("/pages/{id}")).account(workspace)).await?;
        properties.insert(title_property(&page), json!({"title": markdown_to_rich_text(title)}));
    }
    let mut body = json!({});
    if !properties.is_empty() {
        body["properties"] = json!(properties);
    }
    if let Some(t) = args.in_trash {
        body["in_trash"] = json!(t);
    }
    if body.as_object().is_some_and(Map::is_empty) {
        return Err(ToolError::invalid("nothing to update: give title, properties or in_trash"));
    }
    let page =
        ctx.json(notion(format!("/pages/{id}")).with_method(Method::PATCH, body).account(workspace)).await?;
    let summary = page_summary(&page);
    let verb = match args.in_trash {
        Some(true) => "Moved to trash",
        Some(false) => "Restored",
        None => "Updated",
    };
    let markdown =
        format!("{verb}: [{}]({})", or_untitled(&summary.title), summary.url.as_deref().unwrap_or_default());
    Ok(Reply::new(summary, markdown))
}

/// Arguments of `notion_append_content`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppendArgs {
    /// Page (or block) id or URL.
    pub page: String,
    /// Markdown to add at the end.
    pub content: String,
    pub workspace: Option<String>,
}

/// Result of `notion_append_content`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Appended {
    /// The page (or block) appended to.
    pub page: String,
    pub blocks_added: u32,
}

pub(crate) async fn append_content(ctx: ToolContext, args: AppendArgs) -> Result<Reply<Appended>, ToolError> {
    let id = notion_id(&args.page)?;
    let blocks = crate::markdown::offload::markdown_to_blocks(args.content.clone()).await;
    if blocks.is_empty() {
        return Err(ToolError::invalid("content must not be empty"));
    }
    let mut added = 0;
    for batch in append_batches(blocks) {
        let answer = ctx
            .json(
                notion(format!("/blocks/{id}/children"))
                    .with_method(Method::PATCH, json!({"children": batch}))
                    .account(args.workspace.as_deref()),
            )
            .await?;
        added += answer["results"].as_array().map_or(0, Vec::len) as u32;
    }
    Ok(Reply::new(Appended { page: id, blocks_added: added }, format!("Appended {added} block(s).")))
}

/// Arguments of `notion_query_data_source`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryArgs {
    /// Data source or database: id or URL.
    pub data_source: String,
    /// A Notion filter object, as the API takes it.
    pub filter: Option<Map<String, Value>>,
    /// Notion sorts, e.g. `[{"property": "Due", "direction": "ascending"}]`.
    pub sorts: Option<Vec<Map<String, Value>>>,
    /// 1-100, default 20.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub workspace: Option<String>,
}

/// Resolves a data source id, accepting a database id (its first data source) too.
pub(super) async fn resolve_data_source(
    ctx: &ToolContext,
    id: &str,
    workspace: Option<&str>,
) -> Result<String, ToolError> {
    match ctx.json(notion(format!("/data_sources/{id}")).account(workspace)).await {
        Ok(ds) => Ok(ds["id"].as_str().unwrap_or(id).to_string()),
        Err(ToolError(e)) if e.status == Some(404) => {
            let ds = data_source_for(ctx, id, "database", workspace).await?;
            Ok(ds["id"].as_str().unwrap_or_default().to_string())
        }
        Err(e) => Err(e),
    }
}

/// Result of `notion_query_data_source`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Rows {
    /// The data source queried.
    pub data_source: String,
    pub rows: Vec<PageSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub(crate) async fn query_data_source(ctx: ToolContext, args: QueryArgs) -> Result<Reply<Rows>, ToolError> {
    let workspace = args.workspace.as_deref();
    let limit = bounded(args.limit, 20, (1, 100), "limit")?;
    let ds = resolve_data_source(&ctx, &notion_id(&args.data_source)?, workspace).await?;
    let mut body = json!({"page_size": limit});
    if let Some(f) = &args.filter {
        body["filter"] = json!(f);
    }
    if let Some(s) = &args.sorts {
        body["sorts"] = json!(s);
    }
    if let Some(c) = &args.cursor {
        body["start_cursor"] = json!(c);
    }
    let answer = ctx
        .json(notion(format!("/data_sources/{ds}/query")).with_method(Method::POST, body).account(workspace))
        .await?;
    let rows: Vec<PageSummary> =
        answer["results"].as_array().into_iter().flatten().map(page_summary).collect();
    let next = answer["next_cursor"].as_str().map(str::to_string);
    let mut markdown = if rows.is_empty() {
        "No rows match.".to_string()
    } else {
        rows.iter()
            .map(|r| {
                let props: Vec<String> = r
                    .properties
                    .iter()
                    .filter(|(_, v)| *v != "")
                    .filter(|(_, v)| v.as_str() != Some(r.title.as_str()))
                    .map(|(k, v)| {
                        format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    })
                    .collect();
                let url = r.url.as_deref().unwrap_or_default();
                format!("- [{}]({url}) — {}", or_untitled(&r.title), props.join(" · "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if let Some(c) = &next {
        markdown.push_str(&format!("\n\nMore rows: cursor `{c}`"));
    }
    Ok(Reply::new(Rows { data_source: ds, rows, next_cursor: next }, markdown))
}

/// Arguments of `notion_get_data_source`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DataSourceArgs {
    /// Data source or database: id or URL.
    pub data_source: String,
    pub workspace: Option<String>,
}

/// A property (column) of a data source.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Column {
    /// The property type, e.g. `select`, `date`, `title`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The option names of a select, multi-select or status property.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// Result of `notion_get_data_source`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct DataSourceSchema {
    pub id: String,
    pub title: String,
    /// The properties by name, in Notion's order.
    #[schemars(with = "BTreeMap<String, Column>")]
    pub properties: Map<String, Value>,
}

pub(crate) async fn get_data_source(
    ctx: ToolContext,
    args: DataSourceArgs,
) -> Result<Reply<DataSourceSchema>, ToolError> {
    let workspace = args.workspace.as_deref();
    let ds_id = resolve_data_source(&ctx, &notion_id(&args.data_source)?, workspace).await?;
    let ds = ctx.json(notion(format!("/data_sources/{ds_id}")).account(workspace)).await?;
    let mut lines = Vec::new();
    let mut properties = Map::new();
    for (name, p) in ds["properties"].as_object().into_iter().flatten() {
        let kind = p["type"].as_str().unwrap_or_default().to_string();
        let options: Vec<String> = p[kind.as_str()]["options"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["name"].as_str().map(str::to_string))
            .collect();
        let listed = if options.is_empty() { String::new() } else { format!(" ({})", options.join(", ")) };
        lines.push(format!("- **{name}**: {kind}{listed}"));
        properties.insert(name.clone(), json!(Column { kind, options }));
    }
    let title = title_of(&ds);
    let markdown = format!("# {}\n\n{}", or_untitled(&title), lines.join("\n"));
    let id = ds["id"].as_str().unwrap_or(&ds_id).to_string();
    Ok(Reply::new(DataSourceSchema { id, title, properties }, markdown))
}

/// Arguments of `notion_add_comment`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentArgs {
    /// Page id or URL.
    pub page: String,
    /// The comment (inline Markdown).
    pub text: String,
    pub workspace: Option<String>,
}

/// Result of `notion_add_comment`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct CommentAdded {
    pub id: String,
    pub page: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discussion_id: Option<String>,
}

pub(crate) async fn add_comment(
    ctx: ToolContext,
    args: CommentArgs,
) -> Result<Reply<CommentAdded>, ToolError> {
    let id = notion_id(&args.page)?;
    if args.text.trim().is_empty() {
        return Err(ToolError::invalid("text must not be empty"));
    }
    let body = json!({"parent": {"page_id": id}, "rich_text": markdown_to_rich_text(&args.text)});
    let created = ctx
        .json(notion("/comments").with_method(Method::POST, body).account(args.workspace.as_deref()))
        .await?;
    let added = CommentAdded {
        id: created["id"].as_str().unwrap_or_default().to_string(),
        page: id,
        discussion_id: created["discussion_id"].as_str().map(str::to_string),
    };
    Ok(Reply::new(added, "Comment added."))
}

/// Arguments of `notion_get_comments`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentsArgs {
    /// Page (or block) id or URL.
    pub page: String,
    /// 1-100, default 50.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    pub workspace: Option<String>,
}

/// A comment on a page or block.
#[derive(Serialize, JsonSchema)]
pub(crate) struct CommentOut {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The author's user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Inline Markdown.
    pub text: String,
}

/// Result of `notion_get_comments`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct CommentsOut {
    pub page: String,
    pub comments: Vec<CommentOut>,
}

pub(crate) async fn get_comments(
    ctx: ToolContext,
    args: CommentsArgs,
) -> Result<Reply<CommentsOut>, ToolError> {
    let id = notion_id(&args.page)?;
    let limit = bounded(args.limit, 50, (1, 100), "limit")?;
    let call = notion("/comments").query("block_id", &id).query("page_size", limit);
    let answer = ctx.json(call.account(args.workspace.as_deref())).await?;
    let text_of = |c: &Value| {
        crate::markdown::notion::rich_text_to_markdown(
            c["rich_text"].as_array().map(Vec::as_slice).unwrap_or_default(),
        )
    };
    let comments: Vec<CommentOut> = answer["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| CommentOut {
            id: c["id"].as_str().unwrap_or_default().to_string(),
            created: c["created_time"].as_str().map(str::to_string),
            author: c.pointer("/created_by/id").and_then(Value::as_str).map(str::to_string),
            text: text_of(c),
        })
        .collect();
    let markdown = if comments.is_empty() {
        "No comments.".into()
    } else {
        comments
            .iter()
            .map(|c| format!("- ({}) {}", c.created.as_deref().unwrap_or_default(), c.text))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Ok(Reply::new(CommentsOut { page: id, comments }, markdown))
}

#[cfg(test)]
mod tests {
    use super::{Found, notion_id, title_of};
    use serde_json::json;

    #[test]
    fn a_search_result_read_typed_has_the_title_read_from_the_whole_object() {
        let objects = [
            json!({"object": "page", "id": "p1", "properties": {
                "Status": {"id": "a", "type": "status", "status": {"name": "Done"}},
                "Name": {"id": "title", "type": "title", "title": [
                    {"type": "text", "plain_text": "Road", "text": {"content": "Road"}},
                    {"type": "text", "text": {"content": "map"}},
                    {"type": "equation", "equation": {"expression": " x²"}}]},
                "Tags": {"id": "b", "type": "multi_select", "multi_select": [{"name": "q3"}]}}}),
            json!({"object": "data_source", "id": "d1", "title": [{"plain_text": "Tasks"}],
                   "properties": {"Name": {"id": "title", "name": "Name", "type": "title", "title": {}}}}),
            json!({"object": "page", "id": "p2", "properties": {"Name": {"type": "title", "title": []}}}),
            json!({"object": "page", "id": "p3", "properties": {}}),
            json!({"object": "page", "id": "p4"}),
        ];
        let want = ["Roadmap x²", "Tasks", "", "", ""];
        for (object, want) in objects.iter().zip(want) {
            let found: Found = serde_json::from_value(object.clone()).unwrap();
            assert_eq!(found.title(), title_of(object), "{object}");
            assert_eq!(found.title(), want);
        }
    }

    #[test]
    fn ids_and_urls_give_the_dashed_uuid() {
        let want = "59833787-2cf9-4fdf-8782-e53db20768a5";
        for input in [
            "59833787-2cf9-4fdf-8782-e53db20768a5",
            "598337872cf94fdf8782e53db20768a5",
            "https://www.notion.so/acme/Roadmap-598337872cf94fdf8782e53db20768a5",
            "https://www.notion.so/598337872cf94fdf8782e53db20768a5?v=1234",
            "https://notion.so/acme/598337872cf94fdf8782e53db20768a5",
        ] {
            assert_eq!(notion_id(input).unwrap(), want, "{input}");
        }
        assert!(notion_id("not-an-id").is_err());
        assert!(notion_id("../../v1/oauth/token").is_err());
    }
}
