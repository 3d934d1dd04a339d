//! The SSRF guard against a loopback listener that counts the connections it accepts: every
//! other spelling of 127.0.0.1 (and of 0.0.0.0, and IPv4-mapped IPv6) is refused before
//! connecting — as a URL, as a redirect target, as a `did:web` host and as a
//! `statusListCredential` — an allowed host is allowed on its own port only, and one
//! credential's fetches are bounded.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener};

use hallmark_core::badge;
use hallmark_core::did::{Did, VerificationMethodId};
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{StatusEntry, StatusPurpose};
use hallmark_core::verify::{Resources, Verifier};
use hallmark_core::{CheckId, Outcome, Report};
use hallmark_fetch::{FetchError, FetchPolicy, Fetcher};
use hallmark_testkit::{Tripwire, LOOPBACK_SPELLINGS};
use serde_json::Value;

/// A policy whose allow lists hold the listener's port, but for other hosts.
fn policy(port: u16) -> FetchPolicy {
    FetchPolicy {
        insecure_hosts: vec![
            format!("allowed.example:{port}"),
            format!("127.0.0.2:{port}"),
        ],
        private_hosts: vec![format!("private.example:{port}")],
        ..FetchPolicy::default()
    }
}

#[tokio::test]
async fn every_spelling_of_loopback_is_refused_before_connecting() {
    let trip = Tripwire::new();
    let port = trip.port;
    let fetcher = Fetcher::new(policy(port)).unwrap();
    for host in LOOPBACK_SPELLINGS {
        for scheme in ["https", "http"] {
            let url = format!("{scheme}://{host}:{port}/x");
            let err = fetcher.get(&url).await.unwrap_err();
            assert!(matches!(err, FetchError::Refused { .. }), "{url}: {err}");
        }
    }
    assert_eq!(trip.connections(), 0);
}

#[tokio::test]
async fn an_allowed_host_is_allowed_on_its_own_port_only() {
    let trip = Tripwire::new();
    let port = trip.port;
    let other = port.wrapping_add(1).max(1);
    let policy = FetchPolicy {
        insecure_hosts: vec![format!("127.0.0.1:{other}"), format!("dev.example:{other}")],
        private_hosts: vec![format!("localhost:{other}")],
        static_hosts: HashMap::from([(
            "dev.example".to_owned(),
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()],
        )]),
        ..FetchPolicy::default()
    };
    let fetcher = Fetcher::new(policy).unwrap();
    for host in LOOPBACK_SPELLINGS.iter().chain(&["dev.example"]) {
        for scheme in ["https", "http"] {
            let url = format!("{scheme}://{host}:{port}/x");
            let err = fetcher.get(&url).await.unwrap_err();
            assert!(matches!(err, FetchError::Refused { .. }), "{url}: {err}");
        }
    }
    assert_eq!(trip.connections(), 0);

    // The listener does count: allowed on its own port, however spelled, it is reached.
    for allowed in [format!("127.0.0.1:{port}"), format!("127.1:{port}")] {
        let fetcher = Fetcher::new(FetchPolicy {
            insecure_hosts: vec![allowed.clone()],
            ..FetchPolicy::default()
        })
        .unwrap();
        let err = fetcher
            .get(&format!("https://2130706433:{port}/x"))
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Unreachable { .. }), "{err}");
        assert_eq!(trip.connections(), 1, "{allowed}");
    }

    // A malformed entry is an error, not a silent allowance.
    let err = Fetcher::new(FetchPolicy {
        insecure_hosts: vec!["127.0.0.1:http".into()],
        ..FetchPolicy::default()
    })
    .unwrap_err();
    assert!(matches!(err, FetchError::Policy { .. }), "{err}");
}

