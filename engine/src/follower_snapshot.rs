//! A follower node that starts empty catches up by a validator's snapshot: the ledger's
//! state, blocks, headers and certificates, never member data (service data is not in
//! snapshots). It trusts the snapshot only after checking, from its own genesis:
//!
//! - the headers link from the genesis header to the snapshot's head (`prev_hash`),
//!   each block's body matches its header, and there is a block for every height;
//! - the validator set is followed from the genesis set through the changes the
//!   blocks' applied receipts make; every block that changes it, and the head, carry a
//!   certificate of the set in force before them (so a fabricated chain would need a
//!   quorum of the genesis set, then of each set it admitted), and every certificate
//!   present checks;
//! - the state records reproduce the head's state root (the store checks that).
//!
//! Any failure refuses the snapshot; the follower then replays certified blocks from
//! the genesis instead.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use truffle_consensus::LedgerEvent;
use truffle_ledger::{BlockHeader, Certificate, Payload, PublicKey};
use truffle_store::HistoryRecord;

use crate::engine::Engine;
use crate::error::Refusal;
use crate::follower::{FollowerRequest, FollowerResponse};

/// Bytes of a snapshot sent in one answer.
pub(crate) const SNAPSHOT_CHUNK_BYTES: u64 = 3 << 20;
/// The largest snapshot a follower downloads.
const MAX_SNAPSHOT_BYTES: u64 = 64 << 30;
/// Times a download starts again because the validator replaced its snapshot.
const MAX_RESTARTS: usize = 3;

/// Why a snapshot was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotRefusal {
    /// The validator has none, or its answer was unusable.
    #[error("no snapshot: {0}")]
    Unavailable(String),
    /// The validator could not be asked (not connected yet, or down).
    #[error("no snapshot: unreachable: {0}")]
    Unreachable(String),
    /// The history does not check against the genesis.
    #[error("the snapshot's history does not check: {0}")]
    History(String),
    /// The store refused it (checksum, state root) or failed.
    #[error(transparent)]
    Store(#[from] truffle_store::StoreError),
    /// Writing the download failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The blocks' validator-set changes by height: (key, added).
type SetChanges = BTreeMap<u64, Vec<(PublicKey, bool)>>;

/// A snapshot's history, checked: its head, the set that must certify the head, and
/// the head's certificate when the snapshot holds it (it is often made before the
/// head's votes are in; the follower then asks for it).
#[derive(Debug)]
pub struct CheckedHistory {
    /// The snapshot's head.
    pub head: BlockHeader,
    /// The set in force when the head was applied.
    pub head_set: BTreeSet<PublicKey>,
    /// Whether the snapshot holds a valid certificate of the head.
    pub head_certified: bool,
}

/// Checks the block history of the snapshot file at `path` against the genesis header
/// and set.
pub fn check_history(
    path: &Path,
    genesis_header: &BlockHeader,
    genesis_set: &BTreeSet<PublicKey>,
) -> Result<CheckedHistory, SnapshotRefusal> {
    let mut headers: BTreeMap<u64, BlockHeader> = BTreeMap::new();
    let mut certificates: BTreeMap<u64, Certificate> = BTreeMap::new();
    let mut changes = SetChanges::new();
    let mut blocks = BTreeSet::new();
    let mut head = None;
    let mut problem: Option<String> = None;
    truffle_store::read_snapshot_history(path, |record| {
        match record {
            HistoryRecord::Header(header) => {
                headers.insert(header.height, header);
            }
            HistoryRecord::Block(block) => {
                let height = block.header.height;
                if headers.get(&height) != Some(&block.header) || !block.check_body() {
                    problem.get_or_insert(format!("block {height} does not match its header"));
                }
                for (tx, receipt) in block.transactions.iter().zip(&block.receipts) {
                    if !receipt.is_applied() {
                        continue;
                    }
                    match &tx.tx.payload {
                        Payload::AddValidator { key, .. } => {
                            changes.entry(height).or_default().push((*key, true))
                        }
                        Payload::RemoveValidator { key } => {
                            changes.entry(height).or_default().push((*key, false))
                        }
                        _ => {}
                    }
                }
                blocks.insert(height);
            }
            HistoryRecord::Certificate(certificate) => {
                certificates.insert(certificate.height, certificate);
            }
            HistoryRecord::Head(header) => head = Some(header),
        }
        Ok(())
    })?;
    if let Some(problem) = problem {
        return Err(SnapshotRefusal::History(problem));
    }
    let head = head.ok_or_else(|| SnapshotRefusal::History("no head".into()))?;
    let history = |reason: String| Err(SnapshotRefusal::History(reason));
    if headers.get(&0).map(BlockHeader::hash) != Some(genesis_header.hash()) {
        return history("it starts from another genesis".into());
    }
    if headers.get(&head.height) != Some(&head) {
        return history("its head is not in its headers".into());
    }
    let mut set = genesis_set.clone();
    let mut head_set = set.clone();
    for height in 1..=head.height {
        if height == head.height {
            head_set = set.clone();
        }
        let (Some(header), Some(parent)) = (headers.get(&height), headers.get(&(height - 1)))
        else {
            return history(format!("header {height} is missing"));
        };
        if header.prev_hash != parent.hash() {
            return history(format!("header {height} does not link to its parent"));
        }
        if !blocks.contains(&height) {
            return history(format!("block {height} is missing"));
        }
        let changed = changes.get(&height);
        match certificates.get(&height) {
            Some(certificate) => certificate
                .verify(header, &set)
                .map_err(|e| SnapshotRefusal::History(format!("height {height}: {e}")))?,
            None if changed.is_some() => {
                return history(format!(
                    "no certificate at height {height}, which changes the validator set"
                ))
            }
            None => {}
        }
        for (key, added) in changed.into_iter().flatten() {
            if *added {
                set.insert(*key);
            } else {
                set.remove(key);
            }
        }
    }
    let head_certified = head.height == 0 || certificates.contains_key(&head.height);
    Ok(CheckedHistory {
        head,
        head_set,
        head_certified,
    })
}

/// Fault injection: a copy of the snapshot at `path` whose first state record has a
/// byte more, resealed with a valid checksum, made once per snapshot file (named by its
/// inode) beside it. `None` while there is no snapshot.
fn forged_copy(path: &Path) -> std::io::Result<Option<PathBuf>> {
    use std::os::unix::fs::MetadataExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(None);
    };
    let forged = path.with_file_name(format!("forged-{}.snap", metadata.ino()));
    if !forged.exists() {
        let aside = forged.with_extension("part");
        let mut edited = false;
        truffle_store::rewrite_snapshot(path, &aside, |family, _, value| {
            if !edited && family.starts_with("state") {
                value.push(0);
                edited = true;
            }
        })
        .map_err(std::io::Error::other)?;
        std::fs::rename(&aside, &forged)?;
    }
    Ok(Some(forged))
}

