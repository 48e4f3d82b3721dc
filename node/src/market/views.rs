//! What the market shows: orders with their items, a member's payment history, raffles
//! with their phase, entries and a draw recomputed from ledger data alone.

use truffle_ledger::draw::{contribution_outputs, draw_positions, draw_seed};
use truffle_ledger::state::{decode_record, keys, StateView, Table};
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{
    Item, Order, OrderStatus, Product, Raffle, RaffleCancellation, RaffleEntry, RaffleStatus,
};
use truffle_ledger::PublicKey;

use super::{
    EntryOutcome, HistoryEntry, HistoryRole, ItemSummary, Market, MarketError, MyEntry, OrderView,
    Page, PageRequest, RaffleOutcome, RafflePhase, RaffleView, Recomputed, DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
};

/// The page number and size a request asks for, checked.
fn resolve(request: PageRequest) -> Result<(u32, u32), MarketError> {
    let page = request.page.unwrap_or(1);
    let size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if page == 0 {
        return Err(MarketError::InvalidPage("pages count from 1".into()));
    }
    if size == 0 || size > MAX_PAGE_SIZE {
        return Err(MarketError::InvalidPage(format!(
            "page_size is 1 to {MAX_PAGE_SIZE}"
        )));
    }
    Ok((page, size))
}

fn paginate<T>(all: Vec<T>, request: PageRequest) -> Result<Page<T>, MarketError> {
    let (page, page_size) = resolve(request)?;
    let total = all.len() as u64;
    let skip = (u64::from(page - 1) * u64::from(page_size)).min(total) as usize;
    let items = all
        .into_iter()
        .skip(skip)
        .take(page_size as usize)
        .collect();
    Ok(Page {
        total,
        page,
        page_size,
        items,
    })
}

fn read<T: borsh::BorshDeserialize>(
    store: &truffle_store::Store,
    what: &'static str,
    key: &[u8],
) -> Result<Option<T>, MarketError> {
    match store.get(key)? {
        Some(bytes) => Ok(Some(decode_record(what, &bytes)?)),
        None => Ok(None),
    }
}

impl Market {
    /// An order record from the ledger.
    pub fn ledger_order(&self, order: u64) -> Result<Option<Order>, MarketError> {
        read(&self.store, "order", &keys::order(order))
    }

    pub(crate) fn item_summary(&self, item: u64) -> Result<Option<ItemSummary>, MarketError> {
        let Some(item) = read::<Item>(&self.store, "item", &keys::item(item))? else {
            return Ok(None);
        };
        let product = read::<Product>(&self.store, "product", &keys::product(item.product))?;
        let (brand, name) = product
            .map(|p| {
                let name = if p.name_ko.is_empty() {
                    p.name_en
                } else {
                    p.name_ko
                };
                (p.brand, name)
            })
            .unwrap_or_default();
        Ok(Some(ItemSummary {
            id: item.id,
            product: item.product,
            brand,
            name,
            edition: item.edition,
            edition_size: item.edition_size,
            serial: item.serial,
            owner: item.owner,
        }))
    }

    /// An order with its item and this node's settlement records.
    pub fn order(&self, order: u64) -> Result<OrderView, MarketError> {
        let record = self.ledger_order(order)?.ok_or(MarketError::NotFound {
            kind: "order",
            id: order,
        })?;
        Ok(OrderView {
            order_ref: self.order_ref(order),
            item_summary: self.item_summary(record.item)?,
            overdue: record.status == OrderStatus::Pending && self.now_ms() > record.expires_at_ms,
            settlements: self.settlements(order)?,
            refund_request: read(&self.store, "refund request", &keys::refund_request(order))?,
            order: record,
        })
    }

    /// The open refund requests (waiting for a decision, or approved and being
    /// refunded), oldest order first, with their orders: the admins' console's list.
    pub fn open_refunds(&self, page: PageRequest) -> Result<Page<OrderView>, MarketError> {
        resolve(page)?;
        let open = truffle_ledger::exec::open_refund_requests(&self.store)?;
        let mut views = Vec::with_capacity(open.len());
        for (order, _) in open {
            views.push(self.order(order.id)?);
        }
        paginate(views, page)
    }

