//! The OpenRPC reference against a real `truffle dev` (with its demo data): the node
//! serves the document the code generates, every documented method exists, real answers
//! match the documented result schemas, and real failures carry documented codes.

use std::collections::BTreeSet;

use std::time::Duration;

use anyhow::{bail, Context};
use jsonrpsee::core::client::SubscriptionClientT;
use jsonrpsee::rpc_params;
use jsonrpsee_ws_client::WsClientBuilder;
use serde_json::{json, Value};
use truffle_genesis::dev_keys;
use truffle_ledger::types::Role;
use truffle_ledger::{Hash, Keypair, Payload};
use truffle_testnet::{truffle_binary, NodeProcess};
use truffle_tests::{chain_id, client, wait_for_leader_at, Wallet, START_TIMEOUT};
use truffle_wire::api::TxApiClient;

/// One JSON-RPC call, raw: the whole response object (`result` or `error`).
async fn call(http: &reqwest::Client, url: &str, method: &str, params: Value) -> Value {
    let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let response = http
        .post(url)
        .json(&request)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    response
        .json()
        .await
        .unwrap_or_else(|e| panic!("{method}: not JSON: {e}"))
}

/// The documented method called `name`.
fn method<'a>(document: &'a Value, name: &str) -> &'a Value {
    document["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not documented"))
}

/// Checks `value` against the documented result schema of `name`; returns the problems.
fn result_problems(document: &Value, name: &str, value: &Value) -> Vec<String> {
    // The schema's references point into the document's components, so they go along.
    let root = json!({
        "allOf": [method(document, name)["result"]["schema"]],
        "components": document["components"],
    });
    let validator = jsonschema::draft7::new(&root).expect("a valid JSON Schema");
    validator
        .iter_errors(value)
        .map(|error| format!("{name}: {error} at {}", error.instance_path()))
        .collect()
}

/// The documented schema of the items a subscription method sends.
fn item_problems(document: &Value, name: &str, value: &Value) -> Vec<String> {
    let root = json!({
        "allOf": [method(document, name)["x-subscription"]["item"]],
        "components": document["components"],
    });
    let validator = jsonschema::draft7::new(&root).expect("a valid JSON Schema");
    validator
        .iter_errors(value)
        .map(|error| format!("{name} item: {error} at {}", error.instance_path()))
        .collect()
}

/// The codes of the errors documented for `name`.
fn documented_codes(document: &Value, name: &str) -> BTreeSet<i64> {
    method(document, name)["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|reference| {
            let key = reference["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/errors/"))
                .expect("a reference to components.errors");
            document["components"]["errors"][key]["code"]
                .as_i64()
                .expect("a code")
        })
        .collect()
}

