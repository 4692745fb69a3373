//! TESTING ONLY: the fixture tools the official MCP conformance suite
//! (`@modelcontextprotocol/conformance`, server scenarios) calls by name. They exist only when
//! `MCPSERVER_CONFORMANCE_FIXTURES=true`, which config validation refuses off loopback; a
//! normal deployment never lists or runs them. Each tool does exactly what its scenario's
//! description asks (see docs/conformance.md), through the same handler, transport and
//! authentication path as the real tools, so the suite tests the protocol plumbing we ship:
//! content types, errors, notifications on a tool call's stream, and server-to-client requests.

// Logging and sampling are deprecated for protocol 2026-07-28 (SEP-2577) but are what the
// suite's 2025-06-18/2025-11-25 scenarios exercise.
#![allow(deprecated)]

use base64::Engine;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, CreateMessageRequestParams, ElicitRequest,
    ElicitRequestParams, JsonObject, LoggingLevel, LoggingMessageNotificationParam,
    ProgressNotificationParam, ResourceContents, SamplingMessage, ServerRequest, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::Duration;

/// A 1×1 red PNG.
const RED_PIXEL_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/// The pause between a fixture's notifications (the scenarios ask for about 50 ms).
const STEP: Duration = Duration::from_millis(50);

/// Every fixture tool's name and listing.
fn listings() -> Vec<Value> {
    let no_args = json!({"type": "object", "properties": {}});
    let simple = |name: &str, description: &str| json!({"name": name, "description": description, "inputSchema": no_args.clone()});
    let one_string = |name: &str, description: &str, arg: &str, arg_description: &str| {
        json!({
            "name": name,
            "description": description,
            "inputSchema": {
                "type": "object",
                "properties": {arg: {"type": "string", "description": arg_description}},
                "required": [arg],
            },
        })
    };
    vec![
        simple("test_simple_text", "Conformance fixture: returns one text block."),
        simple("test_image_content", "Conformance fixture: returns a 1x1 PNG image."),
        simple("test_audio_content", "Conformance fixture: returns a short WAV audio clip."),
        simple("test_embedded_resource", "Conformance fixture: returns an embedded text resource."),
        simple("test_multiple_content_types", "Conformance fixture: returns text, an image and a resource."),
        simple("test_tool_with_logging", "Conformance fixture: sends three info log notifications."),
        simple("test_error_handling", "Conformance fixture: always fails with isError."),
        simple("test_tool_with_progress", "Conformance fixture: reports progress 0, 50 and 100 of 100."),
        one_string(
            "test_sampling",
            "Conformance fixture: asks the client's LLM (sampling/createMessage).",
            "prompt",
            "The prompt to send to the LLM",
        ),
        one_string(
            "test_elicitation",
            "Conformance fixture: asks the user for a username and email (elicitation/create).",
            "message",
            "The message to show the user",
        ),
        simple(
            "test_elicitation_sep1034_defaults",
            "Conformance fixture: elicitation whose fields carry default values (SEP-1034).",
        ),
        simple(
            "test_elicitation_sep1330_enums",
            "Conformance fixture: elicitation with every enum form (SEP-1330).",
        ),
        json!({
            "name": "json_schema_2020_12_tool",
            "description": "Conformance fixture: a JSON Schema 2020-12 input schema, listed as written.",
            "inputSchema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {
                    "address": {
                        "type": "object",
                        "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
                    },
                },
                "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
                "additionalProperties": false,
            },
        }),
    ]
}

/// The fixture tools as `tools/list` shows them.
pub(super) fn tools() -> Vec<Tool> {
    listings()
        .into_iter()
        .map(|listing| serde_json::from_value(listing).expect("fixture listings are valid tools"))
        .collect()
}

/// The fixtures of one MCP server instance (one session, or one stateless request).
#[derive(Default)]
pub(super) struct Fixtures {
    /// The least severe level the client asked for with `logging/setLevel` (all when unset).
    log_level: Mutex<Option<LoggingLevel>>,
}

fn severity(level: LoggingLevel) -> u8 {
    level as u8
}

impl Fixtures {
    /// `logging/setLevel`: later log notifications below `level` are not sent.
    pub(super) fn set_log_level(&self, level: LoggingLevel) {
        *self.log_level.lock().unwrap_or_else(|e| e.into_inner()) = Some(level);
    }

    fn logs_at(&self, level: LoggingLevel) -> bool {
        let minimum = *self.log_level.lock().unwrap_or_else(|e| e.into_inner());
        minimum.is_none_or(|m| severity(level) >= severity(m))
    }

