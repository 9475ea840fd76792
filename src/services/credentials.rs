//! Password and PIN hashing with argon2id (its default, OWASP-recommended parameters),
//! and verification that costs the same whether or not the login exists.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

#[derive(Debug, thiserror::Error)]
#[error("hashing failed: {0}")]
pub struct HashError(String);

/// A PHC string (`$argon2id$v=19$…`) for the secret, with a fresh random salt.
pub fn hash_secret(secret: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| HashError(err.to_string()))
}

/// Whether `secret` matches the stored PHC string. A malformed hash never matches.
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(secret.as_bytes(), phc)
        .is_ok()
}

/// Verification against a hash of nothing anyone knows, so that a sign-in with an
/// unknown login or a user without a password takes as long as one with a wrong password.
pub struct TimingShield {
    decoy: String,
}

impl TimingShield {
    pub fn new() -> Result<Self, HashError> {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|err| HashError(err.to_string()))?;
        let decoy_secret: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        Ok(Self {
            decoy: hash_secret(&decoy_secret)?,
        })
    }

    /// Spends the time of one verification and returns false.
    pub fn waste_a_verification(&self, secret: &str) -> bool {
        std::hint::black_box(verify_secret(secret, &self.decoy));
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_secret_and_nothing_else() -> Result<(), HashError> {
        let hash = hash_secret("correct horse battery")?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("correct horse battery", &hash));
        assert!(!verify_secret("correct horse batterz", &hash));
        assert!(!verify_secret("correct horse battery", "not a hash"));
        Ok(())
    }

    #[test]
    fn the_same_secret_hashes_differently_each_time() -> Result<(), HashError> {
        assert_ne!(hash_secret("same secret")?, hash_secret("same secret")?);
        Ok(())
    }
}
