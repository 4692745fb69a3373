//! Structure and Markdown: create a database (with its initial data source), update a data
//! source's schema, move a page, and a page's content as Markdown (2026-03-11:
//! `GET`/`PATCH /v1/pages/{page_id}/markdown`).

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension,
    body::Bytes,
    extract::{Path, Query, State},
};
use serde_json::{Map, Value, json};

use super::{archived, new_id, on_data};
use crate::{
    ids,
    notion::{
        NotionCtx,
        errors::{self, NotionError, NotionResult},
        json_body,
        markdown::{self, Item},
        model::{Child, DataSource, Database, NotionData, Parent, Position, Stamp},
        path_id, properties, render, richtext, schema,
        version::Version,
    },
    state::Sim,
};

fn only_keys(body: &Value, allowed: &[&str]) -> Result<(), NotionError> {
    if let Some((k, v)) =
        body.as_object().and_then(|o| o.iter().find(|(k, _)| !allowed.contains(&k.as_str())))
    {
        return Err(NotionError::body(&format!("body.{k}"), "not present", &richtext::shown(Some(v))));
    }
    Ok(())
}

fn rich_or_empty(body: &Value, key: &str) -> Result<Vec<Value>, NotionError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        v => richtext::normalize(v, &format!("body.{key}")),
    }
}

/// `POST /v1/databases`: a database under a page, with its first data source (2025-09-03+:
/// `initial_data_source.properties`; before: `properties`).
pub(crate) async fn create_database(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    body: Bytes,
) -> NotionResult {
    let body = json_body(&body)?;
    let schema_key = if ctx.version.has_data_sources() { "initial_data_source" } else { "properties" };
    only_keys(&body, &["parent", "title", "description", "is_inline", schema_key, "icon", "cover"])?;
    let Some(parent_v) = body.get("parent").filter(|p| p.is_object()) else {
        return Err(NotionError::body("body.parent", "defined", &richtext::shown(body.get("parent"))));
    };
    let title = rich_or_empty(&body, "title")?;
    let description = rich_or_empty(&body, "description")?;
    let props = if ctx.version.has_data_sources() {
        let initial = body.get("initial_data_source");
        if let Some(i) = initial.filter(|i| !i.is_object() && !i.is_null()) {
            return Err(NotionError::body(
                "body.initial_data_source",
                "an object",
                &richtext::shown(Some(i)),
            ));
        }
        schema::create(initial.and_then(|i| i.get("properties")), "body.initial_data_source.properties")?
    } else {
        schema::create(body.get("properties"), "body.properties")?
    };
    let is_inline = body.get("is_inline").and_then(Value::as_bool).unwrap_or(false);
    let icon = body.get("icon").cloned().unwrap_or(Value::Null);
    on_data(&sim, &ctx, |data, stamp| {
        let parent = match parent_v.get("page_id") {
            Some(raw) => {
                let id = raw.as_str().and_then(ids::parse_notion_id).ok_or_else(|| {
                    NotionError::body("body.parent.page_id", "a valid uuid", &richtext::shown(Some(raw)))
                })?;
                if !data.pages.contains_key(&id) {
                    return Err(NotionError::not_found("page", &id));
                }
                if data.is_trashed(&id) {
                    return Err(archived());
                }
                Parent::Page(id)
            }
            None if parent_v.get("workspace") == Some(&Value::Bool(true)) => Parent::Workspace,
            None => {
                return Err(NotionError::body(
                    "body.parent",
                    "an object with `page_id` or `workspace`",
                    &richtext::shown(Some(parent_v)),
                ));
            }
        };
        let (db_id, ds_id) = (new_id(), new_id());
        if let Parent::Page(p) = &parent {
            data.insert_children(p, vec![Child::Database(db_id.clone())], Position::End);
        }
        data.data_sources.insert(
            ds_id.clone(),
            DataSource {
                id: ds_id.clone(),
                database_id: db_id.clone(),
                name: richtext::plain(&title),
                properties: props,
                created_time: stamp.at,
                last_edited_time: stamp.at,
                created_by: stamp.by.clone(),
            },
        );
        let db = Database {
            id: db_id.clone(),
            parent,
            title,
            description,
            data_sources: vec![ds_id],
            created_time: stamp.at,
            last_edited_time: stamp.at,
            created_by: stamp.by.clone(),
            is_inline,
            in_trash: false,
            icon,
        };
        data.databases.insert(db_id.clone(), db);
        Ok(errors::ok(render::database(&data.databases[&db_id], data, ctx.version)))
    })
}

