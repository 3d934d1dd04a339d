//! The verifier's caches under a flood of distinct, large, attacker-signed status lists (issue
//! #10 item 3): the bytes they account stay within their budgets, and a trusted issuer's list
//! stays cached (no second fetch, no second decode) however many other lists go by.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hallmark_core::cache::Usage;
use hallmark_core::datetime;
use hallmark_core::did::Did;
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::report::{CheckId, Outcome, Report};
use hallmark_core::status::{Bitstring, StatusEntry, StatusListSpec, StatusPurpose, MIN_ENTRIES};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{CacheLimits, Verifier};
use hallmark_fetch::{FetchPolicy, Fetcher};
use hallmark_testkit::read_request_head;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// Attacker lists presented, each distinct.
const ATTACKER_LISTS: usize = 48;
/// Entries of each attacker list: eight times the minimum, 128 KiB decoded.
const ATTACKER_ENTRIES: usize = 8 * MIN_ENTRIES;

type Hits = Arc<Mutex<HashMap<String, usize>>>;

/// Serves `routes` (path → body) on `listener`; returns a hit counter per path.
fn serve(listener: TcpListener, routes: HashMap<String, Vec<u8>>) -> Hits {
    let routes = Arc::new(routes);
    let hits: Hits = Arc::default();
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (routes, counter) = (routes.clone(), counter.clone());
            tokio::spawn(async move {
                let Some(path) = read_request_head(&mut socket).await else {
                    return;
                };
                *counter.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
                let (status, body) = match routes.get(&path) {
                    Some(body) => (200, body.as_slice()),
                    None => (404, &b"not found"[..]),
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/vc+ld+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body).await;
            });
        }
    });
    hits
}

fn hits(counter: &Hits, path: &str) -> usize {
    counter.lock().unwrap().get(path).copied().unwrap_or(0)
}

struct Signer {
    key: SecretKey,
    did: String,
}

impl Signer {
    fn new(seed: u8) -> Self {
        let key = SecretKey::from_seed(&[seed; 32]);
        let did = Did::key(&key.public_key()).to_string();
        Self { key, did }
    }

    fn sign(&self, document: serde_json::Map<String, Value>) -> Vec<u8> {
        let options = ProofOptions::did_key(
            &self.key.public_key(),
            Cryptosuite::EddsaJcs2022,
            Some(datetime::parse("2026-01-15T09:00:00Z").unwrap()),
        );
        let signed = proof::sign(document, &options, &self.key).unwrap();
        serde_json::to_vec(&Value::Object(signed)).unwrap()
    }

    /// A signed revocation list of `entries` entries at `url`, with entry `set` set.
    fn list(&self, url: &str, entries: usize, set: u64) -> Vec<u8> {
        let mut bits = Bitstring::new(entries, 1).unwrap();
        bits.set(set, 1, 1).unwrap();
        let spec = StatusListSpec {
            url: url.to_owned(),
            issuer: self.did.clone(),
            purpose: StatusPurpose::Revocation,
            valid_from: datetime::parse("2026-01-01T00:00:00Z").unwrap(),
            valid_until: None,
            ttl_ms: Some(300_000),
        };
        self.sign(spec.build(&bits).unwrap().into_map())
    }

    /// A signed credential whose revocation entry is index 0 of the list at `list_url`.
    fn credential(&self, list_url: &str) -> Value {
        let entry = StatusEntry {
            purpose: StatusPurpose::Revocation,
            index: 0,
            list_url: list_url.to_owned(),
            status_size: 1,
            messages: vec![],
            reference: vec![],
        };
        let unsigned = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": self.did,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "https://partner.example"},
            "credentialStatus": entry.to_json(),
        });
        serde_json::from_slice(&self.sign(unsigned.as_object().unwrap().clone())).unwrap()
    }
}

fn outcome(report: &Report, id: CheckId) -> Outcome {
    report
        .checks
        .iter()
        .find(|c| c.check == id)
        .unwrap()
        .outcome
}

fn assert_within(usage: Usage, budget: usize, what: &str) {
    assert!(
        usage.trusted_bytes <= budget / 2 && usage.untrusted_bytes <= budget - budget / 2,
        "{what}: {usage:?} beyond {budget} bytes"
    );
}

