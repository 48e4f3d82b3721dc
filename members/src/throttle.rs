//! Throttles that hold cluster-wide: every password guess, code check, code request and
//! signup first reserves an attempt in the replicated service data, and the reservation
//! is granted or refused in Raft log order — the same answer on every node.
//!
//! Why this shape (ARCHITECTURE.md, "Throttles"):
//! - **Atomic.** A reservation is one replicated command applied in log order, so a
//!   batch of 100 concurrent logins gets at most `max` grants however it is interleaved;
//!   nothing is checked before an await and recorded after.
//! - **Cluster-wide.** The counters live in the replicated service data, so spreading
//!   attempts over validators gains nothing: each node's reservation goes through the
//!   same log.
//! - **Cheap to refuse.** Before proposing, a node reads its own committed copy of the
//!   counters and refuses without any Raft write when the limit is already reached, so a
//!   flood costs one local read per call, not one log entry.
//! - **Scoped.** Per account (the email's or account's MAC) and per client prefix (/24
//!   for IPv4, /64 for IPv6): one host rotating addresses in its subnet gains nothing.
//!
//! A successful attempt (the right password) is released again, so honest logins behind
//! one NAT do not use up the prefix's allowance; failures stay until the window slides.
//! The windows are constants of the applier ([`Scope::window_ms`]); the most attempts per
//! window travel in the command from the proposing node's configuration
//! ([`ThrottleLimits`], bounded by [`MAX_LIMIT`]) so that operators can tune them. That
//! trusts validators, as the throttles must anyway: a validator holds the password
//! hashes and could guess offline without asking anyone.

use borsh::{BorshDeserialize, BorshSerialize};
use std::net::IpAddr;
use truffle_consensus::{ServiceError, ServiceOutcome};
use truffle_ledger::Hash;
use truffle_store::Store;

use crate::Changes;

/// The throttles' tag among the replicated service commands.
pub const SERVICE_TAG: u8 = 16;

const THROTTLE: &[u8] = b"throttle/";

/// What an attempt is counted against. Variants are only appended (their index is in
/// the stored keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Scope {
    /// Password guesses at one email (login).
    LoginAccount,
    /// Password guesses from one client prefix (login).
    LoginClient,
    /// Current-password re-checks of one account (`account_update`, `account_delete`).
    PasswordAccount,
    /// Signups from one client prefix.
    SignupClient,
    /// Code checks from one client prefix.
    CodeCheckClient,
    /// Code requests from one client prefix.
    CodeRequestClient,
}

const MINUTE: u64 = 60_000;

/// Most attempts a command may allow per window (a bound on stored counts).
pub const MAX_LIMIT: u32 = 10_000;

impl Scope {
    /// The sliding window of this scope (the same on every node: part of the applier).
    pub const fn window_ms(self) -> u64 {
        match self {
            Scope::LoginAccount | Scope::LoginClient | Scope::PasswordAccount => 15 * MINUTE,
            Scope::SignupClient | Scope::CodeCheckClient | Scope::CodeRequestClient => 60 * MINUTE,
        }
    }
}

/// Most attempts per window of each scope (config keys `throttle_*`; every validator
/// should use the same values, or clients go to the loosest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleLimits {
    /// Failed logins per email per 15 minutes.
    pub login_per_account: u32,
    /// Failed logins per client prefix per 15 minutes.
    pub login_per_client: u32,
    /// Wrong current passwords per account per 15 minutes.
    pub password_per_account: u32,
    /// Signups per client prefix per hour.
    pub signup_per_client: u32,
    /// Code checks per client prefix per hour.
    pub code_checks_per_client: u32,
    /// Code requests per client prefix per hour.
    pub code_requests_per_client: u32,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        ThrottleLimits {
            login_per_account: 5,
            login_per_client: 20,
            password_per_account: 5,
            signup_per_client: 10,
            code_checks_per_client: 30,
            code_requests_per_client: 10,
        }
    }
}

impl ThrottleLimits {
    /// The limit of `scope`.
    pub fn max(&self, scope: Scope) -> u32 {
        match scope {
            Scope::LoginAccount => self.login_per_account,
            Scope::LoginClient => self.login_per_client,
            Scope::PasswordAccount => self.password_per_account,
            Scope::SignupClient => self.signup_per_client,
            Scope::CodeCheckClient => self.code_checks_per_client,
            Scope::CodeRequestClient => self.code_requests_per_client,
        }
    }

    /// Every limit is in `1..=MAX_LIMIT`.
    pub fn check(&self) -> Result<(), String> {
        let all = [
            ("login_per_account", self.login_per_account),
            ("login_per_client", self.login_per_client),
            ("password_per_account", self.password_per_account),
            ("signup_per_client", self.signup_per_client),
            ("code_checks_per_client", self.code_checks_per_client),
            ("code_requests_per_client", self.code_requests_per_client),
        ];
        for (name, value) in all {
            if !(1..=MAX_LIMIT).contains(&value) {
                return Err(format!("throttle {name} must be 1 to {MAX_LIMIT}"));
            }
        }
        Ok(())
    }
}

