//! Bulk approvals (`POST /api/v1/approvals/bulk`) and idempotency keys, on SQLite and
//! PostgreSQL: per-row results, bad files refused whole or by row with nothing half-issued,
//! dry runs that write nothing, replays that issue nothing twice.

mod common;

use common::{Backend, Harness, Reply, BASE};
use hallmark_store::{ClaimMark, Claimed, NewClaim};
use serde_json::{json, Value};

async fn harness(backend: Backend, extra: &str) -> Option<Harness> {
    common::harness_with(backend, BASE, hallmark_issuer::program::DEMO_PROGRAM, extra).await
}

/// A Silver row for a partner by URL that meets the bar.
fn silver(n: usize) -> Value {
    json!({
        "partner_name": format!("Partner {n}"), "partner_url": format!("https://p{n}.example"),
        "tier": "silver", "role": "delivery", "competencies": ["CLOUD-FUND", "CLOUD-ARCH"],
        "exam_score": 80, "approver": "Dana", "references": [{"name": "Contoso", "validated": true}],
    })
}

/// A partner created over the API: its id.
async fn partner(h: &Harness, name: &str, url: &str) -> String {
    let r = h
        .send(
            "POST",
            "/api/v1/partners",
            &[],
            Some(json!({"name": name, "url": url})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

/// A single Silver approval for `partner` that meets the bar.
fn silver_for(partner: &str) -> Value {
    json!({"partner_id": partner, "tier": "silver", "role": "delivery", "competencies": ["CLOUD-FUND", "CLOUD-ARCH"], "exam_score": 80, "approver": "Dana", "references": [{"name": "Contoso", "validated": true}]})
}

/// Counts of credentials, approvals and partners in the store.
async fn counts(h: &Harness) -> (usize, usize, usize) {
    let credentials = h.get("/api/v1/credentials?limit=1000").await.json();
    let partners = h.get("/api/v1/partners").await.json();
    let approvals: usize = credentials
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["approval"].is_string())
        .count();
    (
        credentials.as_array().unwrap().len(),
        approvals,
        partners.as_array().unwrap().len(),
    )
}

async fn bulk_json(h: &Harness, query: &str, rows: &Value, key: Option<&str>) -> Reply {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    h.send_raw(
        "POST",
        &format!("/api/v1/approvals/bulk{query}"),
        &headers,
        rows.to_string().into_bytes(),
    )
    .await
}

/// A bulk request of JSON `rows` without a key: its answer.
async fn bulk(h: &Harness, rows: &Value) -> Value {
    bulk_json(h, "", rows, None).await.json()
}

async fn bulk_csv(h: &Harness, csv: &[u8]) -> Reply {
    h.send_raw(
        "POST",
        "/api/v1/approvals/bulk",
        &[("content-type", "text/csv")],
        csv.to_vec(),
    )
    .await
}

on_both!(a_json_array_issues_each_row_or_says_what_it_missed);
async fn a_json_array_issues_each_row_or_says_what_it_missed(backend: Backend) {
    let Some(h) = harness(backend, "").await else {
        return;
    };
    let mut short = silver(3);
    short["exam_score"] = json!(50);
    short["competencies"] = json!(["CLOUD-FUND"]);
    let mut unknown = silver(4);
    unknown["tier"] = json!("platinum-plus");
    let mut same_pair = silver(1);
    same_pair["tier"] = json!("gold");
    let rows =
        json!([silver(1), silver(2), short, unknown, silver(2), same_pair, {"tier": "silver"}]);
    let r = bulk_json(&h, "", &rows, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(
        (
            body["rows"].as_u64(),
            body["issued"].as_u64(),
            body["refused"].as_u64()
        ),
        (Some(7), Some(2), Some(5))
    );
    let results = body["results"].as_array().unwrap();
    let status: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        status,
        ["issued", "issued", "refused", "refused", "refused", "refused", "refused"]
    );
    // Every requirement the third row missed, by name.
    let missed: Vec<&str> = results[2]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requirement"].as_str().unwrap())
        .collect();
    assert!(
        missed.contains(&"exam_score") && missed.contains(&"required_competency"),
        "{missed:?}"
    );
    assert!(
        results[3]["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("platinum-plus"),
        "{}",
        results[3]
    );
    assert_eq!(results[4]["problems"][0]["detail"], "duplicate of row 2");
    assert!(
        results[5]["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("row 1 already approves"),
        "{}",
        results[5]
    );
    assert!(
        results[6]["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("missing field"),
        "{}",
        results[6]
    );
    // The issued rows' badges exist, verify, and are first certifications.
    for r in &results[..2] {
        assert_eq!(r["kind"], "certification");
        let uuid = r["uuid"].as_str().unwrap();
        let shown = h.get(&format!("/credentials/{uuid}")).await;
        assert_eq!(shown.status, 200);
        let report = h.verify(&shown.json()).await;
        assert!(report.verified(), "{report:?}");
    }
    // Nothing for the refused rows; the partners by URL were created once each.
    assert_eq!(counts(&h).await, (2, 2, 2));
    // A second request renews them (each supersedes its badge, one at a time).
    let r = bulk_json(&h, "", &json!([silver(1), silver(2)]), None).await;
    let body = r.json();
    assert_eq!(body["issued"], 2, "{body}");
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["kind"] == "renewal"),
        "{body}"
    );
    assert_eq!(counts(&h).await.2, 2, "no partner twice");
    // A new partner in two rows (two roles): created once, with the first row's badge.
    let mut sales = silver(30);
    sales["role"] = json!("sales");
    let body = bulk(&h, &json!([silver(30), sales])).await;
    assert_eq!(body["issued"], 2, "{body}");
    assert_eq!(body["results"][0]["partner"], body["results"][1]["partner"]);
    assert_eq!(counts(&h).await.2, 3);
}

on_both!(bad_files_are_refused_whole_or_by_row_and_nothing_is_half_issued);
async fn bad_files_are_refused_whole_or_by_row_and_nothing_is_half_issued(backend: Backend) {
    let Some(h) = harness(backend, "bulk_max_rows = 5").await else {
        return;
    };
    let header = "partner_url,partner_name,tier,role,competencies,exam_score,references,approver\n";
    let good = |n: usize| {
        format!("https://c{n}.example,C {n},silver,delivery,CLOUD-FUND;CLOUD-ARCH,80,Contoso|validated,Dana\n")
    };
    // A missing column: the file is refused, nothing issued.
    let r = bulk_csv(
        &h,
        b"partner_url,partner_name,role,approver
https://x.example,X,delivery,Dana
",
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.header("content-type"), "application/problem+json");
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("no column \"tier\""),
        "{}",
        r.text
    );
    // Too many rows: refused whole.
    let mut many = header.to_owned();
    for n in 0..6 {
        many.push_str(&good(n));
    }
    let r = bulk_csv(&h, many.as_bytes()).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.json()["maxRows"], 5);
    assert_eq!(counts(&h).await, (0, 0, 0));
    // Row by row: non-UTF-8, a quoted newline in a one-line field, an unknown tier, a
    // duplicate; the good rows are issued.
    let mut csv = header.as_bytes().to_vec();
    csv.extend_from_slice(good(1).as_bytes());
    csv.extend_from_slice(b"https://c2.example,C \xff2,silver,delivery,CLOUD-FUND;CLOUD-ARCH,80,Contoso|validated,Dana\n");
    csv.extend_from_slice(b"https://c3.example,C 3,silver,delivery,CLOUD-FUND;CLOUD-ARCH,80,Contoso|validated,\"Dana\nSmith\"\n");
    csv.extend_from_slice(b"https://c4.example,C 4,titanium,delivery,CLOUD-FUND,80,,Dana\n");
    csv.extend_from_slice(good(1).as_bytes());
    let r = bulk_csv(&h, &csv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    let results = body["results"].as_array().unwrap();
    let status: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        status,
        ["issued", "refused", "refused", "refused", "refused"],
        "{body}"
    );
    let detail = |i: usize| {
        results[i]["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        detail(1).contains("partner_name: not UTF-8"),
        "{}",
        detail(1)
    );
    assert!(detail(2).contains("approver"), "{}", detail(2));
    assert_eq!(results[2]["line"], 4);
    assert!(detail(3).contains("titanium"), "{}", detail(3));
    assert_eq!(detail(4), "duplicate of row 1");
    assert_eq!(counts(&h).await.0, 1);
    // Neither JSON nor CSV.
    let r = h
        .send_raw(
            "POST",
            "/api/v1/approvals/bulk",
            &[("content-type", "text/plain")],
            b"x".to_vec(),
        )
        .await;
    assert_eq!(r.status, 415);
}

on_both!(a_dry_run_checks_every_row_and_writes_nothing);
async fn a_dry_run_checks_every_row_and_writes_nothing(backend: Backend) {
    let Some(h) = harness(backend, "").await else {
        return;
    };
    let mut short = silver(2);
    short["exam_score"] = json!(10);
    let r = bulk_json(&h, "?dry_run=true", &json!([silver(1), short]), None).await;
    let body = r.json();
    assert_eq!(body["dryRun"], true);
    assert_eq!(
        (body["wouldIssue"].as_u64(), body["refused"].as_u64()),
        (Some(1), Some(1)),
        "{body}"
    );
    assert_eq!(body["results"][0]["kind"], "certification");
    assert_eq!(
        body["results"][1]["problems"][0]["requirement"],
        "exam_score"
    );
    assert_eq!(counts(&h).await, (0, 0, 0), "no partner, no badge");
    let audit = h.get("/api/v1/audit").await.json();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] == "token.create"),
        "{audit}"
    );
}

