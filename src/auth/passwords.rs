//! Password hashing with argon2id (the crate's defaults follow the OWASP recommendation).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("passwords must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long")]
    Length,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

pub fn hash_password(password: &SecretString) -> Result<String, PasswordError> {
    let length = password.expose_secret().chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length) {
        return Err(PasswordError::Length);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Checks `candidate` against a stored hash. With no stored hash it still does the work of one
/// check, so the answer takes as long whether or not the account exists.
pub fn verify_password(stored: Option<&str>, candidate: &SecretString) -> bool {
    const UNUSABLE_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$wvQ0b4S6MkP6yS1v4tsIsUZ9BGiY1dMzZDIx0XTWV2U";
    let (hash_text, exists) = match stored {
        Some(hash) => (hash, true),
        None => (UNUSABLE_HASH, false),
    };
    let Ok(hash) = PasswordHash::new(hash_text) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(candidate.expose_secret().as_bytes(), &hash)
        .is_ok();
    exists && matches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let password = SecretString::from("correct horse battery");
        let hash = hash_password(&password).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(Some(&hash), &password));
        assert!(!verify_password(
            Some(&hash),
            &SecretString::from("wrong horse battery")
        ));
    }

    #[test]
    fn missing_account_never_verifies() {
        assert!(!verify_password(
            None,
            &SecretString::from("anything at all")
        ));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            hash_password(&SecretString::from("short")),
            Err(PasswordError::Length)
        ));
    }
}
