//! Pseudonyms: a keyed hash (HMAC-SHA-256) of the source system's id.
//!
//! The key stays with the administrator (a file given to `cocare records import` or to the
//! server); researchers see only pseudonyms, and turning one back into a person needs both the
//! key and the source system. The same key gives the same pseudonym on every import, so a
//! refreshed extract keeps each person's pseudonym.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A pseudonymisation key: at least 32 bytes, written as hex in its file.
#[derive(Clone)]
pub struct PseudonymKey(Vec<u8>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the pseudonymisation key file does not hold hex digits (it should hold 64 or more, as `cocare records keygen` writes)"
    )]
    NotHex,
    #[error("the pseudonymisation key is {0} bytes; it must be at least 32 (64 hex digits)")]
    TooShort(usize),
}

impl PseudonymKey {
    /// Reads a key file's text: hex digits, surrounding whitespace ignored.
    pub fn from_hex(text: &str) -> Result<PseudonymKey, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::NotHex)?;
        if bytes.len() < 32 {
            return Err(KeyError::TooShort(bytes.len()));
        }
        Ok(PseudonymKey(bytes))
    }

    /// A key from fresh random bytes (the caller supplies them from the operating system).
    pub fn from_random(bytes: [u8; 32]) -> PseudonymKey {
        PseudonymKey(bytes.to_vec())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// The pseudonym of a source id: "P" and the first 16 bytes of HMAC-SHA-256, in hex.
    pub fn pseudonym(&self, source_id: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(source_id.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(33);
        out.push('P');
        out.push_str(&hex::encode(digest.get(..16).unwrap_or_default()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_match_an_independent_hmac() {
        // Expected value from Python's standard library, run separately:
        // hmac.new(bytes(range(32)), b"S-000123", hashlib.sha256).hexdigest()[:32]
        let key = PseudonymKey::from_hex(&hex::encode((0u8..32).collect::<Vec<_>>())).unwrap();
        assert_eq!(key.pseudonym("S-000123"), format!("P{}", EXPECTED));
    }
    const EXPECTED: &str = include_str!("../tests/fixtures/hmac_expected.txt");

    #[test]
    fn keys_must_be_long_hex_and_are_not_printed() {
        assert_eq!(PseudonymKey::from_hex("zz").unwrap_err(), KeyError::NotHex);
        assert_eq!(PseudonymKey::from_hex("00ff").unwrap_err(), KeyError::TooShort(2));
        let key = PseudonymKey::from_random([7; 32]);
        assert_eq!(format!("{key:?}"), "PseudonymKey(…)");
        assert_ne!(key.pseudonym("a"), PseudonymKey::from_random([8; 32]).pseudonym("a"));
        assert_eq!(key.pseudonym("a"), key.pseudonym("a"));
    }
}
