//! A simulated follower node: a store of its own, built from the genesis, that asks the
//! validators for certified blocks over the simulated network and applies them with the
//! engine's own checks ([`truffle_engine::follower::apply_certified_block`]).
//!
//! One validator of a seed may lie to followers (`World::liar`): some of its answers
//! carry a forged certificate, an altered header or body, or a gap. Every lie must be
//! refused and no honest answer may be: both are recorded as violations when they
//! happen, so the checkers see them with the rest.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use truffle_consensus::{node_id_of, NodeId, StateMachine, VerifiedSignatures};
use truffle_engine::follower::{
    apply_certified_block, certified_blocks, forge_certificate, CertifiedBlock, MAX_BLOCKS_BYTES,
    MAX_BLOCKS_PER_REQUEST,
};
use truffle_ledger::{GenesisState, Hash, Keypair};
use truffle_store::Store;

use crate::net::request;
use crate::node::{open_store, setup, NoServices};
use crate::world::Shared;
use crate::SimError;

/// How long a follower waits before asking again once caught up (the engine's poll).
const POLL_EVERY: Duration = Duration::from_millis(100);
/// Chance that an answer of the lying validator carries a lie.
const LIE_CHANCE: f64 = 0.5;

/// A follower of the simulated cluster, up or down.
pub(crate) struct SimFollower {
    pub(crate) index: usize,
    pub(crate) id: NodeId,
    dir: PathBuf,
    pub(crate) running: Option<RunningFollower>,
}

/// A running follower.
pub(crate) struct RunningFollower {
    pub(crate) store: Store,
    task: JoinHandle<()>,
}

/// What a lying validator did to one answer.
#[derive(Clone, Copy, Debug)]
enum Lie {
    /// Every signature of a certificate replaced by the liar's own.
    ForgedSignatures,
    /// A header's state root changed under its true certificate.
    AlteredHeader,
    /// A transaction dropped from a body under its true header.
    AlteredBody,
    /// A block left out, so the next one does not follow.
    Gap,
}

impl SimFollower {
    pub(crate) fn new(index: usize, key: &Keypair, dir: PathBuf) -> SimFollower {
        SimFollower {
            index,
            id: node_id_of(&key.public()),
            dir,
            running: None,
        }
    }

    /// The follower's name in the trace.
    pub(crate) fn name(&self) -> String {
        format!("f{}", self.index)
    }

    /// Opens the follower's store (writing the genesis block on first start) and starts
    /// its sync loop.
    pub(crate) async fn start(
        &mut self,
        world: &Shared,
        genesis: &GenesisState,
    ) -> Result<(), SimError> {
        let store = open_store(&self.dir.join("db")).await?;
        // The state machine writes the genesis block into an empty store, as the
        // engine's launch does for a follower; a follower never runs Raft.
        let (events, _) = broadcast::channel(1);
        drop(
            StateMachine::open(
                store.clone(),
                genesis,
                self.dir.join("snapshots"),
                Arc::new(NoServices),
                events,
                VerifiedSignatures::new(16),
            )
            .map_err(|e| setup("follower state machine", e))?,
        );
        world.note(format!("{} up", self.name()));
        let task = tokio::spawn(sync(world.clone(), self.id, store.clone()));
        self.running = Some(RunningFollower { store, task });
        Ok(())
    }

    /// The follower crashes: its sync loop stops where it is. Each block is stored in
    /// one write with its certificate, so there is nothing half-written to lose.
    pub(crate) async fn crash(&mut self, world: &Shared) {
        let Some(running) = self.running.take() else {
            return;
        };
        running.task.abort();
        drop(running.store);
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
        world.note(format!("{} crashed", self.name()));
    }
}

