//! `verify chain`: replays the chain from genesis (or from a kept state and checkpoint),
//! checking every block's links, body, certificate, signatures and re-execution.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use futures::{StreamExt, TryStreamExt};
use jsonrpsee_http_client::HttpClient;
use serde::{Deserialize, Serialize};
use truffle_ledger::exec::{ExecutedBlock, GenesisState};
use truffle_ledger::state::MemoryStore;
use truffle_ledger::verify::{
    check_block_prechecked, check_genesis, precheck, validators_in, Prechecked, TrustRoot,
    VerifyError,
};
use truffle_ledger::{Block, BlockHeader, Certificate, Hash, PublicKey};
use truffle_store::Store;
use truffle_wire::api::ChainApiClient;

use super::checkers;
use super::{load_genesis, refuse};
use crate::args::VerifyArgs;
use crate::client::{connect, explain};
use crate::output::OutputFormat;

/// Progress of `verify chain --from-state DIR`, written beside the replayed state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Checkpoint {
    /// The chain.
    chain_id: Hash,
    /// Every block up to this height is verified.
    height: u64,
    /// The hash of the block at that height.
    head_hash: Hash,
    /// When the checkpoint was written, ms since the Unix epoch.
    written_ms: u64,
}

const CHECKPOINT_FILE: &str = "checkpoint.json";
const STATE_DIR: &str = "state";

impl Checkpoint {
    fn read(dir: &Path) -> anyhow::Result<Option<Checkpoint>> {
        let path = dir.join(CHECKPOINT_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                    format!("{} is not a checkpoint", path.display())
                })?))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Written to a temporary file, then renamed: never half a checkpoint.
    fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(CHECKPOINT_FILE);
        let temporary = dir.join("checkpoint.json.tmp");
        std::fs::write(&temporary, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, &path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}

/// Where the replayed state lives.
enum LocalState {
    Memory(MemoryStore),
    Disk { store: Store, dir: PathBuf },
}

impl LocalState {
    fn head(&self) -> anyhow::Result<Option<BlockHeader>> {
        match self {
            LocalState::Memory(_) => Ok(None),
            LocalState::Disk { store, .. } => Ok(store.head()?),
        }
    }

    fn commit(&self, executed: &ExecutedBlock) -> anyhow::Result<()> {
        match self {
            LocalState::Memory(store) => store.commit(&executed.changes, &executed.tree_update),
            LocalState::Disk { store, .. } => store.commit_block(executed, &[])?,
        }
        Ok(())
    }

    fn check_genesis(
        &self,
        genesis: &GenesisState,
        served: &BlockHeader,
    ) -> Result<ExecutedBlock, VerifyError> {
        match self {
            LocalState::Memory(store) => check_genesis(store, genesis, served),
            LocalState::Disk { store, .. } => check_genesis(store, genesis, served),
        }
    }

    /// Checks and re-executes `served`, given the verdicts reached ahead on another
    /// thread (`precheck`).
    fn check_block(
        &self,
        trust: &TrustRoot,
        parent: &BlockHeader,
        served: &Block,
        certificate: &Certificate,
        prechecked: Prechecked,
    ) -> Result<ExecutedBlock, VerifyError> {
        match self {
            LocalState::Memory(store) => {
                check_block_prechecked(trust, store, parent, served, certificate, prechecked)
            }
            LocalState::Disk { store, .. } => {
                check_block_prechecked(trust, store, parent, served, certificate, prechecked)
            }
        }
    }

    /// The validator set after the last committed block (the set that certifies the
    /// next one).
    fn validators(&self) -> Result<BTreeSet<PublicKey>, VerifyError> {
        match self {
            LocalState::Memory(store) => validators_in(store),
            LocalState::Disk { store, .. } => validators_in(store),
        }
    }

    fn checkpoint(&self, chain_id: Hash, head: &BlockHeader) -> anyhow::Result<()> {
        if let LocalState::Disk { store, dir } = self {
            store.sync()?;
            Checkpoint {
                chain_id,
                height: head.height,
                head_hash: head.hash(),
                written_ms: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0),
            }
            .write(dir)?;
        }
        Ok(())
    }
}

