//! The replicated half of Kakao linking: one-time link codes and the bindings of Kakao
//! users to accounts, applied by every node in log order. Codes and Kakao user keys are
//! only ever stored as keyed MACs (the vault's MAC key), never in the clear.
//!
//! Keys (service family):
//!
//! | key | value |
//! | --- | --- |
//! | `kakao/code/{MAC(code)}` | [`LinkCode`]: whose, until when |
//! | `kakao/account-code/{account}` | MAC of the account's live code (one at a time) |
//! | `kakao/issues/{account}` | window of codes issued |
//! | `kakao/user/{MAC(user key)}` | [`Binding`] |
//! | `kakao/account/{account}` | MAC of the bound user key |
//! | `kakao/failures/{MAC(user key)}`, `kakao/failures-all` | windows of wrong codes |

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_consensus::ServiceOutcome;
use truffle_ledger::{Hash, PublicKey};
use truffle_store::Store;

use crate::chat::overlay::{key, Changes, Overlay, Window};
use crate::services::ServiceState;

/// Link codes an account may get per [`CODE_WINDOW_MS`].
pub const MAX_CODES_PER_WINDOW: u32 = 5;
/// The window of [`MAX_CODES_PER_WINDOW`].
pub const CODE_WINDOW_MS: u64 = 10 * 60 * 1000;
/// Wrong codes a Kakao user may send per [`USER_FAILURE_WINDOW_MS`].
pub const MAX_FAILURES_PER_USER: u32 = 5;
/// The window of [`MAX_FAILURES_PER_USER`].
pub const USER_FAILURE_WINDOW_MS: u64 = 15 * 60 * 1000;
/// Wrong codes from all users together per [`ALL_FAILURE_WINDOW_MS`]: with 6-digit
/// codes, this bounds how fast anyone can guess across many Kakao accounts.
pub const MAX_FAILURES_ALL: u32 = 30;
/// The window of [`MAX_FAILURES_ALL`].
pub const ALL_FAILURE_WINDOW_MS: u64 = 60 * 1000;

pub(crate) const CODE: &[u8] = b"kakao/code/";
const ACCOUNT_CODE: &[u8] = b"kakao/account-code/";
const ISSUES: &[u8] = b"kakao/issues/";
const USER: &[u8] = b"kakao/user/";
const ACCOUNT: &[u8] = b"kakao/account/";
pub(crate) const FAILURES: &[u8] = b"kakao/failures/";
const FAILURES_ALL: &[u8] = b"kakao/failures-all";

/// A live link code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LinkCode {
    /// The account that asked for it.
    pub account: PublicKey,
    /// When it stops working.
    pub expires_at_ms: u64,
}

/// A Kakao user bound to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Binding {
    /// The account.
    pub account: PublicKey,
    /// Since when.
    pub since_ms: u64,
}

/// A change to Kakao links. Variants are only appended.
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub enum KakaoCommand {
    /// Records a new code for an account (replacing its previous one).
    IssueCode {
        /// The account.
        account: PublicKey,
        /// MAC of the code.
        code_mac: Hash,
        /// The proposer's clock.
        now_ms: u64,
        /// When the code stops working.
        expires_at_ms: u64,
    },
    /// Binds the Kakao user to the account whose code this is.
    Link {
        /// MAC of the Kakao user key.
        user_mac: Hash,
        /// MAC of the code the user sent.
        code_mac: Hash,
        /// The proposer's clock.
        now_ms: u64,
    },
    /// Removes a binding, by Kakao user (from the chat) or by account (from the site).
    Unlink {
        /// MAC of the Kakao user key.
        user_mac: Option<Hash>,
        /// The account.
        account: Option<PublicKey>,
    },
    /// Deletes expired codes and ended windows (the leader proposes it periodically).
    Sweep {
        /// The proposer's clock.
        now_ms: u64,
    },
}

