//! Jira shape checks (issue 19): the simulator's answers on every Jira and Atlassian endpoint
//! mcpserver calls, success and error, checked field by field against hand-written copies of
//! the schemas that answer them.
//!
//! Source: Atlassian's Jira Cloud platform REST v3 OpenAPI document `swagger-v3.v3.json`
//! (`info.version` `1001.0.0-SNAPSHOT-57a0ca5b…`, December 2025; read from a public copy, the
//! one in `jarekbird/jira-api-mcp-wrapper`, the older ones in `salto-io/jira-swaggers` lack
//! `/search/jql`), `components.schemas.*`, and the REST v3 reference pages built from it. The
//! gateway and OAuth answers are not in that document: they follow
//! `/work/shared/reference/providers.md` §1.2, §1.4, §1.5. Nothing of the document is in the
//! repository; each schema below is a list of `(field, type)` naming the schema it copies.
//!
//! Rules: every field the simulator sends must be a documented field of its schema (the
//! document says `additionalProperties: true` nearly everywhere; Jira's answers stay within the
//! documented fields, and so must ours), unless listed in [`EXCEPTIONS`] with its reason; a
//! field marked `!` must be present (the document's `required`, which it sets almost nowhere,
//! or a field the reference shows in every answer of the endpoint); types as documented,
//! nested objects checked recursively.
//!
//! Types: `str`, `int`, `bool`, `num`, `any`, `obj` (any object), `uri` (absolute http(s) URL),
//! `time` (Jira's `yyyy-MM-ddTHH:mm:ss.SSS+hhmm`, the document's `date-time`), `date`
//! (`yyyy-MM-dd`), `adf` (an ADF document, checked in full by `jira_adf.rs`), `str=a|b` (a
//! documented enum), `[T]` (array), `{T}` (object of T values), `T?` (T or null: the field is
//! present and empty, as Jira renders an unset field), or a schema name below.

mod common;

use common::*;
use provider_sim::{Fault, RateLimit, SimConfig, routes};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

type Fields = &'static [(&'static str, &'static str)];

