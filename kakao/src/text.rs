//! Text helpers: character-safe truncation, won amounts, Korean times, URL checks.

/// Number of characters as Kakao counts them (자): Unicode scalar values.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to at most `max` characters, never inside a character. A cut string ends with
/// "…" (counted in `max`) so a reader sees that something was left out.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if char_len(s) <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    // A cut after a space would leave "word …"; trim it so the ellipsis hugs the text.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    out
}

/// `s` cut to at most `max` characters without an ellipsis (labels, where "…" would eat a
/// third of an 8-character button).
pub fn clip_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A won amount as Koreans write it: `129,000원`.
pub fn format_won(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push('원');
    out
}

/// Korea Standard Time is UTC+9 all year (no daylight saving), so a fixed offset is exact.
const KST_OFFSET_MS: i64 = 9 * 60 * 60 * 1000;

/// A Unix time in milliseconds shown in KST as `5월 3일(금) 18:00`.
pub fn format_kst(unix_ms: u64) -> String {
    let local_ms = i64::try_from(unix_ms).unwrap_or(i64::MAX - KST_OFFSET_MS) + KST_OFFSET_MS;
    let days = local_ms.div_euclid(86_400_000);
    let ms_of_day = local_ms.rem_euclid(86_400_000);
    let (_, month, day) = civil_from_days(days);
    let minutes = ms_of_day / 60_000;
    // 1970-01-01 was a Thursday; index 0 = Sunday.
    const WEEKDAYS: [&str; 7] = ["일", "월", "화", "수", "목", "금", "토"];
    let weekday = WEEKDAYS[(days + 4).rem_euclid(7) as usize];
    format!(
        "{month}월 {day}일({weekday}) {:02}:{:02}",
        minutes / 60,
        minutes % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), so the crate needs no calendar dependency for one date format.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `s` looks like an absolute http(s) URL Kakao can open or scrape ("URL 형식").
/// Kakao refuses a response whose link is not a URL, so anything doubtful is rejected.
pub fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// A short form of a hex hash for a card (`1a2b3c4d…9f0e`); the full hash goes in links.
pub fn short_hash(hash: &str) -> String {
    if hash.len() <= 16 || !hash.is_ascii() {
        return hash.to_owned();
    }
    format!("{}…{}", &hash[..8], &hash[hash.len() - 4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_char_boundaries() {
        let s = "나이키 덩크 로우 레트로 화이트 블랙";
        for max in 0..25 {
            let t = truncate_chars(s, max);
            assert!(char_len(&t) <= max, "{max}: {t}");
        }
        assert_eq!(truncate_chars("가나다라", 3), "가나…");
        assert_eq!(truncate_chars("가나다", 3), "가나다");
        assert_eq!(truncate_chars("ab cd", 4), "ab…");
        assert_eq!(clip_chars("가나다라", 2), "가나");
        // Emoji and combining marks are still whole scalar values.
        assert_eq!(char_len(&truncate_chars("👟👟👟👟", 2)), 2);
    }

    #[test]
    fn won_amounts() {
        assert_eq!(format_won(0), "0원");
        assert_eq!(format_won(999), "999원");
        assert_eq!(format_won(1000), "1,000원");
        assert_eq!(format_won(129_000), "129,000원");
        assert_eq!(format_won(1_234_567), "1,234,567원");
    }

    #[test]
    fn kst_times() {
        // 2024-05-03T09:00:00Z is 18:00 KST on Friday 3 May.
        assert_eq!(format_kst(1_714_726_800_000), "5월 3일(금) 18:00");
        // 2023-12-31T15:30:00Z is already 1 January in Korea (a Monday).
        assert_eq!(format_kst(1_704_036_600_000), "1월 1일(월) 00:30");
        assert_eq!(format_kst(0), "1월 1일(목) 09:00");
    }

    #[test]
    fn urls() {
        assert!(is_http_url("https://truffle.example/items/1"));
        assert!(is_http_url("http://a.b"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("ftp://x"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("https://a b"));
        assert!(!is_http_url("/items/1"));
    }

    #[test]
    fn hashes() {
        assert_eq!(short_hash("abc"), "abc");
        assert_eq!(
            short_hash("0123456789abcdef0123456789abcdef"),
            "01234567…cdef"
        );
    }
}
