//! Notifications: the outbox, webhook subscriptions and deliveries.
//!
//! - The outbox: every change a webhook or e-mail tells about writes an audit entry; the
//!   `audit!` macro (lib.rs) adds an outbox row in the same transaction when the action is
//!   one of [`event_of`]'s, so a change and its notification commit (or roll back) together.
//!   The row's id orders the events.
//! - Fan-out ([`Store::fan_out`]): outbox rows not yet fanned out become deliveries, one per
//!   (event, target), in one transaction that first locks a row of `delivery_locks`, so
//!   processes sharing a database fan out one at a time, in outbox order. `UNIQUE (outbox_id,
//!   target)` makes a delivery happen once.
//! - Sending: [`Store::due_deliveries`] lists pending deliveries whose time has come and that
//!   no earlier pending delivery of the same target and credential holds back (order per
//!   badge), at most a fair share of each target (so a slow receiver cannot fill every
//!   batch); [`Store::claim_delivery`] takes one under a lease with a conditional UPDATE (two
//!   processes never send the same one at once); [`Store::finish_delivery`] records the
//!   attempt, only for the lease's holder.

use serde_json::{json, Value};
use sqlx::Row;

use crate::page::{Arg, Conditions, Key};
use crate::{sql, AuditEntry, CredentialRow, Page, PageRequest, Partner, Store, StoreError, Table};

/// The webhook event types, as subscriptions name them.
pub const EVENT_TYPES: &[&str] = &[
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.reinstated",
    "credential.superseded",
    "credential.expiring",
    "credential.lapsed",
    "credential.at_risk",
];

/// The event type an audit action is told as, if any: `credential.issue` →
/// `credential.issued`, `.revoke` → `.revoked`, `.suspend` → `.suspended`, `.reinstate` →
/// `.reinstated`, `.supersede` → `.superseded`, `.expiring` → `.expiring`, `.lapse` →
/// `.lapsed`, `.at_risk` → `.at_risk` (a scorecard missed the tier's floor, issue 15).
pub fn event_of(action: &str) -> Option<&'static str> {
    Some(match action {
        "credential.issue" => "credential.issued",
        "credential.revoke" => "credential.revoked",
        "credential.suspend" => "credential.suspended",
        "credential.reinstate" => "credential.reinstated",
        "credential.supersede" => "credential.superseded",
        "credential.expiring" => "credential.expiring",
        "credential.lapse" => "credential.lapsed",
        "credential.at_risk" => "credential.at_risk",
        _ => return None,
    })
}

/// The public part of an audit entry's detail, as an outbox row keeps it: `successor`,
/// `kind` (what superseded or revoked it), `tier`, `days`, `valid_until`, and for an "at risk"
/// notice `period`, `missed` and `notice_until`, when present and not null; nothing else (never a revocation reason, nor a list index).
pub fn public_payload(detail: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in [
        "successor",
        "kind",
        "tier",
        "days",
        "valid_until",
        "period",
        "missed",
        "notice_until",
    ] {
        if let Some(v) = detail.get(key).filter(|v| !v.is_null()) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    Value::Object(out)
}

/// An outbox row: one change to tell about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboxEvent {
    /// Its place in the order of events.
    pub id: i64,
    /// The event type ([`EVENT_TYPES`]).
    pub event: String,
    /// The credential (uuid).
    pub credential_id: String,
    /// When the change was made, Unix seconds (its audit entry's time).
    pub at: i64,
    /// Public details ([`public_payload`]).
    pub payload: Value,
}

/// A webhook subscription.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WebhookRow {
    /// Its id (uuid).
    pub id: String,
    /// Where events are POSTed (https, or an allowed insecure host).
    pub url: String,
    /// The event types sent ([`EVENT_TYPES`]).
    pub events: Vec<String>,
    /// The agency's note.
    pub description: Option<String>,
    /// `whsec_…`, the shared signing secret: never serialized.
    #[serde(skip)]
    pub secret: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Not yet delivered; attempts remain.
    Pending,
    /// Accepted by the receiver (a 2xx answer, or the SMTP relay took it).
    Delivered,
    /// Given up after the last attempt.
    Failed,
    /// Its subscription was deleted before it was delivered.
    Cancelled,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => Self::Pending,
        }
    }
}

