//! What a block changed in the catalog: the products, pieces and accounts it touched
//! (raffle closes included), and each product's search document derived again from
//! the store.

use super::*;

/// What a batch of blocks changed.
#[derive(Default)]
pub(crate) struct Touched {
    pub(crate) products: BTreeSet<u64>,
    pub(crate) items: BTreeSet<u64>,
    pub(crate) accounts: BTreeSet<PublicKey>,
}

#[derive(Default)]
pub(crate) struct DeriveCaches {
    pub(crate) raffles: HashMap<u64, Option<Raffle>>,
    pub(crate) shops: HashMap<PublicKey, String>,
}

impl Catalog {
    /// Re-derives and upserts every product in `touched` (items mapped to their
    /// products); updates seller standings. Returns the number of products upserted.
    pub(crate) fn apply_touched(&self, mut touched: Touched) -> CatalogResult<usize> {
        let store = self.store();
        for item in &touched.items {
            if let Some(record) = read::<Item>(store, "item", &keys::item(*item))? {
                touched.products.insert(record.product);
            }
        }
        for account in &touched.accounts {
            let record: Option<Account> = read(store, "account", &keys::account(account))?;
            let Some(record) = record else { continue };
            let renamed = {
                let mut sellers = self.inner.sellers.write().expect("sellers lock poisoned");
                let before = sellers
                    .get(account)
                    .map(|s| shop_name(&s.seller).to_owned());
                if record.seller == SellerStatus::None {
                    sellers.remove(account);
                } else {
                    sellers.insert(*account, SellerStanding::of(&record));
                }
                before.is_some_and(|name| name != shop_name(&record.seller))
            };
            if renamed {
                // A revoked seller re-approved under another shop name: its products
                // show the new name (rare, so a scan is fine).
                for (_, bytes) in store.scan_prefix(&keys::products_prefix())? {
                    let product: Product = decode_record("product", &bytes)?;
                    if product.seller == *account {
                        touched.products.insert(product.id);
                    }
                }
            }
        }
        let mut caches = DeriveCaches::default();
        let mut docs = Vec::with_capacity(touched.products.len());
        for product in &touched.products {
            if let Some(doc) = self.derive(*product, &mut caches)? {
                docs.push(doc);
            }
        }
        let count = docs.len();
        if count > 0 {
            self.with_index(|index| index.upsert(docs))?;
        }
        Ok(count)
    }

