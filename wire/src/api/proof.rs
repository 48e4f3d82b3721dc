//! `proof_*`: proof bundles an auditor checks without trusting this node.
//!
//! Each method returns a borsh-encoded bundle (`truffle_ledger::verify::bundle`) in hex,
//! anchored in the latest certified header: the header and its certificate, every
//! validator-set change since genesis, and state proofs against the header's root.
//! `truffle_ledger::verify` checks it from the genesis alone; nothing else in the
//! answer needs to be trusted.

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use serde::{Deserialize, Serialize};
use truffle_ledger::verify::ItemQuery;

/// A proof bundle as served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProofBundleView {
    /// Height of the certified header it is anchored in (informative: the bundle says it).
    pub height: u64,
    /// Size of the bundle in bytes.
    pub size: usize,
    /// The borsh-encoded bundle, hex.
    pub bundle: String,
}

/// Proof bundles for auditors.
#[rpc(server, client, namespace = "proof")]
pub trait ProofApi {
    /// An item's authenticity and owner, by id (`5`) or by serial
    /// (`{"brand": "Nike", "model": "DD1391-100", "serial": "DD-0001"}`): an `ItemProof`.
    #[method(name = "item")]
    fn item(&self, query: ItemQuery) -> RpcResult<ProofBundleView>;

    /// An item with every ownership change, each with its transaction included and
    /// applied in a certified block: a `HistoryProof`.
    #[method(name = "history")]
    fn history(&self, query: ItemQuery) -> RpcResult<ProofBundleView>;

    /// A raffle, all its entries and its closing block: a `RaffleProof`.
    #[method(name = "raffle")]
    fn raffle(&self, raffle: u64) -> RpcResult<ProofBundleView>;

    /// Whether a serial number is registered; for one never registered, a proof of
    /// absence: an `AbsenceProof`.
    #[method(name = "absence")]
    fn absence(&self, brand: String, model: String, serial: String) -> RpcResult<ProofBundleView>;
}
