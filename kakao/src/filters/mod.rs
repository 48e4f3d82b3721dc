//! Filters in a search utterance: category, stock, brand and price words become the
//! search's filters, so that "한정판 스니커즈 아직 재고 있어?" asks for sneakers with
//! pieces for sale, not for products whose names hold any of those words.
//!
//! - **Categories**: a small Korean/English table ([`CATEGORIES`]: "스니커즈", "운동화",
//!   "shoes" → `sneakers`), kept to the categories the catalog holds when the data
//!   source says which ([`Vocabulary::categories`], whose own spellings count too).
//! - **Brands**: only the catalog's ([`Vocabulary::brands`], with their Korean and
//!   English spellings): a brand the catalog does not hold stays a search word, since it
//!   may be part of a name ("조던" is a Nike model in one catalog and a brand in another).
//! - **Stock**: "재고", "남은", "구매 가능", "in stock", "available".
//! - **Prices**: "10만원 이하", "20만원 미만", "5만원 이상", "10~20만원", "10만원대",
//!   "십만원까지", "under 100000", "over 50,000원", "between 50000 and 100000"; an amount
//!   alone ("10만원 스니커즈") is a budget. A bare number is a price only next to a
//!   comparison and from 1,000 up, so model numbers ("조던 1", "990v6", "350") stay words.
//!
//! Korean particles glued to a word ("스니커즈는", "나이키꺼") are allowed, and words that
//! carry no product meaning once the filters are read ("아직", "한정판", "있는") are
//! dropped. Two different brands or categories in one utterance set no filter: both stay
//! search words.

use crate::data::{ProductQuery, Term, Vocabulary};
use crate::text::format_won;

mod price;

use price::read_prices;

/// The bot's categories: the catalog's key, its Korean name, and the words that mean it.
pub const CATEGORIES: &[(&str, &str, &[&str])] = &[
    (
        "sneakers",
        "스니커즈",
        &[
            "스니커즈",
            "스니커",
            "운동화",
            "신발",
            "슈즈",
            "sneakers",
            "sneaker",
            "shoes",
            "kicks",
        ],
    ),
    (
        "streetwear",
        "스트릿웨어",
        &[
            "스트릿웨어",
            "스트리트웨어",
            "스트릿",
            "의류",
            "옷",
            "streetwear",
            "apparel",
            "clothing",
            "clothes",
        ],
    ),
    (
        "watches",
        "시계",
        &["시계", "손목시계", "워치", "watches", "watch"],
    ),
    (
        "bags",
        "가방",
        &["가방", "핸드백", "백", "bags", "bag", "handbags", "handbag"],
    ),
    ("whisky", "위스키", &["위스키", "양주", "whisky", "whiskey"]),
    ("toys", "장난감", &["장난감", "토이", "완구", "toys", "toy"]),
    (
        "cards",
        "카드",
        &["카드", "트레이딩카드", "트레카", "cards", "card", "tcg"],
    ),
    (
        "figures",
        "피규어",
        &["피규어", "피겨", "figures", "figure"],
    ),
    (
        "kpop",
        "케이팝",
        &["케이팝", "kpop", "k-pop", "앨범", "albums", "album"],
    ),
    (
        "games",
        "게임",
        &[
            "게임",
            "게임기",
            "콘솔",
            "비디오게임",
            "games",
            "game",
            "console",
            "consoles",
        ],
    ),
];

/// Phrases that ask for pieces for sale now (matched on words, spaces ignored).
const STOCK_PHRASES: &[&str] = &[
    "재고있는",
    "재고있음",
    "재고있어",
    "재고가있는",
    "재고",
    "남아있는",
    "남은",
    "구매가능한",
    "구매가능",
    "살수있는",
    "판매중인",
    "판매중",
    "품절아닌",
    "품절안된",
    "품절제외",
    "instock",
    "available",
];

/// Words with no product meaning once the filters are read (everything here is a
/// limited edition, and "아직 있는" only asks about stock).
const FILLERS: &[&str] = &[
    "아직",
    "지금",
    "현재",
    "혹시",
    "좀",
    "한정판",
    "한정",
    "있는",
    "있음",
    "있는거",
    "있는것",
    "것",
    "거",
    "꺼",
    "것들",
    "거만",
    "것만",
    "중에",
    "중에서",
    "중",
    "제품",
    "상품",
    "물건",
    "종류",
    "뭐",
    "어떤",
    "limited",
    "edition",
    "any",
    "some",
    "the",
    "a",
    "an",
    "in",
    "with",
    "for",
    "please",
    "show",
    "me",
    "find",
];

