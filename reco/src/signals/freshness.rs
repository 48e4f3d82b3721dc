//! Freshness: a newly registered limited edition has no buyers yet, so without a nudge
//! it would never be shown and never get any (the item cold start).

/// `0.5^((now - added) / half_life)`, or 0 when the item's arrival is unknown or the
/// half-life is not positive.
pub fn freshness(added: Option<u64>, now: u64, half_life: f64) -> f32 {
    match added {
        Some(added) if half_life > 0.0 => {
            0.5f64.powf(now.saturating_sub(added) as f64 / half_life) as f32
        }
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_items_are_fresh_and_fade() {
        assert_eq!(freshness(Some(100), 100, 10.0), 1.0);
        assert!((freshness(Some(90), 100, 10.0) - 0.5).abs() < 1e-6);
        assert_eq!(freshness(None, 100, 10.0), 0.0);
        assert_eq!(freshness(Some(100), 100, 0.0), 0.0);
        assert_eq!(
            freshness(Some(200), 100, 10.0),
            1.0,
            "clock skew is not a bonus"
        );
    }
}
