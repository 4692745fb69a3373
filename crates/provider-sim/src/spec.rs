//! The published specifications the simulator's request checks follow (issue 19).
//!
//! * **ADF**: every document the Jira routes receive is checked against the ADF JSON schema
//!   that Atlassian publishes in the npm package `@atlaskit/adf-schema`
//!   (`dist/json-schema/v1/full.json`, draft 4) when the crate is built with the feature
//!   `schemas` (test builds: this crate's tests and mcpserver's) and the schema is installed
//!   (`scripts/spec-deps` puts it in `.cache/specs`; `PROVIDER_SIM_SPECS` names another
//!   directory). Otherwise, as in mcpserver's release build whose demo embeds the simulator,
//!   a hand-written structural check of the same rules runs ([`check_adf_structure`]); a test
//!   keeps the two in agreement. With `PROVIDER_SIM_REQUIRE_SPECS=1` (CI) a missing schema is
//!   an error instead of a warning.
//! * **Notion**: the block, rich-text, color and code-language rules come from the request
//!   types of the official SDK (`@notionhq/client`, `build/src/api-endpoints/common.d.ts`) and
//!   are always on (they are small); the SDK is installed by the same script for the test that
//!   compares the simulator's lists with it, and with Notion's OpenAPI document for the test
//!   that checks the simulator's answers against both (`tests/notion_shapes.rs`).

use std::path::PathBuf;

use serde_json::Value;

/// Where `scripts/spec-deps` installs the specifications: `$PROVIDER_SIM_SPECS`, or the
/// workspace's `.cache/specs`.
pub fn specs_dir() -> PathBuf {
    std::env::var_os("PROVIDER_SIM_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.cache/specs")))
}

/// The ADF schema's path inside [`specs_dir`].
pub const ADF_SCHEMA: &str = "@atlaskit/adf-schema/dist/json-schema/v1/full.json";
/// The Notion SDK's request types inside [`specs_dir`].
pub const NOTION_SDK_TYPES: &str = "@notionhq/client/build/src/api-endpoints/common.d.ts";
/// Notion's OpenAPI document (as bundled by Notion's MCP server) inside [`specs_dir`].
pub const NOTION_OPENAPI: &str = "@notionhq/notion-mcp-server/scripts/notion-openapi.json";

/// True when `PROVIDER_SIM_REQUIRE_SPECS` asks for the published specifications.
pub fn specs_required() -> bool {
    std::env::var("PROVIDER_SIM_REQUIRE_SPECS").is_ok_and(|v| !v.is_empty() && v != "0")
}

#[cfg(feature = "schemas")]
fn adf_validator() -> Option<&'static jsonschema::Validator> {
    use std::sync::OnceLock;
    static VALIDATOR: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let path = specs_dir().join(ADF_SCHEMA);
            let schema = match std::fs::read(&path) {
                Ok(bytes) => serde_json::from_slice::<Value>(&bytes)
                    .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display())),
                Err(e) if specs_required() => {
                    panic!("{}: {e}; run scripts/spec-deps (PROVIDER_SIM_REQUIRE_SPECS is set)", path.display())
                }
                Err(_) => {
                    eprintln!(
                        "provider-sim: {} not found (run scripts/spec-deps); ADF is checked by the built-in structural rules only",
                        path.display()
                    );
                    return None;
                }
            };
            let validator = jsonschema::draft4::new(&schema)
                .unwrap_or_else(|e| panic!("{} is not a usable JSON schema: {e}", path.display()));
            Some(validator)
        })
        .as_ref()
}

/// True if ADF documents are checked against the published schema in this build.
pub fn adf_schema_loaded() -> bool {
    #[cfg(feature = "schemas")]
    {
        adf_validator().is_some()
    }
    #[cfg(not(feature = "schemas"))]
    {
        false
    }
}

/// The published schema's verdict on an ADF document (the first error, with its JSON
/// pointer), or `None` when the schema is not available in this build.
pub fn check_adf_against_schema(doc: &Value) -> Option<Result<(), String>> {
    #[cfg(feature = "schemas")]
    {
        adf_validator().map(|v| v.validate(doc).map_err(|e| format!("{e} (at `{}`)", e.instance_path())))
    }
    #[cfg(not(feature = "schemas"))]
    {
        let _ = doc;
        None
    }
}

/// The built-in structural check's verdict (the rules of the published schema for the
/// nodes and marks it models; see `atlassian/jira/adf.rs`).
pub fn check_adf_structure(doc: &Value) -> Result<(), String> {
    crate::atlassian::jira::adf::check_structure(doc)
}

/// The simulator's verdict on an ADF document: the published schema when it is loaded,
/// the structural check otherwise.
pub fn check_adf(doc: &Value) -> Result<(), String> {
    check_adf_against_schema(doc).unwrap_or_else(|| check_adf_structure(doc))
}

/// Notion's `ApiColor` values as the simulator enforces them.
pub fn notion_colors() -> &'static [&'static str] {
    crate::notion::blockspec::COLORS
}

/// Notion's `LanguageRequest` values (code-block languages) as the simulator enforces them.
pub fn notion_code_languages() -> &'static [&'static str] {
    crate::notion::blockspec::LANGUAGES
}

/// The simulator's verdict on a `children` array as sent to `PATCH /v1/blocks/{id}/children`
/// or `POST /v1/pages` (the rules of `notion/blockspec.rs`): `Ok` or Notion's
/// `validation_error` message.
pub fn check_notion_children(children: &Value) -> Result<(), String> {
    crate::notion::blockspec::parse_request_children(Some(children))
        .and_then(|blocks| crate::notion::blockspec::check_append_target(None, None, &blocks))
        .map_err(|e| e.message)
}
