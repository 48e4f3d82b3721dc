//! Product search over 100,000 generated products: index build time, then query latency.
//!
//! `cargo bench -p truffle-index --bench search` prints the build time and p50/p90/p99
//! latencies of a query mix (a custom measurement), then runs criterion per query kind.
//! `TRUFFLE_BENCH_PRODUCTS` changes the number of products.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use truffle_index::fixtures::synthetic_products;
use truffle_index::{Availability, SearchIndex, SearchQuery, SortOrder};

fn query_mix() -> Vec<(&'static str, SearchQuery)> {
    let text = SearchQuery::text;
    let mut filtered = text("나이키 덩크");
    filtered.filters.brand = Some("Nike".into());
    filtered.filters.max_price = Some(200_000);
    filtered.filters.availability = Availability::Available;
    let mut by_price = text("조던1");
    by_price.sort = SortOrder::PriceAsc;
    let mut deep = text("sneakers");
    deep.page = 20;
    // The longest text accepted: 200 Hangul characters without a space, and 100 words.
    let long_run: String = "나이키덩크로우레트로범고래"
        .chars()
        .cycle()
        .take(truffle_index::MAX_QUERY_CHARS)
        .collect();
    let many_words: String = "nike 덩크 ".repeat(50).trim().chars().take(200).collect();
    let mut browse = SearchQuery::default();
    browse.filters.has_open_raffle = Some(true);
    vec![
        ("ko_two_words", text("나이키 덩크")),
        ("mixed", text("dunk low 범고래")),
        ("letter_digit", text("조던1")),
        ("en_partial", text("macall 18")),
        ("ko_run_together", text("나이키덩크범고래")),
        ("synonym_phrase", text("new balance 2002r")),
        ("model_code", text("DD1391-100")),
        ("filtered", filtered),
        ("sorted_by_price", by_price),
        ("common_word_page_20", deep),
        ("browse_raffles", browse),
        ("worst_200_hangul", SearchQuery::text(long_run)),
        ("worst_many_words", SearchQuery::text(many_words)),
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn bench_search(c: &mut Criterion) {
    let n: usize = std::env::var("TRUFFLE_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let docs = synthetic_products(n, 42);
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let mut index = SearchIndex::open(dir.path()).expect("open");
    index.upsert(docs).expect("upsert");
    index.commit(1).expect("commit");
    let build = started.elapsed();
    println!(
        "search index: built {} products in {:.1?} ({:.0} docs/s)",
        index.num_docs(),
        build,
        n as f64 / build.as_secs_f64()
    );

    let mix = query_mix();
    // Warm up, then time every query of the mix in rounds.
    for (_, q) in &mix {
        black_box(index.search(q).expect("search"));
    }
    let rounds = 30;
    let mut all = Vec::with_capacity(rounds * mix.len());
    let mut per_query: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); mix.len()];
    for _ in 0..rounds {
        for (i, (_, q)) in mix.iter().enumerate() {
            let t = Instant::now();
            let results = index.search(q).expect("search");
            let elapsed = t.elapsed();
            black_box(results);
            all.push(elapsed);
            per_query[i].push(elapsed);
        }
    }
    all.sort();
    println!(
        "query mix over {} products, {} timed searches: p50 {:.2?}  p90 {:.2?}  p99 {:.2?}  max {:.2?}",
        n,
        all.len(),
        percentile(&all, 0.50),
        percentile(&all, 0.90),
        percentile(&all, 0.99),
        all[all.len() - 1],
    );
    for ((name, q), mut times) in mix.iter().zip(per_query) {
        times.sort();
        let total = index.search(q).expect("search").total;
        println!(
            "  {name:<22} p50 {:>9.2?}  p99 {:>9.2?}  ({total} matches)",
            percentile(&times, 0.50),
            percentile(&times, 0.99),
        );
    }

    let mut group = c.benchmark_group("search_100k");
    for (name, q) in &mix {
        group.bench_function(*name, |b| {
            b.iter(|| index.search(black_box(q)).expect("search"))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_search
}
criterion_main!(benches);
