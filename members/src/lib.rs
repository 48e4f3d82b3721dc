//! Members (flows 1–6 of the brief): data replicated through Raft in log order but kept
//! out of the ledger's history, so that it can be erased — phone verifications,
//! members' sealed personal data, password hashes and sessions.
//!
//! Each change is a [`ServiceCommand`], proposed by the node serving a request and
//! applied by [`Services`] on every node, deterministically from the command and the
//! state (the proposer's clock travels in the command). Secrets never travel or rest in
//! the clear: codes and tokens as keyed MACs or hashes, profiles sealed (see [`vault`]).

mod checks;
pub mod epochs;
pub mod keystore;
pub mod members;
pub mod pool;
pub mod sms;
pub mod throttle;
pub mod vault;

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_consensus::{ServiceApplier, ServiceError, ServiceOutcome};
use truffle_ledger::{Hash, PublicKey};
use truffle_store::Store;

use vault::SealedProfile;

/// Wrong codes allowed before the code is void and signup starts over.
pub const MAX_CODE_ATTEMPTS: u8 = 5;
/// Most codes to one phone per hour.
pub const MAX_SENDS_PER_HOUR: u8 = 5;
/// How long a verification token is valid.
pub const VERIFICATION_TOKEN_TTL_MS: u64 = 10 * 60 * 1000;

const PHONE_CODE: &[u8] = b"phone-code/";
const VERIFIED: &[u8] = b"verified/";
const EMAIL: &[u8] = b"email/";
const PHONE_OWNER: &[u8] = b"phone-owner/";
pub(crate) const MEMBER: &[u8] = b"member/";
const SESSION: &[u8] = b"session/";
const ACCOUNT_SESSION: &[u8] = b"account-session/";

pub(crate) fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// A code sent to a phone.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PhoneCode {
    /// MAC of the code.
    pub code_mac: Hash,
    /// When it stops working.
    pub expires_at_ms: u64,
    /// Wrong attempts so far.
    pub attempts: u8,
    /// Start of the hourly send window.
    pub window_start_ms: u64,
    /// Codes sent in the window.
    pub sends_in_window: u8,
    /// When the last code was sent.
    pub last_sent_ms: u64,
}

/// A phone proven by a code, waiting for the signup that consumes it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VerifiedPhone {
    /// MAC of the phone.
    pub phone_mac: Hash,
    /// When the token stops working.
    pub expires_at_ms: u64,
}

/// A member's private record.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Member {
    /// The ledger account.
    pub account: PublicKey,
    /// MAC of the email (login lookup).
    pub email_mac: Hash,
    /// MAC of the phone (uniqueness).
    pub phone_mac: Hash,
    /// argon2id PHC string.
    pub password_hash: String,
    /// The sealed profile.
    pub sealed: SealedProfile,
    /// When the member signed up.
    pub created_ms: u64,
}

/// A login session.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Session {
    /// Whose.
    pub account: PublicKey,
    /// Until when.
    pub expires_at_ms: u64,
}

/// A change to the replicated service data. Variants are only appended.
#[derive(Debug, BorshSerialize, BorshDeserialize)]
pub enum ServiceCommand {
    /// A liveness mark.
    Mark {
        /// The proposer's clock.
        time_ms: u64,
    },
    /// Records a new code for a phone (the proposer sends the SMS only if this applies).
    IssueCode {
        /// MAC of the phone.
        phone_mac: Hash,
        /// MAC of the code.
        code_mac: Hash,
        /// The proposer's clock.
        now_ms: u64,
        /// When the code stops working.
        expires_at_ms: u64,
        /// Least time before another code to this phone.
        resend_interval_ms: u64,
    },
    /// Checks a code; on success records a verification token.
    CheckCode {
        /// MAC of the phone.
        phone_mac: Hash,
        /// MAC of the code typed.
        code_mac: Hash,
        /// The proposer's clock.
        now_ms: u64,
        /// blake3 of the token to issue on success.
        token_hash: Hash,
    },
    /// Creates a member, consuming a verification token.
    CreateMember {
        /// The member's private record.
        member: Member,
        /// blake3 of the verification token.
        token_hash: Hash,
        /// The proposer's clock.
        now_ms: u64,
    },
    /// Undoes a `CreateMember` whose ledger registration failed.
    RollbackMember {
        /// The account.
        account: PublicKey,
    },
    /// Updates a member's profile, password or phone.
    UpdateMember {
        /// The account.
        account: PublicKey,
        /// The re-sealed profile.
        sealed: SealedProfile,
        /// A new password hash.
        password_hash: Option<String>,
        /// A new phone: its MAC and the verification token proving it.
        new_phone: Option<(Hash, Hash)>,
        /// The proposer's clock.
        now_ms: u64,
        /// With a new password, every session of the account ends but this one (the
        /// token hash of the session that changed it).
        keep_session: Option<Hash>,
    },
    /// Erases a member: sealed data, indexes, sessions.
    DeleteMember {
        /// The account.
        account: PublicKey,
    },
    /// Opens a session.
    CreateSession {
        /// blake3 of the session token.
        token_hash: Hash,
        /// Whose.
        account: PublicKey,
        /// Until when.
        expires_at_ms: u64,
    },
    /// Ends a session.
    RevokeSession {
        /// blake3 of the session token.
        token_hash: Hash,
    },
}

