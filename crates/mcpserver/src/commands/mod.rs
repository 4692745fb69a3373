//! Chat commands, chains and workflows (docs/commands.md): what the messenger's people type
//! (`/jira get PLAT-12 | /notion create <page>`) and what agents send as data (`run_workflow`).
//! Every action runs through a registry tool (`ToolDef::run`); nothing here talks to a
//! provider itself.
//!
//! - `parse`: the lexer and parser, with positions for errors;
//! - `catalog`: the commands and how each builds its tool's arguments;
//! - `chain`: the documents piped between steps;
//! - `run`: checking and running a chain; `lookup`: name and filter lookups;
//! - `workflow`: JSON workflows with `${steps[N].field}` references;
//! - `help`: `/help`, generated from the catalog and the registry;
//! - `report`: the per-step report, as Markdown and structured content.

pub(crate) mod catalog;
pub(crate) mod chain;
mod help;
mod lookup;
pub(crate) mod parse;
mod report;
mod run;
pub(crate) mod workflow;

pub use report::{Answer, Report, Status, StepReport};
pub use workflow::WorkflowArgs;

use crate::app::AppState;
use crate::auth::Caller;
use crate::http::{ApiError, AppJson};
use crate::mcp::context::{Reply, ToolContext, ToolError};
use crate::mcp::registry::{Group, RUNS_TOOLS, ToolDef, ToolSet, Toolset, WRITE};
use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's tools as a selectable set.
pub(crate) const COMMANDS: Toolset = Toolset {
    name: "commands",
    group: Group::Meta,
    about: "chat commands and workflows over the other tools (always offered)",
};

/// `POST /api/commands` and `POST /api/workflows/run`, behind the hub JWT.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(commands)).routes(routes!(workflows))
}

/// The tools that run other tools: `run_command` and `run_workflow`.
pub fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(COMMANDS, name, title);
    vec![
        tool("run_command", "Run a chat command")
            .about("Run chat commands as people type them, e.g. `/jira get PLAT-12 | /notion create <page>`; `/help` lists them. Result per step.")
            .hints(WRITE)
            .run(run_command_tool),
        tool("run_workflow", "Run a workflow")
            .about("Run tool calls in order; args may reference earlier results (`${steps[0].key}`, `${prev.url}`). Stops at the first failure; dry_run only checks.")
            .hints(RUNS_TOOLS)
            .run(run_workflow_tool),
    ]
}

/// Arguments of `run_command` and the body of `POST /api/commands`.
#[derive(Debug, Deserialize, JsonSchema, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandArgs {
    /// The command as typed, e.g. `/jira get PLAT-12 | /notion create <page id>`; `/help` lists them.
    pub text: String,
}

/// Parses and checks command text without running it (nothing is called).
pub fn check(text: &str, tools: &ToolSet) -> Result<Vec<parse::Step>, ApiError> {
    Ok(run::check(text, tools)?.into_iter().map(|planned| planned.step).collect())
}

/// Runs command text for the caller.
pub async fn run_command(ctx: &ToolContext, text: &str) -> Result<Report, ApiError> {
    run::run(ctx, text).await
}

/// Runs (or dry-runs) a workflow for the caller.
pub async fn run_workflow(ctx: &ToolContext, workflow: &WorkflowArgs) -> Result<Report, ApiError> {
    workflow::run(ctx, workflow).await
}

/// The `run_command` tool.
pub async fn run_command_tool(ctx: ToolContext, args: CommandArgs) -> Result<Reply<report::Run>, ToolError> {
    run_command(&ctx, &args.text).await?.into_tool_result()
}

/// The `run_workflow` tool.
pub async fn run_workflow_tool(
    ctx: ToolContext,
    args: WorkflowArgs,
) -> Result<Reply<report::Run>, ToolError> {
    run_workflow(&ctx, &args).await?.into_tool_result()
}

/// `POST /api/commands` `{"text": "..."}`: runs chat commands (docs/commands.md).
#[utoipa::path(post, path = "/api/commands", tag = "commands", security(("hub_jwt" = [])), request_body = CommandArgs,
    responses((status = 200, description = "The run: Markdown content, structuredContent.steps, isError when a step failed", body = Answer),
        (status = 400, description = "Refused before running: parse error (details.position), unknown command (details.did_you_mean), bad option, chain mismatch, too long", body = ApiError),
        (status = 403, description = "A step's tool is not offered (read-only or MCPSERVER_TOOLS)", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn commands(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(args): AppJson<CommandArgs>,
) -> Result<Json<Answer>, ApiError> {
    let ctx = ToolContext::new(state, caller.user_id());
    Ok(Json(run_command(&ctx, &args.text).await?.answer()))
}

/// `POST /api/workflows/run` `{"steps": [...], "dry_run": false}`: runs or checks a workflow.
#[utoipa::path(post, path = "/api/workflows/run", tag = "commands", security(("hub_jwt" = [])), request_body = WorkflowArgs,
    responses((status = 200, description = "The run (or dry run): Markdown content, structuredContent.steps, isError when a step failed", body = Answer),
        (status = 400, description = "Refused before running: unknown tool (details.did_you_mean), bad reference or arguments (details.step), over 20 steps", body = ApiError),
        (status = 403, description = "A step's tool is not offered (read-only or MCPSERVER_TOOLS)", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn workflows(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(workflow): AppJson<WorkflowArgs>,
) -> Result<Json<Answer>, ApiError> {
    let ctx = ToolContext::new(state, caller.user_id());
    Ok(Json(run_workflow(&ctx, &workflow).await?.answer()))
}
