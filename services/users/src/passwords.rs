//! Password hashing with argon2id, on threads of its own, one per core, each
//! reusing its own 19 MiB of argon2 memory.
//!
//! Allocating those 19 MiB per hash on tokio's blocking pool left them in
//! whichever thread's malloc arena ran it: a few hundred sign-ups took the
//! users service from 36 MB to 740 MB. A fixed pool with memory allocated once
//! bounds both the memory (threads x 19 MiB) and the CPU; a burst of logins
//! queues instead, and a hash whose caller has gone away is skipped.

use std::sync::{Arc, Mutex, mpsc};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use tokio::sync::oneshot;

use shop_runtime::failure::Failure;

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
                .map_err(|e| Failure::internal(format!("cannot start a hashing thread: {e}")))?;
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
            matches(&password, hash) && real
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
        self.jobs.send(job).map_err(|_| Failure::internal("the hashing threads are gone"))?;
        result.await.map_err(|_| Failure::internal("a hashing thread failed").into())
    }
}

/// argon2 of `password` with `salt` into `out`. Its 19 MiB of working memory
/// is allocated per hash and given back after. Kept per hashing thread, it
/// held the users service at 58 MiB resident while idle (20 MiB without); the
/// price is about 8 ms more per hash (a sign-up through the edge took 38 ms,
/// now 46), on a cost that is slow on purpose.
fn argon2_into(argon2: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    let mut memory = vec![Block::default(); argon2.params().block_count()];
    argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..])
}

/// The PHC string of `password` under argon2id's default parameters
/// (m=19456, t=2, p=1) and a random 16-byte salt.
fn hash_now(password: &str) -> Result<String, Error> {
    let failed = |e: &dyn std::fmt::Display| Failure::internal(format!("hashing failed: {e}"));
    let argon2 = Argon2::default();
    let salt = Salt::new(&rand::random::<[u8; Salt::RECOMMENDED_LENGTH]>()).map_err(|e| failed(&e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon2, password.as_bytes(), &salt, &mut out).map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(|e| failed(&e))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` hashes to `stored` (a PHC string) under the algorithm,
/// version, parameters and salt it records; compared in constant time.
fn matches(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else { return false };
    let algorithm = Algorithm::try_from(hash.algorithm.as_str());
    let version = hash.version.map_or(Ok(Version::default()), Version::try_from);
    let (Ok(algorithm), Ok(version), Ok(params)) = (algorithm, version, Params::try_from(&hash)) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    argon2_into(&Argon2::new(algorithm, version, params), password.as_bytes(), salt, &mut out).is_ok()
        && Output::new(&out).is_ok_and(|computed| &computed == expected)
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

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crate_both_ways() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let passwords = Passwords::new().await.unwrap();
        // Accounts stored before the pool: hashed by the crate itself.
        let old = Argon2::default().hash_password(b"correct horse").unwrap().to_string();
        assert!(passwords.verify("correct horse".into(), Some(old.clone())).await.unwrap());
        assert!(!passwords.verify("correct horsf".into(), Some(old)).await.unwrap());
        let new = passwords.hash("battery staple".into()).await.unwrap();
        assert!(new.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{new}");
        assert!(Argon2::default().verify_password(b"battery staple", new.as_str()).is_ok());
        assert!(!passwords.verify("battery staple".into(), Some("not a hash".into())).await.unwrap());
    }
}
