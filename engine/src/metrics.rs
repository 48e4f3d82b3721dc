//! What an operator watches on a node, in Prometheus' (OpenMetrics) text format.
//!
//! Events (transactions submitted, committed and rejected, blocks, leader changes) are
//! counted where they happen; figures that are state (Raft role, indexes, lag, pool
//! size, RocksDB and index sizes, process CPU and memory) are read when scraped, so a
//! scrape always sees the present and nothing polls in between.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use truffle_ledger::block::{Block, Outcome};

use crate::engine::{Engine, Role};
use crate::error::SubmitError;

/// Labels of a transaction offered to this node.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SubmitLabels {
    /// `accepted` or `refused`.
    pub outcome: String,
    /// Why it was refused: a ledger rejection code, `pool_full`, `pool_signer_backlog`,
    /// `unavailable`; empty when accepted.
    pub reason: String,
}

/// Labels of a transaction a block refused.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RejectLabels {
    /// The ledger's rejection code (README lists them: RPC code = 1000 + this).
    pub code: String,
}

/// A Raft role label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RoleLabels {
    /// `leader`, `follower`, `candidate`, `learner` or `shutdown`.
    pub role: String,
}

/// A peer label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PeerLabels {
    /// The peer's Raft node id.
    pub peer: String,
}

/// Why a peer's vote was refused.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VoteRefusedLabels {
    /// `too_far_ahead`, `bad_signature`, `not_a_validator` or `wrong_chain`.
    pub reason: String,
}

/// Where an equivocation record came from.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EvidenceLabels {
    /// `detected` (by this node's certifier), `peer` (sent by another validator) or
    /// `submitted` (through the engine's API).
    pub source: String,
}

/// A leader label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LeaderLabels {
    /// The leader's Raft node id, as every node names it.
    pub leader: String,
}

/// The engine's metrics. Cheap to share; counters are atomics.
#[derive(Debug)]
pub struct EngineMetrics {
    tx_submitted: Family<SubmitLabels, Counter>,
    tx_committed: Counter,
    tx_rejected: Family<RejectLabels, Counter>,
    blocks_applied: Counter,
    block_interval: Histogram,
    last_block_time_ms: AtomicU64,
    leader_changes: Counter,
    last_leader: AtomicU64,
    raft_role: Family<RoleLabels, Gauge>,
    raft_leader: Family<LeaderLabels, Gauge>,
    raft_term: Gauge,
    raft_commit_index: Gauge,
    raft_applied_index: Gauge,
    raft_last_log_index: Gauge,
    raft_snapshot_index: Gauge,
    raft_purged_index: Gauge,
    raft_replication_lag: Family<PeerLabels, Gauge>,
    block_height: Gauge,
    block_certified_height: Gauge,
    evidence_filed: Family<EvidenceLabels, Counter>,
    evidence_records: Gauge,
    votes_refused: Family<VoteRefusedLabels, Counter>,
    vote_heights_tracked: Gauge,
    mempool_transactions: Gauge,
    p2p_peers: Gauge,
    db_sst_bytes: Gauge,
    db_memtable_bytes: Gauge,
    db_pending_compaction_bytes: Gauge,
    db_running_compactions: Gauge,
    process_cpu_seconds: Gauge<f64, AtomicU64>,
    process_resident_memory_bytes: Gauge,
    uptime_seconds: Gauge,
}

/// No leader known, in [`EngineMetrics::last_leader`].
const NO_LEADER: u64 = u64::MAX;

impl Default for EngineMetrics {
    fn default() -> Self {
        EngineMetrics {
            tx_submitted: Family::default(),
            tx_committed: Counter::default(),
            tx_rejected: Family::default(),
            blocks_applied: Counter::default(),
            // 5 ms .. ~40 s: block times from a busy leader to an idle chain's empty blocks.
            block_interval: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            last_block_time_ms: AtomicU64::new(0),
            leader_changes: Counter::default(),
            last_leader: AtomicU64::new(NO_LEADER),
            raft_role: Family::default(),
            raft_leader: Family::default(),
            raft_term: Gauge::default(),
            raft_commit_index: Gauge::default(),
            raft_applied_index: Gauge::default(),
            raft_last_log_index: Gauge::default(),
            raft_snapshot_index: Gauge::default(),
            raft_purged_index: Gauge::default(),
            raft_replication_lag: Family::default(),
            block_height: Gauge::default(),
            block_certified_height: Gauge::default(),
            evidence_filed: Family::default(),
            evidence_records: Gauge::default(),
            votes_refused: Family::default(),
            vote_heights_tracked: Gauge::default(),
            mempool_transactions: Gauge::default(),
            p2p_peers: Gauge::default(),
            db_sst_bytes: Gauge::default(),
            db_memtable_bytes: Gauge::default(),
            db_pending_compaction_bytes: Gauge::default(),
            db_running_compactions: Gauge::default(),
            process_cpu_seconds: Gauge::default(),
            process_resident_memory_bytes: Gauge::default(),
            uptime_seconds: Gauge::default(),
        }
    }
}

