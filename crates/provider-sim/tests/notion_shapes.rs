//! Shape checks from the specs (issue 19): the simulator is driven through every Notion
//! endpoint mcpserver calls (and the page-property, block, user and OAuth introspection
//! endpoints reachable through its proxy), success and the main error answers, and each answer
//! body is validated
//!
//! 1. against the response schema Notion's OpenAPI document (`@notionhq/notion-mcp-server`,
//!    `scripts/notion-openapi.json`, OpenAPI 3.1 = JSON Schema 2020-12) gives the operation for
//!    that status — an error status the operation does not list is checked against the schema
//!    another operation of the document gives it (only the Markdown operations list 404 and
//!    429), and one no operation lists (401) against the operation's 400 schema: every error
//!    schema of the document is the same envelope. The OAuth endpoints are not in the document;
//!    they are checked against the SDK only;
//! 2. and, because those schemas are mostly a bare `{"type": "object"}`, against the official
//!    SDK's response types (`@notionhq/client`, `build/src/api-endpoints/*.d.ts`): every object
//!    the answer holds — lists, pages, blocks, databases, data sources with their property
//!    schemas and select/status options, page property values and their options, property
//!    items, users, comments, rich text, errors — carries only the keys its SDK type declares,
//!    every key the type requires, and values of the declared kind where the type is simple
//!    (`string`, `boolean`, `number`, `null`, literals, `Array<…>`, string unions such as
//!    `SelectColor`); a key declared as an object type, named (`T`, `T | null`, `Array<T>`) or
//!    an inline literal, has its value checked against that type in turn. The keys are read
//!    from the SDK's declarations; which type applies to which object is listed here by hand.
//!
//! Exceptions (the real API answers so; see `/work/shared/reference/providers.md`):
//! * `request_id` at the top of every answer (§3.2, §3.3: lists, `/users/me`, errors, OAuth);
//!   the SDK declares it only on the OAuth answers.
//! * error codes `missing_version` and `invalid_grant`: in Notion's status-code table (and the
//!   reference's §3.3) but not in the SDK's `APIErrorCode`.
//! * `archived` is required by the SDK "for API versions prior to 2026-03-11": required before
//!   that version and absent from it on (reference §3.1).
//!
//! Both `Notion-Version`s the simulator's data-source routes serve are checked (`2025-09-03`,
//! mcpserver's default, and `2026-03-11`); the SDK has no types for the pre-2025 shapes.
//!
//! The specs are installed by `scripts/spec-deps`; without them the tests are skipped, unless
//! `PROVIDER_SIM_REQUIRE_SPECS=1`, when they fail.
#![cfg(feature = "schemas")]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use common::*;
use provider_sim::{RateLimit, SimConfig, SimHandle, spec};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const VERSIONS: [&str; 2] = ["2025-09-03", "2026-03-11"];
const SDK_FILES: [&str; 11] = [
    "common",
    "blocks",
    "pages",
    "databases",
    "data-sources",
    "comments",
    "search",
    "users",
    "oauth",
    "file-uploads",
    "../errors",
];

// ------------------------------------------------------------------ the specs

struct Specs {
    openapi: Value,
    /// The SDK's declaration files, by name.
    sdk: Vec<(&'static str, String)>,
    /// `APIErrorCode`'s values.
    error_codes: BTreeSet<String>,
    validators: Mutex<HashMap<String, &'static jsonschema::Validator>>,
}

fn read_spec(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            assert!(
                !spec::specs_required(),
                "{}: {e}; run scripts/spec-deps (PROVIDER_SIM_REQUIRE_SPECS is set)",
                path.display()
            );
            eprintln!("skipped: {} missing (run scripts/spec-deps)", path.display());
            None
        }
    }
}

/// The installed specs, or `None` (the test is skipped) when they are missing and not required.
fn specs() -> Option<&'static Specs> {
    static SPECS: OnceLock<Option<Specs>> = OnceLock::new();
    SPECS
        .get_or_init(|| {
            let dir = spec::specs_dir();
            let openapi = read_spec(&dir.join(spec::NOTION_OPENAPI))?;
            let openapi: Value = serde_json::from_str(&openapi).expect("the OpenAPI document is JSON");
            assert!(
                openapi["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")),
                "OpenAPI 3.1 expected"
            );
            let types_dir = dir.join(spec::NOTION_SDK_TYPES);
            let types_dir = types_dir.parent().expect("api-endpoints");
            let mut sdk = Vec::new();
            for name in SDK_FILES {
                sdk.push((name, read_spec(&types_dir.join(format!("{name}.d.ts")))?));
            }
            let errors = &sdk.iter().find(|(n, _)| *n == "../errors").expect("errors.d.ts").1;
            let start = errors.find("enum APIErrorCode {").expect("APIErrorCode in errors.d.ts");
            let decl = &errors[start..start + errors[start..].find('}').unwrap()];
            let error_codes = decl.split('"').skip(1).step_by(2).map(str::to_string).collect();
            Some(Specs { openapi, sdk, error_codes, validators: Mutex::new(HashMap::new()) })
        })
        .as_ref()
}

/// One key of an SDK object type: its declared type (one line; `{` for a nested literal) and
/// whether it is optional.
#[derive(Debug, Clone)]
struct Field {
    ty: String,
    optional: bool,
    /// The keys of an inline object literal (`key: { … };`, `key: { … } | null;`,
    /// `key: Array<{ … }>;`); `None` for a named type or a union of literals.
    nested: Option<BTreeMap<String, Field>>,
}

/// The fields of an object literal whose `{` was just read, and its closing line (`};`,
/// `} | {`, `}>;`, …); `lines` is left after that line.
fn parse_literal<'a>(lines: &mut impl Iterator<Item = &'a str>) -> (BTreeMap<String, Field>, String) {
    let mut fields = BTreeMap::new();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.starts_with("/*") || t.starts_with('*') {
            continue;
        }
        if t.starts_with('}') {
            return (fields, t.to_string());
        }
        let Some((key, ty)) = t.split_once(':') else { continue };
        let ident = key.trim_end_matches('?');
        if ident.is_empty() || !ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let ty = ty.trim().trim_end_matches(';');
        let mut field = Field { ty: ty.to_string(), optional: key.ends_with('?'), nested: None };
        if let Some(prefix) = ty.strip_suffix('{') {
            let (inner, mut close) = parse_literal(lines);
            let mut single = true;
            while close.ends_with('{') {
                single = false;
                close = parse_literal(lines).1;
            }
            let (ty, plain) = match (prefix.trim(), close.as_str()) {
                ("", "};") => ("OBJECT", true),
                ("", "} | null;") => ("OBJECT | null", true),
                ("Array<", "}>;") => ("Array<OBJECT>", true),
                _ => ("UNION", false),
            };
            field.ty = ty.to_string();
            if plain && single {
                field.nested = Some(inner);
            }
        }
        fields.insert(ident.to_string(), field);
    }
    (fields, String::new())
}

impl Specs {
    /// The keys of `type NAME = { … }` as the SDK declares it, or `None` if it declares no such
    /// object type.
    fn object_type(&self, name: &str) -> Option<BTreeMap<String, Field>> {
        let body = self.sdk.iter().find_map(|(_, text)| {
            ["\nexport type ", "\ntype "].iter().find_map(|prefix| {
                let needle = format!("{prefix}{name} = {{\n");
                text.find(&needle).map(|at| &text[at + needle.len()..])
            })
        })?;
        Some(parse_literal(&mut body.lines()).0)
    }

    /// The keys of an object type the SDK must declare.
    fn must(&self, name: &str) -> BTreeMap<String, Field> {
        self.object_type(name).unwrap_or_else(|| panic!("the SDK declares no object type {name}"))
    }

    /// The named object types a type expression stands for (`A | B`, aliases of unions
    /// expanded); members that are anything else (intersections, literals, …) are left out.
    fn object_members(&self, ty: &str, out: &mut Vec<String>, depth: u8) {
        for alt in top_level_union(ty) {
            if alt.is_empty() || !alt.chars().all(|c| c.is_ascii_alphanumeric()) || depth > 3 {
                continue;
            }
            if self.object_type(&alt).is_some() {
                out.push(alt);
            } else if let Some(a) = self.alias(&alt) {
                self.object_members(&a, out, depth + 1);
            }
        }
    }

