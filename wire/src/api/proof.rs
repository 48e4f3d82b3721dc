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

/// Most entries in one `proof_raffle` answer: a larger raffle is fetched in pages.
pub const MAX_RAFFLE_PROOF_ENTRIES: u32 = 500;

/// A page of a raffle's proof: entries `first..first + limit`, anchored at `at` (the
/// height of the first page's answer, so that pages concatenate into one bundle).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RaffleProofPage {
    /// Position of the first entry.
    pub first: u32,
    /// Most entries (1..=500).
    pub limit: u32,
    /// The certified height to anchor in; the latest certified one when absent.
    #[serde(default)]
    pub at: Option<u64>,
}

/// Proof bundles for auditors.
#[rpc(server, client, namespace = "proof")]
pub trait ProofApi {
    /// An item's authenticity and owner, by id (`5`) or by serial
    /// (`{"brand": "Nike", "model": "DD1391-100", "serial": "DD-0001"}`): an `ItemProof`.
    #[method(name = "item")]
    async fn item(&self, query: ItemQuery) -> RpcResult<ProofBundleView>;

    /// An item with every ownership change, each with its transaction included and
    /// applied in a certified block: a `HistoryProof`.
    #[method(name = "history")]
    async fn history(&self, query: ItemQuery) -> RpcResult<ProofBundleView>;

    /// A raffle, its entries and its closing block: a `RaffleProof`. Without `page`, every
    /// entry (refused with -32602 past 500: ask pages); with it, entries
    /// `first..first + limit` anchored at `at`, to concatenate.
    #[method(name = "raffle")]
    async fn raffle(
        &self,
        raffle: u64,
        page: Option<RaffleProofPage>,
    ) -> RpcResult<ProofBundleView>;

    /// Whether a serial number is registered; for one never registered, a proof of
    /// absence: an `AbsenceProof`.
    #[method(name = "absence")]
    async fn absence(
        &self,
        brand: String,
        model: String,
        serial: String,
    ) -> RpcResult<ProofBundleView>;
}
