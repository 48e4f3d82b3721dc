//! The checkers run after each simulation, once every node is up and caught up:
//!
//! - every block whose proposal was acknowledged is at its height, with the same
//!   transactions, on every node (no acknowledged committed transaction lost);
//! - equal headers, hence equal state roots, at every height on every node (and, while
//!   the run went, every header applied anywhere agreed with the first one applied at
//!   its height: `World::applied`);
//! - never two certified headers at one height: every certificate any node holds is
//!   for the header every node applied, and verifies against the certifying set;
//! - conservation: each piece has one owner, its ownership history ends with that owner
//!   and a serial names one piece; each raffle is drawn at most once, with distinct
//!   winners, no more than its prizes; no order is paid twice, and a paid order carries
//!   its payment.

use std::collections::{BTreeMap, BTreeSet};

use truffle_ledger::state::{decode_record, keys, StateView, Table};
use truffle_ledger::types::{Item, Order, OrderStatus, OwnershipRecord, Raffle};
use truffle_ledger::{Hash, Payload};
use truffle_store::Store;

use crate::workload::Acknowledged;

/// The nodes' stores, by node index.
pub(crate) type Stores<'a> = &'a [(String, Store)];

fn scan<T: borsh::BorshDeserialize>(
    store: &Store,
    table: Table,
    problems: &mut Vec<String>,
) -> Vec<T> {
    match store.scan_prefix(&[table as u8]) {
        Ok(rows) => rows
            .into_iter()
            .filter_map(|(_, bytes)| match decode_record("record", &bytes) {
                Ok(record) => Some(record),
                Err(error) => {
                    problems.push(format!("{} record does not decode: {error}", table.name()));
                    None
                }
            })
            .collect(),
        Err(error) => {
            problems.push(format!("{} unreadable: {error}", table.name()));
            Vec::new()
        }
    }
}

/// The head every node holds, if they all hold the same one.
pub(crate) fn common_head(stores: Stores<'_>) -> Option<(u64, Hash)> {
    let heads: BTreeSet<Option<(u64, Hash)>> = stores
        .iter()
        .map(|(_, store)| {
            store
                .head()
                .ok()
                .flatten()
                .map(|head| (head.height, head.hash()))
        })
        .collect();
    match heads.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(head)] => Some(*head),
        _ => None,
    }
}

/// Runs every checker; returns what is broken.
pub(crate) fn check(stores: Stores<'_>, acknowledged: &[Acknowledged]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some((height, _)) = common_head(stores) else {
        problems.push("the nodes did not converge on one head".into());
        return problems;
    };
    let Some((first_name, first)) = stores.first() else {
        return problems;
    };
    let mut draws: BTreeMap<u64, u32> = BTreeMap::new();
    let mut settlements: BTreeMap<u64, u32> = BTreeMap::new();
    for h in 1..=height {
        let Ok(Some(block)) = first.block(h) else {
            problems.push(format!("block {h} missing"));
            continue;
        };
        let hash = block.header.hash();
        for (index, store) in stores {
            match store.header(h) {
                Ok(Some(header)) if header.hash() == hash => {}
                Ok(Some(header)) => problems.push(format!(
                    "height {h}: {index} holds header {} (root {}), {first_name} {hash} (root {})",
                    header.hash(),
                    header.state_root,
                    block.header.state_root
                )),
                other => problems.push(format!("height {h}: {index} has no header: {other:?}")),
            }
            if let Ok(Some(certificate)) = store.certificate(h) {
                let validators = truffle_engine::certifying_set(store, h);
                if certificate.header_hash != hash {
                    problems.push(format!(
                        "height {h}: {index} holds a certificate of {}, not of the header {hash}",
                        certificate.header_hash
                    ));
                } else if let Err(error) = certificate.verify(&block.header, &validators) {
                    problems.push(format!(
                        "height {h}: {index}'s certificate does not verify: {error}"
                    ));
                }
            }
        }
        for (tx, receipt) in block.transactions.iter().zip(&block.receipts) {
            if !receipt.is_applied() {
                continue;
            }
            match &tx.tx.payload {
                Payload::DrawRaffle { raffle } => *draws.entry(*raffle).or_default() += 1,
                Payload::SettlePayment { order, .. } => {
                    *settlements.entry(*order).or_default() += 1
                }
                _ => {}
            }
        }
    }
    for ack in acknowledged {
        for (index, store) in stores {
            let held: Option<Vec<Hash>> = store
                .block(ack.height)
                .ok()
                .flatten()
                .map(|b| b.transactions.iter().map(|t| t.hash()).collect());
            if held.as_ref() != Some(&ack.transactions) {
                problems.push(format!(
                    "acknowledged block {} lost on {index}: held {:?}, acknowledged {:?}",
                    ack.height, held, ack.transactions
                ));
            }
        }
    }
    conservation(first, &draws, &settlements, &mut problems);
    problems
}

