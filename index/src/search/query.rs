//! The query plan: how search text becomes a tantivy query. The text is cut into units
//! (words, or phrases the synonym table knows), each unit matches as a whole word, a
//! partial word or another spelling, and a share of the units must match.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Score, Term};

use super::{Fields, SearchIndex};
use crate::analysis::{query_grams, script_of, words, Script};
use crate::synonyms;
use truffle_wire::search::{Availability, Filters};

/// Most query units (words, or phrases the synonym table knows) a query is cut into.
const MAX_UNITS: usize = 16;
/// Most bigrams of one Korean query word looked up (evenly spaced over a longer word).
const MAX_GRAMS_PER_WORD: usize = 12;
/// Most pieces a Korean word run together may be cut into by the synonym table.
const MAX_SEGMENT_PIECES: usize = 6;

// Field weights. Each query word is looked up in every gram field (partial matches) and
// in the whole-word fields, which score on top: a whole-word match outranks a partial one.
const W_NAME: Score = 3.0;
const W_BRAND: Score = 2.0;
const W_MODEL: Score = 2.0;
const W_CATEGORY: Score = 1.5;
const W_DESCRIPTION: Score = 0.5;
const W_SHOP: Score = 0.5;
const W_NAME_WORD: Score = 3.0;
const W_META_WORD: Score = 2.0;
const W_NAME_PHRASE: Score = 4.0;
/// Weight of another spelling of a query word (a synonym) relative to the word itself.
const W_ALTERNATIVE: Score = 0.8;

impl Fields {
    /// Gram fields and their weights.
    fn gram_fields(&self) -> [(Field, Score); 7] {
        [
            (self.name_ko, W_NAME),
            (self.name_en, W_NAME),
            (self.brand, W_BRAND),
            (self.model, W_MODEL),
            (self.category, W_CATEGORY),
            (self.description, W_DESCRIPTION),
            (self.shop, W_SHOP),
        ]
    }
}

