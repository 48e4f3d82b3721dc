//! Store tests against a real RocksDB in a temporary folder.

use truffle_ledger::state::{keys, prove, state_root_at, verify_proof, StateView};
use truffle_ledger::types::{ChainParams, Validator};
use truffle_ledger::{
    execute_block, genesis_block, BlockHeader, BlockProposal, GenesisState, Hash, Keypair, Payload,
    Transaction,
};

use crate::{Store, StoreError, StoreResult};

fn genesis() -> GenesisState {
    let validator = Keypair::from_name("validator-0").public();
    GenesisState {
        chain_id: Hash::of(b"store-test"),
        time_ms: 1_000,
        params: ChainParams::default(),
        admins: vec![Keypair::from_name("admin").public()],
        validators: vec![Validator {
            key: validator,
            name: "v0".into(),
            p2p_address: "/ip4/127.0.0.1/tcp/1".into(),
            since_height: 0,
        }],
    }
}

/// A block in which validator-0 registers the member named `name` (nonce `nonce`).
fn registration_block(chain_id: Hash, nonce: u64, name: &str, time_ms: u64) -> BlockProposal {
    let registrar = Keypair::from_name("validator-0");
    BlockProposal {
        proposer: registrar.public(),
        time_ms,
        transactions: vec![Transaction {
            chain_id,
            signer: registrar.public(),
            nonce,
            payload: Payload::RegisterAccount {
                account: Keypair::from_name(name).public(),
                role: truffle_ledger::types::Role::Member,
                adult: true,
            },
        }
        .sign(&registrar)],
    }
}

/// Genesis plus `blocks` blocks, each registering one member.
fn build_chain(store: &Store, blocks: u64) -> BlockHeader {
    let genesis = genesis();
    let executed = genesis_block(store, &genesis).unwrap();
    store.commit_block(&executed, &[]).unwrap();
    let mut head = executed.block.header;
    for nonce in 0..blocks {
        let proposal = registration_block(
            genesis.chain_id,
            nonce,
            &format!("member-{nonce}"),
            2_000 + nonce,
        );
        let executed = execute_block(store, &head, &proposal).unwrap();
        assert!(
            executed.block.receipts[0].is_applied(),
            "{:?}",
            executed.block.receipts[0]
        );
        store
            .commit_block(&executed, &[(b"applied", nonce.to_be_bytes().to_vec())])
            .unwrap();
        head = executed.block.header;
    }
    head
}

#[test]
fn blocks_and_state_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let head = {
        let store = Store::open(dir.path()).unwrap();
        build_chain(&store, 5)
    };
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.head().unwrap().unwrap(), head);
    assert_eq!(
        store.get_meta(b"applied").unwrap().unwrap(),
        4u64.to_be_bytes().to_vec()
    );
    assert_eq!(state_root_at(&store, head.height).unwrap(), head.state_root);
    let block = store.block(3).unwrap().unwrap();
    assert!(block.check_body());
    assert_eq!(store.header(3).unwrap().unwrap(), block.header);
    assert_eq!(store.headers_from(2, 2).unwrap().len(), 2);
    let location = store
        .tx_location(&block.receipts[0].tx_hash)
        .unwrap()
        .unwrap();
    assert_eq!((location.height, location.index), (3, 0));

    // Proofs from RocksDB verify against the header's root, for presence and absence.
    let member = Keypair::from_name("member-2").public();
    let (value, proof) = prove(&store, &keys::account(&member), head.height).unwrap();
    assert!(value.is_some());
    assert!(verify_proof(
        &head.state_root,
        &keys::account(&member),
        value.as_deref(),
        &proof
    ));
    let stranger = Keypair::from_name("stranger").public();
    let (value, proof) = prove(&store, &keys::account(&stranger), head.height).unwrap();
    assert!(value.is_none());
    assert!(verify_proof(
        &head.state_root,
        &keys::account(&stranger),
        None,
        &proof
    ));
}

#[test]
fn raft_log_append_truncate_purge() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .raft_append((1..=10).map(|i| (i, vec![i as u8])))
        .unwrap();
    assert_eq!(store.raft_entries(3, 6).unwrap().len(), 3);
    store.raft_truncate_from(8).unwrap();
    assert_eq!(store.raft_last_entry().unwrap().unwrap().0, 7);
    store.raft_purge_upto(4, (b"purged", vec![4])).unwrap();
    let range = store.raft_range().unwrap().unwrap();
    assert_eq!((range.first, range.last), (5, 7));
    assert_eq!(store.raft_meta_get(b"purged").unwrap(), Some(vec![4]));
}

/// Exports `store` to a file in `dir`, returning its path and what the export said.
fn export_to_file(
    store: &Store,
    dir: &std::path::Path,
    name: &str,
) -> (std::path::PathBuf, crate::ExportedSnapshot) {
    let path = dir.join(name);
    let exported = store
        .export_snapshot_to(std::fs::File::create(&path).unwrap())
        .unwrap();
    (path, exported)
}

