//! Running a chain of commands. Every step is checked before anything runs (a known command,
//! its tool offered here, its arguments, and what it takes from the step before); then the
//! steps run in order through the registry tools, each handing its documents to the next.
//! The run stops at the first failure and nothing is retried.

use super::catalog::{
    Action, Args, BuildError, Call, Catalog, Command, Prepare, Takes, connect_provider, find,
};
use super::chain::{Gives, Piped};
use super::help;
use super::lookup;
use super::parse::{self, Step};
use super::report::{Report, StepReport};
use crate::domain::Provider;
use crate::http::ApiError;
use crate::mcp::context::{ToolContext, ToolError, ToolOutput};
use crate::mcp::registry::{ToolDef, ToolSet};
use serde_json::{Value, json};

/// A checked step: what was typed and its command.
pub(super) struct Planned {
    pub step: Step,
    pub command: &'static Command,
}

/// Parses and checks a chain without running anything.
pub(super) fn check(text: &str, tools: &ToolSet) -> Result<Vec<Planned>, ApiError> {
    let steps = parse::parse(text, &Catalog)?;
    let mut planned: Vec<Planned> = Vec::new();
    for (index, step) in steps.into_iter().enumerate() {
        let command =
            find(&step.path).ok_or_else(|| ApiError::internal("the parser accepted an unknown command"))?;
        offered(command, tools, index, &step)?;
        let previous = planned.last();
        check_takes(command, index, &step, previous)?;
        let sample = previous.map(|p| Piped::sample(p.command.gives));
        validate(command, &step, sample.as_ref()).map_err(|e| step_error(e, index, &step, previous))?;
        planned.push(Planned { step, command });
    }
    Ok(planned)
}

/// Refuses a command whose tool this deployment does not offer (read-only, `MCPSERVER_TOOLS`).
fn offered(command: &Command, tools: &ToolSet, index: usize, step: &Step) -> Result<(), ApiError> {
    match command.tool() {
        Some(tool) if tools.get(tool).is_none() => Err(ApiError::forbidden(format!(
            "{} is not available here: this server does not offer `{tool}` (read-only, or not in MCPSERVER_TOOLS)",
            command.name()
        ))
        .with_details(json!({"step": index, "position": step.head.start, "tool": tool}))),
        _ => Ok(()),
    }
}

/// Refuses a step that cannot take what the previous command gives.
fn check_takes(
    command: &Command,
    index: usize,
    step: &Step,
    previous: Option<&Planned>,
) -> Result<(), ApiError> {
    let Some(previous) = previous else {
        return Ok(());
    };
    let reason = match (command.takes, previous.command.gives) {
        (_, Gives::Nothing) => return Ok(()),
        (Takes::Nothing, _) => format!("{} takes no input", command.name()),
        (Takes::One, Gives::Many(_)) => format!("{} takes one document, not a list", command.name()),
        _ => return Ok(()),
    };
    Err(chain_error(reason, index, step, previous))
}

/// "step 2 (/jira create) cannot take the output of step 1 (/jira search, which gives a list of Jira issues): …"
fn chain_error(reason: String, index: usize, step: &Step, previous: &Planned) -> ApiError {
    let gives = Piped::sample(previous.command.gives).describe();
    ApiError::invalid(format!(
        "step {} ({}) cannot take the output of step {} ({}, which gives {gives}): {reason}",
        index + 1,
        step.name(),
        index,
        previous.step.name(),
    ))
    .with_details(json!({
        "step": index,
        "position": step.head.start,
        "previous": previous.step.name(),
        "previous_gives": gives,
    }))
}

fn step_error(error: BuildError, index: usize, step: &Step, previous: Option<&Planned>) -> ApiError {
    match (error, previous) {
        (BuildError::Arg(e), _) => e.with("step", json!(index)).into(),
        (BuildError::Input(reason), Some(previous)) => chain_error(reason, index, step, previous),
        (BuildError::Input(reason), None) => parse::ParseError::at(step.head.start, reason).into(),
    }
}

/// Builds the step's call (or help topic, or provider) to check it; `input` stands in for
/// the previous step's output.
fn validate(command: &Command, step: &Step, input: Option<&Piped>) -> Result<(), BuildError> {
    let args = Args::new(command, step, input)?;
    match command.action {
        Action::Tool(_, build) => build(&args).map(drop),
        Action::Help => help::topic(&args).map(drop),
        Action::Connect => connect_provider(&args).map(drop),
    }
}

