//! Item-to-item similarity from co-occurrence: two items are alike when the same members
//! bought them (or entered their raffles). Cosine over the sets of users, with each
//! user's pairs damped by `1/|items of the user|^user_damping` (someone who bought
//! everything says little about any two things), and only the `k` best neighbours of
//! each item kept, so memory stays `O(items × k)` whatever the catalogue size.

use crate::data::{Interaction, ItemIx};

/// The `k` nearest neighbours of every item, best first.
#[derive(Clone, Debug, Default)]
pub struct Neighbours {
    lists: Vec<Vec<(ItemIx, f32)>>,
}

impl Neighbours {
    /// Builds the lists from `interactions` (repeats of a user–item pair count once).
    pub fn build(
        n_items: usize,
        n_users: usize,
        interactions: &[Interaction],
        k: usize,
        user_damping: f32,
    ) -> Neighbours {
        let mut items_of: Vec<Vec<ItemIx>> = vec![Vec::new(); n_users];
        for interaction in interactions {
            items_of[interaction.user as usize].push(interaction.item);
        }
        let mut users_of: Vec<Vec<u32>> = vec![Vec::new(); n_items];
        for (user, items) in items_of.iter_mut().enumerate() {
            items.sort_unstable();
            items.dedup();
            for item in items.iter() {
                users_of[*item as usize].push(user as u32);
            }
        }
        let user_weight: Vec<f32> = items_of
            .iter()
            .map(|items| 1.0 / (items.len().max(1) as f32).powf(user_damping))
            .collect();
        let count: Vec<f32> = users_of.iter().map(|u| u.len() as f32).collect();
        // One dense accumulator reused for every item: its touched entries are reset.
        let mut acc = vec![0.0f32; n_items];
        let mut touched: Vec<ItemIx> = Vec::new();
        let mut lists = Vec::with_capacity(n_items);
        for item in 0..n_items {
            for user in &users_of[item] {
                let weight = user_weight[*user as usize];
                for other in &items_of[*user as usize] {
                    if *other as usize == item {
                        continue;
                    }
                    let slot = &mut acc[*other as usize];
                    if *slot == 0.0 {
                        touched.push(*other);
                    }
                    *slot += weight;
                }
            }
            let mut list: Vec<(ItemIx, f32)> = touched
                .drain(..)
                .map(|other| {
                    let co = std::mem::take(&mut acc[other as usize]);
                    (other, co / (count[item] * count[other as usize]).sqrt())
                })
                .collect();
            if list.len() > k {
                list.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                list.truncate(k);
            }
            list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            lists.push(list);
        }
        Neighbours { lists }
    }

    /// The neighbours of `item`, best first.
    pub fn of(&self, item: ItemIx) -> &[(ItemIx, f32)] {
        self.lists.get(item as usize).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(user: u32, item: ItemIx) -> Interaction {
        Interaction {
            user,
            item,
            time: 0,
            weight: 1.0,
        }
    }

    #[test]
    fn bought_together_items_are_neighbours_in_cosine_order() {
        // Items 0 and 1 always together; 0 and 2 once; 3 alone.
        let interactions = [
            at(0, 0),
            at(0, 1),
            at(1, 0),
            at(1, 1),
            at(2, 0),
            at(2, 2),
            at(3, 3),
            at(3, 3),
        ];
        let nn = Neighbours::build(4, 4, &interactions, 10, 0.0);
        let of0: Vec<ItemIx> = nn.of(0).iter().map(|(i, _)| *i).collect();
        assert_eq!(of0, [1, 2]);
        // cos(0, 1) = 2 / sqrt(3 · 2)
        assert!((nn.of(0)[0].1 - 2.0 / 6f32.sqrt()).abs() < 1e-6);
        assert!(nn.of(3).is_empty(), "nobody else bought item 3");
        assert!(nn.of(99).is_empty());
    }

    #[test]
    fn only_k_neighbours_are_kept() {
        let interactions: Vec<Interaction> = (0..20).map(|item| at(0, item)).collect();
        let nn = Neighbours::build(20, 1, &interactions, 5, 0.0);
        assert!((0..20).all(|item| nn.of(item).len() == 5));
    }
}
