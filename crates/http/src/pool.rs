//! CPU-heavy work (canonicalization, signature checks) off the async threads: a bounded
//! pool around `tokio::task::spawn_blocking`. A slot is held for as long as the work runs,
//! even when its caller has given up, so the pool never runs more than its size. A caller
//! waits for a slot only while few others wait (load shedding: `503` with `Retry-After`, not
//! a queue that grows) and only until its queue wait or deadline, and gets an answer by its
//! deadline whether or not the work is done.
//!
//! Waiters are served first come, first served, until the oldest has waited
//! [`OVERLOAD_AFTER`]: then the pool is overloaded and the newest waiter is served first
//! (adaptive LIFO), so that requests arriving behind a burst of expensive ones are answered
//! while the burst's own requests, already waiting, run out their time and are refused.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{oneshot, Semaphore};
use tokio::time::Instant;

use crate::problem::Problem;

/// Why a piece of work got no result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// Every slot is taken and too many wait, or none came free in time.
    #[error("the server is busy; retry shortly")]
    Busy,
    /// The work did not finish by the deadline (it runs on, holding its slot, until done).
    #[error("the work did not finish within {0:?}")]
    Deadline(Duration),
    /// The work panicked.
    #[error("the work panicked")]
    Panicked,
}

impl From<PoolError> for Problem {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy => Problem::overloaded(
                "every worker is busy and the queue is full; retry shortly",
                1,
            ),
            PoolError::Deadline(limit) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too-slow",
                "The work took too long",
                format!(
                    "the request needs more than {} ms of work, more than this server gives one request",
                    limit.as_millis()
                ),
            ),
            PoolError::Panicked => Problem::internal("the work", &"it panicked"),
        }
    }
}

/// The pool's size and time limits.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    /// Work running at once (default: 2 per core).
    pub workers: usize,
    /// Callers that may wait for a slot beyond those running (default: 64 per worker); one
    /// more is refused at once.
    pub max_waiting: usize,
    /// The longest a caller waits for a slot (default 1 s).
    pub queue_wait: Duration,
    /// The time one request's work may take, from [`BlockingPool::deadline`] (default 5 s).
    pub deadline: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            workers: cores * 2,
            max_waiting: cores * 2 * 64,
            queue_wait: Duration::from_secs(1),
            deadline: Duration::from_secs(5),
        }
    }
}

/// How long the oldest waiter may wait before the pool counts as overloaded and serves the
/// newest waiter first.
pub const OVERLOAD_AFTER: Duration = Duration::from_millis(100);

/// A bounded pool for blocking work, cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct BlockingPool {
    slots: Arc<Slots>,
    admitted: Arc<Semaphore>,
    config: PoolConfig,
}

impl Default for BlockingPool {
    fn default() -> Self {
        Self::new(PoolConfig::default())
    }
}

impl BlockingPool {
    /// A pool with these limits (at least one worker).
    pub fn new(config: PoolConfig) -> Self {
        let workers = config.workers.max(1);
        Self {
            slots: Arc::new(Slots {
                state: Mutex::new(SlotState {
                    free: workers,
                    waiters: VecDeque::new(),
                }),
            }),
            admitted: Arc::new(Semaphore::new(workers.saturating_add(config.max_waiting))),
            config: PoolConfig { workers, ..config },
        }
    }

    /// The limits.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// A deadline for one request's work, from now: every piece of work of that request
    /// shares it.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.config.deadline
    }

    /// Runs `work` on a blocking thread when a slot is free; its result, unless the pool is
    /// busy ([`PoolError::Busy`]) or `deadline` passes first ([`PoolError::Deadline`]).
    ///
    /// # Errors
    /// [`PoolError`] as above, or [`PoolError::Panicked`].
    pub async fn run<T, F>(&self, deadline: Instant, work: F) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let Ok(admitted) = self.admitted.clone().try_acquire_owned() else {
            return Err(PoolError::Busy);
        };
        let wait_until = deadline.min(Instant::now() + self.config.queue_wait);
        let Some(slot) = Slots::acquire(&self.slots, wait_until).await else {
            return Err(PoolError::Busy);
        };
        let handle = tokio::task::spawn_blocking(move || {
            // Held until the work is done, whether or not anyone still waits for it.
            let _held = (slot, admitted);
            work()
        });
        match tokio::time::timeout_at(deadline, handle).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(PoolError::Panicked),
            Err(_) => Err(PoolError::Deadline(self.config.deadline)),
        }
    }
}

/// The workers' slots and who waits for one.
#[derive(Debug)]
struct Slots {
    state: Mutex<SlotState>,
}

#[derive(Debug)]
struct SlotState {
    free: usize,
    /// Oldest first: when each began to wait, and where to hand it a slot.
    waiters: VecDeque<(Instant, oneshot::Sender<Slot>)>,
}

impl Slots {
    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot, at once or handed over by [`Slots::release`] before `wait_until`.
    async fn acquire(slots: &Arc<Self>, wait_until: Instant) -> Option<Slot> {
        let handed = {
            let mut state = slots.lock();
            if state.free > 0 {
                state.free -= 1;
                return Some(Slot(Some(slots.clone())));
            }
            let (tx, rx) = oneshot::channel();
            state.waiters.push_back((Instant::now(), tx));
            rx
        };
        // A slot handed over just as the wait ends is dropped with `handed`, which releases it.
        match tokio::time::timeout_at(wait_until, handed).await {
            Ok(Ok(slot)) => Some(slot),
            _ => None,
        }
    }

    /// Hands a freed slot to a waiter (the oldest, or the newest when the oldest has waited
    /// [`OVERLOAD_AFTER`]), or keeps it free.
    fn release(slots: &Arc<Self>) {
        let mut state = slots.lock();
        loop {
            while state.waiters.front().is_some_and(|(_, tx)| tx.is_closed()) {
                state.waiters.pop_front();
            }
            let overloaded = match state.waiters.front() {
                None => {
                    state.free += 1;
                    return;
                }
                Some((since, _)) => since.elapsed() >= OVERLOAD_AFTER,
            };
            let next = if overloaded {
                state.waiters.pop_back()
            } else {
                state.waiters.pop_front()
            };
            let Some((_, tx)) = next else { continue };
            match tx.send(Slot(Some(slots.clone()))) {
                Ok(()) => return,
                // That waiter gave up: disarm the slot (no release from its drop) and go on.
                Err(mut slot) => {
                    slot.0 = None;
                }
            }
        }
    }
}

/// One worker slot, given back when dropped.
#[derive(Debug)]
struct Slot(Option<Arc<Slots>>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(slots) = self.0.take() {
            Slots::release(&slots);
        }
    }
}