/// One owner per piece, one draw per raffle, no order paid twice.
fn conservation(
    store: &Store,
    draws: &BTreeMap<u64, u32>,
    settlements: &BTreeMap<u64, u32>,
    problems: &mut Vec<String>,
) {
    let items: Vec<Item> = scan(store, Table::Item, problems);
    let mut serials = BTreeSet::new();
    for item in &items {
        if !serials.insert((item.product, item.serial.clone())) {
            problems.push(format!("serial {} names two pieces", item.serial));
        }
        let last = item.history_len.checked_sub(1).and_then(|sequence| {
            let bytes = store.get(&keys::ownership(item.id, sequence)).ok()??;
            decode_record::<OwnershipRecord>("ownership", &bytes).ok()
        });
        match last {
            Some(record) if record.owner == item.owner => {}
            other => problems.push(format!(
                "item {}: owner {} but its history ends with {:?}",
                item.id,
                item.owner,
                other.map(|r| r.owner)
            )),
        }
        if matches!(
            store.get(&keys::ownership(item.id, item.history_len)),
            Ok(Some(_))
        ) {
            problems.push(format!("item {}: history longer than recorded", item.id));
        }
    }
    for (raffle, count) in draws {
        if *count > 1 {
            problems.push(format!("raffle {raffle} drawn {count} times"));
        }
    }
    let raffles: Vec<Raffle> = scan(store, Table::Raffle, problems);
    for raffle in &raffles {
        if let Some(result) = &raffle.result {
            let distinct: BTreeSet<_> = result.winners.iter().collect();
            if distinct.len() != result.winners.len()
                || result.winners.len() > raffle.spec.items.len()
            {
                problems.push(format!(
                    "raffle {}: {} winners ({} distinct) for {} prizes",
                    raffle.id,
                    result.winners.len(),
                    distinct.len(),
                    raffle.spec.items.len()
                ));
            }
        }
    }
    for (order, count) in settlements {
        if *count > 1 {
            problems.push(format!("order {order} paid {count} times"));
        }
    }
    let orders: Vec<Order> = scan(store, Table::Order, problems);
    for order in &orders {
        let paid = matches!(order.status, OrderStatus::Paid | OrderStatus::Refunded);
        if paid != order.payment.is_some() {
            problems.push(format!(
                "order {}: status {:?} with payment {:?}",
                order.id, order.status, order.payment
            ));
        }
    }
}

/// Summary figures of a converged chain, for the report: (draws, paid orders).
pub(crate) fn figures(store: &Store) -> (u64, u64) {
    let mut ignored = Vec::new();
    let raffles: Vec<Raffle> = scan(store, Table::Raffle, &mut ignored);
    let orders: Vec<Order> = scan(store, Table::Order, &mut ignored);
    (
        raffles.iter().filter(|r| r.result.is_some()).count() as u64,
        orders.iter().filter(|o| o.payment.is_some()).count() as u64,
    )
}
