//! Notion tools for single blocks and for the workspace's people: list a page's blocks with
//! their ids, replace one block's text, move one to the trash, list users.

use super::context::{Reply, ToolContext, ToolError, bounded};
use super::notion::{notion, notion_id};
use super::registry::{Group, OVERWRITE, ToolDef, Toolset};
use crate::markdown::notion::{code_rich_text, markdown_to_rich_text, rich_text_to_markdown};
use axum::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// This module's tools as a selectable set.
pub(crate) const BLOCKS: Toolset = Toolset {
    name: "notion_blocks",
    group: Group::Notion,
    about: "a page's single blocks: list, replace, delete; workspace users",
};

/// The block and user tools.
pub(crate) fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(BLOCKS, name, title);
    vec![
        tool("notion_list_blocks", "List a Notion page's blocks")
            .about("The blocks directly inside a Notion page or block, with their ids, types and text as Markdown (for notion_update_block and notion_delete_block).")
            .run(list_blocks),
        tool("notion_update_block", "Replace a Notion block's text")
            .about("Replace the text of one Notion block (paragraph, heading, list item, to-do, toggle, quote, callout, code) with inline Markdown; a to-do can be checked or unchecked.")
            .hints(OVERWRITE)
            .run(update_block),
        tool("notion_delete_block", "Delete a Notion block")
            .about("Move one Notion block (and what it contains) to the trash.")
            .hints(OVERWRITE)
            .run(delete_block),
        tool("notion_list_users", "List Notion users")
            .about("The people and bots of the Notion workspace.")
            .run(list_users),
    ]
}

/// The block types whose content is one rich text, which `notion_update_block` replaces.
const TEXT_BLOCKS: &[&str] = &[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "callout",
    "code",
];

/// Arguments of `notion_list_blocks`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListBlocksArgs {
    /// Page or block id or URL.
    pub page: String,
    /// 1-100, default 50.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub workspace: Option<String>,
}

/// One block as `notion_list_blocks` shows it.
#[derive(Serialize, JsonSchema)]
pub(crate) struct BlockOut {
    pub id: String,
    /// Notion's block type (`paragraph`, `heading_1`, `to_do`, `child_page`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The block's text as inline Markdown (empty for blocks without text).
    pub text: String,
    /// Set for a to-do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked: Option<bool>,
    /// Blocks inside it (list them with its id).
    pub has_children: bool,
    /// A media block's file (image, video, audio, pdf, file): mcpserver's URI for a file
    /// Notion hosts (read it with resources/read), or the URL of an external one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Result of `notion_list_blocks`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct BlockList {
    pub blocks: Vec<BlockOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A block as listed; `workspace_id` names the workspace in the URIs of hosted files.
fn block_out(block: &Value, workspace_id: &str) -> BlockOut {
    let kind = block["type"].as_str().unwrap_or_default().to_string();
    let content = &block[kind.as_str()];
    let text = match content["rich_text"].as_array() {
        Some(rt) => rich_text_to_markdown(rt),
        // A media block's text is its caption.
        None => match content["caption"].as_array() {
            Some(caption) => rich_text_to_markdown(caption),
            None => content["title"].as_str().unwrap_or_default().to_string(),
        },
    };
    let id = block["id"].as_str().unwrap_or_default().to_string();
    let file = match content["type"].as_str() {
        _ if !super::notion_files::MEDIA_BLOCKS.contains(&kind.as_str()) => None,
        Some("file") => Some(
            super::resources::FileRef::NotionBlock { workspace_id: workspace_id.to_string(), id: id.clone() }
                .uri(),
        ),
        Some("external") => content["external"]["url"].as_str().map(str::to_string),
        _ => None,
    };
    BlockOut {
        id,
        checked: (kind == "to_do").then(|| content["checked"].as_bool().unwrap_or(false)),
        kind,
        text,
        has_children: block["has_children"].as_bool().unwrap_or(false),
        file,
    }
}

pub(crate) async fn list_blocks(
    ctx: ToolContext,
    args: ListBlocksArgs,
) -> Result<Reply<BlockList>, ToolError> {
    let id = notion_id(&args.page)?;
    let limit = bounded(args.limit, 50, (1, 100), "limit")?;
    let mut call = notion(format!("/blocks/{id}/children")).query("page_size", limit);
    if let Some(c) = &args.cursor {
        call = call.query("start_cursor", c);
    }
    let (answer, connection) = ctx.send(call.account(args.workspace.as_deref())).await?;
    let workspace_id = connection.profile.workspace_id.as_deref().unwrap_or(&connection.profile.account_id);
    let blocks: Vec<BlockOut> =
        answer["results"].as_array().into_iter().flatten().map(|b| block_out(b, workspace_id)).collect();
    let next_cursor = answer["next_cursor"].as_str().map(str::to_string);
    let mut markdown = String::new();
    for b in &blocks {
        let check = match b.checked {
            Some(true) => " [x]",
            Some(false) => " [ ]",
            None => "",
        };
        let _ = writeln!(markdown, "- `{}` {}{check} {}", b.id, b.kind, b.text);
        if let Some(file) = &b.file {
            let _ = writeln!(markdown, "  file: {file}");
        }
    }
    if blocks.is_empty() {
        markdown.push_str("No blocks.");
    }
    if let Some(c) = &next_cursor {
        let _ = write!(markdown, "\nMore blocks: cursor `{c}`");
    }
    // Each Notion-hosted file also as a resource link, for clients that read them.
    let links = blocks
        .iter()
        .filter_map(|b| b.file.as_deref().filter(|f| f.starts_with("mcpserver://")).map(|f| (b, f)))
        .map(|(b, uri)| {
            let name = if b.text.is_empty() { format!("{} block {}", b.kind, b.id) } else { b.text.clone() };
            rmcp::model::ContentBlock::resource_link(rmcp::model::Resource::new(uri, name))
        })
        .collect();
    Ok(Reply::new(BlockList { blocks, next_cursor }, markdown.trim_end().to_string()).with_content(links))
}

/// Arguments of `notion_update_block`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBlockArgs {
    /// Block id (from notion_list_blocks).
    pub block: String,
    /// The new text, inline Markdown (for a code block: the code as it is).
    pub text: Option<String>,
    /// For a to-do: checked or not.
    pub checked: Option<bool>,
    pub workspace: Option<String>,
}

