//! Secrets: random tokens, their hashes, and password hashing (Argon2id).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use crate::{Result, ServiceError};

/// `n` random bytes from the operating system.
fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b)
        .map_err(|e| ServiceError::Internal(format!("no randomness from the OS: {e}")))?;
    Ok(b)
}

/// A new API token: `stw_` and 64 hex digits (256 bits).
pub(crate) fn new_api_token() -> Result<String> {
    Ok(format!("stw_{}", hex::encode(random_bytes::<32>()?)))
}

/// A new session id (256 bits).
pub(crate) fn new_session_token() -> Result<String> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// A secret a person can type: 5 groups of 5 letters and digits, without look-alikes (~120 bits).
pub(crate) fn new_typable_secret() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = random_bytes::<25>()?;
    let mut s = String::with_capacity(29);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            s.push('-');
        }
        // 256 is not a multiple of 31; the bias this leaves is negligible for a 25-symbol secret.
        s.push(ALPHABET[*b as usize % ALPHABET.len()] as char);
    }
    Ok(s)
}

/// The stored form of a high-entropy secret (tokens, sessions): hex SHA-256. A slow hash is not
/// needed for 256 random bits, and a fast one keeps every request cheap.
pub(crate) fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hashes a password with Argon2id (on a blocking thread: it is slow on purpose).
pub(crate) async fn hash_password(password: String) -> Result<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| ServiceError::Internal(format!("salt: {e}")))?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("hashing task: {e}")))?
}

/// A real hash to verify against when the person does not exist, so that both cases take as long.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| {
            SaltString::from_b64("c3Rld2FyZGR1bW15c2FsdA")
                .ok()
                .and_then(|salt| {
                    Argon2::default()
                        .hash_password(b"dummy", &salt)
                        .ok()
                        .map(|h| h.to_string())
                })
                .unwrap_or_default()
        })
        .clone()
}

/// Checks a password against a stored hash (or against nothing, taking the same time).
pub(crate) async fn verify_password(password: String, hash: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(dummy_hash);
        let ok = match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        };
        ok && known
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("verifying task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_and_hashes_stable() {
        let a = new_api_token().unwrap();
        let b = new_api_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("stw_") && a.len() == 68);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        let s = new_typable_secret().unwrap();
        assert_eq!(s.len(), 29);
        assert_eq!(s.matches('-').count(), 4);
    }

    #[tokio::test]
    async fn passwords_verify() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong".into(), Some(h)).await.unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }
}
