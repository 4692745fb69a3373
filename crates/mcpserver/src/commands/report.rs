//! The report of a run: every step with its status and result, as Markdown for the chat and
//! as structured content, in the MCP result shape (`content`, `structuredContent`, `isError`).

use crate::http::ApiError;
use crate::mcp::context::{Reply, ToolError, ToolOutput};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// What became of one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Error,
    /// Not run because an earlier step failed.
    Skipped,
    /// A dry run: checked, not run.
    Planned,
}

/// One step of a run.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StepReport {
    /// 0-based, as in `${steps[N]}`.
    pub index: usize,
    /// The step as typed (commands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    pub status: Status,
    /// The arguments the tool was (or, in a dry run, would be) called with.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Map<String, Value>>")]
    pub args: Option<Value>,
    /// The tool's structured result.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Map<String, Value>>")]
    pub result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    /// Why a step was skipped, or what a dry run could not check yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The result as Markdown (in the run's Markdown, not in the structured content).
    #[serde(skip)]
    #[schemars(skip)]
    pub markdown: String,
}

impl StepReport {
    /// A step not run yet.
    pub fn new(index: usize, command: Option<String>, tool: Option<&str>) -> Self {
        Self {
            index,
            command,
            tool: tool.map(str::to_string),
            status: Status::Skipped,
            args: None,
            result: None,
            error: None,
            note: None,
            markdown: String::new(),
        }
    }

    /// A step that ran and answered.
    pub fn succeeded(mut self, output: ToolOutput) -> Self {
        self.status = Status::Ok;
        self.result = Some(output.structured);
        self.markdown = output.markdown;
        self
    }

    /// A step that failed.
    pub fn failed(mut self, error: ApiError) -> Self {
        self.status = Status::Error;
        self.error = Some(error);
        self
    }

    /// A step not run because an earlier one failed.
    pub fn skipped(mut self) -> Self {
        self.status = Status::Skipped;
        self.note = Some("not run: an earlier step failed".into());
        self
    }

    /// How the step is named in Markdown.
    fn label(&self) -> String {
        let name = self.command.as_deref().or(self.tool.as_deref()).unwrap_or("step");
        let short: String = name.chars().take(80).collect();
        let ellipsis = if short.len() < name.len() { "…" } else { "" };
        format!("`{}{ellipsis}`", short.replace('`', "'"))
    }

    /// The step as a Markdown section.
    fn section(&self, numbered: bool) -> String {
        let title =
            if numbered { format!("**{}. {}**", self.index + 1, self.label()) } else { String::new() };
        let body = match (self.status, &self.error) {
            (Status::Ok, _) => self.markdown.clone(),
            (Status::Error, Some(e)) => failure(e),
            (Status::Skipped, _) => "Skipped: an earlier step failed.".into(),
            _ => self.plan(),
        };
        if numbered { format!("{title}\n\n{body}") } else { body }
    }

    fn plan(&self) -> String {
        let args = self.args.as_ref().map(Value::to_string).unwrap_or_default();
        let mut out = format!("Would call `{}` with `{args}`.", self.tool.as_deref().unwrap_or_default());
        if let Some(note) = &self.note {
            out.push_str(&format!(" ({note})"));
        }
        out
    }
}

/// An error for the chat: its message, and the connect link or retry time when there is one.
fn failure(e: &ApiError) -> String {
    let mut out = format!("**Failed:** {}", e.message);
    if let Some(url) = &e.connect_url {
        out.push_str(&format!("\n\nConnect here: {url}"));
    }
    if let Some(secs) = e.retry_after {
        out.push_str(&format!("\n\nRetry after {secs} s."));
    }
    out
}

/// The structured result of `run_command` and `run_workflow`.
#[derive(Serialize, JsonSchema)]
pub struct Run {
    /// No step failed.
    pub ok: bool,
    /// Checked, not run.
    pub dry_run: bool,
    pub steps: Vec<StepReport>,
}

/// A whole run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    pub steps: Vec<StepReport>,
}

/// The HTTP answer of a run, shaped like an MCP tool result.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Answer {
    /// `[{"type": "text", "text": "<Markdown for the chat>"}]`
    #[schema(value_type = Vec<Object>)]
    pub content: Vec<Value>,
    /// `{"ok", "dry_run", "steps": [{index, command, tool, status, args, result, error, note}]}`
    #[serde(rename = "structuredContent")]
    #[schema(value_type = Object)]
    pub structured_content: Value,
    /// A step failed.
    #[serde(rename = "isError")]
    pub is_error: bool,
}

impl Report {
    /// No step failed.
    pub fn ok(&self) -> bool {
        self.steps.iter().all(|s| s.status != Status::Error)
    }

    /// The run for the chat: one step's Markdown, or a numbered section per step.
    pub fn markdown(&self) -> String {
        let numbered = self.steps.len() > 1 || self.dry_run;
        self.steps.iter().map(|s| s.section(numbered)).collect::<Vec<_>>().join("\n\n")
    }

    /// `{"ok", "dry_run", "steps"}`
    pub fn structured(&self) -> Value {
        json!(self.run())
    }

    fn run(&self) -> Run {
        Run { ok: self.ok(), dry_run: self.dry_run, steps: self.steps.clone() }
    }

    /// The HTTP answer.
    pub fn answer(&self) -> Answer {
        Answer {
            content: vec![json!({"type": "text", "text": self.markdown()})],
            structured_content: self.structured(),
            is_error: !self.ok(),
        }
    }

    /// The MCP tool result: the report, or, when a step failed, that step's error (code,
    /// connect URL…) with the whole report in `details.steps`.
    pub fn into_tool_result(self) -> Result<Reply<Run>, ToolError> {
        let failed = self.steps.iter().find(|s| s.status == Status::Error);
        let Some(step) = failed else {
            return Ok(Reply::new(self.run(), self.markdown()));
        };
        let cause =
            step.error.clone().unwrap_or_else(|| ApiError::internal("a failed step without an error"));
        let mut error = cause.clone();
        error.message = format!("step {} ({}) failed: {}", step.index + 1, step.label(), cause.message);
        let error = error.with_details(json!({"steps": self.steps}));
        Err(ToolError(error))
    }
}
