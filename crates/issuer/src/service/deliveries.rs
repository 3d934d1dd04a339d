//! Notifications: webhook subscriptions (Standard Webhooks), partner e-mail reminders, and the
//! delivery worker.
//!
//! Changes write outbox rows with their audit entries (`hallmark_store`'s outbox). The worker
//! ([`Issuer::run_deliveries`], spawned by [`crate::serve`] unless `deliveries = false`)
//! repeats two steps, each taking the instant as a parameter so tests pass one:
//! [`Issuer::fan_out`] turns new outbox rows into deliveries (one per matching subscription,
//! and for `credential.expiring` / `credential.lapsed` / `credential.at_risk` one e-mail per partner contact when
//! `[smtp]` is configured), and [`Issuer::send_due`] sends what is due, per (target, badge)
//! in event order, each under a lease, retrying with exponential backoff up to
//! `max_attempts` (a URL the SSRF guard refuses fails at once: retrying cannot help). Both
//! are safe on several processes sharing one database.
//!
//! Fairness: each target (a subscription, an e-mail address) gets at most [`PER_TARGET`]
//! sends in flight at once, and the worker starts new sends without waiting for those in
//! flight, so a receiver that hangs until the time limit delays only its own deliveries.
//!
//! Signing follows Standard Webhooks: headers `webhook-id` (the delivery's id, the same on
//! every attempt), `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature`
//! `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the base64 part of the
//! subscription's `whsec_…` secret.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hallmark_store::{
    DeliveryOutcome, DeliveryRow, FanOutItem, NewDelivery, Page, PageRequest, StoreError,
    WebhookRow, EVENT_TYPES,
};
use hmac::{Hmac, Mac};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::text::{check_text, MAX_DESCRIPTION, MAX_URL};
use super::{audit, now, uuid_v4, Issuer, RandomnessError, TextError};
use crate::config::{Config, SmtpTls};

/// Subscriptions at most: each event is sent to each of them.
pub const MAX_WEBHOOKS: usize = 50;

/// Deliveries fanned out, or listed to send, in one step of the worker.
const BATCH: u32 = 32;

/// A new subscription (`POST /api/v1/webhooks`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where events are POSTed: https (or http to an allowed insecure host, for tests).
    #[schema(min_length = 1)]
    pub url: String,
    /// Event types to send ([`EVENT_TYPES`]); default all.
    pub events: Option<Vec<String>>,
    /// A note for the agency: one line, at most 2,000 characters.
    pub description: Option<String>,
}

/// Why a subscription could not be made, read or deleted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The URL was refused.
    #[error("url {url:?}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// Why.
        reason: String,
    },
    /// An event type that does not exist.
    #[error("unknown event {event:?}: the events are {}", EVENT_TYPES.join(", "))]
    UnknownEvent {
        /// The name given.
        event: String,
    },
    /// An empty list of events.
    #[error("events must name at least one event (or be left out for all)")]
    NoEvents,
    /// The description was refused.
    #[error(transparent)]
    Description(TextError),
    /// Too many subscriptions.
    #[error("at most {max} webhook subscriptions")]
    TooMany {
        /// The limit.
        max: usize,
    },
    /// No such subscription.
    #[error("no webhook {id}")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// A page cursor of another list.
    #[error("cursor: {0}")]
    Cursor(String),
    /// No randomness for an id or secret.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A signing secret that is not `whsec_<base64>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is whsec_ followed by base64")]
pub struct SecretError;

/// A new secret: `whsec_` and the base64 of 32 random bytes.
///
/// # Errors
/// [`RandomnessError`].
pub fn new_secret() -> Result<String, RandomnessError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(RandomnessError)?;
    Ok(format!("whsec_{}", STANDARD.encode(key)))
}

/// The Standard Webhooks signature of `body` sent as message `id` at `timestamp` (Unix
/// seconds): `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed by the
/// bytes of `secret` after `whsec_`.
///
/// # Errors
/// [`SecretError`] for a secret that is not `whsec_<base64>`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SecretError> {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|k| STANDARD.decode(k).ok())
        .ok_or(SecretError)?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|_| SecretError)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The delay before the attempt after `attempts` failed ones: `base` doubled each time,
