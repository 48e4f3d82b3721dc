//! The signal that tells the engine's and the features' tasks to stop.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Tells tasks to stop. Unlike a bare [`Notify::notify_waiters`], a task that is busy
/// when shutdown begins still sees it at its next [`ShutdownSignal::notified`].
#[derive(Debug, Default)]
pub(crate) struct ShutdownSignal {
    stopping: AtomicBool,
    notify: Notify,
}

impl ShutdownSignal {
    /// Resolves once shutdown has begun (at once if it already has).
    pub(crate) async fn notified(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        // Registered before the flag is read, so a trigger in between is not lost.
        notified.as_mut().enable();
        if self.stopping.load(Ordering::Acquire) {
            return;
        }
        notified.await;
    }

    /// Begins shutdown: every waiter, present and future, is woken.
    pub(crate) fn trigger(&self) {
        self.stopping.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Whether shutdown has begun.
    pub(crate) fn is_triggered(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_that_arrives_late_still_sees_the_signal() {
        let signal = ShutdownSignal::default();
        assert!(!signal.is_triggered());
        signal.trigger();
        assert!(signal.is_triggered());
        tokio::time::timeout(std::time::Duration::from_secs(1), signal.notified())
            .await
            .expect("a triggered signal resolves at once");
    }
}
