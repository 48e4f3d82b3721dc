//! Entry points of the payment fuzz targets (`fuzz/fuzz_targets/payment_signatures.rs`,
//! `payment_webhooks.rs`), kept here so that their saved inputs replay as ordinary
//! tests on stable. Webhooks come from anyone on the network, and the gateways' answers
//! cross a trust boundary too: whatever the bytes, reading them must not panic, and
//! what the node acts on must hold the properties below.

use base64::Engine as _;
use hmac::Mac;

use crate::standard_webhooks::{self, Headers, WebhookSecret};
use crate::{portone, toss, webhook, SignatureError};

/// The receiver's clock in the targets: the Standard Webhooks specification's example
/// timestamp (1614265330), so its published vector verifies.
pub const NOW_MS: u64 = 1_614_265_330_000;
/// The timestamp tolerance in the targets, seconds.
pub const TOLERANCE_SECS: u64 = 300;
/// The store the PortOne reader is for.
pub const STORE_ID: &str = "store-fuzz";

/// The receiver's secrets: the specification's example secret and one more (rotation).
fn secrets() -> Vec<WebhookSecret> {
    vec![
        WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("the spec's secret"),
        WebhookSecret::from_bytes(b"a second, rotated secret".to_vec()),
    ]
}

/// The sandbox's secret.
const SANDBOX_SECRET: &[u8] = b"sandbox webhook secret";

/// Input of `payment_signatures`: three lines (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`, the last also read as the sandbox's `Webhook-Signature`), then
/// the body. Both schemes check it; an accepted message must carry a genuine signature
/// of a held secret over exactly these bytes, at a fresh time; and a message this
/// function signs itself must verify, and fail once its body changes.
pub fn signatures(data: &[u8]) {
    let mut parts = data.splitn(4, |b| *b == b'\n');
    let id = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let timestamp = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let signature = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();
    standard(&id, &timestamp, &signature, body);
    sandbox(&signature, body);
}

fn standard(id: &str, timestamp: &str, signature: &str, body: &[u8]) {
    let secrets = secrets();
    let headers = Headers {
        id: Some(id),
        timestamp: Some(timestamp),
        signature: Some(signature),
    };
    if let Ok(verified) = standard_webhooks::verify(&secrets, headers, body, NOW_MS, TOLERANCE_SECS)
    {
        assert_eq!(verified, id, "the id verified is the id sent");
        let sent: u64 = timestamp.parse().expect("a verified timestamp is digits");
        assert!((NOW_MS / 1000).abs_diff(sent) <= TOLERANCE_SECS, "fresh");
        let genuine = signature.split(' ').any(|pair| {
            pair.strip_prefix("v1,")
                .and_then(|tag| base64::engine::general_purpose::STANDARD.decode(tag).ok())
                .is_some_and(|tag| {
                    secrets
                        .iter()
                        .any(|s| s.mac(id, timestamp, body).verify_slice(&tag).is_ok())
                })
        });
        assert!(genuine, "accepted without a genuine signature");
    }
    // What the node would accept from the gateway: this message, signed now.
    if id.is_empty() || id.len() > standard_webhooks::MAX_ID_LEN {
        return;
    }
    if body.len() > standard_webhooks::MAX_BODY_BYTES {
        return;
    }
    let now = NOW_MS / 1000;
    let now_text = now.to_string();
    let own = standard_webhooks::sign(&secrets[1], id, now, body);
    // Unknown versions and pairs that are not base64 around it do not hide it.
    let crowded = format!("v2,abc v1,not-base64! {own}");
    for header in [own.as_str(), crowded.as_str()] {
        let headers = Headers {
            id: Some(id),
            timestamp: Some(&now_text),
            signature: Some(header),
        };
        assert_eq!(
            standard_webhooks::verify(&secrets, headers, body, NOW_MS, TOLERANCE_SECS),
            Ok(id.to_owned()),
            "a genuine signature verifies"
        );
    }
    let mut changed = body.to_vec();
    changed.push(b' ');
    if changed.len() <= standard_webhooks::MAX_BODY_BYTES {
        let headers = Headers {
            id: Some(id),
            timestamp: Some(&now_text),
            signature: Some(&own),
        };
        assert_eq!(
            standard_webhooks::verify(&secrets, headers, &changed, NOW_MS, TOLERANCE_SECS),
            Err(SignatureError::Mismatch),
            "a changed body does not verify"
        );
    }
}

