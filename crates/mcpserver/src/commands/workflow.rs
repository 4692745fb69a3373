//! Workflows as data: `{"steps": [{"tool", "args"}], "dry_run"}`. Arguments may reference
//! earlier results: a string that is exactly `${steps[N].path}` or `${prev.path}` becomes that
//! value (any JSON type); references inside a longer string are replaced by their text; `$${`
//! is a literal `${`. Every step is checked before the first runs; the run stops at the first
//! failure, and nothing is retried.

use super::catalog::distance;
use super::report::{Report, Status, StepReport};
use super::run::run_tool;
use crate::http::ApiError;
use crate::mcp::context::{ToolContext, ToolError};
use crate::mcp::registry::{ToolDef, ToolSet};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Most steps in one workflow.
pub(crate) const MAX_STEPS: usize = 20;

/// Arguments of `run_workflow` and the body of `POST /api/workflows/run`.
#[derive(Debug, Deserialize, JsonSchema, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowArgs {
    /// Tool calls run in order (at most 20).
    pub steps: Vec<WorkflowStep>,
    /// Check the steps and show the calls without running them.
    #[serde(default)]
    pub dry_run: bool,
}

/// One tool call of a workflow.
#[derive(Debug, Deserialize, JsonSchema, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowStep {
    /// A tool name from tools/list, e.g. `jira_get_issue`.
    pub tool: String,
    /// The tool's arguments; strings may hold `${steps[N].field}` or `${prev.field}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub args: Map<String, Value>,
}

/// Checks and runs (or, with `dry_run`, only checks) a workflow for the caller.
pub(crate) async fn run(ctx: &ToolContext, workflow: &WorkflowArgs) -> Result<Report, ApiError> {
    let tools = &ctx.state.tools;
    let checked = check(workflow, tools)?;
    if workflow.dry_run {
        return Ok(plan(workflow, &checked));
    }
    let mut report = Report::default();
    let mut results: Vec<Value> = Vec::new();
    for (index, (step, tool)) in workflow.steps.iter().zip(&checked).enumerate() {
        let entry = StepReport::new(index, None, Some(tool.name));
        if !report.ok() {
            report.steps.push(entry.skipped());
            continue;
        }
        let entry = run_step(ctx, tool, step, &results, entry).await;
        if let Some(result) = &entry.result {
            results.push(result.clone());
        }
        report.steps.push(entry);
        let total = workflow.steps.len();
        ctx.progress.report(index + 1, Some(total), format!("step {} of {total} done", index + 1)).await;
    }
    Ok(report)
}

async fn run_step(
    ctx: &ToolContext,
    tool: &ToolDef,
    step: &WorkflowStep,
    results: &[Value],
    mut entry: StepReport,
) -> StepReport {
    let args = match resolve(&Value::Object(step.args.clone()), results, entry.index) {
        Ok(args) => args,
        Err(e) => return entry.failed(e),
    };
    entry.args = Some(args.clone());
    match run_tool(ctx, tool, args, "workflow").await {
        Ok(output) => entry.succeeded(output),
        Err(e) => entry.failed(e),
    }
}

/// The calls a dry run would make.
fn plan(workflow: &WorkflowArgs, tools: &[&ToolDef]) -> Report {
    let steps = workflow.steps.iter().zip(tools).enumerate().map(|(index, (step, tool))| {
        let mut entry = StepReport::new(index, None, Some(tool.name));
        entry.status = Status::Planned;
        entry.args = Some(Value::Object(step.args.clone()));
        let has_references = !references(&Value::Object(step.args.clone())).unwrap_or_default().is_empty();
        if has_references {
            entry.note =
                Some("references are resolved, and these arguments checked, when the step runs".into());
        }
        entry
    });
    Report { dry_run: true, steps: steps.collect() }
}

/// Checks every step: a known tool offered here, well-formed references to earlier steps,
/// and arguments the tool accepts (for steps without references).
fn check<'t>(workflow: &WorkflowArgs, tools: &'t ToolSet) -> Result<Vec<&'t ToolDef>, ApiError> {
    if workflow.steps.is_empty() {
        return Err(ApiError::invalid("a workflow needs at least one step"));
    }
    if workflow.steps.len() > MAX_STEPS {
        return Err(ApiError::invalid(format!(
            "a workflow has at most {MAX_STEPS} steps, not {}",
            workflow.steps.len()
        ))
        .with_details(json!({"max_steps": MAX_STEPS})));
    }
    workflow.steps.iter().enumerate().map(|(index, step)| check_step(tools, index, step)).collect()
}