/// Endings glued to a noun ("스니커즈는", "나이키꺼", "시계중에").
const PARTICLES: &[&str] = &[
    "중에서도",
    "중에서",
    "으로",
    "에서",
    "이랑",
    "하고",
    "중에",
    "같은",
    "제품",
    "상품",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "도",
    "만",
    "로",
    "의",
    "에",
    "중",
    "꺼",
    "거",
    "것",
    "들",
    "류",
    "쪽",
    "랑",
    "와",
    "과",
];

/// What the bot read in a search: the query to run and, in Korean, the filters it
/// understood (for the answer: "스니커즈 · 재고 있음 · 100,000원 이하").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadSearch {
    /// The words left and the filters.
    pub query: ProductQuery,
    /// The filters as the answer names them, in the order above.
    pub understood: Vec<String>,
    /// The brand as typed, when it became the brand filter (to search it as a word
    /// instead if the filter finds nothing).
    pub brand_words: Option<String>,
}

impl ReadSearch {
    /// The filters as one Korean phrase ("스니커즈 · 재고 있음"), empty without any.
    pub fn summary(&self) -> String {
        self.understood.join(" · ")
    }
}

/// Reads the filters in `words` (an utterance's search words) against `vocabulary`.
pub fn read_search(words: &str, vocabulary: &Vocabulary) -> ReadSearch {
    let (prices, rest) = read_prices(words);
    let mut tokens: Vec<Token> = rest
        .split_whitespace()
        .map(|raw| {
            let raw = raw.trim_matches(|c: char| {
                matches!(
                    c,
                    ',' | '.'
                        | '?'
                        | '!'
                        | '~'
                        | '"'
                        | '\''
                        | '‘'
                        | '’'
                        | '“'
                        | '”'
                        | '('
                        | ')'
                        | '['
                        | ']'
                        | '？'
                        | '！'
                )
            });
            Token {
                raw: raw.to_owned(),
                lower: raw.to_lowercase(),
                used: false,
            }
        })
        .filter(|t| !t.raw.is_empty())
        .collect();

    let mut query = ProductQuery::default();
    let mut understood = Vec::new();

    // Brands: the catalog's, longest spelling first.
    let brand_spellings = spellings(&vocabulary.brands);
    let mut brand_words = None;
    if let Some((key, label)) = take_one(&mut tokens, &brand_spellings) {
        query.brand = Some(key);
        brand_words = Some(label.clone());
        understood.push(label);
    }

    // Categories: the bot's table, kept to the catalog's categories when known, and the
    // catalog's own.
    let known: Vec<String> = vocabulary
        .categories
        .iter()
        .map(|t| squash(&t.key))
        .collect();
    let mut category_spellings: Vec<(String, String, String)> = Vec::new();
    for (key, name, words) in CATEGORIES {
        let key_in_catalog = vocabulary
            .categories
            .iter()
            .find(|t| squash(&t.key) == squash(key))
            .map(|t| t.key.clone());
        let key = match (known.is_empty(), key_in_catalog) {
            (true, _) => (*key).to_owned(),
            (false, Some(catalog_key)) => catalog_key,
            (false, None) => continue,
        };
        for word in *words {
            category_spellings.push((squash(word), key.clone(), (*name).to_owned()));
        }
    }
    for term in &vocabulary.categories {
        let name = CATEGORIES
            .iter()
            .find(|(key, ..)| squash(key) == squash(&term.key))
            .map(|(_, name, _)| (*name).to_owned())
            .unwrap_or_else(|| term.key.clone());
        for spelling in std::iter::once(&term.key).chain(&term.spellings) {
            category_spellings.push((squash(spelling), term.key.clone(), name.clone()));
        }
    }
    category_spellings.sort_by_key(|s| std::cmp::Reverse(s.0.chars().count()));
    if let Some((key, label)) = take_one_labelled(&mut tokens, &category_spellings) {
        query.category = Some(key);
        understood.push(label);
    }

    // Stock.
    if take_phrases(&mut tokens, STOCK_PHRASES) {
        query.in_stock = true;
        understood.push("재고 있음".to_owned());
    }

    // Prices.
    if prices.min.is_some() || prices.max.is_some() {
        query.min_price = prices.min;
        query.max_price = prices.max;
        understood.push(price_label(prices.min, prices.max));
    }

    // What is left, without the fillers.
    let text: Vec<&str> = tokens
        .iter()
        .filter(|t| !t.used)
        .filter(|t| !FILLERS.contains(&t.lower.as_str()))
        .map(|t| t.raw.as_str())
        .collect();
    query.text = text.join(" ");
    ReadSearch {
        query,
        understood,
        brand_words,
    }
}