fn gauge_u64(gauge: &Gauge, value: u64) {
    gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
}

impl EngineMetrics {
    /// Adds every metric to `registry` (which the caller prefixes, e.g. `truffle`).
    pub fn register(&self, registry: &mut Registry) {
        let r = registry;
        r.register(
            "tx_submitted",
            "Transactions offered to this node, by outcome and refusal reason",
            self.tx_submitted.clone(),
        );
        r.register(
            "tx_committed",
            "Transactions applied by committed blocks",
            self.tx_committed.clone(),
        );
        r.register(
            "tx_rejected",
            "Transactions committed blocks refused, by ledger rejection code",
            self.tx_rejected.clone(),
        );
        r.register(
            "blocks_applied",
            "Blocks this node applied",
            self.blocks_applied.clone(),
        );
        r.register_with_unit(
            "block_interval",
            "Time between consecutive blocks' timestamps",
            Unit::Seconds,
            self.block_interval.clone(),
        );
        r.register(
            "raft_leader_changes",
            "Times this node saw the Raft leader change (including to none)",
            self.leader_changes.clone(),
        );
        r.register(
            "raft_role",
            "1 for this node's current Raft role",
            self.raft_role.clone(),
        );
        r.register(
            "raft_leader",
            "1 for the Raft leader this node follows (by node id)",
            self.raft_leader.clone(),
        );
        r.register("raft_term", "Current Raft term", self.raft_term.clone());
        r.register(
            "raft_commit_index",
            "Highest log index known committed (leader: quorum match; others: applied)",
            self.raft_commit_index.clone(),
        );
        r.register(
            "raft_applied_index",
            "Highest log index applied to the state machine",
            self.raft_applied_index.clone(),
        );
        r.register(
            "raft_last_log_index",
            "Highest index in this node's Raft log",
            self.raft_last_log_index.clone(),
        );
        r.register(
            "raft_snapshot_index",
            "Log index of this node's latest snapshot",
            self.raft_snapshot_index.clone(),
        );
        r.register(
            "raft_purged_index",
            "Log entries up to this index are purged",
            self.raft_purged_index.clone(),
        );
        r.register(
            "raft_replication_lag_entries",
            "On the leader: log entries each peer is behind",
            self.raft_replication_lag.clone(),
        );
        r.register(
            "block_height",
            "Height of the latest applied block",
            self.block_height.clone(),
        );
        r.register(
            "block_certified_height",
            "Highest block with a quorum certificate",
            self.block_certified_height.clone(),
        );
        r.register(
            "evidence_filed",
            "Equivocation evidence records this node filed, by where they came from",
            self.evidence_filed.clone(),
        );
        r.register(
            "evidence_records",
            "Equivocation evidence records this node holds (one per validator and height)",
            self.evidence_records.clone(),
        );
        r.register(
            "votes_refused",
            "Header votes from peers this node refused, by reason (far-future heights, bad signatures...)",
            self.votes_refused.clone(),
        );
        r.register(
            "vote_heights_tracked",
            "Heights in this node's vote table (bounded: far-future votes are refused)",
            self.vote_heights_tracked.clone(),
        );
        r.register(
            "mempool_transactions",
            "Transactions waiting in this node's pool",
            self.mempool_transactions.clone(),
        );
        r.register(
            "p2p_peers",
            "Validators the transport knows",
            self.p2p_peers.clone(),
        );
        r.register_with_unit(
            "db_sst",
            "Size of RocksDB's table files, all column families",
            Unit::Bytes,
            self.db_sst_bytes.clone(),
        );
        r.register_with_unit(
            "db_memtable",
            "Size of RocksDB's memtables, all column families",
            Unit::Bytes,
            self.db_memtable_bytes.clone(),
        );
        r.register_with_unit(
            "db_pending_compaction",
            "Bytes RocksDB estimates compaction still has to rewrite",
            Unit::Bytes,
            self.db_pending_compaction_bytes.clone(),
        );
        r.register(
            "db_running_compactions",
            "Compactions RocksDB is running",
            self.db_running_compactions.clone(),
        );
        r.register_with_unit(
            "process_cpu",
            "CPU time this process used (user + system)",
            Unit::Seconds,
            self.process_cpu_seconds.clone(),
        );
        r.register_with_unit(
            "process_resident_memory",
            "Resident memory of this process",
            Unit::Bytes,
            self.process_resident_memory_bytes.clone(),
        );
        r.register_with_unit(
            "uptime",
            "Time since the node started",
            Unit::Seconds,
            self.uptime_seconds.clone(),
        );
    }

