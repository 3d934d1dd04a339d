//! Monitoring (issue 15) on SQLite and PostgreSQL: applications, attempts (passed or not by
//! the tier's bar), training (and a tier that requires it), scorecards through the API and
//! imported (a refused row refuses the import, nothing written), and the "at risk" scenario
//! end to end with explicit instants: a Gold partner below the NPS floor is flagged, told by
//! webhook and e-mail, suspended after the notice period, and renewed with a passing
//! scorecard, which clears the flag.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::{Backend, Harness};
use hallmark_core::report::Standing;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_both!(
    applications_attempts_and_training_are_recorded_and_listed,
    scorecards_are_put_read_and_imported_all_or_nothing,
    a_gold_partner_below_the_nps_floor_is_flagged_told_suspended_and_lifted_by_renewal,
    a_passing_scorecard_clears_the_flag_and_reinstates_the_badge,
    a_badge_suspended_at_risk_is_not_lifted_by_a_new_certification_with_the_failing_scorecard,
    a_scorecard_of_a_quarter_not_begun_does_not_pass_a_renewal,
    a_large_scorecard_import_with_an_idempotency_key_is_not_too_large,
    an_import_of_ten_thousand_rows_is_written_and_one_more_refused,
    a_suspension_the_agency_made_after_the_flag_is_neither_replaced_nor_lifted,
    a_nul_in_a_partner_id_is_a_client_error_everywhere,
    a_badge_suspended_at_risk_that_expires_can_still_be_renewed_in_its_grace_period,
);

/// The demo program, with a Gold renewal that needs an NPS of 30 in the latest scorecard.
fn program() -> String {
    let p = hallmark_issuer::program::DEMO_PROGRAM.replacen(
        "# Staying Gold:",
        "[tiers.renewal.scorecard]\nmin_nps = 30\n\n# Staying Gold:",
        1,
    );
    assert!(
        p.contains("min_nps = 30\n\n# Staying Gold"),
        "the demo program changed"
    );
    p
}

/// An issuer that records deliveries without sending them, e-mail configured (to a port
/// nothing listens on: the e-mails are planned, not sent).
async fn harness(backend: Backend) -> Option<Harness> {
    harness_hooked(backend, 9).await
}

/// As [`harness`], webhooks allowed to `127.0.0.1:port` (plain HTTP).
async fn harness_hooked(backend: Backend, port: u16) -> Option<Harness> {
    common::harness_with(
        backend,
        common::BASE,
        &program(),
        &format!("deliveries = false\n[webhooks]\ninsecure_hosts = [\"127.0.0.1:{port}\"]\n[smtp]\nhost = \"127.0.0.1\"\nport = 9\ntls = \"none\"\nfrom = \"Acme Partners <partners@acme.example>\"\n"),
    )
    .await
}

impl Harness {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let r = self.send(method, path, &[], body).await;
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }

    async fn partner(&self, name: &str) -> String {
        let (s, p) = self
            .call(
                "POST",
                "/api/v1/partners",
                Some(json!({"name": name, "url": format!("https://{}.example", name.to_lowercase()), "contacts": [format!("ops@{}.example", name.to_lowercase())]})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        p["id"].as_str().unwrap().to_owned()
    }

    /// A Gold approval of `partner` (a renewal when it has a Gold badge): the answer.
    async fn gold(&self, partner: &str, days_ago: i64) -> (StatusCode, Value) {
        let approved_at =
            hallmark_core::datetime::format(OffsetDateTime::now_utc() - Duration::days(days_ago));
        self.call(
            "POST",
            "/api/v1/approvals",
            Some(json!({
                "partner_id": partner, "tier": "gold", "role": "solutions",
                "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"],
                "exam_score": 87, "demo_level": "Advanced", "approver": "Jane",
                "approved_at": approved_at,
                "references": [
                    {"name": "Contoso", "validated": true},
                    {"name": "Fabrikam", "validated": true},
                    {"name": "Tailspin", "validated": true}
                ]
            })),
        )
        .await
    }

    async fn scorecard(&self, partner: &str, period: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            "PUT",
            &format!("/api/v1/partners/{partner}/scorecards/{period}"),
            Some(body),
        )
        .await
    }

    async fn csv(&self, text: &str) -> (StatusCode, Value) {
        let r = self
            .send_raw(
                "POST",
                "/api/v1/scorecards",
                &[("content-type", "text/csv")],
                text.as_bytes().to_vec(),
            )
            .await;
        (r.status, serde_json::from_slice(&r.body).unwrap())
    }
}

/// How many scorecards `who` has.
async fn count(h: &Harness, who: &str) -> usize {
    let path = format!("/api/v1/partners/{who}/scorecards");
    h.call("GET", &path, None).await.1.as_array().unwrap().len()
}

/// The quarter `at` is in, `YYYY-Qn`.
fn quarter(at: OffsetDateTime) -> String {
    format!("{}-Q{}", at.year(), (u8::from(at.month()) - 1) / 3 + 1)
}

