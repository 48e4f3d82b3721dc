//! Text analysis for Korean, English and mixed product text, without a dictionary.
//!
//! Two analyzers are registered on the index, both built from tantivy's tokenizer API:
//!
//! - [`WORD_ANALYZER`]: [`ScriptTokenizer`] → [`LowerCaser`] → [`AsciiFoldingFilter`].
//!   Text is cut into *words* at every change of script, so letter/digit boundaries split
//!   ("조던1" → `조던` `1`, "Jordan1" → `jordan` `1`, "DD1391-100" → `dd` `1391` `100`).
//!   Used by the whole-word fields and to read queries.
//! - [`GRAM_ANALYZER`]: the word chain followed by [`GramFilter`], which turns each word
//!   into the n-grams that make partial words match: character bigrams for Hangul (and
//!   other CJK scripts; a single-syllable word stays a unigram), edge n-grams (prefixes of
//!   2 to 20 characters) for Latin words and numbers. A query word is looked up in the gram
//!   fields as its bigrams (Hangul) or as itself (a prefix), so "범고래" finds "범고래",
//!   "덩크" finds "덩크로우" and "dun" finds "Dunk".
//!
//! Query-side expansion between Korean and English spellings (a small built-in table of
//! brand and model words, e.g. 나이키 ↔ nike, 뉴발란스 ↔ new balance) happens when a query
//! is planned, not here.

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
    TokenizerManager,
};

/// Name of the whole-word analyzer registered on the index.
pub const WORD_ANALYZER: &str = "truffle_word";
/// Name of the n-gram analyzer registered on the index.
pub const GRAM_ANALYZER: &str = "truffle_gram";

/// Shortest Latin/number prefix indexed (a one-character word is indexed whole).
pub const MIN_EDGE_GRAM: usize = 2;
/// Longest Latin/number prefix indexed (longer words are also indexed whole).
pub const MAX_EDGE_GRAM: usize = 20;
/// Words longer than this many characters are cut into pieces.
const MAX_WORD_CHARS: usize = 64;

/// The script class of a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Script {
    /// Hangul, Han, kana: indexed as character bigrams.
    Cjk,
    /// Any other alphabetic script: indexed as prefixes.
    Latin,
    /// Numbers: indexed as prefixes.
    Digit,
}

/// Classifies a character; `None` for separators (spaces, punctuation, symbols).
pub(crate) fn classify(c: char) -> Option<Script> {
    let u = c as u32;
    let cjk = matches!(u,
        0xAC00..=0xD7A3   // Hangul syllables
        | 0x1100..=0x11FF // Hangul jamo
        | 0x3130..=0x318F // Hangul compatibility jamo
        | 0xA960..=0xA97F // Hangul jamo extended-A
        | 0xD7B0..=0xD7FF // Hangul jamo extended-B
        | 0x3040..=0x30FF // Hiragana, katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFF66..=0xFF9F // Half-width katakana
    );
    if cjk {
        Some(Script::Cjk)
    } else if c.is_numeric() {
        Some(Script::Digit)
    } else if c.is_alphabetic() {
        Some(Script::Latin)
    } else {
        None
    }
}

/// The script of a (non-empty) word, from its first character.
pub(crate) fn script_of(word: &str) -> Script {
    word.chars()
        .next()
        .and_then(classify)
        .unwrap_or(Script::Latin)
}

/// Maps full-width ASCII forms ("Ｎｉｋｅ１") to ASCII.
fn narrow(c: char) -> char {
    match c as u32 {
        u @ 0xFF01..=0xFF5E => char::from_u32(u - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Combining marks (decomposed accents) continue the current word and are dropped.
fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F)
}

/// Splits text into words at every change of script (Hangul/CJK, letters, digits) and at
/// every separator. Full-width forms are narrowed; an apostrophe between letters is
/// dropped ("Levi's" → `Levis`, "Arc'teryx" → `Arcteryx`). Case is kept: lowercasing
/// and folding are the next filters of the chain.
#[derive(Clone, Debug, Default)]
pub struct ScriptTokenizer;

/// Token stream of [`ScriptTokenizer`].
pub struct ScriptTokenStream<'a> {
    text: &'a str,
    cursor: usize,
    position: usize,
    token: Token,
}