on_both!(rows_with_keys_are_issued_once);
async fn rows_with_keys_are_issued_once(backend: Backend) {
    let Some(h) = harness(backend, "").await else {
        return;
    };
    let keyed: Vec<Value> = (1..=3)
        .map(|n| {
            let mut row = silver(n);
            row["idempotency_key"] = json!(format!("import-7/row-{n}"));
            row
        })
        .collect();
    let first = bulk(&h, &json!(keyed[..2])).await;
    assert_eq!(first["issued"], 2);
    // A dry run of the whole file says what a real run would: two issued before, one to issue.
    let dry = bulk_json(&h, "?dry_run=true", &json!(keyed), None)
        .await
        .json();
    assert_eq!(
        (dry["replayed"].as_u64(), dry["wouldIssue"].as_u64()),
        (Some(2), Some(1)),
        "{dry}"
    );
    // The whole file again (an interrupted import re-run): only row 3 is new.
    let again = bulk(&h, &json!(keyed)).await;
    assert_eq!(
        (again["issued"].as_u64(), again["replayed"].as_u64()),
        (Some(1), Some(2)),
        "{again}"
    );
    for i in 0..2 {
        assert_eq!(
            again["results"][i]["credential"],
            first["results"][i]["credential"]
        );
        assert_eq!(again["results"][i]["status"], "replayed");
    }
    assert_eq!(counts(&h).await.0, 3);
    // The key of row 1 with another row's content: refused.
    let mut other = silver(9);
    other["idempotency_key"] = json!("import-7/row-1");
    let r = bulk(&h, &json!([other])).await;
    assert_eq!(
        r["results"][0]["problems"][0]["requirement"], "idempotency_key",
        "{r}"
    );
    // A request key gives its rows keys (KEY#ROW): the same request again replays them.
    let rows = json!([silver(20), silver(21)]);
    let one = bulk_json(&h, "", &rows, Some("\"batch-20\"")).await;
    let two = bulk_json(&h, "", &rows, Some("\"batch-20\"")).await;
    assert_eq!(one.json()["issued"], 2);
    assert_eq!(two.header("idempotent-replayed"), "true");
    assert_eq!(two.text, one.text);
    assert_eq!(counts(&h).await.0, 5);
}

