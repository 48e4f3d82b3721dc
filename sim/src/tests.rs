//! The simulation's own tests: a seed replays exactly, and a few hundred seeds keep
//! every invariant (the long run is `truffle sim`, see TESTING.md).

use super::*;

/// Seeds that once broke an invariant (with the short run's faults), kept so they stay
/// fixed. 200186, 200633, 200845: a follower stopped for ever below a height whose
/// certificate one peer lacked, because a validator fetching it stopped at the first
/// peer that held any later certificate.
const REGRESSION_SEEDS: &[u64] = &[200_186, 200_633, 200_845];

/// Seeds CI runs (`TRUFFLE_SIM_SEEDS` overrides).
const CI_SEEDS: u64 = 200;

fn short() -> SimConfig {
    SimConfig {
        fault_ms: 8_000,
        ..SimConfig::default()
    }
}

fn describe(error: &SimError) -> String {
    match error {
        SimError::Broken {
            seed,
            problems,
            trace,
        } => {
            let tail: Vec<&String> = trace.iter().rev().take(60).rev().collect();
            format!("seed {seed}: {problems:#?}\nlast trace lines:\n{tail:#?}")
        }
        other => other.to_string(),
    }
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    for seed in [3, 11] {
        let differs = replay_differs(seed, &short()).unwrap_or_else(|e| panic!("{}", describe(&e)));
        if let Some((a, b)) = differs {
            panic!("seed {seed}: the traces part at\n  {a}\n  {b}");
        }
        let report = run_seed(seed, &short()).unwrap_or_else(|e| panic!("{}", describe(&e)));
        assert!(report.stats.acknowledged_blocks > 10, "{:?}", report.stats);
    }
}

#[test]
fn seeds_keep_every_invariant() {
    let count = std::env::var("TRUFFLE_SIM_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CI_SEEDS);
    let config = short();
    let began = std::time::Instant::now();
    let mut failures = run_seeds(1_000, count, 2, &config, &|_, _, _| {});
    for seed in REGRESSION_SEEDS {
        if let Err(error) = run_seed(*seed, &config) {
            failures.push(error);
        }
    }
    let described: Vec<String> = failures.iter().map(describe).collect();
    assert!(described.is_empty(), "{}", described.join("\n\n"));
    eprintln!("{count} seeds in {:?}", began.elapsed());
}

/// Followers are in the run, and the lying validator's lies reach them and are all
/// refused (the run itself fails on a lie applied or an honest block refused).
#[test]
fn followers_refuse_every_lie_of_a_lying_validator() {
    let report = run_seed(10, &short()).unwrap_or_else(|e| panic!("{}", describe(&e)));
    assert!(report.followers >= 1 && report.liar, "{report:?}");
    assert!(report.stats.lies > 0, "{:?}", report.stats);
    assert_eq!(report.stats.follower_refusals, report.stats.lies);
}
