//! The state machine: applies a block proposal to a state and derives the block.
//!
//! ```text
//!   parent header ─┐
//!   proposal ──────┼─► execute_block ──► Block (header, txs, receipts)
//!   state (view) ──┘                     + state changes + tree nodes to persist
//! ```
//!
//! Nothing here reads a clock, the network or a file: the same inputs give the same
//! block on every node. Each transaction runs in its own layer of the state overlay; a
//! refused transaction's layer is dropped, so it leaves no trace but its receipt.

mod accounts;
mod ads;
mod catalog;
mod orders;
mod raffles;
mod validators;

pub use orders::open_refund_requests;
pub use raffles::raffles_in_play;
pub use validators::allowed_followers;
pub use validators::current as current_validators;
pub use validators::set_at as validator_set_at;

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::TreeUpdateBatch;

use crate::block::{
    receipts_root, transactions_root, Block, BlockHeader, BlockProposal, Effect, Outcome, Receipt,
};
use crate::crypto::{verify_many, PublicKey, SignatureCheck};
use crate::error::{LedgerError, LedgerResult, ProposalError, Rejection};
use crate::hash::Hash;
use crate::limits;
use crate::state::{
    compute_state_root, decode_record, encode_record, keys, Overlay, StateChanges, StateStore,
    StateView,
};
use crate::tx::{Payload, SignedTransaction};
use crate::types::{
    Account, AccountStatus, ChainParams, Counters, Role, SellerStatus, TxRef, Validator,
    ValidatorSet,
};

/// A block applied to a state, ready to persist.
#[derive(Debug)]
pub struct ExecutedBlock {
    /// The block with its derived header and receipts.
    pub block: Block,
    /// State changes to write.
    pub changes: StateChanges,
    /// Tree nodes to write.
    pub tree_update: TreeUpdateBatch,
}

/// The initial state of a chain, as the genesis crate hands it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisState {
    /// The chain id (hash of the genesis spec).
    pub chain_id: Hash,
    /// Time of the genesis block.
    pub time_ms: u64,
    /// Chain parameters.
    pub params: ChainParams,
    /// Initial administrators.
    pub admins: Vec<PublicKey>,
    /// Initial validators (each also gets an operator account).
    pub validators: Vec<Validator>,
}

/// Why a transaction did not apply: a rule (recorded) or the storage (fatal).
#[derive(Debug)]
pub(crate) enum TxFailure {
    Rejected(Rejection),
    Storage(LedgerError),
}

impl From<Rejection> for TxFailure {
    fn from(rejection: Rejection) -> Self {
        TxFailure::Rejected(rejection)
    }
}

impl From<LedgerError> for TxFailure {
    fn from(error: LedgerError) -> Self {
        TxFailure::Storage(error)
    }
}

pub(crate) type TxResult<T> = Result<T, TxFailure>;

/// State access during a block, with the block's context.
pub(crate) struct Exec<'a, V: StateView + ?Sized> {
    pub(crate) state: Overlay<'a, V>,
    pub(crate) chain_id: Hash,
    pub(crate) height: u64,
    pub(crate) time_ms: u64,
    pub(crate) params: ChainParams,
}

