//! Notion tools: search, pages (read as Markdown, create, update, append), data sources
//! (query, schema) and comments. Ids are accepted as ids or Notion URLs.

use super::context::{Call, ToolContext, ToolError, ToolOutput, text};
use crate::markdown::notion::{
    append_batches, blocks_to_markdown, markdown_to_blocks, markdown_to_rich_text, plain_text,
};
use crate::store::Provider;
use axum::http::Method;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

/// Most blocks read for one page.
const MAX_BLOCKS: usize = 500;

fn notion(path: impl Into<String>) -> Call<'static> {
    Call::get(Provider::Notion, format!("/v1{}", path.into()))
}

/// A Notion id from an id (with or without dashes) or a Notion URL; dashed UUID form.
pub fn notion_id(input: &str) -> Result<String, ToolError> {
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
fn title_of(object: &Value) -> String {
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

fn page_summary(page: &Value) -> Value {
    let properties: Map<String, Value> = page["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, p)| (name.clone(), simple_value(p)))
        .collect();
    json!({"id": page["id"], "title": title_of(page), "url": page["url"], "properties": properties, "in_trash": page["in_trash"]})
}

/// Arguments of `notion_search`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Words to look for in titles.
    #[serde(default)]
    pub query: String,
    /// `page` or `data_source` (databases); both when absent.
    pub filter: Option<String>,
    /// 1-100, default 20.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Notion workspace id; default workspace otherwise.
    pub workspace: Option<String>,
}

pub async fn search(ctx: ToolContext, args: SearchArgs) -> Result<ToolOutput, ToolError> {
    let mut body = json!({"query": args.query, "page_size": args.limit.unwrap_or(20).clamp(1, 100)});
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
        results.push(json!({"id": id, "object": object, "title": title, "url": url}));
    }
    if markdown.is_empty() {
        markdown.push_str("Nothing found.");
    }
    if let Some(c) = &answer.next_cursor {
        let _ = write!(markdown, "\n\nMore results: cursor `{c}`");
    }
    Ok(ToolOutput { structured: json!({"results": results, "next_cursor": answer.next_cursor}), markdown })
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

fn or_untitled(title: &str) -> &str {
    if title.is_empty() { "Untitled" } else { title }
}

/// Arguments of `notion_get_page`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageArgs {
    /// Page id or URL.
    pub page: String,
    /// Most blocks of content to read (default 200, at most 500).
    pub max_blocks: Option<u32>,
    pub workspace: Option<String>,
}

pub async fn get_page(ctx: ToolContext, args: PageArgs) -> Result<ToolOutput, ToolError> {
    let id = notion_id(&args.page)?;
    let workspace = args.workspace.as_deref();
    let page = ctx.json(notion(format!("/pages/{id}")).account(workspace)).await?;
    let budget = args.max_blocks.unwrap_or(200).clamp(1, MAX_BLOCKS as u32) as usize;
    let mut read = 0usize;
    let blocks = children(&ctx, &id, workspace, 0, budget, &mut read).await?;
    let content = blocks_to_markdown(&blocks);
    let mut out = page_summary(&page);
    out["content"] = json!(content);
    out["truncated"] = json!(read >= budget);
    let title = or_untitled(text(&out, "/title")).to_string();
    let mut markdown = format!("# {title}\n\n{content}");
    if read >= budget {
        markdown.push_str("\n\n_(content truncated)_");
    }
    Ok(ToolOutput { structured: out, markdown })
}

/// Reads a block's children (two levels deep), within a block budget.
async fn children(
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
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if page["has_more"] != true || cursor.is_none() {
            return Ok(out);
        }
    }
}

/// Arguments of `notion_create_page`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
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

pub async fn create_page(ctx: ToolContext, args: CreateArgs) -> Result<ToolOutput, ToolError> {
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
    let mut batches =
        append_batches(markdown_to_blocks(args.content.as_deref().unwrap_or_default())).into_iter();
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
    Ok(ToolOutput {
        markdown: format!("Created page [{}]({})", args.title, text(&page, "/url")),
        structured: json!({"id": id, "url": page["url"], "title": args.title}),
    })
}

/// Arguments of `notion_update_page`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// Page id or URL.
    pub page: String,
    pub title: Option<String>,
    /// Notion property values to set, as the API takes them.
    pub properties: Option<Map<String, Value>>,
    /// true: move to trash; false: restore.
    pub in_trash: Option<bool>,
    pub workspace: Option<String>,
}

pub async fn update_page(ctx: ToolContext, args: UpdateArgs) -> Result<ToolOutput, ToolError> {
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
    Ok(ToolOutput {
        markdown: format!("{verb}: [{}]({})", or_untitled(text(&summary, "/title")), text(&summary, "/url")),
        structured: summary,
    })
}

/// Arguments of `notion_append_content`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppendArgs {
    /// Page (or block) id or URL.
    pub page: String,
    /// Markdown to add at the end.
    pub content: String,
    pub workspace: Option<String>,
}

pub async fn append_content(ctx: ToolContext, args: AppendArgs) -> Result<ToolOutput, ToolError> {
    let id = notion_id(&args.page)?;
    let blocks = markdown_to_blocks(&args.content);
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
        added += answer["results"].as_array().map_or(0, Vec::len);
    }
    Ok(ToolOutput {
        markdown: format!("Appended {added} block(s)."),
        structured: json!({"page": id, "blocks_added": added}),
    })
}