/// The schemas, by the document's names; hand-written ones say so.
fn schema(name: &str) -> Fields {
    match name {
        // ErrorCollection. providers.md §1.7: Jira's own errors carry both lists.
        "ErrorCollection" => &[("!errorMessages", "[str]"), ("errors", "{str}"), ("status", "int")],
        // SearchAndReconcileResults (POST/GET /search/jql 200). providers.md: `issues` and
        // `isLast` in every page, `nextPageToken` absent on the last one.
        "SearchAndReconcileResults" => &[
            ("!isLast", "bool"),
            ("!issues", "[IssueBean]"),
            ("names", "{str}"),
            ("nextPageToken", "str"),
            ("schema", "{JsonTypeBean}"),
        ],
        // JQLCountResultsBean (POST /search/approximate-count 200).
        "JQLCountResultsBean" => &[("!count", "int")],
        // IssueBean (GET /issue/{key} 200, and each of a search's issues).
        "IssueBean" => &[
            ("changelog", "obj"),
            ("editmeta", "obj"),
            ("expand", "str"),
            ("fields", "IssueFields"),
            ("fieldsToInclude", "obj"),
            ("!id", "str"),
            ("!key", "str"),
            ("names", "{str}"),
            ("operations", "obj"),
            ("properties", "obj"),
            ("renderedFields", "obj"),
            ("schema", "{JsonTypeBean}"),
            ("!self", "uri"),
            ("transitions", "[IssueTransition]"),
            ("versionedRepresentations", "obj"),
        ],
        // Hand-written: IssueBean.fields is a free map in the document; each system field is
        // checked against the schema of its type (`FieldMetadata.schema.type`: user, status,
        // priority, issuetype, project, resolution, comments-page, votes, watches, component,
        // version, date, datetime, array of string).
        "IssueFields" => &[
            ("summary", "str"),
            ("status", "StatusDetails"),
            ("assignee", "UserDetails?"),
            ("reporter", "UserDetails?"),
            ("creator", "UserDetails"),
            ("priority", "Priority"),
            ("issuetype", "IssueTypeDetails"),
            ("project", "ProjectDetails"),
            ("labels", "[str]"),
            ("created", "time"),
            ("updated", "time"),
            ("resolution", "Resolution?"),
            ("resolutiondate", "time?"),
            ("duedate", "date?"),
            ("description", "adf?"),
            ("comment", "IssueCommentField"),
            ("parent", "ParentField"),
            ("statuscategorychangedate", "time"),
            ("components", "[ProjectComponent]"),
            ("fixVersions", "[Version]"),
            ("versions", "[Version]"),
            ("environment", "adf?"),
            ("watches", "Watchers"),
            ("votes", "Votes"),
            // Sprint (Jira Software): an array of sprints (the Agile document's SprintBean).
            ("customfield_10020", "[SprintBean]?"),
            // Rank (Jira Software): a LexoRank string.
            ("customfield_10019", "str"),
            // The seeded custom fields: Story Points (float), Severity (select), Team (text).
            ("customfield_10016", "num?"),
            ("customfield_10040", "CustomFieldOption?"),
            ("customfield_10041", "str?"),
            ("customfield_10042", "adf?"),
            ("issuelinks", "[IssueLink]"),
            // Field metadata: an array of `issuelinks` items; each is a LinkedIssue.
            ("subtasks", "[LinkedIssue]"),
            ("worklog", "PageOfWorklogs"),
            // Field metadata: an array of `attachment` items; each is an Attachment.
            ("attachment", "[Attachment]"),
        ],
        // Attachment (POST …/issue/{key}/attachments 200, and each of an issue's `attachment`).
        "Attachment" => &[
            ("author", "UserDetails"),
            ("content", "str"),
            ("created", "time"),
            ("filename", "str"),
            ("id", "str"),
            ("mimeType", "str"),
            ("self", "str"),
            ("size", "int"),
            ("thumbnail", "str"),
        ],
        // AttachmentMetadata (GET …/attachment/{id} 200): `id` a number, the author a User.
        "AttachmentMetadata" => &[
            ("author", "User"),
            ("content", "str"),
            ("created", "time"),
            ("filename", "str"),
            ("id", "int"),
            ("mimeType", "str"),
            ("properties", "obj"),
            ("self", "uri"),
            ("size", "int"),
            ("thumbnail", "str"),
        ],
        // AttachmentSettings (GET …/attachment/meta 200).
        "AttachmentSettings" => &[("enabled", "bool"), ("uploadLimit", "int")],
        // IssueLink (GET /issueLink/{id} 200, and each of an issue's `issuelinks`).
        "IssueLink" => &[
            ("id", "str"),
            ("inwardIssue", "LinkedIssue"),
            ("outwardIssue", "LinkedIssue"),
            ("self", "uri"),
            ("!type", "IssueLinkType"),
        ],
        // LinkedIssue.
        "LinkedIssue" => &[("fields", "LinkedFields"), ("!id", "str"), ("!key", "str"), ("self", "uri")],
        // Fields (LinkedIssue.fields).
        "LinkedFields" => &[
            ("assignee", "UserDetails"),
            ("issueType", "IssueTypeDetails"),
            ("issuetype", "IssueTypeDetails"),
            ("priority", "Priority"),
            ("status", "StatusDetails"),
            ("summary", "str"),
            ("timetracking", "obj"),
        ],
        // IssueLinkType.
        "IssueLinkType" => {
            &[("!id", "str"), ("!inward", "str"), ("!name", "str"), ("!outward", "str"), ("self", "uri")]
        }
        // IssueLinkTypes (GET /issueLinkType 200).
        "IssueLinkTypes" => &[("!issueLinkTypes", "[IssueLinkType]")],
        // PageOfWorklogs (GET …/worklog 200, and the issue's `worklog` field).
        "PageOfWorklogs" => {
            &[("!maxResults", "int"), ("!startAt", "int"), ("!total", "int"), ("!worklogs", "[Worklog]")]
        }
        // Worklog (POST …/worklog 201, and each listed worklog).
        "Worklog" => &[
            ("!author", "UserDetails"),
            ("comment", "adf"),
            ("!created", "time"),
            ("!id", "str"),
            ("!issueId", "str"),
            ("properties", "[obj]"),
            ("!self", "uri"),
            ("!started", "time"),
            ("!timeSpent", "str"),
            ("!timeSpentSeconds", "int"),
            ("updateAuthor", "UserDetails"),
            ("!updated", "time"),
            ("visibility", "obj"),
        ],
        // Hand-written: the `parent` field has no schema in the document (fields is a free
        // map); Jira Cloud renders the parent's id, key, self and a few of its fields.
        "ParentField" => &[("!id", "str"), ("!key", "str"), ("!self", "uri"), ("fields", "ParentFields")],
        "ParentFields" => &[
            ("summary", "str"),
            ("status", "StatusDetails"),
            ("priority", "Priority"),
            ("issuetype", "IssueTypeDetails"),
        ],
        // UserDetails (users embedded in issues and comments).
        "UserDetails" => &[
            ("!accountId", "str"),
            ("accountType", "str"),
            ("active", "bool"),
            ("avatarUrls", "AvatarUrlsBean"),
            ("displayName", "str"),
            ("emailAddress", "str"),
            ("key", "str"),
            ("name", "str"),
            ("self", "str"),
            ("timeZone", "str"),
        ],
        // User (GET /myself, /user; each of /user/search and /user/assignable/search).
        "User" => &[
            ("!accountId", "str"),
            ("accountType", "str=atlassian|app|customer|unknown"),
            ("active", "bool"),
            ("appType", "str"),
            ("applicationRoles", "SimpleListWrapper"),
            ("avatarUrls", "AvatarUrlsBean"),
            ("displayName", "str"),
            ("emailAddress", "str"),
            ("expand", "str"),
            ("groups", "SimpleListWrapper"),
            ("key", "str"),
            ("locale", "str"),
            ("name", "str"),
            ("self", "uri"),
            ("timeZone", "str"),
        ],
        // SimpleListWrapperGroupName / SimpleListWrapperApplicationRole (same fields).
        "SimpleListWrapper" => &[
            ("callback", "obj"),
            ("items", "[obj]"),
            ("max-results", "int"),
            ("pagingCallback", "obj"),
            ("size", "int"),
        ],
        // AvatarUrlsBean.
        "AvatarUrlsBean" => &[("16x16", "uri"), ("24x24", "uri"), ("32x32", "uri"), ("48x48", "uri")],
        // StatusDetails.
        "StatusDetails" => &[
            ("description", "str"),
            ("iconUrl", "str"),
            ("!id", "str"),
            ("!name", "str"),
            ("scope", "obj"),
            ("self", "str"),
            ("statusCategory", "StatusCategory"),
        ],
        // StatusCategory (its id is a number).
        "StatusCategory" => {
            &[("colorName", "str"), ("id", "int"), ("!key", "str"), ("name", "str"), ("self", "str")]
        }
        // Priority.
        "Priority" => &[
            ("avatarId", "int"),
            ("description", "str"),
            ("iconUrl", "str"),
            ("!id", "str"),
            ("isDefault", "bool"),
            ("!name", "str"),
            ("schemes", "obj"),
            ("self", "str"),
            ("statusColor", "str"),
        ],
        // IssueTypeDetails.
        "IssueTypeDetails" => &[
            ("avatarId", "int"),
            ("description", "str"),
            ("entityId", "str"),
            ("hierarchyLevel", "int"),
            ("iconUrl", "str"),
            ("!id", "str"),
            ("!name", "str"),
            ("scope", "obj"),
            ("self", "str"),
            ("subtask", "bool"),
        ],
        // ProjectDetails (the project embedded in an issue).
        "ProjectDetails" => &[
            ("avatarUrls", "AvatarUrlsBean"),
            ("!id", "str"),
            ("!key", "str"),
            ("name", "str"),
            ("projectCategory", "obj"),
            ("projectTypeKey", "str=software|service_desk|business"),
            ("self", "str"),
            ("simplified", "bool"),
        ],
        // Resolution.
        "Resolution" => &[("description", "str"), ("!id", "str"), ("!name", "str"), ("self", "str")],
        // PageOfComments (GET …/comment 200).
        "PageOfComments" => {
            &[("!comments", "[Comment]"), ("!maxResults", "int"), ("!startAt", "int"), ("!total", "int")]
        }
        // The issue's `comment` field: a PageOfComments (see EXCEPTIONS).
        "IssueCommentField" => schema("PageOfComments"),
        // Comment (POST …/comment 201, and each listed comment). providers.md §1.7 lists
        // id, self, author, body, created, updated, updateAuthor.
        "Comment" => &[
            ("!author", "UserDetails"),
            ("!body", "adf"),
            ("!created", "time"),
            ("!id", "str"),
            ("jsdAuthorCanSeeRequest", "bool"),
            ("jsdPublic", "bool"),
            ("properties", "[obj]"),
            ("renderedBody", "str"),
            ("!self", "str"),
            ("updateAuthor", "UserDetails"),
            ("!updated", "time"),
            ("visibility", "obj"),
        ],
        // Watchers (the issue's `watches` field, and GET …/issue/{key}/watchers 200).
        "Watchers" => {
            &[("isWatching", "bool"), ("self", "str"), ("watchCount", "int"), ("watchers", "[UserDetails]")]
        }
        // Votes.
        "Votes" => &[("hasVoted", "bool"), ("self", "str"), ("voters", "[User]"), ("votes", "int")],
        // ProjectComponent.
        "ProjectComponent" => &[
            ("ari", "str"),
            ("assignee", "User"),
            ("assigneeType", "str=PROJECT_DEFAULT|COMPONENT_LEAD|PROJECT_LEAD|UNASSIGNED"),
            ("description", "str"),
            ("!id", "str"),
            ("isAssigneeTypeValid", "bool"),
            ("lead", "User"),
            ("leadAccountId", "str"),
            ("leadUserName", "str"),
            ("metadata", "{str}"),
            ("!name", "str"),
            ("project", "str"),
            ("projectId", "int"),
            ("realAssignee", "User"),
            ("realAssigneeType", "str=PROJECT_DEFAULT|COMPONENT_LEAD|PROJECT_LEAD|UNASSIGNED"),
            ("self", "uri"),
        ],
        // CustomFieldOption: a select list's value.
        "CustomFieldOption" => &[("disabled", "bool"), ("id", "str"), ("self", "uri"), ("value", "str")],
        // PageBeanField (GET /field/search 200).
        "PageBeanField" => &[
            ("isLast", "bool"),
            ("maxResults", "int"),
            ("nextPage", "uri"),
            ("self", "uri"),
            ("startAt", "int"),
            ("total", "int"),
            ("values", "[Field]"),
        ],
        // Field (each of GET /field/search's values).
        "Field" => &[
            ("contextsCount", "int"),
            ("description", "str"),
            ("!id", "str"),
            ("isLocked", "bool"),
            ("isUnscreenable", "bool"),
            ("key", "str"),
            ("lastUsed", "obj"),
            ("!name", "str"),
            ("projectsCount", "int"),
            ("!schema", "JsonTypeBean"),
            ("screensCount", "int"),
            ("searcherKey", "str"),
            ("stableId", "str"),
        ],
        // FieldDetails (each of GET /field's items).
        "FieldDetails" => &[
            ("clauseNames", "[str]"),
            ("custom", "bool"),
            ("id", "str"),
            ("key", "str"),
            ("name", "str"),
            ("navigable", "bool"),
            ("orderable", "bool"),
            ("schema", "JsonTypeBean"),
            ("scope", "obj"),
            ("searchable", "bool"),
            ("untranslatedName", "str"),
        ],
        // Version.
        "Version" => &[
            ("approvers", "[obj]"),
            ("archived", "bool"),
            ("description", "str"),
            ("driver", "str"),
            ("expand", "str"),
            ("!id", "str"),
            ("issuesStatusForFixVersion", "obj"),
            ("moveUnfixedIssuesTo", "uri"),
            ("!name", "str"),
            ("operations", "[obj]"),
            ("overdue", "bool"),
            ("project", "str"),
            ("projectId", "int"),
            ("releaseDate", "date"),
            ("released", "bool"),
            ("self", "uri"),
            ("startDate", "date"),
            ("userReleaseDate", "str"),
            ("userStartDate", "str"),
        ],
        // SprintBean (Jira Software's Agile document, `software-swagger.v3.json`).
        "SprintBean" => &[
            ("completeDate", "str"),
            ("createdDate", "str"),
            ("endDate", "str"),
            ("goal", "str"),
            ("!id", "int"),
            ("!name", "str"),
            ("originBoardId", "int"),
            ("self", "uri"),
            ("startDate", "str"),
            ("!state", "str=future|active|closed"),
        ],
        // JsonTypeBean.
        "JsonTypeBean" => &[
            ("configuration", "obj"),
            ("custom", "str"),
            ("customId", "int"),
            ("items", "str"),
            ("system", "str"),
            ("!type", "str"),
        ],
        // PageOfCreateMetaIssueTypes (GET …/issue/createmeta/{project}/issuetypes 200).
        "PageOfCreateMetaIssueTypes" => &[
            ("createMetaIssueType", "[IssueTypeIssueCreateMetadata]"),
            ("!issueTypes", "[IssueTypeIssueCreateMetadata]"),
            ("!maxResults", "int"),
            ("!startAt", "int"),
            ("!total", "int"),
        ],
        "IssueTypeIssueCreateMetadata" => &[
            ("avatarId", "int"),
            ("description", "str"),
            ("entityId", "str"),
            ("expand", "str"),
            ("fields", "{FieldMetadata}"),
            ("hierarchyLevel", "int"),
            ("iconUrl", "str"),
            ("!id", "str"),
            ("!name", "str"),
            ("scope", "obj"),
            ("self", "str"),
            ("!subtask", "bool"),
        ],
        // PageOfCreateMetaIssueTypeWithField (GET …/createmeta/{project}/issuetypes/{id} 200).
        "PageOfCreateMetaIssueTypeWithField" => &[
            ("!fields", "[FieldCreateMetadata]"),
            ("!maxResults", "int"),
            ("results", "[FieldCreateMetadata]"),
            ("!startAt", "int"),
            ("!total", "int"),
        ],
        "FieldCreateMetadata" => &[
            ("allowedValues", "[any]"),
            ("autoCompleteUrl", "str"),
            ("configuration", "obj"),
            ("defaultValue", "any"),
            ("!fieldId", "str"),
            ("hasDefaultValue", "bool"),
            ("!key", "str"),
            ("!name", "str"),
            ("!operations", "[str]"),
            ("!required", "bool"),
            ("!schema", "JsonTypeBean"),
        ],
        // IssueUpdateMetadata (GET …/issue/{key}/editmeta 200): FieldMetadata by field id.
        "IssueUpdateMetadata" => &[("!fields", "{FieldMetadata}")],
        "FieldMetadata" => &[
            ("allowedValues", "[any]"),
            ("autoCompleteUrl", "str"),
            ("configuration", "obj"),
            ("defaultValue", "any"),
            ("hasDefaultValue", "bool"),
            ("!key", "str"),
            ("!name", "str"),
            ("!operations", "[str]"),
            ("!required", "bool"),
            ("!schema", "JsonTypeBean"),
        ],
        // CreatedIssue (POST /issue 201).
        "CreatedIssue" => {
            &[("!id", "str"), ("!key", "str"), ("!self", "str"), ("transition", "obj"), ("watchers", "obj")]
        }
        // Transitions (GET …/transitions 200).
        "Transitions" => &[("expand", "str"), ("!transitions", "[IssueTransition]")],
        // IssueTransition. providers.md §1.7 shows id, name, to, hasScreen, isAvailable.
        "IssueTransition" => &[
            ("expand", "str"),
            ("fields", "obj"),
            ("!hasScreen", "bool"),
            ("!id", "str"),
            ("!isAvailable", "bool"),
            ("isConditional", "bool"),
            ("isGlobal", "bool"),
            ("isInitial", "bool"),
            ("looped", "bool"),
            ("!name", "str"),
            ("!to", "StatusDetails"),
        ],
        // PageBeanProject (GET /project/search 200). providers.md §1.7 lists every one.
        "PageBeanProject" => &[
            ("!isLast", "bool"),
            ("!maxResults", "int"),
            ("nextPage", "uri"),
            ("!self", "uri"),
            ("!startAt", "int"),
            ("!total", "int"),
            ("!values", "[ProjectListed]"),
        ],
        // Hand-written: Project as /project/search lists it without `expand`: the document's
        // `expand` parameter names `description`, `projectKeys`, `lead`, `issueTypes`, `url`
        // and `insight` as returned only when expanded, so they are not here.
        "ProjectListed" => &[
            ("archived", "bool"),
            ("avatarUrls", "AvatarUrlsBean"),
            ("deleted", "bool"),
            ("entityId", "str"),
            ("expand", "str"),
            ("favourite", "bool"),
            ("!id", "str"),
            ("isPrivate", "bool"),
            ("!key", "str"),
            ("!name", "str"),
            ("projectCategory", "obj"),
            ("projectTypeKey", "str=software|service_desk|business"),
            ("properties", "obj"),
            ("self", "uri"),
            ("simplified", "bool"),
            ("style", "str=classic|next-gen"),
            ("uuid", "str"),
        ],
        // Project (GET /project/{key} 200: description, issue types and lead by default).
        "Project" => &[
            ("archived", "bool"),
            ("archivedBy", "User"),
            ("archivedDate", "time"),
            ("assigneeType", "str=PROJECT_LEAD|UNASSIGNED"),
            ("avatarUrls", "AvatarUrlsBean"),
            ("components", "[ProjectComponent]"),
            ("deleted", "bool"),
            ("deletedBy", "User"),
            ("deletedDate", "time"),
            ("description", "str"),
            ("email", "str"),
            ("expand", "str"),
            ("favourite", "bool"),
            ("!id", "str"),
            ("insight", "obj"),
            ("isPrivate", "bool"),
            ("issueTypeHierarchy", "obj"),
            ("issueTypes", "[IssueTypeDetails]"),
            ("!key", "str"),
            ("landingPageInfo", "obj"),
            ("lead", "User"),
            ("!name", "str"),
            ("permissions", "obj"),
            ("projectCategory", "obj"),
            ("projectTypeKey", "str=software|service_desk|business"),
            ("properties", "obj"),
            ("retentionTillDate", "time"),
            ("roles", "{uri}"),
            ("self", "uri"),
            ("simplified", "bool"),
            ("style", "str=classic|next-gen"),
            ("url", "str"),
            ("uuid", "str"),
            ("versions", "[Version]"),
        ],
        // providers.md §1.4: GET /oauth/token/accessible-resources, each entry.
        "AccessibleResource" => {
            &[("!id", "str"), ("!name", "str"), ("!url", "uri"), ("!scopes", "[str]"), ("!avatarUrl", "uri")]
        }
        // providers.md §1.4: GET /me (User Identity API).
        "Me" => &[
            ("!account_type", "str"),
            ("!account_id", "str"),
            ("email", "str"),
            ("email_verified", "bool"),
            ("name", "str"),
            ("picture", "uri"),
            ("account_status", "str"),
            ("nickname", "str"),
            ("zoneinfo", "str"),
            ("locale", "str"),
            ("extended_profile", "ExtendedProfile"),
            ("last_updated", "str"),
        ],
        "ExtendedProfile" => {
            &[("job_title", "str"), ("organization", "str"), ("department", "str"), ("location", "str")]
        }
        // providers.md §1.2: the token endpoint's 200 (both grants); refresh_token optional.
        "TokenResponse" => &[
            ("!access_token", "str"),
            ("refresh_token", "str"),
            ("!expires_in", "int"),
            ("!scope", "str"),
            ("!token_type", "str"),
        ],
        // providers.md §1.2/§1.3: the token endpoint's errors.
        "OAuthError" => &[("!error", "str"), ("!error_description", "str")],
        // providers.md §1.5: the gateway's own errors (not Jira's format).
        "GatewayError" => &[("!code", "int"), ("!message", "str")],
        other => panic!("no schema {other}"),
    }
}