/// What `verify chain` reports.
#[derive(Serialize)]
struct ChainReport {
    verified: bool,
    chain_id: Hash,
    from_height: u64,
    to_height: u64,
    head_hash: Hash,
    blocks: u64,
    transactions: u64,
    seconds: f64,
    blocks_per_second: f64,
    transactions_per_second: f64,
    resumed: bool,
}

/// Certified blocks asked for in one request (what a node answers at most).
const BLOCKS_PER_REQUEST: u64 = 64;

/// The first request's size: the replay cannot start before its first answer arrives
/// and is decoded, and 64 full blocks are a quarter of a 40,000-transaction chain.
const FIRST_REQUEST: u64 = 4;

/// The height ranges `first..=target` is asked for in: 4 blocks, then twice as many
/// each time up to [`BLOCKS_PER_REQUEST`].
fn request_ranges(first: u64, target: u64) -> impl Iterator<Item = (u64, u64)> {
    let mut next = Some(first).filter(|start| *start <= target);
    let mut size = FIRST_REQUEST;
    std::iter::from_fn(move || {
        let start = next?;
        let end = start.saturating_add(size - 1).min(target);
        next = end.checked_add(1).filter(|start| *start <= target);
        size = (size * 2).min(BLOCKS_PER_REQUEST);
        Some((start, end))
    })
}

/// Fetches the certified blocks of heights `from..=to` (`chain_getCertifiedBlocks`),
/// asking again from the first one missing when the node's answer stops short (it caps
/// an answer's bytes). Whether each block is the one of its height is the replay's
/// check, not this one's.
async fn fetch_range(
    client: &HttpClient,
    url: &str,
    from: u64,
    to: u64,
) -> anyhow::Result<Vec<(Block, Certificate)>> {
    let mut blocks = Vec::with_capacity(to.saturating_sub(from) as usize + 1);
    let mut next = from;
    while next <= to {
        let max = u32::try_from(to - next + 1).unwrap_or(u32::MAX);
        let answer = client
            .get_certified_blocks(next, Some(max))
            .await
            .map_err(|e| explain(e, url))?;
        if answer.is_empty() {
            bail!("block {next} has no certificate on this node");
        }
        for encoded in answer.into_iter().take(max as usize) {
            let bytes = hex::decode(&encoded)
                .with_context(|| format!("block {next}: the node's answer is not hex"))?;
            let block: (Block, Certificate) = borsh::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("block {next} does not decode: {e}"))?;
            blocks.push(block);
            next += 1;
        }
    }
    Ok(blocks)
}

/// The latest height with a certificate, looking back from the node's head.
async fn latest_certified(client: &HttpClient, url: &str) -> anyhow::Result<u64> {
    let head = client
        .get_header(None)
        .await
        .map_err(|e| explain(e, url))?
        .header
        .height;
    for height in (1..=head).rev().take(1_024) {
        if client.get_certificate(height).await.is_ok() {
            return Ok(height);
        }
    }
    if head == 0 {
        return Ok(0);
    }
    bail!("the node has no certified block among its last 1024")
}

