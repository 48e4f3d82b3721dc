//! The node's [`BotData`]: what the KakaoTalk bot reads, from this node's store (ledger
//! state, service data) and its catalog read model.
//!
//! Every member-specific answer goes through the binding of the Kakao user key that Kakao
//! vouched for (looked up by its keyed MAC); a user without one gets `NotLinked`, so the
//! bot shows how to link and nothing else.

use std::collections::HashMap;

use truffle_index::{Availability, Filters, SearchQuery, SortOrder};
use truffle_kakao::{
    AuthenticityVerdict, BotData, DataError, EntryState, EntrySummary, KakaoUserKey, LinkOutcome,
    LinkedMember, MemberLookup, OrderState, OrderSummary, ProductHit, ProductQuery, RaffleCloses,
    RaffleSummary, SiteLinks, Term, UnlinkOutcome, Vocabulary,
};
use truffle_ledger::limits::normalize_serial;
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::{
    Counters, EntryWindow, Item, ItemLock, Order, OrderSource, OrderStatus, Product, Raffle,
    RaffleEntry, RaffleStatus,
};
use truffle_ledger::{Hash, PublicKey};

use super::link::{Binding, KakaoCommand, KakaoReply};
use crate::catalog::CatalogError;
use crate::node::Node;

/// Most items a plain serial (without brand and model) is looked for among, newest first.
pub const MAX_SERIAL_SCAN: u64 = 100_000;
/// Most products a search falls back to scanning while the search index is not ready.
pub const MAX_FALLBACK_PRODUCTS: u64 = 5_000;
/// Most pieces counted per product for "available".
const MAX_PIECES_COUNTED: u64 = 1_000;
/// Block time assumed to order height-bounded raffles among time-bounded ones.
const ASSUMED_BLOCK_MS: u64 = 1_000;

/// The bot's view of this node.
pub struct NodeBotData {
    node: Node,
    runtime: tokio::runtime::Handle,
    links: SiteLinks,
}

impl std::fmt::Debug for NodeBotData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeBotData")
            .field("site", &self.links.base())
            .finish_non_exhaustive()
    }
}

fn unavailable(error: impl std::fmt::Display) -> DataError {
    DataError::Unavailable(error.to_string())
}

