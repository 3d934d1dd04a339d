//! The SSRF guard: which URLs and addresses the fetcher may reach.
//!
//! A URL is read with the WHATWG URL parser the HTTP client itself uses, so the host checked
//! is the host connected to: by then `127.1`, `0x7f000001`, `017700000001`, `127.0.0.1.`,
//! `%31%32%37.0.0.1` and full-width digits are all `127.0.0.1`. IP literals are checked here;
//! host names are checked on every address they resolve to ([`Guard::check_resolved`], in
//! the client's resolver), and the address finally connected to is checked again
//! ([`Guard::check_connected`]).
//!
//! A refusal names the host as the URL gave it and nothing more ([`not_public`]): not the
//! address a name resolved to nor the range it is in, which would map the internal network
//! for whoever can make the fetcher try (a verifier's remote users).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// Why the guard refuses a URL or an address. The words never name the address a host
/// resolved to nor the range it is in ([`Refusal::NotPublic`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Not `https` (nor `http` to an allowed insecure host).
    #[error("only https is fetched, not {scheme}")]
    Scheme {
        /// The URL's scheme.
        scheme: String,
    },
    /// `https://a.example@10.0.0.1/` hides the real host from a reader.
    #[error("a URL with user info is not fetched")]
    UserInfo,
    /// No host to connect to.
    #[error("the URL has no host")]
    NoHost,
    /// Not an absolute URL.
    #[error("not an absolute http(s) URL: {0}")]
    NotAUrl(url::ParseError),
    /// An internal or special-purpose address, however the host was spelled or resolved.
    #[error("{host} is not a public address")]
    NotPublic {
        /// The host as the URL names it.
        host: String,
    },
    /// A host allowed on internal addresses, on another port than the one allowed.
    #[error("{host}:{port} is not an allowed host and port")]
    PortNotAllowed {
        /// The host.
        host: String,
        /// The port asked for.
        port: u16,
    },
    /// An allowed insecure host whose URL cannot be turned into `http`.
    #[error("cannot fetch it over http")]
    NoPlainHttp,
    /// The client did not report the address it connected to.
    #[error("the address connected to is not known")]
    UnknownPeer,
}

/// An allow-list entry (`--insecure-host`, `--private-host`) that is not `host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entry:?} is not HOST:PORT ({why})")]
pub struct NotHostPort {
    /// The entry as given.
    pub entry: String,
    /// What is wrong with it.
    pub why: HostPortProblem,
}

/// What is wrong with an allow-list entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostPortProblem {
    /// It does not parse as a URL's authority.
    #[error("{0}")]
    Unparsable(url::ParseError),
    /// It has a path, query, fragment or user info.
    #[error("only a host and a port")]
    NotOnlyHostPort,
    /// It names no host.
    #[error("no host")]
    NoHost,
}

/// A URL's host after the WHATWG parser's normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Ip(IpAddr),
    /// Lower-case ASCII (IDNA), as the parser serialises it.
    Domain(String),
}

/// A normalised `host:port`, the port filled in from the scheme when the URL leaves it out.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authority {
    host: Host,
    port: u16,
}

impl Authority {
    fn of(url: &Url) -> Option<Self> {
        let text = url.host_str()?;
        // The parser serialises IPv4 hosts as dotted decimal and IPv6 hosts in brackets, and a
        // domain is never dotted decimal (it would have been read as IPv4): std's strict
        // parsers read exactly the IP hosts.
        let host = match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            Some(v6) => Host::Ip(IpAddr::V6(v6.parse().ok()?)),
            None => match text.parse::<Ipv4Addr>() {
                Ok(v4) => Host::Ip(IpAddr::V4(v4)),
                Err(_) => Host::Domain(text.to_owned()),
            },
        };
        Some(Self {
            host,
            port: url.port_or_known_default()?,
        })
    }

    /// An allow-list entry, `host[:port]`; without a port, 443 (the URLs fetched are https).
    fn parse(entry: &str) -> Result<Self, NotHostPort> {
        let bad = |why| NotHostPort {
            entry: entry.to_owned(),
            why,
        };
        let url = Url::parse(&format!("https://{entry}/"))
            .map_err(|e| bad(HostPortProblem::Unparsable(e)))?;
        if url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(bad(HostPortProblem::NotOnlyHostPort));
        }
        Self::of(&url).ok_or_else(|| bad(HostPortProblem::NoHost))
    }
}