    /// Counts a transaction offered through RPC or by a peer.
    pub fn on_submitted(&self, result: &Result<truffle_ledger::Hash, SubmitError>) {
        let (outcome, reason) = match result {
            Ok(_) => ("accepted", String::new()),
            Err(SubmitError::Rejected(rejection)) => ("refused", rejection.code().to_string()),
            Err(SubmitError::Pool(error)) => ("refused", pool_reason(error).to_owned()),
            Err(SubmitError::Unavailable(_)) => ("refused", "unavailable".to_owned()),
        };
        self.tx_submitted
            .get_or_create(&SubmitLabels {
                outcome: outcome.to_owned(),
                reason,
            })
            .inc();
    }

    /// Counts an applied block's transactions and its time since the previous block.
    pub fn on_block(&self, block: &Block) {
        self.blocks_applied.inc();
        for receipt in &block.receipts {
            match &receipt.outcome {
                Outcome::Applied { .. } => {
                    self.tx_committed.inc();
                }
                Outcome::Rejected { rejection } => {
                    self.tx_rejected
                        .get_or_create(&RejectLabels {
                            code: rejection.code().to_string(),
                        })
                        .inc();
                }
            }
        }
        let time_ms = block.header.time_ms;
        let previous = self.last_block_time_ms.swap(time_ms, Ordering::Relaxed);
        if previous != 0 && time_ms >= previous {
            self.block_interval
                .observe((time_ms - previous) as f64 / 1_000.0);
        }
    }

    /// Counts a peer's vote refused here.
    pub fn on_vote_refused(&self, reason: &str) {
        self.votes_refused
            .get_or_create(&VoteRefusedLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Counts an equivocation record filed here.
    pub fn on_evidence(&self, source: &str) {
        self.evidence_filed
            .get_or_create(&EvidenceLabels {
                source: source.to_owned(),
            })
            .inc();
    }

    /// Notes who leads now; counts a change.
    pub fn on_leader(&self, leader: Option<u64>) {
        let leader = leader.unwrap_or(NO_LEADER);
        let previous = self.last_leader.swap(leader, Ordering::Relaxed);
        if previous != leader {
            self.leader_changes.inc();
        }
    }

    /// Reads the state figures from the node, just before a scrape encodes them.
    pub async fn refresh(&self, node: &Engine) {
        // Leader changes are counted by the task watching Raft (`tasks::watch_leader`).
        let raft = node.inner.raft.metrics().borrow().clone();
        for role in Role::ALL {
            self.raft_role
                .get_or_create(&RoleLabels {
                    role: role.name().to_owned(),
                })
                .set(0);
        }
        let role = node.role().name();
        self.raft_role
            .get_or_create(&RoleLabels {
                role: role.to_owned(),
            })
            .set(1);
        self.raft_leader.clear();
        if let Some(leader) = raft.current_leader {
            self.raft_leader
                .get_or_create(&LeaderLabels {
                    leader: leader.to_string(),
                })
                .set(1);
        }
        gauge_u64(&self.raft_term, raft.current_term);
        let applied = raft.last_applied.map_or(0, |l| l.index);
        let last_log = raft.last_log_index.unwrap_or(0);
        gauge_u64(&self.raft_applied_index, applied);
        gauge_u64(&self.raft_last_log_index, last_log);
        gauge_u64(
            &self.raft_snapshot_index,
            raft.snapshot.map_or(0, |l| l.index),
        );
        gauge_u64(&self.raft_purged_index, raft.purged.map_or(0, |l| l.index));
        self.raft_replication_lag.clear();
        let mut commit = applied;
        if let Some(replication) = &raft.replication {
            let voters: Vec<u64> = raft.membership_config.membership().voter_ids().collect();
            let mut matched: Vec<u64> = Vec::with_capacity(voters.len());
            for voter in &voters {
                let index = if *voter == raft.id {
                    last_log
                } else {
                    replication
                        .get(voter)
                        .and_then(|l| l.map(|l| l.index))
                        .unwrap_or(0)
                };
                matched.push(index);
            }
            for (peer, matched_log) in replication.iter().filter(|(peer, _)| **peer != raft.id) {
                let lag = last_log.saturating_sub(matched_log.map_or(0, |l| l.index));
                gauge_u64(
                    &self.raft_replication_lag.get_or_create(&PeerLabels {
                        peer: peer.to_string(),
                    }),
                    lag,
                );
            }
            commit = commit.max(quorum_index(&mut matched));
        }
        gauge_u64(&self.raft_commit_index, commit);

        if let Ok(head) = node.head() {
            gauge_u64(&self.block_height, head.height);
        }
        gauge_u64(
            &self.block_certified_height,
            node.certified_height().unwrap_or(0),
        );
        gauge_u64(&self.evidence_records, node.evidence_count());
        gauge_u64(
            &self.vote_heights_tracked,
            node.vote_heights_tracked() as u64,
        );
        gauge_u64(
            &self.mempool_transactions,
            node.pending_transactions() as u64,
        );
        gauge_u64(&self.p2p_peers, node.peers().await.len() as u64);

        let db = node.store().rocksdb_stats();
        gauge_u64(&self.db_sst_bytes, db.sst_bytes);
        gauge_u64(&self.db_memtable_bytes, db.memtable_bytes);
        gauge_u64(
            &self.db_pending_compaction_bytes,
            db.pending_compaction_bytes,
        );
        gauge_u64(&self.db_running_compactions, db.running_compactions);
        if let Some(process) = ProcessStats::read() {
            self.process_cpu_seconds.set(process.cpu_seconds);
            gauge_u64(&self.process_resident_memory_bytes, process.resident_bytes);
        }
        gauge_u64(&self.uptime_seconds, node.uptime().as_secs());
    }
}

/// The highest index a majority of `matched` has reached.
fn quorum_index(matched: &mut [u64]) -> u64 {
    if matched.is_empty() {
        return 0;
    }
    matched.sort_unstable_by(|a, b| b.cmp(a));
    matched[matched.len() / 2]
}

fn pool_reason(error: &crate::mempool::PoolError) -> &'static str {
    use crate::mempool::PoolError;
    match error {
        PoolError::Full(_) => "pool_full",
        PoolError::SignerBacklog(_) => "pool_signer_backlog",
    }
}

/// Bytes of the files under `path` (0 when it does not exist).
pub fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => dir_size(&entry.path()),
            Ok(_) => entry.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// CPU and memory of this process, from `/proc/self` (Linux).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProcessStats {
    /// User + system CPU time, seconds.
    pub cpu_seconds: f64,
    /// Resident set size, bytes.
    pub resident_bytes: u64,
}