/// What a Kakao command did.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum KakaoReply {
    /// The code is recorded.
    CodeIssued,
    /// Another account holds a live code with the same digits: draw another.
    CodeCollision,
    /// Too many codes: wait.
    Throttled {
        /// How long, ms.
        retry_after_ms: u64,
    },
    /// Bound now.
    Linked {
        /// The account.
        account: PublicKey,
    },
    /// The user was bound to this account already.
    AlreadyLinked {
        /// The account.
        account: PublicKey,
    },
    /// No such code.
    InvalidCode,
    /// The code expired.
    ExpiredCode,
    /// Too many wrong codes (from this user, or from everyone): wait.
    RateLimited {
        /// How long, ms.
        retry_after_ms: u64,
    },
    /// The binding is gone.
    Unlinked {
        /// The account it bound.
        account: PublicKey,
    },
    /// There was no binding.
    NotLinked,
    /// The account has no member record.
    UnknownMember,
    /// Expired entries deleted.
    Swept {
        /// How many keys.
        keys: u64,
    },
}

fn code_key(code_mac: &Hash) -> Vec<u8> {
    key(CODE, &[&code_mac.0])
}
fn account_code_key(account: &PublicKey) -> Vec<u8> {
    key(ACCOUNT_CODE, &[&account.0])
}
fn issues_key(account: &PublicKey) -> Vec<u8> {
    key(ISSUES, &[&account.0])
}
pub(crate) fn user_key(user_mac: &Hash) -> Vec<u8> {
    key(USER, &[&user_mac.0])
}
pub(crate) fn account_key(account: &PublicKey) -> Vec<u8> {
    key(ACCOUNT, &[&account.0])
}
fn failures_key(user_mac: &Hash) -> Vec<u8> {
    key(FAILURES, &[&user_mac.0])
}

/// Applies a Kakao command.
pub(crate) fn apply(
    store: &Store,
    command: KakaoCommand,
) -> Result<ServiceOutcome, truffle_consensus::ServiceError> {
    let mut o = Overlay::new(store);
    let reply = match command {
        KakaoCommand::IssueCode {
            account,
            code_mac,
            now_ms,
            expires_at_ms,
        } => issue(&mut o, account, code_mac, now_ms, expires_at_ms)?,
        KakaoCommand::Link {
            user_mac,
            code_mac,
            now_ms,
        } => link(&mut o, user_mac, code_mac, now_ms)?,
        KakaoCommand::Unlink { user_mac, account } => {
            let binding = match (user_mac, account) {
                (Some(user_mac), _) => o
                    .get::<Binding>(&user_key(&user_mac))?
                    .map(|b| (user_mac, b.account)),
                (None, Some(account)) => o
                    .get::<Hash>(&account_key(&account))?
                    .map(|user_mac| (user_mac, account)),
                (None, None) => None,
            };
            match binding {
                Some((user_mac, account)) => {
                    o.delete(user_key(&user_mac));
                    o.delete(account_key(&account));
                    KakaoReply::Unlinked { account }
                }
                None => KakaoReply::NotLinked,
            }
        }
        KakaoCommand::Sweep { now_ms } => KakaoReply::Swept {
            keys: sweep(&mut o, now_ms)?,
        },
    };
    Ok(ServiceOutcome {
        changes: o.into_changes(),
        response: borsh::to_vec(&reply).expect("encoding to a Vec cannot fail"),
    })
}