fn check_step<'t>(tools: &'t ToolSet, index: usize, step: &WorkflowStep) -> Result<&'t ToolDef, ApiError> {
    let tool = step_tool(tools, index, &step.tool)?;
    let args = Value::Object(step.args.clone());
    let found = references(&args).map_err(|e| at_step(index, e))?;
    for reference in &found {
        let target = reference.target(index).map_err(|e| at_step(index, e))?;
        if target >= index {
            return Err(at_step(
                index,
                format!("`{}` refers to a step that has not run yet", reference.source),
            ));
        }
    }
    if found.is_empty() {
        tool.check(&args).map_err(|ToolError(e)| at_step(index, e.message))?;
    }
    Ok(tool)
}

fn at_step(index: usize, message: String) -> ApiError {
    ApiError::invalid(format!("steps[{index}]: {message}")).with_details(json!({"step": index}))
}

/// The offered tool a step names: workflows cannot nest, unknown names get suggestions, and
/// tools this deployment hides (read-only, `MCPSERVER_TOOLS`) are refused.
fn step_tool<'t>(tools: &'t ToolSet, index: usize, name: &str) -> Result<&'t ToolDef, ApiError> {
    if matches!(name, "run_command" | "run_workflow") {
        return Err(at_step(index, format!("`{name}` cannot be a workflow step")));
    }
    if let Some(tool) = tools.get(name) {
        return Ok(tool);
    }
    if tools.known(name).is_some() {
        return Err(ApiError::forbidden(format!(
            "steps[{index}]: this server does not offer `{name}` (read-only, or not in MCPSERVER_TOOLS)"
        ))
        .with_details(json!({"step": index, "tool": name})));
    }
    let mut close: Vec<(usize, &str)> = tools
        .iter()
        .map(|t| (distance(name, t.name), t.name))
        .filter(|(d, _)| *d <= (name.len() / 3).max(2))
        .collect();
    close.sort();
    let suggestions: Vec<&str> = close.iter().take(3).map(|(_, n)| *n).collect();
    let shown: String = name.chars().take(64).collect();
    let more = if shown.len() < name.len() { "…" } else { "" };
    Err(ApiError::invalid(format!("steps[{index}]: unknown tool `{shown}{more}`"))
        .with_details(json!({"step": index, "did_you_mean": suggestions})))
}

/// Where a reference points.
#[derive(Clone, Debug, PartialEq)]
enum Root {
    Step(usize),
    Prev,
}

/// One step into a result.
#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// `${steps[N].a.b[0]}` or `${prev.url}`.
#[derive(Clone, Debug, PartialEq)]
struct Reference {
    source: String,
    root: Root,
    path: Vec<Segment>,
}

/// A string split into literal text and references.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Ref(Reference),
}

impl Reference {
    /// The index of the step it reads, for a step at `index`.
    fn target(&self, index: usize) -> Result<usize, String> {
        match self.root {
            Root::Step(n) => Ok(n),
            Root::Prev => index.checked_sub(1).ok_or_else(|| "`${prev…}` in the first step".to_string()),
        }
    }

    /// The value it names in the results so far.
    fn lookup(&self, results: &[Value], index: usize) -> Result<Value, String> {
        let target = self.target(index)?;
        let mut value =
            results.get(target).ok_or_else(|| format!("`{}`: step {target} has no result", self.source))?;
        for segment in &self.path {
            let next = match segment {
                Segment::Key(key) => value.get(key),
                Segment::Index(i) => value.get(i),
            };
            value = next.ok_or_else(|| {
                format!("`{}`: the result of steps[{target}] has no such field", self.source)
            })?;
        }
        Ok(value.clone())
    }
}

/// Every reference in a JSON value's strings.
fn references(value: &Value) -> Result<Vec<Reference>, String> {
    let mut out = Vec::new();
    match value {
        Value::String(s) => out.extend(pieces(s)?.into_iter().filter_map(|p| match p {
            Piece::Ref(r) => Some(r),
            Piece::Text(_) => None,
        })),
        Value::Array(items) => {
            for item in items {
                out.extend(references(item)?);
            }
        }
        Value::Object(map) => {
            for item in map.values() {
                out.extend(references(item)?);
            }
        }
        _ => {}
    }
    Ok(out)
}

