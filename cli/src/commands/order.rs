//! `truffle order ...`: orders of listed pieces and raffle prizes, paid through the node's
//! payment provider (checkout, confirmation, refunds, history).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Subcommand;
use serde_json::json;
use truffle_ledger::types::OrderStatus;
use truffle_ledger::Payload;
use truffle_wire::api::{OrderApiClient, PaymentApiClient, SystemApiClient};
use truffle_wire::keyfile::read_key_file;

use crate::client::{connect, explain};
use crate::common_args::{RpcArgs, SessionArgs};
use crate::output::{describe, print};

use super::market::{page, read_session, submit};

/// `truffle order ...`
#[derive(Debug, Subcommand)]
pub(crate) enum OrderCommand {
    /// Order a listed piece at its asking price (signed by the buyer).
    Create {
        /// Item id.
        item: u64,
        /// Key file of the buyer.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// An order and its payment.
    Show {
        /// Order id.
        id: u64,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Pay an order of mine. With the sandbox provider the payment is made at once and
    /// the command waits until it is settled; with a real gateway it prints the
    /// checkout parameters.
    Pay {
        /// Order id.
        id: u64,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Confirm a payment made in the provider's widget (its payment key).
    Confirm {
        /// Order id.
        id: u64,
        /// The payment key the provider returned.
        #[arg(long = "payment-key")]
        payment_key: String,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Refund a paid order (signed by an admin or operator): the provider gives the
    /// money back, then the ledger records the refund and returns the piece to the
    /// seller if the buyer still holds it.
    Refund {
        /// Order id.
        id: u64,
        /// Why.
        #[arg(long, default_value = "refund requested")]
        reason: String,
        /// Key file of the admin.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Ask for a refund of a paid order of mine, with a reason (signed by the buyer;
    /// once per order). The seller or an admin decides with `order decide-refund`.
    RequestRefund {
        /// Order id.
        id: u64,
        /// Why (shown to the seller and the admins).
        #[arg(long)]
        reason: String,
        /// Key file of the buyer.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Approve or refuse a buyer's refund request (signed by the order's seller or an
    /// admin). An approval is carried out by the node: the provider refunds the payment,
    /// then the ledger records it.
    DecideRefund {
        /// Order id.
        id: u64,
        /// Refuse instead of approving.
        #[arg(long)]
        refuse: bool,
        /// A note to the buyer.
        #[arg(long, default_value = "")]
        note: String,
        /// Key file of the seller or admin.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// The open refund requests (waiting for a decision, or approved and being refunded).
    OpenRefunds {
        /// Page, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// My orders, payments and refunds, newest first (needs `truffle account login`).
    History {
        /// Page, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
}

/// Runs `truffle order ...`.
pub(crate) async fn run_order(command: OrderCommand) -> anyhow::Result<()> {
    match command {
        OrderCommand::Create { item, key, rpc } => {
            submit(&rpc, &key, Payload::CreateOrder { item }).await?;
        }
        OrderCommand::Show { id, rpc } => {
            let client = connect(&rpc.rpc)?;
            let order = OrderApiClient::get(&client, id)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &order, || {
                let mut text = format!(
                    "order {} — item {} for {} won, {:?}; buyer {}, seller {}",
                    order.order.id,
                    order.order.item,
                    order.order.amount,
                    order.order.status,
                    order.order.buyer,
                    order.order.seller
                );
                if let Some(payment) = &order.order.payment {
                    text.push_str(&format!(
                        "\n  paid via {} ({}) in block {}",
                        payment.provider, payment.payment_key, payment.settled.height
                    ));
                }
                if let Some(refund) = &order.order.refund {
                    text.push_str(&format!(
                        "\n  refunded {} won in block {}: {} (ownership reversed: {})",
                        refund.amount,
                        refund.refunded.height,
                        refund.reason,
                        refund.ownership_reversed
                    ));
                }
                if let Some(reason) = &order.order.closed_reason {
                    text.push_str(&format!("\n  closed: {reason}"));
                }
                text
            });
        }
        OrderCommand::Pay { id, session } => {
            let token = read_session(&session)?;
            let url = &session.rpc.rpc;
            let client = connect(url)?;
            let checkout = client.start(token, id).await.map_err(|e| explain(e, url))?;
            let Some(checkout_url) = checkout.checkout_url.clone() else {
                print(session.rpc.output, &checkout, || {
                    format!(
                        "pay {} won in the {} widget with these parameters, then run `truffle order confirm {id} --payment-key KEY`:\n{}",
                        checkout.amount,
                        checkout.provider,
                        serde_json::to_string_pretty(&checkout.widget).expect("serializes")
                    )
                });
                return Ok(());
            };
            if checkout.status.is_some_and(|s| s.is_paid()) {
                eprintln!("order {id} is already paid at the provider; waiting for settlement");
            } else {
                let response = reqwest::Client::new()
                    .post(format!("{checkout_url}/pay"))
                    .json(&json!({}))
                    .send()
                    .await
                    .with_context(|| format!("cannot reach the sandbox checkout {checkout_url}"))?;
                if !response.status().is_success() {
                    bail!(
                        "the sandbox refused the payment: {}",
                        response.text().await.unwrap_or_default()
                    );
                }
            }
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let order = OrderApiClient::get(&client, id)
                    .await
                    .map_err(|e| explain(e, url))?;
                if order.order.status != OrderStatus::Pending || Instant::now() > deadline {
                    print(session.rpc.output, &order, || {
                        format!(
                            "order {id}: {:?}{}",
                            order.order.status,
                            order
                                .order
                                .closed_reason
                                .as_ref()
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        )
                    });
                    if order.order.status != OrderStatus::Paid {
                        bail!("order {id} is {:?}, not paid", order.order.status);
                    }
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        OrderCommand::Confirm {
            id,
            payment_key,
            session,
        } => {
            let token = read_session(&session)?;
            let client = connect(&session.rpc.rpc)?;
            let order = client
                .confirm(token, id, payment_key)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            print(session.rpc.output, &order, || {
                format!("order {id}: {:?}", order.order.status)
            });
        }
        OrderCommand::Refund {
            id,
            reason,
            key,
            rpc,
        } => {
            let key = read_key_file(&key)?;
            let client = connect(&rpc.rpc)?;
            let version = client.version().await.map_err(|e| explain(e, &rpc.rpc))?;
            let nonce = truffle_wire::api::AccountApiClient::get_nonce(&client, key.public())
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            let payload = Payload::RefundOrder { order: id, reason };
            payload
                .validate_static()
                .map_err(|e| anyhow::anyhow!("the refund is invalid: {e}"))?;
            let tx = truffle_ledger::Transaction {
                chain_id: version.chain_id,
                signer: key.public(),
                nonce,
                payload,
            }
            .sign(&key);
            let receipt = client
                .refund(hex::encode(tx.encode()), Some(30_000))
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &receipt, || {
                format!(
                    "{}: {}; order {} is {:?}, provider payment {}",
                    receipt.hash,
                    describe(&receipt.status),
                    id,
                    receipt.order.order.status,
                    receipt.provider_payment.status.as_str()
                )
            });
        }
        OrderCommand::RequestRefund {
            id,
            reason,
            key,
            rpc,
        } => {
            submit(&rpc, &key, Payload::RequestRefund { order: id, reason }).await?;
        }
        OrderCommand::DecideRefund {
            id,
            refuse,
            note,
            key,
            rpc,
        } => {
            let payload = Payload::DecideRefund {
                order: id,
                approve: !refuse,
                note,
            };
            submit(&rpc, &key, payload).await?;
        }
        OrderCommand::OpenRefunds { page: number, rpc } => {
            let client = connect(&rpc.rpc)?;
            let open = client
                .open_refunds(page(number, 20))
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &open, || {
                let mut text = format!("{} open refund requests", open.total);
                for view in &open.items {
                    if let Some(request) = &view.refund_request {
                        text.push_str(&format!(
                            "\n  order {} ({} won): {:?} — {}",
                            view.order.id, view.order.amount, request.status, request.reason
                        ));
                    }
                }
                text
            });
        }
        OrderCommand::History {
            page: number,
            session,
        } => {
            let token = read_session(&session)?;
            let client = connect(&session.rpc.rpc)?;
            let history = client
                .history(token, page(number, 20))
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            print(session.rpc.output, &history, || {
                let mut text = format!("{} orders", history.total);
                for entry in &history.items {
                    text.push_str(&format!(
                        "\n  order {} ({:?}) item {:?}: {} won, {:?}",
                        entry.order,
                        entry.role,
                        entry.item.as_ref().map(|i| i.id),
                        entry.amount,
                        entry.status
                    ));
                }
                text
            });
        }
    }
    Ok(())
}
