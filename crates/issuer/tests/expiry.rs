//! Expiry (issue 13) on SQLite and on PostgreSQL: the lifecycle run at chosen instants (lapse
//! at `validUntil` + grace, the 30/14/1-day reminders once each, also when two runs overlap),
//! the job lease shared by processes, and `GET /api/v1/credentials?expiring_before=…`.
//! Badges approved in the past make badges due or expired without a fake clock.

mod common;

use axum::http::StatusCode;
use common::Backend;
use hallmark_core::status::Bitstring;
use hallmark_issuer::jobs::LeasedJob;
use hallmark_issuer::service::{LifecycleRun, NewApproval, NewPartner};
use hallmark_store::{AuditEntry, AuditFilter, PageRequest};
use hallmark_testkit::Answer;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

/// The grace period of the "registered" tier in these tests, days.
const GRACE_DAYS: i64 = 30;

/// The common issuer, and the instant badges are approved relative to.
struct Harness {
    inner: common::Harness,
    /// The instant badges are approved relative to (whole seconds), the same for all.
    t0: OffsetDateTime,
}

impl std::ops::Deref for Harness {
    type Target = common::Harness;

    fn deref(&self) -> &common::Harness {
        &self.inner
    }
}

async fn harness(backend: Backend) -> Option<Harness> {
    harness_with(backend, "").await
}

/// An issuer running the demo program, its "registered" tier with a grace period of
/// [`GRACE_DAYS`], with `extra` lines of configuration.
async fn harness_with(backend: Backend, extra: &str) -> Option<Harness> {
    let program = hallmark_testkit::with_grace(
        hallmark_issuer::program::DEMO_PROGRAM,
        "registered",
        GRACE_DAYS as u32,
    );
    let inner = common::harness_with(
        backend,
        common::BASE,
        &program,
        &format!("cryptosuite = \"eddsa-jcs-2022\"\n{extra}"),
    )
    .await?;
    assert_eq!(
        inner
            .issuer
            .program()
            .tier("registered")
            .unwrap()
            .grace_days,
        30,
        "the test program"
    );
    Some(Harness {
        inner,
        t0: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
    })
}

impl Harness {
    /// A "registered" badge for a new partner `name`, approved `days_ago` days before
    /// [`Harness::t0`] (valid for 365 days): its uuid and `validUntil`.
    async fn badge(&self, name: &str, days_ago: i64) -> (String, OffsetDateTime) {
        let partner = self
            .issuer
            .create_partner(
                "test",
                &NewPartner {
                    name: name.into(),
                    url: format!("https://{}.example", name.to_lowercase()),
                    listed: false,
                    contacts: Vec::new(),
                },
            )
            .await
            .unwrap();
        let approved_at = self.t0 - Duration::days(days_ago);
        let new: NewApproval = serde_json::from_value(json!({
            "partner_id": partner.id, "tier": "registered", "role": "sales",
            "competencies": ["CLOUD-FUND"], "approver": "Jane Approver",
            "approved_at": hallmark_core::datetime::format(approved_at),
        }))
        .unwrap();
        let approved = self.issuer.approve("test", &new).await.unwrap();
        let row = approved.credential.row;
        assert!(row.message.is_some(), "badges carry a message entry");
        let until = OffsetDateTime::from_unix_timestamp(row.valid_until.unwrap()).unwrap();
        assert_eq!(until, approved_at + Duration::days(365));
        (row.id, until)
    }

    async fn audit(&self, action: &str) -> Vec<AuditEntry> {
        let filter = AuditFilter {
            action: Some(action.into()),
            ..Default::default()
        };
        self.issuer
            .store()
            .audit_log(&filter, &PageRequest::first(1000))
            .await
            .unwrap()
            .items
    }

    /// The value of badge `id`'s "message" entry in its signed, served status list.
    async fn served_message(&self, id: &str) -> u8 {
        let row = self.issuer.credential(id).await.unwrap();
        let slot = row.message.unwrap();
        let list = self.get(&format!("/status/{}", slot.list)).await;
        assert_eq!(list.status, StatusCode::OK);
        let doc: Value = serde_json::from_slice(&list.body).unwrap();
        assert!(doc["proof"].is_object(), "the list is signed");
        let encoded = doc["credentialSubject"]["encodedList"].as_str().unwrap();
        let bits = Bitstring::decode(encoded, 1 << 20).unwrap();
        bits.get(u64::from(slot.index), 3).unwrap()
    }

