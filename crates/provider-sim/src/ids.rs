//! Identifiers and secrets: random ones for tokens and codes, seeded ones for content.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use uuid::Uuid;

/// `n` random bytes, URL-safe base64 without padding.
pub(crate) fn random_b64(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::fill(&mut buf[..]);
    URL_SAFE_NO_PAD.encode(&buf)
}

/// A random v4 UUID, dashed lowercase.
pub(crate) fn random_uuid() -> String {
    Uuid::new_v4().to_string()
}

/// A JWT-looking token: `header.claims.signature`, every part base64url. The simulator never
/// verifies it; it looks tokens up by their exact string.
pub(crate) fn jwt_like(claims: &Value) -> String {
    let header = json!({"kid": "auth.atlassian.io/sim", "alg": "RS256", "typ": "JWT"});
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        random_b64(32)
    )
}

/// Parses a Notion id given with or without dashes; returns the dashed lowercase form.
pub(crate) fn parse_notion_id(raw: &str) -> Option<String> {
    let compact: String = raw.chars().filter(|c| *c != '-').collect();
    if compact.len() != 32 || !compact.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Uuid::parse_str(&compact).ok().map(|u| u.hyphenated().to_string())
}

/// The id without dashes (Notion URLs use it).
pub(crate) fn compact(id: &str) -> String {
    id.replace('-', "")
}

/// Deterministic generator (SplitMix64) for seeded content: same seed, same data.
#[derive(Debug, Clone)]
pub(crate) struct SeedRng(u64);

impl SeedRng {
    pub(crate) fn new(seed: u64) -> Self {
        SeedRng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A deterministic v4-shaped UUID.
    pub(crate) fn uuid(&mut self) -> String {
        let hi = self.next_u64().to_be_bytes();
        let lo = self.next_u64().to_be_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hi);
        bytes[8..].copy_from_slice(&lo);
        uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notion_ids_are_accepted_with_or_without_dashes() {
        let dashed = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
        assert_eq!(parse_notion_id(dashed).as_deref(), Some(dashed));
        assert_eq!(parse_notion_id("3C90C3CC0D444B5088888DD25736052A").as_deref(), Some(dashed));
        assert_eq!(parse_notion_id("not-an-id"), None);
        assert_eq!(parse_notion_id("3c90c3cc0d444b5088888dd25736052"), None);
    }

    #[test]
    fn seeded_generator_repeats_for_the_same_seed() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = SeedRng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = SeedRng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(SeedRng::new(7).uuid(), SeedRng::new(8).uuid());
    }
}
