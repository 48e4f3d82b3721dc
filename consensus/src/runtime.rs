//! The async runtime openraft runs on: tokio, with a random source a deterministic
//! simulation can seed; and the runtime of its own a node runs Raft and the transport on
//! ([`ConsensusRuntime`]).
//!
//! openraft draws its election timeouts from `AsyncRuntime::thread_rng()`. With tokio's
//! runtime that is the operating system's entropy, so two runs of one simulated
//! schedule elect different leaders. [`SeededTokio`] is tokio in every other respect;
//! its random source is a per-thread generator that [`seed_thread_rng`] sets (the
//! simulation runs every node on one thread) and that draws from entropy otherwise, as
//! before.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use openraft::{AsyncRuntime, OptionalSend, TokioRuntime};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

thread_local! {
    /// The seeded generator of this thread, when a simulation set one.
    static SEEDED: RefCell<Option<StdRng>> = const { RefCell::new(None) };
}

/// Lowers the calling thread's CPU priority to that of background work (nice 10): work
/// that must not delay a node's blocks or an auditor's replay on shared cores.
pub fn lower_thread_priority() -> std::io::Result<()> {
    // SAFETY: gettid and setpriority read and change only the calling thread's
    // scheduling attributes; on Linux, PRIO_PROCESS with a thread id names one thread.
    let result = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10)
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Seeds the random source openraft uses on this thread (`None`: back to entropy).
pub fn seed_thread_rng(seed: Option<u64>) {
    SEEDED.with(|rng| *rng.borrow_mut() = seed.map(StdRng::seed_from_u64));
}

/// openraft's random source: this thread's seeded generator, else the OS-seeded one.
#[derive(Debug, Default, Clone, Copy)]
pub struct RaftRng;

impl RaftRng {
    fn with<T>(draw: impl FnOnce(&mut dyn RngCore) -> T) -> T {
        SEEDED.with(|seeded| match seeded.borrow_mut().as_mut() {
            Some(rng) => draw(rng),
            None => draw(&mut rand::thread_rng()),
        })
    }
}

impl RngCore for RaftRng {
    fn next_u32(&mut self) -> u32 {
        RaftRng::with(|rng| rng.next_u32())
    }

    fn next_u64(&mut self) -> u64 {
        RaftRng::with(|rng| rng.next_u64())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        RaftRng::with(|rng| rng.fill_bytes(dest))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        RaftRng::with(|rng| rng.try_fill_bytes(dest))
    }
}

/// tokio, with [`RaftRng`] as the random source.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeededTokio;

impl AsyncRuntime for SeededTokio {
    type JoinError = <TokioRuntime as AsyncRuntime>::JoinError;
    type JoinHandle<T: OptionalSend + 'static> = <TokioRuntime as AsyncRuntime>::JoinHandle<T>;
    type Sleep = <TokioRuntime as AsyncRuntime>::Sleep;
    type Instant = <TokioRuntime as AsyncRuntime>::Instant;
    type TimeoutError = <TokioRuntime as AsyncRuntime>::TimeoutError;
    type Timeout<R, T: Future<Output = R> + OptionalSend> =
        <TokioRuntime as AsyncRuntime>::Timeout<R, T>;
    type ThreadLocalRng = RaftRng;
    type OneshotSender<T: OptionalSend> = <TokioRuntime as AsyncRuntime>::OneshotSender<T>;
    type OneshotReceiverError = <TokioRuntime as AsyncRuntime>::OneshotReceiverError;
    type OneshotReceiver<T: OptionalSend> = <TokioRuntime as AsyncRuntime>::OneshotReceiver<T>;

    fn spawn<T>(future: T) -> Self::JoinHandle<T::Output>
    where
        T: Future + OptionalSend + 'static,
        T::Output: OptionalSend + 'static,
    {
        TokioRuntime::spawn(future)
    }

    fn sleep(duration: Duration) -> Self::Sleep {
        TokioRuntime::sleep(duration)
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        TokioRuntime::sleep_until(deadline)
    }

    fn timeout<R, F: Future<Output = R> + OptionalSend>(
        duration: Duration,
        future: F,
    ) -> Self::Timeout<R, F> {
        TokioRuntime::timeout(duration, future)
    }