/// Decides whether a URL or an address may be fetched.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// Authorities allowed over plain HTTP and on internal addresses.
    insecure: Vec<Authority>,
    /// Authorities allowed on internal addresses, still over verified https.
    private: Vec<Authority>,
}

impl Guard {
    /// A guard that lets `insecure` authorities (`host:port`) through over plain HTTP and on
    /// internal addresses. Entries that are not `host[:port]` allow nothing; see
    /// [`Guard::try_new`] to have them refused.
    pub fn new(insecure: &[String]) -> Self {
        Self {
            insecure: insecure
                .iter()
                .filter_map(|e| Authority::parse(e).ok())
                .collect(),
            private: Vec::new(),
        }
    }

    /// Also lets `private` authorities (`host:port`) through on internal addresses, over
    /// https with a verified certificate.
    #[must_use]
    pub fn with_private(mut self, private: &[String]) -> Self {
        self.private = private
            .iter()
            .filter_map(|e| Authority::parse(e).ok())
            .collect();
        self
    }

    /// As [`Guard::new`] and [`Guard::with_private`], refusing an entry that is not
    /// `host[:port]`. Hosts and ports are compared after normalisation (`127.1:8080` is
    /// `127.0.0.1:8080`); an entry without a port means port 443.
    ///
    /// # Errors
    /// The first entry that is not `host[:port]`.
    pub fn try_new(insecure: &[String], private: &[String]) -> Result<Self, NotHostPort> {
        let parse = |entries: &[String]| {
            entries
                .iter()
                .map(|e| Authority::parse(e))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            insecure: parse(insecure)?,
            private: parse(private)?,
        })
    }

    /// True when `authority` is allowed on internal addresses (insecure or private).
    fn allows_internal(&self, authority: &Authority) -> bool {
        self.insecure.contains(authority) || self.private.contains(authority)
    }

    /// Checks a parsed URL before it is requested or followed as a redirect.
    ///
    /// # Errors
    /// The reason it is refused.
    pub fn check(&self, url: &Url) -> Result<(), Refusal> {
        let scheme = url.scheme();
        let wrong_scheme = || Refusal::Scheme {
            scheme: scheme.to_owned(),
        };
        if scheme != "https" && scheme != "http" {
            return Err(wrong_scheme());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::UserInfo);
        }
        let authority = Authority::of(url).ok_or(Refusal::NoHost)?;
        if self.insecure.contains(&authority) {
            return Ok(());
        }
        if scheme != "https" {
            return Err(wrong_scheme());
        }
        if self.private.contains(&authority) {
            return Ok(());
        }
        match &authority.host {
            Host::Ip(ip) => match special_purpose(*ip) {
                Some(_) => Err(not_public(url.host_str().unwrap_or("the host"))),
                None => Ok(()),
            },
            Host::Domain(name) => {
                let bare = name.trim_end_matches('.');
                if bare == "localhost" || bare.ends_with(".localhost") {
                    return Err(not_public(name));
                }
                // A name allowed on internal addresses on one port is allowed on no other:
                // its resolver lets internal addresses through, so the port is checked here.
                if self.names(name) {
                    return Err(Refusal::PortNotAllowed {
                        host: name.clone(),
                        port: authority.port,
                    });
                }
                Ok(())
            }
        }
    }

    /// True when a domain is named by any allow-list entry, whatever its port.
    fn names(&self, name: &str) -> bool {
        self.insecure
            .iter()
            .chain(&self.private)
            .any(|a| a.host == Host::Domain(name.to_owned()))
    }

    /// Checks a URL before it is requested (or followed as a redirect).
    ///
    /// # Errors
    /// The reason it is refused.
    pub fn check_url(&self, url: &str) -> Result<(), Refusal> {
        self.check(&parse(url)?)
    }

    /// The URL actually requested, as the client will serialise it: checked, and `https`
    /// turned into `http` (on the same port) for allowed insecure hosts.
    ///
    /// # Errors
    /// As [`Guard::check_url`].
    pub fn rewrite(&self, url: &str) -> Result<Url, Refusal> {
        let mut parsed = parse(url)?;
        self.check(&parsed)?;
        let authority = Authority::of(&parsed).ok_or(Refusal::NoHost)?;
        if parsed.scheme() == "https" && self.insecure.contains(&authority) {
            // The port checked is the port connected to: `https://h/` is `http://h:443/`.
            parsed
                .set_scheme("http")
                .and_then(|()| parsed.set_port(Some(authority.port)))
                .map_err(|()| Refusal::NoPlainHttp)?;
        }
        Ok(parsed)
    }

    /// Checks an address a host name resolved to. The port is not known here:
    /// [`Guard::check`] has already refused an allowed name on any other port.
    ///
    /// # Errors
    /// The reason it is refused.
    pub fn check_resolved(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        match special_purpose(ip) {
            Some(_) if !self.names(host) => Err(not_public(host)),
            _ => Ok(()),
        }
    }

    /// Checks the address a response actually came from, for the response's URL (defence in
    /// depth: every path to an internal address is meant to be closed before connecting).
    ///
    /// # Errors
    /// The reason it is refused.
    pub fn check_connected(&self, url: &Url, addr: SocketAddr) -> Result<(), Refusal> {
        let ip = canonical(addr.ip());
        if special_purpose(ip).is_none() {
            return Ok(());
        }
        match Authority::of(url) {
            Some(a) if self.allows_internal(&a) && a.port == addr.port() => Ok(()),
            _ => Err(not_public(url.host_str().unwrap_or("the host"))),
        }
    }
}