fn issue(
    o: &mut Overlay<'_>,
    account: PublicKey,
    code_mac: Hash,
    now_ms: u64,
    expires_at_ms: u64,
) -> Result<KakaoReply, truffle_consensus::ServiceError> {
    if ServiceState::new(o.store()).member(&account)?.is_none() {
        return Ok(KakaoReply::UnknownMember);
    }
    if let Some(existing) = o.get::<LinkCode>(&code_key(&code_mac))? {
        if existing.account != account && now_ms < existing.expires_at_ms {
            return Ok(KakaoReply::CodeCollision);
        }
    }
    let mut window: Window = o.get(&issues_key(&account))?.unwrap_or_default();
    if let Err(retry_after_ms) = window.take(now_ms, CODE_WINDOW_MS, MAX_CODES_PER_WINDOW) {
        return Ok(KakaoReply::Throttled { retry_after_ms });
    }
    o.put(issues_key(&account), &window);
    if let Some(previous) = o.get::<Hash>(&account_code_key(&account))? {
        o.delete(code_key(&previous));
    }
    o.put(
        code_key(&code_mac),
        &LinkCode {
            account,
            expires_at_ms,
        },
    );
    o.put(account_code_key(&account), &code_mac);
    Ok(KakaoReply::CodeIssued)
}

fn link(
    o: &mut Overlay<'_>,
    user_mac: Hash,
    code_mac: Hash,
    now_ms: u64,
) -> Result<KakaoReply, truffle_consensus::ServiceError> {
    let mut mine: Window = o.get(&failures_key(&user_mac))?.unwrap_or_default();
    let mut all: Window = o.get(FAILURES_ALL)?.unwrap_or_default();
    if let Some(retry_after_ms) = mine
        .is_full(now_ms, USER_FAILURE_WINDOW_MS, MAX_FAILURES_PER_USER)
        .or_else(|| all.is_full(now_ms, ALL_FAILURE_WINDOW_MS, MAX_FAILURES_ALL))
    {
        return Ok(KakaoReply::RateLimited { retry_after_ms });
    }
    let code = o.get::<LinkCode>(&code_key(&code_mac))?;
    let code = match code {
        Some(code)
            if ServiceState::new(o.store())
                .member(&code.account)?
                .is_some() =>
        {
            code
        }
        _ => {
            // A wrong code counts against the user and against everyone.
            let _ = mine.take(now_ms, USER_FAILURE_WINDOW_MS, MAX_FAILURES_PER_USER);
            let _ = all.take(now_ms, ALL_FAILURE_WINDOW_MS, MAX_FAILURES_ALL);
            o.put(failures_key(&user_mac), &mine);
            o.put(FAILURES_ALL.to_vec(), &all);
            return Ok(KakaoReply::InvalidCode);
        }
    };
    // A used or expired code is gone either way.
    o.delete(code_key(&code_mac));
    o.delete(account_code_key(&code.account));
    if now_ms >= code.expires_at_ms {
        return Ok(KakaoReply::ExpiredCode);
    }
    let account = code.account;
    if let Some(existing) = o.get::<Binding>(&user_key(&user_mac))? {
        if existing.account == account {
            return Ok(KakaoReply::AlreadyLinked { account });
        }
        // This Kakao user moves to another account.
        o.delete(account_key(&existing.account));
    }
    if let Some(previous_user) = o.get::<Hash>(&account_key(&account))? {
        // One Kakao user per account: the previous one loses the link.
        if previous_user != user_mac {
            o.delete(user_key(&previous_user));
        }
    }
    o.put(
        user_key(&user_mac),
        &Binding {
            account,
            since_ms: now_ms,
        },
    );
    o.put(account_key(&account), &user_mac);
    o.delete(failures_key(&user_mac));
    Ok(KakaoReply::Linked { account })
}

fn sweep(o: &mut Overlay<'_>, now_ms: u64) -> Result<u64, truffle_consensus::ServiceError> {
    let mut deleted = 0;
    for code_key in o.keys_with_prefix(CODE)? {
        if let Some(code) = o.get::<LinkCode>(&code_key)? {
            if now_ms >= code.expires_at_ms {
                if o.get::<Hash>(&account_code_key(&code.account))?
                    .map(|h| h.0.to_vec())
                    == Some(code_key[CODE.len()..].to_vec())
                {
                    o.delete(account_code_key(&code.account));
                }
                o.delete(code_key);
                deleted += 1;
            }
        }
    }
    for (prefix, window_ms) in [(FAILURES, USER_FAILURE_WINDOW_MS), (ISSUES, CODE_WINDOW_MS)] {
        for window_key in o.keys_with_prefix(prefix)? {
            if let Some(window) = o.get::<Window>(&window_key)? {
                if now_ms >= window.start_ms.saturating_add(window_ms) {
                    o.delete(window_key);
                    deleted += 1;
                }
            }
        }
    }
    Ok(deleted)
}

