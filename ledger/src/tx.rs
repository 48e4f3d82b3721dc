//! Transactions: what a signer asks the ledger to do, and the signature that proves it.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::{Keypair, PublicKey, Signature};
use crate::error::Rejection;
use crate::hash::{domain, Hash};
use crate::limits;
use crate::types::{AdSpec, Gender, ProductSpec, RaffleSpec, Role, VrfProof};

/// Everything a transaction can ask for. Variants are only ever appended.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    /// A registrar (operator or admin) registers a member whose phone it verified.
    /// Only an admin may register another admin.
    RegisterAccount {
        /// The new account's key.
        account: PublicKey,
        /// Its role (`member`, or `admin` when an admin signs).
        role: Role,
        /// The registrar attests that the member is an adult ([`ADULT_AGE`] or older):
        /// all the ledger learns of a member's age (age-limited raffles need no more).
        adult: bool,
    },
    /// An admin suspends or reactivates an account.
    SetAccountSuspended {
        /// The account.
        account: PublicKey,
        /// true: suspend; false: reactivate.
        suspended: bool,
    },
    /// The member (or a registrar on its behalf) withdraws the account; final.
    WithdrawAccount {
        /// The account.
        account: PublicKey,
    },
    /// A member applies to sell.
    ApplySeller {
        /// Shop name.
        shop_name: String,
    },
    /// An admin approves a seller application.
    ApproveSeller {
        /// The applicant.
        account: PublicKey,
    },
    /// An admin revokes a seller.
    RevokeSeller {
        /// The seller.
        account: PublicKey,
    },
    /// An approved seller registers a limited edition; each piece becomes an item it owns.
    RegisterProduct(ProductSpec),
    /// The owner gives an item to another active account.
    TransferItem {
        /// Item id.
        item: u64,
        /// New owner.
        to: PublicKey,
    },
    /// The owner lists an item for sale at a price, or unlists it (`None`).
    ListItem {
        /// Item id.
        item: u64,
        /// Asking price in won, or `None` to unlist.
        price: Option<u64>,
    },
    /// A seller escrows items it owns as raffle prizes.
    CreateRaffle(RaffleSpec),
    /// A verified member enters a raffle.
    EnterRaffle {
        /// Raffle id.
        raffle: u64,
    },
    /// The seller reveals the secret it committed to.
    RevealRaffleSecret {
        /// Raffle id.
        raffle: u64,
        /// The secret whose commitment is in the raffle.
        secret: Hash,
    },
    /// Anyone draws a closed raffle, once.
    DrawRaffle {
        /// Raffle id.
        raffle: u64,
    },
    /// A buyer orders a listed item.
    CreateOrder {
        /// Item id.
        item: u64,
    },
    /// An operator records a provider-confirmed payment; ownership moves in the same block.
    SettlePayment {
        /// Order id.
        order: u64,
        /// Provider name.
        provider: String,
        /// Provider's payment id.
        payment_key: String,
        /// Provider's webhook event id (idempotency key).
        event_id: String,
        /// Amount the provider confirmed, in won.
        amount: u64,
    },
    /// The buyer or an operator cancels a pending order.
    CancelOrder {
        /// Order id.
        order: u64,
        /// Why.
        reason: String,
    },
    /// Anyone expires a pending order whose payment window has passed.
    ExpireOrder {
        /// Order id.
        order: u64,
    },
    /// An operator or admin refunds a paid order.
    RefundOrder {
        /// Order id.
        order: u64,
        /// Why.
        reason: String,
    },
    /// An admin creates a banner campaign.
    CreateAd(AdSpec),
    /// An admin switches a campaign on or off.
    SetAdActive {
        /// Campaign id.
        ad: u64,
        /// On or off.
        active: bool,
    },
    /// An admin adds a validator.
    AddValidator {
        /// Its key.
        key: PublicKey,
        /// Human name.
        name: String,
        /// libp2p listen address.
        p2p_address: String,
    },
    /// An admin removes a validator.
    RemoveValidator {
        /// Its key.
        key: PublicKey,
    },
    /// A validator of the set that closed a raffle contributes its part of the seed:
    /// its VRF proof over `draw::vrf_input(chain, raffle, closing block)`.
    ContributeRaffleRandomness {
        /// Raffle id.
        raffle: u64,
        /// The proof (its output is the contribution).
        proof: VrfProof,
    },
    /// An admin allows (or revokes) a follower node's key: validators serve certified
    /// blocks only to allowed followers, and cut off a revoked one.
    SetFollower {
        /// The follower node's key (its libp2p identity).
        key: PublicKey,
        /// Allowed from the next block, or revoked.
        allowed: bool,
    },
    /// The seller calls off its raffle before entry closes: the prizes go back to it,
    /// nothing is drawn, and the entrants see the reason.
    CancelRaffle {
        /// Raffle id.
        raffle: u64,
        /// Why, shown to the entrants (1 to 200 characters).
        reason: String,
    },
    /// The buyer of a paid order asks for a refund, once per order. A piece still held
    /// as the sale left it is locked for the refund until the request is decided.
    RequestRefund {
        /// Order id.
        order: u64,
        /// Why (shown to the seller and the admins).
        reason: String,
    },
    /// The order's seller or an admin decides a refund request. Approval records the
    /// decision only: the node's operator then refunds the payment at the provider and
    /// records it with `RefundOrder`, so money and the ledger move once.
    DecideRefund {
        /// Order id.
        order: u64,
        /// true: refund; false: refuse.
        approve: bool,
        /// A note to the buyer (may be empty).
        note: String,
    },
}