/// A name as the bot may say it back to its owner in a chat that others may glimpse:
/// first and last characters, the rest masked ("김트러플" → "김**플", "민지" → "민*").
pub fn masked_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => "회원".to_owned(),
        1 => chars[0].to_string(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

impl NodeBotData {
    /// Reads `node`; blocking calls run on `runtime`; links point under `site`.
    pub fn new(node: Node, runtime: tokio::runtime::Handle, site: &str) -> Self {
        NodeBotData {
            node,
            runtime,
            links: SiteLinks::new(site),
        }
    }

    fn read<T: borsh::BorshDeserialize>(
        &self,
        what: &'static str,
        key: &[u8],
    ) -> Result<Option<T>, DataError> {
        match self.node.store().get(key).map_err(unavailable)? {
            Some(bytes) => Ok(Some(decode_record(what, &bytes).map_err(unavailable)?)),
            None => Ok(None),
        }
    }

    /// The card thumbnail of an image the ledger names (`None`: the bot's placeholder).
    fn thumb_url(&self, image: Option<&Hash>) -> Option<String> {
        image.map(|hash| {
            format!(
                "{}{}",
                self.links.base(),
                truffle_wire::images::thumb_path(hash)
            )
        })
    }

    fn product_name(product: &Product) -> String {
        if product.name_ko.trim().is_empty() {
            product.name_en.clone()
        } else {
            product.name_ko.clone()
        }
    }

    /// The account bound to `user`, if it is still a member, and how to name it.
    fn linked(&self, user: &KakaoUserKey) -> Result<Option<(PublicKey, LinkedMember)>, DataError> {
        let user_mac = self.node.kakao_user_mac(user);
        let binding: Option<Binding> = crate::chat::overlay::Overlay::new(self.node.store())
            .get(&super::link::user_key(&user_mac))
            .map_err(unavailable)?;
        let Some(binding) = binding else {
            return Ok(None);
        };
        let Some(profile) = self
            .node
            .members()
            .profile(&self.node, &binding.account)
            .map_err(unavailable)?
        else {
            return Ok(None);
        };
        Ok(Some((
            binding.account,
            LinkedMember {
                display_name: masked_name(&profile.name),
            },
        )))
    }

    fn hit_from_product(&self, product: &Product) -> Result<ProductHit, DataError> {
        let mut available = 0;
        for k in 0..u64::from(product.edition_size).min(MAX_PIECES_COUNTED) {
            if let Some(item) = self.read::<Item>("item", &keys::item(product.first_item + k))? {
                if item.lock == ItemLock::Free && item.listing_price.is_some() {
                    available += 1;
                }
            }
        }
        Ok(ProductHit {
            product_id: product.id,
            name_ko: Self::product_name(product),
            name_en: Some(product.name_en.clone()).filter(|n| !n.trim().is_empty()),
            brand: product.brand.clone(),
            price_krw: product.price,
            image_url: self.thumb_url(product.image_hashes.first()),
            page_url: self.links.product(product.id),
            available,
        })
    }

    /// Search without the index (while it is being built): the newest products whose
    /// names, brand or model hold every word and that pass the filters.
    fn scan_products(
        &self,
        query: &ProductQuery,
        limit: usize,
    ) -> Result<Vec<ProductHit>, DataError> {
        let squash = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let words: Vec<String> = query.text.split_whitespace().map(squash).collect();
        let counters: Counters = self
            .read("counters", &keys::counters())?
            .unwrap_or_default();
        let mut hits = Vec::new();
        let newest = counters.next_product.saturating_sub(1);
        let oldest = newest.saturating_sub(MAX_FALLBACK_PRODUCTS).max(1);
        for id in (oldest..=newest).rev() {
            if hits.len() >= limit {
                break;
            }
            let Some(product) = self.read::<Product>("product", &keys::product(id))? else {
                continue;
            };
            let haystack = squash(&format!(
                "{} {} {} {}",
                product.name_ko, product.name_en, product.brand, product.model
            ));
            let passes = words.iter().all(|w| haystack.contains(w.as_str()))
                && query
                    .brand
                    .as_ref()
                    .is_none_or(|b| squash(b) == squash(&product.brand))
                && query
                    .category
                    .as_ref()
                    .is_none_or(|c| squash(c) == squash(&product.category))
                && query.min_price.is_none_or(|m| product.price >= m)
                && query.max_price.is_none_or(|m| product.price <= m);
            if !passes {
                continue;
            }
            let hit = self.hit_from_product(&product)?;
            if query.in_stock && hit.available == 0 {
                continue;
            }
            hits.push(hit);
        }
        Ok(hits)
    }

    fn raffle_product(&self, raffle: &Raffle) -> Result<Option<Product>, DataError> {
        let Some(first) = raffle.spec.items.first() else {
            return Ok(None);
        };
        let Some(item) = self.read::<Item>("item", &keys::item(*first))? else {
            return Ok(None);
        };
        self.read("product", &keys::product(item.product))
    }

    fn closes(window: &EntryWindow) -> RaffleCloses {
        match *window {
            EntryWindow::Heights { closes, .. } => RaffleCloses::AtHeight { height: closes },
            EntryWindow::Times { closes_ms, .. } => RaffleCloses::AtTime { unix_ms: closes_ms },
        }
    }

    fn raffle_summary(&self, raffle: &Raffle) -> Result<RaffleSummary, DataError> {
        let product = self.raffle_product(raffle)?;
        let image_url = self.thumb_url(product.as_ref().and_then(|p| p.image_hashes.first()));
        Ok(RaffleSummary {
            raffle_id: raffle.id,
            product_name: product
                .as_ref()
                .map(Self::product_name)
                .unwrap_or_else(|| format!("래플 #{}", raffle.id)),
            brand: product.map(|p| p.brand).unwrap_or_default(),
            closes: Self::closes(&raffle.spec.window),
            price_krw: raffle.spec.price,
            entry_count: raffle.entry_count,
            prizes: raffle.spec.items.len() as u32,
            image_url,
            page_url: self.links.raffle(raffle.id),
        })
    }

    /// The account's orders (as buyer or seller), newest first.
    fn orders_of(&self, account: &PublicKey) -> Result<Vec<Order>, DataError> {
        let mut ids: Vec<u64> = self
            .node
            .store()
            .scan_prefix(&keys::account_orders_prefix(account))
            .map_err(unavailable)?
            .iter()
            .filter_map(|(k, _)| keys::trailing_u64(k))
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let mut orders = Vec::new();
        for id in ids {
            if let Some(order) = self.read::<Order>("order", &keys::order(id))? {
                orders.push(order);
            }
        }
        Ok(orders)
    }
}

impl BotData for NodeBotData {
    fn search_products(
        &self,
        query: &ProductQuery,
        limit: usize,
    ) -> Result<Vec<ProductHit>, DataError> {
        let limit = limit.clamp(1, 100);
        let search = SearchQuery {
            text: query.text.clone(),
            filters: Filters {
                brand: query.brand.clone(),
                category: query.category.clone(),
                min_price: query.min_price,
                max_price: query.max_price,
                has_open_raffle: None,
                availability: if query.in_stock {
                    Availability::Available
                } else {
                    Availability::Any
                },
                seller: None,
            },
            sort: SortOrder::Relevance,
            page: 1,
            page_size: limit as u32,
        };
        match self.node.catalog().search(&search) {
            Ok(results) => Ok(results
                .hits
                .into_iter()
                .map(|hit| {
                    let doc = hit.product;
                    ProductHit {
                        product_id: doc.product_id,
                        name_ko: if doc.name_ko.trim().is_empty() {
                            doc.name_en.clone()
                        } else {
                            doc.name_ko.clone()
                        },
                        name_en: Some(doc.name_en).filter(|n| !n.trim().is_empty()),
                        brand: doc.brand,
                        price_krw: doc.price,
                        image_url: self.thumb_url(doc.image.as_ref()),
                        page_url: self.links.product(doc.product_id),
                        available: doc.available,
                    }
                })
                .collect()),
            Err(CatalogError::NotReady { .. }) => self.scan_products(query, limit),
            Err(CatalogError::InvalidQuery(_)) => Ok(Vec::new()),
            Err(error) => Err(unavailable(error)),
        }
    }

    fn vocabulary(&self) -> Result<Vocabulary, DataError> {
        let facets = match self.node.catalog().facets() {
            Ok(facets) => facets,
            // While the index is rebuilt the bot reads no brands, and categories by its
            // own table.
            Err(CatalogError::NotReady { .. }) => return Ok(Vocabulary::default()),
            Err(error) => return Err(unavailable(error)),
        };
        let terms = |facets: Vec<truffle_index::Facet>| {
            facets
                .into_iter()
                .map(|f| Term {
                    key: f.key,
                    spellings: f.spellings,
                })
                .collect()
        };
        Ok(Vocabulary {
            brands: terms(facets.brands),
            categories: terms(facets.categories),
        })
    }

    fn open_raffles(&self, limit: usize) -> Result<Vec<RaffleSummary>, DataError> {
        let head = self.node.head().map_err(unavailable)?;
        let now = head.time_ms.max(self.node.now_ms());
        // Raffles waiting for their closing block are exactly the open ones.
        let mut open = Vec::new();
        for (key, _) in self
            .node
            .store()
            .scan_prefix(&keys::pending_close_prefix())
            .map_err(unavailable)?
        {
            let Some(id) = keys::trailing_u64(&key) else {
                continue;
            };
            let Some(raffle) = self.read::<Raffle>("raffle", &keys::raffle(id))? else {
                continue;
            };
            if raffle.status != RaffleStatus::Open
                || raffle.spec.window.is_closed_at(head.height + 1, now)
            {
                continue;
            }
            let closes_at = match raffle.spec.window {
                EntryWindow::Times { closes_ms, .. } => closes_ms,
                EntryWindow::Heights { closes, .. } => head
                    .time_ms
                    .saturating_add(closes.saturating_sub(head.height) * ASSUMED_BLOCK_MS),
            };
            open.push((closes_at, raffle));
        }
        open.sort_by_key(|(closes_at, raffle)| (*closes_at, raffle.id));
        open.iter()
            .take(limit)
            .map(|(_, raffle)| self.raffle_summary(raffle))
            .collect()
    }

    fn raffle(&self, raffle_id: u64) -> Result<Option<RaffleSummary>, DataError> {
        match self.read::<Raffle>("raffle", &keys::raffle(raffle_id))? {
            Some(raffle) => Ok(Some(self.raffle_summary(&raffle)?)),
            None => Ok(None),
        }
    }

    fn member_entries(
        &self,
        user: &KakaoUserKey,
        limit: usize,
    ) -> Result<MemberLookup<Vec<EntrySummary>>, DataError> {
        let Some((account, member)) = self.linked(user)? else {
            return Ok(MemberLookup::NotLinked);
        };
        let mut raffle_ids: Vec<u64> = self
            .node
            .store()
            .scan_prefix(&keys::account_entries_prefix(&account))
            .map_err(unavailable)?
            .iter()
            .filter_map(|(k, _)| keys::trailing_u64(k))
            .collect();
        raffle_ids.sort_unstable_by(|a, b| b.cmp(a));
        raffle_ids.truncate(limit);
        // The orders the draws gave this member, by raffle.
        let mut won: HashMap<u64, &Order> = HashMap::new();
        let orders = self.orders_of(&account)?;
        for order in &orders {
            if let (true, OrderSource::Raffle { raffle }) = (order.buyer == account, order.source) {
                won.entry(raffle).or_insert(order);
            }
        }
        let mut entries = Vec::new();
        for raffle_id in raffle_ids {
            let Some(raffle) = self.read::<Raffle>("raffle", &keys::raffle(raffle_id))? else {
                continue;
            };
            let cancelled = match self
                .read::<u32>("raffle entrant", &keys::raffle_entrant(raffle_id, &account))?
            {
                Some(position) => self
                    .read::<RaffleEntry>("raffle entry", &keys::raffle_entry(raffle_id, position))?
                    .is_some_and(|e| e.cancelled),
                None => false,
            };
            let state = if cancelled {
                EntryState::Cancelled
            } else if matches!(raffle.status, RaffleStatus::Void | RaffleStatus::Cancelled) {
                EntryState::Void
            } else if let Some(order) = won.get(&raffle_id) {
                EntryState::Won {
                    order_id: order.id,
                    pay_by_unix_ms: (order.status == OrderStatus::Pending)
                        .then_some(order.expires_at_ms),
                }
            } else {
                match (&raffle.status, &raffle.result) {
                    (RaffleStatus::Drawn, Some(result)) => {
                        match result.runners_up.iter().position(|k| *k == account) {
                            Some(i) => EntryState::RunnerUp { rank: i as u32 + 1 },
                            None => EntryState::NotSelected,
                        }
                    }
                    _ => EntryState::AwaitingDraw {
                        closes: Self::closes(&raffle.spec.window),
                    },
                }
            };
            entries.push(EntrySummary {
                raffle_id,
                product_name: self
                    .raffle_product(&raffle)?
                    .as_ref()
                    .map(Self::product_name)
                    .unwrap_or_else(|| format!("래플 #{raffle_id}")),
                state,
                page_url: Some(self.links.raffle(raffle_id)),
            });
        }
        Ok(MemberLookup::Linked {
            member,
            data: entries,
        })
    }

    fn member_orders(
        &self,
        user: &KakaoUserKey,
        limit: usize,
    ) -> Result<MemberLookup<Vec<OrderSummary>>, DataError> {
        let Some((account, member)) = self.linked(user)? else {
            return Ok(MemberLookup::NotLinked);
        };
        let mut out = Vec::new();
        for order in self
            .orders_of(&account)?
            .into_iter()
            .filter(|o| o.buyer == account)
            .take(limit)
        {
            let item = self.read::<Item>("item", &keys::item(order.item))?;
            let product = match &item {
                Some(item) => self.read::<Product>("product", &keys::product(item.product))?,
                None => None,
            };
            out.push(OrderSummary {
                order_id: order.id,
                product_name: product
                    .as_ref()
                    .map(Self::product_name)
                    .unwrap_or_else(|| format!("아이템 #{}", order.item)),
                edition: item.as_ref().map(|i| (i.edition, i.edition_size)),
                amount_krw: order.amount,
                state: match order.status {
                    OrderStatus::Pending => OrderState::Pending,
                    OrderStatus::Paid => OrderState::Paid,
                    OrderStatus::Expired => OrderState::Expired,
                    OrderStatus::Cancelled => OrderState::Cancelled,
                    OrderStatus::Refunded => OrderState::Refunded,
                },
                paid_via: order.payment.as_ref().map(|p| p.provider.clone()),
                pay_by_unix_ms: (order.status == OrderStatus::Pending)
                    .then_some(order.expires_at_ms),
                page_url: Some(self.links.order(order.id)),
            });
        }
        Ok(MemberLookup::Linked { member, data: out })
    }

    fn verify_serial(&self, serial: &str) -> Result<AuthenticityVerdict, DataError> {
        let head = self.node.head().map_err(unavailable)?;
        let item_id = if let [brand, model, serial] =
            serial.split('/').map(str::trim).collect::<Vec<_>>()[..]
        {
            // The ledger's serial index answers directly (and proves absence).
            self.read::<u64>("serial", &keys::serial(brand, model, serial))?
        } else {
            let wanted = normalize_serial(serial);
            let counters: Counters = self
                .read("counters", &keys::counters())?
                .unwrap_or_default();
            let newest = counters.next_item.saturating_sub(1);
            if newest > MAX_SERIAL_SCAN {
                // Checking only some items cannot prove a serial was never registered.
                let oldest = newest - MAX_SERIAL_SCAN + 1;
                match self.find_serial(&wanted, oldest, newest)? {
                    Some(id) => Some(id),
                    None => {
                        return Err(DataError::Unavailable(format!(
                            "more than {MAX_SERIAL_SCAN} items: a plain serial needs brand/model/serial"
                        )))
                    }
                }
            } else {
                self.find_serial(&wanted, 1, newest)?
            }
        };
        let Some(item_id) = item_id else {
            return Ok(AuthenticityVerdict::NeverRegistered {
                checked_height: head.height,
            });
        };
        let item: Item = self
            .read("item", &keys::item(item_id))?
            .ok_or_else(|| unavailable(format!("serial index names missing item {item_id}")))?;
        let product: Product = self
            .read("product", &keys::product(item.product))?
            .ok_or_else(|| unavailable(format!("item {item_id} names a missing product")))?;
        Ok(AuthenticityVerdict::Registered {
            item_id,
            product_name: Self::product_name(&product),
            brand: product.brand.clone(),
            edition: item.edition,
            edition_size: item.edition_size,
            registered_height: product.registered.height,
            tx_hash: product.registered.tx_hash.to_hex(),
            image_url: self.thumb_url(product.image_hashes.first()),
            page_url: Some(self.links.item(item_id)),
        })
    }

    fn link_account(&self, user: &KakaoUserKey, code: &str) -> Result<LinkOutcome, DataError> {
        let kakao = self.node.kakao();
        let command = KakaoCommand::Link {
            user_mac: self.node.kakao_user_mac(user),
            code_mac: self.node.kakao_code_mac(code),
            now_ms: self.node.now_ms(),
        };
        let reply = self
            .runtime
            .block_on(kakao.propose(&self.node, command))
            .map_err(unavailable)?;
        let named = |account: PublicKey| -> Result<LinkedMember, DataError> {
            let profile = self
                .node
                .members()
                .profile(&self.node, &account)
                .map_err(unavailable)?;
            Ok(LinkedMember {
                display_name: profile
                    .map(|p| masked_name(&p.name))
                    .unwrap_or_else(|| "회원".to_owned()),
            })
        };
        match reply {
            KakaoReply::Linked { account } => Ok(LinkOutcome::Linked(named(account)?)),
            KakaoReply::AlreadyLinked { account } => {
                Ok(LinkOutcome::AlreadyLinked(named(account)?))
            }
            KakaoReply::InvalidCode => Ok(LinkOutcome::InvalidCode),
            KakaoReply::ExpiredCode => Ok(LinkOutcome::ExpiredCode),
            KakaoReply::RateLimited { .. } => Err(DataError::RateLimited),
            other => Err(unavailable(format!("unexpected link reply {other:?}"))),
        }
    }

    fn unlink_account(&self, user: &KakaoUserKey) -> Result<UnlinkOutcome, DataError> {
        let kakao = self.node.kakao();
        let command = KakaoCommand::Unlink {
            user_mac: Some(self.node.kakao_user_mac(user)),
            account: None,
        };
        match self
            .runtime
            .block_on(kakao.propose(&self.node, command))
            .map_err(unavailable)?
        {
            KakaoReply::Unlinked { .. } => Ok(UnlinkOutcome::Unlinked),
            KakaoReply::NotLinked => Ok(UnlinkOutcome::NotLinked),
            other => Err(unavailable(format!("unexpected unlink reply {other:?}"))),
        }
    }
}

impl NodeBotData {
    /// The newest item in `oldest..=newest` whose normalized serial is `wanted`.
    fn find_serial(
        &self,
        wanted: &str,
        oldest: u64,
        newest: u64,
    ) -> Result<Option<u64>, DataError> {
        if wanted.is_empty() || newest == 0 {
            return Ok(None);
        }
        for id in (oldest.max(1)..=newest).rev() {
            if let Some(item) = self.read::<Item>("item", &keys::item(id))? {
                if normalize_serial(&item.serial) == wanted {
                    return Ok(Some(id));
                }
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::masked_name;

    #[test]
    fn names_are_masked() {
        assert_eq!(masked_name("김트러플"), "김**플");
        assert_eq!(masked_name("민지"), "민*");
        assert_eq!(masked_name("A"), "A");
        assert_eq!(masked_name(" "), "회원");
    }
}
