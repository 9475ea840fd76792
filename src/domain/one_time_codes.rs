//! The codes of two-step sign-in. An authenticator app's codes follow RFC 6238 as every
//! app reads them: HMAC-SHA-1, 6 digits, 30-second steps. The step before and the step
//! after now are accepted too (clock skew), and each step only once. Recovery codes are
//! ten random codes of 80 bits each, shown once and kept only as their SHA-256.

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

/// Bytes of an authenticator app's secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// Seconds per code.
pub const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub const CODE_DIGITS: usize = 6;
/// Recovery codes a user holds at a time.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code, 5 bits each (Crockford's base32: no I, L, O or U).
const RECOVERY_CODE_CHARS: usize = 16;
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// An authenticator app's shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AppSecret(Vec<u8>);

impl std::fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppSecret(<redacted>)")
    }
}

impl AppSecret {
    /// A fresh random secret.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A secret as stored; none of the wrong length.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() == SECRET_BYTES).then_some(Self(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as a person types it into an app: base32 capitals, no padding.
    pub fn base32(&self) -> String {
        match Secret::Raw(self.0.clone()).to_encoded() {
            Secret::Encoded(text) => text,
            Secret::Raw(_) => String::new(),
        }
    }

    /// The `otpauth://` address a QR code carries, which names the account `account`
    /// (a login) under `issuer`.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={CODE_DIGITS}&period={STEP_SECONDS}",
            percent_encoded(issuer),
            percent_encoded(account),
            self.base32(),
            percent_encoded(issuer),
        )
    }

    fn totp(&self) -> TOTP {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            CODE_DIGITS,
            1,
            STEP_SECONDS,
            self.0.clone(),
        )
    }

    /// The code of the step that holds `unix_seconds`.
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp().generate(unix_seconds)
    }

    /// The step whose code `code` is, among the step of `unix_seconds` and one either
    /// side of it, provided it comes after `last_used` (the last step a code was
    /// accepted for): a code is never accepted twice, nor an older one after a newer.
    pub fn matching_step(&self, code: &AppCode, unix_seconds: u64, last_used: i64) -> Option<i64> {
        let now = unix_seconds / STEP_SECONDS;
        let totp = self.totp();
        [now.saturating_sub(1), now, now + 1]
            .into_iter()
            .filter(|step| i64::try_from(*step).is_ok_and(|step| step > last_used))
            .find(|step| {
                let expected = totp.generate(step * STEP_SECONDS);
                same_bytes(expected.as_bytes(), code.0.as_bytes())
            })
            .and_then(|step| i64::try_from(step).ok())
    }
}

/// Constant-time comparison of two codes of the same length.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Percent-encodes all but RFC 3986's unreserved characters (for an `otpauth:` or a
/// `data:` address).
pub fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Six digits an app shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCode(String);

/// A code as typed in the **Code** field: an app's code, or a recovery code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedCode {
    App(AppCode),
    Recovery(RecoveryCode),
}

impl TypedCode {
    /// Spaces and hyphens are ignored, and case; a recovery code's O, I and L are read
    /// as 0, 1 and 1. `None` for anything that is neither kind.
    pub fn parse(text: &str) -> Option<Self> {
        let bare: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if bare.len() == CODE_DIGITS && bare.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Self::App(AppCode(bare)));
        }
        RecoveryCode::parse(&bare).map(Self::Recovery)
    }
}

/// A recovery code, in its plain form (16 lowercase characters, no hyphens).
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

impl RecoveryCode {
    /// Ten fresh codes.
    pub fn generate_set() -> Result<Vec<Self>, getrandom::Error> {
        (0..RECOVERY_CODES).map(|_| Self::generate()).collect()
    }

    fn generate() -> Result<Self, getrandom::Error> {
        let mut random = [0u8; RECOVERY_CODE_CHARS];
        getrandom::fill(&mut random)?;
        Ok(Self(
            random
                .iter()
                .map(|byte| char::from(RECOVERY_ALPHABET[usize::from(byte & 31)]))
                .collect(),
        ))
    }