/// Arguments of `notion_query_data_source`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryArgs {
    /// Data source or database: id or URL.
    pub data_source: String,
    /// A Notion filter object.
    pub filter: Option<Value>,
    /// Notion sorts, e.g. `[{"property": "Due", "direction": "ascending"}]`.
    pub sorts: Option<Vec<Value>>,
    /// 1-100, default 20.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub workspace: Option<String>,
}

/// Resolves a data source id, accepting a database id (its first data source) too.
async fn resolve_data_source(
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

pub async fn query_data_source(ctx: ToolContext, args: QueryArgs) -> Result<ToolOutput, ToolError> {
    let workspace = args.workspace.as_deref();
    let ds = resolve_data_source(&ctx, &notion_id(&args.data_source)?, workspace).await?;
    let mut body = json!({"page_size": args.limit.unwrap_or(20).clamp(1, 100)});
    if let Some(f) = &args.filter {
        body["filter"] = f.clone();
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
    let rows: Vec<Value> = answer["results"].as_array().into_iter().flatten().map(page_summary).collect();
    let next = answer["next_cursor"].as_str().map(str::to_string);
    let mut markdown = if rows.is_empty() {
        "No rows match.".to_string()
    } else {
        rows.iter()
            .map(|r| {
                let props: Vec<String> = r["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, v)| !v.is_null() && *v != "")
                    .filter(|(_, v)| v.as_str() != Some(text(r, "/title")))
                    .map(|(k, v)| {
                        format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    })
                    .collect();
                format!("- [{}]({}) — {}", or_untitled(text(r, "/title")), text(r, "/url"), props.join(" · "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if let Some(c) = &next {
        markdown.push_str(&format!("\n\nMore rows: cursor `{c}`"));
    }
    Ok(ToolOutput { structured: json!({"data_source": ds, "rows": rows, "next_cursor": next}), markdown })
}

/// Arguments of `notion_get_data_source`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSourceArgs {
    /// Data source or database: id or URL.
    pub data_source: String,
    pub workspace: Option<String>,
}

pub async fn get_data_source(ctx: ToolContext, args: DataSourceArgs) -> Result<ToolOutput, ToolError> {
    let workspace = args.workspace.as_deref();
    let ds_id = resolve_data_source(&ctx, &notion_id(&args.data_source)?, workspace).await?;
    let ds = ctx.json(notion(format!("/data_sources/{ds_id}")).account(workspace)).await?;
    let properties: Map<String, Value> = ds["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, p)| {
            let kind = p["type"].as_str().unwrap_or_default();
            let options: Vec<Value> =
                p[kind]["options"].as_array().into_iter().flatten().map(|o| o["name"].clone()).collect();
            let mut v = json!({"type": kind});
            if !options.is_empty() {
                v["options"] = json!(options);
            }
            (name.clone(), v)
        })
        .collect();
    let markdown = format!(
        "# {}\n\n{}",
        or_untitled(&title_of(&ds)),
        properties
            .iter()
            .map(|(n, p)| {
                let options = p["options"]
                    .as_array()
                    .map(|o| {
                        format!(" ({})", o.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                    })
                    .unwrap_or_default();
                format!("- **{n}**: {}{options}", text(p, "/type"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(ToolOutput {
        structured: json!({"id": ds["id"], "title": title_of(&ds), "properties": properties}),
        markdown,
    })
}

/// Arguments of `notion_add_comment`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentArgs {
    /// Page id or URL.
    pub page: String,
    /// The comment (inline Markdown).
    pub text: String,
    pub workspace: Option<String>,
}

pub async fn add_comment(ctx: ToolContext, args: CommentArgs) -> Result<ToolOutput, ToolError> {
    let id = notion_id(&args.page)?;
    if args.text.trim().is_empty() {
        return Err(ToolError::invalid("text must not be empty"));
    }
    let body = json!({"parent": {"page_id": id}, "rich_text": markdown_to_rich_text(&args.text)});
    let created = ctx
        .json(notion("/comments").with_method(Method::POST, body).account(args.workspace.as_deref()))
        .await?;
    Ok(ToolOutput {
        markdown: "Comment added.".into(),
        structured: json!({"id": created["id"], "page": id, "discussion_id": created["discussion_id"]}),
    })
}

/// Arguments of `notion_get_comments`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentsArgs {
    /// Page (or block) id or URL.
    pub page: String,
    /// 1-100, default 50.
    pub limit: Option<u32>,
    pub workspace: Option<String>,
}

pub async fn get_comments(ctx: ToolContext, args: CommentsArgs) -> Result<ToolOutput, ToolError> {
    let id = notion_id(&args.page)?;
    let call =
        notion("/comments").query("block_id", &id).query("page_size", args.limit.unwrap_or(50).clamp(1, 100));
    let answer = ctx.json(call.account(args.workspace.as_deref())).await?;
    let comments: Vec<Value> = answer["results"].as_array().into_iter().flatten().map(|c| json!({
        "id": c["id"],
        "created": c["created_time"],
        "author": c.pointer("/created_by/id"),
        "text": crate::markdown::notion::rich_text_to_markdown(c["rich_text"].as_array().map(Vec::as_slice).unwrap_or_default()),
    })).collect();
    let markdown = if comments.is_empty() {
        "No comments.".into()
    } else {
        comments
            .iter()
            .map(|c| format!("- ({}) {}", text(c, "/created"), text(c, "/text")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Ok(ToolOutput { structured: json!({"page": id, "comments": comments}), markdown })
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
