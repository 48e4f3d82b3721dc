//! `chain_*`: blocks, headers and certificates.

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use truffle_ledger::types::Validator;
use truffle_ledger::{Certificate, Evidence};

use crate::views::{BlockView, HeaderView};

/// Blocks, headers and certificates.
#[rpc(server, client, namespace = "chain")]
pub trait ChainApi {
    /// The header at `height`, or the latest when omitted.
    #[method(name = "getHeader")]
    fn get_header(&self, height: Option<u64>) -> RpcResult<HeaderView>;

    /// The block at `height`, or the latest when omitted.
    #[method(name = "getBlock")]
    fn get_block(&self, height: Option<u64>) -> RpcResult<BlockView>;

    /// The certificate of the block at `height` (signatures of more than two thirds of the validators).
    #[method(name = "getCertificate")]
    fn get_certificate(&self, height: u64) -> RpcResult<Certificate>;

    /// Certified blocks from `from` on, for auditors replaying the chain: at most `max`
    /// (default and most 64), stopping at the first block without a certificate here
    /// and once the answer passes 4 MiB. Each is the hex of the block's borsh encoding
    /// followed by its certificate's (`(Block, Certificate)`).
    #[method(name = "getCertifiedBlocks")]
    fn get_certified_blocks(&self, from: u64, max: Option<u32>) -> RpcResult<Vec<String>>;

    /// The receipts of the block at `height` (transaction hashes and outcomes) — what a
    /// client following its transactions needs, without the transactions themselves.
    #[method(name = "getReceipts")]
    fn get_receipts(&self, height: u64) -> RpcResult<Vec<truffle_ledger::Receipt>>;

    /// Headers from `from`, at most `limit` (at most 1000).
    #[method(name = "getHeaders")]
    fn get_headers(&self, from: u64, limit: u32) -> RpcResult<Vec<HeaderView>>;

    /// Equivocation evidence this node holds (a validator's votes for two headers of one
    /// height, or against a certified header), by height from `from` (0 when omitted),
    /// at most `limit` (default and most 100). Each record checks offline with
    /// `truffle verify evidence`.
    #[method(name = "getEvidence")]
    fn get_evidence(&self, from: Option<u64>, limit: Option<u32>) -> RpcResult<Vec<Evidence>>;

    /// Files an equivocation record (for example one `truffle verify` wrote) after
    /// checking it against the validators of its height, and sends it on to every
    /// validator; returns whether it was new here.
    #[method(name = "submitEvidence")]
    fn submit_evidence(&self, evidence: Evidence) -> RpcResult<bool>;

    /// The validator set in force after the latest applied block: keys, names, peer
    /// addresses and the height each joined (read-only; changes are admin-signed
    /// `add_validator`/`remove_validator` transactions).
    #[method(name = "getValidators")]
    fn get_validators(&self) -> RpcResult<Vec<Validator>>;

    /// Every new header, as blocks are applied.
    #[subscription(name = "subscribeNewHeads" => "newHead", unsubscribe = "unsubscribeNewHeads", item = HeaderView)]
    async fn subscribe_new_heads(&self) -> jsonrpsee::core::SubscriptionResult;
}
