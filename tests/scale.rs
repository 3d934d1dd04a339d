//! Scale-out (issue 14): two `hallmark serve` processes on one PostgreSQL database, as behind
//! a load balancer (one `base_url`, one key, each its own port). 2,000 approvals from 32
//! concurrent clients alternating between them: no request fails, no (list, index) is held
//! twice (in the database and in the signed badges), and every badge verifies against the
//! lists the instances serve. Then 200 revocations released at once, split across both: each
//! revoked index is set in the list served by either instance, the lists verify, and no other
//! badge changed.
//!
//! PostgreSQL only: skipped, saying so, when `HALLMARK_TEST_POSTGRES_URL` is unset.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

use hallmark_core::status::Bitstring;
use hallmark_core::verify::{ResolveError, Resources, Verifier};
use hallmark_core::Standing;
use hallmark_testkit::process::{free_port, http, spawn_listening, stdout_of};
use serde_json::{json, Value};

/// The address both instances stand behind: what badges and lists are signed with.
const BASE: &str = "https://partners.scale.example";
const APPROVALS: usize = 2_000;
const CLIENTS: usize = 32;
const REVOCATIONS: usize = 200;

fn hallmark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
}

/// `psql -At` on `url`: the rows, one per line.
fn psql(url: &str, sql: &str) -> String {
    stdout_of(Command::new("psql").args([url, "-AtXq", "-c", sql]))
}

struct Instances {
    children: Vec<Child>,
    ports: [u16; 2],
    dir: PathBuf,
}

impl Drop for Instances {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Two `hallmark serve` on `database_url`, one issuer folder, each on its own port.
fn start(database_url: &str) -> (Instances, String) {
    let dir = hallmark_testkit::process::example_issuer_folder(
        &format!("scale-{}", free_port()),
        &format!(
            "issuer_name = \"Acme\"\nbase_url = \"{BASE}\"\ndatabase_url = \"{database_url}\"\ncryptosuite = \"eddsa-jcs-2022\"\nlifecycle_interval_seconds = 0\ndeliveries = false\n"
        ),
    );
    let config = dir.join("config.toml");
    let config = config.to_str().unwrap();
    let token =
        stdout_of(hallmark().args(["token", "create", "--config", config, "--name", "scale"]));
    let mut children = Vec::new();
    let mut ports = [0; 2];
    for port in &mut ports {
        *port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let (child, _, _) =
            spawn_listening(hallmark().args(["serve", "--config", config, "--listen", &listen]));
        children.push(child);
    }
    (
        Instances {
            children,
            ports,
            dir,
        },
        token,
    )
}

/// A request with retries on nothing: the status and the body.
fn call(port: u16, method: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
    http(port, method, path, Some(token), Some(body))
}

/// The documents an instance serves, by the URL badges name them with.
struct Served(HashMap<String, Arc<[u8]>>);

impl Resources for Served {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: format!("{url} not served"),
        })
    }
}

/// `GET /status/{id}` of every list in the database, from the instance on `port`.
fn lists_served(port: u16, ids: &[String]) -> Served {
    let mut docs = HashMap::new();
    for id in ids {
        let (status, _, body) =
            hallmark_testkit::process::exchange(port, "GET", &format!("/status/{id}"), "", None);
        assert_eq!(status, 200, "/status/{id} on {port}: {body}");
        docs.insert(format!("{BASE}/status/{id}"), Arc::from(body.into_bytes()));
    }
    Served(docs)
}

/// The lists as both instances serve them: byte for byte the same (each reads the stored
/// row per request; no instance keeps a copy of its own).
fn same_lists(ports: [u16; 2], ids: &[String]) -> Served {
    let (a, b) = (lists_served(ports[0], ids), lists_served(ports[1], ids));
    for (url, bytes) in &a.0 {
        assert!(b.0[url] == *bytes, "{url} differs between the instances");
    }
    a
}

