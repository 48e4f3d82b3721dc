//! What a load run reports: latency percentiles, each kind of operation on its own, the
//! nodes' CPU and memory, and the table printed for people.

use serde::Serialize;

use super::operation::{Failure, OperationResult};
use super::Workload;

/// Latency percentiles, ms.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Worst.
    pub max: f64,
}

impl Latency {
    /// Percentiles of `sorted` (ascending).
    pub(super) fn of_sorted(sorted: &[f64]) -> Latency {
        Latency {
            p50: percentile(sorted, 50.0),
            p90: percentile(sorted, 90.0),
            p99: percentile(sorted, 99.0),
            max: sorted.last().copied().unwrap_or(0.0),
        }
    }
}

/// How one kind of operation went (for a transaction, latency is submit → block; for a
/// read, request → answer).
#[derive(Clone, Debug, Serialize)]
pub struct KindReport {
    /// The kind.
    pub kind: Workload,
    /// Operations started.
    pub operations: usize,
    /// Committed (transactions) or answered (reads).
    pub completed: usize,
    /// Refused, or answered with an error.
    pub failed: usize,
    /// Without an outcome within the timeout.
    pub timed_out: usize,
    /// Completed per second of the measured phase.
    pub per_sec: f64,
    /// Latency of the completed ones.
    pub latency_ms: Latency,
}

impl KindReport {
    /// One report per kind present in `results`, in [`Workload::MIXED`] order.
    pub(super) fn all(results: &[(Workload, OperationResult)], elapsed: f64) -> Vec<KindReport> {
        Workload::MIXED
            .iter()
            .filter_map(|kind| {
                let mine: Vec<OperationResult> = results
                    .iter()
                    .filter(|(k, _)| k == kind)
                    .map(|(_, r)| *r)
                    .collect();
                if mine.is_empty() {
                    return None;
                }
                let mut latencies: Vec<f64> = mine
                    .iter()
                    .filter_map(|r| r.as_ref().ok().copied())
                    .collect();
                latencies.sort_by(|a, b| a.partial_cmp(b).expect("latencies are finite"));
                Some(KindReport {
                    kind: *kind,
                    operations: mine.len(),
                    completed: latencies.len(),
                    failed: mine
                        .iter()
                        .filter(|r| **r == Err(Failure::Rejected))
                        .count(),
                    timed_out: mine
                        .iter()
                        .filter(|r| **r == Err(Failure::TimedOut))
                        .count(),
                    per_sec: latencies.len() as f64 / elapsed.max(f64::EPSILON),
                    latency_ms: Latency::of_sorted(&latencies),
                })
            })
            .collect()
    }
}

/// A node's resource use over the measured phase.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodeUsage {
    /// Node index.
    pub index: usize,
    /// CPU seconds used during the phase.
    pub cpu_secs: f64,
    /// Average CPU use, % of one core.
    pub cpu_percent: f64,
    /// Peak resident memory since the node started, MiB.
    pub peak_rss_mib: f64,
    /// Resident memory at the end, MiB.
    pub rss_mib: f64,
}

/// The result of a load run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadReport {
    /// How the measured nodes were built (`system_version`'s `build`).
    pub build: String,
    /// The workload.
    pub workload: String,
    /// Validators.
    pub nodes: usize,
    /// Followers beside them.
    pub followers: usize,
    /// Which nodes answered the reads.
    pub reads_on: super::ReadNodes,
    /// Transactions per submission call (1: `tx_submit`; more: `tx_submitBatch`).
    pub batch: usize,
    /// Elections during the measured phase (the rise of the validators' Raft term):
    /// 0 when the leader held throughout.
    pub elections: u64,
    /// Concurrent clients.
    pub clients: usize,
    /// Open-loop rate, if any.
    pub target_rate: Option<f64>,
    /// Transactions submitted (reads are counted in `by_kind` only).
    pub submitted: usize,
    /// Applied in a block.
    pub committed: usize,
    /// Refused (at submission or in a block).
    pub rejected: usize,
    /// Not in a block within the timeout.
    pub timed_out: usize,
    /// Wall time of the measured phase, s.
    pub duration_secs: f64,
    /// Committed transactions per second.
    pub committed_per_sec: f64,
    /// Submit-to-commit latency.
    pub latency_ms: Latency,
    /// Blocks produced during the measured phase.
    pub blocks: u64,
    /// Average transactions per block.
    pub transactions_per_block: f64,
    /// Each kind of operation on its own (reads included).
    pub by_kind: Vec<KindReport>,
    /// Per-node CPU and memory (only for clusters this run started).
    pub node_usage: Vec<NodeUsage>,
    /// What an attacker beside the measured clients got (`--attack-*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack: Option<super::AttackReport>,
    /// An auditor's replay of the whole chain afterwards (`--audit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<super::AuditReplay>,
}

