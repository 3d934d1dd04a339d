//! Group commit of first certifications: single approvals that supersede nothing (most of
//! them) are handed to one committer task, which commits whatever has gathered while the
//! previous commit ran in one transaction ([`hallmark_store::Store::record_first_issuances`]):
//! one durable commit (one fsync on SQLite) for many requests instead of one each. A batch
//! that fails is committed again one issuance at a time, so each request gets its own
//! outcome (a taken status index, a badge that appeared meanwhile) exactly as alone.

use std::sync::OnceLock;

use hallmark_store::{
    current_claim, Approval, AuditEntry, BatchIssuance, ClaimMark, CredentialRow, Store, StoreError,
};
use tokio::sync::{mpsc, oneshot};

/// Issuances committed together at most.
const GROUP: usize = 64;

/// Issuances waiting for the committer at most; more wait for room.
const QUEUE: usize = 1024;

/// An issuance to commit, and where its outcome goes.
struct Job {
    approval: Approval,
    row: CredentialRow,
    entry: AuditEntry,
    claim: Option<ClaimMark>,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// The committer of an issuer: started on first use, on the runtime of that use.
#[derive(Default)]
pub(crate) struct Committer {
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Committer")
    }
}

impl Committer {
    /// Commits a first certification (an approval whose partner has no badge for the role)
    /// with its audit entry, together with others waiting, and marks the running request's
    /// idempotency key with it.
    ///
    /// # Errors
    /// What [`Store::record_first_issuances`] says of this issuance alone.
    pub(crate) async fn commit_first(
        &self,
        store: &Store,
        approval: &Approval,
        row: &CredentialRow,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(store.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let job = Job {
            approval: approval.clone(),
            row: row.clone(),
            entry: entry.clone(),
            claim: current_claim(),
            reply,
        };
        if let Err(mpsc::error::SendError(job)) = queue.send(job).await {
            // The committer is gone (its runtime stopped): commit alone.
            return commit(store, &[job]).await;
        }
        match answer.await {
            Ok(outcome) => outcome,
            // Dropped unanswered (the runtime is stopping): nothing is known to be written.
            Err(_) => Err(StoreError::Changed {
                partner: approval.partner_id.clone(),
                role: approval.role.clone(),
                expected: None,
                found: None,
            }),
        }
    }
}

/// The committer: takes what has gathered (up to [`GROUP`]), commits it in one transaction;
/// on failure, one by one.
async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(GROUP);
    while rx.recv_many(&mut jobs, GROUP).await > 0 {
        if jobs.len() > 1 && commit(&store, &jobs).await.is_ok() {
            for job in jobs.drain(..) {
                let _ = job.reply.send(Ok(()));
            }
            continue;
        }
        for job in jobs.drain(..) {
            let outcome = commit(&store, std::slice::from_ref(&job)).await;
            let _ = job.reply.send(outcome);
        }
    }
}

async fn commit(store: &Store, jobs: &[Job]) -> Result<(), StoreError> {
    let batch: Vec<BatchIssuance<'_>> = jobs
        .iter()
        .map(|j| BatchIssuance {
            approval: &j.approval,
            credential: &j.row,
            audit: &j.entry,
            partner: None,
            claim: j.claim.as_ref().map(|c| (c, None)),
        })
        .collect();
    store.record_first_issuances(&batch).await
}
