//! Buyers' refund requests (issue 24) against a real node and its sandbox provider: the
//! buyer asks, the seller refuses one and approves another, the node's operator refunds
//! the approved payment at the provider and records it on the ledger, once.

use std::time::Duration;

use anyhow::Context;
use truffle_ledger::types::{ItemLock, OrderStatus, RefundRequestStatus};
use truffle_ledger::{Payload, Rejection};
use truffle_wire::api::{ChainApiClient, OrderApiClient, PaymentApiClient, ProductApiClient};

use crate::payments::{start_node, Market, Sms};

/// Applied `refund_order` transactions for `order` in every block so far.
async fn applied_refunds(market: &Market, order: u64) -> anyhow::Result<usize> {
    let head = market.rpc.get_header(None).await?.header.height;
    let mut count = 0;
    for height in 1..=head {
        let block = market.rpc.get_block(Some(height)).await?;
        for (tx, receipt) in block.transactions.iter().zip(&block.receipts) {
            if let Payload::RefundOrder {
                order: refunded, ..
            } = tx.payload
            {
                if refunded == order
                    && matches!(receipt.outcome, truffle_ledger::Outcome::Applied { .. })
                {
                    count += 1;
                }
            }
        }
    }
    Ok(count)
}

fn decide(order: u64, approve: bool, note: &str) -> Payload {
    Payload::DecideRefund {
        order,
        approve,
        note: note.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requested_refund_is_decided_and_paid_back_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let args = sms.start(dir.path()).await?;
    let node = start_node(dir.path(), &args, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let mut market = Market::new(&node.rpc_url, sms, 7400).await?;

    eprintln!("--- a buyer pays for two pieces");
    let seller = market.seller().await?;
    let items = market.product(&seller, 2, 120_000, true).await?;
    let buyer = market.signup("refunder").await?;
    let bystander = market.signup("bystander").await?;
    let mut paid = Vec::new();
    for item in &items {
        let order = market.order(&buyer.key, *item).await?;
        let checkout = market.rpc.start(buyer.session.clone(), order).await?;
        let payment_key = checkout.payment_key.clone().context("a payment key")?;
        let url = checkout.checkout_url.clone().context("a checkout page")?;
        market.sandbox_pay(&url, None).await?;
        assert_eq!(market.settled(order).await?, OrderStatus::Paid);
        paid.push((order, payment_key));
    }
    let [(approved, approved_key), (refused, refused_key)] = <[_; 2]>::try_from(paid).unwrap();

    eprintln!("--- the buyer asks for both refunds; the pieces are held");
    for (order, reason) in [(approved, "박스가 찢어져 왔어요"), (refused, "변심")] {
        market
            .apply(
                &buyer.key,
                Payload::RequestRefund {
                    order,
                    reason: reason.into(),
                },
            )
            .await?;
    }
    let open = market.rpc.open_refunds(None).await?;
    assert_eq!(
        open.items.iter().map(|o| o.order.id).collect::<Vec<_>>(),
        vec![approved, refused]
    );
    let item = market.rpc.get_item(items[0]).await?.item;
    assert_eq!(item.lock, ItemLock::Refund(approved));
    let rejection = market
        .refuse(&bystander.key, decide(approved, true, ""))
        .await?;
    assert!(
        matches!(rejection, Rejection::Unauthorized { .. }),
        "{rejection}"
    );

    eprintln!("--- the seller refuses one: nothing moves, the piece is free again");
    market
        .apply(&seller, decide(refused, false, "한정판은 교환만 됩니다"))
        .await?;
    let view = OrderApiClient::get(&market.rpc, refused).await?;
    let request = view.refund_request.context("a refund request")?;
    assert_eq!(request.status, RefundRequestStatus::Refused);
    assert_eq!(request.note.as_deref(), Some("한정판은 교환만 됩니다"));
    assert_eq!(view.order.status, OrderStatus::Paid);
    assert_eq!(
        market.rpc.get_item(items[1]).await?.item.lock,
        ItemLock::Free
    );

    eprintln!("--- the seller approves the other: the operator refunds it at the provider, then on the ledger");
    market
        .apply(&seller, decide(approved, true, "죄송합니다"))
        .await?;
    assert_eq!(
        market
            .wait_order(approved, |s| s == OrderStatus::Refunded)
            .await?,
        OrderStatus::Refunded
    );
    let view = OrderApiClient::get(&market.rpc, approved).await?;
    let request = view.refund_request.context("a refund request")?;
    assert_eq!(request.status, RefundRequestStatus::Refunded);
    assert_eq!(request.decided_by, Some(seller.public()));
    let record = view.order.refund.context("a refund record")?;
    assert!(record.ownership_reversed);
    assert_eq!(record.amount, 120_000);
    assert_eq!(
        market.rpc.get_item(items[0]).await?.item.owner,
        seller.public()
    );

    eprintln!("--- once: one cancel at the provider, one refund on the ledger, rounds later");
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let sandbox = market.sandbox_record(&approved_key).await?;
    assert_eq!(sandbox["payment"]["status"], "CANCELED", "{sandbox}");
    assert_eq!(
        sandbox["payment"]["cancels"].as_array().map(Vec::len),
        Some(1),
        "{sandbox}"
    );
    assert_eq!(applied_refunds(&market, approved).await?, 1);
    let untouched = market.sandbox_record(&refused_key).await?;
    assert_eq!(untouched["payment"]["status"], "DONE", "{untouched}");
    assert_eq!(applied_refunds(&market, refused).await?, 0);
    assert!(market.rpc.open_refunds(None).await?.items.is_empty());
    let rejection = market
        .refuse(
            &buyer.key,
            Payload::RequestRefund {
                order: refused,
                reason: "다시".into(),
            },
        )
        .await?;
    assert!(
        matches!(rejection, Rejection::OrderRule { .. }),
        "one request per order: {rejection}"
    );
    Ok(())
}