impl Tokenizer for ScriptTokenizer {
    type TokenStream<'a> = ScriptTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ScriptTokenStream<'a> {
        ScriptTokenStream {
            text,
            cursor: 0,
            position: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for ScriptTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let rest = &self.text[self.cursor..];
        let mut chars = rest.char_indices().peekable();
        // Skip separators.
        let (start, script) = loop {
            match chars.next() {
                None => {
                    self.cursor = self.text.len();
                    return false;
                }
                Some((i, c)) => {
                    if let Some(script) = classify(narrow(c)) {
                        break (i, script);
                    }
                }
            }
        };
        self.token.text.clear();
        self.token
            .text
            .push(narrow(rest[start..].chars().next().unwrap_or(' ')));
        let mut count = 1;
        let mut end = start + rest[start..].chars().next().map_or(1, char::len_utf8);
        while let Some(&(i, c)) = chars.peek() {
            if count >= MAX_WORD_CHARS {
                break;
            }
            let n = narrow(c);
            if classify(n) == Some(script) {
                self.token.text.push(n);
                count += 1;
            } else if is_combining(c) {
                // Part of the previous letter; dropped.
            } else if script == Script::Latin && matches!(c, '\'' | '’') {
                // Keep going only if a letter follows the apostrophe.
                let after = i + c.len_utf8();
                let next_is_letter = rest[after..]
                    .chars()
                    .next()
                    .is_some_and(|d| classify(narrow(d)) == Some(Script::Latin));
                if !next_is_letter {
                    break;
                }
            } else {
                break;
            }
            chars.next();
            end = i + c.len_utf8();
        }
        self.token.offset_from = self.cursor + start;
        self.token.offset_to = self.cursor + end;
        self.token.position = self.position;
        self.token.position_length = 1;
        self.position += 1;
        self.cursor += end;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Turns each word into the n-grams the gram fields index: Hangul/CJK words into
/// character bigrams (a one-character word stays whole), Latin words and numbers into
/// their prefixes of [`MIN_EDGE_GRAM`]..=[`MAX_EDGE_GRAM`] characters (a word of one
/// character, or longer than the maximum, is also emitted whole). All grams of a word
/// share its position. Bigram offsets point at their two characters, so highlights are
/// exact; a prefix highlights its whole word.
#[derive(Clone, Copy, Debug, Default)]
pub struct GramFilter;

impl TokenFilter for GramFilter {
    type Tokenizer<T: Tokenizer> = GramFilterWrapper<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> GramFilterWrapper<T> {
        GramFilterWrapper { inner: tokenizer }
    }
}

/// The tokenizer produced by [`GramFilter`].
#[derive(Clone, Debug)]
pub struct GramFilterWrapper<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for GramFilterWrapper<T> {
    type TokenStream<'a> = GramTokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        GramTokenStream {
            tail: self.inner.token_stream(text),
            pending: Vec::new(),
            next: 0,
            token: Token::default(),
        }
    }
}

/// Token stream of [`GramFilter`].
pub struct GramTokenStream<S> {
    tail: S,
    pending: Vec<Token>,
    next: usize,
    token: Token,
}

impl<S: TokenStream> TokenStream for GramTokenStream<S> {
    fn advance(&mut self) -> bool {
        loop {
            if self.next < self.pending.len() {
                self.token = std::mem::take(&mut self.pending[self.next]);
                self.next += 1;
                return true;
            }
            if !self.tail.advance() {
                return false;
            }
            self.pending.clear();
            self.next = 0;
            expand_grams(self.tail.token(), &mut self.pending);
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

fn expand_grams(word: &Token, out: &mut Vec<Token>) {
    let text = word.text.as_str();
    let mut push = |t: &str, from: usize, to: usize| {
        out.push(Token {
            offset_from: from,
            offset_to: to,
            position: word.position,
            text: t.to_string(),
            position_length: 1,
        })
    };
    match script_of(text) {
        Script::Cjk => {
            // Byte offsets inside the word are exact only if the text is the source slice.
            let exact = text.len() == word.offset_to.saturating_sub(word.offset_from);
            let bounds: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect();
            let n = bounds.len() - 1;
            if n <= 1 {
                push(text, word.offset_from, word.offset_to);
                return;
            }
            for i in 0..n - 1 {
                let (a, b) = (bounds[i], bounds[i + 2]);
                if exact {
                    push(&text[a..b], word.offset_from + a, word.offset_from + b);
                } else {
                    push(&text[a..b], word.offset_from, word.offset_to);
                }
            }
        }
        Script::Latin | Script::Digit => {
            let n = text.chars().count();
            if !(MIN_EDGE_GRAM..=MAX_EDGE_GRAM).contains(&n) {
                push(text, word.offset_from, word.offset_to);
            }
            for (count, (i, c)) in text.char_indices().enumerate() {
                let len = count + 1;
                if len > MAX_EDGE_GRAM {
                    break;
                }
                if len >= MIN_EDGE_GRAM {
                    push(&text[..i + c.len_utf8()], word.offset_from, word.offset_to);
                }
            }
        }
    }
}

/// The whole-word analyzer: script split, lowercase, ASCII folding.
pub fn word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(ScriptTokenizer)
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The n-gram analyzer: the word analyzer followed by [`GramFilter`].
pub fn gram_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(ScriptTokenizer)
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(GramFilter)
        .build()
}

/// Registers [`WORD_ANALYZER`] and [`GRAM_ANALYZER`] on a tokenizer manager.
pub fn register_analyzers(manager: &TokenizerManager) {
    manager.register(WORD_ANALYZER, word_analyzer());
    manager.register(GRAM_ANALYZER, gram_analyzer());
}

/// Normalized words of `text` (what [`WORD_ANALYZER`] produces), in order.
pub fn words(text: &str) -> Vec<String> {
    let mut analyzer = word_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// Terms of `text` in the gram fields (what [`GRAM_ANALYZER`] produces), in order.
pub fn grams(text: &str) -> Vec<String> {
    let mut analyzer = gram_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// The gram-field terms a normalized query word is looked up as: its bigrams (Hangul),
/// or itself as a prefix (Latin, numbers; cut to [`MAX_EDGE_GRAM`] characters).
pub(crate) fn query_grams(word: &str) -> Vec<String> {
    match script_of(word) {
        Script::Cjk => {
            let chars: Vec<char> = word.chars().collect();
            if chars.len() <= 1 {
                vec![word.to_string()]
            } else {
                chars.windows(2).map(|w| w.iter().collect()).collect()
            }
        }
        Script::Latin | Script::Digit => {
            vec![word.chars().take(MAX_EDGE_GRAM).collect()]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    #[test]
    fn splits_at_script_and_digit_boundaries() {
        assert_eq!(words("조던1"), ["조던", "1"]);
        assert_eq!(words("Jordan1"), ["jordan", "1"]);
        assert_eq!(words("에어 조던 1 레트로"), ["에어", "조던", "1", "레트로"]);
        assert_eq!(words("DD1391-100"), ["dd", "1391", "100"]);
        assert_eq!(words("나이키Dunk로우"), ["나이키", "dunk", "로우"]);
        assert_eq!(words("dunk low 범고래"), ["dunk", "low", "범고래"]);
    }

    #[test]
    fn lowercases_folds_and_narrows() {
        assert_eq!(words("Hermès CÉLINE"), ["hermes", "celine"]);
        assert_eq!(words("Ｎｉｋｅ１"), ["nike", "1"]);
        assert_eq!(words("Levi's Arc’teryx"), ["levis", "arcteryx"]);
        assert_eq!(words("Cafe\u{301} ok"), ["cafe", "ok"]);
        assert_eq!(words("'quoted' - text!"), ["quoted", "text"]);
        assert!(words("  ...  !!").is_empty());
    }

    #[test]
    fn word_offsets_and_positions() {
        let mut a = word_analyzer();
        assert_eq!(
            tokens(&mut a, "조던1 Dunk"),
            vec![
                ("조던".to_string(), 0, 6, 0),
                ("1".to_string(), 6, 7, 1),
                ("dunk".to_string(), 8, 12, 2),
            ]
        );
    }

    #[test]
    fn hangul_bigrams_and_single_syllable_unigrams() {
        assert_eq!(grams("범고래"), ["범고", "고래"]);
        assert_eq!(grams("덩크로우"), ["덩크", "크로", "로우"]);
        assert_eq!(grams("백"), ["백"]);
        assert_eq!(grams("덩크"), ["덩크"]);
        // Bigram offsets point at the two syllables.
        let mut a = gram_analyzer();
        assert_eq!(
            tokens(&mut a, "덩크로우"),
            vec![
                ("덩크".to_string(), 0, 6, 0),
                ("크로".to_string(), 3, 9, 0),
                ("로우".to_string(), 6, 12, 0),
            ]
        );
    }

    #[test]
    fn latin_edge_grams() {
        assert_eq!(grams("Dunk"), ["du", "dun", "dunk"]);
        assert_eq!(grams("x"), ["x"]);
        assert_eq!(grams("1391"), ["13", "139", "1391"]);
        let long = "a".repeat(25);
        let g = grams(&long);
        assert_eq!(g.len(), 1 + (MAX_EDGE_GRAM - 1));
        assert_eq!(g[0], long);
    }

    #[test]
    fn partial_query_words_are_index_terms() {
        // Every query-side gram of a prefix / substring is produced by the indexer.
        let cases = [
            ("범고래", "나이키 덩크 로우 범고래"),
            ("덩크", "덩크로우"),
            ("dun", "Nike Dunk Low"),
            ("jord", "Air Jordan 1"),
            ("139", "DD1391-100"),
            ("조던", "에어조던"),
        ];
        for (query, doc) in cases {
            let indexed = grams(doc);
            for w in words(query) {
                for g in query_grams(&w) {
                    assert!(indexed.contains(&g), "{query:?}: {g:?} not in {indexed:?}");
                }
            }
        }
        // "조던1" and "조던 1" read the same.
        assert_eq!(words("조던1"), words("조던 1"));
        assert_eq!(words("jordan1"), words("Jordan 1"));
    }

    #[test]
    fn long_runs_are_cut() {
        let run = "가".repeat(150);
        let w = words(&run);
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].chars().count(), MAX_WORD_CHARS);
    }
}
