//! Settings read from the environment, validated once at start-up.
//!
//! Every variable with its default and meaning is listed once, in the README's "Configuration"
//! table (a test keeps that table and the names read here in step).

use std::net::SocketAddr;
use std::path::PathBuf;

/// A setting that could not be used; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct SettingError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

/// Where the database lives.
#[derive(Clone)]
pub enum DatabaseSetting {
    /// A server the operator runs; the URL may hold a password, so it is never printed.
    External(String),
    /// A private cluster that `serve` starts under this data directory.
    Embedded,
}

impl std::fmt::Debug for DatabaseSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::External(_) => f.write_str("External(<redacted>)"),
            Self::Embedded => f.write_str("Embedded"),
        }
    }
}

/// Validated process settings (see the module docs for every variable).
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSetting,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub body_limit: usize,
    pub pool_size: usize,
    pub workers: usize,
    pub pg_bin: Option<PathBuf>,
    pub data_key: Option<crate::crypto::DataKey>,
    pub quote_ttl_days: usize,
    pub quotes_per_email_per_day: usize,
    /// Allows `http://127.0.0.1:<port>` webhook endpoints (never in production).
    pub webhook_allow_insecure_localhost: bool,
    pub statement_timeout_ms: usize,
    pub pool_timeout_ms: usize,
    /// Connections per HTTP worker that concurrent catalogue reads share (pipelined), besides
    /// the pool; 0 sends them to the pool.
    pub shared_connections: usize,
    /// Browser origins allowed by CORS (exact matches).
    pub cors_origins: Vec<String>,
    pub rate_limit_per_minute: usize,
    pub quote_rate_limit_per_hour: usize,
    /// Lifetime of the cached reference data (see `reference`).
    pub reference_ttl_seconds: usize,
    /// The ECB daily reference-rate file the rate refresh reads (`STEMCARE_ECB_URL`).
    pub ecb_url: String,
    /// Seconds between periodic rate refreshes in the server; 0 turns them off.
    pub ecb_refresh_interval_secs: usize,
    /// Time limit of one download of the ECB file, in seconds.
    pub ecb_timeout_secs: usize,
    /// Streaming replicas that public catalogue reads may use (`STEMCARE_READ_REPLICA_URLS`).
    pub read_replica_urls: ReplicaUrls,
    /// A replica further behind the primary than this many milliseconds is not read from.
    pub replica_max_lag_ms: usize,
    /// Milliseconds between two health and lag checks of the replicas.
    pub replica_check_interval_ms: usize,
    /// ClinicalTrials.gov's base URL (`STEMCARE_CTGOV_URL`); the API is under `/api/v2/`.
    pub ctgov_url: String,
    /// Registry requests per minute per instance (sent one at a time).
    pub ctgov_requests_per_minute: usize,
    /// Time limit of one registry request, in seconds.
    pub ctgov_timeout_secs: usize,
    /// Milliseconds between rounds of the NCT lookup worker; 0 turns it off.
    pub ctgov_lookup_interval_ms: usize,
    /// Seconds between refreshes of the trial finder's mirror; 0 turns them off.
    pub trials_refresh_interval_secs: usize,
    /// Milliseconds between rounds of the follow-up worker; 0 turns it off.
    pub follow_up_interval_ms: usize,
}

/// Connection strings of the read replicas; they may hold passwords, so `Debug` prints a count.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ReplicaUrls(pub Vec<String>);

impl std::fmt::Debug for ReplicaUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReplicaUrls(<{} redacted>)", self.0.len())
    }
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./.stemcare";
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;
pub const DEFAULT_POOL_SIZE: usize = 16;
/// One second: a catalogue page a second old is fresh enough for browsing, and an edit shows up
/// publicly well within the catalogue's own `max-age=60`.
pub const DEFAULT_REPLICA_MAX_LAG_MS: usize = 1000;
pub const DEFAULT_REPLICA_CHECK_INTERVAL_MS: usize = 500;
/// The ECB's daily euro foreign exchange reference rates.
pub const DEFAULT_ECB_URL: &str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml";
/// ClinicalTrials.gov; its data API v2 is under `/api/v2/`.
pub const DEFAULT_CTGOV_URL: &str = "https://clinicaltrials.gov";

