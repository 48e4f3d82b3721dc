//! openraft's storage conformance suite (`openraft::testing::Suite`, the 35 cases of
//! openraft 0.9.25's `test_store`) against the RocksDB log store and the ledger state
//! machine, each case on a fresh store with its genesis written, as a node opens it.
//!
//! Every case of the suite runs. The suite drives the state machine with blank and
//! membership entries only (it cannot build the application's entries); the ledger's
//! own entries, blocks and service commands, and snapshots that carry blocks, are
//! covered by the state machine's tests (`proposals_breaking_block_rules_leave_no_block`,
//! `snapshots_stream_through_files_and_interrupted_imports_finish`) and by
//! [`blocks_then_the_suite_entries`] here.

use openraft::storage::RaftStateMachine;
use openraft::testing::{StoreBuilder, Suite};
use openraft::RaftSnapshotBuilder;

use crate::state_machine::tests::{block_entries, open_machine};
use crate::types::{StorageError, TypeConfig};
use crate::{LogStore, StateMachine};

/// Builds a log store and a state machine over one fresh RocksDB store; the temporary
/// folder lives as long as the case.
struct RocksBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for RocksBuilder {
    async fn build(&self) -> Result<(tempfile::TempDir, LogStore, StateMachine), StorageError> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (store, machine) = open_machine(dir.path());
        Ok((dir, LogStore::new(store), machine))
    }
}

#[test]
fn the_openraft_storage_suite_passes() {
    Suite::<TypeConfig, LogStore, StateMachine, RocksBuilder, tempfile::TempDir>::test_all(
        RocksBuilder,
    )
    .expect("every case of the suite passes");
}

/// What the suite cannot build, mixed with what it builds: block entries, then a blank
/// entry of a later term on top (the suite's kind), and a snapshot of the lot installed
/// on a fresh machine, which ends with the same head and applied position.
#[tokio::test]
async fn blocks_then_the_suite_entries() {
    let (dir, follower_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (store, mut leader) = open_machine(dir.path());
    let responses = leader.apply(block_entries(1, 3)).await.unwrap();
    let heights: Vec<_> = responses.iter().map(|r| r.height).collect();
    assert_eq!(heights, [Some(1), Some(2), Some(3)]);
    let blank = openraft::Entry::<TypeConfig> {
        log_id: openraft::LogId::new(openraft::CommittedLeaderId::new(2, 0), 4),
        payload: openraft::EntryPayload::Blank,
    };
    assert_eq!(leader.apply(vec![blank]).await.unwrap()[0].height, None);
    leader
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    let snapshot = leader.get_current_snapshot().await.unwrap().unwrap();
    let (follower_store, mut follower) = open_machine(follower_dir.path());
    let mut data = follower.begin_receiving_snapshot().await.unwrap();
    let mut source = snapshot.snapshot;
    tokio::io::copy(&mut source, &mut *data).await.unwrap();
    follower
        .install_snapshot(&snapshot.meta, data)
        .await
        .unwrap();
    assert_eq!(
        follower.applied_state().await.unwrap(),
        leader.applied_state().await.unwrap()
    );
    let head = store.head().unwrap().unwrap();
    assert_eq!(head.height, 3);
    assert_eq!(follower_store.head().unwrap().unwrap(), head);
}