impl Engine {
    /// A chunk of this validator's current snapshot, for a follower.
    pub(crate) async fn snapshot_chunk(&self, offset: u64) -> Result<FollowerResponse, Refusal> {
        let snapshots = self.inner.config.data_dir.join("snapshots");
        let forge = self.inner.config.enable_fault_injection
            && self.inner.config.fault_forge_follower_snapshot;
        tokio::task::spawn_blocking(move || {
            use std::io::Read;
            use std::os::unix::fs::MetadataExt;
            let mut path = snapshots.join(truffle_consensus::SNAPSHOT_FILES[0]);
            if forge {
                match forged_copy(&path) {
                    Ok(Some(forged)) => path = forged,
                    Ok(None) => return Ok(FollowerResponse::NoSnapshot),
                    Err(e) => return Err(Refusal::new(e.to_string())),
                }
            }
            let Ok(mut file) = std::fs::File::open(&path) else {
                return Ok(FollowerResponse::NoSnapshot);
            };
            let metadata = file.metadata().map_err(|e| Refusal::new(e.to_string()))?;
            let total = metadata.len();
            file.seek(SeekFrom::Start(offset.min(total)))
                .map_err(|e| Refusal::new(e.to_string()))?;
            let mut bytes = Vec::new();
            file.take(SNAPSHOT_CHUNK_BYTES)
                .read_to_end(&mut bytes)
                .map_err(|e| Refusal::new(e.to_string()))?;
            Ok(FollowerResponse::SnapshotChunk {
                // A replaced snapshot is a new file (written aside, renamed into place).
                id: metadata.ino(),
                total,
                bytes,
            })
        })
        .await
        .map_err(|e| Refusal::new(e.to_string()))?
    }