impl SearchIndex {
    /// The filters, each a clause every hit must match (they do not score).
    pub(super) fn filter_queries(&self, filters: &Filters) -> Vec<Box<dyn Query>> {
        let f = &self.fields;
        let table = synonyms::table();
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        let key_term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, &table.canonical(value)),
                IndexRecordOption::Basic,
            ))
        };
        if let Some(brand) = &filters.brand {
            out.push(key_term(f.brand_key, brand));
        }
        if let Some(category) = &filters.category {
            out.push(key_term(f.category_key, category));
        }
        if filters.min_price.is_some() || filters.max_price.is_some() {
            let bound = |v: Option<u64>| match v {
                Some(v) => Bound::Included(Term::from_field_u64(f.price, v)),
                None => Bound::Unbounded,
            };
            out.push(Box::new(RangeQuery::new(
                bound(filters.min_price),
                bound(filters.max_price),
            )));
        }
        if let Some(seller) = &filters.seller {
            out.push(Box::new(TermQuery::new(
                Term::from_field_text(f.seller, &seller.to_hex()),
                IndexRecordOption::Basic,
            )));
        }
        if let Some(open) = filters.has_open_raffle {
            out.push(Box::new(TermQuery::new(
                Term::from_field_bool(f.open_raffle, open),
                IndexRecordOption::Basic,
            )));
        }
        match filters.availability {
            Availability::Any => {}
            Availability::Available => out.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(f.available, 1)),
                Bound::Unbounded,
            ))),
            Availability::SoldOut => out.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(f.available, 0)),
                Bound::Included(Term::from_field_u64(f.available, 0)),
            ))),
        }
        out
    }

    /// The text part of the query: one clause per unit, `required` of them must match,
    /// plus a bonus for the words appearing as a phrase in a name.
    pub(super) fn text_query(&self, units: &[Unit], required: usize) -> Option<Box<dyn Query>> {
        if units.is_empty() {
            return None;
        }
        let clauses: Vec<Box<dyn Query>> = units.iter().map(|u| self.unit_query(u)).collect();
        let all = BooleanQuery::union_with_minimum_required_clauses(clauses, required.max(1));
        let words: Vec<&String> = units.iter().flat_map(|u| u.words.iter()).collect();
        if words.len() < 2 {
            return Some(Box::new(all));
        }
        let phrase = PhraseQuery::new(
            words
                .iter()
                .map(|w| Term::from_field_text(self.fields.name_word, w))
                .collect(),
        );
        Some(Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(all)),
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(phrase), W_NAME_PHRASE)),
            ),
        ])))
    }

    fn unit_query(&self, unit: &Unit) -> Box<dyn Query> {
        let mut options: Vec<Box<dyn Query>> = vec![self.words_query(&unit.words, false)];
        for alternative in &unit.alternatives {
            options.push(Box::new(BoostQuery::new(
                self.words_query(&alternative.words, alternative.expand),
                W_ALTERNATIVE,
            )));
        }
        if options.len() == 1 {
            return options.pop().unwrap_or_else(|| Box::new(AllQuery));
        }
        Box::new(BooleanQuery::union(options))
    }

    /// All of `words`; with `expand`, each word may also match its other spellings.
    fn words_query(&self, words: &[String], expand: bool) -> Box<dyn Query> {
        let table = synonyms::table();
        let mut parts: Vec<Box<dyn Query>> = Vec::new();
        for word in words {
            let core = self.word_query(word);
            let alternatives = if expand { table.lookup(word) } else { None };
            match alternatives {
                Some(alts) => {
                    let mut options = vec![core];
                    for alt in alts {
                        options.push(Box::new(BoostQuery::new(
                            self.words_query(alt, false),
                            W_ALTERNATIVE,
                        )));
                    }
                    parts.push(Box::new(BooleanQuery::union(options)));
                }
                None => parts.push(core),
            }
        }
        if parts.len() == 1 {
            return parts.pop().unwrap_or_else(|| Box::new(AllQuery));
        }
        Box::new(BooleanQuery::intersection(parts))
    }

    /// One normalized word: as a partial word in every gram field, plus a bonus as a whole
    /// word in the names, brand, model and category. A Korean word of several bigrams
    /// needs 60% of them (so "나이키덩크" still finds "나이키 덩크").
    fn word_query(&self, word: &str) -> Box<dyn Query> {
        let f = &self.fields;
        let mut grams = query_grams(word);
        if grams.len() > MAX_GRAMS_PER_WORD {
            // Bound the cost of a long run without spaces: evenly spaced bigrams.
            let n = grams.len();
            grams = (0..MAX_GRAMS_PER_WORD)
                .map(|k| grams[k * (n - 1) / (MAX_GRAMS_PER_WORD - 1)].clone())
                .collect();
        }
        grams.sort();
        grams.dedup();
        let gram_clauses: Vec<Box<dyn Query>> = grams
            .iter()
            .map(|g| -> Box<dyn Query> {
                let per_field: Vec<Box<dyn Query>> = f
                    .gram_fields()
                    .iter()
                    .map(|&(field, weight)| boosted_term(field, g, weight))
                    .collect();
                Box::new(BooleanQuery::union(per_field))
            })
            .collect();
        let needed = (grams.len() * 3).div_ceil(5).max(1);
        let partial: Box<dyn Query> = if gram_clauses.len() == 1 {
            gram_clauses
                .into_iter()
                .next()
                .unwrap_or_else(|| Box::new(AllQuery))
        } else {
            Box::new(BooleanQuery::union_with_minimum_required_clauses(
                gram_clauses,
                needed,
            ))
        };
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, partial),
            (Occur::Should, boosted_term(f.name_word, word, W_NAME_WORD)),
            (Occur::Should, boosted_term(f.meta_word, word, W_META_WORD)),
        ]))
    }
}

