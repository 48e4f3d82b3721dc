//! Vault epochs: the replicated epoch number, the leader's re-wrap of every live data key
//! into the next epoch, and each node's destruction of the previous epoch key.
//!
//! An epoch lasts `epoch_length` from the proposer's clock at its start (replicated).
//! When the leader sees the current epoch's time up it proposes [`VaultCommand::Rewrap`]:
//! every live member's data key wrapped under the new epoch's key. The command applies
//! only if it covers exactly the live members wrapped in the current epoch (a member
//! created or withdrawn in between makes it stale; the leader retries on its next tick),
//! so no withdrawn member is carried into the new epoch. Once a node has applied it, its
//! [`tick`] overwrites the old epoch key in its key store: from then on the old epoch's
//! wrappings — every copy in the log, snapshots, RocksDB files and backups — open
//! nowhere on that node.

use std::collections::BTreeMap;
use std::time::Duration;

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_consensus::{ServiceError, ServiceOutcome};
use truffle_engine::Engine;
use truffle_ledger::PublicKey;
use truffle_store::Store;

use crate::vault::{VaultKey, WrappedKey};
use crate::{get, key, put, Changes, Member, MEMBER};

/// The vault's tag among the replicated service commands.
pub const SERVICE_TAG: u8 = 13;

const EPOCH: &[u8] = b"vault/epoch";

/// How often each node checks the epoch.
pub const TICK: Duration = Duration::from_millis(500);

/// The vault's replicated commands. Variants are only appended.
#[derive(Debug, BorshSerialize, BorshDeserialize)]
pub enum VaultCommand {
    /// Moves the cluster from `from_epoch` to `to_epoch`, re-wrapping every live data key.
    Rewrap {
        /// The epoch the live records are in.
        from_epoch: u64,
        /// The new epoch.
        to_epoch: u64,
        /// Every live member's data key, wrapped in `to_epoch`.
        keys: Vec<(PublicKey, WrappedKey)>,
        /// The proposer's clock: when the new epoch starts.
        now_ms: u64,
    },
}

/// What a vault command did.
#[derive(Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum VaultReply {
    /// The cluster is in the new epoch.
    Done,
    /// The command does not fit the state (another epoch, or other members): retry.
    Stale,
}

/// The replicated vault epoch (0 before the first re-wrap) and when it started.
pub fn current_epoch(store: &Store) -> Result<(u64, u64), ServiceError> {
    Ok(get::<(u64, u64)>(store, EPOCH)?.unwrap_or((0, 0)))
}

fn live_members(store: &Store) -> Result<Vec<Member>, ServiceError> {
    store
        .service_scan(MEMBER)?
        .into_iter()
        .map(|(_, bytes)| {
            borsh::from_slice::<Member>(&bytes).map_err(|e| ServiceError::Corrupt(e.to_string()))
        })
        .collect()
}

fn rewrap(
    store: &Store,
    from_epoch: u64,
    to_epoch: u64,
    keys: Vec<(PublicKey, WrappedKey)>,
    now_ms: u64,
    changes: &mut Changes,
) -> Result<VaultReply, ServiceError> {
    if from_epoch != current_epoch(store)?.0 || to_epoch <= from_epoch {
        return Ok(VaultReply::Stale);
    }
    let members = live_members(store)?;
    let count = keys.len();
    let mut keys: BTreeMap<PublicKey, WrappedKey> = keys.into_iter().collect();
    if keys.len() != count || keys.len() != members.len() {
        return Ok(VaultReply::Stale);
    }
    for mut member in members {
        let Some(wrapped) = keys.remove(&member.account) else {
            return Ok(VaultReply::Stale);
        };
        if wrapped.epoch != to_epoch || member.sealed.epoch != from_epoch {
            return Ok(VaultReply::Stale);
        }
        member.sealed.epoch = wrapped.epoch;
        member.sealed.wrapped_key = wrapped.wrapped_key;
        member.sealed.key_nonce = wrapped.key_nonce;
        put(changes, key(MEMBER, &[&member.account.0]), &member);
    }
    put(changes, EPOCH.to_vec(), &(to_epoch, now_ms));
    Ok(VaultReply::Done)
}

