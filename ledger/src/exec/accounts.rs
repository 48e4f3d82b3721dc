//! Accounts and seller standing.

use super::{orders, require_role, Exec, TxResult};
use crate::block::Effect;
use crate::crypto::PublicKey;
use crate::error::Rejection;
use crate::state::{keys, StateView};
use crate::types::{
    Account, AccountStatus, Raffle, RaffleEntry, RaffleStatus, Role, SellerStatus, TxRef,
};

/// A registrar registers a phone-verified member (or an admin registers an admin).
pub(super) fn register<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    account: &PublicKey,
    role: Role,
    adult: bool,
) -> TxResult<Effect> {
    require_role(
        signer,
        "registering an account",
        &[Role::Operator, Role::Admin],
    )?;
    match role {
        Role::Member => {}
        Role::Admin => require_role(signer, "registering an admin", &[Role::Admin])?,
        Role::Operator => {
            return Err(Rejection::invalid(
                "role",
                "operator accounts come with validators (add_validator)",
            )
            .into())
        }
    }
    account
        .check_usable()
        .map_err(|e| Rejection::invalid("account", e.to_string()))?;
    if exec.account(account)?.is_some() {
        return Err(Rejection::AccountExists { account: *account }.into());
    }
    let record = Account {
        key: *account,
        role,
        status: AccountStatus::Active,
        nonce: 0,
        phone_verified: role == Role::Member,
        adult,
        seller: SellerStatus::None,
        registered_height: exec.height,
        missed_reveals: 0,
        raffle_cooldown_until_ms: 0,
    };
    exec.put_account(&record);
    Ok(Effect::Done)
}

/// An admin suspends or reactivates an account.
pub(super) fn set_suspended<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    account: &PublicKey,
    suspended: bool,
) -> TxResult<Effect> {
    require_role(signer, "suspending an account", &[Role::Admin])?;
    if *account == signer.key {
        return Err(Rejection::invalid("account", "an admin cannot suspend itself").into());
    }
    let mut record = exec
        .account(account)?
        .ok_or(Rejection::UnknownAccount { account: *account })?;
    let (from, to) = if suspended {
        (AccountStatus::Active, AccountStatus::Suspended)
    } else {
        (AccountStatus::Suspended, AccountStatus::Active)
    };
    if record.status != from {
        return Err(Rejection::AccountNotActive {
            account: *account,
            status: record.status,
        }
        .into());
    }
    record.status = to;
    exec.put_account(&record);
    Ok(Effect::Done)
}

/// The member, or a registrar acting on the member's authenticated request, withdraws
/// the account: it can never sign again, its attested birth year is erased, its seller
/// standing is revoked, its entries in undrawn raffles are cancelled and its unpaid
/// orders are closed (a raffle prize passes to the next runner-up).
pub(super) fn withdraw<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    account: &PublicKey,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    if signer.key != *account {
        require_role(
            signer,
            "withdrawing another account",
            &[Role::Operator, Role::Admin],
        )?;
    }
    let mut record = exec.active_account(account)?;
    if record.role != Role::Member {
        return Err(Rejection::invalid("account", "only member accounts can be withdrawn").into());
    }
    record.status = AccountStatus::Withdrawn;
    record.adult = false;
    if let SellerStatus::Approved { shop_name, .. } | SellerStatus::Applied { shop_name } =
        &record.seller
    {
        record.seller = SellerStatus::Revoked {
            shop_name: shop_name.clone(),
            at_height: exec.height,
        };
    }
    exec.put_account(&record);

    for (key, _) in exec
        .state
        .scan_prefix(&keys::account_entries_prefix(account))?
    {
        let raffle_id = keys::trailing_u64(&key).expect("account entry keys end in a raffle id");
        let raffle: Raffle = exec.record("raffle", &keys::raffle(raffle_id), raffle_id)?;
        if raffle.status == RaffleStatus::Drawn {
            continue;
        }
        let position: u32 = exec
            .read("raffle entrant", &keys::raffle_entrant(raffle_id, account))?
            .expect("an account entry has its entrant record");
        let entry_key = keys::raffle_entry(raffle_id, position);
        let mut entry: RaffleEntry = exec.record("raffle entry", &entry_key, raffle_id)?;
        entry.cancelled = true;
        exec.write(entry_key, &entry);
    }
    for (key, _) in exec
        .state
        .scan_prefix(&keys::account_orders_prefix(account))?
    {
        let order_id = keys::trailing_u64(&key).expect("account order keys end in an order id");
        orders::close_if_pending_for_buyer(exec, order_id, account, "the buyer withdrew", tx_ref)?;
    }
    Ok(Effect::Done)
}

/// A member applies to sell.
pub(super) fn apply_seller<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    shop_name: &str,
) -> TxResult<Effect> {
    require_role(signer, "applying to sell", &[Role::Member])?;
    match signer.seller {
        SellerStatus::None | SellerStatus::Revoked { .. } => {}
        SellerStatus::Applied { .. } => {
            return Err(Rejection::SellerApplication {
                reason: "an application is already pending".into(),
            }
            .into())
        }
        SellerStatus::Approved { .. } => {
            return Err(Rejection::SellerApplication {
                reason: "already an approved seller".into(),
            }
            .into())
        }
    }
    let mut record = signer.clone();
    record.seller = SellerStatus::Applied {
        shop_name: shop_name.trim().to_owned(),
    };
    exec.put_account(&record);
    Ok(Effect::Done)
}

/// An admin approves a pending application.
pub(super) fn approve_seller<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    account: &PublicKey,
) -> TxResult<Effect> {
    require_role(signer, "approving a seller", &[Role::Admin])?;
    let mut record = exec.active_account(account)?;
    let SellerStatus::Applied { shop_name } = &record.seller else {
        return Err(Rejection::SellerApplication {
            reason: format!("{account} has no pending application"),
        }
        .into());
    };
    record.seller = SellerStatus::Approved {
        shop_name: shop_name.clone(),
        since_height: exec.height,
    };
    exec.put_account(&record);
    Ok(Effect::Done)
}

/// An admin revokes an approved seller.
pub(super) fn revoke_seller<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    account: &PublicKey,
) -> TxResult<Effect> {
    require_role(signer, "revoking a seller", &[Role::Admin])?;
    let mut record = exec
        .account(account)?
        .ok_or(Rejection::UnknownAccount { account: *account })?;
    let SellerStatus::Approved { shop_name, .. } = &record.seller else {
        return Err(Rejection::SellerApplication {
            reason: format!("{account} is not an approved seller"),
        }
        .into());
    };
    record.seller = SellerStatus::Revoked {
        shop_name: shop_name.clone(),
        at_height: exec.height,
    };
    exec.put_account(&record);
    Ok(Effect::Done)
}
