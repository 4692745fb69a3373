//! Route keys (`"METHOD /template"`) for counters and fault switches.

/// `GET /authorize` (Atlassian consent).
pub const ATLASSIAN_AUTHORIZE: &str = "GET /authorize";
/// `POST /authorize` (Atlassian consent form).
pub const ATLASSIAN_DECIDE: &str = "POST /authorize";
/// `POST /oauth/token` (Atlassian code and refresh grants).
pub const ATLASSIAN_TOKEN: &str = "POST /oauth/token";
/// `GET /oauth/token/accessible-resources`.
pub const ACCESSIBLE_RESOURCES: &str = "GET /oauth/token/accessible-resources";
/// `GET /me`.
pub const ME: &str = "GET /me";

/// `GET …/myself`.
pub const JIRA_MYSELF: &str = "GET /ex/jira/{cloudid}/rest/api/3/myself";
/// `GET …/search/jql`.
pub const JIRA_SEARCH_GET: &str = "GET /ex/jira/{cloudid}/rest/api/3/search/jql";
/// `POST …/search/jql`.
pub const JIRA_SEARCH: &str = "POST /ex/jira/{cloudid}/rest/api/3/search/jql";
/// `POST …/search/approximate-count`.
pub const JIRA_COUNT: &str = "POST /ex/jira/{cloudid}/rest/api/3/search/approximate-count";
/// `GET …/search` (removed: 410).
pub const JIRA_OLD_SEARCH_GET: &str = "GET /ex/jira/{cloudid}/rest/api/3/search";
/// `POST …/search` (removed: 410).
pub const JIRA_OLD_SEARCH: &str = "POST /ex/jira/{cloudid}/rest/api/3/search";
/// `POST …/issue`.
pub const JIRA_CREATE_ISSUE: &str = "POST /ex/jira/{cloudid}/rest/api/3/issue";
/// `GET …/issue/{key}`.
pub const JIRA_GET_ISSUE: &str = "GET /ex/jira/{cloudid}/rest/api/3/issue/{key}";
/// `PUT …/issue/{key}`.
pub const JIRA_EDIT_ISSUE: &str = "PUT /ex/jira/{cloudid}/rest/api/3/issue/{key}";
/// `GET …/issue/{key}/comment`.
pub const JIRA_LIST_COMMENTS: &str = "GET /ex/jira/{cloudid}/rest/api/3/issue/{key}/comment";
/// `POST …/issue/{key}/comment`.
pub const JIRA_ADD_COMMENT: &str = "POST /ex/jira/{cloudid}/rest/api/3/issue/{key}/comment";
/// `PUT …/issue/{key}/comment/{id}`.
pub const JIRA_UPDATE_COMMENT: &str = "PUT /ex/jira/{cloudid}/rest/api/3/issue/{key}/comment/{id}";
/// `DELETE …/issue/{key}/comment/{id}`.
pub const JIRA_DELETE_COMMENT: &str = "DELETE /ex/jira/{cloudid}/rest/api/3/issue/{key}/comment/{id}";
/// `GET …/issue/{key}/watchers`.
pub const JIRA_LIST_WATCHERS: &str = "GET /ex/jira/{cloudid}/rest/api/3/issue/{key}/watchers";
/// `POST …/issue/{key}/watchers`.
pub const JIRA_ADD_WATCHER: &str = "POST /ex/jira/{cloudid}/rest/api/3/issue/{key}/watchers";
/// `DELETE …/issue/{key}/watchers`.
pub const JIRA_REMOVE_WATCHER: &str = "DELETE /ex/jira/{cloudid}/rest/api/3/issue/{key}/watchers";
/// `GET …/issue/{key}/transitions`.
pub const JIRA_LIST_TRANSITIONS: &str = "GET /ex/jira/{cloudid}/rest/api/3/issue/{key}/transitions";
/// `POST …/issue/{key}/transitions`.
pub const JIRA_TRANSITION: &str = "POST /ex/jira/{cloudid}/rest/api/3/issue/{key}/transitions";
/// `PUT …/issue/{key}/assignee`.
pub const JIRA_ASSIGN: &str = "PUT /ex/jira/{cloudid}/rest/api/3/issue/{key}/assignee";
/// `GET …/issue/createmeta/{project}/issuetypes`.
pub const JIRA_CREATE_META: &str = "GET /ex/jira/{cloudid}/rest/api/3/issue/createmeta/{project}/issuetypes";
/// `GET …/issue/createmeta/{project}/issuetypes/{type_id}`.
pub const JIRA_CREATE_META_FIELDS: &str =
    "GET /ex/jira/{cloudid}/rest/api/3/issue/createmeta/{project}/issuetypes/{type_id}";
