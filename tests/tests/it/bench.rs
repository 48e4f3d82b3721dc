//! The load generator (`truffle bench load`) against a real 3-node cluster: every kind
//! of operation completes and is reported on its own.

use std::time::Duration;

use truffle_testnet::bench::{
    run_catch_up, run_failover, run_load, CatchUpOptions, LoadOptions, RaftTiming, ReadNodes,
    Workload,
};

fn options(dir: &std::path::Path, workload: Workload, operations: usize) -> LoadOptions {
    LoadOptions {
        nodes: 3,
        followers: 0,
        reads_on: ReadNodes::All,
        raft: None,
        targets: Vec::new(),
        admin_key: None,
        registrar_keys: Vec::new(),
        transactions: operations,
        clients: 16,
        batch: 1,
        rate: None,
        timeout: Duration::from_secs(30),
        workload,
        dir: dir.join("cluster"),
        attack: None,
        audit: false,
    }
}

/// Issue #20, item 8: the load beside an attacker (slow connections and an `auth_login`
/// flood from 127.0.1.0/24): every transaction still commits, the flood is throttled or
/// turned away, and most slow connections never get a place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_beside_an_attack_loses_nothing() -> anyhow::Result<()> {
    truffle_testnet::truffle_binary()?;
    let dir = tempfile::tempdir()?;
    let report = run_load(&LoadOptions {
        attack: Some(truffle_testnet::bench::AttackOptions {
            slow_connections: 200,
            login_flood: 4,
        }),
        ..options(dir.path(), Workload::RaffleEntries, 200)
    })
    .await?;
    assert_eq!(report.committed, report.submitted, "{}", report.table());
    assert_eq!(report.timed_out, 0, "{}", report.table());
    let attack = report.attack.as_ref().expect("an attack report");
    assert!(attack.logins_sent > 0, "{}", report.table());
    assert!(
        attack.logins_checked <= 20,
        "at most the client network's 20 failures are checked: {}",
        report.table()
    );
    assert!(
        attack.slow_refused > 0,
        "200 slow connections from one network exceed its 64 places: {}",
        report.table()
    );
    assert!(report.table().contains("attack on node 0"));
    Ok(())
}

/// A closed-loop mix: raffle entries, registrations and transfers all commit, searches
/// and recommendations are all answered, each kind reported with its own latency, and
/// the nodes' resources are read; then an auditor replays the whole chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_load_completes_every_kind_of_operation() -> anyhow::Result<()> {
    truffle_testnet::truffle_binary()?;
    let dir = tempfile::tempdir()?;
    let report = run_load(&LoadOptions {
        audit: true,
        ..options(dir.path(), Workload::Mix, 150)
    })
    .await?;
    println!("{}", report.table());

    // 150 operations, a fifth of each kind: 90 transactions, 60 reads.
    assert_eq!(report.submitted, 90);
    assert_eq!(report.committed, 90, "{report:?}");
    assert_eq!((report.rejected, report.timed_out), (0, 0));
    assert!(report.blocks >= 1);
    let kinds: Vec<Workload> = report.by_kind.iter().map(|k| k.kind).collect();
    assert_eq!(kinds, Workload::MIXED.to_vec());
    for kind in &report.by_kind {
        assert_eq!(
            (kind.operations, kind.completed, kind.failed, kind.timed_out),
            (30, 30, 0, 0),
            "{kind:?}"
        );
        let l = &kind.latency_ms;
        assert!(0.0 < l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
    }
    assert_eq!(report.node_usage.len(), 3);
    for node in &report.node_usage {
        assert!(node.cpu_secs > 0.0, "{node:?}");
        assert!(
            node.peak_rss_mib >= node.rss_mib && node.rss_mib > 0.0,
            "{node:?}"
        );
    }
    // The replay covers the setup's blocks too: every block and transaction of the chain.
    let audit = report.audit.as_ref().expect("an auditor's replay");
    assert!(audit.verified, "{audit:?}");
    assert!(audit.blocks >= report.blocks, "{audit:?}");
    assert!(audit.transactions >= report.committed as u64, "{audit:?}");
    assert!(report.table().contains("auditor"), "{}", report.table());
    Ok(())
}

/// An open-loop read workload: requests go out at the rate whether or not earlier
/// ones were answered, and every one is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_loop_of_searches_is_answered() -> anyhow::Result<()> {
    truffle_testnet::truffle_binary()?;
    let dir = tempfile::tempdir()?;
    let report = run_load(&LoadOptions {
        rate: Some(200.0),
        ..options(dir.path(), Workload::Searches, 100)
    })
    .await?;
    assert_eq!(report.submitted, 0, "no transactions in a read workload");
    let [searches] = report.by_kind.as_slice() else {
        panic!("one kind: {:?}", report.by_kind);
    };
    assert_eq!(searches.kind, Workload::Searches);
    assert_eq!((searches.completed, searches.failed), (100, 0));
    assert!(report.table().contains("Searches"));
    Ok(())
}

