//! The document model that chains pipe between steps: every tool result reads as one
//! document (title, Markdown body, link, key or id) or a list of them.

use crate::mcp::context::text;
use crate::mcp::registry::Group;
use serde_json::Value;

/// Where a document lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    JiraIssue,
    NotionPage,
}

impl Kind {
    /// The kind of a tool group's results.
    pub(crate) fn of(group: Group) -> Option<Self> {
        match group {
            Group::Jira => Some(Self::JiraIssue),
            Group::Notion => Some(Self::NotionPage),
            Group::Meta => None,
        }
    }

    /// How people call one: "a Jira issue".
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Self::JiraIssue => "a Jira issue",
            Self::NotionPage => "a Notion page",
        }
    }

    /// How people call several: "Jira issues".
    pub(crate) fn plural(self) -> &'static str {
        match self {
            Self::JiraIssue => "Jira issues",
            Self::NotionPage => "Notion pages",
        }
    }
}

/// One result as a document.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Document {
    pub kind: Kind,
    /// Jira issue key or Notion id.
    pub key: Option<String>,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub url: Option<String>,
    /// A one-line summary for lists (status, assignee, properties).
    pub note: Option<String>,
}

/// What one step hands the next.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piped {
    Nothing,
    One(Document),
    Many(Vec<Document>),
}

/// What a command gives the next step, known before anything runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gives {
    Nothing,
    One(Kind),
    Many(Kind),
}

impl Piped {
    /// A tool's structured result as documents: `issues`, `results` or `rows` make a list,
    /// anything else one document.
    pub(crate) fn from_result(group: Group, structured: &Value) -> Self {
        let Some(kind) = Kind::of(group) else {
            return Self::Nothing;
        };
        let list = ["issues", "results", "rows"].iter().find_map(|f| structured[*f].as_array());
        match list {
            Some(items) => Self::Many(items.iter().map(|i| document(kind, i)).collect()),
            None => Self::One(document(kind, structured)),
        }
    }

    /// A stand-in of what a command gives, to check a chain before it runs.
    pub(crate) fn sample(gives: Gives) -> Self {
        match gives {
            Gives::Nothing => Self::Nothing,
            Gives::One(kind) => Self::One(sample(kind)),
            Gives::Many(kind) => Self::Many(vec![sample(kind), sample(kind)]),
        }
    }

    /// What this is, for messages: "a Jira issue", "a list of Notion pages", "nothing".
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Nothing => "nothing".into(),
            Self::One(d) => d.kind.noun().into(),
            Self::Many(list) => match list.first() {
                Some(d) => format!("a list of {}", d.kind.plural()),
                None => "an empty list".into(),
            },
        }
    }

    /// The documents as Markdown: a list of links, or one document with its body.
    pub(crate) fn markdown(&self) -> String {
        match self {
            Self::Nothing => String::new(),
            Self::One(d) => d.markdown(),
            Self::Many(list) => list.iter().map(Document::list_item).collect::<Vec<_>>().join("\n"),
        }
    }
}

