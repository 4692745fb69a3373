//! Notion's data: pages, blocks, databases, data sources, comments.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{
    richtext,
    uploads::{self, FileUploads, Hosting},
};

/// Where an object lives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Parent {
    Workspace,
    Page(String),
    Block(String),
    DataSource { data_source: String, database: String },
}

/// Who created or edited an object: a person's user id or a bot id.
pub(crate) type UserId = String;

/// A page; `properties` are stored in response form, keyed by property name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Page {
    pub id: String,
    pub parent: Parent,
    pub properties: Map<String, Value>,
    pub created_time: OffsetDateTime,
    pub last_edited_time: OffsetDateTime,
    pub created_by: UserId,
    pub last_edited_by: UserId,
    pub in_trash: bool,
    pub is_locked: bool,
    pub icon: Value,
    pub cover: Value,
}

impl Page {
    /// The title's plain text.
    pub(crate) fn title(&self) -> String {
        self.properties
            .values()
            .find(|p| p.get("type").and_then(Value::as_str) == Some("title"))
            .and_then(|p| p.get("title").and_then(Value::as_array))
            .map(|items| richtext::plain(items))
            .unwrap_or_default()
    }
}

/// A content block; `content` is the type-specific object without `children`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Block {
    pub id: String,
    pub parent: Parent,
    pub kind: String,
    pub content: Value,
    pub created_time: OffsetDateTime,
    pub last_edited_time: OffsetDateTime,
    pub created_by: UserId,
    pub last_edited_by: UserId,
    pub in_trash: bool,
}

/// An entry in a page's or block's children list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Child {
    Block(String),
    Page(String),
    Database(String),
}

impl Child {
    pub(crate) fn id(&self) -> &str {
        match self {
            Child::Block(id) | Child::Page(id) | Child::Database(id) => id,
        }
    }
}

/// A database container (2025-09-03: holds data sources).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Database {
    pub id: String,
    pub parent: Parent,
    pub title: Vec<Value>,
    pub description: Vec<Value>,
    pub data_sources: Vec<String>,
    pub created_time: OffsetDateTime,
    pub last_edited_time: OffsetDateTime,
    pub created_by: UserId,
    pub is_inline: bool,
    pub in_trash: bool,
    pub icon: Value,
}

/// One property of a data source's schema.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PropSchema {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// Type configuration, e.g. `{"options": [...]}` for selects.
    pub config: Value,
}

/// A data source: the schema and the rows' parent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct DataSource {
    pub id: String,
    pub database_id: String,
    pub name: String,
    pub properties: Vec<PropSchema>,
    pub created_time: OffsetDateTime,
    pub last_edited_time: OffsetDateTime,
    pub created_by: UserId,
}

impl DataSource {
    /// A property by name or id.
    pub(crate) fn property(&self, key: &str) -> Option<&PropSchema> {
        self.properties.iter().find(|p| p.name == key || p.id == key)
    }

    pub(crate) fn property_mut(&mut self, key: &str) -> Option<&mut PropSchema> {
        self.properties.iter_mut().find(|p| p.name == key || p.id == key)
    }
}

/// A comment on a page or block.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Comment {
    pub id: String,
    pub parent: Parent,
    pub discussion_id: String,
    pub rich_text: Vec<Value>,
    pub created_time: OffsetDateTime,
    pub created_by: UserId,
    pub display_name: String,
}

/// The workspace's content.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct NotionData {
    pub workspace_id: String,
    pub workspace_name: String,
    pub workspace_icon: String,
    pub pages: HashMap<String, Page>,
    pub blocks: HashMap<String, Block>,
    pub children: HashMap<String, Vec<Child>>,
    pub databases: HashMap<String, Database>,
    pub data_sources: HashMap<String, DataSource>,
    pub comments: Vec<Comment>,
    /// Creation order of pages, for stable listings.
    pub page_order: Vec<String>,
    /// File uploads (`/v1/file_uploads`).
    #[serde(default)]
    pub uploads: FileUploads,
    /// A paid workspace (5 GiB per file) rather than a free one (5 MiB).
    #[serde(default)]
    pub paid_plan: bool,
    /// How attached uploads render as hosted files; set on every access, never saved.
    #[serde(skip)]
    pub hosting: Hosting,
}

impl NotionData {
    /// The largest file a connection may upload (`workspace_limits.max_file_upload_size_in_bytes`).
    pub(crate) fn max_file_upload_bytes(&self) -> u64 {
        if self.paid_plan { uploads::PAID_LIMIT } else { uploads::FREE_LIMIT }
    }

    /// Children of a page or block, in order.
    pub(crate) fn children_of(&self, id: &str) -> &[Child] {
        self.children.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Appends children after `after` (or at the end, or at the start).
    pub(crate) fn insert_children(&mut self, parent: &str, new: Vec<Child>, at: Position) {
        let list = self.children.entry(parent.to_string()).or_default();
        let index = match at {
            Position::End => list.len(),
            Position::Start => 0,
            Position::After(id) => list.iter().position(|c| c.id() == id).map_or(list.len(), |i| i + 1),
        };
        list.splice(index..index, new);
    }

    /// True if the id names a page, block or database that is in the trash.
    pub(crate) fn is_trashed(&self, id: &str) -> bool {
        self.pages
            .get(id)
            .map(|p| p.in_trash)
            .or_else(|| self.blocks.get(id).map(|b| b.in_trash))
            .or_else(|| self.databases.get(id).map(|d| d.in_trash))
            .unwrap_or(false)
    }

    /// Does a page or block with this id exist?
    pub(crate) fn is_container(&self, id: &str) -> bool {
        self.pages.contains_key(id) || self.blocks.contains_key(id)
    }
}

/// Where appended children go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Position {
    Start,
    End,
    After(String),
}

impl NotionData {
    /// Stores `blocks` (and their nested children) under `parent_id` at `at`; returns the
    /// ids of the top-level blocks in order.
    pub(crate) fn insert_blocks(
        &mut self,
        parent_id: &str,
        blocks: Vec<super::blockspec::NewBlock>,
        at: Position,
        stamp: &Stamp,
        new_id: &mut dyn FnMut() -> String,
    ) -> Vec<String> {
        let parent = if self.pages.contains_key(parent_id) {
            Parent::Page(parent_id.to_string())
        } else {
            Parent::Block(parent_id.to_string())
        };
        let mut created = Vec::new();
        for b in blocks {
            let id = new_id();
            self.blocks.insert(
                id.clone(),
                Block {
                    id: id.clone(),
                    parent: parent.clone(),
                    kind: b.kind,
                    content: b.content,
                    created_time: stamp.at,
                    last_edited_time: stamp.at,
                    created_by: stamp.by.clone(),
                    last_edited_by: stamp.by.clone(),
                    in_trash: false,
                },
            );
            if !b.children.is_empty() {
                self.insert_blocks(&id, b.children, Position::End, stamp, new_id);
            }
            created.push(id);
        }
        let entries = created.iter().cloned().map(Child::Block).collect();
        self.insert_children(parent_id, entries, at);
        created
    }
}

/// Who did something, and when.
#[derive(Clone, Debug)]
pub(crate) struct Stamp {
    pub by: UserId,
    pub at: OffsetDateTime,
}
