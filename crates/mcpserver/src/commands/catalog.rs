//! The chat commands: each maps to one registry tool and builds that tool's arguments from
//! what was typed and, in a chain, from the previous step's documents. Nothing here talks to
//! a provider; the tools do.

use super::chain::{Document, Gives, Kind, Piped};
use super::parse::{Grammar, Layout, ParseError, Step, Text, Token};
use crate::domain::Provider;
use crate::mcp::notion::notion_id;
use serde_json::{Map, Value, json};

/// What a command does with the previous step's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Takes {
    Nothing,
    One,
    OneOrMany,
}

/// What running a command means.
#[derive(Clone, Copy)]
pub(crate) enum Action {
    /// Call a registry tool with the arguments the builder makes.
    Tool(&'static str, Builder),
    /// Show the generated help.
    Help,
    /// Give a connect URL.
    Connect,
}

/// Makes a tool call from a step's arguments and input.
pub(crate) type Builder = fn(&Args) -> Result<Call, BuildError>;

/// One chat command.
pub(crate) struct Command {
    /// The command words, e.g. `jira create`.
    pub path: &'static str,
    pub usage: &'static str,
    pub example: &'static str,
    /// What the command does with piped input, for the help.
    pub input_help: &'static str,
    /// Accepted `name:value` options and what they mean.
    pub options: &'static [(&'static str, &'static str)],
    /// Any `name:value` is accepted (database property filters).
    pub open_options: bool,
    /// Takes Markdown after `--`.
    pub body: bool,
    pub layout: Layout,
    pub takes: Takes,
    pub gives: Gives,
    pub action: Action,
}

impl Command {
    /// `/jira create`
    pub(crate) fn name(&self) -> String {
        format!("/{}", self.path)
    }

    /// The registry tool it runs, if any.
    pub(crate) fn tool(&self) -> Option<&'static str> {
        match self.action {
            Action::Tool(tool, _) => Some(tool),
            Action::Help | Action::Connect => None,
        }
    }
}

/// A tool call a command builds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Call {
    pub tool: &'static str,
    pub args: Value,
    /// A lookup to do (with other registry tools) before the call.
    pub prepare: Option<Prepare>,
}

/// Lookups that need the provider before a call's arguments are final.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Prepare {
    /// `args[field]` holds a person's name: replace it with their Jira account id.
    JiraAccount { field: &'static str, name: String },
    /// Turn `property:value` options into `args.filter`, using the data source's schema.
    NotionFilter { conditions: Vec<(String, String)> },
}

/// Why a step's call cannot be built.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum BuildError {
    /// The step's own arguments are wrong.
    Arg(ParseError),
    /// The step cannot use what the previous step gives.
    Input(String),
}

impl From<ParseError> for BuildError {
    fn from(e: ParseError) -> Self {
        Self::Arg(e)
    }
}

/// A step's words, options and input, checked against its command.
pub(crate) struct Args<'a> {
    pub command: &'a Command,
    pub step: &'a Step,
    /// Tokens that are not options.
    pub words: Vec<&'a Token>,
    /// `name:value` options, names lowercase.
    pub options: Vec<(String, String, &'a Token)>,
    /// What the previous step gives (`Nothing` for the first step).
    pub input: &'a Piped,
    /// The step is the first of its chain.
    pub first: bool,
}

static NOTHING: Piped = Piped::Nothing;

