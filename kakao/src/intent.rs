//! What the user wants: from a pressed button's `clientExtra`, from the block's
//! parameters, or from the Korean utterance, in that order. Buttons come first because
//! they say exactly what was meant; the utterance of a pressed button is only its label.

use serde_json::{Map, Value};

use crate::request::SkillPayload;

/// What the bot was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Search products; an empty query asks what to search for.
    Search {
        /// Words to search for.
        query: String,
    },
    /// List open raffles.
    Raffles,
    /// Show one raffle.
    RaffleDetail {
        /// Raffle id.
        raffle_id: u64,
    },
    /// The user's raffle entries and results.
    MyEntries,
    /// The user's orders and payments.
    MyOrders,
    /// Check a serial number; `None` asks for one.
    Verify {
        /// The serial as typed.
        serial: Option<String>,
    },
    /// Link the Kakao user to a Truffle account; `None` explains how.
    Link {
        /// The one-time code as typed (checked to be 6 digits before use).
        code: Option<String>,
    },
    /// Remove the link.
    Unlink,
    /// The menu.
    Help,
    /// Anything else.
    Fallback {
        /// The utterance, to offer a search for it.
        utterance: String,
    },
}

/// `clientExtra.action` / `params.intent` values the bot's own buttons and the Open
/// Builder blocks use.
pub mod actions {
    /// Search; `query` holds the words.
    pub const SEARCH: &str = "search";
    /// List open raffles.
    pub const RAFFLES: &str = "raffles";
    /// One raffle; `raffle` holds its id.
    pub const RAFFLE_DETAIL: &str = "raffle_detail";
    /// The user's entries.
    pub const MY_ENTRIES: &str = "my_entries";
    /// The user's orders.
    pub const MY_ORDERS: &str = "my_orders";
    /// Authenticity; `serial` holds the serial.
    pub const VERIFY: &str = "verify";
    /// Link instructions or linking; `code` in a block parameter.
    pub const LINK: &str = "link";
    /// Unlink.
    pub const UNLINK: &str = "unlink";
    /// The menu.
    pub const HELP: &str = "help";
}