/// The follower's loop, as the engine's: ask the validators in force (by the follower's
/// own state) in turn for the blocks after its head, apply those that check, move to
/// the next validator on a refusal, silence or nothing new.
async fn sync(world: Shared, id: NodeId, store: Store) {
    let mut cursor = 0usize;
    loop {
        let head = match store.head() {
            Ok(Some(head)) => head,
            _ => return,
        };
        let validators: Vec<NodeId> = truffle_engine::certifying_set(&store, head.height + 1)
            .iter()
            .map(node_id_of)
            .collect();
        let Some(&peer) = validators.get(cursor % validators.len().max(1)) else {
            tokio::time::sleep(POLL_EVERY).await;
            continue;
        };
        let progressed = match ask(&world, id, peer, head.height + 1).await {
            // Applied in order until one is refused (or a lie gets through).
            Some((blocks, lie)) if !blocks.is_empty() => {
                blocks.into_iter().enumerate().all(|(position, certified)| {
                    let lied = lie.filter(|(at, _)| *at == position).map(|(_, kind)| kind);
                    take(&world, id, peer, &store, certified, lied)
                })
            }
            _ => false,
        };
        if !progressed {
            // A refusal, silence or nothing new: the next validator, after a pause.
            cursor += 1;
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

/// Applies one block `peer` sent (`lied`: the lie it holds, if any). True when an
/// honest block applied; a refused lie is counted, and an applied lie or a refused
/// honest block is a violation.
fn take(
    world: &Shared,
    id: NodeId,
    peer: NodeId,
    store: &Store,
    certified: CertifiedBlock,
    lied: Option<Lie>,
) -> bool {
    match (apply_certified_block(store, certified), lied) {
        (Ok(block), None) => {
            world.applied(id, &block.header);
            true
        }
        (Ok(block), Some(lie)) => {
            let mut w = world.lock();
            let line = format!(
                "{} applied block {} with a lie ({lie:?}) in it",
                w.name(id),
                block.header.height
            );
            w.violations.push(line);
            false
        }
        (Err(refusal), Some(lie)) => {
            let mut w = world.lock();
            w.stats.follower_refusals += 1;
            let line = format!("{} refused {lie:?}: {refusal}", w.name(id));
            w.note(&line);
            false
        }
        (Err(refusal), None) => {
            let mut w = world.lock();
            let line = format!(
                "{} refused an honest block from {}: {refusal}",
                w.name(id),
                w.name(peer)
            );
            w.violations.push(line);
            false
        }
    }
}

/// Asks `to` for the certified blocks from `from` on, with the fate the world draws.
/// Returns the answer and, when the validator lied, where and how.
async fn ask(
    world: &Shared,
    id: NodeId,
    to: NodeId,
    from: u64,
) -> Option<(Vec<CertifiedBlock>, Option<(usize, Lie)>)> {
    let (mut blocks, lie) = request(world, id, to, |target| {
        let blocks = certified_blocks(
            &target.store,
            from,
            MAX_BLOCKS_PER_REQUEST,
            MAX_BLOCKS_BYTES,
        )
        .ok()?;
        let lie = draw_lie(world, to, &blocks);
        Some((blocks, lie))
    })
    .await?;
    if let Some((at, kind)) = lie {
        let mut w = world.lock();
        if let Some((_, key)) = w.liar.clone() {
            tell(&mut blocks, at, kind, &key, &w.chain_id);
        }
        w.stats.lies += 1;
        let line = format!(
            "{} lies to {} about block {}: {kind:?}",
            w.name(to),
            w.name(id),
            from + at as u64
        );
        w.note(&line);
    }
    Some((blocks, lie))
}

/// Whether validator `to` lies in this answer, and where and how: only the seed's liar
/// does, in [`LIE_CHANCE`] of its answers that carry blocks.
fn draw_lie(world: &Shared, to: NodeId, blocks: &[CertifiedBlock]) -> Option<(usize, Lie)> {
    let mut w = world.lock();
    let lies = w.liar.as_ref().is_some_and(|(liar, _)| *liar == to)
        && !blocks.is_empty()
        && w.rng.gen_bool(LIE_CHANCE);
    lies.then(|| {
        let at = w.rng.gen_range(0..blocks.len());
        let kind = match w.rng.gen_range(0..4) {
            0 => Lie::ForgedSignatures,
            1 => Lie::AlteredHeader,
            2 if !blocks[at].block.transactions.is_empty() => Lie::AlteredBody,
            2 => Lie::ForgedSignatures,
            // A gap after the last block would only end the answer early.
            _ if at + 1 < blocks.len() => Lie::Gap,
            _ => Lie::AlteredHeader,
        };
        (at, kind)
    })
}

/// Makes block `at` of the answer a lie of the given kind.
fn tell(blocks: &mut Vec<CertifiedBlock>, at: usize, kind: Lie, liar: &Keypair, chain: &Hash) {
    let certified = &mut blocks[at];
    match kind {
        Lie::ForgedSignatures => forge_certificate(&mut certified.certificate, liar, chain),
        Lie::AlteredHeader => {
            certified.block.header.state_root = Hash::of(b"a state no quorum certified")
        }
        Lie::AlteredBody => {
            certified.block.transactions.pop();
        }
        Lie::Gap => {
            blocks.remove(at);
        }
    }
}
