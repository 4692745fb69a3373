//! Jira tools for comments after the fact and for people: edit or delete a comment, list,
//! add and remove an issue's watchers, and who the connection is (`/myself`).

use super::context::{Reply, ToolContext, ToolError};
use super::jira::{Comment, CommentDoc, account_id, comment, issue_key, jira};
use super::registry::{Group, OVERWRITE, ToolDef, Toolset, WRITE_IDEMPOTENT};
use crate::markdown::offload;
use axum::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// This module's tools as a selectable set.
pub(crate) const PEOPLE: Toolset = Toolset {
    name: "jira_people",
    group: Group::Jira,
    about: "edit and delete comments, watchers, who the connection is",
};

/// The comment, watcher and identity tools.
pub(crate) fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(PEOPLE, name, title);
    vec![
        tool("jira_update_comment", "Edit a Jira comment")
            .about("Replace the text of a comment on a Jira issue (Markdown).")
            .hints(OVERWRITE)
            .run(update_comment),
        tool("jira_delete_comment", "Delete a Jira comment")
            .about("Delete a comment from a Jira issue.")
            .hints(OVERWRITE)
            .run(delete_comment),
        tool("jira_get_watchers", "Watchers of a Jira issue")
            .about("Who watches a Jira issue, and whether the connected user does.")
            .run(get_watchers),
        tool("jira_add_watcher", "Watch a Jira issue")
            .about("Add a watcher to a Jira issue: `me` (default) or an account id.")
            .hints(WRITE_IDEMPOTENT)
            .run(add_watcher),
        tool("jira_remove_watcher", "Stop watching a Jira issue")
            .about("Remove a watcher from a Jira issue: `me` (default) or an account id.")
            .hints(OVERWRITE)
            .run(remove_watcher),
        tool("jira_whoami", "Who am I in Jira")
            .about("The Jira user this connection acts as: account id, name, e-mail, time zone.")
            .run(whoami),
    ]
}

/// A comment id, checked so it cannot alter the path.
fn comment_id(id: &str) -> Result<String, ToolError> {
    let id = id.trim();
    if !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(id.to_string())
    } else {
        Err(ToolError::invalid("comment_id must be a comment's numeric id (from jira_get_comments)"))
    }
}

/// Arguments of `jira_update_comment`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateCommentArgs {
    pub issue_key: String,
    /// The comment's id (from jira_get_comments).
    pub comment_id: String,
    /// The new text in Markdown.
    pub body: String,
    pub site: Option<String>,
}

/// Result of `jira_update_comment`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct CommentUpdated {
    pub key: String,
    pub comment: Comment,
}

pub(crate) async fn update_comment(
    ctx: ToolContext,
    args: UpdateCommentArgs,
) -> Result<Reply<CommentUpdated>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let id = comment_id(&args.comment_id)?;
    if args.body.trim().is_empty() {
        return Err(ToolError::invalid("body must not be empty"));
    }
    let body = json!({"body": offload::markdown_to_adf(args.body.clone()).await});
    let call = jira(format!("/issue/{key}/comment/{id}")).with_method(Method::PUT, body);
    let (updated, _) = ctx.send_as::<CommentDoc>(call.site(args.site.as_deref())).await?;
    let markdown = format!("Comment {id} on **{key}** updated.");
    Ok(Reply::new(CommentUpdated { key, comment: comment(&updated) }, markdown))
}

/// Arguments of `jira_delete_comment`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteCommentArgs {
    pub issue_key: String,
    /// The comment's id (from jira_get_comments).
    pub comment_id: String,
    pub site: Option<String>,
}

/// Result of `jira_delete_comment`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct CommentDeleted {
    pub key: String,
    pub comment_id: String,
}

pub(crate) async fn delete_comment(
    ctx: ToolContext,
    args: DeleteCommentArgs,
) -> Result<Reply<CommentDeleted>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let id = comment_id(&args.comment_id)?;
    ctx.send(jira(format!("/issue/{key}/comment/{id}")).delete().site(args.site.as_deref())).await?;
    let markdown = format!("Comment {id} deleted from **{key}**.");
    Ok(Reply::new(CommentDeleted { key, comment_id: id }, markdown))
}