impl ProcessStats {
    /// Reads them; `None` where `/proc` is not there.
    pub fn read() -> Option<ProcessStats> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        // SAFETY: sysconf only reads a configuration value.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Self::parse(&stat, &status, if ticks > 0 { ticks as f64 } else { 100.0 })
    }

    fn parse(stat: &str, status: &str, ticks_per_second: f64) -> Option<ProcessStats> {
        // The command name (field 2) may hold spaces and parentheses: fields are
        // counted after its closing parenthesis; utime and stime are fields 14 and 15.
        let after_name = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        let resident_kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(ProcessStats {
            cpu_seconds: (utime + stime) as f64 / ticks_per_second,
            resident_bytes: resident_kib * 1024,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn quorum_index_is_the_majoritys_lowest() {
        assert_eq!(quorum_index(&mut [10, 7, 3]), 7);
        assert_eq!(quorum_index(&mut [10, 9, 3, 2, 1]), 3);
        assert_eq!(quorum_index(&mut [5]), 5);
        assert_eq!(quorum_index(&mut []), 0);
    }

    #[test]
    fn process_stats_parse_proc_lines() {
        let stat = "4242 (truffle (node)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 9 0 100 0 0";
        let status = "Name:\ttruffle\nVmPeak:\t  9000 kB\nVmRSS:\t  2048 kB\nThreads:\t9\n";
        let stats = ProcessStats::parse(stat, status, 100.0).unwrap();
        assert_eq!(stats.cpu_seconds, 3.0);
        assert_eq!(stats.resident_bytes, 2048 * 1024);
        assert_eq!(ProcessStats::parse("garbage", status, 100.0), None);
        assert!(
            ProcessStats::read().is_some(),
            "/proc/self is readable here"
        );
    }

    #[test]
    fn leader_changes_count_transitions_only() {
        let metrics = EngineMetrics::default();
        metrics.on_leader(Some(1));
        metrics.on_leader(Some(1));
        metrics.on_leader(None);
        metrics.on_leader(Some(2));
        assert_eq!(metrics.leader_changes.get(), 3);
    }

    #[test]
    fn submissions_are_labelled_by_outcome_and_reason() {
        let metrics = EngineMetrics::default();
        metrics.on_submitted(&Ok(truffle_ledger::Hash::default()));
        metrics.on_submitted(&Err(SubmitError::Unavailable("down".into())));
        metrics.on_submitted(&Err(SubmitError::Unavailable("down".into())));
        let mut registry = Registry::with_prefix("truffle");
        metrics.register(&mut registry);
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        assert!(
            text.contains("truffle_tx_submitted_total{outcome=\"accepted\",reason=\"\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "truffle_tx_submitted_total{outcome=\"refused\",reason=\"unavailable\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE truffle_block_interval_seconds histogram"));
        assert!(text.ends_with("# EOF\n"));
    }
}
