//! The product search index.

use std::fs;
use std::ops::{Bound, Range};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::ColumnValues;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher,
    SegmentReader, TantivyDocument, Term,
};
use tracing::{debug, info, warn};

use crate::analysis::{query_grams, register_analyzers, script_of, words, Script};
use crate::analysis::{GRAM_ANALYZER, WORD_ANALYZER};
use crate::error::{IndexError, Result};
use crate::synonyms;
use truffle_wire::search::ProductDoc;
use truffle_wire::search::{
    Availability, Filters, Highlight, LedgerRef, SearchHit, SearchQuery, SearchResults, SortOrder,
};

/// Version of the index layout: schema, analyzers and what they produce. An index
/// directory written with another version is emptied on [`SearchIndex::open`], and
/// [`SearchIndex::indexed_height`] then reports `None` so the node rebuilds it.
pub const SCHEMA_VERSION: u32 = 1;

/// File in the index directory naming the schema version.
pub const META_FILE: &str = "truffle-index.meta";

const META_MAGIC: &str = "truffle-index";
const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;

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

const NAME_SNIPPET_BYTES: usize = 2_000;
const DESCRIPTION_SNIPPET_BYTES: usize = 240;
const DESCRIPTION_FALLBACK_CHARS: usize = 80;

// Fast-field names used by the sort.
const F_ID: &str = "id";
const F_PRICE: &str = "price";
const F_HEIGHT: &str = "registered_height";

#[derive(Clone, Copy, Debug)]
struct Fields {
    id: Field,
    name_ko: Field,
    name_en: Field,
    brand: Field,
    model: Field,
    category: Field,
    description: Field,
    shop: Field,
    name_word: Field,
    meta_word: Field,
    brand_key: Field,
    category_key: Field,
    price: Field,
    release_date: Field,
    registered_height: Field,
    registered_tx: Field,
    edition_size: Field,
    available: Field,
    sold: Field,
    open_raffle: Field,
}

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

fn build_schema() -> (Schema, Fields) {
    let gram = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(GRAM_ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
        .set_stored();
    let word = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORD_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_u64_field(F_ID, INDEXED | FAST | STORED),
        name_ko: b.add_text_field("name_ko", gram.clone()),
        name_en: b.add_text_field("name_en", gram.clone()),
        brand: b.add_text_field("brand", gram.clone()),
        model: b.add_text_field("model", gram.clone()),
        category: b.add_text_field("category", gram.clone()),
        description: b.add_text_field("description", gram.clone()),
        shop: b.add_text_field("shop_name", gram),
        name_word: b.add_text_field("name_word", word.clone()),
        meta_word: b.add_text_field("meta_word", word),
        brand_key: b.add_text_field("brand_key", STRING),
        category_key: b.add_text_field("category_key", STRING),
        price: b.add_u64_field(F_PRICE, INDEXED | FAST | STORED),
        release_date: b.add_u64_field("release_date", STORED),
        registered_height: b.add_u64_field(F_HEIGHT, FAST | STORED),
        registered_tx: b.add_text_field("registered_tx", STORED),
        edition_size: b.add_u64_field("edition_size", STORED),
        available: b.add_u64_field("available", INDEXED | FAST | STORED),
        sold: b.add_u64_field("sold", STORED),
        open_raffle: b.add_bool_field("has_open_raffle", INDEXED | FAST | STORED),
    };
    (b.build(), fields)
}

