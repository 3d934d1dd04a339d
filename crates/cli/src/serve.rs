//! `hallmark serve` and `hallmark token create`: the issuer service (docs/design.md §5).

use std::path::PathBuf;

use hallmark_core::trust::TrustArg;
use hallmark_issuer::{Config, Issuer, Overrides};

use crate::error::CliError;

/// Arguments of `hallmark serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration file (default: DATA/config.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The address to listen on (overrides the configuration's `listen`).
    #[arg(long)]
    listen: Option<String>,
    /// The data folder: configuration, program, keys and the SQLite database.
    #[arg(long, default_value = "hallmark-data")]
    data: PathBuf,
    /// The database URL (overrides the configuration's `database_url`).
    #[arg(long)]
    database_url: Option<String>,
    /// Create a demo program, key and data folder when none exist, with a first badge and an
    /// admin token.
    #[arg(long)]
    demo: bool,
}

/// Where `hallmark token` finds the database.
#[derive(Debug, clap::Args)]
pub struct Place {
    /// The configuration file (default: DATA/config.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The data folder.
    #[arg(long, default_value = "hallmark-data")]
    data: PathBuf,
}

/// `hallmark token` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create an API token; prints it once (only its hash is stored).
    Create {
        #[command(flatten)]
        place: Place,
        /// A label for the token, kept in the audit log (default: admin).
        #[arg(value_name = "NAME", conflicts_with = "name")]
        label: Option<String>,
        /// The label, as an option (the same as NAME).
        #[arg(long)]
        name: Option<String>,
        /// What it may do: viewer (read only), issuer (approve, change status, partners)
        /// or admin (everything, also tokens, keys, webhooks).
        #[arg(long, default_value = "admin", value_parser = ["viewer", "issuer", "admin"])]
        role: String,
    },
    /// List the API tokens: id, name, role, created, revoked (never a secret).
    List {
        #[command(flatten)]
        place: Place,
    },
    /// Revoke an API token by id or name; it is refused from the next request on.
    Revoke {
        #[command(flatten)]
        place: Place,
        /// The token's id, or its name when only one token has it.
        #[arg(value_name = "ID-OR-NAME")]
        which: String,
    },
}

/// Logs to stderr; `HALLMARK_LOG` sets the filter (default `info`).
fn init_logging() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour for a terminal only: a log file or journal gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HALLMARK_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Serve(format!("cannot start the runtime: {e}")))
}

pub(crate) fn serve_error(e: impl std::fmt::Display) -> CliError {
    CliError::Serve(e.to_string())
}

/// Runs `hallmark serve` until SIGINT or SIGTERM, then finishes the requests in flight.
///
/// The address is bound before anything is created or changed, so a taken port leaves no
/// half-made demo behind. With `--demo`, the demo's `base_url` follows the address it listens
/// on (`--listen`, `HALLMARK_LISTEN`), in a new demo and in an existing one.
///
/// # Errors
/// [`CliError::Serve`] naming the configuration problem, database or address;
/// [`CliError::AddressInUse`] when the address is taken.
pub fn run(args: Args) -> Result<u8, CliError> {
    init_logging();
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| args.data.join("config.toml"));
    // --demo works on the data folder; with --config it changes nothing.
    let demo = args.demo && args.config.is_none();
    let new_demo = demo && !config_path.exists();
    if !new_demo && !config_path.exists() {
        return Err(CliError::Serve(format!(
            "no configuration at {}; run `hallmark serve --demo` to create a demo one, or pass --config FILE",
            config_path.display()
        )));
    }
    let overrides = Overrides {
        listen: args.listen.clone(),
        database_url: args.database_url.clone(),
    };
    runtime()?.block_on(async move {
        let (config, listener) = if new_demo {
            let addr = demo_address(args.listen.as_deref())?;
            let listener = bind(addr).await?;
            let addr = listener.local_addr().map_err(serve_error)?;
            hallmark_issuer::demo::prepare(&args.data, addr).map_err(serve_error)?;
            let overrides = Overrides {
                listen: Some(addr.to_string()),
                ..overrides
            };
            let config = Config::load(&config_path, &overrides).map_err(serve_error)?;
            (config, listener)
        } else {
            let config = Config::load(&config_path, &overrides).map_err(serve_error)?;
            let listener = bind(config.listen).await?;
            let addr = listener.local_addr().map_err(serve_error)?;
            let moved = if demo {
                hallmark_issuer::demo::follow_listen(&config_path, addr).map_err(serve_error)?
            } else {
                None
            };
            match moved {
                Some((old, new)) => {
                    eprintln!(
                        "The demo now serves at {new} (its base_url was {old}); badges issued before still name {old}."
                    );
                    let config = Config::load(&config_path, &overrides).map_err(serve_error)?;
                    let did = hallmark_issuer::demo::did_web(addr);
                    if config.issuer_id.as_deref() == Some(did.as_str()) {
                        eprintln!(
                            "The demo now issues as {did}; badges issued before name its old did:web and no longer verify."
                        );
                    }
                    (config, listener)
                }
                None => (config, listener),
            }
        };
        let state = Issuer::open(config).await.map_err(serve_error)?;
        // A new demo, or one whose first start stopped before it was seeded.
        let first = hallmark_store::PageRequest::first(1);
        if demo
            && state
                .store()
                .partners(&Default::default(), &first)
                .await
                .map_err(serve_error)?
                .items
                .is_empty()
        {
            seed_demo(&state).await?;
        }
        let addr = listener.local_addr().map_err(serve_error)?;
        tracing::info!(
            "issuer {} listening on {}://{addr} ({} database, {} badges)",
            state.keys().issuer(),
            if state.config().tls.is_some() {
                "https"
            } else {
                "http"
            },
            state.store().backend(),
            state.config().cryptosuite
        );
        hallmark_issuer::serve(state, listener, hallmark_http::shutdown_signal())
            .await
            .map_err(serve_error)?;
        tracing::info!("stopped");
        Ok(0)
    })
}