/// Serves one canned `302` to `location` for every request, on 127.0.0.1.
fn redirector(location: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = write!(
                stream,
                "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    port
}

#[tokio::test]
async fn every_redirect_hop_is_checked_after_normalisation() {
    let trip = Tripwire::new();
    for host in LOOPBACK_SPELLINGS {
        for scheme in ["https", "http"] {
            let target = format!("{scheme}://{host}:{}/x", trip.port);
            let port = redirector(target.clone());
            let fetcher = Fetcher::new(FetchPolicy {
                insecure_hosts: vec![format!("127.0.0.1:{port}")],
                ..FetchPolicy::default()
            })
            .unwrap();
            let err = fetcher
                .get(&format!("http://127.0.0.1:{port}/start"))
                .await
                .unwrap_err();
            assert!(matches!(err, FetchError::Refused { .. }), "{target}: {err}");
        }
    }
    assert_eq!(trip.connections(), 0);
}

/// A verifier at a fixed instant within the example badge's validity.
fn verifier() -> Verifier {
    Verifier::new(hallmark_core::datetime::parse("2026-06-01T00:00:00Z").unwrap())
}

/// A badge whose issuer and proof name `did` (the signature is beside the point: the key
/// must be fetched before it can be checked).
fn did_web_badge(did: &str) -> Value {
    let key = SecretKey::from_seed(&[9; 32]);
    let issuer = Did::parse(did).unwrap();
    let options = ProofOptions {
        cryptosuite: Cryptosuite::EddsaJcs2022,
        verification_method: VerificationMethodId::parse(&format!("{did}#key-1")).unwrap(),
        proof_purpose: hallmark_core::did::Relationship::AssertionMethod,
        created: None,
    };
    let unsigned = badge::example(&issuer).build().unwrap();
    Value::Object(proof::sign(unsigned.into_map(), &options, &key).unwrap())
}

fn check(report: &Report, id: CheckId) -> (Outcome, String) {
    let c = report.check(id).unwrap();
    (c.outcome, c.detail.clone())
}

#[tokio::test]
async fn a_did_web_issuer_on_loopback_is_refused_however_spelled() {
    let trip = Tripwire::new();
    let port = trip.port;
    let fetcher = Fetcher::new(policy(port)).unwrap();
    let verifier = verifier();
    let mut tried = 0;
    for host in LOOPBACK_SPELLINGS {
        // did:web encodes host:port as host%3Aport; the DID syntax refuses some spellings
        // outright (brackets, non-ASCII), which is a refusal too.
        let did = format!("did:web:{host}%3A{port}");
        if Did::parse(&did).is_err() {
            continue;
        }
        tried += 1;
        let report = hallmark_fetch::verify(&verifier, &did_web_badge(&did), &fetcher).await;
        assert!(!report.verified(), "{did}");
        let (outcome, detail) = check(&report, CheckId::Proof);
        assert_ne!(outcome, Outcome::Passed, "{did}: {detail}");
        assert!(
            detail.contains("is not a public address") || detail.contains("is not a DID"),
            "{did}: {detail}"
        );
    }
    assert!(tried >= 10, "{tried}");
    assert_eq!(trip.connections(), 0);
}

#[tokio::test]
async fn a_status_list_on_loopback_is_refused_however_spelled() {
    let trip = Tripwire::new();
    let port = trip.port;
    let fetcher = Fetcher::new(policy(port)).unwrap();
    let verifier = verifier();
    let key = SecretKey::from_seed(&[9; 32]);
    for host in LOOPBACK_SPELLINGS {
        for scheme in ["https", "http"] {
            let list = format!("{scheme}://{host}:{port}/status/1");
            let mut b = badge::example(&Did::key(&key.public_key()));
            b.credential_status = vec![StatusEntry {
                purpose: StatusPurpose::Revocation,
                index: 5,
                list_url: list.clone(),
                status_size: 1,
                messages: vec![],
                reference: vec![],
            }
            .to_json()];
            let options = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaJcs2022, None);
            let signed = proof::sign(b.build().unwrap().into_map(), &options, &key).unwrap();
            let report = hallmark_fetch::verify(&verifier, &Value::Object(signed), &fetcher).await;
            assert_eq!(check(&report, CheckId::Proof).0, Outcome::Passed, "{list}");
            let (outcome, detail) = check(&report, CheckId::Status);
            assert_eq!(outcome, Outcome::Unknown, "{list}: {detail}");
            assert!(detail.contains("refused"), "{list}: {detail}");
        }
    }
    assert_eq!(trip.connections(), 0);
}