/// Fields the simulator sends that the document does not list, kept because Jira does:
/// `(schema, field, reason)`.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "IssueTransition",
        "isLooped",
        "Jira Cloud's transition answers carry `isLooped` (seen in recorded answers next to \
         isGlobal/isInitial/isConditional); the document's generator names the getter `looped`",
    ),
    (
        "IssueCommentField",
        "self",
        "the issue's `comment` field (a PageOfComments): Jira renders the embedded page with its `self` link \
         (…/issue/{id}/comment); the document gives the field no schema",
    ),
    (
        "SprintBean",
        "boardId",
        "the Sprint field on an issue names the board `boardId` (the Agile API's SprintBean says \
         originBoardId); the platform document gives custom field values no schema",
    ),
];

fn exception(schema: &str, field: &str) -> bool {
    EXCEPTIONS.iter().any(|(s, f, _)| *s == schema && *f == field)
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 28
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && (b[23] == b'+' || b[23] == b'-')
        && s.chars().enumerate().all(|(i, c)| [4, 7, 10, 13, 16, 19, 23].contains(&i) || c.is_ascii_digit())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s.chars().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Checks `v` against the type `ty`; problems go to `errs` with their JSON path.
fn check(path: &str, v: &Value, ty: &str, errs: &mut Vec<String>) {
    if let Some(inner) = ty.strip_suffix('?') {
        if !v.is_null() {
            check(path, v, inner, errs);
        }
        return;
    }
    let bad = |errs: &mut Vec<String>| errs.push(format!("{path}: expected {ty}, got {v}"));
    if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check(&format!("{path}[{i}]"), item, inner, errs);
                }
            }
            None => bad(errs),
        }
        return;
    }
    if let Some(inner) = ty.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        match v.as_object() {
            Some(map) => {
                for (k, item) in map {
                    check(&format!("{path}.{k}"), item, inner, errs);
                }
            }
            None => bad(errs),
        }
        return;
    }
    if let Some(values) = ty.strip_prefix("str=") {
        if !v.as_str().is_some_and(|s| values.split('|').any(|e| e == s)) {
            bad(errs);
        }
        return;
    }
    let ok = match ty {
        "str" => v.is_string(),
        "int" => v.is_i64() || v.is_u64(),
        "num" => v.is_number(),
        "bool" => v.is_boolean(),
        "any" => true,
        "obj" => v.is_object(),
        "uri" => v.as_str().is_some_and(|s| s.starts_with("http://") || s.starts_with("https://")),
        "time" => v.as_str().is_some_and(is_time),
        "date" => v.as_str().is_some_and(is_date),
        "adf" => v.is_object() && v["type"] == "doc" && v["version"] == 1 && v["content"].is_array(),
        name => {
            let Some(obj) = v.as_object() else {
                bad(errs);
                return;
            };
            let fields = schema(name);
            for (key, value) in obj {
                match fields.iter().find(|(f, _)| f.trim_start_matches('!') == key) {
                    Some((_, t)) => check(&format!("{path}.{key}"), value, t, errs),
                    None if exception(name, key) => {}
                    None => errs.push(format!("{path}.{key}: not a field of {name}")),
                }
            }
            for (f, _) in fields.iter().filter(|(f, _)| f.starts_with('!')) {
                if !obj.contains_key(&f[1..]) {
                    errs.push(format!("{path}: {name} lacks its field {}", &f[1..]));
                }
            }
            true
        }
    };
    if !ok {
        bad(errs);
    }
}

