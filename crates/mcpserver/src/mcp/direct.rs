//! Stateless `tools/call` without rmcp's per-request machinery.
//!
//! In stateless mode rmcp answers every POST by building a one-shot transport, spawning a
//! service task for it and waiting on a channel for the answer: four tasks and a trip through
//! `serde_json::Value` per call, which at low load costs more CPU than the tool's own work
//! (docs/benchmarks.md). The plain case, a `tools/call` of one of our tools from a client on a
//! protocol before 2026-07-28, is answered here instead, on the request's own task, by the
//! same [`McpServer::run_tool`] rmcp's path ends in, with the response rmcp would give (the
//! same message type, serialized the same way; `tests/mcp_direct.rs` compares the two byte for byte).
//!
//! "Plain" is decided conservatively, so that every check rmcp makes on such a request is
//! known to pass: anything else (another method, an `Origin` header, a `_meta` beyond a progress
//! token, protocol 2026-07-28 with its per-request negotiation and standard headers, an unusual
//! `Accept` or `Content-Type`, an unknown tool, a body that does not parse the strict way) goes
//! to rmcp untouched, body included, and gets rmcp's answer, error or not.

use super::McpServer;
use super::registry::ToolDef;
use crate::auth::Identity;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, Response, StatusCode, header};
use rmcp::model::{
    CallToolResponse, JsonObject, ProgressToken, ProtocolVersion, RequestId, ServerJsonRpcMessage,
    ServerResult,
};
use serde::Deserialize;

/// What decides whether a request is plain, and the server that answers it.
pub(super) struct Direct {
    server: McpServer,
    /// The allowed Host values as rmcp reads them: lower-case host, optional port.
    allowed_hosts: Vec<(String, Option<u16>)>,
    /// rmcp answers an empty allow-list by allowing every host.
    any_host: bool,
    max_body: usize,
}

/// The body of a plain `tools/call`; any other field, or a field of another type, makes the
/// request not plain.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainCall<'a> {
    #[serde(borrow)]
    jsonrpc: &'a str,
    id: RequestId,
    #[serde(borrow)]
    method: &'a str,
    params: PlainParams,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainParams {
    name: String,
    #[serde(default)]
    arguments: Option<JsonObject>,
    #[serde(rename = "_meta", default)]
    _meta: Present<ProgressOnly>,
}

/// `_meta` holding at most a progress token (our tools send no progress, so it changes
/// nothing); rmcp reads anything else in it (per-request protocol version, capabilities).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgressOnly {
    #[serde(rename = "progressToken")]
    _progress_token: Option<ProgressToken>,
}

/// A field that may be absent but, when present, must deserialize as `T` (so that an explicit
/// `null` is not taken for absence).
struct Present<T>(Option<T>);

impl<T> Default for Present<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Present<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(|value| Self(Some(value)))
    }
}

const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream";
const PROTOCOL_VERSION: &str = "mcp-protocol-version";

impl Direct {
    pub(super) fn new(server: McpServer, allowed_hosts: &[String], max_body: usize) -> Self {
        let parsed = allowed_hosts.iter().filter_map(|allowed| parse_allowed_host(allowed)).collect();
        Self { server, allowed_hosts: parsed, any_host: allowed_hosts.is_empty(), max_body }
    }

    /// Answers `request` if it is a plain `tools/call`; otherwise gives it back as it came.
    pub(super) async fn serve(&self, request: Request<Body>) -> Result<Response<Body>, Request<Body>> {
        if !self.plain_headers(request.method(), request.headers()) {
            return Err(request);
        }
        let (parts, body) = request.into_parts();
        let bytes = match axum::body::to_bytes(body, self.max_body).await {
            Ok(bytes) => bytes,
            // What rmcp answers when a body cannot be read.
            Err(e) => {
                return Ok(text_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Failed to read request body: {e}"),
                ));
            }
        };
        let Some((call, tool, user_id)) = self.plain_call(&parts, &bytes) else {
            return Err(Request::from_parts(parts, Body::from(bytes)));
        };
        crate::metrics::mcp_direct_call();
        // No per-request `_meta` capabilities and no session: the client declared no elicitation.
        let message = match self.server.run_tool(tool, user_id, call.params.arguments, false).await {
            Ok(result) => {
                // The shape rmcp's handler gives a peer on a protocol before 2026-07-28.
                let mut result = ServerResult::from(CallToolResponse::from(result));
                result.strip_result_type_for_legacy_peer();
                result.strip_non_object_output_for_legacy_peer();
                ServerJsonRpcMessage::response(result, call.id)
            }
            Err(error) => ServerJsonRpcMessage::error(error, Some(call.id)),
        };
        Ok(match serde_json::to_vec(&message) {
            Ok(body) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, JSON)
                .body(Body::from(body))
                .expect("valid response"),
            Err(e) => text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Internal Server Error: serialize json response: {e}"),
            ),
        })
    }

    /// The call, the tool and the caller, when the body is a plain `tools/call` of one of our
    /// tools by an authenticated caller.
    fn plain_call<'b>(
        &self,
        parts: &axum::http::request::Parts,
        bytes: &'b [u8],
    ) -> Option<(PlainCall<'b>, &ToolDef, String)> {
        let call = serde_json::from_slice::<PlainCall>(bytes).ok()?;
        if call.jsonrpc != "2.0" || call.method != "tools/call" {
            return None;
        }
        let tool = self.server.tool(&call.params.name)?;
        let user_id = parts.extensions.get::<Identity>()?.user_id.clone();
        Some((call, tool, user_id))
    }

    /// Whether every header rmcp checks on a POST certainly passes, and the body's size is known.
    fn plain_headers(&self, method: &Method, headers: &HeaderMap) -> bool {
        *method == Method::POST
            && self.host_allowed(headers)
            && !headers.contains_key(header::ORIGIN)
            && accepts_json_and_event_stream(headers)
            && single(headers, header::CONTENT_TYPE.as_str()).is_some_and(|value| {
                value.split_once(';').map_or(value, |(essence, _)| essence).trim().eq_ignore_ascii_case(JSON)
            })
            && (!headers.contains_key(PROTOCOL_VERSION)
                || single(headers, PROTOCOL_VERSION).is_some_and(before_per_request_negotiation))
            && single(headers, header::CONTENT_LENGTH.as_str())
                .and_then(|length| length.parse::<usize>().ok())
                .is_some_and(|length| length <= self.max_body)
    }

    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(host) = single(headers, header::HOST.as_str()) else {
            return false;
        };
        let Ok(authority) = host.parse::<axum::http::uri::Authority>() else {
            return false;
        };
        if self.any_host {
            return true;
        }
        let name = authority.host().trim_matches('[').trim_matches(']');
        let port = authority.port_u16();
        self.allowed_hosts.iter().any(|(allowed, allowed_port)| {
            allowed.eq_ignore_ascii_case(name) && allowed_port.is_none_or(|p| port == Some(p))
        })
    }
}

