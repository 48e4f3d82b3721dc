//! Popularity, for everyone and per cohort (gender × age band).
//!
//! Interactions are weighted by how recent they are on the clock (`trend_half_life`),
//! so that last season's hit fades. A cohort's counts are shrunk towards everyone's
//! (`cohort_shrink` pseudo-interactions spread like the global popularity), so a small
//! cohort with three purchases is not ranked by those three alone.

use std::collections::HashMap;

use crate::data::{Cohort, Interaction, ItemIx};

/// Popularity scores, each in 0..=1 (1 = the most popular item of its scope).
#[derive(Clone, Debug, Default)]
pub struct Popularity {
    /// Everyone's.
    pub global: Vec<f32>,
    /// Per cohort.
    pub cohorts: HashMap<Cohort, Vec<f32>>,
    /// Items by global popularity, most popular first (only items with any).
    pub top_global: Vec<ItemIx>,
    /// Items by cohort popularity, most popular first (only items with any).
    pub top_cohort: HashMap<Cohort, Vec<ItemIx>>,
}

/// The clock weight of an interaction at `time` seen from `now`.
pub fn trend_weight(time: u64, now: u64, half_life: f64) -> f32 {
    if half_life <= 0.0 {
        return 1.0;
    }
    0.5f64.powf(now.saturating_sub(time) as f64 / half_life) as f32
}

fn normalised(mut scores: Vec<f32>) -> Vec<f32> {
    let max = scores.iter().copied().fold(0.0f32, f32::max);
    if max > 0.0 {
        scores.iter_mut().for_each(|s| *s /= max);
    }
    scores
}

fn ranked(scores: &[f32], keep: usize) -> Vec<ItemIx> {
    let mut items: Vec<ItemIx> = (0..scores.len() as ItemIx)
        .filter(|i| scores[*i as usize] > 0.0)
        .collect();
    items.sort_by(|a, b| {
        scores[*b as usize]
            .total_cmp(&scores[*a as usize])
            .then(b.cmp(a))
    });
    items.truncate(keep);
    items
}

impl Popularity {
    /// Counts `interactions` over `n_items` items; `cohort_of` gives a user's cohort.
    /// The `keep` most popular items of each scope are remembered as candidates.
    pub fn build(
        n_items: usize,
        interactions: &[Interaction],
        cohort_of: &[Option<Cohort>],
        trend_half_life: f64,
        cohort_shrink: f32,
        keep: usize,
    ) -> Popularity {
        let now = interactions.iter().map(|i| i.time).max().unwrap_or(0);
        let mut global = vec![0.0f32; n_items];
        let mut by_cohort: HashMap<Cohort, Vec<f32>> = HashMap::new();
        for interaction in interactions {
            let weight = interaction.weight * trend_weight(interaction.time, now, trend_half_life);
            global[interaction.item as usize] += weight;
            if let Some(cohort) = cohort_of.get(interaction.user as usize).copied().flatten() {
                by_cohort
                    .entry(cohort)
                    .or_insert_with(|| vec![0.0; n_items])[interaction.item as usize] += weight;
            }
        }
        let global_total: f32 = global.iter().sum();
        let cohorts: HashMap<Cohort, Vec<f32>> = by_cohort
            .into_iter()
            .map(|(cohort, counts)| {
                let total: f32 = counts.iter().sum();
                let smoothed = counts
                    .iter()
                    .zip(&global)
                    .map(|(c, g)| {
                        let prior = if global_total > 0.0 {
                            g / global_total
                        } else {
                            0.0
                        };
                        (c + cohort_shrink * prior) / (total + cohort_shrink).max(f32::EPSILON)
                    })
                    .collect();
                (cohort, normalised(smoothed))
            })
            .collect();
        let global = normalised(global);
        Popularity {
            top_global: ranked(&global, keep),
            top_cohort: cohorts
                .iter()
                .map(|(cohort, scores)| (*cohort, ranked(scores, keep)))
                .collect(),
            global,
            cohorts,
        }
    }

    /// The cohort's popularity of `item`, or 0 for a cohort without data.
    pub fn cohort(&self, cohort: Option<Cohort>, item: ItemIx) -> f32 {
        cohort
            .and_then(|c| self.cohorts.get(&c))
            .and_then(|scores| scores.get(item as usize))
            .copied()
            .unwrap_or(0.0)
    }

    /// Everyone's popularity of `item`.
    pub fn global(&self, item: ItemIx) -> f32 {
        self.global.get(item as usize).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::types::Gender;

    const WOMEN_20: Cohort = Cohort {
        gender: Gender::Female,
        age_band: 20,
    };
    const MEN_40: Cohort = Cohort {
        gender: Gender::Male,
        age_band: 40,
    };

    fn at(user: u32, item: ItemIx, time: u64) -> Interaction {
        Interaction {
            user,
            item,
            time,
            weight: 1.0,
        }
    }

    #[test]
    fn cohorts_rank_their_own_favourites_first() {
        // Users 0-2 are women in their twenties (item 0), users 3-4 men in their forties (item 1).
        let cohorts = [
            Some(WOMEN_20),
            Some(WOMEN_20),
            Some(WOMEN_20),
            Some(MEN_40),
            Some(MEN_40),
        ];
        let interactions = [
            at(0, 0, 1),
            at(1, 0, 1),
            at(2, 0, 1),
            at(3, 1, 1),
            at(4, 1, 1),
        ];
        let pop = Popularity::build(3, &interactions, &cohorts, 0.0, 1.0, 10);
        assert_eq!(pop.top_global, [0, 1]);
        assert_eq!(pop.top_cohort[&WOMEN_20][0], 0);
        assert_eq!(pop.top_cohort[&MEN_40][0], 1);
        assert!(pop.cohort(Some(MEN_40), 1) > pop.cohort(Some(MEN_40), 0));
        assert_eq!(pop.cohort(None, 0), 0.0, "no cohort, no cohort signal");
        assert_eq!(pop.global(2), 0.0);
    }

    #[test]
    fn shrinkage_lends_a_tiny_cohort_everyone_s_taste() {
        // One man bought item 2 once; everyone else loves item 0.
        let cohorts = [Some(WOMEN_20), Some(WOMEN_20), Some(WOMEN_20), Some(MEN_40)];
        let interactions = [at(0, 0, 1), at(1, 0, 1), at(2, 0, 1), at(3, 2, 1)];
        let pop = Popularity::build(3, &interactions, &cohorts, 0.0, 4.0, 10);
        assert!(
            pop.cohort(Some(MEN_40), 0) > 0.0,
            "the prior reaches item 0"
        );
        assert!(pop.cohort(Some(MEN_40), 1) == 0.0, "nobody bought item 1");
    }

    #[test]
    fn old_interactions_fade_with_the_trend_half_life() {
        // Item 0: two old interactions; item 1: one recent.
        let interactions = [at(0, 0, 0), at(1, 0, 0), at(2, 1, 100)];
        let flat = Popularity::build(2, &interactions, &[None; 3], 0.0, 0.0, 10);
        assert_eq!(flat.top_global[0], 0);
        let trending = Popularity::build(2, &interactions, &[None; 3], 25.0, 0.0, 10);
        assert_eq!(trending.top_global[0], 1, "{trending:?}");
        assert!((trend_weight(0, 100, 25.0) - 1.0 / 16.0).abs() < 1e-6);
    }
}