/// Every command, in help order.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        path: "jira search",
        usage: "/jira search <JQL or words>",
        example: "/jira search login timeout",
        input_help: "Words that are not JQL search all text (`text ~ \"…\"`); quote them to force that.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 0 },
        takes: Takes::Nothing,
        gives: Gives::Many(Kind::JiraIssue),
        action: Action::Tool("jira_search", jira_search),
    },
    Command {
        path: "jira get",
        usage: "/jira get <KEY>",
        example: "/jira get PLAT-1",
        input_help: "Without a key, reads the piped issue.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Words,
        takes: Takes::One,
        gives: Gives::One(Kind::JiraIssue),
        action: Action::Tool("jira_get_issue", jira_get),
    },
    Command {
        path: "jira create",
        usage: "/jira create <PROJECT> \"Summary\" [type:Bug] [priority:High] [assignee:me] [labels:a,b] [parent:KEY] [-- description in Markdown]",
        example: "/jira create PLAT \"Login fails on Safari\" type:Bug priority:High assignee:me labels:web,auth -- Steps: open **Safari**, sign in.",
        input_help: "A piped document gives the summary (its title) and the description (its body and a link back) when they are not typed.",
        options: &[
            ("type", "issue type, e.g. Bug (default Task)"),
            ("priority", "priority name, e.g. High"),
            ("assignee", "me, none, a person's name or an account id"),
            ("labels", "comma-separated labels, e.g. web,auth"),
            ("parent", "parent issue key, e.g. PLAT-1"),
        ],
        open_options: false,
        body: true,
        layout: Layout::Words,
        takes: Takes::One,
        gives: Gives::One(Kind::JiraIssue),
        action: Action::Tool("jira_create_issue", jira_create),
    },
    Command {
        path: "jira comment",
        usage: "/jira comment <KEY> <text in Markdown>",
        example: "/jira comment PLAT-1 Reproduced on **staging**.",
        input_help: "Without a key, comments on the piped issue; without text, the piped documents become the comment.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 1 },
        takes: Takes::OneOrMany,
        gives: Gives::One(Kind::JiraIssue),
        action: Action::Tool("jira_add_comment", jira_comment),
    },
    Command {
        path: "jira move",
        usage: "/jira move <KEY> <status or transition>",
        example: "/jira move PLAT-1 \"In Progress\"",
        input_help: "Without a key, moves the piped issue.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 1 },
        takes: Takes::One,
        gives: Gives::One(Kind::JiraIssue),
        action: Action::Tool("jira_transition_issue", jira_move),
    },
    Command {
        path: "jira assign",
        usage: "/jira assign <KEY> <me | none | name | account id>",
        example: "/jira assign PLAT-1 me",
        input_help: "Without a key, assigns the piped issue.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 1 },
        takes: Takes::One,
        gives: Gives::One(Kind::JiraIssue),
        action: Action::Tool("jira_assign_issue", jira_assign),
    },
    Command {
        path: "jira watch",
        usage: "/jira watch <KEY> [me | name | account id]",
        example: "/jira watch PLAT-1",
        input_help: "Without a key, watches the piped issue; without a person, you watch it.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 1 },
        takes: Takes::One,
        gives: Gives::One(Kind::JiraIssue),
        action: Action::Tool("jira_add_watcher", jira_watch),
    },
    Command {
        path: "jira unwatch",
        usage: "/jira unwatch <KEY> [me | name | account id]",
        example: "/jira unwatch PLAT-1",
        input_help: "Without a key, unwatches the piped issue; without a person, you stop watching it.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 1 },
        takes: Takes::One,
        gives: Gives::One(Kind::JiraIssue),
        action: Action::Tool("jira_remove_watcher", jira_unwatch),
    },
    Command {
        path: "jira link",
        usage: "/jira link <KEY> <link> <OTHER-KEY>",
        example: "/jira link PLAT-1 blocks PLAT-2",
        input_help: "Without a key, links the piped issue. The link is a type or its phrase: blocks, is blocked by, relates to, duplicates.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 1 },
        takes: Takes::One,
        gives: Gives::Nothing,
        action: Action::Tool("jira_link_issues", jira_link),
    },
    Command {
        path: "jira log",
        usage: "/jira log <KEY> <time, e.g. 2h 30m> [comment]",
        example: "/jira log PLAT-1 2h 30m pairing on the flaky test",
        input_help: "Without a key, logs time on the piped issue.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 1 },
        takes: Takes::One,
        gives: Gives::One(Kind::JiraIssue),
        action: Action::Tool("jira_add_worklog", jira_log),
    },
    Command {
        path: "jira attachments",
        usage: "/jira attachments <KEY>",
        example: "/jira attachments PLAT-1",
        input_help: "Without a key, lists the piped issue's files.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Words,
        takes: Takes::One,
        gives: Gives::Nothing,
        action: Action::Tool("jira_list_attachments", jira_attachments),
    },
    Command {
        path: "jira sprint",
        usage: "/jira sprint <board id>",
        example: "/jira sprint 1",
        input_help: "Lists the issues of the board's active sprint (board ids: jira_list_boards).",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Words,
        takes: Takes::Nothing,
        gives: Gives::Many(Kind::JiraIssue),
        action: Action::Tool("jira_get_sprint_issues", jira_sprint),
    },
    Command {
        path: "notion search",
        usage: "/notion search <words>",
        example: "/notion search Roadmap",
        input_help: "",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 0 },
        takes: Takes::Nothing,
        gives: Gives::Many(Kind::NotionPage),
        action: Action::Tool("notion_search", notion_search),
    },
    Command {
        path: "notion page",
        usage: "/notion page <page id or URL>",
        example: "/notion page https://www.notion.so/Roadmap-2025-…",
        input_help: "Without a page, reads the piped page.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Words,
        takes: Takes::One,
        gives: Gives::One(Kind::NotionPage),
        action: Action::Tool("notion_get_page", notion_page),
    },
    Command {
        path: "notion create",
        usage: "/notion create <parent id or URL> \"Title\" [parent_type:database] [-- content in Markdown]",
        example: "/notion create <parent> \"Q3 plan\" -- ## Goals\\n- Ship chat commands",
        input_help: "A piped document gives the title and the content (its body and a link back) when they are not typed.",
        options: &[("parent_type", "page (default), database or data_source")],
        open_options: false,
        body: true,
        layout: Layout::Words,
        takes: Takes::One,
        gives: Gives::One(Kind::NotionPage),
        action: Action::Tool("notion_create_page", notion_create),
    },
    Command {
        path: "notion append",
        usage: "/notion append <page id or URL> <text in Markdown>",
        example: "/notion append <page> Decided: ship on **Friday**.",
        input_help: "Without text, appends the piped documents (a list becomes a Markdown list); without a page, appends to the piped page.",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Text { lead: 1 },
        takes: Takes::OneOrMany,
        gives: Gives::One(Kind::NotionPage),
        action: Action::Tool("notion_append_content", notion_append),
    },
    Command {
        path: "notion query",
        usage: "/notion query <database id or URL> [property:value …]",
        example: "/notion query <database> status:Done priority:High",
        input_help: "",
        options: &[(
            "<property>",
            "a property of the database and the value it must have; `_` stands for a space",
        )],
        open_options: true,
        body: false,
        layout: Layout::Words,
        takes: Takes::Nothing,
        gives: Gives::Many(Kind::NotionPage),
        action: Action::Tool("notion_query_data_source", notion_query),
    },
    Command {
        path: "notion move",
        usage: "/notion move <page id or URL> <new parent id or URL> [to:database]",
        example: "/notion move <page> <new parent page>",
        input_help: "Without a page, moves the piped page.",
        options: &[("to", "what the new parent is: page (default), database or data_source")],
        open_options: false,
        body: false,
        layout: Layout::Words,
        takes: Takes::One,
        gives: Gives::One(Kind::NotionPage),
        action: Action::Tool("notion_move_page", notion_move),
    },
    Command {
        path: "connect",
        usage: "/connect jira|notion",
        example: "/connect notion",
        input_help: "",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Words,
        takes: Takes::Nothing,
        gives: Gives::Nothing,
        action: Action::Connect,
    },
    Command {
        path: "status",
        usage: "/status",
        example: "/status",
        input_help: "",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Words,
        takes: Takes::Nothing,
        gives: Gives::Nothing,
        action: Action::Tool("connections_status", status),
    },
    Command {
        path: "help",
        usage: "/help [jira | notion | command]",
        example: "/help jira",
        input_help: "",
        options: &[],
        open_options: false,
        body: false,
        layout: Layout::Words,
        takes: Takes::Nothing,
        gives: Gives::Nothing,
        action: Action::Help,
    },
];

