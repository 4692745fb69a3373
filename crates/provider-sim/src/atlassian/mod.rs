//! Atlassian: the OAuth server (`auth.atlassian.com`) and the API gateway
//! (`api.atlassian.com`) with Jira REST v3.

use std::sync::Arc;

use axum::Router;

use crate::state::Sim;

pub(crate) mod errors;
pub(crate) mod gateway;
pub(crate) mod grants;
pub(crate) mod jira;
pub(crate) mod oauth;

/// All Atlassian routes.
pub(crate) fn router(sim: Arc<Sim>) -> Router<Arc<Sim>> {
    Router::new()
        .merge(oauth::router())
        .merge(gateway::router())
        .merge(jira::router(sim))
        .merge(jira::attachments::media_router())
}