/// Every badge's standing against `served`, on two threads.
fn standings(badges: &[(String, Value)], served: &Served) -> BTreeMap<String, Standing> {
    let now = time::OffsetDateTime::now_utc();
    std::thread::scope(|s| {
        let halves: Vec<_> = badges
            .chunks(badges.len().div_ceil(2))
            .map(|part| {
                s.spawn(move || {
                    let verifier = Verifier::new(now);
                    part.iter()
                        .map(|(id, doc)| {
                            (id.clone(), verifier.verify_value(doc, served).standing())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn two_instances_on_one_postgres_issue_and_revoke_without_duplicates_or_lost_updates() {
    let Some(database_url) = hallmark_testkit::process::postgres_database() else {
        eprintln!("skipping the scale-out test: it needs PostgreSQL (HALLMARK_TEST_POSTGRES_URL)");
        return;
    };
    let started = Instant::now();
    let (instances, token) = start(&database_url);
    let ports = instances.ports;

    // 2,000 approvals (each for a new partner) from 32 clients, each request to the other
    // instance than the one before.
    let failures = Mutex::new(Vec::new());
    let issued = Mutex::new(Vec::new());
    let issuing = Instant::now();
    std::thread::scope(|s| {
        for client in 0..CLIENTS {
            let (token, failures, issued) = (&token, &failures, &issued);
            s.spawn(move || {
                for n in (client..APPROVALS).step_by(CLIENTS) {
                    let (status, partner) = call(
                        ports[n % 2],
                        "POST",
                        "/api/v1/partners",
                        token,
                        &json!({"name": format!("Partner {n}"), "url": format!("https://p{n}.example")}),
                    );
                    if status != 201 {
                        failures.lock().unwrap().push(format!("partner {n}: {status} {partner}"));
                        continue;
                    }
                    let approval = json!({
                        "partner_id": partner["id"], "tier": "silver", "role": "delivery",
                        "competencies": ["CLOUD-FUND", "CLOUD-ARCH"], "exam_score": 75,
                        "approver": "Scale", "references": [{"name": "Contoso", "validated": true, "public": true}]
                    });
                    let (status, body) =
                        call(ports[(n + 1) % 2], "POST", "/api/v1/approvals", token, &approval);
                    if status == 201 {
                        let uuid = body["credential"]["uuid"].as_str().unwrap().to_owned();
                        issued.lock().unwrap().push(uuid);
                    } else {
                        failures.lock().unwrap().push(format!("approval {n}: {status} {body}"));
                    }
                }
            });
        }
    });
    let issuing = issuing.elapsed();
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    let issued = issued.into_inner().unwrap();
    assert_eq!(issued.len(), APPROVALS);
    eprintln!(
        "{APPROVALS} approvals (and partners) from {CLIENTS} clients over 2 instances in {issuing:.1?}: {:.0} badges/s",
        APPROVALS as f64 / issuing.as_secs_f64()
    );

    // No slot twice in the database, for any purpose…
    for purpose in ["revocation", "suspension", "message"] {
        let twice = psql(
            &database_url,
            &format!("SELECT COUNT(*) FROM (SELECT 1 FROM credentials WHERE {purpose}_list IS NOT NULL GROUP BY {purpose}_list, {purpose}_index HAVING COUNT(*) > 1) d"),
        );
        assert_eq!(twice, "0", "{purpose} slots held twice");
    }
    // …nor in what the badges say.
    let rows = psql(
        &database_url,
        "SELECT id || ' ' || document FROM credentials",
    );
    let badges: Vec<(String, Value)> = rows
        .lines()
        .map(|l| {
            let (id, doc) = l.split_once(' ').unwrap();
            (id.to_owned(), serde_json::from_str(doc).unwrap())
        })
        .collect();
    assert_eq!(badges.len(), APPROVALS);
    let mut slots = BTreeSet::new();
    for (id, badge) in &badges {
        for entry in badge["credentialStatus"].as_array().unwrap() {
            let slot = (
                entry["statusListCredential"].as_str().unwrap().to_owned(),
                entry["statusListIndex"].as_str().unwrap().to_owned(),
            );
            assert!(
                slots.insert(slot.clone()),
                "{id}: {slot:?} signed into two badges"
            );
        }
    }
    let list_ids: Vec<String> = psql(&database_url, "SELECT id FROM status_lists ORDER BY id")
        .lines()
        .map(str::to_owned)
        .collect();

    // Every badge verifies against the lists the instances serve (the same bytes from both).
    let verifying = Instant::now();
    let served = same_lists(ports, &list_ids);
    let all = standings(&badges, &served);
    let not_valid: Vec<_> = all.iter().filter(|(_, s)| **s != Standing::Valid).collect();
    assert!(not_valid.is_empty(), "{not_valid:?}");
    eprintln!("{APPROVALS} verifications in {:.1?}", verifying.elapsed());

    // 200 revocations, released together, alternating instances.
    let revoked: Vec<String> = issued
        .iter()
        .step_by(APPROVALS / REVOCATIONS)
        .cloned()
        .collect();
    assert_eq!(revoked.len(), REVOCATIONS);
    let barrier = Barrier::new(REVOCATIONS);
    let revoking = Instant::now();
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = revoked
            .iter()
            .enumerate()
            .map(|(n, uuid)| {
                let (barrier, token) = (&barrier, &token);
                s.spawn(move || {
                    barrier.wait();
                    call(
                        ports[n % 2],
                        "POST",
                        &format!("/api/v1/credentials/{uuid}/revoke"),
                        token,
                        &json!({"reason": "scale test"}),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let bad: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(
        bad.is_empty(),
        "{} revocations failed: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
    eprintln!(
        "{REVOCATIONS} concurrent revocations in {:.1?}",
        revoking.elapsed()
    );

    // Each revoked index is set in the list as either instance serves it, and the lists verify.
    let revoked_set: BTreeSet<&String> = revoked.iter().collect();
    let by_id: HashMap<&String, &Value> = badges.iter().map(|(id, b)| (id, b)).collect();
    let served = same_lists(ports, &list_ids);
    for port in ports {
        let served = lists_served(port, &list_ids);
        let verifier = Verifier::new(time::OffsetDateTime::now_utc());
        for (url, bytes) in &served.0 {
            let list: Value = serde_json::from_slice(bytes).unwrap();
            let report = verifier.verify_value(&list, &hallmark_core::verify::Offline);
            assert!(
                report.check(hallmark_core::CheckId::Proof).unwrap().outcome
                    == hallmark_core::Outcome::Passed,
                "{url} from {port}: {:#?}",
                report.checks
            );
        }
        for uuid in &revoked {
            let entry = &by_id[uuid]["credentialStatus"][0];
            assert_eq!(entry["statusPurpose"], "revocation");
            let url = entry["statusListCredential"].as_str().unwrap();
            let list: Value = serde_json::from_slice(&served.0[url]).unwrap();
            let bits = Bitstring::decode(
                list["credentialSubject"]["encodedList"].as_str().unwrap(),
                1 << 20,
            )
            .unwrap();
            let index: u64 = entry["statusListIndex"].as_str().unwrap().parse().unwrap();
            assert_eq!(
                bits.get(index, 1).unwrap(),
                1,
                "{uuid}: index {index} of {url} from {port}"
            );
        }
    }
    // And no other badge changed: the revoked ones read revoked, the rest valid.
    for (id, standing) in standings(&badges, &served) {
        let expected = if revoked_set.contains(&id) {
            Standing::Revoked
        } else {
            Standing::Valid
        };
        assert_eq!(standing, expected, "{id}");
    }
    eprintln!("scale-out test: {:.1?} in all", started.elapsed());
    drop(instances);
    let name = database_url.rsplit('/').next().unwrap();
    let admin = hallmark_testkit::postgres_admin_url().unwrap();
    psql(
        &admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
}
