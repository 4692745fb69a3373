//! What a Jira project allows, read from its create and edit metadata (`createmeta`,
//! `editmeta`) and kept briefly, so that `jira_create_issue` and `jira_update_issue` pick the
//! project's own issue type and refuse a field its screen lacks before sending anything; and
//! the site's issue link types, so that `jira_link_issues` refuses an unknown one.

use super::context::{Call, ToolContext, ToolError};
use crate::domain::Provider;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long metadata is kept, in seconds: screens change rarely, and a stale answer costs
/// at most one refused request at Jira.
const TTL_SECS: i64 = 60;
/// At most this many lists are kept (types of a project, fields of a screen).
const MAX_ENTRIES: usize = 512;
/// Pages read of one metadata list (Jira pages them; a screen has far fewer fields).
const MAX_PAGES: usize = 10;

/// An issue type of a project.
#[derive(Clone, Debug, Deserialize)]
pub struct IssueType {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// A field of a create or edit screen.
#[derive(Clone, Debug, Deserialize)]
pub struct Field {
    /// `fieldId` in createmeta; editmeta names a field by its key (the map's key).
    #[serde(default, rename = "fieldId")]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, rename = "hasDefaultValue")]
    pub has_default: bool,
    #[serde(default)]
    pub operations: Vec<String>,
    /// What the field holds.
    #[serde(default)]
    pub schema: Schema,
    /// The values it may take, when the screen lists them (options, components, versions, …).
    #[serde(default, rename = "allowedValues")]
    pub allowed_values: Vec<Allowed>,
}

/// A field's `schema`: its type (`string`, `number`, `option`, `array`, `date`, `user`, …), the
/// type of an array's items, and the custom field type when it is one.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Schema {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub items: Option<String>,
    #[serde(default)]
    pub custom: Option<String>,
}

/// One of a field's allowed values: an option has a `value`, the others a `name`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Allowed {
    #[serde(default, deserialize_with = "id_text")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

impl Allowed {
    /// What a person calls it: the option's value, or the name.
    pub fn label(&self) -> Option<&str> {
        self.value.as_deref().or(self.name.as_deref())
    }
}

/// An id given as a string or a number.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// An issue link type (`GET /issueLinkType`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LinkType {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// How the link's destination reads it, e.g. `is blocked by`.
    #[serde(default)]
    pub inward: String,
    /// How the link's source reads it, e.g. `blocks`.
    #[serde(default)]
    pub outward: String,
}

#[derive(Clone)]
enum Entry {
    Types(Arc<Vec<IssueType>>),
    Fields(Arc<Vec<Field>>),
    LinkTypes(Arc<Vec<LinkType>>),
}

/// Metadata lists by (user, connection, site, what), each until its expiry.
#[derive(Default)]
pub struct MetaCache {
    entries: Mutex<HashMap<String, (i64, Entry)>>,
}

impl MetaCache {
    fn get(&self, key: &str, now: i64) -> Option<Entry> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|(expires, _)| *expires > now).map(|(_, e)| e.clone())
    }

    fn put(&self, key: String, entry: Entry, now: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (expires, _)| *expires > now);
        }
        if entries.len() >= MAX_ENTRIES
            && let Some(oldest) =
                entries.iter().min_by_key(|(_, (expires, _))| *expires).map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(key, (now + TTL_SECS, entry));
    }

    /// How many lists are kept (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cache key of `what` for the caller's Jira connection and site.
async fn key(ctx: &ToolContext, site: Option<&str>, what: &str) -> Result<String, ToolError> {
    let connection = ctx.connection(Provider::Jira, None).await?;
    let site = crate::domain::pick_site(&connection, site).map_err(crate::http::ApiError::from)?;
    Ok(format!("{}\u{1f}{}\u{1f}{}\u{1f}{what}", ctx.user_id, connection.id, site.id))
}

/// One page of a paged metadata list.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
struct Page<T> {
    #[serde(default, rename = "issueTypes")]
    issue_types: Vec<T>,
    #[serde(default)]
    fields: Vec<T>,
    #[serde(default)]
    total: Option<usize>,
}

/// Every item of a paged metadata list at `path`.
async fn all_pages<T: serde::de::DeserializeOwned>(
    ctx: &ToolContext,
    site: Option<&str>,
    path: &str,
) -> Result<Vec<T>, ToolError> {
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let call = Call::get(Provider::Jira, format!("/rest/api/3{path}"))
            .query("startAt", items.len())
            .query("maxResults", 100)
            .site(site);
        let (page, _) = ctx.send_as::<Page<T>>(call).await?;
        let got = page.issue_types.len() + page.fields.len();
        items.extend(page.issue_types);
        items.extend(page.fields);
        if got == 0 || page.total.is_none_or(|total| items.len() >= total) {
            break;
        }
    }
    Ok(items)
}

/// The issue types of `project` (`GET /issue/createmeta/{project}/issuetypes`).
pub async fn issue_types(
    ctx: &ToolContext,
    site: Option<&str>,
    project: &str,
) -> Result<Arc<Vec<IssueType>>, ToolError> {
    let key = key(ctx, site, &format!("types {project}")).await?;
    let cache = &ctx.state.jira_meta;
    let now = ctx.state.clock.now();
    if let Some(Entry::Types(types)) = cache.get(&key, now) {
        return Ok(types);
    }
    let types = Arc::new(all_pages(ctx, site, &format!("/issue/createmeta/{project}/issuetypes")).await?);
    cache.put(key, Entry::Types(types.clone()), now);
    Ok(types)
}

