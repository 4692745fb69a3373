//! Delivering hub events from the outbox: POST JSON to `MCPSERVER_HUB_WEBHOOK_URL`, signed
//! with HMAC-SHA256 over a timestamp and the body (key: `MCPSERVER_HUB_WEBHOOK_SECRET`),
//! retried with backoff.

use crate::app::AppState;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(webhook secret, "<t>.<body>")>`.
pub const SIGNATURE_HEADER: &str = "x-mcpserver-signature";
/// The event id header (receivers de-duplicate on it: delivery is at least once).
pub const EVENT_ID_HEADER: &str = "x-mcpserver-event-id";
/// How old a signature's timestamp a receiver should accept (docs/operations.md).
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The signature header's value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(mac(secret, timestamp, body)))
}

/// What a receiver checks: the header is well formed, its `v1` is the HMAC of `"<t>.<body>"`
/// and `t` is within [`SIGNATURE_TOLERANCE_SECS`] of `now`, so a captured event cannot be
/// replayed later.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = timestamp else {
        return false;
    };
    if (now - t).abs() > SIGNATURE_TOLERANCE_SECS {
        return false;
    }
    let expected = mac(secret, t, body);
    signatures.iter().any(|s| bool::from(s.as_slice().ct_eq(&expected)))
}

/// What one delivery pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: u64,
    pub failed: u64,
}

/// Delivers due events once; without a webhook URL, due events are marked delivered
/// (there is no one to tell).
pub async fn run_once(state: &AppState, now: i64) -> Result<DeliveryReport, crate::store::StoreError> {
    let store = &state.store;
    let mut report = DeliveryReport::default();
    let due = store.claim_due_events(now, 50, 60).await?;
    for event in due {
        let (Some(url), Some(secret)) = (&state.config.hub_webhook_url, &state.config.hub_webhook_secret)
        else {
            store.mark_event_delivered(event.id, now).await?;
            continue;
        };
        // Signed when sent (not when due), so the receiver's age check sees the real time.
        let signature = sign(secret.expose_secret(), state.clock.now(), event.payload.as_bytes());
        let result = state
            .http
            .post(url.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_ID_HEADER, &event.event_id)
            .body(event.payload.clone())
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await;
        match result {
            Ok(r) if r.status().is_success() => {
                store.mark_event_delivered(event.id, now).await?;
                report.delivered += 1;
            }
            outcome => {
                let why = match outcome {
                    Ok(r) => format!("status {}", r.status()),
                    Err(e) => crate::providers::ProviderError::from_transport(&e).to_string(),
                };
                let delay = retry_delay(event.attempts);
                store.mark_event_failed(event.id, now + delay, &why).await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// 5 s, 10 s, 20 s, … up to an hour, plus up to 20% jitter.
fn retry_delay(attempts: i64) -> i64 {
    let base = (5i64 << attempts.clamp(0, 10)).min(3600);
    base + rand::random_range(0..=base / 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"webhook-secret-of-at-least-32-bytes!";

    #[test]
    fn a_signature_covers_the_timestamp_and_the_body() {
        let body = br#"{"type":"connected"}"#;
        let header = sign(KEY, 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="), "{header}");
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
        assert!(verify(KEY, &header, body, 1_700_000_000));
        assert!(verify(KEY, &header, body, 1_700_000_000 + SIGNATURE_TOLERANCE_SECS));
        assert!(!verify(KEY, &header, body, 1_700_000_000 + SIGNATURE_TOLERANCE_SECS + 1), "replayed later");
        assert!(!verify(KEY, &header, br#"{"type":"disconnected"}"#, 1_700_000_000), "another body");
        assert!(!verify(b"another-key-of-at-least-32-bytes!!!!", &header, body, 1_700_000_000));
        let moved = header.replace("t=1700000000", "t=1700000100");
        assert!(!verify(KEY, &moved, body, 1_700_000_100), "the timestamp is signed");
        assert!(!verify(KEY, "sha256=00", body, 1_700_000_000));
    }
}