    fn parse(bare: &str) -> Option<Self> {
        let code: String = bare
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                'o' => '0',
                'i' | 'l' => '1',
                other => other,
            })
            .collect();
        (code.len() == RECOVERY_CODE_CHARS && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
            .then_some(Self(code))
    }

    /// As shown and downloaded: four groups of four joined by hyphens, no spaces.
    pub fn shown(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|group| String::from_utf8_lossy(group).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// What is stored: SHA-256, hex. 80 random bits leave nothing to guess offline.
    pub fn hash(&self) -> String {
        Sha256::digest(self.0.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 secret, "12345678901234567890".
    fn rfc_secret() -> AppSecret {
        AppSecret(b"12345678901234567890".to_vec())
    }

    fn app_code(text: &str) -> AppCode {
        match TypedCode::parse(text) {
            Some(TypedCode::App(code)) => code,
            other => AppCode(format!("not an app code: {other:?}")),
        }
    }

    #[test]
    fn codes_are_rfc_6238s_test_vectors_cut_to_six_digits() {
        // RFC 6238 appendix B, SHA-1: 94287082, 07081804, 14050471, 89005924.
        let secret = rfc_secret();
        assert_eq!(secret.code_at(59), "287082");
        assert_eq!(secret.code_at(1_111_111_109), "081804");
        assert_eq!(secret.code_at(1_111_111_111), "050471");
        assert_eq!(secret.code_at(1_234_567_890), "005924");
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_never_twice() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let step = i64::try_from(now / STEP_SECONDS).unwrap_or_default();
        let current = app_code(&secret.code_at(now));
        assert_eq!(secret.matching_step(&current, now, 0), Some(step));
        // Its step used, the same code is refused.
        assert_eq!(secret.matching_step(&current, now, step), None);
        // The previous and next steps' codes are accepted, two steps away is not.
        let previous = app_code(&secret.code_at(now - 30));
        assert_eq!(secret.matching_step(&previous, now, 0), Some(step - 1));
        let next = app_code(&secret.code_at(now + 30));
        assert_eq!(secret.matching_step(&next, now, 0), Some(step + 1));
        let old = app_code(&secret.code_at(now - 60));
        assert_eq!(secret.matching_step(&old, now, 0), None);
        // After the next step's code, the current one is refused too.
        assert_eq!(secret.matching_step(&current, now, step + 1), None);
        assert_eq!(secret.matching_step(&app_code("000000"), now, 0), None);
    }

    #[test]
    fn the_secret_is_base32_capitals_and_the_address_names_the_account() {
        let secret = rfc_secret();
        assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            secret.otpauth_uri("PBX portal", "100@acme.example"),
            "otpauth://totp/PBX%20portal:100%40acme.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=PBX%20portal&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(format!("{secret:?}"), "AppSecret(<redacted>)");
    }

    #[test]
    fn typed_codes_are_read_generously() {
        assert_eq!(
            TypedCode::parse(" 123 456 "),
            Some(TypedCode::App(AppCode("123456".into())))
        );
        assert_eq!(TypedCode::parse("12345"), None);
        assert_eq!(TypedCode::parse("12345a"), None);
        assert_eq!(TypedCode::parse(""), None);
        let code = RecoveryCode("0123456789abcdef".into());
        assert_eq!(code.shown(), "0123-4567-89ab-cdef");
        assert_eq!(
            TypedCode::parse("O123-4567-89AB-CDEF"),
            Some(TypedCode::Recovery(code.clone()))
        );
        assert_eq!(
            TypedCode::parse("0123 4567 89ab cdef"),
            Some(TypedCode::Recovery(code))
        );
        // U is not in the alphabet.
        assert_eq!(TypedCode::parse("u123-4567-89ab-cdef"), None);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_kept_only_as_hashes() -> Result<(), getrandom::Error> {
        let codes = RecoveryCode::generate_set()?;
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut hashes: Vec<String> = codes.iter().map(RecoveryCode::hash).collect();
        hashes.sort();
        hashes.dedup();
        assert_eq!(hashes.len(), RECOVERY_CODES);
        for code in &codes {
            let shown = code.shown();
            assert_eq!(shown.len(), 19);
            assert!(!shown.contains(' '));
            assert_eq!(
                TypedCode::parse(&shown),
                Some(TypedCode::Recovery(code.clone()))
            );
        }
        Ok(())
    }
}
