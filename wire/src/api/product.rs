//! `product_*`: limited editions and their pieces.

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;

use crate::views::{ItemView, ProductView};

/// Limited editions and their pieces.
#[rpc(server, client, namespace = "product")]
pub trait ProductApi {
    /// A product with its pieces, their owners and status.
    #[method(name = "get")]
    fn get(&self, product: u64) -> RpcResult<ProductView>;

    /// One piece: its product, owner and status.
    #[method(name = "getItem")]
    fn get_item(&self, item: u64) -> RpcResult<ItemView>;
}
