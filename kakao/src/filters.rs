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

// ---- prices ---------------------------------------------------------------------------

/// The price range read from a text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Prices {
    min: Option<u64>,
    max: Option<u64>,
}

impl Prices {
    fn at_least(&mut self, v: u64) {
        self.min = Some(self.min.map_or(v, |m| m.max(v)));
    }
    fn at_most(&mut self, v: u64) {
        self.max = Some(self.max.map_or(v, |m| m.min(v)));
    }
}

/// An amount in the text: its value, where it is (char indexes), and whether it said
/// it is money (a unit like 만, or 원, ₩, won).
#[derive(Clone, Copy, Debug)]
struct Amount {
    value: u64,
    start: usize,
    end: usize,
    money: bool,
    /// The last unit's size (10,000 for "20만"), for "10~20만원".
    unit: u64,
}

const HANGUL_DIGITS: &[(char, u64)] = &[
    ('일', 1),
    ('이', 2),
    ('삼', 3),
    ('사', 4),
    ('오', 5),
    ('육', 6),
    ('칠', 7),
    ('팔', 8),
    ('구', 9),
];

fn hangul_digit(c: char) -> Option<u64> {
    HANGUL_DIGITS.iter().find(|(h, _)| *h == c).map(|(_, v)| *v)
}

fn small_unit(c: char) -> Option<u64> {
    match c {
        '십' => Some(10),
        '백' => Some(100),
        '천' => Some(1_000),
        _ => None,
    }
}

fn big_unit(c: char) -> Option<u64> {
    match c {
        '만' => Some(10_000),
        '억' => Some(100_000_000),
        _ => None,
    }
}

/// A number written in Arabic digits (with `,` grouping and one `.`) at `i`: its value
/// and where it ends.
fn arabic(chars: &[char], i: usize) -> Option<(f64, usize)> {
    let mut j = i;
    let mut text = String::new();
    let mut dot = false;
    while j < chars.len() {
        let c = chars[j];
        let digit_at = |k: usize| chars.get(k).is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() {
            text.push(c);
        } else if c == ','
            && j > i
            && digit_at(j + 1)
            && digit_at(j + 2)
            && digit_at(j + 3)
            && !digit_at(j + 4)
        {
            // A grouping comma ("100,000"), not a list comma ("10, 20").
        } else if c == '.' && !dot && j > i && digit_at(j + 1) {
            dot = true;
            text.push(c);
        } else {
            break;
        }
        j += 1;
    }
    if text.is_empty() {
        return None;
    }
    text.parse::<f64>().ok().map(|v| (v, j))
}

/// Korean numerals below 만 ("오천", "이십", "백") at `i`: value, end, and how many
/// characters they took.
fn hangul_small(chars: &[char], i: usize) -> Option<(u64, usize)> {
    let mut j = i;
    let mut total = 0u64;
    let mut digit: Option<u64> = None;
    while j < chars.len() {
        let c = chars[j];
        if let Some(d) = hangul_digit(c) {
            if digit.is_some() {
                break;
            }
            digit = Some(d);
        } else if let Some(u) = small_unit(c) {
            total += digit.take().unwrap_or(1) * u;
        } else {
            break;
        }
        j += 1;
    }
    total += digit.unwrap_or(0);
    (j > i && total > 0).then_some((total, j))
}

/// One group below 만 at `i`: "15", "1.5", "5천", "3백", "오천", "십"; with whether it was
/// written in Korean numerals.
fn group_at(chars: &[char], i: usize) -> Option<(f64, usize, bool)> {
    if let Some((mut value, mut end)) = arabic(chars, i) {
        // "5천", "3백": a small unit after the digits.
        if let Some(u) = chars.get(end).copied().and_then(small_unit) {
            value *= u as f64;
            end += 1;
        }
        return Some((value, end, false));
    }
    hangul_small(chars, i).map(|(v, e)| (v as f64, e, true))
}

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i] == ' ' {
        i += 1;
    }
    i
}