/// `GET …/issue/{key}/editmeta`.
pub const JIRA_EDIT_META: &str = "GET /ex/jira/{cloudid}/rest/api/3/issue/{key}/editmeta";
/// `GET …/project/search`.
pub const JIRA_PROJECT_SEARCH: &str = "GET /ex/jira/{cloudid}/rest/api/3/project/search";
/// `GET …/project/{project}`.
pub const JIRA_PROJECT: &str = "GET /ex/jira/{cloudid}/rest/api/3/project/{project}";
/// `GET …/project/{project}/components`.
pub const JIRA_PROJECT_COMPONENTS: &str = "GET /ex/jira/{cloudid}/rest/api/3/project/{project}/components";
/// `GET …/project/{project}/versions`.
pub const JIRA_PROJECT_VERSIONS: &str = "GET /ex/jira/{cloudid}/rest/api/3/project/{project}/versions";
/// `GET …/field`.
pub const JIRA_FIELDS: &str = "GET /ex/jira/{cloudid}/rest/api/3/field";
/// `GET …/field/search`.
pub const JIRA_FIELD_SEARCH: &str = "GET /ex/jira/{cloudid}/rest/api/3/field/search";
/// `GET …/user`.
pub const JIRA_USER: &str = "GET /ex/jira/{cloudid}/rest/api/3/user";
/// `GET …/user/search`.
pub const JIRA_USER_SEARCH: &str = "GET /ex/jira/{cloudid}/rest/api/3/user/search";
/// `GET …/user/assignable/search`.
pub const JIRA_ASSIGNABLE_SEARCH: &str = "GET /ex/jira/{cloudid}/rest/api/3/user/assignable/search";
/// `POST …/issue/{key}/attachments` (multipart).
pub const JIRA_ADD_ATTACHMENTS: &str = "POST /ex/jira/{cloudid}/rest/api/3/issue/{key}/attachments";
/// `GET …/attachment/meta`.
pub const JIRA_ATTACHMENT_META: &str = "GET /ex/jira/{cloudid}/rest/api/3/attachment/meta";
/// `GET …/attachment/{id}`.
pub const JIRA_ATTACHMENT: &str = "GET /ex/jira/{cloudid}/rest/api/3/attachment/{id}";
/// `DELETE …/attachment/{id}`.
pub const JIRA_DELETE_ATTACHMENT: &str = "DELETE /ex/jira/{cloudid}/rest/api/3/attachment/{id}";
/// `GET …/attachment/content/{id}`.
pub const JIRA_ATTACHMENT_CONTENT: &str = "GET /ex/jira/{cloudid}/rest/api/3/attachment/content/{id}";
/// `GET …/attachment/thumbnail/{id}`.
pub const JIRA_ATTACHMENT_THUMBNAIL: &str = "GET /ex/jira/{cloudid}/rest/api/3/attachment/thumbnail/{id}";
/// `GET /sim-media/attachment/{id}/{secret}`: where the content routes redirect (no bearer).
pub const SIM_MEDIA_ATTACHMENT: &str = "GET /sim-media/attachment/{id}/{secret}";