    fn timeout_at<R, F: Future<Output = R> + OptionalSend>(
        deadline: Self::Instant,
        future: F,
    ) -> Self::Timeout<R, F> {
        TokioRuntime::timeout_at(deadline, future)
    }

    fn is_panic(join_error: &Self::JoinError) -> bool {
        TokioRuntime::is_panic(join_error)
    }

    fn thread_rng() -> Self::ThreadLocalRng {
        RaftRng
    }

    fn oneshot<T>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>)
    where
        T: OptionalSend,
    {
        TokioRuntime::oneshot()
    }
}

/// A tokio runtime of its own for Raft and the peer transport, on threads of their own.
///
/// Raft's timers only work if its messages are handled on time: a follower that does not
/// handle the leader's append within the election timeout stands for election, and
/// openraft 0.9 gives an append as long as one heartbeat to be answered. On the node's
/// main runtime, Raft's tasks queued behind every RPC request and block execution, so a
/// loaded node answered appends 200 ms late and called needless elections. Here they wait
/// only for each other, and the operating system wakes their thread when a message comes.
/// Blocks are still executed by the state machine's task, but off this runtime's worker
/// ([`run_blocking`]).
pub struct ConsensusRuntime {
    handle: tokio::runtime::Handle,
    /// Dropped with the runtime: its thread then shuts the runtime down.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl ConsensusRuntime {
    /// Starts the runtime (one worker thread, and the thread that owns it).
    pub fn start() -> std::io::Result<ConsensusRuntime> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("consensus")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("consensus-owner".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                // Raft's tasks may still be waiting on disk or peers: do not wait for them.
                runtime.shutdown_background();
            })?;
        Ok(ConsensusRuntime {
            handle,
            _stop: stop,
        })
    }

    /// The runtime's handle: spawn on it, or enter it to build what registers with it.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }
}

impl std::fmt::Debug for ConsensusRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsensusRuntime").finish_non_exhaustive()
    }
}

/// Runs CPU-heavy synchronous work (executing a block, installing a snapshot) from an
/// async task without holding up the other tasks of its runtime: on a multi-threaded
/// runtime the worker hands its tasks to another thread meanwhile. On a single-threaded
/// runtime (the deterministic simulation) it simply runs the work.
pub fn run_blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    /// A seeded thread draws the same numbers each time; an unseeded one still draws.
    #[test]
    fn a_seeded_thread_draws_the_same_numbers() {
        let draw = || -> Vec<u64> {
            let mut rng = SeededTokio::thread_rng();
            (0..8).map(|_| rng.gen_range(600..1_200)).collect()
        };
        seed_thread_rng(Some(7));
        let first = draw();
        seed_thread_rng(Some(7));
        assert_eq!(draw(), first);
        seed_thread_rng(Some(8));
        assert_ne!(draw(), first);
        seed_thread_rng(None);
        assert!(draw().iter().all(|n| (600..1_200).contains(n)));
    }

    /// Work run through `run_blocking` on the consensus runtime does not stop its other
    /// tasks: a timer task keeps ticking while a block-long piece of work runs.
    #[test]
    fn blocking_work_leaves_the_consensus_runtime_responsive() {
        let runtime = ConsensusRuntime::start().expect("runtime starts");
        let (ticks_tx, ticks_rx) = std::sync::mpsc::channel();
        runtime.handle().spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(10));
            loop {
                interval.tick().await;
                if ticks_tx.send(std::time::Instant::now()).is_err() {
                    return;
                }
            }
        });
        let work = runtime.handle().spawn(async {
            run_blocking(|| std::thread::sleep(Duration::from_millis(300)));
        });
        let started = std::time::Instant::now();
        let mut ticks_during_work = 0;
        while started.elapsed() < Duration::from_millis(250) {
            if ticks_rx.recv_timeout(Duration::from_secs(5)).is_ok() {
                ticks_during_work += 1;
            }
        }
        assert!(
            ticks_during_work >= 5,
            "only {ticks_during_work} ticks while the work ran: the worker was held"
        );
        let current = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        current.block_on(async { work.await.expect("the work finishes") });
        // Without a multi-threaded runtime the work runs in place.
        assert_eq!(current.block_on(async { run_blocking(|| 7) }), 7);
        assert_eq!(run_blocking(|| 8), 8);
    }
}