/// The fields of the create screen of `type_id` in `project`
/// (`GET /issue/createmeta/{project}/issuetypes/{type_id}`).
pub async fn create_fields(
    ctx: &ToolContext,
    site: Option<&str>,
    project: &str,
    type_id: &str,
) -> Result<Arc<Vec<Field>>, ToolError> {
    let key = key(ctx, site, &format!("create {project} {type_id}")).await?;
    let cache = &ctx.state.jira_meta;
    let now = ctx.state.clock.now();
    if let Some(Entry::Fields(fields)) = cache.get(&key, now) {
        return Ok(fields);
    }
    let path = format!("/issue/createmeta/{project}/issuetypes/{type_id}");
    let fields = Arc::new(all_pages(ctx, site, &path).await?);
    cache.put(key, Entry::Fields(fields.clone()), now);
    Ok(fields)
}

/// The fields of the edit screen of `issue` (`GET /issue/{key}/editmeta`).
pub async fn edit_fields(
    ctx: &ToolContext,
    site: Option<&str>,
    issue: &str,
) -> Result<Arc<Vec<Field>>, ToolError> {
    #[derive(Deserialize)]
    struct EditMeta {
        #[serde(default)]
        fields: HashMap<String, Field>,
    }
    let key = key(ctx, site, &format!("edit {issue}")).await?;
    let cache = &ctx.state.jira_meta;
    let now = ctx.state.clock.now();
    if let Some(Entry::Fields(fields)) = cache.get(&key, now) {
        return Ok(fields);
    }
    let call = Call::get(Provider::Jira, format!("/rest/api/3/issue/{issue}/editmeta")).site(site);
    let (meta, _) = ctx.send_as::<EditMeta>(call).await?;
    let fields: Vec<Field> = meta.fields.into_iter().map(|(id, field)| Field { id, ..field }).collect();
    let fields = Arc::new(fields);
    cache.put(key, Entry::Fields(fields.clone()), now);
    Ok(fields)
}

/// The site's issue link types (`GET /issueLinkType`, one unpaged list).
pub async fn link_types(ctx: &ToolContext, site: Option<&str>) -> Result<Arc<Vec<LinkType>>, ToolError> {
    #[derive(Deserialize)]
    struct LinkTypes {
        #[serde(default, rename = "issueLinkTypes")]
        types: Vec<LinkType>,
    }
    let key = key(ctx, site, "link types").await?;
    let cache = &ctx.state.jira_meta;
    let now = ctx.state.clock.now();
    if let Some(Entry::LinkTypes(types)) = cache.get(&key, now) {
        return Ok(types);
    }
    let call = Call::get(Provider::Jira, "/rest/api/3/issueLinkType").site(site);
    let (answer, _) = ctx.send_as::<LinkTypes>(call).await?;
    let types = Arc::new(answer.types);
    cache.put(key, Entry::LinkTypes(types.clone()), now);
    Ok(types)
}

/// The type of `types` that `wanted` names: its id, its name in any case, or its name without
/// the punctuation projects spell differently (`Sub-task` in company-managed projects,
/// `Subtask` in team-managed ones).
pub fn pick_type<'a>(types: &'a [IssueType], wanted: &str) -> Option<&'a IssueType> {
    let wanted = wanted.trim();
    let loose =
        |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    types
        .iter()
        .find(|t| t.id == wanted || t.name.eq_ignore_ascii_case(wanted))
        .or_else(|| types.iter().find(|t| loose(&t.name) == loose(wanted)))
}

/// The field `id` of a screen, if it is on it.
pub fn field<'a>(fields: &'a [Field], id: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(names: &[&str]) -> Vec<IssueType> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| IssueType { id: format!("1000{i}"), name: n.to_string() })
            .collect()
    }

    #[test]
    fn types_are_picked_by_name_in_any_case_and_spelling() {
        let team = types(&["Task", "Bug", "Subtask"]);
        let company = types(&["Task", "Bug", "Sub-task"]);
        assert_eq!(pick_type(&team, "subtask").unwrap().name, "Subtask");
        assert_eq!(pick_type(&team, "Sub-task").unwrap().name, "Subtask");
        assert_eq!(pick_type(&company, "SUBTASK").unwrap().name, "Sub-task");
        assert_eq!(pick_type(&company, " bug ").unwrap().name, "Bug");
        assert_eq!(pick_type(&company, "10001").unwrap().name, "Bug");
        assert!(pick_type(&company, "Story").is_none());
    }

    #[test]
    fn the_cache_forgets_after_its_time_and_stays_bounded() {
        let cache = MetaCache::default();
        let entry = || Entry::Types(Arc::new(Vec::new()));
        cache.put("a".into(), entry(), 100);
        assert!(cache.get("a", 100 + TTL_SECS - 1).is_some());
        assert!(cache.get("a", 100 + TTL_SECS).is_none());
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(format!("k{i}"), entry(), 200);
        }
        assert_eq!(cache.len(), MAX_ENTRIES, "the oldest make room");
        assert!(cache.get(&format!("k{}", MAX_ENTRIES + 9), 200).is_some(), "the newest is kept");
        // Expired entries go first.
        cache.put("late".into(), entry(), 200 + TTL_SECS);
        assert_eq!(cache.len(), 1);
    }
}
