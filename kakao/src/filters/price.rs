//! Price phrases in an utterance: "10만원 이하", "10~20만원", "십만원까지", "under 100000",
//! "between 50000 and 100000"; a bare number is a price only next to a comparison and
//! from 1,000 up, so model numbers stay words.

/// The price range read from a text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Prices {
    pub(super) min: Option<u64>,
    pub(super) max: Option<u64>,
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
pub(super) fn read_prices(text: &str) -> (Prices, String) {
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
