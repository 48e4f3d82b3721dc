//! Queries only an admin may make (campaign statistics, another member's
//! recommendations): signed over the chain, the method and a time, checked against the
//! ledger's admin accounts. Not transactions: nothing is written, so a query needs no
//! nonce, only a time close to the node's clock.

use serde::{Deserialize, Serialize};

use crate::state::{decode_record, keys, StateView};
use crate::types::{Account, AccountStatus, Role};
use crate::{Hash, Keypair, LedgerError, PublicKey, Signature};

/// An admin query is accepted when its time is within this of the node's clock.
pub const ADMIN_QUERY_MAX_SKEW_MS: u64 = 60_000;
/// Domain tag of the message an [`AdminQuery`] signs.
pub const ADMIN_QUERY_DOMAIN: &[u8] = b"truffle/v1/admin-query";

/// A query only an admin may make, signed by the admin's key over
/// `blake3(ADMIN_QUERY_DOMAIN ‖ chain id ‖ method ‖ 0 ‖ time_ms)` (see
/// [`AdminQuery::message`]). Accepted for [`ADMIN_QUERY_MAX_SKEW_MS`] around `time_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdminQuery {
    /// The admin's key (an active ledger account with the admin role).
    pub admin: PublicKey,
    /// The admin's clock when signing, ms since the Unix epoch.
    pub time_ms: u64,
    /// Signature of [`AdminQuery::message`].
    pub signature: Signature,
}

/// Why an admin query was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminQueryError {
    /// The query's time is too far from the node's clock.
    #[error("the query was signed at {time_ms} ms, {skew_ms} ms away from this node's clock (at most {ADMIN_QUERY_MAX_SKEW_MS} ms); sign it again")]
    Expired {
        /// The query's time.
        time_ms: u64,
        /// Distance to the node's clock.
        skew_ms: u64,
    },
    /// The signature does not verify under the admin key.
    #[error("the signature does not verify under {0}")]
    BadSignature(PublicKey),
    /// The key is not an active admin account.
    #[error("{0} is not an active admin account")]
    NotAdmin(PublicKey),
}

impl AdminQuery {
    /// The hash an admin signs to ask `method` at `time_ms` on chain `chain_id`.
    pub fn message(chain_id: &Hash, method: &str, time_ms: u64) -> Hash {
        Hash::tagged(
            ADMIN_QUERY_DOMAIN,
            &[
                chain_id.as_bytes(),
                method.as_bytes(),
                &[0],
                &time_ms.to_be_bytes(),
            ],
        )
    }

    /// Signs a query for `method` now.
    pub fn sign(key: &Keypair, chain_id: &Hash, method: &str, time_ms: u64) -> AdminQuery {
        let message = AdminQuery::message(chain_id, method, time_ms);
        AdminQuery {
            admin: key.public(),
            time_ms,
            signature: key.sign(message.as_bytes()),
        }
    }

    /// Checks the time and signature (not the role: see [`check`]).
    pub fn verify(
        &self,
        chain_id: &Hash,
        method: &str,
        now_ms: u64,
    ) -> Result<(), AdminQueryError> {
        let skew_ms = now_ms.abs_diff(self.time_ms);
        if skew_ms >= ADMIN_QUERY_MAX_SKEW_MS {
            return Err(AdminQueryError::Expired {
                time_ms: self.time_ms,
                skew_ms,
            });
        }
        let message = AdminQuery::message(chain_id, method, self.time_ms);
        self.admin
            .verify(message.as_bytes(), &self.signature)
            .map_err(|_| AdminQueryError::BadSignature(self.admin))
    }
}

/// Why an admin query could not be accepted.
#[derive(Debug, thiserror::Error)]
pub enum AdminCheckError {
    /// The query was refused.
    #[error(transparent)]
    Refused(#[from] AdminQueryError),
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Checks a query for `method` at `now_ms`: time, signature, and that the key is an
/// active admin account in `state`.
pub fn check(
    state: &impl StateView,
    chain_id: &Hash,
    query: &AdminQuery,
    method: &str,
    now_ms: u64,
) -> Result<(), AdminCheckError> {
    query.verify(chain_id, method, now_ms)?;
    let account: Option<Account> = match state.get(&keys::account(&query.admin))? {
        Some(bytes) => Some(decode_record("account", &bytes)?),
        None => None,
    };
    match account {
        Some(a) if a.role == Role::Admin && a.status == AccountStatus::Active => Ok(()),
        _ => Err(AdminQueryError::NotAdmin(query.admin).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_queries_are_bound_to_chain_method_and_time() {
        let key = Keypair::from_name("admin");
        let chain = Hash::of(b"chain");
        let now = 1_700_000_000_000;
        let query = AdminQuery::sign(&key, &chain, "ad_stats", now);
        assert!(query.verify(&chain, "ad_stats", now + 59_000).is_ok());
        assert!(matches!(
            query.verify(&chain, "ad_stats", now + 60_000),
            Err(AdminQueryError::Expired { .. })
        ));
        assert!(matches!(
            query.verify(&chain, "ad_stats", now - 60_000),
            Err(AdminQueryError::Expired { .. })
        ));
        assert!(matches!(
            query.verify(&Hash::of(b"other"), "ad_stats", now),
            Err(AdminQueryError::BadSignature(_))
        ));
        assert!(matches!(
            query.verify(&chain, "ad_list", now),
            Err(AdminQueryError::BadSignature(_))
        ));
        let mut forged = query;
        forged.time_ms += 1;
        assert!(forged.verify(&chain, "ad_stats", now).is_err());
        let json = serde_json::to_string(&query).unwrap();
        assert_eq!(serde_json::from_str::<AdminQuery>(&json).unwrap(), query);
    }

    /// Accounts in a map: the only state the check reads.
    struct Accounts(std::collections::BTreeMap<Vec<u8>, Vec<u8>>);

    impl StateView for Accounts {
        fn get(&self, key: &[u8]) -> crate::LedgerResult<Option<Vec<u8>>> {
            Ok(self.0.get(key).cloned())
        }

        fn scan_prefix(&self, _prefix: &[u8]) -> crate::LedgerResult<Vec<(Vec<u8>, Vec<u8>)>> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn only_an_active_admin_account_passes_the_check() {
        let chain = Hash::of(b"chain");
        let now = 1_700_000_000_000;
        let account = |key: &Keypair, role: Role, status: AccountStatus| {
            let record = Account {
                key: key.public(),
                role,
                status,
                nonce: 0,
                phone_verified: true,
                adult: false,
                seller: crate::types::SellerStatus::None,
                registered_height: 0,
                missed_reveals: 0,
                raffle_cooldown_until_ms: 0,
            };
            (
                keys::account(&key.public()),
                crate::state::encode_record(&record),
            )
        };
        let (admin, member, suspended) = (
            Keypair::from_name("admin"),
            Keypair::from_name("member"),
            Keypair::from_name("suspended-admin"),
        );
        let state = Accounts(
            [
                account(&admin, Role::Admin, AccountStatus::Active),
                account(&member, Role::Member, AccountStatus::Active),
                account(&suspended, Role::Admin, AccountStatus::Suspended),
            ]
            .into_iter()
            .collect(),
        );
        let ask = |key: &Keypair| {
            let query = AdminQuery::sign(key, &chain, "ad_stats", now);
            check(&state, &chain, &query, "ad_stats", now)
        };
        assert!(ask(&admin).is_ok());
        for refused in [&member, &suspended, &Keypair::from_name("stranger")] {
            assert!(matches!(
                ask(refused),
                Err(AdminCheckError::Refused(AdminQueryError::NotAdmin(_)))
            ));
        }
    }
}
