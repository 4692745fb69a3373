//! Seeded Notion content: a wiki with sub-pages and blocks, a long page (for pagination),
//! meeting notes, and a "Tasks" database with one data source and rows.

use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime, macros::datetime};

use crate::{
    ids::SeedRng,
    notion::{
        blockspec::{NewBlock, text_block},
        model::{
            Child, Comment, DataSource, Database, NotionData, Page, Parent, Position, PropSchema, Stamp,
        },
        properties, richtext,
    },
    seed::people::people,
};

const BASE: OffsetDateTime = datetime!(2025-01-06 09:00 UTC);

/// Name of the seeded workspace.
pub const WORKSPACE_NAME: &str = "Acme Corp";

const TASKS: &[&str] = &[
    "Write the Q2 roadmap",
    "Review onboarding checklist",
    "Plan the offsite",
    "Fix login outage follow-ups",
    "Draft the security policy",
    "Interview backend candidates",
    "Update the API docs",
    "Prepare the board deck",
    "Migrate wiki pages",
    "Audit vendor contracts",
    "Set up the design review",
    "Clean up old dashboards",
    "Schedule the retro",
    "Triage customer feedback",
    "Benchmark the search service",
    "Renew TLS certificates",
    "Write release notes",
    "Plan the mobile launch",
    "Refresh the brand guide",
    "Organise the hackathon",
    "Review cloud spend",
    "Document the on-call process",
    "Test the backup restore",
    "Rotate API keys",
    "Sync with the data team",
];

fn option(id: &str, name: &str, color: &str) -> Value {
    json!({"id": id, "name": name, "color": color, "description": null})
}

/// The schema of the seeded "Tasks" data source.
pub(crate) fn tasks_schema() -> Vec<PropSchema> {
    let prop = |id: &str, name: &str, kind: &str, config: Value| PropSchema {
        id: id.into(),
        name: name.into(),
        kind: kind.into(),
        config,
    };
    vec![
        prop("title", "Name", "title", json!({})),
        prop(
            "s%5CJT",
            "Status",
            "status",
            json!({
                "options": [option("not-started", "Not started", "default"), option("in-progress", "In progress", "blue"), option("done", "Done", "green")],
                "groups": [
                    {"id": "todo-group", "name": "To-do", "color": "gray", "option_ids": ["not-started"]},
                    {"id": "progress-group", "name": "In progress", "color": "blue", "option_ids": ["in-progress"]},
                    {"id": "complete-group", "name": "Complete", "color": "green", "option_ids": ["done"]},
                ],
            }),
        ),
        prop("%3BkCq", "Assignee", "people", json!({})),
        prop("Zr%3Ae", "Due", "date", json!({})),
        prop(
            "p%40Qo",
            "Priority",
            "select",
            json!({"options": [option("prio-high", "High", "red"), option("prio-medium", "Medium", "yellow"), option("prio-low", "Low", "gray")]}),
        ),
        prop(
            "t%7Dwx",
            "Tags",
            "multi_select",
            json!({"options": [option("tag-eng", "Engineering", "blue"), option("tag-ops", "Operations", "orange"), option("tag-design", "Design", "pink"), option("tag-people", "People", "purple")]}),
        ),
        prop("eSt%3D", "Estimate", "number", json!({"format": "number"})),
        prop("bLk%3F", "Blocked", "checkbox", json!({})),
    ]
}

struct Seeder {
    rng: SeedRng,
    data: NotionData,
}

impl Seeder {
    fn id(&mut self) -> String {
        self.rng.uuid()
    }

    fn stamp(&mut self, minutes: i64) -> Stamp {
        let everyone = people();
        Stamp { by: self.rng.pick(&everyone).notion_id.clone(), at: BASE + Duration::minutes(minutes) }
    }

    fn page(&mut self, parent: Parent, title: &str, icon: &str, minutes: i64) -> String {
        let id = self.id();
        let stamp = self.stamp(minutes);
        let props = properties::normalize_plain_page(Some(&json!({"title": [{"text": {"content": title}}]})))
            .unwrap_or_default();
        self.insert_page(id.clone(), parent, props, json!({"type": "emoji", "emoji": icon}), &stamp);
        id
    }

    fn insert_page(
        &mut self,
        id: String,
        parent: Parent,
        props: Map<String, Value>,
        icon: Value,
        stamp: &Stamp,
    ) {
        if let Parent::Page(p) = &parent {
            self.data.insert_children(p, vec![Child::Page(id.clone())], Position::End);
        }
        self.data.page_order.push(id.clone());
        self.data.pages.insert(
            id.clone(),
            Page {
                id,
                parent,
                properties: props,
                created_time: stamp.at,
                last_edited_time: stamp.at + Duration::hours(3),
                created_by: stamp.by.clone(),
                last_edited_by: stamp.by.clone(),
                in_trash: false,
                is_locked: false,
                icon,
                cover: Value::Null,
            },
        );
    }