/// Decides what `payload` asks for.
pub fn route(payload: &SkillPayload) -> Command {
    let utterance = payload.user_request.utterance.as_str();
    if let Some(cmd) = from_fields(&payload.action.client_extra, utterance, |k| {
        payload.action.client_extra.get(k).and_then(text_of)
    }) {
        return cmd;
    }
    // Block parameters: a fixed `intent` set on the block, or entities it extracts.
    let param = |k: &str| {
        payload
            .action
            .param_as_typed(k)
            .filter(|s| !s.trim().is_empty())
    };
    let mut params = Map::new();
    if let Some(intent) = param("intent") {
        params.insert("action".to_owned(), Value::String(intent));
    }
    if let Some(cmd) = from_fields(&params, utterance, param) {
        return cmd;
    }
    if let Some(serial) = param("serial") {
        return Command::Verify {
            serial: Some(serial),
        };
    }
    if let Some(code) = param("code") {
        return Command::Link { code: Some(code) };
    }
    if let Some(query) = param("query").or_else(|| param("product")) {
        return Command::Search { query };
    }
    parse_utterance(utterance)
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A command from an `action` field and its arguments (`get` reads an argument).
fn from_fields(
    fields: &Map<String, Value>,
    utterance: &str,
    get: impl Fn(&str) -> Option<String>,
) -> Option<Command> {
    let action = fields.get("action").and_then(text_of)?;
    let parsed = parse_utterance(utterance);
    Some(match action.as_str() {
        actions::SEARCH => Command::Search {
            query: get("query").unwrap_or_else(|| match parsed {
                Command::Search { query } => query,
                _ => String::new(),
            }),
        },
        actions::RAFFLES => Command::Raffles,
        actions::RAFFLE_DETAIL => match get("raffle").and_then(|r| parse_id(&r)) {
            Some(raffle_id) => Command::RaffleDetail { raffle_id },
            None => Command::Raffles,
        },
        actions::MY_ENTRIES => Command::MyEntries,
        actions::MY_ORDERS => Command::MyOrders,
        actions::VERIFY => Command::Verify {
            serial: get("serial").or_else(|| find_serial(utterance)),
        },
        actions::LINK => Command::Link {
            code: get("code").or_else(|| find_digits(utterance)),
        },
        actions::UNLINK => Command::Unlink,
        actions::HELP | "menu" => Command::Help,
        _ => return None,
    })
}

/// The first number in `s`: "3", "#3", "3번" (a `sys.number` entity's origin) → 3.
fn parse_id(s: &str) -> Option<u64> {
    s.split(|c: char| !c.is_ascii_digit())
        .find(|run| !run.is_empty())?
        .parse()
        .ok()
}

/// Lower-cased, without spaces: Korean is often typed with or without spacing ("연동 해제"
/// and "연동해제"), so keywords are matched on this form.
fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether the utterance holds one of `needles`: Korean ones anywhere in its compact form
/// (spacing varies), English ones as whole words ("link", not the "link" of a model
/// code like "LINK-0001").
fn contains_any(text: &str, compact: &str, needles: &[&str]) -> bool {
    let lower = text.to_lowercase();
    needles.iter().any(|n| {
        if n.is_ascii() {
            lower
                .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.')))
                .any(|word| word.trim_end_matches('.') == *n)
        } else {
            compact.contains(n)
        }
    })
}

const UNLINK_WORDS: &[&str] = &[
    "연동해제",
    "연결해제",
    "연동끊",
    "연동취소",
    "연동삭제",
    "unlink",
];
const LINK_WORDS: &[&str] = &["연동", "계정연결", "카카오연결", "link"];
const VERIFY_WORDS: &[&str] = &[
    "정품",
    "진품",
    "가품",
    "짝퉁",
    "시리얼",
    "일련번호",
    "serial",
    "진위",
    "인증확인",
];
const ENTRY_WORDS: &[&str] = &[
    "응모결과",
    "당첨",
    "내응모",
    "응모내역",
    "응모한",
    "추첨결과",
    "낙첨",
    "내래플",
];
const ORDER_WORDS: &[&str] = &[
    "내주문",
    "주문내역",
    "결제내역",
    "구매내역",
    "주문조회",
    "결제조회",
    "주문확인",
    "결제확인",
    "내결제",
    "구매확인",
];
const RAFFLE_WORDS: &[&str] = &[
    "래플",
    "응모",
    "추첨",
    "드로우",
    "raffle",
    "raffles",
    "draw",
];
const HELP_WORDS: &[&str] = &[
    "도움말",
    "메뉴",
    "help",
    "처음으로",
    "시작하기",
    "사용법",
    "뭐할수있",
    "안녕",
];
/// Words that make an utterance a search, with the query before or after them.
const SEARCH_MARKERS: &[&str] = &[
    "찾아줘",
    "찾아 줘",
    "찾아주세요",
    "찾아봐",
    "찾고 있어",
    "찾고있어",
    "찾아",
    "검색해줘",
    "검색해 줘",
    "검색해주세요",
    "검색",
    "있어요",
    "있어",
    "있나요",
    "있나",
    "있니",
    "있을까",
    "보여줘",
    "보여 줘",
    "알려줘",
    "얼마야",
    "얼마예요",
    "얼마에",
    "팔아",
    "search",
];
/// Words that carry no product meaning ("상품 검색" asks what to search for).
const GENERIC_QUERY_WORDS: &[&str] =
    &["상품", "제품", "물건", "아이템", "좀", "혹시", "뭐", "어떤"];

/// Reads a Korean utterance.
pub fn parse_utterance(utterance: &str) -> Command {
    let text = utterance
        .trim()
        .trim_end_matches(['?', '!', '.', '~', '？', '！'])
        .trim();
    let c = compact(text);
    if c.is_empty() {
        return Command::Help;
    }
    // A 6-digit code alone: what the site tells members to send.
    if c.len() == 6 && c.chars().all(|ch| ch.is_ascii_digit()) {
        return Command::Link { code: Some(c) };
    }
    if contains_any(text, &c, UNLINK_WORDS) {
        return Command::Unlink;
    }
    if contains_any(text, &c, LINK_WORDS) {
        return Command::Link {
            code: find_digits(text),
        };
    }
    if contains_any(text, &c, VERIFY_WORDS) {
        return Command::Verify {
            serial: find_serial(text),
        };
    }
    if contains_any(text, &c, ENTRY_WORDS) {
        return Command::MyEntries;
    }
    if contains_any(text, &c, ORDER_WORDS) {
        return Command::MyOrders;
    }
    if contains_any(text, &c, RAFFLE_WORDS) {
        return match raffle_number(text) {
            Some(raffle_id) => Command::RaffleDetail { raffle_id },
            None => Command::Raffles,
        };
    }
    if contains_any(text, &c, HELP_WORDS) {
        return Command::Help;
    }
    if let Some(query) = search_query(text) {
        return Command::Search { query };
    }
    // "재고 있는 스니커즈", "under 100000 sneakers": filter words make it a search.
    if crate::filters::mentions_filter(text) {
        return Command::Search {
            query: clean_query(text),
        };
    }
    Command::Fallback {
        utterance: text.to_owned(),
    }
}

/// The query of a search utterance: the words before the marker ("나이키 덩크 찾아줘"),
/// or after it when nothing comes before ("검색 덩크").
fn search_query(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let (pos, marker) = SEARCH_MARKERS
        .iter()
        .filter_map(|m| lower.find(m).map(|p| (p, *m)))
        .min_by_key(|(p, m)| (*p, usize::MAX - m.len()))?;
    // `lower` and `text` can differ in length only for exotic case mappings; fall back to
    // the lower-cased text then, so byte offsets stay on character boundaries.
    let source = if lower.len() == text.len() {
        text
    } else {
        lower.as_str()
    };
    let before = source[..pos].trim();
    let after = source[pos + marker.len()..].trim();
    let raw = if before.is_empty() { after } else { before };
    Some(clean_query(raw))
}

fn clean_query(raw: &str) -> String {
    let words: Vec<&str> = raw
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| matches!(c, ':' | ',' | '"' | '\'' | '‘' | '’' | '“' | '”'))
        })
        .filter(|w| !w.is_empty())
        .filter(|w| !GENERIC_QUERY_WORDS.contains(w))
        // Verb endings left after the marker ("검색 해줘").
        .filter(|w| !matches!(*w, "해줘" | "해" | "줘" | "해주세요" | "주세요"))
        .collect();
    let mut q = words.join(" ");
    // An object particle glued to the last word ("덩크를 찾아줘").
    if let Some(stripped) = q.strip_suffix('를') {
        if stripped.chars().count() >= 2 {
            q = stripped.to_owned();
        }
    }
    q
}

