//! Members: phone verification, signup, login, sessions, profile, withdrawal.
//!
//! Flows 1–6 of the brief. Everything replicated goes through [`ServiceCommand`]s (the
//! node proposes, every node applies); the ledger learns only that a verified member
//! with this key exists (a `RegisterAccount` signed by this validator's registrar key)
//! and, on withdrawal, that it left. Password guesses, code checks, code requests and
//! signups are throttled cluster-wide per account and per client prefix through
//! replicated reservations taken before any other work ([`crate::throttle`]); argon2
//! runs in a bounded pool ([`crate::pool`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use truffle_ledger::types::{AccountStatus, Role};
use truffle_ledger::{Hash, Payload, PublicKey, Rejection};

use super::sms::SmsSender;
use super::vault::{Profile, VaultKey};
use super::{Member, ServiceCommand, ServiceReply, ServiceState};
pub use crate::checks::{check_password, normalize_email, normalize_phone};
use crate::checks::{check_text, new_token, parse_token, year_at, DUMMY_HASH};
use crate::pool::PasswordPool;
use crate::throttle::{Scope, ThrottleLimits};
use truffle_engine::{Engine, TxStatus};

mod attempts;

pub use truffle_wire::members::{
    CodeSent, LoggedIn, MemberView, PhoneVerified, ResetPasswordRequest, SignedUp, SignupRequest,
    UpdateRequest,
};

/// How long a session lasts.
pub const SESSION_TTL_MS: u64 = 12 * 3_600_000;
/// The window of both login throttles.
pub const LOGIN_WINDOW_MS: u64 = Scope::LoginAccount.window_ms();
/// How long a vault epoch lasts by default: one hour, so a withdrawal is erased from
/// every copy within two hours.
pub const DEFAULT_VAULT_EPOCH_MS: u64 = 3_600_000;
/// How often a write sealed in an epoch that ended meanwhile is sealed again.
const STALE_EPOCH_RETRIES: usize = 3;
/// The youngest age at which one may sign up.
pub const MIN_SIGNUP_AGE: u16 = 14;

