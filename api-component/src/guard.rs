//! Requests refused before anything runs because of where they come from: a `Host` this server
//! is not (DNS rebinding: a page on `evil.example` whose name now points at `127.0.0.1`), and
//! writes another site's page sent through the user's browser (cross-site request forgery).
//!
//! - **Host** (421): with `allowed_hosts` set, the request's host name must be one of them (an
//!   entry starting with `.` also admits its subdomains); the port is not compared. Unset, any
//!   name is accepted, except from a client on loopback (the host reports the client address in
//!   `spin-client-addr`, as Spin does): there only `localhost`, `127.0.0.1` and `[::1]` are, since
//!   a loopback client is the user's own browser or a proxy on the same machine, and a proxy
//!   should be named in `allowed_hosts`.
//! - **Cross-site writes** (403): any method but GET, HEAD and OPTIONS with
//!   `Sec-Fetch-Site: cross-site`, or with an `Origin` whose host and port are not the request's
//!   `Host`. Clients that are not browsers send neither header and are not affected.
//!
//! JSON endpoints also demand `Content-Type: application/json` (415), which a page cannot send
//! to another origin without a CORS preflight this API never grants: see [`json_body`].

use crate::error::ApiError;
use crate::http::{ApiRequest, host_name};
use crate::settings::Settings;
use protocol::limits::MAX_JSON_BODY_BYTES;

/// The header in which the host reports the client's address (`ip:port`).
pub use protocol::host::CLIENT_ADDR_HEADER;

const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// Checks the `Host` and, for writes, the request's origin.
pub fn check(settings: &Settings, req: &ApiRequest) -> Result<(), ApiError> {
    check_host(&settings.allowed_hosts, req)?;
    if is_write(&req.method) {
        check_same_origin(req)?;
    }
    Ok(())
}

/// Whether requests with this method must come from this server's own pages.
pub fn is_write(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

fn check_host(allowed: &[String], req: &ApiRequest) -> Result<(), ApiError> {
    let host = req.header("host").map(host_name);
    let admitted = match (&host, allowed.is_empty()) {
        // Only HTTP/1.0 clients and in-process callers omit it; a browser never does.
        (None, true) => true,
        (None, false) => false,
        (Some(name), false) => allowed.iter().any(|a| name_matches(a, name)),
        (Some(name), true) => !from_loopback(req) || LOOPBACK_NAMES.contains(&name.as_str()),
    };
    if admitted {
        return Ok(());
    }
    Err(ApiError::MisdirectedRequest(match host {
        Some(name) => format!(
            "this server does not answer for the host {name:?}; add it to the allowed_hosts \
             setting if it should"
        ),
        None => "the request names no Host".into(),
    }))
}

fn name_matches(allowed: &str, name: &str) -> bool {
    match allowed.strip_prefix('.') {
        Some(domain) => name == domain || name.ends_with(&format!(".{domain}")),
        None => allowed == name,
    }
}

/// Whether the host reported a client on a loopback address.
fn from_loopback(req: &ApiRequest) -> bool {
    req.header(CLIENT_ADDR_HEADER)
        .and_then(|a| a.trim().parse::<std::net::SocketAddr>().ok())
        .is_some_and(|a| a.ip().is_loopback())
}

/// `host[:port]` normalised for comparison (default ports dropped).
fn authority_key(authority: &str, scheme: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    let default = match scheme {
        "https" => ":443",
        _ => ":80",
    };
    a.strip_suffix(default).unwrap_or(&a).to_owned()
}

fn check_same_origin(req: &ApiRequest) -> Result<(), ApiError> {
    let forbidden = |why: String| Err(ApiError::Forbidden(why));
    if req
        .header("sec-fetch-site")
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("cross-site"))
    {
        return forbidden("requests from other sites may not change anything here".into());
    }
    let Some(origin) = req.header("origin") else {
        return Ok(());
    };
    let origin = origin.trim();
    let Some((scheme, authority)) = origin.split_once("://") else {
        return forbidden(format!(
            "a request from the origin {origin:?} may not change anything here"
        ));
    };
    let host = req.header("host").unwrap_or_default();
    if authority_key(authority, scheme) != authority_key(host, scheme) {
        return forbidden(format!(
            "a request from {origin} may not change anything on {host}"
        ));
    }
    Ok(())
}