/// The address a new demo listens on: `--listen`, else `HALLMARK_LISTEN`, else
/// 127.0.0.1:8080.
fn demo_address(listen: Option<&str>) -> Result<std::net::SocketAddr, CliError> {
    let env = std::env::var("HALLMARK_LISTEN")
        .ok()
        .filter(|v| !v.is_empty());
    let (flag, text) = match (listen, env.as_deref()) {
        (Some(text), _) => ("--listen", text),
        (None, Some(text)) => ("HALLMARK_LISTEN", text),
        (None, None) => ("--listen", "127.0.0.1:8080"),
    };
    text.parse().map_err(|e| CliError::Usage {
        flag,
        message: format!("{text:?} is not an address like 127.0.0.1:8080: {e}"),
    })
}

/// A first partner, approval and badge, and an admin token, for a new demo.
async fn seed_demo(state: &Issuer) -> Result<(), CliError> {
    const ADMIN: &str = "demo-admin";
    let token = hallmark_issuer::create_token(state.store(), ADMIN)
        .await
        .map_err(serve_error)?;
    let base = state.config().base_url.clone();
    eprintln!(
        "\nDemo ready. Admin token (shown once, stored hashed):\n\n  export HALLMARK_TOKEN={token}\n\n\
         Try:\n  curl -s -H \"Authorization: Bearer $HALLMARK_TOKEN\" {base}/api/v1/credentials\n\
         The README walks through recording an approval, issuing and verifying a badge.\n"
    );
    let badge = hallmark_issuer::demo::seed(state, ADMIN)
        .await
        .map_err(serve_error)?;
    eprintln!("The demo Gold badge: {badge}\n");
    Ok(())
}

/// Runs `hallmark token create|list|revoke`.
///
/// # Errors
/// [`CliError::Serve`] for configuration or database problems, an unknown or ambiguous
/// token, or a refused name.
pub fn token(command: TokenCommand) -> Result<u8, CliError> {
    let place = match &command {
        TokenCommand::Create { place, .. }
        | TokenCommand::List { place }
        | TokenCommand::Revoke { place, .. } => place,
    };
    let path = place
        .config
        .clone()
        .unwrap_or_else(|| place.data.join("config.toml"));
    let config = Config::load(&path, &Overrides::default()).map_err(serve_error)?;
    runtime()?.block_on(async move {
        let store = hallmark_store::Store::connect(&config.database_url)
            .await
            .map_err(serve_error)?;
        store.migrate().await.map_err(serve_error)?;
        let done = run_token(&store, command).await;
        store.close().await;
        done
    })
}

