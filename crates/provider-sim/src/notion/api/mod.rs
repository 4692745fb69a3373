//! Handlers of the Notion REST API.

use super::{
    NotionCtx,
    model::{NotionData, Stamp},
    uploads::Hosting,
};
use crate::state::Sim;

mod blocks;
mod comments;
mod databases;
mod files;
mod pages;
mod search;
mod structure;
mod users;

pub(super) use blocks::{append_children, delete_block, get_block, list_children, update_block};
pub(super) use comments::{create_comment, list_comments};
pub(super) use databases::{get_data_source, get_database, query_data_source, query_database};
pub(super) use files::{SEND_BODY_LIMIT, create_file_upload, get_file_upload, hosted_file, send_file_upload};
pub(super) use pages::{create_page, get_page, page_property, update_page};
pub(super) use search::search;
pub(super) use structure::{
    create_database, get_page_markdown, move_page, update_data_source, update_page_markdown,
};
pub(super) use users::{get_user, list_users, me};

/// Runs `f` on the workspace with a stamp for the caller (minute precision, as Notion); the
/// workspace's `hosting` says where and when attached uploads are rendered.
fn on_data<R>(sim: &Sim, ctx: &NotionCtx, f: impl FnOnce(&mut NotionData, Stamp) -> R) -> R {
    sim.with(|w| {
        let now = w.clock.now();
        let at = now.replace_second(0).and_then(|t| t.replace_nanosecond(0)).unwrap_or(now);
        w.notion.hosting = Hosting { origin: sim.base_url.clone(), now };
        f(&mut w.notion, Stamp { by: ctx.bot_id.clone(), at })
    })
}

/// Fresh id for a created object.
fn new_id() -> String {
    crate::ids::random_uuid()
}

/// Notion's answer for edits below something in the trash.
fn archived() -> super::errors::NotionError {
    super::errors::NotionError::validation(
        "Can't edit block that is archived. You must unarchive the block before editing.",
    )
}
