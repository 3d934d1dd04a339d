//! Advanced specializations (issue 15) through the issuer API, on SQLite and PostgreSQL: a
//! specialization badge issued beside the tier badge (both current), verified as its own
//! OB 3.0 achievement (`achievementType` Certification, its own competencies and results),
//! refused without its `min_tier` or a competency (each shortfall named), renewed on its own
//! (the old specialization badge superseded, the tier badge untouched, and the other way
//! round), and lapsed after its own grace period.

mod common;

use axum::http::StatusCode;
use common::{harness_with, Backend, Harness, BASE, BROWSER};
use hallmark_core::{CheckId, Standing};
use hallmark_issuer::program::DEMO_PROGRAM;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

/// The demo program's Data Migration Specialist: min_tier silver, 730 days, 60 days' grace.
const SPECIALIZATION: &str = "data-migration";

async fn issuer(backend: Backend) -> Option<Harness> {
    harness_with(backend, BASE, DEMO_PROGRAM, "").await
}

/// An RFC 3339 instant `days` before `at`.
fn before(at: OffsetDateTime, days: i64) -> String {
    hallmark_core::datetime::format(at - Duration::days(days))
}

async fn partner(h: &Harness, name: &str) -> String {
    let r = h
        .send(
            "POST",
            "/api/v1/partners",
            &[],
            Some(json!({"name": name, "url": format!("https://{}.example", name.to_lowercase()), "listed": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

/// `n` validated references.
fn references(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"name": format!("Customer {i}"), "validated": true}))
        .collect()
}

/// An approval of `tier` for the solutions role meeting its full requirements.
fn tier_approval(partner: &str, tier: &str) -> Value {
    let (competencies, exam, refs): (&[&str], u8, usize) = match tier {
        "registered" => (&["CLOUD-FUND"], 50, 0),
        "silver" => (&["CLOUD-FUND", "CLOUD-ARCH"], 75, 1),
        other => panic!("no approval for {other}"),
    };
    json!({
        "partner_id": partner, "tier": tier, "role": "solutions", "competencies": competencies,
        "exam_score": exam, "references": references(refs), "approver": "Pat Approver",
    })
}

/// An approval of the Data Migration Specialist for the solutions role meeting its full
/// requirements (DATA-MIG and CLOUD-ARCH, 75%, Proficient, two references).
fn specialization_approval(partner: &str) -> Value {
    json!({
        "partner_id": partner, "specialization": SPECIALIZATION, "role": "solutions",
        "competencies": ["DATA-MIG", "CLOUD-ARCH"], "exam_score": 82, "demo_level": "Advanced",
        "references": references(2), "approver": "Pat Approver",
    })
}

/// Posts an approval; the answer's status and JSON.
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

/// A credential as the admin API shows it.
async fn admin(h: &Harness, uuid: &str) -> Value {
    let r = h.get(&format!("/api/v1/credentials/{uuid}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

/// The requirements a refused approval's problem names.
fn requirements(problem: &Value) -> Vec<String> {
    problem["shortfalls"]
        .as_array()
        .unwrap_or_else(|| panic!("no shortfalls in {problem}"))
        .iter()
        .map(|s| s["requirement"].as_str().unwrap().to_owned())
        .collect()
}

on_both!(a_specialization_badge_is_issued_beside_the_tier_badge_and_verifies);
async fn a_specialization_badge_is_issued_beside_the_tier_badge_and_verifies(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Northwind").await;
    let (silver, silver_doc, _) = badge(&h, tier_approval(&p, "silver")).await;
    let (special, doc, answer) = badge(&h, specialization_approval(&p)).await;
    // A first certification of the specialization: nothing superseded, the tier badge kept.
    assert_eq!(answer["kind"], "certification");
    assert_eq!(answer["superseded"], json!([]));
    assert_eq!(answer["approval"]["tier"], SPECIALIZATION);
    assert_eq!(
        answer["approval"]["record"]["specialization"],
        SPECIALIZATION
    );

    // Both current: the listing shows each, the specialization badge with no tier.
    let active = h
        .get(&format!("/api/v1/credentials?partner={p}&state=active"))
        .await
        .json();
    let mut listed: Vec<(Value, Value)> = active
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["tier"].clone(), c["specialization"].clone()))
        .collect();
    listed.sort_by_key(|(t, _)| t.to_string());
    assert_eq!(
        listed,
        vec![
            (json!("silver"), Value::Null),
            (Value::Null, json!(SPECIALIZATION))
        ]
    );
    let only = h
        .get(&format!(
            "/api/v1/credentials?specialization={SPECIALIZATION}"
        ))
        .await
        .json();
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(only[0]["uuid"], special.as_str());
    assert!(h.verify(&silver_doc).await.verified());
    assert_eq!(admin(&h, &silver).await["revokedAt"], Value::Null);

    // Its own achievement: a Certification at the specialization's URL, its competencies as
    // alignments, its exam and demo results against its own minimums.
    let report = h.verify(&doc).await;
    assert!(report.verified(), "{:#?}", report.checks);
    assert_eq!(report.standing(), Standing::Valid);
    let subject = &doc["credentialSubject"];
    let achievement = &subject["achievement"];
    assert_eq!(achievement["achievementType"], "Certification");
    assert_eq!(
        achievement["id"],
        format!("{BASE}/program/specializations/{SPECIALIZATION}")
    );
    assert_eq!(achievement["name"], "Data Migration Specialist");
    let codes: Vec<&str> = achievement["alignment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["targetCode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["DATA-MIG", "CLOUD-ARCH"]);
    let narrative = achievement["criteria"]["narrative"].as_str().unwrap();
    assert_eq!(
        narrative,
        "Requires an exam score of at least 75%, a live demo rated Proficient or better, 2 validated customer reference(s), the competencies Data migration at scale, Cloud solution architecture; renewed every 730 days."
    );
    let exam = &achievement["resultDescription"][0];
    assert_eq!(exam["requiredValue"], "75");
    assert_eq!(subject["result"][0]["value"], "82");
    assert_eq!(subject["role"], "solutions");
    assert_eq!(doc["name"], "Data Migration Specialist — Solutions");
    let until = hallmark_core::datetime::parse(doc["validUntil"].as_str().unwrap()).unwrap();
    let from = hallmark_core::datetime::parse(doc["validFrom"].as_str().unwrap()).unwrap();
    assert_eq!(until - from, Duration::days(730));
    // The competencies are indexed for the badge too (the directory's filter).
    let summary = report.summary.as_ref().unwrap();
    assert_eq!(
        summary.tier.as_ref().unwrap().name.as_deref(),
        Some("Data Migration Specialist")
    );

    // The badge page names it.
    let page = h
        .send(
            "GET",
            &format!("/credentials/{special}"),
            &[("accept", BROWSER)],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Data Migration Specialist"),
        "{}",
        page.text
    );
    assert!(page.text.contains(&format!(
        "{BASE}/program/specializations/{SPECIALIZATION}/image.png"
    )));

    // Its achievement and image resolve: the specialization's page, as JSON and HTML.
    let path = |url: &Value| url.as_str().unwrap().strip_prefix(BASE).unwrap().to_owned();
    let r = h
        .send(
            "GET",
            &path(&achievement["id"]),
            &[("accept", "application/json")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let page = r.json();
    assert_eq!(page["id"], achievement["id"]);
    assert_eq!(page["achievementType"], "Certification");
    assert_eq!(page["criteria"]["narrative"], narrative);
    assert_eq!(page["minTier"], "silver");
    assert_eq!(page["roles"], json!(["solutions", "delivery"]));
    assert_eq!(page["requirements"]["graceDays"], 60);
    let html = h.page(&path(&achievement["id"])).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.text.contains("Data Migration Specialist"));
    assert!(html
        .text
        .contains(r#"<dd id="min-tier"><a href="/program/tiers/silver">Silver Partner</a></dd>"#));
    assert!(html
        .text
        .contains(r#"<dd id="open-to">Solutions, Delivery</dd>"#));
    let image = h.get(&path(&achievement["image"]["id"])).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.content_type, "image/png");
    let svg = h
        .get(&format!(
            "/program/specializations/{SPECIALIZATION}/image.svg"
        ))
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.text.contains("Data Migration Specialist"));
    let r = h
        .get(&path(&achievement["resultDescription"][0]["id"]))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        h.get("/program/specializations/quantum").await.status,
        StatusCode::NOT_FOUND
    );
    // The program lists its specializations.
    let program = h
        .send("GET", "/program", &[("accept", "application/json")], None)
        .await
        .json();
    assert_eq!(
        program["program"]["specializations"][0],
        json!({"id": achievement["id"], "name": "Data Migration Specialist", "minTier": "silver", "roles": ["solutions", "delivery"]})
    );
    let html = h.page("/program").await;
    assert!(html.text.contains(
        r#"<a href="/program/specializations/data-migration">Data Migration Specialist</a>"#
    ));

    // The directory lists both badges, the specialization's linked to its page.
    let r = h
        .send("GET", "/directory", &[("accept", "application/json")], None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut listed: Vec<(String, Value, bool)> = r.json()["items"][0]["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let t = &b["tier"];
            (
                t["name"].as_str().unwrap().to_owned(),
                t["id"].clone(),
                b["specialization"] == true,
            )
        })
        .collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        listed,
        [
            (
                "Data Migration Specialist".to_owned(),
                achievement["id"].clone(),
                true
            ),
            (
                "Silver Partner".to_owned(),
                json!(format!("{BASE}/program/tiers/silver")),
                false
            ),
        ]
    );
    let baked = h.get(&format!("/badges/{special}/baked.svg")).await;
    assert_eq!(baked.status, StatusCode::OK);
    assert!(baked.text.contains("Data Migration Specialist"));
}

on_both!(a_specialization_is_refused_without_its_min_tier_or_a_competency);
async fn a_specialization_is_refused_without_its_min_tier_or_a_competency(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    // No tier badge at all.
    let p = partner(&h, "Contoso").await;
    let (status, problem) = approve(&h, specialization_approval(&p)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(requirements(&problem), ["min_tier"]);
    assert_eq!(
        problem["shortfalls"][0]["detail"],
        "Data Migration Specialist requires an active Silver Partner badge (or higher) for the role solutions; it holds no tier badge for the role"
    );

    // A Registered badge is below Silver; and without CLOUD-ARCH both shortfalls are named.
    badge(&h, tier_approval(&p, "registered")).await;
    let mut body = specialization_approval(&p);
    body["competencies"] = json!(["DATA-MIG"]);
    let (status, problem) = approve(&h, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(requirements(&problem), ["required_competency", "min_tier"]);
    assert_eq!(
        problem["shortfalls"][0]["detail"],
        "Data Migration Specialist requires the competency CLOUD-ARCH (Cloud solution architecture)"
    );
    assert_eq!(
        problem["shortfalls"][1]["detail"],
        "Data Migration Specialist requires an active Silver Partner badge (or higher) for the role solutions; its badge for the role is Registered Partner"
    );

    // Silver, but the competency still missing: that shortfall alone.
    badge(&h, tier_approval(&p, "silver")).await;
    let mut body = specialization_approval(&p);
    body["competencies"] = json!(["DATA-MIG"]);
    let (status, problem) = approve(&h, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(requirements(&problem), ["required_competency"]);

    // A suspended tier badge is not in force.
    let silver = h
        .get(&format!("/api/v1/credentials?partner={p}&state=active"))
        .await
        .json()[0]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{silver}/suspend"),
            &[],
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (status, problem) = approve(&h, specialization_approval(&p)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(requirements(&problem), ["min_tier"]);
    assert!(problem["shortfalls"][0]["detail"]
        .as_str()
        .unwrap()
        .ends_with("its tier badge for the role is not in force"));

    // A role it is not open to, an unknown one, a tier named too.
    let mut body = specialization_approval(&p);
    body["role"] = json!("sales");
    let (status, problem) = approve(&h, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(requirements(&problem), ["role"]);
    assert_eq!(
        problem["shortfalls"][0]["detail"],
        "Data Migration Specialist is open to the roles solutions, delivery, not \"sales\""
    );
    let mut body = specialization_approval(&p);
    body["specialization"] = json!("quantum");
    let (status, problem) = approve(&h, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(requirements(&problem), ["specialization"]);
    assert_eq!(
        problem["shortfalls"][0]["detail"],
        "unknown specialization \"quantum\"; the program's specializations are data-migration, security-compliance"
    );
    let mut body = specialization_approval(&p);
    body["tier"] = json!("silver");
    let (status, problem) = approve(&h, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(requirements(&problem), ["tier"]);

    // Neither a tier nor a specialization.
    let mut body = specialization_approval(&p);
    body.as_object_mut().unwrap().remove("specialization");
    let (status, problem) = approve(&h, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["shortfalls"][0]["detail"],
        "an approval names a tier (registered, silver, gold, platinum) or a specialization (data-migration, security-compliance)"
    );

    // Bulk approvals issue tier badges only: a row naming a specialization is refused alone.
    let mut row = specialization_approval(&p);
    row["tier"] = json!("");
    let bulk = json!([row, {"partner_name": "Fabrikam", "partner_url": "https://fabrikam.example",
        "tier": "registered", "role": "sales", "competencies": ["CLOUD-FUND"], "approver": "Pat"}]);
    let r = h
        .send("POST", "/api/v1/approvals/bulk", &[], Some(bulk))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let results = r.json();
    let results = results["results"].as_array().unwrap();
    assert_eq!(results[0]["status"], "refused", "{results:?}");
    assert_eq!(
        results[0]["problems"][0]["detail"],
        "specialization: bulk approvals issue tier badges only; approve a specialization with POST /api/v1/approvals"
    );
    assert_eq!(results[1]["status"], "issued", "{results:?}");
    // Nothing was issued for the specialization.
    let none = h
        .get(&format!(
            "/api/v1/credentials?specialization={SPECIALIZATION}"
        ))
        .await
        .json();
    assert_eq!(none, json!([]));
}

on_both!(renewals_supersede_within_the_specialization_or_the_tier_only);
async fn renewals_supersede_within_the_specialization_or_the_tier_only(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let p = partner(&h, "Fabrikam").await;
    let (silver, silver_doc, _) = badge(&h, tier_approval(&p, "silver")).await;
    let (first, first_doc, _) = badge(&h, specialization_approval(&p)).await;

    // Renewed (within its grace: the renewal bar, 70% and one reference): the old
    // specialization badge is superseded, the tier badge untouched.
    let mut renewal = specialization_approval(&p);
    renewal["exam_score"] = json!(71);
    renewal["demo_level"] = Value::Null;
    renewal["references"] = json!(references(1));
    let (second, second_doc, answer) = badge(&h, renewal.clone()).await;
    assert_eq!(answer["kind"], "renewal");
    assert_eq!(
        answer["superseded"],
        json!([{"id": format!("{BASE}/credentials/{first}"), "uuid": first, "tier": null, "specialization": SPECIALIZATION}])
    );
    let old = admin(&h, &first).await;
    assert_eq!(old["publicMessage"], "superseded");
    assert_eq!(old["supersededBy"], format!("{BASE}/credentials/{second}"));
    assert!(old["revokedAt"].is_i64());
    let report = h.verify(&first_doc).await;
    assert_eq!(report.standing(), Standing::Revoked);
    let detail = &report.check(CheckId::Status).unwrap().detail;
    assert!(detail.contains("message: superseded"), "{detail}");
    assert!(h.verify(&second_doc).await.verified());
    let tier = admin(&h, &silver).await;
    assert_eq!(
        (
            &tier["revokedAt"],
            &tier["supersededBy"],
            &tier["publicMessage"]
        ),
        (&Value::Null, &Value::Null, &json!("active"))
    );
    assert!(h.verify(&silver_doc).await.verified());

    // The tier renewed: its old badge superseded, the specialization badge untouched.
    let mut tier_renewal = tier_approval(&p, "silver");
    tier_renewal["exam_score"] = json!(65);
    let (silver2, _, answer) = badge(&h, tier_renewal).await;
    assert_eq!(answer["kind"], "renewal");
    let superseded: Vec<&str> = answer["superseded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(superseded, [silver.as_str()]);
    let current = admin(&h, &second).await;
    assert_eq!(
        (
            &current["revokedAt"],
            &current["supersededBy"],
            &current["publicMessage"]
        ),
        (&Value::Null, &Value::Null, &json!("active"))
    );
    assert!(h.verify(&second_doc).await.verified());

    // Exactly one current badge of each: the new tier badge and the renewed specialization.
    let active = h
        .get(&format!("/api/v1/credentials?partner={p}&state=active"))
        .await
        .json();
    let mut ids: Vec<&str> = active
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["uuid"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want = [silver2.as_str(), second.as_str()];
    want.sort_unstable();
    assert_eq!(ids, want);

    // Re-issued with the current key: the specialization badge replaced by one of the same
    // specialization, the tier badge untouched.
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{second}/reissue"),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let reissued = r.json();
    assert_eq!(reissued["kind"], "reissue");
    let third = reissued["credential"]["uuid"].as_str().unwrap().to_owned();
    let third_doc = &reissued["credential"]["document"];
    assert_eq!(
        third_doc["credentialSubject"]["achievement"]["id"],
        format!("{BASE}/program/specializations/{SPECIALIZATION}")
    );
    assert_eq!(third_doc["validUntil"], second_doc["validUntil"]);
    assert!(h.verify(third_doc).await.verified());
    let row = admin(&h, &third).await;
    assert_eq!(
        (&row["tier"], &row["specialization"]),
        (&Value::Null, &json!(SPECIALIZATION))
    );
    assert_eq!(admin(&h, &second).await["publicMessage"], "superseded");
    assert_eq!(admin(&h, &silver2).await["publicMessage"], "active");

    // "renewal": true for a specialization the partner does not hold (for the role).
    let mut other = renewal;
    other["role"] = json!("delivery");
    other["renewal"] = json!(true);
    let (status, problem) = approve(&h, other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

on_both!(a_specialization_badge_lapses_after_its_own_grace_period);
async fn a_specialization_badge_lapses_after_its_own_grace_period(backend: Backend) {
    let Some(h) = issuer(backend).await else {
        return;
    };
    let program = h.issuer.program();
    let special = program.specialization(SPECIALIZATION).unwrap();
    assert_eq!((special.validity_days, special.grace_days), (730, 60));
    assert_eq!(program.tier("silver").unwrap().grace_days, 30);
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let p = partner(&h, "Litware").await;
    let (silver, _, _) = badge(&h, tier_approval(&p, "silver")).await;
    // Approved 770 days ago: expired 40 days ago, past a tier's 30 days' grace, inside the
    // specialization's 60.
    let mut body = specialization_approval(&p);
    body["approved_at"] = json!(before(t0, 770));
    let (special_id, _, _) = badge(&h, body).await;
    let row = h
        .issuer
        .store()
        .credential(&special_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.specialization.as_deref(), Some(SPECIALIZATION));
    assert_eq!(row.tier, None);
    let valid_until = (t0 - Duration::days(40)).unix_timestamp();
    assert_eq!(row.valid_until, Some(valid_until));
    assert_eq!(
        hallmark_issuer::service::lapses_at(program, &row),
        Some(valid_until + 60 * 86_400)
    );

    // Due for renewal, with its own grace.
    let due = h.issuer.due(t0, t0 + Duration::days(1), 100).await.unwrap();
    let due: Vec<(&str, u32)> = due
        .iter()
        .map(|d| (d.credential.id.as_str(), d.grace_days))
        .collect();
    assert_eq!(due, [(special_id.as_str(), 60)]);

    // Another partner's specialization badge, 10 days before its end, gets its reminder
    // (its tier badge, fresh, none).
    let q = partner(&h, "Tailspin").await;
    badge(&h, tier_approval(&q, "silver")).await;
    let mut body = specialization_approval(&q);
    body["approved_at"] = json!(before(t0, 720));
    let (soon, _, _) = badge(&h, body).await;

    // Not lapsed now, nor on the grace period's last day; lapsed the day after. The tier
    // badge is not touched.
    let run = h.issuer.lifecycle(t0).await.unwrap();
    assert_eq!(
        (run.lapsed, run.reminded_30, run.reminded_14, run.reminded_1),
        (0, 0, 1, 0)
    );
    let reminded = h
        .issuer
        .store()
        .audit_log(
            &hallmark_store::AuditFilter {
                action: Some("credential.expiring".into()),
                ..Default::default()
            },
            &hallmark_store::PageRequest::first(10),
        )
        .await
        .unwrap();
    let subjects: Vec<&str> = reminded.items.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects, [soon.as_str()]);
    assert_eq!(
        h.issuer
            .lifecycle(t0 + Duration::days(20))
            .await
            .unwrap()
            .lapsed,
        0
    );
    assert_eq!(
        h.issuer
            .lifecycle(t0 + Duration::days(20) + Duration::seconds(1))
            .await
            .unwrap()
            .lapsed,
        1
    );
    assert_eq!(admin(&h, &special_id).await["publicMessage"], "lapsed");
    assert_eq!(admin(&h, &silver).await["publicMessage"], "active");

    // After the grace period a specialization approval is a new certification at the full
    // bar (after_grace = "full"), and supersedes the lapsed badge.
    let (_, _, answer) = badge(&h, specialization_approval(&p)).await;
    assert_eq!(answer["kind"], "certification");
    assert_eq!(answer["superseded"][0]["uuid"], special_id.as_str());
}