/// Arguments of `jira_get_watchers`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WatchersArgs {
    pub issue_key: String,
    pub site: Option<String>,
}

/// A Jira user.
#[derive(Serialize, JsonSchema)]
pub(crate) struct User {
    pub account_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

fn user(u: &Value) -> User {
    User {
        account_id: u["accountId"].as_str().unwrap_or_default().to_string(),
        name: u["displayName"].as_str().unwrap_or_default().to_string(),
        email: u["emailAddress"].as_str().map(str::to_string),
    }
}

/// Result of `jira_get_watchers`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Watchers {
    pub key: String,
    /// Whether the connected user watches the issue.
    pub watching: bool,
    pub watchers: Vec<User>,
}

pub(crate) async fn get_watchers(ctx: ToolContext, args: WatchersArgs) -> Result<Reply<Watchers>, ToolError> {
    let key = issue_key(&args.issue_key)?;
    let answer = ctx.json(jira(format!("/issue/{key}/watchers")).site(args.site.as_deref())).await?;
    let watchers: Vec<User> = answer["watchers"].as_array().into_iter().flatten().map(user).collect();
    let names: Vec<&str> = watchers.iter().map(|w| w.name.as_str()).collect();
    let markdown = if names.is_empty() {
        format!("Nobody watches **{key}**.")
    } else {
        format!("**{key}** is watched by {}.", names.join(", "))
    };
    let watching = answer["isWatching"].as_bool().unwrap_or(false);
    Ok(Reply::new(Watchers { key, watching, watchers }, markdown))
}

/// Arguments of `jira_add_watcher` and `jira_remove_watcher`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WatcherArgs {
    pub issue_key: String,
    /// `me` (the default) or an account id (from jira_search_users).
    pub user: Option<String>,
    pub site: Option<String>,
}

/// Result of `jira_add_watcher` and `jira_remove_watcher`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct WatcherChanged {
    pub key: String,
    pub account_id: String,
    pub watching: bool,
}

async fn watcher_account(ctx: &ToolContext, args: &WatcherArgs) -> Result<(String, String), ToolError> {
    let key = issue_key(&args.issue_key)?;
    let who = args.user.as_deref().unwrap_or("me");
    let account = account_id(ctx, who)
        .await?
        .ok_or_else(|| ToolError::invalid("user must be `me` or an account id"))?;
    Ok((key, account))
}

pub(crate) async fn add_watcher(
    ctx: ToolContext,
    args: WatcherArgs,
) -> Result<Reply<WatcherChanged>, ToolError> {
    let (key, account) = watcher_account(&ctx, &args).await?;
    let call = jira(format!("/issue/{key}/watchers")).with_method(Method::POST, json!(account));
    ctx.send(call.site(args.site.as_deref())).await?;
    let markdown = format!("{account} now watches **{key}**.");
    Ok(Reply::new(WatcherChanged { key, account_id: account, watching: true }, markdown))
}

pub(crate) async fn remove_watcher(
    ctx: ToolContext,
    args: WatcherArgs,
) -> Result<Reply<WatcherChanged>, ToolError> {
    let (key, account) = watcher_account(&ctx, &args).await?;
    let call = jira(format!("/issue/{key}/watchers")).delete().query("accountId", &account);
    ctx.send(call.site(args.site.as_deref())).await?;
    let markdown = format!("{account} no longer watches **{key}**.");
    Ok(Reply::new(WatcherChanged { key, account_id: account, watching: false }, markdown))
}

/// Arguments of `jira_whoami`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhoamiArgs {
    pub site: Option<String>,
}

/// Result of `jira_whoami`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Me {
    #[serde(flatten)]
    pub user: User,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

pub(crate) async fn whoami(ctx: ToolContext, args: WhoamiArgs) -> Result<Reply<Me>, ToolError> {
    let answer = ctx.json(jira("/myself").site(args.site.as_deref())).await?;
    let me = Me {
        user: user(&answer),
        time_zone: answer["timeZone"].as_str().map(str::to_string),
        locale: answer["locale"].as_str().map(str::to_string),
    };
    let markdown = format!("You are **{}** (`{}`) in Jira.", me.user.name, me.user.account_id);
    Ok(Reply::new(me, markdown))
}
