//! The `stemcare` command: serve (default), migrate, seed, openapi.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use stemcare::config::Settings;
use stemcare::db::{self, Database};
use stemcare::state::AppState;
use stemcare::{openapi, startup, telemetry};

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

async fn serve(settings: Settings) -> Result<(), String> {
    let database = Database::open(&settings).await?;
    let applied = db::run_migrations(database.url()).await?;
    if !applied.is_empty() {
        log::info!("applied {} migration(s)", applied.len());
    }
    let pool = db::build_pool(database.url(), settings.pool_size)?;
    {
        let mut conn = pool
            .get()
            .await
            .map_err(|e| format!("database unreachable: {e}"))?;
        if stemcare::seeds::load_if_never_seeded(&mut conn).await? {
            log::info!("loaded the seed data into a new database");
        }
    }
    let state = AppState::load(pool, settings.clone()).await?;
    let listener = TcpListener::bind(settings.bind)
        .map_err(|e| format!("cannot listen on STEMCARE_BIND={}: {e}", settings.bind))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!("StemCare listening on http://{address} (API docs: http://{address}/docs)");
    println!("{}", database.describe());
    let server = startup::build_server(listener, state, |_| {}).map_err(|e| e.to_string())?;
    // actix stops gracefully on SIGINT/SIGTERM; the embedded cluster is stopped when `database` drops.
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