/// A known protocol version older than 2026-07-28: no per-request negotiation, no standard
/// `Mcp-*` headers to check against the body.
fn before_per_request_negotiation(version: &str) -> bool {
    version < ProtocolVersion::V_2026_07_28.as_str()
        && ProtocolVersion::KNOWN_VERSIONS.iter().any(|known| known.as_str() == version)
}

/// The one value of header `name` as text; `None` when absent, repeated or not visible ASCII.
fn single<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

/// One `Accept` header listing both media types rmcp requires, with no parameters anywhere (so
/// no weight can exclude one).
fn accepts_json_and_event_stream(headers: &HeaderMap) -> bool {
    let Some(accept) = single(headers, header::ACCEPT.as_str()) else {
        return false;
    };
    let (mut json, mut event_stream) = (false, false);
    for item in accept.split(',').map(str::trim) {
        if item.contains(';') {
            return false;
        }
        json |= item.eq_ignore_ascii_case(JSON);
        event_stream |= item.eq_ignore_ascii_case(EVENT_STREAM);
    }
    json && event_stream
}

fn normalize_host(host: &str) -> String {
    host.trim_matches('[').trim_matches(']').to_ascii_lowercase()
}

/// An allowed-host entry the way rmcp reads it: an authority (host and optional port), or
/// else the whole trimmed text as a host name.
fn parse_allowed_host(allowed: &str) -> Option<(String, Option<u16>)> {
    let allowed = allowed.trim();
    if allowed.is_empty() {
        return None;
    }
    Some(match allowed.parse::<axum::http::uri::Authority>() {
        Ok(authority) => (normalize_host(authority.host()), authority.port_u16()),
        Err(_) => (normalize_host(allowed), None),
    })
}

fn text_response(status: StatusCode, text: String) -> Response<Body> {
    Response::builder().status(status).body(Body::from(text)).expect("valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_an_accept_naming_both_types_without_parameters_is_plain() {
        for (accept, plain) in [
            ("application/json, text/event-stream", true),
            ("text/event-stream,APPLICATION/JSON", true),
            ("application/json", false),
            ("application/json, text/event-stream;q=0", false),
            ("application/json;q=1, text/event-stream", false),
            ("*/*", false),
        ] {
            assert_eq!(accepts_json_and_event_stream(&headers(&[("accept", accept)])), plain, "{accept}");
        }
        let twice = headers(&[("accept", "application/json"), ("accept", "text/event-stream")]);
        assert!(!accepts_json_and_event_stream(&twice));
    }

    #[test]
    fn only_known_versions_before_2026_07_28_are_plain() {
        for (version, plain) in [
            ("2024-11-05", true),
            ("2025-03-26", true),
            ("2025-06-18", true),
            ("2025-11-25", true),
            ("2026-07-28", false),
            ("2025-01-01", false),
            ("latest", false),
        ] {
            assert_eq!(before_per_request_negotiation(version), plain, "{version}");
        }
    }

    #[test]
    fn allowed_hosts_are_read_as_rmcp_reads_them() {
        assert_eq!(parse_allowed_host(" LocalHost:8080 "), Some(("localhost".into(), Some(8080))));
        assert_eq!(parse_allowed_host("[::1]"), Some(("::1".into(), None)));
        assert_eq!(parse_allowed_host("  "), None);
    }

    #[test]
    fn a_body_beyond_a_plain_call_does_not_parse() {
        let plain = |body: &str| {
            serde_json::from_str::<PlainCall>(body)
                .is_ok_and(|call| call.jsonrpc == "2.0" && call.method == "tools/call")
        };
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"jira_search","arguments":{}}}"#;
        assert!(plain(call));
        assert!(plain(
            r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","_meta":{"progressToken":3}}}"#
        ));
        for other in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":null}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","task":{}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":[]}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},"extra":1}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"x"}}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}]"#,
        ] {
            assert!(!plain(other), "{other}");
        }
    }
}
