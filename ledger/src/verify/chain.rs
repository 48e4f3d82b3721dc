//! Replaying a served chain from genesis (`truffle verify chain`).
//!
//! The auditor keeps its own state (a [`MemoryStore`](crate::state::MemoryStore), or a
//! RocksDB store to resume later) and, for each served block in height order, checks
//! the link to its parent, the body against the header's roots, the signatures of the
//! applied transactions and the certificate under the validator set its own state
//! holds, then re-executes the block and requires the very same header and receipts.
//! The caller commits the returned [`ExecutedBlock`] to its state.

use std::collections::BTreeSet;

use super::{TrustRoot, VerifyError};
use crate::block::{Block, BlockHeader, BlockProposal};
use crate::certificate::Certificate;
use crate::crypto::PublicKey;
use crate::exec::{
    current_validators, execute_block_with, genesis_block, ExecutedBlock, GenesisState, Signatures,
};
use crate::state::{decode_record, keys, StateStore};
use crate::types::ValidatorSet;

/// Builds the genesis block from the spec's state and checks the served one equals it.
pub fn check_genesis<S: StateStore>(
    store: &S,
    genesis: &GenesisState,
    served: &BlockHeader,
) -> Result<ExecutedBlock, VerifyError> {
    let executed =
        genesis_block(store, genesis).map_err(|e| VerifyError::LocalState(e.to_string()))?;
    if served.chain_id != genesis.chain_id {
        return Err(VerifyError::WrongChain {
            what: "the genesis block".into(),
            expected: genesis.chain_id,
            got: served.chain_id,
        });
    }
    compare_headers(&executed.block.header, served)?;
    Ok(executed)
}

/// The validator set in `store`'s current state (the set in force for its next block).
pub fn validators_in<S: StateStore>(store: &S) -> Result<BTreeSet<PublicKey>, VerifyError> {
    let local = |e: crate::error::LedgerError| VerifyError::LocalState(e.to_string());
    match store.get(&keys::validator_set()).map_err(local)? {
        Some(bytes) => {
            let set: ValidatorSet = decode_record("validator set", &bytes).map_err(local)?;
            Ok(set.keys.into_iter().collect())
        }
        None => Ok(current_validators(store)
            .map_err(local)?
            .into_iter()
            .map(|v| v.key)
            .collect()),
    }
}

/// Checks the served block that follows `parent` against the local state `store`
/// (the state after `parent`) and re-executes it. Returns the executed block for the
/// caller to commit.
pub fn check_block<S: StateStore>(
    trust: &TrustRoot,
    store: &S,
    parent: &BlockHeader,
    served: &Block,
    certificate: &Certificate,
) -> Result<ExecutedBlock, VerifyError> {
    let prechecked = Prechecked {
        body: check_body_and_signatures(trust, served),
        certified_under: None,
    };
    check_block_prechecked(trust, store, parent, served, certificate, prechecked)
}

/// The verdicts on a served block that a replay can reach before the block's turn, on
/// another thread: [`check_body_and_signatures`], and its certificate checked under
/// the validator set the replay last held (the set rarely changes; when it did, the
/// certificate is checked again under the right one).
#[derive(Debug)]
pub struct Prechecked {
    /// The body and signature checks' verdict.
    pub body: Result<(), VerifyError>,
    /// The set the certificate verified under, if it did.
    pub certified_under: Option<BTreeSet<PublicKey>>,
}

/// Reaches the [`Prechecked`] verdicts on `served`, its certificate tried under
/// `likely_set`.
pub fn precheck(
    trust: &TrustRoot,
    served: &Block,
    certificate: &Certificate,
    likely_set: &BTreeSet<PublicKey>,
) -> Prechecked {
    Prechecked {
        body: check_body_and_signatures(trust, served),
        certified_under: certificate
            .verify(&served.header, likely_set)
            .is_ok()
            .then(|| likely_set.clone()),
    }
}

