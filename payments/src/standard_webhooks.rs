//! Standard Webhooks signatures (<https://www.standardwebhooks.com>, spec 1.0), the
//! scheme PortOne V2 signs its webhooks with:
//!
//! ```text
//! webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek
//! webhook-timestamp: 1614265330
//! webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,…
//! ```
//!
//! The signature is base64 of HMAC-SHA256 over `id.timestamp.body` keyed by the bytes
//! of the secret (`whsec_` + base64). The header may hold several space-separated
//! `version,signature` pairs (the sender signs with old and new secrets while rotating);
//! the receiver may hold several secrets too; one matching pair is enough. Unknown
//! versions are skipped. Timestamps more than a tolerance away from the receiver's clock,
//! in either direction, are refused, so a captured request cannot be replayed later.
//!
//! Written here rather than taken from the `standardwebhooks` crate because that crate
//! reads the system clock inside `verify` (the node has its own clock, and tests move
//! it), holds one secret only, and pins older `hmac`/`base64` majors than the workspace.

use base64::Engine as _;
use hmac::{KeyInit, Mac};

use crate::error::SignatureError;

/// The header with the message id (the same on every redelivery of one message).
pub const ID_HEADER: &str = "webhook-id";
/// The header with the signing time, Unix seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header with the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";
/// The prefix of a secret's text form.
pub const SECRET_PREFIX: &str = "whsec_";
/// Longest message id accepted (the spec's ids are short; this bounds the MAC input).
pub const MAX_ID_LEN: usize = 256;
/// Most signature pairs looked at in one header (each costs one HMAC).
pub const MAX_SIGNATURES: usize = 16;
/// Largest body verified (the node's webhook route refuses larger ones before this).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A signing secret: the key bytes (the `whsec_` text form is base64 of them).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    /// A secret from its text form, `whsec_<base64>` (the prefix may be left out, as the
    /// reference libraries allow).
    pub fn parse(text: &str) -> Result<WebhookSecret, SignatureError> {
        let text = text.trim();
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| SignatureError::Malformed("the secret is not whsec_<base64>".into()))?;
        if key.is_empty() {
            return Err(SignatureError::Malformed("the secret is empty".into()));
        }
        Ok(WebhookSecret(key))
    }

    /// A secret from raw key bytes.
    pub fn from_bytes(key: Vec<u8>) -> WebhookSecret {
        WebhookSecret(key)
    }

    /// The text form, `whsec_<base64>`.
    pub fn to_text(&self) -> String {
        format!(
            "{SECRET_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(&self.0)
        )
    }

    /// The MAC of `id.timestamp.body`, the timestamp as sent.
    pub(crate) fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

/// The `webhook-signature` value (`v1,<base64>`) of `body` sent as message `id` at
/// `timestamp` (Unix seconds).
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: u64, body: &[u8]) -> String {
    let tag = secret
        .mac(id, &timestamp.to_string(), body)
        .finalize()
        .into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    )
}