impl Settings {
    /// Reads every setting from the process environment.
    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let database =
            match get("DATABASE_URL") {
                None => DatabaseSetting::Embedded,
                Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                    DatabaseSetting::External(url)
                }
                Some(_) => return Err(SettingError {
                    name: "DATABASE_URL",
                    value: "<redacted>".into(),
                    reason:
                        "must start with postgres:// or postgresql:// (or be unset for the embedded database)"
                            .into(),
                }),
            };
        let bind_raw = get("STEMCARE_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
        let bind = bind_raw.parse().map_err(|_| SettingError {
            name: "STEMCARE_BIND",
            value: bind_raw.clone(),
            reason: "expected host:port with an IP address, e.g. 127.0.0.1:8080 or 0.0.0.0:8080".into(),
        })?;
        let data_dir = PathBuf::from(get("STEMCARE_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into()));
        let body_limit = parse_number(
            &get,
            "STEMCARE_BODY_LIMIT",
            DEFAULT_BODY_LIMIT,
            1024,
            16 * 1024 * 1024,
        )?;
        let pool_size = parse_number(&get, "STEMCARE_DB_POOL_SIZE", DEFAULT_POOL_SIZE, 1, 512)?;
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers = parse_number(&get, "STEMCARE_WORKERS", cpus, 1, 256)?;
        let pg_bin = get("PG_BIN").map(PathBuf::from);
        let data_key = get("STEMCARE_DATA_KEY")
            .map(|raw| {
                crate::crypto::DataKey::from_hex(&raw).map_err(|reason| SettingError {
                    name: "STEMCARE_DATA_KEY",
                    value: "<redacted>".into(),
                    reason,
                })
            })
            .transpose()?;
        let quote_ttl_days = parse_number(&get, "STEMCARE_QUOTE_TTL_DAYS", 30, 1, 365)?;
        let quotes_per_email_per_day = parse_number(&get, "STEMCARE_QUOTES_PER_EMAIL_PER_DAY", 5, 1, 1000)?;
        let webhook_allow_insecure_localhost = parse_bool(&get, "STEMCARE_WEBHOOK_ALLOW_INSECURE_LOCALHOST")?;
        let statement_timeout_ms = parse_number(&get, "STEMCARE_STATEMENT_TIMEOUT_MS", 5000, 100, 600_000)?;
        let pool_timeout_ms = parse_number(&get, "STEMCARE_DB_POOL_TIMEOUT_MS", 5000, 50, 60_000)?;
        let shared_connections = parse_number(&get, "STEMCARE_DB_SHARED_CONNECTIONS", 2, 0, 64)?;
        let rate_limit_per_minute = parse_number(&get, "STEMCARE_RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000)?;
        let quote_rate_limit_per_hour =
            parse_number(&get, "STEMCARE_QUOTE_RATE_LIMIT_PER_HOUR", 30, 1, 1_000_000)?;
        let cors_origins = parse_origins(get("STEMCARE_CORS_ORIGINS"))?;
        let reference_ttl_seconds = parse_number(&get, "STEMCARE_REFERENCE_TTL_SECONDS", 5, 0, 3600)?;
        let ecb_url = get("STEMCARE_ECB_URL").unwrap_or_else(|| DEFAULT_ECB_URL.into());
        if !url::Url::parse(&ecb_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
            return Err(SettingError {
                name: "STEMCARE_ECB_URL",
                value: ecb_url,
                reason: "expected an http or https URL such as the default, ".to_owned() + DEFAULT_ECB_URL,
            });
        }
        let ecb_refresh_interval_secs =
            parse_number(&get, "STEMCARE_ECB_REFRESH_INTERVAL_SECS", 0, 0, 604_800)?;
        let ecb_timeout_secs = parse_number(&get, "STEMCARE_ECB_TIMEOUT_SECS", 20, 1, 300)?;
        let read_replica_urls = parse_replica_urls(get("STEMCARE_READ_REPLICA_URLS"))?;
        let replica_max_lag_ms = parse_number(
            &get,
            "STEMCARE_REPLICA_MAX_LAG_MS",
            DEFAULT_REPLICA_MAX_LAG_MS,
            1,
            3_600_000,
        )?;
        let replica_check_interval_ms = parse_number(
            &get,
            "STEMCARE_REPLICA_CHECK_INTERVAL_MS",
            DEFAULT_REPLICA_CHECK_INTERVAL_MS,
            10,
            60_000,
        )?;
        let ctgov_url = get("STEMCARE_CTGOV_URL").unwrap_or_else(|| DEFAULT_CTGOV_URL.into());
        if !url::Url::parse(&ctgov_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        {
            return Err(SettingError {
                name: "STEMCARE_CTGOV_URL",
                value: ctgov_url,
                reason: "expected an http or https URL such as the default, ".to_owned() + DEFAULT_CTGOV_URL,
            });
        }
        // Under the 50/min third parties report and robots.txt's 1 s Crawl-delay (registries.md §1.5).
        let ctgov_requests_per_minute =
            parse_number(&get, "STEMCARE_CTGOV_REQUESTS_PER_MINUTE", 30, 1, 6000)?;
        let ctgov_timeout_secs = parse_number(&get, "STEMCARE_CTGOV_TIMEOUT_SECS", 20, 1, 300)?;
        let ctgov_lookup_interval_ms =
            parse_number(&get, "STEMCARE_CTGOV_LOOKUP_INTERVAL_MS", 1000, 0, 3_600_000)?;
        let trials_refresh_interval_secs =
            parse_number(&get, "STEMCARE_TRIALS_REFRESH_INTERVAL_SECS", 0, 0, 2_592_000)?;
        let follow_up_interval_ms =
            parse_number(&get, "STEMCARE_FOLLOW_UP_INTERVAL_MS", 60_000, 0, 86_400_000)?;
        Ok(Self {
            database,
            bind,
            data_dir,
            body_limit,
            pool_size,
            workers,
            pg_bin,
            data_key,
            quote_ttl_days,
            quotes_per_email_per_day,
            webhook_allow_insecure_localhost,
            statement_timeout_ms,
            pool_timeout_ms,
            shared_connections,
            cors_origins,
            rate_limit_per_minute,
            quote_rate_limit_per_hour,
            reference_ttl_seconds,
            ecb_url,
            ecb_refresh_interval_secs,
            ecb_timeout_secs,
            read_replica_urls,
            replica_max_lag_ms,
            replica_check_interval_ms,
            ctgov_url,
            ctgov_requests_per_minute,
            ctgov_timeout_secs,
            ctgov_lookup_interval_ms,
            trials_refresh_interval_secs,
            follow_up_interval_ms,
        })
    }
}

impl Settings {
    /// Settings for an in-process server in the integration tests: the database at
    /// `database_url`, a random loopback port, a fresh data key, a small pool, local webhook
    /// endpoints allowed and rate limits out of the way. Tests change the fields they exercise.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            database: DatabaseSetting::External(database_url.to_owned()),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: std::env::temp_dir(),
            body_limit: DEFAULT_BODY_LIMIT,
            pool_size: 4,
            workers: 1,
            pg_bin: None,
            data_key: Some(crate::crypto::DataKey::random()),
            quote_ttl_days: 30,
            quotes_per_email_per_day: 5,
            webhook_allow_insecure_localhost: true,
            statement_timeout_ms: 5000,
            pool_timeout_ms: 5000,
            shared_connections: 2,
            cors_origins: Vec::new(),
            rate_limit_per_minute: 100_000,
            quote_rate_limit_per_hour: 100_000,
            reference_ttl_seconds: 5,
            ecb_url: DEFAULT_ECB_URL.to_owned(),
            ecb_refresh_interval_secs: 0,
            ecb_timeout_secs: 20,
            read_replica_urls: ReplicaUrls::default(),
            replica_max_lag_ms: DEFAULT_REPLICA_MAX_LAG_MS,
            replica_check_interval_ms: DEFAULT_REPLICA_CHECK_INTERVAL_MS,
            // Never the real registry (loopback port 9 refuses at once); both registry workers off.
            ctgov_url: "http://127.0.0.1:9".to_owned(),
            ctgov_requests_per_minute: 6000,
            ctgov_timeout_secs: 2,
            ctgov_lookup_interval_ms: 0,
            trials_refresh_interval_secs: 0,
            // Off: the follow-up tests turn it on with a short interval.
            follow_up_interval_ms: 0,
        }
    }
}

/// Exact origins like `https://app.example.com`; never a wildcard.
fn parse_origins(raw: Option<String>) -> Result<Vec<String>, SettingError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    raw.split(',')
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let valid = url::Url::parse(&origin).is_ok_and(|u| {
                matches!(u.scheme(), "https" | "http") && u.host_str().is_some() && u.path() == "/"
            });
            if valid {
                Ok(origin)
            } else {
                Err(SettingError {
                    name: "STEMCARE_CORS_ORIGINS",
                    value: raw.clone(),
                    reason: "expected comma-separated origins such as https://app.example.com (no wildcard)"
                        .into(),
                })
            }
        })
        .collect()
}

