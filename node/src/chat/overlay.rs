//! A write overlay over the replicated service family, for appliers whose command reads
//! what it has just written (a room record updated twice, a counter bumped per message).

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_store::Store;

/// Key changes of a service command, in the form the consensus applier takes.
pub(crate) type Changes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Reads through pending writes to the store; [`Overlay::into_changes`] hands them over.
pub(crate) struct Overlay<'a> {
    store: &'a Store,
    pending: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Overlay<'a> {
    /// An empty overlay over `store`.
    pub(crate) fn new(store: &'a Store) -> Self {
        Overlay {
            store,
            pending: BTreeMap::new(),
        }
    }

    /// The store under the overlay (for reads of data the command does not change).
    pub(crate) fn store(&self) -> &'a Store {
        self.store
    }

    /// The raw value of `key`, pending writes first.
    pub(crate) fn get_raw(
        &self,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, truffle_consensus::ServiceError> {
        match self.pending.get(key) {
            Some(value) => Ok(value.clone()),
            None => Ok(self.store.service_get(key)?),
        }
    }

    /// The decoded value of `key`.
    pub(crate) fn get<T: BorshDeserialize>(
        &self,
        key: &[u8],
    ) -> Result<Option<T>, truffle_consensus::ServiceError> {
        match self.get_raw(key)? {
            Some(bytes) => borsh::from_slice(&bytes)
                .map(Some)
                .map_err(|e| truffle_consensus::ServiceError::Corrupt(e.to_string())),
            None => Ok(None),
        }
    }

    /// Whether `key` holds a value.
    pub(crate) fn exists(&self, key: &[u8]) -> Result<bool, truffle_consensus::ServiceError> {
        Ok(self.get_raw(key)?.is_some())
    }

    /// Writes `value` at `key`.
    pub(crate) fn put<T: BorshSerialize>(&mut self, key: Vec<u8>, value: &T) {
        self.pending.insert(
            key,
            Some(borsh::to_vec(value).expect("encoding to a Vec cannot fail")),
        );
    }

    /// Writes `bytes` at `key` as they are (files, not borsh records).
    pub(crate) fn put_raw(&mut self, key: Vec<u8>, bytes: Vec<u8>) {
        self.pending.insert(key, Some(bytes));
    }

    /// Deletes `key`.
    pub(crate) fn delete(&mut self, key: Vec<u8>) {
        self.pending.insert(key, None);
    }

    /// Keys under `prefix` (store and pending writes merged), in key order.
    pub(crate) fn keys_with_prefix(
        &self,
        prefix: &[u8],
    ) -> Result<Vec<Vec<u8>>, truffle_consensus::ServiceError> {
        let mut keys: BTreeMap<Vec<u8>, bool> = self
            .store
            .service_scan(prefix)?
            .into_iter()
            .map(|(k, _)| (k, true))
            .collect();
        for (key, value) in self.pending.range(prefix.to_vec()..) {
            if !key.starts_with(prefix) {
                break;
            }
            keys.insert(key.clone(), value.is_some());
        }
        Ok(keys
            .into_iter()
            .filter_map(|(k, present)| present.then_some(k))
            .collect())
    }

    /// The pending writes.
    pub(crate) fn into_changes(self) -> Changes {
        self.pending.into_iter().collect()
    }
}

/// `prefix ‖ parts…`.
pub(crate) fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// A fixed window counter, replicated: `count` events since `start_ms`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub(crate) struct Window {
    pub(crate) start_ms: u64,
    pub(crate) count: u32,
}

impl Window {
    /// Counts an event at `now_ms` unless `max` were already counted in the window of
    /// `window_ms`; on refusal, returns how long until the window ends.
    pub(crate) fn take(&mut self, now_ms: u64, window_ms: u64, max: u32) -> Result<(), u64> {
        if self.count == 0
            || now_ms >= self.start_ms.saturating_add(window_ms)
            || now_ms < self.start_ms
        {
            self.start_ms = now_ms;
            self.count = 0;
        }
        if self.count >= max {
            return Err(self.start_ms + window_ms - now_ms);
        }
        self.count += 1;
        Ok(())
    }

    /// Whether `max` events are counted in the window at `now_ms` (without counting).
    pub(crate) fn is_full(&self, now_ms: u64, window_ms: u64, max: u32) -> Option<u64> {
        let live = now_ms < self.start_ms.saturating_add(window_ms) && now_ms >= self.start_ms;
        (live && self.count >= max).then(|| self.start_ms + window_ms - now_ms)
    }
}