pub(crate) async fn update_block(
    ctx: ToolContext,
    args: UpdateBlockArgs,
) -> Result<Reply<BlockOut>, ToolError> {
    let id = notion_id(&args.block)?;
    if args.text.is_none() && args.checked.is_none() {
        return Err(ToolError::invalid("give text, checked or both"));
    }
    let workspace = args.workspace.as_deref();
    let current = ctx.json(notion(format!("/blocks/{id}")).account(workspace)).await?;
    let kind = current["type"].as_str().unwrap_or_default().to_string();
    if !TEXT_BLOCKS.contains(&kind.as_str()) {
        return Err(ToolError::invalid(format!(
            "a `{kind}` block has no text to replace; blocks with text: {}",
            TEXT_BLOCKS.join(", ")
        )));
    }
    if args.checked.is_some() && kind != "to_do" {
        return Err(ToolError::invalid(format!("checked applies to a to_do block, not a `{kind}` block")));
    }
    let mut content = json!({});
    if let Some(text) = &args.text {
        content["rich_text"] =
            if kind == "code" { json!(code_rich_text(text)) } else { json!(markdown_to_rich_text(text)) };
    }
    if let Some(checked) = args.checked {
        content["checked"] = json!(checked);
    }
    let body = json!({ kind.as_str(): content });
    let updated =
        ctx.json(notion(format!("/blocks/{id}")).with_method(Method::PATCH, body).account(workspace)).await?;
    // A text block: no file, so no workspace in a URI.
    let out = block_out(&updated, "");
    let markdown = format!("Block `{}` ({}) updated.", out.id, out.kind);
    Ok(Reply::new(out, markdown))
}

/// Arguments of `notion_delete_block`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteBlockArgs {
    /// Block id (from notion_list_blocks).
    pub block: String,
    pub workspace: Option<String>,
}

/// Result of `notion_delete_block`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct BlockDeleted {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub in_trash: bool,
}

pub(crate) async fn delete_block(
    ctx: ToolContext,
    args: DeleteBlockArgs,
) -> Result<Reply<BlockDeleted>, ToolError> {
    let id = notion_id(&args.block)?;
    let call = notion(format!("/blocks/{id}")).delete();
    let deleted = ctx.json(call.account(args.workspace.as_deref())).await?;
    let out = BlockDeleted {
        id: deleted["id"].as_str().unwrap_or(&id).to_string(),
        kind: deleted["type"].as_str().unwrap_or_default().to_string(),
        in_trash: deleted["in_trash"].as_bool().or_else(|| deleted["archived"].as_bool()).unwrap_or(true),
    };
    let markdown = format!("Block `{}` ({}) moved to the trash.", out.id, out.kind);
    Ok(Reply::new(out, markdown))
}

/// Arguments of `notion_list_users`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListUsersArgs {
    /// 1-100, default 50.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub workspace: Option<String>,
}

/// A Notion user.
#[derive(Serialize, JsonSchema)]
pub(crate) struct UserOut {
    pub id: String,
    /// `person` or `bot`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Result of `notion_list_users`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct UserList {
    pub users: Vec<UserOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub(crate) async fn list_users(ctx: ToolContext, args: ListUsersArgs) -> Result<Reply<UserList>, ToolError> {
    let limit = bounded(args.limit, 50, (1, 100), "limit")?;
    let mut call = notion("/users").query("page_size", limit);
    if let Some(c) = &args.cursor {
        call = call.query("start_cursor", c);
    }
    let answer = ctx.json(call.account(args.workspace.as_deref())).await?;
    let users: Vec<UserOut> = answer["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| UserOut {
            id: u["id"].as_str().unwrap_or_default().to_string(),
            kind: u["type"].as_str().unwrap_or_default().to_string(),
            name: u["name"].as_str().unwrap_or_default().to_string(),
            email: u.pointer("/person/email").and_then(Value::as_str).map(str::to_string),
        })
        .collect();
    let next_cursor = answer["next_cursor"].as_str().map(str::to_string);
    let mut markdown: String = users
        .iter()
        .map(|u| match &u.email {
            Some(e) => format!("- {} ({}, {e}) `{}`", u.name, u.kind, u.id),
            None => format!("- {} ({}) `{}`", u.name, u.kind, u.id),
        })
        .collect::<Vec<_>>()
        .join("\n");
    if users.is_empty() {
        markdown.push_str("No users.");
    }
    if let Some(c) = &next_cursor {
        let _ = write!(markdown, "\n\nMore users: cursor `{c}`");
    }
    Ok(Reply::new(UserList { users, next_cursor }, markdown))
}