    /// An account's orders (as buyer and seller): newest activity first.
    pub fn history(
        &self,
        account: &PublicKey,
        page: PageRequest,
    ) -> Result<Page<HistoryEntry>, MarketError> {
        resolve(page)?;
        let mut entries = Vec::new();
        for (key, _) in self
            .store
            .scan_prefix(&keys::account_orders_prefix(account))?
        {
            let Some(id) = keys::trailing_u64(&key) else {
                continue;
            };
            let Some(order) = self.ledger_order(id)? else {
                continue;
            };
            let role = if order.buyer == *account {
                HistoryRole::Buyer
            } else {
                HistoryRole::Seller
            };
            let last_height = [
                Some(order.created.height),
                order.payment.as_ref().map(|p| p.settled.height),
                order.refund.as_ref().map(|r| r.refunded.height),
            ]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(0);
            entries.push(HistoryEntry {
                order: order.id,
                role,
                status: order.status,
                amount: order.amount,
                source: order.source,
                item: self.item_summary(order.item)?,
                created: order.created,
                payment: order.payment,
                refund: order.refund,
                closed_reason: order.closed_reason,
                expires_at_ms: order.expires_at_ms,
                last_height,
            });
        }
        entries.sort_by_key(|e| std::cmp::Reverse((e.last_height, e.order)));
        paginate(entries, page)
    }

    /// A raffle record from the ledger.
    pub fn ledger_raffle(&self, raffle: u64) -> Result<Option<Raffle>, MarketError> {
        read(&self.store, "raffle", &keys::raffle(raffle))
    }

    fn view(&self, raffle: Raffle, head: (u64, u64)) -> RaffleView {
        let (height, _) = head;
        let deadline = raffle.randomness.as_ref().and_then(|r| r.reveal_deadline);
        let reveal_deadline = deadline.map(|d| d.height);
        let now = self.now_ms();
        // Deadlines are of block time: the next block comes at about this node's clock.
        let phase = match (raffle.status, &raffle.randomness) {
            (RaffleStatus::Drawn, _) => RafflePhase::Drawn,
            (RaffleStatus::Void, _) => RafflePhase::Void,
            (RaffleStatus::Cancelled, _) => RafflePhase::Cancelled,
            (RaffleStatus::Closed, Some(randomness)) if !randomness.is_complete() => {
                if randomness.contribution_deadline.passed_at(height + 1, now) {
                    RafflePhase::MissedContribution
                } else {
                    RafflePhase::AwaitingContributions
                }
            }
            (RaffleStatus::Closed, _) => {
                if raffle.revealed_secret.is_some() {
                    RafflePhase::ReadyToDraw
                } else if deadline.is_some_and(|d| d.passed_at(height + 1, now)) {
                    RafflePhase::MissedReveal
                } else {
                    RafflePhase::AwaitingReveal
                }
            }
            (RaffleStatus::Open, _) => {
                // The next block: one higher, at about this node's clock.
                let window = raffle.spec.window;
                if window.is_closed_at(height, head.1) {
                    RafflePhase::Closing
                } else if window.is_open_at(height + 1, now) {
                    RafflePhase::AcceptingEntries
                } else if window.is_closed_at(height + 1, now) {
                    RafflePhase::Closing
                } else {
                    RafflePhase::Upcoming
                }
            }
        };
        let cancellation = if raffle.status == RaffleStatus::Cancelled {
            self.cancellation(raffle.id)
        } else {
            None
        };
        RaffleView {
            raffle,
            phase,
            reveal_deadline,
            cancellation,
        }
    }

    /// Why the seller cancelled a raffle (none if it did not; a note that cannot be
    /// read is logged and left out rather than failing the whole view).
    fn cancellation(&self, raffle: u64) -> Option<RaffleCancellation> {
        match read(
            &self.store,
            "raffle cancellation",
            &keys::raffle_cancellation(raffle),
        ) {
            Ok(note) => note,
            Err(error) => {
                tracing::warn!(raffle, %error, "unreadable raffle cancellation note");
                None
            }
        }
    }

