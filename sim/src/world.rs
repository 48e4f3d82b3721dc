//! The simulated world every node lives in: one seeded random source, the network
//! (loss, delay, reordering, duplication, partitions), which nodes are up, the trace,
//! and what the checkers watch while the run goes (every header applied anywhere).
//!
//! Everything runs on one thread under tokio's paused clock, so a message's fate is
//! drawn from the seed when it is sent and the order of events depends on nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;
use truffle_consensus::{NodeId, Raft};
use truffle_engine::Certifier;
use truffle_ledger::{BlockHeader, Hash, Keypair, PublicKey};
use truffle_store::Store;

use crate::node::SimClock;
use crate::workload::Acknowledged;

/// How unreliable the network is; redrawn by the nemesis during a run.
#[derive(Clone, Debug)]
pub(crate) struct NetFaults {
    /// Chance a message (request or reply) is lost.
    pub(crate) loss: f64,
    /// Chance a request is delivered a second time, later.
    pub(crate) duplicate: f64,
    /// Usual one-way delay is drawn from 0..=this, ms.
    pub(crate) max_delay_ms: u64,
    /// Chance of a delay spike (100..800 ms), which reorders messages.
    pub(crate) spike: f64,
}

impl NetFaults {
    /// A reliable network with small delays: the end of a run, where the cluster must
    /// converge.
    pub(crate) fn calm() -> NetFaults {
        NetFaults {
            loss: 0.0,
            duplicate: 0.0,
            max_delay_ms: 5,
            spike: 0.0,
        }
    }
}

/// Counts of what the simulation did, for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages sent (Raft requests and header votes).
    pub messages: u64,
    /// Messages or replies lost (loss, partition, node down).
    pub lost: u64,
    /// Messages delivered twice.
    pub duplicated: u64,
    /// Node crashes.
    pub crashes: u64,
    /// Raft log entries lost in crashes (appended, never synced).
    pub lost_entries: u64,
    /// Node restarts.
    pub restarts: u64,
    /// Partitions made.
    pub partitions: u64,
    /// Clock skews set.
    pub skews: u64,
    /// Blocks whose proposal was acknowledged to the client.
    pub acknowledged_blocks: u64,
    /// Transactions in acknowledged blocks.
    pub acknowledged_transactions: u64,
    /// Proposals whose outcome the client did not learn (timeouts, lost leaders).
    pub unknown_outcomes: u64,
    /// Follower crashes.
    pub follower_crashes: u64,
    /// Answers to followers in which the lying validator lied (and that arrived).
    pub lies: u64,
    /// Lies the followers refused.
    pub follower_refusals: u64,
}

/// What a live node shares with the network.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) id: NodeId,
    pub(crate) key: PublicKey,
    pub(crate) clock: Arc<SimClock>,
    pub(crate) raft: Raft,
    pub(crate) certifier: Arc<Certifier>,
    pub(crate) store: Store,
}

/// The shared world.
pub(crate) struct World {
    pub(crate) rng: StdRng,
    pub(crate) start: tokio::time::Instant,
    pub(crate) trace: Vec<String>,
    pub(crate) live: BTreeMap<NodeId, Endpoint>,
    /// One side of the current partition: messages between it and the rest are lost.
    pub(crate) cut: Option<BTreeSet<NodeId>>,
    pub(crate) net: NetFaults,
    pub(crate) stats: Stats,
    /// The header applied at each height, by the first node that applied it.
    pub(crate) headers: BTreeMap<u64, (Hash, NodeId)>,
    /// Blocks whose proposal the cluster acknowledged.
    pub(crate) acknowledged: Vec<Acknowledged>,
    /// Invariants found broken while the run went.
    pub(crate) violations: Vec<String>,
    /// The validator that lies to followers, if the seed has one, and its key.
    pub(crate) liar: Option<(NodeId, Keypair)>,
    /// The chain's id (a lie is signed for it).
    pub(crate) chain_id: Hash,
    /// Short names of the nodes for the trace.
    pub(crate) names: BTreeMap<NodeId, String>,
}

/// The world, shared by every task of the run.
#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<World>>);

impl Shared {
    pub(crate) fn new(world: World) -> Shared {
        Shared(Arc::new(Mutex::new(world)))
    }

    /// The world; never held across an await.
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a line to the trace, stamped with the simulated time.
    pub(crate) fn note(&self, line: impl AsRef<str>) {
        self.lock().note(line.as_ref());
    }

    /// Whether a message from `from` to `to` crosses the partition.
    pub(crate) fn cut_between(&self, from: NodeId, to: NodeId) -> bool {
        self.lock().cut_between(from, to)
    }

    /// The endpoint of `to` as `from` can reach it now: up and on the same side.
    pub(crate) fn reach(&self, from: NodeId, to: NodeId) -> Option<Endpoint> {
        let world = self.lock();
        if world.cut_between(from, to) {
            return None;
        }
        world.live.get(&to).cloned()
    }

    /// Records that `node` applied `header`; a different header at a height already
    /// applied elsewhere is a violation.
    pub(crate) fn applied(&self, node: NodeId, header: &BlockHeader) {
        let mut world = self.lock();
        let hash = header.hash();
        let name = world.name(node);
        world.note(&format!(
            "{name} applied {} {}",
            header.height,
            &hash.to_hex()[..12]
        ));
        match world.headers.get(&header.height) {
            Some((first, by)) if *first != hash => {
                let by = world.name(*by);
                let line = format!(
                    "two headers at height {}: {} on {by}, {} on {name}",
                    header.height, first, hash
                );
                world.violations.push(line);
            }
            Some(_) => {}
            None => {
                world.headers.insert(header.height, (hash, node));
            }
        }
    }
}

/// What becomes of one message, drawn when it is sent.
#[derive(Debug)]
pub(crate) struct Fate {
    pub(crate) delay: Duration,
    pub(crate) lost: bool,
    pub(crate) reply_delay: Duration,
    pub(crate) reply_lost: bool,
    /// Delivered a second time, this long after the first.
    pub(crate) duplicate_after: Option<Duration>,
}

impl World {
    pub(crate) fn note(&mut self, line: &str) {
        let at = self.start.elapsed().as_millis();
        self.trace.push(format!("{at:>7} {line}"));
    }

    pub(crate) fn name(&self, node: NodeId) -> String {
        self.names.get(&node).cloned().unwrap_or_else(|| "?".into())
    }

    pub(crate) fn cut_between(&self, from: NodeId, to: NodeId) -> bool {
        self.cut
            .as_ref()
            .is_some_and(|side| side.contains(&from) != side.contains(&to))
    }

    fn one_way(&mut self) -> Duration {
        let ms = if self.rng.gen_bool(self.net.spike) {
            self.rng.gen_range(100..800)
        } else {
            self.rng.gen_range(0..=self.net.max_delay_ms)
        };
        Duration::from_millis(ms)
    }

    /// Draws the fate of a message from `from` to `to`.
    pub(crate) fn fate(&mut self, from: NodeId, to: NodeId) -> Fate {
        self.stats.messages += 1;
        let delay = self.one_way();
        let lost = self.rng.gen_bool(self.net.loss) || self.cut_between(from, to);
        let reply_delay = self.one_way();
        let reply_lost = self.rng.gen_bool(self.net.loss);
        let duplicate_after = self
            .rng
            .gen_bool(self.net.duplicate)
            .then(|| Duration::from_millis(self.rng.gen_range(1..400)));
        if duplicate_after.is_some() {
            self.stats.duplicated += 1;
        }
        Fate {
            delay,
            lost,
            reply_delay,
            reply_lost,
            duplicate_after,
        }
    }
}
