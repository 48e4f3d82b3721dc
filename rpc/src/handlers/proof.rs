use jsonrpsee::core::{async_trait, RpcResult};
use jsonrpsee::types::ErrorObjectOwned;
use truffle_ledger::verify::build::{self, BuildError, ProofSource};
use truffle_ledger::verify::{encode_bundle, ItemQuery};
use truffle_ledger::{Block, BlockHeader, Certificate};
use truffle_node::Node;
use truffle_store::Store;

use crate::error;
use truffle_wire::api::{ProofApiServer, ProofBundleView};

/// How far back from the head to look for a certified block.
const CERTIFIED_WINDOW: u64 = 1_024;

pub(crate) struct ProofHandler {
    pub(crate) node: Node,
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
    /// Builds a bundle anchored in the latest certified header.
    fn serve<T: borsh::BorshSerialize>(
        &self,
        build: impl FnOnce(&StoreSource<'_>, u64) -> Result<T, BuildError>,
    ) -> RpcResult<ProofBundleView> {
        let head = self.node.head().map_err(error::node)?.height;
        let source = StoreSource(self.node.store());
        let height =
            build::latest_certified(&source, head, CERTIFIED_WINDOW).map_err(build_error)?;
        let bytes = encode_bundle(&build(&source, height).map_err(build_error)?);
        Ok(ProofBundleView {
            height,
            size: bytes.len(),
            bundle: hex::encode(bytes),
        })
    }
}

#[async_trait]
impl ProofApiServer for ProofHandler {
    fn item(&self, query: ItemQuery) -> RpcResult<ProofBundleView> {
        self.serve(|source, height| build::item_proof(source, height, &query))
    }

    fn history(&self, query: ItemQuery) -> RpcResult<ProofBundleView> {
        self.serve(|source, height| build::history_proof(source, height, &query))
    }

    fn raffle(&self, raffle: u64) -> RpcResult<ProofBundleView> {
        self.serve(|source, height| build::raffle_proof(source, height, raffle))
    }

    fn absence(&self, brand: String, model: String, serial: String) -> RpcResult<ProofBundleView> {
        self.serve(|source, height| build::absence_proof(source, height, &brand, &model, &serial))
    }
}