    fn head(&self) -> Result<(u64, u64), MarketError> {
        let head = self
            .store
            .head()?
            .ok_or_else(|| MarketError::Unavailable("the store has no genesis block".into()))?;
        Ok((head.height, head.time_ms))
    }

    /// A raffle with its phase.
    pub fn raffle(&self, raffle: u64) -> Result<RaffleView, MarketError> {
        let record = self.ledger_raffle(raffle)?.ok_or(MarketError::NotFound {
            kind: "raffle",
            id: raffle,
        })?;
        Ok(self.view(record, self.head()?))
    }

    /// Raffles, newest first, optionally only those with `status` and only those of
    /// `seller`.
    pub fn raffles(
        &self,
        status: Option<RaffleStatus>,
        seller: Option<PublicKey>,
        page: PageRequest,
    ) -> Result<Page<RaffleView>, MarketError> {
        resolve(page)?;
        let head = self.head()?;
        let mut all = Vec::new();
        for (_, bytes) in self.store.scan_prefix(&[Table::Raffle as u8])? {
            let raffle: Raffle = decode_record("raffle", &bytes)?;
            if status.is_none_or(|s| s == raffle.status)
                && seller.is_none_or(|s| s == raffle.seller)
            {
                all.push(raffle);
            }
        }
        all.reverse();
        let page = paginate(all, page)?;
        Ok(Page {
            total: page.total,
            page: page.page,
            page_size: page.page_size,
            items: page.items.into_iter().map(|r| self.view(r, head)).collect(),
        })
    }

    fn all_entries(&self, raffle: u64) -> Result<Vec<RaffleEntry>, MarketError> {
        self.store
            .scan_prefix(&keys::raffle_entries_prefix(raffle))?
            .iter()
            .map(|(_, bytes)| decode_record("raffle entry", bytes).map_err(MarketError::from))
            .collect()
    }

    /// A raffle's entries in entry order (the order the draw uses).
    pub fn raffle_entries(
        &self,
        raffle: u64,
        page: PageRequest,
    ) -> Result<Page<RaffleEntry>, MarketError> {
        resolve(page)?;
        if self.ledger_raffle(raffle)?.is_none() {
            return Err(MarketError::NotFound {
                kind: "raffle",
                id: raffle,
            });
        }
        paginate(self.all_entries(raffle)?, page)
    }

    /// The draw's inputs, the recorded result and the result recomputed from the ledger.
    pub fn raffle_outcome(&self, raffle: u64) -> Result<RaffleOutcome, MarketError> {
        let view = self.raffle(raffle)?;
        let record = &view.raffle;
        let entries = self.all_entries(raffle)?;
        let eligible: Vec<PublicKey> = entries
            .iter()
            .filter(|e| !e.cancelled)
            .map(|e| e.entrant)
            .collect();
        let outputs = record
            .randomness
            .as_ref()
            .and_then(|r| contribution_outputs(r).ok());
        let recomputed = match (
            &record.result,
            record.closing_block,
            record.revealed_secret,
            outputs,
        ) {
            (Some(_), Some(closing), Some(secret), Some(outputs)) => {
                let seed = draw_seed(raffle, &closing.hash, &secret, &outputs);
                let prizes = record.spec.items.len();
                let picked: Vec<PublicKey> = draw_positions(
                    &seed,
                    eligible.len(),
                    prizes + record.spec.runners_up as usize,
                )
                .into_iter()
                .map(|p| eligible[p])
                .collect();
                Some(Recomputed {
                    seed,
                    winners: picked.iter().take(prizes).copied().collect(),
                    runners_up: picked.iter().skip(prizes).copied().collect(),
                })
            }
            _ => None,
        };
        let matches = match (&record.result, &recomputed) {
            (Some(result), Some(again)) => Some(
                result.seed == again.seed
                    && result.winners == again.winners
                    && result.runners_up == again.runners_up,
            ),
            _ => None,
        };
        Ok(RaffleOutcome {
            raffle,
            status: record.status,
            phase: view.phase,
            seed_commitment: record.spec.seed_commitment,
            closing_block: record.closing_block,
            reveal_deadline: view.reveal_deadline,
            revealed_secret: record.revealed_secret,
            secret_matches_commitment: record
                .revealed_secret
                .map(|s| raffle_commitment(&s) == record.spec.seed_commitment),
            seller_missed_reveal: record.seller_missed_reveal
                || view.phase == RafflePhase::MissedReveal,
            entries: record.entry_count,
            eligible_entries: eligible.len() as u32,
            items: record.spec.items.clone(),
            recorded: record.result.clone(),
            recomputed,
            matches,
        })
    }

