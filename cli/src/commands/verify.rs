//! `truffle verify`: the auditor's commands. Each trusts only the genesis spec given
//! with `--genesis`; the node at `--rpc` is a source of bytes, checked by
//! `truffle_ledger::verify` before anything it says is printed as verified.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use futures::StreamExt;
use jsonrpsee_http_client::HttpClient;
use serde::{Deserialize, Serialize};
use truffle_ledger::exec::{ExecutedBlock, GenesisState};
use truffle_ledger::state::MemoryStore;
use truffle_ledger::verify::{
    self, check_block, check_genesis, decode_bundle, AbsenceProof, Freshness, HistoryProof,
    ItemProof, ItemQuery, RaffleProof, SerialStatus, TrustRoot, VerifyError,
};
use truffle_ledger::{Block, BlockHeader, Certificate, Hash, PublicKey, SignedTransaction};
use truffle_rpc::api::{ChainApiClient, ProofApiClient, ProofBundleView};
use truffle_store::Store;

use crate::args::{VerifyArgs, VerifyCommand};
use crate::client::{connect, explain};
use crate::output::OutputFormat;

pub(crate) async fn run(command: VerifyCommand) -> anyhow::Result<()> {
    match command {
        VerifyCommand::Item {
            item,
            no_history,
            verify,
        } => item_command(&item, no_history, &verify).await,
        VerifyCommand::Raffle { id, verify } => raffle_command(id, &verify).await,
        VerifyCommand::Chain {
            verify,
            from_state,
            to_height,
        } => chain_command(&verify, from_state.as_deref(), to_height).await,
    }
}

/// The genesis, as the auditor's trust root.
fn load_genesis(args: &VerifyArgs) -> anyhow::Result<GenesisState> {
    let spec = truffle_genesis::load(&args.genesis)
        .with_context(|| format!("cannot load the genesis {:?}", args.genesis))?;
    Ok(spec.to_state())
}

fn freshness(args: &VerifyArgs) -> Freshness {
    Freshness {
        min_height: args.min_height,
    }
}

/// Parses `5` or `BRAND/MODEL/SERIAL`.
pub(crate) fn parse_item(text: &str) -> anyhow::Result<ItemQuery> {
    if let Ok(id) = text.trim().parse::<u64>() {
        return Ok(ItemQuery::Id(id));
    }
    let parts: Vec<&str> = text.splitn(3, '/').collect();
    match parts.as_slice() {
        [brand, model, serial] if !brand.is_empty() && !model.is_empty() && !serial.is_empty() => {
            Ok(ItemQuery::Serial {
                brand: (*brand).to_owned(),
                model: (*model).to_owned(),
                serial: (*serial).to_owned(),
            })
        }
        _ => bail!("expected an item id or BRAND/MODEL/SERIAL, got {text:?}"),
    }
}

fn bundle_bytes(view: &ProofBundleView) -> anyhow::Result<Vec<u8>> {
    hex::decode(&view.bundle).context("the node's bundle is not hex")
}

fn short(key: &PublicKey) -> String {
    key.to_hex()[..16].to_owned()
}

fn when(time_ms: u64) -> String {
    let seconds = time_ms / 1000;
    let days = seconds / 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let rest = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Prints a failed verification and turns it into the command's error (exit 1).
fn refuse(output: OutputFormat, subject: &str, error: VerifyError) -> anyhow::Error {
    match output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({ "verified": false, "subject": subject, "error": error.to_string() })
        ),
        OutputFormat::Text => println!("NOT VERIFIED  {subject}\n  {error}"),
    }
    anyhow::anyhow!("verification failed: {error}")
}

#[derive(Serialize)]
struct ItemReport<'a> {
    verified: bool,
    subject: &'a str,
    bundle_bytes: usize,
    verification_ms: f64,
    #[serde(flatten)]
    verdict: &'a verify::ItemVerdict,
    /// Empty with `--no-history`.
    history: &'a [verify::OwnershipStep],
}