    fn blocks(&mut self, parent: &str, blocks: Vec<NewBlock>, minutes: i64) {
        let stamp = self.stamp(minutes);
        let mut rng = self.rng.clone();
        self.data.insert_blocks(parent, blocks, Position::End, &stamp, &mut || rng.uuid());
        self.rng = rng;
    }
}

fn b(kind: &str, text: &str) -> NewBlock {
    text_block(kind, text)
}

/// The seeded workspace for `seed`.
pub(crate) fn seed_workspace(seed: u64) -> NotionData {
    let mut s = Seeder {
        rng: SeedRng::new(seed.wrapping_add(0x4e07)),
        data: NotionData {
            workspace_id: "7a3b9c2d-1e4f-4a5b-8c6d-9e0f1a2b3c4d".into(),
            workspace_name: WORKSPACE_NAME.into(),
            workspace_icon: "🏢".into(),
            ..NotionData::default()
        },
    };
    let wiki = s.page(Parent::Workspace, "Engineering Wiki", "📚", 0);
    s.blocks(
        &wiki,
        vec![
            b("heading_1", "Welcome to the Engineering Wiki"),
            b("paragraph", "Start here: how we plan, build, ship and operate our services."),
            b("callout", "Ask in #eng-help when something here is out of date."),
        ],
        5,
    );
    roadmap(&mut s, &wiki);
    onboarding(&mut s, &wiki);
    postmortem(&mut s, &wiki);
    release_notes(&mut s, &wiki);
    tasks_database(&mut s, &wiki);
    meeting_notes(&mut s);
    s.data
}

fn roadmap(s: &mut Seeder, wiki: &str) {
    let id = s.page(Parent::Page(wiki.into()), "Roadmap 2025", "🗺️", 60);
    let mut toggle = b("toggle", "Out of scope this year");
    toggle.children =
        vec![b("bulleted_list_item", "Desktop app rewrite"), b("bulleted_list_item", "Self-hosted edition")];
    s.blocks(
        &id,
        vec![
            b("heading_2", "Q1: Foundations"),
            b("bulleted_list_item", "Single sign-on for all customers"),
            b("bulleted_list_item", "Public API rate limiting"),
            b("heading_2", "Q2: Growth"),
            b("to_do", "Launch the mobile app redesign"),
            b("to_do", "Self-serve billing"),
            toggle,
        ],
        65,
    );
    add_comment(s, &id, &["Can we pull SSO into January?", "Agreed, Ada is on it."], 70);
}

fn onboarding(s: &mut Seeder, wiki: &str) {
    let id = s.page(Parent::Page(wiki.into()), "Onboarding Guide", "👋", 120);
    s.blocks(
        &id,
        vec![
            b("heading_2", "Your first week"),
            b("numbered_list_item", "Get laptop and accounts from IT"),
            b("numbered_list_item", "Read the architecture overview"),
            b("numbered_list_item", "Ship a small change to production"),
            b("quote", "The best way to learn the system is to change it."),
        ],
        125,
    );
    add_comment(s, &id, &["Add a link to the on-call handbook?"], 130);
}

fn postmortem(s: &mut Seeder, wiki: &str) {
    let id = s.page(Parent::Page(wiki.into()), "Incident Postmortem: Login Outage", "🔥", 180);
    s.blocks(
        &id,
        vec![
            b("heading_2", "Summary"),
            b("paragraph", "Logins failed for 42 minutes after a certificate rotation."),
            b("heading_2", "Action items"),
            b("to_do", "Automate certificate expiry alerts"),
            b("to_do", "Add a login synthetic check"),
        ],
        185,
    );
}

fn release_notes(s: &mut Seeder, wiki: &str) {
    let id = s.page(Parent::Page(wiki.into()), "Release Notes", "📝", 240);
    let notes: Vec<NewBlock> = (1..=130)
        .map(|n| b("paragraph", &format!("Release 1.{n}: bug fixes and performance improvements.")))
        .collect();
    s.blocks(&id, notes, 245);
}

fn meeting_notes(s: &mut Seeder) {
    let id = s.page(Parent::Workspace, "Meeting Notes", "🗓️", 300);
    s.blocks(
        &id,
        vec![
            b("heading_2", "Weekly sync, 13 January"),
            b("paragraph", "Attendees: Ada, Grace, Alan, Katherine."),
            b("to_do", "Grace to share the hiring plan"),
            b("to_do", "Alan to review the search benchmark"),
            b("divider", ""),
        ],
        305,
    );
}

