use std::time::Duration;

use truffle_testnet::bench::{
    run_catch_up, run_failover, run_load, CatchUpOptions, LoadOptions, RaftTiming, ReadNodes,
    Workload,
};
use truffle_wire::keyfile::read_key_file;

use crate::args::{BenchCommand, BenchRaftArgs, ReadNodesArg, WorkloadArg};
use crate::output::print;

fn folder(
    dir: Option<std::path::PathBuf>,
) -> anyhow::Result<(std::path::PathBuf, Option<tempfile::TempDir>)> {
    match dir {
        Some(dir) => Ok((dir, None)),
        None => {
            let temp = tempfile::tempdir()?;
            Ok((temp.path().join("cluster"), Some(temp)))
        }
    }
}

/// The timing flags, completed from the testnet's defaults and checked as Raft will.
fn raft_timing(args: &BenchRaftArgs) -> anyhow::Result<Option<RaftTiming>> {
    if args.heartbeat_ms.is_none()
        && args.election_min_ms.is_none()
        && args.election_max_ms.is_none()
    {
        return Ok(None);
    }
    let defaults = truffle_testnet::TestnetOptions::default();
    let timing = RaftTiming {
        heartbeat_ms: args.heartbeat_ms.unwrap_or(defaults.heartbeat_ms),
        election_min_ms: args
            .election_min_ms
            .unwrap_or(defaults.election_timeout_ms.0),
        election_max_ms: args
            .election_max_ms
            .unwrap_or(defaults.election_timeout_ms.1),
    };
    anyhow::ensure!(
        timing.heartbeat_ms < timing.election_min_ms && timing.election_min_ms < timing.election_max_ms,
        "--raft.heartbeat-ms < --raft.election-min-ms < --raft.election-max-ms is needed, got {} / {} / {}",
        timing.heartbeat_ms,
        timing.election_min_ms,
        timing.election_max_ms
    );
    Ok(Some(timing))
}

pub(crate) async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Load {
            nodes,
            followers,
            reads_on,
            raft,
            targets,
            admin_key,
            registrar_keys,
            workload,
            transactions,
            clients,
            batch,
            rate,
            timeout_secs,
            dir,
            output,
            attack_slow_connections,
            attack_login_flood,
            audit,
        } => {
            let (dir, _temp) = folder(dir)?;
            let attack = (attack_slow_connections > 0 || attack_login_flood > 0).then_some(
                truffle_testnet::bench::AttackOptions {
                    slow_connections: attack_slow_connections,
                    login_flood: attack_login_flood,
                },
            );
            let options = LoadOptions {
                attack,
                nodes,
                followers,
                raft: raft_timing(&raft)?,
                reads_on: match reads_on {
                    ReadNodesArg::All => ReadNodes::All,
                    ReadNodesArg::Validators => ReadNodes::Validators,
                    ReadNodesArg::Followers => ReadNodes::Followers,
                },
                targets,
                admin_key: admin_key.map(|p| read_key_file(&p)).transpose()?,
                registrar_keys: registrar_keys
                    .iter()
                    .map(|p| read_key_file(p))
                    .collect::<Result<_, _>>()?,
                transactions,
                clients,
                batch: usize::from(batch),
                rate,
                timeout: Duration::from_secs(timeout_secs),
                workload: match workload {
                    WorkloadArg::RaffleEntries => Workload::RaffleEntries,
                    WorkloadArg::Registrations => Workload::Registrations,
                    WorkloadArg::Transfers => Workload::Transfers,
                    WorkloadArg::Searches => Workload::Searches,
                    WorkloadArg::Recommendations => Workload::Recommendations,
                    WorkloadArg::Mix => Workload::Mix,
                },
                dir,
                audit,
            };
            let report = run_load(&options).await?;
            print(output, &report, || report.table());
        }
        BenchCommand::CatchUp {
            validators,
            transactions,
            clients,
            snapshot_every_entries,
            dir,
            output,
        } => {
            let (dir, _temp) = folder(dir)?;
            let report = run_catch_up(&CatchUpOptions {
                validators,
                transactions,
                clients,
                snapshot_every_entries,
                dir,
            })
            .await?;
            print(output, &report, || report.table());
        }
        BenchCommand::Failover {
            nodes,
            trials,
            raft,
            dir,
            output,
        } => {
            let timing = raft_timing(&raft)?;
            let (dir, _temp) = folder(dir)?;
            let report = run_failover(nodes, trials, timing, &dir).await?;
            print(output, &report, || {
                let trials: Vec<String> =
                    report.trials_ms.iter().map(|t| format!("{t:.0}")).collect();
                format!(
                    "leader failover (kill → first block of a new leader), {} trials, nodes built {}\n  raft: heartbeat {} ms, elections after {}–{} ms\n  median {:.0} ms   p99 {:.0} ms   min {:.0} ms   max {:.0} ms\n  trials: {}",
                    report.trials_ms.len(),
                    report.build,
                    report.raft.heartbeat_ms,
                    report.raft.election_min_ms,
                    report.raft.election_max_ms,
                    report.median_ms,
                    report.p99_ms,
                    report.min_ms,
                    report.max_ms,
                    trials.join(", ")
                )
            });
        }
    }
    Ok(())
}
