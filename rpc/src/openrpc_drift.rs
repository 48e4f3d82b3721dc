//! The OpenRPC reference of `truffle_wire` held to the server this crate builds.

use std::collections::BTreeSet;

use jsonrpsee::RpcModule;
use serde_json::{json, Value};
use truffle_wire::openrpc::methods::{self, Kind};
use truffle_wire::openrpc::{document, DISCOVER_METHOD};

/// A node with the real module, in a temporary folder.
async fn dev_module() -> (RpcModule<()>, truffle_node::Node, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (module, node) = crate::fuzzing::dev_module(dir.path()).await;
    (module, node, dir)
}

/// The documented methods are exactly the registered ones, every documented parameter
/// name is one the method reads, and `rpc.discover` serves the document. A name is
/// probed alone with a value no parameter type accepts: it must be refused, unlike the
/// same value under a name the method does not read (ignored: "missing field", or a
/// call that runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_matches_the_registered_methods_and_their_parameters() {
    let (module, node, _dir) = dev_module().await;
    let registered: BTreeSet<&str> = module.method_names().collect();
    let documented = documented_names();
    let missing: Vec<_> = registered.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&registered).collect();
    let call = |method: &'static str, params: Value| {
        let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let module = &module;
        async move {
            let (response, _) = module
                .raw_json_request(&request.to_string(), 1)
                .await
                .expect("a valid request");
            serde_json::from_str::<Value>(response.get()).expect("JSON")
        }
    };
    // serde's message without its position, which moves with the name's length.
    let reason = |response: &Value| {
        let data = response["error"]["data"].as_str().unwrap_or_default();
        data.split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let mut failures = Vec::new();
    for method in methods::all() {
        if method.kind == Kind::Unsubscribe || !registered.contains(method.name) {
            continue;
        }
        // What the method makes of a name it does not read: it ignores it.
        let ignored = call(method.name, json!({ "openrpc_unknown_name": -1.5 })).await;
        for param in &method.params {
            let response = call(method.name, json!({ param.name: -1.5 })).await;
            let refused = response["error"]["code"] == json!(truffle_wire::codes::INVALID_PARAMS);
            if !refused || reason(&response) == reason(&ignored) {
                failures.push(format!("{}({}): {response}", method.name, param.name));
            }
        }
    }
    let served: Value = module
        .call(DISCOVER_METHOD, jsonrpsee::rpc_params![])
        .await
        .expect("rpc.discover answers");
    node.shutdown().await.expect("the test node stops");
    assert!(
        missing.is_empty() && extra.is_empty() && failures.is_empty(),
        "the OpenRPC reference drifted from rpc_module (fix wire/src/openrpc/methods.rs, \
         then regenerate docs/openrpc.json):\n\
         registered but not documented: {missing:?}\n\
         documented but not registered: {extra:?}\n\
         documented parameters the methods do not read:\n{}",
        failures.join("\n")
    );
    assert_eq!(served, document(), "rpc.discover serves the document");
}

fn documented_names() -> BTreeSet<&'static str> {
    methods::all().iter().map(|m| m.name).collect()
}
