//! The Open Badges 3.0 JSON Schema check (OB 3.0 §B "JSON Schema", `AchievementCredential`,
//! draft 2019-09), with the schema shipped in the crate (`crates/core/schemas/`), by the `boon`
//! crate. Behind the cargo feature `ob3-schema`, off by default, so that the wasm32 build does
//! not carry a JSON Schema engine.
//!
//! The schema requires `proof` to be an **array** (and `credentialSchema`, `termsOfUse`), and
//! `credentialStatus` to be one object with an `id`; see `crates/core/schemas/README.md`. A
//! credential signed with one proof object passes once [`crate::proof::into_proof_set`] has
//! made it a proof set of one, which changes no signature.
//!
//! ```
//! use hallmark_core::{badge, did::Did, keys::SecretKey, ob3_schema, proof};
//! let key = SecretKey::from_seed(&[1; 32]);
//! let unsigned = badge::example(&Did::key(&key.public_key())).build().unwrap();
//! let options = proof::ProofOptions::did_key(
//!     &key.public_key(), proof::Cryptosuite::EddsaRdfc2022, None);
//! let mut signed = proof::sign(unsigned.into_map(), &options, &key).unwrap();
//! proof::into_proof_set(&mut signed);
//! ob3_schema::check(&serde_json::Value::Object(signed)).unwrap();
//! ```

use std::sync::OnceLock;

use serde_json::Value;

/// Where the schema says it lives (its `$id`).
pub const SCHEMA_ID: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json";

/// The schema's bytes.
pub const SCHEMA: &str = include_str!("../schemas/ob_v3p0_achievementcredential_schema.json");

/// Why a credential does not pass the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The credential breaks the schema; each item names the place (a JSON Pointer) and the
    /// rule.
    #[error("not an Open Badges 3.0 AchievementCredential by its JSON Schema: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The shipped schema could not be compiled (a build defect, not the credential's).
    #[error("the Open Badges 3.0 JSON Schema could not be compiled: {0}")]
    Schema(String),
}

struct Compiled {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

fn compiled() -> Result<&'static Compiled, SchemaError> {
    static COMPILED: OnceLock<Result<Compiled, String>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let schema: Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
            let mut compiler = boon::Compiler::new();
            compiler.enable_format_assertions();
            compiler
                .add_resource(SCHEMA_ID, schema)
                .map_err(|e| e.to_string())?;
            let mut schemas = boon::Schemas::new();
            let index = compiler
                .compile(SCHEMA_ID, &mut schemas)
                .map_err(|e| e.to_string())?;
            Ok(Compiled { schemas, index })
        })
        .as_ref()
        .map_err(|e| SchemaError::Schema(e.clone()))
}

/// Checks a credential against the OB 3.0 AchievementCredential JSON Schema, with format
/// assertions (`uri`, `date-time`, …) on.
///
/// # Errors
/// [`SchemaError::Invalid`] listing every violation (deepest causes first).
pub fn check(credential: &Value) -> Result<(), SchemaError> {
    let c = compiled()?;
    c.schemas.validate(credential, c.index).map_err(|e| {
        let mut problems = Vec::new();
        collect(&e, &mut problems);
        SchemaError::Invalid(problems)
    })
}

fn collect(e: &boon::ValidationError<'_, '_>, out: &mut Vec<String>) {
    if e.causes.is_empty() {
        out.push(format!(
            "at {:?}: {}",
            e.instance_location.to_string(),
            e.kind
        ));
    }
    for cause in &e.causes {
        collect(cause, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn shipped_schema_is_the_pinned_file() {
        let hex: String = Sha256::digest(SCHEMA.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "859e405b592d93c3261fe899362f4128801140d4d20c01502a066b3540483d95"
        );
        assert!(compiled().is_ok());
    }
}
