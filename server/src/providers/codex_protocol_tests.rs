//! The typed codex protocol against the schema the pinned CLI prints: the
//! committed schema is what the CLI prints today, every message peon sends
//! fits it, and peon's enums hold exactly the schema's values.

use super::*;
use crate::providers::agent::{SessionConfig, TurnSettings};
use crate::providers::codex::{decision, initialize_params, thread_params, turn_params};
use peon_app::contracts::{ApprovalDecision, RuntimeMode};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/codex-schema")
}

fn schema(name: &str) -> Value {
    let path = fixtures().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).expect("schema JSON")
}

/// Every committed schema file, relative to the fixture folder.
fn committed() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["", "v1", "v2"] {
        for entry in std::fs::read_dir(fixtures().join(dir)).expect("fixture folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                out.push(Path::new(dir).join(path.file_name().expect("name")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_pinned_cli_prints_the_committed_schema() {
    let codex =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/agents/node_modules/.bin/codex");
    assert!(
        codex.exists(),
        "the pinned codex is missing at {codex:?}: run scripts/setup"
    );
    let out = tempfile::tempdir().expect("temp");
    let home = tempfile::tempdir().expect("home");
    let status = std::process::Command::new(&codex)
        .args(["app-server", "generate-json-schema", "--out"])
        .arg(out.path())
        .env("HOME", home.path())
        .env("CODEX_HOME", home.path())
        .output()
        .expect("run codex");
    assert!(status.status.success(), "{status:?}");
    let files = committed();
    assert!(files.len() > 20, "{files:?}");
    for file in files {
        let now = std::fs::read_to_string(out.path().join(&file))
            .unwrap_or_else(|e| panic!("codex no longer prints {file:?}: {e}"));
        let kept = std::fs::read_to_string(fixtures().join(&file)).expect("fixture");
        assert!(
            now == kept,
            "the pinned codex's schema for {file:?} changed: update the fixture and \
             codex_protocol.rs together"
        );
    }
}

/// A small JSON-schema check (the subset codex's schema uses): `$ref`,
/// `anyOf`/`oneOf`/`allOf`, `enum`, `type`, `required`, `properties` (a key
/// the schema does not name is an error), `items`.
fn check(root: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/definitions/");
        return check(root, &root["definitions"][name], value, at);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema[key].as_array() {
            let errors: Vec<String> = branches
                .iter()
                .filter_map(|b| check(root, b, value, at).err())
                .collect();
            if errors.len() == branches.len() {
                return Err(format!("{at}: fits no branch of {key}: {errors:?}"));
            }
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            check(root, s, value, at)?;
        }
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {values:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let fits = types.iter().any(|t| match *t {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
        if !fits {
            return Err(format!("{at}: {value} is not {types:?}"));
        }
    }
    if let Some(object) = value.as_object()
        && schema["properties"].is_object()
    {
        for required in schema["required"].as_array().into_iter().flatten() {
            let key = required.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                return Err(format!("{at}: {key} is required"));
            }
        }
        for (key, v) in object {
            let Some(property) = schema["properties"].get(key) else {
                return Err(format!("{at}: the schema has no field {key}"));
            };
            check(root, property, v, &format!("{at}.{key}"))?;
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, v) in values.iter().enumerate() {
            check(root, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

fn fits(schema_name: &str, value: &impl Serialize) {
    let root = schema(schema_name);
    let value = serde_json::to_value(value).expect("serialise");
    if let Err(e) = check(&root, &root, &value, schema_name) {
        panic!("{e}\n{value:#}");
    }
}

#[test]
fn the_checker_refuses_what_the_schema_does_not_allow() {
    let root = schema("v2/TurnStartParams");
    let bad = [
        serde_json::json!({"threadId": "t"}),
        serde_json::json!({"threadId": "t", "input": [], "approvalPolicy": "sometimes"}),
        serde_json::json!({"threadId": "t", "input": [], "sandboxPolicy": {"type": "nowhere"}}),
        serde_json::json!({"threadId": "t", "input": [], "colour": "blue"}),
    ];
    for value in bad {
        assert!(check(&root, &root, &value, "x").is_err(), "{value}");
    }
}

#[test]
fn every_message_peon_sends_fits_the_schema() {
    fits("v1/InitializeParams", &initialize_params());
    for mode in RuntimeMode::ALL {
        for model in [None, Some("gpt-5".to_string())] {
            let settings = TurnSettings {
                runtime_mode: *mode,
                model: model.clone(),
                interaction_mode: peon_app::contracts::InteractionMode::Default,
            };
            let config = SessionConfig {
                binary: PathBuf::from("codex"),
                cwd: PathBuf::from("/work/project"),
                resume: None,
                settings: settings.clone(),
            };
            fits("v2/ThreadStartParams", &thread_params(&config));
            fits(
                "v2/ThreadResumeParams",
                &ThreadResumeParams {
                    thread_id: "thr_1".into(),
                    settings: thread_params(&config),
                },
            );
            let turn = turn_params("thr_1", "fix the parser", &settings);
            fits("v2/TurnStartParams", &turn);
            // The sandbox goes with every turn (codex keeps it for the next).
            let sent = serde_json::to_value(&turn).expect("JSON");
            assert!(sent["sandboxPolicy"]["type"].is_string(), "{sent}");
        }
    }
    fits(
        "v2/TurnInterruptParams",
        &TurnInterruptParams {
            thread_id: "thr_1".into(),
            turn_id: "turn_1".into(),
        },
    );
    fits(
        "v2/TurnSteerParams",
        &TurnSteerParams {
            thread_id: "thr_1".into(),
            expected_turn_id: "turn_1".into(),
            input: vec![UserInput::Text {
                text: "use the other file".into(),
            }],
        },
    );
    fits("v2/ModelListParams", &ModelListParams { limit: 50 });
    for d in ApprovalDecision::ALL {
        fits("CommandExecutionRequestApprovalResponse", &decision(*d));
        fits("FileChangeRequestApprovalResponse", &decision(*d));
    }
}

#[test]
fn peons_enums_hold_exactly_the_schemas_values() {
    let completed = schema("v2/TurnCompletedNotification");
    let listed: Vec<&str> = completed["definitions"]["TurnStatus"]["enum"]
        .as_array()
        .expect("TurnStatus")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let ours: Vec<&str> = TurnStatus::ALL.iter().map(|(_, name)| *name).collect();
    assert_eq!(ours, listed);
    for (status, name) in TurnStatus::ALL {
        let decoded: TurnStatus = serde_json::from_value(Value::from(name)).expect("decodes");
        assert_eq!(decoded, status);
    }
    // Every status an item peon shows can have decodes.
    let item = schema("v2/ItemCompletedNotification");
    for definition in [
        "CommandExecutionStatus",
        "PatchApplyStatus",
        "McpToolCallStatus",
    ] {
        for value in item["definitions"][definition]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{definition}"))
        {
            serde_json::from_value::<ItemStatus>(value.clone())
                .unwrap_or_else(|e| panic!("{definition} {value}: {e}"));
        }
    }
}

/// The requests codex can make of a client. A new one must be decided on
/// (answered, or refused with an error) before the pin moves.
#[test]
fn the_requests_codex_can_make_are_the_known_ones() {
    let requests = schema("ServerRequest");
    let methods: Vec<&str> = requests["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .filter_map(|r| r["properties"]["method"]["enum"][0].as_str())
        .collect();
    assert_eq!(
        methods,
        [
            "item/commandExecution/requestApproval",
            "item/fileChange/requestApproval",
            "item/tool/requestUserInput",
            "mcpServer/elicitation/request",
            "item/permissions/requestApproval",
            "item/tool/call",
            "account/chatgptAuthTokens/refresh",
            "attestation/generate",
            "applyPatchApproval",
            "execCommandApproval",
        ]
    );
}

/// Every request codex can make gets an answer: a card (whose answers fit
/// the schema), an answer now that fits the schema of its response, said in
/// the work log, or an error saying why. None is left waiting.
#[test]
fn every_request_codex_can_make_is_answered() {
    use crate::providers::agent::RuntimeEvent;
    use crate::providers::codex_requests::{Reply, other};
    use serde_json::json;
    let question = json!({"questions": [{"id": "q1", "header": "Colour", "question": "Which one?",
        "options": [{"label": "red", "description": ""}, {"label": "blue", "description": ""}]}],
        "itemId": "i", "threadId": "t", "turnId": "u", "isBlocking": true});
    let answered_now = [
        (
            "item/tool/requestUserInput",
            "ToolRequestUserInputResponse",
            question,
        ),
        (
            "mcpServer/elicitation/request",
            "McpServerElicitationRequestResponse",
            json!({"serverName": "docs", "threadId": "t", "message": "Your name?",
                "mode": "form", "requestedSchema": {"type": "object", "properties": {}}}),
        ),
        (
            "item/tool/call",
            "DynamicToolCallResponse",
            json!({"tool": "lookup", "callId": "c", "arguments": {}, "threadId": "t", "turnId": "u"}),
        ),
        (
            "applyPatchApproval",
            "ApplyPatchApprovalResponse",
            json!({}),
        ),
        (
            "execCommandApproval",
            "ExecCommandApprovalResponse",
            json!({}),
        ),
    ];
    for (method, response, params) in answered_now {
        let Reply::Now { result, note } = other(method, &params) else {
            panic!("{method} is answered at once");
        };
        fits(response, &result);
        let RuntimeEvent::Activity {
            summary, detail, ..
        } = note
        else {
            panic!("{method} is said in the work log");
        };
        assert!(!summary.is_empty(), "{method}");
        if method == "item/tool/requestUserInput" {
            let detail = detail.unwrap_or_default();
            assert!(
                detail.contains("Colour: Which one? (red / blue)"),
                "{detail}"
            );
        }
    }
    let asked = json!({"network": {"enabled": true}});
    let params = json!({"permissions": asked, "reason": "to fetch crates", "cwd": "/w",
        "itemId": "i", "threadId": "t", "turnId": "u", "startedAtMs": 1});
    let Reply::Ask { answer, detail, .. } = other("item/permissions/requestApproval", &params)
    else {
        panic!("more permissions are the user's to give");
    };
    assert!(detail.contains("to fetch crates"), "{detail}");
    for d in ApprovalDecision::ALL {
        fits("PermissionsRequestApprovalResponse", &answer.result(*d));
    }
    assert_eq!(
        answer.result(ApprovalDecision::Accept)["permissions"],
        asked
    );
    assert_eq!(
        answer.result(ApprovalDecision::AcceptForSession)["scope"],
        "session"
    );
    assert_eq!(
        answer.result(ApprovalDecision::Decline)["permissions"],
        json!({})
    );
    for method in [
        "account/chatgptAuthTokens/refresh",
        "attestation/generate",
        "something/new",
    ] {
        let Reply::Refuse { message, .. } = other(method, &json!({})) else {
            panic!("{method} is refused");
        };
        assert!(!message.is_empty());
    }
}
