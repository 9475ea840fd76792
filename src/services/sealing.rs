//! Secrets kept encrypted at rest (an authenticator app's secret): XChaCha20-Poly1305
//! under a key derived with HKDF-SHA-256 from `SESSION_KEY`, each value bound to what it
//! belongs to (its user), so a sealed value copied into another row does not open.
//! A new `SESSION_KEY` leaves every sealed value unreadable (SECURITY.md says what that
//! means); a key made up for one process, which the next start will not have, seals
//! nothing.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::config::SessionKey;

/// What the derived key is for, so that it is never the key of anything else.
const PURPOSE: &[u8] = b"pbx-portal: second factors at rest, v1";
/// The stored form's prefix, naming the scheme.
const PREFIX: &str = "v1.";
const NONCE_BYTES: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(
        "This portal runs without a fixed SESSION_KEY, so a secret saved now could not be \
         read after a restart. Ask whoever runs the portal to set SESSION_KEY."
    )]
    KeyNotKept,
    #[error("no randomness for a nonce: {0}")]
    Random(#[from] getrandom::Error),
    #[error("the secret could not be encrypted")]
    Encrypt,
}

pub struct Sealer {
    cipher: XChaCha20Poly1305,
    kept: bool,
}

impl Sealer {
    pub fn new(session_key: &SessionKey) -> Self {
        let mut key = [0u8; 32];
        // 32 bytes is far inside what HKDF-SHA-256 can expand to, so this cannot fail.
        let expanded =
            Hkdf::<Sha256>::new(None, session_key.key().master()).expand(PURPOSE, &mut key);
        debug_assert!(expanded.is_ok());
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
            kept: session_key.is_kept(),
        }
    }

    /// `secret` encrypted for storage, bound to `owner` (such as "user 42").
    pub fn seal(&self, secret: &[u8], owner: &str) -> Result<String, SealError> {
        if !self.kept {
            return Err(SealError::KeyNotKept);
        }
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce)?;
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| SealError::Encrypt)?;
        let hex: String = nonce
            .iter()
            .chain(&sealed)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(format!("{PREFIX}{hex}"))
    }

    /// The secret `sealed` holds, if it was sealed under this key for `owner` and is
    /// unchanged; `None` otherwise.
    pub fn open(&self, sealed: &str, owner: &str) -> Option<Vec<u8>> {
        let bytes = from_hex(sealed.strip_prefix(PREFIX)?)?;
        if bytes.len() <= NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .ok()
    }
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> SessionKey {
        SessionKey::from_text(&text.repeat(64)).unwrap_or_else(|_| SessionKey::for_this_process())
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_owner_under_the_same_key() -> Result<(), SealError> {
        let sealer = Sealer::new(&key("a"));
        let sealed = sealer.seal(b"twenty bytes secret!", "user 1")?;
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("7477656e7479"), "the secret does not show");
        assert_eq!(
            sealer.open(&sealed, "user 1").as_deref(),
            Some(&b"twenty bytes secret!"[..])
        );
        assert_eq!(sealer.open(&sealed, "user 2"), None);
        assert_eq!(Sealer::new(&key("b")).open(&sealed, "user 1"), None);
        // Each seal has its own nonce.
        assert_ne!(sealer.seal(b"twenty bytes secret!", "user 1")?, sealed);
        // A changed byte, a cut value or nonsense opens nothing.
        let mut tampered = sealed.clone().into_bytes();
        if let Some(last) = tampered.last_mut() {
            *last = if *last == b'0' { b'1' } else { b'0' };
        }
        let tampered = String::from_utf8_lossy(&tampered).into_owned();
        assert_eq!(sealer.open(&tampered, "user 1"), None);
        assert_eq!(sealer.open(&sealed[..sealed.len() - 2], "user 1"), None);
        for nonsense in ["", "v1.", "v1.zz", "v2.00", "v1.é"] {
            assert_eq!(sealer.open(nonsense, "user 1"), None);
        }
        Ok(())
    }

    #[test]
    fn a_key_made_up_for_one_process_seals_nothing() {
        let sealer = Sealer::new(&SessionKey::for_this_process());
        assert!(matches!(
            sealer.seal(b"secret", "user 1"),
            Err(SealError::KeyNotKept)
        ));
    }
}