/// Why a member request failed. Each maps to a stable JSON-RPC code at the edge.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    /// The phone number is not a phone number.
    #[error("invalid phone number: use the form 010-1234-5678 or +821012345678")]
    InvalidPhone,
    /// The email is not an email.
    #[error("invalid email address")]
    InvalidEmail,
    /// A field is out of bounds.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// Field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The password is too weak.
    #[error("the password is too weak: {}", reasons.join("; "))]
    WeakPassword {
        /// What to change.
        reasons: Vec<String>,
    },
    /// Codes to this phone are throttled.
    #[error("a code was sent recently; retry in {retry_after_secs} s")]
    CodeThrottled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Requests from this client are throttled.
    #[error("too many requests from this address; retry in {retry_after_secs} s")]
    ClientThrottled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The SMS could not be sent.
    #[error("the verification SMS could not be sent ({0}); retry shortly")]
    SmsFailed(String),
    /// No code was requested for this phone.
    #[error("no code was requested for this phone: start signup again")]
    NoCode,
    /// Wrong code.
    #[error("wrong code; {attempts_left} attempts left")]
    WrongCode {
        /// Attempts left.
        attempts_left: u8,
    },
    /// The code expired.
    #[error("the code expired: start signup again")]
    CodeExpired,
    /// Too many wrong codes.
    #[error("too many wrong codes: start signup again")]
    CodeExhausted,
    /// The verification token is unknown, used or expired.
    #[error("the phone verification is not valid (used or expired): start signup again")]
    VerificationInvalid,
    /// The email belongs to another member.
    #[error("this email is already registered")]
    EmailTaken,
    /// The phone belongs to another member.
    #[error("this phone number is already registered")]
    PhoneTaken,
    /// The wallet key already has an account.
    #[error("this wallet key already has an account")]
    AccountTaken,
    /// Email or password wrong (deliberately not saying which).
    #[error("wrong email or password")]
    WrongCredentials,
    /// Too many failed logins.
    #[error("too many failed logins; retry in {retry_after_secs} s")]
    LoginThrottled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Too many wrong current passwords, signups or code checks from this account or
    /// address.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    AttemptsThrottled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The node's password pool is full: retry shortly (here or on another node).
    #[error("the node is busy checking passwords; retry in {retry_after_secs} s")]
    Busy {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The session token is unknown, expired or revoked.
    #[error("not logged in (the session expired or was ended): log in again")]
    SessionInvalid,
    /// The current password given is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// A password reset whose email and verified phone are not one member's (or whose
    /// verification is used or expired); deliberately not saying which.
    #[error("the email and the verified phone number do not belong to one member, or the verification expired: verify the phone again")]
    ResetRefused,
    /// The account cannot log in.
    #[error("the account is {0:?}")]
    AccountNotActive(AccountStatus),
    /// The ledger refused the registration or withdrawal.
    #[error("the ledger refused: {0}")]
    Ledger(Rejection),
    /// The node cannot serve this now.
    #[error("the node cannot serve this now: {0}")]
    Unavailable(String),
    /// The replicated service data could not be read.
    #[error("the node cannot serve this now: {0}")]
    Service(#[from] truffle_consensus::ServiceError),
    /// The chain engine could not serve this now (no leader, behind, ...).
    #[error("the node cannot serve this now: {0}")]
    Engine(#[from] truffle_engine::EngineError),
}

impl MemberError {
    /// Whether the client must go back to the start of signup (the brief's failure path).
    pub fn restarts_signup(&self) -> bool {
        matches!(
            self,
            MemberError::NoCode
                | MemberError::CodeExpired
                | MemberError::CodeExhausted
                | MemberError::VerificationInvalid
        )
    }
}

type Result<T> = std::result::Result<T, MemberError>;

/// Timing policy of the members service.
#[derive(Clone, Copy, Debug)]
pub struct MemberPolicy {
    /// How long a phone code is valid, ms.
    pub code_ttl_ms: u64,
    /// Least time between two codes to one phone, ms.
    pub resend_interval_ms: u64,
    /// How long a session lasts, ms.
    pub session_ttl_ms: u64,
    /// Most attempts per window of each throttle (cluster-wide).
    pub limits: ThrottleLimits,
    /// How long a vault epoch lasts, ms (`None`: never re-wrap). A withdrawn member's
    /// data is unreadable everywhere within two epochs (ARCHITECTURE.md, "Erasure").
    pub vault_epoch_ms: Option<u64>,
}

impl Default for MemberPolicy {
    fn default() -> Self {
        MemberPolicy {
            code_ttl_ms: 5 * 60 * 1000,
            resend_interval_ms: 60 * 1000,
            session_ttl_ms: SESSION_TTL_MS,
            limits: ThrottleLimits::default(),
            vault_epoch_ms: Some(DEFAULT_VAULT_EPOCH_MS),
        }
    }
}

/// The members service of a node.
pub struct Members {
    vault: VaultKey,
    sms: Arc<dyn SmsSender>,
    policy: MemberPolicy,
    pool: PasswordPool,
}

impl Members {
    /// A members service sealing with `vault` and sending codes with `sms`.
    pub fn new(vault: VaultKey, sms: Arc<dyn SmsSender>, policy: MemberPolicy) -> Members {
        Members {
            vault,
            sms,
            policy,
            pool: PasswordPool::default(),
        }
    }

    /// The same service with its argon2 pool replaced (size from the node's config).
    pub fn with_pool(mut self, pool: PasswordPool) -> Members {
        self.pool = pool;
        self
    }

    /// The argon2 pool.
    pub fn pool(&self) -> &PasswordPool {
        &self.pool
    }

    /// The vault key (other services seal and look up with it too).
    pub fn vault(&self) -> &VaultKey {
        &self.vault
    }

    /// The timing policy.
    pub fn policy(&self) -> &MemberPolicy {
        &self.policy
    }

    /// The cluster's vault epoch, as this node last applied it.
    fn epoch(&self, node: &Engine) -> Result<u64> {
        Ok(crate::epochs::current_epoch(node.store())?.0)
    }

    fn sealing(error: crate::vault::SealError) -> MemberError {
        MemberError::Unavailable(error.to_string())
    }

    async fn propose(&self, node: &Engine, command: ServiceCommand) -> Result<ServiceReply> {
        let reply = node
            .propose_service(borsh::to_vec(&command).expect("encoding to a Vec cannot fail"))
            .await?;
        borsh::from_slice(&reply)
            .map_err(|e| MemberError::Unavailable(format!("bad service reply: {e}")))
    }

    /// Sends a 6-digit code to a phone (flow 2, first step).
    pub async fn request_code(
        &self,
        node: &Engine,
        phone: &str,
        client: IpAddr,
    ) -> Result<CodeSent> {
        let phone = normalize_phone(phone)?;
        self.reserve(node, &[self.per_client(Scope::CodeRequestClient, client)])
            .await?
            .map_err(|retry_after_secs| MemberError::ClientThrottled { retry_after_secs })?;
        let now = node.now_ms();
        let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
        let phone_mac = self.vault.mac("phone", phone.as_bytes());
        let code_mac = self.code_mac(&phone_mac, &code);
        match self
            .propose(
                node,
                ServiceCommand::IssueCode {
                    phone_mac,
                    code_mac,
                    now_ms: now,
                    expires_at_ms: now + self.policy.code_ttl_ms,
                    resend_interval_ms: self.policy.resend_interval_ms,
                },
            )
            .await?
        {
            ServiceReply::CodeIssued { expires_at_ms } => {
                self.sms
                    .send(
                        &phone,
                        &format!("[Truffle] 인증번호 {code} (5분 안에 입력해 주세요)"),
                    )
                    .await
                    .map_err(|e| MemberError::SmsFailed(e.to_string()))?;
                Ok(CodeSent {
                    expires_in_secs: (expires_at_ms - now) / 1000,
                    resend_after_secs: self.policy.resend_interval_ms / 1000,
                })
            }
            ServiceReply::Throttled { retry_after_ms } => Err(MemberError::CodeThrottled {
                retry_after_secs: retry_after_ms.div_ceil(1000),
            }),
            other => Err(MemberError::Unavailable(format!(
                "unexpected reply {other:?}"
            ))),
        }
    }

    fn code_mac(&self, phone_mac: &Hash, code: &str) -> Hash {
        let mut input = phone_mac.0.to_vec();
        input.extend_from_slice(code.as_bytes());
        self.vault.mac("code", &input)
    }

    /// Checks a code; on success returns a single-use verification token (flow 2).
    /// Expired and exhausted codes send the client back to the start of signup.
    pub async fn verify_code(
        &self,
        node: &Engine,
        phone: &str,
        code: &str,
        client: IpAddr,
    ) -> Result<PhoneVerified> {
        let phone = normalize_phone(phone)?;
        let code = code.trim();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(MemberError::InvalidField {
                field: "code",
                reason: "the code has 6 digits".into(),
            });
        }
        let phone_mac = self.vault.mac("phone", phone.as_bytes());
        let now = node.now_ms();
        // A code that cannot match any more is refused from the committed state, without
        // a Raft write; the replicated check below decides the rest.
        node.sync_with_leader().await?;
        match ServiceState::new(node.store()).phone_code(&phone_mac)? {
            None => return Err(MemberError::NoCode),
            Some(code) if code.attempts >= crate::MAX_CODE_ATTEMPTS => {
                return Err(MemberError::CodeExhausted)
            }
            Some(code) if now >= code.expires_at_ms => return Err(MemberError::CodeExpired),
            Some(_) => {}
        }
        self.reserve(node, &[self.per_client(Scope::CodeCheckClient, client)])
            .await?
            .map_err(|retry_after_secs| MemberError::AttemptsThrottled { retry_after_secs })?;
        let (token, token_hash) = new_token();
        match self
            .propose(
                node,
                ServiceCommand::CheckCode {
                    phone_mac,
                    code_mac: self.code_mac(&phone_mac, code),
                    now_ms: now,
                    token_hash,
                },
            )
            .await?
        {
            ServiceReply::Verified { expires_at_ms } => Ok(PhoneVerified {
                verification_token: token,
                expires_in_secs: (expires_at_ms - now) / 1000,
            }),
            ServiceReply::WrongCode { attempts_left } => {
                Err(MemberError::WrongCode { attempts_left })
            }
            ServiceReply::CodeExpired => Err(MemberError::CodeExpired),
            ServiceReply::CodeExhausted => Err(MemberError::CodeExhausted),
            ServiceReply::NoCode => Err(MemberError::NoCode),
            other => Err(MemberError::Unavailable(format!(
                "unexpected reply {other:?}"
            ))),
        }
    }

    /// Creates a member: private record (sealed) and ledger account (flow 2, last step).
    pub async fn signup(
        &self,
        node: &Engine,
        request: SignupRequest,
        client: IpAddr,
    ) -> Result<SignedUp> {
        let email = normalize_email(&request.email)?;
        let phone = normalize_phone(&request.phone)?;
        check_password(&request.password, &email)?;
        check_text("name", &request.name, 1, 50)?;
        if let Some(address) = &request.address {
            check_text("address", address, 0, 200)?;
        }
        let year = year_at(node.now_ms());
        if request.birth_year < 1900 || request.birth_year + MIN_SIGNUP_AGE > year {
            return Err(MemberError::InvalidField {
                field: "birth_year",
                reason: format!("members must be at least {MIN_SIGNUP_AGE}"),
            });
        }
        request
            .public_key
            .check_usable()
            .map_err(|e| MemberError::InvalidField {
                field: "public_key",
                reason: e.to_string(),
            })?;
        // Proof of possession: only the holder of the wallet key may register it.
        let message = truffle_wire::members::signup_message(
            &node.chain_id(),
            &request.public_key,
            &request.verification_token,
        );
        request
            .public_key
            .verify(message.as_bytes(), &request.key_proof)
            .map_err(|_| MemberError::InvalidField {
                field: "key_proof",
                reason: "not signed by the wallet key being registered (for this chain and verification)".into(),
            })?;
        let token_hash =
            parse_token(&request.verification_token).ok_or(MemberError::VerificationInvalid)?;
        if node.account(&request.public_key)?.is_some() {
            return Err(MemberError::AccountTaken);
        }
        // The token is checked before any hashing or Raft write: without a live
        // verification a signup costs one read.
        node.sync_with_leader().await?;
        ServiceState::new(node.store())
            .verified_phone(&token_hash)?
            .filter(|verified| node.now_ms() < verified.expires_at_ms)
            .ok_or(MemberError::VerificationInvalid)?;
        let permit = self.pool.permit()?;
        self.reserve(node, &[self.per_client(Scope::SignupClient, client)])
            .await?
            .map_err(|retry_after_secs| MemberError::AttemptsThrottled { retry_after_secs })?;
        let password_hash = self.pool.hash(&permit, request.password.clone()).await?;
        drop(permit);
        let profile = Profile {
            name: request.name.trim().to_owned(),
            email: email.clone(),
            phone: phone.clone(),
            gender: request.gender,
            birth_year: request.birth_year,
            address: request
                .address
                .as_ref()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty()),
        };
        let account = request.public_key;
        let mut reply = ServiceReply::StaleEpoch;
        for _ in 0..STALE_EPOCH_RETRIES {
            let member = Member {
                account,
                email_mac: self.vault.mac("email", email.as_bytes()),
                phone_mac: self.vault.mac("phone", phone.as_bytes()),
                password_hash: password_hash.clone(),
                sealed: self
                    .vault
                    .seal(&account, &profile, self.epoch(node)?)
                    .map_err(Self::sealing)?,
                created_ms: node.now_ms(),
            };
            reply = self
                .propose(
                    node,
                    ServiceCommand::CreateMember {
                        member,
                        token_hash,
                        now_ms: node.now_ms(),
                    },
                )
                .await?;
            if reply != ServiceReply::StaleEpoch {
                break;
            }
        }
        match reply {
            ServiceReply::Done => {}
            ServiceReply::TokenInvalid => return Err(MemberError::VerificationInvalid),
            ServiceReply::EmailTaken => return Err(MemberError::EmailTaken),
            ServiceReply::PhoneTaken => return Err(MemberError::PhoneTaken),
            ServiceReply::AccountTaken => return Err(MemberError::AccountTaken),
            other => {
                return Err(MemberError::Unavailable(format!(
                    "unexpected reply {other:?}"
                )))
            }
        }
        let registration = node
            .submit_as_registrar(Payload::RegisterAccount {
                account,
                role: Role::Member,
                // All the ledger learns of the member's age (the birth year stays sealed).
                adult: truffle_ledger::tx::age_in_years(request.birth_year, node.now_ms())
                    >= u32::from(truffle_ledger::tx::ADULT_AGE),
            })
            .await;
        match registration {
            Ok(TxStatus::Committed { height, .. }) => Ok(SignedUp { account, height }),
            outcome => {
                // The ledger did not take the account: erase the private record again.
                let _ = self
                    .propose(node, ServiceCommand::RollbackMember { account })
                    .await;
                match outcome {
                    Ok(TxStatus::Rejected { rejection, .. }) => Err(MemberError::Ledger(rejection)),
                    Ok(other) => Err(MemberError::Unavailable(format!(
                        "registration not in a block: {other:?}"
                    ))),
                    Err(error) => Err(error.into()),
                }
            }
        }
    }

    /// Email and password → a session token every node accepts (flow 1).
    pub async fn login(
        &self,
        node: &Engine,
        email: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<LoggedIn> {
        let email = normalize_email(email).map_err(|_| MemberError::WrongCredentials)?;
        let email_mac = self.vault.mac("email", email.as_bytes());
        // A pool place first: the reservations this node proposes are then bounded by
        // what it can hash, and a flood gets "busy" before any Raft write.
        let permit = self.pool.permit()?;
        let scopes = [
            self.per_subject(Scope::LoginAccount, email_mac),
            self.per_client(Scope::LoginClient, client),
        ];
        let attempt = self
            .reserve(node, &scopes)
            .await?
            .map_err(|retry_after_secs| MemberError::LoginThrottled { retry_after_secs })?;
        let now = node.now_ms();
        node.sync_with_leader().await?;
        let member = ServiceState::new(node.store()).member_by_email(&email_mac)?;
        let hash = member
            .as_ref()
            .map(|m| m.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let matches = self.pool.verify(&permit, password.to_owned(), hash).await;
        drop(permit);
        // A failure keeps its reservation: it counts until the window slides.
        let Some(member) = member.filter(|_| matches) else {
            return Err(MemberError::WrongCredentials);
        };
        self.release(node, &scopes, attempt).await;
        let account = node
            .account(&member.account)?
            .ok_or_else(|| MemberError::Unavailable("the member has no ledger account".into()))?;
        if account.status != AccountStatus::Active {
            return Err(MemberError::AccountNotActive(account.status));
        }
        let (token, token_hash) = new_token();
        let expires_at_ms = now + self.policy.session_ttl_ms;
        match self
            .propose(
                node,
                ServiceCommand::CreateSession {
                    token_hash,
                    account: member.account,
                    expires_at_ms,
                },
            )
            .await?
        {
            ServiceReply::Done => Ok(LoggedIn {
                session_token: token,
                account: member.account,
                expires_at_ms,
            }),
            _ => Err(MemberError::WrongCredentials),
        }
    }

    /// The member behind a session token, as of the latest committed state.
    pub async fn session(&self, node: &Engine, token: &str) -> Result<Member> {
        let token_hash = parse_token(token).ok_or(MemberError::SessionInvalid)?;
        node.sync_with_leader().await?;
        let state = ServiceState::new(node.store());
        let session = state
            .session(&token_hash)?
            .filter(|s| node.now_ms() < s.expires_at_ms)
            .ok_or(MemberError::SessionInvalid)?;
        // A suspended or withdrawn account's sessions end on every node at once: the
        // status is ledger state, which every node has.
        match node.account(&session.account)? {
            Some(account) if account.status == AccountStatus::Active => {}
            Some(account) => return Err(MemberError::AccountNotActive(account.status)),
            None => return Err(MemberError::SessionInvalid),
        }
        state
            .member(&session.account)?
            .ok_or(MemberError::SessionInvalid)
    }

    /// Ends a session on every node (flow 3).
    pub async fn logout(&self, node: &Engine, token: &str) -> Result<()> {
        self.session(node, token).await?;
        let token_hash = parse_token(token).ok_or(MemberError::SessionInvalid)?;
        self.propose(node, ServiceCommand::RevokeSession { token_hash })
            .await?;
        Ok(())
    }

    /// The member's own data (flow 6).
    pub async fn me(&self, node: &Engine, token: &str) -> Result<MemberView> {
        let member = self.session(node, token).await?;
        self.view(node, &member)
    }

    fn view(&self, node: &Engine, member: &Member) -> Result<MemberView> {
        let profile = self
            .vault
            .open(&member.account, &member.sealed)
            .map_err(|e| MemberError::Unavailable(e.to_string()))?;
        let account = node
            .account(&member.account)?
            .ok_or_else(|| MemberError::Unavailable("the member has no ledger account".into()))?;
        Ok(MemberView {
            account: member.account,
            email: profile.email,
            phone: profile.phone,
            name: profile.name,
            gender: profile.gender,
            birth_year: profile.birth_year,
            address: profile.address,
            role: account.role,
            status: account.status,
            seller: account.seller,
            registered_height: account.registered_height,
            member_since_ms: member.created_ms,
        })
    }

    /// The member's profile for other services of this node (recommendations, ads).
    pub fn profile(&self, node: &Engine, account: &PublicKey) -> Result<Option<Profile>> {
        let Some(member) = ServiceState::new(node.store()).member(account)? else {
            return Ok(None);
        };
        Ok(self.vault.open(account, &member.sealed).ok())
    }

    /// Changes profile data, the password (with the current one) or the phone (with a
    /// new verification) (flow 4).
    pub async fn update(
        &self,
        node: &Engine,
        token: &str,
        request: UpdateRequest,
    ) -> Result<MemberView> {
        let member = self.session(node, token).await?;
        let mut profile = self
            .vault
            .open(&member.account, &member.sealed)
            .map_err(|e| MemberError::Unavailable(e.to_string()))?;
        if let Some(name) = &request.name {
            check_text("name", name, 1, 50)?;
            profile.name = name.trim().to_owned();
        }
        if let Some(gender) = request.gender {
            profile.gender = gender;
        }
        if let Some(address) = &request.address {
            check_text("address", address, 0, 200)?;
            profile.address = Some(address.trim().to_owned()).filter(|a| !a.is_empty());
        }
        let password_hash = match &request.new_password {
            Some(new_password) => {
                let current = request
                    .current_password
                    .clone()
                    .ok_or(MemberError::WrongPassword)?;
                check_password(new_password, &profile.email)?;
                let permit = self.recheck_password(node, &member, current).await?;
                Some(self.pool.hash(&permit, new_password.clone()).await?)
            }
            None => None,
        };
        let new_phone = match &request.new_phone {
            Some(phone) => {
                let phone = normalize_phone(phone)?;
                let token_hash = request
                    .phone_verification_token
                    .as_deref()
                    .and_then(parse_token)
                    .ok_or(MemberError::VerificationInvalid)?;
                profile.phone = phone.clone();
                Some((self.vault.mac("phone", phone.as_bytes()), token_hash))
            }
            None => None,
        };
        let keep_session = parse_token(token);
        let reply = self
            .propose_member_update(
                node,
                &member.account,
                &profile,
                MemberError::SessionInvalid,
                MemberUpdate {
                    password_hash,
                    new_phone,
                    keep_session,
                },
            )
            .await?;
        match reply {
            ServiceReply::Done => {}
            ServiceReply::TokenInvalid => return Err(MemberError::VerificationInvalid),
            ServiceReply::PhoneTaken => return Err(MemberError::PhoneTaken),
            other => {
                return Err(MemberError::Unavailable(format!(
                    "unexpected reply {other:?}"
                )))
            }
        }
        let member = ServiceState::new(node.store())
            .member(&member.account)?
            .ok_or(MemberError::SessionInvalid)?;
        self.view(node, &member)
    }

    /// Password reset by phone re-verification (issue 24): the member whose email this
    /// is and whose phone the verification token proves gets a new password; the
    /// token is used up and every session of the account ends, on every node. Throttled
    /// like a login (per account and per client network, reserved before any check);
    /// a reset that passes releases its attempt.
    pub async fn reset_password(
        &self,
        node: &Engine,
        request: ResetPasswordRequest,
        client: IpAddr,
    ) -> Result<()> {
        let email = normalize_email(&request.email).map_err(|_| MemberError::ResetRefused)?;
        let phone = normalize_phone(&request.phone)?;
        check_password(&request.new_password, &email)?;
        let token_hash =
            parse_token(&request.verification_token).ok_or(MemberError::ResetRefused)?;
        let email_mac = self.vault.mac("email", email.as_bytes());
        let phone_mac = self.vault.mac("phone", phone.as_bytes());
        let permit = self.pool.permit()?;
        let scopes = [
            self.per_subject(Scope::LoginAccount, email_mac),
            self.per_client(Scope::LoginClient, client),
        ];
        let attempt = self
            .reserve(node, &scopes)
            .await?
            .map_err(|retry_after_secs| MemberError::LoginThrottled { retry_after_secs })?;
        node.sync_with_leader().await?;
        let state = ServiceState::new(node.store());
        let member = state
            .member_by_email(&email_mac)?
            .filter(|member| member.phone_mac == phone_mac)
            .ok_or(MemberError::ResetRefused)?;
        state
            .verified_phone(&token_hash)?
            .filter(|v| v.phone_mac == phone_mac && node.now_ms() < v.expires_at_ms)
            .ok_or(MemberError::ResetRefused)?;
        let password_hash = self
            .pool
            .hash(&permit, request.new_password.clone())
            .await?;
        drop(permit);
        let profile = self
            .vault
            .open(&member.account, &member.sealed)
            .map_err(|e| MemberError::Unavailable(e.to_string()))?;
        // The phone "changes" to itself: the applier consumes the token only if it
        // proves this member's phone, and the new password ends every session (none is
        // kept).
        let reply = self
            .propose_member_update(
                node,
                &member.account,
                &profile,
                MemberError::ResetRefused,
                MemberUpdate {
                    password_hash: Some(password_hash),
                    new_phone: Some((phone_mac, token_hash)),
                    keep_session: None,
                },
            )
            .await?;
        match reply {
            ServiceReply::Done => {
                self.release(node, &scopes, attempt).await;
                Ok(())
            }
            ServiceReply::TokenInvalid | ServiceReply::UnknownMember => {
                Err(MemberError::ResetRefused)
            }
            other => Err(MemberError::Unavailable(format!(
                "unexpected reply {other:?}"
            ))),
        }
    }

    /// Re-seals `profile` under the current epoch and proposes `update`; again while a
    /// re-wrap moved the record into a newer epoch meanwhile. `missing` is the error
    /// when the member is gone.
    async fn propose_member_update(
        &self,
        node: &Engine,
        account: &PublicKey,
        profile: &Profile,
        missing: MemberError,
        update: MemberUpdate,
    ) -> Result<ServiceReply> {
        let mut reply = ServiceReply::StaleEpoch;
        for _ in 0..STALE_EPOCH_RETRIES {
            // Re-read: a re-wrap may have moved the record into a new epoch meanwhile.
            let Some(current) = ServiceState::new(node.store()).member(account)? else {
                return Err(missing);
            };
            let sealed = self
                .vault
                .reseal(account, &current.sealed, profile, self.epoch(node)?)
                .map_err(Self::sealing)?;
            reply = self
                .propose(
                    node,
                    ServiceCommand::UpdateMember {
                        account: *account,
                        sealed,
                        password_hash: update.password_hash.clone(),
                        new_phone: update.new_phone,
                        now_ms: node.now_ms(),
                        keep_session: update.keep_session,
                    },
                )
                .await?;
            if reply != ServiceReply::StaleEpoch {
                break;
            }
        }
        Ok(reply)
    }

    /// Withdrawal (flow 5): the ledger account is withdrawn (history stays,
    /// pseudonymous; open entries and orders are cancelled by the ledger's rules), then
    /// the private record, its data key and every session are erased on every node.
    pub async fn delete(&self, node: &Engine, token: &str, password: &str) -> Result<u64> {
        let member = self.session(node, token).await?;
        drop(
            self.recheck_password(node, &member, password.to_owned())
                .await?,
        );
        let height = match node
            .submit_as_registrar(Payload::WithdrawAccount {
                account: member.account,
            })
            .await?
        {
            TxStatus::Committed { height, .. } => height,
            TxStatus::Rejected { rejection, .. } => return Err(MemberError::Ledger(rejection)),
            other => {
                return Err(MemberError::Unavailable(format!(
                    "withdrawal not in a block: {other:?}"
                )))
            }
        };
        self.propose(
            node,
            ServiceCommand::DeleteMember {
                account: member.account,
            },
        )
        .await?;
        // A fresh snapshot lets the log holding the old sealed record be purged.
        node.request_snapshot().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        Ok(height)
    }
}

/// What an `UpdateMember` changes besides the re-sealed profile.
struct MemberUpdate {
    password_hash: Option<String>,
    new_phone: Option<(Hash, Hash)>,
    keep_session: Option<Hash>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalize_to_e164() {
        assert_eq!(normalize_phone("010-1234-5678").unwrap(), "+821012345678");
        assert_eq!(normalize_phone("01012345678").unwrap(), "+821012345678");
        assert_eq!(
            normalize_phone("+82 10 1234 5678").unwrap(),
            "+821012345678"
        );
        assert!(normalize_phone("1234").is_err());
        assert!(normalize_phone("010-12a4-5678").is_err());
        assert!(normalize_phone("").is_err());
    }

    #[test]
    fn emails_and_passwords() {
        assert_eq!(
            normalize_email("  Minji@Example.COM ").unwrap(),
            "minji@example.com"
        );
        assert!(normalize_email("no-at-sign").is_err());
        assert!(normalize_email("a@nodot").is_err());
        assert!(normalize_email("a b@example.com").is_err());
        assert!(
            check_password("Truffle-Raffle-2026", "minji@example.com").is_err(),
            "contains truffle"
        );
        assert!(check_password("Str0ng&Secret", "minji@example.com").is_ok());
        assert!(check_password("short1A!", "minji@example.com").is_err());
        assert!(check_password("alllowercaseletters", "x@example.com").is_err());
        assert!(
            check_password("Minji-Secret-77", "minji@example.com").is_err(),
            "contains the email's name"
        );
        let Err(MemberError::WeakPassword { reasons }) =
            check_password("password", "x@example.com")
        else {
            panic!("weak")
        };
        assert!(reasons.len() >= 2);
    }

    #[tokio::test]
    async fn the_dummy_hash_matches_nothing() {
        let pool = PasswordPool::new(1, 0);
        let permit = pool.permit().unwrap();
        assert!(
            !pool
                .verify(&permit, "anything".into(), DUMMY_HASH.into())
                .await
        );
        assert!(!pool.verify(&permit, String::new(), DUMMY_HASH.into()).await);
    }
}