/// A copy of `value` with every reference replaced from `results` (step `index` running).
fn resolve(value: &Value, results: &[Value], index: usize) -> Result<Value, ApiError> {
    let resolved = match value {
        Value::String(s) => resolve_string(s, results, index).map_err(|e| at_step(index, e))?,
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| resolve(v, results, index)).collect::<Result<_, _>>()?)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, results, index)?)))
                .collect::<Result<_, ApiError>>()?,
        ),
        other => other.clone(),
    };
    Ok(resolved)
}

fn resolve_string(s: &str, results: &[Value], index: usize) -> Result<Value, String> {
    let parts = pieces(s)?;
    if let [Piece::Ref(only)] = parts.as_slice() {
        return only.lookup(results, index);
    }
    let mut out = String::new();
    for part in parts {
        match part {
            Piece::Text(text) => out.push_str(&text),
            Piece::Ref(r) => match r.lookup(results, index)? {
                Value::String(text) => out.push_str(&text),
                other => out.push_str(&other.to_string()),
            },
        }
    }
    Ok(Value::String(out))
}

/// Splits a string into text and `${…}` references; `$${` is a literal `${`.
fn pieces(s: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        text.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("$${") {
            text.push_str("${");
            rest = after;
        } else if let Some(after) = rest.strip_prefix("${") {
            let end =
                after.find('}').ok_or_else(|| format!("`{}` is never closed with `}}`", short(rest)))?;
            if !text.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut text)));
            }
            out.push(Piece::Ref(reference(&after[..end])?));
            rest = &after[end + 1..];
        } else {
            text.push('$');
            rest = &rest[1..];
        }
    }
    text.push_str(rest);
    if !text.is_empty() || out.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Parses the inside of `${…}`: `steps[N]` or `prev`, then `.field` and `[index]` parts.
fn reference(inner: &str) -> Result<Reference, String> {
    let source = format!("${{{inner}}}");
    let bad = |why: &str| format!("`{source}` is not a reference: {why}");
    let trimmed = inner.trim();
    let (root, mut rest) = if let Some(rest) = trimmed.strip_prefix("prev") {
        (Root::Prev, rest)
    } else if let Some(rest) = trimmed.strip_prefix("steps[") {
        let close = rest.find(']').ok_or_else(|| bad("`steps[` needs a `]`"))?;
        let n = rest[..close].trim().parse().map_err(|_| bad("steps[N] needs a number"))?;
        (Root::Step(n), &rest[close + 1..])
    } else {
        return Err(bad("it starts with steps[N] or prev"));
    };
    let mut path = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return Err(bad("a `.` needs a field name"));
            }
            path.push(Segment::Key(after[..end].to_string()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']').ok_or_else(|| bad("a `[` needs a `]`"))?;
            path.push(Segment::Index(after[..close].trim().parse().map_err(|_| bad("[N] needs a number"))?));
            rest = &after[close + 1..];
        } else {
            return Err(bad("fields are written .name or [N]"));
        }
    }
    Ok(Reference { source, root, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_to_values_or_text() {
        let results = vec![json!({"key": "PLAT-9", "issues": [{"key": "PLAT-1"}], "n": 3})];
        let args = json!({
            "issue_key": "${steps[0].key}",
            "first": "${prev.issues[0].key}",
            "count": "${prev.n}",
            "body": "See ${steps[0].key} (${prev.n} found), not $${literal}",
        });
        let resolved = resolve(&args, &results, 1).unwrap();
        assert_eq!(
            resolved,
            json!({"issue_key": "PLAT-9", "first": "PLAT-1", "count": 3, "body": "See PLAT-9 (3 found), not ${literal}"})
        );
    }

    #[test]
    fn bad_references_say_what_is_wrong() {
        assert!(pieces("${steps[0].key").unwrap_err().contains("never closed"));
        assert!(reference("step[0]").unwrap_err().contains("steps[N] or prev"));
        assert!(reference("steps[x]").unwrap_err().contains("number"));
        assert!(reference("prev..a").unwrap_err().contains("field name"));
        let missing = resolve(&json!("${prev.nope}"), &[json!({})], 1).unwrap_err();
        assert!(missing.message.contains("no such field"), "{}", missing.message);
        assert_eq!(reference("prev").unwrap().target(0).unwrap_err(), "`${prev…}` in the first step");
    }
}