/// Command groups with a second word.
pub(crate) const GROUPS: &[&str] = &["jira", "notion"];

/// The command with these words.
pub(crate) fn find(path: &[String]) -> Option<&'static Command> {
    let joined = path.join(" ");
    COMMANDS.iter().find(|c| c.path == joined)
}

/// The catalog as the parser sees it.
pub(crate) struct Catalog;

impl Grammar for Catalog {
    fn is_group(&self, word: &str) -> bool {
        GROUPS.contains(&word)
    }

    fn layout(&self, path: &[String]) -> Option<Layout> {
        find(path).map(|c| c.layout)
    }

    fn suggest(&self, typed: &[String]) -> Vec<String> {
        closest(typed)
    }
}

/// The commands closest to what was typed: by edit distance over the command words, or
/// every command of a group named without (or with an unknown) second word.
pub(crate) fn closest(typed: &[String]) -> Vec<String> {
    let full = typed.join(" ");
    let first = typed.first().map(String::as_str).unwrap_or_default();
    let limit = (full.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = COMMANDS
        .iter()
        .map(|c| (distance(&full, c.path).min(distance(first, c.path)), c.path))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    let mut names: Vec<String> = scored.iter().take(3).map(|(_, p)| format!("/{p}")).collect();
    if names.is_empty() && GROUPS.contains(&first) {
        names =
            COMMANDS.iter().filter(|c| c.path.starts_with(&format!("{first} "))).map(Command::name).collect();
    }
    names
}

/// Lengths further apart than this are not compared letter by letter.
const FAR: usize = 16;

/// Levenshtein distance over characters; for words whose lengths differ by more than [`FAR`],
/// that difference (a lower bound, and already too far for any suggestion), so a huge word
/// costs one pass over it instead of one per letter of the other.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let (a_len, b_len) = (a.chars().count(), b.chars().count());
    if a_len.abs_diff(b_len) > FAR {
        return a_len.abs_diff(b_len);
    }
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

impl<'a> Args<'a> {
    /// Splits a step's tokens into words and options and checks the option names; `input`
    /// is `None` for the first step of a chain.
    pub(crate) fn new(
        command: &'a Command,
        step: &'a Step,
        input: Option<&'a Piped>,
    ) -> Result<Self, BuildError> {
        let first = input.is_none();
        let input = input.unwrap_or(&NOTHING);
        let mut args = Args { command, step, words: Vec::new(), options: Vec::new(), input, first };
        let words_layout = command.layout == Layout::Words;
        if let (Some(text), true, false) = (&step.text, words_layout, command.body) {
            let at = text.span.start;
            return Err(ParseError::at(
                at,
                format!("{} takes no `--` text; usage: {}", command.name(), command.usage),
            )
            .with("usage", json!(command.usage))
            .into());
        }
        for token in &step.tokens {
            match &token.option {
                Some((name, value)) if words_layout => args.add_option(name, value, token)?,
                _ => args.words.push(token),
            }
        }
        Ok(args)
    }

    fn add_option(&mut self, name: &str, value: &str, token: &'a Token) -> Result<(), BuildError> {
        let accepted: Vec<&str> = self.command.options.iter().map(|(n, _)| *n).collect();
        if !self.command.open_options && !accepted.contains(&name) {
            let what = if accepted.is_empty() {
                format!("{} takes no options", self.command.name())
            } else {
                format!("{} accepts {}", self.command.name(), accepted.join(", "))
            };
            return Err(ParseError::at(token.span.start, format!("unknown option `{name}:`; {what}"))
                .with("option", json!(name))
                .with("accepted", json!(accepted))
                .into());
        }
        if self.options.iter().any(|(n, _, _)| n == name) {
            return Err(ParseError::at(token.span.start, format!("option `{name}:` is given twice"))
                .with("option", json!(name))
                .into());
        }
        self.options.push((name.to_string(), value.to_string(), token));
        Ok(())
    }

    /// An option's value.
    pub(crate) fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().find(|(n, _, _)| n == name).map(|(_, v, _)| v.as_str())
    }

    /// The position right after what was typed for this step.
    fn end(&self) -> usize {
        let text_end = self.step.text.as_ref().map_or(0, |t| t.span.end);
        let token_end = self.step.tokens.last().map_or(0, |t| t.span.end);
        self.step.head.end.max(text_end).max(token_end)
    }

    /// "needs …" at the end of the step.
    pub(crate) fn missing(&self, what: &str) -> BuildError {
        ParseError::at(
            self.end(),
            format!("{} needs {what}; usage: {}", self.command.name(), self.command.usage),
        )
        .with("usage", json!(self.command.usage))
        .into()
    }

    /// Fails when there are more than `n` words.
    pub(crate) fn at_most(&self, n: usize) -> Result<(), BuildError> {
        match self.words.get(n) {
            None => Ok(()),
            Some(extra) => Err(ParseError::at(
                extra.span.start,
                format!("unexpected `{}`; usage: {}", extra.raw, self.command.usage),
            )
            .with("usage", json!(self.command.usage))
            .into()),
        }
    }

    /// The piped document, if one was piped; a list is refused.
    fn one_input(&self) -> Result<Option<&'a Document>, BuildError> {
        match self.input {
            Piped::Nothing => Ok(None),
            Piped::One(doc) => Ok(Some(doc)),
            Piped::Many(_) => Err(BuildError::Input(format!(
                "{} takes one document, but the previous step gives {}",
                self.command.name(),
                self.input.describe()
            ))),
        }
    }

    /// The key of the piped document of `kind`, or why there is none.
    fn input_key(&self, kind: Kind, what: &str) -> Result<String, BuildError> {
        match self.input {
            Piped::One(Document { kind: k, key: Some(key), .. }) if *k == kind => Ok(key.clone()),
            Piped::Nothing if self.first => Err(self.missing(what)),
            _ => Err(BuildError::Input(format!(
                "{} needs {what}; type it, or pipe in {} (the previous step gives {})",
                self.command.name(),
                kind.noun(),
                self.input.describe()
            ))),
        }
    }

    /// A typed key as the first word of a text command, or the piped one. Returns the key,
    /// whether it was typed, and the text after it.
    fn key_then_text(&self, kind: Kind, what: &str) -> Result<(String, bool, Option<&'a Text>), BuildError> {
        let typed = self.words.first().and_then(|w| parse_key(kind, &w.text));
        match typed {
            Some(key) => Ok((key, true, self.step.text.as_ref())),
            None => Ok((self.input_key(kind, what)?, false, self.step.all_text.as_ref())),
        }
    }

    /// A key in the first word of a words command, or the piped one.
    fn key_word(&self, kind: Kind, what: &str) -> Result<String, BuildError> {
        self.at_most(1)?;
        match self.words.first() {
            Some(word) => parse_key(kind, &word.text).ok_or_else(|| not_a(kind, word)),
            None => self.input_key(kind, what),
        }
    }

    /// The free text, or the piped documents as Markdown.
    fn text_or_input(&self, text: Option<&Text>, what: &str) -> Result<String, BuildError> {
        if let Some(text) = text {
            return Ok(text.plain().to_string());
        }
        match self.input {
            Piped::Many(list) if list.is_empty() => Err(BuildError::Input(format!(
                "{} has nothing to write: the previous step found nothing",
                self.command.name()
            ))),
            Piped::One(_) | Piped::Many(_) => Ok(self.input.markdown()),
            Piped::Nothing if self.first => Err(self.missing(what)),
            Piped::Nothing => Err(BuildError::Input(format!(
                "{} needs {what}, and the previous step gives nothing to take it from",
                self.command.name()
            ))),
        }
    }

    /// A typed text that must be there.
    fn required_text(&self, text: Option<&Text>, what: &str) -> Result<String, BuildError> {
        text.map(|t| t.plain().to_string()).ok_or_else(|| self.missing(what))
    }

    /// Words after the first `skip`, joined by single spaces; `None` when there are none.
    fn joined(&self, skip: usize) -> Option<String> {
        let words: Vec<&str> = self.words.iter().skip(skip).map(|w| w.text.as_str()).collect();
        (!words.is_empty()).then(|| words.join(" "))
    }
}

