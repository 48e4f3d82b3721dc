//! What a client sends to the members service and what it answers (the JSON-RPC
//! `auth_*` and `account_*` shapes).

use serde::{Deserialize, Serialize};
use truffle_ledger::types::{AccountStatus, Gender, Role, SellerStatus};
use truffle_ledger::{Hash, Keypair, PublicKey, Signature};

/// A code was sent.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CodeSent {
    /// Seconds the code stays valid.
    pub expires_in_secs: u64,
    /// Seconds before another code can be requested.
    pub resend_after_secs: u64,
}

/// The phone is verified.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PhoneVerified {
    /// Single-use token that signup (or a phone change) consumes.
    pub verification_token: String,
    /// Seconds it stays valid.
    pub expires_in_secs: u64,
}

/// What signup needs.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SignupRequest {
    /// Email (login name).
    pub email: String,
    /// Password.
    pub password: String,
    /// Real name.
    pub name: String,
    /// Gender.
    pub gender: Gender,
    /// Birth year.
    pub birth_year: u16,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// The phone that was verified.
    pub phone: String,
    /// The token from `auth_verifyPhoneCode`.
    pub verification_token: String,
    /// The wallet's ed25519 public key (the node never sees the private key).
    pub public_key: PublicKey,
    /// Proof that the caller holds that key: its signature of [`signup_message`]
    /// (bound to the chain and to this signup's verification token, so it cannot be
    /// replayed elsewhere or registered by someone else).
    pub key_proof: Signature,
}

/// The message a wallet key signs to sign up with it:
/// `tagged("truffle/v1/signup-key", chain_id ‖ public_key ‖ verification_token)`.
pub fn signup_message(chain_id: &Hash, public_key: &PublicKey, verification_token: &str) -> Hash {
    Hash::tagged(
        b"truffle/v1/signup-key",
        &[
            chain_id.as_bytes(),
            &public_key.0,
            verification_token.as_bytes(),
        ],
    )
}

impl SignupRequest {
    /// Sets `public_key` to `key`'s and signs the proof of possession for `chain_id`.
    pub fn sign_with(mut self, chain_id: &Hash, key: &Keypair) -> SignupRequest {
        self.public_key = key.public();
        self.key_proof = key
            .sign(signup_message(chain_id, &self.public_key, &self.verification_token).as_bytes());
        self
    }
}

/// A new member.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SignedUp {
    /// The ledger account.
    pub account: PublicKey,
    /// Block that registered it.
    pub height: u64,
}

/// A session.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoggedIn {
    /// Bearer token for the member's requests (keep it secret).
    pub session_token: String,
    /// The account.
    pub account: PublicKey,
    /// When it expires, ms since the epoch.
    pub expires_at_ms: u64,
}

/// The member's own view of their data (My Page).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MemberView {
    /// The ledger account.
    pub account: PublicKey,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Name.
    pub name: String,
    /// Gender.
    pub gender: Gender,
    /// Birth year.
    pub birth_year: u16,
    /// Address.
    pub address: Option<String>,
    /// Ledger role.
    pub role: Role,
    /// Ledger status.
    pub status: AccountStatus,
    /// Seller standing.
    pub seller: SellerStatus,
    /// Block that registered the account.
    pub registered_height: u64,
    /// When the member signed up, ms since the epoch.
    pub member_since_ms: u64,
}

/// A password reset proven by re-verifying the member's phone (`auth_resetPassword`).
#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ResetPasswordRequest {
    /// The account's email.
    pub email: String,
    /// The account's phone number, as verified.
    pub phone: String,
    /// Token from `auth_verifyPhoneCode` for that phone (single use).
    pub verification_token: String,
    /// The new password (the signup policy applies).
    pub new_password: String,
}

impl std::fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password and the token stay out of logs.
        f.debug_struct("ResetPasswordRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Changes to a profile; absent fields stay as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UpdateRequest {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New gender.
    #[serde(default)]
    pub gender: Option<Gender>,
    /// New address ("" removes it).
    #[serde(default)]
    pub address: Option<String>,
    /// New password (needs `current_password`).
    #[serde(default)]
    pub new_password: Option<String>,
    /// The current password.
    #[serde(default)]
    pub current_password: Option<String>,
    /// New phone (needs `phone_verification_token` for it).
    #[serde(default)]
    pub new_phone: Option<String>,
    /// Token from verifying the new phone.
    #[serde(default)]
    pub phone_verification_token: Option<String>,
}
