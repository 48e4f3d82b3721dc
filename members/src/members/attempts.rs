//! The members service's side of the cluster-wide throttles ([`crate::throttle`]):
//! reserving an attempt before any verification or other write, releasing a successful
//! one, and the current-password re-check that `update` and `delete` share.

use std::net::IpAddr;

use truffle_engine::Engine;
use truffle_ledger::Hash;

use super::{Member, MemberError, Members, Result};
use crate::checks::new_token;
use crate::pool::PoolPermit;
use crate::throttle::{client_prefix, Limit, Scope, ThrottleCommand, ThrottleReply};

impl Members {
    /// A per-client-prefix (/24, /64) limit of `scope`.
    pub(super) fn per_client(&self, scope: Scope, client: IpAddr) -> Limit {
        Limit {
            scope,
            subject: self.vault.mac("client-prefix", &client_prefix(client)),
            max: self.policy.limits.max(scope),
        }
    }

    /// A limit of `scope` about `subject` (an account or email MAC).
    pub(super) fn per_subject(&self, scope: Scope, subject: Hash) -> Limit {
        Limit {
            scope,
            subject,
            max: self.policy.limits.max(scope),
        }
    }

    /// Reserves one attempt under `scopes` for the whole cluster. Refused without any
    /// Raft write when this node's committed counts are full already; otherwise the
    /// replicated reservation decides, atomically in log order. `Ok(Err(secs))`: refused,
    /// retry after `secs`; `Ok(Ok(id))`: reserved as attempt `id`.
    pub(super) async fn reserve(
        &self,
        node: &Engine,
        scopes: &[Limit],
    ) -> Result<std::result::Result<Hash, u64>> {
        let now_ms = node.now_ms();
        let retry = |reply| match reply {
            ThrottleReply::Throttled { retry_after_ms, .. } => {
                Some(u64::max(1, retry_after_ms.div_ceil(1000)))
            }
            ThrottleReply::Granted => None,
        };
        if let Some(secs) = crate::throttle::refused(node.store(), scopes, now_ms)?.and_then(retry)
        {
            return Ok(Err(secs));
        }
        let (_, attempt) = new_token();
        let command = ThrottleCommand::Reserve {
            scopes: scopes.to_vec(),
            attempt,
            now_ms,
        };
        let reply: ThrottleReply = borsh::from_slice(
            &node
                .propose_service(truffle_engine::encode_tagged(
                    crate::throttle::SERVICE_TAG,
                    &command,
                ))
                .await?,
        )
        .map_err(|e| MemberError::Unavailable(format!("bad throttle reply: {e}")))?;
        Ok(match retry(reply) {
            Some(secs) => Err(secs),
            None => Ok(attempt),
        })
    }

    /// Withdraws a successful attempt from the counts (best effort: if it fails, the
    /// attempt counts until its window slides, which only errs on the safe side).
    pub(super) async fn release(&self, node: &Engine, scopes: &[Limit], attempt: Hash) {
        let command = ThrottleCommand::Release {
            scopes: scopes.to_vec(),
            attempt,
        };
        if let Err(error) = node
            .propose_service(truffle_engine::encode_tagged(
                crate::throttle::SERVICE_TAG,
                &command,
            ))
            .await
        {
            tracing::debug!(target: "members", %error, "releasing an attempt failed");
        }
    }

    /// A pool place and a reservation of a current-password re-check of `account`, then
    /// the check itself; a right password is released again.
    pub(super) async fn recheck_password(
        &self,
        node: &Engine,
        member: &Member,
        password: String,
    ) -> Result<PoolPermit> {
        let permit = self.pool.permit()?;
        let scopes = [self.per_subject(Scope::PasswordAccount, Hash::of(&member.account.0))];
        let attempt = self
            .reserve(node, &scopes)
            .await?
            .map_err(|retry_after_secs| MemberError::AttemptsThrottled { retry_after_secs })?;
        if !self
            .pool
            .verify(&permit, password, member.password_hash.clone())
            .await
        {
            return Err(MemberError::WrongPassword);
        }
        self.release(node, &scopes, attempt).await;
        Ok(permit)
    }
}