/// The one refusal of an internal address: `{host} is not a public address`, the host as the
/// URL names it. The same words whatever the host resolved to and whether anything listens
/// there (nothing was connected to).
pub(crate) fn not_public(host: &str) -> Refusal {
    Refusal::NotPublic {
        host: host.to_owned(),
    }
}

fn parse(url: &str) -> Result<Url, Refusal> {
    Url::parse(url).map_err(Refusal::NotAUrl)
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// True for addresses a verifier must not be made to reach: see [`special_purpose`].
pub fn is_internal(ip: IpAddr) -> bool {
    special_purpose(ip).is_some()
}

/// The special-purpose range `ip` is in, named, when it is not a globally reachable unicast
/// address: every range of the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC
/// 6890 and updates) that is not globally reachable, multicast, and every IPv6 address
/// outside global unicast `2000::/3`. IPv4 inside IPv6 (mapped `::ffff:0:0/96`, NAT64
/// `64:ff9b::/96`, 6to4 `2002::/16`) is judged by the IPv4 address it carries; IPv4-compatible
/// `::/96`, local-use NAT64 `64:ff9b:1::/48` and Teredo `2001::/32` are refused whatever they
/// carry.
pub fn special_purpose(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4).map(str::to_owned),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

/// `(network, prefix length, name)`, IPv4.
const V4_RANGES: &[(u32, u8, &str)] = &[
    (0x0000_0000, 8, "\"this network\", RFC 791"),
    (0x0a00_0000, 8, "private-use, RFC 1918"),
    (0x6440_0000, 10, "shared address space, RFC 6598"),
    (0x7f00_0000, 8, "loopback, RFC 1122"),
    (0xa9fe_0000, 16, "link-local, RFC 3927"),
    (0xac10_0000, 12, "private-use, RFC 1918"),
    (0xc000_0000, 24, "IETF protocol assignments, RFC 6890"),
    (0xc000_0200, 24, "documentation TEST-NET-1, RFC 5737"),
    (0xc058_6300, 24, "6to4 relay anycast, RFC 7526"),
    (0xc0a8_0000, 16, "private-use, RFC 1918"),
    (0xc612_0000, 15, "benchmarking, RFC 2544"),
    (0xc633_6400, 24, "documentation TEST-NET-2, RFC 5737"),
    (0xcb00_7100, 24, "documentation TEST-NET-3, RFC 5737"),
    (0xe000_0000, 4, "multicast, RFC 5771"),
    (0xffff_ffff, 32, "limited broadcast, RFC 919"),
    (0xf000_0000, 4, "reserved, RFC 1112"),
];

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let n = u32::from(ip);
    V4_RANGES
        .iter()
        .find(|(net, len, _)| n >> (32 - len) == net >> (32 - len))
        .map(|(_, _, name)| *name)
}