impl Payload {
    /// A stable lower-case name of the kind, for logs, metrics and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::RegisterAccount { .. } => "register_account",
            Payload::SetAccountSuspended { .. } => "set_account_suspended",
            Payload::WithdrawAccount { .. } => "withdraw_account",
            Payload::ApplySeller { .. } => "apply_seller",
            Payload::ApproveSeller { .. } => "approve_seller",
            Payload::RevokeSeller { .. } => "revoke_seller",
            Payload::RegisterProduct(_) => "register_product",
            Payload::TransferItem { .. } => "transfer_item",
            Payload::ListItem { .. } => "list_item",
            Payload::CreateRaffle(_) => "create_raffle",
            Payload::EnterRaffle { .. } => "enter_raffle",
            Payload::RevealRaffleSecret { .. } => "reveal_raffle_secret",
            Payload::DrawRaffle { .. } => "draw_raffle",
            Payload::CreateOrder { .. } => "create_order",
            Payload::SettlePayment { .. } => "settle_payment",
            Payload::CancelOrder { .. } => "cancel_order",
            Payload::ExpireOrder { .. } => "expire_order",
            Payload::RefundOrder { .. } => "refund_order",
            Payload::CreateAd(_) => "create_ad",
            Payload::SetAdActive { .. } => "set_ad_active",
            Payload::AddValidator { .. } => "add_validator",
            Payload::RemoveValidator { .. } => "remove_validator",
            Payload::ContributeRaffleRandomness { .. } => "contribute_raffle_randomness",
            Payload::SetFollower { .. } => "set_follower",
            Payload::CancelRaffle { .. } => "cancel_raffle",
            Payload::RequestRefund { .. } => "request_refund",
            Payload::DecideRefund { .. } => "decide_refund",
        }
    }

    /// The key this transaction admits as an identity (a new account, validator or
    /// follower), which execution checks is usable: a scalar multiplication that a
    /// replay can do ahead, on another thread, so that execution finds it memoized.
    pub fn key_to_admit(&self) -> Option<&PublicKey> {
        match self {
            Payload::RegisterAccount { account, .. } => Some(account),
            Payload::AddValidator { key, .. } => Some(key),
            Payload::SetFollower { key, allowed: true } => Some(key),
            _ => None,
        }
    }

    /// Checks what can be checked without state: sizes, counts, formats.
    pub fn validate_static(&self) -> Result<(), Rejection> {
        match self {
            Payload::RegisterAccount { .. } => Ok(()),
            Payload::ApplySeller { shop_name } => limits::check_text("shop_name", shop_name, 1, 80),
            Payload::RegisterProduct(spec) => limits::check_product_spec(spec),
            Payload::ListItem {
                price: Some(price), ..
            } => limits::check_range("price", *price, 1, limits::MAX_PRICE_WON),
            Payload::CreateRaffle(spec) => limits::check_raffle_spec(spec),
            Payload::SettlePayment {
                provider,
                payment_key,
                event_id,
                amount,
                ..
            } => {
                limits::check_text("provider", provider, 1, 32)?;
                limits::check_text("payment_key", payment_key, 1, 200)?;
                limits::check_text("event_id", event_id, 1, 200)?;
                limits::check_range("amount", *amount, 1, limits::MAX_PRICE_WON)
            }
            Payload::CancelOrder { reason, .. }
            | Payload::RefundOrder { reason, .. }
            | Payload::RequestRefund { reason, .. } => limits::check_text("reason", reason, 1, 500),
            Payload::DecideRefund { note, .. } => limits::check_text("note", note, 0, 500),
            Payload::CreateAd(spec) => limits::check_ad_spec(spec),
            Payload::CancelRaffle { reason, .. } => {
                limits::check_text("reason", reason, 1, limits::MAX_CANCEL_REASON_CHARS)
            }
            Payload::AddValidator {
                name, p2p_address, ..
            } => {
                limits::check_text("name", name, 1, 64)?;
                limits::check_p2p_address(p2p_address)
            }
            _ => Ok(()),
        }
    }
}