/// The first run of ASCII digits (a link code as typed, leading zeros kept).
fn find_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| !run.is_empty())
        .map(str::to_owned)
}

/// A serial number in free text: the first run of ASCII letters, digits, `-` and `_`
/// that is at least 3 long and has a digit ("시리얼 ABC-123 진품이야?" → "ABC-123").
/// Korean particles glued to it ("ABC-123은") end the run by not being ASCII.
fn find_serial(text: &str) -> Option<String> {
    // A fully qualified serial ("Nike/DD1391-100/DD1391-0001") names the brand and model
    // too, which lets the ledger's serial index answer directly: taken whole.
    if let Some(qualified) = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')))
        .find(|w| is_qualified_serial(w))
    {
        return Some(qualified.to_owned());
    }
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(|run| run.trim_matches(['-', '_']))
        .find(|run| run.len() >= 3 && run.chars().any(|c| c.is_ascii_digit()))
        .map(str::to_owned)
}

/// Whether `text` is `brand/model/serial`: three non-empty parts of ASCII letters,
/// digits, `-`, `_`, `.` and spaces, the last one holding a digit.
pub fn is_qualified_serial(text: &str) -> bool {
    let parts: Vec<&str> = text.split('/').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.trim().is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
        })
        && parts[2].chars().any(|c| c.is_ascii_digit())
}

/// Whether `text` alone looks like a serial number ("ABC-123", "NK-DUNK-0042"): one
/// token of ASCII letters and digits joined by `-` or `_`. Bare style codes look the same
/// ("DD1391-100"), so the bot only offers a check for these rather than assuming one.
pub fn looks_like_serial(text: &str) -> bool {
    let t = text.trim();
    find_serial(t).as_deref() == Some(t)
        && t.contains(['-', '_'])
        && t.chars().any(|c| c.is_ascii_alphabetic())
}

