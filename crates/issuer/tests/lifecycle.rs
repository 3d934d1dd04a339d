//! A badge's life through the issuer API, on SQLite and PostgreSQL: upgrades, downgrades and
//! renewals supersede the partner's badge for the role (revoked, its public "message" set to
//! superseded, `Link: rel="successor-version"` to the new one), renewals inside and after
//! the grace period, and two approvals at once never leaving two current badges.

mod common;

use axum::http::StatusCode;
use common::{harness_with, Backend, Harness, BASE, BROWSER};
use hallmark_core::{CheckId, Outcome, Standing};
use hallmark_issuer::program::DEMO_PROGRAM;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

async fn issuer(backend: Backend) -> Option<Harness> {
    harness_with(backend, BASE, DEMO_PROGRAM, "").await
}

/// An RFC 3339 instant `days` ago.
fn days_ago(days: i64) -> String {
    hallmark_core::datetime::format(OffsetDateTime::now_utc() - Duration::days(days))
}

async fn partner(h: &Harness, name: &str) -> String {
    let r = h
        .send(
            "POST",
            "/api/v1/partners",
            &[],
            Some(json!({"name": name, "url": format!("https://{}.example", name.to_lowercase())})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

/// An approval of `tier` for the solutions role meeting the tier's full requirements.
fn approval(partner: &str, tier: &str) -> Value {
    let (competencies, exam, demo, refs): (&[&str], u8, Option<&str>, usize) = match tier {
        "silver" => (&["CLOUD-FUND", "CLOUD-ARCH"], 75, None, 1),
        "gold" => (
            &["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"],
            85,
            Some("Advanced"),
            3,
        ),
        other => panic!("no approval for {other}"),
    };
    let references: Vec<Value> = (0..refs)
        .map(|i| json!({"name": format!("Customer {i}"), "validated": true}))
        .collect();
    json!({
        "partner_id": partner, "tier": tier, "role": "solutions", "competencies": competencies,
        "exam_score": exam, "demo_level": demo, "references": references,
        "approver": "Pat Approver",
    })
}

/// Posts an approval; the answer's JSON.
async fn approve(h: &Harness, body: Value) -> (StatusCode, Value) {
    let r = h.send("POST", "/api/v1/approvals", &[], Some(body)).await;
    (r.status, r.json())
}

/// Approves and expects a badge: its uuid, its document and the whole answer.
async fn badge(h: &Harness, body: Value) -> (String, Value, Value) {
    let (status, answer) = approve(h, body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let uuid = answer["credential"]["uuid"].as_str().unwrap().to_owned();
    (uuid, answer["credential"]["document"].clone(), answer)
}

/// The partner's badges, as the admin API lists them.
async fn badges_of(h: &Harness, partner: &str) -> Vec<Value> {
    let all = h.get("/api/v1/credentials").await.json();
    let all = all.as_array().unwrap().iter();
    all.filter(|c| c["partner"] == partner).cloned().collect()
}

/// The status check's detail.
fn status_detail(report: &hallmark_core::Report) -> String {
    report.check(CheckId::Status).unwrap().detail.clone()
}

on_both!(an_upgrade_and_a_downgrade_supersede_the_badge_anyone_can_tell);
async fn an_upgrade_and_a_downgrade_supersede_the_badge_anyone_can_tell(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Northwind").await;
    let (silver, silver_doc, answer) = badge(&h, approval(&p, "silver")).await;
    assert_eq!(answer["kind"], "certification");
    assert_eq!(answer["superseded"], json!([]));
    assert!(h.verify(&silver_doc).await.verified());

    // Silver → Gold: the Gold badge verifies; the Silver one is revoked, its public message
    // "superseded", and its URL names the Gold one.
    let (gold, gold_doc, answer) = badge(&h, approval(&p, "gold")).await;
    assert_eq!(answer["kind"], "upgrade");
    assert_eq!(answer["superseded"][0]["uuid"], silver.as_str());
    let report = h.verify(&gold_doc).await;
    assert!(report.verified(), "{:#?}", report.checks);
    let report = h.verify(&silver_doc).await;
    assert!(!report.verified());
    assert_eq!(report.standing(), Standing::Revoked);
    let check = report.check(CheckId::Status).unwrap();
    assert_eq!(check.outcome, Outcome::Failed);
    assert!(check.detail.contains("REVOKED"), "{}", check.detail);
    assert!(
        check.detail.contains("message: superseded"),
        "{}",
        check.detail
    );
    let gold_url = format!("{BASE}/credentials/{gold}");
    let link = format!("<{gold_url}>; rel=\"successor-version\"");
    for accept in ["application/json", BROWSER] {
        let r = h
            .send(
                "GET",
                &format!("/credentials/{silver}"),
                &[("accept", accept)],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers.get("link").unwrap(), link.as_str(), "{accept}");
    }
    let r = h.get(&format!("/credentials/{gold}")).await;
    assert!(
        r.headers.get("link").is_none(),
        "the current badge has no successor"
    );
    // The verify page says why, publicly, and links the successor.
    let page = h.page(&format!("/credentials/{silver}")).await;
    assert!(
        page.text.contains("superseded by a newer badge"),
        "{}",
        page.text
    );
    assert!(page.text.contains(&format!("href=\"{gold_url}\"")));
    // The admin API names the successor; the private reason stays there.
    let row = h.get(&format!("/api/v1/credentials/{silver}")).await.json();
    assert_eq!(row["supersededBy"], gold_url.as_str());
    assert_eq!(row["publicMessage"], "superseded");
    assert_eq!(row["message"]["status"], "0x1");
    assert!(row["revocationReason"].as_str().unwrap().contains(&gold));
    assert!(!page
        .text
        .contains(row["revocationReason"].as_str().unwrap()));

    // Gold → Silver: a downgrade supersedes Gold likewise.
    let (silver2, silver2_doc, answer) = badge(&h, approval(&p, "silver")).await;
    assert_eq!(answer["kind"], "downgrade");
    assert_eq!(answer["superseded"][0]["uuid"], gold.as_str());
    assert!(h.verify(&silver2_doc).await.verified());
    let report = h.verify(&gold_doc).await;
    assert_eq!(report.standing(), Standing::Revoked);
    assert!(status_detail(&report).contains("message: superseded"));
    let r = h.get(&format!("/credentials/{gold}")).await;
    assert_eq!(
        r.headers.get("link").unwrap(),
        format!("<{BASE}/credentials/{silver2}>; rel=\"successor-version\"").as_str()
    );
    // One current badge for the role; every step audited.
    let current: Vec<Value> = badges_of(&h, &p)
        .await
        .into_iter()
        .filter(|c| c["revokedAt"].is_null())
        .collect();
    assert_eq!(current.len(), 1, "{current:?}");
    assert_eq!(current[0]["uuid"], silver2.as_str());
    let audit = h.get("/api/v1/audit").await.json();
    let supersessions: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "credential.supersede")
        .collect();
    assert_eq!(supersessions.len(), 2, "{audit}");
}

on_both!(a_renewal_inside_the_grace_period_meets_the_lighter_bar);
async fn a_renewal_inside_the_grace_period_meets_the_lighter_bar(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Contoso").await;
    // Gold, approved 380 days ago: expired 15 days ago, inside the 30-day grace period.
    let mut first = approval(&p, "gold");
    first["approved_at"] = json!(days_ago(380));
    let (old, old_doc, _) = badge(&h, first).await;
    assert_eq!(h.verify(&old_doc).await.standing(), Standing::Expired);
    // The renewal bar: a 72% exam, no demo, one reference (the first bar wants 80%, a demo
    // and three).
    let mut renewal = approval(&p, "gold");
    renewal["exam_score"] = json!(72);
    renewal["demo_level"] = Value::Null;
    renewal["references"] = json!([{"name": "Customer", "validated": true}]);
    // Below even the renewal bar: refused, naming it.
    let mut low = renewal.clone();
    low["exam_score"] = json!(65);
    let (status, answer) = approve(&h, low).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("below Gold Partner renewal's minimum of 70%"),
        "{answer}"
    );
    let (new, new_doc, answer) = badge(&h, renewal.clone()).await;
    assert_eq!(answer["kind"], "renewal");
    assert_eq!(answer["superseded"][0]["uuid"], old.as_str());
    assert_eq!(answer["approval"]["record"]["kind"], "renewal");
    let report = h.verify(&new_doc).await;
    assert!(report.verified(), "{:#?}", report.checks);
    // A new validity period: from now, for the tier's 365 days.
    let from = hallmark_core::datetime::parse(new_doc["validFrom"].as_str().unwrap()).unwrap();
    let until = hallmark_core::datetime::parse(new_doc["validUntil"].as_str().unwrap()).unwrap();
    assert_eq!(until - from, Duration::days(365));
    assert!((OffsetDateTime::now_utc() - from).abs() < Duration::minutes(5));
    assert!(status_detail(&h.verify(&old_doc).await).contains("message: superseded"));
    let r = h.get(&format!("/credentials/{old}")).await;
    assert_eq!(
        r.headers.get("link").unwrap(),
        format!("<{BASE}/credentials/{new}>; rel=\"successor-version\"").as_str()
    );
    // `"renewal": true` with another tier is refused.
    let mut wrong = approval(&p, "silver");
    wrong["renewal"] = json!(true);
    let (status, answer) = approve(&h, wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("nothing to renew"),
        "{answer}"
    );
}

on_both!(after_the_grace_period_the_program_refuses_or_asks_the_full_bar);
async fn after_the_grace_period_the_program_refuses_or_asks_the_full_bar(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    // Gold refuses renewals after its grace period: 400 days ago + 365 + 30 is 5 days ago.
    let p = partner(&h, "Fabrikam").await;
    let mut first = approval(&p, "gold");
    first["approved_at"] = json!(days_ago(400));
    let (old, _, _) = badge(&h, first).await;
    let mut renewal = approval(&p, "gold");
    renewal["exam_score"] = json!(72);
    renewal["demo_level"] = Value::Null;
    renewal["references"] = json!([{"name": "Customer", "validated": true}]);
    let (status, answer) = approve(&h, renewal.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let detail = answer["detail"].as_str().unwrap();
    assert!(detail.contains("grace period ended on"), "{detail}");
    assert!(detail.contains("\"renewal\": false"), "{detail}");
    // Nothing was written: the old badge is still the partner's.
    let row = h.get(&format!("/api/v1/credentials/{old}")).await.json();
    assert_eq!(row["revokedAt"], Value::Null);
    // Certifying anew asks the full bar: the renewal's record is short of it.
    renewal["renewal"] = json!(false);
    let (status, answer) = approve(&h, renewal).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["shortfalls"][0]["requirement"], "exam_score");
    let mut full = approval(&p, "gold");
    full["renewal"] = json!(false);
    let (_, _, answer) = badge(&h, full).await;
    assert_eq!(answer["kind"], "certification");
    assert_eq!(answer["superseded"][0]["uuid"], old.as_str());

    // Silver asks the full bar after its grace period (no refusal).
    let q = partner(&h, "Litware").await;
    let mut first = approval(&q, "silver");
    first["approved_at"] = json!(days_ago(400));
    badge(&h, first).await;
    let mut light = approval(&q, "silver");
    light["exam_score"] = json!(62);
    light["references"] = json!([]);
    let (status, answer) = approve(&h, light.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["shortfalls"][0]["requirement"], "exam_score");
    // …while inside the grace period the same record renews.
    let r = partner(&h, "Adatum").await;
    let mut first = approval(&r, "silver");
    first["approved_at"] = json!(days_ago(370));
    badge(&h, first).await;
    light["partner_id"] = json!(r);
    let (_, _, answer) = badge(&h, light).await;
    assert_eq!(answer["kind"], "renewal");
}

on_both!(two_approvals_at_once_leave_one_current_badge);
async fn two_approvals_at_once_leave_one_current_badge(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Tailspin").await;
    let (a, b) = tokio::join!(
        approve(&h, approval(&p, "silver")),
        approve(&h, approval(&p, "gold"))
    );
    assert_eq!(a.0, StatusCode::CREATED, "{}", a.1);
    assert_eq!(b.0, StatusCode::CREATED, "{}", b.1);
    let all = badges_of(&h, &p).await;
    assert_eq!(all.len(), 2);
    let current: Vec<&Value> = all.iter().filter(|c| c["revokedAt"].is_null()).collect();
    assert_eq!(current.len(), 1, "{all:?}");
    // The other one names it as its successor; each approval was decided on what was there
    // when it committed: the first a certification, the second an upgrade or downgrade of it.
    let old = all.iter().find(|c| !c["revokedAt"].is_null()).unwrap();
    assert_eq!(old["supersededBy"], current[0]["id"]);
    let (first, second) = if a.1["credential"]["uuid"] == old["uuid"] {
        (&a.1, &b.1)
    } else {
        (&b.1, &a.1)
    };
    assert_eq!(first["kind"], "certification", "{first}");
    assert_eq!(first["approval"]["record"]["previous"], Value::Null);
    assert!(
        ["upgrade", "downgrade"].contains(&second["kind"].as_str().unwrap()),
        "{second}"
    );
    assert_eq!(second["approval"]["record"]["previous"], old["uuid"]);
}

on_both!(a_withdrawn_badge_says_so_publicly_and_keeps_its_reason_private);
async fn a_withdrawn_badge_says_so_publicly_and_keeps_its_reason_private(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Wingtip").await;
    let (id, doc, _) = badge(&h, approval(&p, "silver")).await;
    let secret = "Contract breach found in audit 2026-11";
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{id}/revoke"),
            &[],
            Some(json!({"reason": secret})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["publicMessage"], "withdrawn");
    assert_eq!(r.json()["revocationReason"], secret);
    let report = h.verify(&doc).await;
    assert_eq!(report.standing(), Standing::Revoked);
    assert!(status_detail(&report).contains("message: withdrawn"));
    let page = h.page(&format!("/credentials/{id}")).await;
    assert!(
        page.text.contains("withdrawn by the program"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("Contract breach"));
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{id}/revoke"),
            &[],
            Some(json!({"reason": "again"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

on_both!(a_reissue_supersedes_the_badge_with_the_same_facts);
async fn a_reissue_supersedes_the_badge_with_the_same_facts(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Proseware").await;
    let mut gold = approval(&p, "gold");
    gold["approved_at"] = json!(days_ago(100));
    let (old, old_doc, _) = badge(&h, gold).await;
    let again = h.issuer.reissue("test-admin", &old).await.unwrap();
    let new_doc = &again.credential.document;
    assert_eq!(again.kind.as_str(), "reissue");
    assert_eq!(again.credential.superseded[0].id, old);
    assert_eq!(again.approval.record["reissue_of"], old.as_str());
    for field in ["validFrom", "validUntil", "credentialSubject", "issuer"] {
        let (a, b) = (&old_doc[field], &new_doc[field]);
        if field == "credentialSubject" {
            assert_eq!(a["achievement"], b["achievement"]);
            assert_eq!(a["name"], b["name"]);
        } else {
            assert_eq!(a, b, "{field}");
        }
    }
    assert_ne!(old_doc["id"], new_doc["id"]);
    assert!(h.verify(new_doc).await.verified());
    assert!(status_detail(&h.verify(&old_doc).await).contains("message: superseded"));
    // Nothing is left to re-issue from a revoked badge; through the API too.
    let e = h.issuer.reissue("test-admin", &old).await.unwrap_err();
    assert!(e.to_string().contains("is revoked"), "{e}");
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{old}/reissue"),
            &[],
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let current = again.credential.row.id.clone();
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{current}/reissue"),
            &[],
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["kind"], "reissue");
    assert_eq!(r.json()["superseded"][0]["uuid"], current.as_str());
}

on_both!(badges_that_coexist_from_before_are_superseded_on_open);
async fn badges_that_coexist_from_before_are_superseded_on_open(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Coho").await;
    let (first, first_doc, _) = badge(&h, approval(&p, "silver")).await;
    let (second, _, _) = badge(&h, approval(&p, "silver")).await;
    // As a database from before supersession has them: both current.
    h.execute(&format!(
        "UPDATE credentials SET revoked_at = NULL, revocation_reason = NULL, superseded_by = NULL, message_status = 0, issued_at = issued_at - 60 WHERE id = '{first}'"
    ))
    .await;
    assert_eq!(
        badges_of(&h, &p)
            .await
            .iter()
            .filter(|c| c["revokedAt"].is_null())
            .count(),
        2
    );
    let reopened = hallmark_issuer::Issuer::open(h.issuer.config().clone())
        .await
        .unwrap();
    let row = reopened.credential(&first).await.unwrap();
    assert_eq!(row.superseded_by.as_deref(), Some(second.as_str()));
    assert!(row.revoked_at.is_some());
    assert!(status_detail(&h.verify(&first_doc).await).contains("message: superseded"));
}

on_both!(the_tier_page_says_how_to_renew);
async fn the_tier_page_says_how_to_renew(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let tier = h.get("/program/tiers/gold").await.json();
    let requirements = &tier["requirements"];
    assert_eq!(requirements["graceDays"], 30);
    assert_eq!(requirements["minExamScore"], 80);
    assert_eq!(requirements["renewal"]["minExamScore"], 70);
    assert_eq!(requirements["renewal"]["requiredReferences"], 1);
    assert_eq!(requirements["renewal"]["minDemoLevel"], Value::Null);
    assert_eq!(requirements["renewal"]["afterGrace"], "refuse");
    let page = h.page("/program/tiers/gold").await;
    assert!(
        page.text.contains(r#"<dd id="grace">for 30 days</dd>"#),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("<dd id=\"renewal\">Requires an exam score of at least 70%"),
        "{}",
        page.text
    );
    // A tier without a lighter renewal says nothing of one.
    let registered = h.get("/program/tiers/registered").await.json();
    assert_eq!(registered["requirements"]["renewal"], Value::Null);
}

on_both!(a_reissue_keeps_a_suspension_and_the_message);
async fn a_reissue_keeps_a_suspension_and_the_message(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Paused").await;
    let (old, _, _) = badge(&h, approval(&p, "gold")).await;
    let h = &h;
    let post = |path: String, body: Value| async move {
        let r = h.send("POST", &path, &[], Some(body)).await;
        (r.status, r.json())
    };
    let (s, _) = post(format!("/api/v1/credentials/{old}/suspend"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = post(
        format!("/api/v1/credentials/{old}/status"),
        json!({"status": "0x4"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    // A new approval would lift the suspension: refused, naming the badge.
    let (s, r) = approve(h, approval(&p, "gold")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    assert!(
        r["detail"].as_str().unwrap().contains("is suspended"),
        "{r}"
    );
    // A re-issue keeps both: suspended, "under review".
    let (s, r) = post(format!("/api/v1/credentials/{old}/reissue"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let new_doc = &r["credential"]["document"];
    let new = r["credential"]["uuid"].as_str().unwrap();
    let row = h.get(&format!("/api/v1/credentials/{new}")).await.json();
    assert_eq!(row["suspended"], true, "{row}");
    assert_eq!(row["publicMessage"], "under-review", "{row}");
    let report = h.verify(new_doc).await;
    assert_eq!(report.standing(), Standing::Suspended);
    assert!(status_detail(&report).contains("message: under review"));
}

on_both!(a_badge_message_from_the_lifecycle_cannot_be_set_by_hand);
async fn a_badge_message_from_the_lifecycle_cannot_be_set_by_hand(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Handset").await;
    let (id, _, _) = badge(&h, approval(&p, "silver")).await;
    for status in ["0x1", "0x2", "0x3", "0x7"] {
        let r = h
            .send(
                "POST",
                &format!("/api/v1/credentials/{id}/status"),
                &[],
                Some(json!({"status": status})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{status}: {}",
            r.text
        );
        assert!(r.text.contains("cannot be set on a badge"), "{}", r.text);
    }
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{id}/status"),
            &[],
            Some(json!({"status": "0x4"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

on_both!(a_backdated_approval_cannot_replace_a_badge_with_an_expired_one);
async fn a_backdated_approval_cannot_replace_a_badge_with_an_expired_one(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Backdated").await;
    let (gold, _, _) = badge(&h, approval(&p, "gold")).await;
    let mut old = approval(&p, "silver");
    old["approved_at"] = json!("2001-03-01T00:00:00Z");
    let (s, r) = approve(&h, old).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(
        r["detail"]
            .as_str()
            .unwrap()
            .contains("would have expired on 2002-03-01"),
        "{r}"
    );
    let row = h.get(&format!("/api/v1/credentials/{gold}")).await.json();
    assert_eq!(row["revokedAt"], Value::Null, "the Gold badge stays");
}

on_both!(revocations_and_approvals_at_once_neither_deadlock_nor_lose_a_withdrawal);
async fn revocations_and_approvals_at_once_neither_deadlock_nor_lose_a_withdrawal(
    backend: Backend,
) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    for i in 0..6 {
        let p = partner(&h, &format!("Racer{i}")).await;
        let (silver, _, _) = badge(&h, approval(&p, "silver")).await;
        let (revoke_path, reissue_path) = (
            format!("/api/v1/credentials/{silver}/revoke"),
            format!("/api/v1/credentials/{silver}/reissue"),
        );
        let revoke = h.send(
            "POST",
            &revoke_path,
            &[],
            Some(json!({"reason": "withdrawn"})),
        );
        let reissue = h.send("POST", &reissue_path, &[], Some(json!({})));
        let (upgrade, revoked, reissued) =
            tokio::join!(approve(&h, approval(&p, "gold")), revoke, reissue);
        assert_eq!(upgrade.0, StatusCode::CREATED, "{}", upgrade.1);
        for r in [&revoked, &reissued] {
            assert!(
                [StatusCode::OK, StatusCode::CREATED, StatusCode::CONFLICT].contains(&r.status),
                "{}: {}",
                r.status,
                r.text
            );
        }
        // Whatever the order: one current badge, and it is not a re-issue of a badge that
        // was withdrawn (a withdrawal is never undone by a re-issue racing it).
        let all = badges_of(&h, &p).await;
        let current: Vec<&Value> = all.iter().filter(|c| c["revokedAt"].is_null()).collect();
        assert_eq!(current.len(), 1, "{all:?}");
        let old = all.iter().find(|c| c["uuid"] == silver.as_str()).unwrap();
        if old["publicMessage"] == "withdrawn" {
            assert_eq!(old["supersededBy"], Value::Null, "{old}");
            assert_ne!(reissued.status, StatusCode::CREATED, "{}", reissued.text);
        }
    }
}

on_both!(a_reissue_is_not_reminded_twice);
async fn a_reissue_is_not_reminded_twice(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Reminded").await;
    let (old, _, _) = badge(&h, approval(&p, "silver")).await;
    let until = h
        .issuer
        .credential(&old)
        .await
        .unwrap()
        .valid_until
        .unwrap();
    let at = OffsetDateTime::from_unix_timestamp(until - 10 * 86_400).unwrap();
    assert_eq!(h.issuer.lifecycle(at).await.unwrap().reminded_14, 1);
    let again = h.issuer.reissue("test-admin", &old).await.unwrap();
    let run = h.issuer.lifecycle(at).await.unwrap();
    assert_eq!(
        run.reminded_14, 0,
        "the re-issue keeps the validity and its reminders"
    );
    assert_eq!(again.credential.row.valid_until, Some(until));
}