/// Whether `text` holds a filter word the bot knows without the catalog: a category of
/// its table, a stock word or a price. Brands are not checked (they come from the
/// catalog), so "나이키" alone is a product name to the router, as before.
pub fn mentions_filter(text: &str) -> bool {
    let (prices, rest) = read_prices(text);
    if prices.min.is_some() || prices.max.is_some() {
        return true;
    }
    let read = read_search(&rest, &Vocabulary::default());
    read.query.in_stock || read.query.category.is_some()
}

fn price_label(min: Option<u64>, max: Option<u64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("{}~{}", format_won(lo), format_won(hi)),
        (Some(lo), None) => format!("{} 이상", format_won(lo)),
        (None, Some(hi)) => format!("{} 이하", format_won(hi)),
        (None, None) => String::new(),
    }
}

/// Lower-cased, without spaces and hyphens: how spellings and words are compared.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

struct Token {
    raw: String,
    lower: String,
    used: bool,
}

/// `(squashed spelling, key, label)` of every term, longest first; the label is what
/// the user typed, filled in when matched.
fn spellings(terms: &[Term]) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = terms
        .iter()
        .flat_map(|t| {
            std::iter::once(&t.key)
                .chain(&t.spellings)
                .map(move |s| (squash(s), t.key.clone(), String::new()))
        })
        .filter(|(s, ..)| !s.is_empty())
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse(s.0.chars().count()));
    out
}

/// Whether `word` is `spelling` with a particle glued to it, or nothing.
fn is_word_with_particle(word: &str, spelling: &str) -> bool {
    match word.strip_prefix(spelling) {
        Some("") => true,
        Some(rest) => PARTICLES.contains(&rest),
        None => false,
    }
}

/// The tokens from `start` that spell `spelling` (one to three words, written with or
/// without spaces; the last may carry a particle): how many, if they do.
fn match_at(tokens: &[Token], start: usize, spelling: &str) -> Option<usize> {
    let mut joined = String::new();
    for (n, token) in tokens[start..].iter().take(3).enumerate() {
        if token.used {
            return None;
        }
        let word = squash(&token.lower);
        if is_word_with_particle(&format!("{joined}{word}"), spelling) {
            return Some(n + 1);
        }
        joined.push_str(&word);
        if !spelling.starts_with(&joined) {
            return None;
        }
    }
    None
}

/// Finds the spellings of `table` in `tokens`; when every match names one key, marks
/// those tokens used and returns the key with the words as typed. Matches of two keys
/// set nothing.
fn take_one(tokens: &mut [Token], table: &[(String, String, String)]) -> Option<(String, String)> {
    let matches = find_all(tokens, table);
    let key = &matches.first()?.2;
    if matches.iter().any(|(.., k, _)| k != key) {
        return None;
    }
    let key = key.clone();
    let mut label = Vec::new();
    for (start, len, _, _) in &matches {
        for token in &mut tokens[*start..start + len] {
            token.used = true;
        }
        if label.is_empty() {
            label = tokens[*start..start + len]
                .iter()
                .map(|t| t.raw.clone())
                .collect();
        }
    }
    let typed = label.join(" ");
    // The label without a particle the user glued to the brand ("나이키꺼" → "나이키").
    let label = table
        .iter()
        .filter(|(_, k, _)| *k == key)
        .map(|(s, ..)| s)
        .find(|s| squash(&typed).starts_with(s.as_str()) && squash(&typed) != **s)
        .map(|s| {
            let chars = s.chars().count();
            typed
                .chars()
                .take(chars + typed.matches(' ').count())
                .collect()
        })
        .unwrap_or(typed);
    Some((key, label))
}

/// Like [`take_one`], with the label from the table (a category's Korean name).
fn take_one_labelled(
    tokens: &mut [Token],
    table: &[(String, String, String)],
) -> Option<(String, String)> {
    let matches = find_all(tokens, table);
    let (_, _, key, label) = matches.first()?.clone();
    if matches.iter().any(|(.., k, _)| *k != key) {
        return None;
    }
    for (start, len, ..) in &matches {
        for token in &mut tokens[*start..start + len] {
            token.used = true;
        }
    }
    Some((key, label))
}

/// Every match `(start, words, key, label)` of the table's spellings, left to right,
/// longest spelling first at each word.
fn find_all(
    tokens: &[Token],
    table: &[(String, String, String)],
) -> Vec<(usize, usize, String, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let found = table.iter().find_map(|(spelling, key, label)| {
            match_at(tokens, i, spelling).map(|n| (n, key.clone(), label.clone()))
        });
        match found {
            Some((n, key, label)) => {
                out.push((i, n, key, label));
                i += n;
            }
            None => i += 1,
        }
    }
    out
}

