//! openraft's storage conformance suite (`openraft::testing::Suite`, 34 of the 35 cases
//! of openraft 0.9.25's `test_store`; the last, adapted, below) against the RocksDB log store and the ledger state
//! machine, each case on a fresh store with its genesis written, as a node opens it.
//!
//! The suite drives the state machine with blank and
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

/// The suite over this builder.
type Rocks = Suite<TypeConfig, LogStore, StateMachine, RocksBuilder, tempfile::TempDir>;

/// Runs one case of the suite on a fresh store, in a runtime of its own (as the suite's
/// `test_all` does).
fn run<F, Fut>(case: F)
where
    F: FnOnce(LogStore, StateMachine) -> Fut,
    Fut: std::future::Future<Output = Result<(), StorageError>>,
{
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let (_dir, log, machine) = RocksBuilder.build().await.expect("a store");
        case(log, machine).await.expect("the case passes");
    });
}

/// Every case of `Suite::test_store` but its last, `transfer_snapshot`, in its order.
/// That one replaces the receiver's snapshot handle with the sender's file handle
/// (`*received = *sent.snapshot`), which assumes the handle carries the bytes; this state
/// machine imports from the file it received into, so the case is run adapted, with the
/// bytes copied, in [`blocks_then_the_suite_entries`].
#[test]
fn the_openraft_storage_suite_passes() {
    run(Rocks::last_membership_in_log_initial);
    run(Rocks::last_membership_in_log);
    run(Rocks::last_membership_in_log_multi_step);
    run(Rocks::get_membership_initial);
    run(Rocks::get_membership_from_log_and_empty_sm);
    run(Rocks::get_membership_from_empty_log_and_sm);
    run(Rocks::get_membership_from_log_le_sm_last_applied);
    run(Rocks::get_membership_from_log_gt_sm_last_applied_1);
    run(Rocks::get_membership_from_log_gt_sm_last_applied_2);
    run(Rocks::get_initial_state_without_init);
    run(Rocks::get_initial_state_membership_from_log_and_sm);
    run(Rocks::get_initial_state_with_state);
    run(Rocks::get_initial_state_last_log_gt_sm);
    run(Rocks::get_initial_state_last_log_lt_sm);
    run(Rocks::get_initial_state_log_ids);
    run(Rocks::get_initial_state_re_apply_committed);
    run(Rocks::save_vote);
    run(Rocks::get_log_entries);
    run(Rocks::limited_get_log_entries);
    run(Rocks::try_get_log_entry);
    run(Rocks::initial_logs);
    run(Rocks::get_log_state);
    run(Rocks::get_log_id);
    run(Rocks::last_id_in_log);
    run(Rocks::last_applied_state);
    run(Rocks::purge_logs_upto_0);
    run(Rocks::purge_logs_upto_5);
    run(Rocks::purge_logs_upto_20);
    run(Rocks::delete_logs_since_11);
    run(Rocks::delete_logs_since_0);
    run(Rocks::append_to_log);
    run(Rocks::snapshot_meta);
    run(Rocks::apply_single);
    run(Rocks::apply_multiple);
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