on_both!(an_idempotency_key_replays_refuses_another_body_and_waits_for_the_first);
async fn an_idempotency_key_replays_refuses_another_body_and_waits_for_the_first(backend: Backend) {
    let Some(h) = harness(backend, "").await else {
        return;
    };
    let partner = partner(&h, "Keyed", "https://keyed.example").await;
    let approval = silver_for(&partner);
    let key = [("idempotency-key", "\"approve-keyed-1\"")];
    let first = h
        .send("POST", "/api/v1/approvals", &key, Some(approval.clone()))
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = h
        .send("POST", "/api/v1/approvals", &key, Some(approval.clone()))
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.text, first.text);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(counts(&h).await.0, 1, "issued once");
    // The same key with another body.
    let mut other = approval.clone();
    other["exam_score"] = json!(90);
    let r = h
        .send("POST", "/api/v1/approvals", &key, Some(other.clone()))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json()["type"],
        "urn:hallmark:problem:idempotency-key-reused"
    );
    // A refused request leaves its key free: fixed, it goes through under the same key.
    let mut short = approval.clone();
    short["exam_score"] = json!(10);
    let k2 = [("idempotency-key", "approve-keyed-2")];
    assert_eq!(
        h.send("POST", "/api/v1/approvals", &k2, Some(short))
            .await
            .status,
        422
    );
    let mut gold = approval.clone();
    gold["tier"] = json!("silver");
    gold["renewal"] = json!(true);
    assert_eq!(
        h.send("POST", "/api/v1/approvals", &k2, Some(gold))
            .await
            .status,
        201
    );
    // While a first request holds the key: 409 with Retry-After.
    let scope = hallmark_issuer::token_hash(&h.token);
    let held = json!({"name": "Held", "url": "https://held.example"});
    let print = hallmark_issuer::service::fingerprint(
        "POST",
        "/api/v1/partners",
        "application/json",
        held.to_string().as_bytes(),
    );
    let (_, claimed) = h
        .issuer
        .claim_idempotency_key(&scope, "held", &print)
        .await
        .unwrap();
    assert_eq!(claimed, Claimed::Fresh);
    let r = h
        .send(
            "POST",
            "/api/v1/partners",
            &[("idempotency-key", "held")],
            Some(held),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(
        r.json()["type"],
        "urn:hallmark:problem:idempotency-in-flight"
    );
    assert!(!r.header("retry-after").is_empty());
    // A body that is not an object (serde would fill a struct from an array): 422.
    let r = h
        .send(
            "PATCH",
            &format!("/api/v1/partners/{partner}"),
            &[],
            Some(json!([null, null])),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["detail"], "the body must be a JSON object");
    // Bad keys are 400; other callers' keys never meet.
    assert_eq!(
        h.send(
            "POST",
            "/api/v1/partners",
            &[("idempotency-key", "\"\"")],
            Some(json!({"name": "X", "url": "https://x.example"}))
        )
        .await
        .status,
        400
    );
}