#[tokio::test]
async fn attacker_lists_stay_within_the_cache_bounds_and_do_not_evict_a_trusted_list() {
    let trusted = Signer::new(1);
    let attacker = Signer::new(2);
    // Lists are read from the loopback server as https://127.0.0.1:PORT/… (an insecure host);
    // the URLs name the port, so bind first.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut routes = HashMap::new();
    let base = format!("https://127.0.0.1:{port}");
    let trusted_url = format!("{base}/trusted");
    routes.insert(
        "/trusted".to_owned(),
        trusted.list(&trusted_url, MIN_ENTRIES, 5),
    );
    let mut attacker_credentials = Vec::new();
    for i in 0..ATTACKER_LISTS {
        let url = format!("{base}/attacker/{i}");
        // Distinct lists: each has another entry set.
        routes.insert(
            format!("/attacker/{i}"),
            attacker.list(&url, ATTACKER_ENTRIES, 1 + i as u64),
        );
        attacker_credentials.push(attacker.credential(&url));
    }
    let counter = serve(listener, routes);

    let limits = CacheLimits {
        documents: 64 << 10,
        // 512 KiB per partition: three of the 128 KiB attacker lists at a time.
        status_lists: 1 << 20,
        signatures: 64 << 10,
        canonical_hashes: 64 << 10,
    };
    let response_bytes = 16 << 10;
    let mut trust = TrustList::new();
    trust.add(TrustedIssuer {
        id: trusted.did.clone(),
        name: Some("Trusted".into()),
    });
    let verifier = Verifier::new(datetime::parse("2026-06-01T00:00:00Z").unwrap())
        .trust(trust)
        .cache_limits(limits);
    let fetcher = Fetcher::new(FetchPolicy {
        insecure_hosts: vec![format!("127.0.0.1:{port}")],
        cache_bytes: response_bytes,
        ..FetchPolicy::default()
    })
    .unwrap();

    let trusted_credential = trusted.credential(&trusted_url);
    let report = hallmark_fetch::verify(&verifier, &trusted_credential, &fetcher).await;
    assert!(report.verified(), "{report:#?}");
    assert_eq!(hits(&counter, "/trusted"), 1);
    assert_eq!(verifier.cache_usage().status_lists.trusted_entries, 1);
    assert_eq!(fetcher.cache_usage().trusted_entries, 1);

    for (i, credential) in attacker_credentials.iter().enumerate() {
        let report = hallmark_fetch::verify(&verifier, credential, &fetcher).await;
        // Each list was fetched, verified and decoded: the flood is real.
        assert_eq!(
            outcome(&report, CheckId::Status),
            Outcome::Passed,
            "{report:#?}"
        );
        assert_eq!(outcome(&report, CheckId::Trust), Outcome::Failed);
        assert_eq!(hits(&counter, &format!("/attacker/{i}")), 1);
        let usage = verifier.cache_usage();
        assert_within(usage.status_lists, limits.status_lists, "status lists");
        assert_within(usage.documents, limits.documents, "documents");
        assert_within(usage.signatures, limits.signatures, "signatures");
        assert!(usage.bytes() <= limits.total());
        assert_within(fetcher.cache_usage(), response_bytes, "responses");
    }
    // 48 × 128 KiB went by; at most three are held.
    let usage = verifier.cache_usage().status_lists;
    assert!((1..=3).contains(&usage.untrusted_entries), "{usage:?}");
    assert_eq!(usage.trusted_entries, 1);
    assert_eq!(fetcher.cache_usage().trusted_entries, 1);

    // The trusted list is still cached: verifying again fetches nothing.
    let report = hallmark_fetch::verify(&verifier, &trusted_credential, &fetcher).await;
    assert!(report.verified(), "{report:#?}");
    assert_eq!(hits(&counter, "/trusted"), 1);
}

/// With the core's plan fetched first ([`hallmark_fetch::Fetches::prefetch`]), a credential
/// and its status list are verified in one pass of the pipeline (without it, two: the first
/// finds the list missing).
#[tokio::test]
async fn the_planned_documents_are_fetched_before_the_one_pass() {
    let issuer = Signer::new(3);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("https://127.0.0.1:{port}/status/1");
    let counter = serve(
        listener,
        HashMap::from([("/status/1".to_owned(), issuer.list(&url, MIN_ENTRIES, 5))]),
    );
    let credential = issuer.credential(&url);
    for (planned, passes_expected) in [(false, 2), (true, 1)] {
        // Fresh caches each time.
        let verifier = Verifier::new(datetime::parse("2026-06-01T00:00:00Z").unwrap());
        let fetcher = Fetcher::new(FetchPolicy {
            insecure_hosts: vec![format!("127.0.0.1:{port}")],
            ..FetchPolicy::default()
        })
        .unwrap();
        let fetches = hallmark_fetch::Fetches::new();
        if planned {
            fetches.prefetch(&fetcher, &credential).await;
        }
        let passes = std::sync::atomic::AtomicUsize::new(0);
        let budget = verifier.new_work_budget();
        let report = hallmark_fetch::with_fetched_in(&fetcher, &fetches, |snapshot| {
            passes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let report = verifier.verify_value_within(&credential, &snapshot, &budget);
            std::future::ready(Ok::<_, std::convert::Infallible>((report, snapshot)))
        })
        .await
        .unwrap();
        assert!(report.verified(), "{report:#?}");
        assert_eq!(outcome(&report, CheckId::Status), Outcome::Passed);
        assert_eq!(passes.into_inner(), passes_expected, "planned: {planned}");
        assert_eq!(fetches.made(), 1);
    }
    assert_eq!(hits(&counter, "/status/1"), 2);
}
