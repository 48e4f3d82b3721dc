//! The one clock of a Truffle node.
//!
//! Every wall-clock or monotonic reading in the engine and the features goes through a
//! [`Clock`], handed to them when they are built, so that a test or a deterministic
//! simulation can drive time itself ([`ManualClock`]) instead of sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A source of time.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Wall-clock time: milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Monotonic time: milliseconds since an arbitrary fixed origin; never goes back.
    fn monotonic_ms(&self) -> u64;
}

/// A shared clock.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clocks.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A system clock whose monotonic origin is now.
    pub fn new() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }

    /// A system clock, shared.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock::new())
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn monotonic_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// Wall-clock milliseconds since the Unix epoch from the operating system (0 before
/// 1970). For code outside a node (the CLI, tests); inside one, use its [`Clock`].
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A clock that moves only when told: for tests and simulations.
#[derive(Debug)]
pub struct ManualClock {
    wall_ms: AtomicU64,
    monotonic_ms: AtomicU64,
}

impl ManualClock {
    /// A clock reading `wall_ms` on the wall and 0 on the monotonic scale.
    pub fn new(wall_ms: u64) -> ManualClock {
        ManualClock {
            wall_ms: AtomicU64::new(wall_ms),
            monotonic_ms: AtomicU64::new(0),
        }
    }

    /// Moves both readings forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.wall_ms.fetch_add(ms, Ordering::SeqCst);
        self.monotonic_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the wall clock (it may go back, as a real one can); the monotonic reading
    /// does not move.
    pub fn set_wall_ms(&self, wall_ms: u64) {
        self.wall_ms.store(wall_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.wall_ms.load(Ordering::SeqCst)
    }

    fn monotonic_ms(&self) -> u64 {
        self.monotonic_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(1_000);
        assert_eq!((clock.now_ms(), clock.monotonic_ms()), (1_000, 0));
        clock.advance(250);
        assert_eq!((clock.now_ms(), clock.monotonic_ms()), (1_250, 250));
        clock.set_wall_ms(10);
        assert_eq!((clock.now_ms(), clock.monotonic_ms()), (10, 250));
    }

    #[test]
    fn system_clock_is_monotonic_and_near_the_wall() {
        let clock = SystemClock::new();
        let first = clock.monotonic_ms();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(clock.monotonic_ms() >= first + 5);
        assert!(clock.now_ms().abs_diff(now_ms()) < 1_000);
        assert!(now_ms() > 1_600_000_000_000, "after 2020");
    }
}