#[derive(Serialize)]
struct Verified<'a, T: Serialize> {
    verified: bool,
    subject: &'a str,
    bundle_bytes: usize,
    verification_ms: f64,
    #[serde(flatten)]
    verdict: &'a T,
}

async fn item_command(text: &str, no_history: bool, args: &VerifyArgs) -> anyhow::Result<()> {
    let query = parse_item(text)?;
    let trust = TrustRoot::from(&load_genesis(args)?);
    let client = connect(&args.rpc.rpc)?;
    let subject = query.to_string();
    let served = if no_history {
        client.item(query.clone()).await
    } else {
        client.history(query.clone()).await
    };
    let view = match served {
        Ok(view) => view,
        Err(jsonrpsee::core::ClientError::Call(object))
            if object.code() == truffle_rpc::error::NOT_FOUND =>
        {
            return not_registered(&client, args, &trust, &query, &subject).await;
        }
        Err(error) => return Err(explain(error, &args.rpc.rpc)),
    };
    let bytes = bundle_bytes(&view)?;
    let started = Instant::now();
    let verdict = if no_history {
        decode_bundle::<ItemProof>(&bytes)
            .and_then(|proof| verify::verify_item(&trust, &query, &proof, freshness(args)))
            .map(|item| verify::HistoryVerdict {
                item,
                history: Vec::new(),
            })
    } else {
        decode_bundle::<HistoryProof>(&bytes)
            .and_then(|proof| verify::verify_history(&trust, &query, &proof, freshness(args)))
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let verdict = verdict.map_err(|e| refuse(args.rpc.output, &subject, e))?;
    match args.rpc.output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&ItemReport {
                verified: true,
                subject: &subject,
                bundle_bytes: bytes.len(),
                verification_ms: elapsed_ms,
                verdict: &verdict.item,
                history: &verdict.history,
            })?
        ),
        OutputFormat::Text => {
            let v = &verdict.item;
            let p = &v.product;
            let name = if p.name_en.is_empty() {
                &p.name_ko
            } else {
                &p.name_en
            };
            println!(
                "AUTHENTIC  item {} — {} {} \"{}\" piece {}/{}, serial {}",
                v.item.id, p.brand, p.model, name, v.item.edition, p.edition_size, v.item.serial
            );
            println!(
                "  registered by seller {} in block {} (tx {}); the seller's signature checks",
                v.seller, v.registered.height, v.registered.tx_hash
            );
            println!(
                "  owner {} since block {} (tx {})",
                v.owner, v.owner_since.height, v.owner_since.tx_hash
            );
            if !verdict.history.is_empty() {
                println!(
                    "  history: {} owner(s), each change included and applied in a certified block",
                    verdict.history.len()
                );
                for step in &verdict.history {
                    println!(
                        "    {:>3}  {}  {:<28}  block {:>6}  {}",
                        step.sequence,
                        short(&step.owner),
                        format!("{:?}", step.acquisition).to_lowercase(),
                        step.tx.height,
                        when(step.block_time_ms)
                    );
                }
            }
            print_anchor(&v.anchor, bytes.len(), elapsed_ms);
        }
    }
    Ok(())
}

fn print_anchor(anchor: &verify::AnchorSummary, bytes: usize, elapsed_ms: f64) {
    println!(
        "  against block {} {} ({}), certified by more than two thirds of its {} validator(s); {} validator-set change(s) traced from genesis",
        anchor.height,
        anchor.hash,
        when(anchor.time_ms),
        anchor.validators.len(),
        anchor.set_changes
    );
    println!("  bundle {bytes} bytes, checked in {elapsed_ms:.1} ms");
}