/// Checks and runs a chain for the caller.
pub(super) async fn run(ctx: &ToolContext, text: &str) -> Result<Report, ApiError> {
    let tools = &ctx.state.tools;
    let planned = check(text, tools)?;
    let mut report = Report::default();
    let mut input: Option<Piped> = None;
    let total = planned.len();
    for (index, planned) in planned.iter().enumerate() {
        let mut entry = StepReport::new(index, Some(planned.step.source.clone()), planned.command.tool());
        if !report.ok() {
            report.steps.push(entry.skipped());
            continue;
        }
        let entry = match execute(ctx, tools, planned, input.as_ref(), &mut entry).await {
            Ok((output, piped)) => {
                input = Some(piped);
                entry.succeeded(output)
            }
            Err(error) => entry.failed(error),
        };
        report.steps.push(entry);
        ctx.progress.report(index + 1, Some(total), format!("step {} of {total} done", index + 1)).await;
    }
    Ok(report)
}

/// Runs one step with the real input; records the final arguments in `entry`.
async fn execute(
    ctx: &ToolContext,
    tools: &ToolSet,
    planned: &Planned,
    input: Option<&Piped>,
    entry: &mut StepReport,
) -> Result<(ToolOutput, Piped), ApiError> {
    let args = Args::new(planned.command, &planned.step, input).map_err(runtime)?;
    match planned.command.action {
        Action::Help => Ok((help::help(&help::topic(&args).map_err(runtime)?, tools), Piped::Nothing)),
        Action::Connect => {
            Ok((connect(ctx, connect_provider(&args).map_err(runtime)?).await?, Piped::Nothing))
        }
        Action::Tool(_, build) => {
            let call = prepare(ctx, tools, build(&args).map_err(runtime)?).await?;
            entry.args = Some(call.args.clone());
            let tool = offered_tool(tools, call.tool)?;
            let output = run_tool(ctx, tool, call.args, "command").await?;
            let piped = Piped::from_result(tool.group, &output.structured);
            Ok((output, piped))
        }
    }
}

/// A build error met while running (the real input differs from the checked stand-in).
fn runtime(error: BuildError) -> ApiError {
    match error {
        BuildError::Arg(e) => e.into(),
        BuildError::Input(reason) => ApiError::invalid(reason),
    }
}

/// Does the call's lookup, if it has one, and puts its answer into the arguments.
async fn prepare(ctx: &ToolContext, tools: &ToolSet, mut call: Call) -> Result<Call, ApiError> {
    match call.prepare.take() {
        None => {}
        Some(Prepare::JiraAccount { field, name }) => {
            call.args[field] = json!(lookup::jira_account(ctx, tools, &name).await?);
        }
        Some(Prepare::NotionFilter { conditions }) => {
            let data_source = call.args["data_source"].as_str().unwrap_or_default().to_string();
            call.args["filter"] = lookup::notion_filter(ctx, tools, &data_source, &conditions).await?;
        }
    }
    Ok(call)
}

/// `/connect jira|notion`: a fresh connect URL for the caller.
async fn connect(ctx: &ToolContext, provider: Provider) -> Result<ToolOutput, ApiError> {
    let flow = crate::oauth::start_flow(&ctx.state, &ctx.user_id, provider, None)?;
    let name = provider.display_name();
    let minutes = crate::oauth::STATE_TTL_SECS / 60;
    let markdown = format!(
        "[Connect {name}]({}) — the link works in the first browser that opens it, once, for {minutes} minutes.",
        flow.url
    );
    Ok(ToolOutput::new(
        json!({"provider": provider, "url": flow.url, "expires_at": flow.expires_at}),
        markdown,
    ))
}

/// A tool of the deployment's set, or `forbidden` when it is not offered.
pub(super) fn offered_tool<'t>(tools: &'t ToolSet, name: &str) -> Result<&'t ToolDef, ApiError> {
    tools.get(name).ok_or_else(|| {
        ApiError::forbidden(format!(
            "this server does not offer `{name}` (read-only, or not in MCPSERVER_TOOLS)"
        ))
        .with_details(json!({"tool": name}))
    })
}

/// Runs one registry tool for a step (`via`: `command` or `workflow`); the step's run reports
/// the progress, not the tool.
pub(super) async fn run_tool(
    ctx: &ToolContext,
    tool: &ToolDef,
    args: Value,
    via: &str,
) -> Result<ToolOutput, ApiError> {
    tool.call(ctx.quiet(), args, via).await.map_err(|ToolError(e)| e)
}