fn starts_with_at(chars: &[char], i: usize, word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    i + w.len() <= chars.len() && chars[i..i + w.len()] == w[..]
}

/// An amount starting at `i`: "10만원", "10만 5천원", "1.5만", "100,000원", "₩50000",
/// "100k", "십만원", "50000 won", or a bare number.
fn amount_at(chars: &[char], i: usize) -> Option<Amount> {
    let start = i;
    let mut j = i;
    let mut money = false;
    if chars.get(j) == Some(&'₩') {
        money = true;
        j += 1;
    }
    let mut total = 0f64;
    let mut unit = 1u64;
    let mut hangul = false;
    loop {
        let (value, end, korean) = group_at(chars, j)?;
        hangul |= korean;
        match chars.get(end).copied().and_then(big_unit) {
            Some(u) => {
                total += value * u as f64;
                unit = u;
                money = true;
                j = end + 1;
                // Another group may follow ("15만 5천", "15만5천원"); Korean numerals only
                // when they are more than one character ("이하" starts with 이).
                let next = skip_spaces(chars, j);
                // Units go down: "10만 20만" is two amounts, not 30만.
                let more = match group_at(chars, next) {
                    Some((_, e, korean)) => {
                        (!korean || e > next + 1)
                            && chars
                                .get(e)
                                .copied()
                                .and_then(big_unit)
                                .is_none_or(|v| v < u)
                    }
                    None => false,
                };
                if more {
                    j = next;
                    continue;
                }
                break;
            }
            None => {
                let mut value = value;
                let mut k = end;
                if !korean
                    && matches!(chars.get(k), Some('k' | 'K'))
                    && !chars.get(k + 1).is_some_and(|c| c.is_alphanumeric())
                {
                    value *= 1_000.0;
                    unit = 1_000;
                    money = true;
                    k += 1;
                }
                total += value;
                j = k;
                break;
            }
        }
    }
    // 원 (maybe after a space), or "won"/"krw" after one.
    let after = skip_spaces(chars, j);
    if chars.get(after) == Some(&'원') {
        money = true;
        j = after + 1;
    } else {
        for word in ["won", "krw"] {
            if starts_with_at(chars, after, word)
                && !chars
                    .get(after + word.len())
                    .is_some_and(|c| c.is_alphanumeric())
            {
                money = true;
                j = after + word.len();
                break;
            }
        }
    }
    // Korean numerals are money only with a unit or 원 ("이" alone is a particle).
    if hangul && !money {
        return None;
    }
    if !total.is_finite() || total <= 0.0 || total > 1e15 {
        return None;
    }
    Some(Amount {
        value: total.round() as u64,
        start,
        end: j,
        money,
        unit,
    })
}

/// Where an amount may start: a digit, ₩, or a Korean numeral, not inside a word ("v6",
/// "이하"'s 이 is checked by `amount_at`).
fn can_start(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    let before = i.checked_sub(1).map(|p| chars[p]);
    let word_before = before.is_some_and(|b| b.is_alphanumeric() && !matches!(b, '~'));
    if c.is_ascii_digit() || c == '₩' {
        // Not glued to letters before it ("v6", "air1").
        return !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == '.' || b == ',');
    }
    (hangul_digit(c).is_some() || small_unit(c).is_some()) && !word_before
}