/// What a service command did.
#[derive(Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ServiceReply {
    /// Done.
    Done,
    /// A code is recorded.
    CodeIssued {
        /// When it expires.
        expires_at_ms: u64,
    },
    /// Too many codes: wait.
    Throttled {
        /// How long, ms.
        retry_after_ms: u64,
    },
    /// The code matched; the token is recorded.
    Verified {
        /// When the token expires.
        expires_at_ms: u64,
    },
    /// The code did not match.
    WrongCode {
        /// Attempts left before signup starts over.
        attempts_left: u8,
    },
    /// The code expired: signup starts over.
    CodeExpired,
    /// Too many wrong codes: signup starts over.
    CodeExhausted,
    /// No code was requested for this phone.
    NoCode,
    /// The verification token is unknown, used or expired: signup starts over.
    TokenInvalid,
    /// The email belongs to another member.
    EmailTaken,
    /// The phone belongs to another member.
    PhoneTaken,
    /// The account already has a member record.
    AccountTaken,
    /// No such member.
    UnknownMember,
    /// The record is sealed in another vault epoch than the cluster's: seal again.
    StaleEpoch,
}

/// Key changes to the service family (`None` deletes).
pub type Changes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

pub(crate) fn put<T: BorshSerialize>(changes: &mut Changes, key: Vec<u8>, value: &T) {
    changes.push((
        key,
        Some(borsh::to_vec(value).expect("encoding to a Vec cannot fail")),
    ));
}

pub(crate) fn get<T: BorshDeserialize>(
    store: &Store,
    key: &[u8],
) -> Result<Option<T>, ServiceError> {
    match store.service_get(key)? {
        Some(bytes) => borsh::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ServiceError::Corrupt(e.to_string())),
        None => Ok(None),
    }
}

/// Reads of the replicated service data, for the node's request handlers.
pub struct ServiceState<'a> {
    store: &'a Store,
}

impl<'a> ServiceState<'a> {
    /// Reads through `store`.
    pub fn new(store: &'a Store) -> Self {
        ServiceState { store }
    }

    /// The member with this email MAC.
    pub fn member_by_email(&self, email_mac: &Hash) -> Result<Option<Member>, ServiceError> {
        match get::<PublicKey>(self.store, &key(EMAIL, &[&email_mac.0]))? {
            Some(account) => self.member(&account),
            None => Ok(None),
        }
    }

    /// Whether a phone MAC belongs to a member.
    pub fn phone_taken(&self, phone_mac: &Hash) -> Result<bool, ServiceError> {
        Ok(get::<PublicKey>(self.store, &key(PHONE_OWNER, &[&phone_mac.0]))?.is_some())
    }

    /// A member's record.
    pub fn member(&self, account: &PublicKey) -> Result<Option<Member>, ServiceError> {
        get(self.store, &key(MEMBER, &[&account.0]))
    }

    /// A session by token hash.
    pub fn session(&self, token_hash: &Hash) -> Result<Option<Session>, ServiceError> {
        get(self.store, &key(SESSION, &[&token_hash.0]))
    }