    /// The right-hand side of a one-line alias `type NAME = …;` that is not an object literal.
    fn alias(&self, name: &str) -> Option<String> {
        self.sdk.iter().find_map(|(_, text)| {
            ["\nexport type ", "\ntype "].iter().find_map(|prefix| {
                let needle = format!("{prefix}{name} = ");
                let at = text.find(&needle)? + needle.len();
                let rest = &text[at..];
                let decl = &rest[..rest.find(";\n")?];
                (!decl.starts_with('{') && !decl.contains('\n')).then(|| decl.to_string())
            })
        })
    }

    /// Whether `v` is of the declared type `ty`; `None` when the type is not a simple one.
    fn kind_ok(&self, ty: &str, v: &Value, depth: u8) -> Option<bool> {
        let mut any = false;
        for alt in top_level_union(ty) {
            let ok = match alt.as_str() {
                "string" | "IdResponse" | "IdRequest" | "NumberFormat" | "PropertyDescriptionRequest" => {
                    v.is_string()
                }
                "boolean" => v.is_boolean(),
                "number" => v.is_number(),
                "null" => v.is_null(),
                "true" => v == &Value::Bool(true),
                "false" => v == &Value::Bool(false),
                "EmptyObject" => v.as_object().is_some_and(|o| o.is_empty()),
                "OBJECT" => v.is_object(),
                s if s.starts_with('"') => v.as_str() == Some(s.trim_matches('"')),
                s if s.starts_with("Array<") => v.is_array(),
                s if depth < 3 && s.chars().all(|c| c.is_ascii_alphanumeric()) => {
                    self.alias(s).and_then(|a| self.kind_ok(&a, v, depth + 1))?
                }
                _ => return None,
            };
            any |= ok;
        }
        Some(any)
    }

    /// The validator for one schema of the OpenAPI document (a JSON pointer into it), built with
    /// the document's `components` so that `#/components/schemas/…` references resolve.
    fn validator(&self, pointer: &str) -> &'static jsonschema::Validator {
        let mut cache = self.validators.lock().unwrap();
        if let Some(v) = cache.get(pointer) {
            return v;
        }
        let mut schema = self.openapi.pointer(pointer).cloned().expect("pointer into the document");
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("components".into(), self.openapi["components"].clone());
        }
        let validator = jsonschema::draft202012::new(&schema)
            .unwrap_or_else(|e| panic!("{pointer} is not a usable JSON schema: {e}"));
        let validator: &'static jsonschema::Validator = Box::leak(Box::new(validator));
        cache.insert(pointer.to_string(), validator);
        validator
    }

    /// The JSON pointer to the schema the document gives `method template` for `status`, and
    /// where it came from; an error status the operation does not list falls back to another
    /// operation's schema for it.
    fn response_schema(&self, method: &str, template: &str, status: u16) -> Option<(String, String)> {
        let esc = |s: &str| s.replace('~', "~0").replace('/', "~1");
        let pointer = |path: &str, m: &str| {
            format!("/paths/{}/{m}/responses/{status}/content/application~1json/schema", esc(path))
        };
        let own = pointer(template, method);
        if self.openapi.pointer(&own).is_some() {
            return Some((own, format!("{method} {template} {status}")));
        }
        if status < 400 {
            return None;
        }
        let paths = self.openapi["paths"].as_object()?;
        let elsewhere = paths.iter().find_map(|(path, ops)| {
            ops.as_object()?.keys().find_map(|m| {
                let p = pointer(path, m);
                self.openapi
                    .pointer(&p)
                    .is_some()
                    .then(|| (p, format!("{m} {path} {status} (not listed for {method} {template})")))
            })
        });
        // No operation lists it (401): the operation's own error envelope, its 400 schema.
        elsewhere.or_else(|| {
            let p = own.replace(&format!("/responses/{status}/"), "/responses/400/");
            self.openapi
                .pointer(&p)
                .is_some()
                .then(|| (p, format!("{method} {template} 400 (no operation lists {status})")))
        })
    }
}

/// `A | B | Array<C | D>` → `["A", "B", "Array<C | D>"]` (only the top-level `|`).
fn top_level_union(ty: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in ty.chars() {
        match c {
            '<' | '{' | '(' => depth += 1,
            '>' | '}' | ')' => depth -= 1,
            '|' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// `heading_1` → `Heading1`, `to_do` → `ToDo`.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut cs = w.chars();
            cs.next().map(|c| c.to_ascii_uppercase().to_string() + cs.as_str()).unwrap_or_default()
        })
        .collect()
}

// ------------------------------------------------------------------ the checker

/// Collects every mismatch of the answers it is shown, to report them all at once.
struct Checker {
    specs: &'static Specs,
    version: &'static str,
    problems: Vec<String>,
    /// The SDK type of the list answer being walked (lists carry no type name of their own).
    list_type: Option<&'static str>,
    /// The operations and statuses checked.
    checked: BTreeSet<String>,
    /// The SDK types objects were checked against.
    seen: BTreeSet<String>,
}

impl Checker {
    fn new(specs: &'static Specs, version: &'static str) -> Self {
        Checker {
            specs,
            version,
            problems: Vec::new(),
            list_type: None,
            checked: BTreeSet::new(),
            seen: BTreeSet::new(),
        }
    }

    fn has_archived(&self) -> bool {
        self.version < "2026-03-11"
    }

    fn problem(&mut self, p: String) {
        self.problems.push(format!("[{}] {p}", self.version));
    }

    /// One answer of `method template` (OpenAPI path; `None` for the OAuth endpoints, which the
    /// document does not describe): the OpenAPI schema for its status, then the SDK types.
    fn answer(
        &mut self,
        what: &str,
        method: &str,
        template: Option<&str>,
        status: StatusCode,
        body: &Value,
        list_type: Option<&'static str>,
    ) {
        self.checked.insert(format!(
            "{} {}",
            status.as_u16(),
            template.map_or(what.to_string(), |t| format!("{method} {t}"))
        ));
        if let Some(template) = template {
            match self.specs.response_schema(&method.to_lowercase(), template, status.as_u16()) {
                Some((pointer, from)) => {
                    let validator = self.specs.validator(&pointer);
                    for e in validator.iter_errors(body) {
                        self.problem(format!("{what}: OpenAPI {from}: {e} at `{}`", e.instance_path()));
                    }
                }
                None => assert!(
                    self.specs.openapi["paths"][template][method.to_lowercase()]["responses"]
                        [status.as_u16().to_string()]
                    .is_object(),
                    "{what}: the OpenAPI document has no {method} {template} {status}"
                ),
            }
        }
        if status.is_success() {
            self.list_type = list_type;
            self.value(what, "$", body);
            if let Some(t) = self.list_type.take() {
                self.problem(format!("{what}: expected a list ({t}), got {body}"));
            }
        } else {
            self.error(what, status, body);
        }
    }

    /// The error envelope: the SDK's `APIResponseError` fields, `status` equal to the HTTP
    /// status, a documented code for it.
    fn error(&mut self, what: &str, status: StatusCode, body: &Value) {
        let Some(obj) = body.as_object() else {
            return self.problem(format!("{what}: error body is not an object: {body}"));
        };
        let allowed = ["object", "status", "code", "message", "request_id", "additional_data"];
        for k in obj.keys() {
            if !allowed.contains(&k.as_str()) {
                self.problem(format!("{what}: error key `{k}` is not the SDK's"));
            }
        }
        for k in ["object", "status", "code", "message"] {
            if !obj.contains_key(k) {
                self.problem(format!("{what}: error lacks `{k}`"));
            }
        }
        if body["object"] != "error" || body["status"].as_u64() != Some(status.as_u16().into()) {
            self.problem(format!(
                "{what}: `object`/`status` of {body} are not \"error\"/{}",
                status.as_u16()
            ));
        }
        let code = body["code"].as_str().unwrap_or_default();
        // Documented beyond the SDK: Notion's status-code table (reference §3.3).
        let documented =
            self.specs.error_codes.contains(code) || ["missing_version", "invalid_grant"].contains(&code);
        if !documented {
            self.problem(format!("{what}: code `{code}` is not one of the SDK's APIErrorCode"));
        }
        let for_status: &[&str] = match status.as_u16() {
            400 => &[
                "invalid_json",
                "invalid_request_url",
                "invalid_request",
                "validation_error",
                "missing_version",
                "invalid_grant",
            ],
            401 => &["unauthorized"],
            403 => &["restricted_resource"],
            404 => &["object_not_found"],
            409 => &["conflict_error"],
            429 => &["rate_limited"],
            _ => &[],
        };
        if !for_status.is_empty() && !for_status.contains(&code) {
            self.problem(format!("{what}: code `{code}` is not documented for {status}"));
        }
        if !body["message"].is_string() {
            self.problem(format!("{what}: message is not a string"));
        }
    }

