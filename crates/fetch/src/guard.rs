//! The SSRF guard: which URLs and addresses the fetcher may reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Decides whether a URL or a resolved address may be fetched.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// `host:port` authorities allowed over plain HTTP and on internal addresses.
    insecure: Vec<String>,
    /// `host:port` authorities allowed on internal addresses, still over verified https.
    private: Vec<String>,
}

impl Guard {
    /// A guard that lets `insecure` authorities (`host:port`) through over plain HTTP.
    pub fn new(insecure: &[String]) -> Self {
        Self {
            insecure: insecure.iter().map(|h| h.to_ascii_lowercase()).collect(),
            private: Vec::new(),
        }
    }

    /// Also lets `private` authorities (`host:port`) through on internal addresses, over
    /// https with a verified certificate.
    #[must_use]
    pub fn with_private(mut self, private: &[String]) -> Self {
        self.private = private.iter().map(|h| h.to_ascii_lowercase()).collect();
        self
    }

    fn is_private_allowed(&self, authority: &str) -> bool {
        self.private
            .iter()
            .any(|a| a.eq_ignore_ascii_case(authority))
    }

    fn authority(url: &str) -> Option<(&str, &str)> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next()?;
        // No user info: `https://a.example@10.0.0.1/` would hide the real host.
        if authority.contains('@') || authority.is_empty() {
            return None;
        }
        Some((scheme, authority))
    }

    fn is_insecure_allowed(&self, authority: &str) -> bool {
        self.insecure
            .iter()
            .any(|a| a.eq_ignore_ascii_case(authority))
    }

    /// Checks a URL before it is requested (or followed as a redirect).
    ///
    /// # Errors
    /// The reason it is refused.
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        let (scheme, authority) = Self::authority(url)
            .ok_or_else(|| "not an absolute http(s) URL without user info".to_owned())?;
        if self.is_insecure_allowed(authority) {
            return Ok(());
        }
        if !scheme.eq_ignore_ascii_case("https") {
            return Err(format!("only https is fetched, not {scheme}"));
        }
        if self.is_private_allowed(authority) {
            return Ok(());
        }
        let host = host_of(authority);
        if let Ok(ip) = host.parse::<IpAddr>() {
            if is_internal(ip) {
                return Err(format!("{ip} is an internal address"));
            }
        }
        if host.eq_ignore_ascii_case("localhost")
            || host.to_ascii_lowercase().ends_with(".localhost")
        {
            return Err("localhost is an internal address".into());
        }
        Ok(())
    }

    /// The URL actually requested: checked, and `https` turned into `http` for allowed
    /// insecure hosts.
    ///
    /// # Errors
    /// As [`Guard::check_url`].
    pub fn rewrite(&self, url: &str) -> Result<String, String> {
        self.check_url(url)?;
        match Self::authority(url) {
            Some((scheme, authority))
                if self.is_insecure_allowed(authority) && scheme.eq_ignore_ascii_case("https") =>
            {
                Ok(format!("http{}", &url[scheme.len()..]))
            }
            _ => Ok(url.to_owned()),
        }
    }

    /// Checks an address a host name resolved to.
    ///
    /// # Errors
    /// The reason it is refused.
    pub fn check_resolved(&self, host: &str, ip: IpAddr) -> Result<(), String> {
        let allowed = self
            .insecure
            .iter()
            .chain(&self.private)
            .any(|a| host_of(a).eq_ignore_ascii_case(host));
        if is_internal(ip) && !allowed {
            Err(format!("{host} resolves to {ip}, an internal address"))
        } else {
            Ok(())
        }
    }
}

fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// True for addresses a verifier must not be made to reach: loopback, private (RFC 1918,
/// RFC 4193), link-local, shared (RFC 6598), unspecified, broadcast, multicast,
/// documentation, benchmarking and reserved ranges, and IPv4 inside IPv6 forms of those.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240 // reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 may reach IPv4 internals
        || (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0)
    // IPv4-compatible
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ranges() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a00:1",
            "::127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "172.32.0.1",
            "100.128.0.1",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls() {
        let g = Guard::default();
        assert!(g
            .check_url("https://agency.example/.well-known/did.json")
            .is_ok());
        for bad in [
            "http://agency.example/x",
            "http://127.0.0.1/x",
            "https://10.0.0.1/x",
            "https://[::1]/x",
            "https://[::ffff:192.168.0.1]:8443/x",
            "https://localhost:8443/x",
            "https://agency.example@10.0.0.1/x",
            "file:///etc/passwd",
            "ftp://agency.example/x",
        ] {
            assert!(g.check_url(bad).is_err(), "{bad}");
        }
        let test = Guard::new(&["127.0.0.1:8080".into()]);
        assert_eq!(
            test.rewrite("https://127.0.0.1:8080/status/1").unwrap(),
            "http://127.0.0.1:8080/status/1"
        );
        assert!(test.rewrite("https://127.0.0.1:8081/status/1").is_err());
        assert!(test
            .check_resolved("127.0.0.1", "127.0.0.1".parse().unwrap())
            .is_ok());
        assert!(test
            .check_resolved("evil.example", "127.0.0.1".parse().unwrap())
            .is_err());
    }
}