/// "래플 3번", "래플 #3" → 3.
fn raffle_number(text: &str) -> Option<u64> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let hash_before = start > 0 && chars[start - 1] == '#';
            let beon_after = chars.get(i) == Some(&'번');
            if hash_before || beon_after {
                let digits: String = chars[start..i].iter().collect();
                return digits.parse().ok();
            }
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(q: &str) -> Command {
        Command::Search { query: q.into() }
    }

    #[test]
    fn korean_utterances() {
        let cases = [
            ("나이키 덩크 찾아줘", search("나이키 덩크")),
            ("조던1 있어?", search("조던1")),
            ("덩크 로우 검색", search("덩크 로우")),
            ("검색 덩크", search("덩크")),
            ("상품 검색", search("")),
            ("덩크를 찾아줘", search("덩크")),
            ("덩크 로우 얼마야", search("덩크 로우")),
            ("Jordan 1 search", search("Jordan 1")),
            ("컨버스 하이탑 찾아줘", search("컨버스 하이탑")),
            ("이번 주 응모 뭐 있어?", Command::Raffles),
            ("진행중인 래플", Command::Raffles),
            ("래플 3번 자세히", Command::RaffleDetail { raffle_id: 3 }),
            ("내 응모 결과", Command::MyEntries),
            ("당첨됐어?", Command::MyEntries),
            ("내 주문", Command::MyOrders),
            ("결제 내역 보여줘", Command::MyOrders),
            (
                "정품 확인 ABC-123",
                Command::Verify {
                    serial: Some("ABC-123".into()),
                },
            ),
            (
                "시리얼 ABC-123 진품이야?",
                Command::Verify {
                    serial: Some("ABC-123".into()),
                },
            ),
            (
                "시리얼 NK-DUNK-0042은 정품인가요",
                Command::Verify {
                    serial: Some("NK-DUNK-0042".into()),
                },
            ),
            ("정품 확인", Command::Verify { serial: None }),
            (
                "정품 확인 Nike/DD1391-100/DD1391-0001",
                Command::Verify {
                    serial: Some("Nike/DD1391-100/DD1391-0001".into()),
                },
            ),
            (
                "연동 123456",
                Command::Link {
                    code: Some("123456".into()),
                },
            ),
            (
                "012345",
                Command::Link {
                    code: Some("012345".into()),
                },
            ),
            ("계정 연동", Command::Link { code: None }),
            ("연동 해제", Command::Unlink),
            ("unlink", Command::Unlink),
            (
                "link 123456",
                Command::Link {
                    code: Some("123456".into()),
                },
            ),
            (
                "정품 확인 Nike/LINK-0001/LINK-0001-0003",
                Command::Verify {
                    serial: Some("Nike/LINK-0001/LINK-0001-0003".into()),
                },
            ),
            ("연동해제해줘", Command::Unlink),
            ("도움말", Command::Help),
            ("메뉴", Command::Help),
            ("", Command::Help),
            (
                "오늘 날씨 어때",
                Command::Fallback {
                    utterance: "오늘 날씨 어때".into(),
                },
            ),
        ];
        for (utterance, want) in cases {
            assert_eq!(parse_utterance(utterance), want, "{utterance}");
        }
    }

    #[test]
    fn bare_serials() {
        assert!(looks_like_serial("ABC-123"));
        assert!(looks_like_serial(" NK-DUNK-0042 "));
        assert!(!looks_like_serial("123-456"));
        assert!(!looks_like_serial("990v6"));
        assert!(!looks_like_serial("ABC-123 정품"));
    }

    #[test]
    fn client_extra_wins_over_the_label() {
        let mut p = SkillPayload::default();
        p.user_request.utterance = "자세히 보기".into();
        p.action.client_extra =
            serde_json::from_str(r#"{"action":"raffle_detail","raffle":"7"}"#).unwrap();
        assert_eq!(route(&p), Command::RaffleDetail { raffle_id: 7 });
        p.action.client_extra = serde_json::from_str(r#"{"action":"nonsense"}"#).unwrap();
        assert_eq!(
            route(&p),
            Command::Fallback {
                utterance: "자세히 보기".into()
            }
        );
    }

    #[test]
    fn block_params_route() {
        let mut p = SkillPayload::default();
        p.user_request.utterance = "정품인지 알려줘".into();
        p.action = serde_json::from_str(
            r#"{"params":{"serial":"XY-77"},"detailParams":{"serial":{"origin":"xy-77","value":"XY-77"}}}"#,
        )
        .unwrap();
        assert_eq!(
            route(&p),
            Command::Verify {
                serial: Some("xy-77".into())
            }
        );
    }
}
