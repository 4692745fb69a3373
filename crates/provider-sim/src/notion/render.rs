//! Response shapes of Notion objects, per `Notion-Version`.

use serde_json::{Map, Value, json};

use super::{
    model::{Block, Child, Comment, DataSource, Database, NotionData, Page, Parent},
    richtext,
    version::Version,
};
use crate::{clock::iso, ids, seed::people::Person};

/// `{"object":"user","id":…}`.
pub(crate) fn user_ref(id: &str) -> Value {
    json!({"object": "user", "id": id})
}

/// A parent object.
pub(crate) fn parent(p: &Parent, v: Version) -> Value {
    match p {
        Parent::Workspace => json!({"type": "workspace", "workspace": true}),
        Parent::Page(id) => json!({"type": "page_id", "page_id": id}),
        Parent::Block(id) => json!({"type": "block_id", "block_id": id}),
        Parent::DataSource { data_source, database } if v.has_data_sources() => {
            json!({"type": "data_source_id", "data_source_id": data_source, "database_id": database})
        }
        Parent::DataSource { database, .. } => json!({"type": "database_id", "database_id": database}),
    }
}

fn trash_fields(obj: &mut Value, in_trash: bool, v: Version) {
    if v.has_archived() {
        obj["archived"] = Value::Bool(in_trash);
    }
    obj["in_trash"] = Value::Bool(in_trash);
}

/// `https://www.notion.so/Title-Words-<id without dashes>`.
pub(crate) fn url(title: &str, id: &str) -> String {
    let slug: Vec<String> =
        title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(String::from).collect();
    if slug.is_empty() {
        format!("https://www.notion.so/{}", ids::compact(id))
    } else {
        format!("https://www.notion.so/{}-{}", slug.join("-"), ids::compact(id))
    }
}

/// A page object (attached uploads in its properties, icon and cover as hosted files).
pub(crate) fn page(p: &Page, data: &NotionData, v: Version) -> Value {
    let mut out = json!({
        "object": "page",
        "id": p.id,
        "created_time": iso(p.created_time),
        "last_edited_time": iso(p.last_edited_time),
        "created_by": user_ref(&p.created_by),
        "last_edited_by": user_ref(&p.last_edited_by),
        "cover": p.cover,
        "icon": p.icon,
        "parent": parent(&p.parent, v),
        "is_locked": p.is_locked,
        "properties": Value::Object(p.properties.clone()),
        "url": url(&p.title(), &p.id),
        "public_url": null,
        // The SDK's `PageObjectResponse` requires it; the simulator archives nothing apart
        // from the trash, so it is always false.
        "is_archived": false,
    });
    trash_fields(&mut out, p.in_trash, v);
    data.uploads.host(&mut out, &data.hosting);
    out
}

/// A block object (`has_children` from the store).
pub(crate) fn block(b: &Block, data: &NotionData, v: Version) -> Value {
    let mut out = json!({
        "object": "block",
        "id": b.id,
        "parent": parent(&b.parent, v),
        "created_time": iso(b.created_time),
        "last_edited_time": iso(b.last_edited_time),
        "created_by": user_ref(&b.created_by),
        "last_edited_by": user_ref(&b.last_edited_by),
        "has_children": !data.children_of(&b.id).is_empty(),
        "type": b.kind,
    });
    out[b.kind.as_str()] = b.content.clone();
    // A paragraph's `icon` is always answered (`ContentWithRichTextColorAndIconResponse`:
    // `PageIconResponse | null`), stored only when one was sent.
    if b.kind == "paragraph" && out["paragraph"].get("icon").is_none() {
        out["paragraph"]["icon"] = Value::Null;
    }
    trash_fields(&mut out, b.in_trash, v);
    data.uploads.host(&mut out, &data.hosting);
    out
}

/// A children-list entry as a block (`child_page` / `child_database` for pages and databases).
pub(crate) fn child(c: &Child, data: &NotionData, v: Version) -> Option<Value> {
    match c {
        Child::Block(id) => data.blocks.get(id).map(|b| block(b, data, v)),
        Child::Page(id) => data.pages.get(id).map(|p| {
            let mut out =
                container_block(&p.id, &p.parent, p.created_time, p.last_edited_time, &p.created_by, v);
            out["has_children"] = Value::Bool(!data.children_of(id).is_empty());
            out["type"] = json!("child_page");
            out["child_page"] = json!({"title": p.title()});
            trash_fields(&mut out, p.in_trash, v);
            out
        }),
        Child::Database(id) => data.databases.get(id).map(|d| {
            let mut out =
                container_block(&d.id, &d.parent, d.created_time, d.last_edited_time, &d.created_by, v);
            out["type"] = json!("child_database");
            out["child_database"] = json!({"title": richtext::plain(&d.title)});
            trash_fields(&mut out, d.in_trash, v);
            out
        }),
    }
}

fn container_block(
    id: &str,
    p: &Parent,
    created: time::OffsetDateTime,
    edited: time::OffsetDateTime,
    by: &str,
    v: Version,
) -> Value {
    json!({
        "object": "block",
        "id": id,
        "parent": parent(p, v),
        "created_time": iso(created),
        "last_edited_time": iso(edited),
        "created_by": user_ref(by),
        "last_edited_by": user_ref(by),
        "has_children": false,
    })
}

