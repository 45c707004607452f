//! Which URLs may receive webhooks: `https:` only, and never an address inside our own network
//! (loopback, private, link-local, CGNAT, multicast, unspecified, cloud metadata), whether written
//! as an IP literal or reached through DNS. Checked at registration and again before every
//! attempt; the HTTP client also refuses such addresses in its own DNS resolver, so a name that
//! changes its answer between the check and the connection (DNS rebinding) is still refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

/// The longest accepted endpoint URL.
pub const MAX_URL_LEN: usize = 2048;

/// How long one delivery attempt may take.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the checker lets through besides public `https:` URLs.
#[derive(Debug, Clone, Copy, Default)]
pub struct UrlPolicy {
    /// Allows `http://127.0.0.1:<port>` (and nothing else local): tests and local development.
    pub allow_insecure_localhost: bool,
}

/// True for addresses a webhook must never reach.
pub fn is_blocked(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_blocked_v4(v4),
        IpAddr::V6(v6) => is_blocked_v6(v6),
    }
}

fn is_blocked_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || a == 0 // "this network"
        || ip.is_loopback()
        || ip.is_private() // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local() // 169.254/16, including the metadata address 169.254.169.254
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0/24
        || (a == 198 && (18..20).contains(&b)) // benchmarking 198.18/15
        || ip.is_multicast()
        || a >= 240 // reserved and broadcast
}

fn is_blocked_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_blocked_v4(v4);
    }
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address that must pass too.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return is_blocked_v4(Ipv4Addr::new(a, b, c, d));
    }
    if segments[0] == 0x2002 {
        let [a, b] = segments[1].to_be_bytes();
        let [c, d] = segments[2].to_be_bytes();
        return is_blocked_v4(Ipv4Addr::new(a, b, c, d));
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7, including fd00:ec2::254
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
        || ip.is_multicast()
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || segments[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible (deprecated)
}

/// Checks a URL's form and, for IP literals, its address. Returns the parsed URL and the host
/// name still to resolve (`None` for literals).
pub fn check_form(raw: &str, policy: UrlPolicy) -> Result<(Url, Option<String>), String> {
    if raw.chars().count() > MAX_URL_LEN {
        return Err(format!("must be at most {MAX_URL_LEN} characters"));
    }
    let url = Url::parse(raw).map_err(|_| "must be an absolute URL such as https://example.com/hooks")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".into());
    }
    let host = url.host_str().ok_or("must name a host")?.to_owned();
    // The URL parser normalises IPv4 forms (`0x7f.1`) and brackets IPv6 literals.
    let ip: Option<IpAddr> = host.trim_start_matches('[').trim_end_matches(']').parse().ok();
    let local_dev = policy.allow_insecure_localhost
        && url.scheme() == "http"
        && url.port().is_some()
        && ip == Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if local_dev {
        return Ok((url, None));
    }
    if url.scheme() != "https" {
        return Err("must use https".into());
    }
    if let Some(ip) = ip {
        return if is_blocked(ip) {
            Err("must not point to a loopback, private, link-local or otherwise internal address".into())
        } else {
            Ok((url, None))
        };
    }
    let domain = host;
    Ok((url, Some(domain)))
}

/// The full check: form, then every address the host resolves to.
pub async fn check(raw: &str, policy: UrlPolicy) -> Result<Url, String> {
    let (url, domain) = check_form(raw, policy)?;
    if let Some(domain) = domain {
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses = resolve(&domain, port)
            .await
            .map_err(|_| format!("the host {domain} does not resolve"))?;
        if addresses.is_empty() {
            return Err(format!("the host {domain} does not resolve"));
        }
        if addresses.iter().any(|a| is_blocked(a.ip())) {
            return Err(format!(
                "the host {domain} resolves to a loopback, private, link-local or otherwise internal address"
            ));
        }
    }
    Ok(url)
}

async fn resolve(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(Duration::from_secs(5), lookup).await {
        Ok(found) => Ok(found?.collect()),
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "DNS timeout")),
    }
}

/// A DNS resolver for the delivery client that refuses names resolving to blocked addresses.
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = resolve(&host, 0).await?;
            if addresses.is_empty() || addresses.iter().any(|a| is_blocked(a.ip())) {
                return Err(format!("{host} resolves to a blocked address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client deliveries use: rustls, 10 s timeout, no redirects, no proxies, guarded DNS.
pub fn delivery_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("StemCare-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver))
        .build()
        .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: UrlPolicy = UrlPolicy {
        allow_insecure_localhost: false,
    };
    const LOCAL_DEV: UrlPolicy = UrlPolicy {
        allow_insecure_localhost: true,
    };

    #[test]
    fn internal_addresses_are_blocked() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ] {
            assert!(is_blocked(ip.parse().expect("ip")), "{ip} must be blocked");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1"] {
            assert!(!is_blocked(ip.parse().expect("ip")), "{ip} is public");
        }
    }

    #[test]
    fn urls_are_checked_by_form_and_literal_address() {
        for bad in [
            "http://example.com/",
            "https://127.0.0.1/",
            "https://10.0.0.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00:ec2::254]/",
            "https://0x7f.1/",
            "https://user:pw@example.com/",
            "ftp://example.com/",
            "not a url",
        ] {
            assert!(check_form(bad, STRICT).is_err(), "{bad} must be rejected");
            assert!(
                check_form(bad, LOCAL_DEV).is_err(),
                "{bad} must be rejected in local dev too"
            );
        }
        let (_, domain) = check_form("https://hooks.example.com/x", STRICT).expect("ok");
        assert_eq!(domain.as_deref(), Some("hooks.example.com"));
        assert!(check_form("https://93.184.216.34/x", STRICT).is_ok());
    }

    #[test]
    fn insecure_localhost_needs_the_setting_and_a_port() {
        assert!(check_form("http://127.0.0.1:1/", STRICT).is_err());
        assert!(check_form("http://127.0.0.1:1/", LOCAL_DEV).is_ok());
        assert!(check_form("http://127.0.0.1/", LOCAL_DEV).is_err());
        assert!(check_form("http://localhost:8080/", LOCAL_DEV).is_err());
        assert!(check_form("http://10.0.0.1:8080/", LOCAL_DEV).is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_internal_addresses_are_rejected() {
        // `localhost` resolves from /etc/hosts, so this needs no network.
        let err = check("https://localhost/hook", STRICT).await.unwrap_err();
        assert!(err.contains("internal") || err.contains("resolve"), "{err}");
    }
}
