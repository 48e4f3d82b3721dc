//! The API reference as an [OpenRPC 1.2.6](https://spec.open-rpc.org) document: served
//! by `rpc.discover`, checked in as `docs/openrpc.json`.
//!
//! It is generated from [`methods::all`] (one entry per method: params, result,
//! errors), [`schema::Schemas`] (the types, derived from them) and [`errors::catalogue`] (the codes of
//! [`crate::codes`]). The tests hold it to the server: the method names
//! must be those `rpc_module` registers, each documented parameter name must be one
//! the method reads, and `docs/openrpc.json` must be what this module generates.

mod errors;
pub mod methods;
mod schema;

use jsonrpsee::RpcModule;
use serde_json::{json, Map, Value};

/// The method that returns the document.
pub const DISCOVER_METHOD: &str = "rpc.discover";

/// Where the document is checked in, from the repository's root.
pub const DOC_PATH: &str = "docs/openrpc.json";

/// The OpenRPC document of every method the node serves.
pub fn document() -> Value {
    let mut schemas = schema::Schemas::new();
    let methods: Vec<Value> = methods::all()
        .iter()
        .map(|method| method_object(method, &mut schemas))
        .collect();
    json!({
        "openrpc": "1.2.6",
        "info": {
            "title": "Truffle JSON-RPC API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON-RPC 2.0 over HTTP POST and WebSocket on a Truffle node's RPC port. \
                Parameters may be given by position (in the order listed) or by name. \
                Errors carry stable codes: -32602 invalid params, 1001..1099 ledger rules \
                (data: the rejection), 2001..2099 the node, 3001..3099 members, \
                4001..4099 catalog and ads, 5001..5099 raffles, orders and payments, \
                6001..6099 KakaoTalk link and chat.",
            "license": { "name": "Apache-2.0" },
        },
        "methods": methods,
        "components": {
            "schemas": schemas.components(),
            "errors": errors::components(),
        },
    })
}

/// The document as checked in: pretty JSON with a final newline.
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// Adds `rpc.discover` to `module`.
pub fn register(module: &mut RpcModule<()>) {
    let document = document();
    module
        .register_method(DISCOVER_METHOD, move |_, _, _| document.clone())
        .expect("rpc.discover is registered once");
}

fn method_object(method: &methods::MethodDoc, schemas: &mut schema::Schemas) -> Value {
    let params: Vec<Value> = method
        .params
        .iter()
        .map(|param| {
            json!({
                "name": param.name,
                "required": param.required(),
                "schema": schemas.ty(param.notation),
            })
        })
        .collect();
    let mut codes = Vec::new();
    if !method.params.is_empty() {
        codes.push(crate::codes::INVALID_PARAMS);
    }
    for code in &method.errors {
        if !codes.contains(code) {
            codes.push(*code);
        }
    }
    // Whatever can find the node unable to answer can also find the cluster between
    // leaders, this node behind, or a write dropped.
    if codes.contains(&crate::codes::UNAVAILABLE) {
        for code in [
            crate::codes::NO_LEADER,
            crate::codes::BEHIND,
            crate::codes::DROPPED,
        ] {
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    let errors: Vec<Value> = codes
        .iter()
        .map(|code| json!({ "$ref": format!("#/components/errors/{}", errors::name_of(*code)) }))
        .collect();
    let (result_name, result_type) = method.result;
    let mut object = Map::new();
    object.insert("name".into(), json!(method.name));
    object.insert("summary".into(), json!(method.summary));
    object.insert(
        "paramStructure".into(),
        json!(match method.kind {
            // jsonrpsee reads an unsubscribe's id by position only.
            methods::Kind::Unsubscribe => "by-position",
            _ => "either",
        }),
    );
    object.insert("params".into(), json!(params));
    object.insert(
        "result".into(),
        json!({ "name": result_name, "schema": schemas.ty(result_type) }),
    );
    object.insert("errors".into(), json!(errors));
    if let methods::Kind::Subscribe {
        notification,
        item,
        unsubscribe,
    } = &method.kind
    {
        // OpenRPC has no notion of subscriptions; this extension says what follows.
        object.insert(
            "x-subscription".into(),
            json!({
                "notification": notification,
                "item": schemas.ty(item),
                "unsubscribe": unsubscribe,
            }),
        );
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn documented_names() -> BTreeSet<&'static str> {
        methods::all().iter().map(|m| m.name).collect()
    }

    #[test]
    fn method_names_are_unique() {
        assert_eq!(documented_names().len(), methods::all().len());
    }

    #[test]
    fn every_method_is_complete() {
        let document = document();
        for method in document["methods"].as_array().expect("methods") {
            let name = method["name"].as_str().expect("a name");
            assert!(
                !method["summary"].as_str().unwrap_or_default().is_empty(),
                "{name} has no summary"
            );
            for param in method["params"].as_array().expect("params") {
                assert!(param["schema"].is_object(), "{name}: a param has no schema");
            }
            assert!(method["result"]["schema"].is_object(), "{name}: no result");
        }
    }

    /// The checked-in document is what the code generates; `UPDATE_OPENRPC=1` rewrites it.
    #[test]
    fn checked_in_document_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(DOC_PATH);
        let generated = render();
        if std::env::var_os("UPDATE_OPENRPC").is_some() {
            std::fs::write(&path, &generated).expect("write docs/openrpc.json");
            return;
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "{DOC_PATH} is not what the code generates; regenerate it with\n    \
             UPDATE_OPENRPC=1 cargo test --workspace --lib checked_in_document_is_current\n\
             and commit it"
        );
    }
}