/// A data source's `properties` schema map.
pub(crate) fn schema(ds: &DataSource) -> Value {
    let mut map = Map::new();
    for p in &ds.properties {
        let mut entry = json!({"id": p.id, "name": p.name, "type": p.kind, "description": null});
        entry[p.kind.as_str()] = p.config.clone();
        map.insert(p.name.clone(), entry);
    }
    Value::Object(map)
}

/// A database object: the container (2025-09-03+) or the old combined shape.
pub(crate) fn database(d: &Database, data: &NotionData, v: Version) -> Value {
    let mut out = json!({
        "object": "database",
        "id": d.id,
        "created_time": iso(d.created_time),
        "last_edited_time": iso(d.last_edited_time),
        "title": d.title,
        "description": d.description,
        "icon": d.icon,
        "cover": null,
        "parent": parent(&d.parent, v),
        "is_inline": d.is_inline,
        "is_locked": false,
        "url": url(&richtext::plain(&d.title), &d.id),
        "public_url": null,
    });
    if v.has_data_sources() {
        // The database container (the SDK's `DatabaseObjectResponse`) has no `created_by` /
        // `last_edited_by`; the data sources have them.
        out["data_sources"] = d
            .data_sources
            .iter()
            .filter_map(|id| data.data_sources.get(id))
            .map(|ds| json!({"id": ds.id, "name": ds.name}))
            .collect();
    } else {
        out["created_by"] = user_ref(&d.created_by);
        out["last_edited_by"] = user_ref(&d.created_by);
        if let Some(ds) = d.data_sources.first().and_then(|id| data.data_sources.get(id)) {
            out["properties"] = schema(ds);
        }
    }
    trash_fields(&mut out, d.in_trash, v);
    out
}

/// A data source object (2025-09-03+).
pub(crate) fn data_source(ds: &DataSource, data: &NotionData, v: Version) -> Value {
    let db = data.databases.get(&ds.database_id);
    let mut out = json!({
        "object": "data_source",
        "id": ds.id,
        "created_time": iso(ds.created_time),
        "last_edited_time": iso(ds.last_edited_time),
        "created_by": user_ref(&ds.created_by),
        "last_edited_by": user_ref(&ds.created_by),
        "title": [richtext::text(&ds.name)],
        "description": [],
        "icon": db.map_or(Value::Null, |d| d.icon.clone()),
        "cover": null,
        "properties": schema(ds),
        "parent": {"type": "database_id", "database_id": ds.database_id},
        "database_parent": db.map_or(Value::Null, |d| parent(&d.parent, v)),
        "is_inline": db.is_some_and(|d| d.is_inline),
        "url": url(&ds.name, &ds.id),
        "public_url": null,
    });
    trash_fields(&mut out, db.is_some_and(|d| d.in_trash), v);
    out
}

/// A comment object.
pub(crate) fn comment(c: &Comment, v: Version) -> Value {
    json!({
        "object": "comment",
        "id": c.id,
        "parent": parent(&c.parent, v),
        "discussion_id": c.discussion_id,
        "created_time": iso(c.created_time),
        "last_edited_time": iso(c.created_time),
        "created_by": user_ref(&c.created_by),
        "rich_text": c.rich_text,
        "display_name": {"type": "integration", "resolved_name": c.display_name},
    })
}

/// A person user object.
pub(crate) fn person(p: &Person) -> Value {
    json!({
        "object": "user",
        "id": p.notion_id,
        "name": p.name,
        "avatar_url": null,
        "type": "person",
        "person": {"email": p.email},
    })
}

/// The bot user of a connection (`/v1/users/me`).
pub(crate) fn bot(bot_id: &str, owner_id: &str, data: &NotionData) -> Value {
    json!({
        "object": "user",
        "id": bot_id,
        "name": super::BOT_NAME,
        "avatar_url": null,
        "type": "bot",
        "bot": {
            "owner": {"type": "user", "user": {"object": "user", "id": owner_id}},
            "workspace_name": data.workspace_name,
            "workspace_id": data.workspace_id,
            "workspace_limits": {"max_file_upload_size_in_bytes": data.max_file_upload_bytes()},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_use_the_title_and_the_compact_id() {
        assert_eq!(
            url("Roadmap 2025!", "3c90c3cc-0d44-4b50-8888-8dd25736052a"),
            "https://www.notion.so/Roadmap-2025-3c90c3cc0d444b5088888dd25736052a"
        );
    }

    #[test]
    fn data_source_parents_depend_on_the_version() {
        let p = Parent::DataSource { data_source: "ds".into(), database: "db".into() };
        let new = parent(&p, Version::parse("2025-09-03").unwrap());
        assert_eq!(new["type"], "data_source_id");
        assert_eq!(new["database_id"], "db");
        let old = parent(&p, Version::parse("2022-06-28").unwrap());
        assert_eq!(old, json!({"type": "database_id", "database_id": "db"}));
    }
}
