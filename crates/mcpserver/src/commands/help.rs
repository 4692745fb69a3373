//! `/help`: generated from the command catalog and the tool registry, so it lists exactly
//! the commands this deployment offers, with the tools' own titles and descriptions.

use super::catalog::{Args, BuildError, COMMANDS, Command, GROUPS, closest};
use super::parse::ParseError;
use crate::mcp::context::ToolOutput;
use crate::mcp::registry::ToolSet;
use serde_json::{Value, json};

/// What `/help` was asked about.
#[derive(Clone, Copy)]
pub(super) enum Topic {
    All,
    Group(&'static str),
    Command(&'static Command),
}

/// The topic of `/help [group | command]`; an unknown one names the closest commands.
pub(super) fn topic(a: &Args) -> Result<Topic, BuildError> {
    let words: Vec<String> =
        a.words.iter().take(2).map(|w| w.text.trim_start_matches('/').to_lowercase()).collect();
    if let Some(extra) = a.words.get(2) {
        return Err(ParseError::at(
            extra.span.start,
            format!("unexpected `{}`; usage: /help [jira | notion | command]", extra.raw),
        )
        .into());
    }
    match words.as_slice() {
        [] => Ok(Topic::All),
        [group] if GROUPS.contains(&group.as_str()) => {
            Ok(Topic::Group(GROUPS.iter().find(|g| **g == group).copied().unwrap_or_default()))
        }
        _ => match COMMANDS.iter().find(|c| c.path == words.join(" ")) {
            Some(command) => Ok(Topic::Command(command)),
            None => {
                let suggestions = closest(&words);
                let at = a.words.first().map_or(0, |w| w.span.start);
                Err(ParseError::at(at, format!("no help on `{}`; try /help", words.join(" ")))
                    .with("did_you_mean", json!(suggestions))
                    .into())
            }
        },
    }
}

/// The help for a topic.
pub(super) fn help(topic: &Topic, tools: &ToolSet) -> ToolOutput {
    let offered: Vec<&Command> = COMMANDS.iter().filter(|c| is_offered(c, tools)).collect();
    let chosen: Vec<&Command> = match topic {
        Topic::All => offered.clone(),
        Topic::Group(group) => {
            offered.iter().copied().filter(|c| c.path.starts_with(&format!("{group} "))).collect()
        }
        Topic::Command(command) => vec![*command],
    };
    let markdown = match topic {
        Topic::All => overview(&offered),
        _ => chosen.iter().map(|c| details(c, tools)).collect::<Vec<_>>().join("\n\n"),
    };
    let listed: Vec<Value> = chosen.iter().map(|c| describe(c, tools)).collect();
    ToolOutput::new(json!({"commands": listed}), markdown)
}

/// Whether the deployment offers the command's tool (read-only and `MCPSERVER_TOOLS` hide some).
pub(super) fn is_offered(command: &Command, tools: &ToolSet) -> bool {
    command.tool().is_none_or(|t| tools.get(t).is_some())
}

/// The title of the command's tool (from the whole registry: `/help` on a command this server
/// hides still names it), or of the command itself.
fn title(command: &Command, tools: &ToolSet) -> String {
    match command.tool() {
        Some(name) => tools.known(name).map(|t| t.title.to_string()).unwrap_or_default(),
        None if command.path == "connect" => "Connect Jira or Notion".into(),
        None => "Show the commands".into(),
    }
}

fn overview(offered: &[&Command]) -> String {
    let tools_note = "`/help jira`, `/help notion` or `/help <command>` for details.";
    let lines: Vec<String> = offered.iter().map(|c| format!("- `{}`", c.usage)).collect();
    let hidden: Vec<String> =
        COMMANDS.iter().filter(|c| !offered.iter().any(|o| o.path == c.path)).map(Command::name).collect();
    let mut out = format!("**Commands** — {tools_note}\n\n{}", lines.join("\n"));
    out.push_str(
        "\n\nChain steps with `|`: `/jira get PLAT-12 | /notion create <page>` makes a Notion page from the issue.",
    );
    if !hidden.is_empty() {
        out.push_str(&format!("\n\nNot offered on this server: {}.", hidden.join(", ")));
    }
    out
}

fn details(command: &Command, tools: &ToolSet) -> String {
    let mut out = format!("**{}** — {}\n\n`{}`", command.name(), title(command, tools), command.usage);
    match command.tool().map(|t| (t, tools.get(t))) {
        Some((_, Some(tool))) => out.push_str(&format!("\n\n{} (tool `{}`)", tool.description, tool.name)),
        Some((name, None)) => out.push_str(&format!("\n\n_Not offered on this server (tool `{name}`)._")),
        None => {}
    }
    if !command.options.is_empty() {
        let options: Vec<String> = command.options.iter().map(|(n, m)| format!("- `{n}:` {m}")).collect();
        out.push_str(&format!("\n\nOptions:\n{}", options.join("\n")));
    }
    if !command.input_help.is_empty() {
        out.push_str(&format!("\n\n{}", command.input_help));
    }
    out.push_str(&format!("\n\nExample: `{}`", command.example));
    out
}

fn describe(command: &Command, tools: &ToolSet) -> Value {
    let offered = is_offered(command, tools);
    let options: Vec<Value> =
        command.options.iter().map(|(name, meaning)| json!({"name": name, "meaning": meaning})).collect();
    json!({
        "command": command.name(),
        "title": title(command, tools),
        "usage": command.usage,
        "tool": command.tool(),
        "options": options,
        "example": command.example,
        "offered": offered,
    })
}
