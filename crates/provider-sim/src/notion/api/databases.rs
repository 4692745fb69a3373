//! Databases and data sources: retrieve and query. `2025-09-03` moved schemas and queries to
//! `/v1/data_sources`; each family of routes answers `invalid_request_url` on the other side
//! of that version.

use std::sync::Arc;

use axum::{
    Extension,
    body::Bytes,
    extract::{Path, State},
};
use serde_json::Value;

use super::on_data;
use crate::{
    notion::{
        NotionCtx,
        errors::{self, NotionError, NotionResult},
        json_body,
        model::{NotionData, Page, Parent},
        pagination, path_id, query, render,
    },
    state::Sim,
};

/// `GET /v1/databases/{database_id}`.
pub(crate) async fn get_database(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
) -> NotionResult {
    let id = path_id(&raw, "database_id")?;
    on_data(&sim, &ctx, |data, _| {
        let db = data.databases.get(&id).ok_or_else(|| NotionError::not_found("database", &id))?;
        Ok(errors::ok(render::database(db, data, ctx.version)))
    })
}

/// `POST /v1/databases/{database_id}/query` (before 2025-09-03).
pub(crate) async fn query_database(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
    body: Bytes,
) -> NotionResult {
    if ctx.version.has_data_sources() {
        return Err(NotionError::invalid_request_url());
    }
    let id = path_id(&raw, "database_id")?;
    let body = json_body(&body)?;
    on_data(&sim, &ctx, |data, _| {
        let db = data.databases.get(&id).ok_or_else(|| NotionError::not_found("database", &id))?;
        let ds = db.data_sources.first().cloned().ok_or_else(|| NotionError::not_found("database", &id))?;
        run_query(data, &ds, &body, &ctx, "page_or_database")
    })
}

/// `GET /v1/data_sources/{data_source_id}` (2025-09-03+).
pub(crate) async fn get_data_source(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    Path(raw): Path<String>,
) -> NotionResult {
    if !ctx.version.has_data_sources() {
        return Err(NotionError::invalid_request_url());
    }
    let id = path_id(&raw, "data_source_id")?;
    on_data(&sim, &ctx, |data, _| {
        let ds = data.data_sources.get(&id).ok_or_else(|| NotionError::not_found("data_source", &id))?;
        Ok(errors::ok(render::data_source(ds, data, ctx.version)))
    })
}

/// `POST /v1/data_sources/{data_source_id}/query` (2025-09-03+).
pub(crate) async fn query_data_source(
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
    on_data(&sim, &ctx, |data, _| {
        if !data.data_sources.contains_key(&id) {
            return Err(NotionError::not_found("data_source", &id));
        }
        run_query(data, &id, &body, &ctx, "page_or_data_source")
    })
}

fn in_source(p: &Page, ds_id: &str) -> bool {
    matches!(&p.parent, Parent::DataSource { data_source, .. } if data_source == ds_id)
}

fn run_query(data: &NotionData, ds_id: &str, body: &Value, ctx: &NotionCtx, kind: &str) -> NotionResult {
    let ds = data.data_sources.get(ds_id).ok_or_else(|| NotionError::not_found("data_source", ds_id))?;
    let filter = match body.get("filter").filter(|f| !f.is_null()) {
        Some(f) => Some(query::parse_filter(f, ds, "body.filter")?),
        None => None,
    };
    let sorts = query::parse_sorts(body.get("sorts"), ds)?;
    let with_trash = body.get("in_trash").and_then(Value::as_bool).unwrap_or(false);
    let req = pagination::from_body(body)?;
    let mut rows: Vec<&Page> = data
        .pages
        .values()
        .filter(|p| in_source(p, ds_id) && (with_trash || !p.in_trash))
        .filter(|p| filter.as_ref().is_none_or(|f| query::matches(f, p)))
        .collect();
    query::sort(&mut rows, &sorts);
    let items = rows.iter().map(|p| (p.id.clone(), render::page(p, data, ctx.version))).collect();
    Ok(errors::ok(pagination::list(items, &req, kind)?))
}