    /// The code last sent to a phone.
    pub fn phone_code(&self, phone_mac: &Hash) -> Result<Option<PhoneCode>, ServiceError> {
        get(self.store, &key(PHONE_CODE, &[&phone_mac.0]))
    }

    /// A verification token's record.
    pub fn verified_phone(&self, token_hash: &Hash) -> Result<Option<VerifiedPhone>, ServiceError> {
        get(self.store, &key(VERIFIED, &[&token_hash.0]))
    }
}

/// Service-command tags that are members' (the variants of [`ServiceCommand`]); the
/// node's router sends commands with these first bytes to [`Services`].
pub const SERVICE_TAGS: std::ops::RangeInclusive<u8> = 0..=9;

/// What another feature erases of a member when the member withdraws, in the same
/// replicated step as the member's own record (so no node keeps one without the other).
pub trait MemberErasure: Send + Sync + 'static {
    /// Adds to `changes` the deletions of everything `account` left in this feature.
    fn forget(
        &self,
        store: &Store,
        account: &PublicKey,
        changes: &mut Changes,
    ) -> Result<(), ServiceError>;
}

impl<F> MemberErasure for F
where
    F: Fn(&Store, &PublicKey, &mut Changes) -> Result<(), ServiceError> + Send + Sync + 'static,
{
    fn forget(
        &self,
        store: &Store,
        account: &PublicKey,
        changes: &mut Changes,
    ) -> Result<(), ServiceError> {
        self(store, account, changes)
    }
}

/// Applies members' service commands (the consensus state machine calls this in log
/// order, through the node's router).
#[derive(Default)]
pub struct Services {
    erasures: Vec<std::sync::Arc<dyn MemberErasure>>,
}

impl Services {
    /// Members' applier; `erasures` are the other features' parts of a withdrawal.
    pub fn new(erasures: Vec<std::sync::Arc<dyn MemberErasure>>) -> Services {
        Services { erasures }
    }

    fn issue_code(
        store: &Store,
        phone_mac: Hash,
        code_mac: Hash,
        now_ms: u64,
        (expires_at_ms, resend_interval_ms): (u64, u64),
        changes: &mut Changes,
    ) -> Result<ServiceReply, ServiceError> {
        let code_key = key(PHONE_CODE, &[&phone_mac.0]);
        let previous: Option<PhoneCode> = get(store, &code_key)?;
        let (window_start_ms, sends) = match &previous {
            Some(p) if now_ms < p.window_start_ms + 3_600_000 => {
                (p.window_start_ms, p.sends_in_window)
            }
            _ => (now_ms, 0),
        };
        if let Some(p) = &previous {
            if now_ms < p.last_sent_ms + resend_interval_ms {
                return Ok(ServiceReply::Throttled {
                    retry_after_ms: p.last_sent_ms + resend_interval_ms - now_ms,
                });
            }
        }
        if sends >= MAX_SENDS_PER_HOUR {
            return Ok(ServiceReply::Throttled {
                retry_after_ms: window_start_ms + 3_600_000 - now_ms,
            });
        }
        put(
            changes,
            code_key,
            &PhoneCode {
                code_mac,
                expires_at_ms,
                attempts: 0,
                window_start_ms,
                sends_in_window: sends + 1,
                last_sent_ms: now_ms,
            },
        );
        Ok(ServiceReply::CodeIssued { expires_at_ms })
    }

    fn check_code(
        store: &Store,
        phone_mac: Hash,
        code_mac: Hash,
        now_ms: u64,
        token_hash: Hash,
        changes: &mut Changes,
    ) -> Result<ServiceReply, ServiceError> {
        let code_key = key(PHONE_CODE, &[&phone_mac.0]);
        let Some(mut code) = get::<PhoneCode>(store, &code_key)? else {
            return Ok(ServiceReply::NoCode);
        };
        // A used-up code keeps its send window (for throttling) but can never match.
        if code.attempts >= MAX_CODE_ATTEMPTS {
            return Ok(ServiceReply::CodeExhausted);
        }
        if now_ms >= code.expires_at_ms {
            return Ok(ServiceReply::CodeExpired);
        }
        if code.code_mac != code_mac {
            code.attempts += 1;
            let attempts_left = MAX_CODE_ATTEMPTS - code.attempts;
            put(changes, code_key, &code);
            return Ok(if attempts_left == 0 {
                ServiceReply::CodeExhausted
            } else {
                ServiceReply::WrongCode { attempts_left }
            });
        }
        code.attempts = MAX_CODE_ATTEMPTS;
        code.expires_at_ms = now_ms;
        put(changes, code_key, &code);
        let expires_at_ms = now_ms + VERIFICATION_TOKEN_TTL_MS;
        put(
            changes,
            key(VERIFIED, &[&token_hash.0]),
            &VerifiedPhone {
                phone_mac,
                expires_at_ms,
            },
        );
        Ok(ServiceReply::Verified { expires_at_ms })
    }

