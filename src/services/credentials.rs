//! Password and PIN hashing with argon2id (its default, OWASP-recommended parameters),
//! and verification that costs the same whether or not the login exists.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::{self, CustomizedPasswordHasher, PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Block, Params, Version};

#[derive(Debug, thiserror::Error)]
#[error("hashing failed: {0}")]
pub struct HashError(String);

/// A PHC string (`$argon2id$v=19$…`) for the secret, with a fresh random salt.
pub fn hash_secret(secret: &str) -> Result<String, HashError> {
    SelfReturningArgon2
        .hash_password(secret.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| HashError(err.to_string()))
}

/// Whether `secret` matches the stored PHC string. A malformed hash never matches.
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        SelfReturningArgon2
            .verify_password(secret.as_bytes(), &hash)
            .is_ok()
    })
}

/// argon2 as the `argon2` crate computes it, in working memory that goes back to the
/// system when the hash is done. The crate's own 19 MiB buffer, once freed, makes glibc
/// serve every later allocation up to that size from its heaps, which keep what they
/// get: peak RSS under `bench/run`'s mixed load was 109 MiB, 58 MiB without that.
/// A buffer reserved above glibc's 32 MiB ceiling for this rule is always a mapping of
/// its own, returned whole on drop; only the 19 MiB argon2 touches are ever resident.
struct SelfReturningArgon2;

/// Bytes above which glibc always maps an allocation of its own (its
/// `DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit systems), plus one block.
const OWN_MAPPING_BYTES: usize = 32 * 1024 * 1024 + Block::SIZE;

impl CustomizedPasswordHasher<PasswordHash> for SelfReturningArgon2 {
    type Params = Params;

    fn hash_password_customized(
        &self,
        password: &[u8],
        salt: &[u8],
        algorithm: Option<&str>,
        version: Option<u32>,
        params: Params,
    ) -> password_hash::Result<PasswordHash> {
        let algorithm = algorithm
            .map(Algorithm::try_from)
            .transpose()?
            .unwrap_or_default();
        let version = version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let mut buffer = [0u8; Output::MAX_LENGTH];
        let out = buffer
            .get_mut(..output_len)
            .ok_or(password_hash::Error::OutputSize)?;
        let blocks = params.block_count();
        let mut memory: Vec<Block> =
            Vec::with_capacity(blocks.max(OWN_MAPPING_BYTES / Block::SIZE));
        memory.resize(blocks, Block::new());
        Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
            password,
            salt,
            out,
            &mut memory[..],
        )?;
        Ok(PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(Salt::new(salt)?),
            hash: Some(Output::new(out)?),
        })
    }
}

impl PasswordHasher<PasswordHash> for SelfReturningArgon2 {
    fn hash_password_with_salt(
        &self,
        password: &[u8],
        salt: &[u8],
    ) -> password_hash::Result<PasswordHash> {
        self.hash_password_customized(password, salt, None, None, Params::default())
    }
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
    fn hashes_are_the_argon2_crates_both_ways() -> Result<(), Box<dyn std::error::Error>> {
        let ours = hash_secret("correct horse battery")?;
        let parsed = PasswordHash::new(&ours)?;
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        let theirs = Argon2::default().hash_password(b"correct horse battery")?;
        assert!(verify_secret("correct horse battery", &theirs.to_string()));
        assert!(!verify_secret("correct horse batterz", &theirs.to_string()));
        Ok(())
    }

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
