//! The ranking core: users, items and interactions in, scored items out. It knows
//! nothing of the ledger, so the same code ranks a marketplace's limited editions and
//! MovieLens films (see [`crate::eval`]).
//!
//! score(item) = w_together · co-occurrence with the member's recent history
//!             + w_content  · match of its features with the member's recent taste
//!             + w_cohort   · popularity in the member's gender × age band
//!             + w_popular  · everyone's (recency-weighted) popularity
//!             + w_fresh    · how new the item is
//!
//! Each term is in 0..=1 and independent of which other items are scored, so a ranking
//! of 101 sampled items (evaluation) and of the whole catalogue (the node) agree.

use std::collections::{HashMap, HashSet};

use crate::signals::content::Content;
use crate::signals::freshness::freshness;
use crate::signals::history::{recent, Weighted};
use crate::signals::neighbours::Neighbours;
use crate::signals::popularity::Popularity;

pub use crate::data::{Cohort, HistoryEntry, Interaction, ItemIx, UserIx};

/// What a model is built from.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    /// Each user's cohort, if known.
    pub cohorts: Vec<Option<Cohort>>,
    /// Each item's content feature ids.
    pub features: Vec<Vec<u32>>,
    /// When each item appeared, if known (same unit as interaction times).
    pub added: Vec<Option<u64>>,
    /// Everything users did.
    pub interactions: Vec<Interaction>,
}

impl Dataset {
    /// Each user's interactions as a history, oldest first (ties by item).
    pub fn histories(&self) -> Vec<Vec<HistoryEntry>> {
        let mut out: Vec<Vec<HistoryEntry>> = vec![Vec::new(); self.cohorts.len()];
        for i in &self.interactions {
            out[i.user as usize].push(HistoryEntry {
                item: i.item,
                time: i.time,
                weight: i.weight,
            });
        }
        for history in &mut out {
            history.sort_by(|a, b| a.time.cmp(&b.time).then(a.item.cmp(&b.item)));
        }
        out
    }
}

/// A day in the model's time unit (seconds).
pub const DAY: f64 = 86_400.0;

/// The blend weights and the knobs of each signal.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Weight of co-occurrence with the history.
    pub w_together: f32,
    /// Weight of the content match.
    pub w_content: f32,
    /// Weight of cohort popularity.
    pub w_cohort: f32,
    /// Weight of everyone's popularity.
    pub w_popular: f32,
    /// Weight of freshness.
    pub w_fresh: f32,
    /// The n-th latest interaction weighs `0.5^(n / history_half_life)`.
    pub history_half_life: f32,
    /// Interactions of a history looked at (the latest ones).
    pub max_history: usize,
    /// Neighbours kept per item.
    pub neighbours: usize,
    /// Damping of heavy users' co-occurrences (exponent of 1/|items|).
    pub user_damping: f32,
    /// Popularity halves every this many time units (0: no decay).
    pub trend_half_life: f64,
    /// Pseudo-interactions pulling a cohort towards everyone's taste.
    pub cohort_shrink: f32,
    /// Freshness halves every this many time units (0: off).
    pub fresh_half_life: f64,
    /// Candidates taken from each source when ranking the whole catalogue.
    pub candidates_per_source: usize,
}

impl Default for Params {
    /// Tuned on MovieLens 100K's validation split (each user's second-latest interaction;
    /// see BENCHMARKS.md), never on the held-out test interactions.
    fn default() -> Params {
        Params {
            w_together: 30.0,
            w_content: 0.1,
            w_cohort: 0.3,
            w_popular: 0.1,
            w_fresh: 0.05,
            history_half_life: 2.0,
            max_history: 200,
            neighbours: 100,
            user_damping: 0.5,
            trend_half_life: 30.0 * DAY,
            cohort_shrink: 5.0,
            fresh_half_life: 14.0 * DAY,
            candidates_per_source: 200,
        }
    }
}

/// Which signal put an item where it is (the strongest term of its score).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Popular in the user's cohort.
    Cohort,
    /// Popular with everyone.
    Popular,
    /// Bought (or entered) together with `anchor`, from the user's history.
    Together {
        /// The history item.
        anchor: ItemIx,
    },
    /// Like `anchor` (shared features), from the user's history.
    Content {
        /// The history item.
        anchor: ItemIx,
    },
    /// Newly added.
    Fresh,
}

/// An item with its score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    /// The item.
    pub item: ItemIx,
    /// Higher first.
    pub score: f32,
    /// Why.
    pub reason: Signal,
}

/// Who is ranked for: a cohort (maybe unknown) and a history (maybe empty).
#[derive(Clone, Copy, Debug, Default)]
pub struct Query<'a> {
    /// Gender × age band.
    pub cohort: Option<Cohort>,
    /// Past interactions, oldest first.
    pub history: &'a [HistoryEntry],
}

/// A built model.
#[derive(Clone, Debug, Default)]
pub struct Model {
    params: Params,
    popularity: Popularity,
    neighbours: Neighbours,
    content: Content,
    fresh: Vec<f32>,
    newest: Vec<ItemIx>,
}

