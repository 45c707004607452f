//! The `stemcare` command: serve (default), migrate, seed, openapi.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use stemcare::config::Settings;
use stemcare::crypto::DataKey;
use stemcare::db::{self, Database};
use stemcare::seeds::rule_sync;
use stemcare::{openapi, startup, telemetry};

/// mimalloc instead of glibc malloc: a profile of the list handler under load spent about a third
/// of the server's CPU in glibc's malloc/free (README "Performance").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "stemcare", version, about = "The StemCare API server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default). Starts the embedded database when DATABASE_URL is unset.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the seed data (idempotent upsert) and exit.
    Seed,
    /// Print the OpenAPI document to standard output.
    Openapi,
    /// Manage API keys (the secret is printed once, then only its hash is kept).
    #[command(name = "api-keys", subcommand)]
    ApiKeys(ApiKeyCommand),
    /// Manage partner organisations, which own clinics.
    #[command(subcommand)]
    Partners(PartnerCommand),
    /// Exchange rates: refresh them from the ECB's daily reference rates.
    #[command(subcommand)]
    Rates(RatesCommand),
    /// Red-flag rules and the detections stored with them.
    #[command(name = "red-flags", subcommand)]
    RedFlags(RedFlagsCommand),
}

#[derive(Subcommand)]
enum RedFlagsCommand {
    /// Store new rule versions from the rule file, then re-evaluate every listing and print how
    /// many detections were added, changed and removed. Fails, naming the rule, when a stored rule
    /// version differs from the file's (a changed rule needs a new version).
    Recheck,
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print its secret once.
    Create {
        /// admin, coordinator or partner.
        #[arg(long)]
        role: String,
        /// Partner id or name (partner keys only).
        #[arg(long)]
        partner: Option<String>,
        /// A label to recognise the key by.
        #[arg(long)]
        name: Option<String>,
    },
    /// Revoke a key by its prefix (sk_live_…) or id.
    Revoke {
        /// The key's prefix or id.
        key: String,
    },
}

#[derive(Subcommand)]
enum PartnerCommand {
    /// Create a partner (or reuse one with that name) and hand it clinics.
    Create {
        #[arg(long)]
        name: String,
        /// Slug of a clinic the partner manages; repeat for several.
        #[arg(long = "clinic")]
        clinics: Vec<String>,
    },
}

