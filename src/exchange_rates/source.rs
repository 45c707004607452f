//! Where `stemcare rates refresh` and the periodic refresh read the ECB file from: an http(s) URL
//! (within a time limit, at most 1 MiB, errors as one line) or a local file.

use std::path::PathBuf;
use std::time::Duration;

use super::refresh::RefreshError;

/// Largest rate file read (the daily file is about 2 KB).
const MAX_BYTES: usize = 1024 * 1024;

/// Where to read the rates from: an http(s) URL or a local file.
#[derive(Debug, Clone, PartialEq)]
pub enum RateSource {
    Url(url::Url),
    File(PathBuf),
}

impl RateSource {
    /// `http://…` and `https://…` are URLs, `file://…` and anything else a file path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the rate source is empty; give a URL or a file".into());
        }
        if raw.starts_with("http://") || raw.starts_with("https://") {
            return url::Url::parse(raw)
                .map(Self::Url)
                .map_err(|e| format!("{raw} is not a valid URL: {e}"));
        }
        if raw.starts_with("file://") {
            let url = url::Url::parse(raw).map_err(|e| format!("{raw} is not a valid file URL: {e}"))?;
            return url
                .to_file_path()
                .map(Self::File)
                .map_err(|()| format!("{raw} is not a local file URL"));
        }
        Ok(Self::File(PathBuf::from(raw)))
    }
}

pub(super) async fn read(source: &RateSource, timeout: Duration) -> Result<(String, String), RefreshError> {
    let fetch = RefreshError::Fetch;
    let (bytes, url) = match source {
        RateSource::Url(url) => {
            let client = reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(10)))
                .user_agent(concat!(
                    "stemcare/",
                    env!("CARGO_PKG_VERSION"),
                    " (exchange rates)"
                ))
                .build()
                .map_err(|e| fetch(format!("no HTTP client: {e}")))?;
            let described = |e: reqwest::Error| describe_http_error(url.as_str(), &e, timeout);
            let mut response = client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| fetch(described(e)))?;
            let status = response.status();
            if !status.is_success() {
                return Err(fetch(format!("{url} answered HTTP {status}")));
            }
            let read_url = response.url().to_string();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| fetch(described(e)))? {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_BYTES {
                    return Err(fetch(format!("{url} sent more than {MAX_BYTES} bytes")));
                }
            }
            (body, read_url)
        }
        RateSource::File(path) => {
            let shown = path.display();
            let size = tokio::fs::metadata(path)
                .await
                .map_err(|e| fetch(format!("cannot read {shown}: {e}")))?
                .len();
            if size > MAX_BYTES as u64 {
                return Err(fetch(format!("{shown} is larger than {MAX_BYTES} bytes")));
            }
            let body = tokio::fs::read(path)
                .await
                .map_err(|e| fetch(format!("cannot read {shown}: {e}")))?;
            let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            let url = url::Url::from_file_path(&absolute)
                .map(String::from)
                .unwrap_or_else(|()| absolute.display().to_string());
            (body, url)
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| RefreshError::Invalid {
        url: url.clone(),
        reason: "not UTF-8 text".into(),
    })?;
    Ok((text, url))
}

/// One line: the URL and the innermost cause (e.g. "Connection refused"), or the time limit.
fn describe_http_error(url: &str, error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("{url} did not answer within {} s", timeout.as_secs());
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    format!("{url}: {}", cause.to_string().replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_urls_or_files() {
        assert!(matches!(
            RateSource::parse("https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"),
            Ok(RateSource::Url(_))
        ));
        assert_eq!(
            RateSource::parse("file:///tmp/eurofxref.xml"),
            Ok(RateSource::File(PathBuf::from("/tmp/eurofxref.xml")))
        );
        assert_eq!(
            RateSource::parse("fixtures/x.xml"),
            Ok(RateSource::File(PathBuf::from("fixtures/x.xml")))
        );
        assert!(RateSource::parse("  ").is_err());
        assert!(RateSource::parse("http://exa mple.com/").is_err());
    }
}
