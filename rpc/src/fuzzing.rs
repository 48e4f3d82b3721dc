//! Entry point of the JSON-RPC parameter fuzz target (`fuzz/fuzz_targets/rpc_params.rs`),
//! kept here so the saved corpus replays as an ordinary test on stable. Each input is a
//! call of one method of the real method table ([`crate::rpc_module`]) over a dev node
//! in a temporary folder: whatever the parameters, the call answers (a result or a typed
//! error, in JSON-RPC form) and nothing panics.
//!
//! Input: the method name, a newline, then the parameters as JSON (an object by name,
//! or an array by position). Inputs whose parameters are not JSON are skipped: the
//! server refuses those before any method sees them.

use std::path::Path;
use std::time::Duration;

use jsonrpsee::RpcModule;
use serde_json::{json, Value};

/// Longest a call may take before the harness moves on (a call that waits for a
/// transaction's block, say); a call cut short is not a failure.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// A dev node in `dir` and the server's method table over it.
pub async fn dev_module(dir: &Path) -> (RpcModule<()>, truffle_node::Node) {
    let config = truffle_node::NodeConfig {
        data_dir: dir.join("node"),
        chain: "dev".into(),
        p2p_listen: Some("/ip4/127.0.0.1/tcp/0".into()),
        ..truffle_node::NodeConfig::default()
    };
    let node = truffle_node::launch(config)
        .await
        .expect("a dev node starts");
    (crate::rpc_module(node.clone()), node)
}

/// Calls the method the input names with its parameters. `scratch` takes what a call
/// writes outside the node (`admin_backup` writes where it is told: the harness points
/// it there and removes it after).
pub async fn rpc_call(module: &RpcModule<()>, scratch: &Path, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (method, params) = text.split_once('\n').unwrap_or((text, "null"));
    let Ok(mut params) = serde_json::from_str::<Value>(params) else {
        return;
    };
    let backup = scratch.join("backup");
    if method == "admin_backup" {
        redirect_backup(&mut params, &backup);
    }
    let request =
        json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
    let call = module.raw_json_request(&request, 16);
    let Ok(answer) = tokio::time::timeout(CALL_TIMEOUT, call).await else {
        return;
    };
    let (response, _subscription) = answer.expect("a well-formed request is read");
    let response: Value = serde_json::from_str(response.get()).expect("the answer is JSON");
    let answered = response.get("result").is_some()
        || response["error"]["code"].as_i64().is_some_and(|code| {
            // An error is one of the documented codes, never a bare internal error
            // hiding a failed decode.
            code != i64::from(jsonrpsee::types::error::INTERNAL_ERROR_CODE)
                || method == "admin_backup"
                || method == "admin_compact"
        });
    assert!(answered, "{method}: not a JSON-RPC answer: {response}");
    if backup.exists() {
        let _ = std::fs::remove_dir_all(&backup);
    }
}

/// Points a backup's destination (by name or first by position) into the scratch
/// folder; other shapes go through as they are, to be refused by the decoder.
fn redirect_backup(params: &mut Value, to: &Path) {
    let to = Value::String(to.display().to_string());
    match params {
        Value::Object(fields) if fields.get("to").is_some_and(Value::is_string) => {
            fields.insert("to".into(), to);
        }
        Value::Array(items) if items.first().is_some_and(Value::is_string) => items[0] = to,
        _ => {}
    }
}

/// One seed per method of the OpenRPC document: its parameters by name, each a value
/// of its documented schema.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let document = truffle_wire::openrpc::document();
    let schemas = &document["components"]["schemas"];
    document["methods"]
        .as_array()
        .expect("the document lists methods")
        .iter()
        .map(|method| {
            let name = method["name"].as_str().expect("a method name");
            let params: serde_json::Map<String, Value> = method["params"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|param| {
                    let name = param["name"].as_str().expect("a parameter name").to_owned();
                    (name, sample(&param["schema"], schemas, 0))
                })
                .collect();
            (
                name.to_owned(),
                format!("{name}\n{}", Value::Object(params)).into_bytes(),
            )
        })
        .collect()
}

/// A value of `schema` (as the document writes them: `$ref`, `anyOf`, `oneOf`, `allOf`,
/// `enum`, `const`, and the plain types).
fn sample(schema: &Value, schemas: &Value, depth: usize) -> Value {
    if depth > 12 {
        return Value::Null;
    }
    let next = |s: &Value| sample(s, schemas, depth + 1);
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return next(&schemas[name]);
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(options) = schema[key].as_array() {
            let chosen = options
                .iter()
                .find(|option| option["type"] != "null")
                .or(options.first());
            if let Some(option) = chosen {
                return next(option);
            }
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .and_then(Value::as_str)
            .unwrap_or("null"),
        Value::String(kind) => kind.as_str(),
        _ => "null",
    };
    match kind {
        "string" => match schema["pattern"].as_str() {
            Some("^[0-9a-f]{64}$") => Value::String("11".repeat(32)),
            Some(_) => Value::String("00".into()),
            None => Value::String("a".into()),
        },
        "integer" => json!(schema["minimum"].as_u64().unwrap_or(0).max(1)),
        "number" => json!(1.0),
        "boolean" => Value::Bool(false),
        "array" => Value::Array(vec![next(&schema["items"])]),
        "object" => Value::Object(
            schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, property)| (name.clone(), next(property)))
                .collect(),
        ),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn fuzz_dir(kind: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz")
            .join(kind)
            .join("rpc_params")
    }

    /// Writes the seeds (`TRUFFLE_UPDATE_FUZZ_SEEDS=1`); otherwise checks that the saved
    /// ones are what the document gives today: a method added to the document without
    /// its seed fails here.
    #[test]
    fn seeds_are_current() {
        let dir = fuzz_dir("seeds");
        let update = std::env::var_os("TRUFFLE_UPDATE_FUZZ_SEEDS").is_some();
        let seeds = seeds();
        if update {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
        }
        for (name, bytes) in &seeds {
            let path = dir.join(name);
            if update {
                std::fs::write(&path, bytes).unwrap();
            } else {
                assert!(
                    std::fs::read(&path).unwrap_or_default() == *bytes,
                    "{} is stale: run with TRUFFLE_UPDATE_FUZZ_SEEDS=1",
                    path.display()
                );
            }
        }
        let saved = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(
            saved,
            seeds.len(),
            "{} holds a seed of a method gone",
            dir.display()
        );
    }

    /// Every registered method has a seed, and the seeds and the saved corpus replay
    /// against a dev node.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_method_is_covered_and_the_saved_corpus_replays() {
        let dir = tempfile::tempdir().unwrap();
        let (module, node) = dev_module(dir.path()).await;
        let seeded: BTreeSet<String> = seeds().into_iter().map(|(name, _)| name).collect();
        let missing: Vec<&str> = module
            .method_names()
            .filter(|name| !seeded.contains(*name))
            .collect();
        let mut count = 0;
        for kind in ["seeds", "corpus"] {
            let Ok(entries) = std::fs::read_dir(fuzz_dir(kind)) else {
                assert_eq!(kind, "corpus", "the seeds are saved");
                continue;
            };
            let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
            paths.sort();
            for path in paths {
                rpc_call(&module, dir.path(), &std::fs::read(&path).unwrap()).await;
                count += 1;
            }
        }
        node.shutdown().await.expect("the test node stops");
        assert!(
            missing.is_empty(),
            "methods without a fuzz seed: {missing:?}"
        );
        assert!(count >= seeded.len(), "the corpus is saved: {count} files");
    }
}
