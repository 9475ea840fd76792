//! The rules for the secrets a user chooses: the portal password and the voicemail PIN
//! (SPEC "Set-password link"). Hashing lives in `services::credentials`; this module
//! only decides what is acceptable.

use super::{Extension, Invalid};

/// Fewest characters in a portal password.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Most characters in a portal password, which bounds the hashing work a request causes.
pub const PASSWORD_MAX_CHARS: usize = 128;

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|common| common.eq_ignore_ascii_case(password))
}

/// A portal password that meets the rules for the user it is meant for.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// `extension` is the user's own: a password may not be it.
    pub fn parse(text: &str, extension: &Extension) -> Result<Self, Invalid> {
        let chars = text.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(Invalid::new(format!(
                "Use at least {PASSWORD_MIN_CHARS} characters."
            )));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(Invalid::new(format!(
                "Use at most {PASSWORD_MAX_CHARS} characters."
            )));
        }
        if text.trim() == extension.as_str() {
            return Err(Invalid::new("The password cannot be your extension."));
        }
        if is_common(text.trim()) {
            return Err(Invalid::new("This password is too common. Choose another."));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<hidden>)")
    }
}

/// A voicemail PIN: 4 to 10 digits, not one digit repeated, not a run up or down such
/// as 1234 or 8765, and not the user's extension.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    pub fn parse(text: &str, extension: &Extension) -> Result<Self, Invalid> {
        let text = text.trim();
        if !text.bytes().all(|b| b.is_ascii_digit()) || !(4..=10).contains(&text.len()) {
            return Err(Invalid::new("A PIN has 4 to 10 digits."));
        }
        let digits = text.as_bytes();
        let steps: Vec<i16> = digits
            .windows(2)
            .map(|pair| i16::from(pair[1]) - i16::from(pair[0]))
            .collect();
        if steps.iter().all(|step| *step == 0) {
            return Err(Invalid::new("A PIN cannot be one digit repeated."));
        }
        if steps.iter().all(|step| *step == 1) || steps.iter().all(|step| *step == -1) {
            return Err(Invalid::new(
                "A PIN cannot be a run of digits such as 1234.",
            ));
        }
        if text == extension.as_str() {
            return Err(Invalid::new("A PIN cannot be your extension."));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test extension; the digits given are always valid.
    fn ext(digits: &str) -> Extension {
        Extension::parse(digits).unwrap_or_else(|_| Extension(digits.to_owned()))
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(NewPassword::parse("short-pw1", &ext("101")).is_err());
        assert!(NewPassword::parse("ten chars!", &ext("101")).is_ok());
        assert!(
            NewPassword::parse("ünïcödé-ok", &ext("101")).is_ok(),
            "counts characters, not bytes"
        );
        assert!(NewPassword::parse(&"x".repeat(PASSWORD_MAX_CHARS + 1), &ext("101")).is_err());
    }

    #[test]
    fn passwords_may_not_be_the_extension() {
        assert!(NewPassword::parse("1234567891", &ext("1234567891")).is_err());
        assert!(NewPassword::parse("1234567891", &ext("101")).is_ok());
    }

    #[test]
    fn common_passwords_are_refused_ignoring_case() {
        for common in ["password123", "QWERTYUIOP", "1234567890", "Password1234"] {
            let refused = NewPassword::parse(common, &ext("101"));
            assert_eq!(
                refused.map(|_| ()),
                Err(Invalid::new("This password is too common. Choose another."))
            );
        }
    }

    #[test]
    fn password_debug_output_hides_the_secret() {
        let password = NewPassword::parse("correct horse", &ext("101"));
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn pins_are_4_to_10_digits() {
        assert!(Pin::parse("2580", &ext("101")).is_ok());
        assert!(Pin::parse("2580135791", &ext("101")).is_ok());
        for bad in ["258", "25801357913", "25a0", "", "２５８０"] {
            assert!(
                Pin::parse(bad, &ext("101")).is_err(),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn pins_are_not_repeats_runs_or_the_extension() {
        for bad in ["0000", "7777777", "1234", "0123456789", "4321", "9876"] {
            assert!(
                Pin::parse(bad, &ext("101")).is_err(),
                "{bad:?} was accepted"
            );
        }
        assert!(Pin::parse("1357", &ext("1357")).is_err());
        assert!(Pin::parse("1243", &ext("101")).is_ok());
        assert!(
            Pin::parse("9012", &ext("101")).is_ok(),
            "a wrap-around is not a run"
        );
    }
}