/// Comparison words after an amount, longest first: what they set.
const AFTER: &[(&str, Cmp)] = &[
    ("이하로", Cmp::AtMost),
    ("이하", Cmp::AtMost),
    ("까지", Cmp::AtMost),
    ("아래로", Cmp::AtMost),
    ("아래", Cmp::AtMost),
    ("밑으로", Cmp::Below),
    ("밑", Cmp::Below),
    ("안으로", Cmp::AtMost),
    ("내로", Cmp::AtMost),
    ("미만", Cmp::Below),
    ("이상", Cmp::AtLeast),
    ("부터", Cmp::AtLeast),
    ("초과", Cmp::Above),
    ("넘는", Cmp::Above),
    ("넘게", Cmp::Above),
    ("넘어", Cmp::Above),
    ("넘은", Cmp::Above),
    ("대", Cmp::Band),
    ("짜리", Cmp::Budget),
    ("정도", Cmp::Budget),
    ("쯤", Cmp::Budget),
    ("이내", Cmp::AtMost),
    ("or less", Cmp::AtMost),
    ("or more", Cmp::AtLeast),
    ("and under", Cmp::AtMost),
    ("and up", Cmp::AtLeast),
    ("or cheaper", Cmp::AtMost),
    ("max", Cmp::AtMost),
];

/// Comparison words before an amount.
const BEFORE: &[(&str, Cmp)] = &[
    ("less than", Cmp::Below),
    ("cheaper than", Cmp::Below),
    ("more than", Cmp::Above),
    ("at most", Cmp::AtMost),
    ("at least", Cmp::AtLeast),
    ("up to", Cmp::AtMost),
    ("upto", Cmp::AtMost),
    ("under", Cmp::AtMost),
    ("below", Cmp::AtMost),
    ("within", Cmp::AtMost),
    ("maximum", Cmp::AtMost),
    ("max", Cmp::AtMost),
    ("over", Cmp::Above),
    ("above", Cmp::Above),
    ("minimum", Cmp::AtLeast),
    ("min", Cmp::AtLeast),
    ("from", Cmp::AtLeast),
    ("최대", Cmp::AtMost),
    ("최고", Cmp::AtMost),
    ("최소", Cmp::AtLeast),
    ("<=", Cmp::AtMost),
    (">=", Cmp::AtLeast),
    ("≤", Cmp::AtMost),
    ("≥", Cmp::AtLeast),
    ("<", Cmp::Below),
    (">", Cmp::Above),
    ("~", Cmp::AtMost),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    AtMost,
    Below,
    AtLeast,
    Above,
    /// "10만원대": from the amount to just under the next step of its last digit.
    Band,
    /// An amount alone: what the user means to spend at most.
    Budget,
}

/// Separators of a range "10~20만원", "10만원에서 20만원", "50000 to 100000".
const RANGE: &[&str] = &["~", "-", "–", "에서", "부터", "to", "and"];

