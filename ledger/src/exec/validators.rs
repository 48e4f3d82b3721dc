//! The validator set. Changes take effect from the next block; the consensus layer
//! follows them with a Raft membership change.

use super::{require_role, Exec, TxResult};
use crate::block::Effect;
use crate::crypto::PublicKey;
use crate::error::{LedgerResult, Rejection};
use crate::state::{decode_record, keys, StateView};
use crate::types::{Account, AccountStatus, Role, SellerStatus, Validator};

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
            birth_year: None,
            seller: SellerStatus::None,
            registered_height: exec.height,
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
    if let Some(mut account) = exec.account(key)? {
        account.status = AccountStatus::Suspended;
        exec.put_account(&account);
    }
    Ok(Effect::Done)
}