    /// How many outbox rows (webhook and e-mail events) of `event` name `credential`.
    async fn outbox(&self, event: &str, credential: &str) -> i64 {
        let text = "SELECT COUNT(*) AS n FROM outbox WHERE event = $1 AND credential_id = $2";
        match self.issuer.store() {
            hallmark_store::Store::Sqlite(pool) => {
                sqlx::query_scalar(&text.replace('$', "?"))
                    .bind(event)
                    .bind(credential)
                    .fetch_one(pool)
                    .await
            }
            hallmark_store::Store::Postgres(pool) => {
                sqlx::query_scalar(text)
                    .bind(event)
                    .bind(credential)
                    .fetch_one(pool)
                    .await
            }
        }
        .unwrap()
    }
}

on_both!(a_badge_lapses_at_valid_until_plus_grace_once);
async fn a_badge_lapses_at_valid_until_plus_grace_once(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    // validUntil 35 days ago: within grace for 30 days after it, then lapsed.
    let (id, until) = h.badge("Lapsing", 400).await;
    let (fresh, _) = h.badge("Fresh", 10).await;
    let lapses = until + Duration::days(GRACE_DAYS);
    assert_eq!(
        h.issuer.lapses_at(&h.issuer.credential(&id).await.unwrap()),
        Some(lapses.unix_timestamp())
    );

    // In grace up to its last second, as a badge is valid up to its validUntil.
    for at in [until, lapses - Duration::seconds(1), lapses] {
        let run = h.issuer.lifecycle(at).await.unwrap();
        assert_eq!(run.lapsed, 0, "at {at}");
    }
    assert_eq!(h.issuer.credential(&id).await.unwrap().message_status, 0);
    assert_eq!(h.served_message(&id).await, 0);

    let run = h
        .issuer
        .lifecycle(lapses + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(run.lapsed, 1);
    let row = h.issuer.credential(&id).await.unwrap();
    assert_eq!(row.message_status, 2);
    assert_eq!(row.revoked_at, None, "lapsed is not revoked");
    assert_eq!(
        h.served_message(&id).await,
        2,
        "the signed list says lapsed"
    );
    assert_eq!(h.served_message(&fresh).await, 0);
    let lapsed = h.audit("credential.lapse").await;
    assert_eq!(lapsed.len(), 1);
    assert_eq!(
        (lapsed[0].actor.as_str(), lapsed[0].subject.as_str()),
        ("system", id.as_str())
    );
    let slot = row.message.clone().unwrap();
    assert_eq!(
        lapsed[0].detail,
        json!({
            "list": slot.list, "index": slot.index, "status": 2,
            "valid_until": until.unix_timestamp(), "lapses_at": lapses.unix_timestamp(),
        })
    );
    assert!(h.audit("credential.status").await.is_empty());
    assert_eq!(
        h.outbox("credential.lapsed", &id).await,
        1,
        "the webhook event"
    );

    // Later runs, and a run at once on two tasks, lapse nothing twice.
    let run = h
        .issuer
        .lifecycle(lapses + Duration::seconds(2))
        .await
        .unwrap();
    assert_eq!(run.lapsed, 0);
    assert_eq!(h.audit("credential.lapse").await.len(), 1);
}

on_both!(two_runs_at_once_lapse_each_badge_once);
async fn two_runs_at_once_lapse_each_badge_once(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let mut ids = Vec::new();
    for name in ["Alpha", "Bravo", "Charlie"] {
        ids.push(h.badge(name, 400).await);
    }
    let at = OffsetDateTime::now_utc();
    let (a, b) = tokio::join!(h.issuer.lifecycle(at), h.issuer.lifecycle(at));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.lapsed + b.lapsed, 3, "{a:?} {b:?}");
    assert_eq!(h.audit("credential.lapse").await.len(), 3);
    for (id, _) in &ids {
        assert_eq!(h.served_message(id).await, 2);
    }
}

