//! Random tokens, token hashing and password hashing (argon2id, off the request threads).

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::AppError;

/// 32 random bytes as hex.
pub fn random_token() -> Result<String, AppError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| AppError::Unexpected(anyhow::anyhow!("no randomness: {err}")))?;
    Ok(hex::encode(bytes))
}

/// Sessions are stored by the SHA-256 of their token, so a copy of the database signs no one in.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) async fn hash_password(password: SecretString) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|err| AppError::Unexpected(anyhow::anyhow!("password hashing failed: {err}")))
    })
    .await
    .map_err(|err| AppError::Unexpected(anyhow::anyhow!("password hashing task failed: {err}")))?
}

/// Verifies against `stored`; with `None` verifies against a fixed dummy hash so that the time
/// taken does not reveal whether the account exists.
pub(crate) async fn verify_password(password: SecretString, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = match stored {
            Some(stored) => stored,
            None => dummy_hash().to_owned(),
        };
        let Ok(parsed) = stored.parse::<PasswordHash>() else {
            return false;
        };
        Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .map_err(|err| AppError::Unexpected(anyhow::anyhow!("password check task failed: {err}")))
}

/// The argon2id hash of a random string nobody knows, made once, with the default parameters.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let nobody_knows = random_token().unwrap_or_else(|_| "cocare-dummy-password".to_owned());
        Argon2::default()
            .hash_password(nobody_knows.as_bytes())
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

pub(crate) fn password_problem(password: &str) -> Option<&'static str> {
    let length = password.chars().count();
    if length < 10 {
        Some("Use at least 10 characters")
    } else if length > 256 {
        Some("Use at most 256 characters")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password(SecretString::from("correct horse battery"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password(SecretString::from("wrong horse battery"), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(
            !verify_password(SecretString::from("anything at all"), None)
                .await
                .unwrap()
        );
    }

    #[test]
    fn tokens_are_random_and_hashes_are_stable() {
        let a = random_token().unwrap();
        assert_ne!(a, random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }
}
