//! `hallmark serve` and `hallmark token create`: the issuer service (docs/design.md §5).

use std::path::PathBuf;

use hallmark_issuer::{AppState, Config, Overrides};

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

/// `hallmark token` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create an admin API token; prints it once (only its hash is stored).
    Create {
        /// The configuration file (default: DATA/config.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// The data folder.
        #[arg(long, default_value = "hallmark-data")]
        data: PathBuf,
        /// A label for the token, kept in the audit log.
        #[arg(long, default_value = "admin")]
        name: String,
    },
}

/// Logs to stderr; `HALLMARK_LOG` sets the filter (default `info`).
fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HALLMARK_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Serve(format!("cannot start the runtime: {e}")))
}

fn serve_error(e: impl std::fmt::Display) -> CliError {
    CliError::Serve(e.to_string())
}

/// Runs `hallmark serve` until SIGINT or SIGTERM, then finishes the requests in flight.
///
/// # Errors
/// [`CliError::Serve`] naming the configuration problem, database or address.
pub fn run(args: Args) -> Result<u8, CliError> {
    init_logging();
    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let (config_path, created) = match (&args.config, args.demo) {
        (Some(path), _) => (path.clone(), false),
        (None, true) => {
            hallmark_issuer::demo::prepare(&args.data, &listen).map_err(CliError::Serve)?
        }
        (None, false) => (args.data.join("config.toml"), false),
    };
    if !config_path.exists() {
        return Err(CliError::Serve(format!(
            "no configuration at {}; run `hallmark serve --demo` to create a demo one, or pass --config FILE",
            config_path.display()
        )));
    }
    let overrides = Overrides {
        listen: args.listen.clone(),
        database_url: args.database_url.clone(),
    };
    let config = Config::load(&config_path, &overrides).map_err(serve_error)?;
    runtime()?.block_on(async move {
        let state = AppState::open(config).await.map_err(serve_error)?;
        if created {
            seed_demo(&state).await?;
        }
        let listener = bind(state.config().listen).await?;
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

/// A first partner, approval and badge, and an admin token, for a new demo.
async fn seed_demo(state: &AppState) -> Result<(), CliError> {
    let token = hallmark_issuer::create_token(state.store(), "demo-admin")
        .await
        .map_err(serve_error)?;
    let base = state.config().base_url.clone();
    eprintln!(
        "\nDemo ready. Admin token (shown once, stored hashed):\n\n  export HALLMARK_TOKEN={token}\n\n\
         Try:\n  curl -s -H \"Authorization: Bearer $HALLMARK_TOKEN\" {base}/api/v1/credentials\n\
         The README walks through recording an approval, issuing and verifying a badge.\n"
    );
    let badge = hallmark_issuer::demo::seed(state, &token)
        .await
        .map_err(serve_error)?;
    eprintln!("The demo Gold badge: {badge}\n");
    Ok(())
}

/// Runs `hallmark token create`.
///
/// # Errors
/// [`CliError::Serve`] for configuration or database problems.
pub fn token(command: TokenCommand) -> Result<u8, CliError> {
    let TokenCommand::Create { config, data, name } = command;
    let path = config.unwrap_or_else(|| data.join("config.toml"));
    let config = Config::load(&path, &Overrides::default()).map_err(serve_error)?;
    runtime()?.block_on(async move {
        let store = hallmark_store::Store::connect(&config.database_url).await.map_err(serve_error)?;
        store.migrate().await.map_err(serve_error)?;
        let token = hallmark_issuer::create_token(&store, &name).await.map_err(serve_error)?;
        store.close().await;
        println!("{token}");
        eprintln!("token {name:?} created; it is shown only now. Send it as: Authorization: Bearer <token>");
        Ok(0)
    })
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
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Serve(format!("cannot listen on {addr}: {e}")))
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
        if t.starts_with("did:") || t.starts_with("https://") || t.starts_with("http://") {
            config.trust.push(t);
        } else {
            config.trust_files.push(PathBuf::from(t));
        }
    }
    config.insecure_hosts.extend(fetch.insecure_host);
    config.private_hosts.extend(fetch.private_host);
    config.ca_certs.extend(fetch.ca_cert);
    let state = hallmark_verifier::VerifierState::new(config).map_err(CliError::Serve)?;
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
