//! Logging set-up: `RUST_LOG` filters (default `info`); `STEMCARE_LOG_FORMAT=json` writes one
//! JSON object per line for log shippers. Personal data is never passed to the logger.

use std::io::Write;

pub fn init() {
    let json = std::env::var("STEMCARE_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let mut builder = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if json {
        builder.format(|buf, record| {
            let line = serde_json::json!({
                "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "level": record.level().as_str(),
                "target": record.target(),
                "msg": record.args().to_string(),
            });
            writeln!(buf, "{line}")
        });
    }
    let _ = builder.try_init();
}