/// at most `cap` (seconds).
pub fn backoff(base: u64, cap: u64, attempts: u32) -> u64 {
    let factor = 1u64
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u64::MAX);
    base.saturating_mul(factor).min(cap)
}

/// The SMTP relay, ready to send.
#[derive(Clone)]
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        write!(f, "Mailer({})", self.from)
    }
}

/// Why the `[smtp]` settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// `from` is not an e-mail address.
    #[error("smtp.from {from:?} is not an e-mail address (\"Name <address>\" or an address)")]
    From {
        /// What was given.
        from: String,
    },
    /// The environment variable named by `password_env` is not set.
    #[error("smtp.password_env names {var}, which is not set")]
    Password {
        /// The variable.
        var: String,
    },
    /// The relay's TLS settings.
    #[error("smtp.host: {0}")]
    Relay(String),
}

impl Mailer {
    /// The relay of `config.smtp`, or `None` without `[smtp]`.
    pub(crate) fn from_config(config: &Config) -> Result<Option<Self>, SmtpError> {
        let Some(smtp) = &config.smtp else {
            return Ok(None);
        };
        let from = smtp.from.parse().map_err(|_| SmtpError::From {
            from: smtp.from.clone(),
        })?;
        let relay = |e: lettre::transport::smtp::Error| SmtpError::Relay(e.to_string());
        let mut builder = match smtp.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(relay)?
            }
            SmtpTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(relay)?
            }
        }
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(config.webhooks.timeout_seconds)));
        if let Some(user) = &smtp.username {
            let password = match &smtp.password_env {
                Some(var) => {
                    std::env::var(var).map_err(|_| SmtpError::Password { var: var.clone() })?
                }
                None => String::new(),
            };
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Some(Self {
            transport: builder.build(),
            from,
        }))
    }
}

/// An e-mail delivery's body, as stored.
#[derive(Debug, serde::Serialize, Deserialize)]
struct Email {
    to: String,
    subject: String,
    text: String,
}

impl Issuer {
    /// Subscribes `new.url` to events, with an audit entry (`webhook.create`) by `actor`;
    /// returns the subscription and its secret, shown this once.
    ///
    /// # Errors
    /// [`WebhookError`]: a refused URL, event or description, too many subscriptions, the
    /// database.
    pub async fn create_webhook(
        &self,
        actor: &str,
        new: &NewWebhook,
    ) -> Result<(WebhookRow, String), WebhookError> {
        self.check_webhook_url(&new.url)?;
        let events = match &new.events {
            None => EVENT_TYPES.iter().map(|e| (*e).to_owned()).collect(),
            Some(list) if list.is_empty() => return Err(WebhookError::NoEvents),
            Some(list) => {
                let mut out: Vec<String> = Vec::new();
                for e in list {
                    if !EVENT_TYPES.contains(&e.as_str()) {
                        return Err(WebhookError::UnknownEvent { event: e.clone() });
                    }
                    if !out.contains(e) {
                        out.push(e.clone());
                    }
                }
                out
            }
        };
        if let Some(d) = &new.description {
            check_text("description", d, MAX_DESCRIPTION, false)
                .map_err(WebhookError::Description)?;
        }
        if self.store().webhooks().await?.len() >= MAX_WEBHOOKS {
            return Err(WebhookError::TooMany { max: MAX_WEBHOOKS });
        }
        let secret = new_secret()?;
        let row = WebhookRow {
            id: uuid_v4()?,
            url: new.url.clone(),
            events,
            description: new.description.clone(),
            secret: secret.clone(),
            created_at: now().unix_timestamp(),
        };
        let entry = audit(
            actor,
            "webhook.create",
            &row.id,
            // The origin only: a webhook URL's path and query often hold a secret, and the
            // audit log is read by viewers.
            json!({"url": url_origin(&row.url), "events": row.events}),
        );
        self.store().create_webhook(&row, &entry).await?;
        Ok((row, secret))
    }

    /// Every subscription not deleted, oldest first.
    ///
    /// # Errors
    /// The database.
    pub async fn webhooks(&self) -> Result<Vec<WebhookRow>, StoreError> {
        self.store().webhooks().await
    }

