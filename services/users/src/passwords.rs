//! Password hashing with argon2id, off the async threads, a few at a time.

use std::sync::Arc;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::error::Error;

/// Hashes and verifies passwords on the blocking pool (argon2 is deliberately
/// slow), at most one per core at a time: each takes 19 MiB, so a burst of
/// logins queues here instead of growing memory past the container's limit.
#[derive(Clone, Debug)]
pub struct Passwords {
    // A real hash to verify against when the account does not exist, so that
    // an unknown email costs as much time as a wrong password, from the first
    // login on.
    decoy: Arc<str>,
    running: Arc<Semaphore>,
}

impl Passwords {
    /// Prepares the decoy hash.
    pub async fn new() -> Result<Self, Error> {
        let decoy = tokio::task::spawn_blocking(|| hash_now("decoy password"))
            .await
            .map_err(|e| Error::Internal(format!("hashing task failed: {e}")))??;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(Self { decoy: decoy.into(), running: Arc::new(Semaphore::new(cores)) })
    }

    /// The PHC string (`$argon2id$v=19$...`) of a new password, with a random salt.
    pub async fn hash(&self, password: String) -> Result<String, Error> {
        let turn = self.turn().await?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            hash_now(&password)
        })
        .await
        .map_err(|e| Error::Internal(format!("hashing task failed: {e}")))?
    }

    /// Whether `password` matches `stored`; with `None` (no such account) it
    /// spends the same time and answers false.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, Error> {
        let decoy = self.decoy.clone();
        let turn = self.turn().await?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let (hash, real) = match stored {
                Some(hash) => (hash, true),
                None => (decoy.to_string(), false),
            };
            Ok(Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok() && real)
        })
        .await
        .map_err(|e| Error::Internal(format!("verifying task failed: {e}")))?
    }
}

impl Passwords {
    // Moved into the blocking task, so it is held until the hash is done even
    // when the caller has gone away meanwhile.
    async fn turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Error> {
        Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("password hashing is shut down".into()))
    }
}

fn hash_now(password: &str) -> Result<String, Error> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal(format!("hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_right_password_verifies_and_others_do_not() {
        let passwords = Passwords::new().await.unwrap();
        let stored = passwords.hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(passwords.verify("correct horse".into(), Some(stored.clone())).await.unwrap());
        assert!(!passwords.verify("wrong horse".into(), Some(stored)).await.unwrap());
        assert!(!passwords.verify("decoy password".into(), None).await.unwrap());
    }
}
