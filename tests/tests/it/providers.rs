//! PortOne V2 and Toss Payments through a real node process, against the local fakes of
//! `truffle_payments::fakes` (real HTTP on 127.0.0.1): the node fetches and checks every
//! payment with the provider before settling, cancels a payment of the wrong amount,
//! refuses forged webhooks and deposit callbacks, and refunds through the provider.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use serde_json::Value;
use truffle_genesis::dev_keys;
use truffle_ledger::types::OrderStatus;
use truffle_ledger::Payload;
use truffle_payments::fakes::{FakePortOne, FakeToss};
use truffle_payments::standard_webhooks::{self, WebhookSecret};
use truffle_wire::api::{AccountApiClient, OrderApiClient, PaymentApiClient};
use truffle_wire::chain::TxStatus;

use crate::payments::{start_node, Market, Sms, WAIT};

/// The SMS gateway's flags without the sandbox's webhook secret.
async fn member_args(sms: &Sms, dir: &Path) -> anyhow::Result<Vec<String>> {
    let args = sms.start(dir).await?;
    let mut kept = Vec::new();
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
        } else if arg == "--payments.webhook-secret-file" {
            skip = true;
        } else {
            kept.push(arg);
        }
    }
    Ok(kept)
}

fn write(dir: &Path, name: &str, text: &str) -> anyhow::Result<String> {
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path.display().to_string())
}

/// An admin's signed refund of `order`, hex.
async fn refund_tx(market: &Market, order: u64) -> anyhow::Result<String> {
    let admin = dev_keys::admin();
    let nonce = market.rpc.get_nonce(admin.public()).await?;
    let tx = truffle_ledger::Transaction {
        chain_id: market.chain,
        signer: admin.public(),
        nonce,
        payload: Payload::RefundOrder {
            order,
            reason: "고객 변심".into(),
        },
    }
    .sign(&admin);
    Ok(hex::encode(tx.encode()))
}