/// Applies the vault's commands.
pub struct VaultApplier;

impl truffle_engine::TaggedService for VaultApplier {
    const TAG: u8 = SERVICE_TAG;
    type Command = VaultCommand;

    fn apply_command(
        &self,
        store: &Store,
        command: VaultCommand,
    ) -> Result<ServiceOutcome, ServiceError> {
        let mut changes = Changes::new();
        let reply = match command {
            VaultCommand::Rewrap {
                from_epoch,
                to_epoch,
                keys,
                now_ms,
            } => rewrap(store, from_epoch, to_epoch, keys, now_ms, &mut changes)?,
        };
        Ok(ServiceOutcome {
            changes,
            response: borsh::to_vec(&reply).expect("encoding to a Vec cannot fail"),
        })
    }
}

/// One step of a node's epoch duty: destroy keys of epochs the cluster has left, and, on
/// the leader, propose the re-wrap into the next epoch once the current one's time is up
/// (`epoch_length_ms`; `None`: epochs never advance). Returns this node's epoch.
pub async fn tick(
    node: &Engine,
    vault: &VaultKey,
    epoch_length_ms: Option<u64>,
) -> Result<u64, crate::members::MemberError> {
    let (state_epoch, started_ms) = current_epoch(node.store())?;
    advance(vault, state_epoch)?;
    let now_ms = node.now_ms();
    let due = epoch_length_ms.is_some_and(|length| now_ms >= started_ms.saturating_add(length));
    if !node.is_leader() || !due {
        return Ok(vault.keys().epoch());
    }
    let target = state_epoch + 1;
    let mut keys = Vec::new();
    for member in live_members(node.store())? {
        let data_key = vault
            .data_key(&member.account, &member.sealed)
            .map_err(|e| crate::members::MemberError::Unavailable(e.to_string()))?;
        let wrapped = vault
            .wrap(&member.account, &data_key, target)
            .map_err(|e| crate::members::MemberError::Unavailable(e.to_string()))?;
        keys.push((member.account, wrapped));
    }
    let members = keys.len();
    let command = truffle_engine::encode_tagged(
        SERVICE_TAG,
        &VaultCommand::Rewrap {
            from_epoch: state_epoch,
            to_epoch: target,
            keys,
            now_ms,
        },
    );
    let reply: VaultReply = borsh::from_slice(&node.propose_service(command).await?)
        .map_err(|e| crate::members::MemberError::Unavailable(format!("bad vault reply: {e}")))?;
    if reply == VaultReply::Done {
        tracing::info!(target: "vault", from = state_epoch, to = target, members, "live data keys re-wrapped into a new epoch");
        advance(vault, current_epoch(node.store())?.0)?;
    }
    Ok(vault.keys().epoch())
}

fn advance(vault: &VaultKey, epoch: u64) -> Result<(), crate::members::MemberError> {
    let before = vault.keys().epoch();
    if vault
        .keys()
        .advance_to(epoch)
        .map_err(|e| crate::members::MemberError::Unavailable(e.to_string()))?
    {
        tracing::info!(target: "vault", from = before, to = epoch, "older vault epoch keys destroyed");
    }
    Ok(())
}

/// Runs [`tick`] every [`TICK`] until the node stops.
pub async fn run(node: Engine, vault: std::sync::Arc<crate::members::Members>) {
    let length = vault.policy().vault_epoch_ms;
    loop {
        tokio::select! {
            _ = node.stopping() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
        if let Err(error) = tick(&node, vault.vault(), length).await {
            tracing::debug!(target: "vault", %error, "epoch tick failed; retrying");
        }
    }
}