/// Asserts the answer's status and that its body is a `ty`.
#[track_caller]
fn shape(what: &str, answer: &(StatusCode, Value), status: u16, ty: &str) {
    assert_eq!(answer.0.as_u16(), status, "{what}: {}", answer.1);
    let mut errs = Vec::new();
    check("$", &answer.1, ty, &mut errs);
    assert!(errs.is_empty(), "{what} ({ty}):\n  {}", errs.join("\n  "));
}

/// A Jira error answer: an ErrorCollection that carries both lists (providers.md §1.7).
#[track_caller]
fn jira_error(what: &str, answer: &(StatusCode, Value), status: u16) {
    shape(what, answer, status, "ErrorCollection");
    assert!(answer.1["errors"].is_object(), "{what}: errors missing: {}", answer.1);
}

/// A 204: the document gives it no body, and the simulator sends none.
#[track_caller]
fn no_content(what: &str, answer: &(StatusCode, Value)) {
    assert_eq!(answer.0, StatusCode::NO_CONTENT, "{what}: {}", answer.1);
    assert_eq!(answer.1, json!(""), "{what}: a 204 has no body");
}

#[test]
fn the_checker_finds_extras_missing_fields_and_wrong_types() {
    let mut errs = Vec::new();
    check("$", &json!({"count": 1, "extra": true}), "JQLCountResultsBean", &mut errs);
    check("$", &json!({"count": "1"}), "JQLCountResultsBean", &mut errs);
    check("$", &json!({}), "JQLCountResultsBean", &mut errs);
    check(
        "$",
        &json!({"id": "1", "name": "x", "statusCategory": {"key": "new", "id": "2"}}),
        "StatusDetails",
        &mut errs,
    );
    check("$", &json!("2024-01-01T00:00:00Z"), "time", &mut errs);
    check("$", &json!(null), "[str]", &mut errs);
    assert_eq!(errs.len(), 6, "{errs:#?}");
    let mut errs = Vec::new();
    check("$", &json!(null), "UserDetails?", &mut errs);
    check("$", &json!("2024-01-01T00:00:00.000+0000"), "time", &mut errs);
    check("$", &json!([{"id": 1, "name": "S", "state": "active", "boardId": 1}]), "[SprintBean]", &mut errs);
    assert!(errs.is_empty(), "{errs:#?}");
}

