//! The auditor's memory and comparison: every certified header a `truffle verify`
//! command accepted is kept, per chain, in `<audit-dir>/<chain-id>/headers/<height>.json`;
//! the certified header of the same height served by every other `--rpc` node is checked
//! and compared. Two headers of one height that each carry a valid certificate are a
//! fork: more than a third of the validators signed both. The command then writes the
//! fork (both certified headers, and one equivocation record per validator that signed
//! both, checkable with `truffle verify evidence`) to a file and exits with
//! [`FORK_EXIT_CODE`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use truffle_ledger::evidence::from_certificates;
use truffle_ledger::verify::TrustRoot;
use truffle_ledger::{BlockHeader, Certificate, Evidence, Hash, PublicKey};
use truffle_wire::api::ChainApiClient;

use crate::args::VerifyArgs;
use crate::client::connect;
use crate::output::OutputFormat;

/// `truffle verify`'s exit status when it finds a fork (1 is any other failure).
pub(crate) const FORK_EXIT_CODE: i32 = 3;

/// A fork was found; its evidence is in `file`.
#[derive(Debug, thiserror::Error)]
#[error("FORK at height {height}: two certified headers; evidence written to {}", file.display())]
pub(crate) struct ForkDetected {
    /// The height.
    pub(crate) height: u64,
    /// Where the evidence is.
    pub(crate) file: PathBuf,
}

/// A certified header and where it was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Seen {
    /// The header.
    pub(crate) header: BlockHeader,
    /// Its certificate.
    pub(crate) certificate: Certificate,
    /// The node that served it (or the audit store it was remembered in).
    pub(crate) source: String,
    /// When it was first seen, ms since the Unix epoch.
    pub(crate) seen_ms: u64,
}

/// What a fork check writes.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ForkReport {
    /// The chain.
    pub(crate) chain_id: Hash,
    /// The height of the two headers.
    pub(crate) height: u64,
    /// One certified header.
    pub(crate) first: Seen,
    /// The other.
    pub(crate) second: Seen,
    /// One record per validator that signed both.
    pub(crate) evidence: Vec<Evidence>,
}

/// An anchor a command verified: the certified header and the set that certifies it.
pub(super) struct Anchored {
    pub(super) header: BlockHeader,
    pub(super) certificate: Certificate,
    pub(super) validators: BTreeSet<PublicKey>,
}

/// The default root of the auditor's memory.
fn default_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".truffle")
        .join("audit")
}

/// One chain's folder of remembered certified headers.
pub(crate) struct AuditStore {
    dir: PathBuf,
}

impl AuditStore {
    pub(crate) fn open(root: &Path, chain_id: &Hash) -> anyhow::Result<AuditStore> {
        let dir = root.join(chain_id.to_string());
        std::fs::create_dir_all(dir.join("headers"))
            .with_context(|| format!("cannot create the audit store {}", dir.display()))?;
        Ok(AuditStore { dir })
    }

    fn path(&self, height: u64) -> PathBuf {
        self.dir.join("headers").join(format!("{height:012}.json"))
    }