    /// Checks the keys of the object `v` against the union of the SDK types `types`.
    fn keys(&mut self, what: &str, at: &str, v: &Value, types: &[&str]) {
        let mut fields = BTreeMap::new();
        for t in types {
            fields.extend(self.specs.must(t));
            self.seen.insert(t.to_string());
        }
        self.keys_in(what, at, v, &fields, &types.join(" & "));
    }

    /// Checks the keys of the object `v` against `fields` (of the SDK type(s) `names`), the
    /// values against their declared kinds, and inline or named object types below.
    fn keys_in(&mut self, what: &str, at: &str, v: &Value, fields: &BTreeMap<String, Field>, names: &str) {
        let Some(obj) = v.as_object() else {
            return self.problem(format!("{what}: {at} is not an object: {v}"));
        };
        for (k, val) in obj {
            if at == "$" && k == "request_id" && val.is_string() {
                continue;
            }
            if k == "archived" && !self.has_archived() {
                self.problem(format!("{what}: {at}.archived is present from 2026-03-11 on"));
                continue;
            }
            match fields.get(k) {
                None => self.problem(format!("{what}: {at}.{k} is not in the SDK's {names}")),
                Some(f) => {
                    if self.specs.kind_ok(&f.ty, val, 0) == Some(false) {
                        self.problem(format!("{what}: {at}.{k} = {val} is not `{}` ({names})", f.ty));
                    }
                    let sub = format!("{at}.{k}");
                    match (&f.nested, val) {
                        (Some(inner), Value::Object(_)) => {
                            self.keys_in(what, &sub, val, inner, &format!("{names}.{k}"))
                        }
                        (Some(inner), Value::Array(items)) => {
                            for (i, x) in items.iter().enumerate() {
                                self.keys_in(
                                    what,
                                    &format!("{sub}[{i}]"),
                                    x,
                                    inner,
                                    &format!("{names}.{k}[]"),
                                );
                            }
                        }
                        (Some(_), _) => {}
                        (None, _) => {
                            let ty = f.ty.clone();
                            self.nested(what, &sub, &ty, val);
                        }
                    }
                }
            }
        }
        for (k, f) in fields {
            let required = !f.optional && (k != "archived" || self.has_archived());
            if required && !obj.contains_key(k) {
                self.problem(format!("{what}: {at} lacks `{k}` ({names})"));
            }
        }
    }

    /// A value whose declared type names an SDK object type (`T`, `T | null`, `Array<T>`):
    /// its keys are checked against it too (objects with an `object` kind are checked by the
    /// walk instead).
    fn nested(&mut self, what: &str, at: &str, ty: &str, v: &Value) {
        let alts: Vec<String> = top_level_union(ty).into_iter().filter(|a| a != "null").collect();
        if let [ty] = alts.as_slice()
            && let Some(inner) = ty.strip_prefix("Array<").and_then(|t| t.strip_suffix('>'))
        {
            for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                self.nested(what, &format!("{at}[{i}]"), inner, x);
            }
            return;
        }
        if !v.is_object() || v.get("object").is_some() || v.get("plain_text").is_some() {
            return;
        }
        // A named object type, or the member of a union of them (aliases expanded) whose
        // `type` literal is the value's.
        let single = match alts.as_slice() {
            [only] => self.specs.object_type(only).is_some().then(|| only.clone()),
            _ => None,
        };
        let chosen = match single {
            Some(only) => Some(only),
            None => {
                let mut members = Vec::new();
                self.specs.object_members(&alts.join(" | "), &mut members, 0);
                let tag = v["type"].as_str().map(|t| format!("\"{t}\""));
                members.into_iter().find(|m| {
                    tag.is_some()
                        && self.specs.object_type(m).and_then(|f| f.get("type").map(|f| f.ty.clone())) == tag
                })
            }
        };
        if let Some(ty) = chosen {
            self.keys(what, at, v, &[&ty]);
        }
    }

    /// Walks any value, checking every object it finds.
    fn value(&mut self, what: &str, at: &str, v: &Value) {
        match v {
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    self.value(what, &format!("{at}[{i}]"), x);
                }
            }
            Value::Object(o) => {
                if let Some(kind) = o.get("object").and_then(Value::as_str) {
                    self.object(what, at, kind, v);
                } else if o.contains_key("plain_text") {
                    self.rich_text(what, at, v);
                } else {
                    self.fields(what, at, v, &[]);
                }
            }
            _ => {}
        }
    }

    /// Walks the fields of `v` but `skip`.
    fn fields(&mut self, what: &str, at: &str, v: &Value, skip: &[&str]) {
        if let Some(o) = v.as_object() {
            for (k, x) in o {
                if !skip.contains(&k.as_str()) {
                    self.value(what, &format!("{at}.{k}"), x);
                }
            }
        }
    }

    fn object(&mut self, what: &str, at: &str, kind: &str, v: &Value) {
        let ty = v["type"].as_str().unwrap_or_default();
        match kind {
            "list" => {
                let Some(t) = self.list_type.take() else {
                    return self.problem(format!("{what}: unexpected list at {at}"));
                };
                self.keys(what, at, v, &[t]);
                self.fields(what, at, v, &[]);
            }
            "page" => {
                self.keys(what, at, v, &["PageObjectResponse"]);
                if let Some(props) = v["properties"].as_object() {
                    for (name, p) in props {
                        self.page_property(what, &format!("{at}.properties[{name:?}]"), p);
                    }
                }
                self.fields(what, at, v, &["properties"]);
            }
            "block" => {
                self.keys(what, at, v, &[&format!("{}BlockObjectResponse", pascal(ty))]);
                self.fields(what, at, v, &[]);
            }
            "database" => {
                self.keys(what, at, v, &["DatabaseObjectResponse"]);
                if let Some(sources) = v["data_sources"].as_array() {
                    for (i, s) in sources.iter().enumerate() {
                        self.keys(
                            what,
                            &format!("{at}.data_sources[{i}]"),
                            s,
                            &["DataSourceReferenceResponse"],
                        );
                    }
                }
                self.fields(what, at, v, &["data_sources"]);
            }
            "data_source" => {
                self.keys(what, at, v, &["DataSourceObjectResponse"]);
                if let Some(props) = v["properties"].as_object() {
                    for (name, p) in props {
                        self.property_schema(what, &format!("{at}.properties[{name:?}]"), p);
                    }
                }
                self.fields(what, at, v, &["properties"]);
            }
            "comment" => {
                self.keys(what, at, v, &["CommentObjectResponse"]);
                self.fields(what, at, v, &[]);
            }
            "user" => {
                let partial = v.as_object().is_some_and(|o| o.len() == 2);
                if partial {
                    self.keys(what, at, v, &["PartialUserObjectResponse"]);
                } else if ty == "bot" {
                    self.keys(what, at, v, &["UserObjectResponseCommon", "BotUserObjectResponse"]);
                    if v["bot"].as_object().is_some_and(|b| !b.is_empty()) {
                        self.keys(what, &format!("{at}.bot"), &v["bot"], &["BotInfoResponse"]);
                    }
                } else {
                    self.keys(what, at, v, &["UserObjectResponseCommon", "PersonUserObjectResponse"]);
                }
                self.fields(what, at, v, &[]);
            }
            "property_item" => {
                self.keys(what, at, v, &[&format!("{}PropertyItemObjectResponse", pascal(ty))]);
                self.options(what, at, ty, &v[ty], "PartialSelectResponse");
                self.fields(what, at, v, &[]);
            }
            "page_markdown" => self.keys(what, at, v, &["PageMarkdownResponse"]),
            "file_upload" => {
                self.keys(what, at, v, &["FileUploadObjectResponse"]);
                self.fields(what, at, v, &[]);
            }
            "error" => self.problem(format!("{what}: an error object at {at}")),
            other => self.problem(format!("{what}: unknown object `{other}` at {at}")),
        }
    }

    /// A select/status value or a multi-select's list of them.
    fn options(&mut self, what: &str, at: &str, ty: &str, v: &Value, sdk_type: &str) {
        match (ty, v) {
            ("select" | "status", Value::Object(_)) => self.keys(what, &format!("{at}.{ty}"), v, &[sdk_type]),
            ("multi_select", Value::Array(items)) => {
                for (i, o) in items.iter().enumerate() {
                    self.keys(what, &format!("{at}.{ty}[{i}]"), o, &[sdk_type]);
                }
            }
            _ => {}
        }
    }

    /// A page's property value: `IdObjectResponse & ({Type}SimplePropertyValueResponse |
    /// {Type}ArrayBasedPropertyValueResponse)`.
    fn page_property(&mut self, what: &str, at: &str, p: &Value) {
        let ty = p["type"].as_str().unwrap_or_default();
        let variant = [
            format!("{}SimplePropertyValueResponse", pascal(ty)),
            format!("{}ArrayBasedPropertyValueResponse", pascal(ty)),
        ]
        .into_iter()
        .find(|t| self.specs.object_type(t).is_some());
        match variant {
            Some(t) => self.keys(what, at, p, &["IdObjectResponse", &t]),
            None => self.problem(format!("{what}: {at}: no SDK value type for `{ty}`")),
        }
        self.options(what, at, ty, &p[ty], "PartialSelectPropertyValueResponse");
        self.fields(what, at, p, &[]);
    }

    /// A data source's property schema: `DatabasePropertyConfigResponseCommon &
    /// {Type}DatabasePropertyConfigResponse` (whose inline configuration literals hold the
    /// options, `SelectPropertyResponse` / `StatusPropertyResponse`, and the status groups).
    fn property_schema(&mut self, what: &str, at: &str, p: &Value) {
        let ty = p["type"].as_str().unwrap_or_default();
        let config = format!("{}DatabasePropertyConfigResponse", pascal(ty));
        if self.specs.object_type(&config).is_none() {
            return self.problem(format!("{what}: {at}: no SDK schema type for `{ty}`"));
        }
        self.keys(what, at, p, &["DatabasePropertyConfigResponseCommon", &config]);
    }

    /// A rich-text item: `RichTextItemResponseCommon & {Text|Mention|Equation}RichTextItemResponse`.
    fn rich_text(&mut self, what: &str, at: &str, v: &Value) {
        let ty = v["type"].as_str().unwrap_or_default();
        self.keys(
            what,
            at,
            v,
            &["RichTextItemResponseCommon", &format!("{}RichTextItemResponse", pascal(ty))],
        );
        self.fields(what, at, v, &["annotations", "text"]);
    }

    /// Fails with every mismatch, alike ones (differing in array indices only) counted once.
    fn finish(self) -> BTreeSet<String> {
        let mut alike: BTreeMap<String, usize> = BTreeMap::new();
        for p in &self.problems {
            let mut out = String::new();
            let mut rest = p.as_str();
            while let Some(open) = rest.find('[') {
                let close = rest[open..].find(']').map_or(rest.len(), |c| open + c);
                let inside = &rest[open + 1..close];
                out.push_str(&rest[..open]);
                out.push_str(if !inside.is_empty() && inside.bytes().all(|b| b.is_ascii_digit()) {
                    "[_"
                } else {
                    &rest[open..close]
                });
                rest = &rest[close..];
                if let Some(r) = rest.strip_prefix(']') {
                    out.push(']');
                    rest = r;
                }
            }
            out.push_str(rest);
            *alike.entry(out).or_default() += 1;
        }
        let report: Vec<String> = alike.iter().map(|(p, n)| format!("{p} (x{n})")).collect();
        assert!(
            self.problems.is_empty(),
            "{} mismatches with the specs:\n{}",
            self.problems.len(),
            report.join("\n")
        );
        self.checked
    }
}

