//! Delivering hub events from the outbox: POST JSON to `MCPSERVER_HUB_WEBHOOK_URL`, signed
//! with HMAC-SHA256 over the body (key: the hub secret), retried with backoff.

use crate::app::AppState;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The signature header: `sha256=<hex HMAC-SHA256(hub secret, body)>`.
pub const SIGNATURE_HEADER: &str = "x-mcpserver-signature";
/// The event id header (receivers de-duplicate on it: delivery is at least once).
pub const EVENT_ID_HEADER: &str = "x-mcpserver-event-id";

/// `sha256=<hex>` for `body`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What one delivery pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: u64,
    pub failed: u64,
}

/// Delivers due events once; without a webhook URL, due events are marked delivered
/// (there is no one to tell).
pub async fn deliver_once(state: &AppState, now: i64) -> Result<DeliveryReport, crate::store::StoreError> {
    let store = &state.store;
    let mut report = DeliveryReport::default();
    let due = store.claim_due_events(now, 50, 60).await?;
    for event in due {
        let Some(url) = &state.config.hub_webhook_url else {
            store.mark_event_delivered(event.id, now).await?;
            continue;
        };
        let result = state
            .http
            .post(url.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(state.config.hub_secret_bytes(), event.payload.as_bytes()))
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
