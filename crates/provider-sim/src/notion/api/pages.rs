//! Pages: retrieve, create, update, retrieve a property.

use std::sync::Arc;

use axum::{
    Extension,
    body::Bytes,
    extract::{Path, State},
};
use serde_json::{Map, Value, json};

use super::{archived, new_id, on_data};
use crate::{
    ids,
    notion::{
        NotionCtx,
        blockspec::{check_append_target, parse_request_children},
        errors::{self, NotionError, NotionResult},
        json_body,
        model::{Child, NotionData, Page, Parent, Position},
        path_id, properties, render, richtext,
        version::Version,
    },
    state::Sim,
};

/// `GET /v1/pages/{page_id}`.
pub(crate) async fn get_page(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
) -> NotionResult {
    let id = path_id(&raw, "page_id")?;
    on_data(&sim, &ctx, |data, _| {
        let page = data.pages.get(&id).ok_or_else(|| NotionError::not_found("page", &id))?;
        Ok(errors::ok(render::page(page, data, ctx.version)))
    })
}

fn parent_id(v: &Value, key: &str) -> Result<Option<String>, NotionError> {
    match v.get(key) {
        None => Ok(None),
        Some(raw) => {
            let s = raw.as_str().unwrap_or("");
            ids::parse_notion_id(s).map(Some).ok_or_else(|| {
                NotionError::body(&format!("body.parent.{key}"), "a valid uuid", &richtext::shown(Some(raw)))
            })
        }
    }
}

fn resolve_parent(data: &NotionData, p: &Value, v: Version) -> Result<Parent, NotionError> {
    if let Some(id) = parent_id(p, "page_id")? {
        data.pages.get(&id).ok_or_else(|| NotionError::not_found("page", &id))?;
        return Ok(Parent::Page(id));
    }
    if v.has_data_sources()
        && let Some(id) = parent_id(p, "data_source_id")?
    {
        let ds = data.data_sources.get(&id).ok_or_else(|| NotionError::not_found("data_source", &id))?;
        return Ok(Parent::DataSource { data_source: id, database: ds.database_id.clone() });
    }
    if let Some(id) = parent_id(p, "database_id")? {
        let db = data.databases.get(&id).ok_or_else(|| NotionError::not_found("database", &id))?;
        return match db.data_sources.as_slice() {
            [only] => Ok(Parent::DataSource { data_source: only.clone(), database: id }),
            _ => Err(NotionError::validation(
                "Databases with multiple data sources are not supported in this API version.",
            )),
        };
    }
    if p.get("workspace").and_then(Value::as_bool) == Some(true) {
        return Ok(Parent::Workspace);
    }
    let first = if v.has_data_sources() { "page_id`, `data_source_id" } else { "page_id" };
    Err(NotionError::validation(format!(
        "body failed validation: body.parent should be an object with `{first}`, `database_id` or `workspace`, instead was `{}`.",
        richtext::shown(Some(p))
    )))
}

fn parent_trashed(data: &NotionData, p: &Parent) -> bool {
    match p {
        Parent::Page(id) | Parent::Block(id) => data.is_trashed(id),
        Parent::DataSource { database, .. } => data.is_trashed(database),
        Parent::Workspace => false,
    }
}

fn row_properties(
    data: &mut NotionData,
    ds_id: &str,
    input: Option<&Value>,
    fresh: bool,
) -> Result<Map<String, Value>, NotionError> {
    let ds = data.data_sources.get_mut(ds_id).ok_or_else(|| NotionError::not_found("data_source", ds_id))?;
    let given = properties::normalize_row(input, ds)?;
    if !fresh {
        return Ok(given);
    }
    let mut row = properties::defaults(ds);
    row.extend(given);
    Ok(row)
}

fn properties_for(
    data: &mut NotionData,
    parent: &Parent,
    input: Option<&Value>,
    fresh: bool,
) -> Result<Map<String, Value>, NotionError> {
    match parent {
        Parent::DataSource { data_source, .. } => row_properties(data, data_source, input, fresh),
        _ if fresh => properties::normalize_plain_page(input),
        _ => match input {
            None => Ok(Map::new()),
            some => properties::normalize_plain_page(some),
        },
    }
}

fn icon_or_cover(body: &Value, key: &str) -> Result<Option<Value>, NotionError> {
    match body.get(key) {
        None => Ok(None),
        Some(v @ (Value::Null | Value::Object(_))) => Ok(Some(v.clone())),
        Some(other) => Err(NotionError::body(
            &format!("body.{key}"),
            "an object or `null`",
            &richtext::shown(Some(other)),
        )),
    }
}

