//! The threads that run a replay's stateless checks ahead of it.
//!
//! A replay is one thread re-executing blocks in order, fed by checks that need no
//! state (bodies, signatures, certificates: most of the work). The checks run on as
//! many threads as there are cores, taking work first come, first served, so the block
//! the replay needs next is checked first; and they run at background priority, so the
//! replay's thread is never the one left waiting for a core. Without both, a replay on a
//! small machine waited for every block in flight to be checked together before it
//! could start, and ran alone on one core at the end.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// A pool of checking threads, stopped when dropped.
pub(super) struct Checkers {
    jobs: Option<mpsc::Sender<Job>>,
}

impl Checkers {
    /// Starts `threads` checking threads (at least one).
    pub(super) fn start(threads: usize) -> anyhow::Result<Checkers> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("verify-check-{index}"))
                .spawn(move || {
                    if let Err(error) = truffle_node::lower_thread_priority() {
                        tracing::debug!(%error, "checking thread keeps its priority");
                    }
                    loop {
                        // The lock is held only to take one job: jobs go out in order.
                        let job = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(mpsc::RecvError) => return,
                        }
                    }
                })?;
        }
        Ok(Checkers { jobs: Some(sender) })
    }

    /// Queues `work` behind the work queued before it; its result arrives on the
    /// returned channel (closed without a value if the pool stopped).
    pub(super) fn check<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> oneshot::Receiver<T> {
        let (answer, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The replay may have stopped waiting; nothing to do then.
            let _ = answer.send(work());
        });
        if let Some(jobs) = &self.jobs {
            // Sent or not, `answer` goes with the job: the channel closes if it never runs.
            let _ = jobs.send(job);
        }
        result
    }

    /// Closes the queue: each thread ends after the job it is running.
    fn stop(&mut self) {
        self.jobs = None;
    }
}

impl Drop for Checkers {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work comes back whole and in the order it was asked for, whichever thread ran
    /// it, and the threads run at background priority.
    #[tokio::test]
    async fn checks_come_back_in_order_at_background_priority() {
        let checkers = Checkers::start(2).unwrap();
        let pending: Vec<_> = (0..200u64)
            .map(|n| checkers.check(move || (n, (0..=n).sum::<u64>())))
            .collect();
        for (n, result) in pending.into_iter().enumerate() {
            let n = n as u64;
            assert_eq!(result.await.unwrap(), (n, n * (n + 1) / 2));
        }
        let niceness = checkers
            .check(|| {
                // SAFETY: reads the calling thread's own priority.
                unsafe {
                    let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
                    libc::getpriority(libc::PRIO_PROCESS, tid)
                }
            })
            .await
            .unwrap();
        assert_eq!(niceness, 10);
    }

    /// A check that panics closes its own channel, so the replay stops with an error
    /// instead of waiting forever, and the other threads go on with the queue.
    #[tokio::test]
    async fn a_panicking_check_closes_its_channel_and_the_rest_run() {
        let checkers = Checkers::start(2).unwrap();
        let failed = checkers.check(|| -> u32 { panic!("a bug in a check") });
        let after = checkers.check(|| 7u32);
        assert!(failed.await.is_err());
        assert_eq!(after.await.unwrap(), 7);
    }

    /// Work queued after the pool stopped is not waited for forever: its channel
    /// closes at once.
    #[tokio::test]
    async fn work_after_a_stop_closes_its_channel() {
        let mut checkers = Checkers::start(1).unwrap();
        checkers.stop();
        assert!(checkers.check(|| 1).await.is_err());
    }
}