/// The node says the serial is unknown: ask for, and check, its proof of absence.
async fn not_registered(
    client: &HttpClient,
    args: &VerifyArgs,
    trust: &TrustRoot,
    query: &ItemQuery,
    subject: &str,
) -> anyhow::Result<()> {
    let ItemQuery::Serial {
        brand,
        model,
        serial,
    } = query
    else {
        bail!(
            "the node says {subject} does not exist (only serial numbers have proofs of absence)"
        );
    };
    let view = client
        .absence(brand.clone(), model.clone(), serial.clone())
        .await
        .map_err(|e| explain(e, &args.rpc.rpc))?;
    let bytes = bundle_bytes(&view)?;
    let status = decode_bundle::<AbsenceProof>(&bytes)
        .and_then(|proof| {
            verify::verify_absence(trust, brand, model, serial, &proof, freshness(args))
        })
        .map_err(|e| refuse(args.rpc.output, subject, e))?;
    match (&status, args.rpc.output) {
        (_, OutputFormat::Json) => println!(
            "{}",
            serde_json::json!({ "verified": false, "subject": subject, "serial": status })
        ),
        (SerialStatus::NotRegistered { anchor }, OutputFormat::Text) => {
            println!("NOT REGISTERED  {subject}: no piece with this serial was ever registered");
            print_anchor(anchor, bytes.len(), 0.0);
        }
        (SerialStatus::Registered { item, .. }, OutputFormat::Text) => {
            println!(
                "INCONSISTENT  the node said {subject} is unknown, but proves it is item {item}"
            );
        }
    }
    bail!("{subject} is not a registered piece")
}