/// Reads every price in `text`; returns the range and the text without them.
fn read_prices(text: &str) -> (Prices, String) {
    let lower = text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let original: Vec<char> = if lower.chars().count() == text.chars().count() {
        text.chars().collect()
    } else {
        chars.clone()
    };
    let mut prices = Prices::default();
    let mut cut = vec![false; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        if !can_start(&chars, i) {
            i += 1;
            continue;
        }
        let Some(first) = amount_at(&chars, i) else {
            i += 1;
            continue;
        };
        // A comparison word before it ("under", "최대", "~").
        let mut from = first.start;
        let mut before = None;
        let back = {
            let mut b = first.start;
            while b > 0 && chars[b - 1] == ' ' {
                b -= 1;
            }
            b
        };
        for (word, cmp) in BEFORE {
            let w: Vec<char> = word.chars().collect();
            if back >= w.len()
                && chars[back - w.len()..back] == w[..]
                && (back == w.len()
                    || !chars[back - w.len() - 1].is_alphanumeric()
                    || !w[0].is_alphanumeric())
                && !cut[back - w.len()]
            {
                before = Some(*cmp);
                from = back - w.len();
                break;
            }
        }
        // "between X and Y".
        let between = {
            let w: Vec<char> = "between".chars().collect();
            back >= w.len() && chars[back - w.len()..back] == w[..]
        };
        if between {
            from = back - "between".len();
        }
        // A range: X ~ Y, X에서 Y, X to Y.
        let mut end = first.end;
        let mut second = None;
        {
            let mut k = skip_spaces(&chars, first.end);
            for sep in RANGE {
                if *sep == "and" && !between {
                    continue;
                }
                if starts_with_at(&chars, k, sep) {
                    k = skip_spaces(&chars, k + sep.chars().count());
                    if k < chars.len() && can_start_after_sep(&chars, k) {
                        if let Some(b) = amount_at(&chars, k) {
                            second = Some(b);
                        }
                    }
                    break;
                }
            }
        }
        if let Some(mut hi) = second {
            let mut lo = first;
            if !lo.money && hi.money && hi.unit > 1 {
                lo.value = lo.value.saturating_mul(hi.unit);
                lo.money = true;
            }
            if !hi.money && lo.money && lo.unit > 1 && hi.value < lo.value {
                hi.value = hi.value.saturating_mul(lo.unit);
                hi.money = true;
            }
            let plausible = |a: &Amount| a.money || a.value >= 1_000;
            if plausible(&lo) && plausible(&hi) && lo.value <= hi.value {
                end = hi.end;
                // "까지" / "사이" after the range.
                let k = skip_spaces(&chars, end);
                for tail in ["까지", "사이로", "사이", "사이에"] {
                    if starts_with_at(&chars, k, tail) {
                        end = k + tail.chars().count();
                        break;
                    }
                }
                prices.at_least(lo.value);
                prices.at_most(hi.value);
                for c in &mut cut[from..end] {
                    *c = true;
                }
                i = end;
                continue;
            }
        }
        // A comparison word after it.
        let mut after = None;
        let k = skip_spaces(&chars, first.end);
        for (word, cmp) in AFTER {
            if starts_with_at(&chars, k, word) {
                let e = k + word.chars().count();
                // An English word must end there ("max" vs "maxi").
                if word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && chars.get(e).is_some_and(|c| c.is_alphanumeric())
                {
                    continue;
                }
                after = Some(*cmp);
                end = e;
                // A particle or ending glued to it ("이하로", "미만인", "이상인").
                while end < chars.len() && !chars[end].is_whitespace() && !chars[end].is_ascii() {
                    end += 1;
                }
                break;
            }
        }
        let cmp = before.or(after);
        let accepted = match cmp {
            Some(_) => first.money || first.value >= 1_000,
            None => first.money,
        };
        if !accepted {
            i = first.end.max(i + 1);
            continue;
        }
        let v = first.value;
        match cmp.unwrap_or(Cmp::Budget) {
            Cmp::AtMost | Cmp::Budget => prices.at_most(v),
            Cmp::Below => prices.at_most(v.saturating_sub(1)),
            Cmp::AtLeast => prices.at_least(v),
            Cmp::Above => prices.at_least(v.saturating_add(1)),
            Cmp::Band => {
                let mut step = 1u64;
                let mut rest = v;
                while rest >= 10 && rest % 10 == 0 {
                    rest /= 10;
                    step *= 10;
                }
                prices.at_least(v);
                prices.at_most(v.saturating_add(step).saturating_sub(1));
            }
        }
        if before.is_none() && after.is_none() {
            // "짜리"/"정도" glued to a bare amount were read as Budget above; a glued
            // particle ("10만원에", "10만원으로") goes with the amount.
            while end < chars.len() && !chars[end].is_whitespace() && !chars[end].is_ascii() {
                end += 1;
            }
        }
        for c in &mut cut[from..end] {
            *c = true;
        }
        i = end.max(i + 1);
    }
    if let (Some(lo), Some(hi)) = (prices.min, prices.max) {
        if lo > hi {
            prices.min = None;
        }
    }
    let rest: String = original
        .iter()
        .zip(&cut)
        .map(|(c, cut)| if *cut { ' ' } else { *c })
        .collect();
    (prices, rest)
}

fn can_start_after_sep(chars: &[char], k: usize) -> bool {
    let c = chars[k];
    c.is_ascii_digit() || c == '₩' || hangul_digit(c).is_some() || small_unit(c).is_some()
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
