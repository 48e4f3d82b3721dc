//! Banner ads: which campaigns a page shows, where a click goes, and how often each
//! was shown and clicked.
//!
//! Campaigns live on the ledger (`CreateAd`, `SetAdActive`): the landing URL is fixed
//! there and a click is only ever redirected to it. Impressions and clicks are counted
//! by the node that served them, in its local column family (they are not ledger
//! history); an admin's [`AdminQuery`] sums every reachable validator's counts.
//!
//! A click is counted once per viewer (client address + user agent) and campaign within
//! [`CLICK_DEDUP_WINDOW`], on the node that served it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::tx::ad_targets;
use truffle_ledger::types::AdCampaign;
use truffle_ledger::{Hash, LedgerError, PublicKey};
use truffle_store::{Store, StoreError};

use truffle_engine::Engine;

pub use truffle_ledger::admin_query::{
    AdminCheckError, AdminQuery, AdminQueryError, ADMIN_QUERY_DOMAIN, ADMIN_QUERY_MAX_SKEW_MS,
};
pub use truffle_wire::ads::{AdBanner, AdStats, AdViewer, CampaignStats, NodeShare};

/// A click from the same viewer on the same campaign is counted once per this window.
pub const CLICK_DEDUP_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Most (viewer, campaign) pairs remembered for deduplication; the oldest are dropped.
pub const MAX_TRACKED_CLICKS: usize = 200_000;
/// Domain tag of a viewer's id.
const VIEWER_DOMAIN: &[u8] = b"truffle/v1/ad-viewer";
/// Prefix of the counters in the node-local family: `prefix ‖ big-endian ad id`.
const COUNTS_PREFIX: &[u8] = b"ads/counts/";
/// Most campaigns one page shows.
pub const MAX_BANNERS: usize = 20;
/// How long `ad_stats` waits for each validator.
const PEER_TIMEOUT: Duration = Duration::from_secs(3);

/// Impressions and clicks of a campaign.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct AdCounts {
    /// Times it was returned by `ad_list`.
    pub impressions: u64,
    /// Counted clicks (deduplicated).
    pub clicks: u64,
}

/// One campaign's counts on one node (the `AdCounts` p2p answer).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct AdCount {
    /// Campaign id.
    pub ad: u64,
    /// Its counts.
    pub counts: AdCounts,
}

/// Why an ad operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdError {
    /// No live campaign has this id (unknown, switched off, not started or ended).
    #[error("no live ad campaign {0}")]
    NotLive(u64),
    /// An admin query was refused.
    #[error(transparent)]
    Admin(#[from] AdminQueryError),
    /// The ledger or the local counters could not be read or written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<AdminCheckError> for AdError {
    fn from(error: AdminCheckError) -> Self {
        match error {
            AdminCheckError::Refused(refusal) => AdError::Admin(refusal),
            AdminCheckError::Ledger(error) => AdError::Ledger(error),
        }
    }
}

impl From<StoreError> for AdError {
    fn from(error: StoreError) -> Self {
        AdError::Ledger(error.into())
    }
}

/// Remembers recent (campaign, viewer) clicks.
#[derive(Default)]
struct ClickDedup {
    seen: HashMap<(u64, Hash), u64>,
    order: VecDeque<(u64, u64, Hash)>,
}

impl ClickDedup {
    /// Whether a click counts (and remembers it if so).
    fn admit(&mut self, ad: u64, viewer: Hash, now_ms: u64) -> bool {
        let window = CLICK_DEDUP_WINDOW.as_millis() as u64;
        while let Some(&(at, old_ad, old_viewer)) = self.order.front() {
            if now_ms.saturating_sub(at) < window && self.order.len() < MAX_TRACKED_CLICKS {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&(old_ad, old_viewer)) == Some(&at) {
                self.seen.remove(&(old_ad, old_viewer));
            }
        }
        if let Some(&at) = self.seen.get(&(ad, viewer)) {
            if now_ms.saturating_sub(at) < window {
                return false;
            }
        }
        self.seen.insert((ad, viewer), now_ms);
        self.order.push_back((now_ms, ad, viewer));
        true
    }
}

/// The node's banner service: live campaigns from the ledger, local counters.
pub struct AdBoard {
    store: Store,
    /// Counters, loaded from the local family on first use and written through.
    counts: Mutex<Option<BTreeMap<u64, AdCounts>>>,
    clicks: Mutex<ClickDedup>,
}

impl std::fmt::Debug for AdBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdBoard").finish_non_exhaustive()
    }
}

fn counts_key(ad: u64) -> Vec<u8> {
    let mut key = COUNTS_PREFIX.to_vec();
    key.extend_from_slice(&ad.to_be_bytes());
    key
}

impl AdBoard {
    /// A board over `store`.
    pub fn new(store: Store) -> AdBoard {
        AdBoard {
            store,
            counts: Mutex::new(None),
            clicks: Mutex::new(ClickDedup::default()),
        }
    }