    pub(crate) fn get(&self, height: u64) -> anyhow::Result<Option<Seen>> {
        let path = self.path(height);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is not a remembered header", path.display())
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Remembers `seen` unless a header of its height is remembered already.
    pub(crate) fn put(&self, seen: &Seen) -> anyhow::Result<()> {
        let path = self.path(seen.header.height);
        if path.exists() {
            return Ok(());
        }
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, serde_json::to_vec_pretty(seen)?)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, &path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}

/// Asks `url` for its certified header at `height`; `None` when it has none (yet).
async fn certified_at(
    url: &str,
    height: u64,
    chain_id: &Hash,
    validators: &BTreeSet<PublicKey>,
) -> anyhow::Result<Option<Seen>> {
    let client = connect(url)?;
    let Ok(view) = client.get_header(Some(height)).await else {
        return Ok(None);
    };
    let Ok(certificate) = client.get_certificate(height).await else {
        return Ok(None);
    };
    if view.header.chain_id != *chain_id || view.header.height != height {
        anyhow::bail!("{url} served a header of another chain or height");
    }
    certificate
        .verify(&view.header, validators)
        .map_err(|e| anyhow::anyhow!("{url}'s certificate of block {height} does not hold: {e}"))?;
    Ok(Some(Seen {
        header: view.header,
        certificate,
        source: url.to_owned(),
        seen_ms: truffle_clock::now_ms(),
    }))
}

/// Remembers the verified anchor, compares it with what is remembered and with every
/// other node's certified header of its height. Returns [`ForkDetected`] (after writing
/// the evidence) on two certified headers of one height.
pub(super) async fn remember_and_compare(
    args: &VerifyArgs,
    trust: &TrustRoot,
    anchored: Anchored,
) -> anyhow::Result<()> {
    let height = anchored.header.height;
    let mut candidates = vec![Seen {
        header: anchored.header,
        certificate: anchored.certificate,
        source: args.url().to_owned(),
        seen_ms: truffle_clock::now_ms(),
    }];
    for url in args.rpc.iter().skip(1) {
        match certified_at(url, height, &trust.chain_id, &anchored.validators).await {
            Ok(Some(seen)) => candidates.push(seen),
            Ok(None) => eprintln!("note: {url} has no certified block {height} to compare"),
            Err(error) => eprintln!("note: {url} not compared: {error:#}"),
        }
    }
    let store = if args.no_audit_store {
        None
    } else {
        let root = args.audit_dir.clone().unwrap_or_else(default_dir);
        Some(AuditStore::open(&root, &trust.chain_id)?)
    };
    let mut accepted: Vec<Seen> = Vec::new();
    if let Some(remembered) = store.as_ref().map(|s| s.get(height)).transpose()?.flatten() {
        accepted.push(Seen {
            source: format!("the audit store (first seen at {})", remembered.source),
            ..remembered
        });
    }
    for candidate in candidates {
        if let Some(other) = accepted
            .iter()
            .find(|a| a.header.hash() != candidate.header.hash())
        {
            return Err(fork(
                args,
                store.as_ref(),
                trust,
                &anchored.validators,
                other.clone(),
                candidate,
            )?
            .into());
        }
        if let Some(store) = &store {
            store.put(&candidate)?;
        }
        accepted.push(candidate);
    }
    if args.rpc.len() > 1 && args.output == OutputFormat::Text {
        println!(
            "  {} node(s) compared at block {height}: one certified header",
            args.rpc.len()
        );
    }
    Ok(())
}

fn fork(
    args: &VerifyArgs,
    store: Option<&AuditStore>,
    trust: &TrustRoot,
    validators: &BTreeSet<PublicKey>,
    first: Seen,
    second: Seen,
) -> anyhow::Result<ForkDetected> {
    let height = first.header.height;
    let evidence: Vec<Evidence> = from_certificates(
        trust.chain_id,
        validators,
        (&first.header, &first.certificate),
        (&second.header, &second.certificate),
    )
    .into_iter()
    .filter(|e| e.check(&trust.chain_id, validators).is_ok())
    .collect();
    let file = match (&args.fork_evidence, store) {
        (Some(file), _) => file.clone(),
        (None, Some(store)) => store.dir.join(format!("fork-{height}.json")),
        (None, None) => PathBuf::from(format!("fork-{height}.json")),
    };
    let report = ForkReport {
        chain_id: trust.chain_id,
        height,
        first,
        second,
        evidence,
    };
    std::fs::write(&file, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("cannot write the fork evidence to {}", file.display()))?;
    match args.output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({
                "verified": false,
                "fork": true,
                "height": height,
                "headers": [
                    { "hash": report.first.header.hash(), "source": report.first.source },
                    { "hash": report.second.header.hash(), "source": report.second.source },
                ],
                "equivocating_validators": report.evidence.iter().map(|e| e.validator).collect::<Vec<_>>(),
                "evidence_file": file,
            })
        ),
        OutputFormat::Text => {
            println!("FORK  two certified headers at block {height}");
            println!(
                "  {} from {}",
                report.first.header.hash(),
                report.first.source
            );
            println!(
                "  {} from {}",
                report.second.header.hash(),
                report.second.source
            );
            println!(
                "  {} validator(s) signed both: {}",
                report.evidence.len(),
                report
                    .evidence
                    .iter()
                    .map(|e| e.validator.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!(
                "  evidence written to {} (check it with `truffle verify evidence`)",
                file.display()
            );
        }
    }
    Ok(ForkDetected { height, file })
}

/// `truffle verify evidence FILE`: one record, a list, or a fork report.
pub(super) fn evidence_command(
    file: &Path,
    genesis: &str,
    output: OutputFormat,
) -> anyhow::Result<()> {
    let spec = truffle_genesis::load(genesis)
        .with_context(|| format!("cannot load the genesis {genesis:?}"))?;
    let trust = TrustRoot::from(&spec.to_state());
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let records: Vec<Evidence> = match &value {
        serde_json::Value::Array(_) => serde_json::from_value(value),
        serde_json::Value::Object(map) if map.contains_key("evidence") => {
            serde_json::from_value(map["evidence"].clone())
        }
        _ => serde_json::from_value(value).map(|one| vec![one]),
    }
    .with_context(|| format!("{} holds no evidence records", file.display()))?;
    anyhow::ensure!(
        !records.is_empty(),
        "{} holds no evidence records",
        file.display()
    );
    let verdicts: Vec<(Evidence, Result<(), String>)> = records
        .into_iter()
        .map(|record| {
            // Checked against the genesis set: a record of a height after a validator-set
            // change needs the set of that height (the node checks those).
            let verdict = record
                .check(&trust.chain_id, &trust.validators)
                .map_err(|e| e.to_string());
            (record, verdict)
        })
        .collect();
    let holds = verdicts.iter().all(|(_, v)| v.is_ok());
    match output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "verified": holds,
                "records": verdicts.iter().map(|(record, verdict)| {
                    let (a, b) = record.headers();
                    serde_json::json!({
                        "validator": record.validator,
                        "height": record.height(),
                        "headers": [a.hash(), b.hash()],
                        "double_vote": record.is_double_vote(),
                        "holds": verdict.is_ok(),
                        "error": verdict.as_ref().err(),
                    })
                }).collect::<Vec<_>>(),
            }))?
        ),
        OutputFormat::Text => {
            for (record, verdict) in &verdicts {
                let (a, b) = record.headers();
                match verdict {
                    Ok(()) => println!(
                        "EQUIVOCATION  validator {} signed two headers at block {}: {} and {}{}",
                        record.validator,
                        record.height(),
                        a.hash(),
                        b.hash(),
                        if record.is_double_vote() {
                            ""
                        } else {
                            " (certified by more than two thirds of the validators)"
                        }
                    ),
                    Err(error) => println!(
                        "NOT EVIDENCE  the record against {} at block {}: {error}",
                        record.validator,
                        record.height()
                    ),
                }
            }
        }
    }
    anyhow::ensure!(holds, "a record does not prove an equivocation");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::certificate::vote;
    use truffle_ledger::evidence::SignedHeader;

    fn header(chain_id: Hash, salt: &[u8]) -> BlockHeader {
        BlockHeader {
            chain_id,
            height: 4,
            prev_hash: Hash::of(b"prev"),
            time_ms: 1,
            proposer: truffle_genesis::dev_keys::validator(0).public(),
            transaction_count: 0,
            transactions_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::of(salt),
        }
    }

    #[test]
    fn the_store_remembers_the_first_header_of_a_height() {
        let dir = tempfile::tempdir().unwrap();
        let chain = Hash::of(b"chain");
        let store = AuditStore::open(dir.path(), &chain).unwrap();
        assert_eq!(store.get(4).unwrap(), None);
        let seen = |salt: &[u8]| Seen {
            header: header(chain, salt),
            certificate: Certificate::from_votes(&header(chain, salt), &BTreeSet::new(), []),
            source: "node".into(),
            seen_ms: 1,
        };
        store.put(&seen(b"a")).unwrap();
        store.put(&seen(b"b")).unwrap();
        assert_eq!(store.get(4).unwrap(), Some(seen(b"a")), "never overwritten");
    }

    #[test]
    fn evidence_files_are_checked_against_the_genesis() {
        let dir = tempfile::tempdir().unwrap();
        let chain = truffle_genesis::load("dev").unwrap().chain_id();
        let key = truffle_genesis::dev_keys::validator(0);
        let (a, b) = (header(chain, b"a"), header(chain, b"b"));
        let record = Evidence::double_vote(
            chain,
            key.public(),
            SignedHeader::new(a.clone(), &vote(&key, &a)),
            SignedHeader::new(b.clone(), &vote(&key, &b)),
        );
        let file = dir.path().join("evidence.json");
        // One record, a list, or a fork report's `evidence`.
        for json in [
            serde_json::to_value(&record).unwrap(),
            serde_json::json!([record]),
            serde_json::json!({ "evidence": [record] }),
        ] {
            std::fs::write(&file, json.to_string()).unwrap();
            evidence_command(&file, "dev", OutputFormat::Json).unwrap();
        }
        let mut framed = record.clone();
        framed.validator = truffle_genesis::dev_keys::validator(1).public();
        std::fs::write(&file, serde_json::to_string(&framed).unwrap()).unwrap();
        assert!(evidence_command(&file, "dev", OutputFormat::Json).is_err());
        std::fs::write(&file, "[]").unwrap();
        assert!(evidence_command(&file, "dev", OutputFormat::Json).is_err());
    }
}