    /// Checks and consumes a verification token for `phone_mac` (if given) or any phone.
    fn consume_token(
        store: &Store,
        token_hash: &Hash,
        now_ms: u64,
        changes: &mut Changes,
    ) -> Result<Option<VerifiedPhone>, ServiceError> {
        let token_key = key(VERIFIED, &[&token_hash.0]);
        match get::<VerifiedPhone>(store, &token_key)? {
            Some(verified) if now_ms < verified.expires_at_ms => {
                changes.push((token_key, None));
                Ok(Some(verified))
            }
            _ => Ok(None),
        }
    }

    fn create_member(
        store: &Store,
        member: Member,
        token_hash: Hash,
        now_ms: u64,
        changes: &mut Changes,
    ) -> Result<ServiceReply, ServiceError> {
        if member.sealed.epoch != epochs::current_epoch(store)?.0 {
            return Ok(ServiceReply::StaleEpoch);
        }
        let state = ServiceState::new(store);
        let Some(verified) = Self::consume_token(store, &token_hash, now_ms, changes)? else {
            return Ok(ServiceReply::TokenInvalid);
        };
        if verified.phone_mac != member.phone_mac {
            return Ok(ServiceReply::TokenInvalid);
        }
        if state.member(&member.account)?.is_some() {
            return Ok(ServiceReply::AccountTaken);
        }
        if get::<PublicKey>(store, &key(EMAIL, &[&member.email_mac.0]))?.is_some() {
            return Ok(ServiceReply::EmailTaken);
        }
        if state.phone_taken(&member.phone_mac)? {
            return Ok(ServiceReply::PhoneTaken);
        }
        put(changes, key(EMAIL, &[&member.email_mac.0]), &member.account);
        put(
            changes,
            key(PHONE_OWNER, &[&member.phone_mac.0]),
            &member.account,
        );
        put(changes, key(MEMBER, &[&member.account.0]), &member);
        Ok(ServiceReply::Done)
    }

    fn delete_member(
        &self,
        store: &Store,
        account: &PublicKey,
        changes: &mut Changes,
    ) -> Result<ServiceReply, ServiceError> {
        let Some(member) = ServiceState::new(store).member(account)? else {
            return Ok(ServiceReply::UnknownMember);
        };
        changes.push((key(EMAIL, &[&member.email_mac.0]), None));
        changes.push((key(PHONE_OWNER, &[&member.phone_mac.0]), None));
        changes.push((key(MEMBER, &[&account.0]), None));
        for (session_key, _) in store.service_scan(&key(ACCOUNT_SESSION, &[&account.0]))? {
            let token_hash = &session_key[ACCOUNT_SESSION.len() + 32..];
            changes.push((key(SESSION, &[token_hash]), None));
            changes.push((session_key, None));
        }
        for erasure in &self.erasures {
            erasure.forget(store, account, changes)?;
        }
        Ok(ServiceReply::Done)
    }