    /// A subscription.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`], or the database.
    pub async fn webhook(&self, id: &str) -> Result<WebhookRow, WebhookError> {
        self.store()
            .webhook(id)
            .await?
            .ok_or_else(|| WebhookError::NotFound { id: id.to_owned() })
    }

    /// Deletes a subscription and cancels its pending deliveries (its log stays), with an
    /// audit entry (`webhook.delete`) by `actor`.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`], or the database.
    pub async fn delete_webhook(&self, actor: &str, id: &str) -> Result<(), WebhookError> {
        let entry = audit(actor, "webhook.delete", id, json!({}));
        if self
            .store()
            .delete_webhook(id, now().unix_timestamp(), &entry)
            .await?
        {
            Ok(())
        } else {
            Err(WebhookError::NotFound { id: id.to_owned() })
        }
    }

    /// A page of a subscription's delivery log, newest event first.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`], or the database (a bad cursor).
    pub async fn delivery_log(
        &self,
        id: &str,
        page: &PageRequest,
    ) -> Result<Page<DeliveryRow>, WebhookError> {
        self.webhook(id).await?;
        self.store()
            .deliveries(id, page)
            .await
            .map_err(|e| match e {
                StoreError::InvalidCursor(e) => WebhookError::Cursor(e.to_string()),
                e => e.into(),
            })
    }

    /// A webhook URL: https (or http to a `[webhooks] insecure_hosts` entry), a host, no
    /// user name or password, at most [`MAX_URL`] bytes. Internal addresses are refused
    /// when sending, by the fetcher's guard, whatever the name resolves to then.
    fn check_webhook_url(&self, given: &str) -> Result<(), WebhookError> {
        let refuse = |reason: &str| WebhookError::Url {
            url: given.to_owned(),
            reason: reason.to_owned(),
        };
        if given.len() > MAX_URL {
            return Err(refuse("longer than 500 bytes"));
        }
        let url = url::Url::parse(given).map_err(|e| refuse(&e.to_string()))?;
        let host_port = match (url.host_str(), url.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            _ => return Err(refuse("names no host")),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must not carry a user name or password"));
        }
        let insecure = self.config().webhooks.insecure_hosts.contains(&host_port);
        match url.scheme() {
            "https" => Ok(()),
            "http" if insecure => Ok(()),
            _ => Err(refuse("must be an https URL")),
        }
    }