/// One scope of a reservation: what it counts, about whom (a MAC), and its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Limit {
    /// What is counted.
    pub scope: Scope,
    /// The MAC of what it is about (email, account, client prefix).
    pub subject: Hash,
    /// Most attempts in the scope's window.
    pub max: u32,
}

/// The client's network: /24 of an IPv4 address, /64 of an IPv6 one (an IPv4-mapped
/// IPv6 address counts as its IPv4 address).
pub fn client_prefix(ip: IpAddr) -> Vec<u8> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => [&[4u8][..], &v4.octets()[..3]].concat(),
        IpAddr::V6(v6) => [&[6u8][..], &v6.octets()[..8]].concat(),
    }
}

/// A reservation of one attempt under several scopes, all or none.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ThrottleCommand {
    /// Counts `attempt` under every scope, unless one of them is full.
    Reserve {
        /// The scopes and their limits.
        scopes: Vec<Limit>,
        /// A random id of this attempt (to release it).
        attempt: Hash,
        /// The proposer's clock.
        now_ms: u64,
    },
    /// Withdraws a successful attempt from the counts.
    Release {
        /// The scopes it was reserved under.
        scopes: Vec<Limit>,
        /// Its id.
        attempt: Hash,
    },
}

/// The applier's answer to a [`ThrottleCommand`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ThrottleReply {
    /// Reserved (or released).
    Granted,
    /// A scope is full: retry after this long.
    Throttled {
        /// ms.
        retry_after_ms: u64,
        /// The first full scope.
        scope: Scope,
    },
}

/// Attempts of one scope: (time, attempt id), oldest first.
type Attempts = Vec<(u64, Hash)>;

/// Most scopes in one command (a bound on what a command may touch).
pub const MAX_SCOPES: usize = 4;

fn key(scope: Scope, subject: &Hash) -> Vec<u8> {
    let mut key = THROTTLE.to_vec();
    key.push(scope as u8);
    key.extend_from_slice(&subject.0);
    key
}

fn load(store: &Store, scope: Scope, subject: &Hash) -> Result<Attempts, ServiceError> {
    match store.service_get(&key(scope, subject))? {
        Some(bytes) => borsh::from_slice(&bytes).map_err(|e| ServiceError::Corrupt(e.to_string())),
        None => Ok(Attempts::new()),
    }
}

fn store_attempts(changes: &mut Changes, scope: Scope, subject: &Hash, attempts: &Attempts) {
    let value = (!attempts.is_empty())
        .then(|| borsh::to_vec(attempts).expect("encoding to a Vec cannot fail"));
    changes.push((key(scope, subject), value));
}

/// Whether `scopes` would refuse an attempt at `now_ms`, by the committed counts in
/// `store` (the cheap local check before proposing; the replicated one decides).
pub fn refused(
    store: &Store,
    scopes: &[Limit],
    now_ms: u64,
) -> Result<Option<ThrottleReply>, ServiceError> {
    for limit in scopes {
        let window_ms = limit.scope.window_ms();
        let max = limit.max.clamp(1, MAX_LIMIT) as usize;
        let attempts = load(store, limit.scope, &limit.subject)?;
        let live: Vec<u64> = attempts
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| now_ms < t.saturating_add(window_ms))
            .collect();
        if live.len() >= max {
            return Ok(Some(ThrottleReply::Throttled {
                retry_after_ms: live[live.len() - max] + window_ms - now_ms,
                scope: limit.scope,
            }));
        }
    }
    Ok(None)
}

/// Applies a throttle command (every node, in log order).
pub fn apply(store: &Store, command: ThrottleCommand) -> Result<ServiceOutcome, ServiceError> {
    let mut changes = Changes::new();
    let reply = match command {
        ThrottleCommand::Reserve {
            scopes,
            attempt,
            now_ms,
        } => {
            if scopes.len() > MAX_SCOPES {
                return Err(ServiceError::Malformed("too many throttle scopes".into()));
            }
            match refused(store, &scopes, now_ms)? {
                Some(throttled) => throttled,
                None => {
                    for limit in &scopes {
                        let window_ms = limit.scope.window_ms();
                        let mut attempts = load(store, limit.scope, &limit.subject)?;
                        attempts.retain(|(t, _)| now_ms < t.saturating_add(window_ms));
                        attempts.push((now_ms, attempt));
                        store_attempts(&mut changes, limit.scope, &limit.subject, &attempts);
                    }
                    ThrottleReply::Granted
                }
            }
        }
        ThrottleCommand::Release { scopes, attempt } => {
            if scopes.len() > MAX_SCOPES {
                return Err(ServiceError::Malformed("too many throttle scopes".into()));
            }
            for limit in &scopes {
                let mut attempts = load(store, limit.scope, &limit.subject)?;
                let before = attempts.len();
                attempts.retain(|(_, id)| *id != attempt);
                if attempts.len() != before {
                    store_attempts(&mut changes, limit.scope, &limit.subject, &attempts);
                }
            }
            ThrottleReply::Granted
        }
    };
    Ok(ServiceOutcome {
        changes,
        response: borsh::to_vec(&reply).expect("encoding to a Vec cannot fail"),
    })
}