/// A Jira issue key (`PLAT-12`, uppercased) or a Notion id (from an id or URL).
fn parse_key(kind: Kind, text: &str) -> Option<String> {
    match kind {
        Kind::JiraIssue => is_issue_key(text).then(|| text.to_ascii_uppercase()),
        Kind::NotionPage => notion_id(text).ok(),
    }
}

/// `PLAT-12`: a project key, a dash and a number.
pub(crate) fn is_issue_key(text: &str) -> bool {
    let Some((project, number)) = text.rsplit_once('-') else {
        return false;
    };
    is_project_key(project) && !number.is_empty() && number.chars().all(|c| c.is_ascii_digit())
}

/// `PLAT`: a letter, then letters, digits or `_`.
fn is_project_key(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn not_a(kind: Kind, word: &Token) -> BuildError {
    let what = match kind {
        Kind::JiraIssue => "an issue key like PLAT-12",
        Kind::NotionPage => "a Notion page id or URL",
    };
    ParseError::at(word.span.start, format!("`{}` is not {what}", word.raw)).into()
}

fn call(tool: &'static str, args: Value) -> Call {
    Call { tool, args, prepare: None }
}

fn jira_search(a: &Args) -> Result<Call, BuildError> {
    let text = a.step.text.as_ref().ok_or_else(|| a.missing("JQL or words to look for"))?;
    let jql = match &text.unquoted {
        Some(words) => text_search(words),
        None if looks_like_jql(&text.value) => text.value.replace(['“', '”'], "\""),
        None => text_search(&text.value),
    };
    Ok(call("jira_search", json!({"jql": jql})))
}

/// `text ~ "…"` with the words escaped for a JQL string.
pub(crate) fn text_search(words: &str) -> String {
    let escaped = words.replace('\\', "\\\\").replace('"', "\\\"").replace(['\n', '\r'], " ");
    format!("text ~ \"{escaped}\"")
}

/// Fields that start a JQL clause.
const JQL_FIELDS: &[&str] = &[
    "project",
    "status",
    "statuscategory",
    "assignee",
    "reporter",
    "creator",
    "priority",
    "type",
    "issuetype",
    "labels",
    "label",
    "summary",
    "description",
    "text",
    "comment",
    "created",
    "updated",
    "resolved",
    "resolution",
    "duedate",
    "due",
    "key",
    "issuekey",
    "id",
    "parent",
    "sprint",
    "epic",
    "component",
    "fixversion",
    "affectedversion",
    "watcher",
    "environment",
    "filter",
    "votes",
];

/// Whether text reads as JQL: `ORDER BY …`, or a known field followed by an operator
/// (`=`, `!=`, `~`, `<`, `>`, `in`, `not in`, `is`, `was`, `changed`).
pub(crate) fn looks_like_jql(text: &str) -> bool {
    let lower = text.trim_start().trim_start_matches('(').trim_start().to_lowercase();
    if lower.starts_with("order by") {
        return true;
    }
    let clause = lower.strip_prefix("not ").unwrap_or(&lower).trim_start();
    let end = clause
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']')))
        .unwrap_or(clause.len());
    let (field, rest) = clause.split_at(end);
    let known = JQL_FIELDS.contains(&field) || field.starts_with("cf[");
    let rest = rest.trim_start();
    let operator = ["!=", "!~", ">=", "<=", "=", "~", ">", "<"].iter().any(|op| rest.starts_with(op))
        || ["in ", "in(", "not in", "is ", "was ", "changed"].iter().any(|w| rest.starts_with(w));
    known && operator
}