    /// Fans out new outbox rows into deliveries due at `at` (see the module docs); returns
    /// how many rows were fanned out.
    ///
    /// # Errors
    /// The database (nothing written then).
    pub async fn fan_out(&self, at: OffsetDateTime) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            // A plan that fails (no randomness) rolls the batch back: it is fanned out on a
            // later round, never marked done without its deliveries.
            let n = self
                .store()
                .fan_out(at.unix_timestamp(), BATCH, |item, hooks| {
                    self.plan(item, hooks).map_err(Into::into)
                })
                .await?;
            total += n;
            if n < BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// The deliveries of one outbox event: a webhook to each subscription that wants it, an
    /// e-mail to each partner contact for `expiring` and `lapsed` (with `[smtp]`).
    fn plan(
        &self,
        item: &FanOutItem,
        hooks: &[WebhookRow],
    ) -> Result<Vec<NewDelivery>, RandomnessError> {
        let e = &item.event;
        let credential = item.credential.as_ref();
        let mut data = json!({
            "credential": self.credential_url(&e.credential_id),
            "id": e.credential_id,
            "partner_id": credential.and_then(|c| c.partner_id.clone()),
            "tier": credential.and_then(|c| c.tier.clone()),
            "specialization": credential.and_then(|c| c.specialization.clone()),
            "role": credential.and_then(|c| c.role.clone()),
        });
        if let (Some(obj), Value::Object(extra)) = (data.as_object_mut(), &e.payload) {
            for (k, v) in extra {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        let timestamp = OffsetDateTime::from_unix_timestamp(e.at)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        let body = json!({"type": e.event, "timestamp": timestamp, "data": data}).to_string();
        let mut out = Vec::new();
        for hook in hooks.iter().filter(|h| h.events.contains(&e.event)) {
            out.push(NewDelivery {
                id: format!("msg_{}", uuid_v4()?.replace('-', "")),
                target: format!("webhook:{}", hook.id),
                webhook_id: Some(hook.id.clone()),
                email: None,
                body: body.clone(),
            });
        }
        let lapsed = e.event == "credential.lapsed";
        let notice = lapsed || e.event == "credential.expiring" || e.event == "credential.at_risk";
        if notice && self.inner.mailer.is_some() {
            if let (Some(c), Some(p)) = (credential, &item.partner) {
                let emails = match e.event.as_str() {
                    "credential.at_risk" => self.at_risk_notice(e, c, p),
                    _ => self.reminder(e, c, p, lapsed),
                };
                for (to, subject, text) in emails {
                    out.push(NewDelivery {
                        id: format!("msg_{}", uuid_v4()?.replace('-', "")),
                        target: format!("email:{to}"),
                        webhook_id: None,
                        email: Some(to.clone()),
                        body: json!(Email { to, subject, text }).to_string(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The "at risk" notice to each of the partner's contacts: (to, subject, text).
    fn at_risk_notice(
        &self,
        event: &hallmark_store::OutboxEvent,
        c: &hallmark_store::CredentialRow,
        p: &hallmark_store::Partner,
    ) -> Vec<(String, String, String)> {
        let program = self.program();
        let tier_slug = c.tier.clone().unwrap_or_default();
        let tier = program
            .tier(&tier_slug)
            .map_or(tier_slug.as_str(), |t| t.name.as_str());
        let role = c.role.as_deref().unwrap_or("");
        let role = program
            .roles
            .iter()
            .find(|r| r.id == role)
            .map_or(role, |r| r.name.as_str());
        let payload = &event.payload;
        let missed = payload["missed"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|m| {
                        let metric = m["metric"].as_str().unwrap_or_default();
                        let bound = if metric == "rework" {
                            "ceiling"
                        } else {
                            "floor"
                        };
                        format!(
                            "{metric}: {} (the {bound} is {})",
                            m["value"], m["threshold"]
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let notice_until = payload["notice_until"]
            .as_i64()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .map_or_else(|| "an unknown date".into(), |t| t.date().to_string());
        let badge_url = self.credential_url(&c.id);
        let program_url = format!("{}/program/tiers/{tier_slug}", self.config().base_url);
        let view = hallmark_web::email::AtRisk {
            partner: &p.name,
            tier,
            role,
            program: &program.name,
            issuer: &self.config().issuer_name,
            period: payload["period"].as_str().unwrap_or_default(),
            missed,
            notice_until: &notice_until,
            suspend: program.monitoring.suspend && program.suspension,
            badge_url: &badge_url,
            program_url: &program_url,
        };
        let Ok(text) = view.text() else {
            return Vec::new();
        };
        let subject = view.subject();
        p.contacts
            .iter()
            .map(|to| (to.clone(), subject.clone(), text.clone()))
            .collect()
    }

    /// The reminder (or lapse notice) to each of the partner's contacts: (to, subject,
    /// text).
    fn reminder(
        &self,
        event: &hallmark_store::OutboxEvent,
        c: &hallmark_store::CredentialRow,
        p: &hallmark_store::Partner,
        lapsed: bool,
    ) -> Vec<(String, String, String)> {
        let program = self.program();
        // A tier badge's tier, or a specialization badge's specialization.
        let achievement = program.achievement(c.tier.as_deref(), c.specialization.as_deref());
        let tier = achievement.as_ref();
        let valid_until = event
            .payload
            .get("valid_until")
            .and_then(Value::as_i64)
            .or(c.valid_until);
        let expiry = valid_until
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .map(|t| t.date().to_string())
            .unwrap_or_else(|| "an unknown date".into());
        // A renewal meets the tier's renewal bar until the grace period ends; after it (a
        // lapse notice), the first certification's.
        let requirements = tier
            .map(|t| match lapsed {
                true => t.criteria(program),
                false => t.for_renewal().criteria(program),
            })
            .unwrap_or_default();
        let renew_by = valid_until
            .zip(tier)
            .and_then(|(t, tier)| {
                OffsetDateTime::from_unix_timestamp(t + i64::from(tier.grace_days) * 86_400).ok()
            })
            .map(|t| t.date().to_string());
        let role = c.role.as_deref().unwrap_or("");
        let role = program
            .roles
            .iter()
            .find(|r| r.id == role)
            .map_or(role, |r| r.name.as_str());
        let (collection, tier_slug) = match (&c.specialization, &c.tier) {
            (Some(s), _) => ("specializations", s.clone()),
            (None, t) => ("tiers", t.clone().unwrap_or_default()),
        };
        let badge_url = self.credential_url(&c.id);
        let program_url = format!(
            "{}/program/{collection}/{tier_slug}",
            self.config().base_url
        );
        let smtp = self.config().smtp.as_ref();
        let view = hallmark_web::email::Reminder {
            partner: &p.name,
            tier: tier.map_or(tier_slug.as_str(), |t| t.name.as_str()),
            role,
            program: &program.name,
            renew_by: renew_by.as_deref(),
            issuer: &self.config().issuer_name,
            expiry: &expiry,
            days: event.payload.get("days").and_then(Value::as_i64),
            lapsed,
            requirements: &requirements,
            renew_url: smtp.and_then(|s| s.renew_url.as_deref()),
            badge_url: &badge_url,
            program_url: &program_url,
        };
        let Ok(text) = view.text() else {
            return Vec::new();
        };
        let subject = view.subject();
        p.contacts
            .iter()
            .map(|to| (to.clone(), subject.clone(), text.clone()))
            .collect()
    }

    /// Sends the deliveries due at `at` (see the module docs), concurrently, and waits for
    /// every send to end; returns how many attempts were made. One round of the worker, for
    /// tests and tools; the worker itself ([`Issuer::run_deliveries`]) does not wait.
    ///
    /// # Errors
    /// The database (sends already started still run to their end first).
    pub async fn send_due(&self, at: OffsetDateTime) -> Result<usize, StoreError> {
        let mut flight = InFlight::new();
        let started = self.start_due(at, &mut flight).await;
        let finished = flight.drain().await;
        let started = started?;
        finished?;
        Ok(started)
    }

    /// Starts the sends due at `at`, as many as `flight` has room for: each is claimed (its
    /// lease taken) before its send is spawned, so a later round never lists it again;
    /// returns how many were started.
    async fn start_due(
        &self,
        at: OffsetDateTime,
        flight: &mut InFlight,
    ) -> Result<usize, StoreError> {
        let room = u32::try_from(flight.permits.available_permits()).unwrap_or(BATCH);
        if room == 0 {
            return Ok(0);
        }
        let due = self
            .store()
            .due_deliveries(at.unix_timestamp(), BATCH.min(room), PER_TARGET)
            .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let hooks = self.store().webhooks().await?;
        let mut started = 0;
        for d in due {
            let Ok(permit) = flight.permits.clone().try_acquire_owned() else {
                break;
            };
            let Some(token) = self.claim(&d, at).await? else {
                continue;
            };
            let hook = d
                .webhook_id
                .as_ref()
                .and_then(|id| hooks.iter().find(|h| &h.id == id))
                .cloned();
            let issuer = self.clone();
            flight.tasks.spawn(async move {
                let _permit = permit;
                issuer.attempt(d, hook, at, token).await
            });
            started += 1;
        }
        Ok(started)
    }

    /// Takes delivery `d` under a lease for an attempt at `at`: its token, or `None` when
    /// another process holds it (or it is no longer pending).
    async fn claim(
        &self,
        d: &DeliveryRow,
        at: OffsetDateTime,
    ) -> Result<Option<String>, StoreError> {
        let Ok(token) = uuid_v4() else {
            tracing::error!("deliveries: no randomness for a lease");
            return Ok(None);
        };
        let start = at.unix_timestamp();
        // The lease outlasts the attempt's time limit, so it is never taken over mid-send.
        let timeout = i64::try_from(self.config().webhooks.timeout_seconds).unwrap_or(60);
        let lease = start + timeout * 2 + 30;
        Ok(self
            .store()
            .claim_delivery(&d.id, &token, start, lease)
            .await?
            .then_some(token))
    }

    /// One attempt at delivery `d`, claimed under lease `token`, and its outcome recorded:
    /// delivered, retried after a backoff, or failed (after the last attempt, or at once
    /// when the failure is permanent).
    async fn attempt(
        &self,
        d: DeliveryRow,
        hook: Option<WebhookRow>,
        at: OffsetDateTime,
        token: String,
    ) -> Result<(), StoreError> {
        let settings = &self.config().webhooks;
        let start = at.unix_timestamp();
        let (status, failure) = match (&d.email, hook) {
            (Some(_), _) => (
                None,
                self.send_email(&d).await.err().map(Failure::transient),
            ),
            (None, Some(hook)) => self.send_webhook(&d, &hook, start).await,
            (None, None) => (
                None,
                Some(Failure::transient("the subscription was deleted")),
            ),
        };
        let attempts = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
        let outcome = match failure {
            None => DeliveryOutcome::Delivered { status },
            Some(Failure {
                error,
                permanent: true,
            }) => {
                tracing::warn!(
                    "delivery {} to {} failed for good, not retried (attempt {attempts}): {error}",
                    d.id,
                    d.target
                );
                DeliveryOutcome::Failed { status, error }
            }
            Some(Failure { error, .. }) if attempts >= settings.max_attempts => {
                tracing::warn!(
                    "delivery {} to {} failed for good after {attempts} attempts: {error}",
                    d.id,
                    d.target
                );
                DeliveryOutcome::Failed { status, error }
            }
            Some(Failure { error, .. }) => {
                let delay = backoff(
                    settings.retry_base_seconds,
                    settings.retry_cap_seconds,
                    attempts,
                );
                DeliveryOutcome::Retry {
                    status,
                    error,
                    next: start + i64::try_from(delay).unwrap_or(i64::MAX / 2),
                }
            }
        };
        if !self
            .store()
            .finish_delivery(&d.id, &token, start, &outcome)
            .await?
        {
            tracing::warn!(
                "delivery {}: the lease ran out before the attempt was recorded",
                d.id
            );
        }
        Ok(())
    }

    /// POSTs a webhook, signed: (the HTTP status, a failure unless it was 2xx). A URL the
    /// fetcher's guard refuses (an internal address) is a permanent failure: retrying
    /// cannot change the answer.
    async fn send_webhook(
        &self,
        d: &DeliveryRow,
        hook: &WebhookRow,
        timestamp: i64,
    ) -> (Option<u16>, Option<Failure>) {
        let signature = match sign(&hook.secret, &d.id, timestamp, d.body.as_bytes()) {
            Ok(s) => s,
            Err(e) => return (None, Some(Failure::transient(e.to_string()))),
        };
        let timestamp = timestamp.to_string();
        let headers = [
            ("webhook-id", d.id.as_str()),
            ("webhook-timestamp", timestamp.as_str()),
            ("webhook-signature", signature.as_str()),
        ];
        match self
            .inner
            .hooks
            .post_json(&hook.url, &headers, d.body.clone().into_bytes())
            .await
        {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (
                Some(status),
                Some(Failure::transient(format!(
                    "the receiver answered HTTP {status}"
                ))),
            ),
            Err(e @ hallmark_fetch::FetchError::Refused { .. }) => (
                None,
                Some(Failure {
                    error: e.to_string(),
                    permanent: true,
                }),
            ),
            Err(e) => (None, Some(Failure::transient(e.to_string()))),
        }
    }

    /// Sends an e-mail delivery through the relay.
    async fn send_email(&self, d: &DeliveryRow) -> Result<(), String> {
        let Some(mailer) = &self.inner.mailer else {
            return Err("no [smtp] relay is configured".into());
        };
        let email: Email = serde_json::from_str(&d.body).map_err(|e| e.to_string())?;
        let to = email
            .to
            .parse()
            .map_err(|_| format!("{:?} is not an e-mail address", email.to))?;
        let message = lettre::Message::builder()
            .from(mailer.from.clone())
            .to(to)
            .subject(email.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(email.text)
            .map_err(|e| e.to_string())?;
        mailer
            .transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| format!("the SMTP relay: {e}"))
    }

    /// The delivery worker, until `stop` turns true: fans out every `poll_milliseconds`,
    /// and starts the sends due then and whenever a send ends (its target has room again),
    /// without waiting for sends still in flight: a slow receiver holds only its own share
    /// ([`PER_TARGET`]) of the [`IN_FLIGHT`] sends. Errors are logged and the next round
    /// tries again. On stop, the sends in flight run to their end (aborting them would leave
    /// their leases to expire: duplicates).
    pub async fn run_deliveries(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        if self.config().smtp.is_none() {
            tracing::info!("no [smtp] relay configured: e-mail reminders are not sent");
        }
        let poll = Duration::from_millis(self.config().webhooks.poll_milliseconds);
        let mut flight = InFlight::new();
        let mut next_poll = tokio::time::Instant::now();
        loop {
            let at = now();
            if tokio::time::Instant::now() >= next_poll {
                next_poll = tokio::time::Instant::now() + poll;
                if let Err(e) = self.fan_out(at).await {
                    tracing::error!("deliveries: fan-out: {e}");
                }
            }
            if let Err(e) = self.start_due(at, &mut flight).await {
                tracing::error!("deliveries: sending: {e}");
            }
            let stopped = tokio::select! {
                _ = tokio::time::sleep_until(next_poll) => false,
                Some(done) = flight.tasks.join_next(), if !flight.tasks.is_empty() => {
                    log_attempt(done);
                    // Every send that ended meanwhile, then one round for all of them.
                    while let Some(done) = flight.tasks.try_join_next() {
                        log_attempt(done);
                    }
                    false
                }
                changed = stop.changed() => changed.is_err() || *stop.borrow(),
            };
            if stopped {
                if let Err(e) = flight.drain().await {
                    tracing::error!("deliveries: sending: {e}");
                }
                return;
            }
        }
    }
}

/// Deliveries of one target being sent at once, at most (the deliveries it has leased,
/// by any process sharing the database, count): a slow receiver holds no more than this.
pub const PER_TARGET: u32 = 4;

/// Sends in flight at once in one process, all targets together.
pub const IN_FLIGHT: usize = 64;

/// Why an attempt failed, and whether trying again could help.
#[derive(Debug)]
struct Failure {
    error: String,
    permanent: bool,
}

impl Failure {
    fn transient(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            permanent: false,
        }
    }
}

/// The sends started and not yet ended, at most [`IN_FLIGHT`].
struct InFlight {
    tasks: tokio::task::JoinSet<Result<(), StoreError>>,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl InFlight {
    fn new() -> Self {
        Self {
            tasks: tokio::task::JoinSet::new(),
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
        }
    }

    /// Waits for every send to end (dropping the set would abort sends in flight and leave
    /// their leases to expire: duplicates); the first database error is answered after.
    async fn drain(&mut self) -> Result<(), StoreError> {
        let mut first_error = None;
        while let Some(done) = self.tasks.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => tracing::error!("a delivery task failed: {e}"),
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Logs what went wrong with a send that ended (its outcome is in the database).
fn log_attempt(done: Result<Result<(), StoreError>, tokio::task::JoinError>) {
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!("deliveries: sending: {e}"),
        Err(e) => tracing::error!("a delivery task failed: {e}"),
    }
}

/// The scheme, host and port of `url` (what the audit log keeps of a webhook's URL).
fn url_origin(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| String::new(), |u| u.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification (and of its reference libraries).
    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(sign("secret", "m", 1, b"{}"), Err(SecretError));
        assert_eq!(sign("whsec_!!", "m", 1, b"{}"), Err(SecretError));
    }

    #[test]
    fn secrets_are_whsec_and_32_random_bytes() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        let bytes = STANDARD.decode(a.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(bytes.len(), 32);
        assert!(sign(&a, "m", 1, b"{}").unwrap().starts_with("v1,"));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let schedule: Vec<u64> = (1..=8).map(|n| backoff(30, 600, n)).collect();
        assert_eq!(schedule, [30, 60, 120, 240, 480, 600, 600, 600]);
        assert_eq!(backoff(1, u64::MAX, 200), u64::MAX);
        assert_eq!(backoff(5, 100, 0), 5);
    }
}
