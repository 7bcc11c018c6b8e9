//! Outgoing HTTP for the component (`wasi:http/client`), to the destinations the manifest's
//! `allowed_outbound_hosts` names and nowhere else. Spin enforces the same list under `spin up`;
//! the component sends only webhook deliveries, and the list is templated from
//! `webhook_outbound_host`, so by default (empty) every outgoing request is refused: no text a
//! job or a user writes can make the server call an address of its choosing.
//!
//! Entries are `scheme://host[:port]` with scheme `http` or `https` (the scheme's port when none
//! is given), as [`crate::manifest`] resolves them (templates expanded, empty results dropped,
//! as Spin does). Spin's wildcard, `self` and CIDR forms are refused at start-up: this host
//! allows exact destinations only.
//!
//! Each request is bounded: [`CONNECT_TIMEOUT`] to connect and [`ANSWER_TIMEOUT`] for the
//! response head and between body frames, whatever the guest asked for. Redirects are not
//! followed.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt as _;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// Longest wait for a connection (TLS included).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the response head, and between frames of its body.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

/// One allowed destination.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Destination {
    scheme: String,
    host: String,
    port: u16,
}

/// The destinations outgoing requests may go to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedHosts(Vec<Destination>);

impl AllowedHosts {
    /// Parses resolved `allowed_outbound_hosts` entries; fails naming the first it cannot use.
    pub fn parse(entries: &[String]) -> anyhow::Result<AllowedHosts> {
        entries
            .iter()
            .map(|entry| {
                destination(entry).ok_or_else(|| {
                    anyhow::anyhow!(
                        "allowed_outbound_hosts entry {entry:?} is not scheme://host[:port] with \
                         scheme http or https (this host allows exact destinations only: no \
                         wildcards, `self` or address ranges)"
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map(AllowedHosts)
    }

    /// Whether a request to `uri` may be sent.
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let Some(wanted) = uri_destination(uri) else {
            return false;
        };
        self.0.contains(&wanted)
    }

    /// The destinations as `scheme://host:port`, for the start-up log.
    pub fn describe(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|d| format!("{}://{}:{}", d.scheme, d.host, d.port))
            .collect()
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// An entry such as `https://hooks.example.com` or `http://127.0.0.1:9000/`.
fn destination(entry: &str) -> Option<Destination> {
    let entry = entry.trim();
    let (scheme, rest) = entry.split_once("://")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '*', '@', '?', '#', '{']) || rest == "self" {
        return None;
    }
    let uri: http::Uri = format!("{scheme}://{rest}/").parse().ok()?;
    uri_destination(&uri)
}

fn uri_destination(uri: &http::Uri) -> Option<Destination> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    let port = authority.port_u16().or(default_port(&scheme))?;
    default_port(&scheme)?;
    Some(Destination {
        scheme,
        host: authority.host().to_ascii_lowercase(),
        port,
    })
}

type HttpFuture<T> = Box<dyn Future<Output = wasmtime_wasi_http::Result<T>> + Send>;
type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

/// The `wasi:http` hooks of every instance: requests to allowed destinations are sent (with
/// wasmtime-wasi-http's own client: hyper, rustls with the webpki roots), others refused with
/// `HTTP-request-denied`.
pub struct OutboundHttp {
    pub allowed: Arc<AllowedHosts>,
}

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> HttpFuture<(http::Response<WasiBody>, IoFuture)> {
        if !self.allowed.allows(request.uri()) {
            tracing::warn!(
                destination = %request.uri(),
                "outgoing request refused: not in allowed_outbound_hosts"
            );
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        let options = bounded(options);
        Box::new(async move {
            let (response, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            Ok((
                response.map(|body| body.boxed_unsync()),
                Box::new(io) as IoFuture,
            ))
        })
    }
}

/// The guest's timeouts, none longer than this host allows.
fn bounded(options: Option<RequestOptions>) -> RequestOptions {
    let options = options.unwrap_or_default();
    let cap = |asked: Option<Duration>, most: Duration| Some(asked.map_or(most, |a| a.min(most)));
    RequestOptions {
        connect_timeout: cap(options.connect_timeout, CONNECT_TIMEOUT),
        first_byte_timeout: cap(options.first_byte_timeout, ANSWER_TIMEOUT),
        between_bytes_timeout: cap(options.between_bytes_timeout, ANSWER_TIMEOUT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entries: &[&str]) -> AllowedHosts {
        AllowedHosts::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    #[test]
    fn only_the_exact_scheme_host_and_port_are_allowed() {
        let list = allowed(&["https://Hooks.example.com", "http://127.0.0.1:9000/"]);
        assert!(list.allows(&uri("https://hooks.example.com/cwm/x?y=1")));
        assert!(list.allows(&uri("https://hooks.example.com:443/")));
        assert!(list.allows(&uri("http://127.0.0.1:9000/hook")));
        for refused in [
            "http://hooks.example.com/",
            "https://hooks.example.com:8443/",
            "https://evil.example/",
            "https://hooks.example.com.evil.example/",
            "http://127.0.0.1:9001/",
            "http://localhost:9000/",
            "http://169.254.169.254/latest/meta-data",
            "/relative",
        ] {
            assert!(!list.allows(&uri(refused)), "{refused}");
        }
        assert!(!AllowedHosts::default().allows(&uri("https://hooks.example.com/")));
    }

    #[test]
    fn wildcards_and_other_forms_are_refused_at_start_up() {
        for bad in [
            "*://*:*",
            "https://*.example.com",
            "http://self",
            "https://example.com/path",
            "example.com",
            "ftp://example.com",
            "https://user@example.com",
            "https://{a,b}.example",
        ] {
            let err = AllowedHosts::parse(&[bad.to_string()]).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn timeouts_are_capped() {
        let o = bounded(Some(RequestOptions {
            connect_timeout: Some(Duration::from_secs(600)),
            first_byte_timeout: Some(Duration::from_secs(1)),
            between_bytes_timeout: None,
        }));
        assert_eq!(o.connect_timeout, Some(CONNECT_TIMEOUT));
        assert_eq!(o.first_byte_timeout, Some(Duration::from_secs(1)));
        assert_eq!(o.between_bytes_timeout, Some(ANSWER_TIMEOUT));
    }
}