/// Comma-separated `postgres://` or `postgresql://` URLs; the error never repeats them.
fn parse_replica_urls(raw: Option<String>) -> Result<ReplicaUrls, SettingError> {
    let Some(raw) = raw else {
        return Ok(ReplicaUrls::default());
    };
    let urls: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(position) = urls
        .iter()
        .position(|u| !(u.starts_with("postgres://") || u.starts_with("postgresql://")))
    {
        return Err(SettingError {
            name: "STEMCARE_READ_REPLICA_URLS",
            value: "<redacted>".into(),
            reason: format!(
                "entry {} must start with postgres:// or postgresql:// (URLs are separated by commas)",
                position + 1
            ),
        });
    }
    Ok(ReplicaUrls(urls))
}

fn parse_bool(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, SettingError> {
    let Some(raw) = get(name) else { return Ok(false) };
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(SettingError {
            name,
            value: raw,
            reason: "expected true or false".into(),
        }),
    }
}

fn parse_number(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, SettingError> {
    let Some(raw) = get(name) else { return Ok(default) };
    match raw.trim().parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(SettingError {
            name,
            value: raw,
            reason: format!("expected a whole number from {min} to {max}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    /// The README's configuration table is the one list of variables: each one read here is in it.
    #[test]
    fn the_readme_lists_every_variable() {
        let readme = include_str!("../README.md");
        let source = include_str!("config.rs");
        let names: std::collections::BTreeSet<&str> = source
            .split('"')
            .filter(|s| {
                s.len() > "STEMCARE_".len()
                    && s.starts_with("STEMCARE_")
                    && s.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            })
            .collect();
        assert!(names.len() > 20, "found {names:?}");
        let missing: Vec<_> = names
            .iter()
            .filter(|n| !readme.contains(&format!("`{n}`")))
            .collect();
        assert!(missing.is_empty(), "README configuration table lacks {missing:?}");
    }

    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = settings(&[]).expect("defaults are valid");
        assert!(matches!(s.database, DatabaseSetting::Embedded));
        assert_eq!(s.bind.to_string(), DEFAULT_BIND);
        assert_eq!(s.body_limit, DEFAULT_BODY_LIMIT);
        assert!(!s.webhook_allow_insecure_localhost);
        let local = settings(&[("STEMCARE_WEBHOOK_ALLOW_INSECURE_LOCALHOST", "true")]).expect("valid");
        assert!(local.webhook_allow_insecure_localhost);
        assert!(settings(&[("STEMCARE_WEBHOOK_ALLOW_INSECURE_LOCALHOST", "maybe")]).is_err());
    }

    #[test]
    fn a_bad_setting_names_the_variable() {
        let err = settings(&[("STEMCARE_BIND", "localhost")]).unwrap_err();
        assert!(err.to_string().contains("STEMCARE_BIND"));
        let err = settings(&[("STEMCARE_BODY_LIMIT", "ten")]).unwrap_err();
        assert!(err.to_string().contains("STEMCARE_BODY_LIMIT"));
        let err = settings(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(err.to_string().contains("DATABASE_URL"));
        assert!(!err.to_string().contains("mysql://x"), "URLs may hold passwords");
    }

    #[test]
    fn replica_urls_are_a_comma_separated_list_never_printed() {
        let none = settings(&[]).expect("defaults");
        assert!(none.read_replica_urls.0.is_empty());
        assert_eq!(none.replica_max_lag_ms, DEFAULT_REPLICA_MAX_LAG_MS);
        let two = settings(&[(
            "STEMCARE_READ_REPLICA_URLS",
            "postgres://u:secret@r1/db, postgresql://u:secret@r2/db,",
        )])
        .expect("valid");
        assert_eq!(
            two.read_replica_urls.0,
            ["postgres://u:secret@r1/db", "postgresql://u:secret@r2/db"]
        );
        assert!(!format!("{two:?}").contains("secret"));
        let err = settings(&[(
            "STEMCARE_READ_REPLICA_URLS",
            "postgres://r1/db,mysql://u:secret@r2",
        )])
        .unwrap_err();
        assert!(err.to_string().contains("entry 2"));
        assert!(!err.to_string().contains("secret"));
        assert!(settings(&[("STEMCARE_REPLICA_MAX_LAG_MS", "0")]).is_err());
    }
}
