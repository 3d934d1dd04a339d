//! One byte budget for the response bodies being read, shared by every fetch of a [`Fetcher`]
//! (and of its clones): however many verifications fetch at once, the bodies they are reading
//! hold at most [`InFlight::capacity`] bytes together.
//!
//! A fetch takes bytes from the budget before it reads them — the whole `Content-Length` at
//! once when the server states one, else as the body grows — and gives them back when it ends:
//! its bytes handed over (to the cache and the caller, which bound what they keep by other
//! means) or dropped (an error, a timeout, the caller going away). A fetch that cannot get its
//! bytes before its deadline gives up ([`FetchError::Busy`](crate::FetchError::Busy)).
//!
//! [`Fetcher`]: crate::Fetcher

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The in-flight byte budget of a [`Fetcher`](crate::Fetcher); clones share it.
#[derive(Debug, Clone)]
pub struct InFlight {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// One permit a byte.
    permits: Arc<Semaphore>,
    capacity: usize,
    /// Bytes taken now, and the most ever taken at once.
    held: AtomicUsize,
    high_water: AtomicUsize,
}

impl InFlight {
    /// A budget of `capacity` bytes (at most [`Semaphore::MAX_PERMITS`]; more is that).
    ///
    /// `None` for a `capacity` of 0, which would let no body be read.
    pub fn new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let capacity = capacity.min(Semaphore::MAX_PERMITS);
        Some(Self {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(capacity)),
                capacity,
                held: AtomicUsize::new(0),
                high_water: AtomicUsize::new(0),
            }),
        })
    }

    /// The budget, bytes.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// Bytes the fetches in flight hold now.
    pub fn held(&self) -> usize {
        self.inner.held.load(Ordering::SeqCst)
    }

    /// The most bytes fetches held at once since the budget was made (never more than
    /// [`InFlight::capacity`]).
    pub fn high_water(&self) -> usize {
        self.inner.high_water.load(Ordering::SeqCst)
    }

    /// An empty share of the budget for one fetch; what it takes is given back when it drops.
    pub(crate) fn share(&self) -> Share {
        Share {
            inner: self.inner.clone(),
            permit: None,
            bytes: 0,
        }
    }
}

/// What one fetch holds of the budget.
#[derive(Debug)]
pub(crate) struct Share {
    inner: Arc<Inner>,
    permit: Option<OwnedSemaphorePermit>,
    bytes: usize,
}

/// The budget had no room before the deadline.
#[derive(Debug)]
pub(crate) struct Exhausted;

impl Share {
    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Takes `n` more bytes, waiting until `deadline` at most. Requests are served in order,
    /// so a large one is not starved by small ones.
    pub(crate) async fn take(&mut self, n: usize, deadline: Instant) -> Result<(), Exhausted> {
        if n == 0 {
            return Ok(());
        }
        if self.bytes.saturating_add(n) > self.inner.capacity {
            // It could never be granted; the caller caps a body below the capacity.
            return Err(Exhausted);
        }
        let mut rest = n;
        while rest > 0 {
            let part = u32::try_from(rest).unwrap_or(u32::MAX);
            let acquire = self.inner.permits.clone().acquire_many_owned(part);
            let permit = match tokio::time::timeout_at(deadline, acquire).await {
                Ok(Ok(permit)) => permit,
                // Elapsed, or the semaphore closed (never done): either way, no room.
                _ => return Err(Exhausted),
            };
            match &mut self.permit {
                Some(held) => held.merge(permit),
                None => self.permit = Some(permit),
            }
            let part = part as usize;
            self.bytes += part;
            rest -= part;
            // The permits are taken first, so `held` never exceeds the capacity.
            let now = self.inner.held.fetch_add(part, Ordering::SeqCst) + part;
            self.inner.high_water.fetch_max(now, Ordering::SeqCst);
        }
        Ok(())
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        // The tally first, then the permits: `held` never exceeds the capacity.
        self.inner.held.fetch_sub(self.bytes, Ordering::SeqCst);
        drop(self.permit.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn shares_are_bounded_and_given_back() {
        assert!(InFlight::new(0).is_none());
        let budget = InFlight::new(100).unwrap();
        let soon = || Instant::now() + Duration::from_secs(5);
        let mut a = budget.share();
        a.take(60, soon()).await.unwrap();
        a.take(0, soon()).await.unwrap();
        assert_eq!((a.bytes(), budget.held()), (60, 60));
        let mut b = budget.share();
        // 50 more do not fit; the wait ends at the deadline, already past here.
        assert!(b.take(50, Instant::now()).await.is_err());
        assert_eq!(budget.held(), 60);
        // More than the whole budget is refused without waiting.
        assert!(b.take(101, soon()).await.is_err());
        b.take(40, soon()).await.unwrap();
        assert_eq!((budget.held(), budget.high_water()), (100, 100));
        drop(a);
        assert_eq!(budget.held(), 40);
        b.take(60, soon()).await.unwrap();
        drop(b);
        assert_eq!((budget.held(), budget.high_water()), (0, 100));
        // Every permit came back.
        let mut c = budget.share();
        c.take(100, Instant::now()).await.unwrap();
    }
}