/// `GET …/rest/agile/1.0/board`.
pub const JIRA_BOARDS: &str = "GET /ex/jira/{cloudid}/rest/agile/1.0/board";
/// `GET …/rest/agile/1.0/board/{board_id}`.
pub const JIRA_BOARD: &str = "GET /ex/jira/{cloudid}/rest/agile/1.0/board/{board_id}";
/// `GET …/rest/agile/1.0/board/{board_id}/sprint`.
pub const JIRA_BOARD_SPRINTS: &str = "GET /ex/jira/{cloudid}/rest/agile/1.0/board/{board_id}/sprint";
/// `GET …/rest/agile/1.0/sprint/{sprint_id}`.
pub const JIRA_SPRINT: &str = "GET /ex/jira/{cloudid}/rest/agile/1.0/sprint/{sprint_id}";
/// `GET …/rest/agile/1.0/sprint/{sprint_id}/issue`.
pub const JIRA_SPRINT_ISSUES: &str = "GET /ex/jira/{cloudid}/rest/agile/1.0/sprint/{sprint_id}/issue";
/// `POST …/rest/agile/1.0/sprint/{sprint_id}/issue`.
pub const JIRA_MOVE_TO_SPRINT: &str = "POST /ex/jira/{cloudid}/rest/agile/1.0/sprint/{sprint_id}/issue";
/// `POST …/rest/agile/1.0/backlog/issue`.
pub const JIRA_MOVE_TO_BACKLOG: &str = "POST /ex/jira/{cloudid}/rest/agile/1.0/backlog/issue";

/// `GET /v1/oauth/authorize` (Notion consent).
pub const NOTION_AUTHORIZE: &str = "GET /v1/oauth/authorize";
/// `POST /v1/oauth/authorize` (Notion consent form).
pub const NOTION_DECIDE: &str = "POST /v1/oauth/authorize";
/// `POST /v1/oauth/token`.
pub const NOTION_TOKEN: &str = "POST /v1/oauth/token";
/// `POST /v1/oauth/introspect`.
pub const NOTION_INTROSPECT: &str = "POST /v1/oauth/introspect";
/// `POST /v1/oauth/revoke`.
pub const NOTION_REVOKE: &str = "POST /v1/oauth/revoke";
/// `POST /v1/search`.
pub const NOTION_SEARCH: &str = "POST /v1/search";
/// `POST /v1/pages`.
pub const NOTION_CREATE_PAGE: &str = "POST /v1/pages";
/// `GET /v1/pages/{page_id}`.
pub const NOTION_GET_PAGE: &str = "GET /v1/pages/{page_id}";
/// `PATCH /v1/pages/{page_id}`.
pub const NOTION_UPDATE_PAGE: &str = "PATCH /v1/pages/{page_id}";
/// `GET /v1/pages/{page_id}/properties/{property_id}`.
pub const NOTION_PAGE_PROPERTY: &str = "GET /v1/pages/{page_id}/properties/{property_id}";
/// `GET /v1/blocks/{block_id}`.
pub const NOTION_GET_BLOCK: &str = "GET /v1/blocks/{block_id}";
/// `PATCH /v1/blocks/{block_id}`.
pub const NOTION_UPDATE_BLOCK: &str = "PATCH /v1/blocks/{block_id}";
/// `DELETE /v1/blocks/{block_id}`.
pub const NOTION_DELETE_BLOCK: &str = "DELETE /v1/blocks/{block_id}";
/// `GET /v1/blocks/{block_id}/children`.
pub const NOTION_LIST_CHILDREN: &str = "GET /v1/blocks/{block_id}/children";
/// `PATCH /v1/blocks/{block_id}/children`.
pub const NOTION_APPEND_CHILDREN: &str = "PATCH /v1/blocks/{block_id}/children";
/// `GET /v1/databases/{database_id}`.
pub const NOTION_GET_DATABASE: &str = "GET /v1/databases/{database_id}";
/// `POST /v1/databases/{database_id}/query` (before 2025-09-03).
pub const NOTION_QUERY_DATABASE: &str = "POST /v1/databases/{database_id}/query";
/// `GET /v1/data_sources/{data_source_id}`.
pub const NOTION_GET_DATA_SOURCE: &str = "GET /v1/data_sources/{data_source_id}";
/// `POST /v1/data_sources/{data_source_id}/query`.
pub const NOTION_QUERY_DATA_SOURCE: &str = "POST /v1/data_sources/{data_source_id}/query";
/// `GET /v1/users/me`.
pub const NOTION_ME: &str = "GET /v1/users/me";
/// `GET /v1/users`.
pub const NOTION_LIST_USERS: &str = "GET /v1/users";
/// `GET /v1/users/{user_id}`.
pub const NOTION_GET_USER: &str = "GET /v1/users/{user_id}";
/// `POST /v1/comments`.
pub const NOTION_CREATE_COMMENT: &str = "POST /v1/comments";
/// `GET /v1/comments`.
pub const NOTION_LIST_COMMENTS: &str = "GET /v1/comments";
/// `POST /v1/file_uploads`.
pub const NOTION_CREATE_FILE_UPLOAD: &str = "POST /v1/file_uploads";
/// `GET /v1/file_uploads/{file_upload_id}`.
pub const NOTION_GET_FILE_UPLOAD: &str = "GET /v1/file_uploads/{file_upload_id}";
/// `POST /v1/file_uploads/{file_upload_id}/send` (`multipart/form-data`).
pub const NOTION_SEND_FILE_UPLOAD: &str = "POST /v1/file_uploads/{file_upload_id}/send";
/// `GET /notion-files/{id}/{secret}/{filename}`: an attached upload's hosted file (no token).
pub const NOTION_HOSTED_FILE: &str = "GET /notion-files/{id}/{secret}/{filename}";