on_both!(a_change_commits_only_while_its_key_is_held);
async fn a_change_commits_only_while_its_key_is_held(backend: Backend) {
    let Some(h) = harness(backend, "").await else {
        return;
    };
    let store = h.issuer.store();
    let old = ClaimMark {
        scope: "s".into(),
        key: "k".into(),
        owner: "old".into(),
    };
    let new = ClaimMark {
        owner: "new".into(),
        ..old.clone()
    };
    let claim = |mark, now| NewClaim {
        mark,
        fingerprint: "f",
        now,
        lease: 30,
        ttl: 3600,
    };
    assert_eq!(
        store
            .claim_idempotency_key(&claim(&old, 1_000))
            .await
            .unwrap(),
        Claimed::Fresh
    );
    assert!(matches!(
        store
            .claim_idempotency_key(&claim(&new, 1_010))
            .await
            .unwrap(),
        Claimed::InFlight { until: 1_030 }
    ));
    // The first holder's lease ran out (its process died): the key is taken over.
    assert_eq!(
        store
            .claim_idempotency_key(&claim(&new, 1_031))
            .await
            .unwrap(),
        Claimed::Fresh
    );
    // The first holder, still running after all, cannot commit under the key: nothing is written.
    let partner = hallmark_issuer::service::NewPartner {
        name: "Late".into(),
        url: "https://late.example".into(),
        listed: false,
        contacts: vec![],
    };
    let late =
        hallmark_store::with_claim(old.clone(), h.issuer.create_partner("test", &partner)).await;
    assert!(late
        .unwrap_err()
        .to_string()
        .contains("held by another request"));
    assert_eq!(counts(&h).await.2, 0);
    // The new holder commits; its key is marked in the same transaction.
    let made = hallmark_store::with_claim(new.clone(), h.issuer.create_partner("test", &partner))
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_idempotency_key(&claim(
                &ClaimMark {
                    owner: "third".into(),
                    ..new.clone()
                },
                1_100
            ))
            .await
            .unwrap(),
        Claimed::Committed {
            subject: made.id.clone()
        }
    );
    // Expired keys are forgotten.
    assert_eq!(
        store.purge_idempotency_keys(1_000 + 3_601).await.unwrap(),
        1
    );
}