/// The rows of a data source get the new schema: values follow their property (by id) through
/// a rename, removed properties are dropped, new ones and changed types start empty.
fn reshape_rows(data: &mut NotionData, old: &DataSource, new: &DataSource) {
    let defaults = properties::defaults(new);
    for page in data.pages.values_mut() {
        if !matches!(&page.parent, Parent::DataSource { data_source, .. } if *data_source == new.id) {
            continue;
        }
        let mut next = Map::new();
        for p in &new.properties {
            let kept = old
                .properties
                .iter()
                .find(|o| o.id == p.id && o.kind == p.kind)
                .and_then(|o| page.properties.get(&o.name))
                .cloned();
            let value = kept.or_else(|| defaults.get(&p.name).cloned()).unwrap_or(Value::Null);
            next.insert(p.name.clone(), value);
        }
        page.properties = next;
    }
}

/// `PATCH /v1/data_sources/{data_source_id}` (2025-09-03+): title, icon and schema.
pub(crate) async fn update_data_source(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    body: Bytes,
) -> NotionResult {
    if !ctx.version.has_data_sources() {
        return Err(NotionError::invalid_request_url());
    }
    let id = path_id(&raw, "data_source_id")?;
    let body = json_body(&body)?;
    only_keys(&body, &["title", "icon", "properties"])?;
    let title = match body.get("title") {
        None => None,
        v => Some(richtext::normalize(v, "body.title")?),
    };
    on_data(&sim, &ctx, |data, stamp| {
        let old =
            data.data_sources.get(&id).cloned().ok_or_else(|| NotionError::not_found("data_source", &id))?;
        if data.is_trashed(&old.database_id) {
            return Err(archived());
        }
        let mut new = old.clone();
        if let Some(p) = body.get("properties") {
            new.properties = schema::update(&old.properties, p, "body.properties")?;
        }
        if let Some(t) = &title {
            new.name = richtext::plain(t);
        }
        new.last_edited_time = stamp.at;
        if let Some(icon) = body.get("icon")
            && let Some(db) = data.databases.get_mut(&old.database_id)
        {
            db.icon = icon.clone();
        }
        reshape_rows(data, &old, &new);
        data.data_sources.insert(id.clone(), new);
        Ok(errors::ok(render::data_source(&data.data_sources[&id], data, ctx.version)))
    })
}

/// Does `target` lie inside page `page` (or is it `page`)?
fn is_inside(data: &NotionData, target: &str, page: &str) -> bool {
    let mut at = target.to_string();
    for _ in 0..10_000 {
        if at == page {
            return true;
        }
        let parent = data
            .pages
            .get(&at)
            .map(|p| p.parent.clone())
            .or_else(|| data.blocks.get(&at).map(|b| b.parent.clone()))
            .or_else(|| data.databases.get(&at).map(|d| d.parent.clone()));
        at = match parent {
            Some(Parent::Page(p) | Parent::Block(p)) => p,
            Some(Parent::DataSource { database, .. }) => database,
            _ => return false,
        };
    }
    false
}