impl<V: StateView + ?Sized> Exec<'_, V> {
    pub(crate) fn read<T: BorshDeserialize>(
        &self,
        what: &'static str,
        key: &[u8],
    ) -> LedgerResult<Option<T>> {
        match self.state.get(key)? {
            Some(bytes) => decode_record(what, &bytes).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn write<T: BorshSerialize>(&mut self, key: Vec<u8>, value: &T) {
        self.state.put(key, encode_record(value));
    }

    pub(crate) fn account(&self, key: &PublicKey) -> LedgerResult<Option<Account>> {
        self.read("account", &keys::account(key))
    }

    pub(crate) fn put_account(&mut self, account: &Account) {
        self.write(keys::account(&account.key), account);
    }

    /// An existing, active account (the target of a transfer, an approval...).
    pub(crate) fn active_account(&self, key: &PublicKey) -> TxResult<Account> {
        let account = self
            .account(key)?
            .ok_or(Rejection::UnknownAccount { account: *key })?;
        if account.status != AccountStatus::Active {
            return Err(Rejection::AccountNotActive {
                account: *key,
                status: account.status,
            }
            .into());
        }
        Ok(account)
    }

    pub(crate) fn counters(&self) -> LedgerResult<Counters> {
        Ok(self
            .read("counters", &keys::counters())?
            .unwrap_or_default())
    }

    pub(crate) fn put_counters(&mut self, counters: &Counters) {
        self.write(keys::counters(), counters);
    }

    /// A record by id, or `UnknownRecord`.
    pub(crate) fn record<T: BorshDeserialize>(
        &self,
        kind: &'static str,
        key: &[u8],
        id: u64,
    ) -> TxResult<T> {
        self.read(kind, key)?
            .ok_or_else(|| Rejection::unknown(kind, id).into())
    }
}

/// What the signer's role allows: used by every handler.
pub(crate) fn require_role(
    signer: &Account,
    action: &str,
    allowed: &[Role],
) -> Result<(), Rejection> {
    if allowed.contains(&signer.role) {
        return Ok(());
    }
    let names: Vec<&str> = allowed
        .iter()
        .map(|r| match r {
            Role::Member => "a member",
            Role::Admin => "an admin",
            Role::Operator => "an operator",
        })
        .collect();
    Err(Rejection::unauthorized(action, &names.join(" or ")))
}

/// Builds the genesis block and state.
pub fn genesis_block<S: StateStore>(
    store: &S,
    genesis: &GenesisState,
) -> LedgerResult<ExecutedBlock> {
    let mut exec = Exec {
        state: Overlay::new(store),
        chain_id: genesis.chain_id,
        height: 0,
        time_ms: genesis.time_ms,
        params: genesis.params.clone(),
    };
    exec.write(keys::params(), &genesis.params);
    exec.put_counters(&Counters {
        next_product: 1,
        next_item: 1,
        next_raffle: 1,
        next_order: 1,
        next_ad: 1,
    });
    let new_account = |key: PublicKey, role: Role| Account {
        key,
        role,
        status: AccountStatus::Active,
        nonce: 0,
        phone_verified: false,
        adult: false,
        seller: SellerStatus::None,
        registered_height: 0,
        missed_reveals: 0,
        raffle_cooldown_until_ms: 0,
    };
    for admin in &genesis.admins {
        exec.put_account(&new_account(*admin, Role::Admin));
    }
    for validator in &genesis.validators {
        exec.write(keys::validator(&validator.key), validator);
        if exec.account(&validator.key)?.is_none() {
            exec.put_account(&new_account(validator.key, Role::Operator));
        }
    }
    let mut set: Vec<PublicKey> = genesis.validators.iter().map(|v| v.key).collect();
    set.sort_unstable();
    set.dedup();
    exec.write(
        keys::validator_set(),
        &ValidatorSet {
            keys: set,
            changed_at: 0,
            previous_change: None,
        },
    );
    exec.state.commit_tx();
    let changes = exec.state.into_changes();
    let (state_root, tree_update) = compute_state_root(store, &changes, 0)?;
    let header = BlockHeader {
        chain_id: genesis.chain_id,
        height: 0,
        prev_hash: Hash::ZERO,
        time_ms: genesis.time_ms,
        proposer: PublicKey([0; 32]),
        transaction_count: 0,
        transactions_root: transactions_root(&[]),
        receipts_root: receipts_root(&[]),
        state_root,
    };
    Ok(ExecutedBlock {
        block: Block {
            header,
            transactions: Vec::new(),
            receipts: Vec::new(),
        },
        changes,
        tree_update,
    })
}

/// How `execute_block` treats signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signatures {
    /// Verify them: one batch over the whole block, each signature alone if it fails.
    Verify,
    /// Every signature of the block was already verified strictly (`verify_strict`) by
    /// this node, at ingress. Valid signatures pass the batch check too, so a node
    /// skipping here reaches the verdicts every other node reaches by verifying.
    AllVerifiedStrictly,
    /// One flag per transaction, in block order: `true` where this node verified the
    /// signature strictly at ingress. The others are verified in one batch. (A list of
    /// the wrong length verifies everything.)
    PartlyVerifiedStrictly(Vec<bool>),
}

