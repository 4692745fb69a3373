//! The keyring and AES-256-GCM sealing of every stored secret (DESIGN §5).
//!
//! A sealed value is `version (1) | key id length (1) | key id | nonce (12) | ciphertext+tag`.
//! Associated data binds a value to its place (provider, user, connection, field), so a
//! ciphertext copied to another row or column fails to open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox};
use std::fmt;

const FORMAT_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// Why a keyring could not be built or a value could not be opened. Never holds key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("no encryption key given")]
    NoKeys,
    #[error("key entry {0} is not of the form id:base64key")]
    MalformedEntry(usize),
    #[error("key id `{0}` is invalid: use 1-64 characters from A-Z a-z 0-9 _ -")]
    BadKeyId(String),
    #[error("key `{0}` is not valid base64")]
    NotBase64(String),
    #[error("key `{0}` is {1} bytes long; it must be exactly 32 bytes (use `mcpserver keygen`)")]
    WrongLength(String, usize),
    #[error("key id `{0}` appears more than once")]
    DuplicateId(String),
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value uses unknown key id `{0}`")]
    UnknownKey(String),
    #[error("sealed value failed authentication (wrong key, wrong place, or tampered)")]
    Unauthentic,
}

struct KeyEntry {
    id: String,
    cipher: Aes256Gcm,
}

/// The encryption keys: the first one seals, every one opens.
pub struct Keyring {
    keys: Vec<KeyEntry>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

impl Keyring {
    /// Parses `id:base64key[,id:base64key…]` (the `MCPSERVER_ENCRYPTION_KEYS` format).
    pub fn parse(spec: &SecretBox<str>) -> Result<Self, CryptoError> {
        let mut keys: Vec<KeyEntry> = Vec::new();
        let entries = spec.expose_secret().split(',').map(str::trim);
        for (index, entry) in entries.filter(|e| !e.is_empty()).enumerate() {
            let key = parse_entry(index + 1, entry)?;
            if keys.iter().any(|k| k.id == key.id) {
                return Err(CryptoError::DuplicateId(key.id));
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(CryptoError::NoKeys);
        }
        Ok(Self { keys })
    }

    /// The id of the key that seals new values.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seals `plaintext` under the current key, bound to `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &Aad) -> Vec<u8> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let payload = Payload { msg: plaintext, aad: aad.as_bytes() };
        let ciphertext = key
            .cipher
            .encrypt(&nonce.into(), payload)
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(2 + key.id.len() + NONCE_LEN + ciphertext.len());
        out.push(FORMAT_VERSION);
        out.push(key.id.len() as u8);
        out.extend_from_slice(key.id.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Opens a value sealed by [`Keyring::seal`] with any key of the ring.
    pub fn open(&self, sealed: &[u8], aad: &Aad) -> Result<Vec<u8>, CryptoError> {
        let parts = SealedParts::parse(sealed)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id.as_bytes() == parts.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(String::from_utf8_lossy(parts.key_id).into()))?;
        let payload = Payload { msg: parts.ciphertext, aad: aad.as_bytes() };
        let nonce: [u8; NONCE_LEN] = parts.nonce.try_into().map_err(|_| CryptoError::Malformed)?;
        key.cipher.decrypt(&nonce.into(), payload).map_err(|_| CryptoError::Unauthentic)
    }

    /// Opens a UTF-8 secret (tokens are text).
    pub fn open_string(&self, sealed: &[u8], aad: &Aad) -> Result<String, CryptoError> {
        String::from_utf8(self.open(sealed, aad)?).map_err(|_| CryptoError::Malformed)
    }

    /// The key id a sealed value names, without opening it.
    pub fn key_id_of(sealed: &[u8]) -> Result<String, CryptoError> {
        let parts = SealedParts::parse(sealed)?;
        Ok(String::from_utf8_lossy(parts.key_id).into())
    }
}

fn parse_entry(position: usize, entry: &str) -> Result<KeyEntry, CryptoError> {
    let (id, b64) = entry.split_once(':').ok_or(CryptoError::MalformedEntry(position))?;
    let valid_id = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid_id {
        return Err(CryptoError::BadKeyId(id.chars().take(64).collect()));
    }
    let bytes = zeroize::Zeroizing::new(
        STANDARD.decode(b64.trim()).map_err(|_| CryptoError::NotBase64(id.to_string()))?,
    );
    if bytes.len() != KEY_LEN {
        return Err(CryptoError::WrongLength(id.to_string(), bytes.len()));
    }
    let cipher = Aes256Gcm::new(
        &Key::<Aes256Gcm>::try_from(&bytes[..])
            .map_err(|_| CryptoError::WrongLength(id.to_string(), bytes.len()))?,
    );
    Ok(KeyEntry { id: id.to_string(), cipher })
}

struct SealedParts<'a> {
    key_id: &'a [u8],
    nonce: &'a [u8],
    ciphertext: &'a [u8],
}

impl<'a> SealedParts<'a> {
    fn parse(sealed: &'a [u8]) -> Result<Self, CryptoError> {
        let (&version, rest) = sealed.split_first().ok_or(CryptoError::Malformed)?;
        if version != FORMAT_VERSION {
            return Err(CryptoError::Malformed);
        }
        let (&id_len, rest) = rest.split_first().ok_or(CryptoError::Malformed)?;
        let id_len = usize::from(id_len);
        if rest.len() < id_len + NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Malformed);
        }
        let (key_id, rest) = rest.split_at(id_len);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        Ok(Self { key_id, nonce, ciphertext })
    }
}