/// The product search read model: a tantivy index of [`ProductDoc`]s, derived from
/// applied blocks.
///
/// The node upserts the documents a block changed, then [`commit`](Self::commit)s them
/// together with the block height. On start it compares [`indexed_height`](Self::indexed_height)
/// with the ledger: `None` (new, emptied or incompatible index) means rebuild from the
/// ledger; a lower height means replay the missing blocks.
///
/// Searches see the last commit; upserts are invisible until then.
pub struct SearchIndex {
    fields: Fields,
    writer: IndexWriter<TantivyDocument>,
    reader: IndexReader,
    dir: Option<PathBuf>,
    indexed_height: Option<u64>,
    was_reset: bool,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("indexed_height", &self.indexed_height)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if needed.
    ///
    /// An index written with another [`SCHEMA_VERSION`], or one that cannot be read, is
    /// deleted and replaced by an empty one ([`was_reset`](Self::was_reset) is then true).
    /// A non-empty directory without [`META_FILE`] is refused
    /// ([`IndexError::ForeignDirectory`]) rather than emptied.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let (schema, fields) = build_schema();
        let existing = match read_meta(dir)? {
            Some(version) if version == SCHEMA_VERSION => match Index::open_in_dir(dir) {
                Ok(index) if index.schema() == schema => Some(index),
                Ok(_) => {
                    warn!(dir = %dir.display(), "search index schema differs; rebuilding");
                    None
                }
                Err(error) => {
                    warn!(dir = %dir.display(), %error, "search index unreadable; rebuilding");
                    None
                }
            },
            Some(version) => {
                info!(
                    dir = %dir.display(),
                    found = version,
                    expected = SCHEMA_VERSION,
                    "search index schema version changed; rebuilding"
                );
                None
            }
            None => {
                let mut entries = fs::read_dir(dir).map_err(|e| IndexError::io(dir, e))?;
                if entries.next().is_some() {
                    return Err(IndexError::ForeignDirectory(dir.to_path_buf()));
                }
                None
            }
        };
        let (index, was_reset) = match existing {
            Some(index) => (index, false),
            None => {
                let had_meta = dir.join(META_FILE).exists();
                if had_meta {
                    fs::remove_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
                    fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
                }
                write_meta(dir)?;
                (Index::create_in_dir(dir, schema)?, had_meta)
            }
        };
        let mut this = SearchIndex::from_index(index, fields, Some(dir.to_path_buf()))?;
        this.was_reset = was_reset;
        Ok(this)
    }

    /// A new, empty index held in memory.
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, fields) = build_schema();
        SearchIndex::from_index(Index::create_in_ram(schema), fields, None)
    }

    fn from_index(index: Index, fields: Fields, dir: Option<PathBuf>) -> Result<SearchIndex> {
        register_analyzers(index.tokenizers());
        let indexed_height = parse_payload(index.load_metas()?.payload.as_deref());
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            fields,
            writer,
            reader,
            dir,
            indexed_height,
            was_reset: false,
        })
    }

    /// The directory of the index (`None` in memory).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Whether [`open`](Self::open) found an incompatible or unreadable index and
    /// replaced it with an empty one.
    pub fn was_reset(&self) -> bool {
        self.was_reset
    }

    /// Ledger height of the last [`commit`](Self::commit); `None` if the index was never
    /// committed (or was [`clear`](Self::clear)ed) and must be rebuilt from the ledger.
    pub fn indexed_height(&self) -> Option<u64> {
        self.indexed_height
    }

    /// Number of products searchable (as of the last commit).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Adds products, replacing any indexed product with the same id. They become
    /// searchable at the next [`commit`](Self::commit).
    pub fn upsert(&mut self, docs: impl IntoIterator<Item = ProductDoc>) -> Result<()> {
        for doc in docs {
            self.writer
                .delete_term(Term::from_field_u64(self.fields.id, doc.product_id));
            self.writer.add_document(self.to_document(&doc))?;
        }
        Ok(())
    }

    /// Removes a product (at the next commit). Products are not removed from the ledger;
    /// this is for repairs.
    pub fn remove(&mut self, product_id: u64) {
        self.writer
            .delete_term(Term::from_field_u64(self.fields.id, product_id));
    }

    /// Makes every upsert since the last commit searchable and records that the index now
    /// reflects the ledger up to block `height`, atomically: after a crash the index holds
    /// either the previous commit with its height or this one with `height`.
    pub fn commit(&mut self, height: u64) -> Result<()> {
        self.commit_payload(Some(height))?;
        debug!(height, "search index committed");
        Ok(())
    }

    /// Removes every product, including uncommitted upserts, and forgets the indexed
    /// height (committed at once). Used before a rebuild from the ledger.
    pub fn clear(&mut self) -> Result<()> {
        self.writer.rollback()?;
        self.writer.delete_all_documents()?;
        self.commit_payload(None)
    }

    fn commit_payload(&mut self, height: Option<u64>) -> Result<()> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&format_payload(height));
        prepared.commit()?;
        self.reader.reload()?;
        self.indexed_height = height;
        Ok(())
    }

    fn to_document(&self, d: &ProductDoc) -> TantivyDocument {
        let f = &self.fields;
        let table = synonyms::table();
        let mut doc = TantivyDocument::new();
        doc.add_u64(f.id, d.product_id);
        doc.add_text(f.name_ko, &d.name_ko);
        doc.add_text(f.name_en, &d.name_en);
        doc.add_text(f.brand, &d.brand);
        doc.add_text(f.model, &d.model);
        doc.add_text(f.category, &d.category);
        doc.add_text(f.description, &d.description);
        doc.add_text(f.shop, &d.shop_name);
        doc.add_text(f.name_word, &d.name_ko);
        doc.add_text(f.name_word, &d.name_en);
        doc.add_text(f.meta_word, &d.brand);
        doc.add_text(f.meta_word, &d.model);
        doc.add_text(f.meta_word, &d.category);
        doc.add_text(f.brand_key, table.canonical(&d.brand));
        doc.add_text(f.category_key, table.canonical(&d.category));
        doc.add_u64(f.price, d.price);
        doc.add_u64(f.release_date, u64::from(d.release_date));
        doc.add_u64(f.registered_height, d.registered_height);
        doc.add_text(f.registered_tx, &d.registered_tx);
        doc.add_u64(f.edition_size, u64::from(d.edition_size));
        doc.add_u64(f.available, u64::from(d.available));
        doc.add_u64(f.sold, u64::from(d.sold));
        doc.add_bool(f.open_raffle, d.has_open_raffle);
        doc
    }

    fn read_document(&self, doc: &TantivyDocument) -> ProductDoc {
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let num = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0);
        let small = |field| u32::try_from(num(field)).unwrap_or(u32::MAX);
        ProductDoc {
            product_id: num(f.id),
            brand: text(f.brand),
            model: text(f.model),
            name_ko: text(f.name_ko),
            name_en: text(f.name_en),
            category: text(f.category),
            description: text(f.description),
            price: num(f.price),
            release_date: small(f.release_date),
            shop_name: text(f.shop),
            registered_height: num(f.registered_height),
            registered_tx: text(f.registered_tx),
            edition_size: small(f.edition_size),
            available: small(f.available),
            sold: small(f.sold),
            has_open_raffle: doc
                .get_first(f.open_raffle)
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        }
    }

    /// Runs a search: one page of products matching the text and filters, in the asked
    /// order, with the total count and highlights.
    ///
    /// Every word of the text must match (as a whole word, a partial word, or another
    /// spelling from the built-in table) — all of them for up to three words, three in
    /// four beyond. If no product matches that way, products matching any word are
    /// returned and [`SearchResults::relaxed`] is set.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        query.validate()?;
        let searcher = self.reader.searcher();
        let units = plan_units(&query.text);
        let sort = match query.sort {
            SortOrder::Relevance if units.is_empty() => SortOrder::Newest,
            other => other,
        };
        let filters = self.filter_queries(&query.filters);

        let strict = required_units(units.len());
        let mut relaxed = false;
        let mut text_query = self.text_query(&units, strict);
        let (mut total, mut top) =
            self.collect(&searcher, text_query.as_deref(), &filters, query, sort)?;
        if total == 0 && strict > 1 {
            let loose = self.text_query(&units, 1);
            let (loose_total, loose_top) =
                self.collect(&searcher, loose.as_deref(), &filters, query, sort)?;
            if loose_total > 0 {
                (relaxed, text_query, total, top) = (true, loose, loose_total, loose_top);
            }
        }

        let highlighter = match &text_query {
            Some(q) => Some(Highlighter::new(&searcher, q.as_ref(), &self.fields)?),
            None => None,
        };
        let mut hits = Vec::with_capacity(top.len());
        for ((_, score, _), address) in top {
            let stored: TantivyDocument = searcher.doc(address)?;
            let product = self.read_document(&stored);
            let highlight = match &highlighter {
                Some(h) => h.highlight(&product),
                None => Highlight {
                    name_ko: escape_html(&product.name_ko),
                    name_en: escape_html(&product.name_en),
                    snippet: description_start(&product.description),
                },
            };
            hits.push(SearchHit {
                product_id: product.product_id,
                score,
                ledger_ref: LedgerRef {
                    height: product.registered_height,
                    tx_hash: product.registered_tx.clone(),
                },
                product,
                highlight,
            });
        }
        Ok(SearchResults {
            total: total as u64,
            page: query.page,
            page_size: query.page_size,
            hits,
            relaxed,
            indexed_height: self.indexed_height,
        })
    }

    fn collect(
        &self,
        searcher: &Searcher,
        text: Option<&dyn Query>,
        filters: &[Box<dyn Query>],
        query: &SearchQuery,
        sort: SortOrder,
    ) -> Result<(usize, Vec<(SortKey, DocAddress)>)> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = text {
            clauses.push((Occur::Must, text.box_clone()));
        }
        for filter in filters {
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(filter.box_clone(), 0.0)),
            ));
        }
        if clauses.is_empty() {
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(AllQuery), 0.0)),
            ));
        }
        let full = BooleanQuery::new(clauses);
        let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
        let top = TopDocs::with_limit(query.page_size as usize)
            .and_offset(offset)
            .tweak_score(move |segment: &SegmentReader| sort_key_fn(segment, sort));
        Ok(searcher.search(&full, &(Count, top))?)
    }

    fn filter_queries(&self, filters: &Filters) -> Vec<Box<dyn Query>> {
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
    fn text_query(&self, units: &[Unit], required: usize) -> Option<Box<dyn Query>> {
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
fn required_units(n: usize) -> usize {
    n - n / 4
}

/// Sort key: compared as a tuple, greatest first. The middle element is the score; the
/// last breaks ties by product id.
type SortKey = (u64, Score, u64);

fn sort_key_fn(segment: &SegmentReader, sort: SortOrder) -> impl Fn(DocId, Score) -> SortKey {
    let fast = segment.fast_fields();
    let column = |name: &str| -> Option<Arc<dyn ColumnValues<u64>>> {
        fast.u64(name).ok().map(|c| c.first_or_default_col(0))
    };
    let (id, price, height) = (column(F_ID), column(F_PRICE), column(F_HEIGHT));
    move |doc: DocId, score: Score| {
        let get = |c: &Option<Arc<dyn ColumnValues<u64>>>| c.as_ref().map_or(0, |c| c.get_val(doc));
        let id = get(&id);
        match sort {
            SortOrder::Relevance => (0, score, u64::MAX - id),
            SortOrder::Newest => (get(&height), score, id),
            SortOrder::PriceAsc => (u64::MAX - get(&price), score, u64::MAX - id),
            SortOrder::PriceDesc => (get(&price), score, u64::MAX - id),
        }
    }
}

/// A piece of the query: one word, or several words the synonym table knows as one
/// ("new balance"), with other ways to spell it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Unit {
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
fn plan_units(text: &str) -> Vec<Unit> {
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

/// Highlights the query's terms in a hit's names and description.
struct Highlighter {
    name_ko: SnippetGenerator,
    name_en: SnippetGenerator,
    description: SnippetGenerator,
}

impl Highlighter {
    fn new(searcher: &Searcher, query: &dyn Query, fields: &Fields) -> Result<Highlighter> {
        let make = |field, max| -> Result<SnippetGenerator> {
            let mut g = SnippetGenerator::create(searcher, query, field)?;
            g.set_max_num_chars(max);
            Ok(g)
        };
        Ok(Highlighter {
            name_ko: make(fields.name_ko, NAME_SNIPPET_BYTES)?,
            name_en: make(fields.name_en, NAME_SNIPPET_BYTES)?,
            description: make(fields.description, DESCRIPTION_SNIPPET_BYTES)?,
        })
    }

    fn highlight(&self, doc: &ProductDoc) -> Highlight {
        Highlight {
            name_ko: mark_whole(&self.name_ko, &doc.name_ko),
            name_en: mark_whole(&self.name_en, &doc.name_en),
            snippet: mark_fragment(&self.description, &doc.description),
        }
    }
}

/// The whole text, escaped, with the generator's matches marked.
fn mark_whole(generator: &SnippetGenerator, text: &str) -> String {
    let snippet = generator.snippet(text);
    let start = snippet.fragment_range().start;
    let ranges: Vec<Range<usize>> = snippet
        .highlighted()
        .iter()
        .map(|r| r.start + start..r.end + start)
        .collect();
    render_marked(text, &ranges)
}

/// The best fragment of the text, escaped, with its matches marked and "…" where the
/// text was cut; the beginning of the text when nothing matched.
fn mark_fragment(generator: &SnippetGenerator, text: &str) -> String {
    let snippet = generator.snippet(text);
    if snippet.is_empty() {
        return description_start(text);
    }
    let range = snippet.fragment_range();
    let mut out = String::new();
    if range.start > 0 {
        out.push('…');
    }
    out.push_str(&render_marked(snippet.fragment(), snippet.highlighted()));
    if range.end < text.trim_end().len() {
        out.push('…');
    }
    out
}

fn description_start(text: &str) -> String {
    let mut chars = text.char_indices();
    match chars.nth(DESCRIPTION_FALLBACK_CHARS) {
        Some((cut, _)) => format!("{}…", escape_html(&text[..cut])),
        None => escape_html(text),
    }
}

/// Escapes `text` and wraps the (possibly overlapping) byte `ranges` in `<mark>`.
fn render_marked(text: &str, ranges: &[Range<usize>]) -> String {
    let mut sorted: Vec<Range<usize>> = ranges
        .iter()
        .filter(|r| r.start < r.end && r.end <= text.len())
        .filter(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end))
        .cloned()
        .collect();
    sorted.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in sorted {
        match merged.last_mut() {
            // Touching matches ("범고" + "고래") become one mark.
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out = String::with_capacity(text.len() + merged.len() * 13);
    let mut at = 0;
    for r in merged {
        out.push_str(&escape_html(&text[at..r.start]));
        out.push_str("<mark>");
        out.push_str(&escape_html(&text[r.clone()]));
        out.push_str("</mark>");
        at = r.end;
    }
    out.push_str(&escape_html(&text[at..]));
    out
}

/// Minimal HTML escaping of text content and attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

fn read_meta(dir: &Path) -> Result<Option<u32>> {
    let path = dir.join(META_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(
            text.lines()
                .find_map(|l| l.strip_prefix("schema_version="))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IndexError::io(path, e)),
    }
}

fn write_meta(dir: &Path) -> Result<()> {
    let path = dir.join(META_FILE);
    let tmp = dir.join(format!("{META_FILE}.tmp"));
    let text = format!(
        "# Truffle product search index (derived from the ledger; safe to delete).\n\
         # The indexed ledger height is committed with the documents, in meta.json.\n\
         schema_version={SCHEMA_VERSION}\n"
    );
    fs::write(&tmp, text).map_err(|e| IndexError::io(&tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| IndexError::io(&path, e))
}

fn format_payload(height: Option<u64>) -> String {
    match height {
        Some(h) => format!("{META_MAGIC} schema={SCHEMA_VERSION} height={h}"),
        None => format!("{META_MAGIC} schema={SCHEMA_VERSION} height=none"),
    }
}

fn parse_payload(payload: Option<&str>) -> Option<u64> {
    let payload = payload?;
    let mut parts = payload.split_whitespace();
    if parts.next() != Some(META_MAGIC) {
        return None;
    }
    parts
        .find_map(|p| p.strip_prefix("height="))
        .and_then(|h| h.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip() {
        assert_eq!(parse_payload(Some(&format_payload(Some(42)))), Some(42));
        assert_eq!(parse_payload(Some(&format_payload(None))), None);
        assert_eq!(parse_payload(Some("something else height=3")), None);
        assert_eq!(parse_payload(None), None);
    }

    #[test]
    fn render_marks_and_escapes() {
        assert_eq!(
            render_marked("범고래 <b>", &[0..6, 3..9]),
            "<mark>범고래</mark> &lt;b&gt;"
        );
        assert_eq!(
            render_marked("Tom & Jerry's", &[0..3, 6..11]),
            "<mark>Tom</mark> &amp; <mark>Jerry</mark>&#x27;s"
        );
        // Ranges that are out of bounds or split a character are ignored.
        assert_eq!(render_marked("가나", &[1..3, 0..9]), "가나");
    }

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
