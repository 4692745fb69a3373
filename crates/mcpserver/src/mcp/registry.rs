//! The tool registry: what a tool is (name, description, schemas, hints, implementation) and
//! the set a deployment offers. Each module defines its own tools next to their code
//! (`jira::tools()`, `notion::tools()`, `meta::tools()`, `commands::tools()`, listed together by
//! `mcp::all_tools`, so this file knows none of them); the MCP server lists and calls from the
//! set, and chat commands and workflows run the same entries, so each action has exactly one
//! implementation.
//!
//! A tool's input and output schemas are derived from its argument and result types, so a
//! result cannot drift from its `outputSchema`; both are brought into a portable subset of
//! JSON Schema (see `portability_problems`) that strict clients accept.

use super::context::{Reply, ToolContext, ToolError, ToolOutput};
use futures::future::BoxFuture;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::sync::Arc;

type Handler =
    Arc<dyn Fn(ToolContext, Value) -> BoxFuture<'static, Result<ToolOutput, ToolError>> + Send + Sync>;
type Checker = Arc<dyn Fn(&Value) -> Result<(), ToolError> + Send + Sync>;

/// Which provider a tool belongs to (the groups `jira` and `notion` of a selection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Jira,
    Notion,
    Meta,
}

impl Group {
    /// The group's name in a selection (`None`: meta tools, always offered).
    fn selector(self) -> Option<&'static str> {
        match self {
            Self::Jira => Some("jira"),
            Self::Notion => Some("notion"),
            Self::Meta => None,
        }
    }
}

/// A named set of tools of one kind, which a deployment (`MCPSERVER_TOOLS`) or a client (the
/// `toolsets` of `/mcp`) can select. Each tool module declares its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Toolset {
    pub name: &'static str,
    pub group: Group,
    /// What its tools are for, in a few words (docs, and the error naming the toolsets).
    pub about: &'static str,
}

/// Which tools a list of names picks: tool names, toolsets and the groups `jira` and
/// `notion`; an empty list picks every tool. Meta tools are always picked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection(Vec<String>);

impl Selection {
    /// The selection of `names`, or what is wrong with it: the names no tool, toolset or group
    /// of `all` has, with the toolsets there are.
    pub fn of<'a>(
        names: Vec<String>,
        all: impl Iterator<Item = &'a ToolDef> + Clone,
    ) -> Result<Self, String> {
        let unknown: Vec<&str> = (names.iter())
            .map(String::as_str)
            .filter(|name| !all.clone().any(|tool| names_tool(name, tool)))
            .collect();
        if unknown.is_empty() {
            return Ok(Self(names));
        }
        let sets: Vec<&str> = toolsets(all).iter().map(|t| t.name).collect();
        Err(format!(
            "unknown tool or toolset {}; name toolsets ({}), the groups jira and notion, or tool names",
            unknown.join(", "),
            sets.join(", ")
        ))
    }

    /// Whether the selection picks `tool`.
    pub fn picks(&self, tool: &ToolDef) -> bool {
        self.0.is_empty() || tool.group == Group::Meta || self.0.iter().any(|name| names_tool(name, tool))
    }
}

/// Whether a selector is the tool's name, its toolset's or its group's.
fn names_tool(name: &str, tool: &ToolDef) -> bool {
    name == tool.name || name == tool.toolset.name || tool.group.selector() == Some(name)
}

/// The toolsets of `tools` a selection may name, in order (meta tools, always offered, have
/// none to name).
pub fn toolsets<'a>(tools: impl Iterator<Item = &'a ToolDef>) -> Vec<Toolset> {
    let mut sets: Vec<Toolset> = Vec::new();
    for tool in tools {
        if tool.group != Group::Meta && !sets.contains(&tool.toolset) {
            sets.push(tool.toolset);
        }
    }
    sets
}

/// What a call does to the world (the MCP tool annotations).
#[derive(Clone, Copy, Debug)]
pub struct Hints {
    /// Changes something at the provider (hidden by `MCPSERVER_READ_ONLY`).
    pub writes: bool,
    /// May destroy or overwrite data.
    pub destructive: bool,
    /// Repeating the call has no further effect.
    pub idempotent: bool,
}

pub(crate) const READ: Hints = Hints { writes: false, destructive: false, idempotent: true };
pub(crate) const WRITE: Hints = Hints { writes: true, destructive: false, idempotent: false };
pub(crate) const WRITE_IDEMPOTENT: Hints = Hints { writes: true, destructive: false, idempotent: true };
pub(crate) const OVERWRITE: Hints = Hints { writes: true, destructive: true, idempotent: true };
/// Runs other tools, any of which may write or overwrite.
pub(crate) const RUNS_TOOLS: Hints = Hints { writes: true, destructive: true, idempotent: false };