#[derive(Subcommand)]
enum RatesCommand {
    /// Read the ECB's daily reference rates (all or nothing), store them per USD with the ECB's date
    /// and recompute listing prices in USD. Exits 0 (saying "not applied") for a file older than the
    /// stored rates, 1 with one line on standard error for a bad file or a failed download.
    Refresh {
        /// An http(s) URL or a file; default STEMCARE_ECB_URL (the ECB's eurofxref-daily.xml).
        #[arg(long, value_name = "URL|FILE")]
        from: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", openapi::render(&startup::openapi_document()));
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("stemcare: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("stemcare: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Migrate => migrate(settings).await,
            Command::Seed => seed(settings).await,
            Command::Openapi => Ok(()),
            Command::ApiKeys(command) => api_keys(settings, command).await,
            Command::Partners(command) => partners(settings, command).await,
            Command::Rates(command) => rates(settings, command).await,
            Command::RedFlags(RedFlagsCommand::Recheck) => red_flags_recheck(settings).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("stemcare: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The data key: `STEMCARE_DATA_KEY`, or for the embedded database a key file in the data directory.
fn resolve_data_key(settings: &mut Settings, database: &Database) -> Result<(), String> {
    if settings.data_key.is_some() {
        return Ok(());
    }
    if !database.is_embedded() {
        return Err("STEMCARE_DATA_KEY must be set when DATABASE_URL is (64 hex characters, e.g. `openssl rand -hex 32`)".into());
    }
    settings.data_key = Some(DataKey::load_or_create(&settings.data_dir.join("data.key"))?);
    Ok(())
}

async fn serve(mut settings: Settings) -> Result<(), String> {
    let database = Database::open(&settings).await?;
    resolve_data_key(&mut settings, &database)?;
    let applied = db::run_migrations(database.url()).await?;
    if !applied.is_empty() {
        log::info!("applied {} migration(s)", applied.len());
    }
    {
        let mut conn = db::connect(database.url()).await?;
        if stemcare::seeds::load_if_never_seeded(&mut conn).await? {
            log::info!("loaded the seed data into a new database");
        }
        // Before the rule book is loaded into the state: new rule versions are stored and stale
        // detections recomputed, so no instance serves flags of an older rule book.
        let recheck = rule_sync::sync_and_recheck(&mut conn, rule_sync::Scope::Stale).await?;
        log::info!("{recheck}");
    }
    let state = stemcare::startup::connect(database.url(), settings.clone()).await?;
    let stop = state.shutting_down.clone();
    stemcare::quotes::expiry::spawn_worker(
        state.pool.clone(),
        std::time::Duration::from_secs(60),
        stop.clone(),
    );
    let deliverer = stemcare::webhooks::delivery::Deliverer {
        client: stemcare::webhooks::url_check::delivery_client()?,
        data_key: state.data_key.clone(),
        policy: stemcare::webhooks::url_check::UrlPolicy {
            allow_insecure_localhost: settings.webhook_allow_insecure_localhost,
        },
    };
    stemcare::webhooks::delivery::spawn_worker(
        state.pool.clone(),
        deliverer,
        std::time::Duration::from_secs(2),
        stop.clone(),
    );
    let listener = TcpListener::bind(settings.bind)
        .map_err(|e| format!("cannot listen on STEMCARE_BIND={}: {e}", settings.bind))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!("StemCare listening on http://{address} (API docs: http://{address}/docs)");
    println!("{}", database.describe());
    let server = startup::build_server(listener, state, |_| {}).map_err(|e| e.to_string())?;
    let handle = server.handle();
    tokio::spawn(async move {
        wait_for_shutdown_signal().await;
        // Readiness turns 503 first so load balancers stop routing here, then in-flight requests finish.
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        log::info!("shutdown requested: readiness is now 503; draining for {SHUTDOWN_DRAIN:?}");
        tokio::time::sleep(SHUTDOWN_DRAIN).await;
        handle.stop(true).await;
    });
    // The embedded cluster is stopped when `database` drops, after the server has drained.
    let result = server.await.map_err(|e| format!("server error: {e}"));
    drop(database);
    result
}

async fn migrate(settings: Settings) -> Result<(), String> {
    let database = Database::open(&settings).await?;
    let applied = db::run_migrations(database.url()).await?;
    println!("applied {} migration(s)", applied.len());
    Ok(())
}

async fn seed(settings: Settings) -> Result<(), String> {
    let database = Database::open(&settings).await?;
    db::run_migrations(database.url()).await?;
    let mut conn = db::connect(database.url()).await?;
    stemcare::seeds::load(&mut conn).await?;
    println!("seed data loaded (idempotent: unchanged rows were left as they were)");
    Ok(())
}

/// Opens the database (attaching to a running embedded cluster) and applies migrations.
async fn migrated(settings: &Settings) -> Result<(Database, diesel_async::AsyncPgConnection), String> {
    let database = Database::open(settings).await?;
    db::run_migrations(database.url()).await?;
    let conn = db::connect(database.url()).await?;
    Ok((database, conn))
}

async fn api_keys(settings: Settings, command: ApiKeyCommand) -> Result<(), String> {
    let (_database, mut conn) = migrated(&settings).await?;
    match command {
        ApiKeyCommand::Create { role, partner, name } => {
            let partner_id = match partner {
                Some(p) => Some(
                    stemcare::partners::find(&mut conn, &p)
                        .await?
                        .ok_or_else(|| format!("no partner {p}"))?,
                ),
                None => None,
            };
            let key = stemcare::auth::api_keys::create(&mut conn, &role, partner_id, name.as_deref()).await?;
            println!("{}", key.secret);
            eprintln!(
                "created {role} key {} (id {}); the secret above is shown only once",
                key.prefix, key.id
            );
        }
        ApiKeyCommand::Revoke { key } => {
            if !stemcare::auth::api_keys::revoke(&mut conn, &key).await? {
                return Err(format!("no active key matches {key}"));
            }
            println!("revoked {key}");
        }
    }
    Ok(())
}

async fn partners(settings: Settings, command: PartnerCommand) -> Result<(), String> {
    let (_database, mut conn) = migrated(&settings).await?;
    match command {
        PartnerCommand::Create { name, clinics } => {
            let id = stemcare::partners::create_with_clinics(&mut conn, &name, &clinics).await?;
            println!("{id}");
        }
    }
    Ok(())
}

async fn rates(settings: Settings, command: RatesCommand) -> Result<(), String> {
    use stemcare::exchange_rates::refresh::{self, RateSource};
    match command {
        RatesCommand::Refresh { from } => {
            let source = RateSource::parse(from.as_deref().unwrap_or(&settings.ecb_url))?;
            let timeout = std::time::Duration::from_secs(settings.ecb_timeout_secs as u64);
            // Read and check the file before touching the database: a bad file needs no database.
            let prepared = refresh::prepare(&source, timeout)
                .await
                .map_err(|e| e.to_string())?;
            let (_database, mut conn) = migrated(&settings).await?;
            let outcome = refresh::store(&mut conn, &prepared)
                .await
                .map_err(|e| e.to_string())?;
            println!("{outcome}");
        }
    }
    Ok(())
}

async fn red_flags_recheck(settings: Settings) -> Result<(), String> {
    let (_database, mut conn) = migrated(&settings).await?;
    let report = rule_sync::sync_and_recheck(&mut conn, rule_sync::Scope::Everything).await?;
    println!("{report}");
    Ok(())
}

/// How long readiness reports 503 before the server stops accepting connections.
const SHUTDOWN_DRAIN: std::time::Duration = std::time::Duration::from_millis(1500);

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
async fn wait_for_shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                log::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