/// Issue #22, item 7: with a follower beside the validators and the reads sent to it,
/// the transactions of a mix still commit through the validators and every search and
/// recommendation is answered by the follower (its CPU is measured apart).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_can_be_served_by_a_follower() -> anyhow::Result<()> {
    truffle_testnet::truffle_binary()?;
    let dir = tempfile::tempdir()?;
    let report = run_load(&LoadOptions {
        followers: 1,
        reads_on: ReadNodes::Followers,
        ..options(dir.path(), Workload::Mix, 100)
    })
    .await?;
    println!("{}", report.table());
    assert_eq!((report.submitted, report.committed), (60, 60), "{report:?}");
    for kind in &report.by_kind {
        assert_eq!((kind.completed, kind.failed), (20, 0), "{kind:?}");
    }
    assert_eq!((report.nodes, report.followers), (3, 1));
    assert_eq!(
        report.node_usage.len(),
        4,
        "the follower's usage is read too"
    );
    assert!(report
        .table()
        .contains("+ 1 followers (reads on Followers)"));
    Ok(())
}

/// Issue #22, item 7: the catch-up measurement times a follower from an empty folder to
/// the validators' head, by block replay and by snapshot, and checks the header it
/// reaches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_catch_up_is_timed_to_the_validators_head() -> anyhow::Result<()> {
    truffle_testnet::truffle_binary()?;
    for (snapshot_every_entries, by_snapshot) in [(1_000_000, false), (20, true)] {
        let dir = tempfile::tempdir()?;
        let report = run_catch_up(&CatchUpOptions {
            validators: 4,
            transactions: 200,
            clients: 4,
            snapshot_every_entries,
            dir: dir.path().join("cluster"),
        })
        .await?;
        println!("{}", report.table());
        assert!(report.same_header, "{report:?}");
        assert_eq!(report.by_snapshot, by_snapshot, "{report:?}");
        // 200 registrations and the follower's admission, in blocks of at most 4.
        assert_eq!(report.transactions, 201, "{report:?}");
        assert!(report.blocks >= 50, "{report:?}");
        assert!(report.blocks_per_sec > 0.0 && report.follower_cpu_secs > 0.0);
        // The auditor replayed the same chain from the genesis, every block.
        assert!(report.audit.verified, "{report:?}");
        assert_eq!(
            (report.audit.blocks, report.audit.transactions),
            (report.blocks, report.transactions),
            "{report:?}"
        );
        assert!(report.audit.transactions_per_second > 0.0, "{report:?}");
    }
    Ok(())
}

/// Issue #26: clients that submit batches (`tx_submitBatch`, 25 a call) get every
/// transaction committed and each one's latency reported, in closed and open loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_submissions_all_commit() -> anyhow::Result<()> {
    truffle_testnet::truffle_binary()?;
    for rate in [None, Some(500.0)] {
        let dir = tempfile::tempdir()?;
        let report = run_load(&LoadOptions {
            batch: 25,
            rate,
            ..options(dir.path(), Workload::RaffleEntries, 400)
        })
        .await?;
        println!("{}", report.table());
        assert_eq!(
            (report.submitted, report.committed),
            (400, 400),
            "{report:?}"
        );
        assert_eq!((report.rejected, report.timed_out), (0, 0));
        assert!(report.table().contains("submitting batches of 25"));
        let l = &report.latency_ms;
        assert!(0.0 < l.p50 && l.p50 <= l.p99, "{l:?}");
    }
    Ok(())
}

/// Issue #26: the failover measurement kills the leader of a cluster started with the
/// Raft timing asked for, and reports each trial, the median and the p99.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_is_measured_with_the_timing_asked_for() -> anyhow::Result<()> {
    truffle_testnet::truffle_binary()?;
    let dir = tempfile::tempdir()?;
    let timing = RaftTiming {
        heartbeat_ms: 50,
        election_min_ms: 200,
        election_max_ms: 400,
    };
    let report = run_failover(3, 2, Some(timing), &dir.path().join("cluster")).await?;
    assert_eq!(report.raft, timing);
    assert_eq!(report.trials_ms.len(), 2, "{report:?}");
    // A follower grants no vote within the lease (the longest timeout) of the dead
    // leader's last heartbeat, so no trial can be shorter than the shortest timeout.
    assert!(report.min_ms >= timing.election_min_ms as f64, "{report:?}");
    assert!(report.min_ms <= report.median_ms && report.median_ms <= report.p99_ms);
    assert!(report.p99_ms <= report.max_ms);
    Ok(())
}
