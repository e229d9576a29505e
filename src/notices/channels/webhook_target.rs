//! Where a webhook may point: a firm sets the URL, so it must not reach inside our network
//! (server-side request forgery). A target is refused when it is not https, or when its
//! address is loopback, private, link-local, unique-local, multicast or otherwise not a
//! public unicast address — unless the operator's allow-list names its host (the demo's
//! and the tests' sinks on loopback). The URL is checked when it is set and again before
//! each delivery, and [`GuardedResolver`] checks every address a name resolves to at
//! connection time, so a name that later resolves inside (DNS rebinding) is refused too.
//! The client never follows redirects and never uses a proxy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The operator's allow-list: `host` (any port) or `host:port`, lower case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<String>);

impl AllowList {
    /// From the configured entries.
    pub fn new(entries: &[String]) -> Self {
        Self(
            entries
                .iter()
                .map(|e| e.trim().to_ascii_lowercase())
                .collect(),
        )
    }

    /// Whether the list names `host` (with `port`, or any port).
    fn names(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.0.iter().any(|entry| {
            let (entry_host, entry_port) = split_entry(entry);
            entry_host == host && entry_port.is_none_or(|p| Some(p) == port)
        })
    }

    /// Whether the list names `host` with some port (the resolver sees no port).
    fn names_host(&self, host: &str) -> bool {
        self.0.iter().any(|entry| split_entry(entry).0 == host)
    }
}

/// `host` and `port` of an entry: `h`, `h:p`, `[v6]`, `[v6]:p`.
fn split_entry(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        let (host, tail) = rest.split_once(']').unwrap_or((rest, ""));
        return (host, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        _ => (entry, None),
    }
}

/// Why a target is refused; the message is shown to the firm.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Not a URL with a host.
    #[error("回调地址必须是以 https:// 开头的有效网址")]
    Malformed,
    /// `http://` to a host the operator did not allow.
    #[error("回调地址必须使用 https://")]
    NotHttps,
    /// An address inside our network, or no public unicast address.
    #[error("回调地址不能指向内网、本机、链路本地或组播地址")]
    Internal,
}

/// Whether `ip` is a public unicast address a webhook may reach.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site local (deprecated) fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0)) // discard 100::/64
        }
    }
}

/// The IPv4 address carried in an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
        return Some(tail); // ::a.b.c.d
    }
    if s[0] == 0x0064 && s[1] == 0xff9b {
        return Some(tail); // 64:ff9b::/96 NAT64
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            (s[1] & 0xff) as u8,
            (s[2] >> 8) as u8,
            (s[2] & 0xff) as u8,
        )); // 2002::/16 6to4
    }
    None
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(v4.is_unspecified()
        || v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_multicast()
        || v4.is_broadcast()
        || v4.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

/// Checks a webhook URL against the rules above; returns it parsed.
pub fn check_url(url: &str, allow: &AllowList) -> Result<Url, TargetError> {
    let parsed = Url::parse(url.trim()).map_err(|_| TargetError::Malformed)?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(TargetError::Malformed)?
        .to_ascii_lowercase();
    if !matches!(parsed.scheme(), "http" | "https") || url.len() > 500 {
        return Err(TargetError::Malformed);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(TargetError::Malformed);
    }
    if allow.names(&host, parsed.port_or_known_default()) {
        return Ok(parsed);
    }
    if parsed.scheme() != "https" {
        return Err(TargetError::NotHttps);
    }
    let internal = match parsed.host() {
        Some(url::Host::Ipv4(v4)) => !is_public(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => !is_public(IpAddr::V6(v6)),
        // Names that always mean this machine or the local network.
        _ => {
            let bare = host.trim_end_matches('.');
            bare == "localhost"
                || bare.ends_with(".localhost")
                || bare.ends_with(".local")
                || bare.ends_with(".internal")
                || !bare.contains('.')
        }
    };
    if internal {
        return Err(TargetError::Internal);
    }
    Ok(parsed)
}

/// Resolves names with the system resolver, then keeps only public addresses (all of
/// them for a host on the allow-list); no address left is an error, so nothing connects.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow: AllowList,
}

impl GuardedResolver {
    /// A resolver honouring `allow`.
    pub fn new(allow: AllowList) -> Arc<Self> {
        Arc::new(Self { allow })
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let allowed = self.allow.names_host(&host);
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allowed || is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("webhook host {host} resolves to no public address").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client webhooks are sent with: the guarded resolver, no redirects, no proxy.
pub fn client(allow: &AllowList) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(GuardedResolver::new(allow.clone()))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
}

#[cfg(test)]
mod tests {
    use reqwest::dns::Resolve as _;

    use super::{AllowList, GuardedResolver, TargetError, check_url, is_public};

    /// DNS rebinding: a name that resolves inside is refused at connection time (only
    /// `localhost` is used: it resolves to loopback without asking any DNS server).
    #[tokio::test]
    async fn names_resolving_inside_are_refused_unless_allowed() {
        let cases = [
            (AllowList::default(), false),
            (AllowList::new(&["localhost:1".to_owned()]), true),
        ];
        for (allow, resolves) in cases {
            let resolved = GuardedResolver::new(allow.clone())
                .resolve("localhost".parse().expect("a name"))
                .await;
            assert_eq!(resolved.is_ok(), resolves, "{allow:?}");
            if let Ok(addresses) = resolved {
                assert!(addresses.into_iter().all(|a| a.ip().is_loopback()));
            }
        }
    }

    #[test]
    fn addresses_inside_are_not_public() {
        let cases = [
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("2606:4700::1111", true),
            ("127.0.0.1", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("0.0.0.0", false),
            ("224.0.0.1", false),
            ("255.255.255.255", false),
            ("::1", false),
            ("::", false),
            ("fd00::1", false),
            ("fe80::1", false),
            ("ff02::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::a00:1", false),
            ("2002:7f00:1::", false),
        ];
        for (ip, public) in cases {
            assert_eq!(is_public(ip.parse().expect("an address")), public, "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_with_the_allow_list() {
        let allow = AllowList::new(&["127.0.0.1:9000".to_owned(), "sink.test".to_owned()]);
        let cases: [(&str, Result<(), TargetError>); 14] = [
            ("https://hooks.example.cn/x", Ok(())),
            ("http://hooks.example.cn/x", Err(TargetError::NotHttps)),
            ("http://127.0.0.1:9000/hook", Ok(())),
            ("http://127.0.0.1:9001/hook", Err(TargetError::NotHttps)),
            ("https://127.0.0.1:9001/hook", Err(TargetError::Internal)),
            ("http://sink.test:1234/", Ok(())),
            ("https://169.254.169.254/latest", Err(TargetError::Internal)),
            ("https://[::1]:0/", Err(TargetError::Internal)),
            ("https://2130706433/", Err(TargetError::Internal)),
            ("https://0x7f.1/", Err(TargetError::Internal)),
            ("https://localhost/", Err(TargetError::Internal)),
            ("https://intranet/", Err(TargetError::Internal)),
            ("ftp://hooks.example.cn/", Err(TargetError::Malformed)),
            (
                "https://user:pw@hooks.example.cn/",
                Err(TargetError::Malformed),
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(check_url(url, &allow).map(|_| ()), expected, "{url}");
        }
    }
}
