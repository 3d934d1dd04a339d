//! `hallmark sign`: adds a Data Integrity proof to any VC 2.0 credential.

use std::io::Write;
use std::path::PathBuf;

use hallmark_core::credential::UnsignedCredential;
use hallmark_core::did::{Relationship, VerificationMethodId};
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use time::OffsetDateTime;

use crate::error::{output, read_input, CliError};
use crate::keygen::read_key_file;

/// Arguments of `hallmark sign`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The issuer's key file.
    #[arg(long)]
    key: PathBuf,
    /// The cryptosuite: eddsa-jcs-2022 (JCS, the default: any VC 2.0 credential) or
    /// eddsa-rdfc-2022 (JSON-LD + RDFC-1.0; every term must be defined by a pinned context).
    #[arg(long, default_value = "eddsa-jcs-2022", value_parser = parse_suite)]
    cryptosuite: Cryptosuite,
    /// The proof's verificationMethod (default: the key's did:key, did:key:z…#z…).
    #[arg(long, value_parser = parse_vm)]
    verification_method: Option<VerificationMethodId>,
    /// The proof's created time, RFC 3339 (default: now, to the second).
    #[arg(long, value_parser = parse_time)]
    created: Option<OffsetDateTime>,
    /// The credential to sign: a file, or - for standard input.
    #[arg(default_value = "-")]
    input: String,
}

/// Runs `hallmark sign`: prints the signed credential as JSON.
///
/// # Errors
/// [`CliError`] for an unreadable key or input, or a credential that is not VC 2.0.
pub fn run(args: Args) -> Result<u8, CliError> {
    let key = read_key_file(&args.key)?;
    let bytes = read_input(&args.input)?;
    let unsigned =
        UnsignedCredential::from_json(&bytes).map_err(|source| CliError::Credential {
            input: args.input.clone(),
            source,
        })?;
    let options = ProofOptions {
        cryptosuite: args.cryptosuite,
        verification_method: args.verification_method.unwrap_or_else(|| {
            ProofOptions::did_key(&key.public_key(), args.cryptosuite, None).verification_method
        }),
        proof_purpose: Relationship::AssertionMethod,
        created: Some(args.created.unwrap_or_else(now_seconds)),
    };
    let signed = proof::sign(unsigned.into_map(), &options, key.secret_key())?;
    print_json(&serde_json::Value::Object(signed))
}

/// Prints pretty JSON with a final newline.
///
/// # Errors
/// [`CliError::Output`], or [`CliError::BrokenPipe`].
pub fn print_json(value: &serde_json::Value) -> Result<u8, CliError> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(stdout))
        .map_err(output)?;
    Ok(0)
}

/// The current time, whole seconds, UTC.
pub fn now_seconds() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// Parses `--cryptosuite`.
pub fn parse_suite(text: &str) -> Result<Cryptosuite, String> {
    text.parse::<Cryptosuite>().map_err(|e| e.to_string())
}

fn parse_vm(text: &str) -> Result<VerificationMethodId, String> {
    VerificationMethodId::parse(text).map_err(|e| e.to_string())
}

/// Parses an RFC 3339 / XML Schema dateTimeStamp flag value.
pub fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    hallmark_core::datetime::parse(text).map_err(|e| e.to_string())
}
