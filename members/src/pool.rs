//! The password pool: argon2id (19 MiB and tens of ms a call) runs on a fixed number of
//! dedicated threads, never on the async runtime that carries Raft and libp2p, and
//! never unbounded. A request first takes a [`PoolPermit`] (workers + queue places in
//! all); when none is free it gets [`MemberError::Busy`] at once, a clear "retry
//! shortly", instead of waiting in an unbounded queue holding memory.

use std::sync::mpsc;
use std::sync::Arc;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::RngCore;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::members::MemberError;

/// Default number of argon2 threads.
pub const DEFAULT_WORKERS: usize = 2;
/// Default number of requests waiting for a thread, beyond those running.
pub const DEFAULT_QUEUE: usize = 14;
/// What a busy client is told to wait.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

enum Job {
    Hash(String, oneshot::Sender<Result<String, MemberError>>),
    Verify(String, String, oneshot::Sender<bool>),
}

/// A place in the pool, taken before any work that leads to argon2 (and before the
/// throttle's replicated reservation, so that the reservations a node proposes are
/// bounded by what it can hash).
pub struct PoolPermit(#[allow(dead_code)] OwnedSemaphorePermit);

/// Fixed argon2 threads behind a bounded number of places.
pub struct PasswordPool {
    places: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
    workers: usize,
}

impl PasswordPool {
    /// `workers` threads and `workers + queue` places (at least one worker).
    pub fn new(workers: usize, queue: usize) -> PasswordPool {
        let workers = workers.max(1);
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(std::sync::Mutex::new(receiver));
        for n in 0..workers {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    // The pool holds the sender: once it is dropped, the threads end.
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(Job::Hash(password, reply)) => {
                            let _ = reply.send(hash(&password));
                        }
                        Ok(Job::Verify(password, hash, reply)) => {
                            let _ = reply.send(
                                Argon2::default()
                                    .verify_password(password.as_bytes(), hash.as_str())
                                    .is_ok(),
                            );
                        }
                        Err(_) => return,
                    }
                })
                .expect("spawning an argon2 thread");
        }
        PasswordPool {
            places: Arc::new(Semaphore::new(workers + queue)),
            jobs,
            workers,
        }
    }

    /// How many argon2 threads run.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Places free right now.
    pub fn free(&self) -> usize {
        self.places.available_permits()
    }

    /// A place, or [`MemberError::Busy`] when all are taken.
    pub fn permit(&self) -> Result<PoolPermit, MemberError> {
        self.places
            .clone()
            .try_acquire_owned()
            .map(PoolPermit)
            .map_err(|_| MemberError::Busy {
                retry_after_secs: BUSY_RETRY_AFTER_SECS,
            })
    }

    /// A fresh argon2id PHC string of `password`.
    pub async fn hash(
        &self,
        _permit: &PoolPermit,
        password: String,
    ) -> Result<String, MemberError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Hash(password, reply))
            .map_err(|_| MemberError::Unavailable("the password pool stopped".into()))?;
        answer
            .await
            .map_err(|_| MemberError::Unavailable("the password pool stopped".into()))?
    }

    /// Whether `password` matches the PHC string `hash`.
    pub async fn verify(&self, _permit: &PoolPermit, password: String, hash: String) -> bool {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send(Job::Verify(password, hash, reply)).is_err() {
            return false;
        }
        answer.await.unwrap_or(false)
    }
}

impl Default for PasswordPool {
    fn default() -> Self {
        PasswordPool::new(DEFAULT_WORKERS, DEFAULT_QUEUE)
    }
}

fn hash(password: &str) -> Result<String, MemberError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| MemberError::Unavailable(format!("password hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn places_are_bounded_and_hashes_verify() {
        let pool = PasswordPool::new(1, 1);
        let first = pool.permit().unwrap();
        let second = pool.permit().unwrap();
        assert!(matches!(pool.permit(), Err(MemberError::Busy { .. })));
        let hash = pool.hash(&first, "Str0ng&Secret".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            pool.verify(&second, "Str0ng&Secret".into(), hash.clone())
                .await
        );
        assert!(!pool.verify(&second, "Str0ng&Secreu".into(), hash).await);
        drop(first);
        assert_eq!(pool.free(), 1);
        assert!(pool.permit().is_ok());
    }
}
