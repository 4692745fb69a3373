//! The tool registry: every tool's name, description, schemas, hints and implementation, in
//! one table. The MCP server lists and calls from it; chat commands and workflows
//! (`crate::commands`) run the same entries, so each action has exactly one implementation.

use super::context::{ToolContext, ToolError, ToolOutput};
use super::{jira, meta, notion};
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::sync::Arc;

type Handler =
    Arc<dyn Fn(ToolContext, Value) -> BoxFuture<'static, Result<ToolOutput, ToolError>> + Send + Sync>;
type Checker = Arc<dyn Fn(&Value) -> Result<(), ToolError> + Send + Sync>;

/// Which provider a tool belongs to (the `MCPSERVER_TOOLS` groups).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Jira,
    Notion,
    Meta,
}

/// One tool.
#[derive(Clone)]
pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub group: Group,
    /// Changes something at the provider (hidden by `MCPSERVER_READ_ONLY`).
    pub writes: bool,
    /// May destroy or overwrite data.
    pub destructive: bool,
    /// Repeating the call has no further effect.
    pub idempotent: bool,
    pub input_schema: Map<String, Value>,
    pub output_schema: Map<String, Value>,
    handler: Handler,
    checker: Checker,
}

impl ToolDef {
    /// Runs the tool with raw JSON arguments (validated against the argument type).
    pub async fn run(&self, ctx: ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        (self.handler)(ctx, args).await
    }

    /// Checks raw JSON arguments against the argument type, without running the tool.
    pub fn check(&self, args: &Value) -> Result<(), ToolError> {
        (self.checker)(args)
    }

    /// The tool as `tools/list` shows it.
    pub fn listing(&self) -> Value {
        json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": self.input_schema,
            "outputSchema": self.output_schema,
            "annotations": {
                "title": self.title,
                "readOnlyHint": !self.writes,
                "destructiveHint": self.destructive,
                "idempotentHint": self.idempotent || !self.writes,
                "openWorldHint": self.group != Group::Meta || self.writes,
            },
        })
    }
}

/// Compact JSON Schema of an argument type (no `$schema`, no `title`).
fn input_schema<A: JsonSchema>() -> Map<String, Value> {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(A)).unwrap_or_else(|_| json!({"type": "object"}));
    let object = schema.as_object_mut().expect("a schema is an object");
    object.remove("$schema");
    object.remove("title");
    object.entry("type").or_insert(json!("object"));
    object.clone()
}

/// An output schema: an object with these properties (loosely typed, kept small).
fn output(properties: &[(&str, &str)]) -> Map<String, Value> {
    let props: Map<String, Value> =
        properties.iter().map(|(name, kind)| (name.to_string(), json!({"type": kind}))).collect();
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(props));
    schema
}

