//! `hallmark status-list`: create a Bitstring Status List credential, set or clear an entry
//! (re-signing it), and inspect one.

use std::io::Write;
use std::path::{Path, PathBuf};

use hallmark_core::did::{Did, Relationship, VerificationMethodId};
use hallmark_core::keys::KeyFile;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{
    Bitstring, StatusList, StatusListSpec, StatusPurpose, DEFAULT_MAX_DECODED_BYTES, MIN_ENTRIES,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{output, CliError};
use crate::keygen::read_key_file;
use crate::sign::{now_seconds, parse_suite, parse_time};

/// `hallmark status-list` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a signed, all-clear status list credential.
    Create(CreateArgs),
    /// Set an entry (revoke, suspend) and re-sign the list in place.
    Set(ChangeArgs),
    /// Clear an entry (reinstate a suspension) and re-sign the list in place.
    Clear(ChangeArgs),
    /// Show a list: purpose, length, and the indexes that are set.
    Show(ShowArgs),
}

/// Arguments of `hallmark status-list create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The issuer's key file.
    #[arg(long)]
    key: PathBuf,
    /// Where the list will be published: its id, and badges' statusListCredential.
    #[arg(long)]
    url: String,
    /// revocation, suspension, message or refresh.
    #[arg(long, default_value = "revocation", value_parser = parse_purpose)]
    purpose: StatusPurpose,
    /// Number of entries (at least 131072).
    #[arg(long, default_value_t = MIN_ENTRIES)]
    entries: usize,
    /// Bits per entry (1 to 8).
    #[arg(long, default_value_t = 1)]
    status_size: u8,
    /// The issuer's id (default: the key's did:key).
    #[arg(long)]
    issuer: Option<String>,
    /// The proof's verificationMethod (default: the key's did:key method).
    #[arg(long)]
    verification_method: Option<String>,
    /// validFrom of the list, RFC 3339 (default: now).
    #[arg(long, value_parser = parse_time)]
    valid_from: Option<OffsetDateTime>,
    /// validUntil of the list, RFC 3339.
    #[arg(long, value_parser = parse_time)]
    valid_until: Option<OffsetDateTime>,
    /// How long verifiers may cache the list, milliseconds (the list's ttl).
    #[arg(long)]
    ttl_ms: Option<u64>,
    /// The cryptosuite.
    #[arg(long, default_value = "eddsa-jcs-2022", value_parser = parse_suite)]
    cryptosuite: Cryptosuite,
    /// The file to create (refuses to overwrite).
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `hallmark status-list set` and `clear`.
#[derive(Debug, clap::Args)]
pub struct ChangeArgs {
    /// The issuer's key file.
    #[arg(long)]
    key: PathBuf,
    /// The proof's verificationMethod (default: the one the list was signed with).
    #[arg(long)]
    verification_method: Option<String>,
    /// The value to set (for statusSize above 1).
    #[arg(long, default_value_t = 1)]
    status: u8,
    /// Bits per entry.
    #[arg(long, default_value_t = 1)]
    status_size: u8,
    /// The cryptosuite of the new proof.
    #[arg(long, default_value = "eddsa-jcs-2022", value_parser = parse_suite)]
    cryptosuite: Cryptosuite,
    /// The list credential file, rewritten in place.
    file: PathBuf,
    /// The entry's statusListIndex.
    index: u64,
}

/// Arguments of `hallmark status-list show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Bits per entry.
    #[arg(long, default_value_t = 1)]
    status_size: u8,
    /// The list credential file.
    file: PathBuf,
}

/// Runs a `hallmark status-list` subcommand.
///
/// # Errors
/// [`CliError`] for unreadable files, bad keys, malformed lists or out-of-range indexes.
pub fn run(command: Command) -> Result<u8, CliError> {
    match command {
        Command::Create(args) => create(args),
        Command::Set(args) => change(args, true),
        Command::Clear(args) => change(args, false),
        Command::Show(args) => show(args),
    }
}

fn parse_purpose(text: &str) -> Result<StatusPurpose, String> {
    StatusPurpose::parse(text).map_err(|e| e.to_string())
}

fn list_error(e: hallmark_core::status::StatusListError) -> CliError {
    CliError::StatusList(e.to_string())
}

fn create(args: CreateArgs) -> Result<u8, CliError> {
    let key = read_key_file(&args.key)?;
    let issuer = args
        .issuer
        .clone()
        .unwrap_or_else(|| Did::key(&key.public_key()).to_string());
    let vm = verification_method(&key, &issuer, args.verification_method.as_deref(), None)?;
    let bitstring = Bitstring::new(args.entries, args.status_size).map_err(list_error)?;
    let spec = StatusListSpec {
        url: args.url,
        issuer,
        purpose: args.purpose,
        valid_from: args.valid_from.unwrap_or_else(now_seconds),
        valid_until: args.valid_until,
        ttl_ms: args.ttl_ms,
    };
    let signed = sign(&spec, &bitstring, &key, vm, args.cryptosuite)?;
    write_new(&args.out, &signed)?;
    eprintln!(
        "wrote {}: {} list of {} entries, all clear",
        args.out.display(),
        spec.purpose.as_str(),
        args.entries
    );
    Ok(0)
}

