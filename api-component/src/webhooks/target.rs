//! Where deliveries go, from the settings: `webhook_url`, signed with `webhook_secret`, and only
//! if the URL lies within `webhook_outbound_host`, the one destination the host lets the
//! component reach (Spin's `allowed_outbound_hosts`, templated from that variable in
//! `spin.toml`; `runner serve` enforces the same list). `webhook_outbound_host` is held to the
//! form the host enforces ([`protocol::outbound`]), so a value the host would refuse is a problem
//! admins see here, not a surprise at send time. URLs are shown by their origin only.

use protocol::outbound::{Destination, redact};

use crate::settings::Settings;

/// What the webhook settings amount to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Config {
    /// `webhook_url` is empty: nothing is recorded or sent.
    Off,
    /// Deliveries are recorded and sent.
    On(Target),
    /// `webhook_url` is set but cannot be used; deliveries are recorded and wait (shown with
    /// this reason) until the settings are fixed.
    Broken(String),
}

/// A usable destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub secret: String,
    /// `scheme://host:port` of the URL: what admins are shown (the path may hold a secret).
    pub origin: String,
}

impl Config {
    pub fn from_settings(settings: &Settings) -> Config {
        let url = settings.webhook_url.trim();
        if url.is_empty() {
            return Config::Off;
        }
        match check(
            url,
            &settings.webhook_secret,
            &settings.webhook_outbound_host,
        ) {
            Ok(origin) => Config::On(Target {
                url: url.to_owned(),
                secret: settings.webhook_secret.clone(),
                origin,
            }),
            Err(why) => Config::Broken(why),
        }
    }

    /// Whether finished jobs are recorded as deliveries.
    pub fn records(&self) -> bool {
        !matches!(self, Config::Off)
    }
}

/// The URL's origin, or why the settings cannot be used. Messages show a URL as its origin (or,
/// when it has none, cut after its host; see [`shown`]): its path may hold a secret.
fn check(url: &str, secret: &str, allowed: &str) -> Result<String, String> {
    let origin = destination(url).ok_or_else(|| {
        format!(
            "webhook_url ({}) is not an http:// or https:// URL with a host",
            shown(url)
        )
    })?;
    if secret.is_empty() {
        return Err("webhook_secret is not set: deliveries are only sent signed".into());
    }
    if allowed.trim().is_empty() {
        return Err(format!(
            "webhook_outbound_host is not set: set it to {origin}, the only destination the \
             server may call"
        ));
    }
    // The same form the host enforces on allowed_outbound_hosts, which spin.toml fills from it.
    let allowed = Destination::parse(allowed)
        .map_err(|why| format!("webhook_outbound_host ({}) {why}", redact(allowed)))?;
    if allowed != origin {
        return Err(format!(
            "webhook_url is on {origin}, but webhook_outbound_host allows only {allowed}"
        ));
    }
    Ok(origin.to_string())
}

/// The destination of an http(s) URL without user info.
fn destination(url: &str) -> Option<Destination> {
    let uri: http::Uri = url.trim().parse().ok()?;
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    Destination::new(uri.scheme_str()?, authority.host(), authority.port_u16())
}

/// `scheme://host:port` (lower case, the scheme's port when none is given) of an http(s) URL
/// without user info.
pub fn origin(url: &str) -> Option<String> {
    destination(url).map(|d| d.to_string())
}

/// How a URL setting may be shown (to admins, in logs): its origin, or when it has none the
/// value cut after its host.
pub fn shown(url: &str) -> String {
    origin(url).unwrap_or_else(|| redact(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, secret: &str, allowed: &str) -> Config {
        Config::from_settings(&Settings {
            webhook_url: url.into(),
            webhook_secret: secret.into(),
            webhook_outbound_host: allowed.into(),
            ..Settings::default()
        })
    }

    #[test]
    fn on_when_url_secret_and_allowed_host_agree() {
        let on = config(
            "https://Hooks.example.com/cwm/x1?k=v",
            "s",
            "https://hooks.example.com",
        );
        assert_eq!(
            on,
            Config::On(Target {
                url: "https://Hooks.example.com/cwm/x1?k=v".into(),
                secret: "s".into(),
                origin: "https://hooks.example.com:443".into(),
            })
        );
        assert!(matches!(
            config("http://127.0.0.1:9000/hook", "s", "http://127.0.0.1:9000"),
            Config::On(_)
        ));
        assert_eq!(config("", "s", ""), Config::Off);
        assert!(!Config::Off.records());
    }

    #[test]
    fn broken_settings_say_what_to_fix() {
        let reason = |c: Config| match c {
            Config::Broken(why) => why,
            other => panic!("{other:?} is not broken"),
        };
        assert!(reason(config("ftp://x.example/", "s", "ftp://x.example")).contains("not an http"));
        assert!(
            reason(config("https://u:p@x.example/", "s", "https://x.example"))
                .contains("not an http")
        );
        assert!(
            reason(config("https://x.example/", "", "https://x.example"))
                .contains("webhook_secret")
        );
        assert!(
            reason(config("https://x.example/", "s", ""))
                .contains("set it to https://x.example:443")
        );
        assert!(
            reason(config("https://x.example/", "s", "https://y.example")).contains("allows only")
        );
        assert!(
            reason(config("https://x.example:8443/", "s", "https://x.example"))
                .contains("allows only")
        );
        // webhook_outbound_host is held to the form the host enforces (protocol::outbound).
        for outbound in [
            "https://x.example/services",
            "x.example",
            "https://*.example",
        ] {
            let why = reason(config("https://x.example/services/s", "s", outbound));
            assert!(
                why.starts_with("webhook_outbound_host"),
                "{outbound}: {why}"
            );
            assert!(why.contains("https://hooks.example.com:8443"), "{why}");
            assert!(!why.contains("services"), "{why}");
        }
        assert!(
            config("https://x.example/", "", "").records(),
            "broken settings still record"
        );
    }
}