/// `(network, prefix length, name)`, IPv6, checked in order after the IPv4-embedding forms.
const V6_RANGES: &[(u128, u8, &str)] = &[
    (0, 128, "unspecified, RFC 4291"),
    (1, 128, "loopback, RFC 4291"),
    (0, 96, "IPv4-compatible (deprecated), RFC 4291"),
    (
        0x0064_ff9b_0001 << 80,
        48,
        "local-use IPv4/IPv6 translation, RFC 8215",
    ),
    (0x0100 << 112, 64, "discard-only, RFC 6666"),
    (0x0100_0000_0000_0001 << 64, 64, "dummy prefix, RFC 9780"),
    (0x2001_0002 << 96, 48, "benchmarking, RFC 5180"),
    (0x2001_0010 << 96, 28, "ORCHID (deprecated), RFC 4843"),
    (0x2001_0020 << 96, 28, "ORCHIDv2, RFC 7343"),
    (0x2001_0db8 << 96, 32, "documentation, RFC 3849"),
    (0x3fff << 112, 20, "documentation, RFC 9637"),
    (0x5f00 << 112, 16, "segment routing SIDs, RFC 9602"),
    (0xfc00 << 112, 7, "unique-local, RFC 4193"),
    (0xfe80 << 112, 10, "link-local, RFC 4291"),
    (0xfec0 << 112, 10, "site-local (deprecated), RFC 3879"),
    (0xff00 << 112, 8, "multicast, RFC 4291"),
];

/// The globally reachable blocks inside `2001::/23` (IETF protocol assignments).
const V6_GLOBAL_IN_2001_23: &[(u128, u8)] = &[
    ((0x2001_0001 << 96) | 1, 128), // Port Control Protocol anycast, RFC 7723
    ((0x2001_0001 << 96) | 2, 128), // TURN anycast, RFC 8155
    ((0x2001_0001 << 96) | 3, 128), // DNS-SD service registration anycast, RFC 9665
    (0x2001_0003 << 96, 32),        // AMT, RFC 7450
    (0x2001_0004_0112 << 80, 48),   // AS112-v6, RFC 7535
    (0x2001_0030 << 96, 28),        // drone remote ID DETs, RFC 9374
];

fn in_v6(n: u128, net: u128, len: u8) -> bool {
    len == 0 || n >> (128 - u32::from(len)) == net >> (128 - u32::from(len))
}