fn sandbox(header: &str, body: &[u8]) {
    if webhook::verify(SANDBOX_SECRET, Some(header), body, NOW_MS, TOLERANCE_SECS).is_ok() {
        let mut timestamps = header
            .split(',')
            .filter_map(|part| part.trim().strip_prefix("t="));
        let sent: u64 = timestamps
            .next_back()
            .and_then(|t| t.parse().ok())
            .expect("a verified header has a timestamp");
        assert!((NOW_MS / 1000).abs_diff(sent) <= TOLERANCE_SECS, "fresh");
        let genuine = header.split(',').any(|part| {
            part.trim()
                .strip_prefix("v1=")
                .and_then(|tag| hex::decode(tag).ok())
                .is_some_and(|tag| {
                    webhook::mac(SANDBOX_SECRET, sent, body)
                        .verify_slice(&tag)
                        .is_ok()
                })
        });
        assert!(genuine, "accepted without a genuine signature");
    }
    let own = webhook::sign(SANDBOX_SECRET, NOW_MS / 1000, body);
    assert_eq!(
        webhook::verify(SANDBOX_SECRET, Some(&own), body, NOW_MS, TOLERANCE_SECS),
        Ok(()),
        "a genuine signature verifies"
    );
    let mut changed = body.to_vec();
    changed.push(b' ');
    assert_eq!(
        webhook::verify(SANDBOX_SECRET, Some(&own), &changed, NOW_MS, TOLERANCE_SECS),
        Err(SignatureError::Mismatch),
        "a changed body does not verify"
    );
}

/// Input of `payment_webhooks`: a body, read as a Toss webhook (status change or
/// deposit callback), as a PortOne webhook, and as each gateway's payment answer. No
/// reading panics; an id the node will put in a gateway URL is path-safe; what the
/// node acts on is a payment event; a payment read has a balance within its total.
pub fn webhooks(body: &[u8]) {
    match toss::read_webhook(body) {
        Ok(toss::TossEvent::StatusChanged { payment_key }) => {
            assert!(crate::rest::is_path_safe(&payment_key), "{payment_key:?}");
        }
        Ok(toss::TossEvent::Deposit {
            order_id,
            secret,
            transaction_key,
        }) => {
            assert!(crate::rest::is_path_safe(&order_id), "{order_id:?}");
            assert!(transaction_key.chars().count() <= 100);
            // A payment without a secret matches no callback, not even an empty one.
            assert!(!toss::deposit_secret_matches(None, &secret));
            assert!(!toss::deposit_secret_matches(Some(""), &secret));
            assert_eq!(
                toss::deposit_secret_matches(Some(&secret), &secret),
                !secret.is_empty()
            );
        }
        Ok(toss::TossEvent::Ignored { event_type }) => {
            assert!(event_type.chars().count() <= 64);
            assert_ne!(event_type, crate::types::PAYMENT_STATUS_CHANGED);
        }
        Err(_) => {}
    }
    match portone::read_webhook(body, STORE_ID) {
        Ok(portone::PortOneEvent::Payment { .. }) => {
            let kind = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_owned))
                .unwrap_or_default();
            assert!(kind.starts_with("Transaction."), "{kind:?}");
        }
        Ok(portone::PortOneEvent::Ignored { .. }) | Err(_) => {}
    }
    if let Ok(payment) = portone::read_payment(body) {
        assert!(payment.balance_amount <= payment.total_amount);
        assert_eq!(payment.payment_key, payment.order_id);
    }
    let _ = toss::read_payment(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay(target: &str, run: fn(&[u8])) -> usize {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        let mut count = 0;
        for dir in ["seeds", "corpus"] {
            let dir = root.join(dir).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                run(&std::fs::read(entry.unwrap().path()).unwrap());
                count += 1;
            }
        }
        count
    }

    #[test]
    fn the_saved_inputs_replay() {
        assert!(replay("payment_signatures", signatures) >= 4);
        assert!(replay("payment_webhooks", webhooks) >= 6);
    }

    #[test]
    fn bodies_that_are_not_utf8_are_refused() {
        // Found by the fuzzer: a signed body with a bad byte in a field the reader
        // ignores was taken as a payment event though it is not JSON.
        let body = b"{\"type\": \"Transaction.Paid\", \"timestamp\": \"2024-04-2\xe9T10:00:00.000Z\", \"data\": {\"paymentId\": \"truffle-1a2b3c4d-7\", \"transactionId\": \"tx-1\"}}";
        assert!(matches!(
            portone::read_webhook(body, STORE_ID),
            Err(crate::PaymentError::MalformedEvent(_))
        ));
        let deposit = b"{\"createdAt\": \"2024-04-25\xffT19:30\", \"secret\": \"ps_1\", \"status\": \"DONE\", \"transactionKey\": \"k\", \"orderId\": \"truffle-1a2b3c4d-8\"}";
        assert!(matches!(
            toss::read_webhook(deposit),
            Err(crate::PaymentError::MalformedEvent(_))
        ));
        webhooks(body);
        webhooks(deposit);
    }

    #[test]
    fn the_spec_vector_passes_the_acceptance_check() {
        // The published vector verifies at NOW_MS: the target reaches its accepting path.
        let input = b"msg_p5jXN8AQM9LWM0D4loKWxJek\n1614265330\nv1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=\n{\"test\": 2432232314}";
        let secrets = secrets();
        let headers = Headers {
            id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
            timestamp: Some("1614265330"),
            signature: Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        };
        assert!(standard_webhooks::verify(
            &secrets,
            headers,
            br#"{"test": 2432232314}"#,
            NOW_MS,
            TOLERANCE_SECS
        )
        .is_ok());
        signatures(input);
    }
}