async fn issue_key(jira: &Jira, jql: &str) -> String {
    let (status, body) = jira.post("/search/jql", json!({"jql": jql, "maxResults": 1})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["issues"][0]["key"].as_str().unwrap_or_else(|| panic!("no issue for {jql}")).to_string()
}

#[tokio::test]
async fn search_and_count_answer_their_schemas() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let all = "project in (PLAT, MOB, OPS) ORDER BY key";
    let page = jira.post("/search/jql", json!({"jql": all, "maxResults": 5, "fields": ["*all"]})).await;
    shape("search, every field", &page, 200, "SearchAndReconcileResults");
    assert!(page.1["nextPageToken"].is_string());
    let token = page.1["nextPageToken"].clone();
    let next = jira
        .post(
            "/search/jql",
            json!({"jql": all, "maxResults": 100, "fields": ["*navigable"], "nextPageToken": token}),
        )
        .await;
    shape("search, the last page", &next, 200, "SearchAndReconcileResults");
    assert_eq!(next.1["isLast"], true);
    let bare = jira.post("/search/jql", json!({"jql": all, "maxResults": 3})).await;
    shape("search without fields", &bare, 200, "SearchAndReconcileResults");
    let tools = jira
        .post(
            "/search/jql",
            json!({"jql": all, "maxResults": 50, "fields": ["summary", "status", "assignee", "priority", "issuetype", "updated"]}),
        )
        .await;
    shape("search with mcpserver's fields", &tools, 200, "SearchAndReconcileResults");
    let got = jira.get("/search/jql?jql=project%20%3D%20PLAT&fields=summary,parent,customfield_10020").await;
    shape("GET search", &got, 200, "SearchAndReconcileResults");

    jira_error(
        "search, unknown project",
        &jira.post("/search/jql", json!({"jql": "project = NOPE"})).await,
        400,
    );
    jira_error("search, bad JQL", &jira.post("/search/jql", json!({"jql": "summary ~~ x"})).await, 400);
    jira_error(
        "search, unknown key",
        &jira.post("/search/jql", json!({"jql": "x = 1", "bogus": 1})).await,
        400,
    );
    jira_error("search, unbounded", &jira.post("/search/jql", json!({"jql": "ORDER BY key"})).await, 400);
    jira_error("old search", &jira.post("/search", json!({"jql": all})).await, 410);

    let count = jira.post("/search/approximate-count", json!({"jql": "project = PLAT"})).await;
    shape("approximate count", &count, 200, "JQLCountResultsBean");
    jira_error(
        "count, bad JQL",
        &jira.post("/search/approximate-count", json!({"jql": "nope = 1"})).await,
        400,
    );
}