fn import_file(store: &Store, path: &std::path::Path) -> StoreResult<crate::SnapshotStats> {
    let prepared = store.prepare_snapshot_import(path)?;
    store.apply_snapshot_import(prepared, path)
}

#[test]
fn snapshots_restore_state_and_refuse_damage() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = Store::open(source_dir.path()).unwrap();
    let head = build_chain(&source, 20);
    let files = tempfile::tempdir().unwrap();
    let (path, exported) = export_to_file(&source, files.path(), "snap");
    assert!(exported
        .meta
        .iter()
        .any(|(k, v)| k == b"applied" && *v == 19u64.to_be_bytes().to_vec()));
    let snapshot = std::fs::read(&path).unwrap();
    assert_eq!(exported.len, snapshot.len() as u64);
    assert_eq!(&exported.digest, blake3::hash(&snapshot).as_bytes());

    let target_dir = tempfile::tempdir().unwrap();
    let target = Store::open(target_dir.path()).unwrap();
    build_chain(&target, 2); // stale data the snapshot must replace
    let stats = import_file(&target, &path).unwrap();
    assert_eq!(stats.height, 20);
    assert!(!target.snapshot_import_pending().unwrap());
    assert_eq!(target.head().unwrap().unwrap(), head);
    assert_eq!(
        state_root_at(&target, head.height).unwrap(),
        head.state_root
    );
    let member = Keypair::from_name("member-17").public();
    assert_eq!(
        target.get(&keys::account(&member)).unwrap(),
        source.get(&keys::account(&member)).unwrap()
    );
    // The restored node can go on applying blocks.
    let proposal = registration_block(head.chain_id, 20, "late", 9_000);
    let on_source = execute_block(&source, &head, &proposal).unwrap();
    let on_target = execute_block(&target, &head, &proposal).unwrap();
    assert_eq!(on_source.block.header, on_target.block.header);

    let mut damaged = snapshot.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 1;
    let damaged_path = files.path().join("damaged");
    std::fs::write(&damaged_path, &damaged).unwrap();
    assert!(target.prepare_snapshot_import(&damaged_path).is_err());
    std::fs::write(&damaged_path, b"nonsense").unwrap();
    assert!(target.prepare_snapshot_import(&damaged_path).is_err());
    // A length that runs past the file is refused before anything is allocated for it,
    // even with a checksum that matches (a forged, not a damaged, snapshot).
    let mut forged = snapshot[..8].to_vec(); // the magic
    forged.extend_from_slice(&[0, 0xFF, 0xFF, 0xFF, 0x7F]);
    forged.extend_from_slice(blake3::hash(&forged).as_bytes());
    std::fs::write(&damaged_path, &forged).unwrap();
    assert!(matches!(
        target.prepare_snapshot_import(&damaged_path),
        Err(StoreError::Snapshot(reason)) if reason == "truncated"
    ));
    // A refused snapshot leaves the store as it was.
    assert_eq!(target.head().unwrap().unwrap(), head);
}

/// A rewritten snapshot with every value kept imports like the original; one with a
/// state record changed has a valid checksum (so only the content can tell) and is
/// refused for its state root.
#[test]
fn a_resealed_snapshot_is_judged_by_its_content() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = Store::open(source_dir.path()).unwrap();
    let head = build_chain(&source, 5);
    let files = tempfile::tempdir().unwrap();
    let (path, _) = export_to_file(&source, files.path(), "snap");

    let copy = files.path().join("copy");
    crate::rewrite_snapshot(&path, &copy, |_, _, _| {}).unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&path).unwrap());

    let forged = files.path().join("forged");
    let state = crate::cf::state(truffle_ledger::state::Table::ALL[0]);
    let mut edited = 0;
    crate::rewrite_snapshot(&path, &forged, |family, _, value| {
        if family == state && edited == 0 {
            value.push(0);
            edited += 1;
        }
    })
    .unwrap();
    assert_eq!(edited, 1, "the chain has state records");
    let target_dir = tempfile::tempdir().unwrap();
    let target = Store::open(target_dir.path()).unwrap();
    build_chain(&target, 2);
    let before = target.head().unwrap().unwrap();
    match target.prepare_snapshot_import(&forged) {
        Err(StoreError::Snapshot(reason)) => assert!(reason.contains("root"), "{reason}"),
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("a forged state record was accepted"),
    }
    assert_eq!(target.head().unwrap().unwrap(), before);
    assert_eq!(import_file(&target, &copy).unwrap().height, head.height);
}