/// Orders scored items best first; equal scores: the newer (larger) index first.
pub fn sort_scored(scored: &mut [Scored]) {
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.item.cmp(&a.item)));
}

impl Model {
    /// Builds every signal from `data`.
    pub fn build(data: &Dataset, params: Params) -> Model {
        let n_items = data.features.len();
        let keep = params.candidates_per_source;
        let popularity = Popularity::build(
            n_items,
            &data.interactions,
            &data.cohorts,
            params.trend_half_life,
            params.cohort_shrink,
            keep,
        );
        let neighbours = Neighbours::build(
            n_items,
            data.cohorts.len(),
            &data.interactions,
            params.neighbours,
            params.user_damping,
        );
        let now = data
            .interactions
            .iter()
            .map(|i| i.time)
            .chain(data.added.iter().flatten().copied())
            .max()
            .unwrap_or(0);
        let fresh: Vec<f32> = (0..n_items)
            .map(|i| {
                freshness(
                    data.added.get(i).copied().flatten(),
                    now,
                    params.fresh_half_life,
                )
            })
            .collect();
        let mut newest: Vec<ItemIx> = (0..n_items as ItemIx).collect();
        newest.sort_by_key(|i| {
            std::cmp::Reverse((data.added.get(*i as usize).copied().flatten(), *i))
        });
        newest.truncate(keep);
        Model {
            content: Content::build(&data.features),
            params,
            popularity,
            neighbours,
            fresh,
            newest,
        }
    }

    /// Scores `candidates` for `query`, in the candidates' order.
    pub fn score(&self, query: &Query<'_>, candidates: &[ItemIx]) -> Vec<Scored> {
        let p = &self.params;
        let history = recent(query.history, p.history_half_life, p.max_history);
        let total: f32 = history.iter().map(|h| h.weight).sum();
        let together = self.together(&history);
        let profile = self.content.profile(&history);
        candidates
            .iter()
            .map(|item| {
                let (co, anchor) = together
                    .get(item)
                    .map(|(sum, anchor, _)| (sum / total, *anchor))
                    .unwrap_or((0.0, 0));
                let terms = [
                    (p.w_together * co, Signal::Together { anchor }),
                    (
                        p.w_content * self.content.score(&profile, *item),
                        Signal::Content { anchor: 0 },
                    ),
                    (
                        p.w_cohort * self.popularity.cohort(query.cohort, *item),
                        Signal::Cohort,
                    ),
                    (p.w_popular * self.popularity.global(*item), Signal::Popular),
                    (
                        p.w_fresh * self.fresh.get(*item as usize).copied().unwrap_or(0.0),
                        Signal::Fresh,
                    ),
                ];
                let score = terms.iter().map(|(s, _)| s).sum();
                // The most specific term close to the strongest explains the item best:
                // "your cohort likes it" says more than "everyone does" at equal strength.
                let strongest = terms.iter().map(|(s, _)| *s).fold(0.0f32, f32::max);
                let mut reason = terms
                    .iter()
                    .find(|(s, _)| *s > 0.0 && *s >= 0.8 * strongest)
                    .map_or(Signal::Fresh, |(_, signal)| *signal);
                if let Signal::Content { anchor } = &mut reason {
                    *anchor = self.content_anchor(&history, *item);
                }
                Scored {
                    item: *item,
                    score,
                    reason,
                }
            })
            .collect()
    }

    /// Co-occurrence sums per item reachable from the history: (Σ weight × similarity,
    /// the history item contributing most, its contribution).
    fn together(&self, history: &[Weighted]) -> HashMap<ItemIx, (f32, ItemIx, f32)> {
        let mut out: HashMap<ItemIx, (f32, ItemIx, f32)> = HashMap::new();
        for h in history {
            for (other, similarity) in self.neighbours.of(h.item) {
                let contribution = h.weight * similarity;
                let slot = out.entry(*other).or_insert((0.0, h.item, 0.0));
                slot.0 += contribution;
                if contribution > slot.2 {
                    slot.1 = h.item;
                    slot.2 = contribution;
                }
            }
        }
        out
    }