fn jira_get(a: &Args) -> Result<Call, BuildError> {
    let key = a.key_word(Kind::JiraIssue, "an issue key, e.g. PLAT-12")?;
    Ok(call("jira_get_issue", json!({"issue_key": key})))
}

fn jira_attachments(a: &Args) -> Result<Call, BuildError> {
    let key = a.key_word(Kind::JiraIssue, "an issue key, e.g. PLAT-12")?;
    Ok(call("jira_list_attachments", json!({"issue_key": key})))
}

fn jira_create(a: &Args) -> Result<Call, BuildError> {
    let project = a.words.first().ok_or_else(|| a.missing("a project key, e.g. PLAT"))?;
    if !is_project_key(&project.text) {
        return Err(ParseError::at(
            project.span.start,
            format!("`{}` is not a project key like PLAT", project.raw),
        )
        .into());
    }
    let doc = a.one_input()?;
    let summary = match (a.joined(1), doc) {
        (Some(summary), _) => summary,
        (None, Some(doc)) if !doc.title.is_empty() => doc.title.clone(),
        (None, Some(_)) => {
            return Err(BuildError::Input("the piped document has no title to use as the summary".into()));
        }
        (None, None) => return Err(a.missing("a summary")),
    };
    let mut args = json!({"project": project.text.to_ascii_uppercase(), "summary": summary});
    match (&a.step.text, doc) {
        (Some(body), _) => args["description"] = json!(body.plain()),
        (None, Some(doc)) => args["description"] = json!(doc.body_with_source()),
        (None, None) => {}
    }
    let mut prepare = None;
    for (name, value, token) in &a.options {
        match name.as_str() {
            "type" => args["issue_type"] = json!(value),
            "priority" => args["priority"] = json!(value),
            "labels" => args["labels"] = json!(labels(value)),
            "parent" if is_issue_key(value) => args["parent"] = json!(value.to_ascii_uppercase()),
            "parent" => {
                return Err(ParseError::at(
                    token.span.start,
                    format!("option `parent:` takes an issue key like PLAT-12, not `{value}`"),
                )
                .with("option", json!("parent"))
                .into());
            }
            "assignee" => prepare = assignee(&mut args, "assignee", value),
            _ => {}
        }
    }
    Ok(Call { tool: "jira_create_issue", args, prepare })
}

