use std::time::Duration;

use truffle_testnet::bench::{
    run_catch_up, run_failover, run_load, CatchUpOptions, LoadOptions, ReadNodes, Workload,
};
use truffle_wire::keyfile::read_key_file;

use crate::args::{BenchCommand, ReadNodesArg, WorkloadArg};
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

pub(crate) async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Load {
            nodes,
            followers,
            reads_on,
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
            dir,
            output,
        } => {
            let (dir, _temp) = folder(dir)?;
            let report = run_failover(nodes, trials, &dir).await?;
            print(output, &report, || {
                let trials: Vec<String> =
                    report.trials_ms.iter().map(|t| format!("{t:.0}")).collect();
                format!(
                    "leader failover (kill → first block of a new leader), {} trials, nodes built {}\n  median {:.0} ms   min {:.0} ms   max {:.0} ms\n  trials: {}",
                    report.trials_ms.len(),
                    report.build,
                    report.median_ms,
                    report.min_ms,
                    report.max_ms,
                    trials.join(", ")
                )
            });
        }
    }
    Ok(())
}
