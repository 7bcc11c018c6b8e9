//! What the host reads from `spin.toml`: the HTTP component's key-value stores, variables and
//! `allowed_outbound_hosts`.
//!
//! Variables resolve the way `spin up` resolves them: an application variable takes its value
//! from the environment variable `SPIN_VARIABLE_<NAME>` (name upper-cased), else its `default`;
//! a component variable is a template such as `"{{ max_upload_bytes }}"` over those values.
//! Only the component's own variables are visible to it. `allowed_outbound_hosts` entries are
//! templates over the application variables too; one that resolves to nothing (or to a bare
//! `http://` or `https://`) is dropped, as Spin drops it, so an empty variable means "no
//! destination". Each entry keeps the names of the variables it came from, so that a bad value
//! can be reported as the setting the operator gave.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use serde::Deserialize;

/// The repository's spin.toml, used when no manifest is found on disk.
pub const EMBEDDED_SPIN_TOML: &str = include_str!("../../spin.toml");
/// Prefix of the environment variables that override application variables (as in Spin).
pub const VARIABLE_ENV_PREFIX: &str = "SPIN_VARIABLE_";

/// The parts of a Spin manifest the host needs.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    variables: BTreeMap<String, Variable>,
    #[serde(default)]
    trigger: Triggers,
    #[serde(default)]
    component: BTreeMap<String, Component>,
}

#[derive(Debug, Deserialize)]
struct Variable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
}

#[derive(Debug, Default, Deserialize)]
struct Triggers {
    #[serde(default)]
    http: Vec<HttpTrigger>,
}

#[derive(Debug, Deserialize)]
struct HttpTrigger {
    component: String,
}

#[derive(Debug, Deserialize)]
struct Component {
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

/// The resolved settings for the HTTP component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSettings {
    /// Name of the component in the manifest (`api`).
    pub id: String,
    /// Stores the component may open (`key_value_stores`).
    pub key_value_stores: Vec<String>,
    /// Component variables with their final values.
    pub variables: BTreeMap<String, String>,
    /// `allowed_outbound_hosts`, resolved; empty resolutions left out.
    pub allowed_outbound_hosts: Vec<OutboundEntry>,
}

/// One `allowed_outbound_hosts` entry, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundEntry {
    pub value: String,
    /// The application variables its template names (e.g. `webhook_outbound_host`); empty for
    /// an entry written out in the manifest.
    pub variables: Vec<String>,
}

impl Manifest {
    /// Parses a manifest; `origin` names it in error messages.
    pub fn parse(text: &str, origin: &str) -> anyhow::Result<Manifest> {
        toml::from_str(text).map_err(|e| {
            let reason = e.message().to_owned();
            anyhow::anyhow!("{origin} is not a valid Spin manifest: {reason}")
        })
    }