fn labels(value: &str) -> Vec<&str> {
    value.split(',').map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// Sets `args[field]` to `me`, `none` or an account id as typed, or asks for a name lookup.
fn assignee(args: &mut Value, field: &'static str, who: &str) -> Option<Prepare> {
    args[field] = json!(who);
    let plain = matches!(who.to_lowercase().as_str(), "me" | "none" | "unassigned");
    let account_id = who.chars().any(|c| c.is_ascii_digit())
        && who.chars().all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '-');
    if plain {
        args[field] = json!(who.to_lowercase());
    }
    (!plain && !account_id).then(|| Prepare::JiraAccount { field, name: who.to_string() })
}

fn jira_comment(a: &Args) -> Result<Call, BuildError> {
    let (key, typed, text) = a.key_then_text(Kind::JiraIssue, "an issue key, e.g. PLAT-12")?;
    let body =
        if typed { a.text_or_input(text, "comment text")? } else { a.required_text(text, "comment text")? };
    Ok(call("jira_add_comment", json!({"issue_key": key, "body": body})))
}

fn jira_move(a: &Args) -> Result<Call, BuildError> {
    let (key, _, text) = a.key_then_text(Kind::JiraIssue, "an issue key, e.g. PLAT-12")?;
    let to = a.required_text(text, "the status to move to, e.g. \"In Progress\"")?;
    Ok(call("jira_transition_issue", json!({"issue_key": key, "transition": to})))
}

fn jira_assign(a: &Args) -> Result<Call, BuildError> {
    let (key, _, text) = a.key_then_text(Kind::JiraIssue, "an issue key, e.g. PLAT-12")?;
    let who = a.required_text(text, "who: me, none, a name or an account id")?;
    let mut args = json!({"issue_key": key});
    let prepare = assignee(&mut args, "assignee", &who);
    Ok(Call { tool: "jira_assign_issue", args, prepare })
}

fn jira_watch(a: &Args) -> Result<Call, BuildError> {
    watcher(a, "jira_add_watcher")
}

fn jira_unwatch(a: &Args) -> Result<Call, BuildError> {
    watcher(a, "jira_remove_watcher")
}

/// A watcher command: the issue, and who (`me` when nobody is named).
fn watcher(a: &Args, tool: &'static str) -> Result<Call, BuildError> {
    let (key, _, text) = a.key_then_text(Kind::JiraIssue, "an issue key, e.g. PLAT-12")?;
    let who = text.map(|t| t.plain().trim().to_string()).filter(|w| !w.is_empty());
    let mut args = json!({"issue_key": key});
    let prepare = assignee(&mut args, "user", who.as_deref().unwrap_or("me"));
    Ok(Call { tool, args, prepare })
}

fn jira_link(a: &Args) -> Result<Call, BuildError> {
    let (key, _, text) = a.key_then_text(Kind::JiraIssue, "an issue key, e.g. PLAT-12")?;
    let text = a.required_text(text, "a link and the other issue, e.g. blocks PLAT-2")?;
    let (phrase, other) = text.trim().rsplit_once(char::is_whitespace).unwrap_or(("", text.trim()));
    let Some(other) = parse_key(Kind::JiraIssue, other) else {
        return Err(a.missing("the other issue's key last, e.g. blocks PLAT-2"));
    };
    if phrase.trim().is_empty() {
        return Err(a.missing("a link such as blocks, is blocked by, relates to"));
    }
    Ok(call("jira_link_issues", json!({"issue_key": key, "link": phrase.trim(), "other_issue_key": other})))
}

/// Whether a word is part of a time in Jira's notation (`2h`, `30m`, `1w2d`).
fn is_time_word(word: &str) -> bool {
    let mut digits = false;
    for c in word.chars() {
        match c {
            '0'..='9' => digits = true,
            'w' | 'd' | 'h' | 'm' | 'W' | 'D' | 'H' | 'M' if digits => digits = false,
            _ => return false,
        }
    }
    !word.is_empty() && !digits
}

fn jira_log(a: &Args) -> Result<Call, BuildError> {
    let (key, _, text) = a.key_then_text(Kind::JiraIssue, "an issue key, e.g. PLAT-12")?;
    let text = a.required_text(text, "the time spent, e.g. 2h 30m")?;
    let words: Vec<&str> = text.split_whitespace().collect();
    let time = words.iter().take_while(|w| is_time_word(w)).count();
    if time == 0 {
        return Err(a.missing("the time spent first, e.g. 2h 30m"));
    }
    let mut args = json!({"issue_key": key, "time_spent": words[..time].join(" ")});
    if time < words.len() {
        args["comment"] = json!(words[time..].join(" "));
    }
    Ok(call("jira_add_worklog", args))
}

