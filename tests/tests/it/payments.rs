//! Payments over real processes: the sandbox provider's checkout and signed webhooks,
//! settlement that moves ownership once, refunds that reverse it, amount mismatches,
//! expiry to the runner-up with the late payer refunded, a SIGKILL between the
//! provider's confirmation and the settlement, and two buyers racing on a cluster.
//!
//! The helpers here (a fake SMS gateway for member sessions, a market harness) serve
//! `raffles.rs` too.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use jsonrpsee::core::ClientError;
use jsonrpsee_http_client::HttpClient;
use serde_json::{json, Value};
use truffle_genesis::dev_keys;
use truffle_ledger::types::{
    EntryWindow, Gender, ItemLock, OrderStatus, ProductSpec, RaffleSpec, RaffleStatus, Role,
};
use truffle_ledger::{Effect, Hash, Keypair, Payload, Rejection};
use truffle_payments::{webhook, PaymentStatus, WebhookEvent};
use truffle_testnet::{truffle_binary, NodeProcess, TestnetOptions};
use truffle_tests::{client, Cluster, Wallet, START_TIMEOUT};
use truffle_wire::api::{
    AccountApiClient, AuthApiClient, ChainApiClient, OrderApiClient, PaymentApiClient,
    ProductApiClient, RaffleApiClient, TxApiClient,
};
use truffle_wire::chain::TxStatus;
use truffle_wire::market::{PageRequest, SettlementState};
use truffle_wire::members::SignupRequest;

/// Bound of every wait for a block, a settlement or a webhook.
pub(crate) const WAIT: Duration = Duration::from_secs(30);
/// The webhook secret the test nodes share with the test (it can sign events itself).
pub(crate) const WEBHOOK_SECRET: &str = "whsec_test_0123456789";
const PASSWORD: &str = "Str0ng&Secret!";
const GATEWAY_KEY: &str = "test-gateway-key";

/// The JSON-RPC error code of a failed call.
pub(crate) fn code(error: &ClientError) -> i32 {
    match error {
        ClientError::Call(object) => object.code(),
        other => panic!("expected a call error, got {other}"),
    }
}

/// A local SMS gateway that records the codes it is asked to send.
#[derive(Clone, Default)]
pub(crate) struct Sms {
    sent: Arc<Mutex<Vec<(String, String)>>>,
}

impl Sms {
    /// Serves on an OS-chosen port; returns the node arguments that use it.
    pub(crate) async fn start(&self, dir: &Path) -> anyhow::Result<Vec<String>> {
        async fn receive(State(sms): State<Sms>, Json(body): Json<Value>) -> &'static str {
            let to = body["to"].as_str().unwrap_or_default().to_owned();
            let text = body["text"].as_str().unwrap_or_default().to_owned();
            sms.sent.lock().unwrap().push((to, text));
            "ok"
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address: SocketAddr = listener.local_addr()?;
        let app = Router::new()
            .route("/sms", post(receive))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let key_file = dir.join("gateway.key");
        std::fs::write(&key_file, GATEWAY_KEY)?;
        let secret_file = dir.join("webhook.secret");
        std::fs::write(&secret_file, WEBHOOK_SECRET)?;
        Ok(vec![
            "--sms.gateway-url".into(),
            format!("http://{address}/sms"),
            "--sms.gateway-key-file".into(),
            key_file.display().to_string(),
            "--payments.webhook-secret-file".into(),
            secret_file.display().to_string(),
        ])
    }

    fn code_for(&self, e164: &str) -> anyhow::Result<String> {
        let sent = self.sent.lock().unwrap();
        let (_, text) = sent
            .iter()
            .rev()
            .find(|(to, _)| to == e164)
            .context("no code was sent")?;
        text.chars()
            .collect::<Vec<_>>()
            .windows(6)
            .map(|w| w.iter().collect::<String>())
            .find(|w| w.chars().all(|c| c.is_ascii_digit()))
            .context("the message holds no code")
    }
}

/// `truffle node run` of a single dev validator in `dir`, with `extra` arguments.
pub(crate) fn dev_node_args(dir: &Path, extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = [
        "node",
        "run",
        "--chain",
        "dev",
        "--data-dir",
        dir.join("data").to_str().expect("utf-8"),
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
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().cloned());
    args
}

/// Starts a dev validator; `log` names its log file in `dir`.
pub(crate) fn start_node(dir: &Path, extra: &[String], log: &str) -> anyhow::Result<NodeProcess> {
    Ok(NodeProcess::start(
        &truffle_binary()?,
        &dev_node_args(dir, extra),
        &dir.join(log),
        START_TIMEOUT,
    )?)
}

/// A member with a wallet key and a session.
#[derive(Debug)]
pub(crate) struct Member {
    /// The wallet key.
    pub(crate) key: Keypair,
    /// The session token.
    pub(crate) session: String,
}

/// A node's market from a test's point of view.
pub(crate) struct Market {
    pub(crate) rpc: HttpClient,
    pub(crate) url: String,
    pub(crate) chain: Hash,
    pub(crate) sms: Sms,
    pub(crate) http: reqwest::Client,
    /// Phone numbers used so far (each signup needs a fresh one).
    phones: u32,
    /// The first digits of this test's phone numbers.
    phone_block: u32,
    /// Registers members (a validator's operator key).
    pub(crate) registrar: Keypair,
    /// An admin.
    pub(crate) admin: Keypair,
    /// Nudges sent (each a different refused transaction, so each makes a block).
    nudges: std::sync::atomic::AtomicU64,
}