    /// Resolves the settings of the component behind the first HTTP trigger, reading overrides
    /// through `env` (pass `|name| std::env::var(name).ok()` in production).
    pub fn component_settings(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ComponentSettings> {
        let id = self.http_component_id()?;
        let component = &self.component[&id];
        let mut variables = BTreeMap::new();
        for (name, template) in &component.variables {
            let value = render_template(template, |var| self.variable_value(var, &env))
                .with_context(|| format!("component variable `{name}` of `{id}`"))?;
            variables.insert(name.clone(), value);
        }
        let mut allowed_outbound_hosts = Vec::new();
        for template in &component.allowed_outbound_hosts {
            let host = render_template(template, |var| self.variable_value(var, &env))
                .with_context(|| format!("allowed_outbound_hosts of `{id}`"))?;
            if !matches!(host.trim(), "" | "http://" | "https://") {
                allowed_outbound_hosts.push(OutboundEntry {
                    value: host.trim().to_owned(),
                    variables: template_variables(template),
                });
            }
        }
        Ok(ComponentSettings {
            id,
            key_value_stores: component.key_value_stores.clone(),
            variables,
            allowed_outbound_hosts,
        })
    }

    fn http_component_id(&self) -> anyhow::Result<String> {
        let id = match (self.trigger.http.first(), self.component.len()) {
            (Some(trigger), _) => trigger.component.clone(),
            (None, 1) => self.component.keys().next().cloned().unwrap_or_default(),
            (None, _) => {
                bail!("the manifest has no [[trigger.http]] naming the component to serve")
            }
        };
        if !self.component.contains_key(&id) {
            bail!("[[trigger.http]] names component `{id}`, which has no [component.{id}] table");
        }
        Ok(id)
    }

    fn variable_value(
        &self,
        name: &str,
        env: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<String> {
        let Some(variable) = self.variables.get(name) else {
            bail!("`{name}` is not declared in [variables]");
        };
        let env_name = format!("{VARIABLE_ENV_PREFIX}{}", name.to_ascii_uppercase());
        if let Some(value) = env(&env_name) {
            return Ok(value);
        }
        match &variable.default {
            Some(default) if !variable.required => Ok(default.clone()),
            _ => bail!("variable `{name}` is required: set {env_name}"),
        }
    }
}

/// The names of the variables `template` refers to, in order.
fn template_variables(template: &str) -> Vec<String> {
    template
        .split("{{")
        .skip(1)
        .filter_map(|rest| Some(rest.split_once("}}")?.0.trim().to_owned()))
        .collect()
}

/// Expands every `{{ name }}` in `template` with `lookup(name)`.
fn render_template(
    template: &str,
    lookup: impl Fn(&str) -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("unclosed `{{{{` in template {template:?}");
        };
        out.push_str(&lookup(after[..end].trim())?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_repository_manifest_resolves_with_defaults() {
        let manifest = Manifest::parse(EMBEDDED_SPIN_TOML, "spin.toml").unwrap();
        let settings = manifest.component_settings(no_env).unwrap();
        assert_eq!(settings.id, "api");
        assert_eq!(settings.key_value_stores, vec!["default".to_string()]);
        assert_eq!(settings.variables["max_document_bytes"], "1048576");
        assert_eq!(settings.variables["webhook_url"], "");
        assert!(
            settings.allowed_outbound_hosts.is_empty(),
            "no destination unless webhook_outbound_host is set"
        );
        let env = |name: &str| {
            (name == "SPIN_VARIABLE_WEBHOOK_OUTBOUND_HOST").then(|| "https://hooks.example".into())
        };
        let settings = manifest.component_settings(env).unwrap();
        assert_eq!(
            settings.allowed_outbound_hosts,
            [OutboundEntry {
                value: "https://hooks.example".into(),
                variables: vec!["webhook_outbound_host".into()],
            }]
        );
        assert_eq!(
            settings.variables["webhook_outbound_host"],
            "https://hooks.example"
        );
    }

    #[test]
    fn environment_overrides_defaults_by_upper_case_name() {
        let manifest = Manifest::parse(EMBEDDED_SPIN_TOML, "spin.toml").unwrap();
        let env =
            |name: &str| (name == "SPIN_VARIABLE_MAX_DOCUMENT_BYTES").then(|| "7".to_string());
        let settings = manifest.component_settings(env).unwrap();
        assert_eq!(settings.variables["max_document_bytes"], "7");
        assert_eq!(settings.variables["max_upload_bytes"], "8388608");
    }

    #[test]
    fn templates_mix_text_and_variables() {
        let manifest = Manifest::parse(
            r#"
            [variables]
            host = { default = "example.org" }
            port = { required = true }
            [[trigger.http]]
            component = "web"
            [component.web]
            variables = { url = "https://{{host}}:{{ port }}/x", plain = "text" }
            "#,
            "test",
        )
        .unwrap();
        let err = manifest.component_settings(no_env).unwrap_err();
        assert!(format!("{err:#}").contains("SPIN_VARIABLE_PORT"), "{err:#}");
        let env = |name: &str| (name == "SPIN_VARIABLE_PORT").then(|| "8443".to_string());
        let settings = manifest.component_settings(env).unwrap();
        assert_eq!(settings.variables["url"], "https://example.org:8443/x");
        assert_eq!(settings.variables["plain"], "text");
        assert_eq!(
            template_variables("https://{{host}}:{{ port }}/x"),
            ["host", "port"]
        );
        assert!(template_variables("https://a.example").is_empty());
        assert!(settings.key_value_stores.is_empty());
    }

    #[test]
    fn undeclared_variables_and_bad_toml_are_reported() {
        let manifest = Manifest::parse(
            "[component.a]\nvariables = { x = \"{{ nope }}\" }\n",
            "test",
        )
        .unwrap();
        let err = manifest.component_settings(no_env).unwrap_err();
        assert!(
            format!("{err:#}").contains("`nope` is not declared"),
            "{err:#}"
        );
        assert!(Manifest::parse("[variables", "broken.toml").is_err());
    }
}