// ------------------------------------------------------------------ driving the simulator

const MISSING: &str = "0c1d2e3f-4a5b-4c6d-8e7f-8a9b0c1d2e3f";

/// One call: method, path under `/v1` (with query), body.
async fn call(n: &Notion, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = n.req(method, path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    send(req).await
}

struct Ids {
    roadmap: String,
    release_notes: String,
    database: String,
    data_source: String,
    row: String,
    block: String,
}

async fn ids(n: &Notion) -> Ids {
    let roadmap = n.page_id("Roadmap 2025").await;
    let release_notes = n.page_id("Release Notes").await;
    let data_source = n.tasks_data_source().await;
    let (_, ds) = n.get(&format!("/data_sources/{data_source}")).await;
    let database = ds["parent"]["database_id"].as_str().expect("database id").to_string();
    let (_, rows) = n.post(&format!("/data_sources/{data_source}/query"), json!({"page_size": 1})).await;
    let row = rows["results"][0]["id"].as_str().expect("a row").to_string();
    let (_, kids) = n.get(&format!("/blocks/{roadmap}/children")).await;
    let block = kids["results"][0]["id"].as_str().expect("a block").to_string();
    Ids { roadmap, release_notes, database, data_source, row, block }
}

fn appended_blocks() -> Value {
    let rt = |t: &str| json!([{"type": "text", "text": {"content": t, "link": null}, "annotations": {"bold": true}}]);
    json!([
        {"type": "heading_1", "heading_1": {"rich_text": rt("Heading")}},
        {"type": "heading_2", "heading_2": {"rich_text": rt("Sub"), "is_toggleable": false}},
        {"type": "paragraph", "paragraph": {"rich_text": [
            {"type": "text", "text": {"content": "link", "link": {"url": "https://example.com"}}},
            {"type": "equation", "equation": {"expression": "e=mc^2"}},
            {"type": "mention", "mention": {"type": "user", "user": {"id": "6f7a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"}}},
            {"type": "mention", "mention": {"type": "date", "date": {"start": "2025-06-01"}}}
        ]}},
        {"type": "bulleted_list_item", "bulleted_list_item": {"rich_text": rt("one"), "children": [
            {"type": "numbered_list_item", "numbered_list_item": {"rich_text": rt("nested")}}
        ]}},
        {"type": "to_do", "to_do": {"rich_text": rt("task"), "checked": true}},
        {"type": "toggle", "toggle": {"rich_text": rt("more")}},
        {"type": "quote", "quote": {"rich_text": rt("said")}},
        {"type": "callout", "callout": {"rich_text": rt("note"), "icon": {"type": "emoji", "emoji": "💡"}}},
        {"type": "code", "code": {"rich_text": rt("fn main() {}"), "language": "rust"}},
        {"type": "divider", "divider": {}},
        {"type": "table", "table": {"table_width": 2, "has_column_header": true, "has_row_header": false, "children": [
            {"type": "table_row", "table_row": {"cells": [rt("a"), rt("b")]}}
        ]}},
        {"type": "bookmark", "bookmark": {"url": "https://example.com"}},
        {"type": "image", "image": {"type": "external", "external": {"url": "https://example.com/a.png"}}}
    ])
}

/// Every endpoint's success answers, checked at one version; returns what was checked.
async fn successes(sim: &SimHandle, specs: &'static Specs, version: &'static str) -> BTreeSet<String> {
    let n = Notion::new(sim).with_version(version);
    let ids = ids(&n).await;
    let mut c = Checker::new(specs, version);
    let ok = |c: &mut Checker,
              what: &str,
              method: Method,
              template: &str,
              answer: (StatusCode, Value),
              list: Option<&'static str>| {
        assert_eq!(answer.0, StatusCode::OK, "{what}: {}", answer.1);
        c.answer(what, method.as_str(), Some(template), answer.0, &answer.1, list);
        answer.1
    };

    let a = call(&n, Method::POST, "/search", Some(json!({}))).await;
    ok(&mut c, "search (all)", Method::POST, "/v1/search", a, Some("SearchResponse"));
    let a = call(
        &n,
        Method::POST,
        "/search",
        Some(json!({"query": "Tasks", "filter": {"property": "object", "value": "data_source"}})),
    )
    .await;
    ok(&mut c, "search (data sources)", Method::POST, "/v1/search", a, Some("SearchResponse"));

    for id in [&ids.roadmap, &ids.row] {
        let a = n.get(&format!("/pages/{id}")).await;
        ok(&mut c, "get page", Method::GET, "/v1/pages/{page_id}", a, None);
    }
    let a = n.post("/pages", json!({"parent": {"page_id": ids.roadmap}, "properties": {"title": [{"text": {"content": "Shapes"}}]}, "children": [paragraph("Body")]})).await;
    let created = ok(&mut c, "create page", Method::POST, "/v1/pages", a, None);
    let created = created["id"].as_str().unwrap().to_string();
    let row_props = json!({
        "Name": {"title": [{"text": {"content": "Shape row"}}]},
        "Priority": {"select": {"name": "Urgent"}},
        "Tags": {"multi_select": [{"name": "Engineering"}, {"name": "Brand new"}]},
        "Status": {"status": {"name": "In progress"}},
        "Due": {"date": {"start": "2025-06-01"}},
        "Estimate": {"number": 3},
        "Blocked": {"checkbox": true},
        "Assignee": {"people": [{"object": "user", "id": "6f7a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"}]},
    });
    let a = n
        .post("/pages", json!({"parent": {"data_source_id": ids.data_source}, "properties": row_props}))
        .await;
    let new_row = ok(&mut c, "create row (new select options)", Method::POST, "/v1/pages", a, None);
    let new_row = new_row["id"].as_str().unwrap().to_string();
    let a = n.patch(&format!("/pages/{created}"), json!({"properties": {"title": [{"text": {"content": "Shapes 2"}}]}, "icon": {"type": "emoji", "emoji": "📐"}})).await;
    ok(&mut c, "update page", Method::PATCH, "/v1/pages/{page_id}", a, None);
    let a = n
        .patch(
            &format!("/pages/{new_row}"),
            json!({"properties": {"Priority": {"select": {"name": "Later"}}}}),
        )
        .await;
    ok(&mut c, "update row", Method::PATCH, "/v1/pages/{page_id}", a, None);

    let template = "/v1/pages/{page_id}/properties/{property_id}";
    let a = n.get(&format!("/pages/{new_row}/properties/title")).await;
    ok(
        &mut c,
        "page property (title)",
        Method::GET,
        template,
        a,
        Some("PropertyItemPropertyItemListResponse"),
    );
    let a = n.get(&format!("/pages/{new_row}/properties/%3BkCq")).await;
    ok(
        &mut c,
        "page property (people)",
        Method::GET,
        template,
        a,
        Some("PropertyItemPropertyItemListResponse"),
    );
    for prop in ["p%40Qo", "s%5CJT", "t%7Dwx", "eSt%3D", "bLk%3F", "Zr%3Ae"] {
        let a = n.get(&format!("/pages/{new_row}/properties/{prop}")).await;
        ok(&mut c, &format!("page property {prop}"), Method::GET, template, a, None);
    }

    let wiki = n.page_id("Engineering Wiki").await;
    for id in [&ids.roadmap, &ids.release_notes, &wiki] {
        let a = n.get(&format!("/blocks/{id}/children?page_size=100")).await;
        ok(
            &mut c,
            "block children",
            Method::GET,
            "/v1/blocks/{block_id}/children",
            a,
            Some("ListBlockChildrenResponse"),
        );
    }
    let a = n.patch(&format!("/blocks/{created}/children"), json!({"children": appended_blocks()})).await;
    let appended = ok(
        &mut c,
        "append children",
        Method::PATCH,
        "/v1/blocks/{block_id}/children",
        a,
        Some("AppendBlockChildrenResponse"),
    );
    let a = n.get(&format!("/blocks/{created}/children")).await;
    ok(
        &mut c,
        "block children (appended)",
        Method::GET,
        "/v1/blocks/{block_id}/children",
        a,
        Some("ListBlockChildrenResponse"),
    );
    let para = appended["results"][2]["id"].as_str().unwrap().to_string();
    let bullet = appended["results"][3]["id"].as_str().unwrap().to_string();
    let table = appended["results"][10]["id"].as_str().unwrap().to_string();
    for id in [&bullet, &table] {
        let a = n.get(&format!("/blocks/{id}/children")).await;
        ok(
            &mut c,
            "block children (nested)",
            Method::GET,
            "/v1/blocks/{block_id}/children",
            a,
            Some("ListBlockChildrenResponse"),
        );
    }
    for id in [&ids.block, &para, &created] {
        let a = n.get(&format!("/blocks/{id}")).await;
        ok(&mut c, "get block", Method::GET, "/v1/blocks/{block_id}", a, None);
    }
    let a = n
        .patch(
            &format!("/blocks/{para}"),
            json!({"paragraph": {"rich_text": [{"text": {"content": "edited"}}], "color": "blue"}}),
        )
        .await;
    ok(&mut c, "update block", Method::PATCH, "/v1/blocks/{block_id}", a, None);
    let a = call(&n, Method::DELETE, &format!("/blocks/{para}"), None).await;
    ok(&mut c, "delete block", Method::DELETE, "/v1/blocks/{block_id}", a, None);

    let a = n.get(&format!("/databases/{}", ids.database)).await;
    ok(&mut c, "get database", Method::GET, "/v1/databases/{database_id}", a, None);
    let a = n.get(&format!("/data_sources/{}", ids.data_source)).await;
    ok(
        &mut c,
        "get data source (after new options)",
        Method::GET,
        "/v1/data_sources/{data_source_id}",
        a,
        None,
    );
    let q = json!({"filter": {"property": "Status", "status": {"does_not_equal": "Done"}}, "sorts": [{"property": "Due", "direction": "ascending"}], "page_size": 100});
    let a = n.post(&format!("/data_sources/{}/query", ids.data_source), q).await;
    ok(
        &mut c,
        "query data source",
        Method::POST,
        "/v1/data_sources/{data_source_id}/query",
        a,
        Some("QueryDataSourceResponse"),
    );

    let a = n
        .post(
            "/comments",
            json!({"parent": {"page_id": ids.roadmap}, "rich_text": [{"text": {"content": "Looks right"}}]}),
        )
        .await;
    let comment = ok(&mut c, "create comment", Method::POST, "/v1/comments", a, None);
    let discussion = comment["discussion_id"].as_str().unwrap().to_string();
    let a = n
        .post(
            "/comments",
            json!({"discussion_id": discussion, "rich_text": [{"text": {"content": "Reply"}}]}),
        )
        .await;
    ok(&mut c, "reply to a discussion", Method::POST, "/v1/comments", a, None);
    let a = n.get(&format!("/comments?block_id={}&page_size=100", ids.roadmap)).await;
    ok(&mut c, "list comments", Method::GET, "/v1/comments", a, Some("ListCommentsResponse"));

    // Structure: a database with its first data source (the OpenAPI document has no
    // `POST /v1/databases`: the SDK types only), its schema changed, a page moved into it.
    let a = n
        .post(
            "/databases",
            json!({"parent": {"type": "page_id", "page_id": ids.roadmap}, "title": [{"text": {"content": "Shapes DB"}}],
                   "initial_data_source": {"properties": {"Name": {"title": {}}, "Kind": {"select": {"options": [{"name": "A"}]}}, "When": {"date": {}}, "Files": {"files": {}}}}}),
        )
        .await;
    assert_eq!(a.0, StatusCode::OK, "create database: {}", a.1);
    c.answer("create database", "POST", None, a.0, &a.1, None);
    let shapes_ds = a.1["data_sources"][0]["id"].as_str().unwrap().to_string();
    let a = n
        .patch(
            &format!("/data_sources/{shapes_ds}"),
            json!({"properties": {"When": {"name": "Due"}, "Kind": null, "Points": {"number": {"format": "number"}}}}),
        )
        .await;
    ok(&mut c, "update data source", Method::PATCH, "/v1/data_sources/{data_source_id}", a, None);
    let a = n
        .post(
            &format!("/pages/{created}/move"),
            json!({"parent": {"type": "data_source_id", "data_source_id": shapes_ds}}),
        )
        .await;
    ok(&mut c, "move page", Method::POST, "/v1/pages/{page_id}/move", a, None);
    let a = n.post(&format!("/pages/{created}/move"), json!({"parent": {"page_id": ids.roadmap}})).await;
    ok(&mut c, "move page back", Method::POST, "/v1/pages/{page_id}/move", a, None);

    // File uploads (not in the OpenAPI document: the SDK types only), then attached to media
    // blocks and a `files` property, which answer Notion-hosted files.
    let a = n.post("/file_uploads", json!({"filename": "shape.png"})).await;
    assert_eq!(a.0, StatusCode::OK, "create file upload: {}", a.1);
    c.answer("create file upload", "POST", None, a.0, &a.1, None);
    let upload = a.1["id"].as_str().unwrap().to_string();
    let png =
        reqwest::multipart::Part::bytes(b"\x89PNG".to_vec()).file_name("shape.png").mime_str("image/png");
    let form = reqwest::multipart::Form::new().part("file", png.unwrap());
    let a = send(n.req(Method::POST, &format!("/file_uploads/{upload}/send")).multipart(form)).await;
    assert_eq!(a.0, StatusCode::OK, "send file upload: {}", a.1);
    c.answer("send file upload", "POST", None, a.0, &a.1, None);
    let a = n.get(&format!("/file_uploads/{upload}")).await;
    c.answer("get file upload", "GET", None, a.0, &a.1, None);
    let media = json!([
        {"type": "image", "image": {"type": "file_upload", "file_upload": {"id": upload}}},
        {"type": "file", "file": {"type": "file_upload", "file_upload": {"id": upload}}}
    ]);
    let a = n.patch(&format!("/blocks/{created}/children"), json!({"children": media})).await;
    ok(
        &mut c,
        "append uploaded media",
        Method::PATCH,
        "/v1/blocks/{block_id}/children",
        a,
        Some("AppendBlockChildrenResponse"),
    );
    let files = json!({"files": [{"type": "file_upload", "file_upload": {"id": upload}}, {"name": "site", "external": {"url": "https://example.com/a.pdf"}}]});
    let a = n
        .post(
            "/pages",
            json!({"parent": {"data_source_id": shapes_ds}, "properties": {"Name": {"title": [{"text": {"content": "Filed"}}]}, "Files": files}}),
        )
        .await;
    ok(&mut c, "create row with files", Method::POST, "/v1/pages", a, None);
    if version >= "2026-03-11" {
        let a = n.get(&format!("/pages/{}/markdown", ids.roadmap)).await;
        ok(&mut c, "page as markdown", Method::GET, "/v1/pages/{page_id}/markdown", a, None);
        let a = n
            .patch(
                &format!("/pages/{created}/markdown"),
                json!({"type": "replace_content", "replace_content": {"new_str": "# Shapes\n\n- one\n- [ ] two"}}),
            )
            .await;
        ok(&mut c, "update page markdown", Method::PATCH, "/v1/pages/{page_id}/markdown", a, None);
    }

    let a = n.get("/users/me").await;
    ok(&mut c, "users/me", Method::GET, "/v1/users/me", a, None);
    let a = n.get("/users?page_size=100").await;
    ok(&mut c, "list users", Method::GET, "/v1/users", a, Some("ListUsersResponse"));
    let a = n.get("/users/0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d").await;
    ok(&mut c, "get user", Method::GET, "/v1/users/{user_id}", a, None);

    // The walk reached every kind of object the answers hold.
    let expected = [
        "SearchResponse",
        "QueryDataSourceResponse",
        "ListBlockChildrenResponse",
        "AppendBlockChildrenResponse",
        "ListCommentsResponse",
        "ListUsersResponse",
        "PropertyItemPropertyItemListResponse",
        "PageObjectResponse",
        "DatabaseObjectResponse",
        "DataSourceReferenceResponse",
        "DataSourceObjectResponse",
        "DatabasePropertyConfigResponseCommon",
        "SelectPropertyResponse",
        "StatusPropertyResponse",
        "StatusDatabasePropertyConfigResponse",
        "MultiSelectDatabasePropertyConfigResponse",
        "NumberDatabasePropertyConfigResponse",
        "PartialSelectPropertyValueResponse",
        "PartialSelectResponse",
        "SelectPropertyItemObjectResponse",
        "StatusPropertyItemObjectResponse",
        "MultiSelectPropertyItemObjectResponse",
        "NumberPropertyItemObjectResponse",
        "CheckboxPropertyItemObjectResponse",
        "DatePropertyItemObjectResponse",
        "TitlePropertyItemObjectResponse",
        "PeoplePropertyItemObjectResponse",
        "TitleArrayBasedPropertyValueResponse",
        "PeopleArrayBasedPropertyValueResponse",
        "DateSimplePropertyValueResponse",
        "CommentObjectResponse",
        "PartialUserObjectResponse",
        "PersonUserObjectResponse",
        "BotUserObjectResponse",
        "BotInfoResponse",
        "TextRichTextItemResponse",
        "EquationRichTextItemResponse",
        "AnnotationResponse",
        "ParagraphBlockObjectResponse",
        "Heading1BlockObjectResponse",
        "Heading2BlockObjectResponse",
        "BulletedListItemBlockObjectResponse",
        "NumberedListItemBlockObjectResponse",
        "ToDoBlockObjectResponse",
        "ToggleBlockObjectResponse",
        "QuoteBlockObjectResponse",
        "CalloutBlockObjectResponse",
        "CodeBlockObjectResponse",
        "DividerBlockObjectResponse",
        "TableBlockObjectResponse",
        "BookmarkBlockObjectResponse",
        "ImageBlockObjectResponse",
        "ChildPageBlockObjectResponse",
        "ChildDatabaseBlockObjectResponse",
        "TableRowBlockObjectResponse",
        "MentionRichTextItemResponse",
        "PageIdParentForBlockBasedObjectResponse",
        "BlockIdParentForBlockBasedObjectResponse",
        "WorkspaceParentForBlockBasedObjectResponse",
        "DataSourceParentResponse",
        "DatabaseParentResponse",
        "PageIdCommentParentResponse",
        "EmojiPageIconResponse",
        "FileUploadObjectResponse",
        "FileBlockObjectResponse",
        "FilesSimplePropertyValueResponse",
        "FileMediaContentWithFileAndCaptionResponse",
    ];
    let missing: Vec<&str> = expected.iter().copied().filter(|t| !c.seen.contains(*t)).collect();
    assert!(missing.is_empty(), "no answer held {missing:?}; checked against {:?}", c.seen);
    c.finish()
}