#[tokio::test]
async fn issues_answer_their_schemas() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    // Every seeded issue with every field: parents, sprints, versions, resolutions, nulls.
    let (_, keys) =
        jira.post("/search/jql", json!({"jql": "project in (PLAT, MOB, OPS)", "maxResults": 100})).await;
    let keys: Vec<String> =
        keys["issues"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().into()).collect();
    assert_eq!(keys.len(), 60);
    for key in &keys {
        shape(&format!("GET issue {key}"), &jira.get(&format!("/issue/{key}")).await, 200, "IssueBean");
    }
    let created = jira
        .post(
            "/issue",
            json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "Shape",
                   "description": adf("Body"), "labels": ["x"], "priority": {"name": "High"},
                   "assignee": {"accountId": GRACE}, "parent": {"key": "PLAT-1"}}}),
        )
        .await;
    shape("create issue", &created, 201, "CreatedIssue");
    let key = created.1["key"].as_str().unwrap().to_string();
    let fields =
        "summary,status,assignee,priority,issuetype,updated,description,labels,reporter,created,parent";
    let got = jira.get(&format!("/issue/{key}?fields={fields}&expand=renderedFields,names")).await;
    shape("GET issue with mcpserver's fields", &got, 200, "IssueBean");
    assert!(got.1["fields"]["parent"].is_object(), "{}", got.1);
    shape("the created issue", &jira.get(&format!("/issue/{key}")).await, 200, "IssueBean");
    jira_error("create, no fields", &jira.post("/issue", json!({"fields": {}})).await, 400);
    jira_error(
        "create, plain description",
        &jira
            .post(
                "/issue",
                json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x", "description": "plain"}}),
            )
            .await,
        400,
    );
    jira_error(
        "create, invalid ADF",
        &jira
            .post(
                "/issue",
                json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x",
                       "description": {"type": "doc", "version": 1, "content": [{"type": "text", "text": "x"}]}}}),
            )
            .await,
        400,
    );

    let edited = jira.put(&format!("/issue/{key}"), json!({"fields": {"summary": "new"}})).await;
    no_content("edit", &edited);
    let returned =
        jira.put(&format!("/issue/{key}?returnIssue=true"), json!({"fields": {"summary": "newer"}})).await;
    shape("edit with returnIssue", &returned, 200, "IssueBean");
    jira_error(
        "edit, unknown field",
        &jira.put(&format!("/issue/{key}"), json!({"fields": {"status": "x"}})).await,
        400,
    );
    jira_error(
        "edit, missing issue",
        &jira.put("/issue/PLAT-9999", json!({"fields": {"summary": "x"}})).await,
        404,
    );
    jira_error("GET missing issue", &jira.get("/issue/PLAT-9999").await, 404);

    let assigned = jira.put(&format!("/issue/{key}/assignee"), json!({"accountId": ADA})).await;
    no_content("assign", &assigned);
    jira_error(
        "assign, unknown user",
        &jira.put(&format!("/issue/{key}/assignee"), json!({"accountId": "nope"})).await,
        400,
    );
    jira_error(
        "assign, missing issue",
        &jira.put("/issue/PLAT-9999/assignee", json!({"accountId": ADA})).await,
        404,
    );

    let unsupported = send(
        jira.req(Method::POST, &format!("/issue/{key}/comment"))
            .header("content-type", "text/plain")
            .body("x"),
    )
    .await;
    shape("write as text/plain", &unsupported, 415, "ErrorCollection");
}

#[tokio::test]
async fn comments_answer_their_schemas() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let mut key = String::new();
    for n in 1..=24 {
        let (_, issue) = jira.get(&format!("/issue/PLAT-{n}?fields=comment")).await;
        if issue["fields"]["comment"]["total"].as_u64() > Some(1) {
            key = format!("PLAT-{n}");
            break;
        }
    }
    assert!(!key.is_empty(), "a seeded issue with comments");
    let page = jira.get(&format!("/issue/{key}/comment?orderBy=-created&maxResults=10")).await;
    shape("list comments", &page, 200, "PageOfComments");
    assert!(!page.1["comments"].as_array().unwrap().is_empty());
    shape(
        "list comments, defaults",
        &jira.get(&format!("/issue/{key}/comment")).await,
        200,
        "PageOfComments",
    );
    let added = jira.post(&format!("/issue/{key}/comment"), json!({"body": adf("Looks good")})).await;
    shape("add comment", &added, 201, "Comment");
    jira_error("add comment, no body", &jira.post(&format!("/issue/{key}/comment"), json!({})).await, 400);
    jira_error(
        "add comment, plain body",
        &jira.post(&format!("/issue/{key}/comment"), json!({"body": "x"})).await,
        400,
    );
    jira_error(
        "list comments, bad order",
        &jira.get(&format!("/issue/{key}/comment?orderBy=updated")).await,
        400,
    );
    jira_error("list comments, missing issue", &jira.get("/issue/PLAT-9999/comment").await, 404);
    jira_error(
        "add comment, missing issue",
        &jira.post("/issue/NOPE-1/comment", json!({"body": adf("x")})).await,
        404,
    );
}

#[tokio::test]
async fn transitions_answer_their_schemas() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    for jql in ["project = PLAT AND statusCategory = new", "project = OPS AND statusCategory = indeterminate"]
    {
        let key = issue_key(&jira, jql).await;
        let list = jira.get(&format!("/issue/{key}/transitions")).await;
        shape(&format!("transitions of {key}"), &list, 200, "Transitions");
        let id = list.1["transitions"][0]["id"].as_str().unwrap().to_string();
        let done = jira.post(&format!("/issue/{key}/transitions"), json!({"transition": {"id": id}})).await;
        no_content("transition", &done);
        jira_error(
            "transition, unknown id",
            &jira.post(&format!("/issue/{key}/transitions"), json!({"transition": {"id": "999"}})).await,
            400,
        );
    }
    jira_error("transitions, missing issue", &jira.get("/issue/PLAT-9999/transitions").await, 404);
    jira_error(
        "transition, missing issue",
        &jira.post("/issue/PLAT-9999/transitions", json!({"transition": {"id": "21"}})).await,
        404,
    );
}