/// An import that stops between its batches leaves a mark; doing it again clears it.
#[test]
fn an_interrupted_snapshot_import_is_marked_until_done_again() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = Store::open(source_dir.path()).unwrap();
    let files = tempfile::tempdir().unwrap();
    let short = {
        build_chain(&source, 3);
        export_to_file(&source, files.path(), "short").0
    };
    let long_dir = tempfile::tempdir().unwrap();
    let long_store = Store::open(long_dir.path()).unwrap();
    let head = build_chain(&long_store, 12);
    let (long, _) = export_to_file(&long_store, files.path(), "long");

    let target_dir = tempfile::tempdir().unwrap();
    let target = Store::open(target_dir.path()).unwrap();
    // Checked against one file, written from another: the writes stop part-way.
    let prepared = target.prepare_snapshot_import(&long).unwrap();
    assert!(target.apply_snapshot_import(prepared, &short).is_err());
    assert!(target.snapshot_import_pending().unwrap());
    drop(target);
    let target = Store::open(target_dir.path()).unwrap();
    assert!(
        target.snapshot_import_pending().unwrap(),
        "the mark is durable"
    );
    import_file(&target, &long).unwrap();
    assert!(!target.snapshot_import_pending().unwrap());
    assert_eq!(target.head().unwrap().unwrap(), head);
    assert_eq!(
        state_root_at(&target, head.height).unwrap(),
        head.state_root
    );
}

#[test]
fn pruning_keeps_the_latest_root_provable() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let head = build_chain(&store, 10);
    let pruned = store.prune_tree(head.height).unwrap();
    assert!(pruned > 0);
    let member = Keypair::from_name("member-0").public();
    let (value, proof) = prove(&store, &keys::account(&member), head.height).unwrap();
    assert!(verify_proof(
        &head.state_root,
        &keys::account(&member),
        value.as_deref(),
        &proof
    ));
}

/// A checkpoint holds exactly what was written before it: later writes to the live
/// database do not reach it, and it opens as a database of its own.
#[test]
fn checkpoint_is_a_point_in_time_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let head = build_chain(&store, 3);
    store
        .local_write(&[(b"before".to_vec(), Some(b"1".to_vec()))])
        .unwrap();
    store
        .raft_append((1..=5).map(|i| (i, vec![i as u8])))
        .unwrap();

    let target = dir.path().join("backup");
    store.checkpoint(&target).unwrap();

    // More writes after the checkpoint: a block, local data, log entries.
    let proposal = registration_block(genesis().chain_id, 3, "after-checkpoint", 9_000);
    let executed = execute_block(&store, &head, &proposal).unwrap();
    store.commit_block(&executed, &[]).unwrap();
    store
        .local_write(&[
            (b"after".to_vec(), Some(b"2".to_vec())),
            (b"before".to_vec(), None),
        ])
        .unwrap();
    store.raft_append([(6, vec![6])]).unwrap();
    assert_eq!(store.head().unwrap().unwrap().height, head.height + 1);

    let copy = Store::open_read_only(&target).unwrap();
    assert_eq!(
        copy.head().unwrap().unwrap(),
        head,
        "the head at checkpoint time"
    );
    assert!(copy.block(head.height + 1).unwrap().is_none());
    assert_eq!(copy.local_get(b"before").unwrap(), Some(b"1".to_vec()));
    assert_eq!(copy.local_get(b"after").unwrap(), None);
    assert_eq!(copy.raft_last_entry().unwrap().map(|(i, _)| i), Some(5));
    assert!(copy
        .get(&keys::account(&Keypair::from_name("member-2").public()))
        .unwrap()
        .is_some());
    assert!(copy
        .get(&keys::account(
            &Keypair::from_name("after-checkpoint").public()
        ))
        .unwrap()
        .is_none());
    assert_eq!(state_root_at(&copy, head.height).unwrap(), head.state_root);
    drop(copy);
    // The checkpoint also opens read-write, as a restored node opens it.
    let reopened = Store::open(&target).unwrap();
    assert_eq!(reopened.head().unwrap().unwrap(), head);
}

/// A checkpoint never writes into a folder that holds files; an empty one is fine.
#[test]
fn checkpoint_refuses_a_non_empty_target() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    build_chain(&store, 1);
    let occupied = dir.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("keep.txt"), b"mine").unwrap();
    let error = store.checkpoint(&occupied).unwrap_err();
    assert!(
        matches!(error, crate::StoreError::TargetNotEmpty(_)),
        "{error}"
    );
    assert_eq!(std::fs::read(occupied.join("keep.txt")).unwrap(), b"mine");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    store.checkpoint(&empty).unwrap();
    assert!(Store::open_read_only(&empty)
        .unwrap()
        .head()
        .unwrap()
        .is_some());
}

/// A database held by a live handle is reported in use; once released, it is not.
#[test]
fn a_held_database_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    Store::ensure_not_in_use(&path).unwrap();
    let store = Store::open(&path).unwrap();
    let error = Store::ensure_not_in_use(&path).unwrap_err();
    assert!(matches!(error, crate::StoreError::InUse(_)), "{error}");
    drop(store);
    Store::ensure_not_in_use(&path).unwrap();
}