/// 415 unless the body is declared as JSON (`application/json`, any parameters); 413 when it is
/// longer than [`MAX_JSON_BODY_BYTES`], before anything parses it.
pub fn json_body(req: &ApiRequest) -> Result<(), ApiError> {
    if req.body.len() > MAX_JSON_BODY_BYTES {
        return Err(ApiError::TooLarge {
            size: req.body.len() as u64,
            limit: MAX_JSON_BODY_BYTES as u64,
        });
    }
    json_content_type(req)
}

fn json_content_type(req: &ApiRequest) -> Result<(), ApiError> {
    let mime = req
        .header("content-type")
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match mime.as_deref() {
        Some("application/json") => Ok(()),
        Some(other) => Err(ApiError::UnsupportedMediaType(format!(
            "this endpoint takes a JSON body (Content-Type: application/json), not {other}"
        ))),
        None => Err(ApiError::UnsupportedMediaType(
            "this endpoint takes a JSON body; send Content-Type: application/json".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(hosts: &[&str]) -> Settings {
        Settings {
            allowed_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            ..Settings::default()
        }
    }

    fn req(method: &str, host: &str) -> ApiRequest {
        ApiRequest::new(method, "/api/briefs").with_header("host", host)
    }

    fn status(s: &Settings, r: &ApiRequest) -> u16 {
        check(s, r).map_or_else(|e| e.status(), |()| 200)
    }

    #[test]
    fn loopback_clients_must_name_a_loopback_host() {
        let open = settings(&[]);
        let local = |host| req("GET", host).with_header(CLIENT_ADDR_HEADER, "127.0.0.1:51000");
        assert_eq!(status(&open, &local("127.0.0.1:3000")), 200);
        assert_eq!(status(&open, &local("localhost:3000")), 200);
        assert_eq!(status(&open, &local("[::1]:3000")), 200);
        assert_eq!(status(&open, &local("rebind.example:3000")), 421);
        let remote = req("GET", "team.example").with_header(CLIENT_ADDR_HEADER, "10.1.2.3:4000");
        assert_eq!(status(&open, &remote), 200);
    }

    #[test]
    fn allowed_hosts_admit_only_themselves() {
        let s = settings(&["cwm.example.com", ".team.example"]);
        assert_eq!(status(&s, &req("GET", "cwm.example.com:443")), 200);
        assert_eq!(status(&s, &req("GET", "a.team.example")), 200);
        assert_eq!(status(&s, &req("GET", "team.example")), 200);
        assert_eq!(status(&s, &req("GET", "evilteam.example")), 421);
        assert_eq!(status(&s, &req("GET", "localhost")), 421);
        assert_eq!(status(&s, &ApiRequest::new("GET", "/")), 421);
    }

    #[test]
    fn writes_from_other_origins_are_refused() {
        let s = settings(&[]);
        let post = |origin: &str| req("POST", "localhost:3000").with_header("origin", origin);
        assert_eq!(status(&s, &post("http://localhost:3000")), 200);
        assert_eq!(status(&s, &post("http://localhost:8080")), 403);
        assert_eq!(status(&s, &post("https://evil.example")), 403);
        assert_eq!(status(&s, &post("null")), 403);
        let default_port =
            req("PUT", "cwm.example:443").with_header("origin", "https://cwm.example");
        assert_eq!(status(&s, &default_port), 200);
        let fetch_meta =
            req("DELETE", "localhost:3000").with_header("sec-fetch-site", "cross-site");
        assert_eq!(status(&s, &fetch_meta), 403);
        let same_site = req("POST", "localhost:3000").with_header("sec-fetch-site", "same-origin");
        assert_eq!(status(&s, &same_site), 200);
        // Reads are not writes: a page may embed or link to a GET.
        let read = req("GET", "localhost:3000").with_header("origin", "https://evil.example");
        assert_eq!(status(&s, &read), 200);
    }

    #[test]
    fn json_endpoints_want_a_json_type() {
        let with = |ct: &str| ApiRequest::new("POST", "/x").with_header("content-type", ct);
        assert!(json_content_type(&with("application/json; charset=utf-8")).is_ok());
        assert_eq!(
            json_content_type(&with("text/plain")).unwrap_err().status(),
            415
        );
        assert_eq!(
            json_content_type(&ApiRequest::new("POST", "/x"))
                .unwrap_err()
                .status(),
            415
        );
    }
}
