//! The one driver that carries applied blocks to the features' read models (search
//! index, recommendations, ...): it batches what is queued, handles a subscriber that
//! fell behind and a snapshot that replaced the state, retries a failed update without
//! losing what it carried, and stops with the engine. Each model only says how to
//! apply a batch and how to rebuild.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use truffle_consensus::LedgerEvent;
use truffle_ledger::Block;

use crate::engine::Engine;

/// An error a read model reports; the driver logs it and retries.
pub type ReadModelError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a read model is asked to do.
#[derive(Debug)]
pub enum Update {
    /// Apply these blocks, in height order. Blocks missed by a subscriber that fell
    /// behind are not in the list: a model that needs every block reads them back from
    /// the store (it knows the height it reached).
    Blocks(Vec<Arc<Block>>),
    /// The state was replaced (a snapshot was installed) or the model asked for it:
    /// rebuild from the store.
    Rebuild,
}

/// What came of an update.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Applied.
    Done,
    /// Not now (a model that rebuilds at most so often): offer it again after this long,
    /// with whatever arrives meanwhile.
    Later(Duration),
}

/// A feature's read model that follows applied blocks. Its methods run on a blocking
/// thread.
pub trait ReadModel: Send + Sync + 'static {
    /// Names the model in logs.
    fn name(&self) -> &'static str;

    /// Gets the model ready to follow (open or rebuild its files); retried until it
    /// succeeds. Events from the moment the driver starts are kept for afterwards.
    fn prepare(&self) -> Result<(), ReadModelError> {
        Ok(())
    }

    /// Applies an update.
    fn update(&self, update: &Update) -> Result<Progress, ReadModelError>;

    /// Called after [`FollowPolicy::idle_after`] without an event (commit what is
    /// only in memory, for example).
    fn idle(&self) -> Result<(), ReadModelError> {
        Ok(())
    }

    /// Called once when the engine stops.
    fn stop(&self) {}
}

/// How the driver paces a model.
#[derive(Clone, Copy, Debug)]
pub struct FollowPolicy {
    /// Quiet time after which [`ReadModel::idle`] runs.
    pub idle_after: Duration,
    /// Pause before retrying a failed update or preparation.
    pub retry_after: Duration,
    /// Whether a subscriber that fell behind rebuilds (`true`) or goes on with the
    /// blocks it still has (`false`, for models that read missed blocks back).
    pub rebuild_when_behind: bool,
}

impl Default for FollowPolicy {
    fn default() -> Self {
        FollowPolicy {
            idle_after: Duration::from_secs(3600),
            retry_after: Duration::from_secs(1),
            rebuild_when_behind: true,
        }
    }
}

/// What the driver holds for the model: blocks not yet applied, and whether a rebuild
/// is owed (a rebuild covers every block before it).
#[derive(Default)]
struct Pending {
    blocks: Vec<Arc<Block>>,
    rebuild: bool,
    /// Something happened since the last update (even only a lag).
    dirty: bool,
}

impl Pending {
    fn take(&mut self, event: Result<LedgerEvent, Lag>, policy: &FollowPolicy) {
        match event {
            Ok(LedgerEvent::Block(block)) => {
                self.blocks.push(block);
                self.dirty = true;
            }
            Ok(LedgerEvent::SnapshotInstalled { .. }) => {
                self.rebuild = true;
                self.dirty = true;
            }
            Ok(LedgerEvent::ServiceApplied { .. }) => {}
            Err(Lag) => {
                self.rebuild |= policy.rebuild_when_behind;
                self.dirty = true;
            }
        }
    }

    fn update(&mut self) -> Update {
        if self.rebuild {
            self.blocks.clear();
            Update::Rebuild
        } else {
            Update::Blocks(std::mem::take(&mut self.blocks))
        }
    }

    /// Puts back an update that did not apply, before anything that arrived since.
    fn restore(&mut self, update: Update) {
        match update {
            Update::Rebuild => self.rebuild = true,
            Update::Blocks(mut blocks) => {
                blocks.append(&mut self.blocks);
                self.blocks = blocks;
            }
        }
        self.dirty = true;
    }
}

/// A subscriber fell behind and missed events.
struct Lag;

