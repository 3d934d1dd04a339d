//! `Verifier::status_messages`: a credential's "message" status entries (Bitstring Status List
//! §2.1) and their values as data — what the status check appends to its detail as text —
//! read only from a list that verifies and is the credential's issuer's.

use std::collections::HashMap;
use std::sync::Arc;

use hallmark_core::did::Did;
use hallmark_core::keys::{KeyFile, SecretKey};
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{Bitstring, StatusListSpec, StatusPurpose};
use hallmark_core::verify::{ResolveError, Resources, StatusMessage, Verifier};
use serde_json::{json, Map, Value};
use time::macros::datetime;

const LIST: &str = "https://issuer.example/status/msg";

struct Files(HashMap<String, Arc<[u8]>>);

impl Resources for Files {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: format!("{url} is not here"),
        })
    }
}

fn sign(document: Value, key: &KeyFile) -> Value {
    let Value::Object(map) = document else {
        panic!("an object")
    };
    let options = ProofOptions::did_key(
        &key.public_key(),
        Cryptosuite::EddsaJcs2022,
        Some(datetime!(2026-01-01 0:00 UTC)),
    );
    Value::Object(proof::sign(map, &options, key.secret_key()).unwrap())
}

/// A message list of 3-bit entries, index 5 set to `value`, signed by `key` as `issuer`.
fn list(issuer: &str, key: &KeyFile, value: u8) -> Arc<[u8]> {
    let mut bits = Bitstring::new(131_072, 3).unwrap();
    bits.set(5, 3, value).unwrap();
    let spec = StatusListSpec {
        url: LIST.into(),
        issuer: issuer.into(),
        purpose: StatusPurpose::Message,
        valid_from: datetime!(2026-01-01 0:00 UTC),
        valid_until: None,
        ttl_ms: None,
    };
    let unsigned: Map<String, Value> = spec.build(&bits).unwrap().into_map();
    serde_json::to_vec(&sign(Value::Object(unsigned), key))
        .unwrap()
        .into()
}

fn credential(issuer: &str, key: &KeyFile) -> Value {
    let messages: Vec<Value> = [
        "active",
        "superseded",
        "lapsed",
        "withdrawn",
        "under review",
        "unused",
        "unused",
        "unused",
    ]
    .iter()
    .enumerate()
    .map(|(v, m)| json!({"status": format!("0x{v:x}"), "message": m}))
    .collect();
    sign(
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": issuer,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "https://acme.example"},
            "credentialStatus": [{
                "type": "BitstringStatusListEntry", "statusPurpose": "message",
                "statusListIndex": "5", "statusListCredential": LIST, "statusSize": 3,
                "statusMessage": messages,
            }],
        }),
        key,
    )
}

#[test]
fn a_message_status_is_read_as_data_from_the_issuers_own_list() {
    let key = KeyFile::new(SecretKey::from_seed(&[7; 32]));
    let other = KeyFile::new(SecretKey::from_seed(&[8; 32]));
    let issuer = Did::key(&key.public_key()).to_string();
    let stranger = Did::key(&other.public_key()).to_string();
    let badge = credential(&issuer, &key);
    let verifier = Verifier::new(datetime!(2026-06-01 0:00 UTC));
    let with = |bytes: Option<Arc<[u8]>>| {
        let files = Files(bytes.map(|b| (LIST.to_owned(), b)).into_iter().collect());
        let report = verifier.verify_value(&badge, &files);
        (report, verifier.status_messages(&badge, &files))
    };
    let (report, messages) = with(Some(list(&issuer, &key, 1)));
    assert!(report.verified(), "{report:?}");
    assert_eq!(
        messages,
        [StatusMessage {
            list_url: LIST.into(),
            index: 5,
            value: Some(1),
            message: Some("superseded".into()),
        }]
    );
    let (_, messages) = with(Some(list(&issuer, &key, 0)));
    assert_eq!(messages[0].message.as_deref(), Some("active"));
    // Not the issuer's list (another key signed it as another issuer): no value.
    let (report, messages) = with(Some(list(&stranger, &other, 1)));
    assert!(!report.verified());
    assert_eq!(
        (messages[0].value, messages[0].message.as_deref()),
        (None, None)
    );
    // No list at all.
    let (_, messages) = with(None);
    assert_eq!(messages[0].value, None);
    // A credential without message entries has none.
    let plain = json!({"issuer": issuer, "credentialSubject": {}});
    assert!(verifier
        .status_messages(&plain, &Files(HashMap::new()))
        .is_empty());
}
