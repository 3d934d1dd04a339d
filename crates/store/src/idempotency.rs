//! Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a request that carries a
//! key first [claims](Store::claim_idempotency_key) it; the change it makes marks the key
//! `committed` in the change's own transaction (`mark_committed!`, called by the `audit!`
//! macro for the claim of the running task, see [`with_claim`]), so a key is never taken by
//! a change that rolled back and never misses one that committed; the response is stored
//! after ([`Store::finish_idempotency_key`]), or, for a bulk row whose result is known
//! before it commits, in the same transaction.
//!
//! States: `pending` (claimed, held by `owner` until `locked_until`: a second request is
//! "in flight"), `committed` (the change is in, its response not yet stored: a retry is told
//! what it made), `done` (the response is stored: a retry gets it again). A pending claim
//! whose holder died is taken over once its lease runs out; the change of the old holder, if
//! it still tries to commit, finds the key no longer its own and rolls back
//! ([`StoreError::IdempotencyLost`]).

use std::future::Future;

use sqlx::Row;

use crate::{sql, Store, StoreError};

/// The longest idempotency key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// A claim held by the running request: which key, for which caller, by which holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMark {
    /// Whose keys (a hash of the caller's token): keys of different callers never meet.
    pub scope: String,
    /// The key, as the client sent it.
    pub key: String,
    /// A random id of this claim: only its holder may commit under the key.
    pub owner: String,
}

tokio::task_local! {
    static CLAIM: ClaimMark;
}

/// Runs `future` with `claim` as the running request's claim: every change it commits marks
/// the key `committed` in its transaction ([`mark_committed`]).
pub async fn with_claim<F: Future>(claim: ClaimMark, future: F) -> F::Output {
    CLAIM.scope(claim, future).await
}

/// The claim of the running request, if it has one (to hand to a task that commits for it).
pub fn current_claim() -> Option<ClaimMark> {
    CLAIM.try_with(Clone::clone).ok()
}

/// A response stored under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status code.
    pub status: u16,
    /// The headers kept (`Content-Type`, `Location`, `Link`), as name/value pairs.
    pub headers: Vec<(String, String)>,
    /// The body, UTF-8 (the API answers JSON only).
    pub body: String,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The key was free (or expired, or its holder's lease ran out): it is now held by the
    /// claim's owner until the lease ends.
    Fresh,
    /// A request with the same fingerprint finished: its response.
    Replay(StoredResponse),
    /// A request with the same fingerprint committed its change, but its response was not
    /// stored (its process stopped in between): what the change made (an audit subject).
    Committed {
        /// The audit subject of the change (a credential's or partner's id…).
        subject: String,
    },
    /// The key was used with another request (another fingerprint).
    Mismatch,
    /// The first request with this key is still being processed.
    InFlight {
        /// When its lease ends (Unix seconds).
        until: i64,
    },
}

/// A claim to make: the key, the request's fingerprint, the time and how long to hold it.
#[derive(Debug, Clone)]
pub struct NewClaim<'a> {
    /// The caller, key and holder.
    pub mark: &'a ClaimMark,
    /// A digest of the request (method, path, body): the same key with another request is a
    /// [`Claimed::Mismatch`].
    pub fingerprint: &'a str,
    /// Unix seconds.
    pub now: i64,
    /// How long the claim is held before another request may take it over (seconds).
    pub lease: i64,
    /// How long the key and its response are kept (seconds).
    pub ttl: i64,
}

/// Marks the key of `$mark` (a [`ClaimMark`]) `committed` with `$subject` inside transaction
/// `$tx` (the change's own), unless it is already; with `$response` (an
/// `Option<&StoredResponse>`), stores the response too (`done`). Fails with
/// [`StoreError::IdempotencyLost`] when the key is no longer held by its owner (its lease ran
/// out and another request took it over): the transaction must roll back.
macro_rules! mark_committed {
    ($tx:ident, $sqlite:ident, $mark:expr, $subject:expr, $response:expr) => {{
        let mark: &$crate::idempotency::ClaimMark = $mark;
        let response: Option<&$crate::idempotency::StoredResponse> = $response;
        let (state, status, headers, body) = $crate::idempotency::response_columns(response);
        // A change already marked (a second audit entry of the same transaction, or a second
        // change of the same request) keeps the first subject.
        let done = sqlx::query(&$crate::sql(
            $sqlite,
            "UPDATE idempotency_keys SET state = CASE WHEN state = 'done' THEN state ELSE $1 END, subject = COALESCE(subject, $2), \
             response_status = COALESCE(response_status, $3), response_headers = COALESCE(response_headers, $4), response_body = COALESCE(response_body, $5) \
             WHERE scope = $6 AND idem_key = $7 AND owner = $8",
        ))
        .bind(state)
        .bind($subject)
        .bind(status)
        .bind(headers)
        .bind(body)
        .bind(&mark.scope)
        .bind(&mark.key)
        .bind(&mark.owner)
        .execute(&mut *$tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err($crate::StoreError::IdempotencyLost {
                key: mark.key.clone(),
            });
        }
    }};
}