fn jira_sprint(a: &Args) -> Result<Call, BuildError> {
    a.at_most(1)?;
    let word = a.words.first().ok_or_else(|| a.missing("a board id, e.g. 1"))?;
    match word.text.parse::<u64>() {
        Ok(board) if board > 0 => Ok(call("jira_get_sprint_issues", json!({"board_id": board, "limit": 50}))),
        _ => Err(ParseError::at(word.span.start, format!("`{}` is not a board id like 1", word.raw)).into()),
    }
}

fn notion_search(a: &Args) -> Result<Call, BuildError> {
    let query = a.step.text.as_ref().map(|t| t.plain().to_string()).unwrap_or_default();
    Ok(call("notion_search", json!({"query": query})))
}

fn notion_page(a: &Args) -> Result<Call, BuildError> {
    let page = a.key_word(Kind::NotionPage, "a page id or URL")?;
    Ok(call("notion_get_page", json!({"page": page})))
}

fn notion_create(a: &Args) -> Result<Call, BuildError> {
    let parent = a.words.first().ok_or_else(|| a.missing("a parent page (id or URL)"))?;
    let parent_id =
        parse_key(Kind::NotionPage, &parent.text).ok_or_else(|| not_a(Kind::NotionPage, parent))?;
    let doc = a.one_input()?;
    let title = match (a.joined(1), doc) {
        (Some(title), _) => title,
        (None, Some(doc)) if !doc.title.is_empty() => doc.title.clone(),
        (None, Some(_)) => return Err(BuildError::Input("the piped document has no title".into())),
        (None, None) => return Err(a.missing("a title")),
    };
    let mut args = json!({"parent": parent_id, "title": title});
    match (&a.step.text, doc) {
        (Some(body), _) => args["content"] = json!(body.plain()),
        (None, Some(doc)) => args["content"] = json!(doc.body_with_source()),
        (None, None) => {}
    }
    if let Some(kind) = a.option("parent_type") {
        args["parent_type"] = json!(parent_type(a, kind)?);
    }
    Ok(call("notion_create_page", args))
}

fn parent_type<'v>(a: &Args, value: &'v str) -> Result<&'v str, BuildError> {
    const ACCEPTED: [&str; 3] = ["page", "database", "data_source"];
    if ACCEPTED.contains(&value) {
        return Ok(value);
    }
    let token = a.options.iter().find(|(n, _, _)| n == "parent_type").map(|(_, _, t)| *t);
    Err(ParseError::at(
        token.map_or(0, |t| t.span.start),
        format!("option `parent_type:` accepts page, database or data_source, not `{value}`"),
    )
    .with("option", json!("parent_type"))
    .with("accepted", json!(ACCEPTED))
    .into())
}

fn notion_append(a: &Args) -> Result<Call, BuildError> {
    let (page, typed, text) = a.key_then_text(Kind::NotionPage, "a page id or URL")?;
    let content = if typed {
        a.text_or_input(text, "text to append")?
    } else {
        a.required_text(text, "text to append")?
    };
    Ok(call("notion_append_content", json!({"page": page, "content": content})))
}

fn notion_move(a: &Args) -> Result<Call, BuildError> {
    a.at_most(2)?;
    let (page, to) = match a.words.as_slice() {
        [page, to] => {
            (parse_key(Kind::NotionPage, &page.text).ok_or_else(|| not_a(Kind::NotionPage, page))?, to)
        }
        [to] => (a.input_key(Kind::NotionPage, "the page to move")?, to),
        _ => return Err(a.missing("the page and its new parent (ids or URLs)")),
    };
    let to = parse_key(Kind::NotionPage, &to.text).ok_or_else(|| not_a(Kind::NotionPage, to))?;
    let mut args = json!({"page": page, "to": to});
    if let Some(kind) = a.option("to") {
        args["to_type"] = json!(kind);
    }
    Ok(call("notion_move_page", args))
}

fn notion_query(a: &Args) -> Result<Call, BuildError> {
    a.at_most(1)?;
    let database = a.words.first().ok_or_else(|| a.missing("a database id or URL"))?;
    let id = parse_key(Kind::NotionPage, &database.text).ok_or_else(|| not_a(Kind::NotionPage, database))?;
    let conditions: Vec<(String, String)> =
        a.options.iter().map(|(n, v, _)| (n.clone(), v.clone())).collect();
    let prepare = (!conditions.is_empty()).then_some(Prepare::NotionFilter { conditions });
    Ok(Call { tool: "notion_query_data_source", args: json!({"data_source": id}), prepare })
}