/// `POST /v1/pages/{page_id}/move`: to another page or a data source.
pub(crate) async fn move_page(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    body: Bytes,
) -> NotionResult {
    let id = path_id(&raw, "page_id")?;
    let body = json_body(&body)?;
    only_keys(&body, &["parent"])?;
    let Some(p) = body.get("parent").and_then(Value::as_object) else {
        return Err(NotionError::body("body.parent", "an object", &richtext::shown(body.get("parent"))));
    };
    let read = |key: &str| {
        p.get(key).map(|raw| {
            raw.as_str().and_then(ids::parse_notion_id).ok_or_else(|| {
                NotionError::body(&format!("body.parent.{key}"), "a valid uuid", &richtext::shown(Some(raw)))
            })
        })
    };
    let target = match (read("page_id"), read("data_source_id")) {
        (Some(page), None) => Target::Page(page?),
        (None, Some(ds)) if ctx.version.has_data_sources() => Target::DataSource(ds?),
        _ => {
            return Err(NotionError::body(
                "body.parent",
                "an object with `page_id` or `data_source_id`",
                &richtext::shown(body.get("parent")),
            ));
        }
    };
    on_data(&sim, &ctx, |data, stamp| {
        let page = data.pages.get(&id).ok_or_else(|| NotionError::not_found("page", &id))?;
        if page.in_trash {
            return Err(archived());
        }
        let old_parent = page.parent.clone();
        let title_rt = page
            .properties
            .values()
            .find(|v| v["type"] == "title")
            .and_then(|v| v["title"].as_array().cloned())
            .unwrap_or_default();
        let (parent, props) = match &target {
            Target::Page(to) => {
                if !data.pages.contains_key(to) {
                    return Err(NotionError::not_found("page", to));
                }
                if data.is_trashed(to) {
                    return Err(archived());
                }
                if is_inside(data, to, &id) {
                    return Err(NotionError::validation(format!(
                        "Cannot move page {id} into itself or one of its descendants."
                    )));
                }
                let mut props = Map::new();
                props.insert("title".into(), json!({"id": "title", "type": "title", "title": title_rt}));
                (Parent::Page(to.clone()), props)
            }
            Target::DataSource(ds_id) => {
                let ds = data
                    .data_sources
                    .get(ds_id)
                    .ok_or_else(|| NotionError::not_found("data_source", ds_id))?;
                if data.is_trashed(&ds.database_id) {
                    return Err(archived());
                }
                let mut props = properties::defaults(ds);
                let kept_row =
                    matches!(&old_parent, Parent::DataSource { data_source, .. } if data_source == ds_id);
                if kept_row {
                    props = data.pages[&id].properties.clone();
                } else if let Some(t) = ds.properties.iter().find(|p| p.kind == "title") {
                    props.insert(t.name.clone(), json!({"id": t.id, "type": "title", "title": title_rt}));
                }
                (Parent::DataSource { data_source: ds_id.clone(), database: ds.database_id.clone() }, props)
            }
        };
        if let Parent::Page(old) | Parent::Block(old) = &old_parent
            && let Some(list) = data.children.get_mut(old)
        {
            list.retain(|c| c.id() != id);
        }
        if let Parent::Page(to) = &parent {
            data.insert_children(to, vec![Child::Page(id.clone())], Position::End);
        }
        let page = data.pages.get_mut(&id).ok_or_else(|| NotionError::not_found("page", &id))?;
        page.parent = parent;
        page.properties = props;
        page.last_edited_time = stamp.at;
        page.last_edited_by = stamp.by;
        Ok(errors::ok(render::page(&data.pages[&id], data, ctx.version)))
    })
}

enum Target {
    Page(String),
    DataSource(String),
}

/// The page Markdown routes need 2026-03-11; an older version does not have them.
fn markdown_version(v: Version) -> Result<(), NotionError> {
    if v < Version::MARKDOWN {
        return Err(NotionError::invalid_request_url());
    }
    Ok(())
}

fn page_markdown(data: &NotionData, id: &str) -> Value {
    let (md, truncated) = markdown::render_page(data, id);
    json!({"object": "page_markdown", "id": id, "markdown": md, "truncated": truncated, "unknown_block_ids": []})
}

/// `GET /v1/pages/{page_id}/markdown` (2026-03-11+): the page (or block) as Markdown.
pub(crate) async fn get_page_markdown(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> NotionResult {
    markdown_version(ctx.version)?;
    let id = path_id(&raw, "page_id")?;
    if let Some(t) = q.get("include_transcript")
        && !matches!(t.as_str(), "true" | "false")
    {
        return Err(NotionError::validation(format!(
            "query failed validation: query.include_transcript should be a boolean, instead was `\"{t}\"`."
        )));
    }
    on_data(&sim, &ctx, |data, _| {
        if !data.is_container(&id) {
            return Err(NotionError::not_found("page", &id));
        }
        Ok(errors::ok(page_markdown(data, &id)))
    })
}

fn string_at<'a>(v: &'a Value, key: &str, path: &str) -> Result<&'a str, NotionError> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| NotionError::body(&format!("{path}.{key}"), "a string", &richtext::shown(v.get(key))))
}

