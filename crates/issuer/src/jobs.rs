//! The background jobs of `hallmark serve`: a small runner of periodic tasks, started by
//! [`crate::serve`] and stopped when it shuts down: the daily lifecycle job
//! ([`Issuer::lifecycle`]: lapses, "expiring" reminders) and the delivery worker
//! ([`Issuer::run_deliveries`]).
//!
//! Each task runs shortly after start ([`FIRST_RUN_DELAY`], or its period when shorter),
//! then once a period. An error is
//! logged and the task goes on; it never takes the server down. Stopping drops a run in
//! progress: each of its changes is its own transaction, so nothing is half-written, and the
//! next run picks up the rest.
//!
//! Several processes may share one database: a periodic job whose runs must not overlap
//! takes a lease row (`job_leases`, claimed by a conditional upsert, [`LeasedJob`]) for its
//! period, so of all processes one runs it a period; what it writes is idempotent anyway
//! (a lapse checks the value with its list locked, a reminder has a primary key).

use std::future::Future;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::service::{Issuer, LifecycleError, LifecycleRun};

/// How long after start a task first runs: long enough for the server to come up first.
pub const FIRST_RUN_DELAY: Duration = Duration::from_secs(5);

/// The lease name of the lifecycle job.
pub const LIFECYCLE: &str = "lifecycle";

/// The running background tasks; [`Jobs::stop`] ends them.
#[derive(Debug)]
pub struct Jobs {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Jobs {
    /// No tasks yet.
    pub fn new() -> Self {
        Self {
            stop: watch::channel(false).0,
            tasks: Vec::new(),
        }
    }

    /// Starts the issuer's jobs: the lifecycle job every `lifecycle_interval_seconds` (none
    /// when 0), under a lease held by this process; and the delivery worker
    /// ([`Issuer::run_deliveries`]: webhooks, e-mails) unless `deliveries = false`.
    pub fn start(issuer: &Issuer) -> Self {
        let mut jobs = Self::new();
        if issuer.config().deliveries {
            let issuer = issuer.clone();
            jobs.spawn(move |stop| issuer.run_deliveries(stop));
        }
        let period = issuer.config().lifecycle_interval_seconds;
        if period > 0 {
            let job = LeasedJob::new(LIFECYCLE, Duration::from_secs(period));
            let issuer = issuer.clone();
            let first = FIRST_RUN_DELAY.min(job.period);
            jobs.every(LIFECYCLE, job.period, first, move || {
                let (issuer, job) = (issuer.clone(), job.clone());
                async move {
                    match job.lifecycle(&issuer, crate::service::now()).await {
                        Ok(Some(run)) => {
                            tracing::info!("lifecycle: {run}");
                            Ok(())
                        }
                        Ok(None) => {
                            let next = match issuer.store().job_lease(LIFECYCLE).await {
                                Ok(Some((_, until, _))) => hallmark_core::datetime::format(
                                    time::OffsetDateTime::from_unix_timestamp(until)
                                        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
                                ),
                                _ => "later".into(),
                            };
                            tracing::info!("lifecycle: ran within its period already (here or in another process); next run from {next}");
                            Ok(())
                        }
                        Err(e) => Err(e.to_string()),
                    }
                }
            });
        }
        jobs
    }

    /// Spawns task `name`: `run` after `first`, then every `period` after each run started
    /// (a run longer than the period delays the next, never overlaps it). An `Err` is logged.
    pub fn every<F, Fut>(&mut self, name: &'static str, period: Duration, first: Duration, run: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let mut stop = self.stop.subscribe();
        self.tasks.push(tokio::spawn(async move {
            let mut next = tokio::time::Instant::now() + first;
            loop {
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => return,
                    () = tokio::time::sleep_until(next) => {}
                }
                next = tokio::time::Instant::now() + period;
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => return,
                    result = run() => {
                        if let Err(e) = result {
                            tracing::error!("job {name}: {e}");
                        }
                    }
                }
            }
        }));
    }

    /// Spawns a task that runs until it sees `stop` turn true (e.g. a worker with its own
    /// loop); it should finish its current step and return then.
    pub fn spawn<F, Fut>(&mut self, task: F)
    where
        F: FnOnce(watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tasks.push(tokio::spawn(task(self.stop.subscribe())));
    }

    /// How many tasks run.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task runs.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Stops every task (a run in progress is dropped between transactions) and waits for
    /// them to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            // A task that panicked ended then (the server went on); say so.
            if let Err(e) = task.await {
                tracing::error!("a background job ended abnormally: {e}");
            }
        }
    }
}