    async fn download_snapshot(
        &self,
        from: &PublicKey,
        path: &Path,
    ) -> Result<(), SnapshotRefusal> {
        let unavailable = SnapshotRefusal::Unavailable;
        'restart: for _ in 0..MAX_RESTARTS {
            let mut file = std::fs::File::create(path)?;
            let mut offset = 0u64;
            let mut expected: Option<(u64, u64)> = None;
            loop {
                let answer = self
                    .ask_validator(from, &FollowerRequest::Snapshot { offset })
                    .await
                    .map_err(|e| SnapshotRefusal::Unreachable(e.to_string()))?;
                let FollowerResponse::SnapshotChunk { id, total, bytes } = answer else {
                    return Err(unavailable(format!("{from} has no snapshot")));
                };
                if total > MAX_SNAPSHOT_BYTES || bytes.len() as u64 > SNAPSHOT_CHUNK_BYTES {
                    return Err(unavailable(format!("{from} offers {total} bytes")));
                }
                match expected {
                    None => expected = Some((id, total)),
                    Some(known) if known != (id, total) => continue 'restart,
                    Some(_) => {}
                }
                if bytes.is_empty() && offset < total {
                    return Err(unavailable("the snapshot ended early".into()));
                }
                file.write_all(&bytes)?;
                offset += bytes.len() as u64;
                if offset >= total {
                    file.sync_all()?;
                    return Ok(());
                }
            }
        }
        Err(unavailable("the snapshot kept changing".into()))
    }

    /// An empty follower's catch-up: a validator's snapshot, checked, then imported.
    /// Returns the height it reached.
    pub(crate) async fn catch_up_by_snapshot(
        &self,
        from: &PublicKey,
    ) -> Result<u64, SnapshotRefusal> {
        let path: PathBuf = self.inner.config.data_dir.join("follower-download.snap");
        let result = self.install_snapshot_from(from, &path).await;
        let _ = std::fs::remove_file(&path);
        result
    }

    async fn install_snapshot_from(
        &self,
        from: &PublicKey,
        path: &Path,
    ) -> Result<u64, SnapshotRefusal> {
        self.download_snapshot(from, path).await?;
        let store = self.inner.store.clone();
        let genesis_header = store
            .header(0)?
            .ok_or_else(|| SnapshotRefusal::History("this node has no genesis".into()))?;
        let genesis_set: BTreeSet<PublicKey> = self
            .inner
            .genesis
            .validators
            .iter()
            .map(|v| v.key)
            .collect();
        let checked = {
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || check_history(&path, &genesis_header, &genesis_set))
                .await
                .map_err(|e| SnapshotRefusal::Unavailable(e.to_string()))??
        };
        let mut head_certificate = None;
        if !checked.head_certified {
            // The head's certificate, from the validator's store now: checked against
            // the set the history gives for the head.
            let answer = self
                .ask_validator(
                    from,
                    &FollowerRequest::Blocks {
                        from: checked.head.height,
                        max: 1,
                    },
                )
                .await
                .map_err(|e| SnapshotRefusal::Unavailable(e.to_string()))?;
            let FollowerResponse::Blocks(blocks) = answer else {
                return Err(SnapshotRefusal::Unavailable(
                    "no certificate of the head".into(),
                ));
            };
            let certified = blocks
                .first()
                .filter(|b| b.block.header == checked.head)
                .ok_or_else(|| SnapshotRefusal::Unavailable("no certificate of the head".into()))?;
            certified
                .certificate
                .verify(&checked.head, &checked.head_set)
                .map_err(|e| SnapshotRefusal::History(format!("the head: {e}")))?;
            head_certificate = Some(certified.certificate.clone());
        }
        let path = path.to_path_buf();
        let head = tokio::task::spawn_blocking(move || {
            let head = checked.head;
            if head.height <= store.head()?.map(|h| h.height).unwrap_or(0) {
                return Ok(head);
            }
            let prepared = store.prepare_snapshot_import(&path)?;
            let stats = store.apply_snapshot_import(prepared, &path)?;
            // A follower is no Raft member: the validator's Raft position goes.
            store.delete_meta(&truffle_consensus::RAFT_POSITION_KEYS)?;
            if let Some(certificate) = &head_certificate {
                store.put_certificate(certificate)?;
            }
            debug_assert_eq!(stats.height, head.height);
            Ok::<_, SnapshotRefusal>(head)
        })
        .await
        .map_err(|e| SnapshotRefusal::Unavailable(e.to_string()))??;
        self.note_certified(head.height);
        let _ = self.inner.events.send(LedgerEvent::SnapshotInstalled {
            height: head.height,
        });
        Ok(head.height)
    }
}

impl Engine {
    /// Certificates a follower lacks for blocks it holds (a snapshot is often made
    /// before its last blocks' votes are in): asked for, checked, stored. Looks at most
    /// 256 heights from `from` and returns where to look next time.
    pub(crate) async fn fill_missing_certificates(&self, from: u64) -> u64 {
        let store = &self.inner.store;
        let head = self.head().map(|h| h.height).unwrap_or(0);
        let mut height = from.max(1);
        let last = head.min(height.saturating_add(255));
        let validators: Vec<PublicKey> = self.validator_keys().into_iter().collect();
        while height <= last {
            if store.certificate(height).ok().flatten().is_some() {
                height += 1;
                continue;
            }
            let Ok(Some(header)) = store.header(height) else {
                return height;
            };
            let mut found = false;
            for peer in &validators {
                let request = FollowerRequest::Blocks {
                    from: height,
                    max: 1,
                };
                let Ok(FollowerResponse::Blocks(blocks)) = self.ask_validator(peer, &request).await
                else {
                    continue;
                };
                let Some(certified) = blocks.into_iter().next() else {
                    continue;
                };
                let set = crate::certifier::certifying_set(store, height);
                if certified.block.header == header
                    && certified.certificate.verify(&header, &set).is_ok()
                    && store.put_certificate(&certified.certificate).is_ok()
                {
                    found = true;
                    break;
                }
            }
            if !found {
                return height;
            }
            height += 1;
        }
        height
    }
}
