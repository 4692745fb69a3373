//! Comments: create (on a page or in a discussion) and list (by block).

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension,
    body::Bytes,
    extract::{Query, State},
};
use serde_json::Value;

use super::{new_id, on_data};
use crate::{
    ids,
    notion::{
        BOT_NAME, NotionCtx,
        errors::{self, NotionError, NotionResult},
        json_body,
        model::{Comment, NotionData, Parent},
        pagination, render, richtext,
    },
    state::Sim,
};

fn parent_of(data: &NotionData, body: &Value) -> Result<(Parent, String), NotionError> {
    if let Some(d) = body.get("discussion_id") {
        let id = d.as_str().and_then(ids::parse_notion_id).ok_or_else(|| {
            NotionError::body("body.discussion_id", "a valid uuid", &richtext::shown(Some(d)))
        })?;
        let first = data
            .comments
            .iter()
            .find(|c| c.discussion_id == id)
            .ok_or_else(|| NotionError::not_found("discussion", &id))?;
        return Ok((first.parent.clone(), id));
    }
    let parent =
        body.get("parent").ok_or_else(|| NotionError::body("body.parent", "defined", "undefined"))?;
    let raw = parent.get("page_id").or(parent.get("block_id"));
    let id = raw
        .and_then(Value::as_str)
        .and_then(ids::parse_notion_id)
        .ok_or_else(|| NotionError::body("body.parent.page_id", "a valid uuid", &richtext::shown(raw)))?;
    if data.pages.contains_key(&id) {
        Ok((Parent::Page(id), new_id()))
    } else if data.blocks.contains_key(&id) {
        Ok((Parent::Block(id), new_id()))
    } else {
        Err(NotionError::not_found("page", &id))
    }
}

/// `POST /v1/comments`.
pub(crate) async fn create_comment(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    body: Bytes,
) -> NotionResult {
    let body = json_body(&body)?;
    let rich_text = richtext::normalize(body.get("rich_text"), "body.rich_text")?;
    on_data(&sim, &ctx, |data, stamp| {
        let (parent, discussion_id) = parent_of(data, &body)?;
        let comment = Comment {
            id: new_id(),
            parent,
            discussion_id,
            rich_text,
            created_time: stamp.at,
            created_by: stamp.by,
            display_name: BOT_NAME.into(),
        };
        let out = render::comment(&comment, ctx.version);
        data.comments.push(comment);
        Ok(errors::ok(out))
    })
}

/// `GET /v1/comments?block_id=…`.
pub(crate) async fn list_comments(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Query(q): Query<HashMap<String, String>>,
) -> NotionResult {
    let Some(raw) = q.get("block_id") else {
        return Err(NotionError::validation(
            "query failed validation: query.block_id should be defined, instead was `undefined`.",
        ));
    };
    let id = ids::parse_notion_id(raw).ok_or_else(|| {
        NotionError::validation(format!(
            "query failed validation: query.block_id should be a valid uuid, instead was `\"{raw}\"`."
        ))
    })?;
    let req = pagination::from_query(&q)?;
    on_data(&sim, &ctx, |data, _| {
        if !data.is_container(&id) {
            return Err(NotionError::not_found("block", &id));
        }
        let items: Vec<(String, Value)> = data
            .comments
            .iter()
            .filter(|c| matches!(&c.parent, Parent::Page(p) | Parent::Block(p) if *p == id))
            .map(|c| (c.id.clone(), render::comment(c, ctx.version)))
            .collect();
        Ok(errors::ok(pagination::list(items, &req, "comment")?))
    })
}