    /// Runs `request` if it names a fixture tool; `None` for any other tool.
    pub(super) async fn call(
        &self,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Option<Result<CallToolResult, ErrorData>> {
        let args = request.arguments.clone().unwrap_or_default();
        let result = match request.name.as_ref() {
            "test_simple_text" => Ok(CallToolResult::success(vec![ContentBlock::text(
                "This is a simple text response for testing.",
            )])),
            "test_image_content" => {
                Ok(CallToolResult::success(vec![ContentBlock::image(RED_PIXEL_PNG, "image/png")]))
            }
            "test_audio_content" => {
                let wav = base64::engine::general_purpose::STANDARD.encode(tiny_wav());
                Ok(CallToolResult::success(vec![ContentBlock::audio(wav, "audio/wav")]))
            }
            "test_embedded_resource" => Ok(CallToolResult::success(vec![ContentBlock::resource(
                ResourceContents::text("This is an embedded resource content.", "test://embedded-resource"),
            )])),
            "test_multiple_content_types" => Ok(CallToolResult::success(vec![
                ContentBlock::text("Multiple content types test:"),
                ContentBlock::image(RED_PIXEL_PNG, "image/png"),
                ContentBlock::resource(
                    ResourceContents::text(r#"{"test":"data","value":123}"#, "test://mixed-content-resource")
                        .with_mime_type("application/json"),
                ),
            ])),
            "test_tool_with_logging" => self.with_logging(context).await,
            "test_error_handling" => Ok(CallToolResult::error(vec![ContentBlock::text(
                "This tool intentionally returns an error for testing",
            )])),
            "test_tool_with_progress" => with_progress(context).await,
            "test_sampling" => sampling(&args, context).await,
            "test_elicitation" => {
                let message = string_arg(&args, "message").unwrap_or("Please provide your information");
                elicit(context, message, user_schema(), "User response").await
            }
            "test_elicitation_sep1034_defaults" => {
                elicit(context, "Please review these defaults", sep1034_schema(), "Elicitation completed")
                    .await
            }
            "test_elicitation_sep1330_enums" => {
                elicit(context, "Please choose", sep1330_schema(), "Elicitation completed").await
            }
            "json_schema_2020_12_tool" => {
                let name = string_arg(&args, "name").unwrap_or("nobody");
                Ok(CallToolResult::success(vec![ContentBlock::text(format!("Received {name}"))]))
            }
            _ => return None,
        };
        Some(result)
    }

    async fn with_logging(&self, context: &RequestContext<RoleServer>) -> Result<CallToolResult, ErrorData> {
        let messages = ["Tool execution started", "Tool processing data", "Tool execution completed"];
        for (i, message) in messages.into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(STEP).await;
            }
            if self.logs_at(LoggingLevel::Info) {
                let mut param = LoggingMessageNotificationParam::new(LoggingLevel::Info, json!(message));
                param.logger = Some("conformance".into());
                notified(context.peer.notify_logging_message(param).await)?;
            }
        }
        Ok(CallToolResult::success(vec![ContentBlock::text("Tool with logging executed successfully")]))
    }
}

/// `test_elicitation`: a username and an email.
fn user_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    })
}

/// SEP-1034: a default value for every primitive type.
fn sep1034_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "default": "John Doe"},
            "age": {"type": "integer", "default": 30},
            "score": {"type": "number", "default": 95.5},
            "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
            "verified": {"type": "boolean", "default": true},
        },
    })
}

/// SEP-1330: the five enum forms.
fn sep1330_schema() -> Value {
    let titled = |kind: &str| {
        json!([
            {"const": "value1", "title": format!("First {kind}")},
            {"const": "value2", "title": format!("Second {kind}")},
            {"const": "value3", "title": format!("Third {kind}")},
        ])
    };
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "oneOf": titled("Option")},
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
            "titledMulti": {"type": "array", "items": {"anyOf": titled("Choice")}},
        },
    })
}

/// A form elicitation request (rmcp's typed schema, built from the JSON the scenario names).
fn form_request(message: &str, requested_schema: Value) -> Result<ElicitRequestParams, serde_json::Error> {
    serde_json::from_value(json!({"mode": "form", "message": message, "requestedSchema": requested_schema}))
}

/// A notification the transport could not send fails the call (the suite would miss it).
fn notified(sent: Result<(), rmcp::service::ServiceError>) -> Result<(), ErrorData> {
    sent.map_err(|e| ErrorData::internal_error(format!("could not send a notification: {e}"), None))
}

fn string_arg<'a>(args: &'a JsonObject, name: &str) -> Option<&'a str> {
    args.get(name).and_then(Value::as_str)
}

async fn with_progress(context: &RequestContext<RoleServer>) -> Result<CallToolResult, ErrorData> {
    let token = context.meta.get_progress_token();
    for (i, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(STEP).await;
        }
        if let Some(token) = &token {
            let param = ProgressNotificationParam::new(token.clone(), progress).with_total(100.0);
            notified(context.peer.notify_progress(param).await)?;
        }
    }
    Ok(CallToolResult::success(vec![ContentBlock::text("Tool with progress executed successfully")]))
}

