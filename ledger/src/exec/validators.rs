//! The validator set. Changes take effect from the next block; the consensus layer
//! follows them with a Raft membership change.
//!
//! Besides one record per validator, the set is kept as one record
//! ([`ValidatorSet`] under `keys::validator_set()`), rewritten by every change, so a
//! single state proof shows the set at any state root.

use jmt::storage::TreeReader;

use super::{require_role, Exec, TxResult};
use crate::block::Effect;
use crate::crypto::PublicKey;
use crate::error::{LedgerError, LedgerResult, Rejection};
use crate::state::{decode_record, keys, tree_key, StateView};
use crate::types::{
    Account, AccountStatus, FollowerGrant, Role, SellerStatus, Validator, ValidatorSet,
    MAX_FOLLOWERS,
};

fn rule(reason: impl Into<String>) -> Rejection {
    Rejection::ValidatorRule {
        reason: reason.into(),
    }
}

/// The current validators, in key order.
pub fn current<V: StateView + ?Sized>(view: &V) -> LedgerResult<Vec<Validator>> {
    view.scan_prefix(&keys::validators_prefix())?
        .iter()
        .map(|(_, bytes)| decode_record("validator", bytes))
        .collect()
}

/// The validator set after the block at `height`, read from the tree's versioned
/// values. `None` when the store holds no such version of the record (a node restored
/// from a later snapshot, or a chain begun before the record existed).
pub fn set_at<R: TreeReader>(reader: &R, height: u64) -> LedgerResult<Option<ValidatorSet>> {
    let value = reader
        .get_value_option(height, tree_key(&keys::validator_set()))
        .map_err(|e| LedgerError::Tree(e.to_string()))?;
    value
        .map(|bytes| decode_record("validator set", &bytes))
        .transpose()
}

/// Rewrites the set record after a change made by the current block.
fn record_change<V: StateView + ?Sized>(exec: &mut Exec<'_, V>) -> LedgerResult<()> {
    let keys = current_keys(exec)?;
    let before: Option<ValidatorSet> = exec.read("validator set", &keys::validator_set())?;
    let previous_change = match before {
        // A second change in the same block keeps the link to the change before it.
        Some(set) if set.changed_at == exec.height => set.previous_change,
        Some(set) => Some(set.changed_at),
        None => None,
    };
    exec.write(
        keys::validator_set(),
        &ValidatorSet {
            keys,
            changed_at: exec.height,
            previous_change,
        },
    );
    Ok(())
}

fn current_keys<V: StateView + ?Sized>(exec: &Exec<'_, V>) -> LedgerResult<Vec<PublicKey>> {
    exec.state
        .scan_prefix(&keys::validators_prefix())?
        .iter()
        .map(|(_, bytes)| decode_record::<Validator>("validator", bytes).map(|v| v.key))
        .collect()
}

/// An admin adds a validator; its key gets an operator account.
pub(super) fn add<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    key: &PublicKey,
    name: &str,
    p2p_address: &str,
) -> TxResult<Effect> {
    require_role(signer, "adding a validator", &[Role::Admin])?;
    key.check_usable()
        .map_err(|e| Rejection::invalid("key", e.to_string()))?;
    let count = exec.state.scan_prefix(&keys::validators_prefix())?.len();
    if exec.state.get(&keys::validator(key))?.is_some() {
        return Err(rule(format!("{key} is already a validator")).into());
    }
    if count >= exec.params.max_validators as usize {
        return Err(rule(format!("the set is full ({count} validators)")).into());
    }
    match exec.account(key)? {
        Some(account) if account.role == Role::Operator => {
            // A removed validator coming back: its operator account is reactivated.
            let mut account = account;
            account.status = AccountStatus::Active;
            exec.put_account(&account);
        }
        Some(_) => {
            return Err(rule(format!("{key} already belongs to a non-operator account")).into())
        }
        None => exec.put_account(&Account {
            key: *key,
            role: Role::Operator,
            status: AccountStatus::Active,
            nonce: 0,
            phone_verified: false,
            adult: false,
            seller: SellerStatus::None,
            registered_height: exec.height,
            missed_reveals: 0,
            raffle_cooldown_until_ms: 0,
        }),
    }
    exec.write(
        keys::validator(key),
        &Validator {
            key: *key,
            name: name.to_owned(),
            p2p_address: p2p_address.to_owned(),
            since_height: exec.height,
        },
    );
    record_change(exec)?;
    Ok(Effect::Done)
}

/// An admin removes a validator; its operator account is suspended.
pub(super) fn remove<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    key: &PublicKey,
) -> TxResult<Effect> {
    require_role(signer, "removing a validator", &[Role::Admin])?;
    if exec.state.get(&keys::validator(key))?.is_none() {
        return Err(rule(format!("{key} is not a validator")).into());
    }
    let count = exec.state.scan_prefix(&keys::validators_prefix())?.len();
    if count <= 1 {
        return Err(rule("the last validator cannot be removed").into());
    }
    exec.state.delete(keys::validator(key));
    record_change(exec)?;
    if let Some(mut account) = exec.account(key)? {
        account.status = AccountStatus::Suspended;
        exec.put_account(&account);
    }
    Ok(Effect::Done)
}

/// The follower nodes allowed to sync, in key order.
pub fn allowed_followers<V: StateView + ?Sized>(view: &V) -> LedgerResult<Vec<FollowerGrant>> {
    view.scan_prefix(&keys::followers_prefix())?
        .iter()
        .map(|(_, bytes)| decode_record("follower", bytes))
        .collect()
}

/// An admin allows a follower node's key, or revokes it. A follower is never a
/// validator: it votes on nothing, so a validator's key is refused here.
pub(super) fn set_follower<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    key: &PublicKey,
    allowed: bool,
) -> TxResult<Effect> {
    require_role(signer, "allowing a follower", &[Role::Admin])?;
    let present = exec.state.get(&keys::follower(key))?.is_some();
    if !allowed {
        if !present {
            return Err(rule(format!("{key} is not an allowed follower")).into());
        }
        exec.state.delete(keys::follower(key));
        return Ok(Effect::Done);
    }
    key.check_usable()
        .map_err(|e| Rejection::invalid("key", e.to_string()))?;
    if present {
        return Err(rule(format!("{key} is already an allowed follower")).into());
    }
    if exec.state.get(&keys::validator(key))?.is_some() {
        return Err(rule(format!("{key} is a validator, not a follower")).into());
    }
    let count = exec.state.scan_prefix(&keys::followers_prefix())?.len();
    if count >= MAX_FOLLOWERS {
        return Err(rule(format!("at most {MAX_FOLLOWERS} followers")).into());
    }
    exec.write(
        keys::follower(key),
        &FollowerGrant {
            key: *key,
            since_height: exec.height,
        },
    );
    Ok(Effect::Done)
}