/// Associated data: the place a sealed value belongs to. Length-prefixed, so no two
/// different places encode to the same bytes.
pub struct Aad(Vec<u8>);

impl Aad {
    /// Binds a value to one field of one connection.
    pub fn field(provider: &str, user_id: &str, connection_id: &str, field: &str) -> Self {
        let mut bytes = b"mcpserver/v1".to_vec();
        for part in [provider, user_id, connection_id, field] {
            bytes.extend_from_slice(&(part.len() as u32).to_be_bytes());
            bytes.extend_from_slice(part.as_bytes());
        }
        Self(bytes)
    }

    /// Binds a value to one purpose that belongs to no connection (such as connect links).
    pub fn label(purpose: &str) -> Self {
        // "mcpserver/v1/" differs from every `field` encoding in its 13th byte ('/', where
        // a field's length prefix starts with 0).
        Self(format!("mcpserver/v1/{purpose}").into_bytes())
    }

    fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A fresh `id:base64key` line for `MCPSERVER_ENCRYPTION_KEYS`.
pub fn generate_key_line() -> String {
    let mut key = zeroize::Zeroizing::new([0u8; KEY_LEN]);
    rand::fill(&mut key[..]);
    let mut suffix = [0u8; 3];
    rand::fill(&mut suffix);
    let today = time::OffsetDateTime::now_utc().date();
    let id = format!(
        "k{:04}{:02}{:02}{}",
        today.year(),
        u8::from(today.month()),
        today.day(),
        hex::encode(suffix)
    );
    format!("{id}:{}", STANDARD.encode(&key[..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(spec: &str) -> Keyring {
        Keyring::parse(&SecretBox::from(spec.to_string().into_boxed_str())).unwrap()
    }

    fn key_b64(byte: u8) -> String {
        STANDARD.encode([byte; 32])
    }

    fn aad() -> Aad {
        Aad::field("jira", "user-1", "conn-1", "access_token")
    }

    #[test]
    fn a_sealed_value_opens_to_the_same_plaintext() {
        let keys = ring(&format!("a:{}", key_b64(1)));
        let sealed = keys.seal(b"secret token", &aad());
        assert_eq!(keys.open(&sealed, &aad()).unwrap(), b"secret token");
    }

    #[test]
    fn the_sealed_bytes_do_not_contain_the_plaintext() {
        let keys = ring(&format!("a:{}", key_b64(1)));
        let sealed = keys.seal(b"secret token", &aad());
        assert!(!sealed.windows(12).any(|w| w == b"secret token"));
    }

    #[test]
    fn a_wrong_key_fails_to_open() {
        let sealed = ring(&format!("a:{}", key_b64(1))).seal(b"x", &aad());
        let other = ring(&format!("a:{}", key_b64(2)));
        assert_eq!(other.open(&sealed, &aad()), Err(CryptoError::Unauthentic));
    }

    #[test]
    fn an_unknown_key_id_fails_to_open() {
        let sealed = ring(&format!("a:{}", key_b64(1))).seal(b"x", &aad());
        let other = ring(&format!("b:{}", key_b64(1)));
        assert_eq!(other.open(&sealed, &aad()), Err(CryptoError::UnknownKey("a".into())));
    }

    #[test]
    fn wrong_associated_data_fails_to_open() {
        let keys = ring(&format!("a:{}", key_b64(1)));
        let sealed = keys.seal(b"x", &aad());
        let elsewhere = Aad::field("jira", "user-1", "conn-1", "refresh_token");
        assert_eq!(keys.open(&sealed, &elsewhere), Err(CryptoError::Unauthentic));
        let other_user = Aad::field("jira", "user-2", "conn-1", "access_token");
        assert_eq!(keys.open(&sealed, &other_user), Err(CryptoError::Unauthentic));
    }

    #[test]
    fn associated_data_parts_cannot_be_shifted_between_fields() {
        let a = Aad::field("jira", "ab", "c", "f");
        let b = Aad::field("jira", "a", "bc", "f");
        assert_ne!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn every_flipped_bit_fails_to_open() {
        let keys = ring(&format!("a:{}", key_b64(1)));
        let sealed = keys.seal(b"secret", &aad());
        for byte in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[byte] ^= 0x01;
            assert!(keys.open(&tampered, &aad()).is_err(), "bit flip at byte {byte} opened");
        }
    }

    #[test]
    fn every_truncation_fails_to_open() {
        let keys = ring(&format!("a:{}", key_b64(1)));
        let sealed = keys.seal(b"secret", &aad());
        for len in 0..sealed.len() {
            assert!(keys.open(&sealed[..len], &aad()).is_err(), "truncated to {len} opened");
        }
    }

    #[test]
    fn two_seals_of_the_same_plaintext_differ() {
        let keys = ring(&format!("a:{}", key_b64(1)));
        assert_ne!(keys.seal(b"same", &aad()), keys.seal(b"same", &aad()));
    }

    #[test]
    fn a_value_sealed_with_an_old_key_opens_after_a_new_key_is_put_first() {
        let old = ring(&format!("old:{}", key_b64(1)));
        let sealed = old.seal(b"kept", &aad());
        let rotated = ring(&format!("new:{},old:{}", key_b64(2), key_b64(1)));
        assert_eq!(rotated.open(&sealed, &aad()).unwrap(), b"kept");
        assert_eq!(rotated.current_id(), "new");
        let resealed = rotated.seal(b"kept", &aad());
        assert_eq!(Keyring::key_id_of(&resealed).unwrap(), "new");
    }

    #[test]
    fn bad_key_specs_are_rejected_with_a_reason() {
        let parse = |s: &str| Keyring::parse(&SecretBox::from(s.to_string().into_boxed_str()));
        assert_eq!(parse("").unwrap_err(), CryptoError::NoKeys);
        assert_eq!(parse("nocolon").unwrap_err(), CryptoError::MalformedEntry(1));
        assert_eq!(parse("a:!!!").unwrap_err(), CryptoError::NotBase64("a".into()));
        let short = STANDARD.encode([1u8; 16]);
        assert_eq!(parse(&format!("a:{short}")).unwrap_err(), CryptoError::WrongLength("a".into(), 16));
        let dup = format!("a:{},a:{}", key_b64(1), key_b64(2));
        assert_eq!(parse(&dup).unwrap_err(), CryptoError::DuplicateId("a".into()));
        assert!(matches!(parse(&format!("a b:{}", key_b64(1))), Err(CryptoError::BadKeyId(_))));
    }

    #[test]
    fn errors_and_debug_never_show_key_material() {
        let b64 = key_b64(7);
        let keys = ring(&format!("a:{b64}"));
        assert!(!format!("{keys:?}").contains(&b64));
        let parse = |s: &str| Keyring::parse(&SecretBox::from(s.to_string().into_boxed_str()));
        let err = parse(&format!("a:{}", &b64[..20])).unwrap_err().to_string();
        assert!(!err.contains(&b64[..20]));
    }

    #[test]
    fn generated_key_lines_parse() {
        let line = generate_key_line();
        let keys = ring(&line);
        assert!(line.starts_with(keys.current_id()));
    }
}