/// The `result` of a successful response.
fn result(response: Value, method: &str) -> anyhow::Result<Value> {
    match response.get("result") {
        Some(result) => Ok(result.clone()),
        None => bail!("{method} failed: {response}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_matches_a_real_node() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("dev");
    let args: Vec<String> = ["dev", "--data-dir", data.to_str().expect("utf-8 path")]
        .into_iter()
        .chain(["--rpc.listen", "127.0.0.1:0"])
        .map(str::to_owned)
        .collect();
    let node = NodeProcess::start(
        &truffle_binary()?,
        &args,
        &data.with_extension("log"),
        START_TIMEOUT,
    )?;
    let url = node.rpc_url.clone();
    wait_for_leader_at(&url).await?;
    let http = reqwest::Client::new();

    // The node serves what the code generates (so docs/openrpc.json, checked against the
    // same code, is what nodes serve).
    let document = result(
        call(&http, &url, "rpc.discover", json!([])).await,
        "rpc.discover",
    )?;
    assert_eq!(document, truffle_wire::openrpc::document());
    assert_eq!(document["openrpc"], "1.2.6");

    // Every documented call exists on the node (subscriptions need a WebSocket; the unit
    // test in truffle-rpc checks them against the module). A value no parameter accepts
    // keeps the calls from doing anything.
    let mut subscription_methods = BTreeSet::new();
    for m in document["methods"].as_array().expect("methods") {
        if let Some(subscription) = m.get("x-subscription") {
            subscription_methods.insert(m["name"].as_str().expect("a name").to_owned());
            subscription_methods.insert(
                subscription["unsubscribe"]
                    .as_str()
                    .expect("an unsubscribe method")
                    .to_owned(),
            );
        }
    }
    assert!(!subscription_methods.is_empty());
    for m in document["methods"].as_array().expect("methods") {
        let name = m["name"].as_str().expect("a name");
        if subscription_methods.contains(name) {
            continue;
        }
        let response = call(&http, &url, name, json!([-1.5])).await;
        assert_ne!(
            response["error"]["code"],
            json!(-32601),
            "{name} is documented but the node does not know it"
        );
    }

    // Real answers, by position and by name, against the documented result schemas.
    // Ids come from earlier answers so that the calls find the demo's records.
    let mut problems = Vec::new();
    let mut check = |name: &str, value: &Value| {
        problems.extend(result_problems(&document, name, value));
    };
    for (name, params) in [
        ("system_health", json!([])),
        ("system_version", json!([])),
        ("system_peers", json!([])),
        ("chain_getHeader", json!([])),
        ("chain_getBlock", json!({ "height": 1 })),
        ("chain_getReceipts", json!([1])),
        ("chain_getEvidence", json!([])),
        ("seller_list", json!([])),
        (
            "reco_forVisitor",
            json!({ "gender": "female", "birth_year": 1995 }),
        ),
        ("ad_list", json!(["main"])),
        ("tx_status", json!([Hash::ZERO])),
    ] {
        let value = result(call(&http, &url, name, params).await, name)?;
        check(name, &value);
    }
    let search = result(
        call(&http, &url, "product_search", json!([{ "text": "" }])).await,
        "product_search",
    )?;
    check("product_search", &search);
    let product_id = search["hits"][0]["product_id"].clone();
    anyhow::ensure!(product_id.is_u64(), "the demo has products: {search}");
    let product = result(
        call(&http, &url, "product_get", json!({ "product": product_id })).await,
        "product_get",
    )?;
    check("product_get", &product);
    let item_id = product["items"][0]["id"].clone();
    for (name, params) in [
        ("product_getItem", json!({ "item": item_id })),
        ("product_history", json!([item_id])),
        ("proof_item", json!([item_id])),
    ] {
        let value = result(call(&http, &url, name, params).await, name)?;
        check(name, &value);
    }
    let raffles = result(
        call(
            &http,
            &url,
            "raffle_list",
            json!({ "page": { "page_size": 5 } }),
        )
        .await,
        "raffle_list",
    )?;
    check("raffle_list", &raffles);
    let raffle_id = raffles["items"][0]["id"].clone();
    anyhow::ensure!(raffle_id.is_u64(), "the demo has raffles: {raffles}");
    for name in ["raffle_get", "raffle_result", "raffle_entries"] {
        let value = result(call(&http, &url, name, json!([raffle_id])).await, name)?;
        check(name, &value);
    }
    let proofs = [
        ("proof_history", json!([item_id])),
        ("proof_raffle", json!([raffle_id])),
        (
            "proof_absence",
            json!(["Nike", "DD1391-100", "NO-SUCH-SERIAL"]),
        ),
        (
            "reco_similar",
            json!({ "product": product_id, "page_size": 3 }),
        ),
    ];
    for (name, params) in proofs {
        let value = result(call(&http, &url, name, params).await, name)?;
        check(name, &value);
    }
    // A committed transaction of the demo, its status and a certificate.
    let block = result(
        call(&http, &url, "chain_getBlock", json!([1])).await,
        "chain_getBlock",
    )?;
    let tx_hash = block["transactions"][0]["hash"].clone();
    anyhow::ensure!(tx_hash.is_string(), "block 1 has transactions: {block}");
    for name in ["tx_get", "tx_status"] {
        let value = result(call(&http, &url, name, json!([tx_hash])).await, name)?;
        check(name, &value);
    }
    let health = result(
        call(&http, &url, "system_health", json!([])).await,
        "system_health",
    )?;
    if let Some(certified) = health["certified_height"].as_u64() {
        let value = result(
            call(&http, &url, "chain_getCertificate", json!([certified])).await,
            "chain_getCertificate",
        )?;
        check("chain_getCertificate", &value);
    }
    let headers = result(
        call(
            &http,
            &url,
            "chain_getHeaders",
            json!({ "from": 0, "limit": 3 }),
        )
        .await,
        "chain_getHeaders",
    )?;
    check("chain_getHeaders", &headers);
    let seller = Keypair::from_name("demo-seller-sneakers").public();
    for name in ["account_get", "seller_get"] {
        let value = result(call(&http, &url, name, json!([seller])).await, name)?;
        check(name, &value);
    }
    assert!(
        problems.is_empty(),
        "answers that do not match the reference:\n{}",
        problems.join("\n")
    );

    // The schemas are strict enough to notice a field the reference does not know.
    let mut changed = product.clone();
    changed["new_field"] = json!(1);
    assert!(!result_problems(&document, "product_get", &changed).is_empty());

    // A subscription over WebSocket, with the documented names, sends documented items:
    // a registration by the dev validator makes a block.
    let ws = WsClientBuilder::default()
        .build(url.replace("http://", "ws://"))
        .await?;
    let subscribe = "chain_subscribeNewHeads";
    let unsubscribe = method(&document, subscribe)["x-subscription"]["unsubscribe"]
        .as_str()
        .context("an unsubscribe method")?;
    let mut heads = ws
        .subscribe::<Value, _>(subscribe, rpc_params![], unsubscribe)
        .await?;
    let http_client = client(&url)?;
    let mut registrar = Wallet::new(&http_client, dev_keys::validator(0)).await?;
    let payload = Payload::RegisterAccount {
        account: Keypair::from_name("openrpc-member").public(),
        role: Role::Member,
        adult: false,
    };
    let chain = chain_id(&http_client).await?;
    http_client.submit(registrar.sign(chain, payload)).await?;
    let head = tokio::time::timeout(Duration::from_secs(30), heads.next())
        .await
        .context("no new head within 30 s")?
        .context("the subscription ended")??;
    let problems = item_problems(&document, subscribe, &head);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    heads.unsubscribe().await?;

    // Real failures carry codes the reference lists for their method.
    for (name, params, expected) in [
        (
            "product_get",
            json!([u64::MAX]),
            truffle_wire::codes::NOT_FOUND,
        ),
        (
            "chain_getHeader",
            json!([u64::MAX]),
            truffle_wire::codes::NOT_FOUND,
        ),
        (
            "tx_submit",
            json!(["not hex"]),
            truffle_wire::codes::INVALID_PARAMS,
        ),
        (
            "raffle_list",
            json!({ "page": { "page_size": 0 } }),
            truffle_wire::codes::INVALID_PARAMS,
        ),
        (
            "account_me",
            json!(["no-such-session"]),
            truffle_wire::codes::SESSION_INVALID,
        ),
    ] {
        let response = call(&http, &url, name, params).await;
        let code = response["error"]["code"]
            .as_i64()
            .with_context(|| format!("{name} should fail: {response}"))?;
        assert_eq!(code, i64::from(expected), "{name}: {response}");
        assert!(
            documented_codes(&document, name).contains(&code),
            "{name} returned {code}, which the reference does not list for it"
        );
    }
    Ok(())
}