    /// A viewer's id: a hash of the client address and user agent (neither is kept).
    pub fn viewer_id(address: IpAddr, user_agent: &str) -> Hash {
        let address = match address {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets().to_vec(),
                None => v6.octets().to_vec(),
            },
        };
        Hash::tagged(VIEWER_DOMAIN, &[&address, &[0], user_agent.as_bytes()])
    }

    /// Every campaign on the ledger, by id.
    pub fn campaigns(&self) -> Result<Vec<AdCampaign>, AdError> {
        self.store
            .scan_prefix(&keys::ads_prefix())?
            .iter()
            .map(|(_, bytes)| decode_record::<AdCampaign>("ad", bytes).map_err(AdError::from))
            .collect()
    }

    /// The campaign `ad` if it shows at `now_ms`.
    pub fn live_campaign(&self, ad: u64, now_ms: u64) -> Result<AdCampaign, AdError> {
        let campaign: AdCampaign = match self.store.get(&keys::ad(ad))? {
            Some(bytes) => decode_record("ad", &bytes)?,
            None => return Err(AdError::NotLive(ad)),
        };
        if !campaign.is_live_at(now_ms) {
            return Err(AdError::NotLive(ad));
        }
        Ok(campaign)
    }

    /// The live campaigns of `placement` that target `viewer` at `now_ms` (at most
    /// [`MAX_BANNERS`], newest first); counts an impression for each one returned.
    pub fn list(
        &self,
        placement: &str,
        viewer: Option<&AdViewer>,
        now_ms: u64,
    ) -> Result<Vec<AdBanner>, AdError> {
        let viewer = viewer.copied().unwrap_or_default();
        let mut shown: Vec<AdCampaign> = self
            .campaigns()?
            .into_iter()
            .filter(|c| {
                c.spec.placement == placement
                    && c.is_live_at(now_ms)
                    && ad_targets(&c.spec, viewer.gender, viewer.birth_year, now_ms)
            })
            .collect();
        shown.reverse();
        shown.truncate(MAX_BANNERS);
        let ids: Vec<u64> = shown.iter().map(|c| c.id).collect();
        self.bump(&ids, |counts| counts.impressions += 1)?;
        Ok(shown
            .into_iter()
            .map(|c| AdBanner {
                id: c.id,
                click_url: format!("/ads/{}/click", c.id),
                title: c.spec.title,
                image_url: c.spec.image_url,
                placement: c.spec.placement,
                ends_at_ms: c.spec.ends_at_ms,
            })
            .collect())
    }

    /// A click on `ad` by `viewer`: the campaign's landing URL as fixed on the ledger,
    /// if it is live. The click is counted unless the viewer clicked it within
    /// [`CLICK_DEDUP_WINDOW`]; returns the URL and whether it counted.
    pub fn click(&self, ad: u64, viewer: Hash, now_ms: u64) -> Result<(String, bool), AdError> {
        let campaign = self.live_campaign(ad, now_ms)?;
        let counted = self
            .clicks
            .lock()
            .expect("click lock poisoned")
            .admit(ad, viewer, now_ms);
        if counted {
            self.bump(&[ad], |counts| counts.clicks += 1)?;
        }
        Ok((campaign.spec.landing_url, counted))
    }

    /// This node's counts, by campaign.
    pub fn local_counts(&self) -> Result<Vec<AdCount>, AdError> {
        let mut guard = self.counts.lock().expect("counts lock poisoned");
        let counts = self.loaded(&mut guard)?;
        Ok(counts
            .iter()
            .map(|(ad, counts)| AdCount {
                ad: *ad,
                counts: *counts,
            })
            .collect())
    }

    fn loaded<'a>(
        &self,
        slot: &'a mut Option<BTreeMap<u64, AdCounts>>,
    ) -> Result<&'a mut BTreeMap<u64, AdCounts>, AdError> {
        if slot.is_none() {
            let mut counts = BTreeMap::new();
            for (key, value) in self.store.local_scan(COUNTS_PREFIX)? {
                let Some(ad) = keys::trailing_u64(&key) else {
                    continue;
                };
                counts.insert(ad, decode_record::<AdCounts>("ad counts", &value)?);
            }
            *slot = Some(counts);
        }
        Ok(slot.as_mut().expect("just loaded"))
    }

    fn bump(&self, ads: &[u64], change: impl Fn(&mut AdCounts)) -> Result<(), AdError> {
        if ads.is_empty() {
            return Ok(());
        }
        let mut guard = self.counts.lock().expect("counts lock poisoned");
        let counts = self.loaded(&mut guard)?;
        let mut writes = Vec::with_capacity(ads.len());
        for ad in ads {
            let entry = counts.entry(*ad).or_default();
            change(entry);
            writes.push((
                counts_key(*ad),
                Some(borsh::to_vec(entry).expect("encoding to a Vec cannot fail")),
            ));
        }
        if let Err(error) = self.store.local_write(&writes) {
            // Keep memory and disk in step: reload from disk next time.
            *guard = None;
            return Err(error.into());
        }
        Ok(())
    }
}

