use jsonrpsee::core::{async_trait, RpcResult};
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::{Item, Product};
use truffle_node::Node;

use crate::error;
use truffle_wire::api::ProductApiServer;
use truffle_wire::views::{ItemView, ProductView};

pub(crate) struct ProductHandler {
    pub(crate) node: Node,
}

impl ProductHandler {
    fn record<T: borsh::BorshDeserialize>(
        &self,
        what: &'static str,
        key: &[u8],
        id: u64,
    ) -> RpcResult<T> {
        let bytes = self
            .node
            .store()
            .get(key)
            .map_err(error::node)?
            .ok_or_else(|| error::not_found(format!("{what} {id}")))?;
        decode_record(what, &bytes).map_err(error::node)
    }
}

#[async_trait]
impl ProductApiServer for ProductHandler {
    fn get(&self, product: u64) -> RpcResult<ProductView> {
        let record: Product = self.record("product", &keys::product(product), product)?;
        let items = (0..u64::from(record.edition_size))
            .map(|k| {
                let id = record.first_item + k;
                self.record::<Item>("item", &keys::item(id), id)
            })
            .collect::<RpcResult<Vec<_>>>()?;
        Ok(ProductView {
            product: record,
            items,
        })
    }

    fn get_item(&self, item: u64) -> RpcResult<ItemView> {
        let record: Item = self.record("item", &keys::item(item), item)?;
        let product: Product =
            self.record("product", &keys::product(record.product), record.product)?;
        Ok(ItemView {
            item: record,
            product,
        })
    }
}