/// Every route key.
pub const ALL: &[&str] = &[
    ATLASSIAN_AUTHORIZE,
    ATLASSIAN_DECIDE,
    ATLASSIAN_TOKEN,
    ACCESSIBLE_RESOURCES,
    ME,
    JIRA_MYSELF,
    JIRA_SEARCH_GET,
    JIRA_SEARCH,
    JIRA_COUNT,
    JIRA_OLD_SEARCH_GET,
    JIRA_OLD_SEARCH,
    JIRA_CREATE_ISSUE,
    JIRA_GET_ISSUE,
    JIRA_EDIT_ISSUE,
    JIRA_LIST_COMMENTS,
    JIRA_ADD_COMMENT,
    JIRA_UPDATE_COMMENT,
    JIRA_DELETE_COMMENT,
    JIRA_LIST_WATCHERS,
    JIRA_ADD_WATCHER,
    JIRA_REMOVE_WATCHER,
    JIRA_LIST_TRANSITIONS,
    JIRA_TRANSITION,
    JIRA_ASSIGN,
    JIRA_CREATE_META,
    JIRA_CREATE_META_FIELDS,
    JIRA_EDIT_META,
    JIRA_PROJECT_SEARCH,
    JIRA_PROJECT,
    JIRA_PROJECT_COMPONENTS,
    JIRA_PROJECT_VERSIONS,
    JIRA_FIELDS,
    JIRA_FIELD_SEARCH,
    JIRA_USER,
    JIRA_USER_SEARCH,
    JIRA_ASSIGNABLE_SEARCH,
    JIRA_ADD_ATTACHMENTS,
    JIRA_ATTACHMENT_META,
    JIRA_ATTACHMENT,
    JIRA_DELETE_ATTACHMENT,
    JIRA_ATTACHMENT_CONTENT,
    JIRA_ATTACHMENT_THUMBNAIL,
    SIM_MEDIA_ATTACHMENT,
    JIRA_BOARDS,
    JIRA_BOARD,
    JIRA_BOARD_SPRINTS,
    JIRA_SPRINT,
    JIRA_SPRINT_ISSUES,
    JIRA_MOVE_TO_SPRINT,
    JIRA_MOVE_TO_BACKLOG,
    NOTION_AUTHORIZE,
    NOTION_DECIDE,
    NOTION_TOKEN,
    NOTION_INTROSPECT,
    NOTION_REVOKE,
    NOTION_SEARCH,
    NOTION_CREATE_PAGE,
    NOTION_GET_PAGE,
    NOTION_UPDATE_PAGE,
    NOTION_PAGE_PROPERTY,
    NOTION_GET_BLOCK,
    NOTION_UPDATE_BLOCK,
    NOTION_DELETE_BLOCK,
    NOTION_LIST_CHILDREN,
    NOTION_APPEND_CHILDREN,
    NOTION_GET_DATABASE,
    NOTION_QUERY_DATABASE,
    NOTION_GET_DATA_SOURCE,
    NOTION_QUERY_DATA_SOURCE,
    NOTION_ME,
    NOTION_LIST_USERS,
    NOTION_GET_USER,
    NOTION_CREATE_COMMENT,
    NOTION_LIST_COMMENTS,
    NOTION_CREATE_FILE_UPLOAD,
    NOTION_GET_FILE_UPLOAD,
    NOTION_SEND_FILE_UPLOAD,
    NOTION_HOSTED_FILE,
];