fn sample(kind: Kind) -> Document {
    let key = match kind {
        Kind::JiraIssue => "PLAT-1",
        Kind::NotionPage => "00000000-0000-0000-0000-000000000001",
    };
    Document {
        kind,
        key: Some(key.into()),
        title: "Title".into(),
        body: "Body".into(),
        url: Some("https://example.invalid/".into()),
        note: None,
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// One result object as a document.
fn document(kind: Kind, v: &Value) -> Document {
    let first = |fields: &[&str]| fields.iter().map(|f| text(v, &format!("/{f}"))).find(|s| !s.is_empty());
    let key = match kind {
        Kind::JiraIssue => first(&["key"]),
        Kind::NotionPage => first(&["id", "page"]),
    };
    Document {
        kind,
        key: key.map(str::to_string),
        title: first(&["summary", "title"]).unwrap_or_default().to_string(),
        body: first(&["description", "content"]).unwrap_or_default().to_string(),
        url: non_empty(text(v, "/url")),
        note: note(kind, v),
    }
}

/// Status and assignee of an issue; the non-title properties of a Notion row.
fn note(kind: Kind, v: &Value) -> Option<String> {
    let parts: Vec<String> = match kind {
        Kind::JiraIssue => {
            ["status", "assignee"].iter().filter_map(|f| non_empty(text(v, &format!("/{f}")))).collect()
        }
        Kind::NotionPage => v["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, p)| !p.is_null() && *p != "" && p.as_str() != Some(text(v, "/title")))
            .filter(|(_, p)| !p.as_array().is_some_and(Vec::is_empty))
            .map(|(k, p)| format!("{k}: {}", plain(p)))
            .collect(),
    };
    (!parts.is_empty()).then(|| parts.join(" · "))
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

impl Document {
    /// "PLAT-12 Fix login" for issues, the title for pages.
    pub(crate) fn label(&self) -> String {
        let title = if self.title.is_empty() { "Untitled" } else { &self.title };
        match (self.kind, &self.key) {
            (Kind::JiraIssue, Some(key)) if self.title.is_empty() => key.clone(),
            (Kind::JiraIssue, Some(key)) => format!("{key} {title}"),
            _ => title.to_string(),
        }
    }

    /// `[label](url)`, or the label alone.
    pub(crate) fn link(&self) -> String {
        match &self.url {
            Some(url) => format!("[{}]({url})", escape_brackets(&self.label())),
            None => self.label(),
        }
    }

    /// `- [label](url) — note`
    pub(crate) fn list_item(&self) -> String {
        match &self.note {
            Some(note) => format!("- {} — {note}", self.link()),
            None => format!("- {}", self.link()),
        }
    }

    /// The document as Markdown to append or comment: its link in bold, then its body.
    pub(crate) fn markdown(&self) -> String {
        if self.body.trim().is_empty() {
            format!("**{}**", self.link())
        } else {
            format!("**{}**\n\n{}", self.link(), self.body.trim_end())
        }
    }

    /// The body followed by a link back to this document (for a copy made elsewhere).
    pub(crate) fn body_with_source(&self) -> String {
        let source = format!("Source: {}", self.link());
        if self.body.trim().is_empty() { source } else { format!("{}\n\n{source}", self.body.trim_end()) }
    }
}

fn escape_brackets(s: &str) -> String {
    s.replace('[', "\\[").replace(']', "\\]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_issue_reads_as_a_document_and_a_search_as_a_list() {
        let issue = json!({"key": "PLAT-3", "summary": "Fix [login]", "description": "Steps", "url": "https://j/browse/PLAT-3", "status": "Done"});
        let Piped::One(doc) = Piped::from_result(Group::Jira, &issue) else { panic!() };
        assert_eq!(doc.label(), "PLAT-3 Fix [login]");
        assert_eq!(
            doc.body_with_source(),
            "Steps\n\nSource: [PLAT-3 Fix \\[login\\]](https://j/browse/PLAT-3)"
        );
        let list = Piped::from_result(Group::Jira, &json!({"issues": [issue]}));
        assert_eq!(list.markdown(), "- [PLAT-3 Fix \\[login\\]](https://j/browse/PLAT-3) — Done");
        assert_eq!(list.describe(), "a list of Jira issues");
        assert_eq!(Piped::from_result(Group::Meta, &json!({})), Piped::Nothing);
    }

    #[test]
    fn a_notion_row_notes_its_properties() {
        let row = json!({"id": "abc", "title": "Task", "url": "u", "properties": {"Name": "Task", "Status": "Done", "Tags": ["A", "B"], "Due": null}});
        let Piped::Many(docs) = Piped::from_result(Group::Notion, &json!({"rows": [row]})) else { panic!() };
        assert_eq!(docs[0].list_item(), "- [Task](u) — Status: Done · Tags: A, B");
    }
}