on_both!(reminders_come_at_30_14_and_1_days_once_each);
async fn reminders_come_at_30_14_and_1_days_once_each(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    // validUntil 65 days ahead; "Late" ends 20 days before it, and is first seen 10 days
    // before its end. The runs below are at instants before both.
    let (id, until) = h.badge("Reminded", 300).await;
    let (late, late_until) = h.badge("Late", 320).await;
    let (revoked, _) = h.badge("Revoked", 300).await;
    h.issuer
        .revoke("test", &revoked, "superseded by a renewal")
        .await
        .unwrap();
    let day = Duration::days(1);
    let run = |at| {
        let issuer = h.issuer.clone();
        async move { issuer.lifecycle(at).await.unwrap() }
    };
    let reminded = |r30, r14, r1| LifecycleRun {
        lapsed: 0,
        reminded_30: r30,
        reminded_14: r14,
        reminded_1: r1,
    };

    // A second before 30 days: only "Late", 10 days before its end, gets the 14-day one.
    assert_eq!(until - late_until, day * 20);
    assert_eq!(
        run(until - day * 30 - Duration::seconds(1)).await,
        reminded(0, 1, 0)
    );
    assert_eq!(run(until - day * 30).await, reminded(1, 0, 0));
    assert_eq!(run(until - day * 30).await, reminded(0, 0, 0), "once");
    assert_eq!(run(until - day * 29).await, reminded(0, 0, 0), "once");
    assert_eq!(
        run(late_until - Duration::hours(12)).await,
        reminded(0, 0, 1)
    );
    assert_eq!(run(until - day * 14).await, reminded(0, 1, 0));
    assert_eq!(run(until - day * 2).await, reminded(0, 0, 0));
    assert_eq!(run(until - day).await, reminded(0, 0, 1));
    assert_eq!(run(until - Duration::hours(1)).await, reminded(0, 0, 0));
    assert_eq!(run(until + Duration::seconds(1)).await, reminded(0, 0, 0));

    let days = |id: &str| {
        let store = h.issuer.store().clone();
        let id = id.to_owned();
        async move {
            store
                .reminders(&id)
                .await
                .unwrap()
                .into_iter()
                .map(|(d, _)| d)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(days(&id).await, [1, 14, 30]);
    assert_eq!(days(&late).await, [1, 14], "no late 30-day reminder");
    assert_eq!(days(&revoked).await, Vec::<i64>::new());
    let entries: Vec<AuditEntry> = h
        .audit("credential.expiring")
        .await
        .into_iter()
        .filter(|e| e.subject == id)
        .collect();
    let details: Vec<Value> = entries.iter().rev().map(|e| e.detail.clone()).collect();
    let unix = until.unix_timestamp();
    assert_eq!(
        details,
        [
            json!({"days": 30, "valid_until": unix}),
            json!({"days": 14, "valid_until": unix}),
            json!({"days": 1, "valid_until": unix}),
        ]
    );
    assert!(entries.iter().all(|e| e.actor == "system"));
}

on_both!(two_runs_at_once_remind_once);
async fn two_runs_at_once_remind_once(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let mut ids = Vec::new();
    for name in ["One", "Two", "Three", "Four"] {
        ids.push(h.badge(name, 350).await.0);
    }
    let at = OffsetDateTime::now_utc();
    let (a, b) = tokio::join!(h.issuer.lifecycle(at), h.issuer.lifecycle(at));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.reminded_30 + b.reminded_30, 4, "{a:?} {b:?}");
    assert_eq!(a.reminded_14 + b.reminded_14, 0);
    let entries = h.audit("credential.expiring").await;
    assert_eq!(entries.len(), 4);
    for id in &ids {
        assert_eq!(entries.iter().filter(|e| &e.subject == id).count(), 1);
        assert_eq!(h.issuer.store().reminders(id).await.unwrap().len(), 1);
        assert_eq!(
            h.outbox("credential.expiring", id).await,
            1,
            "the webhook event"
        );
    }
}

on_both!(one_process_holds_the_lease_until_it_expires);
async fn one_process_holds_the_lease_until_it_expires(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    h.badge("Due", 350).await;
    let period = std::time::Duration::from_secs(86_400);
    let (first, second) = (
        LeasedJob::new("lifecycle", period),
        LeasedJob::new("lifecycle", period),
    );
    assert_ne!(first.holder(), second.holder());
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let (a, b) = tokio::join!(
        first.lifecycle(&h.issuer, t),
        second.lifecycle(&h.issuer, t)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_some() != b.is_some(), "exactly one runs: {a:?} {b:?}");
    let (runner, waiter) = if a.is_some() {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert_eq!(a.or(b).unwrap().reminded_30, 1);
    let lease = h.issuer.store().job_lease("lifecycle").await.unwrap();
    // Held for the period less a minute of slack.
    let until = t.unix_timestamp() + 86_400 - 60;
    assert_eq!(
        lease,
        Some((runner.holder().to_owned(), until, t.unix_timestamp()))
    );
    let before = OffsetDateTime::from_unix_timestamp(until - 1).unwrap();
    assert_eq!(waiter.lifecycle(&h.issuer, before).await.unwrap(), None);
    assert_eq!(runner.lifecycle(&h.issuer, before).await.unwrap(), None);
    let expired = OffsetDateTime::from_unix_timestamp(until).unwrap();
    assert!(waiter
        .lifecycle(&h.issuer, expired)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        runner.lifecycle(&h.issuer, expired).await.unwrap(),
        None,
        "the other holds it now"
    );
}

on_both!(the_api_lists_badges_expiring_before_an_instant_soonest_first);
async fn the_api_lists_badges_expiring_before_an_instant_soonest_first(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let (soon, soon_until) = h.badge("Soon", 360).await;
    let (later, later_until) = h.badge("Later", 340).await;
    let (revoked, _) = h.badge("Gone", 350).await;
    let (expired, expired_until) = h.badge("Expired", 370).await;
    h.badge("Far", 10).await;
    h.issuer
        .revoke("test", &revoked, "withdrawn")
        .await
        .unwrap();
    let instant = |t: OffsetDateTime| hallmark_core::datetime::format(t);
    let uuids = |a: &Answer| -> Vec<String> {
        let v: Value = serde_json::from_slice(&a.body).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["uuid"].as_str().unwrap().to_owned())
            .collect()
    };

    let before = instant(later_until + Duration::seconds(1));
    let r = h
        .get(&format!("/api/v1/credentials?expiring_before={before}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(uuids(&r), [expired.as_str(), &soon, &later]);
    // Not yet expired: from now on.
    let now = instant(OffsetDateTime::now_utc());
    let r = h
        .get(&format!(
            "/api/v1/credentials?expiring_before={before}&expiring_after={now}"
        ))
        .await;
    assert_eq!(uuids(&r), [soon.as_str(), &later]);
    assert!(expired_until < OffsetDateTime::now_utc() && soon_until > OffsetDateTime::now_utc());
    // Before an instant: strictly.
    let r = h
        .get(&format!(
            "/api/v1/credentials?expiring_before={}",
            instant(later_until)
        ))
        .await;
    assert_eq!(uuids(&r), [expired.as_str(), &soon]);

    // Pages, one badge each, through the Link header; the filters carry over.
    let mut path = format!("/api/v1/credentials?expiring_before={before}&tier=registered&limit=1");
    let mut seen = Vec::new();
    for _ in 0..10 {
        let r = h.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        seen.extend(uuids(&r));
        let Some(link) = r.headers.get("link") else {
            break;
        };
        let link = link.to_str().unwrap();
        assert!(link.ends_with(">; rel=\"next\""), "{link}");
        path = link[1..link.find('>').unwrap()].to_owned();
        assert!(path.contains("tier=registered"), "{path}");
    }
    assert_eq!(seen, [expired.as_str(), &soon, &later]);
    let r = h
        .get(&format!(
            "/api/v1/credentials?expiring_before={before}&tier=gold"
        ))
        .await;
    assert_eq!(uuids(&r), Vec::<String>::new());

    for (query, parameter) in [
        ("expiring_before=2027-01-01", "expiring_before"),
        ("expiring_before=tomorrow", "expiring_before"),
        ("expiring_after=2027-01-01T00:00:00", "expiring_after"),
        ("state=lapsed", "state"),
        ("after=nonsense!", "after"),
    ] {
        let r = h.get(&format!("/api/v1/credentials?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text);
        assert_eq!(r.content_type, "application/problem+json");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.starts_with(&format!("{parameter}: ")), "{detail}");
    }
    // A cursor of the newest-first list is not one of the soonest-first list.
    let r = h.get("/api/v1/credentials?limit=1").await;
    let link = r.headers.get("link").unwrap().to_str().unwrap().to_owned();
    let cursor = link
        .split("after=")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    let r = h
        .get(&format!(
            "/api/v1/credentials?expiring_before={before}&after={cursor}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

on_both!(serve_runs_the_lifecycle_job_and_stops_it_on_shutdown);
async fn serve_runs_the_lifecycle_job_and_stops_it_on_shutdown(backend: Backend) {
    let Some(h) = harness_with(backend, "lifecycle_interval_seconds = 1\n").await else {
        return;
    };
    let (id, _) = h.badge("Served", 350).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hallmark_issuer::serve(h.issuer.clone(), listener, async {
        let _ = stopped.await;
    }));
    // The job's first run comes within a second of start: poll, with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while h.issuer.store().reminders(&id).await.unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no lifecycle run");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.issuer
            .store()
            .reminders(&id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.0)
            .collect::<Vec<_>>(),
        [30]
    );
    assert!(h
        .issuer
        .store()
        .job_lease("lifecycle")
        .await
        .unwrap()
        .is_some());
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(30), server)
        .await
        .expect("serve stops with its jobs")
        .unwrap()
        .unwrap();
}
