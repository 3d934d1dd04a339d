//! Status lists filling up, on SQLite and PostgreSQL: with a small `status_list_fill`, a new
//! list is opened once the newest has that share of its entries in use, by two issuer
//! instances on one database alike (they converge on the same list ids), and the indexes in
//! each list are distinct and spread over the list (random, not sequential).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{harness_with, Backend, Reply, Served, BASE};
use hallmark_issuer::program::DEMO_PROGRAM;
use hallmark_issuer::{router, Issuer};
use serde_json::{json, Value};
use tower::ServiceExt;

/// 0.0001 of 131,072 entries: a list is full at 14 entries in use.
const FILL: &str = "status_list_fill = 0.0001\ncryptosuite = \"eddsa-jcs-2022\"\n";
const FULL_AT: usize = 14;
const BADGES: usize = 30;

/// `POST path` with `body` and the admin token to `issuer`.
async fn post(issuer: &Issuer, token: &str, path: &str, body: Value) -> Reply {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    Reply::read(router(issuer.clone()).oneshot(req).await.unwrap()).await
}

/// Every `(list, index)` held for `column` (`revocation` or `message`).
async fn slots(issuer: &Issuer, column: &str) -> Vec<(String, i64)> {
    let q = format!(
        "SELECT {column}_list AS l, {column}_index AS i FROM credentials WHERE {column}_list IS NOT NULL"
    );
    match issuer.store() {
        hallmark_store::Store::Sqlite(pool) => sqlx::query_as(&q).fetch_all(pool).await,
        hallmark_store::Store::Postgres(pool) => sqlx::query_as(&q).fetch_all(pool).await,
    }
    .unwrap()
}

on_both!(a_full_list_opens_the_next_with_random_indexes);
async fn a_full_list_opens_the_next_with_random_indexes(backend: Backend) {
    let Some(h) = harness_with(backend, BASE, DEMO_PROGRAM, FILL).await else {
        return;
    };
    // A second instance on the same database, as behind a load balancer.
    let other = Issuer::open(h.issuer.config().clone()).await.unwrap();
    let instances = [h.issuer.clone(), other];
    let mut badges = Vec::new();
    for n in 0..BADGES {
        let issuer = &instances[n % 2];
        let r = post(
            issuer,
            &h.token,
            "/api/v1/partners",
            json!({"name": format!("Partner {n}"), "url": format!("https://p{n}.example")}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let partner = r.json()["id"].as_str().unwrap().to_owned();
        let approval = json!({
            "partner_id": partner, "tier": "silver", "role": "delivery",
            "competencies": ["CLOUD-FUND", "CLOUD-ARCH"], "exam_score": 75, "approver": "E2E",
            "references": [{"name": "Contoso", "validated": true, "public": true}]
        });
        let r = post(issuer, &h.token, "/api/v1/approvals", approval).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let uuid = r.json()["credential"]["uuid"].as_str().unwrap().to_owned();
        let row = issuer.credential(&uuid).await.unwrap();
        badges.push(serde_json::from_str::<Value>(&row.document).unwrap());
    }

    for (column, prefix) in [("revocation", "revocation-"), ("message", "message-3bit-")] {
        let mut by_list: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (list, index) in slots(&h.issuer, column).await {
            by_list.entry(list).or_default().push(index);
        }
        // Issued one at a time, each counted before it: exactly FULL_AT per list, then the next.
        let expected: BTreeMap<String, usize> =
            [(1, FULL_AT), (2, FULL_AT), (3, BADGES - 2 * FULL_AT)]
                .into_iter()
                .map(|(n, count)| (format!("{prefix}{n}"), count))
                .collect();
        let found: BTreeMap<String, usize> =
            by_list.iter().map(|(l, i)| (l.clone(), i.len())).collect();
        assert_eq!(found, expected, "{column}");
        for (list, mut indexes) in by_list {
            indexes.sort_unstable();
            let count = indexes.len();
            indexes.dedup();
            assert_eq!(indexes.len(), count, "{list}: an index twice");
            if count >= FULL_AT {
                // 14 uniform draws over 131,072 entries: spread over more than a quarter of
                // the list (all within a quarter: probability below 1e-6), few neighbours.
                let span = indexes[count - 1] - indexes[0];
                assert!(span > 131_072 / 4, "{list}: {indexes:?}");
                let neighbours = indexes.windows(2).filter(|w| w[1] - w[0] == 1).count();
                assert!(neighbours < 2, "{list}: sequential indexes {indexes:?}");
            }
        }
    }

    // A badge in the third lists verifies against the lists either instance serves.
    let last = badges.last().unwrap();
    let entries = last["credentialStatus"].as_array().unwrap();
    assert!(entries
        .iter()
        .all(|e| e["statusListCredential"].as_str().unwrap().ends_with("-3")));
    for issuer in &instances {
        let mut docs = HashMap::new();
        for e in entries {
            let url = e["statusListCredential"].as_str().unwrap();
            let id = url.rsplit('/').next().unwrap();
            let row = issuer.status_list(id).await.unwrap();
            docs.insert(url.to_owned(), Arc::<[u8]>::from(row.document.into_bytes()));
        }
        let report = hallmark_core::verify::Verifier::new(time::OffsetDateTime::now_utc())
            .verify_value(last, &Served(docs));
        assert!(report.verified(), "{:#?}", report.checks);
    }
}