/// Verifies one credential with 40 proofs, each naming its own `did:web` host, all of them
/// allowed and reaching the tripwire, under a bound of `max` fetches (the default when
/// `None`); returns the report and the connections made.
async fn fan_out(max: Option<usize>) -> (Report, usize) {
    let trip = Tripwire::new();
    let port = trip.port;
    let hosts: Vec<String> = (0..40).map(|i| format!("h{i}.example")).collect();
    let mut policy = FetchPolicy {
        insecure_hosts: hosts.iter().map(|h| format!("{h}:{port}")).collect(),
        static_hosts: hosts
            .iter()
            .map(|h| (h.clone(), vec!["127.0.0.1".parse::<IpAddr>().unwrap()]))
            .collect(),
        ..FetchPolicy::default()
    };
    if let Some(max) = max {
        policy.max_fetches = max;
    }
    let fetcher = Fetcher::new(policy).unwrap();
    let dids: Vec<String> = hosts
        .iter()
        .map(|h| format!("did:web:{h}%3A{port}"))
        .collect();
    let mut badge = did_web_badge(&dids[0]);
    let first = badge["proof"].clone();
    badge["proof"] = dids
        .iter()
        .map(|did| {
            let mut p = first.clone();
            p["verificationMethod"] = format!("{did}#key-1").into();
            p
        })
        .collect::<Vec<_>>()
        .into();
    let report = hallmark_fetch::verify(&verifier(), &badge, &fetcher).await;
    (report, trip.connections())
}

#[tokio::test]
async fn one_credential_fetches_a_bounded_number_of_urls() {
    assert_eq!(FetchPolicy::default().max_fetches, 32);
    let (report, connections) = fan_out(None).await;
    assert!(!report.verified());
    assert_eq!(connections, 32);
    // What is past the bound is reported as not fetched, and why.
    let trip = Tripwire::new();
    let fetcher = Fetcher::new(FetchPolicy {
        insecure_hosts: vec![format!("127.0.0.1:{}", trip.port)],
        ..FetchPolicy::default()
    })
    .unwrap();
    let urls: Vec<String> = (0..40)
        .map(|i| format!("http://127.0.0.1:{}/{i}", trip.port))
        .collect();
    let answers = hallmark_fetch::with_fetched(&fetcher, |resources: &dyn Resources| {
        urls.iter()
            .map(|u| {
                resources
                    .fetch(u)
                    .map(|_| ())
                    .map_err(|e| (e.undecided, e.detail))
            })
            .collect::<Vec<_>>()
    })
    .await;
    assert_eq!(trip.connections(), 32);
    for (i, answer) in answers.iter().enumerate() {
        let (undecided, detail) = answer.clone().unwrap_err();
        assert!(undecided, "{detail}");
        assert_eq!(
            detail.contains("one verification fetches at most 32 distinct URLs"),
            i >= 32,
            "{i}: {detail}"
        );
    }
    // The bound is the policy's.
    let (_, connections) = fan_out(Some(3)).await;
    assert_eq!(connections, 3);
}

/// One request verifying several documents (a presentation's credentials) shares one bound:
/// with [`hallmark_fetch::Fetches`], the 41 distinct URLs two documents ask for cost 32
/// fetches in all, a URL both ask for is fetched once, and what was not fetched is named.
#[tokio::test]
async fn documents_of_one_request_share_one_bound() {
    let trip = Tripwire::new();
    let fetcher = Fetcher::new(FetchPolicy {
        insecure_hosts: vec![format!("127.0.0.1:{}", trip.port)],
        ..FetchPolicy::default()
    })
    .unwrap();
    let url = |i: usize| format!("http://127.0.0.1:{}/{i}", trip.port);
    let fetches = hallmark_fetch::Fetches::new();
    let mut details = Vec::new();
    // Each document asks for the shared URL 0, then 20 of its own.
    for document in 0..2 {
        let urls: Vec<String> = std::iter::once(url(0))
            .chain((1..=20).map(|i| url(document * 20 + i)))
            .collect();
        let pass = |snapshot: hallmark_fetch::Snapshot| {
            let answers: Vec<String> = urls
                .iter()
                .map(|u| {
                    snapshot
                        .fetch(u)
                        .map_or_else(|e| e.detail, |_| String::new())
                })
                .collect();
            std::future::ready(Ok::<_, ()>((answers, snapshot)))
        };
        details.push(
            hallmark_fetch::with_fetched_in(&fetcher, &fetches, pass)
                .await
                .unwrap(),
        );
    }
    assert_eq!(trip.connections(), 32);
    assert_eq!(fetches.made(), 32);
    let mut not_fetched = fetches.not_fetched();
    not_fetched.sort_by_key(|u| u.rsplit('/').next().unwrap().parse::<usize>().unwrap());
    assert_eq!(not_fetched, (32..=40).map(url).collect::<Vec<_>>());
    // The second document reads the first's answer for URL 0, and names what was not fetched.
    assert_eq!(details[1][0], details[0][0]);
    assert!(
        details[1][20].ends_with(
            "was not fetched: one verification fetches at most 32 distinct URLs \
             (a presentation and every credential in it together)"
        ),
        "{}",
        details[1][20]
    );
}
