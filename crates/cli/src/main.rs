//! `hallmark`: keys, signing, partner badges and verification from the command line
//! (docs/design.md §4).
//!
//! Exit status is a contract: 0 verified (or the command succeeded), 1 not verified, 2 the
//! command could not run (usage, unreadable input). Human-readable reports go to stderr,
//! machine output (JSON, signed credentials) to stdout.
//!
//! Each command is a module here, and only parses, calls a library crate and renders. A
//! one-off job of the issuer (bulk issuance) is run from here, calling the same
//! `hallmark_issuer::Issuer` methods as the API; periodic ones run inside `hallmark serve`
//! (`hallmark_issuer::jobs`).

#![forbid(unsafe_code)]

mod approvals;
mod badges;
mod batch;
mod claims;
mod error;
mod issue;
mod key;
mod keygen;
mod kpis;
mod render;
mod scorecards;
mod serve;
mod sign;
mod status_list;
mod verify;
mod web;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;

// Parsing JSON allocates many small strings; mimalloc makes that markedly cheaper.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hallmark: signed partner badges (W3C Verifiable Credentials, Open Badges 3.0) and their
/// verification.
#[derive(Debug, Parser)]
#[command(name = "hallmark", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new Ed25519 issuer key file (mode 0600) and print its did:key.
    Keygen(keygen::Args),
    /// Sign a VC 2.0 credential with a Data Integrity proof and print it.
    Sign(sign::Args),
    /// Build and sign a partner badge (an Open Badges 3.0 credential) offline.
    Issue(Box<issue::Args>),
    /// Verify badges (proof, issuer, trust, validity, status) or presentations of them (the
    /// holder's proof, challenge, domain, then each badge), one report per input.
    Verify(verify::Args),
    /// Create, change and inspect Bitstring Status List credentials (revocation, suspension).
    #[command(subcommand)]
    StatusList(status_list::Command),
    /// Run the issuer service: program, approvals, issuance, revocation, did:web.
    Serve(serve::Args),
    /// The standalone verifier service (VC API verify endpoints, trust list, fetching).
    #[command(subcommand)]
    Verifier(serve::VerifierCommand),
    /// Manage API tokens: create (with a role), list, revoke.
    #[command(subcommand)]
    Token(serve::TokenCommand),
    /// Approvals in bulk: import a CSV file of approvals into an issuer.
    #[command(subcommand)]
    Approvals(approvals::Command),
    /// Partners' scorecards: import a CSV or JSON file of them into an issuer.
    #[command(subcommand)]
    Scorecards(scorecards::Command),
    /// The issuer's badges: those due for renewal.
    #[command(subcommand)]
    Badges(badges::Command),
    /// The issuer's signing keys: rotate, revoke, list.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// The program's KPIs from an issuer (GET /api/v1/kpis): a table, --csv or --json. The
    /// token is read from HALLMARK_TOKEN.
    Kpis(kpis::Args),
    /// Write the issuer's DID document and status lists as static files, for a CDN or
    /// object store.
    Publish(key::PublishArgs),
    /// The in-browser verifier: `web export DIR` writes it as static files for any web host.
    #[command(subcommand)]
    Web(web::Command),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Keygen(args) => keygen::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Issue(args) => issue::run(*args),
        Command::Verify(args) => verify::run(args),
        Command::StatusList(command) => status_list::run(command),
        Command::Serve(args) => serve::run(args),
        Command::Token(command) => serve::token(command),
        Command::Verifier(command) => serve::verifier(command),
        Command::Approvals(command) => approvals::run(command),
        Command::Scorecards(command) => scorecards::run(command),
        Command::Badges(command) => badges::run(command),
        Command::Key(command) => key::run(command),
        Command::Publish(args) => key::publish(args),
        Command::Kpis(args) => kpis::run(args),
        Command::Web(command) => web::run(command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {e}");
            if let Some(hint) = e.hint() {
                let _ = writeln!(stderr, "hint: {hint}");
            }
            ExitCode::from(2)
        }
    }
}
