//! Issue #20, item 5: throttles that hold. Password guesses are reserved in the
//! replicated service data before they are checked, so a JSON-RPC batch, concurrent
//! calls, or attempts spread over validators all get at most the limit.

use std::time::Duration;

use jsonrpsee::core::ClientError;
use jsonrpsee_http_client::HttpClient;
use truffle_ledger::types::Gender;
use truffle_ledger::Keypair;
use truffle_testnet::TestnetOptions;
use truffle_tests::members::{gateway_args, FakeGateway};
use truffle_tests::Cluster;
use truffle_wire::api::{AccountApiClient, AuthApiClient};
use truffle_wire::members::SignupRequest;

const PASSWORD: &str = "Str0ng&Secret!";
const WRONG: &str = "Wrong&Secret1";
const WRONG_CREDENTIALS: i64 = 3012;
const LOGIN_THROTTLED: i64 = 3013;
const BUSY: i64 = 2009;

async fn sign_up(
    rpc: &HttpClient,
    gateway: &FakeGateway,
    email: &str,
    (phone, e164): (&str, &str),
) -> anyhow::Result<()> {
    rpc.request_phone_code(phone.into()).await?;
    let code = gateway.code_for(e164)?;
    let token = rpc
        .verify_phone_code(phone.into(), code)
        .await?
        .verification_token;
    let key = Keypair::from_name(email);
    let chain = truffle_tests::chain_id(rpc).await?;
    rpc.signup(
        SignupRequest {
            email: email.into(),
            password: PASSWORD.into(),
            name: "김쓰로틀".into(),
            gender: Gender::Female,
            birth_year: 1990,
            address: None,
            phone: phone.into(),
            verification_token: token,
            public_key: key.public(),
            key_proof: truffle_ledger::Signature([0; 64]),
        }
        .sign_with(&chain, &key),
    )
    .await?;
    Ok(())
}

fn code(error: ClientError) -> i64 {
    match error {
        ClientError::Call(object) => i64::from(object.code()),
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

/// The error codes of a batch's answers (`0` for a success), in no particular order.
async fn batch_of_logins(url: &str, email: &str, password: &str, n: usize) -> Vec<i64> {
    let calls: Vec<serde_json::Value> = (0..n)
        .map(|id| {
            serde_json::json!({
                "jsonrpc": "2.0", "id": id, "method": "auth_login",
                "params": [email, password],
            })
        })
        .collect();
    let answers: Vec<serde_json::Value> = reqwest::Client::new()
        .post(url)
        .json(&calls)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("the batch is answered")
        .json()
        .await
        .expect("a JSON batch answer");
    assert_eq!(answers.len(), n, "one answer per call");
    answers
        .iter()
        .map(|answer| answer["error"]["code"].as_i64().unwrap_or(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_concurrent_and_spread_logins_stop_at_the_limit() -> anyhow::Result<()> {
    let gateway = FakeGateway::default();
    let address = gateway.clone().start().await?;
    let keys = tempfile::tempdir()?;
    let cluster = Cluster::start(TestnetOptions {
        extra_args: gateway_args(keys.path(), address)?,
        ..TestnetOptions::default()
    })
    .await?;
    let (a, b) = (cluster.client(0), cluster.client(1));

    eprintln!("--- a batch of 12 wrong passwords in one request: at most 5 are checked");
    let batched = "batched.member@example.com";
    sign_up(&a, &gateway, batched, ("010-4000-0001", "+821040000001")).await?;
    let codes = batch_of_logins(&cluster.net.rpc_url(0), batched, WRONG, 12).await;
    let checked_batch = codes.iter().filter(|c| **c == WRONG_CREDENTIALS).count();
    assert!(
        checked_batch <= 5,
        "{checked_batch} guesses checked: {codes:?}"
    );
    assert!(
        codes
            .iter()
            .all(|c| [WRONG_CREDENTIALS, LOGIN_THROTTLED, BUSY].contains(c)),
        "{codes:?}"
    );
    assert!(codes.contains(&LOGIN_THROTTLED), "{codes:?}");
    // Whatever the interleaving, the account is now throttled on every node, even for
    // the right password.
    for rpc in [&a, &b, &cluster.client(2)] {
        let refused = rpc
            .login(batched.into(), PASSWORD.into())
            .await
            .unwrap_err();
        assert_eq!(code(refused), LOGIN_THROTTLED);
    }

    eprintln!("--- concurrent calls over two nodes: at most 5 are checked");
    let spread = "spread.member@example.com";
    sign_up(&b, &gateway, spread, ("010-4000-0002", "+821040000002")).await?;
    // A right password is not a failure: it is released and does not count.
    a.login(spread.into(), PASSWORD.into()).await?;
    let calls = (0..12).map(|n| {
        let rpc = if n % 2 == 0 { a.clone() } else { b.clone() };
        async move { rpc.login(spread.into(), WRONG.into()).await }
    });
    let codes: Vec<i64> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|answer| code(answer.expect_err("a wrong password never logs in")))
        .collect();
    let checked_spread = codes.iter().filter(|c| **c == WRONG_CREDENTIALS).count();
    assert!(
        checked_spread <= 5,
        "{checked_spread} guesses checked: {codes:?}"
    );
    assert!(codes.contains(&LOGIN_THROTTLED), "{codes:?}");
    let refused = cluster
        .client(2)
        .login(spread.into(), PASSWORD.into())
        .await
        .unwrap_err();
    assert_eq!(code(refused), LOGIN_THROTTLED, "the third node agrees");

    eprintln!("--- one client network guessing many emails over two nodes: at most 20");
    // The failures so far count for 127.0.0.0/24 too; unknown emails add one each.
    let before = checked_batch + checked_spread;
    let mut checked = 0;
    let mut throttled = 0;
    for n in 0..16 {
        let rpc = if n % 2 == 0 { &a } else { &b };
        match code(
            rpc.login(format!("nobody{n}@example.com"), WRONG.into())
                .await
                .unwrap_err(),
        ) {
            WRONG_CREDENTIALS => checked += 1,
            LOGIN_THROTTLED => throttled += 1,
            other => panic!("unexpected code {other}"),
        }
    }
    assert!(
        before + checked <= 20,
        "{before} + {checked} guesses checked past the limit"
    );
    assert!(throttled >= 16 - (20 - before), "only {throttled} refused");
    Ok(())
}
