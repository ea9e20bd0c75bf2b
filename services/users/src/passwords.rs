//! Password hashing with argon2id, on threads of its own, one per core.
//!
//! Each hash takes 19 MiB. On tokio's blocking pool every hash may land on a
//! different thread, and glibc keeps a freed 19 MiB in that thread's arena:
//! a few hundred sign-ups left the users service at 740 MB. A fixed pool
//! bounds both the memory (threads x 19 MiB) and the CPU, and a burst of
//! logins queues instead; a hash whose caller has gone away is skipped.

use std::sync::{Arc, Mutex, mpsc};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::oneshot;

use crate::error::Error;

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords off the async threads.
#[derive(Clone, Debug)]
pub struct Passwords {
    // A real hash to verify against when the account does not exist, so that
    // an unknown email costs as much time as a wrong password, from the first
    // login on.
    decoy: Arc<str>,
    jobs: mpsc::Sender<Job>,
}

impl Passwords {
    /// Starts one hashing thread per core and prepares the decoy hash.
    pub async fn new() -> Result<Self, Error> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..cores {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || {
                    // Ends when every `Passwords` (every sender) is gone.
                    while let Ok(job) = queue.lock().map_err(drop).and_then(|q| q.recv().map_err(drop)) {
                        job();
                    }
                })
                .map_err(|e| Error::Internal(format!("cannot start a hashing thread: {e}")))?;
        }
        let mut passwords = Self { decoy: Arc::from(""), jobs };
        passwords.decoy = passwords.run(|| hash_now("decoy password")).await??.into();
        Ok(passwords)
    }

    /// The PHC string (`$argon2id$v=19$...`) of a new password, with a random salt.
    pub async fn hash(&self, password: String) -> Result<String, Error> {
        self.run(move || hash_now(&password)).await?
    }

    /// Whether `password` matches `stored`; with `None` (no such account) it
    /// spends the same time and answers false.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, Error> {
        let decoy = Arc::clone(&self.decoy);
        self.run(move || {
            let (hash, real) = match &stored {
                Some(hash) => (hash.as_str(), true),
                None => (&*decoy, false),
            };
            Argon2::default().verify_password(password.as_bytes(), hash).is_ok() && real
        })
        .await
    }

    /// Runs `work` on a hashing thread, in turn.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            if !done.is_closed() {
                let _ = done.send(work());
            }
        });
        self.jobs.send(job).map_err(|_| Error::Internal("the hashing threads are gone".into()))?;
        result.await.map_err(|_| Error::Internal("a hashing thread failed".into()))
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
