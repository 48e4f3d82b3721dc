//! The payment outbox: verified provider events, kept in the node's local column family
//! until the ledger has settled (or refused) them.
//!
//! A webhook is acknowledged only after its event is here and the write-ahead log is
//! synced, so a crash after the acknowledgement loses nothing: the node settles pending
//! entries again on start. Entries are keyed by (provider, event id); a delivery of an
//! event already here is a duplicate and changes nothing. Settling twice is harmless
//! too, because the ledger refuses a second `SettlePayment` with the same event id.
//!
//! ```text
//! market/outbox/<id>                     → OutboxEntry
//! market/pending/<received ms><id>       → ()   while the entry is pending
//! market/by-order/<order><id>            → ()   every entry of an order
//! ```

use std::sync::Mutex;

use truffle_ledger::Hash;
use truffle_store::Store;

use super::OutboxEntry;
use crate::NodeError;

const OUTBOX: &[u8] = b"market/outbox/";
const PENDING: &[u8] = b"market/pending/";
const BY_ORDER: &[u8] = b"market/by-order/";

fn entry_id(provider: &str, event_id: &str) -> Hash {
    Hash::tagged(
        b"truffle/v1/payment-outbox",
        &[provider.as_bytes(), &[0], event_id.as_bytes()],
    )
}

fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// The outbox over the node's local family.
pub(crate) struct Outbox {
    store: Store,
    /// Makes "insert unless present" atomic between concurrent deliveries.
    lock: Mutex<()>,
}

impl Outbox {
    pub(crate) fn new(store: Store) -> Outbox {
        Outbox {
            store,
            lock: Mutex::new(()),
        }
    }

    fn get(&self, id: &Hash) -> Result<Option<OutboxEntry>, NodeError> {
        match self.store.local_get(&key(OUTBOX, &[&id.0]))? {
            Some(bytes) => Ok(Some(borsh::from_slice(&bytes).map_err(|e| {
                NodeError::Config(format!("corrupt payment outbox entry: {e}"))
            })?)),
            None => Ok(None),
        }
    }

    /// Stores a new event durably (WAL synced). Returns the stored entry and whether it
    /// is new (false: a duplicate delivery; nothing changed).
    pub(crate) fn insert(&self, entry: OutboxEntry) -> Result<(OutboxEntry, bool), NodeError> {
        let _guard = self.lock.lock().expect("outbox lock poisoned");
        let id = entry_id(&entry.provider, &entry.event_id);
        if let Some(existing) = self.get(&id)? {
            return Ok((existing, false));
        }
        let mut writes = vec![(
            key(OUTBOX, &[&id.0]),
            Some(borsh::to_vec(&entry).expect("encoding to a Vec cannot fail")),
        )];
        if !entry.state.is_final() {
            writes.push((
                key(PENDING, &[&entry.received_ms.to_be_bytes(), &id.0]),
                Some(Vec::new()),
            ));
        }
        if let Some(order) = entry.order {
            writes.push((
                key(BY_ORDER, &[&order.to_be_bytes(), &id.0]),
                Some(Vec::new()),
            ));
        }
        self.store.local_write(&writes)?;
        self.store.sync()?;
        Ok((entry, true))
    }

    /// Records what became of an entry (its pending mark goes once it is final).
    pub(crate) fn update(&self, entry: &OutboxEntry) -> Result<(), NodeError> {
        let _guard = self.lock.lock().expect("outbox lock poisoned");
        let id = entry_id(&entry.provider, &entry.event_id);
        let mut writes = vec![(
            key(OUTBOX, &[&id.0]),
            Some(borsh::to_vec(entry).expect("encoding to a Vec cannot fail")),
        )];
        if entry.state.is_final() {
            writes.push((
                key(PENDING, &[&entry.received_ms.to_be_bytes(), &id.0]),
                None,
            ));
        }
        self.store.local_write(&writes)?;
        self.store.sync()?;
        Ok(())
    }

    /// Pending entries, oldest first.
    pub(crate) fn pending(&self) -> Result<Vec<OutboxEntry>, NodeError> {
        let mut out = Vec::new();
        for (pending_key, _) in self.store.local_scan(PENDING)? {
            let Some(id) = pending_key
                .get(PENDING.len() + 8..)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
            else {
                continue;
            };
            if let Some(entry) = self.get(&Hash(id))? {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// Every entry of an order, in no particular order.
    pub(crate) fn for_order(&self, order: u64) -> Result<Vec<OutboxEntry>, NodeError> {
        let mut out = Vec::new();
        for (order_key, _) in self
            .store
            .local_scan(&key(BY_ORDER, &[&order.to_be_bytes()]))?
        {
            let Some(id) = order_key
                .get(BY_ORDER.len() + 8..)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
            else {
                continue;
            };
            if let Some(entry) = self.get(&Hash(id))? {
                out.push(entry);
            }
        }
        out.sort_by_key(|e| e.received_ms);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{EventSource, SettlementState};

    fn entry(event_id: &str, order: Option<u64>, received_ms: u64) -> OutboxEntry {
        OutboxEntry {
            provider: "sandbox".into(),
            event_id: event_id.into(),
            source: EventSource::Webhook,
            payment_key: "sbx_1".into(),
            order_ref: "truffle-00000000-1".into(),
            order,
            status: "DONE".into(),
            amount: 1_000,
            received_ms,
            state: SettlementState::Pending,
            attempts: 0,
            last_error: None,
            updated_ms: received_ms,
        }
    }

    #[test]
    fn events_are_stored_once_and_leave_pending_when_final() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(Store::open(&dir.path().join("db")).unwrap());
        let (_, new) = outbox.insert(entry("evt_1", Some(1), 20)).unwrap();
        assert!(new);
        let (stored, new) = outbox.insert(entry("evt_1", Some(1), 99)).unwrap();
        assert!(!new, "a redelivery is a duplicate");
        assert_eq!(stored.received_ms, 20, "the first delivery is kept");
        outbox.insert(entry("evt_0", None, 10)).unwrap();
        let pending = outbox.pending().unwrap();
        assert_eq!(
            pending
                .iter()
                .map(|e| e.event_id.as_str())
                .collect::<Vec<_>>(),
            ["evt_0", "evt_1"],
            "oldest first"
        );
        let mut settled = stored;
        settled.state = SettlementState::Settled { height: 7 };
        outbox.update(&settled).unwrap();
        assert_eq!(outbox.pending().unwrap().len(), 1);
        assert_eq!(outbox.for_order(1).unwrap()[0].state, settled.state);
        assert!(outbox.for_order(2).unwrap().is_empty());
        // A reopened store (a restart) still has everything.
        drop(outbox);
        let outbox = Outbox::new(Store::open(&dir.path().join("db")).unwrap());
        assert_eq!(outbox.pending().unwrap()[0].event_id, "evt_0");
        assert!(!outbox.insert(entry("evt_1", Some(1), 5)).unwrap().1);
    }
}
