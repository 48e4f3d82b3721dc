//! Size and format limits on everything a transaction carries.
//!
//! These bound what one transaction can make a validator store or compute, and
//! they are part of validity: every node applies the same limits.

use crate::error::Rejection;
use crate::types::{AdSpec, EntryWindow, ProductSpec, RaffleSpec};

/// Largest encoded transaction accepted.
pub const MAX_TRANSACTION_BYTES: usize = 128 * 1024;
/// Largest edition one registration may create.
pub const MAX_EDITION_SIZE: usize = 1_000;
/// Longest serial number.
pub const MAX_SERIAL_LEN: usize = 64;
/// Most images per product.
pub const MAX_IMAGES: usize = 16;
/// Most prizes in one raffle.
pub const MAX_RAFFLE_ITEMS: usize = 1_000;
/// Most runners-up drawn.
pub const MAX_RUNNERS_UP: u32 = 10_000;
/// Highest price or amount, in won (10 billion).
pub const MAX_PRICE_WON: u64 = 10_000_000_000;
/// Most blocks a seller may take to reveal a raffle's secret.
pub const MAX_REVEAL_BLOCKS: u64 = 100_000;
/// Longest reason a seller may give for cancelling a raffle, in characters.
pub const MAX_CANCEL_REASON_CHARS: usize = 200;
/// Shortest payment window a raffle may give its winners, in ms.
pub const MIN_PAYMENT_WINDOW_MS: u64 = 60_000;
/// Longest payment window a raffle may give its winners, in ms (30 days).
pub const MAX_PAYMENT_WINDOW_MS: u64 = 30 * 24 * 3_600_000;
/// Longest URL in an ad.
pub const MAX_URL_LEN: usize = 512;