#[allow(clippy::too_many_arguments)]
fn tool<A, F, Fut>(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    group: Group,
    (writes, destructive, idempotent): (bool, bool, bool),
    output_schema: Map<String, Value>,
    f: F,
) -> ToolDef
where
    A: DeserializeOwned + JsonSchema + Send + 'static,
    F: Fn(ToolContext, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<ToolOutput, ToolError>> + Send + 'static,
{
    let f = Arc::new(f);
    let handler: Handler = Arc::new(move |ctx, args| match parse_args::<A>(name, args) {
        Ok(parsed) => Box::pin(f(ctx, parsed)),
        Err(e) => Box::pin(std::future::ready(Err(e))),
    });
    let checker: Checker = Arc::new(move |args| parse_args::<A>(name, args.clone()).map(drop));
    ToolDef {
        name,
        title,
        description,
        group,
        writes,
        destructive,
        idempotent,
        input_schema: input_schema::<A>(),
        output_schema,
        handler,
        checker,
    }
}

/// Raw JSON arguments as the tool's argument type (null = no arguments).
fn parse_args<A: DeserializeOwned>(name: &str, args: Value) -> Result<A, ToolError> {
    let args = if args.is_null() { json!({}) } else { args };
    serde_json::from_value::<A>(args)
        .map_err(|e| ToolError::invalid(format!("invalid arguments for {name}: {e}")))
}

const READ: (bool, bool, bool) = (false, false, true);
const WRITE: (bool, bool, bool) = (true, false, false);
const WRITE_IDEMPOTENT: (bool, bool, bool) = (true, false, true);
const OVERWRITE: (bool, bool, bool) = (true, true, true);
/// Runs other tools, any of which may write or overwrite.
const RUNS_TOOLS: (bool, bool, bool) = (true, true, false);

/// Every tool this server has.
pub fn all_tools() -> Vec<ToolDef> {
    use Group::*;
    let issues = output(&[("issues", "array"), ("next_page_token", "string"), ("is_last", "boolean")]);
    let key = |more: &[(&str, &str)]| {
        let mut p = vec![("key", "string")];
        p.extend_from_slice(more);
        output(&p)
    };
    vec![
        tool(
            "jira_search",
            "Search Jira issues",
            "Search Jira issues with JQL. Returns key, summary, status, assignee, priority, URL; page with next_page_token.",
            Jira,
            READ,
            issues,
            jira::search,
        ),
        tool(
            "jira_get_issue",
            "Get a Jira issue",
            "One Jira issue with its description and recent comments as Markdown.",
            Jira,
            READ,
            key(&[
                ("summary", "string"),
                ("description", "string"),
                ("comments", "array"),
                ("url", "string"),
            ]),
            jira::get_issue,
        ),
        tool(
            "jira_create_issue",
            "Create a Jira issue",
            "Create a Jira issue. The description is Markdown; assignee is an account id or `me`.",
            Jira,
            WRITE,
            key(&[("id", "string"), ("url", "string")]),
            jira::create_issue,
        ),
        tool(
            "jira_update_issue",
            "Update a Jira issue",
            "Change a Jira issue's summary, Markdown description, priority or labels.",
            Jira,
            OVERWRITE,
            key(&[("updated", "array")]),
            jira::update_issue,
        ),
        tool(
            "jira_add_comment",
            "Comment on a Jira issue",
            "Add a Markdown comment to a Jira issue.",
            Jira,
            WRITE,
            key(&[("comment", "object")]),
            jira::add_comment,
        ),
        tool(
            "jira_get_comments",
            "Read Jira comments",
            "The most recent comments of a Jira issue, as Markdown.",
            Jira,
            READ,
            key(&[("comments", "array")]),
            jira::get_comments,
        ),
        tool(
            "jira_get_transitions",
            "List Jira transitions",
            "The workflow transitions available for a Jira issue now.",
            Jira,
            READ,
            key(&[("transitions", "array")]),
            jira::get_transitions,
        ),
        tool(
            "jira_transition_issue",
            "Move a Jira issue",
            "Move a Jira issue through its workflow by transition name or id, or target status; optional Markdown comment.",
            Jira,
            WRITE_IDEMPOTENT,
            key(&[("status", "string")]),
            jira::transition_issue,
        ),
        tool(
            "jira_assign_issue",
            "Assign a Jira issue",
            "Assign a Jira issue to an account id, `me`, or `none`.",
            Jira,
            WRITE_IDEMPOTENT,
            key(&[("assignee", "string")]),
            jira::assign_issue,
        ),
        tool(
            "jira_list_projects",
            "List Jira projects",
            "Jira projects visible to the user, optionally filtered.",
            Jira,
            READ,
            output(&[("projects", "array")]),
            jira::list_projects,
        ),
        tool(
            "jira_search_users",
            "Find Jira users",
            "Find Jira users by name or email; returns account ids.",
            Jira,
            READ,
            output(&[("users", "array")]),
            jira::search_users,
        ),
        tool(
            "jira_list_sites",
            "List Jira sites",
            "The Jira sites of the user's connection and which is the default.",
            Jira,
            READ,
            output(&[("sites", "array")]),
            jira::list_sites,
        ),
        tool(
            "notion_search",
            "Search Notion",
            "Search Notion pages and databases shared with the integration by title.",
            Notion,
            READ,
            output(&[("results", "array"), ("next_cursor", "string")]),
            notion::search,
        ),
        tool(
            "notion_get_page",
            "Read a Notion page",
            "A Notion page's properties and content as Markdown (bounded).",
            Notion,
            READ,
            output(&[
                ("id", "string"),
                ("title", "string"),
                ("content", "string"),
                ("properties", "object"),
                ("url", "string"),
            ]),
            notion::get_page,
        ),
        tool(
            "notion_create_page",
            "Create a Notion page",
            "Create a Notion page under a page or a database (data source) with a title and Markdown content.",
            Notion,
            WRITE,
            output(&[("id", "string"), ("url", "string"), ("title", "string")]),
            notion::create_page,
        ),
        tool(
            "notion_update_page",
            "Update a Notion page",
            "Change a Notion page's title or properties, or move it to trash / restore it.",
            Notion,
            OVERWRITE,
            output(&[("id", "string"), ("title", "string"), ("properties", "object")]),
            notion::update_page,
        ),
        tool(
            "notion_append_content",
            "Append to a Notion page",
            "Append Markdown content to the end of a Notion page.",
            Notion,
            WRITE,
            output(&[("page", "string"), ("blocks_added", "integer")]),
            notion::append_content,
        ),
        tool(
            "notion_query_data_source",
            "Query a Notion database",
            "Rows of a Notion database (data source) with optional filter and sorts.",
            Notion,
            READ,
            output(&[("rows", "array"), ("next_cursor", "string")]),
            notion::query_data_source,
        ),
        tool(
            "notion_get_data_source",
            "Notion database schema",
            "The properties (columns) of a Notion database and their options.",
            Notion,
            READ,
            output(&[("id", "string"), ("title", "string"), ("properties", "object")]),
            notion::get_data_source,
        ),
        tool(
            "notion_add_comment",
            "Comment on a Notion page",
            "Add a comment to a Notion page.",
            Notion,
            WRITE,
            output(&[("id", "string"), ("page", "string")]),
            notion::add_comment,
        ),
        tool(
            "notion_get_comments",
            "Read Notion comments",
            "The comments on a Notion page or block.",
            Notion,
            READ,
            output(&[("comments", "array")]),
            notion::get_comments,
        ),
        tool(
            "connections_status",
            "Connection status",
            "Which providers this user has connected, their state, and a connect URL for each that is missing or needs re-authorization.",
            Meta,
            READ,
            output(&[("connections", "array")]),
            meta::connections_status,
        ),
        tool(
            "run_command",
            "Run a chat command",
            "Run chat commands as people type them, e.g. `/jira get PLAT-12 | /notion create <page>`; `/help` lists them. Result per step.",
            Meta,
            WRITE,
            output(&[("ok", "boolean"), ("steps", "array")]),
            crate::commands::run_command_tool,
        ),
        tool(
            "run_workflow",
            "Run a workflow",
            "Run tool calls in order; args may reference earlier results (`${steps[0].key}`, `${prev.url}`). Stops at the first failure; dry_run only checks.",
            Meta,
            RUNS_TOOLS,
            output(&[("ok", "boolean"), ("dry_run", "boolean"), ("steps", "array")]),
            crate::commands::run_workflow_tool,
        ),
    ]
}

/// The tools this deployment offers (`MCPSERVER_TOOLS`, `MCPSERVER_READ_ONLY`).
pub struct ToolSet {
    tools: Vec<ToolDef>,
}

impl ToolSet {
    /// Selects from all tools: `selection` lists names and groups (`jira`, `notion`); empty
    /// means all. Meta tools are always offered.
    pub fn new(selection: &[String], read_only: bool) -> Self {
        let tools = all_tools()
            .into_iter()
            .filter(|t| !(read_only && t.writes))
            .filter(|t| {
                selection.is_empty()
                    || t.group == Group::Meta
                    || selection.iter().any(|s| {
                        s == t.name
                            || (s == "jira" && t.group == Group::Jira)
                            || (s == "notion" && t.group == Group::Notion)
                    })
            })
            .collect();
        Self { tools }
    }

    /// A tool by name.
    pub fn get(&self, name: &str) -> Option<&ToolDef> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// All offered tools.
    pub fn iter(&self) -> impl Iterator<Item = &ToolDef> {
        self.tools.iter()
    }
}

/// Names accepted in `MCPSERVER_TOOLS`.
pub fn known_selectors() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = all_tools().iter().map(|t| t.name).collect();
    names.extend(["jira", "notion"]);
    names
}