/// One tool.
#[derive(Clone)]
pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub group: Group,
    pub toolset: Toolset,
    pub hints: Hints,
    pub input_schema: Map<String, Value>,
    pub output_schema: Map<String, Value>,
    handler: Handler,
    checker: Checker,
}

/// A tool being defined: `ToolDef::build(toolset, name, title).about(..).hints(..).run(f)`.
pub struct Builder {
    toolset: Toolset,
    name: &'static str,
    title: &'static str,
    description: &'static str,
    hints: Hints,
}

impl ToolDef {
    /// Starts the definition of a tool (read-only until [`Builder::hints`] says otherwise).
    pub fn build(toolset: Toolset, name: &'static str, title: &'static str) -> Builder {
        Builder { toolset, name, title, description: "", hints: READ }
    }

    /// Changes something at the provider.
    pub fn writes(&self) -> bool {
        self.hints.writes
    }

    /// Runs the tool with raw JSON arguments (validated against the argument type).
    pub async fn run(&self, ctx: ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        (self.handler)(ctx, args).await
    }

    /// Runs the tool for the caller the way every road does (MCP, chat commands, workflows):
    /// timed, counted and audited; `via` says which road (`mcp`, `command`, `workflow`).
    pub async fn call(&self, ctx: ToolContext, args: Value, via: &str) -> Result<ToolOutput, ToolError> {
        let (state, user_id) = (ctx.state.clone(), ctx.user_id.clone());
        let started = std::time::Instant::now();
        let outcome = self.run(ctx, args).await;
        let code = match &outcome {
            Ok(_) => "ok".to_string(),
            Err(e) => e.code_name(),
        };
        let detail =
            json!({"tool": self.name, "latency_ms": started.elapsed().as_millis() as u64, "via": via});
        crate::metrics::tool_call(self.name, &code);
        crate::audit::record(&state.store, &user_id, None, "tool_call", &code, detail).await;
        outcome
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
                "readOnlyHint": !self.hints.writes,
                "destructiveHint": self.hints.destructive,
                "idempotentHint": self.hints.idempotent || !self.hints.writes,
                "openWorldHint": self.group != Group::Meta || self.hints.writes,
            },
        })
    }
}