    /// An account's raffle entries, newest raffle first.
    pub fn entries_of(
        &self,
        account: &PublicKey,
        page: PageRequest,
    ) -> Result<Page<MyEntry>, MarketError> {
        resolve(page)?;
        let head = self.head()?;
        let mut all = Vec::new();
        for (key, _) in self
            .store
            .scan_prefix(&keys::account_entries_prefix(account))?
        {
            let Some(raffle_id) = keys::trailing_u64(&key) else {
                continue;
            };
            let Some(raffle) = self.ledger_raffle(raffle_id)? else {
                continue;
            };
            let Some(position) = read::<u32>(
                &self.store,
                "raffle entrant",
                &keys::raffle_entrant(raffle_id, account),
            )?
            else {
                continue;
            };
            let Some(entry) = read::<RaffleEntry>(
                &self.store,
                "raffle entry",
                &keys::raffle_entry(raffle_id, position),
            )?
            else {
                continue;
            };
            let outcome = if entry.cancelled {
                EntryOutcome::Cancelled
            } else if raffle.status == RaffleStatus::Void {
                EntryOutcome::Void
            } else if raffle.status == RaffleStatus::Cancelled {
                EntryOutcome::RaffleCancelled
            } else {
                match &raffle.result {
                    None => EntryOutcome::Waiting,
                    Some(result) => {
                        if let Some(index) = result.winners.iter().position(|w| w == account) {
                            EntryOutcome::Won {
                                item: raffle.spec.items[index],
                            }
                        } else if let Some(rank) =
                            result.runners_up.iter().position(|r| r == account)
                        {
                            EntryOutcome::RunnerUp {
                                rank: rank as u32 + 1,
                            }
                        } else {
                            EntryOutcome::NotSelected
                        }
                    }
                }
            };
            let view = self.view(raffle, head);
            all.push(MyEntry {
                raffle: raffle_id,
                phase: view.phase,
                position,
                tx: entry.tx,
                outcome,
                price: view.raffle.spec.price,
                items: view.raffle.spec.items,
            });
        }
        all.reverse();
        paginate(all, page)
    }
}

impl Market {
    /// The logged-in member's payment history (orders, payments, refunds; newest first).
    pub async fn payment_history(
        &self,
        session_token: &str,
        page: PageRequest,
    ) -> Result<Page<HistoryEntry>, MarketError> {
        let member = self.members.session(&self.engine, session_token).await?;
        self.history(&member.account, page)
    }

    /// The logged-in member's raffle entries.
    pub async fn my_raffle_entries(
        &self,
        session_token: &str,
        page: PageRequest,
    ) -> Result<Page<MyEntry>, MarketError> {
        let member = self.members.session(&self.engine, session_token).await?;
        self.entries_of(&member.account, page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded_and_slice() {
        let all: Vec<u32> = (0..45).collect();
        let page = paginate(
            all.clone(),
            PageRequest {
                page: Some(3),
                page_size: Some(20),
            },
        )
        .unwrap();
        assert_eq!((page.total, page.items.len(), page.items[0]), (45, 5, 40));
        let past = paginate(
            all.clone(),
            PageRequest {
                page: Some(9),
                page_size: None,
            },
        )
        .unwrap();
        assert!(past.items.is_empty());
        assert!(paginate(
            all.clone(),
            PageRequest {
                page: Some(0),
                page_size: None
            }
        )
        .is_err());
        assert!(paginate(
            all,
            PageRequest {
                page: None,
                page_size: Some(101)
            }
        )
        .is_err());
    }
}