/// Applies `proposal` on top of the state after `parent`.
///
/// Signatures are checked here, in one batch per block, whatever was checked at
/// ingress: a block from the leader is never trusted to hold only valid transactions.
pub fn execute_block<S: StateStore>(
    store: &S,
    parent: &BlockHeader,
    proposal: &BlockProposal,
) -> LedgerResult<ExecutedBlock> {
    execute_block_with(store, parent, proposal, Signatures::Verify)
}

/// [`execute_block`], skipping signature checks when this node verified every one.
pub fn execute_block_with<S: StateStore>(
    store: &S,
    parent: &BlockHeader,
    proposal: &BlockProposal,
    signatures: Signatures,
) -> LedgerResult<ExecutedBlock> {
    let params: ChainParams = match store.get(&keys::params())? {
        Some(bytes) => decode_record("params", &bytes)?,
        None => return Err(LedgerError::NotNext("the state has no genesis".into())),
    };
    check_proposal(store, &params, parent, proposal)?;
    let height = parent.height + 1;
    // Never before the parent: a proposal behind it takes the parent's time.
    let time_ms = proposal.time_ms.max(parent.time_ms);
    let mut exec = Exec {
        state: Overlay::new(store),
        chain_id: parent.chain_id,
        height,
        time_ms,
        params,
    };

    raffles::close_due_raffles(&mut exec, parent)?;
    exec.state.commit_tx();

    let hashes: Vec<Hash> = proposal.transactions.iter().map(|t| t.hash()).collect();
    let signatures_ok = match signatures {
        Signatures::Verify => verify_signatures(&proposal.transactions, &hashes),
        Signatures::AllVerifiedStrictly => vec![true; hashes.len()],
        Signatures::PartlyVerifiedStrictly(known) if known.len() == hashes.len() => {
            verify_unknown_signatures(&proposal.transactions, &hashes, &known)
        }
        Signatures::PartlyVerifiedStrictly(_) => verify_signatures(&proposal.transactions, &hashes),
    };

    let mut receipts = Vec::with_capacity(proposal.transactions.len());
    for (index, (tx, hash)) in proposal.transactions.iter().zip(&hashes).enumerate() {
        let tx_ref = TxRef {
            height,
            index: index as u32,
            tx_hash: *hash,
        };
        let outcome = if index >= exec.params.max_block_transactions as usize {
            Err(TxFailure::Rejected(Rejection::BlockFull))
        } else if let Some(rejection) = oversized(tx) {
            // The size limit is part of validity, not only of ingress: a leader's
            // block is not trusted to hold only transactions that passed `decode`.
            Err(TxFailure::Rejected(rejection))
        } else if tx.tx.chain_id != exec.chain_id {
            Err(TxFailure::Rejected(Rejection::WrongChain {
                expected: exec.chain_id,
                got: tx.tx.chain_id,
            }))
        } else if !signatures_ok[index] {
            Err(TxFailure::Rejected(Rejection::BadSignature))
        } else {
            apply_transaction(&mut exec, tx, tx_ref)
        };
        let outcome = match outcome {
            Ok(effect) => {
                exec.state.commit_tx();
                Outcome::Applied { effect }
            }
            Err(TxFailure::Rejected(rejection)) => {
                exec.state.discard_tx();
                Outcome::Rejected { rejection }
            }
            Err(TxFailure::Storage(error)) => return Err(error),
        };
        receipts.push(Receipt {
            tx_hash: *hash,
            outcome,
        });
    }

    let changes = exec.state.into_changes();
    let (state_root, tree_update) = compute_state_root(store, &changes, height)?;
    let header = BlockHeader {
        chain_id: parent.chain_id,
        height,
        prev_hash: parent.hash(),
        time_ms,
        proposer: proposal.proposer,
        transaction_count: proposal.transactions.len() as u32,
        transactions_root: transactions_root(&hashes),
        receipts_root: receipts_root(&receipts),
        state_root,
    };
    Ok(ExecutedBlock {
        block: Block {
            header,
            transactions: proposal.transactions.clone(),
            receipts,
        },
        changes,
        tree_update,
    })
}