impl Builder {
    /// What the tool does, for the model.
    pub fn about(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    pub fn hints(mut self, hints: Hints) -> Self {
        self.hints = hints;
        self
    }

    /// The implementation: its argument type `A` gives the input schema, its result type `O`
    /// the output schema.
    pub fn run<A, O, F, Fut>(self, f: F) -> ToolDef
    where
        A: DeserializeOwned + JsonSchema + Send + 'static,
        O: Serialize + JsonSchema + 'static,
        F: Fn(ToolContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply<O>, ToolError>> + Send + 'static,
    {
        let name = self.name;
        let f = Arc::new(f);
        let handler: Handler = Arc::new(move |ctx, args| match parse_args::<A>(name, args) {
            Ok(parsed) => {
                let running = f(ctx, parsed);
                Box::pin(async move { running.await.map(Reply::erase) })
            }
            Err(e) => Box::pin(std::future::ready(Err(e))),
        });
        let checker: Checker = Arc::new(move |args| parse_args::<A>(name, args.clone()).map(drop));
        ToolDef {
            name,
            title: self.title,
            description: self.description,
            group: self.toolset.group,
            toolset: self.toolset,
            hints: self.hints,
            input_schema: input_schema::<A>(),
            output_schema: output_schema::<O>(),
            handler,
            checker,
        }
    }
}

/// Raw JSON arguments as the tool's argument type (null = no arguments).
fn parse_args<A: DeserializeOwned>(name: &str, args: Value) -> Result<A, ToolError> {
    let args = if args.is_null() { json!({}) } else { args };
    serde_path_to_error::deserialize::<_, A>(args).map_err(|e| {
        let at = e.path().to_string();
        let inner = e.into_inner();
        match at.as_str() {
            "." | "" => ToolError::invalid(format!("invalid arguments for {name}: {inner}")),
            field => ToolError::invalid(format!("invalid arguments for {name}: `{field}`: {inner}")),
        }
    })
}

/// The schema of `T` with every subschema inlined, in the portable subset, without `$schema`
/// and `title`.
fn schema_of<T: JsonSchema>(settings: SchemaSettings) -> Map<String, Value> {
    let settings = settings.with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let mut schema = settings.into_generator().into_root_schema_for::<T>().to_value();
    make_portable(&mut schema);
    let mut object = match schema {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    // The type's own doc ("Arguments of …", "Result of …") says nothing the tool's does not.
    object.remove("title");
    object.remove("description");
    object.remove("$defs");
    object.entry("type").or_insert(json!("object"));
    object
}

/// The input schema of an argument type (how it is read).
pub(crate) fn input_schema<A: JsonSchema>() -> Map<String, Value> {
    schema_of::<A>(SchemaSettings::draft2020_12().for_deserialize())
}

/// The output schema of a result type (how it is written), plus the `error` object that an
/// `isError` result carries instead (DESIGN §7). No top-level property is required: a failed
/// call's structured content is `{"error": …}` alone, and clients validate that too.
pub(crate) fn output_schema<O: JsonSchema>() -> Map<String, Value> {
    let mut schema = schema_of::<O>(SchemaSettings::draft2020_12().for_serialize());
    schema.remove("required");
    // Short: it is repeated in every tool of the listing.
    let error = json!({
        "type": "object",
        "description": "Set instead when isError: the error envelope.",
    });
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        properties.insert("error".into(), error);
    }
    schema
}

/// JSON Schema formats every validator knows; schemars' own (`uint32`, `int64`…) are dropped.
const STANDARD_FORMATS: &[&str] = &["date-time", "date", "time", "email", "uri", "uuid"];

/// Rewrites what schemars generates into the portable subset: an optional value is its
/// value's schema (not a `null` union), `additionalProperties: true` (the default) is left
/// out, and only standard formats remain.
fn make_portable(schema: &mut Value) {
    let Value::Object(object) = schema else { return };
    if let Some(Value::Array(kinds)) = object.get("type") {
        let kinds: Vec<Value> = kinds.iter().filter(|k| *k != "null").cloned().collect();
        let single = if kinds.len() == 1 { kinds[0].clone() } else { Value::Array(kinds) };
        object.insert("type".into(), single);
    }
    for union in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = object.get(union) {
            let rest: Vec<&Value> =
                branches.iter().filter(|b| b.get("type") != Some(&json!("null"))).collect();
            if rest.len() == 1 && rest.len() < branches.len() {
                let Value::Object(only) = rest[0].clone() else { continue };
                object.remove(union);
                for (key, value) in only {
                    object.entry(key).or_insert(value);
                }
            }
        }
    }
    // An enum whose variants are documented is a `oneOf` of constants: one `enum` instead,
    // the variants' descriptions kept in the description.
    if let Some(Value::Array(branches)) = object.get("oneOf")
        && let Some((kind, values, notes)) = constants(branches)
    {
        object.remove("oneOf");
        object.insert("type".into(), kind);
        object.insert("enum".into(), Value::Array(values));
        if !notes.is_empty() {
            let before = object.get("description").and_then(Value::as_str).unwrap_or_default();
            let joined = notes.join("; ");
            let text = if before.is_empty() { joined } else { format!("{before} ({joined})") };
            object.insert("description".into(), json!(text));
        }
    }
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if object.get("additionalProperties") == Some(&Value::Bool(true)) {
        object.remove("additionalProperties");
    }
    if object.get("format").and_then(Value::as_str).is_some_and(|f| !STANDARD_FORMATS.contains(&f)) {
        object.remove("format");
    }
    for (key, value) in object.iter_mut() {
        match key.as_str() {
            "properties" | "$defs" => {
                if let Value::Object(children) = value {
                    children.values_mut().for_each(make_portable);
                }
            }
            "items" | "additionalProperties" => make_portable(value),
            "anyOf" | "oneOf" | "allOf" => {
                if let Value::Array(children) = value {
                    children.iter_mut().for_each(make_portable);
                }
            }
            _ => {}
        }
    }
}

/// The type, values and value descriptions of a union whose every branch is one constant
/// (`const`, or an `enum` of one or more values) of the same type.
fn constants(branches: &[Value]) -> Option<(Value, Vec<Value>, Vec<String>)> {
    let mut kind = None;
    let (mut values, mut notes) = (Vec::new(), Vec::new());
    for branch in branches {
        let these = match (branch.get("const"), branch.get("enum")) {
            (Some(one), None) => vec![one.clone()],
            (None, Some(Value::Array(many))) => many.clone(),
            _ => return None,
        };
        let this_kind = branch.get("type")?.clone();
        if kind.get_or_insert_with(|| this_kind.clone()) != &this_kind {
            return None;
        }
        if let Some(note) = branch.get("description").and_then(Value::as_str) {
            let names: Vec<String> =
                these.iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect();
            notes.push(format!("{}: {note}", names.join(", ")));
        }
        values.extend(these);
    }
    Some((kind?, values, notes))
}

/// Where `schema` leaves the portable subset that restricted clients (strict function
/// calling, the MCP Inspector's strict mode) accept: every schema an object with one `type`
/// string, no boolean schemas, no unions or references, every array with an `items` schema.
/// The tests hold every declared schema to it.
#[cfg(test)]
pub(crate) fn portability_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_portable(schema, "", &mut problems);
    problems
}

