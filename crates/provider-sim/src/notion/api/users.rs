//! Users: the bot (`/v1/users/me`), people in the workspace.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension,
    extract::{Path, Query, State},
};
use serde_json::Value;

use super::on_data;
use crate::{
    notion::{
        NotionCtx,
        errors::{self, NotionError, NotionResult},
        pagination, path_id, render,
    },
    seed::people::people,
    state::Sim,
};

/// `GET /v1/users/me`: the connection's bot user.
pub(crate) async fn me(State(sim): State<Arc<Sim>>, Extension(ctx): Extension<NotionCtx>) -> NotionResult {
    on_data(&sim, &ctx, |data, _| Ok(errors::ok(render::bot(&ctx.bot_id, &ctx.owner_id, data))))
}

/// `GET /v1/users`: people, then the bot.
pub(crate) async fn list_users(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Query(q): Query<HashMap<String, String>>,
) -> NotionResult {
    let req = pagination::from_query(&q)?;
    on_data(&sim, &ctx, |data, _| {
        let mut items: Vec<(String, Value)> =
            people().iter().map(|p| (p.notion_id.clone(), render::person(p))).collect();
        items.push((ctx.bot_id.clone(), render::bot(&ctx.bot_id, &ctx.owner_id, data)));
        Ok(errors::ok(pagination::list(items, &req, "user")?))
    })
}

/// `GET /v1/users/{user_id}`.
pub(crate) async fn get_user(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
) -> NotionResult {
    let id = path_id(&raw, "user_id")?;
    if id == ctx.bot_id {
        return on_data(&sim, &ctx, |data, _| Ok(errors::ok(render::bot(&ctx.bot_id, &ctx.owner_id, data))));
    }
    people()
        .iter()
        .find(|p| p.notion_id == id)
        .map(|p| errors::ok(render::person(p)))
        .ok_or_else(|| NotionError::not_found("user", &id))
}