/// `TooLarge` if the transaction's encoding is over the limit `decode` enforces.
/// The block rules a proposal must keep to be a block at all, checked by every node on
/// apply: the proposer is a validator of the set in force (the consensus layer checks
/// further that it leads the entry's term), the proposal's encoding fits the genesis
/// byte budget, and its time is at most the genesis step after the parent's (a time
/// before the parent's is raised to it). The first block is free of the step: a
/// genesis is often written long before the chain starts (the presets' is fixed), and
/// validators still refuse to sign a header ahead of their clocks.
pub fn check_proposal<S: StateView + ?Sized>(
    store: &S,
    params: &ChainParams,
    parent: &BlockHeader,
    proposal: &BlockProposal,
) -> LedgerResult<()> {
    let bytes = borsh::object_length(proposal).expect("measuring an encoding cannot fail") as u64;
    if bytes > params.block_bytes() {
        return Err(ProposalError::TooManyBytes {
            bytes,
            max: params.block_bytes(),
        }
        .into());
    }
    let max_step_ms = params.block_time_step_ms();
    if parent.height > 0 && proposal.time_ms > parent.time_ms.saturating_add(max_step_ms) {
        return Err(ProposalError::TimeTooFarAhead {
            time_ms: proposal.time_ms,
            parent_ms: parent.time_ms,
            max_step_ms,
        }
        .into());
    }
    if !current_validators(store)?
        .iter()
        .any(|v| v.key == proposal.proposer)
    {
        return Err(ProposalError::NotAValidator(proposal.proposer).into());
    }
    Ok(())
}

fn oversized(tx: &SignedTransaction) -> Option<Rejection> {
    let size = borsh::object_length(tx).expect("measuring an encoding cannot fail");
    (size > limits::MAX_TRANSACTION_BYTES).then_some(Rejection::TooLarge {
        size: size as u64,
        max: limits::MAX_TRANSACTION_BYTES as u64,
    })
}

/// One verdict per transaction, from one batch over the whole block.
fn verify_signatures(transactions: &[SignedTransaction], hashes: &[Hash]) -> Vec<bool> {
    let checks: Vec<SignatureCheck<'_>> = transactions
        .iter()
        .zip(hashes)
        .map(|(tx, hash)| SignatureCheck {
            public_key: &tx.tx.signer,
            message: hash.as_bytes(),
            signature: &tx.signature,
        })
        .collect();
    verify_many(&checks)
        .into_iter()
        .map(|r| r.is_ok())
        .collect()
}

/// Verifies, in one batch, the signatures not marked as known; known ones pass.
fn verify_unknown_signatures(
    transactions: &[SignedTransaction],
    hashes: &[Hash],
    known: &[bool],
) -> Vec<bool> {
    let unknown: Vec<usize> = (0..transactions.len()).filter(|&i| !known[i]).collect();
    let checks: Vec<SignatureCheck<'_>> = unknown
        .iter()
        .map(|&i| SignatureCheck {
            public_key: &transactions[i].tx.signer,
            message: hashes[i].as_bytes(),
            signature: &transactions[i].signature,
        })
        .collect();
    let mut verdicts = vec![true; transactions.len()];
    for (&i, result) in unknown.iter().zip(verify_many(&checks)) {
        verdicts[i] = result.is_ok();
    }
    verdicts
}