fn special_v6(ip: Ipv6Addr) -> Option<String> {
    let n = u128::from(ip);
    let low_v4 = Ipv4Addr::from(n as u32);
    let embedded = |form: &str, v4: Ipv4Addr| special_v4(v4).map(|r| format!("{form} {v4}: {r}"));
    if in_v6(n, 0xffff << 32, 96) {
        return embedded("IPv4-mapped", low_v4);
    }
    if in_v6(n, 0x0064_ff9b << 96, 96) {
        return embedded("NAT64, RFC 6052, of", low_v4);
    }
    if in_v6(n, 0x2002 << 112, 16) {
        return embedded("6to4, RFC 3056, of", Ipv4Addr::from((n >> 80) as u32));
    }
    if in_v6(n, 0x2001 << 112, 32) {
        // The client's IPv4 address is stored inverted (RFC 4380 §4).
        let client = Ipv4Addr::from(!(n as u32));
        return Some(format!("Teredo, RFC 4380, client {client}"));
    }
    if let Some((_, _, name)) = V6_RANGES.iter().find(|(net, len, _)| in_v6(n, *net, *len)) {
        return Some((*name).to_owned());
    }
    if in_v6(n, 0x2001 << 112, 23)
        && !V6_GLOBAL_IN_2001_23
            .iter()
            .any(|(net, len)| in_v6(n, *net, *len))
    {
        return Some("IETF protocol assignments, RFC 2928".into());
    }
    if !in_v6(n, 0x2 << 124, 3) {
        return Some("not global unicast (outside 2000::/3)".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(ip: &str) -> Option<String> {
        special_purpose(ip.parse().unwrap())
    }

    #[test]
    fn every_ipv4_special_purpose_range() {
        for (ip, name) in [
            ("0.0.0.0", "this network"),
            ("0.255.255.255", "this network"),
            ("10.0.0.1", "private-use"),
            ("10.255.255.255", "private-use"),
            ("100.64.0.1", "shared"),
            ("100.127.255.255", "shared"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("169.254.169.254", "link-local"),
            ("172.16.5.4", "private-use"),
            ("172.31.255.255", "private-use"),
            ("192.0.0.1", "IETF protocol assignments"),
            ("192.0.0.255", "IETF protocol assignments"),
            ("192.0.2.1", "TEST-NET-1"),
            ("192.88.99.1", "6to4 relay"),
            ("192.168.1.1", "private-use"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("198.51.100.7", "TEST-NET-2"),
            ("203.0.113.9", "TEST-NET-3"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.255", "multicast"),
            ("240.0.0.1", "reserved"),
            ("254.1.2.3", "reserved"),
            ("255.255.255.255", "broadcast"),
        ] {
            let r = reason(ip).unwrap_or_else(|| panic!("{ip} is not refused"));
            assert!(r.contains(name), "{ip}: {r}");
        }
        // Just outside each range, and globally reachable special blocks.
        for ip in [
            "1.0.0.0",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.0",
            "192.0.3.0",
            "192.31.196.1",  // AS112-v4
            "192.52.193.1",  // AMT
            "192.88.98.255", // below the 6to4 relay block
            "192.167.255.255",
            "192.169.0.0",
            "192.175.48.1", // AS112 direct delegation
            "198.17.255.255",
            "198.20.0.0",
            "198.51.99.255",
            "203.0.112.255",
            "223.255.255.255",
            "93.184.215.14",
            "1.1.1.1",
        ] {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[test]
    fn every_ipv6_special_purpose_range() {
        for (ip, name) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::2", "IPv4-compatible"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("::8.8.8.8", "IPv4-compatible"),
            ("64:ff9b:1::1", "local-use"),
            ("64:ff9b:1:ffff::8.8.8.8", "local-use"),
            ("100::1", "discard-only"),
            ("100::1:0:0:1", "discard-only"),
            ("100:0:0:1::1", "dummy"),
            ("2001:2::1", "benchmarking"),
            ("2001:2:0:ffff::1", "benchmarking"),
            ("2001:10::1", "ORCHID"),
            ("2001:1f::1", "ORCHID"),
            ("2001:20::1", "ORCHIDv2"),
            ("2001:2f:ffff::1", "ORCHIDv2"),
            ("2001:db8::1", "documentation"),
            ("2001:db8:ffff::1", "documentation"),
            ("2001:1::4", "IETF protocol assignments"),
            ("2001:5::1", "IETF protocol assignments"),
            ("2001:1ff::1", "IETF protocol assignments"),
            ("3fff::1", "documentation"),
            ("3fff:fff::1", "documentation"),
            ("5f00::1", "segment routing"),
            ("fc00::1", "unique-local"),
            ("fd12:3456::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "site-local"),
            ("feff::1", "site-local"),
            ("ff02::1", "multicast"),
            ("ff0e::1", "multicast"),
            ("4000::1", "outside 2000::/3"),
            ("1000::1", "outside 2000::/3"),
            ("::ffff:0:127.0.0.1", "outside 2000::/3"), // IPv4-translated, RFC 2765
        ] {
            let r = reason(ip).unwrap_or_else(|| panic!("{ip} is not refused"));
            assert!(r.contains(name), "{ip}: {r}");
        }
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:82a::200e",
            "2001:1::1", // PCP anycast
            "2001:1::2", // TURN anycast
            "2001:3::1", // AMT
            "2001:4:112::1",
            "2001:30::1", // DETs
            "2001:200::1",
            "2620:4f:8000::1",
            "3fff:1000::1", // just past 3fff::/20
            "2001:db9::1",
        ] {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[test]
    fn ipv4_inside_ipv6_is_judged_by_the_ipv4_address() {
        for (ip, name) in [
            ("::ffff:127.0.0.1", "IPv4-mapped 127.0.0.1: loopback"),
            ("::ffff:7f00:1", "IPv4-mapped 127.0.0.1: loopback"),
            ("::ffff:10.1.2.3", "IPv4-mapped 10.1.2.3: private-use"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::ffff:0.0.0.0", "this network"),
            (
                "64:ff9b::127.0.0.1",
                "NAT64, RFC 6052, of 127.0.0.1: loopback",
            ),
            ("64:ff9b::a00:1", "of 10.0.0.1: private-use"),
            ("64:ff9b::c0a8:101", "of 192.168.1.1"),
            ("2002:7f00:1::", "6to4, RFC 3056, of 127.0.0.1: loopback"),
            ("2002:a9fe:a9fe::1", "of 169.254.169.254: link-local"),
            ("2002:c000:0201::1", "of 192.0.2.1"),
            // Teredo: refused whatever the client (here 127.0.0.1, then 8.8.8.8).
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", "client 127.0.0.1"),
            ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "client 8.8.8.8"),
            ("2001::1", "Teredo"),
        ] {
            let r = reason(ip).unwrap_or_else(|| panic!("{ip} is not refused"));
            assert!(r.contains(name), "{ip}: {r}");
        }
        for ip in [
            "::ffff:8.8.8.8",
            "::ffff:93.184.215.14",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_after_normalisation() {
        let g = Guard::default();
        assert!(g
            .check_url("https://agency.example/.well-known/did.json")
            .is_ok());
        assert!(g.check_url("https://[2606:4700:4700::1111]/x").is_ok());
        for bad in [
            "http://agency.example/x",
            "http://127.0.0.1/x",
            "https://10.0.0.1/x",
            "https://[::1]/x",
            "https://[::ffff:192.168.0.1]:8443/x",
            "https://localhost:8443/x",
            "https://LOCALHOST./x",
            "https://a.localhost/x",
            "https://agency.example@10.0.0.1/x",
            "https://agency.example:pw@agency.example/x",
            "file:///etc/passwd",
            "ftp://agency.example/x",
            "not a url",
            "/relative",
            // Other spellings of 127.0.0.1 and 0.0.0.0.
            "https://2130706433/x",
            "https://0x7f000001/x",
            "https://017700000001/x",
            "https://127.1/x",
            "https://0x7f.1/x",
            "https://0177.0.0.1/x",
            "https://127.0.0.1./x",
            "https://0/x",
            "https://%31%32%37.0.0.1/x",
            "https://%31%32%37%2e0%2e0%2e1/x",
            "https://\u{ff11}\u{ff12}\u{ff17}.\u{ff10}.\u{ff10}.\u{ff11}/x",
            "https://127\u{3002}0\u{3002}0\u{3002}1/x",
            "https://[::ffff:7f00:1]/x",
            "https://[64:ff9b::7f00:1]/x",
            "https://[2002:7f00:1::1]/x",
            "https://[fe80::1%25eth0]/x",
        ] {
            assert!(g.check_url(bad).is_err(), "{bad}");
        }
        // Named as the parser reads it, without the range.
        let e = g.check_url("https://0x7f.1/x").unwrap_err();
        assert_eq!(e.to_string(), "127.0.0.1 is not a public address");
        let e = g.check_url("https://[::ffff:10.0.0.1]:8443/x").unwrap_err();
        assert_eq!(e.to_string(), "[::ffff:a00:1] is not a public address");
    }

    #[test]
    fn allowed_hosts_are_exact_host_and_port() {
        let g = Guard::try_new(
            &["127.0.0.1:8080".into(), "dev.example:9000".into()],
            &["[::1]:8443".into(), "proxy.example".into()],
        )
        .unwrap();
        // The same host and port however spelled, and https fetched over http on that port.
        for url in [
            "https://127.0.0.1:8080/status/1",
            "https://127.1:8080/status/1",
            "https://2130706433:8080/status/1",
            "http://0x7f000001:8080/status/1",
        ] {
            assert_eq!(
                g.rewrite(url).unwrap().as_str(),
                "http://127.0.0.1:8080/status/1",
                "{url}"
            );
        }
        assert_eq!(
            g.rewrite("https://dev.example:9000/a").unwrap().as_str(),
            "http://dev.example:9000/a"
        );
        assert!(g.check_url("https://[::1]:8443/x").is_ok());
        assert!(g.check_url("https://proxy.example/x").is_ok());
        assert!(g.check_url("https://proxy.example:443/x").is_ok());
        // Never the host on another port, nor another scheme for a private host.
        for bad in [
            "https://127.0.0.1:8081/status/1",
            "http://127.0.0.1/status/1",
            "https://127.0.0.1/status/1",
            "https://127.1:8081/status/1",
            "https://dev.example:9001/a",
            "https://dev.example/a",
            "http://[::1]:8443/x",
            "https://[::1]:8444/x",
            "https://proxy.example:8443/x",
            "http://proxy.example/x",
        ] {
            assert!(g.check_url(bad).is_err(), "{bad}");
        }
        let e = g.check_url("https://dev.example:9001/a").unwrap_err();
        assert!(
            e.to_string().contains("dev.example:9001 is not an allowed"),
            "{e}"
        );
        // Names allowed on some port may resolve internally (the port is checked above);
        // other names may not.
        assert!(g
            .check_resolved("dev.example", "127.0.0.1".parse().unwrap())
            .is_ok());
        let e = g
            .check_resolved("evil.example", "::ffff:127.0.0.1".parse().unwrap())
            .unwrap_err();
        assert_eq!(e.to_string(), "evil.example is not a public address");
        // The address connected to.
        let at = |u: &str| Url::parse(u).unwrap();
        let addr = |a: &str| a.parse::<SocketAddr>().unwrap();
        assert!(g
            .check_connected(&at("http://127.0.0.1:8080/x"), addr("127.0.0.1:8080"))
            .is_ok());
        assert!(g
            .check_connected(&at("https://public.example/x"), addr("127.0.0.1:443"))
            .is_err());
        assert!(g
            .check_connected(&at("http://127.0.0.1:8080/x"), addr("127.0.0.1:8081"))
            .is_err());
        assert!(g
            .check_connected(
                &at("https://public.example/x"),
                addr("[::ffff:10.0.0.1]:443")
            )
            .is_err());
        assert!(g
            .check_connected(&at("https://public.example/x"), addr("93.184.215.14:443"))
            .is_ok());
        // Malformed entries are named.
        for bad in ["", "a b:1", "h:99999", "user@h:1", "h:1/path", "h:x"] {
            assert!(Guard::try_new(&[bad.into()], &[]).is_err(), "{bad:?}");
        }
    }
}
