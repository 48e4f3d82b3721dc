//! The product search index: the schema, the index's life (open, upsert, commit, clear)
//! and running a search. The query plan, the highlighter and the index directory's meta
//! file are submodules.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::ColumnValues;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher,
    SegmentReader, TantivyDocument, Term,
};
use tracing::{debug, info, warn};

use crate::analysis::register_analyzers;
use crate::analysis::{GRAM_ANALYZER, WORD_ANALYZER};
use crate::error::{IndexError, Result};
use crate::synonyms;
use truffle_wire::search::ProductDoc;
use truffle_wire::search::{
    Highlight, LedgerRef, SearchHit, SearchQuery, SearchResults, SortOrder,
};

mod highlight;
mod meta;
mod query;

use highlight::{description_start, escape_html, Highlighter};
use meta::{format_payload, parse_payload, read_meta, write_meta};
use query::{plan_units, required_units};

/// Version of the index layout: schema, analyzers and what they produce. An index
/// directory written with another version is emptied on [`SearchIndex::open`], and
/// [`SearchIndex::indexed_height`] then reports `None` so the node rebuilds it.
pub const SCHEMA_VERSION: u32 = 3;

/// File in the index directory naming the schema version.
pub const META_FILE: &str = "truffle-index.meta";

const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;

// Fast-field names used by the sort.
const F_ID: &str = "id";
const F_PRICE: &str = "price";
const F_HEIGHT: &str = "registered_height";
const F_SOLD: &str = "sold";
const F_OPEN_RAFFLE: &str = "has_open_raffle";

/// The schema's fields, kept private to this module: the query plan and the highlighter
/// (submodules) read them, nothing outside the index does.
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
    image: Field,
    seller: Field,
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
        sold: b.add_u64_field(F_SOLD, FAST | STORED),
        open_raffle: b.add_bool_field(F_OPEN_RAFFLE, INDEXED | FAST | STORED),
        image: b.add_text_field("image", STORED),
        // The registering seller's key in hex: the seller centre's filter.
        seller: b.add_text_field("seller", STRING | STORED),
    };
    (b.build(), fields)
}

/// Most brands or categories [`SearchIndex::facets`] reports.
pub const MAX_FACETS: usize = 2_000;

/// A brand or category the indexed products hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facet {
    /// What the search's filter takes: the canonical form of the name as registered
    /// ("nike", "new balance", "sneakers").
    pub key: String,
    /// How many products hold it.
    pub products: u64,
    /// Other spellings from the built-in table ("나이키" for `nike`).
    pub spellings: Vec<String>,
}

/// The brands and categories of the indexed products, each at most [`MAX_FACETS`],
/// in key order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facets {
    /// Brands.
    pub brands: Vec<Facet>,
    /// Categories.
    pub categories: Vec<Facet>,
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
        if let Some(image) = &d.image {
            doc.add_text(f.image, image.to_hex());
        }
        if let Some(seller) = &d.seller {
            doc.add_text(f.seller, seller.to_hex());
        }
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
            image: doc
                .get_first(f.image)
                .and_then(|v| v.as_str())
                .and_then(|hex| truffle_ledger::Hash::from_hex(hex).ok()),
            seller: doc
                .get_first(f.seller)
                .and_then(|v| v.as_str())
                .and_then(|hex| truffle_ledger::PublicKey::from_hex(hex).ok()),
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

    /// The brands and categories the products of the last commit hold, with their
    /// other spellings from the built-in table: what a brand or category filter can
    /// take (the chatbot reads them in utterances).
    pub fn facets(&self) -> Result<Facets> {
        let searcher = self.reader.searcher();
        Ok(Facets {
            brands: self.facet(&searcher, self.fields.brand_key)?,
            categories: self.facet(&searcher, self.fields.category_key)?,
        })
    }

    fn facet(&self, searcher: &Searcher, field: Field) -> Result<Vec<Facet>> {
        let mut keys = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut terms = inverted
                .terms()
                .stream()
                .map_err(tantivy::TantivyError::from)?;
            while terms.advance() {
                if let Ok(key) = std::str::from_utf8(terms.key()) {
                    if !key.is_empty() {
                        keys.insert(key.to_owned());
                    }
                }
            }
        }
        let table = synonyms::table();
        let mut out = Vec::new();
        for key in keys {
            if out.len() >= MAX_FACETS {
                break;
            }
            // The term dictionary still holds terms of replaced documents until their
            // segment is merged: count the live ones.
            let query =
                TermQuery::new(Term::from_field_text(field, &key), IndexRecordOption::Basic);
            let products = searcher.search(&query, &Count)? as u64;
            if products == 0 {
                continue;
            }
            let spellings = table
                .lookup(&key)
                .map(|alternatives| alternatives.iter().map(|a| a.join(" ")).collect())
                .unwrap_or_default();
            out.push(Facet {
                key,
                products,
                spellings,
            });
        }
        Ok(out)
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
}

/// Sort key: compared as a tuple, greatest first. The middle element is the score; the
/// last breaks ties by product id.
type SortKey = (u64, Score, u64);

fn sort_key_fn(segment: &SegmentReader, sort: SortOrder) -> impl Fn(DocId, Score) -> SortKey {
    let fast = segment.fast_fields();
    let column = |name: &str| -> Option<Arc<dyn ColumnValues<u64>>> {
        fast.u64(name).ok().map(|c| c.first_or_default_col(0))
    };
    let (id, price, height, sold) = (
        column(F_ID),
        column(F_PRICE),
        column(F_HEIGHT),
        column(F_SOLD),
    );
    let open_raffle = fast
        .bool(F_OPEN_RAFFLE)
        .ok()
        .map(|c| c.first_or_default_col(false));
    move |doc: DocId, score: Score| {
        let get = |c: &Option<Arc<dyn ColumnValues<u64>>>| c.as_ref().map_or(0, |c| c.get_val(doc));
        let id = get(&id);
        match sort {
            SortOrder::Relevance => (0, score, u64::MAX - id),
            SortOrder::Newest => (get(&height), score, id),
            SortOrder::PriceAsc => (u64::MAX - get(&price), score, u64::MAX - id),
            SortOrder::PriceDesc => (get(&price), score, u64::MAX - id),
            // Pieces sold first, then an open raffle, then the newest product (the
            // order the main page's "popular" list promises).
            SortOrder::Popular => {
                let open = open_raffle.as_ref().is_some_and(|c| c.get_val(doc));
                (get(&sold) * 2 + u64::from(open), score, id)
            }
        }
    }
}