    /// What an applied block changed: products registered, pieces moved, listed,
    /// ordered, escrowed or released; accounts whose seller standing changed.
    pub(crate) fn touched_by(&self, block: &Block, touched: &mut Touched) -> CatalogResult<()> {
        let store = self.store();
        let order_item = |order: u64| -> CatalogResult<Option<u64>> {
            Ok(read::<Order>(store, "order", &keys::order(order))?.map(|o| o.item))
        };
        for (tx, receipt) in block.transactions.iter().zip(&block.receipts) {
            let Outcome::Applied { effect } = &receipt.outcome else {
                continue;
            };
            if let Effect::ProductRegistered { product, .. } = effect {
                touched.products.insert(*product);
            }
            match &tx.tx.payload {
                Payload::TransferItem { item, .. }
                | Payload::ListItem { item, .. }
                | Payload::CreateOrder { item } => {
                    touched.items.insert(*item);
                }
                Payload::CreateRaffle(spec) => touched.items.extend(spec.items.iter().copied()),
                // A draw or a cancellation releases (or hands out) the prizes and ends
                // the product's open raffle.
                Payload::DrawRaffle { raffle } | Payload::CancelRaffle { raffle, .. } => {
                    if let Some(record) = read::<Raffle>(store, "raffle", &keys::raffle(*raffle))? {
                        touched.items.extend(record.spec.items.iter().copied());
                        if matches!(effect, Effect::RaffleVoided { .. }) {
                            // The seller's missed reveal is on its standing.
                            touched.accounts.insert(record.seller);
                        }
                    }
                }
                Payload::SettlePayment { order, .. }
                | Payload::CancelOrder { order, .. }
                | Payload::ExpireOrder { order }
                | Payload::RefundOrder { order, .. }
                | Payload::RequestRefund { order, .. }
                | Payload::DecideRefund { order, .. } => {
                    // A refund request takes the piece off sale; a refusal frees it.
                    touched.items.extend(order_item(*order)?);
                }
                Payload::WithdrawAccount { account } => {
                    // Its unpaid orders were closed, releasing their pieces.
                    for (key, _) in store.scan_prefix(&keys::account_orders_prefix(account))? {
                        if let Some(order) = keys::trailing_u64(&key) {
                            touched.items.extend(order_item(order)?);
                        }
                    }
                    touched.accounts.insert(*account);
                }
                Payload::ApplySeller { .. } => {
                    touched.accounts.insert(tx.tx.signer);
                }
                Payload::ApproveSeller { account }
                | Payload::RevokeSeller { account }
                | Payload::SetAccountSuspended { account, .. } => {
                    touched.accounts.insert(*account);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The raffles now waiting for their closing block, with their prizes' products
    /// (taken from `known` when already known).
    pub(crate) fn pending_raffles(
        &self,
        known: &BTreeMap<u64, Vec<u64>>,
    ) -> CatalogResult<BTreeMap<u64, Vec<u64>>> {
        let store = self.store();
        let mut out = BTreeMap::new();
        for (key, _) in store.scan_prefix(&keys::pending_close_prefix())? {
            let Some(raffle) = keys::trailing_u64(&key) else {
                continue;
            };
            if let Some(products) = known.get(&raffle) {
                out.insert(raffle, products.clone());
                continue;
            }
            let Some(record) = read::<Raffle>(store, "raffle", &keys::raffle(raffle))? else {
                continue;
            };
            let mut products = BTreeSet::new();
            for item in &record.spec.items {
                if let Some(item) = read::<Item>(store, "item", &keys::item(*item))? {
                    products.insert(item.product);
                }
            }
            out.insert(raffle, products.into_iter().collect());
        }
        Ok(out)
    }

    pub(crate) fn load_sellers(&self) -> CatalogResult<()> {
        let mut sellers = BTreeMap::new();
        for (_, bytes) in self.store().scan_prefix(&keys::accounts_prefix())? {
            let account: Account = decode_record("account", &bytes)?;
            if account.seller != SellerStatus::None {
                sellers.insert(account.key, SellerStanding::of(&account));
            }
        }
        *self.inner.sellers.write().expect("sellers lock poisoned") = sellers;
        Ok(())
    }

    pub(crate) fn derive(
        &self,
        product: u64,
        caches: &mut DeriveCaches,
    ) -> CatalogResult<Option<ProductDoc>> {
        let Some(record) = read::<Product>(self.store(), "product", &keys::product(product))?
        else {
            return Ok(None);
        };
        self.derive_from(&record, caches).map(Some)
    }

    /// A product's document from its pieces, the raffles escrowing them, and its
    /// seller's shop name, as the store holds them now.
    pub(crate) fn derive_from(
        &self,
        product: &Product,
        caches: &mut DeriveCaches,
    ) -> CatalogResult<ProductDoc> {
        let store = self.store();
        let mut items = Vec::with_capacity(product.edition_size as usize);
        for k in 0..u64::from(product.edition_size) {
            let id = product.first_item + k;
            let item: Item =
                read(store, "item", &keys::item(id))?.ok_or_else(|| LedgerError::Corrupt {
                    what: "item",
                    reason: format!("product {} lacks item {id}", product.id),
                })?;
            items.push(item);
        }
        if let std::collections::hash_map::Entry::Vacant(entry) = caches.shops.entry(product.seller)
        {
            let account: Option<Account> = read(store, "account", &keys::account(&product.seller))?;
            entry.insert(
                account
                    .map(|a| shop_name(&a.seller).to_owned())
                    .unwrap_or_default(),
            );
        }
        let mut raffle_ids: Vec<u64> = items
            .iter()
            .filter_map(|item| match item.lock {
                ItemLock::Raffle(raffle) => Some(raffle),
                _ => None,
            })
            .collect();
        raffle_ids.sort_unstable();
        raffle_ids.dedup();
        for raffle in &raffle_ids {
            if let std::collections::hash_map::Entry::Vacant(entry) = caches.raffles.entry(*raffle)
            {
                entry.insert(read(store, "raffle", &keys::raffle(*raffle))?);
            }
        }
        let raffles = raffle_ids
            .iter()
            .filter_map(|id| caches.raffles.get(id).and_then(Option::as_ref));
        let shop = caches
            .shops
            .get(&product.seller)
            .map(String::as_str)
            .unwrap_or("");
        Ok(ProductDoc::from_ledger(product, shop, &items, raffles))
    }
}