/// A transaction before signing.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Transaction {
    /// The chain it is for (the genesis hash): a transaction is valid on one chain only.
    pub chain_id: Hash,
    /// Who signs it.
    pub signer: PublicKey,
    /// The signer's account nonce: each nonce is used once, in order.
    pub nonce: u64,
    /// What it does.
    pub payload: Payload,
}

impl Transaction {
    /// The hash that is signed, and the transaction's id.
    pub fn signing_hash(&self) -> Hash {
        let bytes = borsh::to_vec(self).expect("encoding to a Vec cannot fail");
        Hash::tagged(domain::TRANSACTION, &[&bytes])
    }

    /// Signs the transaction. The key must be the signer's.
    pub fn sign(self, key: &Keypair) -> SignedTransaction {
        debug_assert_eq!(key.public(), self.signer, "signing with another key");
        let hash = self.signing_hash();
        let signature = key.sign(hash.as_bytes());
        SignedTransaction {
            tx: self,
            signature,
        }
    }
}

/// A transaction with its signature: what clients submit and blocks carry.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct SignedTransaction {
    /// The transaction.
    pub tx: Transaction,
    /// ed25519 signature of `tx.signing_hash()` by `tx.signer`.
    pub signature: Signature,
}

impl SignedTransaction {
    /// The transaction id (its signing hash).
    pub fn hash(&self) -> Hash {
        self.tx.signing_hash()
    }

    /// Borsh encoding.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("encoding to a Vec cannot fail")
    }

    /// Decodes a transaction from untrusted bytes: size-limited, no trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<SignedTransaction, Rejection> {
        if bytes.len() > limits::MAX_TRANSACTION_BYTES {
            return Err(Rejection::TooLarge {
                size: bytes.len() as u64,
                max: limits::MAX_TRANSACTION_BYTES as u64,
            });
        }
        borsh::from_slice(bytes).map_err(|e| Rejection::Malformed {
            reason: e.to_string(),
        })
    }

    /// The checks any node can make without state: chain id, size, fields, signature.
    pub fn check_stateless(&self, chain_id: &Hash) -> Result<Hash, Rejection> {
        if self.tx.chain_id != *chain_id {
            return Err(Rejection::WrongChain {
                expected: *chain_id,
                got: self.tx.chain_id,
            });
        }
        self.tx.payload.validate_static()?;
        let hash = self.hash();
        self.tx
            .signer
            .verify(hash.as_bytes(), &self.signature)
            .map_err(|_| Rejection::BadSignature)?;
        Ok(hash)
    }
}

/// The message a raffle seller commits to: `raffle_commitment(secret)` goes in the raffle.
pub fn raffle_commitment(secret: &Hash) -> Hash {
    Hash::tagged(domain::RAFFLE_COMMIT, &[secret.as_bytes()])
}

/// The age from which a member is an adult (Korean law: 19), the one age the ledger
/// attests; age-limited raffles are adults-only.
pub const ADULT_AGE: u8 = 19;

/// Age in whole years at the given block time, from a birth year (the year's start).
pub fn age_in_years(birth_year: u16, time_ms: u64) -> u32 {
    let year_now = 1970 + (time_ms / 1000 / 31_556_952) as u32;
    year_now.saturating_sub(u32::from(birth_year))
}

/// Whether a viewer of `gender`/`birth_year` is targeted by an ad at `time_ms`.
pub fn ad_targets(
    spec: &AdSpec,
    gender: Option<Gender>,
    birth_year: Option<u16>,
    time_ms: u64,
) -> bool {
    if let Some(target) = spec.target_gender {
        if gender != Some(target) {
            return false;
        }
    }
    if spec.target_min_age.is_some() || spec.target_max_age.is_some() {
        let Some(year) = birth_year else { return false };
        let age = age_in_years(year, time_ms);
        if spec.target_min_age.is_some_and(|min| age < u32::from(min)) {
            return false;
        }
        if spec.target_max_age.is_some_and(|max| age > u32::from(max)) {
            return false;
        }
    }
    true
}