/// Checks a text field's length in characters and that it has no control characters.
pub fn check_text(
    field: &str,
    value: &str,
    min_chars: usize,
    max_chars: usize,
) -> Result<(), Rejection> {
    let chars = value.chars().count();
    if chars < min_chars || chars > max_chars {
        return Err(Rejection::invalid(
            field,
            format!("must be {min_chars} to {max_chars} characters, got {chars}"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Rejection::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Checks that a number lies in `min..=max`.
pub fn check_range(field: &str, value: u64, min: u64, max: u64) -> Result<(), Rejection> {
    if value < min || value > max {
        return Err(Rejection::invalid(
            field,
            format!("must be between {min} and {max}, got {value}"),
        ));
    }
    Ok(())
}

/// Checks a YYYYMMDD date.
fn check_date(field: &str, date: u32) -> Result<(), Rejection> {
    let (year, month, day) = (date / 10_000, (date / 100) % 100, date % 100);
    if !(1900..=2200).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(Rejection::invalid(
            field,
            format!("{date} is not a YYYYMMDD date"),
        ));
    }
    Ok(())
}

/// Checks a product registration.
pub fn check_product_spec(spec: &ProductSpec) -> Result<(), Rejection> {
    check_text("brand", &spec.brand, 1, 64)?;
    check_text("model", &spec.model, 1, 64)?;
    check_text("name_ko", &spec.name_ko, 0, 200)?;
    check_text("name_en", &spec.name_en, 0, 200)?;
    if spec.name_ko.trim().is_empty() && spec.name_en.trim().is_empty() {
        return Err(Rejection::invalid(
            "name_ko",
            "a Korean or an English name is required",
        ));
    }
    check_text("category", &spec.category, 1, 40)?;
    check_date("release_date", spec.release_date)?;
    check_range("price", spec.price, 1, MAX_PRICE_WON)?;
    check_text("description", &spec.description, 0, 4_000)?;
    if spec.image_hashes.len() > MAX_IMAGES {
        return Err(Rejection::invalid(
            "image_hashes",
            format!("at most {MAX_IMAGES} images"),
        ));
    }
    if spec.serials.is_empty() || spec.serials.len() > MAX_EDITION_SIZE {
        return Err(Rejection::invalid(
            "serials",
            format!(
                "an edition has 1 to {MAX_EDITION_SIZE} pieces, got {}",
                spec.serials.len()
            ),
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(spec.serials.len());
    for serial in &spec.serials {
        check_text("serials", serial, 1, MAX_SERIAL_LEN)?;
        if !seen.insert(normalize_serial(serial)) {
            return Err(Rejection::invalid(
                "serials",
                format!("serial {serial:?} appears twice"),
            ));
        }
    }
    Ok(())
}

/// Checks a raffle's rules.
pub fn check_raffle_spec(spec: &RaffleSpec) -> Result<(), Rejection> {
    if spec.items.is_empty() || spec.items.len() > MAX_RAFFLE_ITEMS {
        return Err(Rejection::invalid(
            "items",
            format!("a raffle has 1 to {MAX_RAFFLE_ITEMS} prizes"),
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(spec.items.len());
    if !spec.items.iter().all(|item| seen.insert(*item)) {
        return Err(Rejection::invalid("items", "an item is listed twice"));
    }
    let (opens, closes) = match spec.window {
        EntryWindow::Heights { opens, closes } => (opens, closes),
        EntryWindow::Times {
            opens_ms,
            closes_ms,
        } => (opens_ms, closes_ms),
    };
    if opens >= closes {
        return Err(Rejection::invalid(
            "window",
            "the window must open before it closes",
        ));
    }
    check_range("price", spec.price, 1, MAX_PRICE_WON)?;
    check_range(
        "runners_up",
        u64::from(spec.runners_up),
        0,
        u64::from(MAX_RUNNERS_UP),
    )?;
    if let Some(age) = spec.min_age {
        // The ledger attests adulthood only, so it can check no other age.
        check_range(
            "min_age",
            u64::from(age),
            1,
            u64::from(crate::tx::ADULT_AGE),
        )?;
    }
    check_range("reveal_blocks", spec.reveal_blocks, 1, MAX_REVEAL_BLOCKS)?;
    check_range(
        "payment_window_ms",
        spec.payment_window_ms,
        MIN_PAYMENT_WINDOW_MS,
        MAX_PAYMENT_WINDOW_MS,
    )?;
    Ok(())
}

/// Checks a banner campaign: the landing URL must be an absolute http(s) URL.
pub fn check_ad_spec(spec: &AdSpec) -> Result<(), Rejection> {
    check_text("title", &spec.title, 1, 120)?;
    check_url("image_url", &spec.image_url)?;
    check_url("landing_url", &spec.landing_url)?;
    check_text("placement", &spec.placement, 1, 32)?;
    if spec.starts_at_ms >= spec.ends_at_ms {
        return Err(Rejection::invalid(
            "ends_at_ms",
            "must be after starts_at_ms",
        ));
    }
    if let (Some(min), Some(max)) = (spec.target_min_age, spec.target_max_age) {
        if min > max {
            return Err(Rejection::invalid(
                "target_max_age",
                "must be at least target_min_age",
            ));
        }
    }
    Ok(())
}

/// An absolute http(s) URL with a host, no whitespace, no credentials.
pub fn check_url(field: &str, url: &str) -> Result<(), Rejection> {
    if url.len() > MAX_URL_LEN {
        return Err(Rejection::invalid(
            field,
            format!("at most {MAX_URL_LEN} bytes"),
        ));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| Rejection::invalid(field, "must start with https:// or http://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') || host.starts_with('.') {
        return Err(Rejection::invalid(
            field,
            "must name a host (and no credentials)",
        ));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return Err(Rejection::invalid(
            field,
            "must not contain spaces, control characters or backslashes",
        ));
    }
    Ok(())
}

/// A loopback-or-DNS TCP multiaddr such as `/ip4/127.0.0.1/tcp/30333`.
pub fn check_p2p_address(address: &str) -> Result<(), Rejection> {
    let parts: Vec<&str> = address.split('/').collect();
    let valid = parts.len() == 5
        && parts[0].is_empty()
        && matches!(parts[1], "ip4" | "ip6" | "dns" | "dns4" | "dns6")
        && !parts[2].is_empty()
        && parts[3] == "tcp"
        && parts[4].parse::<u16>().is_ok_and(|port| port > 0);
    if !valid {
        return Err(Rejection::invalid(
            "p2p_address",
            format!("{address:?} is not of the form /ip4/<addr>/tcp/<port>"),
        ));
    }
    Ok(())
}

/// The form of a serial number that uniqueness is checked on: trimmed, upper-case,
/// without inner spaces or dashes ("ab-12 3" and "AB123" are the same piece).
pub fn normalize_serial(serial: &str) -> String {
    serial
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// The form of a brand or model name that serial uniqueness is scoped by.
pub fn normalize_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("u", "https://shop.example.com/a?b=c").is_ok());
        assert!(check_url("u", "javascript:alert(1)").is_err());
        assert!(check_url("u", "//evil.example").is_err());
        assert!(check_url("u", "https://user@evil.example/").is_err());
        assert!(check_url("u", "https:///path").is_err());
        assert!(check_url("u", "https://a.example/\\evil").is_err());
    }

    #[test]
    fn serial_normalization() {
        assert_eq!(normalize_serial(" ab-12 3 "), "AB123");
        assert_eq!(normalize_name("  Nike   SB "), "nike sb");
    }

    #[test]
    fn addresses() {
        assert!(check_p2p_address("/ip4/127.0.0.1/tcp/30333").is_ok());
        assert!(check_p2p_address("/ip4/127.0.0.1/udp/30333").is_err());
        assert!(check_p2p_address("/ip4/127.0.0.1/tcp/0").is_err());
    }
}
