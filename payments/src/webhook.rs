//! The sandbox's webhook signatures: HMAC-SHA256 over `timestamp.body` with a secret
//! shared by the gateway and the merchant, in one header (Stripe's layout; PortOne V2's
//! Standard Webhooks are in [`crate::standard_webhooks`]):
//!
//! ```text
//! Webhook-Signature: t=1709283600,v1=5f3c…(64 hex)
//! ```
//!
//! The receiver recomputes the MAC over the exact bytes it received, compares in
//! constant time, and refuses timestamps more than a tolerance away from its clock, so
//! a captured request cannot be replayed later. Several `v1=` entries may be given
//! (secret rotation); one match is enough. Within the tolerance a replay verifies: the
//! receiver deduplicates by the event id in the body.

use hmac::{KeyInit, Mac};

use crate::error::SignatureError;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Webhook-Signature";
/// The default tolerance between the signed timestamp and the receiver's clock.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The MAC of `timestamp.body`.
pub(crate) fn mac(secret: &[u8], timestamp: u64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value signing `body` at `timestamp` (Unix seconds).
pub fn sign(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// Checks `header` (the value of [`SIGNATURE_HEADER`]) against `body` at `now_ms`.
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now_ms: u64,
    tolerance_secs: u64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        let (name, value) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed(format!("{part:?} is not name=value")))?;
        match name {
            "t" => {
                timestamp = Some(value.parse::<u64>().map_err(|_| {
                    SignatureError::Malformed(format!("timestamp {value:?} is not a number"))
                })?)
            }
            "v1" => tags.push(hex::decode(value).map_err(|_| {
                SignatureError::Malformed("the v1 signature is not hex".to_owned())
            })?),
            _ => {}
        }
    }
    let timestamp =
        timestamp.ok_or_else(|| SignatureError::Malformed("no t= timestamp".to_owned()))?;
    if tags.is_empty() {
        return Err(SignatureError::Malformed("no v1= signature".to_owned()));
    }
    SignatureError::check_fresh(timestamp, now_ms, tolerance_secs)?;
    let matched = tags
        .iter()
        .any(|tag| mac(secret, timestamp, body).verify_slice(tag).is_ok());
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: u64 = 1_709_283_600_000;

    #[test]
    fn signatures_bind_secret_body_and_time() {
        let body = br#"{"eventId":"evt_1"}"#;
        let header = sign(b"secret", NOW_MS / 1000, body);
        assert!(header.starts_with("t=1709283600,v1="));
        assert_eq!(verify(b"secret", Some(&header), body, NOW_MS, 300), Ok(()));
        assert_eq!(
            verify(b"other", Some(&header), body, NOW_MS, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                b"secret",
                Some(&header),
                br#"{"eventId":"evt_2"}"#,
                NOW_MS,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify(b"secret", Some(&header), body, NOW_MS + 301_000, 300),
            Err(SignatureError::Stale { skew_secs: 301, .. })
        ));
        assert_eq!(
            verify(b"secret", None, body, NOW_MS, 300),
            Err(SignatureError::Missing(SIGNATURE_HEADER))
        );
        for bad in ["v1=00", "t=x,v1=00", "t=1", "garbage", "t=1,v1=zz"] {
            assert!(
                matches!(
                    verify(b"secret", Some(bad), body, NOW_MS, 300),
                    Err(SignatureError::Malformed(_))
                ),
                "{bad}"
            );
        }
        // Forging the timestamp breaks the MAC.
        let forged = header.replace("t=1709283600", "t=1709283601");
        assert_eq!(
            verify(b"secret", Some(&forged), body, NOW_MS, 300),
            Err(SignatureError::Mismatch)
        );
        // A rotated secret: one matching entry is enough.
        let rotated = format!("{header},v1={}", "ab".repeat(32));
        assert_eq!(verify(b"secret", Some(&rotated), body, NOW_MS, 300), Ok(()));
    }
}