/// The provider of `/connect jira|notion`.
pub(crate) fn connect_provider(a: &Args) -> Result<Provider, BuildError> {
    a.at_most(1)?;
    let word = a.words.first().ok_or_else(|| a.missing("jira or notion"))?;
    Provider::parse(&word.text.to_lowercase()).ok_or_else(|| {
        ParseError::at(word.span.start, format!("/connect takes jira or notion, not `{}`", word.raw))
            .with("accepted", json!(["jira", "notion"]))
            .into()
    })
}

fn status(a: &Args) -> Result<Call, BuildError> {
    a.at_most(0)?;
    Ok(call("connections_status", Value::Object(Map::new())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::parse::parse;

    #[test]
    fn distance_is_exact_for_close_lengths_and_a_bound_for_far_ones() {
        assert_eq!(distance("jira serch", "jira search"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        // Far apart in length: the difference, without comparing letter by letter.
        assert_eq!(distance(&"x".repeat(500_000), "jira_search"), 500_000 - 11);
        assert_eq!(distance("a", &"b".repeat(40)), 39);
    }

    fn build(input: &str, piped: &Piped) -> Result<Call, BuildError> {
        let step = parse(input, &Catalog).unwrap().remove(0);
        let command = find(&step.path).unwrap();
        let Action::Tool(_, builder) = command.action else { panic!("not a tool command") };
        let input = (piped != &Piped::Nothing).then_some(piped);
        builder(&Args::new(command, &step, input)?)
    }

    #[test]
    fn jira_sprint_takes_one_board_id() {
        let call = build("/jira sprint 4", &Piped::Nothing).unwrap();
        assert_eq!((call.tool, call.args), ("jira_get_sprint_issues", json!({"board_id": 4, "limit": 50})));
        for bad in ["/jira sprint", "/jira sprint PLAT", "/jira sprint 0", "/jira sprint 1 2"] {
            assert!(matches!(build(bad, &Piped::Nothing), Err(BuildError::Arg(_))), "{bad}");
        }
    }

    #[test]
    fn jira_create_maps_words_options_and_body() {
        let call = build(
            "/jira create plat \"Login fails\" type:Bug priority:High assignee:me labels:a,b -- Steps **here**",
            &Piped::Nothing,
        )
        .unwrap();
        assert_eq!(
            call.args,
            json!({"project": "PLAT", "summary": "Login fails", "issue_type": "Bug", "priority": "High",
                   "assignee": "me", "labels": ["a", "b"], "description": "Steps **here**"})
        );
        let named = build("/jira create PLAT x assignee:\"Grace Hopper\"", &Piped::Nothing).unwrap();
        assert_eq!(
            named.prepare,
            Some(Prepare::JiraAccount { field: "assignee", name: "Grace Hopper".into() })
        );
    }

    #[test]
    fn a_bad_option_names_itself_and_what_is_accepted() {
        let Err(BuildError::Arg(e)) = build("/jira create PLAT x prio:High", &Piped::Nothing) else {
            panic!()
        };
        assert_eq!(e.position, 20);
        assert_eq!(e.details["option"], "prio");
        assert_eq!(e.details["accepted"][0], "type");
    }

    #[test]
    fn free_text_search_becomes_a_text_query_and_jql_stays() {
        let text = build("/jira search login \"fails\"", &Piped::Nothing).unwrap();
        assert_eq!(text.args["jql"], "text ~ \"login \\\"fails\\\"\"");
        let jql = build("/jira search project = PLAT AND status = “Done”", &Piped::Nothing).unwrap();
        assert_eq!(jql.args["jql"], "project = PLAT AND status = \"Done\"");
        let forced = build("/jira search \"project = PLAT\"", &Piped::Nothing).unwrap();
        assert_eq!(forced.args["jql"], "text ~ \"project = PLAT\"");
        assert!(looks_like_jql("assignee = currentUser() ORDER BY created"));
        assert!(!looks_like_jql("bug in login"));
    }

    #[test]
    fn piped_documents_fill_what_is_missing() {
        let issue = Piped::sample(Gives::One(Kind::JiraIssue));
        let comment = build("/jira comment Found again", &issue).unwrap();
        assert_eq!(comment.args, json!({"issue_key": "PLAT-1", "body": "Found again"}));
        let page = build("/notion create 598337872cf94fdf8782e53db20768a5", &issue).unwrap();
        assert_eq!(page.args["title"], "Title");
        assert!(
            page.args["content"]
                .as_str()
                .unwrap()
                .ends_with("Source: [PLAT-1 Title](https://example.invalid/)")
        );
        let list = Piped::sample(Gives::Many(Kind::JiraIssue));
        let Err(BuildError::Input(why)) = build("/jira create PLAT", &list) else { panic!() };
        assert!(why.contains("a list of Jira issues"), "{why}");
        let notion = Piped::sample(Gives::One(Kind::NotionPage));
        let Err(BuildError::Input(why)) = build("/jira move Done", &notion) else { panic!() };
        assert!(why.contains("a Notion page"), "{why}");
    }

    #[test]
    fn close_commands_are_suggested() {
        assert_eq!(closest(&["jira".into(), "serch".into()])[0], "/jira search", "the closest first");
        assert_eq!(closest(&["stats".into()]), ["/status"]);
        assert_eq!(closest(&["jira".into()]).len(), 12);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