#[tokio::test]
async fn success_answers_match_the_openapi_document_and_the_sdk_types() {
    let Some(specs) = specs() else { return };
    let sim = sim().await;
    let mut checked = BTreeSet::new();
    for version in VERSIONS {
        checked.extend(successes(&sim, specs, version).await);
    }
    eprintln!("checked: {checked:?}");
}

/// What is sent, method, OpenAPI path, request path, body, expected status and code.
type ErrorCase = (&'static str, Method, &'static str, String, Option<Value>, u16, &'static str);

/// The error answers: 400 (`validation_error`, and `invalid_request_url` where a route is
/// version-gated), 401, 404 and 429 on every endpoint that can give them.
#[tokio::test]
async fn error_answers_match_the_openapi_document_and_the_sdk_types() {
    let Some(specs) = specs() else { return };
    let sim = sim().await;
    let version = VERSIONS[0];
    let n = Notion::new(&sim).with_version(version);
    let ids = ids(&n).await;
    let mut c = Checker::new(specs, version);
    let bad_block =
        json!({"children": [{"type": "paragraph", "paragraph": {"rich_text": [], "colour": "red"}}]});
    let cases: Vec<ErrorCase> = vec![
        (
            "page markdown before 2026-03-11",
            Method::GET,
            "/v1/pages/{page_id}/markdown",
            format!("/pages/{}/markdown", ids.roadmap),
            None,
            400,
            "invalid_request_url",
        ),
        (
            "update data source: the title removed",
            Method::PATCH,
            "/v1/data_sources/{data_source_id}",
            format!("/data_sources/{}", ids.data_source),
            Some(json!({"properties": {"Name": null}})),
            400,
            "validation_error",
        ),
        (
            "move page: under itself",
            Method::POST,
            "/v1/pages/{page_id}/move",
            format!("/pages/{}/move", ids.roadmap),
            Some(json!({"parent": {"page_id": ids.roadmap}})),
            400,
            "validation_error",
        ),
        (
            "search: bad filter",
            Method::POST,
            "/v1/search",
            "/search".into(),
            Some(json!({"filter": {"property": "object", "value": "database"}})),
            400,
            "validation_error",
        ),
        (
            "search: page_size 101",
            Method::POST,
            "/v1/search",
            "/search".into(),
            Some(json!({"page_size": 101})),
            400,
            "validation_error",
        ),
        ("search: not JSON", Method::POST, "/v1/search", "/search".into(), None, 400, "invalid_json"),
        (
            "get page: bad id",
            Method::GET,
            "/v1/pages/{page_id}",
            "/pages/not-a-uuid".into(),
            None,
            400,
            "validation_error",
        ),
        (
            "get page: missing",
            Method::GET,
            "/v1/pages/{page_id}",
            format!("/pages/{MISSING}"),
            None,
            404,
            "object_not_found",
        ),
        (
            "create page: no parent",
            Method::POST,
            "/v1/pages",
            "/pages".into(),
            Some(json!({"properties": {}})),
            400,
            "validation_error",
        ),
        (
            "create page: missing parent",
            Method::POST,
            "/v1/pages",
            "/pages".into(),
            Some(
                json!({"parent": {"page_id": MISSING}, "properties": {"title": [{"text": {"content": "x"}}]}}),
            ),
            404,
            "object_not_found",
        ),
        (
            "update page: bad property",
            Method::PATCH,
            "/v1/pages/{page_id}",
            format!("/pages/{}", ids.row),
            Some(json!({"properties": {"Estimate": {"rich_text": []}}})),
            400,
            "validation_error",
        ),
        (
            "update page: missing",
            Method::PATCH,
            "/v1/pages/{page_id}",
            format!("/pages/{MISSING}"),
            Some(json!({"in_trash": true})),
            404,
            "object_not_found",
        ),
        (
            "page property: bad id",
            Method::GET,
            "/v1/pages/{page_id}/properties/{property_id}",
            "/pages/nope/properties/title".into(),
            None,
            400,
            "validation_error",
        ),
        (
            "page property: missing",
            Method::GET,
            "/v1/pages/{page_id}/properties/{property_id}",
            format!("/pages/{MISSING}/properties/title"),
            None,
            404,
            "object_not_found",
        ),
        (
            "children: page_size 101",
            Method::GET,
            "/v1/blocks/{block_id}/children",
            format!("/blocks/{}/children?page_size=101", ids.roadmap),
            None,
            400,
            "validation_error",
        ),
        (
            "children: missing",
            Method::GET,
            "/v1/blocks/{block_id}/children",
            format!("/blocks/{MISSING}/children"),
            None,
            404,
            "object_not_found",
        ),
        (
            "append: bad block",
            Method::PATCH,
            "/v1/blocks/{block_id}/children",
            format!("/blocks/{}/children", ids.roadmap),
            Some(bad_block),
            400,
            "validation_error",
        ),
        (
            "append: missing",
            Method::PATCH,
            "/v1/blocks/{block_id}/children",
            format!("/blocks/{MISSING}/children"),
            Some(json!({"children": [paragraph("x")]})),
            404,
            "object_not_found",
        ),
        (
            "get block: bad id",
            Method::GET,
            "/v1/blocks/{block_id}",
            "/blocks/nope".into(),
            None,
            400,
            "validation_error",
        ),
        (
            "get block: missing",
            Method::GET,
            "/v1/blocks/{block_id}",
            format!("/blocks/{MISSING}"),
            None,
            404,
            "object_not_found",
        ),
        (
            "update block: bad body",
            Method::PATCH,
            "/v1/blocks/{block_id}",
            format!("/blocks/{}", ids.block),
            Some(json!({"paragraph": {"rich_text": "x"}})),
            400,
            "validation_error",
        ),
        (
            "update block: missing",
            Method::PATCH,
            "/v1/blocks/{block_id}",
            format!("/blocks/{MISSING}"),
            Some(json!({"paragraph": {"rich_text": []}})),
            404,
            "object_not_found",
        ),
        (
            "delete block: bad id",
            Method::DELETE,
            "/v1/blocks/{block_id}",
            "/blocks/nope".into(),
            None,
            400,
            "validation_error",
        ),
        (
            "get data source: bad id",
            Method::GET,
            "/v1/data_sources/{data_source_id}",
            "/data_sources/nope".into(),
            None,
            400,
            "validation_error",
        ),
        (
            "get user: missing",
            Method::GET,
            "/v1/users/{user_id}",
            format!("/users/{MISSING}"),
            None,
            404,
            "object_not_found",
        ),
        (
            "delete block: missing",
            Method::DELETE,
            "/v1/blocks/{block_id}",
            format!("/blocks/{MISSING}"),
            None,
            404,
            "object_not_found",
        ),
        (
            "get database: bad id",
            Method::GET,
            "/v1/databases/{database_id}",
            "/databases/nope".into(),
            None,
            400,
            "validation_error",
        ),
        (
            "get database: missing",
            Method::GET,
            "/v1/databases/{database_id}",
            format!("/databases/{MISSING}"),
            None,
            404,
            "object_not_found",
        ),
        (
            "get data source: missing",
            Method::GET,
            "/v1/data_sources/{data_source_id}",
            format!("/data_sources/{MISSING}"),
            None,
            404,
            "object_not_found",
        ),
        (
            "query: bad filter",
            Method::POST,
            "/v1/data_sources/{data_source_id}/query",
            format!("/data_sources/{}/query", ids.data_source),
            Some(json!({"filter": {"property": "Nope", "checkbox": {"equals": true}}})),
            400,
            "validation_error",
        ),
        (
            "query: missing",
            Method::POST,
            "/v1/data_sources/{data_source_id}/query",
            format!("/data_sources/{MISSING}/query"),
            Some(json!({})),
            404,
            "object_not_found",
        ),
        (
            "list comments: no block_id",
            Method::GET,
            "/v1/comments",
            "/comments".into(),
            None,
            400,
            "validation_error",
        ),
        (
            "create comment: no rich_text",
            Method::POST,
            "/v1/comments",
            "/comments".into(),
            Some(json!({"parent": {"page_id": ids.roadmap}})),
            400,
            "validation_error",
        ),
        (
            "create comment: missing page",
            Method::POST,
            "/v1/comments",
            "/comments".into(),
            Some(json!({"parent": {"page_id": MISSING}, "rich_text": [{"text": {"content": "x"}}]})),
            404,
            "object_not_found",
        ),
    ];
    for (what, method, template, path, body, status, code) in &cases {
        let mut req = n.req(method.clone(), path);
        req = match body {
            Some(b) => req.json(b),
            None if *method == Method::POST => {
                req.header("content-type", "application/json").body("{not json")
            }
            None => req,
        };
        let (got, answer) = send(req).await;
        assert_eq!((got.as_u16(), answer["code"].as_str()), (*status, Some(*code)), "{what}: {answer}");
        c.answer(what, method.as_str(), Some(template), got, &answer, None);
    }
    let old = n.with_version("2022-06-28");
    let (got, answer) = old.get(&format!("/data_sources/{}", ids.data_source)).await;
    assert_eq!((got.as_u16(), answer["code"].as_str()), (400, Some("invalid_request_url")), "{answer}");
    c.answer(
        "data source before 2025-09-03",
        "GET",
        Some("/v1/data_sources/{data_source_id}"),
        got,
        &answer,
        None,
    );
    let (got, answer) =
        send(client().get(format!("{}/v1/users/me", sim.base_url())).bearer_auth(&n.token)).await;
    assert_eq!((got.as_u16(), answer["code"].as_str()), (400, Some("missing_version")), "{answer}");
    c.answer("users/me without Notion-Version", "GET", Some("/v1/users/me"), got, &answer, None);

    // 401 and 429 on every endpoint: a token the simulator does not know; a connection whose
    // bucket (burst 1, nearly no refill) the first call empties.
    let limited = sim_with(SimConfig {
        notion_rate_limit: Some(RateLimit { burst: 1, per_second: 0.001 }),
        ..Default::default()
    })
    .await;
    let mut endpoints: Vec<(Method, &str, String, Option<Value>)> = vec![
        (Method::POST, "/v1/search", "/search".into(), Some(json!({}))),
        (Method::GET, "/v1/pages/{page_id}", format!("/pages/{}", ids.roadmap), None),
        (
            Method::POST,
            "/v1/pages",
            "/pages".into(),
            Some(json!({"parent": {"page_id": ids.roadmap}, "properties": {}})),
        ),
        (Method::PATCH, "/v1/pages/{page_id}", format!("/pages/{}", ids.roadmap), Some(json!({}))),
        (
            Method::GET,
            "/v1/pages/{page_id}/properties/{property_id}",
            format!("/pages/{}/properties/title", ids.roadmap),
            None,
        ),
        (Method::GET, "/v1/blocks/{block_id}/children", format!("/blocks/{}/children", ids.roadmap), None),
        (
            Method::PATCH,
            "/v1/blocks/{block_id}/children",
            format!("/blocks/{}/children", ids.roadmap),
            Some(json!({"children": []})),
        ),
        (Method::GET, "/v1/blocks/{block_id}", format!("/blocks/{}", ids.block), None),
        (Method::PATCH, "/v1/blocks/{block_id}", format!("/blocks/{}", ids.block), Some(json!({}))),
        (Method::DELETE, "/v1/blocks/{block_id}", format!("/blocks/{}", ids.block), None),
        (Method::GET, "/v1/databases/{database_id}", format!("/databases/{}", ids.database), None),
        (
            Method::GET,
            "/v1/data_sources/{data_source_id}",
            format!("/data_sources/{}", ids.data_source),
            None,
        ),
        (
            Method::POST,
            "/v1/data_sources/{data_source_id}/query",
            format!("/data_sources/{}/query", ids.data_source),
            Some(json!({})),
        ),
        (Method::GET, "/v1/comments", format!("/comments?block_id={}", ids.roadmap), None),
        (
            Method::POST,
            "/v1/comments",
            "/comments".into(),
            Some(json!({"parent": {"page_id": ids.roadmap}, "rich_text": []})),
        ),
        (Method::GET, "/v1/users/me", "/users/me".into(), None),
    ];
    let unknown = Notion { token: "ntn_not_a_token".into(), ..n.clone() };
    for (method, template, path, body) in endpoints.drain(..) {
        let (got, answer) = call(&unknown, method.clone(), &path, body.clone()).await;
        assert_eq!(
            (got.as_u16(), answer["code"].as_str()),
            (401, Some("unauthorized")),
            "{template}: {answer}"
        );
        c.answer(
            &format!("{method} {template}: unknown token"),
            method.as_str(),
            Some(template),
            got,
            &answer,
            None,
        );
        let conn = Notion::new(&limited).with_version(version);
        let _ = conn.get("/users/me").await;
        let (got, answer) = call(&conn, method.clone(), &path, body).await;
        assert_eq!(
            (got.as_u16(), answer["code"].as_str()),
            (429, Some("rate_limited")),
            "{template}: {answer}"
        );
        c.answer(
            &format!("{method} {template}: rate limited"),
            method.as_str(),
            Some(template),
            got,
            &answer,
            None,
        );
    }
    let checked = c.finish();
    eprintln!("checked: {checked:?}");
}

/// The OAuth endpoints (not in the OpenAPI document): the SDK's `OauthTokenResponse`,
/// `OauthIntrospectResponse`, `OauthRevokeResponse`, and the error envelope.
#[tokio::test]
async fn oauth_answers_match_the_sdk_types() {
    let Some(specs) = specs() else { return };
    let sim = sim().await;
    let mut c = Checker::new(specs, VERSIONS[0]);
    let sdk = |c: &mut Checker, what: &str, status: StatusCode, body: &Value, ty: &str| {
        c.answer(what, "POST", None, status, body, None);
        if status.is_success() {
            c.keys(what, "$", body, &[ty]);
        }
    };
    let code = notion_code(&sim, Some(NOTION_CALLBACK)).await;
    let grant = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": NOTION_CALLBACK});
    let (status, tokens) = notion_token(&sim, grant.clone()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    sdk(&mut c, "token (code)", status, &tokens, "OauthTokenResponse");
    let (status, refreshed) =
        notion_token(&sim, json!({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}))
            .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    sdk(&mut c, "token (refresh)", status, &refreshed, "OauthTokenResponse");
    let (status, err) = notion_token(&sim, grant).await;
    assert_eq!((status.as_u16(), err["code"].as_str()), (400, Some("invalid_grant")), "{err}");
    sdk(&mut c, "token (used code)", status, &err, "");
    let (status, err) = send(
        client()
            .post(format!("{}/v1/oauth/token", sim.base_url()))
            .basic_auth("sim-notion-client", Some("wrong"))
            .json(&json!({"grant_type": "refresh_token", "refresh_token": "nrt_x"})),
    )
    .await;
    assert_eq!((status.as_u16(), err["code"].as_str()), (401, Some("unauthorized")), "{err}");
    sdk(&mut c, "token (bad client secret)", status, &err, "");
    let post = |path: &str, token: &Value| {
        send(
            client()
                .post(format!("{}/v1/oauth/{path}", sim.base_url()))
                .basic_auth("sim-notion-client", Some("sim-notion-secret"))
                .json(&json!({"token": token})),
        )
    };
    let access = refreshed["access_token"].clone();
    let (status, body) = post("introspect", &access).await;
    assert_eq!((status, &body["active"]), (StatusCode::OK, &json!(true)), "{body}");
    sdk(&mut c, "introspect (active)", status, &body, "OauthIntrospectResponse");
    let (status, body) = post("revoke", &access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    sdk(&mut c, "revoke", status, &body, "OauthRevokeResponse");
    let (status, body) = post("introspect", &access).await;
    assert_eq!((status, &body["active"]), (StatusCode::OK, &json!(false)), "{body}");
    sdk(&mut c, "introspect (revoked)", status, &body, "OauthIntrospectResponse");
    c.finish();
}

/// The SDK reader finds what the checks rely on (a changed SDK layout fails here, not as a
/// flood of mismatches).
#[test]
fn the_sdk_reader_reads_the_declarations() {
    let Some(specs) = specs() else { return };
    let ds = specs.must("DataSourceObjectResponse");
    assert!(ds.contains_key("database_parent") && !ds["icon"].optional, "{ds:?}");
    assert_eq!(
        specs.must("SelectPropertyResponse").keys().collect::<Vec<_>>(),
        ["color", "description", "id", "name"]
    );
    assert_eq!(
        specs.must("PartialSelectPropertyValueResponse").keys().collect::<Vec<_>>(),
        ["color", "id", "name"]
    );
    assert!(specs.must("OauthIntrospectResponse")["scope"].optional);
    let nested = |ty: &str, key: &str| -> Option<Vec<String>> {
        specs.must(ty)[key].nested.as_ref().map(|m| m.keys().cloned().collect())
    };
    assert_eq!(nested("CommentObjectResponse", "display_name").unwrap(), ["resolved_name", "type"]);
    let status = specs.must("StatusDatabasePropertyConfigResponse")["status"].nested.clone().unwrap();
    assert_eq!(status["groups"].ty, "Array<OBJECT>");
    assert_eq!(
        status["groups"].nested.as_ref().unwrap().keys().collect::<Vec<_>>(),
        ["color", "id", "name", "option_ids"]
    );
    assert_eq!(nested("BotInfoResponse", "owner"), None, "a union of literals is not one literal");
    assert_eq!(nested("CodeBlockObjectResponse", "code").unwrap(), ["caption", "language", "rich_text"]);
    let text = specs.must("TextRichTextItemResponse")["text"].nested.clone().unwrap();
    assert_eq!(text["link"].ty, "OBJECT | null");
    assert!(text["link"].nested.as_ref().unwrap().contains_key("url"));
    assert_eq!(specs.kind_ok("SelectColor", &json!("blue"), 0), Some(true));
    assert_eq!(specs.kind_ok("SelectColor", &json!("blue_background"), 0), Some(false));
    assert_eq!(specs.kind_ok("string | null", &json!(null), 0), Some(true));
    assert_eq!(specs.kind_ok("Array<A | B>", &json!([]), 0), Some(true));
    assert!(specs.error_codes.contains("object_not_found") && specs.error_codes.contains("rate_limited"));
    assert!(specs.response_schema("get", "/v1/pages/{page_id}", 404).is_some(), "a 404 schema somewhere");
}