/// The state and response columns [`mark_committed!`] writes.
pub(crate) fn response_columns(
    response: Option<&StoredResponse>,
) -> (&'static str, Option<i32>, Option<String>, Option<String>) {
    match response {
        Some(r) => (
            "done",
            Some(i32::from(r.status)),
            Some(headers_text(&r.headers)),
            Some(r.body.clone()),
        ),
        None => ("committed", None, None, None),
    }
}

fn headers_text(headers: &[(String, String)]) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "[]".into())
}

fn stored_response(r: &impl StoredRow) -> Result<Option<StoredResponse>, sqlx::Error> {
    let (Some(status), Some(body)) = (r.status()?, r.body()?) else {
        return Ok(None);
    };
    let headers = r
        .headers()?
        .and_then(|h| serde_json::from_str(&h).ok())
        .unwrap_or_default();
    Ok(Some(StoredResponse {
        status: u16::try_from(status).unwrap_or(500),
        headers,
        body,
    }))
}

/// The columns of a stored key, from either database's row.
trait StoredRow {
    fn status(&self) -> Result<Option<i32>, sqlx::Error>;
    fn headers(&self) -> Result<Option<String>, sqlx::Error>;
    fn body(&self) -> Result<Option<String>, sqlx::Error>;
}

macro_rules! stored_row {
    ($row:ty) => {
        impl StoredRow for $row {
            fn status(&self) -> Result<Option<i32>, sqlx::Error> {
                self.try_get("response_status")
            }
            fn headers(&self) -> Result<Option<String>, sqlx::Error> {
                self.try_get("response_headers")
            }
            fn body(&self) -> Result<Option<String>, sqlx::Error> {
                self.try_get("response_body")
            }
        }
    };
}
stored_row!(sqlx::sqlite::SqliteRow);
stored_row!(sqlx::postgres::PgRow);

/// Claims one key inside transaction `$tx`; evaluates to a [`Claimed`]. Each statement is
/// settled by the primary key (insert) and the owner check (take-over), so two claimants in
/// two transactions never both get it.
macro_rules! claim_in {
    ($tx:ident, $sqlite:ident, $claim:expr) => {{
        let claim: &NewClaim<'_> = $claim;
        let mark = claim.mark;
        let mut outcome = Claimed::InFlight { until: claim.now + 1 };
        for _ in 0..4 {
            let inserted = sqlx::query(&sql($sqlite, "INSERT INTO idempotency_keys (scope, idem_key, fingerprint, owner, state, locked_until, created_at, expires_at) \
                VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) ON CONFLICT (scope, idem_key) DO NOTHING"))
                .bind(&mark.scope).bind(&mark.key).bind(claim.fingerprint).bind(&mark.owner)
                .bind(claim.now + claim.lease).bind(claim.now).bind(claim.now + claim.ttl)
                .execute(&mut *$tx).await?;
            if inserted.rows_affected() == 1 {
                outcome = Claimed::Fresh;
                break;
            }
            let Some(row) = sqlx::query(&sql($sqlite, "SELECT fingerprint, owner, state, locked_until, subject, expires_at, response_status, response_headers, response_body FROM idempotency_keys WHERE scope = $1 AND idem_key = $2"))
                .bind(&mark.scope).bind(&mark.key).fetch_optional(&mut *$tx).await? else {
                continue; // deleted meanwhile: insert again
            };
            let owner: String = row.try_get("owner")?;
            let state: String = row.try_get("state")?;
            let locked_until: i64 = row.try_get("locked_until")?;
            let expires_at: i64 = row.try_get("expires_at")?;
            if expires_at <= claim.now {
                sqlx::query(&sql($sqlite, "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND owner = $3"))
                    .bind(&mark.scope).bind(&mark.key).bind(&owner).execute(&mut *$tx).await?;
                continue;
            }
            let fingerprint: String = row.try_get("fingerprint")?;
            if fingerprint != claim.fingerprint {
                outcome = Claimed::Mismatch;
                break;
            }
            let subject = || -> Result<String, sqlx::Error> {
                Ok(row.try_get::<Option<String>, _>("subject")?.unwrap_or_default())
            };
            match state.as_str() {
                "done" => {
                    outcome = match stored_response(&row)? {
                        Some(response) => Claimed::Replay(response),
                        None => Claimed::Committed { subject: subject()? },
                    };
                    break;
                }
                // In flight, or its holder is storing the response: wait for it.
                _ if locked_until > claim.now => {
                    outcome = Claimed::InFlight { until: locked_until };
                    break;
                }
                "committed" => {
                    outcome = Claimed::Committed { subject: subject()? };
                    break;
                }
                _ => {
                    // Abandoned: take it over, unless someone else just did.
                    let taken = sqlx::query(&sql($sqlite, "UPDATE idempotency_keys SET owner = $1, locked_until = $2 WHERE scope = $3 AND idem_key = $4 AND owner = $5 AND state = 'pending'"))
                        .bind(&mark.owner).bind(claim.now + claim.lease).bind(&mark.scope).bind(&mark.key).bind(&owner)
                        .execute(&mut *$tx).await?;
                    if taken.rows_affected() == 1 {
                        outcome = Claimed::Fresh;
                        break;
                    }
                }
            }
        }
        outcome
    }};
}