async fn applications_attempts_and_training_are_recorded_and_listed(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let p = h.partner("Northwind").await;
    let (s, app) = h
        .call(
            "POST",
            "/api/v1/applications",
            Some(json!({"partner_id": p, "tier": "gold", "role": "solutions", "applied_at": "2026-01-05T09:00:00Z"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{app}");
    assert_eq!(app["applied_at"], 1_767_603_600);
    assert_eq!(app["tier"], "gold");
    assert_eq!(app["specialization"], Value::Null);
    let app_id = app["id"].as_str().unwrap().to_owned();
    // Refused: both or neither of tier and specialization, an unknown tier, an unknown
    // partner.
    for (body, needle) in [
        (
            json!({"partner_id": p, "role": "solutions"}),
            "exactly one of tier and specialization",
        ),
        (
            json!({"partner_id": p, "tier": "diamond", "role": "solutions"}),
            "unknown tier \"diamond\"",
        ),
        (
            json!({"partner_id": "nobody", "tier": "gold", "role": "solutions"}),
            "no partner nobody",
        ),
        (
            json!({"partner_id": p, "tier": "gold", "role": "chef"}),
            "role \"chef\"",
        ),
    ] {
        let (s, e) = h.call("POST", "/api/v1/applications", Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e["detail"].as_str().unwrap().contains(needle), "{e}");
    }
    // Attempts: Gold's bar is an exam of 80% and a Proficient demo.
    let attempts = [
        (
            json!({"kind": "exam", "exam_score": 75}),
            false,
            "2026-02-01T10:00:00Z",
        ),
        (
            json!({"kind": "exam", "exam_score": 80}),
            true,
            "2026-03-01T10:00:00Z",
        ),
        (
            json!({"kind": "demo", "demo_level": "Developing"}),
            false,
            "2026-03-10T10:00:00Z",
        ),
        (
            json!({"kind": "demo", "demo_level": "Advanced"}),
            true,
            "2026-04-01T10:00:00Z",
        ),
    ];
    for (extra, passed, at) in &attempts {
        let mut body = json!({"partner_id": p, "application_id": app_id, "tier": "gold", "role": "solutions", "attempted_at": at});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, a) = h.call("POST", "/api/v1/attempts", Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        assert_eq!(a["passed"], *passed, "{a}");
    }
    for (body, needle) in [
        (
            json!({"partner_id": p, "tier": "gold", "role": "solutions", "kind": "exam", "exam_score": 90, "demo_level": "Expert"}),
            "an exam has an exam_score and no demo_level",
        ),
        (
            json!({"partner_id": p, "tier": "gold", "role": "solutions", "kind": "demo", "demo_level": "Great"}),
            "demo_level \"Great\" is not a level of the rubric",
        ),
        (
            json!({"partner_id": p, "application_id": "nope", "tier": "gold", "role": "solutions", "kind": "exam", "exam_score": 90}),
            "application nope: no such application",
        ),
        (
            json!({"partner_id": p, "application_id": app_id, "tier": "silver", "role": "solutions", "kind": "exam", "exam_score": 90}),
            "it is for another tier or specialization",
        ),
        (
            json!({"partner_id": p, "application_id": app_id, "tier": "gold", "role": "sales", "kind": "exam", "exam_score": 90}),
            "it is for another role",
        ),
    ] {
        let (s, e) = h.call("POST", "/api/v1/attempts", Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e["detail"].as_str().unwrap().contains(needle), "{e}");
    }
    let (s, list) = h
        .call("GET", &format!("/api/v1/attempts?partner={p}"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 4);
    // Newest first.
    let passed: Vec<bool> = list
        .iter()
        .map(|a| a["passed"].as_bool().unwrap())
        .collect();
    assert_eq!(passed, [true, false, true, false]);
    assert_eq!(list[0]["demo_level"], "Advanced");
    assert_eq!(list[3]["exam_score"], 75);
    // Keyset pages: three, then the last one by the Link header.
    let first = h
        .send(
            "GET",
            &format!("/api/v1/attempts?partner={p}&limit=3"),
            &[],
            None,
        )
        .await;
    assert_eq!(first.json().as_array().unwrap().len(), 3);
    let link = first.header("link").to_owned();
    let next = link
        .strip_prefix('<')
        .and_then(|l| l.split_once(">; rel=\"next\""))
        .map(|(u, _)| u.to_owned())
        .unwrap_or_else(|| panic!("a next page: {link:?}"));
    let last = h.send("GET", &next, &[], None).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.text);
    let last = last.json();
    assert_eq!(last.as_array().unwrap().len(), 1);
    assert_eq!(last[0]["exam_score"], 75);
    let (s, e) = h.call("GET", "/api/v1/risks?after=bm9wZQ", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (_, apps) = h
        .call("GET", &format!("/api/v1/applications?partner={p}"), None)
        .await;
    assert_eq!(apps.as_array().unwrap().len(), 1);
    assert_eq!(apps[0]["id"], app_id.as_str());
    let (s, e) = h.call("GET", "/api/v1/attempts?limit=0", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");

    // Training: Platinum requires two modules.
    let platinum = json!({
        "partner_id": p, "tier": "platinum", "role": "delivery",
        "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG", "OBS-SRE", "COMPLIANCE"],
        "exam_score": 95, "demo_level": "Expert", "approver": "Jane",
        "references": (0..5).map(|i| json!({"name": format!("Customer {i}"), "validated": true})).collect::<Vec<_>>(),
    });
    let (s, e) = h
        .call("POST", "/api/v1/approvals", Some(platinum.clone()))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let shortfalls = e["shortfalls"].as_array().unwrap();
    assert_eq!(shortfalls.len(), 2, "{e}");
    assert_eq!(shortfalls[0]["requirement"], "training");
    assert_eq!(
        shortfalls[0]["detail"],
        "Platinum Partner requires the training module security-ops (Cloud Security Operations)"
    );
    let training = format!("/api/v1/partners/{p}/training");
    let (s, t) = h
        .call(
            "POST",
            &training,
            Some(json!({"module": "security-ops", "completed_at": "2026-02-02T00:00:00Z"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["completed_at"], 1_769_990_400);
    let (s, e) = h
        .call("POST", &training, Some(json!({"module": "knitting"})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        e["detail"],
        "unknown module \"knitting\"; the program's modules are well-architected, security-ops, finops-foundations"
    );
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/partners/nobody/training",
            Some(json!({"module": "security-ops"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = h
        .call("POST", "/api/v1/approvals", Some(platinum.clone()))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["shortfalls"].as_array().unwrap().len(), 1, "{e}");
    assert!(e["detail"].as_str().unwrap().contains("well-architected"));
    let (s, _) = h
        .call(
            "POST",
            &training,
            Some(json!({"module": "well-architected"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, list) = h.call("GET", &training, None).await;
    assert_eq!(s, StatusCode::OK);
    let modules: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["module"].as_str().unwrap())
        .collect();
    assert_eq!(modules, ["security-ops", "well-architected"]);
    let (s, a) = h.call("POST", "/api/v1/approvals", Some(platinum)).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
}

async fn scorecards_are_put_read_and_imported_all_or_nothing(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let p = h.partner("Northwind").await;
    let q = h.partner("Contoso").await;
    let (s, _) = h.gold(&p, 10).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, card) = h
        .scorecard(
            &p,
            "2026-Q1",
            json!({"nps": 42, "win_rate": 31.5, "rework": 4}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{card}");
    assert_eq!(card["period_start"], 1_767_225_600);
    assert_eq!(card["period_end"], 1_775_001_600);
    assert_eq!(card["tier"], "gold", "the partner's tier when recorded");
    assert_eq!(card["nps"], 42.0);
    assert_eq!(card["csat"], Value::Null);
    // Again: replaced.
    let (s, card) = h.scorecard(&p, "2026-Q1", json!({"nps": 45})).await;
    assert_eq!(s, StatusCode::OK, "{card}");
    let (s, card) = h
        .call(
            "GET",
            &format!("/api/v1/partners/{p}/scorecards/2026-Q1"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (card["nps"].clone(), card["win_rate"].clone()),
        (json!(45.0), Value::Null)
    );
    for (period, body, needle) in [
        (
            "2026-Q5",
            json!({"nps": 1}),
            "period \"2026-Q5\" is not a quarter",
        ),
        (
            "2026-Q2",
            json!({"nps": 101}),
            "nps 101 is out of range: -100 to 100",
        ),
        (
            "2026-Q2",
            json!({"csat": -1}),
            "csat -1 is out of range: 0 to 100",
        ),
        (
            "2026-Q2",
            json!({}),
            "a scorecard needs at least one metric",
        ),
    ] {
        let (s, e) = h.scorecard(&p, period, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e["detail"].as_str().unwrap().contains(needle), "{e}");
    }
    let (s, e) = h.scorecard(&p, "2026-Q2", json!({"joy": 3})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _) = h.scorecard("nobody", "2026-Q2", json!({"nps": 3})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = h
        .call(
            "GET",
            &format!("/api/v1/partners/{p}/scorecards/2026-Q2"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // An import with bad rows: every one named, nothing written.
    let bad = format!(
        "partner_id,period,nps,csat\n{p},2026-Q2,50,90\n{q},2026-Q2,150,90\nnobody,2026-Q2,10,\n{q},2026-Q9,1,1\n{p},2026-Q2,51,\n"
    );
    let (s, e) = h.csv(&bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["type"], "urn:hallmark:problem:rows-refused");
    assert_eq!(
        e["rows"],
        json!([
            {"row": 2, "detail": "nps 150 is out of range: -100 to 100"},
            {"row": 3, "detail": "no partner nobody"},
            {"row": 4, "detail": "period \"2026-Q9\" is not a quarter YYYY-Qn (e.g. 2026-Q3, years 2000 to 9999)"},
            {"row": 5, "detail": format!("partner {p} and period 2026-Q2 appear earlier in this import")},
        ])
    );
    assert_eq!(
        e["detail"],
        "4 row(s) refused, nothing written; row 2: nps 150 is out of range: -100 to 100"
    );
    assert_eq!(count(&h, &p).await, 1, "nothing written");
    assert_eq!(count(&h, &q).await, 0, "nothing written");
    // An unknown column refuses the whole file.
    let (s, e) = h.csv("partner_id,period,happiness\n").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["detail"]
            .as_str()
            .unwrap()
            .contains("unknown column \"happiness\""),
        "{e}"
    );

    // A good import: created and replaced.
    let good = format!(
        "partner_id,period,nps,csat\n{p},2026-Q2,50,90\n{q},2026-Q2,-5,70\n{p},2026-Q1,47,\n"
    );
    let (s, r) = h.csv(&good).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["created"].clone(), r["replaced"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        r["rows"][2],
        json!({"row": 3, "partner_id": p, "period": "2026-Q1", "outcome": "replaced"})
    );
    let (_, cards) = h
        .call("GET", &format!("/api/v1/partners/{p}/scorecards"), None)
        .await;
    let periods: Vec<&str> = cards
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2026-Q2", "2026-Q1"], "latest first");
    assert_eq!(cards[1]["nps"], 47.0);
    assert_eq!(
        cards[1]["csat"],
        Value::Null,
        "an empty cell is not measured"
    );
    let (_, qc) = h
        .call(
            "GET",
            &format!("/api/v1/partners/{q}/scorecards/2026-Q2"),
            None,
        )
        .await;
    assert_eq!(qc["tier"], Value::Null, "Contoso has no badge");
    assert_eq!(qc["nps"], -5.0);
    // JSON works the same way.
    let r = h
        .send(
            "POST",
            "/api/v1/scorecards",
            &[],
            Some(json!([{"partner_id": q, "period": "2026-Q3", "margin": 22.5, "nrr": 110}])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["created"], 1);
    let r = h
        .send(
            "POST",
            "/api/v1/scorecards",
            &[],
            Some(json!([{"partner_id": q, "period": "2026-Q4", "nrr": 2000}, {"partner_id": q, "period": "2026-Q4", "bogus": 1}])),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let rows = r.json()["rows"].clone();
    assert_eq!(rows[0]["detail"], "nrr 2000 is out of range: 0 to 1000");
    assert!(
        rows[1]["detail"].as_str().unwrap().contains("bogus"),
        "{rows}"
    );
    assert_eq!(count(&h, &q).await, 2);
    let r = h
        .send_raw(
            "POST",
            "/api/v1/scorecards",
            &[("content-type", "text/plain")],
            b"x".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// A webhook receiver on 127.0.0.1 that keeps what it gets and answers 204.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    async fn start() -> (Self, u16) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let r = Self::default();
        let me = r.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    loop {
                        let n = socket.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                            continue;
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        if buf.len() >= end + 4 + length {
                            let body = &buf[end + 4..end + 4 + length];
                            me.got
                                .lock()
                                .unwrap()
                                .push(serde_json::from_slice(body).unwrap());
                            break;
                        }
                    }
                    let _ = socket
                        .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                        .await;
                });
            }
        });
        (r, port)
    }
}

async fn a_gold_partner_below_the_nps_floor_is_flagged_told_suspended_and_lifted_by_renewal(
    backend: Backend,
) {
    let (receiver, port) = Receiver::start().await;
    let Some(h) = harness_hooked(backend, port).await else {
        return;
    };
    let (s, w) = h
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["credential.at_risk", "credential.suspended"]})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let p = h.partner("Northwind").await;
    let (s, gold) = h.gold(&p, 30).await;
    assert_eq!(s, StatusCode::CREATED, "{gold}");
    let uuid = gold["credential"]["uuid"].as_str().unwrap().to_owned();
    let document = gold["credential"]["document"].clone();
    assert_eq!(h.verify(&document).await.standing(), Standing::Valid);

    // This quarter's scorecard: NPS 12, below Gold's floor of 20; the rest is fine.
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let period = quarter(t);
    let (s, _) = h
        .scorecard(
            &p,
            &period,
            json!({"nps": 12, "first_pass_quality": 92, "rework": 5, "csat": 88, "win_rate": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, risks) = h.call("GET", "/api/v1/risks", None).await;
    assert_eq!(risks, json!([]), "nothing flagged before the run");

    // At T: flagged once.
    let run = h.issuer.monitor(t).await.unwrap();
    assert_eq!((run.flagged, run.suspended, run.cleared), (1, 0, 0));
    assert_eq!(
        h.issuer.monitor(t).await.unwrap().flagged,
        0,
        "flagged once"
    );
    let (s, risks) = h.call("GET", "/api/v1/risks", None).await;
    assert_eq!(s, StatusCode::OK);
    let risks = risks.as_array().unwrap().clone();
    assert_eq!(risks.len(), 1);
    let notice_until = t.unix_timestamp() + 30 * 86_400;
    assert_eq!(risks[0]["credential_id"], uuid.as_str());
    assert_eq!(risks[0]["partner_id"], p.as_str());
    assert_eq!(risks[0]["period"], period.as_str());
    assert_eq!(risks[0]["flagged_at"], t.unix_timestamp());
    assert_eq!(risks[0]["notice_until"], notice_until);
    assert_eq!(
        risks[0]["missed"],
        json!([{"metric": "nps", "value": 12.0, "threshold": 20.0}])
    );
    assert_eq!(risks[0]["suspended_at"], Value::Null);

    // The notice: a webhook to the subscription, an e-mail planned to the partner's contact.
    assert_eq!(
        h.issuer.fan_out(t).await.unwrap(),
        2,
        "the issuance and the notice"
    );
    let deliveries = h.issuer.store().deliveries_of(&uuid).await.unwrap();
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    assert!(deliveries.iter().all(|d| d.event == "credential.at_risk"));
    let email = deliveries.iter().find(|d| d.email.is_some()).unwrap();
    assert_eq!(email.email.as_deref(), Some("ops@northwind.example"));
    let mail: Value = serde_json::from_str(&email.body).unwrap();
    assert_eq!(mail["subject"], "Your Gold Partner badge is at risk");
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("your scorecard for {period} is below")),
        "{text}"
    );
    assert!(text.contains("nps: 12.0 (the floor is 20.0)"), "{text}");
    let until_date = OffsetDateTime::from_unix_timestamp(notice_until)
        .unwrap()
        .date()
        .to_string();
    assert!(
        text.contains(&format!(
            "recorded by {until_date}, the badge will be suspended"
        )),
        "{text}"
    );
    h.issuer.send_due(t).await.unwrap();
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["type"], "credential.at_risk");
    assert_eq!(got[0]["data"]["id"], uuid.as_str());
    assert_eq!(got[0]["data"]["tier"], "gold");
    assert_eq!(got[0]["data"]["period"], period.as_str());
    assert_eq!(got[0]["data"]["notice_until"], notice_until);
    assert_eq!(got[0]["data"]["missed"][0]["metric"], "nps");

    // Within the notice period: nothing; at its end: suspended.
    let almost = t + Duration::days(30) - Duration::seconds(1);
    assert_eq!(h.issuer.monitor(almost).await.unwrap().suspended, 0);
    let end = t + Duration::days(30);
    let run = h.issuer.monitor(end).await.unwrap();
    assert_eq!((run.flagged, run.suspended, run.cleared), (0, 1, 0));
    assert_eq!(h.issuer.monitor(end).await.unwrap().suspended, 0, "once");
    let row = h.issuer.store().credential(&uuid).await.unwrap().unwrap();
    assert!(row.suspended);
    assert_eq!(h.verify(&document).await.standing(), Standing::Suspended);
    let (_, risks) = h.call("GET", "/api/v1/risks", None).await;
    assert_eq!(risks[0]["suspended_at"], end.unix_timestamp());
    h.issuer.fan_out(end).await.unwrap();
    h.issuer.send_due(end).await.unwrap();
    let events: Vec<Value> = receiver
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(
        events,
        [json!("credential.at_risk"), json!("credential.suspended")]
    );

    // A renewal needs Gold's renewal scorecard (NPS 30): refused on this one.
    let (s, e) = h.gold(&p, 0).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["shortfalls"][0]["requirement"], "scorecard");
    assert_eq!(
        e["shortfalls"][0]["detail"],
        format!("nps 12 in {period} is below the Gold Partner renewal's minimum of 30")
    );
    // And the flag stands while the scorecard still earns it: a new badge would not lift it.
    assert_eq!(e["shortfalls"][1]["requirement"], "scorecard");
    assert_eq!(
        e["shortfalls"][1]["detail"],
        format!("nps 12 in {period} is below Gold Partner's floor, the minimum of 20")
    );
    assert_eq!(e["shortfalls"].as_array().unwrap().len(), 2, "{e}");
    // With a passing scorecard: renewed, the suspended badge replaced, the flag cleared.
    let (s, _) = h
        .scorecard(
            &p,
            &period,
            json!({"nps": 41, "first_pass_quality": 92, "rework": 5, "csat": 88, "win_rate": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, renewed) = h.gold(&p, 0).await;
    assert_eq!(s, StatusCode::CREATED, "{renewed}");
    assert_eq!(renewed["kind"], "renewal");
    assert_eq!(renewed["superseded"][0]["uuid"], uuid.as_str());
    let new_uuid = renewed["credential"]["uuid"].as_str().unwrap();
    let (_, risks) = h.call("GET", "/api/v1/risks", None).await;
    assert_eq!(risks, json!([]), "the flag is cleared");
    assert_eq!(
        h.verify(&renewed["credential"]["document"])
            .await
            .standing(),
        Standing::Valid
    );
    assert_eq!(
        h.verify(&document).await.standing(),
        Standing::Revoked,
        "superseded"
    );
    let (_, audit) = h.call("GET", "/api/v1/audit?limit=1000", None).await;
    let cleared = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "credential.risk_cleared")
        .expect("the clearing is audited");
    assert_eq!(cleared["subject"], uuid.as_str());
    assert_eq!(
        cleared["detail"]["cleared_by"],
        format!("renewal:{new_uuid}")
    );
    // The new badge is watched from now on, and passes.
    let run = h.issuer.monitor(end).await.unwrap();
    assert_eq!((run.flagged, run.suspended, run.cleared), (0, 0, 0));
}

async fn a_passing_scorecard_clears_the_flag_and_reinstates_the_badge(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let p = h.partner("Fabrikam").await;
    let (s, gold) = h.gold(&p, 30).await;
    assert_eq!(s, StatusCode::CREATED);
    let uuid = gold["credential"]["uuid"].as_str().unwrap().to_owned();
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let period = quarter(t);
    // Rework is a ceiling: 25% is above Gold's 15%.
    h.scorecard(&p, &period, json!({"rework": 25})).await;
    assert_eq!(h.issuer.monitor(t).await.unwrap().flagged, 1);
    let end = t + Duration::days(30);
    assert_eq!(h.issuer.monitor(end).await.unwrap().suspended, 1);
    assert!(
        h.issuer
            .store()
            .credential(&uuid)
            .await
            .unwrap()
            .unwrap()
            .suspended
    );
    // A better scorecard: the next run clears the flag and lifts the suspension.
    h.scorecard(&p, &period, json!({"rework": 9})).await;
    let run = h.issuer.monitor(end).await.unwrap();
    assert_eq!((run.flagged, run.suspended, run.cleared), (0, 0, 1));
    assert!(
        !h.issuer
            .store()
            .credential(&uuid)
            .await
            .unwrap()
            .unwrap()
            .suspended
    );
    assert_eq!(
        h.verify(&gold["credential"]["document"]).await.standing(),
        Standing::Valid
    );
    let (_, risks) = h
        .call("GET", &format!("/api/v1/risks?partner={p}"), None)
        .await;
    assert_eq!(risks, json!([]));
    // Flagged again; then the badge expires: it is no longer watched, the flag is cleared.
    h.scorecard(&p, &period, json!({"rework": 30})).await;
    assert_eq!(h.issuer.monitor(end).await.unwrap().flagged, 1);
    let (_, risks) = h
        .call("GET", &format!("/api/v1/risks?partner={p}"), None)
        .await;
    assert_eq!(risks.as_array().unwrap().len(), 1);
    let valid_until = h
        .issuer
        .store()
        .credential(&uuid)
        .await
        .unwrap()
        .unwrap()
        .valid_until;
    let after = OffsetDateTime::from_unix_timestamp(valid_until.unwrap() + 1).unwrap();
    let run = h.issuer.monitor(after).await.unwrap();
    assert_eq!((run.flagged, run.suspended, run.cleared), (0, 0, 0));
    let (_, risks) = h
        .call("GET", &format!("/api/v1/risks?partner={p}"), None)
        .await;
    assert_eq!(risks, json!([]), "an expired badge's flag is cleared");
}

/// Attack: the flag suspended a Gold badge; a new certification (`"renewal": false`, the
/// full bar but no scorecard check) must not replace it while the latest scorecard still
/// misses the floors, or the suspension is lifted without a passing scorecard.
async fn a_badge_suspended_at_risk_is_not_lifted_by_a_new_certification_with_the_failing_scorecard(
    backend: Backend,
) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let p = h.partner("Litware").await;
    let (s, gold) = h.gold(&p, 30).await;
    assert_eq!(s, StatusCode::CREATED, "{gold}");
    let uuid = gold["credential"]["uuid"].as_str().unwrap().to_owned();
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let period = quarter(t);
    let (s, _) = h
        .scorecard(&p, &period, json!({"nps": 12, "csat": 88}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h.issuer.monitor(t).await.unwrap().flagged, 1);
    let end = t + Duration::days(30);
    assert_eq!(h.issuer.monitor(end).await.unwrap().suspended, 1);
    assert!(
        h.issuer
            .store()
            .credential(&uuid)
            .await
            .unwrap()
            .unwrap()
            .suspended
    );

    let approved_at = hallmark_core::datetime::format(OffsetDateTime::now_utc());
    let (s, e) = h
        .call(
            "POST",
            "/api/v1/approvals",
            Some(json!({
                "partner_id": p, "tier": "gold", "role": "solutions", "renewal": false,
                "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"],
                "exam_score": 87, "demo_level": "Advanced", "approver": "Jane",
                "approved_at": approved_at,
                "references": [
                    {"name": "Contoso", "validated": true},
                    {"name": "Fabrikam", "validated": true},
                    {"name": "Tailspin", "validated": true}
                ]
            })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["shortfalls"][0]["requirement"], "scorecard", "{e}");
    assert!(
        h.issuer
            .store()
            .credential(&uuid)
            .await
            .unwrap()
            .unwrap()
            .suspended
    );
    let (_, risks) = h.call("GET", "/api/v1/risks", None).await;
    assert_eq!(risks.as_array().unwrap().len(), 1, "the flag stays open");
}

/// Attack: monitoring reads the latest scorecard among those begun by the instant, so a
/// scorecard of a future quarter (a typo, 2099-Q1 for 2026-Q1) must not be the one a renewal
/// reads either, or it lifts a suspension the flag keeps for the real quarter.
async fn a_scorecard_of_a_quarter_not_begun_does_not_pass_a_renewal(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let p = h.partner("Proseware").await;
    let (s, gold) = h.gold(&p, 30).await;
    assert_eq!(s, StatusCode::CREATED, "{gold}");
    let uuid = gold["credential"]["uuid"].as_str().unwrap().to_owned();
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let period = quarter(t);
    let (s, _) = h.scorecard(&p, &period, json!({"nps": 12})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h.issuer.monitor(t).await.unwrap().flagged, 1);
    let end = t + Duration::days(30);
    assert_eq!(h.issuer.monitor(end).await.unwrap().suspended, 1);
    // A passing scorecard, but of a quarter far ahead: monitoring does not read it ...
    let (s, _) = h.scorecard(&p, "2099-Q1", json!({"nps": 90})).await;
    assert_eq!(s, StatusCode::CREATED);
    let run = h.issuer.monitor(end).await.unwrap();
    assert_eq!(run.cleared, 0);
    // ... nor does a renewal.
    let (s, e) = h.gold(&p, 0).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["shortfalls"][0]["requirement"], "scorecard", "{e}");
    assert!(
        e["shortfalls"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("nps 12 in {period}")),
        "{e}"
    );
    assert!(
        h.issuer
            .store()
            .credential(&uuid)
            .await
            .unwrap()
            .unwrap()
            .suspended
    );
}

/// Attack: the import takes up to the bulk size (4 MiB), not the 64 KiB of other requests;
/// with an Idempotency-Key (the middleware reads the body first) it must take as much.
async fn a_large_scorecard_import_with_an_idempotency_key_is_not_too_large(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let p = h.partner("Wingtip").await;
    let mut csv = String::from("partner_id,period,nps,csat\n");
    for year in 2000..2500 {
        for q in 1..=4 {
            csv.push_str(&format!("{p},{year}-Q{q},40,90\n"));
        }
    }
    assert!(csv.len() > 64 * 1024, "{}", csv.len());
    let send = || {
        h.send_raw(
            "POST",
            "/api/v1/scorecards",
            &[
                ("content-type", "text/csv"),
                ("idempotency-key", "import-1"),
            ],
            csv.clone().into_bytes(),
        )
    };
    let r = send().await;
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(r.status, StatusCode::OK, "{body}");
    assert_eq!(body["created"], 2000);
    let again = send().await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.body, r.body);
}

/// Attack: the largest import (10,000 rows) is written within the request's time, and one
/// row more is refused whole, nothing written.
async fn an_import_of_ten_thousand_rows_is_written_and_one_more_refused(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let p = h.partner("Relecloud").await;
    let mut csv = String::from("partner_id,period,nps\n");
    for year in 2000..4500 {
        for q in 1..=4 {
            csv.push_str(&format!("{p},{year}-Q{q},40\n"));
        }
    }
    let over = format!("{csv}{p},4500-Q1,40\n");
    let (s, e) = h.csv(&over).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["detail"], "import: at most 10000 rows an import");
    assert_eq!(count(&h, &p).await, 0);
    let started = std::time::Instant::now();
    let (s, done) = h.csv(&csv).await;
    eprintln!("10,000 rows: {:?}", started.elapsed());
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["created"], 10_000);
}

/// Attack: the flag suspended a badge; the agency reinstated it by hand, then suspended it
/// again for its own reasons. That suspension is the agency's: a renewal must not replace
/// the badge, and a passing scorecard must not reinstate it.
async fn a_suspension_the_agency_made_after_the_flag_is_neither_replaced_nor_lifted(
    backend: Backend,
) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let p = h.partner("Adatum").await;
    let (s, gold) = h.gold(&p, 30).await;
    assert_eq!(s, StatusCode::CREATED, "{gold}");
    let uuid = gold["credential"]["uuid"].as_str().unwrap().to_owned();
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let period = quarter(t);
    let (s, _) = h.scorecard(&p, &period, json!({"nps": 12})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h.issuer.monitor(t).await.unwrap().flagged, 1);
    let end = t + Duration::days(30);
    assert_eq!(h.issuer.monitor(end).await.unwrap().suspended, 1);
    for action in ["reinstate", "suspend"] {
        let (s, e) = h
            .call(
                "POST",
                &format!("/api/v1/credentials/{uuid}/{action}"),
                Some(json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{action}: {e}");
    }
    // A passing scorecard clears the flag but leaves the agency's suspension.
    let (s, _) = h.scorecard(&p, &period, json!({"nps": 41})).await;
    assert_eq!(s, StatusCode::OK);
    let run = h.issuer.monitor(end).await.unwrap();
    assert_eq!(run.cleared, 1);
    assert!(
        h.issuer
            .store()
            .credential(&uuid)
            .await
            .unwrap()
            .unwrap()
            .suspended,
        "the agency's suspension stands"
    );
    // And a renewal does not replace the badge the agency suspended.
    let (s, e) = h.gold(&p, 0).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
}

/// Attack: PostgreSQL refuses a NUL in text; a partner id with one (body, query, path,
/// import row) is a client error, never a 500.
async fn a_nul_in_a_partner_id_is_a_client_error_everywhere(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let bad = "a\u{0}b";
    let p = h.partner("Nod").await;
    let cases: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            "/api/v1/applications".into(),
            Some(json!({"partner_id": bad, "tier": "gold", "role": "solutions"})),
        ),
        (
            "POST",
            "/api/v1/attempts".into(),
            Some(
                json!({"partner_id": bad, "tier": "gold", "role": "solutions", "kind": "exam", "exam_score": 90}),
            ),
        ),
        (
            "POST",
            "/api/v1/attempts".into(),
            Some(
                json!({"partner_id": p, "application_id": bad, "tier": "gold", "role": "solutions", "kind": "exam", "exam_score": 90}),
            ),
        ),
        (
            "POST",
            "/api/v1/approvals".into(),
            Some(
                json!({"partner_id": bad, "specialization": "data-migration", "role": "solutions", "approver": "Jane"}),
            ),
        ),
        ("GET", "/program/specializations/a%00b".into(), None),
        (
            "GET",
            "/program/specializations/a%00b/image.svg".into(),
            None,
        ),
        ("GET", "/api/v1/applications?partner=a%00b".into(), None),
        ("GET", "/api/v1/attempts?partner=a%00b".into(), None),
        ("GET", "/api/v1/risks?partner=a%00b".into(), None),
        ("GET", "/api/v1/partners/a%00b/scorecards".into(), None),
        (
            "GET",
            "/api/v1/partners/a%00b/scorecards/2026-Q1".into(),
            None,
        ),
        (
            "PUT",
            "/api/v1/partners/a%00b/scorecards/2026-Q1".into(),
            Some(json!({"nps": 1})),
        ),
        ("GET", "/api/v1/partners/a%00b/training".into(), None),
        (
            "POST",
            "/api/v1/scorecards".into(),
            Some(json!([{"partner_id": bad, "period": "2026-Q1", "nps": 1}])),
        ),
    ];
    for (method, path, body) in cases {
        let (s, e) = h.call(method, &path, body).await;
        assert!(s.is_client_error(), "{method} {path}: {s} {e}");
    }
}

/// Attack: the flag suspended a Gold badge, which then expired (its flag cleared as
/// "expired"); a renewal in the grace period with a passing scorecard must still replace it
/// (the suspension was the system's), not be refused as the agency's suspension forever.
async fn a_badge_suspended_at_risk_that_expires_can_still_be_renewed_in_its_grace_period(
    backend: Backend,
) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let p = h.partner("Coho").await;
    // Approved 330 days ago: expires in 35 days.
    let (s, gold) = h.gold(&p, 330).await;
    assert_eq!(s, StatusCode::CREATED, "{gold}");
    let uuid = gold["credential"]["uuid"].as_str().unwrap().to_owned();
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let period = quarter(t);
    let (s, _) = h.scorecard(&p, &period, json!({"nps": 12})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h.issuer.monitor(t).await.unwrap().flagged, 1);
    assert_eq!(
        h.issuer
            .monitor(t + Duration::days(30))
            .await
            .unwrap()
            .suspended,
        1
    );
    // Past its validUntil: no longer watched, its flag cleared.
    h.issuer.monitor(t + Duration::days(36)).await.unwrap();
    let (_, risks) = h.call("GET", "/api/v1/risks", None).await;
    assert_eq!(risks, json!([]));
    // A passing scorecard, then the renewal replaces the badge the system suspended.
    let (s, _) = h.scorecard(&p, &period, json!({"nps": 41})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, renewed) = h.gold(&p, 0).await;
    assert_eq!(s, StatusCode::CREATED, "{renewed}");
    assert_eq!(renewed["superseded"][0]["uuid"], uuid.as_str());
}
