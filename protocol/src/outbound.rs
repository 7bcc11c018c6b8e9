//! What an allowed outbound destination looks like: an `allowed_outbound_hosts` entry as the host
//! (`runner serve`) enforces it, which is also the form the component demands of
//! `webhook_outbound_host` (the variable spin.toml templates that entry from). Defined once, so
//! the host and the component cannot disagree about a value.
//!
//! A destination is `scheme://host[:port]`: scheme `http` or `https`, a host name or IP address,
//! the scheme's port when none is given, and nothing after it but an optional `/`. Spin's
//! wildcard, `self` and address-range forms are not destinations here: exact ones only.

use std::fmt;

/// Values that would do, for messages.
pub const EXAMPLES: &str = "https://hooks.example.com or https://hooks.example.com:8443";

/// One destination, normalized: lower case, with its port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Destination {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

/// Why a value is not a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotDestination {
    Empty,
    NoScheme,
    Scheme,
    Path,
    UserInfo,
    Pattern,
    Host,
    Port,
}

impl fmt::Display for NotDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self {
            NotDestination::Empty => "is empty",
            NotDestination::NoScheme => "has no scheme (http:// or https://)",
            NotDestination::Scheme => "has a scheme other than http or https",
            NotDestination::Path => "has a path or a query, which a destination cannot have",
            NotDestination::UserInfo => "holds a user name or password",
            NotDestination::Pattern => {
                "is a pattern (a wildcard, `self` or an address range): only exact destinations are allowed"
            }
            NotDestination::Host => "has no valid host name",
            NotDestination::Port => "has a port that is not a number from 1 to 65535",
        };
        write!(
            f,
            "{why}: it must be scheme://host[:port] alone, e.g. {EXAMPLES}"
        )
    }
}

impl Destination {
    /// Builds one from parts already taken apart (a request's URI); `None` unless the scheme is
    /// http or https and there is a host.
    pub fn new(scheme: &str, host: &str, port: Option<u16>) -> Option<Destination> {
        let scheme = scheme.to_ascii_lowercase();
        let port = port.or_else(|| default_port(&scheme))?;
        default_port(&scheme)?;
        let host = host.to_ascii_lowercase();
        (valid_host(&host) && port > 0).then_some(Destination { scheme, host, port })
    }

    /// Parses an entry such as `https://hooks.example.com` or `http://127.0.0.1:9000/`.
    pub fn parse(entry: &str) -> Result<Destination, NotDestination> {
        let entry = entry.trim();
        if entry.is_empty() {
            return Err(NotDestination::Empty);
        }
        let Some((scheme, rest)) = entry.split_once("://") else {
            return Err(NotDestination::NoScheme);
        };
        let scheme = scheme.to_ascii_lowercase();
        if default_port(&scheme).is_none() {
            return Err(NotDestination::Scheme);
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['*', '{', '}']) || rest.eq_ignore_ascii_case("self") {
            return Err(NotDestination::Pattern);
        }
        if rest.contains('@') {
            return Err(NotDestination::UserInfo);
        }
        if rest.contains(['/', '?', '#']) {
            return Err(NotDestination::Path);
        }
        let (host, port) = split_port(rest)?;
        Destination::new(&scheme, host, port).ok_or(NotDestination::Host)
    }
}

impl fmt::Display for Destination {
    /// `scheme://host:port`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// `value` with anything after its host (path, query) and any user info cut out, for messages
/// and logs: a webhook URL's path may hold a secret. `https://u:p@h.example/x?y` reads
/// `https://…@h.example/…`.
pub fn redact(value: &str) -> String {
    let value = value.trim();
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), value),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => authority.to_owned(),
    };
    let tail = if matches!(tail, "" | "/") {
        tail
    } else {
        "/…"
    };
    format!("{scheme}{authority}{tail}")
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// `host[:port]` apart; an IPv6 address keeps its brackets.
fn split_port(authority: &str) -> Result<(&str, Option<u16>), NotDestination> {
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    let port = port
        .map(|p| match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(NotDestination::Port),
        })
        .transpose()?;
    Ok((host, port))
}

/// A DNS name (letters, digits, `-`, `_`, dots) or a bracketed IPv6 address.
fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty()
            && inner.contains(':')
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    !host.is_empty()
        && !host.starts_with(['.', '-'])
        && !host.contains("..")
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_destinations_parse_with_their_port() {
        let d = |s: &str| Destination::parse(s).map(|d| d.to_string());
        assert_eq!(
            d("https://Hooks.Example.com"),
            Ok("https://hooks.example.com:443".into())
        );
        assert_eq!(
            d(" http://127.0.0.1:9000/ "),
            Ok("http://127.0.0.1:9000".into())
        );
        assert_eq!(
            d("HTTPS://hooks.example.com:8443"),
            Ok("https://hooks.example.com:8443".into())
        );
        assert_eq!(d("http://[::1]:9000"), Ok("http://[::1]:9000".into()));
        assert_eq!(d("http://[::1]"), Ok("http://[::1]:80".into()));
    }

    #[test]
    fn anything_else_says_why_and_what_would_do() {
        for (bad, why) in [
            ("", NotDestination::Empty),
            ("hooks.example.com", NotDestination::NoScheme),
            ("ftp://hooks.example.com", NotDestination::Scheme),
            ("https://hooks.example.com/services", NotDestination::Path),
            ("https://hooks.example.com?x=1", NotDestination::Path),
            ("https://user@hooks.example.com", NotDestination::UserInfo),
            ("https://*.example.com", NotDestination::Pattern),
            ("*://*:*", NotDestination::Scheme),
            ("http://self", NotDestination::Pattern),
            ("https://{a,b}.example", NotDestination::Pattern),
            ("http://10.0.0.0/8", NotDestination::Path),
            ("https://hooks.example.com:0", NotDestination::Port),
            ("https://hooks.example.com:99999", NotDestination::Port),
            ("https://hooks.example.com:", NotDestination::Port),
            ("https://", NotDestination::Host),
            ("https://bad host", NotDestination::Host),
        ] {
            assert_eq!(Destination::parse(bad), Err(why), "{bad:?}");
        }
        let message = NotDestination::Path.to_string();
        assert!(
            message.contains("https://hooks.example.com:8443"),
            "{message}"
        );
    }

    #[test]
    fn redaction_keeps_the_origin_only() {
        assert_eq!(
            redact("https://hooks.example.com/services/T0/B0/secret"),
            "https://hooks.example.com/…"
        );
        assert_eq!(
            redact("https://u:p@h.example:8443/x?y"),
            "https://…@h.example:8443/…"
        );
        assert_eq!(redact("hooks.example.com/secret"), "hooks.example.com/…");
        assert_eq!(redact("https://h.example?token=s"), "https://h.example/…");
        assert_eq!(redact("https://h.example/"), "https://h.example/");
        assert_eq!(redact("https://h.example"), "https://h.example");
    }
}
