//! Recency: a member's history counts more the more recent it is.
//!
//! Weights decay by position (the n-th latest interaction), not by clock time: a member
//! who buys twice a year and one who buys every day both have a "latest few" that says
//! most about what they want next.

use crate::data::{HistoryEntry, ItemIx};

/// One interaction of a history with its recency weight (already times the event's
/// own weight).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weighted {
    /// The item.
    pub item: ItemIx,
    /// Recency weight × event weight.
    pub weight: f32,
}

/// The `max` latest entries of `history` (sorted oldest first), latest first, each
/// weighted by `0.5^(position / half_life)`; an item seen several times keeps its
/// latest position and sums its weights.
pub fn recent(history: &[HistoryEntry], half_life: f32, max: usize) -> Vec<Weighted> {
    let mut out: Vec<Weighted> = Vec::with_capacity(history.len().min(max));
    for (position, entry) in history.iter().rev().take(max).enumerate() {
        let decay = 0.5f32.powf(position as f32 / half_life.max(f32::EPSILON));
        let weight = decay * entry.weight;
        match out.iter_mut().find(|w| w.item == entry.item) {
            Some(seen) => seen.weight += weight,
            None => out.push(Weighted {
                item: entry.item,
                weight,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(item: ItemIx, time: u64) -> HistoryEntry {
        HistoryEntry {
            item,
            time,
            weight: 1.0,
        }
    }

    #[test]
    fn latest_weighs_most_and_halves_per_half_life() {
        let history = [entry(1, 10), entry(2, 20), entry(3, 30)];
        let weights = recent(&history, 1.0, 10);
        assert_eq!(
            weights.iter().map(|w| w.item).collect::<Vec<_>>(),
            [3, 2, 1]
        );
        assert!((weights[0].weight - 1.0).abs() < 1e-6);
        assert!((weights[1].weight - 0.5).abs() < 1e-6);
        assert!((weights[2].weight - 0.25).abs() < 1e-6);
    }

    #[test]
    fn repeats_sum_and_old_entries_past_the_cap_are_dropped() {
        let history = [entry(9, 1), entry(1, 10), entry(2, 20), entry(1, 30)];
        let weights = recent(&history, 1.0, 3);
        assert_eq!(weights.len(), 2, "{weights:?}");
        assert_eq!(weights[0].item, 1);
        assert!((weights[0].weight - 1.25).abs() < 1e-6);
        assert!(weights.iter().all(|w| w.item != 9));
    }
}