/// Whether a sweep would delete anything at `now_ms`.
pub(crate) fn sweep_due(store: &Store, now_ms: u64) -> bool {
    let o = Overlay::new(store);
    let expired_code = o.keys_with_prefix(CODE).ok().is_some_and(|keys| {
        keys.iter().any(|k| {
            o.get::<LinkCode>(k)
                .ok()
                .flatten()
                .is_some_and(|c| now_ms >= c.expires_at_ms)
        })
    });
    let ended_window = [(FAILURES, USER_FAILURE_WINDOW_MS), (ISSUES, CODE_WINDOW_MS)]
        .iter()
        .any(|(prefix, window_ms)| {
            o.keys_with_prefix(prefix).ok().is_some_and(|keys| {
                keys.iter().any(|k| {
                    o.get::<Window>(k)
                        .ok()
                        .flatten()
                        .is_some_and(|w| now_ms >= w.start_ms.saturating_add(*window_ms))
                })
            })
        });
    expired_code || ended_window
}

/// Withdrawal: the member's binding, live code and windows go. Called by the members
/// service's `DeleteMember`.
pub(crate) fn forget_member(
    store: &Store,
    account: &PublicKey,
    changes: &mut Changes,
) -> Result<(), truffle_consensus::ServiceError> {
    let mut o = Overlay::new(store);
    if let Some(user_mac) = o.get::<Hash>(&account_key(account))? {
        o.delete(user_key(&user_mac));
        o.delete(account_key(account));
    }
    if let Some(code_mac) = o.get::<Hash>(&account_code_key(account))? {
        o.delete(code_key(&code_mac));
        o.delete(account_code_key(account));
    }
    o.delete(issues_key(account));
    changes.extend(o.into_changes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::vault::{Profile, VaultKey};
    use crate::services::{Member, ServiceCommand};
    use truffle_consensus::ServiceApplier;
    use truffle_ledger::Keypair;

    fn member(store: &Store, name: &str) -> PublicKey {
        let account = Keypair::from_name(name).public();
        let vault = VaultKey::from_secret(&[1; 32]);
        let m = Member {
            account,
            email_mac: vault.mac("email", name.as_bytes()),
            phone_mac: vault.mac("phone", name.as_bytes()),
            password_hash: String::new(),
            sealed: vault
                .seal(
                    &account,
                    &Profile {
                        name: name.into(),
                        email: format!("{name}@example.com"),
                        phone: "+821000000000".into(),
                        gender: truffle_ledger::types::Gender::Other,
                        birth_year: 1990,
                        address: None,
                    },
                    0,
                )
                .unwrap(),
            created_ms: 0,
        };
        store
            .service_write(
                &[(
                    key(b"member/", &[&account.0]),
                    Some(borsh::to_vec(&m).unwrap()),
                )],
                &[],
            )
            .unwrap();
        account
    }

    fn run(store: &Store, command: KakaoCommand) -> KakaoReply {
        let outcome = apply(store, command).unwrap();
        store.service_write(&outcome.changes, &[]).unwrap();
        borsh::from_slice(&outcome.response).unwrap()
    }

    fn issue(account: PublicKey, code: u8, now_ms: u64) -> KakaoCommand {
        KakaoCommand::IssueCode {
            account,
            code_mac: Hash([code; 32]),
            now_ms,
            expires_at_ms: now_ms + 300_000,
        }
    }

    fn link(user: u8, code: u8, now_ms: u64) -> KakaoCommand {
        KakaoCommand::Link {
            user_mac: Hash([user; 32]),
            code_mac: Hash([code; 32]),
            now_ms,
        }
    }

    #[test]
    fn codes_links_limits_and_withdrawal() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (a, b) = (member(&store, "a"), member(&store, "b"));
        let stranger = Keypair::from_name("stranger").public();
        assert_eq!(
            run(&store, issue(stranger, 1, 0)),
            KakaoReply::UnknownMember
        );
        assert_eq!(run(&store, issue(a, 1, 0)), KakaoReply::CodeIssued);
        assert_eq!(run(&store, issue(b, 1, 0)), KakaoReply::CodeCollision);
        // A new code replaces the old one.
        assert_eq!(run(&store, issue(a, 2, 0)), KakaoReply::CodeIssued);
        assert_eq!(run(&store, link(9, 1, 1)), KakaoReply::InvalidCode);
        assert_eq!(
            run(&store, link(9, 2, 1)),
            KakaoReply::Linked { account: a }
        );
        assert_eq!(
            run(&store, link(9, 2, 1)),
            KakaoReply::InvalidCode,
            "single use"
        );
        assert_eq!(run(&store, issue(a, 3, 2)), KakaoReply::CodeIssued);
        assert_eq!(
            run(&store, link(9, 3, 3)),
            KakaoReply::AlreadyLinked { account: a }
        );
        // Codes expire.
        assert_eq!(run(&store, issue(b, 4, 10)), KakaoReply::CodeIssued);
        assert_eq!(run(&store, link(8, 4, 400_000)), KakaoReply::ExpiredCode);
        // Five codes per window per account.
        for code in 5..7 {
            assert_eq!(run(&store, issue(a, code, 20)), KakaoReply::CodeIssued);
        }
        assert!(matches!(
            run(&store, issue(a, 7, 20)),
            KakaoReply::Throttled { .. }
        ));
        // Wrong codes: 5 per user, then refused even with a good code.
        assert_eq!(run(&store, issue(b, 20, 500_000)), KakaoReply::CodeIssued);
        for _ in 0..5 {
            assert_eq!(run(&store, link(7, 99, 500_001)), KakaoReply::InvalidCode);
        }
        assert!(matches!(
            run(&store, link(7, 20, 500_002)),
            KakaoReply::RateLimited { .. }
        ));
        assert!(sweep_due(&store, 2_000_000));
        assert!(matches!(
            run(&store, KakaoCommand::Sweep { now_ms: 2_000_000 }),
            KakaoReply::Swept { keys } if keys > 0
        ));
        assert!(!sweep_due(&store, 2_000_000));
        // Unlink from the site side, then relink and withdraw.
        assert_eq!(
            run(
                &store,
                KakaoCommand::Unlink {
                    user_mac: None,
                    account: Some(a)
                }
            ),
            KakaoReply::Unlinked { account: a }
        );
        assert_eq!(
            run(
                &store,
                KakaoCommand::Unlink {
                    user_mac: Some(Hash([9; 32])),
                    account: None
                }
            ),
            KakaoReply::NotLinked
        );
        assert_eq!(run(&store, issue(a, 30, 3_000_000)), KakaoReply::CodeIssued);
        assert_eq!(
            run(&store, link(9, 30, 3_000_001)),
            KakaoReply::Linked { account: a }
        );
        let command = borsh::to_vec(&ServiceCommand::DeleteMember { account: a }).unwrap();
        let outcome = crate::service_router().apply(&store, &command).unwrap();
        store.service_write(&outcome.changes, &[]).unwrap();
        let o = Overlay::new(&store);
        assert!(o
            .get::<Binding>(&user_key(&Hash([9; 32])))
            .unwrap()
            .is_none());
        assert!(o.get::<Hash>(&account_key(&a)).unwrap().is_none());
    }
}
