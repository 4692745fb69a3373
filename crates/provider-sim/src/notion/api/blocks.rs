//! Blocks: retrieve, update, delete (trash), list children, append children.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension,
    body::Bytes,
    extract::{Path, Query, State},
};
use serde_json::Value;

use super::{archived, new_id, on_data};
use crate::{
    ids,
    notion::{
        NotionCtx,
        blockspec::{check_append_target, merges_on_update, parse_request_children, parse_update},
        errors::{self, NotionError, NotionResult},
        filetypes, json_body,
        model::{Child, NotionData, Position},
        pagination, path_id, render, richtext,
        version::Version,
    },
    state::Sim,
};

fn as_child(data: &NotionData, id: &str) -> Option<Child> {
    if data.blocks.contains_key(id) {
        Some(Child::Block(id.to_string()))
    } else if data.pages.contains_key(id) {
        Some(Child::Page(id.to_string()))
    } else if data.databases.contains_key(id) {
        Some(Child::Database(id.to_string()))
    } else {
        None
    }
}

/// `GET /v1/blocks/{block_id}` (a page id answers as a `child_page` block).
pub(crate) async fn get_block(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
) -> NotionResult {
    let id = path_id(&raw, "block_id")?;
    on_data(&sim, &ctx, |data, _| {
        let child = as_child(data, &id).ok_or_else(|| NotionError::not_found("block", &id))?;
        let out =
            render::child(&child, data, ctx.version).ok_or_else(|| NotionError::not_found("block", &id))?;
        Ok(errors::ok(out))
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
    Ok(body.get("in_trash").or(body.get("archived")).and_then(Value::as_bool))
}

/// `PATCH /v1/blocks/{block_id}`: new content of the same type, and/or `in_trash`.
pub(crate) async fn update_block(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    body: Bytes,
) -> NotionResult {
    let id = path_id(&raw, "block_id")?;
    let body = json_body(&body)?;
    let trash = trash_flag(&body, ctx.version)?;
    on_data(&sim, &ctx, |data, stamp| {
        let block = data.blocks.get(&id).ok_or_else(|| NotionError::not_found("block", &id))?;
        let kind = block.kind.clone();
        if let Some((k, v)) = body.as_object().and_then(|o| {
            o.iter().find(|(k, _)| ![kind.as_str(), "type", "in_trash", "archived"].contains(&k.as_str()))
        }) {
            return Err(NotionError::body(&format!("body.{k}"), "not present", &richtext::shown(Some(v))));
        }
        let mut content = match body.get(kind.as_str()) {
            None => None,
            Some(_) if block.in_trash && trash != Some(false) => return Err(archived()),
            Some(c) => Some(parse_update(&kind, c, &format!("body.{kind}"))?),
        };
        let uploads = match content.as_mut() {
            Some(c) if filetypes::MEDIA_BLOCKS.contains(&kind.as_str()) => {
                data.uploads.prepare_media(&kind, c, &ctx.bot_id, data.hosting.now)?
            }
            _ => Vec::new(),
        };
        data.uploads.mark_attached(&uploads, stamp.at);
        let Some(block) = data.blocks.get_mut(&id) else {
            return Err(NotionError::not_found("block", &id));
        };
        match (content, block.content.as_object_mut()) {
            // Only what the update gives changes (a table's width stays, a to-do's text when
            // only `checked` is sent).
            (Some(Value::Object(c)), Some(existing)) if merges_on_update(&kind) => existing.extend(c),
            (Some(c), _) => block.content = c,
            (None, _) => {}
        }
        if let Some(t) = trash {
            block.in_trash = t;
        }
        block.last_edited_time = stamp.at;
        block.last_edited_by = stamp.by;
        let out = render::block(&data.blocks[&id], data, ctx.version);
        Ok(errors::ok(out))
    })
}

/// `DELETE /v1/blocks/{block_id}`: moves a block (or page) to the trash.
pub(crate) async fn delete_block(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
) -> NotionResult {
    let id = path_id(&raw, "block_id")?;
    on_data(&sim, &ctx, |data, stamp| {
        if let Some(b) = data.blocks.get_mut(&id) {
            b.in_trash = true;
            b.last_edited_time = stamp.at;
        } else if let Some(p) = data.pages.get_mut(&id) {
            p.in_trash = true;
            p.last_edited_time = stamp.at;
        } else {
            return Err(NotionError::not_found("block", &id));
        }
        let child = as_child(data, &id).ok_or_else(|| NotionError::not_found("block", &id))?;
        Ok(errors::ok(render::child(&child, data, ctx.version).unwrap_or(Value::Null)))
    })
}

/// `GET /v1/blocks/{block_id}/children`.
pub(crate) async fn list_children(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> NotionResult {
    let id = path_id(&raw, "block_id")?;
    let req = pagination::from_query(&q)?;
    on_data(&sim, &ctx, |data, _| {
        if !data.is_container(&id) {
            return Err(NotionError::not_found("block", &id));
        }
        let items: Vec<(String, Value)> = data
            .children_of(&id)
            .iter()
            .filter(|c| !data.is_trashed(c.id()))
            .filter_map(|c| render::child(c, data, ctx.version).map(|v| (c.id().to_string(), v)))
            .collect();
        Ok(errors::ok(pagination::list(items, &req, "block")?))
    })
}

fn position(body: &Value, v: Version) -> Result<Position, NotionError> {
    let shown = |k: &str| richtext::shown(body.get(k));
    let after_id = |raw: Option<&Value>, path: &str| {
        raw.and_then(Value::as_str)
            .and_then(ids::parse_notion_id)
            .ok_or_else(|| NotionError::body(path, "a valid uuid", &richtext::shown(raw)))
    };
    if v.has_archived() {
        if body.get("position").is_some() {
            return Err(NotionError::body("body.position", "not present", &shown("position")));
        }
        return match body.get("after") {
            None | Some(Value::Null) => Ok(Position::End),
            raw => Ok(Position::After(after_id(raw, "body.after")?)),
        };
    }
    if body.get("after").is_some() {
        return Err(NotionError::body("body.after", "not present", &shown("after")));
    }
    let Some(pos) = body.get("position").filter(|p| !p.is_null()) else {
        return Ok(Position::End);
    };
    match pos.get("type").and_then(Value::as_str) {
        Some("end") => Ok(Position::End),
        Some("start") => Ok(Position::Start),
        Some("after_block") => Ok(Position::After(after_id(
            pos.get("after_block").and_then(|a| a.get("id")),
            "body.position.after_block.id",
        )?)),
        _ => Err(NotionError::body(
            "body.position.type",
            "`\"after_block\"`, `\"start\"`, or `\"end\"`",
            &richtext::shown(pos.get("type")),
        )),
    }
}

const LEAF_BLOCKS: &[&str] =
    &["divider", "code", "equation", "bookmark", "table_of_contents", "child_database"];

/// `PATCH /v1/blocks/{block_id}/children`: appends and returns the new blocks.
pub(crate) async fn append_children(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    body: Bytes,
) -> NotionResult {
    let id = path_id(&raw, "block_id")?;
    let body = json_body(&body)?;
    if let Some((k, v)) = body
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| !["children", "after", "position"].contains(&k.as_str())))
    {
        return Err(NotionError::body(&format!("body.{k}"), "not present", &richtext::shown(Some(v))));
    }
    let mut children = parse_request_children(body.get("children"))?;
    let at = position(&body, ctx.version)?;
    on_data(&sim, &ctx, |data, stamp| {
        if !data.is_container(&id) {
            return Err(NotionError::not_found("block", &id));
        }
        if data.is_trashed(&id) {
            return Err(archived());
        }
        if data.blocks.get(&id).is_some_and(|b| LEAF_BLOCKS.contains(&b.kind.as_str())) {
            return Err(NotionError::validation("Block does not support children."));
        }
        let target = data.blocks.get(&id);
        check_append_target(target.map(|b| b.kind.as_str()), target.map(|b| &b.content), &children)?;
        if let Position::After(after) = &at
            && !data.children_of(&id).iter().any(|c| c.id() == after)
        {
            return Err(NotionError::validation(format!("Block {after} is not a child of {id}.")));
        }
        let uploads = data.uploads.prepare_blocks(&mut children, &ctx.bot_id, data.hosting.now)?;
        data.uploads.mark_attached(&uploads, stamp.at);
        let created = data.insert_blocks(&id, children, at, &stamp, &mut new_id);
        if let Some(p) = data.pages.get_mut(&id) {
            p.last_edited_time = stamp.at;
        }
        let items: Vec<(String, Value)> = created
            .iter()
            .filter_map(|c| data.blocks.get(c).map(|b| (c.clone(), render::block(b, data, ctx.version))))
            .collect();
        let all = pagination::PageReq { start_cursor: None, page_size: items.len().max(1) };
        Ok(errors::ok(pagination::list(items, &all, "block")?))
    })
}