on_both!(concurrent_first_certifications_are_committed_together_each_with_its_key);
async fn concurrent_first_certifications_are_committed_together_each_with_its_key(
    backend: Backend,
) {
    let Some(h) = harness(backend, "").await else {
        return;
    };
    let mut partners = Vec::new();
    for i in 0..48 {
        partners.push(partner(&h, &format!("G{i}"), &format!("https://g{i}.example")).await);
    }
    let approval = silver_for;
    let keys: Vec<String> = (0..48).map(|i| format!("group-{i}")).collect();
    // 48 at once (the committer takes what gathered), and the same partner twice among them.
    let bodies: Vec<Value> = partners.iter().map(|p| approval(p)).collect();
    let headers: Vec<[(&str, &str); 1]> = keys
        .iter()
        .map(|k| [("idempotency-key", k.as_str())])
        .collect();
    let sends = bodies
        .iter()
        .zip(&headers)
        .map(|(b, hd)| h.send("POST", "/api/v1/approvals", hd, Some(b.clone())));
    let twice = h.send(
        "POST",
        "/api/v1/approvals",
        &[],
        Some(approval(&partners[0])),
    );
    let (answers, second) = tokio::join!(futures_util::future::join_all(sends), twice);
    assert!(
        answers.iter().all(|r| r.status == 201),
        "{:?}",
        answers.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert_eq!(second.status, 201, "{}", second.text);
    // One current badge per partner: the approval for partners[0] that came second superseded.
    let all = h.get("/api/v1/credentials?limit=1000").await.json();
    let current = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["revokedAt"].is_null())
        .count();
    assert_eq!((all.as_array().unwrap().len(), current), (49, 48));
    // Each key was marked with its own badge: a replay answers it, issuing nothing.
    for (r, k) in answers.iter().zip(&keys).take(5) {
        let p = r.json()["approval"]["partner_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let again = h
            .send(
                "POST",
                "/api/v1/approvals",
                &[("idempotency-key", k.as_str())],
                Some(approval(&p)),
            )
            .await;
        assert_eq!(again.header("idempotent-replayed"), "true");
        assert_eq!(again.text, r.text);
    }
    assert_eq!(
        h.get("/api/v1/credentials?limit=1000")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        49
    );
}

on_both!(what_the_attacker_found_holds);
/// The attacker's findings of issue 14, each as it must be now.
async fn what_the_attacker_found_holds(backend: Backend) {
    let Some(h) = harness(backend, "").await else {
        return;
    };
    let row = |url: &str, name: &str| json!({"partner_url": url, "partner_name": name, "tier": "registered", "role": "sales", "competencies": ["CLOUD-FUND"], "approver": "T"});
    // A DID is case-sensitive: another case is another partner, never the existing one.
    let alice = partner(&h, "Alice", "did:web:example.com:users:Alice").await;
    let body = bulk(
        &h,
        &json!([row("did:web:example.com:users:alice", "alice")]),
    )
    .await;
    assert_eq!(body["issued"], 1, "{body}");
    assert_ne!(body["results"][0]["partner"], alice.as_str());
    // A web address that matches an existing partner only when lower-cased: refused, not
    // attached to that partner.
    partner(&h, "Case", "https://case.example/Partners").await;
    let body = bulk(&h, &json!([row("https://case.example/partners", "case")])).await;
    assert_eq!(body["results"][0]["status"], "refused", "{body}");
    assert_eq!(body["results"][0]["problems"][0]["requirement"], "partner");
    // One row per partner and role, however the URL is spelled or the partner named.
    let body = bulk(
        &h,
        &json!([
            row("https://a1.example", "A"),
            row("http://a1.example", "A"),
            row("HTTPS://A1.example:443/", "A")
        ]),
    )
    .await;
    let status: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["issued", "refused", "refused"], "{body}");
    let a1 = body["results"][0]["partner"].as_str().unwrap().to_owned();
    let mut by_id = row("https://ignored.example", "x");
    by_id["partner_id"] = json!(a1);
    let body = bulk(
        &h,
        &json!([
            row("https://b1.example", "B"),
            by_id.clone(),
            row("https://a1.example", "A")
        ]),
    )
    .await;
    assert_eq!(body["results"][1]["status"], "issued", "{body}");
    assert_eq!(body["results"][1]["kind"], "renewal");
    assert_eq!(body["results"][2]["status"], "refused", "{body}");
    // Row keys are checked like header keys; a NUL id is no partner's and spoils no other row.
    let mut nul_key = row("https://c1.example", "C");
    nul_key["idempotency_key"] = json!("a\u{0}b");
    let mut long_key = row("https://c2.example", "C2");
    long_key["idempotency_key"] = json!("k".repeat(300));
    let mut nul_id = row("https://x.example", "x");
    nul_id["partner_id"] = json!("a\u{0}b");
    let mut good = row("https://c3.example", "C3");
    good["idempotency_key"] = json!("good-row");
    let body = bulk(&h, &json!([nul_key, long_key, nul_id, good])).await;
    let status: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        status,
        ["refused", "refused", "refused", "issued"],
        "{body}"
    );
    assert!(
        body["results"][0]["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("idempotency_key: 1 to 255 bytes"),
        "{body}"
    );
    assert!(
        body["results"][2]["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("no partner"),
        "{body}"
    );
    // A new token's secret is shown once: a replay says it is not kept.
    let key = [("idempotency-key", "token-1")];
    let first = h
        .send(
            "POST",
            "/api/v1/tokens",
            &key,
            Some(json!({"name": "ci", "role": "viewer"})),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(first.json()["secret"].as_str().unwrap().starts_with("hm_"));
    let again = h
        .send(
            "POST",
            "/api/v1/tokens",
            &key,
            Some(json!({"name": "ci", "role": "viewer"})),
        )
        .await;
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert!(again.json()["secret"].is_null(), "{}", again.text);
    assert!(!again
        .text
        .contains(first.json()["secret"].as_str().unwrap()));
    // The audit log (viewers read it) keeps a webhook's origin, not its secret path.
    let r = h
        .send(
            "POST",
            "/api/v1/webhooks",
            &[],
            Some(json!({"url": "https://hooks.example/services/SECRETPATH?token=SECRETQUERY"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let audit = h.get("/api/v1/audit?action=webhook.create").await;
    assert!(
        audit.text.contains("https://hooks.example") && !audit.text.contains("SECRET"),
        "{}",
        audit.text
    );
}