impl Market {
    pub(crate) async fn new(url: &str, sms: Sms, phone_block: u32) -> anyhow::Result<Market> {
        let rpc = client(url)?;
        let chain = truffle_tests::chain_id(&rpc).await?;
        Ok(Market {
            rpc,
            url: url.to_owned(),
            chain,
            sms,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()?,
            phones: 0,
            phone_block,
            registrar: dev_keys::validator(0),
            admin: dev_keys::admin(),
            nudges: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Points at another node (after a restart, or another validator).
    pub(crate) fn reconnect(&mut self, url: &str) -> anyhow::Result<()> {
        self.rpc = client(url)?;
        self.url = url.to_owned();
        Ok(())
    }

    /// Signs up a member through the phone verification, then logs in.
    pub(crate) async fn signup(&mut self, name: &str) -> anyhow::Result<Member> {
        self.signup_as(name, Gender::Female, 1995).await
    }

    /// Like [`Market::signup`], with the member's gender and birth year.
    pub(crate) async fn signup_as(
        &mut self,
        name: &str,
        gender: Gender,
        birth_year: u16,
    ) -> anyhow::Result<Member> {
        self.phones += 1;
        let local = format!("010-{:04}-{:04}", self.phone_block, self.phones);
        let e164 = format!("+8210{:04}{:04}", self.phone_block, self.phones);
        self.rpc.request_phone_code(local.clone()).await?;
        let code = self.sms.code_for(&e164)?;
        let token = self
            .rpc
            .verify_phone_code(local.clone(), code)
            .await?
            .verification_token;
        let key = Keypair::generate();
        let email = format!("{name}.{}@example.com", self.phones);
        self.rpc
            .signup(
                SignupRequest {
                    email: email.clone(),
                    password: PASSWORD.into(),
                    name: name.into(),
                    gender,
                    birth_year,
                    address: None,
                    phone: local,
                    verification_token: token,
                    public_key: key.public(),
                    key_proof: truffle_ledger::Signature([0; 64]),
                }
                .sign_with(&truffle_tests::chain_id(&self.rpc).await?, &key),
            )
            .await?;
        let session = self.rpc.login(email, PASSWORD.into()).await?.session_token;
        Ok(Member { key, session })
    }

    /// Registers members directly, by the registrar (validator 0), with a birth year.
    pub(crate) async fn register(&self, keys: &[&Keypair], birth_year: u16) -> anyhow::Result<()> {
        let mut registrar = Wallet::new(&self.rpc, self.registrar.clone()).await?;
        let mut hashes = Vec::new();
        for key in keys {
            let tx = registrar.sign(
                self.chain,
                Payload::RegisterAccount {
                    account: key.public(),
                    role: Role::Member,
                    adult: birth_year <= 2006,
                },
            );
            hashes.push(self.rpc.submit(tx).await?);
        }
        for hash in hashes {
            let status = truffle_tests::wait_included(&self.rpc, hash, WAIT).await?;
            ensure!(matches!(status, TxStatus::Committed { .. }), "{status:?}");
        }
        Ok(())
    }

    /// Signs `payload` at the node's view of the next nonce, submits, waits for its block.
    pub(crate) async fn submit(&self, key: &Keypair, payload: Payload) -> anyhow::Result<TxStatus> {
        let mut wallet = Wallet::new(&self.rpc, key.clone()).await?;
        let tx = wallet.sign(self.chain, payload);
        let status = self
            .rpc
            .submit_and_wait(tx, Some(WAIT.as_millis() as u64))
            .await?;
        ensure!(
            matches!(
                status,
                TxStatus::Committed { .. } | TxStatus::Rejected { .. }
            ),
            "not in a block within {WAIT:?}: {status:?}"
        );
        Ok(status)
    }

    /// Like [`Market::submit`], and the transaction must apply; returns its effect.
    pub(crate) async fn apply(&self, key: &Keypair, payload: Payload) -> anyhow::Result<Effect> {
        let kind = payload.kind();
        match self.submit(key, payload).await? {
            TxStatus::Committed { effect, .. } => Ok(effect),
            other => bail!("{kind} did not apply: {other:?}"),
        }
    }

    /// Like [`Market::submit`], and the transaction must be refused; returns why.
    pub(crate) async fn refuse(
        &self,
        key: &Keypair,
        payload: Payload,
    ) -> anyhow::Result<Rejection> {
        let kind = payload.kind();
        match self.submit(key, payload).await? {
            TxStatus::Rejected { rejection, .. } => Ok(rejection),
            other => bail!("{kind} was not refused: {other:?}"),
        }
    }

    /// A registered, approved seller.
    pub(crate) async fn seller(&self) -> anyhow::Result<Keypair> {
        let seller = Keypair::generate();
        self.register(&[&seller], 1980).await?;
        self.apply(
            &seller,
            Payload::ApplySeller {
                shop_name: "한정판 상점".into(),
            },
        )
        .await?;
        self.apply(
            &self.admin,
            Payload::ApproveSeller {
                account: seller.public(),
            },
        )
        .await?;
        Ok(seller)
    }

    /// Registers a product of `pieces` pieces at `price`; returns the item ids.
    pub(crate) async fn product(
        &self,
        seller: &Keypair,
        pieces: usize,
        price: u64,
        listed: bool,
    ) -> anyhow::Result<Vec<u64>> {
        let model = format!("TR-{}", &Keypair::generate().public().to_hex()[..8]);
        let spec = ProductSpec {
            brand: "Nike".into(),
            model: model.clone(),
            name_ko: "나이키 덩크 로우 범고래".into(),
            name_en: "Nike Dunk Low Panda".into(),
            category: "sneakers".into(),
            release_date: 20_240_301,
            price,
            description: "한정판".into(),
            image_hashes: vec![Hash::of(model.as_bytes())],
            serials: (1..=pieces).map(|k| format!("{model}-{k:04}")).collect(),
            list_for_sale: listed,
        };
        match self.apply(seller, Payload::RegisterProduct(spec)).await? {
            Effect::ProductRegistered {
                first_item,
                item_count,
                ..
            } => Ok((0..u64::from(item_count)).map(|k| first_item + k).collect()),
            other => bail!("unexpected effect {other:?}"),
        }
    }

    /// Orders a listed item; returns the order id.
    pub(crate) async fn order(&self, buyer: &Keypair, item: u64) -> anyhow::Result<u64> {
        match self.apply(buyer, Payload::CreateOrder { item }).await? {
            Effect::OrderCreated { order } => Ok(order),
            other => bail!("unexpected effect {other:?}"),
        }
    }

    /// Pays a checkout on the sandbox page (an `amount` simulates a tampered checkout).
    pub(crate) async fn sandbox_pay(
        &self,
        checkout_url: &str,
        amount: Option<u64>,
    ) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{checkout_url}/pay"))
            .json(&json!({ "amount": amount }))
            .send()
            .await?;
        ensure!(
            response.status().is_success(),
            "sandbox pay: {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    /// The sandbox's record of a payment (status, deliveries).
    pub(crate) async fn sandbox_record(&self, payment_key: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}/sandbox/payments/{payment_key}", self.url))
            .send()
            .await?;
        ensure!(
            response.status().is_success(),
            "sandbox record: {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    /// POSTs a webhook; returns the HTTP status and the body.
    pub(crate) async fn post_webhook(
        &self,
        body: Vec<u8>,
        signature: Option<&str>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self
            .http
            .post(format!("{}/payments/webhook", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header(webhook::SIGNATURE_HEADER, signature);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Waits until an order leaves `pending` (or `WAIT` passes); returns its status.
    pub(crate) async fn settled(&self, order: u64) -> anyhow::Result<OrderStatus> {
        self.wait_order(order, |s| s != OrderStatus::Pending).await
    }

    /// Waits until an order's status satisfies `done`.
    pub(crate) async fn wait_order(
        &self,
        order: u64,
        done: impl Fn(OrderStatus) -> bool,
    ) -> anyhow::Result<OrderStatus> {
        let deadline = Instant::now() + WAIT;
        loop {
            let view = OrderApiClient::get(&self.rpc, order).await?;
            if done(view.order.status) {
                return Ok(view.order.status);
            }
            if Instant::now() > deadline {
                bail!(
                    "order {order} is still {:?} after {WAIT:?}: {view:?}",
                    view.order.status
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Makes one block come: a draw of a raffle that does not exist, signed by `key`.
    /// Refused, so the nonce stays; the raffle id differs every time, because the node
    /// answers a byte-identical resubmission of a refused transaction with the old
    /// receipt instead of making a block.
    pub(crate) async fn nudge(&self, key: &Keypair) -> anyhow::Result<()> {
        let n = self
            .nudges
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let rejection = self
            .refuse(
                key,
                Payload::DrawRaffle {
                    raffle: u64::MAX - n,
                },
            )
            .await?;
        ensure!(
            matches!(rejection, Rejection::UnknownRecord { .. }),
            "{rejection}"
        );
        Ok(())
    }

    /// Waits until a raffle has `status`, making blocks come with nudges by `nudge`
    /// when given (heights only advance with blocks).
    pub(crate) async fn wait_raffle(
        &self,
        raffle: u64,
        status: RaffleStatus,
        nudge: Option<&Keypair>,
    ) -> anyhow::Result<()> {
        let mut deadline = Instant::now() + WAIT;
        let mut first = true;
        loop {
            let view = RaffleApiClient::get(&self.rpc, raffle).await?;
            if std::mem::take(&mut first) {
                // A window by time closes when it closes: WAIT counts from then.
                if let EntryWindow::Times { closes_ms, .. } = view.raffle.spec.window {
                    let left = closes_ms.saturating_sub(truffle_clock::now_ms());
                    deadline += Duration::from_millis(left);
                }
            }
            // A closed raffle counts once every validator has contributed to its seed
            // (the nodes do it by themselves): only then may the seller reveal.
            let contributed = status != RaffleStatus::Closed
                || view
                    .raffle
                    .randomness
                    .as_ref()
                    .is_some_and(|r| r.is_complete());
            if view.raffle.status == status && contributed {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("raffle {raffle} is not {status:?} (with every contribution) after {WAIT:?}: {view:?}");
            }
            match nudge {
                Some(key) => self.nudge(key).await?,
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Applied `settle_payment` transactions for `order` in every block so far.
    pub(crate) async fn applied_settlements(&self, order: u64) -> anyhow::Result<usize> {
        let head = self.rpc.get_header(None).await?.header.height;
        let mut count = 0;
        for height in 1..=head {
            let block = self.rpc.get_block(Some(height)).await?;
            for (tx, receipt) in block.transactions.iter().zip(&block.receipts) {
                if let Payload::SettlePayment { order: settled, .. } = tx.payload {
                    if settled == order
                        && matches!(receipt.outcome, truffle_ledger::Outcome::Applied { .. })
                    {
                        count += 1;
                    }
                }
            }
        }
        Ok(count)
    }

    /// Signs an event with the shared webhook secret at `timestamp` (Unix seconds).
    pub(crate) fn sign_event(event: &WebhookEvent, timestamp: u64) -> (Vec<u8>, String) {
        let body = serde_json::to_vec(event).expect("events serialize");
        let signature = webhook::sign(WEBHOOK_SECRET.as_bytes(), timestamp, &body);
        (body, signature)
    }
}

/// The sandbox's latest delivered event of a payment: (body, signature header, event).
async fn delivered_event(
    market: &Market,
    payment_key: &str,
) -> anyhow::Result<(Vec<u8>, String, WebhookEvent)> {
    let deadline = Instant::now() + WAIT;
    loop {
        let record = market.sandbox_record(payment_key).await?;
        if let Some(delivery) = record["deliveries"]
            .as_array()
            .and_then(|d| d.iter().rev().find(|d| d["delivered"] == true))
        {
            let body = delivery["body"]
                .as_str()
                .context("body")?
                .as_bytes()
                .to_vec();
            let signature = delivery["signature"]
                .as_str()
                .context("signature")?
                .to_owned();
            let event: WebhookEvent = serde_json::from_slice(&body)?;
            return Ok((body, signature, event));
        }
        if Instant::now() > deadline {
            bail!(
                "the sandbox did not deliver the event of {payment_key} within {WAIT:?}: {record}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The sandbox's status of a payment.
async fn sandbox_status(market: &Market, payment_key: &str) -> anyhow::Result<PaymentStatus> {
    let record = market.sandbox_record(payment_key).await?;
    Ok(serde_json::from_value(record["payment"]["status"].clone())?)
}

/// Waits until the sandbox reports `status` for a payment.
async fn wait_sandbox(
    market: &Market,
    payment_key: &str,
    status: PaymentStatus,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + WAIT;
    while sandbox_status(market, payment_key).await? != status {
        if Instant::now() > deadline {
            bail!("payment {payment_key} is not {status:?} at the sandbox after {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The happy path, bad and replayed webhooks, a refund that reverses ownership, and an
/// amount mismatch that fails the order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_settle_once_refunds_reverse_and_mismatches_fail() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let args = sms.start(dir.path()).await?;
    let node = start_node(dir.path(), &args, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let mut market = Market::new(&node.rpc_url, sms, 7100).await?;

    eprintln!("--- a seller lists three pieces; a buyer orders one");
    let seller = market.seller().await?;
    let items = market.product(&seller, 3, 150_000, true).await?;
    let buyer = market.signup("buyer").await?;
    let other = market.signup("other").await?;
    let order = market.order(&buyer.key, items[0]).await?;

    eprintln!("--- only the buyer may start the payment; the checkout is the order's amount");
    let error = market
        .rpc
        .start(other.session.clone(), order)
        .await
        .unwrap_err();
    assert_eq!(code(&error), 5001);
    let error = market
        .rpc
        .start("not-a-session".into(), order)
        .await
        .unwrap_err();
    assert_eq!(code(&error), 3014);
    let checkout = market.rpc.start(buyer.session.clone(), order).await?;
    assert_eq!(
        (checkout.provider.as_str(), checkout.amount),
        ("sandbox", 150_000)
    );
    let payment_key = checkout
        .payment_key
        .clone()
        .context("the sandbox issues a key")?;
    let checkout_url = checkout.checkout_url.clone().context("a checkout page")?;
    let again = market.rpc.start(buyer.session.clone(), order).await?;
    assert_eq!(
        again.payment_key.as_deref(),
        Some(payment_key.as_str()),
        "one open checkout"
    );
    let page = market.http.get(&checkout_url).send().await?.text().await?;
    assert!(page.contains("₩150,000"), "{page}");

    eprintln!("--- forged, unsigned, stale and oversized webhooks are refused; nothing settles");
    let forged = WebhookEvent {
        event_id: "evt_forged".into(),
        event_type: truffle_payments::PAYMENT_STATUS_CHANGED.into(),
        created_at: truffle_payments::iso8601(truffle_clock::now_ms()),
        data: truffle_payments::Payment {
            payment_key: payment_key.clone(),
            order_id: checkout.order_id.clone(),
            order_name: String::new(),
            status: PaymentStatus::Done,
            total_amount: 150_000,
            balance_amount: 150_000,
            approved_at: None,
            cancels: Vec::new(),
        },
    };
    let body = serde_json::to_vec(&forged)?;
    let wrong_secret = webhook::sign(b"not-the-secret", truffle_clock::now_ms() / 1000, &body);
    assert_eq!(
        market
            .post_webhook(body.clone(), Some(&wrong_secret))
            .await?
            .0,
        401
    );
    assert_eq!(market.post_webhook(body.clone(), None).await?.0, 401);
    let (stale_body, stale) = Market::sign_event(&forged, truffle_clock::now_ms() / 1000 - 600);
    assert_eq!(market.post_webhook(stale_body, Some(&stale)).await?.0, 401);
    let (_, good) = Market::sign_event(&forged, truffle_clock::now_ms() / 1000);
    let mut tampered = body.clone();
    let at = tampered
        .windows(6)
        .position(|w| w == b"150000")
        .context("amount")?;
    tampered[at] = b'9';
    assert_eq!(
        market.post_webhook(tampered, Some(&good)).await?.0,
        401,
        "the body was changed after signing"
    );
    // Repeated: an answer sent before the body is read can be lost to a TCP reset.
    let huge = vec![b' '; 70 * 1024];
    for _ in 0..5 {
        assert_eq!(market.post_webhook(huge.clone(), Some(&good)).await?.0, 413);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let view = OrderApiClient::get(&market.rpc, order).await?;
    assert_eq!(view.order.status, OrderStatus::Pending);
    assert!(view.settlements.is_empty(), "{:?}", view.settlements);

    eprintln!("--- the buyer pays: the webhook settles, the item moves in the same block");
    market.sandbox_pay(&checkout_url, None).await?;
    assert_eq!(market.settled(order).await?, OrderStatus::Paid);
    let view = OrderApiClient::get(&market.rpc, order).await?;
    let payment = view.order.payment.clone().context("a payment record")?;
    assert_eq!(
        (
            payment.provider.as_str(),
            payment.payment_key.as_str(),
            payment.amount
        ),
        ("sandbox", payment_key.as_str(), 150_000)
    );
    let item = market.rpc.get_item(items[0]).await?.item;
    assert_eq!(item.owner, buyer.key.public());
    assert_eq!(
        item.owner_since, payment.settled,
        "ownership moved by the settlement itself"
    );
    assert!(matches!(
        view.settlements[0].state,
        SettlementState::Settled { .. }
    ));

    eprintln!("--- replays: the same request, a redelivery, a new event id: settled once");
    let (body, signature, event) = delivered_event(&market, &payment_key).await?;
    let (status, answer) = market.post_webhook(body, Some(&signature)).await?;
    assert_eq!((status, answer["duplicate"].as_bool()), (200, Some(true)));
    let redelivered = market
        .http
        .post(format!(
            "{}/sandbox/payments/{payment_key}/redeliver",
            market.url
        ))
        .send()
        .await?
        .json::<Value>()
        .await?;
    assert_eq!(redelivered["delivered"], true, "{redelivered}");
    let mut renamed = event.clone();
    renamed.event_id = "evt_provider_retry_with_new_id".into();
    let (body, signature) = Market::sign_event(&renamed, truffle_clock::now_ms() / 1000);
    let (status, answer) = market.post_webhook(body, Some(&signature)).await?;
    assert_eq!((status, answer["duplicate"].as_bool()), (200, Some(false)));
    let confirmed = market
        .rpc
        .confirm(buyer.session.clone(), order, payment_key.clone())
        .await?;
    assert_eq!(
        confirmed.order.status,
        OrderStatus::Paid,
        "confirming again changes nothing"
    );
    let deadline = Instant::now() + WAIT;
    while OrderApiClient::get(&market.rpc, order)
        .await?
        .settlements
        .iter()
        .any(|s| s.state == SettlementState::Pending)
    {
        ensure!(Instant::now() < deadline, "settlements still pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(market.applied_settlements(order).await?, 1);

    eprintln!("--- history shows the payment, newest first");
    let history = market.rpc.history(buyer.session.clone(), None).await?;
    assert_eq!(history.total, 1);
    assert_eq!(history.items[0].order, order);
    assert_eq!(history.items[0].status, OrderStatus::Paid);
    let error = market
        .rpc
        .history(
            buyer.session.clone(),
            Some(PageRequest {
                page: Some(0),
                page_size: None,
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&error), truffle_wire::codes::INVALID_PARAMS);

    eprintln!("--- a member cannot refund; an admin's refund cancels at the provider and reverses ownership");
    let refund = |key: &Keypair, nonce: u64| {
        let tx = truffle_ledger::Transaction {
            chain_id: market.chain,
            signer: key.public(),
            nonce,
            payload: Payload::RefundOrder {
                order,
                reason: "고객 변심".into(),
            },
        }
        .sign(key);
        hex::encode(tx.encode())
    };
    let nonce = market.rpc.get_nonce(buyer.key.public()).await?;
    let error = market
        .rpc
        .refund(refund(&buyer.key, nonce), None)
        .await
        .unwrap_err();
    assert_eq!(code(&error), 1009, "{error}");
    assert_eq!(
        sandbox_status(&market, &payment_key).await?,
        PaymentStatus::Done,
        "nothing refunded"
    );
    let admin = dev_keys::admin();
    let nonce = market.rpc.get_nonce(admin.public()).await?;
    let receipt = market
        .rpc
        .refund(refund(&admin, nonce), Some(WAIT.as_millis() as u64))
        .await?;
    assert!(
        matches!(receipt.status, TxStatus::Committed { .. }),
        "{:?}",
        receipt.status
    );
    assert_eq!(receipt.provider_payment.status, PaymentStatus::Canceled);
    assert_eq!(receipt.order.order.status, OrderStatus::Refunded);
    let record = receipt
        .order
        .order
        .refund
        .clone()
        .context("a refund record")?;
    assert!(record.ownership_reversed);
    assert_eq!(
        market.rpc.get_item(items[0]).await?.item.owner,
        seller.public()
    );
    let nonce = market.rpc.get_nonce(admin.public()).await?;
    let error = market
        .rpc
        .refund(refund(&admin, nonce), None)
        .await
        .unwrap_err();
    assert_eq!(
        code(&error),
        5007,
        "a refunded order cannot be refunded again"
    );
    let history = market.rpc.history(buyer.session.clone(), None).await?;
    assert_eq!(history.items[0].status, OrderStatus::Refunded);
    assert!(history.items[0].refund.is_some());

    eprintln!("--- a payment of another amount fails the order: cancelled at the provider and on the ledger");
    let order2 = market.order(&buyer.key, items[1]).await?;
    let checkout = market.rpc.start(buyer.session.clone(), order2).await?;
    let key2 = checkout.payment_key.clone().context("key")?;
    market
        .sandbox_pay(
            checkout.checkout_url.as_deref().context("url")?,
            Some(1_000),
        )
        .await?;
    assert_eq!(market.settled(order2).await?, OrderStatus::Cancelled);
    let view = OrderApiClient::get(&market.rpc, order2).await?;
    assert!(
        view.order
            .closed_reason
            .as_deref()
            .unwrap_or_default()
            .contains("1000 won were paid"),
        "{:?}",
        view.order.closed_reason
    );
    assert!(matches!(
        view.settlements[0].state,
        SettlementState::Failed { .. }
    ));
    wait_sandbox(&market, &key2, PaymentStatus::Canceled).await?;
    let item = market.rpc.get_item(items[1]).await?.item;
    assert_eq!(
        (item.owner, item.lock, item.listing_price),
        (seller.public(), ItemLock::Free, Some(150_000))
    );
    assert_eq!(market.applied_settlements(order2).await?, 0);
    let error = market
        .rpc
        .start(buyer.session.clone(), order2)
        .await
        .unwrap_err();
    assert_eq!(code(&error), 5002, "a failed order cannot be paid");

    eprintln!("--- the CLI: order, pay in the sandbox, show, refund");
    let buyer_key = dir.path().join("buyer.json");
    let admin_key = dir.path().join("admin.json");
    let session_file = dir.path().join("buyer.session");
    truffle_wire::keyfile::write_key_file(&buyer_key, &buyer.key)?;
    truffle_wire::keyfile::write_key_file(&admin_key, &dev_keys::admin())?;
    std::fs::write(&session_file, &buyer.session)?;
    let cli = |args: &[&str]| -> anyhow::Result<Value> {
        let output = std::process::Command::new(truffle_binary()?)
            .args(args)
            .args(["--rpc", &market.url, "--output", "json"])
            .output()?;
        ensure!(output.status.success(), "truffle {args:?}: {output:?}");
        Ok(serde_json::from_slice(&output.stdout)?)
    };
    let path = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let created = cli(&[
        "order",
        "create",
        &items[2].to_string(),
        "--key",
        &path(&buyer_key),
    ])?;
    let order3 = created["status"]["effect"]["order"]
        .as_u64()
        .context("order id")?;
    let paid = cli(&[
        "order",
        "pay",
        &order3.to_string(),
        "--session-file",
        &path(&session_file),
    ])?;
    assert_eq!(paid["status"], "paid", "{paid}");
    let shown = cli(&["order", "show", &order3.to_string()])?;
    assert_eq!(shown["payment"]["provider"], "sandbox");
    let refunded = cli(&[
        "order",
        "refund",
        &order3.to_string(),
        "--reason",
        "불량",
        "--key",
        &path(&admin_key),
    ])?;
    assert_eq!(refunded["order"]["status"], "refunded", "{refunded}");
    assert_eq!(refunded["provider_payment"]["status"], "CANCELED");
    let history = cli(&["order", "history", "--session-file", &path(&session_file)])?;
    assert_eq!(history["total"], 3);
    assert_eq!(history["items"][0]["order"], order3, "newest first");
    Ok(())
}

/// An unpaid raffle prize expires to the runner-up; the winner's late payment is
/// refunded; an unpaid prize without runners-up goes back to the seller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaid_prizes_expire_to_the_runner_up_and_late_payments_are_refunded() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let args = sms.start(dir.path()).await?;
    let node = start_node(dir.path(), &args, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let mut market = Market::new(&node.rpc_url, sms, 7200).await?;
    let seller = market.seller().await?;
    let items = market.product(&seller, 2, 99_000, false).await?;
    let first = market.signup("first").await?;
    let second = market.signup("second").await?;
    let lone = Keypair::generate();
    market.register(&[&lone], 1990).await?;

    eprintln!("--- two raffles with a 60 s payment window; entry by time, drawn by the leader");
    let secret = Hash::of(b"expiry secret");
    let now = truffle_clock::now_ms();
    let spec = |item: u64, runners_up: u32| RaffleSpec {
        items: vec![item],
        // The dev chain's shortest entry window is 30 s (`min_raffle_entry_ms`).
        window: EntryWindow::Times {
            opens_ms: now - 1_000,
            closes_ms: now + 33_000,
        },
        price: 99_000,
        runners_up,
        min_age: None,
        seed_commitment: truffle_ledger::tx::raffle_commitment(&secret),
        reveal_blocks: 50,
        payment_window_ms: 60_000,
    };
    let raffle = |effect: Effect| match effect {
        Effect::RaffleCreated { raffle } => Ok(raffle),
        other => Err(anyhow::anyhow!("unexpected {other:?}")),
    };
    let with_runner = raffle(
        market
            .apply(&seller, Payload::CreateRaffle(spec(items[0], 1)))
            .await?,
    )?;
    let alone = raffle(
        market
            .apply(&seller, Payload::CreateRaffle(spec(items[1], 0)))
            .await?,
    )?;
    market
        .apply(
            &first.key,
            Payload::EnterRaffle {
                raffle: with_runner,
            },
        )
        .await?;
    market
        .apply(
            &second.key,
            Payload::EnterRaffle {
                raffle: with_runner,
            },
        )
        .await?;
    market
        .apply(&lone, Payload::EnterRaffle { raffle: alone })
        .await?;
    for raffle in [with_runner, alone] {
        market
            .wait_raffle(raffle, RaffleStatus::Closed, None)
            .await?;
        market
            .apply(&seller, Payload::RevealRaffleSecret { raffle, secret })
            .await?;
        market
            .wait_raffle(raffle, RaffleStatus::Drawn, None)
            .await?;
    }
    let result = market.rpc.result(with_runner).await?;
    let recorded = result.recorded.clone().context("drawn")?;
    let (winner, runner) = if recorded.winners[0] == first.key.public() {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert_eq!(recorded.runners_up, vec![runner.key.public()]);
    let history = market.rpc.history(winner.session.clone(), None).await?;
    let won = history.items[0].order;
    assert_eq!(history.items[0].status, OrderStatus::Pending);
    let lone_order = market.rpc.get_item(items[1]).await?.item.lock;
    let ItemLock::Order(lone_order) = lone_order else {
        bail!("the lone winner's prize is not reserved: {lone_order:?}");
    };

    eprintln!("--- the winner opens a checkout but does not pay; after 60 s both orders expire");
    let checkout = market.rpc.start(winner.session.clone(), won).await?;
    let late_key = checkout.payment_key.clone().context("key")?;
    let deadline = Instant::now() + Duration::from_secs(60) + WAIT;
    loop {
        let a = OrderApiClient::get(&market.rpc, won).await?.order.status;
        let b = OrderApiClient::get(&market.rpc, lone_order)
            .await?
            .order
            .status;
        if a == OrderStatus::Expired && b == OrderStatus::Expired {
            break;
        }
        ensure!(Instant::now() < deadline, "orders not expired: {a:?} {b:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let lone_item = market.rpc.get_item(items[1]).await?.item;
    assert_eq!(
        (lone_item.owner, lone_item.lock),
        (seller.public(), ItemLock::Free),
        "back to the seller"
    );
    let error = market
        .rpc
        .start(winner.session.clone(), won)
        .await
        .unwrap_err();
    assert_eq!(code(&error), 5002);

    eprintln!("--- the prize passed to the runner-up; the winner's late payment is refunded");
    let runner_history = market.rpc.history(runner.session.clone(), None).await?;
    let passed = runner_history.items[0].order;
    assert_eq!(runner_history.items[0].status, OrderStatus::Pending);
    assert_eq!(
        market.rpc.get_item(items[0]).await?.item.lock,
        ItemLock::Order(passed)
    );
    market
        .sandbox_pay(checkout.checkout_url.as_deref().context("url")?, None)
        .await?;
    wait_sandbox(&market, &late_key, PaymentStatus::Canceled).await?;
    let view = OrderApiClient::get(&market.rpc, won).await?;
    assert_eq!(view.order.status, OrderStatus::Expired);
    assert!(
        matches!(view.settlements[0].state, SettlementState::Refunded { .. }),
        "{:?}",
        view.settlements
    );

    eprintln!("--- the runner-up pays and gets the piece");
    let checkout = market.rpc.start(runner.session.clone(), passed).await?;
    market
        .sandbox_pay(checkout.checkout_url.as_deref().context("url")?, None)
        .await?;
    assert_eq!(market.settled(passed).await?, OrderStatus::Paid);
    assert_eq!(
        market.rpc.get_item(items[0]).await?.item.owner,
        runner.key.public()
    );
    assert_eq!(market.applied_settlements(won).await?, 0);
    Ok(())
}

/// The sandbox confirms and the webhook is acknowledged (the event is in the outbox),
/// then the node is SIGKILLed before settling. After the restart the order settles,
/// exactly once, and replays change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_confirmation_and_settlement_settles_exactly_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let args = sms.start(dir.path()).await?;
    let mut held = args.clone();
    held.extend(["--payments.settle-delay-ms".into(), "600000".into()]);
    let mut node = start_node(dir.path(), &held, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let mut market = Market::new(&node.rpc_url, sms, 7300).await?;
    let seller = market.seller().await?;
    let items = market.product(&seller, 1, 42_000, true).await?;
    let buyer = market.signup("crash").await?;
    let order = market.order(&buyer.key, items[0]).await?;
    let checkout = market.rpc.start(buyer.session.clone(), order).await?;
    let payment_key = checkout.payment_key.clone().context("key")?;

    eprintln!("--- paid and acknowledged, held before settlement");
    market
        .sandbox_pay(checkout.checkout_url.as_deref().context("url")?, None)
        .await?;
    let (body, signature, event) = delivered_event(&market, &payment_key).await?;
    let view = OrderApiClient::get(&market.rpc, order).await?;
    assert_eq!(view.order.status, OrderStatus::Pending);
    assert_eq!(view.settlements.len(), 1);
    assert_eq!(view.settlements[0].state, SettlementState::Pending);

    eprintln!("--- SIGKILL, restart without the hold");
    node.kill();
    let node = start_node(dir.path(), &args, "node-restarted.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    market.reconnect(&node.rpc_url)?;
    assert_eq!(market.settled(order).await?, OrderStatus::Paid);
    assert_eq!(
        market.rpc.get_item(items[0]).await?.item.owner,
        buyer.key.public()
    );

    eprintln!("--- replays after the restart: duplicates, and still one settlement");
    let (status, answer) = market.post_webhook(body, Some(&signature)).await?;
    assert_eq!((status, answer["duplicate"].as_bool()), (200, Some(true)));
    let mut renamed = event;
    renamed.event_id = format!("{}-retry", renamed.event_id);
    let (body, signature) = Market::sign_event(&renamed, truffle_clock::now_ms() / 1000);
    assert_eq!(market.post_webhook(body, Some(&signature)).await?.0, 200);
    let deadline = Instant::now() + WAIT;
    loop {
        let view = OrderApiClient::get(&market.rpc, order).await?;
        if view.settlements.len() == 2 && view.settlements.iter().all(|s| s.state.is_final()) {
            assert!(view
                .settlements
                .iter()
                .all(|s| matches!(s.state, SettlementState::Settled { .. })));
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "settlements: {:?}",
            view.settlements
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(market.applied_settlements(order).await?, 1);
    assert_eq!(
        sandbox_status(&market, &payment_key).await?,
        PaymentStatus::Done,
        "not refunded"
    );
    Ok(())
}

/// Three validators; two buyers order the last piece at the same moment through
/// different nodes: exactly one order is taken, that buyer pays and owns it everywhere,
/// the other can neither pay that order nor order the piece, and is never charged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_buyers_race_for_the_last_piece_on_a_cluster() -> anyhow::Result<()> {
    let keys = tempfile::tempdir()?;
    let sms = Sms::default();
    let mut extra = sms.start(keys.path()).await?;
    extra.extend([
        "--payments.provider".into(),
        "sandbox".into(),
        "--payments.allow-sandbox".into(),
    ]);
    let cluster = Cluster::start(TestnetOptions {
        extra_args: extra,
        ..TestnetOptions::default()
    })
    .await?;
    let mut market = Market::new(&cluster.net.rpc_url(0), sms, 7400).await?;
    market.registrar = cluster.net.key(0).clone();
    market.admin = cluster.net.admin.clone();
    let seller = market.seller().await?;
    let items = market.product(&seller, 1, 310_000, true).await?;
    let a = market.signup("racer.a").await?;
    let b = market.signup("racer.b").await?;
    cluster.wait_converged(&[0, 1, 2], WAIT).await?;

    eprintln!("--- both order the last piece at once, through nodes 0 and 1");
    let last_piece = items[0];
    let sign = |key: &Keypair, rpc: HttpClient| {
        let chain = market.chain;
        let key = key.clone();
        async move {
            let mut wallet = Wallet::new(&rpc, key).await?;
            let tx = wallet.sign(chain, Payload::CreateOrder { item: last_piece });
            anyhow::Ok(
                rpc.submit_and_wait(tx, Some(WAIT.as_millis() as u64))
                    .await?,
            )
        }
    };
    let (first, second) = tokio::join!(
        sign(&a.key, cluster.client(0)),
        sign(&b.key, cluster.client(1))
    );
    let outcomes = [(&a, 0usize, first?), (&b, 1usize, second?)];
    let taken: Vec<_> = outcomes
        .iter()
        .filter(|(_, _, s)| matches!(s, TxStatus::Committed { .. }))
        .collect();
    assert_eq!(taken.len(), 1, "exactly one order: {outcomes:?}");
    let (winner, node, status) = taken[0];
    let TxStatus::Committed {
        effect: Effect::OrderCreated { order },
        ..
    } = status
    else {
        bail!("unexpected {status:?}");
    };
    let order = *order;
    let (loser, _, refused) = outcomes
        .iter()
        .find(|(_, _, s)| !matches!(s, TxStatus::Committed { .. }))
        .context("a loser")?;
    assert!(
        matches!(
            refused,
            TxStatus::Rejected {
                rejection: Rejection::ItemLocked { .. } | Rejection::NotListed { .. },
                ..
            }
        ),
        "{refused:?}"
    );

    eprintln!("--- the winner pays through its node's provider; every node sees the sale");
    market.reconnect(&cluster.net.rpc_url(*node))?;
    let error = market
        .rpc
        .start(loser.session.clone(), order)
        .await
        .unwrap_err();
    assert_eq!(
        code(&error),
        5001,
        "the loser cannot pay the winner's order"
    );
    let checkout = market.rpc.start(winner.session.clone(), order).await?;
    market
        .sandbox_pay(checkout.checkout_url.as_deref().context("url")?, None)
        .await?;
    assert_eq!(market.settled(order).await?, OrderStatus::Paid);
    for index in 0..3 {
        let rpc = cluster.client(index);
        let deadline = Instant::now() + WAIT;
        loop {
            let item = rpc.get_item(items[0]).await?.item;
            if item.owner == winner.key.public() {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "node {index} does not show the sale"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let sold = market.rpc.get_item(items[0]).await?.item;
    assert_eq!(
        (sold.lock, sold.listing_price),
        (ItemLock::Free, None),
        "no longer for sale"
    );
    let loser_history = market.rpc.history(loser.session.clone(), None).await?;
    assert_eq!(
        loser_history.total, 0,
        "the loser has no order and was never charged"
    );
    assert_eq!(market.applied_settlements(order).await?, 1);
    Ok(())
}
