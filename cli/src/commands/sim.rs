//! `truffle sim`: the deterministic simulation of a validator cluster (`truffle-sim`)
//! over a range of seeds; a failing seed prints what broke and replays with `--from`.

use std::time::Duration;

use truffle_sim::{run_seeds, SimConfig, SimError, SimReport};

/// `truffle sim`
#[derive(Debug, clap::Args)]
pub(crate) struct SimArgs {
    /// Seeds to run.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Validators (default: 3 to 5, drawn from each seed).
    #[arg(long)]
    validators: Option<usize>,
    /// Follower nodes (default: 1 or 2, drawn from each seed; with followers, half the
    /// seeds have a validator that lies to them).
    #[arg(long)]
    followers: Option<usize>,
    /// Simulated time under faults per seed, ms (then the cluster is healed and checked).
    #[arg(long, default_value_t = 20_000)]
    fault_ms: u64,
    /// Seeds run at once, one thread each.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Print every seed's trace, not only failing ones'.
    #[arg(long)]
    trace: bool,
    /// Run each seed twice and compare the traces instead (the same seed must give the
    /// same run).
    #[arg(long)]
    replay: bool,
}

fn line(seed: u64, result: &Result<SimReport, SimError>, took: Duration) -> String {
    match result {
        Ok(r) => format!(
            "seed {seed}: ok in {:.2} s: {} validators, {} followers ({}), height {}, \
             {} blocks ({} txs) acknowledged, {} unknown, {} crashes ({} unsynced entries lost), \
             {} follower crashes, {} restarts, {} partitions, {} skews, {} messages ({} lost, \
             {} duplicated), {} lies to followers ({} refused), {} draws, {} paid orders, trace {}",
            took.as_secs_f64(),
            r.validators,
            r.followers,
            if r.liar { "a liar" } else { "no liar" },
            r.height,
            r.stats.acknowledged_blocks,
            r.stats.acknowledged_transactions,
            r.stats.unknown_outcomes,
            r.stats.crashes,
            r.stats.lost_entries,
            r.stats.follower_crashes,
            r.stats.restarts,
            r.stats.partitions,
            r.stats.skews,
            r.stats.messages,
            r.stats.lost,
            r.stats.duplicated,
            r.stats.lies,
            r.stats.follower_refusals,
            r.draws,
            r.paid_orders,
            &r.trace_digest.to_hex()[..16],
        ),
        Err(error) => format!(
            "seed {seed}: FAILED in {:.2} s: {error}",
            took.as_secs_f64()
        ),
    }
}

/// Runs the seeds; fails when any seed broke an invariant.
pub(crate) fn run(args: SimArgs) -> anyhow::Result<()> {
    let config = SimConfig {
        validators: args.validators,
        followers: args.followers,
        fault_ms: args.fault_ms,
        keep_trace: args.trace,
    };
    if args.replay {
        return replay(&args, &config);
    }
    let began = std::time::Instant::now();
    let print_trace = args.trace;
    let failures = run_seeds(
        args.from,
        args.seeds,
        args.jobs,
        &config,
        &|seed, result, took| {
            println!("{}", line(seed, result, took));
            if let (true, Ok(report)) = (print_trace, result) {
                for entry in &report.trace {
                    println!("  {entry}");
                }
            }
        },
    );
    let elapsed = began.elapsed();
    println!(
        "{} seeds from {} in {:.1} s ({:.3} s a seed, {} at once): {} failed",
        args.seeds,
        args.from,
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() / args.seeds.max(1) as f64,
        args.jobs,
        failures.len()
    );
    for failure in &failures {
        if let SimError::Broken {
            seed,
            problems,
            trace,
        } = failure
        {
            println!("\nseed {seed} broke:");
            for problem in problems {
                println!("  - {problem}");
            }
            println!("trace:");
            for entry in trace {
                println!("  {entry}");
            }
        } else {
            println!("\n{failure}");
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} seed(s) failed", failures.len())
    }
}

/// `--replay`: each seed twice, the traces compared.
fn replay(args: &SimArgs, config: &SimConfig) -> anyhow::Result<()> {
    let mut differing = Vec::new();
    for seed in args.from..args.from.saturating_add(args.seeds) {
        // A thread of its own: each run builds its runtime, and this one is async.
        let outcome = std::thread::scope(|scope| {
            scope
                .spawn(|| truffle_sim::replay_differs(seed, config))
                .join()
        })
        .map_err(|_| anyhow::anyhow!("seed {seed}: the simulation panicked"))?;
        match outcome {
            Ok(None) => println!("seed {seed}: the same trace twice"),
            Ok(Some((first, second))) => {
                println!("seed {seed}: the traces part at\n  {first}\n  {second}");
                differing.push(seed);
            }
            Err(error) => {
                println!("seed {seed}: {error}");
                differing.push(seed);
            }
        }
    }
    anyhow::ensure!(differing.is_empty(), "seeds {differing:?} did not replay");
    Ok(())
}