async fn raffle_command(id: u64, args: &VerifyArgs) -> anyhow::Result<()> {
    let trust = TrustRoot::from(&load_genesis(args)?);
    let client = connect(&args.rpc.rpc)?;
    let subject = format!("raffle {id}");
    let view = client
        .raffle(id)
        .await
        .map_err(|e| explain(e, &args.rpc.rpc))?;
    let bytes = bundle_bytes(&view)?;
    let started = Instant::now();
    let verdict = decode_bundle::<RaffleProof>(&bytes)
        .and_then(|proof| verify::verify_raffle(&trust, id, &proof, freshness(args)))
        .map_err(|e| refuse(args.rpc.output, &subject, e))?;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match args.rpc.output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&Verified {
                verified: true,
                subject: &subject,
                bundle_bytes: bytes.len(),
                verification_ms: elapsed_ms,
                verdict: &verdict,
            })?
        ),
        OutputFormat::Text => {
            let cancelled = verdict.entries as usize - verdict.eligible.len();
            match (&verdict.drawn, &verdict.seed, &verdict.closing_block) {
                (Some(drawn), Some(seed), Some(closing)) => {
                    println!(
                        "FAIR  raffle {id}: the recorded winners recompute from the proven entries"
                    );
                    println!(
                        "  {} entries proven, {} take part ({cancelled} cancelled)",
                        verdict.entries,
                        verdict.eligible.len()
                    );
                    println!(
                        "  seed {seed} = draw_seed(raffle {id}, certified closing block {} {}, {})",
                        closing.height,
                        closing.hash,
                        if verdict.seller_revealed {
                            "the seller's revealed secret (matches its commitment)"
                        } else {
                            "no secret: the seller did not reveal in time"
                        }
                    );
                    for (item, winner) in verdict.items.iter().zip(&verdict.winners) {
                        println!("  item {item} → {winner}");
                    }
                    if !verdict.runners_up.is_empty() {
                        let names: Vec<String> = verdict.runners_up.iter().map(short).collect();
                        println!("  runners-up, in order: {}", names.join(", "));
                    }
                    println!("  drawn in block {} (tx {})", drawn.height, drawn.tx_hash);
                }
                _ => {
                    println!(
                        "NOT DRAWN YET  raffle {id} is {:?}: {} entries proven, {} take part",
                        verdict.status,
                        verdict.entries,
                        verdict.eligible.len()
                    );
                }
            }
            print_anchor(&verdict.anchor, bytes.len(), elapsed_ms);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// verify chain

/// Progress of `verify chain --from-state DIR`, written beside the replayed state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    /// The chain.
    pub(crate) chain_id: Hash,
    /// Every block up to this height is verified.
    pub(crate) height: u64,
    /// The hash of the block at that height.
    pub(crate) head_hash: Hash,
    /// When the checkpoint was written, ms since the Unix epoch.
    pub(crate) written_ms: u64,
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

    fn check_block(
        &self,
        trust: &TrustRoot,
        parent: &BlockHeader,
        served: &Block,
        certificate: &Certificate,
    ) -> Result<ExecutedBlock, VerifyError> {
        match self {
            LocalState::Memory(store) => check_block(trust, store, parent, served, certificate),
            LocalState::Disk { store, .. } => {
                check_block(trust, store, parent, served, certificate)
            }
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

/// Fetches the block at `height` and its certificate.
async fn fetch(
    client: &HttpClient,
    url: &str,
    height: u64,
) -> anyhow::Result<(Block, Certificate)> {
    let (view, certificate) = tokio::join!(
        client.get_block(Some(height)),
        client.get_certificate(height)
    );
    let view = view.map_err(|e| explain(e, url))?;
    let certificate = certificate
        .map_err(|e| explain(e, url))
        .with_context(|| format!("block {height} has no certificate on this node"))?;
    let transactions = view
        .transactions
        .iter()
        .map(|tx| {
            let bytes = hex::decode(&tx.encoded).context("transaction bytes are not hex")?;
            SignedTransaction::decode(&bytes)
                .map_err(|e| anyhow::anyhow!("block {height}: a transaction does not decode: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((
        Block {
            header: view.header.header,
            transactions,
            receipts: view.receipts,
        },
        certificate,
    ))
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

async fn chain_command(
    args: &VerifyArgs,
    from_state: Option<&Path>,
    to_height: Option<u64>,
) -> anyhow::Result<()> {
    let genesis = load_genesis(args)?;
    let trust = TrustRoot::from(&genesis);
    let url = args.rpc.rpc.clone();
    let client = connect(&url)?;

    let local = match from_state {
        None => LocalState::Memory(MemoryStore::new()),
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
                .map_err(|e| refuse(args.rpc.output, "the genesis block", e))?;
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
                args.rpc.output,
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
    if args.rpc.output == OutputFormat::Json {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }

    let started = Instant::now();
    let mut transactions = 0u64;
    let mut last_checkpoint = Instant::now();
    let blocks = futures::stream::iter(first..=target)
        .map(|height| {
            let client = client.clone();
            let url = url.clone();
            async move { fetch(&client, &url, height).await }
        })
        .buffered(32);
    futures::pin_mut!(blocks);
    while let Some(fetched) = blocks.next().await {
        let (block, certificate) = fetched?;
        let height = parent.height + 1;
        let executed = local
            .check_block(&trust, &parent, &block, &certificate)
            .map_err(|e| {
                progress.abandon();
                // Keep what was verified before the failure.
                let _ = local.checkpoint(trust.chain_id, &parent);
                refuse(args.rpc.output, &format!("the chain at block {height}"), e)
            })?;
        local.commit(&executed)?;
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
    match args.rpc.output {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_arguments_parse() {
        assert_eq!(parse_item("42").unwrap(), ItemQuery::Id(42));
        assert_eq!(
            parse_item("Nike/DD1391-100/SN 1/2").unwrap(),
            ItemQuery::Serial {
                brand: "Nike".into(),
                model: "DD1391-100".into(),
                serial: "SN 1/2".into()
            }
        );
        assert!(parse_item("Nike/DD1391-100").is_err());
        assert!(parse_item("//x").is_err());
    }

    #[test]
    fn dates_print_in_utc() {
        assert_eq!(when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(when(1_767_225_600_000), "2026-01-01 00:00:00 UTC");
    }

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
}
