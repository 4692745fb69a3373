//! `POST /v1/search`: pages and data sources (databases before 2025-09-03) by title.

use std::sync::Arc;

use axum::{Extension, body::Bytes, extract::State};
use serde_json::Value;

use super::on_data;
use crate::{
    notion::{
        NotionCtx,
        errors::{self, NotionError, NotionResult},
        json_body, pagination, render, richtext,
    },
    state::Sim,
};

fn object_filter(body: &Value, ds_era: bool) -> Result<Option<String>, NotionError> {
    let Some(f) = body.get("filter").filter(|f| !f.is_null()) else {
        return Ok(None);
    };
    let second = if ds_era { "data_source" } else { "database" };
    if f.get("property").and_then(Value::as_str) != Some("object") {
        return Err(NotionError::body(
            "body.filter.property",
            "`\"object\"`",
            &richtext::shown(f.get("property")),
        ));
    }
    match f.get("value").and_then(Value::as_str) {
        Some(v) if v == "page" || v == second => Ok(Some(v.to_string())),
        _ => Err(NotionError::body(
            "body.filter.value",
            &format!("`\"page\"` or `\"{second}\"`"),
            &richtext::shown(f.get("value")),
        )),
    }
}

fn descending(body: &Value) -> Result<bool, NotionError> {
    let Some(sort) = body.get("sort").filter(|s| !s.is_null()) else {
        return Ok(true);
    };
    if sort.get("timestamp").and_then(Value::as_str) != Some("last_edited_time") {
        return Err(NotionError::body(
            "body.sort.timestamp",
            "`\"last_edited_time\"`",
            &richtext::shown(sort.get("timestamp")),
        ));
    }
    match sort.get("direction").and_then(Value::as_str) {
        Some("ascending") => Ok(false),
        Some("descending") => Ok(true),
        _ => Err(NotionError::body(
            "body.sort.direction",
            "`\"ascending\"` or `\"descending\"`",
            &richtext::shown(sort.get("direction")),
        )),
    }
}

/// `POST /v1/search`.
pub(crate) async fn search(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<NotionCtx>,
    body: Bytes,
) -> NotionResult {
    let body = json_body(&body)?;
    let v = ctx.version;
    let only = object_filter(&body, v.has_data_sources())?;
    let desc = descending(&body)?;
    let page_req = pagination::from_body(&body)?;
    let needle = body.get("query").and_then(Value::as_str).unwrap_or("").to_lowercase();
    let list = on_data(&sim, &ctx, |data, _| {
        let mut hits: Vec<(time::OffsetDateTime, String, Value)> = Vec::new();
        if only.as_deref().is_none_or(|o| o == "page") {
            for p in data.pages.values().filter(|p| !p.in_trash && p.title().to_lowercase().contains(&needle))
            {
                hits.push((p.last_edited_time, p.id.clone(), render::page(p, data, v)));
            }
        }
        if only.as_deref().is_none_or(|o| o != "page") {
            for d in data.databases.values().filter(|d| !d.in_trash) {
                for ds in d.data_sources.iter().filter_map(|id| data.data_sources.get(id)) {
                    let title =
                        if v.has_data_sources() { ds.name.clone() } else { richtext::plain(&d.title) };
                    if !title.to_lowercase().contains(&needle) {
                        continue;
                    }
                    let obj = if v.has_data_sources() {
                        render::data_source(ds, data, v)
                    } else {
                        render::database(d, data, v)
                    };
                    let id = if v.has_data_sources() { ds.id.clone() } else { d.id.clone() };
                    hits.push((ds.last_edited_time, id, obj));
                }
            }
        }
        hits.sort_by(|a, b| {
            if desc { b.0.cmp(&a.0).then(a.1.cmp(&b.1)) } else { a.0.cmp(&b.0).then(a.1.cmp(&b.1)) }
        });
        let kind = if v.has_data_sources() { "page_or_data_source" } else { "page_or_database" };
        pagination::list(hits.into_iter().map(|(_, id, obj)| (id, obj)).collect(), &page_req, kind)
    })?;
    Ok(errors::ok(list))
}