impl LoadReport {
    /// A table for people.
    pub fn table(&self) -> String {
        let mut out = format!(
            "workload {} · {} validators{} · {} clients{} · {}\nnodes built {}\n",
            self.workload,
            self.nodes,
            match self.followers {
                0 => String::new(),
                n => format!(" + {n} followers (reads on {:?})", self.reads_on),
            },
            self.clients,
            match self.batch {
                1 => String::new(),
                n => format!(" submitting batches of {n}"),
            },
            match self.target_rate {
                Some(rate) => format!("open loop at {rate:.0} operations/s"),
                None => "closed loop".to_owned(),
            },
            self.build,
        );
        if self.submitted > 0 {
            out.push_str(&format!(
                "submitted {:>8}   committed {:>8}   rejected {:>6}   timed out {:>6}\n\
                 committed/s {:>10.0}   over {:.1} s   {} blocks, {:.0} tx/block   {} elections\n\
                 latency ms   p50 {:>7.1}   p90 {:>7.1}   p99 {:>7.1}   max {:>7.1}\n",
                self.submitted,
                self.committed,
                self.rejected,
                self.timed_out,
                self.committed_per_sec,
                self.duration_secs,
                self.blocks,
                self.transactions_per_block,
                self.elections,
                self.latency_ms.p50,
                self.latency_ms.p90,
                self.latency_ms.p99,
                self.latency_ms.max
            ));
        }
        if self.by_kind.len() > 1 || self.submitted == 0 {
            out.push_str(
                "kind                done      /s  failed  timed out   p50 ms   p90 ms   p99 ms   max ms\n",
            );
            for kind in &self.by_kind {
                out.push_str(&format!(
                    "{:<17} {:>7} {:>7.0} {:>7} {:>10} {:>8.1} {:>8.1} {:>8.1} {:>8.1}\n",
                    format!("{:?}", kind.kind),
                    kind.completed,
                    kind.per_sec,
                    kind.failed,
                    kind.timed_out,
                    kind.latency_ms.p50,
                    kind.latency_ms.p90,
                    kind.latency_ms.p99,
                    kind.latency_ms.max
                ));
            }
        }
        for node in &self.node_usage {
            out.push_str(&format!(
                "node {}   cpu {:>6.1} s ({:>5.0}% of a core)   peak rss {:>7.1} MiB   rss {:>7.1} MiB\n",
                node.index, node.cpu_secs, node.cpu_percent, node.peak_rss_mib, node.rss_mib
            ));
        }
        if let Some(a) = &self.attack {
            out.push_str(&format!(
                "attack on node 0 from 127.0.1.0/24: {} slow connections (closed by the header timeout {}, refused at once {}); \
                 auth_login flood {} sent: {} checked, {} throttled, {} busy or rate limited, {} unanswered\n",
                a.slow_connections,
                a.slow_closed_by_timeout,
                a.slow_refused,
                a.logins_sent,
                a.logins_checked,
                a.logins_throttled,
                a.logins_busy_or_limited,
                a.logins_unanswered
            ));
        }
        if let Some(a) = &self.audit {
            out.push_str(&format!(
                "auditor (`truffle verify chain` from the genesis): {} blocks ({} transactions) in \
                 {:.2} s: {:.0} blocks/s, {:.0} tx/s; verified: {}\n",
                a.blocks,
                a.transactions,
                a.seconds,
                a.blocks_per_second,
                a.transactions_per_second,
                a.verified
            ));
        }
        out
    }
}

/// The `p`th percentile of `sorted` (ascending; nearest rank), 0 when empty.
pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// CPU ticks and memory of a process, from /proc.
pub(super) fn process_usage(pid: u32) -> Option<(f64, f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no memory effects.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |name: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Some((
        ticks / per_sec,
        kib("VmHWM:") / 1024.0,
        kib("VmRSS:") / 1024.0,
    ))
}