/// The one occurrence (or all, with `all`) of `old` in `text` replaced by `new`.
fn replace_once(text: &str, old: &str, new: &str, all: bool, path: &str) -> Result<String, NotionError> {
    let count = if old.is_empty() { 0 } else { text.matches(old).count() };
    match count {
        0 => Err(NotionError::validation(format!("{path}.old_str was not found in the page content."))),
        1 => Ok(text.replacen(old, new, 1)),
        _ if all => Ok(text.replace(old, new)),
        n => Err(NotionError::validation(format!(
            "{path}.old_str matches {n} places in the page content; make it unique or set replace_all_matches."
        ))),
    }
}

/// An ellipsis selection `start...end` in `text`: the byte range it covers.
fn selection(text: &str, sel: &str, path: &str) -> Result<(usize, usize), NotionError> {
    let missing = || NotionError::validation(format!("{path} did not match any content of the page."));
    let (start, end) = sel.split_once("...").unwrap_or((sel, ""));
    let from = text.find(start).ok_or_else(missing)?;
    let to = if end.is_empty() {
        from + start.len()
    } else {
        from + start.len() + text[from + start.len()..].find(end).ok_or_else(missing)? + end.len()
    };
    Ok((from, to))
}

/// Replaces the page's content with `items`: its blocks go to the trash; child pages and
/// databases stay where the new Markdown names them, and the others are refused unless
/// `allow_delete` (then trashed).
fn replace_children(
    data: &mut NotionData,
    id: &str,
    items: Vec<Item>,
    allow_delete: bool,
    stamp: &Stamp,
) -> Result<(), NotionError> {
    let current: Vec<Child> =
        data.children_of(id).iter().filter(|c| !data.is_trashed(c.id())).cloned().collect();
    let named: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Existing(x) => Some(x.as_str()),
            Item::New(_) => None,
        })
        .collect();
    if let Some(x) = named.iter().find(|x| !current.iter().any(|c| c.id() == **x)) {
        return Err(NotionError::validation(format!("{x} is not a child page or database of {id}.")));
    }
    let dropped: Vec<&Child> =
        current.iter().filter(|c| !matches!(c, Child::Block(_)) && !named.contains(&c.id())).collect();
    if !dropped.is_empty() && !allow_delete {
        return Err(NotionError::validation(format!(
            "The update would delete {} child page(s) or database(s); set allow_deleting_content to true to allow it.",
            dropped.len()
        )));
    }
    for c in &current {
        match c {
            Child::Block(b) => {
                if let Some(b) = data.blocks.get_mut(b) {
                    b.in_trash = true;
                    b.last_edited_time = stamp.at;
                }
            }
            Child::Page(p) if !named.contains(&p.as_str()) => {
                if let Some(p) = data.pages.get_mut(p) {
                    p.in_trash = true;
                }
            }
            Child::Database(d) if !named.contains(&d.as_str()) => {
                if let Some(d) = data.databases.get_mut(d) {
                    d.in_trash = true;
                }
            }
            _ => {}
        }
    }
    data.children.insert(id.to_string(), Vec::new());
    for item in items {
        match item {
            Item::New(b) => {
                data.insert_blocks(id, vec![b], Position::End, stamp, &mut new_id);
            }
            Item::Existing(x) => {
                if let Some(c) = current.iter().find(|c| c.id() == x) {
                    data.insert_children(id, vec![c.clone()], Position::End);
                }
            }
        }
    }
    Ok(())
}

