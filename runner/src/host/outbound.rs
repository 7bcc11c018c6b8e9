//! Outgoing HTTP for the component (`wasi:http/client`), to the destinations the manifest's
//! `allowed_outbound_hosts` names and nowhere else. Spin enforces the same list under `spin up`;
//! the component sends only webhook deliveries, and the list is templated from
//! `webhook_outbound_host`, so by default (empty) every outgoing request is refused: no text a
//! job or a user writes can make the server call an address of its choosing.
//!
//! Entries are `scheme://host[:port]` with scheme `http` or `https` (the scheme's port when none
//! is given), as [`crate::manifest`] resolves them (templates expanded, empty results dropped,
//! as Spin does), in the form [`protocol::outbound`] defines, which the component holds
//! `webhook_outbound_host` to as well. Spin's wildcard, `self` and CIDR forms are refused: this
//! host allows exact destinations only. An entry written in the manifest that is not one stops
//! start-up; one that came from a variable (an operator's setting) is left out with a warning
//! instead, so a typo in an optional setting turns webhooks off rather than the server.
//!
//! Each request is bounded: [`CONNECT_TIMEOUT`] to connect and [`ANSWER_TIMEOUT`] for the
//! response head and between body frames, whatever the guest asked for. Redirects are not
//! followed. A refused request is logged by its origin only: a webhook URL's path may hold a
//! secret.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt as _;
use protocol::outbound::{Destination, redact};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::manifest::OutboundEntry;

/// Longest wait for a connection (TLS included).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the response head, and between frames of its body.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

/// The destinations outgoing requests may go to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedHosts(Vec<Destination>);

impl AllowedHosts {
    /// Parses resolved `allowed_outbound_hosts` entries. Fails naming the first entry written in
    /// the manifest that is not a destination; an entry that came from variables is left out
    /// instead, with a warning (returned, for the caller to log) that names the variables.
    pub fn parse(entries: &[OutboundEntry]) -> anyhow::Result<(AllowedHosts, Vec<String>)> {
        let mut allowed = Vec::new();
        let mut warnings = Vec::new();
        for entry in entries {
            match Destination::parse(&entry.value) {
                Ok(destination) => allowed.push(destination),
                Err(why) if entry.variables.is_empty() => anyhow::bail!(
                    "allowed_outbound_hosts entry {:?} {why} (this host allows exact \
                     destinations only: no wildcards, `self` or address ranges)",
                    entry.value
                ),
                Err(why) => warnings.push(format!(
                    "{} {} {why}; outgoing requests to it are refused, so webhooks are off until \
                     it is fixed (set {})",
                    entry.variables.join(", "),
                    redact(&entry.value),
                    entry
                        .variables
                        .iter()
                        .map(|v| format!(
                            "{}{}",
                            crate::manifest::VARIABLE_ENV_PREFIX,
                            v.to_ascii_uppercase()
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        Ok((AllowedHosts(allowed), warnings))
    }

    /// Whether a request to `uri` may be sent.
    pub fn allows(&self, uri: &http::Uri) -> bool {
        uri_destination(uri).is_some_and(|wanted| self.0.contains(&wanted))
    }

    /// The destinations as `scheme://host:port`, for the start-up log.
    pub fn describe(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

fn uri_destination(uri: &http::Uri) -> Option<Destination> {
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    Destination::new(uri.scheme_str()?, authority.host(), authority.port_u16())
}

/// Where a request went, as logs may show it: `scheme://host:port`, never its path or query.
fn origin_of(uri: &http::Uri) -> String {
    uri_destination(uri).map_or_else(|| redact(&uri.to_string()), |d| d.to_string())
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
                destination = %origin_of(request.uri()),
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

    fn written(value: &str) -> OutboundEntry {
        OutboundEntry {
            value: value.into(),
            variables: Vec::new(),
        }
    }

    fn allowed(entries: &[&str]) -> AllowedHosts {
        let entries: Vec<_> = entries.iter().map(|e| written(e)).collect();
        let (allowed, warnings) = AllowedHosts::parse(&entries).unwrap();
        assert!(warnings.is_empty());
        allowed
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
            let err = AllowedHosts::parse(&[written(bad)]).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn a_bad_value_from_a_variable_is_left_out_with_a_warning_naming_it() {
        let entries = [
            OutboundEntry {
                value: "https://hooks.example.com/services/T0/secret".into(),
                variables: vec!["webhook_outbound_host".into()],
            },
            written("http://127.0.0.1:9000"),
        ];
        let (allowed, warnings) = AllowedHosts::parse(&entries).unwrap();
        assert_eq!(allowed.describe(), ["http://127.0.0.1:9000"]);
        assert!(!allowed.allows(&uri("https://hooks.example.com/services/T0/secret")));
        let [warning] = warnings.as_slice() else {
            panic!("{warnings:?}")
        };
        assert!(
            warning.starts_with("webhook_outbound_host https://hooks.example.com/… has a path"),
            "{warning}"
        );
        assert!(
            warning.contains("https://hooks.example.com:8443"),
            "{warning}"
        );
        assert!(
            warning.contains("SPIN_VARIABLE_WEBHOOK_OUTBOUND_HOST"),
            "{warning}"
        );
        assert!(!warning.contains("secret"), "{warning}");
    }

    #[test]
    fn a_refused_request_is_logged_by_its_origin() {
        assert_eq!(
            origin_of(&uri("https://Hooks.example.com/services/T0/secret?x=1")),
            "https://hooks.example.com:443"
        );
        assert_eq!(
            origin_of(&uri("ftp://h.example/secret")),
            "ftp://h.example/…"
        );
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