#[tokio::test]
async fn projects_and_users_answer_their_schemas() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let page = jira.get("/project/search?maxResults=2").await;
    shape("project search, first page", &page, 200, "PageBeanProject");
    assert!(page.1["nextPage"].is_string());
    shape(
        "project search, query",
        &jira.get("/project/search?query=pla&maxResults=50").await,
        200,
        "PageBeanProject",
    );
    let expanded = jira.get("/project/search?expand=description,lead").await;
    assert_eq!(expanded.0, StatusCode::OK);
    for (i, p) in expanded.1["values"].as_array().unwrap().iter().enumerate() {
        let mut errs = Vec::new();
        check(&format!("$.values[{i}]"), p, "Project", &mut errs);
        assert!(errs.is_empty(), "{errs:#?}");
        assert!(p["description"].is_string() && p["lead"].is_object(), "expanded: {p}");
    }
    shape("GET project", &jira.get("/project/PLAT").await, 200, "Project");
    jira_error("GET missing project", &jira.get("/project/NOPE").await, 404);

    shape("myself", &jira.get("/myself").await, 200, "User");
    shape("user", &jira.get(&format!("/user?accountId={GRACE}")).await, 200, "User");
    jira_error("missing user", &jira.get("/user?accountId=nope").await, 404);
    let found = jira.get("/user/search?query=a&maxResults=10").await;
    shape("user search", &found, 200, "[User]");
    assert!(!found.1.as_array().unwrap().is_empty());
    jira_error("user search without a query", &jira.get("/user/search").await, 400);
    shape(
        "assignable search",
        &jira.get("/user/assignable/search?issueKey=PLAT-1&query=gr").await,
        200,
        "[User]",
    );
    jira_error(
        "assignable search, missing issue",
        &jira.get("/user/assignable/search?issueKey=PLAT-9999").await,
        404,
    );
    jira_error("assignable search, no scope", &jira.get("/user/assignable/search").await, 400);
}

#[tokio::test]
async fn the_gateway_and_oauth_answer_their_shapes() {
    let sim = sim().await;
    let tokens = jira_login(&sim, FULL_SCOPE).await;
    shape("code grant", &(StatusCode::OK, tokens.clone()), 200, "TokenResponse");
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let refreshed = jira_refresh(&sim, refresh).await;
    shape("refresh grant", &refreshed, 200, "TokenResponse");
    shape("used code", &jira_exchange(&sim, "nope").await, 403, "OAuthError");
    shape("unknown refresh token", &jira_refresh(&sim, "nope").await, 403, "OAuthError");
    let bad_secret = send(client().post(format!("{}/oauth/token", sim.base_url())).json(&json!({
        "grant_type": "refresh_token", "client_id": "sim-jira-client", "client_secret": "wrong", "refresh_token": refresh,
    })))
    .await;
    shape("wrong secret", &bad_secret, 401, "OAuthError");

    let access = refreshed.1["access_token"].as_str().unwrap().to_string();
    let get = |path: &str, token: &str| {
        send(client().get(format!("{}{path}", sim.base_url())).bearer_auth(token.to_string()))
    };
    shape(
        "accessible resources",
        &get("/oauth/token/accessible-resources", &access).await,
        200,
        "[AccessibleResource]",
    );
    shape("me", &get("/me", &access).await, 200, "Me");
    shape(
        "accessible resources, bad token",
        &get("/oauth/token/accessible-resources", "nope").await,
        401,
        "GatewayError",
    );
    shape("me, bad token", &get("/me", "nope").await, 401, "GatewayError");
    let narrow = sim.issue_jira_grant(ADA, "read:jira-work").access_token;
    shape("me without read:me", &get("/me", &narrow).await, 401, "GatewayError");

    // Jira behind the gateway: the gateway's 401s, not Jira's ErrorCollection (providers.md §1.5).
    let jira = Jira { sim: sim.clone(), token: "nope".into() };
    shape("Jira, bad token", &jira.get("/myself").await, 401, "GatewayError");
    let jira = Jira { sim: sim.clone(), token: narrow };
    shape("Jira, scope missing", &jira.get("/myself").await, 401, "GatewayError");
}

#[tokio::test]
async fn rate_limits_and_faults_answer_an_error_collection() {
    let limited = sim_with(SimConfig {
        jira_rate_limit: Some(RateLimit { burst: 1, per_second: 0.01 }),
        ..Default::default()
    })
    .await;
    let jira = Jira::new(&limited).await;
    assert_eq!(jira.get("/myself").await.0, StatusCode::OK);
    jira_error("burst limit", &jira.get("/myself").await, 429);

    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    sim.set_fault(routes::JIRA_SEARCH, Fault::rate_limited(1, 7));
    jira_error("injected 429", &jira.post("/search/jql", json!({"jql": "project = PLAT"})).await, 429);
    sim.set_fault(routes::JIRA_GET_ISSUE, Fault::status(503, 1));
    jira_error("injected 503", &jira.get("/issue/PLAT-1").await, 503);
}

#[tokio::test]
async fn metadata_watchers_and_comment_edits_answer_their_schemas() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    for project in ["PLAT", "MOB", "OPS"] {
        let types = jira.get(&format!("/issue/createmeta/{project}/issuetypes")).await;
        shape(&format!("createmeta types of {project}"), &types, 200, "PageOfCreateMetaIssueTypes");
        for t in types.1["issueTypes"].as_array().unwrap() {
            let id = t["id"].as_str().unwrap();
            let fields = jira.get(&format!("/issue/createmeta/{project}/issuetypes/{id}")).await;
            shape(
                &format!("createmeta fields of {project} {id}"),
                &fields,
                200,
                "PageOfCreateMetaIssueTypeWithField",
            );
        }
    }
    jira_error("createmeta of a missing project", &jira.get("/issue/createmeta/NOPE/issuetypes").await, 404);
    shape("editmeta", &jira.get("/issue/PLAT-1/editmeta").await, 200, "IssueUpdateMetadata");
    jira_error("editmeta of a missing issue", &jira.get("/issue/PLAT-9999/editmeta").await, 404);

    shape("watchers", &jira.get("/issue/PLAT-1/watchers").await, 200, "Watchers");
    no_content("add watcher", &jira.post("/issue/PLAT-1/watchers", json!(GRACE)).await);
    jira_error("add an unknown watcher", &jira.post("/issue/PLAT-1/watchers", json!("nobody")).await, 404);
    jira_error("watchers of a missing issue", &jira.get("/issue/PLAT-9999/watchers").await, 404);
    let removed = send(jira.req(Method::DELETE, &format!("/issue/PLAT-1/watchers?accountId={GRACE}"))).await;
    no_content("remove watcher", &removed);
    jira_error(
        "remove without accountId",
        &send(jira.req(Method::DELETE, "/issue/PLAT-1/watchers")).await,
        400,
    );

    let added = jira.post("/issue/PLAT-1/comment", json!({"body": adf("draft")})).await;
    let id = added.1["id"].as_str().unwrap().to_string();
    shape(
        "edit comment",
        &jira.put(&format!("/issue/PLAT-1/comment/{id}"), json!({"body": adf("final")})).await,
        200,
        "Comment",
    );
    jira_error(
        "edit comment, plain body",
        &jira.put(&format!("/issue/PLAT-1/comment/{id}"), json!({"body": "x"})).await,
        400,
    );
    no_content(
        "delete comment",
        &send(jira.req(Method::DELETE, &format!("/issue/PLAT-1/comment/{id}"))).await,
    );
    jira_error(
        "delete a deleted comment",
        &send(jira.req(Method::DELETE, &format!("/issue/PLAT-1/comment/{id}"))).await,
        404,
    );
}