/// Replays and checks the chain up to `to_height` (the latest certified block by
/// default), keeping the state and a checkpoint in `from_state` if given.
pub(super) async fn chain_command(
    args: &VerifyArgs,
    from_state: Option<&Path>,
    to_height: Option<u64>,
) -> anyhow::Result<()> {
    let genesis = load_genesis(args)?;
    let trust = TrustRoot::from(&genesis);
    let url = args.url().to_owned();
    let client = connect(&url)?;

    let local = match from_state {
        None => LocalState::Memory(MemoryStore::latest_only()),
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let store = Store::open(&dir.join(STATE_DIR))
                .with_context(|| format!("cannot open the state in {}", dir.display()))?;
            LocalState::Disk {
                store,
                dir: dir.to_owned(),
            }
        }
    };

    let mut resumed = false;
    let mut parent = match local.head()? {
        Some(head) => {
            resumed = true;
            let dir = from_state.expect("a stored head comes from a state folder");
            if head.chain_id != trust.chain_id {
                bail!(
                    "the state in {} is of chain {}, not {}",
                    dir.display(),
                    head.chain_id,
                    trust.chain_id
                );
            }
            match Checkpoint::read(dir)? {
                Some(checkpoint) if checkpoint.chain_id != trust.chain_id => bail!(
                    "the checkpoint in {} is for chain {}",
                    dir.display(),
                    checkpoint.chain_id
                ),
                Some(checkpoint)
                    if checkpoint.height == head.height && checkpoint.head_hash != head.hash() =>
                {
                    bail!(
                        "the checkpoint in {} names block {} {}, the state holds {}",
                        dir.display(),
                        checkpoint.height,
                        checkpoint.head_hash,
                        head.hash()
                    )
                }
                _ => {}
            }
            // The node must still serve the chain verified so far.
            let served = client
                .get_header(Some(head.height))
                .await
                .map_err(|e| explain(e, &url))?;
            if served.hash != head.hash() {
                bail!(
                    "the node's block {} is {}, but {} was verified before: the node serves another chain",
                    head.height,
                    served.hash,
                    head.hash()
                );
            }
            head
        }
        None => {
            let served = client
                .get_header(Some(0))
                .await
                .map_err(|e| explain(e, &url))?;
            let executed = local
                .check_genesis(&genesis, &served.header)
                .map_err(|e| refuse(args.output, "the genesis block", e))?;
            local.commit(&executed)?;
            local.checkpoint(trust.chain_id, &executed.block.header)?;
            executed.block.header
        }
    };

    let target = match to_height {
        Some(height) => height,
        None => latest_certified(&client, &url).await?,
    };
    let first = parent.height + 1;
    if let Some(min_height) = args.min_height {
        if target < min_height {
            return Err(refuse(
                args.output,
                "the chain",
                VerifyError::Stale {
                    height: target,
                    min_height,
                },
            ));
        }
    }

    let progress = indicatif::ProgressBar::new(target.saturating_sub(parent.height));
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} blocks, {per_sec}, eta {eta} {msg}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    if args.output == OutputFormat::Json {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }

    let started = Instant::now();
    let mut transactions = 0u64;
    let mut last_checkpoint = Instant::now();
    // Blocks are fetched four requests ahead ([`request_ranges`]: 4 blocks first, then
    // up to 64), each request in a task of its own (decoding included). Their stateless checks (body, signatures, the certificate
    // under the set last held: most of the work) are queued block by block, in chain
    // order, to checking threads at background priority as they arrive, while this
    // task re-executes them in order.
    let latest_set = std::sync::Arc::new(std::sync::RwLock::new(
        local
            .validators()
            .map_err(|e| refuse(args.output, "the chain", e))?,
    ));
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let checkers = std::sync::Arc::new(checkers::Checkers::start(cores)?);
    let trust_root = std::sync::Arc::new(trust.clone());
    let ranges = request_ranges(first, target);
    let blocks = futures::stream::iter(ranges)
        .map(|(start, end)| {
            let client = client.clone();
            let url = url.clone();
            let trust = trust_root.clone();
            let latest_set = latest_set.clone();
            let checkers = checkers.clone();
            tokio::spawn(async move {
                let blocks = fetch_range(&client, &url, start, end).await?;
                let pending: Vec<_> = blocks
                    .into_iter()
                    .map(|(block, certificate)| {
                        let trust = trust.clone();
                        let latest_set = latest_set.clone();
                        checkers.check(move || {
                            let set = latest_set.read().expect("set lock poisoned").clone();
                            let prechecked = precheck(&trust, &block, &certificate, &set);
                            (block, certificate, prechecked)
                        })
                    })
                    .collect();
                anyhow::Ok(pending)
            })
        })
        .buffered(4)
        .map(|joined| -> anyhow::Result<_> {
            let pending = joined.context("a block fetch stopped")??;
            Ok(futures::stream::iter(pending).then(|checked| async move {
                checked.await.context("the signature checks stopped")
            }))
        })
        .try_flatten();
    futures::pin_mut!(blocks);
    // The last block replayed, with its certificate and certifying set, for the
    // auditor's memory.
    let mut last: Option<super::audit::Anchored> = None;
    while let Some(fetched) = blocks.next().await {
        let (block, certificate, prechecked) = fetched?;
        let height = parent.height + 1;
        let certifying = if height == target {
            Some(
                local
                    .validators()
                    .map_err(|e| refuse(args.output, "the chain", e))?,
            )
        } else {
            None
        };
        let executed = local
            .check_block(&trust, &parent, &block, &certificate, prechecked)
            .map_err(|e| {
                progress.abandon();
                // Keep what was verified before the failure.
                let _ = local.checkpoint(trust.chain_id, &parent);
                refuse(args.output, &format!("the chain at block {height}"), e)
            })?;
        local.commit(&executed)?;
        let after = local
            .validators()
            .map_err(|e| refuse(args.output, "the chain", e))?;
        if *latest_set.read().expect("set lock poisoned") != after {
            *latest_set.write().expect("set lock poisoned") = after;
        }
        if let Some(validators) = certifying {
            last = Some(super::audit::Anchored {
                header: executed.block.header.clone(),
                certificate,
                validators,
            });
        }
        transactions += executed.block.transactions.len() as u64;
        parent = executed.block.header;
        progress.inc(1);
        if last_checkpoint.elapsed() > Duration::from_secs(2) {
            local.checkpoint(trust.chain_id, &parent)?;
            last_checkpoint = Instant::now();
        }
    }
    local.checkpoint(trust.chain_id, &parent)?;
    progress.finish_and_clear();

    let seconds = started.elapsed().as_secs_f64();
    let blocks = parent.height + 1 - first;
    let per_second = |count: u64| {
        if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        }
    };
    let report = ChainReport {
        verified: true,
        chain_id: trust.chain_id,
        from_height: first,
        to_height: parent.height,
        head_hash: parent.hash(),
        blocks,
        transactions,
        seconds,
        blocks_per_second: per_second(blocks),
        transactions_per_second: per_second(transactions),
        resumed,
    };
    match args.output {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Text => {
            println!(
                "VERIFIED  chain {} up to block {} {}",
                trust.chain_id, report.to_height, report.head_hash
            );
            println!(
                "  blocks {}..={}{}: links, bodies, certificates, signatures and re-execution all match",
                report.from_height,
                report.to_height,
                if resumed { " (resumed)" } else { "" }
            );
            println!(
                "  {} blocks, {} transactions in {:.1} s ({:.0} blocks/s, {:.0} tx/s)",
                report.blocks,
                report.transactions,
                report.seconds,
                report.blocks_per_second,
                report.transactions_per_second
            );
            if let Some(dir) = from_state {
                println!(
                    "  state and checkpoint kept in {} (run again to continue from here)",
                    dir.display()
                );
            }
        }
    }
    match last {
        Some(anchored) => super::audit::remember_and_compare(args, &trust, anchored).await,
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Checkpoint::read(dir.path()).unwrap(), None);
        let checkpoint = Checkpoint {
            chain_id: Hash::of(b"chain"),
            height: 7,
            head_hash: Hash::of(b"head"),
            written_ms: 1,
        };
        checkpoint.write(dir.path()).unwrap();
        assert_eq!(Checkpoint::read(dir.path()).unwrap(), Some(checkpoint));
    }

    /// The ranges cover every height once, in order, growing from 4 blocks to 64.
    #[test]
    fn requests_start_small_and_cover_the_chain() {
        let ranges: Vec<_> = request_ranges(1, 300).collect();
        assert_eq!(
            &ranges[..6],
            &[(1, 4), (5, 12), (13, 28), (29, 60), (61, 124), (125, 188)]
        );
        assert_eq!(ranges.last(), Some(&(253, 300)));
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].1 + 1, pair[1].0);
        }
        assert_eq!(request_ranges(5, 5).collect::<Vec<_>>(), vec![(5, 5)]);
        assert_eq!(request_ranges(6, 5).count(), 0);
        assert_eq!(
            request_ranges(u64::MAX - 1, u64::MAX).collect::<Vec<_>>(),
            vec![(u64::MAX - 1, u64::MAX)]
        );
    }
}