async fn post_raw(
    market: &Market,
    headers: &[(&str, String)],
    body: &str,
) -> anyhow::Result<(u16, Value)> {
    let mut request = market
        .http
        .post(format!("{}/payments/webhook", market.url))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

async fn wait_for(mut done: impl FnMut() -> bool, what: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + WAIT;
    while !done() {
        ensure!(
            Instant::now() < deadline,
            "{what} did not happen in {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portone_settles_from_verified_webhooks_and_refunds_through_its_api() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let mut args = member_args(&sms, dir.path()).await?;
    let old = WebhookSecret::from_bytes(b"portone webhook key, old".to_vec());
    let new = WebhookSecret::from_bytes(b"portone webhook key, new".to_vec());
    let fake = FakePortOne::start("portone-api-secret", "store-test", old.clone()).await?;
    args.extend([
        "--payments.provider".into(),
        "portone".into(),
        "--payments.base-url".into(),
        fake.url.clone(),
        "--payments.sdk-url".into(),
        format!("{}/v2/browser-sdk.js", fake.url),
        "--payments.store-id".into(),
        "store-test".into(),
        "--payments.channel-key".into(),
        "channel-test".into(),
        "--payments.secret-key-file".into(),
        write(dir.path(), "portone.key", "portone-api-secret")?,
        "--payments.webhook-secret-file".into(),
        // Rotation: the node holds the new secret and the old one the fake still uses.
        write(
            dir.path(),
            "portone.whsec",
            &format!("{}\n{}\n", new.to_text(), old.to_text()),
        )?,
    ]);
    let node = start_node(dir.path(), &args, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    fake.set_webhook_url(&format!("{}/payments/webhook", node.rpc_url));
    let mut market = Market::new(&node.rpc_url, sms, 7700).await?;
    let seller = market.seller().await?;
    let items = market.product(&seller, 2, 150_000, true).await?;
    let buyer = market.signup("portone.buyer").await?;

    eprintln!("--- the checkout is the SDK's requestPayment; the page may load the SDK");
    let order = market.order(&buyer.key, items[0]).await?;
    let checkout = market.rpc.start(buyer.session.clone(), order).await?;
    let widget = checkout.widget.clone().context("SDK parameters")?;
    assert_eq!(checkout.provider, "portone");
    assert_eq!(widget["sdk"], "portone");
    assert_eq!(widget["paymentId"], checkout.order_id.as_str());
    assert_eq!(widget["totalAmount"], 150_000);
    assert_eq!(widget["storeId"], "store-test");
    let page = market.http.get(format!("{}/", market.url)).send().await?;
    let policy = page.headers()["content-security-policy"]
        .to_str()?
        .to_owned();
    assert!(
        policy.contains(&format!("script-src 'self' {}", fake.url)),
        "{policy}"
    );

    eprintln!("--- a webhook signed with another secret is refused; an unknown type is ignored");
    let (id, timestamp, _, body) = fake.signed_webhook("Transaction.Paid", &checkout.order_id);
    let forged = standard_webhooks::sign(
        &WebhookSecret::from_bytes(b"a guess".to_vec()),
        &id,
        timestamp,
        body.as_bytes(),
    );
    let headers = [
        (standard_webhooks::ID_HEADER, id.clone()),
        (standard_webhooks::TIMESTAMP_HEADER, timestamp.to_string()),
        (standard_webhooks::SIGNATURE_HEADER, forged),
    ];
    assert_eq!(post_raw(&market, &headers, &body).await?.0, 401);
    assert_eq!(
        fake.send_webhook("BillingKey.Issued", &checkout.order_id)
            .await,
        Ok(200)
    );

    eprintln!("--- paid at PortOne: the webhook settles it once, however often it comes");
    fake.pay(&checkout.order_id, 150_000);
    assert_eq!(
        fake.send_webhook("Transaction.Paid", &checkout.order_id)
            .await,
        Ok(200)
    );
    assert_eq!(market.settled(order).await?, OrderStatus::Paid);
    assert_eq!(
        fake.send_webhook("Transaction.Paid", &checkout.order_id)
            .await,
        Ok(200)
    );
    let confirmed = market
        .rpc
        .confirm(buyer.session.clone(), order, checkout.order_id.clone())
        .await?;
    assert_eq!(confirmed.order.status, OrderStatus::Paid);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(market.applied_settlements(order).await?, 1);
    let fetched = fake.seen();
    assert!(fetched
        .iter()
        .all(|s| s.authorization == "PortOne portone-api-secret"));

    eprintln!("--- another order paid with too little: cancelled at PortOne, the order fails");
    let short = market.order(&buyer.key, items[1]).await?;
    let short_checkout = market.rpc.start(buyer.session.clone(), short).await?;
    fake.pay(&short_checkout.order_id, 1_000);
    assert_eq!(
        fake.send_webhook("Transaction.Paid", &short_checkout.order_id)
            .await,
        Ok(200)
    );
    assert_eq!(market.settled(short).await?, OrderStatus::Cancelled);
    let id = short_checkout.order_id.clone();
    wait_for(
        || {
            fake.payment(&id)
                .is_some_and(|p| p["status"] == "CANCELLED")
        },
        "the short payment's cancellation",
    )
    .await?;

    eprintln!("--- a refund cancels the payment at PortOne");
    let receipt = market
        .rpc
        .refund(
            refund_tx(&market, order).await?,
            Some(WAIT.as_millis() as u64),
        )
        .await?;
    assert!(
        matches!(receipt.status, TxStatus::Committed { .. }),
        "{:?}",
        receipt.status
    );
    assert_eq!(receipt.order.order.status, OrderStatus::Refunded);
    let payment = fake.payment(&checkout.order_id).context("the payment")?;
    assert_eq!(payment["status"], "CANCELLED");
    let cancel = fake
        .seen()
        .into_iter()
        .find(|s| s.path == format!("/payments/{}/cancel", checkout.order_id))
        .context("a cancel call")?;
    assert_eq!(
        cancel.idempotency_key,
        format!("refund-{}", checkout.order_id)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toss_confirms_widget_payments_and_deposits_need_their_secret() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let mut args = member_args(&sms, dir.path()).await?;
    let fake = FakeToss::start("test_sk_fake", "test_ck_fake").await?;
    args.extend([
        "--payments.provider".into(),
        "toss".into(),
        "--payments.base-url".into(),
        fake.url.clone(),
        "--payments.sdk-url".into(),
        format!("{}/v1/payment-widget", fake.url),
        "--payments.client-key".into(),
        "test_ck_fake".into(),
        "--payments.secret-key-file".into(),
        write(dir.path(), "toss.key", "test_sk_fake")?,
    ]);
    let node = start_node(dir.path(), &args, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    fake.set_webhook_url(&format!("{}/payments/webhook", node.rpc_url));
    let mut market = Market::new(&node.rpc_url, sms, 7800).await?;
    let seller = market.seller().await?;
    let items = market.product(&seller, 3, 150_000, true).await?;
    let buyer = market.signup("toss.buyer").await?;

    eprintln!("--- the widget authorizes; the success page's payment_confirm settles");
    let order = market.order(&buyer.key, items[0]).await?;
    let checkout = market.rpc.start(buyer.session.clone(), order).await?;
    let widget = checkout.widget.clone().context("widget parameters")?;
    assert_eq!(
        (widget["sdk"].as_str(), widget["clientKey"].as_str()),
        (Some("toss"), Some("test_ck_fake"))
    );
    let key = fake.authorize(&checkout.order_id, 150_000);
    let confirmed = market
        .rpc
        .confirm(buyer.session.clone(), order, key.clone())
        .await?;
    assert_eq!(confirmed.order.status, OrderStatus::Paid);
    let call = fake
        .seen()
        .into_iter()
        .find(|s| s.path == "/v1/payments/confirm")
        .context("a confirm call")?;
    // Basic base64("test_sk_fake:")
    assert_eq!(call.authorization, "Basic dGVzdF9za19mYWtlOg==");
    assert_eq!(call.idempotency_key, format!("confirm-{key}"));
    assert_eq!(call.body["amount"], 150_000);
    // Toss then tells of the change; the node fetches it and finds it settled.
    assert_eq!(fake.status_changed(&key, None).await, Ok(200));

    eprintln!("--- an authorization for another amount is cancelled and the order fails");
    let short = market.order(&buyer.key, items[1]).await?;
    let short_checkout = market.rpc.start(buyer.session.clone(), short).await?;
    let short_key = fake.authorize(&short_checkout.order_id, 1_000);
    assert!(market
        .rpc
        .confirm(buyer.session.clone(), short, short_key.clone())
        .await
        .is_err());
    assert_eq!(market.settled(short).await?, OrderStatus::Cancelled);
    assert_eq!(
        fake.payment(&short_key).context("payment")?["status"],
        "CANCELED"
    );

    eprintln!("--- a virtual account: paid only when Toss says so, and a forged deposit callback is refused");
    let deposit = market.order(&buyer.key, items[2]).await?;
    let deposit_checkout = market.rpc.start(buyer.session.clone(), deposit).await?;
    let account = fake.issue_virtual_account(&deposit_checkout.order_id, 150_000);
    assert!(market
        .rpc
        .confirm(buyer.session.clone(), deposit, account.clone())
        .await
        .is_err());
    assert_eq!(fake.deposit(&account, Some("ps_a_guess")).await, Ok(401));
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The fake now holds the deposit as DONE, but a forged callback settled nothing;
    // the real callback (with the payment's secret) does.
    assert_eq!(
        OrderApiClient::get(&market.rpc, deposit)
            .await?
            .order
            .status,
        OrderStatus::Pending
    );
    assert_eq!(fake.deposit(&account, None).await, Ok(200));
    assert_eq!(market.settled(deposit).await?, OrderStatus::Paid);

    eprintln!("--- a refund cancels at Toss");
    let receipt = market
        .rpc
        .refund(
            refund_tx(&market, order).await?,
            Some(WAIT.as_millis() as u64),
        )
        .await?;
    assert_eq!(receipt.order.order.status, OrderStatus::Refunded);
    assert_eq!(fake.payment(&key).context("payment")?["status"], "CANCELED");
    Ok(())
}