/// Follows applied blocks into `model` until the engine stops.
pub async fn follow<M: ReadModel>(engine: Engine, model: Arc<M>, policy: FollowPolicy) {
    // Subscribed before preparing, so that no block applied meanwhile is missed.
    let mut events = engine.subscribe();
    loop {
        let m = model.clone();
        match tokio::task::spawn_blocking(move || m.prepare()).await {
            Ok(Ok(())) => break,
            Ok(Err(error)) => {
                tracing::error!(target: "read_model", model = model.name(), %error, "cannot prepare; retrying")
            }
            Err(error) => {
                tracing::error!(target: "read_model", model = model.name(), %error, "preparation panicked; retrying")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(policy.retry_after) => {}
            _ = engine.stopping() => return,
        }
    }
    let mut pending = Pending::default();
    let mut wait = policy.idle_after;
    loop {
        let event = tokio::select! {
            event = events.recv() => Some(event),
            _ = tokio::time::sleep(wait) => None,
            _ = engine.stopping() => {
                let m = model.clone();
                let _ = tokio::task::spawn_blocking(move || m.stop()).await;
                return;
            }
        };
        match event {
            Some(Ok(event)) => pending.take(Ok(event), &policy),
            Some(Err(broadcast::error::RecvError::Lagged(_))) => pending.take(Err(Lag), &policy),
            Some(Err(broadcast::error::RecvError::Closed)) => return,
            None if !pending.dirty => {
                let m = model.clone();
                if let Ok(Err(error)) = tokio::task::spawn_blocking(move || m.idle()).await {
                    tracing::warn!(target: "read_model", model = model.name(), %error, "idle work failed");
                }
                wait = policy.idle_after;
                continue;
            }
            // A retry or a deferred update is due.
            None => {}
        }
        // Take whatever else is queued: one update for all of it.
        loop {
            match events.try_recv() {
                Ok(event) => pending.take(Ok(event), &policy),
                Err(broadcast::error::TryRecvError::Lagged(_)) => pending.take(Err(Lag), &policy),
                Err(_) => break,
            }
        }
        if !pending.dirty {
            continue;
        }
        pending.dirty = false;
        let update = pending.update();
        let m = model.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let result = m.update(&update);
            (update, result)
        })
        .await;
        wait = match outcome {
            Ok((_, Ok(Progress::Done))) => policy.idle_after,
            Ok((update, Ok(Progress::Later(after)))) => {
                pending.restore(update);
                after
            }
            Ok((update, Err(error))) => {
                tracing::warn!(target: "read_model", model = model.name(), %error, "update failed; will retry");
                pending.restore(update);
                policy.retry_after
            }
            Err(error) => {
                tracing::error!(target: "read_model", model = model.name(), %error, "update panicked; will rebuild");
                pending.restore(Update::Rebuild);
                policy.retry_after
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(height: u64) -> Arc<Block> {
        Arc::new(Block {
            header: truffle_ledger::BlockHeader {
                chain_id: truffle_ledger::Hash::ZERO,
                height,
                prev_hash: truffle_ledger::Hash::ZERO,
                time_ms: height,
                proposer: truffle_ledger::Keypair::from_name("v0").public(),
                transaction_count: 0,
                transactions_root: truffle_ledger::Hash::ZERO,
                receipts_root: truffle_ledger::Hash::ZERO,
                state_root: truffle_ledger::Hash::ZERO,
            },
            transactions: Vec::new(),
            receipts: Vec::new(),
        })
    }

    #[test]
    fn a_failed_update_is_offered_again_before_newer_blocks() {
        let policy = FollowPolicy::default();
        let mut pending = Pending::default();
        pending.take(Ok(LedgerEvent::Block(block(1))), &policy);
        pending.take(Ok(LedgerEvent::Block(block(2))), &policy);
        let first = pending.update();
        pending.take(Ok(LedgerEvent::Block(block(3))), &policy);
        pending.restore(first);
        match pending.update() {
            Update::Blocks(blocks) => assert_eq!(
                blocks.iter().map(|b| b.header.height).collect::<Vec<_>>(),
                vec![1, 2, 3]
            ),
            Update::Rebuild => panic!("no rebuild was owed"),
        }
    }

    #[test]
    fn a_snapshot_or_a_lag_owes_a_rebuild_that_covers_the_blocks_before_it() {
        let policy = FollowPolicy::default();
        let mut pending = Pending::default();
        pending.take(Ok(LedgerEvent::Block(block(1))), &policy);
        pending.take(Ok(LedgerEvent::SnapshotInstalled { height: 9 }), &policy);
        assert!(matches!(pending.update(), Update::Rebuild));
        assert!(pending.blocks.is_empty());

        let mut pending = Pending::default();
        pending.take(Err(Lag), &policy);
        assert!(matches!(pending.update(), Update::Rebuild));

        let reads_back = FollowPolicy {
            rebuild_when_behind: false,
            ..policy
        };
        let mut pending = Pending::default();
        pending.take(Err(Lag), &reads_back);
        assert!(pending.dirty, "a lag still calls for an update");
        assert!(matches!(pending.update(), Update::Blocks(b) if b.is_empty()));
    }

    #[test]
    fn service_events_do_not_disturb_read_models() {
        let mut pending = Pending::default();
        pending.take(
            Ok(LedgerEvent::ServiceApplied { log_index: 4 }),
            &FollowPolicy::default(),
        );
        assert!(!pending.dirty);
    }
}