/// `POST /v1/pages`.
pub(crate) async fn create_page(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    body: Bytes,
) -> NotionResult {
    let body = json_body(&body)?;
    let Some(parent_v) = body.get("parent").filter(|p| p.is_object()) else {
        return Err(NotionError::body("body.parent", "defined", &richtext::shown(body.get("parent"))));
    };
    let mut children = match body.get("children") {
        None => Vec::new(),
        c => parse_request_children(c)?,
    };
    check_append_target(None, None, &children)?;
    let mut icon = icon_or_cover(&body, "icon")?.unwrap_or(Value::Null);
    let mut cover = icon_or_cover(&body, "cover")?.unwrap_or(Value::Null);
    on_data(&sim, &ctx, |data, stamp| {
        let parent = resolve_parent(data, parent_v, ctx.version)?;
        if parent_trashed(data, &parent) {
            return Err(archived());
        }
        let mut props = properties_for(data, &parent, body.get("properties"), true)?;
        let (bot, now) = (&ctx.bot_id, data.hosting.now);
        let mut uploads = data.uploads.prepare_properties(&mut props, bot, now)?;
        uploads.extend(data.uploads.prepare_blocks(&mut children, bot, now)?);
        uploads.extend(data.uploads.prepare_media("image", &mut icon, bot, now)?);
        uploads.extend(data.uploads.prepare_media("image", &mut cover, bot, now)?);
        data.uploads.mark_attached(&uploads, stamp.at);
        let id = new_id();
        if let Parent::Page(p) = &parent {
            data.insert_children(p, vec![Child::Page(id.clone())], Position::End);
        }
        data.page_order.push(id.clone());
        data.pages.insert(
            id.clone(),
            Page {
                id: id.clone(),
                parent,
                properties: props,
                created_time: stamp.at,
                last_edited_time: stamp.at,
                created_by: stamp.by.clone(),
                last_edited_by: stamp.by.clone(),
                in_trash: false,
                is_locked: false,
                icon,
                cover,
            },
        );
        data.insert_blocks(&id, children, Position::End, &stamp, &mut new_id);
        Ok(errors::ok(render::page(&data.pages[&id], data, ctx.version)))
    })
}

fn trash_flag(body: &Value, v: Version) -> Result<Option<bool>, NotionError> {
    if body.get("archived").is_some() && !v.has_archived() {
        return Err(NotionError::body(
            "body.archived",
            "not present",
            &richtext::shown(body.get("archived")),
        ));
    }
    let read = |key: &str| match body.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => {
            Err(NotionError::body(&format!("body.{key}"), "a boolean", &richtext::shown(Some(other))))
        }
    };
    Ok(read("in_trash")?.or(read("archived")?))
}

/// `PATCH /v1/pages/{page_id}`.
pub(crate) async fn update_page(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    body: Bytes,
) -> NotionResult {
    let id = path_id(&raw, "page_id")?;
    let body = json_body(&body)?;
    let trash = trash_flag(&body, ctx.version)?;
    let mut icon = icon_or_cover(&body, "icon")?;
    let mut cover = icon_or_cover(&body, "cover")?;
    let locked = body.get("is_locked").and_then(Value::as_bool);
    let edits_content = body.get("properties").is_some() || icon.is_some() || cover.is_some();
    on_data(&sim, &ctx, |data, stamp| {
        let page = data.pages.get(&id).ok_or_else(|| NotionError::not_found("page", &id))?;
        if page.in_trash && trash != Some(false) && edits_content {
            return Err(archived());
        }
        let parent = page.parent.clone();
        let mut props = properties_for(data, &parent, body.get("properties"), false)?;
        let (bot, now) = (&ctx.bot_id, data.hosting.now);
        let mut uploads = data.uploads.prepare_properties(&mut props, bot, now)?;
        for v in [icon.as_mut(), cover.as_mut()].into_iter().flatten() {
            uploads.extend(data.uploads.prepare_media("image", v, bot, now)?);
        }
        data.uploads.mark_attached(&uploads, stamp.at);
        let page = data.pages.get_mut(&id).ok_or_else(|| NotionError::not_found("page", &id))?;
        page.properties.extend(props);
        if let Some(i) = icon {
            page.icon = i;
        }
        if let Some(c) = cover {
            page.cover = c;
        }
        if let Some(t) = trash {
            page.in_trash = t;
        }
        if let Some(l) = locked {
            page.is_locked = l;
        }
        page.last_edited_time = stamp.at;
        page.last_edited_by = stamp.by;
        Ok(errors::ok(render::page(&data.pages[&id], data, ctx.version)))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET /v1/pages/{page_id}/properties/{property_id}`.
pub(crate) async fn page_property(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path((raw, prop)): Path<(String, String)>,
) -> NotionResult {
    let id = path_id(&raw, "page_id")?;
    on_data(&sim, &ctx, |data, _| {
        let page = data.pages.get(&id).ok_or_else(|| NotionError::not_found("page", &id))?;
        let found = page.properties.iter().find(|(name, v)| {
            let pid = v.get("id").and_then(Value::as_str).unwrap_or("");
            pid == prop || percent_decode(pid) == prop || **name == prop
        });
        let Some((_, value)) = found else {
            return Err(NotionError::not_found("property", &prop));
        };
        let mut out = property_item(value);
        data.uploads.host(&mut out, &data.hosting);
        Ok(errors::ok(out))
    })
}

fn property_item(value: &Value) -> Value {
    let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
    let pid = value.get("id").cloned().unwrap_or(Value::Null);
    let inner = value.get(kind).cloned().unwrap_or(Value::Null);
    if matches!(kind, "title" | "rich_text" | "people" | "relation") {
        let results: Vec<Value> = inner
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| json!({"object": "property_item", "id": pid, "type": kind, kind: i}))
                    .collect()
            })
            .unwrap_or_default();
        return json!({
            "object": "list",
            "results": results,
            "next_cursor": null,
            "has_more": false,
            "type": "property_item",
            "property_item": {"id": pid, "next_url": null, "type": kind, kind: {}},
        });
    }
    json!({"object": "property_item", "id": pid, "type": kind, kind: inner})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_ids_are_percent_decoded() {
        assert_eq!(percent_decode("s%5CJT"), "s\\JT");
        assert_eq!(percent_decode("%3BkCq"), ";kCq");
        assert_eq!(percent_decode("title"), "title");
        assert_eq!(percent_decode("50%"), "50%");
    }
}