#[tokio::test]
async fn links_and_worklogs_answer_their_schemas() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    shape("link types", &jira.get("/issueLinkType").await, 200, "IssueLinkTypes");
    let link = json!({"type": {"name": "Blocks"}, "inwardIssue": {"key": "PLAT-1"}, "outwardIssue": {"key": "PLAT-2"}});
    let created = jira.post("/issueLink", link).await;
    assert_eq!(created, (StatusCode::CREATED, json!("")), "201 with no body");
    let (_, issue) = jira.get("/issue/PLAT-1").await;
    shape("an issue with a link", &(StatusCode::OK, issue.clone()), 200, "IssueBean");
    let id = issue["fields"]["issuelinks"][0]["id"].as_str().unwrap().to_string();
    shape("a link", &jira.get(&format!("/issueLink/{id}")).await, 200, "IssueLink");
    jira_error(
        "unknown link type",
        &jira.post("/issueLink", json!({"type": {"name": "Nope"}, "inwardIssue": {"key": "PLAT-1"}, "outwardIssue": {"key": "PLAT-2"}})).await,
        404,
    );
    no_content("delete a link", &send(jira.req(Method::DELETE, &format!("/issueLink/{id}"))).await);
    jira_error("a deleted link", &send(jira.req(Method::DELETE, &format!("/issueLink/{id}"))).await, 404);

    let body = json!({"timeSpent": "1h", "started": "2025-01-17T12:34:00.000+0000", "comment": adf("done")});
    shape("add worklog", &jira.post("/issue/PLAT-1/worklog", body).await, 201, "Worklog");
    shape("worklogs", &jira.get("/issue/PLAT-1/worklog").await, 200, "PageOfWorklogs");
    jira_error(
        "worklog, bad time",
        &jira
            .post(
                "/issue/PLAT-1/worklog",
                json!({"timeSpent": "soon", "started": "2025-01-17T12:34:00.000+0000"}),
            )
            .await,
        400,
    );
    jira_error("worklogs of a missing issue", &jira.get("/issue/PLAT-9999/worklog").await, 404);
}

#[tokio::test]
async fn attachments_answer_their_schemas() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    shape("an issue with attachments", &jira.get("/issue/PLAT-3").await, 200, "IssueBean");
    shape("attachment settings", &jira.get("/attachment/meta").await, 200, "AttachmentSettings");
    let upload = |form: reqwest::multipart::Form| {
        send(
            jira.req(Method::POST, "/issue/PLAT-1/attachments")
                .header("X-Atlassian-Token", "no-check")
                .multipart(form),
        )
    };
    let file = || {
        let part =
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.png").mime_str("image/png").unwrap();
        reqwest::multipart::Form::new().part("file", part)
    };
    let added = upload(file()).await;
    shape("add attachments", &added, 200, "[Attachment]");
    let id = added.1[0]["id"].as_str().unwrap().to_string();
    shape("an attachment", &jira.get(&format!("/attachment/{id}")).await, 200, "AttachmentMetadata");
    jira_error("no such attachment", &jira.get("/attachment/99999").await, 404);
    jira_error(
        "upload to a missing issue",
        &send(
            jira.req(Method::POST, "/issue/PLAT-9999/attachments")
                .header("X-Atlassian-Token", "no-check")
                .multipart(file()),
        )
        .await,
        404,
    );
    jira_error(
        "upload without a file",
        &upload(reqwest::multipart::Form::new().text("file", "x")).await,
        400,
    );
    jira_error(
        "upload of JSON",
        &send(
            jira.req(Method::POST, "/issue/PLAT-1/attachments")
                .header("X-Atlassian-Token", "no-check")
                .json(&json!({})),
        )
        .await,
        415,
    );
    no_content("delete an attachment", &send(jira.req(Method::DELETE, &format!("/attachment/{id}"))).await);

    let small = sim_with(SimConfig { jira_attachment_max_bytes: 0, ..Default::default() }).await;
    let jira = Jira::new(&small).await;
    let over = send(
        jira.req(Method::POST, "/issue/PLAT-1/attachments")
            .header("X-Atlassian-Token", "no-check")
            .multipart(file()),
    )
    .await;
    jira_error("upload over the limit", &over, 413);
}

#[tokio::test]
async fn fields_components_and_versions_answer_their_schemas() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let page = jira.get("/field/search?type=custom&expand=key,isLocked,searcherKey").await;
    shape("field search", &page, 200, "PageBeanField");
    let all = jira.get("/field").await;
    shape("all fields", &all, 200, "[FieldDetails]");
    shape("components", &jira.get("/project/PLAT/components").await, 200, "[ProjectComponent]");
    shape("versions", &jira.get("/project/PLAT/versions").await, 200, "[Version]");
    jira_error("no such project", &jira.get("/project/ZZZ/components").await, 404);
    let made = jira
        .post(
            "/issue",
            json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x", "customfield_10040": {"value": "Minor"}, "customfield_10016": 2.5}}),
        )
        .await;
    let key = made.1["key"].as_str().unwrap();
    shape("an issue with custom values", &jira.get(&format!("/issue/{key}")).await, 200, "IssueBean");
    jira_error(
        "a bad option",
        &jira.put(&format!("/issue/{key}"), json!({"fields": {"customfield_10040": {"value": "?"}}})).await,
        400,
    );
}