/// The client's capabilities, as far as this request knows them: a stateless request knows
/// none, since no initialize handshake belongs to it.
fn client_declared(
    context: &RequestContext<RoleServer>,
    what: fn(&rmcp::model::ClientCapabilities) -> bool,
) -> bool {
    context.peer.peer_info().is_some_and(|info| what(&info.capabilities))
}

async fn sampling(
    args: &JsonObject,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResult, ErrorData> {
    let Some(prompt) = string_arg(args, "prompt") else {
        return Err(ErrorData::invalid_params("test_sampling needs a string `prompt`", None));
    };
    if !client_declared(context, |c| c.sampling.is_some()) {
        return Ok(CallToolResult::error(vec![ContentBlock::text(
            "The client did not declare the sampling capability in this session.",
        )]));
    }
    let params = CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], 100);
    match context.peer.create_message(params).await {
        Ok(answer) => {
            let text = answer.message.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone());
            Ok(CallToolResult::success(vec![ContentBlock::text(format!(
                "LLM response: {}",
                text.unwrap_or_default()
            ))]))
        }
        Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(format!("Sampling failed: {e}"))])),
    }
}

async fn elicit(
    context: &RequestContext<RoleServer>,
    message: &str,
    requested_schema: Value,
    label: &str,
) -> Result<CallToolResult, ErrorData> {
    if !client_declared(context, |c| c.elicitation.is_some()) {
        return Ok(CallToolResult::error(vec![ContentBlock::text(
            "The client did not declare the elicitation capability in this session.",
        )]));
    }
    let params = form_request(message, requested_schema)
        .map_err(|e| ErrorData::internal_error(format!("fixture elicitation schema: {e}"), None))?;
    match context.peer.send_request(ServerRequest::ElicitRequest(ElicitRequest::new(params))).await {
        Ok(rmcp::model::ClientResult::ElicitResult(answer)) => {
            let action = serde_json::to_value(answer.action).unwrap_or(Value::Null);
            let action = action.as_str().unwrap_or("unknown");
            let content = answer.content.unwrap_or(Value::Null);
            Ok(CallToolResult::success(vec![ContentBlock::text(format!(
                "{label}: action={action}, content={content}"
            ))]))
        }
        Ok(_) => Ok(CallToolResult::error(vec![ContentBlock::text("The client answered something else.")])),
        Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(format!("Elicitation failed: {e}"))])),
    }
}

/// A valid 8 kHz, 8-bit mono WAV of 8 silent samples.
fn tiny_wav() -> Vec<u8> {
    let samples = [128u8; 8];
    let mut wav = Vec::with_capacity(44 + samples.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes()); // sample rate
    wav.extend_from_slice(&8000u32.to_le_bytes()); // byte rate
    wav.extend_from_slice(&1u16.to_le_bytes()); // block align
    wav.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(&samples);
    wav
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_listing_is_a_tool_with_a_description_and_a_test_name() {
        let tools = tools();
        assert_eq!(tools.len(), 13);
        for tool in &tools {
            assert!(tool.name.starts_with("test_") || tool.name == "json_schema_2020_12_tool");
            assert!(tool.description.as_deref().is_some_and(|d| d.starts_with("Conformance fixture")));
        }
    }

    #[test]
    fn the_json_schema_fixture_keeps_its_2020_12_keywords_when_listed() {
        let tool = tools().into_iter().find(|t| t.name == "json_schema_2020_12_tool").unwrap();
        let listed = serde_json::to_value(&tool).unwrap();
        let schema = &listed["inputSchema"];
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert!(schema["$defs"]["address"].is_object());
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn the_image_is_a_one_pixel_png_and_the_audio_a_riff_wave() {
        let png = base64::engine::general_purpose::STANDARD.decode(RED_PIXEL_PNG).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!((&png[16..20], &png[20..24]), (&1u32.to_be_bytes()[..], &1u32.to_be_bytes()[..]));
        let wav = tiny_wav();
        assert_eq!((&wav[..4], &wav[8..12]), (&b"RIFF"[..], &b"WAVE"[..]));
        assert_eq!(u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize, wav.len() - 8);
    }

    #[test]
    fn elicitation_schemas_reach_the_wire_exactly_as_the_scenarios_ask() {
        for schema in [user_schema(), sep1034_schema(), sep1330_schema()] {
            let request = form_request("m", schema.clone()).unwrap();
            assert_eq!(serde_json::to_value(&request).unwrap()["requestedSchema"], schema);
        }
    }

    #[test]
    fn log_notifications_below_the_requested_level_are_held_back() {
        let fixtures = Fixtures::default();
        assert!(fixtures.logs_at(LoggingLevel::Debug), "everything is sent before setLevel");
        fixtures.set_log_level(LoggingLevel::Warning);
        assert!(!fixtures.logs_at(LoggingLevel::Info));
        assert!(fixtures.logs_at(LoggingLevel::Error));
        fixtures.set_log_level(LoggingLevel::Debug);
        assert!(fixtures.logs_at(LoggingLevel::Info));
    }
}
