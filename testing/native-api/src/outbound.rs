//! The native host's way out for webhook deliveries: one HTTP/1.1 POST over a fresh loopback or
//! LAN connection with hyper's client, bounded by the request's timeout. Plain `http://` only:
//! this host serves tests, whose receivers listen on loopback.

use api_component::webhooks::sender::{Outcome, OutgoingRequest};
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;

/// Sends `request` and returns the receiver's status, or why there is none.
pub async fn send(request: &OutgoingRequest) -> Outcome {
    match tokio::time::timeout(request.timeout, exchange(request)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("no answer within {} s", request.timeout.as_secs())),
    }
}

async fn exchange(request: &OutgoingRequest) -> Outcome {
    let uri: hyper::Uri = request
        .url
        .parse()
        .map_err(|e| format!("invalid URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("this host sends plain http:// only".into());
    }
    let authority = uri.authority().ok_or("the URL has no host")?.clone();
    let port = authority.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((authority.host(), port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    tokio::spawn(connection);
    let mut builder =
        hyper::Request::post(uri.clone()).header(hyper::header::HOST, authority.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let outgoing = builder
        .body(Full::new(Bytes::from(request.body.clone())))
        .map_err(|e| format!("invalid request: {e}"))?;
    let response = sender
        .send_request(outgoing)
        .await
        .map_err(|e| format!("the exchange failed: {e}"))?;
    Ok(response.status().as_u16())
}