/// The checks of a served block that need no state: its body matches its header's
/// roots, and every applied transaction is for this chain and strictly signed by its
/// signer. Most of a replay's time; it can run ahead of the replay on other threads,
/// its verdict handed to [`check_block_prechecked`]. The keys the applied transactions
/// admit are checked here too, which only memoizes the usable ones
/// ([`Payload::key_to_admit`](crate::tx::Payload::key_to_admit)): re-execution still
/// decides, but no longer pays the subgroup test on the replay's one thread.
pub fn check_body_and_signatures(trust: &TrustRoot, served: &Block) -> Result<(), VerifyError> {
    let height = served.header.height;
    if !served.check_body() {
        return Err(VerifyError::Body { height });
    }
    for (index, (tx, receipt)) in served.transactions.iter().zip(&served.receipts).enumerate() {
        if !receipt.is_applied() {
            continue;
        }
        // The signature is checked over the transaction's own hash: re-execution then
        // takes it as verified, so it must not rest on what the receipt claims. The
        // receipt's hash is the transaction's: `check_body` hashed every transaction
        // and compared.
        let hash = receipt.tx_hash;
        if tx.tx.chain_id != trust.chain_id
            || tx.tx.signer.verify(hash.as_bytes(), &tx.signature).is_err()
        {
            return Err(VerifyError::TxSignature { height, index });
        }
        if let Some(key) = tx.tx.payload.key_to_admit() {
            // The verdict is execution's; an unusable key is simply not memoized.
            let _ = key.check_usable();
        }
    }
    Ok(())
}

/// [`check_block`], given the [`Prechecked`] verdicts on the same block (reported
/// after the link checks, as `check_block` orders them). The applied transactions'
/// signatures are not verified again when the block re-executes, nor the certificate
/// when it verified under the set in force.
pub fn check_block_prechecked<S: StateStore>(
    trust: &TrustRoot,
    store: &S,
    parent: &BlockHeader,
    served: &Block,
    certificate: &Certificate,
    prechecked: Prechecked,
) -> Result<ExecutedBlock, VerifyError> {
    let header = &served.header;
    let height = parent.height + 1;
    let link = |reason: String| VerifyError::ChainLink { height, reason };
    if header.chain_id != trust.chain_id {
        return Err(VerifyError::WrongChain {
            what: format!("block {height}"),
            expected: trust.chain_id,
            got: header.chain_id,
        });
    }
    if header.height != height {
        return Err(link(format!("the node served height {}", header.height)));
    }
    if header.prev_hash != parent.hash() {
        return Err(link(format!(
            "its previous hash is {}, the verified block {} is {}",
            header.prev_hash,
            parent.height,
            parent.hash()
        )));
    }
    prechecked.body?;
    let validators = validators_in(store)?;
    if prechecked.certified_under.as_ref() != Some(&validators) {
        certificate
            .verify(header, &validators)
            .map_err(|source| VerifyError::Certificate {
                what: format!("block {height}"),
                height,
                source,
            })?;
    }
    let proposal = BlockProposal {
        proposer: header.proposer,
        time_ms: header.time_ms,
        transactions: served.transactions.clone(),
    };
    // The applied transactions' signatures were verified strictly above; those the
    // block refused are verified here, and must be refused alike.
    let verified = served.receipts.iter().map(|r| r.is_applied()).collect();
    let executed = execute_block_with(
        store,
        parent,
        &proposal,
        Signatures::PartlyVerifiedStrictly(verified),
    )
    .map_err(|e| VerifyError::LocalState(e.to_string()))?;
    compare_headers(&executed.block.header, header)?;
    if executed.block.receipts != served.receipts {
        // The receipts root matched, so this cannot happen unless hashing collides;
        // kept as a belt-and-braces check.
        return Err(VerifyError::Replay {
            height,
            field: "receipts".into(),
            served: format!("{} receipts", served.receipts.len()),
            replayed: format!("{} receipts", executed.block.receipts.len()),
        });
    }
    Ok(executed)
}

fn compare_headers(replayed: &BlockHeader, served: &BlockHeader) -> Result<(), VerifyError> {
    let height = served.height;
    let differ = |field: &str, served: String, replayed: String| {
        Err(VerifyError::Replay {
            height,
            field: field.into(),
            served,
            replayed,
        })
    };
    if replayed.state_root != served.state_root {
        return differ(
            "state root",
            served.state_root.to_string(),
            replayed.state_root.to_string(),
        );
    }
    if replayed.receipts_root != served.receipts_root {
        return differ(
            "receipts root",
            served.receipts_root.to_string(),
            replayed.receipts_root.to_string(),
        );
    }
    if replayed.transactions_root != served.transactions_root {
        return differ(
            "transactions root",
            served.transactions_root.to_string(),
            replayed.transactions_root.to_string(),
        );
    }
    if replayed.time_ms != served.time_ms {
        return differ(
            "time",
            served.time_ms.to_string(),
            replayed.time_ms.to_string(),
        );
    }
    if replayed != served {
        return differ(
            "header hash",
            served.hash().to_string(),
            replayed.hash().to_string(),
        );
    }
    Ok(())
}
