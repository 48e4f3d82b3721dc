//! Content similarity: items that share features (brand, model, category, price band;
//! genres and decade on MovieLens). The only signal a brand-new item has before anyone
//! buys it. Rare features weigh more (idf): sharing a small brand says more than
//! sharing "sneakers".

use std::collections::HashMap;

use crate::data::ItemIx;
use crate::signals::history::Weighted;

/// Feature weights and the items carrying each feature.
#[derive(Clone, Debug, Default)]
pub struct Content {
    features: Vec<Vec<u32>>,
    idf: Vec<f32>,
    items_with: Vec<Vec<ItemIx>>,
}

/// A member's taste in features: the recency-weighted share of their history that has
/// each feature (0..=1).
#[derive(Clone, Debug, Default)]
pub struct Profile {
    shares: HashMap<u32, f32>,
}

impl Content {
    /// From each item's feature ids (dense ids, `< n_features`).
    pub fn build(features: &[Vec<u32>]) -> Content {
        let n_features = features
            .iter()
            .flatten()
            .map(|f| *f as usize + 1)
            .max()
            .unwrap_or(0);
        let mut items_with: Vec<Vec<ItemIx>> = vec![Vec::new(); n_features];
        for (item, fs) in features.iter().enumerate() {
            for f in fs {
                items_with[*f as usize].push(item as ItemIx);
            }
        }
        let n = features.len().max(1) as f32;
        let idf = items_with
            .iter()
            .map(|items| (1.0 + n / (1.0 + items.len() as f32)).ln())
            .collect();
        Content {
            features: features.to_vec(),
            idf,
            items_with,
        }
    }

    /// The feature ids of `item`.
    pub fn features_of(&self, item: ItemIx) -> &[u32] {
        self.features.get(item as usize).map_or(&[], Vec::as_slice)
    }

    fn idf(&self, feature: u32) -> f32 {
        self.idf.get(feature as usize).copied().unwrap_or(0.0)
    }

    /// The items carrying `feature`.
    pub fn items_with(&self, feature: u32) -> &[ItemIx] {
        self.items_with
            .get(feature as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// The taste of a weighted history.
    pub fn profile(&self, history: &[Weighted]) -> Profile {
        let total: f32 = history.iter().map(|h| h.weight).sum();
        let mut shares: HashMap<u32, f32> = HashMap::new();
        if total <= 0.0 {
            return Profile { shares };
        }
        for entry in history {
            for f in self.features_of(entry.item) {
                *shares.entry(*f).or_default() += entry.weight / total;
            }
        }
        Profile { shares }
    }

    /// How well `item` matches a taste, 0..=1: the idf-weighted mean share of its features.
    pub fn score(&self, profile: &Profile, item: ItemIx) -> f32 {
        let (mut matched, mut total) = (0.0, 0.0);
        for f in self.features_of(item) {
            let idf = self.idf(*f);
            total += idf;
            matched += idf * profile.shares.get(f).copied().unwrap_or(0.0);
        }
        if total > 0.0 {
            matched / total
        } else {
            0.0
        }
    }

    /// Similarity of two items, 0..=1: idf-weighted Jaccard of their features.
    pub fn similarity(&self, a: ItemIx, b: ItemIx) -> f32 {
        let (fa, fb) = (self.features_of(a), self.features_of(b));
        let shared: f32 = fa
            .iter()
            .filter(|f| fb.contains(f))
            .map(|f| self.idf(*f))
            .sum();
        let union: f32 = fa.iter().chain(fb).map(|f| self.idf(*f)).sum::<f32>() - shared;
        if union > 0.0 {
            shared / union
        } else {
            0.0
        }
    }

    /// The features of a taste, strongest first.
    pub fn strongest(&self, profile: &Profile, max: usize) -> Vec<u32> {
        let mut features: Vec<(u32, f32)> = profile
            .shares
            .iter()
            .map(|(f, share)| (*f, share * self.idf(*f)))
            .collect();
        features.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        features.into_iter().take(max).map(|(f, _)| f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Features: 0 = Nike, 1 = Rolex, 2 = sneakers, 3 = watches, 4 = band "100k-300k".
    fn catalogue() -> Content {
        Content::build(&[vec![0, 2, 4], vec![0, 2, 4], vec![1, 3], vec![0, 2]])
    }

    #[test]
    fn same_brand_and_category_is_most_similar() {
        let content = catalogue();
        assert!((content.similarity(0, 1) - 1.0).abs() < 1e-6);
        assert!(content.similarity(0, 3) > 0.5);
        assert_eq!(content.similarity(0, 2), 0.0);
        assert_eq!(content.items_with(0), [0, 1, 3]);
    }

    #[test]
    fn a_taste_for_sneakers_ranks_sneakers_above_watches() {
        let content = catalogue();
        let taste = content.profile(&[Weighted {
            item: 0,
            weight: 1.0,
        }]);
        assert!(content.score(&taste, 1) > content.score(&taste, 2));
        assert_eq!(content.score(&taste, 2), 0.0);
        assert!((content.score(&taste, 1) - 1.0).abs() < 1e-6);
        assert_eq!(content.strongest(&taste, 1).len(), 1);
        let nobody = content.profile(&[]);
        assert_eq!(content.score(&nobody, 1), 0.0);
    }
}