/// A delivery: one event to one target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryRow {
    /// Its id: the `webhook-id` header, the same on every attempt.
    pub id: String,
    /// The outbox event.
    pub outbox_id: i64,
    /// `webhook:<id>` or `email:<address>`.
    pub target: String,
    /// The subscription, for a webhook.
    pub webhook_id: Option<String>,
    /// The address, for an e-mail.
    pub email: Option<String>,
    /// The credential.
    pub credential_id: String,
    /// The event type.
    pub event: String,
    /// What is sent: the webhook's JSON body, or an e-mail's `{"subject", "text"}`.
    pub body: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt may be made, Unix seconds.
    pub next_attempt_at: i64,
    /// The last attempt's HTTP status.
    pub last_status: Option<i64>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When delivered, Unix seconds.
    pub delivered_at: Option<i64>,
    /// When created (fanned out), Unix seconds.
    pub created_at: i64,
}

/// A delivery to create at fan-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Its id (the `webhook-id`).
    pub id: String,
    /// `webhook:<id>` or `email:<address>`.
    pub target: String,
    /// The subscription, for a webhook.
    pub webhook_id: Option<String>,
    /// The address, for an e-mail.
    pub email: Option<String>,
    /// What is sent.
    pub body: String,
}

/// An outbox event being fanned out, with what its deliveries are made from.
#[derive(Debug, Clone)]
pub struct FanOutItem {
    /// The event.
    pub event: OutboxEvent,
    /// Its credential (`None` if it no longer exists).
    pub credential: Option<CredentialRow>,
    /// The credential's partner, with its contacts.
    pub partner: Option<Partner>,
}

/// The outcome of one attempt ([`Store::finish_delivery`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Delivered.
    Delivered {
        /// The HTTP status (none for e-mail).
        status: Option<u16>,
    },
    /// Failed; try again at `next`, Unix seconds.
    Retry {
        /// The HTTP status, if an answer came.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// When to try again.
        next: i64,
    },
    /// Failed for the last time.
    Failed {
        /// The HTTP status, if an answer came.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
}

const DELIVERY_COLUMNS: &str = "id, outbox_id, target, webhook_id, email, credential_id, event, body, state, attempts, next_attempt_at, last_status, last_error, delivered_at, created_at";