async fn run_token(store: &hallmark_store::Store, command: TokenCommand) -> Result<u8, CliError> {
    match command {
        TokenCommand::Create {
            label, name, role, ..
        } => {
            let name = label.or(name).unwrap_or_else(|| "admin".to_owned());
            let role: hallmark_store::Role = role.parse().map_err(serve_error)?;
            let (info, token) = hallmark_issuer::new_token(store, "cli", &name, role)
                .await
                .map_err(serve_error)?;
            println!("{token}");
            eprintln!(
                "token {:?} ({}) created with the role {}; it is shown only now. Send it as: Authorization: Bearer <token>",
                info.name, info.id, info.role
            );
        }
        TokenCommand::List { .. } => {
            let tokens = hallmark_issuer::list_tokens(store)
                .await
                .map_err(serve_error)?;
            let when = |t: i64| {
                time::OffsetDateTime::from_unix_timestamp(t)
                    .ok()
                    .and_then(|d| {
                        d.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    })
                    .unwrap_or_else(|| t.to_string())
            };
            let rows: Vec<[String; 5]> = tokens
                .iter()
                .map(|t| {
                    [
                        t.id.clone(),
                        t.name.clone(),
                        t.role.to_string(),
                        when(t.created_at),
                        t.revoked_at.map_or_else(|| "-".to_owned(), when),
                    ]
                })
                .collect();
            let header = ["ID", "NAME", "ROLE", "CREATED", "REVOKED"].map(str::to_owned);
            let mut widths = header.clone().map(|h| h.chars().count());
            for row in &rows {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            for row in std::iter::once(&header).chain(&rows) {
                let line: Vec<String> = row
                    .iter()
                    .zip(widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                println!("{}", line.join("  ").trim_end());
            }
        }
        TokenCommand::Revoke { which, .. } => {
            let info = hallmark_issuer::revoke_token(store, "cli", &which)
                .await
                .map_err(serve_error)?;
            println!("{}", info.id);
            eprintln!(
                "token {:?} ({}) is revoked: it is refused from the next request on",
                info.name, info.id
            );
        }
    }
    Ok(0)
}

/// `hallmark verifier` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum VerifierCommand {
    /// Run the verifier: POST /credentials/verify, /presentations/verify and /verify.
    Serve {
        /// The configuration file (TOML; optional).
        #[arg(long)]
        config: Option<PathBuf>,
        /// The address to listen on (default 127.0.0.1:8090).
        #[arg(long)]
        listen: Option<String>,
        /// A trusted issuer: a DID, an https issuer URL, or a trust list file (reloaded when
        /// it changes). Repeat for more.
        #[arg(long, value_name = "DID|URL|FILE")]
        trust: Vec<String>,
        #[command(flatten)]
        fetch: crate::verify::FetchArgs,
    },
}

/// Binds the listening socket, naming the address when it cannot.
async fn bind(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, CliError> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            CliError::AddressInUse(addr)
        } else {
            CliError::Serve(format!("cannot listen on {addr}: {e}"))
        }
    })
}

/// Runs `hallmark verifier serve` until SIGINT or SIGTERM, then finishes the requests in
/// flight.
///
/// # Errors
/// [`CliError::Serve`] for configuration problems or an address in use.
pub fn verifier(command: VerifierCommand) -> Result<u8, CliError> {
    let VerifierCommand::Serve {
        config,
        listen,
        trust,
        fetch,
    } = command;
    init_logging();
    let mut config = match &config {
        Some(path) => hallmark_verifier::VerifierConfig::load(path).map_err(serve_error)?,
        None => hallmark_verifier::VerifierConfig::default(),
    };
    if let Some(l) = listen {
        config.listen = l.parse().map_err(|e| CliError::Usage {
            flag: "--listen",
            message: format!("{l:?}: {e}"),
        })?;
    }
    for t in trust {
        match TrustArg::parse(&t) {
            TrustArg::Issuer(_) => config.trust.push(t),
            TrustArg::File(path) => config.trust_files.push(PathBuf::from(path)),
        }
    }
    config.insecure_hosts.extend(fetch.insecure_host);
    config.private_hosts.extend(fetch.private_host);
    config.ca_certs.extend(fetch.ca_cert);
    let state = hallmark_verifier::VerifierState::new(config)
        .map_err(|e| CliError::Serve(e.to_string()))?;
    runtime()?.block_on(async move {
        let listener = bind(state.config().listen).await?;
        let addr = listener.local_addr().map_err(serve_error)?;
        let scheme = if state.config().tls.is_some() {
            "https"
        } else {
            "http"
        };
        tracing::info!("verifier listening on {scheme}://{addr}");
        hallmark_verifier::serve(state, listener, hallmark_http::shutdown_signal())
            .await
            .map_err(serve_error)?;
        tracing::info!("stopped");
        Ok(0)
    })
}