impl Default for Jobs {
    fn default() -> Self {
        Self::new()
    }
}

/// A periodic job that one process at a time runs, under a lease in the database: a run
/// claims job `name`'s lease for (nearly) a period; a process finding it held skips the run.
#[derive(Debug, Clone)]
pub struct LeasedJob {
    name: &'static str,
    /// Who claims: unique per process.
    holder: String,
    period: Duration,
}

impl LeasedJob {
    /// Job `name`, run once per `period` between all processes, held by a new random holder.
    pub fn new(name: &'static str, period: Duration) -> Self {
        let holder =
            crate::service::uuid_v4().unwrap_or_else(|_| format!("process-{}", std::process::id()));
        Self {
            name,
            holder,
            period,
        }
    }

    /// This process's holder id.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Claims the lease at `at`: until `at` plus the period less a hundredth of it (at most a
    /// minute), so this process's next tick finds it free even if it fires a little early.
    ///
    /// # Errors
    /// The database.
    pub async fn claim(
        &self,
        issuer: &Issuer,
        at: OffsetDateTime,
    ) -> Result<bool, hallmark_store::StoreError> {
        let period = i64::try_from(self.period.as_secs()).unwrap_or(i64::MAX);
        let slack = (period / 100).min(60);
        let at = at.unix_timestamp();
        issuer
            .store()
            .claim_job(
                self.name,
                &self.holder,
                at,
                at.saturating_add(period - slack),
            )
            .await
    }

    /// Runs the lifecycle at `at`, then the monitoring ([`Issuer::monitor`]), if this process
    /// gets the lease; `None` when another holds it.
    ///
    /// # Errors
    /// [`LifecycleError`].
    pub async fn lifecycle(
        &self,
        issuer: &Issuer,
        at: OffsetDateTime,
    ) -> Result<Option<LifecycleRun>, LifecycleError> {
        if !self.claim(issuer, at).await? {
            return Ok(None);
        }
        let run = issuer.lifecycle(at).await?;
        // Then the "at risk" machinery (issue 15), under the same lease; its failure is
        // logged and retried next period, the lifecycle's run stands.
        match issuer.monitor(at).await {
            Ok(m) => tracing::info!("monitoring: {m}"),
            Err(e) => tracing::warn!("monitoring: {e}"),
        }
        Ok(Some(run))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// Polls `done` until it holds, failing after 10 s (no fixed sleep).
    async fn eventually(done: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(tokio::time::Instant::now() < deadline, "not within 10 s");
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_task_runs_again_after_errors_and_stops_when_asked() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut jobs = Jobs::new();
        let counted = runs.clone();
        jobs.every(
            "test",
            Duration::from_millis(2),
            Duration::ZERO,
            move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    // Every other run fails: logged, and the task goes on.
                    if n.is_multiple_of(2) {
                        Err(format!("run {n} failed"))
                    } else {
                        Ok(())
                    }
                }
            },
        );
        assert_eq!(jobs.len(), 1);
        eventually(|| runs.load(Ordering::SeqCst) >= 4).await;
        jobs.stop().await;
        // The task has ended and dropped its closure: nothing can run any more.
        assert_eq!(Arc::strong_count(&runs), 1, "no task left after stop");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stopping_drops_a_run_in_progress_and_a_task_not_yet_started() {
        let started = Arc::new(AtomicUsize::new(0));
        let mut jobs = Jobs::new();
        let s = started.clone();
        jobs.every(
            "slow",
            Duration::from_secs(3600),
            Duration::ZERO,
            move || {
                s.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<Result<(), String>>()
            },
        );
        jobs.every(
            "later",
            Duration::from_secs(3600),
            Duration::from_secs(3600),
            || std::future::ready(Ok(())),
        );
        eventually(|| started.load(Ordering::SeqCst) == 1).await;
        // Both end at once: neither the pending run nor the hour-long wait holds stop up.
        tokio::time::timeout(Duration::from_secs(10), jobs.stop())
            .await
            .expect("stopped");
    }
}