#[cfg(test)]
fn check_portable(schema: &Value, at: &str, problems: &mut Vec<String>) {
    let here = if at.is_empty() { "/" } else { at };
    let Value::Object(object) = schema else {
        problems.push(format!("{here}: a boolean or non-object schema"));
        return;
    };
    match object.get("type") {
        Some(Value::String(kind)) => {
            if kind == "array" && !object.get("items").is_some_and(Value::is_object) {
                problems.push(format!("{here}: an array without an `items` schema"));
            }
        }
        Some(_) => problems.push(format!("{here}: `type` is not a single type name")),
        None => problems.push(format!("{here}: no `type`")),
    }
    for keyword in ["anyOf", "oneOf", "allOf", "not", "$ref", "$defs", "if", "prefixItems"] {
        if object.contains_key(keyword) {
            problems.push(format!("{here}: uses `{keyword}`"));
        }
    }
    if let Some(Value::Array(values)) = object.get("enum")
        && values.iter().any(Value::is_null)
    {
        problems.push(format!("{here}: `null` in an enum"));
    }
    if let Some(Value::Object(properties)) = object.get("properties") {
        for (name, property) in properties {
            check_portable(property, &format!("{at}/properties/{name}"), problems);
        }
    }
    if let Some(items) = object.get("items") {
        check_portable(items, &format!("{at}/items"), problems);
    }
    match object.get("additionalProperties") {
        Some(Value::Bool(false)) | None => {}
        Some(Value::Bool(true)) => problems.push(format!("{here}: `additionalProperties: true`")),
        Some(extra) => check_portable(extra, &format!("{at}/additionalProperties"), problems),
    }
}

/// The tools this deployment offers (`MCPSERVER_TOOLS`, `MCPSERVER_READ_ONLY`), and the
/// ones it hides (named, not run).
pub struct ToolSet {
    tools: Vec<ToolDef>,
    hidden: Vec<ToolDef>,
}

impl ToolSet {
    /// The tools of `all` that `selection` picks, without the writing ones when `read_only`.
    pub fn new(all: Vec<ToolDef>, selection: &Selection, read_only: bool) -> Self {
        let offered = |t: &ToolDef| !(read_only && t.writes()) && selection.picks(t);
        let (tools, hidden) = all.into_iter().partition(offered);
        Self { tools, hidden }
    }

    /// A client's selection of `names`, checked against every tool this server has (offered
    /// or hidden).
    pub fn select(&self, names: Vec<String>) -> Result<Selection, String> {
        Selection::of(names, self.tools.iter().chain(&self.hidden))
    }

    /// A tool this server has, offered or hidden.
    pub fn known(&self, name: &str) -> Option<&ToolDef> {
        self.get(name).or_else(|| self.hidden.iter().find(|t| t.name == name))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portability_check_finds_what_strict_clients_refuse() {
        let bad = json!({"type": "object", "properties": {
            "a": {"type": ["string", "null"]},
            "b": true,
            "c": {"type": "array"},
            "d": {"type": "array", "items": true},
            "e": {"description": "no type"},
            "f": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "g": {"type": "object", "additionalProperties": true},
        }});
        let problems = portability_problems(&bad);
        for property in ["a", "b", "c", "d", "e", "f", "g"] {
            assert!(
                problems.iter().any(|p| p.starts_with(&format!("/properties/{property}"))),
                "{property} not reported: {problems:?}"
            );
        }
        assert!(
            portability_problems(&json!({"type": "object", "properties": {
                "a": {"type": "string"}, "b": {"type": "array", "items": {"type": "integer"}}
            }}))
            .is_empty()
        );
    }

    #[test]
    fn an_optional_field_is_its_value_schema_and_not_required() {
        #[derive(Serialize, JsonSchema)]
        struct Out {
            always: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            sometimes: Option<String>,
            list: Vec<Map<String, Value>>,
            limit: u32,
        }
        let schema = output_schema::<Out>();
        assert_eq!(schema["properties"]["sometimes"], json!({"type": "string"}));
        assert_eq!(schema["properties"]["list"], json!({"type": "array", "items": {"type": "object"}}));
        assert_eq!(schema["properties"]["limit"], json!({"type": "integer", "minimum": 0}));
        assert!(!schema.contains_key("required"), "{schema:?}");
        assert_eq!(
            schema["properties"]["error"]["type"], "object",
            "a failed call's {{\"error\": …}} validates too"
        );
        assert!(!schema.contains_key("description"));
        assert!(portability_problems(&Value::Object(schema)).is_empty());
    }
}
