//! Hallmark's credential engine: the W3C Verifiable Credentials Data Model 2.0, Data Integrity
//! proofs with the EdDSA cryptosuites, Ed25519 Multikeys and `did:key`, Open Badges 3.0
//! partner badges, and the verification pipeline that every front end shares.
//!
//! It does no I/O: callers bring bytes and already-fetched documents, and get a [`Report`]
//! back. It builds for `wasm32-unknown-unknown`, so a browser can verify on its own.
//!
//! A new verification check goes in the pipeline, [`verify`] (its [`CheckId`] in [`report`]),
//! so the CLI, both services and the browser report it alike; what it needs fetched it asks of
//! [`verify::Resources`]. Endpoints, pages, domain rules and jobs live in the services.
//!
//! The `batch` feature (not in the wasm build) adds `batch`: Ed25519 batch verification that
//! answers what `verify_strict` answers for each signature, and `Verifier::verify_many`, which
//! verifies many credentials over a few threads with it, each report as `verify_bytes` gives.
//!
//! ```
//! use hallmark_core::{badge, keys::SecretKey, did::Did, proof, verify::{Offline, Verifier}};
//! use time::macros::datetime;
//!
//! // An issuer key (use real randomness), a badge, a proof…
//! let key = SecretKey::from_seed(&[42; 32]);
//! let issuer = Did::key(&key.public_key());
//! let unsigned = badge::example(&issuer).build().unwrap();
//! let options = proof::ProofOptions::did_key(&key.public_key(),
//!     proof::Cryptosuite::EddsaJcs2022, Some(datetime!(2026-01-15 09:00 UTC)));
//! let signed = proof::sign(unsigned.into_map(), &options, &key).unwrap();
//!
//! // …and its verification.
//! let report = Verifier::new(datetime!(2026-06-01 00:00 UTC))
//!     .verify_value(&serde_json::Value::Object(signed), &Offline);
//! assert!(report.verified(), "{report:?}");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod badge;
pub mod baked;
#[cfg(feature = "batch")]
pub mod batch;
pub mod cache;
pub mod clock;
pub mod credential;
pub mod datetime;
pub mod did;
pub mod jcs;
pub mod json;
pub mod jsonld;
pub mod keys;
pub mod multibase;
#[cfg(feature = "ob3-schema")]
pub mod ob3_schema;
pub mod plan;
pub mod presentation;
pub mod proof;
pub mod report;
pub mod status;
pub mod trust;
pub mod verify;

pub use report::{Check, CheckId, ErrorCode, Hint, Outcome, PresentationReport, Report, Standing};
pub use verify::Verifier;