fn boosted_term(field: Field, text: &str, weight: Score) -> Box<dyn Query> {
    Box::new(BoostQuery::new(
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        )),
        weight,
    ))
}

/// How many of `n` query units must match.
pub(super) fn required_units(n: usize) -> usize {
    n - n / 4
}

/// A piece of the query: one word, or several words the synonym table knows as one
/// ("new balance"), with other ways to spell it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Unit {
    words: Vec<String>,
    alternatives: Vec<Alternative>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Alternative {
    words: Vec<String>,
    /// Each word may in turn match its own other spellings (for the pieces of a Korean
    /// run cut by [`synonyms::SynonymTable::segment`]).
    expand: bool,
}

/// Cuts the query text into units.
pub(super) fn plan_units(text: &str) -> Vec<Unit> {
    let table = synonyms::table();
    let w = words(text);
    let mut units = Vec::new();
    let mut i = 0;
    while i < w.len() && units.len() < MAX_UNITS {
        let mut matched = None;
        for len in (1..=table.max_words().min(w.len() - i)).rev() {
            let slice = &w[i..i + len];
            let alternatives = table.lookup(&slice.join(" ")).or_else(|| {
                let all_cjk = len > 1 && slice.iter().all(|x| script_of(x) == Script::Cjk);
                if all_cjk {
                    table.lookup(&slice.concat())
                } else {
                    None
                }
            });
            if let Some(alternatives) = alternatives {
                matched = Some((len, alternatives));
                break;
            }
        }
        match matched {
            Some((len, alternatives)) => {
                push_unit(
                    &mut units,
                    Unit {
                        words: w[i..i + len].to_vec(),
                        alternatives: alternatives
                            .iter()
                            .map(|a| Alternative {
                                words: a.clone(),
                                expand: false,
                            })
                            .collect(),
                    },
                );
                i += len;
            }
            None => {
                let word = w[i].clone();
                let mut alternatives = Vec::new();
                if script_of(&word) == Script::Cjk {
                    if let Some(pieces) = table
                        .segment(&word)
                        .filter(|p| p.len() <= MAX_SEGMENT_PIECES)
                    {
                        alternatives.push(Alternative {
                            words: pieces,
                            expand: true,
                        });
                    }
                }
                push_unit(
                    &mut units,
                    Unit {
                        words: vec![word],
                        alternatives,
                    },
                );
                i += 1;
            }
        }
    }
    units
}

/// Adds a unit unless the query already has it (repeating a word adds nothing).
fn push_unit(units: &mut Vec<Unit>, unit: Unit) {
    if !units.iter().any(|u| u.words == unit.words) {
        units.push(unit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_group_known_phrases() {
        let u = plan_units("new balance 2002R");
        assert_eq!(u.len(), 3); // "new balance", "2002", "r"
        assert_eq!(u[0].words, ["new", "balance"]);
        assert!(u[0].alternatives.iter().any(|a| a.words == ["뉴발란스"]));
        let u = plan_units("에어 포스 1");
        assert_eq!(u[0].words, ["에어", "포스"]);
        assert!(u[0]
            .alternatives
            .iter()
            .any(|a| a.words == ["air", "force"]));
        let u = plan_units("나이키덩크로우");
        assert_eq!(u.len(), 1);
        assert!(u[0]
            .alternatives
            .iter()
            .any(|a| a.expand && a.words == ["나이키", "덩크", "로우"]));
        assert!(plan_units("  !! ").is_empty());
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(plan_units(&many).len(), MAX_UNITS);
        // Repeated words count once.
        assert_eq!(plan_units("nike 덩크 nike 덩크 NIKE").len(), 2);
    }

    #[test]
    fn required_unit_counts() {
        assert_eq!(
            (1..=8).map(required_units).collect::<Vec<_>>(),
            [1, 2, 3, 3, 4, 5, 6, 6]
        );
    }
}