/// The throttles' replicated service commands.
pub struct ThrottleApplier;

impl truffle_engine::TaggedService for ThrottleApplier {
    const TAG: u8 = SERVICE_TAG;
    type Command = ThrottleCommand;

    fn apply_command(
        &self,
        store: &Store,
        command: ThrottleCommand,
    ) -> Result<ServiceOutcome, ServiceError> {
        apply(store, command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn run(store: &Store, command: ThrottleCommand) -> ThrottleReply {
        let outcome = apply(store, command).unwrap();
        store.service_write(&outcome.changes, &[]).unwrap();
        borsh::from_slice(&outcome.response).unwrap()
    }

    fn login(subject: Hash) -> Limit {
        Limit {
            scope: Scope::LoginAccount,
            subject,
            max: 5,
        }
    }

    fn reserve(store: &Store, subject: &Hash, n: u8, now_ms: u64) -> ThrottleReply {
        run(
            store,
            ThrottleCommand::Reserve {
                scopes: vec![login(*subject)],
                attempt: Hash::of(&[n]),
                now_ms,
            },
        )
    }

    #[test]
    fn prefixes_group_a_subnet() {
        let a = client_prefix(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)));
        assert_eq!(a, client_prefix(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 200))));
        assert_ne!(a, client_prefix(IpAddr::V4(Ipv4Addr::new(10, 1, 3, 3))));
        let mapped = IpAddr::V6(Ipv4Addr::new(10, 1, 2, 9).to_ipv6_mapped());
        assert_eq!(a, client_prefix(mapped));
        let v6: Ipv6Addr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: Ipv6Addr = "2001:db8:1:2:ffff::7".parse().unwrap();
        let v6c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_prefix(v6.into()), client_prefix(v6b.into()));
        assert_ne!(client_prefix(v6.into()), client_prefix(v6c.into()));
    }

    #[test]
    fn reservations_stop_at_the_limit_slide_and_release() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let subject = Hash::of(b"someone");
        let window_ms = Scope::LoginAccount.window_ms();
        for n in 0..5 {
            assert_eq!(
                reserve(&store, &subject, n, 1_000 + u64::from(n)),
                ThrottleReply::Granted
            );
        }
        let ThrottleReply::Throttled { retry_after_ms, .. } = reserve(&store, &subject, 99, 2_000)
        else {
            panic!("the sixth attempt is refused")
        };
        assert_eq!(retry_after_ms, 1_000 + window_ms - 2_000);
        assert!(refused(&store, &[login(subject)], 2_000).unwrap().is_some());
        // A successful attempt is released and frees its place.
        run(
            &store,
            ThrottleCommand::Release {
                scopes: vec![login(subject)],
                attempt: Hash::of(&[0]),
            },
        );
        assert_eq!(reserve(&store, &subject, 50, 2_001), ThrottleReply::Granted);
        assert!(matches!(
            reserve(&store, &subject, 51, 2_002),
            ThrottleReply::Throttled { .. }
        ));
        // The window slides: the old attempts expire, and an emptied scope is deleted.
        let later = 3_000 + window_ms;
        assert_eq!(reserve(&store, &subject, 52, later), ThrottleReply::Granted);
        assert_eq!(
            load(&store, Scope::LoginAccount, &subject).unwrap().len(),
            1
        );
    }

    #[test]
    fn all_scopes_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let full = Hash::of(b"full");
        for n in 0..5 {
            reserve(&store, &full, n, 10);
        }
        let other = Hash::of(b"other");
        let reply = run(
            &store,
            ThrottleCommand::Reserve {
                scopes: vec![
                    Limit {
                        scope: Scope::LoginClient,
                        subject: other,
                        max: 20,
                    },
                    login(full),
                ],
                attempt: Hash::of(b"x"),
                now_ms: 20,
            },
        );
        assert!(matches!(
            reply,
            ThrottleReply::Throttled {
                scope: Scope::LoginAccount,
                ..
            }
        ));
        assert!(load(&store, Scope::LoginClient, &other).unwrap().is_empty());
        let too_many = ThrottleCommand::Reserve {
            scopes: vec![login(other); MAX_SCOPES + 1],
            attempt: Hash::of(b"y"),
            now_ms: 20,
        };
        assert!(matches!(
            apply(&store, too_many),
            Err(ServiceError::Malformed(_))
        ));
    }
}