/// Reads a delivery row (inside `with_pool!`, for either backend).
macro_rules! delivery_from_row {
    ($r:expr) => {{
        let r = $r;
        let state: String = r.try_get("state")?;
        DeliveryRow {
            id: r.try_get("id")?,
            outbox_id: r.try_get("outbox_id")?,
            target: r.try_get("target")?,
            webhook_id: r.try_get("webhook_id")?,
            email: r.try_get("email")?,
            credential_id: r.try_get("credential_id")?,
            event: r.try_get("event")?,
            body: r.try_get("body")?,
            state: DeliveryState::parse(&state),
            attempts: r.try_get("attempts")?,
            next_attempt_at: r.try_get("next_attempt_at")?,
            last_status: r.try_get("last_status")?,
            last_error: r.try_get("last_error")?,
            delivered_at: r.try_get("delivered_at")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

/// Reads a webhook row (inside `with_pool!`).
macro_rules! webhook_from_row {
    ($r:expr) => {{
        let r = $r;
        let events: String = r.try_get("events")?;
        WebhookRow {
            id: r.try_get("id")?,
            url: r.try_get("url")?,
            events: serde_json::from_str(&events).unwrap_or_default(),
            description: r.try_get("description")?,
            secret: r.try_get("secret")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

const WEBHOOK_COLUMNS: &str = "id, url, events, description, secret, created_at";

impl Store {
    /// Records a webhook subscription, with its audit entry.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] for a duplicate id, or a database error.
    pub async fn create_webhook(
        &self,
        webhook: &WebhookRow,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            sqlx::query(&sql(sqlite, "INSERT INTO webhooks (id, url, events, description, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)"))
                .bind(&webhook.id).bind(&webhook.url).bind(json!(webhook.events).to_string())
                .bind(&webhook.description).bind(&webhook.secret).bind(webhook.created_at)
                .execute(&mut *tx).await?;
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// The subscriptions not deleted, oldest first.
    ///
    /// # Errors
    /// A database error.
    pub async fn webhooks(&self) -> Result<Vec<WebhookRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, id")))
                .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(webhook_from_row!(r));
            }
            Ok(out)
        })
    }

    /// A subscription not deleted, by id.
    ///
    /// # Errors
    /// A database error.
    pub async fn webhook(&self, id: &str) -> Result<Option<WebhookRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND deleted_at IS NULL")))
                .bind(id).fetch_optional(pool).await?;
            Ok(match row { Some(r) => Some(webhook_from_row!(&r)), None => None })
        })
    }

    /// Deletes a subscription (kept, marked deleted, so its delivery log stays readable) and
    /// cancels its pending deliveries, with its audit entry; `false` (nothing written) when
    /// there is no such subscription.
    ///
    /// # Errors
    /// A database error.
    pub async fn delete_webhook(
        &self,
        id: &str,
        at: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(&sql(sqlite, "UPDATE webhooks SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL"))
                .bind(at).bind(id).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query(&sql(sqlite, "UPDATE deliveries SET state = 'cancelled', lease_until = NULL, lease_token = NULL WHERE webhook_id = $1 AND state = 'pending'"))
                .bind(id).execute(&mut *tx).await?;
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Writes an audit entry by itself (with its outbox row when its action is an event's):
    /// for tests and tools that record an event no change of this store makes.
    ///
    /// # Errors
    /// A database error.
    #[doc(hidden)]
    pub async fn append_audit(&self, audit: &AuditEntry) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// The outbox rows after id `after`, in order, at most `limit`.
    ///
    /// # Errors
    /// A database error.
    pub async fn outbox_after(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, "SELECT id, event, credential_id, at, payload FROM outbox WHERE id > $1 ORDER BY id LIMIT $2"))
                .bind(after).bind(i64::from(limit)).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let payload: String = r.try_get("payload")?;
                out.push(OutboxEvent {
                    id: r.try_get("id")?, event: r.try_get("event")?, credential_id: r.try_get("credential_id")?,
                    at: r.try_get("at")?, payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                });
            }
            Ok(out)
        })
    }

    /// Fans out up to `limit` outbox rows not yet fanned out, in order, in one transaction:
    /// `plan` gets each (with its credential and partner) and the active subscriptions, and
    /// returns the deliveries to create (due at `at`); the rows are then marked fanned out.
    /// Processes sharing the database take turns (a lock row), so the order holds; a
    /// delivery already made for (event, target) is not made again. Returns how many rows
    /// were fanned out.
    ///
    /// # Errors
    /// [`StoreError::FanOut`] when `plan` fails, or a database error; nothing is written then.
    pub async fn fan_out(
        &self,
        at: i64,
        limit: u32,
        mut plan: impl FnMut(&FanOutItem, &[WebhookRow]) -> Result<Vec<NewDelivery>, crate::BoxError>,
    ) -> Result<usize, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            // The lock: SQLite's write lock, PostgreSQL's row lock, until commit.
            sqlx::query(&sql(sqlite, "UPDATE delivery_locks SET at = $1 WHERE name = 'fanout'"))
                .bind(at).execute(&mut *tx).await?;
            let rows = sqlx::query(&sql(sqlite, "SELECT id, event, credential_id, at, payload FROM outbox WHERE fanned_out = FALSE ORDER BY id LIMIT $1"))
                .bind(i64::from(limit)).fetch_all(&mut *tx).await?;
            if rows.is_empty() {
                return Ok(0);
            }
            let hooks = {
                let rows = sqlx::query(&sql(sqlite, &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, id")))
                    .fetch_all(&mut *tx).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(webhook_from_row!(r));
                }
                out
            };
            let count = rows.len();
            for r in &rows {
                let payload: String = r.try_get("payload")?;
                let event = OutboxEvent {
                    id: r.try_get("id")?, event: r.try_get("event")?, credential_id: r.try_get("credential_id")?,
                    at: r.try_get("at")?, payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                };
                let credential = sqlx::query(&sql(sqlite, &format!("SELECT {} FROM credentials WHERE id = $1", crate::credentials::CREDENTIAL_READ_COLUMNS)))
                    .bind(&event.credential_id).fetch_optional(&mut *tx).await?
                    .as_ref().map(crate::credentials::credential_from_row).transpose()?;
                let partner = match credential.as_ref().and_then(|c| c.partner_id.clone()) {
                    Some(p) => sqlx::query(&sql(sqlite, &format!("SELECT {} FROM partners WHERE id = $1", crate::partners::PARTNER_COLUMNS)))
                        .bind(p).fetch_optional(&mut *tx).await?
                        .as_ref().map(crate::partners::partner_from_row).transpose()?,
                    None => None,
                };
                let item = FanOutItem { event, credential, partner };
                let planned = plan(&item, &hooks).map_err(|e| StoreError::FanOut { outbox: item.event.id, source: e })?;
                for d in planned {
                    let conflict = if sqlite { " ON CONFLICT DO NOTHING" } else { " ON CONFLICT (outbox_id, target) DO NOTHING" };
                    sqlx::query(&sql(sqlite, &format!("INSERT INTO deliveries (id, outbox_id, target, webhook_id, email, credential_id, event, body, state, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9){conflict}")))
                        .bind(&d.id).bind(item.event.id).bind(&d.target).bind(&d.webhook_id).bind(&d.email)
                        .bind(&item.event.credential_id).bind(&item.event.event).bind(&d.body).bind(at)
                        .execute(&mut *tx).await?;
                }
                sqlx::query(&sql(sqlite, "UPDATE outbox SET fanned_out = TRUE WHERE id = $1"))
                    .bind(item.event.id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(count)
        })
    }

    /// Pending deliveries due at `at` and not leased, at most `limit`, and a fair share of
    /// each target: at most `per_target` of a target in flight at once (its deliveries
    /// leased at `at` count against it), so one slow or failing receiver cannot fill every
    /// batch. Of each (target, credential) only the earliest pending one is listed (a later
    /// event waits while an earlier one is pending or being sent). Listed round-robin: every
    /// target's oldest due delivery first (oldest event first), then every target's second…
    ///
    /// # Errors
    /// A database error.
    pub async fn due_deliveries(
        &self,
        at: i64,
        limit: u32,
        per_target: u32,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        // ROW_NUMBER() (SQLite >= 3.25, PostgreSQL) places each due delivery within its
        // target; the correlated count adds the target's sends in flight.
        let text = format!(
            "SELECT {DELIVERY_COLUMNS} FROM (\
               SELECT {DELIVERY_COLUMNS}, ROW_NUMBER() OVER (PARTITION BY target ORDER BY outbox_id, id) AS place \
               FROM deliveries d WHERE state = 'pending' AND next_attempt_at <= $1 \
               AND (lease_until IS NULL OR lease_until <= $1) \
               AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.target = d.target AND e.credential_id = d.credential_id \
                               AND e.state = 'pending' AND e.outbox_id < d.outbox_id)) ready \
             WHERE place + (SELECT COUNT(*) FROM deliveries l WHERE l.target = ready.target \
                            AND l.state = 'pending' AND l.lease_until > $1) <= $3 \
             ORDER BY place, outbox_id, id LIMIT $2"
        );
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, &text)).bind(at).bind(i64::from(limit)).bind(i64::from(per_target))
                .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(delivery_from_row!(r));
            }
            Ok(out)
        })
    }

    /// Takes delivery `id` for sending until `lease_until` under `token` when it is pending
    /// and not leased at `at`: `true` when this caller now holds it.
    ///
    /// # Errors
    /// A database error.
    pub async fn claim_delivery(
        &self,
        id: &str,
        token: &str,
        at: i64,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let done = sqlx::query(&sql(sqlite, "UPDATE deliveries SET lease_until = $1, lease_token = $2 WHERE id = $3 AND state = 'pending' AND (lease_until IS NULL OR lease_until <= $4)"))
                .bind(lease_until).bind(token).bind(id).bind(at).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Records an attempt at delivery `id` made at `at` under lease `token` and releases the
    /// lease: `false` (nothing written) when the lease is no longer this caller's.
    ///
    /// # Errors
    /// A database error.
    pub async fn finish_delivery(
        &self,
        id: &str,
        token: &str,
        at: i64,
        outcome: &DeliveryOutcome,
    ) -> Result<bool, StoreError> {
        let (state, status, error, next, delivered) = match outcome {
            DeliveryOutcome::Delivered { status } => {
                (DeliveryState::Delivered, *status, None, at, Some(at))
            }
            DeliveryOutcome::Retry {
                status,
                error,
                next,
            } => (
                DeliveryState::Pending,
                *status,
                Some(error.clone()),
                *next,
                None,
            ),
            DeliveryOutcome::Failed { status, error } => (
                DeliveryState::Failed,
                *status,
                Some(error.clone()),
                at,
                None,
            ),
        };
        with_pool!(self, pool, sqlite => {
            let done = sqlx::query(&sql(sqlite, "UPDATE deliveries SET state = $1, attempts = attempts + 1, last_status = $2, last_error = $3, next_attempt_at = $4, delivered_at = $5, lease_until = NULL, lease_token = NULL WHERE id = $6 AND lease_token = $7"))
                .bind(state.as_str()).bind(status.map(i64::from)).bind(error).bind(next).bind(delivered)
                .bind(id).bind(token).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// A page of the delivery log of subscription `webhook_id`, newest event first.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for a cursor that is not one of this list's, or a
    /// database error.
    pub async fn deliveries(
        &self,
        webhook_id: &str,
        page: &PageRequest,
    ) -> Result<Page<DeliveryRow>, StoreError> {
        let mut c = Conditions::default();
        let w = c.bind(Arg::Text(webhook_id.to_owned()));
        c.push(format!("webhook_id = {w}"));
        if let Some(key) = page.start(Table::Deliveries, "i")? {
            let id = c.bind(Arg::Int(key.int(0)));
            c.push(format!("outbox_id < {id}"));
        }
        let rows = list_rows!(
            self,
            &mut c,
            page,
            format!("SELECT {DELIVERY_COLUMNS} FROM deliveries"),
            "outbox_id DESC",
            |r| delivery_from_row!(r)
        );
        Ok(Page::of(rows, page, Table::Deliveries, |d| {
            Key(vec![Arg::Int(d.outbox_id)])
        }))
    }

    /// Every delivery of credential `credential_id`, in event order (for tools and tests).
    ///
    /// # Errors
    /// A database error.
    pub async fn deliveries_of(&self, credential_id: &str) -> Result<Vec<DeliveryRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE credential_id = $1 ORDER BY outbox_id, id")))
                .bind(credential_id).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(delivery_from_row!(r));
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_map_to_events_and_payloads_keep_public_keys_only() {
        assert_eq!(event_of("credential.revoke"), Some("credential.revoked"));
        assert_eq!(event_of("credential.lapse"), Some("credential.lapsed"));
        assert_eq!(event_of("credential.status"), None);
        assert_eq!(event_of("partner.create"), None);
        for action in [
            "issue",
            "revoke",
            "suspend",
            "reinstate",
            "supersede",
            "expiring",
            "lapse",
        ] {
            let event = event_of(&format!("credential.{action}")).unwrap();
            assert!(EVENT_TYPES.contains(&event), "{event}");
        }
        assert_eq!(
            public_payload(
                &json!({"list": "r1", "index": 7, "reason": "fraud", "successor": "u2", "days": 14})
            ),
            json!({"successor": "u2", "days": 14})
        );
    }
}
