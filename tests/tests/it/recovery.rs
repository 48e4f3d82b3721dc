//! Account recovery over real RPC (issue 24): a password reset proven by re-verifying
//! the member's phone ends every session and uses its verification once; it is
//! throttled like a login; a phone number change is verified like signup and moves what
//! a reset must prove.

use std::path::Path;

use jsonrpsee::core::ClientError;
use jsonrpsee_http_client::HttpClient;
use truffle_ledger::Keypair;
use truffle_testnet::NodeProcess;
use truffle_tests::client;
use truffle_tests::members::{start_member_node, FakeGateway};
use truffle_wire::api::{AccountApiClient, AuthApiClient};
use truffle_wire::members::{ResetPasswordRequest, SignupRequest, UpdateRequest};

const PASSWORD: &str = "Str0ng&Secret!";
const NEW_PASSWORD: &str = "Fr3sh&Passphrase";

fn start_node(dir: &Path, gateway: std::net::SocketAddr) -> anyhow::Result<NodeProcess> {
    start_member_node(dir, gateway, &[], &["--members.resend-interval-secs", "1"])
}

fn code(error: ClientError) -> i32 {
    match error {
        ClientError::Call(object) => object.code(),
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

async fn verified(rpc: &HttpClient, gateway: &FakeGateway, phone: &str) -> anyhow::Result<String> {
    // Past the node's resend interval (1 s here): a phone gets a second code in this test.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    rpc.request_phone_code(phone.into()).await?;
    let e164 = format!("+82{}", phone.replace('-', "").trim_start_matches('0'));
    let code = gateway.code_for(&e164)?;
    Ok(rpc
        .verify_phone_code(phone.into(), code)
        .await?
        .verification_token)
}

fn reset(email: &str, phone: &str, token: &str, password: &str) -> ResetPasswordRequest {
    ResetPasswordRequest {
        email: email.into(),
        phone: phone.into(),
        verification_token: token.into(),
        new_password: password.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_and_phone_change_are_verified_by_phone() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let gateway = FakeGateway::default();
    let address = gateway.clone().start().await?;
    let node = start_node(dir.path(), address)?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let rpc = client(&node.rpc_url)?;
    let chain = truffle_tests::chain_id(&rpc).await?;

    let email = "recovering.member@example.com";
    let phone = "010-3100-0001";
    let key = Keypair::from_name("recovery-member");
    let token = verified(&rpc, &gateway, phone).await?;
    rpc.signup(
        SignupRequest {
            email: email.into(),
            password: PASSWORD.into(),
            name: "복구회원".into(),
            gender: truffle_ledger::types::Gender::Other,
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
    let first = rpc
        .login(email.into(), PASSWORD.into())
        .await?
        .session_token;
    let second = rpc
        .login(email.into(), PASSWORD.into())
        .await?
        .session_token;

    eprintln!("--- a reset needs the email and a live verification of that member's phone");
    let token = verified(&rpc, &gateway, phone).await?;
    let refused = |request| async { code(rpc.reset_password(request).await.unwrap_err()) };
    assert_eq!(
        refused(reset("nobody@example.com", phone, &token, NEW_PASSWORD)).await,
        3020,
        "another email"
    );
    let stranger_phone = "010-3100-0002";
    let stranger = verified(&rpc, &gateway, stranger_phone).await?;
    assert_eq!(
        refused(reset(email, stranger_phone, &stranger, NEW_PASSWORD)).await,
        3020,
        "a phone that is not the member's"
    );
    assert_eq!(
        refused(reset(email, phone, &stranger, NEW_PASSWORD)).await,
        3020,
        "a token that proves another phone"
    );
    assert_eq!(
        refused(reset(email, phone, &token, "short")).await,
        3009,
        "the password policy holds"
    );
    assert_eq!(
        refused(reset(email, phone, "not-a-token", NEW_PASSWORD)).await,
        3020
    );

    eprintln!("--- the reset: every session ends, the old password stops working");
    rpc.reset_password(reset(email, phone, &token, NEW_PASSWORD))
        .await?;
    for session in [&first, &second] {
        assert_eq!(code(rpc.me(session.clone()).await.unwrap_err()), 3014);
    }
    assert_eq!(
        code(rpc.login(email.into(), PASSWORD.into()).await.unwrap_err()),
        3012
    );
    let session = rpc
        .login(email.into(), NEW_PASSWORD.into())
        .await?
        .session_token;
    assert_eq!(
        refused(reset(email, phone, &token, "An0ther&Passphrase")).await,
        3020,
        "a verification is used once"
    );

    eprintln!("--- a phone change is verified; a reset then proves the new phone, not the old");
    let new_phone = "010-3100-0003";
    let new_token = verified(&rpc, &gateway, new_phone).await?;
    let changed = rpc
        .update(
            session.clone(),
            UpdateRequest {
                new_phone: Some(new_phone.into()),
                phone_verification_token: Some("bogus".into()),
                ..UpdateRequest::default()
            },
        )
        .await;
    assert_eq!(code(changed.unwrap_err()), 3006, "an unverified phone");
    let me = rpc
        .update(
            session.clone(),
            UpdateRequest {
                new_phone: Some(new_phone.into()),
                phone_verification_token: Some(new_token),
                ..UpdateRequest::default()
            },
        )
        .await?;
    assert_eq!(me.phone, "+821031000003");
    let old = verified(&rpc, &gateway, phone).await?;
    assert_eq!(
        refused(reset(email, phone, &old, "Old&Phone&Passphrase")).await,
        3020,
        "the old phone no longer proves the account"
    );

    eprintln!("--- throttled like a login: failures count against the account");
    let mut throttled = false;
    for _ in 0..6 {
        // A live token of another phone: a real guess, past the reservation.
        let status = refused(reset(email, new_phone, &stranger, NEW_PASSWORD)).await;
        if status == 3013 {
            throttled = true;
            break;
        }
        assert_eq!(status, 3020);
    }
    assert!(throttled, "failed resets are throttled per account");
    assert_eq!(
        code(
            rpc.login(email.into(), NEW_PASSWORD.into())
                .await
                .unwrap_err()
        ),
        3013,
        "and share the login's allowance"
    );
    assert_eq!(
        rpc.me(session).await?.email,
        email,
        "a session of the new password lives on"
    );
    Ok(())
}
