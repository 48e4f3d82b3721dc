use jsonrpsee::core::{async_trait, RpcResult};
use jsonrpsee::types::ErrorObjectOwned;
use truffle_ledger::verify::build::{self, BuildError, ProofSource};
use truffle_ledger::verify::{encode_bundle, ItemQuery};
use truffle_ledger::{Block, BlockHeader, Certificate};
use truffle_node::Node;
use truffle_store::Store;

use crate::error;
use truffle_wire::api::{ProofApiServer, ProofBundleView};
use truffle_wire::api::{RaffleProofPage, MAX_RAFFLE_PROOF_ENTRIES};

/// How far back from the head to look for a certified block.
const CERTIFIED_WINDOW: u64 = 1_024;

pub(crate) struct ProofHandler {
    node: Node,
    heavy: super::Heavy,
}

struct StoreSource<'a>(&'a Store);

fn storage(error: truffle_store::StoreError) -> BuildError {
    BuildError::Unavailable(error.to_string())
}

impl ProofSource for StoreSource<'_> {
    type Tree = Store;

    fn tree(&self) -> &Store {
        self.0
    }

    fn header(&self, height: u64) -> Result<Option<BlockHeader>, BuildError> {
        self.0.header(height).map_err(storage)
    }

    fn block(&self, height: u64) -> Result<Option<Block>, BuildError> {
        self.0.block(height).map_err(storage)
    }

    fn certificate(&self, height: u64) -> Result<Option<Certificate>, BuildError> {
        self.0.certificate(height).map_err(storage)
    }
}

fn build_error(error: BuildError) -> ErrorObjectOwned {
    match error {
        BuildError::NotFound(what) => error::not_found(what),
        BuildError::Unavailable(reason) => error::error(error::UNAVAILABLE, reason),
    }
}

impl ProofHandler {
    pub(crate) fn new(node: Node, heavy: super::Heavy) -> ProofHandler {
        ProofHandler { node, heavy }
    }

    /// Builds a bundle anchored in the latest certified header, on a blocking thread
    /// (off the runtime that carries Raft and libp2p), a bounded number at once.
    async fn serve<T: borsh::BorshSerialize + Send + 'static>(
        &self,
        build: impl FnOnce(&StoreSource<'_>, u64) -> RpcResult<T> + Send + 'static,
    ) -> RpcResult<ProofBundleView> {
        self.serve_at(None, build).await
    }

    /// Like [`ProofHandler::serve`], anchored at `at` when given (a certified height).
    async fn serve_at<T: borsh::BorshSerialize + Send + 'static>(
        &self,
        at: Option<u64>,
        build: impl FnOnce(&StoreSource<'_>, u64) -> RpcResult<T> + Send + 'static,
    ) -> RpcResult<ProofBundleView> {
        let node = self.node.clone();
        self.heavy
            .run(move || {
                let head = node.head().map_err(error::node)?.height;
                let source = StoreSource(node.store());
                let height = match at {
                    Some(at)
                        if at <= head && source.certificate(at).map_err(build_error)?.is_some() =>
                    {
                        at
                    }
                    Some(at) => {
                        return Err(error::invalid_param(
                            "page.at",
                            format!("block {at} is not a certified block of this node"),
                        ))
                    }
                    None => build::latest_certified(&source, head, CERTIFIED_WINDOW)
                        .map_err(build_error)?,
                };
                let bytes = encode_bundle(&build(&source, height)?);
                Ok(ProofBundleView {
                    height,
                    size: bytes.len(),
                    bundle: hex::encode(bytes),
                })
            })
            .await
    }
}

#[async_trait]
impl ProofApiServer for ProofHandler {
    async fn item(&self, query: ItemQuery) -> RpcResult<ProofBundleView> {
        self.serve(move |source, height| {
            build::item_proof(source, height, &query).map_err(build_error)
        })
        .await
    }

    async fn history(&self, query: ItemQuery) -> RpcResult<ProofBundleView> {
        self.serve(move |source, height| {
            build::history_proof(source, height, &query).map_err(build_error)
        })
        .await
    }

    async fn raffle(
        &self,
        raffle: u64,
        page: Option<RaffleProofPage>,
    ) -> RpcResult<ProofBundleView> {
        // One answer proves at most MAX_RAFFLE_PROOF_ENTRIES entries: its cost is bounded
        // whatever the raffle's size.
        if let Some(page) = page {
            if !(1..=MAX_RAFFLE_PROOF_ENTRIES).contains(&page.limit) {
                return Err(error::invalid_param(
                    "page.limit",
                    format!("must be 1 to {MAX_RAFFLE_PROOF_ENTRIES}"),
                ));
            }
        }
        self.serve_at(page.and_then(|p| p.at), move |source, height| match page {
            Some(page) => {
                build::raffle_proof_page(source, height, raffle, page.first, page.limit)
                    .map_err(build_error)
            }
            None => {
                let entries =
                    build::raffle_entry_count(source, height, raffle).map_err(build_error)?;
                if entries > MAX_RAFFLE_PROOF_ENTRIES {
                    return Err(error::error_with(
                        error::INVALID_PARAMS,
                        format!(
                            "raffle {raffle} has {entries} entries: ask them in pages of at \
                             most {MAX_RAFFLE_PROOF_ENTRIES} (page.first, page.limit, page.at)"
                        ),
                        &serde_json::json!({ "entries": entries, "page_limit": MAX_RAFFLE_PROOF_ENTRIES }),
                    ));
                }
                build::raffle_proof(source, height, raffle).map_err(build_error)
            }
        })
        .await
    }

    async fn absence(
        &self,
        brand: String,
        model: String,
        serial: String,
    ) -> RpcResult<ProofBundleView> {
        self.serve(move |source, height| {
            build::absence_proof(source, height, &brand, &model, &serial).map_err(build_error)
        })
        .await
    }
}