/// Marks the words of any of `phrases` (compared without spaces, one to three words, a
/// particle allowed at the end) used; whether there was one.
fn take_phrases(tokens: &mut [Token], phrases: &[&str]) -> bool {
    let mut found = false;
    let mut i = 0;
    while i < tokens.len() {
        match phrases.iter().find_map(|p| match_at(tokens, i, &squash(p))) {
            Some(n) => {
                for token in &mut tokens[i..i + n] {
                    token.used = true;
                }
                found = true;
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        let term = |key: &str, spellings: &[&str]| Term {
            key: key.into(),
            spellings: spellings.iter().map(|s| s.to_string()).collect(),
        };
        Vocabulary {
            brands: vec![
                term("nike", &["나이키", "Nike"]),
                term("new balance", &["뉴발란스", "뉴발"]),
                term("lego", &["레고"]),
                term("sony", &[]),
                term("louis vuitton", &["루이비통", "루이뷔통"]),
            ],
            categories: vec![
                term("sneakers", &["스니커즈", "운동화"]),
                term("kpop", &[]),
                term("games", &["게임"]),
                term("watches", &[]),
                term("jewelry", &["주얼리"]),
            ],
        }
    }

    fn read(words: &str) -> ProductQuery {
        read_search(words, &vocabulary()).query
    }

    #[test]
    fn the_issues_question_is_sneakers_in_stock() {
        let read = read_search("한정판 스니커즈 아직 재고", &vocabulary());
        assert_eq!(
            read.query,
            ProductQuery {
                category: Some("sneakers".into()),
                in_stock: true,
                ..ProductQuery::default()
            }
        );
        assert_eq!(read.summary(), "스니커즈 · 재고 있음");
    }

    #[test]
    fn categories_from_the_table_and_the_catalog() {
        assert_eq!(read("운동화").category.as_deref(), Some("sneakers"));
        assert_eq!(read("신발은").category.as_deref(), Some("sneakers"));
        assert_eq!(read("shoes").category.as_deref(), Some("sneakers"));
        assert_eq!(read("앨범").category.as_deref(), Some("kpop"));
        assert_eq!(read("게임기 중에").category.as_deref(), Some("games"));
        assert_eq!(read("시계").category.as_deref(), Some("watches"));
        // The catalog's own category, not in the bot's table.
        assert_eq!(read("주얼리").category.as_deref(), Some("jewelry"));
        // A category of the table the catalog does not hold stays a word.
        let q = read("가방");
        assert_eq!((q.category, q.text.as_str()), (None, "가방"));
        // Without the catalog's list, the table alone.
        let q = read_search("가방", &Vocabulary::default()).query;
        assert_eq!(q.category.as_deref(), Some("bags"));
        // Two categories: no filter, both words kept.
        let q = read("스니커즈 시계");
        assert_eq!((q.category, q.text.as_str()), (None, "스니커즈 시계"));
    }

    #[test]
    fn brands_only_from_the_catalog() {
        let q = read("나이키 덩크");
        assert_eq!(q.brand.as_deref(), Some("nike"));
        assert_eq!(q.text, "덩크");
        let q = read("나이키꺼 운동화");
        assert_eq!(
            (q.brand.as_deref(), q.category.as_deref(), q.text.as_str()),
            (Some("nike"), Some("sneakers"), "")
        );
        assert_eq!(
            read("new balance 990").brand.as_deref(),
            Some("new balance")
        );
        assert_eq!(read("NewBalance").brand.as_deref(), Some("new balance"));
        assert_eq!(read("뉴발 2002R").text, "2002R");
        assert_eq!(
            read("루이비통 스피디").brand.as_deref(),
            Some("louis vuitton")
        );
        // Not a brand of this catalog: a search word.
        let q = read("조던 1");
        assert_eq!((q.brand, q.text.as_str()), (None, "조던 1"));
        // Two brands: no filter.
        let q = read("나이키 레고");
        assert_eq!((q.brand, q.text.as_str()), (None, "나이키 레고"));
        let read = read_search("나이키꺼 있는 거", &vocabulary());
        assert_eq!(read.summary(), "나이키");
    }

    #[test]
    fn stock_words() {
        for words in [
            "재고",
            "재고 있는 덩크",
            "재고가 있는 덩크",
            "남은 덩크",
            "구매 가능한 덩크",
            "판매중인 덩크",
            "품절 아닌 덩크",
            "덩크 in stock",
            "available 덩크",
        ] {
            let q = read(words);
            assert!(q.in_stock, "{words}");
            assert!(
                q.text == "덩크" || q.text.is_empty(),
                "{words}: {:?}",
                q.text
            );
        }
        assert!(!read("덩크").in_stock);
    }

    fn prices(words: &str) -> (Option<u64>, Option<u64>, String) {
        let q = read(words);
        (q.min_price, q.max_price, q.text)
    }

    #[test]
    fn korean_prices() {
        let cases: &[(&str, Option<u64>, Option<u64>, &str)] = &[
            ("10만원 이하 덩크", None, Some(100_000), "덩크"),
            ("10만원이하", None, Some(100_000), ""),
            ("10만 원 이하로", None, Some(100_000), ""),
            ("20만원 미만", None, Some(199_999), ""),
            ("5만원 이상", Some(50_000), None, ""),
            ("5만원 초과", Some(50_001), None, ""),
            ("100,000원 미만", None, Some(99_999), ""),
            ("100000원 이하", None, Some(100_000), ""),
            ("10~20만원 스니커즈", Some(100_000), Some(200_000), ""),
            ("10만원에서 20만원 사이", Some(100_000), Some(200_000), ""),
            ("10만원부터 20만원까지", Some(100_000), Some(200_000), ""),
            ("10만원대", Some(100_000), Some(199_999), ""),
            ("5만원대 덩크", Some(50_000), Some(59_999), "덩크"),
            ("150만원대", Some(1_500_000), Some(1_599_999), ""),
            ("십만원까지", None, Some(100_000), ""),
            ("오십만원 이하", None, Some(500_000), ""),
            ("백만원 넘는", Some(1_000_001), None, ""),
            ("1.5만원 이하", None, Some(15_000), ""),
            ("15만 5천원 이하", None, Some(155_000), ""),
            ("최대 30만원", None, Some(300_000), ""),
            ("10만원 스니커즈", None, Some(100_000), ""),
            ("10만원짜리", None, Some(100_000), ""),
            ("1억 이상", Some(100_000_000), None, ""),
        ];
        for (words, min, max, text) in cases {
            assert_eq!(prices(words), (*min, *max, text.to_string()), "{words}");
        }
    }

    #[test]
    fn english_prices() {
        let cases: &[(&str, Option<u64>, Option<u64>, &str)] = &[
            ("under 100000", None, Some(100_000), ""),
            ("sneakers under 100,000 won", None, Some(100_000), ""),
            ("below ₩150,000", None, Some(150_000), ""),
            ("less than 100000", None, Some(99_999), ""),
            ("over 50000", Some(50_001), None, ""),
            ("at least 50000", Some(50_000), None, ""),
            ("between 50000 and 100000", Some(50_000), Some(100_000), ""),
            ("50000-100000", Some(50_000), Some(100_000), ""),
            ("100k or less", None, Some(100_000), ""),
            ("up to 200k", None, Some(200_000), ""),
        ];
        for (words, min, max, text) in cases {
            assert_eq!(prices(words), (*min, *max, text.to_string()), "{words}");
        }
    }

    #[test]
    fn model_numbers_are_not_prices() {
        for words in [
            "조던 1",
            "990v6",
            "이지 350",
            "2002R",
            "에어포스 1 '07",
            "레고 75192",
            "플스5",
            "에어맥스 1 86",
        ] {
            let q = read(words);
            assert_eq!((q.min_price, q.max_price), (None, None), "{words}: {q:?}");
        }
        // "이하" alone, and 이 as a particle, are not numerals.
        assert_eq!(prices("이하"), (None, None, "이하".into()));
        assert_eq!(read("조던 1").text, "조던 1");
    }

    #[test]
    fn everything_at_once() {
        let read = read_search(
            "나이키 스니커즈 중에 20만원 이하로 재고 있는 거",
            &vocabulary(),
        );
        assert_eq!(
            read.query,
            ProductQuery {
                text: String::new(),
                brand: Some("nike".into()),
                category: Some("sneakers".into()),
                in_stock: true,
                min_price: None,
                max_price: Some(200_000),
            }
        );
        assert_eq!(
            read.summary(),
            "나이키 · 스니커즈 · 재고 있음 · 200,000원 이하"
        );
    }

    #[test]
    fn the_router_sees_filter_words() {
        for text in [
            "재고 있는 스니커즈",
            "under 100000 sneakers",
            "10만원 이하",
            "운동화",
        ] {
            assert!(mentions_filter(text), "{text}");
        }
        for text in ["오늘 날씨 어때", "나이키", "조던 1", "990v6"] {
            assert!(!mentions_filter(text), "{text}");
        }
    }
}