    fn content_anchor(&self, history: &[Weighted], item: ItemIx) -> ItemIx {
        history
            .iter()
            .take(20)
            .map(|h| (h.weight * self.content.similarity(h.item, item), h.item))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, anchor)| anchor)
            .unwrap_or(item)
    }

    /// Items worth scoring for `query` out of the whole catalogue: neighbours of the
    /// history, the cohort's and everyone's most popular, the newest, and the newest
    /// items sharing the member's strongest features (so new items reach their fans).
    pub fn candidates(&self, query: &Query<'_>) -> Vec<ItemIx> {
        let p = &self.params;
        let keep = p.candidates_per_source;
        let history = recent(query.history, p.history_half_life, p.max_history);
        let mut seen: HashSet<ItemIx> = HashSet::new();
        let mut out = Vec::new();
        let mut add = |item: ItemIx| {
            if seen.insert(item) {
                out.push(item);
            }
        };
        let mut together: Vec<(ItemIx, f32)> = self
            .together(&history)
            .into_iter()
            .map(|(item, (sum, _, _))| (item, sum))
            .collect();
        together.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        together.iter().take(keep).for_each(|(item, _)| add(*item));
        if let Some(top) = query
            .cohort
            .and_then(|c| self.popularity.top_cohort.get(&c))
        {
            top.iter().for_each(|item| add(*item));
        }
        self.popularity
            .top_global
            .iter()
            .for_each(|item| add(*item));
        self.newest.iter().for_each(|item| add(*item));
        let profile = self.content.profile(&history);
        for feature in self.content.strongest(&profile, 5) {
            let items = self.content.items_with(feature);
            items
                .iter()
                .rev()
                .take(keep / 4)
                .for_each(|item| add(*item));
        }
        out
    }

    /// Ranks the whole catalogue for `query`, best first, leaving out items for which
    /// `keep` is false.
    pub fn rank(&self, query: &Query<'_>, keep: impl Fn(ItemIx) -> bool) -> Vec<Scored> {
        let candidates: Vec<ItemIx> = self
            .candidates(query)
            .into_iter()
            .filter(|item| keep(*item))
            .collect();
        let mut scored = self.score(query, &candidates);
        sort_scored(&mut scored);
        scored
    }

    /// Items like `item`: bought together with it, or sharing its features; best first,
    /// leaving out items for which `keep` is false.
    pub fn similar(&self, item: ItemIx, keep: impl Fn(ItemIx) -> bool) -> Vec<Scored> {
        let p = &self.params;
        let mut scores: HashMap<ItemIx, (f32, Signal)> = HashMap::new();
        for (other, similarity) in self.neighbours.of(item) {
            scores.insert(
                *other,
                (p.w_together * similarity, Signal::Together { anchor: item }),
            );
        }
        let features: Vec<u32> = self.content.features_of(item).to_vec();
        for feature in features {
            for other in self
                .content
                .items_with(feature)
                .iter()
                .rev()
                .take(p.candidates_per_source)
            {
                let content = self.content.similarity(item, *other);
                let slot = scores
                    .entry(*other)
                    .or_insert((0.0, Signal::Content { anchor: item }));
                // Content is the tie-breaker here: it reaches new items co-purchases cannot.
                if content * p.w_together * 0.5 > slot.0 {
                    *slot = (
                        content * p.w_together * 0.5,
                        Signal::Content { anchor: item },
                    );
                }
            }
        }
        let mut out: Vec<Scored> = scores
            .into_iter()
            .filter(|(other, _)| *other != item && keep(*other))
            .map(|(other, (score, reason))| Scored {
                item: other,
                score: score + 0.01 * self.popularity.global(other),
                reason,
            })
            .collect();
        sort_scored(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::types::Gender;

    /// Items 0–3 bought in pairs (0 with 1, 2 with 3) by users of two cohorts; item 4 is
    /// new, shares item 0's features, and nobody bought it.
    fn model() -> Model {
        let women = Cohort::of_age(Gender::Female, 25);
        let men = Cohort::of_age(Gender::Male, 45);
        let mut interactions = Vec::new();
        for user in 0..6u32 {
            let (a, b) = if user < 3 { (0, 1) } else { (2, 3) };
            for (step, item) in [a, b].into_iter().enumerate() {
                interactions.push(Interaction {
                    user,
                    item,
                    time: 1_000 + step as u64,
                    weight: 1.0,
                });
            }
        }
        let data = Dataset {
            cohorts: (0..6)
                .map(|u| Some(if u < 3 { women } else { men }))
                .collect(),
            features: vec![vec![0, 2], vec![0, 2], vec![1, 3], vec![1, 3], vec![0, 2]],
            added: vec![Some(0), Some(0), Some(0), Some(0), Some(1_000)],
            interactions,
        };
        Model::build(&data, Params::default())
    }

    #[test]
    fn a_score_does_not_depend_on_the_other_candidates() {
        let model = model();
        let history = [HistoryEntry {
            item: 0,
            time: 1,
            weight: 1.0,
        }];
        let query = Query {
            cohort: Some(Cohort::of_age(Gender::Male, 41)),
            history: &history,
        };
        let all = model.score(&query, &[1, 2, 3, 4]);
        let one = model.score(&query, &[3]);
        assert_eq!(all[2], one[0]);
        assert_eq!(all[0].reason, Signal::Together { anchor: 0 });
    }

    #[test]
    fn rank_filters_and_reaches_new_items_through_content() {
        let model = model();
        let history = [HistoryEntry {
            item: 0,
            time: 1,
            weight: 1.0,
        }];
        let query = Query {
            cohort: None,
            history: &history,
        };
        let ranked = model.rank(&query, |item| item != 0 && item != 3);
        let items: Vec<ItemIx> = ranked.iter().map(|s| s.item).collect();
        assert_eq!(items[0], 1, "{ranked:?}");
        assert!(!items.contains(&0) && !items.contains(&3), "{ranked:?}");
        assert!(
            items.contains(&4),
            "the new look-alike is a candidate: {ranked:?}"
        );
        let similar = model.similar(4, |_| true);
        assert!(
            matches!(similar[0].reason, Signal::Content { anchor: 4 }) && similar[0].item <= 1,
            "{similar:?}"
        );
    }
}