    fn update_member(
        store: &Store,
        account: PublicKey,
        sealed: SealedProfile,
        password_hash: Option<String>,
        new_phone: Option<(Hash, Hash)>,
        (now_ms, keep_session): (u64, Option<Hash>),
        changes: &mut Changes,
    ) -> Result<ServiceReply, ServiceError> {
        if sealed.epoch != epochs::current_epoch(store)?.0 {
            return Ok(ServiceReply::StaleEpoch);
        }
        let state = ServiceState::new(store);
        let Some(mut member) = state.member(&account)? else {
            return Ok(ServiceReply::UnknownMember);
        };
        if let Some((phone_mac, token_hash)) = new_phone {
            let Some(verified) = Self::consume_token(store, &token_hash, now_ms, changes)? else {
                return Ok(ServiceReply::TokenInvalid);
            };
            if verified.phone_mac != phone_mac {
                return Ok(ServiceReply::TokenInvalid);
            }
            if phone_mac != member.phone_mac {
                if state.phone_taken(&phone_mac)? {
                    return Ok(ServiceReply::PhoneTaken);
                }
                changes.push((key(PHONE_OWNER, &[&member.phone_mac.0]), None));
                put(changes, key(PHONE_OWNER, &[&phone_mac.0]), &account);
                member.phone_mac = phone_mac;
            }
        }
        if let Some(hash) = password_hash {
            member.password_hash = hash;
            for (session_key, _) in store.service_scan(&key(ACCOUNT_SESSION, &[&account.0]))? {
                let token_hash = &session_key[ACCOUNT_SESSION.len() + 32..];
                if keep_session.is_some_and(|keep| keep.0.as_slice() == token_hash) {
                    continue;
                }
                changes.push((key(SESSION, &[token_hash]), None));
                changes.push((session_key, None));
            }
        }
        member.sealed = sealed;
        put(changes, key(MEMBER, &[&account.0]), &member);
        Ok(ServiceReply::Done)
    }
}

impl ServiceApplier for Services {
    fn apply(&self, store: &Store, command: &[u8]) -> Result<ServiceOutcome, ServiceError> {
        let command: ServiceCommand =
            borsh::from_slice(command).map_err(|e| ServiceError::Malformed(e.to_string()))?;
        let mut changes = Changes::new();
        let reply = match command {
            ServiceCommand::Mark { time_ms } => {
                changes.push((b"mark".to_vec(), Some(time_ms.to_be_bytes().to_vec())));
                ServiceReply::Done
            }
            ServiceCommand::IssueCode {
                phone_mac,
                code_mac,
                now_ms,
                expires_at_ms,
                resend_interval_ms,
            } => Self::issue_code(
                store,
                phone_mac,
                code_mac,
                now_ms,
                (expires_at_ms, resend_interval_ms),
                &mut changes,
            )?,
            ServiceCommand::CheckCode {
                phone_mac,
                code_mac,
                now_ms,
                token_hash,
            } => Self::check_code(store, phone_mac, code_mac, now_ms, token_hash, &mut changes)?,
            ServiceCommand::CreateMember {
                member,
                token_hash,
                now_ms,
            } => Self::create_member(store, member, token_hash, now_ms, &mut changes)?,
            ServiceCommand::RollbackMember { account }
            | ServiceCommand::DeleteMember { account } => {
                self.delete_member(store, &account, &mut changes)?
            }
            ServiceCommand::UpdateMember {
                account,
                sealed,
                password_hash,
                new_phone,
                now_ms,
                keep_session,
            } => Self::update_member(
                store,
                account,
                sealed,
                password_hash,
                new_phone,
                (now_ms, keep_session),
                &mut changes,
            )?,
            ServiceCommand::CreateSession {
                token_hash,
                account,
                expires_at_ms,
            } => {
                if ServiceState::new(store).member(&account)?.is_none() {
                    ServiceReply::UnknownMember
                } else {
                    put(
                        &mut changes,
                        key(SESSION, &[&token_hash.0]),
                        &Session {
                            account,
                            expires_at_ms,
                        },
                    );
                    put(
                        &mut changes,
                        key(ACCOUNT_SESSION, &[&account.0, &token_hash.0]),
                        &(),
                    );
                    ServiceReply::Done
                }
            }
            ServiceCommand::RevokeSession { token_hash } => {
                if let Some(session) = ServiceState::new(store).session(&token_hash)? {
                    changes.push((
                        key(ACCOUNT_SESSION, &[&session.account.0, &token_hash.0]),
                        None,
                    ));
                }
                changes.push((key(SESSION, &[&token_hash.0]), None));
                ServiceReply::Done
            }
        };
        Ok(ServiceOutcome {
            changes,
            response: borsh::to_vec(&reply).expect("encoding to a Vec cannot fail"),
        })
    }
}
