//! `hallmark issue`: builds and signs a partner badge (docs/design.md §2) without a server.

use std::path::PathBuf;

use hallmark_core::badge::{self, PartnerBadge};
use hallmark_core::did::{Did, Relationship, VerificationMethodId};
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{StatusEntry, StatusPurpose};
use time::{Duration, OffsetDateTime};

use crate::error::CliError;
use crate::keygen::read_key_file;
use crate::sign::{now_seconds, parse_suite, parse_time, print_json};

/// Arguments of `hallmark issue`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The issuer's key file.
    #[arg(long)]
    key: PathBuf,
    /// The issuer's id (default: the key's did:key).
    #[arg(long)]
    issuer: Option<String>,
    /// The issuer's display name.
    #[arg(long)]
    issuer_name: String,
    /// The issuer's website.
    #[arg(long)]
    issuer_url: Option<String>,
    /// The issuer's public base URL: the badge id is {base}/credentials/{uuid}.
    #[arg(long)]
    base_url: String,
    /// The proof's verificationMethod (default: the key's did:key method; required when
    /// --issuer is not that did:key).
    #[arg(long)]
    verification_method: Option<String>,
    /// The partner's URL or DID.
    #[arg(long)]
    partner_id: String,
    /// The partner's display name.
    #[arg(long)]
    partner_name: String,
    /// The certified role (sales, solutions, delivery, …).
    #[arg(long)]
    role: String,
    /// The tier's slug (gold, silver, …).
    #[arg(long)]
    tier: String,
    /// The tier's display name (Gold Partner).
    #[arg(long)]
    tier_name: String,
    /// What the tier means.
    #[arg(long)]
    tier_description: String,
    /// The tier's requirements, in words.
    #[arg(long)]
    criteria: String,
    /// A competency as CODE=Name; repeat for each.
    #[arg(long = "competency", value_name = "CODE=NAME")]
    competencies: Vec<String>,
    /// The competency framework's name.
    #[arg(long)]
    framework: Option<String>,
    /// The partner's exam score, percent.
    #[arg(long, requires = "exam_minimum")]
    exam_score: Option<u8>,
    /// The tier's minimum exam score, percent.
    #[arg(long, requires = "exam_score")]
    exam_minimum: Option<u8>,
    /// The level the partner reached in the live demo.
    #[arg(long, requires = "demo_minimum")]
    demo_level: Option<String>,
    /// The tier's minimum demo level.
    #[arg(long, requires = "demo_level")]
    demo_minimum: Option<String>,
    /// The demo rubric's levels, lowest first, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "Developing,Proficient,Advanced,Expert"
    )]
    demo_levels: Vec<String>,
    /// Public evidence as "Name|Description|Genre"; repeat for each.
    #[arg(long = "evidence", value_name = "NAME|DESCRIPTION|GENRE")]
    evidence: Vec<String>,
    /// Start of validity, RFC 3339 (default: now).
    #[arg(long, value_parser = parse_time)]
    valid_from: Option<OffsetDateTime>,
    /// End of validity, RFC 3339.
    #[arg(long, value_parser = parse_time, conflicts_with = "valid_for_days")]
    valid_until: Option<OffsetDateTime>,
    /// Validity in days from --valid-from, when --valid-until is not given.
    #[arg(long, default_value_t = 365)]
    valid_for_days: u16,
    /// The revocation list's URL (statusListCredential); needs --status-index.
    #[arg(long, requires = "status_index")]
    status_list: Option<String>,
    /// The badge's index in the revocation list.
    #[arg(long, requires = "status_list")]
    status_index: Option<u64>,
    /// The suspension list's URL; needs --suspension-index.
    #[arg(long, requires = "suspension_index")]
    suspension_list: Option<String>,
    /// The badge's index in the suspension list.
    #[arg(long, requires = "suspension_list")]
    suspension_index: Option<u64>,
    /// The badge's UUID (default: a random one).
    #[arg(long)]
    id: Option<String>,
    /// The cryptosuite: eddsa-rdfc-2022 (JSON-LD + RDFC-1.0, what Open Badges 3.0 validators
    /// and wallets expect) or eddsa-jcs-2022 (JCS, no JSON-LD).
    #[arg(long, default_value = "eddsa-rdfc-2022", value_parser = parse_suite)]
    cryptosuite: Cryptosuite,
    /// The proof's created time (default: now).
    #[arg(long, value_parser = parse_time)]
    created: Option<OffsetDateTime>,
}