fn tasks_database(s: &mut Seeder, wiki: &str) {
    let db_id = s.id();
    let ds_id = s.id();
    let stamp = s.stamp(360);
    s.data.insert_children(wiki, vec![Child::Database(db_id.clone())], Position::End);
    s.data.databases.insert(
        db_id.clone(),
        Database {
            id: db_id.clone(),
            parent: Parent::Page(wiki.into()),
            title: vec![richtext::text("Tasks")],
            description: vec![richtext::text("Everything the team is working on.")],
            data_sources: vec![ds_id.clone()],
            created_time: stamp.at,
            last_edited_time: stamp.at,
            created_by: stamp.by.clone(),
            is_inline: true,
            in_trash: false,
            icon: json!({"type": "emoji", "emoji": "✅"}),
        },
    );
    let mut ds = DataSource {
        id: ds_id.clone(),
        database_id: db_id.clone(),
        name: "Tasks".into(),
        properties: tasks_schema(),
        created_time: stamp.at,
        last_edited_time: stamp.at,
        created_by: stamp.by.clone(),
    };
    for (n, title) in TASKS.iter().enumerate() {
        let row = task_row(s, &mut ds, title, n);
        let stamp = s.stamp(400 + 90 * n as i64);
        let parent = Parent::DataSource { data_source: ds_id.clone(), database: db_id.clone() };
        let id = s.id();
        s.insert_page(id, parent, row, Value::Null, &stamp);
    }
    s.data.data_sources.insert(ds_id, ds);
}

fn task_row(s: &mut Seeder, ds: &mut DataSource, title: &str, n: usize) -> Map<String, Value> {
    let everyone = people();
    let status = s.rng.pick(&["Not started", "In progress", "In progress", "Done"]).to_string();
    let priority = s.rng.pick(&["High", "Medium", "Low"]).to_string();
    let tag = s.rng.pick(&["Engineering", "Operations", "Design", "People"]).to_string();
    let person = s.rng.pick(&everyone).notion_id.clone();
    let due = (BASE + Duration::days(7 + 3 * n as i64)).date().to_string();
    let estimate = 1 + s.rng.below(8);
    let input = json!({
        "Name": {"title": [{"text": {"content": title}}]},
        "Status": {"status": {"name": status}},
        "Assignee": {"people": [{"id": person}]},
        "Due": {"date": {"start": due}},
        "Priority": {"select": {"name": priority}},
        "Tags": {"multi_select": [{"name": tag}]},
        "Estimate": {"number": estimate},
        "Blocked": {"checkbox": s.rng.chance(15)},
    });
    let mut row = properties::defaults(ds);
    row.extend(properties::normalize_row(Some(&input), ds).unwrap_or_default());
    row
}

fn add_comment(s: &mut Seeder, page: &str, texts: &[&str], minutes: i64) {
    let discussion = s.id();
    for (i, text) in texts.iter().enumerate() {
        let id = s.id();
        let stamp = s.stamp(minutes + i as i64 * 10);
        s.data.comments.push(Comment {
            id,
            parent: Parent::Page(page.into()),
            discussion_id: discussion.clone(),
            rich_text: vec![richtext::text(text)],
            created_time: stamp.at,
            display_name: display_name(&stamp.by),
            created_by: stamp.by,
        });
    }
}

/// Looks up a person's display name for comments they wrote.
pub(crate) fn display_name(user_id: &str) -> String {
    people()
        .into_iter()
        .find(|p| p.notion_id == user_id)
        .map(|p| p.name)
        .unwrap_or_else(|| crate::notion::BOT_NAME.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notion::{render, version::Version};

    #[test]
    fn the_workspace_has_pages_blocks_and_a_database_with_rows() {
        let data = seed_workspace(42);
        assert!(data.pages.values().any(|p| p.title() == "Roadmap 2025"));
        let ds = data.data_sources.values().next().unwrap();
        let rows = data
            .pages
            .values()
            .filter(|p| matches!(&p.parent, Parent::DataSource { data_source, .. } if *data_source == ds.id))
            .count();
        assert_eq!(rows, TASKS.len());
        let notes = data.pages.values().find(|p| p.title() == "Release Notes").unwrap();
        assert_eq!(data.children_of(&notes.id).len(), 130);
        let row = data.pages.values().find(|p| p.title() == "Plan the offsite").unwrap();
        let json = render::page(row, &data, Version::DEFAULT);
        assert_eq!(json["properties"]["Status"]["type"], "status");
        assert_eq!(json["parent"]["type"], "data_source_id");
    }

    #[test]
    fn seeding_is_deterministic() {
        let a = seed_workspace(1);
        let b = seed_workspace(1);
        let mut ia: Vec<_> = a.pages.keys().collect();
        let mut ib: Vec<_> = b.pages.keys().collect();
        ia.sort();
        ib.sort();
        assert_eq!(ia, ib);
    }
}
