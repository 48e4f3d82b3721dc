//! Members and a small market for process tests: a fake SMS gateway (the node's HTTP
//! gateway client posts codes to it), signup and login over RPC, a seller with a listed
//! product, orders and raffles signed by members' wallet keys.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use jsonrpsee_http_client::HttpClient;
use truffle_ledger::block::Effect;
use truffle_ledger::types::{EntryWindow, Gender, ProductSpec, RaffleSpec};
use truffle_ledger::{Hash, Keypair, Payload};
use truffle_wire::api::{AccountApiClient, AuthApiClient, TxApiClient};
use truffle_wire::chain::TxStatus;
use truffle_wire::members::SignupRequest;

use crate::Wallet;

/// The password every test member uses.
pub const PASSWORD: &str = "Str0ng&Secret!";
/// The key the fake gateway wants.
pub const GATEWAY_KEY: &str = "test-gateway-key";

/// A local SMS gateway that records what it is asked to send.
#[derive(Clone, Default)]
pub struct FakeGateway {
    sent: Arc<Mutex<Vec<(String, String)>>>,
}

impl FakeGateway {
    /// Serves on an OS-chosen port of 127.0.0.1.
    pub async fn start(self) -> anyhow::Result<SocketAddr> {
        async fn receive(
            State(gateway): State<FakeGateway>,
            headers: HeaderMap,
            Json(body): Json<serde_json::Value>,
        ) -> StatusCode {
            if headers.get("authorization").and_then(|v| v.to_str().ok())
                != Some(&format!("Bearer {GATEWAY_KEY}"))
            {
                return StatusCode::UNAUTHORIZED;
            }
            let to = body["to"].as_str().unwrap_or_default().to_owned();
            let text = body["text"].as_str().unwrap_or_default().to_owned();
            gateway.sent.lock().unwrap().push((to, text));
            StatusCode::OK
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let app = Router::new().route("/sms", post(receive)).with_state(self);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(address)
    }

    /// The last code sent to `phone` (E.164).
    pub fn code_for(&self, phone: &str) -> anyhow::Result<String> {
        let sent = self.sent.lock().unwrap();
        let (_, text) = sent
            .iter()
            .rev()
            .find(|(to, _)| to == phone)
            .context("no code was sent to this phone")?;
        Ok(regex_lite::Regex::new(r"\d{6}")
            .unwrap()
            .find(text)
            .context("the message holds no code")?
            .as_str()
            .to_owned())
    }
}

/// `truffle node run` flags that send codes through `gateway` (key file in `dir`).
pub fn gateway_args(dir: &Path, gateway: SocketAddr) -> anyhow::Result<Vec<String>> {
    let key_file = dir.join("gateway.key");
    std::fs::write(&key_file, GATEWAY_KEY)?;
    Ok(vec![
        "--sms.gateway-url".into(),
        format!("http://{gateway}/sms"),
        "--sms.gateway-key-file".into(),
        key_file.display().to_string(),
    ])
}

/// Starts a one-validator dev node on loopback with fast Raft timings, sending its codes
/// through `gateway`: `global` flags go before `node run`, `extra` after it; the log is
/// `dir/node.log`.
pub fn start_member_node(
    dir: &Path,
    gateway: SocketAddr,
    global: &[&str],
    extra: &[&str],
) -> anyhow::Result<truffle_testnet::NodeProcess> {
    let data = dir.join("data");
    let mut args: Vec<String> = global.iter().map(|s| s.to_string()).collect();
    args.extend(
        [
            "node",
            "run",
            "--chain",
            "dev",
            "--data-dir",
            data.to_str().context("a UTF-8 data folder")?,
            "--rpc.listen",
            "127.0.0.1:0",
            "--p2p.listen",
            "/ip4/127.0.0.1/tcp/0",
            "--raft.heartbeat-ms",
            "50",
            "--raft.election-min-ms",
            "150",
            "--raft.election-max-ms",
            "300",
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string()),
    );
    args.extend(gateway_args(dir, gateway)?);
    Ok(truffle_testnet::NodeProcess::start(
        &truffle_testnet::truffle_binary()?,
        &args,
        &dir.join("node.log"),
        crate::START_TIMEOUT,
    )?)
}

/// A member of a test: wallet key, email, session.
#[derive(Clone, Debug)]
pub struct TestMember {
    /// The wallet key (the ledger account).
    pub key: Keypair,
    /// Login email.
    pub email: String,
    /// Real name (sealed on the node).
    pub name: String,
    /// A session token from the last login.
    pub session: String,
}

/// Signs up member number `n` (its phone is 010-7000-nnnn) through `rpc`, then logs in.
pub async fn sign_up(
    rpc: &HttpClient,
    gateway: &FakeGateway,
    n: u32,
    name: &str,
) -> anyhow::Result<TestMember> {
    let key = Keypair::from_name(&format!("test-member-{n}-{name}"));
    let phone = format!("010-7000-{n:04}");
    let e164 = format!("+82107000{n:04}");
    rpc.request_phone_code(phone.clone())
        .await
        .context("auth_requestPhoneCode")?;
    let code = gateway.code_for(&e164)?;
    let verified = rpc
        .verify_phone_code(phone.clone(), code)
        .await
        .context("auth_verifyPhoneCode")?;
    let email = format!("member{n}@example.com");
    rpc.signup(
        SignupRequest {
            email: email.clone(),
            password: PASSWORD.into(),
            name: name.into(),
            gender: Gender::Female,
            birth_year: 1995,
            address: None,
            phone,
            verification_token: verified.verification_token,
            public_key: key.public(),
            key_proof: truffle_ledger::Signature([0; 64]),
        }
        .sign_with(&crate::chain_id(rpc).await?, &key),
    )
    .await
    .context("account_signup")?;
    let session = log_in(rpc, &email).await?;
    Ok(TestMember {
        key,
        email,
        name: name.into(),
        session,
    })
}

/// Logs `email` in through `rpc`; returns the session token.
pub async fn log_in(rpc: &HttpClient, email: &str) -> anyhow::Result<String> {
    Ok(rpc
        .login(email.into(), PASSWORD.into())
        .await
        .context("auth_login")?
        .session_token)
}

/// Signs `payload` with `key` at its next nonce, submits it and waits for its block;
/// returns what it did (an error if the ledger refused it).
pub async fn apply_tx(
    rpc: &HttpClient,
    chain: Hash,
    key: &Keypair,
    payload: Payload,
) -> anyhow::Result<Effect> {
    let mut wallet = Wallet::new(rpc, key.clone()).await?;
    let tx = wallet.sign(chain, payload);
    match rpc
        .submit_and_wait(tx, Some(30_000))
        .await
        .context("tx_submitAndWait")?
    {
        TxStatus::Committed { effect, .. } => Ok(effect),
        other => bail!("the transaction did not apply: {other:?}"),
    }
}

/// A listed product of a seller.
#[derive(Clone, Debug)]
pub struct Listed {
    /// Product id.
    pub product: u64,
    /// Id of piece 1.
    pub first_item: u64,
    /// Serials, in edition order.
    pub serials: Vec<String>,
}

/// Makes `seller` (a member) an approved seller (approved by `admin`) and registers a
/// product of `pieces` numbered pieces listed for sale at `price`.
#[allow(clippy::too_many_arguments)]
pub async fn list_product(
    rpc: &HttpClient,
    chain: Hash,
    admin: &Keypair,
    seller: &Keypair,
    (brand, model, name_ko, name_en): (&str, &str, &str, &str),
    price: u64,
    pieces: usize,
    approve: bool,
) -> anyhow::Result<Listed> {
    if approve {
        apply_tx(
            rpc,
            chain,
            seller,
            Payload::ApplySeller {
                shop_name: format!("{brand} 공식 스토어"),
            },
        )
        .await?;
        apply_tx(
            rpc,
            chain,
            admin,
            Payload::ApproveSeller {
                account: seller.public(),
            },
        )
        .await?;
    }
    let serials: Vec<String> = (1..=pieces).map(|k| format!("{model}-{k:04}")).collect();
    let effect = apply_tx(
        rpc,
        chain,
        seller,
        Payload::RegisterProduct(ProductSpec {
            brand: brand.into(),
            model: model.into(),
            name_ko: name_ko.into(),
            name_en: name_en.into(),
            category: "sneakers".into(),
            release_date: 20_240_301,
            price,
            description: format!("{name_ko} 한정판"),
            image_hashes: vec![],
            serials: serials.clone(),
            list_for_sale: true,
        }),
    )
    .await?;
    let Effect::ProductRegistered {
        product,
        first_item,
        ..
    } = effect
    else {
        bail!("unexpected effect {effect:?}");
    };
    Ok(Listed {
        product,
        first_item,
        serials,
    })
}

/// `buyer` orders `item`; returns the order id.
pub async fn order(
    rpc: &HttpClient,
    chain: Hash,
    buyer: &Keypair,
    item: u64,
) -> anyhow::Result<u64> {
    match apply_tx(rpc, chain, buyer, Payload::CreateOrder { item }).await? {
        Effect::OrderCreated { order } => Ok(order),
        other => bail!("unexpected effect {other:?}"),
    }
}

/// `seller` raffles `item`, open for an hour of block time from now; returns its id.
pub async fn open_raffle(
    rpc: &HttpClient,
    chain: Hash,
    seller: &Keypair,
    item: u64,
    price: u64,
) -> anyhow::Result<u64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    let secret = Hash::of(b"test raffle secret");
    match apply_tx(
        rpc,
        chain,
        seller,
        Payload::CreateRaffle(RaffleSpec {
            items: vec![item],
            window: EntryWindow::Times {
                opens_ms: now.saturating_sub(60_000),
                closes_ms: now + 3_600_000,
            },
            price,
            runners_up: 1,
            min_age: None,
            seed_commitment: truffle_ledger::tx::raffle_commitment(&secret),
            reveal_blocks: 100,
            payment_window_ms: 3_600_000,
        }),
    )
    .await?
    {
        Effect::RaffleCreated { raffle } => Ok(raffle),
        other => bail!("unexpected effect {other:?}"),
    }
}

/// Waits `duration` (a named pause reads better in a test).
pub async fn pause(duration: Duration) {
    tokio::time::sleep(duration).await;
}