/// `PATCH /v1/pages/{page_id}/markdown` (2026-03-11+): `replace_content`, `update_content`,
/// `insert_content` (`position` start / end, or `after` a selection) and
/// `replace_content_range`; answers the page as Markdown.
pub(crate) async fn update_page_markdown(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    body: Bytes,
) -> NotionResult {
    markdown_version(ctx.version)?;
    let id = path_id(&raw, "page_id")?;
    let body = json_body(&body)?;
    const KINDS: [&str; 4] = ["replace_content", "update_content", "insert_content", "replace_content_range"];
    let kind = body.get("type").and_then(Value::as_str).filter(|k| KINDS.contains(k)).ok_or_else(|| {
        NotionError::body(
            "body.type",
            "`\"replace_content\"`, `\"update_content\"`, `\"insert_content\"`, or `\"replace_content_range\"`",
            &richtext::shown(body.get("type")),
        )
    })?;
    only_keys(&body, &["type", "allow_async", kind])?;
    let path = format!("body.{kind}");
    let Some(op) = body.get(kind).filter(|o| o.is_object()) else {
        return Err(NotionError::body(&path, "an object", &richtext::shown(body.get(kind))));
    };
    let allow_delete = op.get("allow_deleting_content").and_then(Value::as_bool).unwrap_or(false);
    on_data(&sim, &ctx, |data, stamp| {
        if !data.is_container(&id) {
            return Err(NotionError::not_found("page", &id));
        }
        if data.is_trashed(&id) {
            return Err(archived());
        }
        let (current, _) = markdown::render_page(data, &id);
        let next = match kind {
            "replace_content" => string_at(op, "new_str", &path)?.to_string(),
            "update_content" => {
                let Some(edits) = op.get("content_updates").and_then(Value::as_array) else {
                    return Err(NotionError::body(
                        &format!("{path}.content_updates"),
                        "an array",
                        &richtext::shown(op.get("content_updates")),
                    ));
                };
                if edits.len() > 100 {
                    return Err(NotionError::validation(format!(
                        "body failed validation: {path}.content_updates.length should be ≤ `100`, instead was `{}`.",
                        edits.len()
                    )));
                }
                let mut text = current.clone();
                for (i, e) in edits.iter().enumerate() {
                    let p = format!("{path}.content_updates[{i}]");
                    let all = e.get("replace_all_matches").and_then(Value::as_bool).unwrap_or(false);
                    text = replace_once(
                        &text,
                        string_at(e, "old_str", &p)?,
                        string_at(e, "new_str", &p)?,
                        all,
                        &p,
                    )?;
                }
                text
            }
            "insert_content" => {
                let content = string_at(op, "content", &path)?;
                match (
                    op.get("after").and_then(Value::as_str),
                    op.pointer("/position/type").and_then(Value::as_str),
                ) {
                    (Some(_), Some(_)) => {
                        return Err(NotionError::validation(format!(
                            "{path}.after and {path}.position cannot be combined."
                        )));
                    }
                    (Some(sel), None) => {
                        let (_, to) = selection(&current, sel, &format!("{path}.after"))?;
                        let line_end = current[to..].find('\n').map_or(current.len(), |n| to + n);
                        format!("{}\n{content}{}", &current[..line_end], &current[line_end..])
                    }
                    (None, Some("start")) => format!("{content}\n{current}"),
                    (None, None | Some("end")) => format!("{current}\n{content}"),
                    (None, Some(other)) => {
                        return Err(NotionError::body(
                            &format!("{path}.position.type"),
                            "`\"start\"` or `\"end\"`",
                            &format!("\"{other}\""),
                        ));
                    }
                }
            }
            _ => {
                let content = string_at(op, "content", &path)?;
                let (from, to) = selection(
                    &current,
                    string_at(op, "content_range", &path)?,
                    &format!("{path}.content_range"),
                )?;
                format!("{}{content}{}", &current[..from], &current[to..])
            }
        };
        let items = markdown::parse(&next)?;
        // insert_content adds; it never deletes what was there.
        let allow = allow_delete || kind == "insert_content";
        replace_children(data, &id, items, allow, &stamp)?;
        if let Some(p) = data.pages.get_mut(&id) {
            p.last_edited_time = stamp.at;
            p.last_edited_by = stamp.by.clone();
        }
        Ok(errors::ok(page_markdown(data, &id)))
    })
}