/// Runs `hallmark issue`: prints the signed badge as JSON.
///
/// # Errors
/// [`CliError`] for a bad key, a malformed flag, or a badge missing what OB 3.0 requires.
pub fn run(args: Args) -> Result<u8, CliError> {
    let key = read_key_file(&args.key)?;
    let key_did = Did::key(&key.public_key());
    let issuer = args.issuer.clone().unwrap_or_else(|| key_did.to_string());
    let verification_method = match &args.verification_method {
        Some(vm) => VerificationMethodId::parse(vm).map_err(|e| CliError::Usage {
            flag: "--verification-method",
            message: e.to_string(),
        })?,
        None if issuer == key_did.as_str() => {
            ProofOptions::did_key(&key.public_key(), args.cryptosuite, None).verification_method
        }
        None => {
            return Err(CliError::Usage {
                flag: "--verification-method",
                message: format!(
                    "required when the issuer ({issuer}) is not the key's own did:key"
                ),
            })
        }
    };
    let valid_from = args.valid_from.unwrap_or_else(now_seconds);
    let valid_until = args
        .valid_until
        .unwrap_or(valid_from + Duration::days(i64::from(args.valid_for_days)));
    let competencies = args
        .competencies
        .iter()
        .map(|c| {
            let (code, name) = c.split_once('=').ok_or_else(|| CliError::Usage {
                flag: "--competency",
                message: format!("{c:?} is not CODE=Name"),
            })?;
            Ok(badge::Competency {
                code: code.trim().into(),
                name: name.trim().into(),
                url: None,
                framework: args.framework.clone(),
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let evidence = args
        .evidence
        .iter()
        .map(|e| match e.split('|').collect::<Vec<_>>()[..] {
            [name, description, genre] => Ok(badge::Evidence {
                name: name.trim().into(),
                description: description.trim().into(),
                genre: genre.trim().into(),
            }),
            _ => Err(CliError::Usage {
                flag: "--evidence",
                message: format!("{e:?} is not \"Name|Description|Genre\""),
            }),
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let credential_uuid = match args.id {
        Some(id) => id,
        None => random_uuid()?,
    };
    let spec = PartnerBadge {
        base_url: args.base_url,
        credential_uuid,
        issuer: badge::Issuer {
            id: issuer,
            name: args.issuer_name,
            url: args.issuer_url,
        },
        partner: badge::Partner {
            id: args.partner_id,
            name: args.partner_name,
        },
        role: args.role,
        tier: badge::Tier {
            slug: args.tier,
            name: args.tier_name,
            description: args.tier_description,
            criteria: args.criteria,
            specialization: false,
        },
        competencies,
        exam: args
            .exam_score
            .zip(args.exam_minimum)
            .map(|(score, required)| badge::Exam { score, required }),
        demo: args
            .demo_level
            .zip(args.demo_minimum)
            .map(|(achieved, required)| badge::Demo {
                levels: args.demo_levels.clone(),
                required,
                achieved,
            }),
        evidence,
        valid_from,
        valid_until,
        credential_status: [
            (
                StatusPurpose::Revocation,
                args.status_list.zip(args.status_index),
            ),
            (
                StatusPurpose::Suspension,
                args.suspension_list.zip(args.suspension_index),
            ),
        ]
        .into_iter()
        .filter_map(|(purpose, entry)| {
            entry.map(|(list_url, index)| {
                StatusEntry {
                    purpose,
                    index,
                    list_url,
                    status_size: 1,
                    messages: Vec::new(),
                    reference: Vec::new(),
                }
                .to_json()
            })
        })
        .collect(),
    };
    let unsigned = spec.build()?;
    let options = ProofOptions {
        cryptosuite: args.cryptosuite,
        verification_method,
        proof_purpose: Relationship::AssertionMethod,
        created: Some(args.created.unwrap_or_else(now_seconds)),
    };
    let mut signed = proof::sign(unsigned.into_map(), &options, key.secret_key())?;
    // The OB 3.0 JSON Schema wants `proof` as an array; the signature is the same.
    proof::into_proof_set(&mut signed);
    print_json(&serde_json::Value::Object(signed))
}

fn random_uuid() -> Result<String, CliError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| CliError::Usage {
        flag: "--id",
        message: format!("no system randomness to make one: {e}"),
    })?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string())
}