impl Store {
    /// Claims an idempotency key for a request (see the module docs): free, expired, or
    /// abandoned (its lease over and nothing committed) → [`Claimed::Fresh`], held by
    /// `claim.mark.owner`; otherwise what the first request with the key left.
    ///
    /// # Errors
    /// A database error.
    pub async fn claim_idempotency_key(&self, claim: &NewClaim<'_>) -> Result<Claimed, StoreError> {
        let mut claimed = self
            .claim_idempotency_keys(std::slice::from_ref(claim))
            .await?;
        Ok(claimed.pop().unwrap_or(Claimed::InFlight {
            until: claim.now + 1,
        }))
    }

    /// Claims several keys (a bulk request's rows) in one transaction, one durable commit:
    /// what [`Store::claim_idempotency_key`] finds for each, in order.
    ///
    /// # Errors
    /// A database error; nothing is claimed then.
    pub async fn claim_idempotency_keys(
        &self,
        claims: &[NewClaim<'_>],
    ) -> Result<Vec<Claimed>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let mut out = Vec::with_capacity(claims.len());
            for claim in claims {
                out.push(claim_in!(tx, sqlite, claim));
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Ends `mark`'s claim after its request: when its change committed, stores `response`
    /// (`done`) and returns `true`; when nothing committed, releases the key (the client may
    /// use it again, for any request) and returns `false`.
    ///
    /// # Errors
    /// A database error.
    pub async fn finish_idempotency_key(
        &self,
        mark: &ClaimMark,
        response: &StoredResponse,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let stored = sqlx::query(&sql(sqlite, "UPDATE idempotency_keys SET state = 'done', response_status = $1, response_headers = $2, response_body = $3 \
                WHERE scope = $4 AND idem_key = $5 AND owner = $6 AND state = 'committed'"))
                .bind(i32::from(response.status)).bind(headers_text(&response.headers)).bind(&response.body)
                .bind(&mark.scope).bind(&mark.key).bind(&mark.owner)
                .execute(pool).await?;
            if stored.rows_affected() == 1 {
                return Ok(true);
            }
            sqlx::query(&sql(sqlite, "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND owner = $3 AND state = 'pending'"))
                .bind(&mark.scope).bind(&mark.key).bind(&mark.owner)
                .execute(pool).await?;
            Ok(false)
        })
    }

    /// What the keys of `scope` hold, without claiming them (a dry run): for each
    /// `(key, fingerprint)`, the replay or commit of a finished request with that
    /// fingerprint at `now`, else `None`.
    ///
    /// # Errors
    /// A database error.
    pub async fn peek_idempotency_keys(
        &self,
        scope: &str,
        keys: &[(String, String)],
        now: i64,
    ) -> Result<Vec<Option<Claimed>>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        with_pool!(self, pool, sqlite => {
            for (key, fingerprint) in keys {
                let row = sqlx::query(&sql(sqlite, "SELECT fingerprint, state, subject, expires_at, response_status, response_headers, response_body FROM idempotency_keys WHERE scope = $1 AND idem_key = $2"))
                    .bind(scope).bind(key).fetch_optional(pool).await?;
                let found = match row {
                    Some(r) if r.try_get::<i64, _>("expires_at")? > now && &r.try_get::<String, _>("fingerprint")? == fingerprint => {
                        let state: String = r.try_get("state")?;
                        let subject = r.try_get::<Option<String>, _>("subject")?.unwrap_or_default();
                        match (state.as_str(), stored_response(&r)?) {
                            ("done", Some(response)) => Some(Claimed::Replay(response)),
                            ("done" | "committed", _) => Some(Claimed::Committed { subject }),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                out.push(found);
            }
        });
        Ok(out)
    }

    /// Deletes `mark`'s key, in whatever state, if `mark` still holds it.
    ///
    /// # Errors
    /// A database error.
    pub async fn release_idempotency_key(&self, mark: &ClaimMark) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            sqlx::query(&sql(sqlite, "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND owner = $3"))
                .bind(&mark.scope).bind(&mark.key).bind(&mark.owner)
                .execute(pool).await?;
            Ok(())
        })
    }

    /// Deletes the keys that expired before `now` (Unix seconds); how many.
    ///
    /// # Errors
    /// A database error.
    pub async fn purge_idempotency_keys(&self, now: i64) -> Result<u64, StoreError> {
        with_pool!(self, pool, sqlite => {
            let done = sqlx::query(&sql(sqlite, "DELETE FROM idempotency_keys WHERE expires_at <= $1"))
                .bind(now).execute(pool).await?;
            Ok(done.rows_affected())
        })
    }
}
