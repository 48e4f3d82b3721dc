//! `truffle reco eval` (the ranking core on MovieLens 100K, leave-one-out) and
//! `truffle reco bench` (reco_forMe latency on a synthetic market).

use std::path::PathBuf;
use std::time::Instant;

use clap::{Subcommand, ValueEnum};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use truffle_reco::eval::{evaluate, EvalConfig, Split};
use truffle_reco::model::Params;
use truffle_reco::movielens::{self, MovieLensError};
use truffle_reco::synthetic;
use truffle_reco::{Built, Viewer};

use crate::output::print;
use crate::output::OutputFormat;

/// Which interaction `eval` holds out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SplitArg {
    /// Each user's latest (the reported figures).
    Test,
    /// Each user's second-latest, the latest dropped (the tuning split).
    Validation,
}

/// `truffle reco ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RecoCommand {
    /// Rank MovieLens 100K with the node's recommender, leave-one-out, next to popularity
    /// baselines: HR@10 and NDCG@10 with standard errors. Prints "skipped: ..." and exits
    /// 0 when the dataset is not there (scripts/setup.sh fetches it).
    Eval {
        /// Folder with ml-100k.inter, .user and .item (default:
        /// $TRUFFLE_DATA_CACHE/ml-100k, else ~/.cache/truffle/ml-100k).
        #[arg(long)]
        dataset: Option<PathBuf>,
        /// Which interaction is held out.
        #[arg(long, value_enum, default_value_t = SplitArg::Test)]
        split: SplitArg,
        /// Seed of the negative sampling.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Negatives per user.
        #[arg(long, default_value_t = 100)]
        negatives: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// Build the recommender over a synthetic market and time reco_forMe-equivalent
    /// calls (rank, filter, first page with reasons) for random members.
    Bench {
        /// Members.
        #[arg(long, default_value_t = 100_000)]
        members: usize,
        /// Products.
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        /// Mean purchases per member.
        #[arg(long = "mean-purchases", default_value_t = 5)]
        mean_purchases: usize,
        /// Calls measured.
        #[arg(long, default_value_t = 10_000)]
        calls: usize,
        /// Seed of the market and of the members asked for.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
}

/// What `truffle reco bench` measured.
#[derive(Debug, Serialize)]
struct BenchReport {
    members: usize,
    items: usize,
    interactions: usize,
    build_ms: u128,
    calls: usize,
    p50_us: u128,
    p90_us: u128,
    p99_us: u128,
    max_us: u128,
}

pub(crate) async fn run(command: RecoCommand) -> anyhow::Result<()> {
    match command {
        RecoCommand::Eval {
            dataset,
            split,
            seed,
            negatives,
            output,
        } => {
            let dir = dataset.unwrap_or_else(movielens::default_dir);
            let ml = match movielens::load(&dir) {
                Ok(ml) => ml,
                Err(MovieLensError::Missing(path)) => {
                    println!(
                        "skipped: {} is missing; run scripts/setup.sh (or pass --dataset DIR) to evaluate on MovieLens 100K",
                        path.display()
                    );
                    return Ok(());
                }
                Err(error) => return Err(error.into()),
            };
            let config = EvalConfig {
                split: match split {
                    SplitArg::Test => Split::Test,
                    SplitArg::Validation => Split::Validation,
                },
                negatives,
                seed,
                ..EvalConfig::default()
            };
            let started = Instant::now();
            let report = tokio::task::spawn_blocking(move || evaluate(&ml.data, &config)).await?;
            let elapsed = started.elapsed();
            print(output, &report, || {
                let mut text = format!(
                    "MovieLens 100K, leave-one-out ({:?} split): {} users, {} items, {} interactions; {} negatives per user, seed {}; {:.1} s\n\n{:<32} {:>18} {:>18}\n",
                    report.split, report.users, report.items, report.interactions, report.negatives,
                    report.seed, elapsed.as_secs_f64(), "method", format!("HR@{}", report.k), format!("NDCG@{}", report.k)
                );
                for m in &report.methods {
                    text.push_str(&format!(
                        "{:<32} {:>8.4} ± {:.4} {:>8.4} ± {:.4}\n",
                        m.method, m.hr, m.hr_se, m.ndcg, m.ndcg_se
                    ));
                }
                text
            });
            Ok(())
        }
        RecoCommand::Bench {
            members,
            items,
            mean_purchases,
            calls,
            seed,
            output,
        } => {
            let report = tokio::task::spawn_blocking(move || {
                bench(members, items, mean_purchases, calls, seed)
            })
            .await?;
            print(output, &report, || {
                format!(
                    "{} members, {} products, {} purchases; model built in {} ms\n{} reco_forMe calls (first page of 12): p50 {} µs, p90 {} µs, p99 {} µs, max {} µs",
                    report.members, report.items, report.interactions, report.build_ms, report.calls,
                    report.p50_us, report.p90_us, report.p99_us, report.max_us
                )
            });
            Ok(())
        }
    }
}

fn bench(
    members: usize,
    items: usize,
    mean_purchases: usize,
    calls: usize,
    seed: u64,
) -> BenchReport {
    let (data, view) = synthetic::market(members, items, mean_purchases, seed);
    let interactions = data.interactions.len();
    let started = Instant::now();
    let built = Built::new(&data, view, Params::default());
    let build_ms = started.elapsed().as_millis();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut latencies: Vec<u128> = Vec::with_capacity(calls);
    for _ in 0..calls {
        let member = rng.gen_range(0..members.max(1));
        let viewer = Viewer {
            account: Some(synthetic::member_key(member)),
            cohort: data.cohorts.get(member).copied().flatten(),
        };
        let call = Instant::now();
        let page = built.for_viewer(&viewer, 1, 12);
        latencies.push(call.elapsed().as_micros());
        std::hint::black_box(page);
    }
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    BenchReport {
        members,
        items,
        interactions,
        build_ms,
        calls,
        p50_us: at(0.50),
        p90_us: at(0.90),
        p99_us: at(0.99),
        max_us: latencies.last().copied().unwrap_or(0),
    }
}