/// Signer, nonce and the kind's own rules; the nonce advances only on success.
fn apply_transaction<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    tx: &SignedTransaction,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    let signer_key = tx.tx.signer;
    tx.tx.payload.validate_static()?;
    let signer = exec
        .account(&signer_key)?
        .ok_or(Rejection::UnknownSigner { signer: signer_key })?;
    if signer.status != AccountStatus::Active {
        return Err(Rejection::SignerNotActive {
            status: signer.status,
        }
        .into());
    }
    if tx.tx.nonce < signer.nonce {
        return Err(Rejection::NonceReplayed {
            expected: signer.nonce,
            got: tx.tx.nonce,
        }
        .into());
    }
    if tx.tx.nonce > signer.nonce {
        return Err(Rejection::NonceSkipped {
            expected: signer.nonce,
            got: tx.tx.nonce,
        }
        .into());
    }

    let effect = match &tx.tx.payload {
        Payload::RegisterAccount {
            account,
            role,
            adult,
        } => accounts::register(exec, &signer, account, *role, *adult)?,
        Payload::SetAccountSuspended { account, suspended } => {
            accounts::set_suspended(exec, &signer, account, *suspended)?
        }
        Payload::WithdrawAccount { account } => accounts::withdraw(exec, &signer, account, tx_ref)?,
        Payload::ApplySeller { shop_name } => accounts::apply_seller(exec, &signer, shop_name)?,
        Payload::ApproveSeller { account } => accounts::approve_seller(exec, &signer, account)?,
        Payload::RevokeSeller { account } => accounts::revoke_seller(exec, &signer, account)?,
        Payload::RegisterProduct(spec) => catalog::register_product(exec, &signer, spec, tx_ref)?,
        Payload::TransferItem { item, to } => {
            catalog::transfer_item(exec, &signer, *item, to, tx_ref)?
        }
        Payload::ListItem { item, price } => catalog::list_item(exec, &signer, *item, *price)?,
        Payload::CreateRaffle(spec) => raffles::create(exec, &signer, spec, tx_ref)?,
        Payload::EnterRaffle { raffle } => raffles::enter(exec, &signer, *raffle, tx_ref)?,
        Payload::RevealRaffleSecret { raffle, secret } => {
            raffles::reveal(exec, &signer, *raffle, secret)?
        }
        Payload::DrawRaffle { raffle } => raffles::draw(exec, *raffle, tx_ref)?,
        Payload::CreateOrder { item } => orders::create_order(exec, &signer, *item, tx_ref)?,
        Payload::SettlePayment {
            order,
            provider,
            payment_key,
            event_id,
            amount,
        } => orders::settle_payment(
            exec,
            &signer,
            *order,
            orders::Confirmation {
                provider,
                payment_key,
                event_id,
                amount: *amount,
            },
            tx_ref,
        )?,
        Payload::CancelOrder { order, reason } => {
            orders::cancel_order(exec, &signer, *order, reason, tx_ref)?
        }
        Payload::ExpireOrder { order } => orders::expire_order(exec, *order, tx_ref)?,
        Payload::RefundOrder { order, reason } => {
            orders::refund_order(exec, &signer, *order, reason, tx_ref)?
        }
        Payload::CreateAd(spec) => ads::create_ad(exec, &signer, spec, tx_ref)?,
        Payload::SetAdActive { ad, active } => ads::set_ad_active(exec, &signer, *ad, *active)?,
        Payload::AddValidator {
            key,
            name,
            p2p_address,
        } => validators::add(exec, &signer, key, name, p2p_address)?,
        Payload::RemoveValidator { key } => validators::remove(exec, &signer, key)?,
        Payload::ContributeRaffleRandomness { raffle, proof } => {
            raffles::contribute(exec, &signer, *raffle, proof)?
        }
        Payload::SetFollower { key, allowed } => {
            validators::set_follower(exec, &signer, key, *allowed)?
        }
        Payload::CancelRaffle { raffle, reason } => {
            raffles::cancel(exec, &signer, *raffle, reason, tx_ref)?
        }
        Payload::RequestRefund { order, reason } => {
            orders::request_refund(exec, &signer, *order, reason, tx_ref)?
        }
        Payload::DecideRefund {
            order,
            approve,
            note,
        } => orders::decide_refund(exec, &signer, *order, *approve, note, tx_ref)?,
    };

    // The handler may have changed the signer's own account (withdrawal, seller
    // application): advance the nonce on the account as it is now.
    let mut signer = exec
        .account(&signer_key)?
        .ok_or_else(|| LedgerError::Corrupt {
            what: "account",
            reason: "signer vanished during its transaction".into(),
        })?;
    signer.nonce += 1;
    exec.put_account(&signer);
    Ok(effect)
}

#[cfg(test)]
mod tests;