fn change(args: ChangeArgs, set: bool) -> Result<u8, CliError> {
    let key = read_key_file(&args.key)?;
    let (map, list) = read_list(&args.file)?;
    let old_vm = map
        .get("proof")
        .and_then(|p| p.get("verificationMethod"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let vm = verification_method(
        &key,
        &list.issuer,
        args.verification_method.as_deref(),
        old_vm.as_deref(),
    )?;
    let purpose = list
        .purposes
        .first()
        .map(|p| StatusPurpose::parse(p))
        .transpose()
        .map_err(list_error)?
        .ok_or_else(|| CliError::StatusList("the list has no statusPurpose".into()))?;
    let mut bitstring = list.bitstring.clone();
    bitstring
        .set(
            args.index,
            args.status_size,
            if set { args.status } else { 0 },
        )
        .map_err(list_error)?;
    let spec = StatusListSpec {
        url: list.id.clone().unwrap_or_default(),
        issuer: list.issuer.clone(),
        purpose,
        valid_from: list.valid_from.unwrap_or_else(now_seconds),
        valid_until: list.valid_until,
        ttl_ms: list.ttl_ms,
    };
    let signed = sign(&spec, &bitstring, &key, vm, args.cryptosuite)?;
    replace(&args.file, &signed)?;
    eprintln!(
        "{} index {} of {} and re-signed it",
        if set { "set" } else { "cleared" },
        args.index,
        args.file.display()
    );
    Ok(0)
}

fn show(args: ShowArgs) -> Result<u8, CliError> {
    let (_, list) = read_list(&args.file)?;
    let size = args.status_size;
    let set = list.bitstring.set_indexes(size);
    let entries = list.bitstring.entries(size);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let value = serde_json::json!({
            "id": list.id, "issuer": list.issuer, "statusPurpose": list.purposes,
            "entries": entries, "bits": list.bitstring.len_bits(), "statusSize": size,
            "set": set, "long enough": entries >= MIN_ENTRIES,
        });
        writeln!(stdout, "{value}").map_err(output)?;
    } else {
        let lines = [
            format!("list:     {}", list.id.as_deref().unwrap_or("(no id)")),
            format!("issuer:   {}", list.issuer),
            format!("purpose:  {}", list.purposes.join(", ")),
            format!(
                "length:   {entries} entries of {size} bit(s){}",
                if entries < MIN_ENTRIES {
                    " (below the 131072 minimum: verifiers refuse it)"
                } else {
                    ""
                }
            ),
            format!(
                "set:      {}",
                if set.is_empty() {
                    "none".to_owned()
                } else {
                    set.iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        ];
        for line in lines {
            writeln!(stdout, "{line}").map_err(output)?;
        }
    }
    Ok(0)
}

fn read_list(path: &Path) -> Result<(Map<String, Value>, StatusList), CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value = hallmark_core::json::parse(&bytes)
        .map_err(|e| CliError::StatusList(format!("{}: {e}", path.display())))?;
    let Value::Object(map) = value else {
        return Err(CliError::StatusList(format!(
            "{} is not a JSON object",
            path.display()
        )));
    };
    let list = StatusList::read(&map, DEFAULT_MAX_DECODED_BYTES).map_err(list_error)?;
    Ok((map, list))
}

fn verification_method(
    key: &KeyFile,
    issuer: &str,
    given: Option<&str>,
    previous: Option<&str>,
) -> Result<VerificationMethodId, CliError> {
    let usage = |message: String| CliError::Usage {
        flag: "--verification-method",
        message,
    };
    let key_did = Did::key(&key.public_key());
    if let Some(vm) = given.or(previous) {
        let vm = VerificationMethodId::parse(vm).map_err(|e| usage(e.to_string()))?;
        // A did:key method must be this key's.
        if hallmark_core::did::method_of(vm.as_str()) == Some("key")
            && vm.controller_document_id() != key_did.as_str()
        {
            return Err(usage(format!(
                "{vm} is not the key in the key file ({key_did})"
            )));
        }
        return Ok(vm);
    }
    if issuer == key_did.as_str() {
        Ok(
            ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaJcs2022, None)
                .verification_method,
        )
    } else {
        Err(usage(format!(
            "required when the issuer ({issuer}) is not the key's own did:key"
        )))
    }
}

fn sign(
    spec: &StatusListSpec,
    bitstring: &Bitstring,
    key: &KeyFile,
    verification_method: VerificationMethodId,
    cryptosuite: Cryptosuite,
) -> Result<Value, CliError> {
    let unsigned = spec.build(bitstring).map_err(list_error)?;
    let options = ProofOptions {
        cryptosuite,
        verification_method,
        proof_purpose: Relationship::AssertionMethod,
        created: Some(now_seconds()),
    };
    Ok(Value::Object(proof::sign(
        unsigned.into_map(),
        &options,
        key.secret_key(),
    )?))
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn write_new(path: &Path, value: &Value) -> Result<(), CliError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| CliError::Write {
            path: path.to_owned(),
            source,
        })?;
    file.write_all(&pretty(value))
        .map_err(|source| CliError::Write {
            path: path.to_owned(),
            source,
        })
}

/// Replaces a file atomically: a sibling temporary file, then a rename.
fn replace(path: &Path, value: &Value) -> Result<(), CliError> {
    let err = |source| CliError::Write {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("json.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(err)?;
    file.write_all(&pretty(value))
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(e)
        })?;
    std::fs::rename(&tmp, path).map_err(err)
}