/// The three headers of a received message, as sent (any may be missing).
#[derive(Clone, Copy, Debug, Default)]
pub struct Headers<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`.
    pub signature: Option<&'a str>,
}

impl<'a> Headers<'a> {
    /// The headers of an HTTP request (names are case-insensitive).
    pub fn from_map(map: &'a reqwest::header::HeaderMap) -> Headers<'a> {
        let get = |name: &str| map.get(name).and_then(|v| v.to_str().ok());
        Headers {
            id: get(ID_HEADER),
            timestamp: get(TIMESTAMP_HEADER),
            signature: get(SIGNATURE_HEADER),
        }
    }
}

/// Checks a message against any of `secrets` at the receiver's clock `now_ms`; returns
/// the message id (the receiver deduplicates by it: within the tolerance a replay
/// verifies).
pub fn verify(
    secrets: &[WebhookSecret],
    headers: Headers<'_>,
    body: &[u8],
    now_ms: u64,
    tolerance_secs: u64,
) -> Result<String, SignatureError> {
    let id = headers.id.ok_or(SignatureError::Missing(ID_HEADER))?;
    let timestamp_text = headers
        .timestamp
        .ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?;
    let signatures = headers
        .signature
        .ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(SignatureError::Malformed(format!(
            "{ID_HEADER} must be 1 to {MAX_ID_LEN} characters"
        )));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(SignatureError::Malformed(format!(
            "the body is over {MAX_BODY_BYTES} bytes"
        )));
    }
    // Digits only: the MAC covers the text as sent, so "+1" or " 1" must not pass as 1.
    if timestamp_text.is_empty()
        || timestamp_text.len() > 12
        || !timestamp_text.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(SignatureError::Malformed(format!(
            "{TIMESTAMP_HEADER} {timestamp_text:?} is not Unix seconds"
        )));
    }
    let timestamp: u64 = timestamp_text
        .parse()
        .map_err(|_| SignatureError::Malformed("the timestamp is out of range".into()))?;
    SignatureError::check_fresh(timestamp, now_ms, tolerance_secs)?;
    let mut tags = Vec::new();
    for pair in signatures.split(' ').filter(|p| !p.is_empty()) {
        let Some((version, encoded)) = pair.split_once(',') else {
            return Err(SignatureError::Malformed(format!(
                "{pair:?} is not version,signature"
            )));
        };
        if version != "v1" {
            continue;
        }
        if tags.len() == MAX_SIGNATURES {
            break;
        }
        // A pair that is not base64 cannot match; other pairs still may.
        if let Ok(tag) = base64::engine::general_purpose::STANDARD.decode(encoded) {
            tags.push(tag);
        }
    }
    if tags.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    // `verify_slice` compares in constant time.
    let matched = secrets.iter().any(|secret| {
        tags.iter().any(|tag| {
            secret
                .mac(id, timestamp_text, body)
                .verify_slice(tag)
                .is_ok()
        })
    });
    if matched {
        Ok(id.to_owned())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The known-answer vector of the specification's reference libraries
    // (standard-webhooks, libraries/*: "sign function works").
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: u64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    const NOW_MS: u64 = TIMESTAMP * 1000 + 20_000;

    fn secret() -> WebhookSecret {
        WebhookSecret::parse(SECRET).unwrap()
    }

    fn headers(signature: &str) -> (String, String) {
        (TIMESTAMP.to_string(), signature.to_owned())
    }

    fn check(signature: &str, secrets: &[WebhookSecret]) -> Result<String, SignatureError> {
        let (timestamp, signature) = headers(signature);
        verify(
            secrets,
            Headers {
                id: Some(ID),
                timestamp: Some(&timestamp),
                signature: Some(&signature),
            },
            BODY,
            NOW_MS,
            300,
        )
    }

    #[test]
    fn the_specifications_known_answer_vector() {
        assert_eq!(sign(&secret(), ID, TIMESTAMP, BODY), SIGNATURE);
        assert_eq!(check(SIGNATURE, &[secret()]), Ok(ID.to_owned()));
        // The prefix is optional and the text form round-trips.
        let bare = WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(bare, secret());
        assert_eq!(secret().to_text(), SECRET);
        assert!(format!("{:?}", secret()).contains('…'), "never printed");
    }

    #[test]
    fn several_signatures_and_rotated_secrets() {
        // The reference test "multi sig payload is valid": other versions and wrong
        // signatures around the right one.
        let wrong = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
        let header =
            format!("{wrong} v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SIGNATURE} {wrong}");
        assert_eq!(check(&header, &[secret()]), Ok(ID.to_owned()));
        // The receiver holds the new and the old secret while rotating.
        let new = WebhookSecret::from_bytes(b"the next secret".to_vec());
        assert_eq!(
            check(SIGNATURE, &[new.clone(), secret()]),
            Ok(ID.to_owned())
        );
        assert_eq!(check(SIGNATURE, &[new]), Err(SignatureError::Mismatch));
        assert_eq!(check(wrong, &[secret()]), Err(SignatureError::Mismatch));
    }

    #[test]
    fn tampering_staleness_and_malformed_headers_are_refused() {
        let secrets = [secret()];
        let at = |now_ms: u64, timestamp: &str, body: &[u8]| {
            verify(
                &secrets,
                Headers {
                    id: Some(ID),
                    timestamp: Some(timestamp),
                    signature: Some(SIGNATURE),
                },
                body,
                now_ms,
                300,
            )
        };
        let ts = TIMESTAMP.to_string();
        assert_eq!(
            at(NOW_MS, &ts, br#"{"test": 2432232315}"#),
            Err(SignatureError::Mismatch)
        );
        // Too old and too new (the reference tests "old/new timestamp fails").
        assert!(matches!(
            at((TIMESTAMP + 301) * 1000, &ts, BODY),
            Err(SignatureError::Stale { skew_secs: 301, .. })
        ));
        assert!(matches!(
            at((TIMESTAMP - 301) * 1000, &ts, BODY),
            Err(SignatureError::Stale { skew_secs: 301, .. })
        ));
        // A forged timestamp breaks the MAC; a non-numeric one is malformed.
        assert_eq!(
            at(NOW_MS, &(TIMESTAMP + 1).to_string(), BODY),
            Err(SignatureError::Mismatch)
        );
        for bad in ["hello", "", "+1614265330", " 1614265330", "-1"] {
            assert!(
                matches!(at(NOW_MS, bad, BODY), Err(SignatureError::Malformed(_))),
                "{bad:?}"
            );
        }
        // Missing headers, partial and truncated signatures.
        let missing = verify(&secrets, Headers::default(), BODY, NOW_MS, 300);
        assert_eq!(missing, Err(SignatureError::Missing(ID_HEADER)));
        for partial in ["v1,", &SIGNATURE[..8], "v1,dawfeoifkpqwoekfpqoekf"] {
            assert_eq!(
                check(partial, &secrets),
                Err(SignatureError::Mismatch),
                "{partial}"
            );
        }
        assert!(matches!(
            check("garbage", &secrets),
            Err(SignatureError::Malformed(_))
        ));
        let long_id = "m".repeat(MAX_ID_LEN + 1);
        let too_long = verify(
            &secrets,
            Headers {
                id: Some(&long_id),
                timestamp: Some(&ts),
                signature: Some(SIGNATURE),
            },
            BODY,
            NOW_MS,
            300,
        );
        assert!(matches!(too_long, Err(SignatureError::Malformed(_))));
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert!(matches!(
            at(NOW_MS, &ts, &big),
            Err(SignatureError::Malformed(_))
        ));
        assert!(WebhookSecret::parse("whsec_!!").is_err());
        assert!(WebhookSecret::parse("whsec_").is_err());
    }
}