/// The name under which validators answer each other's requests for their counts
/// (an empty request; the answer is a borsh `Vec<AdCount>`).
pub const PEER_SERVICE: &str = "ads/counts";

impl truffle_engine::PeerService for AdBoard {
    fn handle(
        &self,
        _from: PublicKey,
        _body: Vec<u8>,
    ) -> futures::future::BoxFuture<'static, Result<Vec<u8>, truffle_engine::Refusal>> {
        let answer = self
            .local_counts()
            .map(|counts| borsh::to_vec(&counts).expect("encoding to a Vec cannot fail"))
            .map_err(|e| truffle_engine::Refusal::new(e.to_string()));
        Box::pin(async move { answer })
    }
}

/// What an admin asks of the banner service over the chain engine.
impl AdBoard {
    /// Checks an admin query for `method`: time, signature, and that the key is an
    /// active admin account on the ledger.
    pub fn check_admin_query(
        engine: &Engine,
        query: &AdminQuery,
        method: &str,
    ) -> Result<(), AdError> {
        Ok(truffle_ledger::admin_query::check(
            engine.store(),
            &engine.chain_id(),
            query,
            method,
            engine.now_ms(),
        )?)
    }

    /// Every campaign with its impressions and clicks summed over this node and every
    /// validator that answers (admin only: `query` must be signed for `method`).
    pub async fn stats(
        &self,
        engine: &Engine,
        query: &AdminQuery,
        method: &str,
    ) -> Result<AdStats, AdError> {
        Self::check_admin_query(engine, query, method)?;
        let mut sums: BTreeMap<u64, AdCounts> = BTreeMap::new();
        let mut add = |counts: Vec<AdCount>| {
            for count in counts {
                let sum = sums.entry(count.ad).or_default();
                sum.impressions = sum.impressions.saturating_add(count.counts.impressions);
                sum.clicks = sum.clicks.saturating_add(count.counts.clicks);
            }
        };
        add(self.local_counts()?);
        let own = engine.key().public();
        let mut nodes = vec![NodeShare {
            node: own,
            answered: true,
            error: None,
        }];
        let peers: Vec<PublicKey> = engine
            .validator_keys()
            .into_iter()
            .filter(|k| *k != own)
            .collect();
        let answers = futures::future::join_all(peers.iter().map(|peer| async move {
            match tokio::time::timeout(
                PEER_TIMEOUT,
                engine.ask_peer(peer, PEER_SERVICE, Vec::new()),
            )
            .await
            {
                Ok(Ok(answer)) => borsh::from_slice::<Vec<AdCount>>(&answer)
                    .map_err(|e| format!("unexpected answer: {e}")),
                Ok(Err(error)) => Err(error.to_string()),
                Err(_) => Err("timed out".to_owned()),
            }
        }))
        .await;
        for (peer, answer) in peers.into_iter().zip(answers) {
            match answer {
                Ok(counts) => {
                    add(counts);
                    nodes.push(NodeShare {
                        node: peer,
                        answered: true,
                        error: None,
                    });
                }
                Err(error) => nodes.push(NodeShare {
                    node: peer,
                    answered: false,
                    error: Some(error),
                }),
            }
        }
        let now = engine.now_ms();
        let campaigns = self
            .campaigns()?
            .into_iter()
            .map(|c| {
                let counts = sums.get(&c.id).copied().unwrap_or_default();
                CampaignStats {
                    ad: c.id,
                    live: c.is_live_at(now),
                    title: c.spec.title,
                    placement: c.spec.placement,
                    landing_url: c.spec.landing_url,
                    active: c.active,
                    starts_at_ms: c.spec.starts_at_ms,
                    ends_at_ms: c.spec.ends_at_ms,
                    impressions: counts.impressions,
                    clicks: counts.clicks,
                }
            })
            .collect();
        Ok(AdStats {
            campaigns,
            nodes,
            time_ms: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_count_once_per_viewer_and_window() {
        let mut dedup = ClickDedup::default();
        let a = AdBoard::viewer_id("10.0.0.1".parse().unwrap(), "ua");
        let b = AdBoard::viewer_id("10.0.0.1".parse().unwrap(), "other ua");
        let window = CLICK_DEDUP_WINDOW.as_millis() as u64;
        assert!(dedup.admit(1, a, 1_000));
        assert!(!dedup.admit(1, a, 2_000));
        assert!(dedup.admit(2, a, 2_000), "another campaign");
        assert!(dedup.admit(1, b, 2_000), "another viewer");
        assert!(!dedup.admit(1, a, 1_000 + window - 1));
        assert!(dedup.admit(1, a, 1_000 + window), "a new window");
        assert_eq!(
            AdBoard::viewer_id("::ffff:10.0.0.1".parse().unwrap(), "ua"),
            a,
            "IPv4-mapped addresses are the IPv4 address"
        );
    }
}
