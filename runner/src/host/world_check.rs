//! Start-up check that a component fits the world in `wit/` (`cwm:app/api-component`): it may
//! import only what the world imports and must export what the world exports. Versions match
//! semver-compatibly (the component's `wasi:cli@0.2.6` fits the world's `@0.2.12`), the same
//! rule as `wasm-tools component targets --semver-compatible`.
//!
//! The world's `.wit` files are embedded in the binary ([`crate::embedded::WIT_FILES`]), so this
//! check needs nothing on disk.

use std::collections::BTreeMap;

use anyhow::{Context as _, anyhow, bail};
use wit_parser::{PackageName, Resolve, SourceMap, UnresolvedPackageGroup, WorldId, WorldKey};

/// Name of the world every component served by this host must fit.
pub const WORLD: &str = "api-component";

/// Fails with one readable sentence naming what does not fit.
pub fn check(wasm: &[u8]) -> anyhow::Result<()> {
    let (resolve, world) = load_world()?;
    let Err(mismatch) = wit_component::targets(&resolve, world, wasm, true) else {
        return Ok(());
    };
    let foreign = foreign_imports(&resolve, world, wasm).unwrap_or_default();
    match foreign.as_slice() {
        [] => Err(anyhow!(
            "the component does not fit the world `{WORLD}` in wit/: {}",
            crate::one_line(&mismatch)
        )),
        [one] => bail!(
            "the component imports `{one}`, which the world `{WORLD}` in wit/ does not provide"
        ),
        many => bail!(
            "the component imports {}, which the world `{WORLD}` in wit/ does not provide",
            many.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Resolves the embedded `wit/` (a root package plus one package per `deps/` entry).
pub fn load_world() -> anyhow::Result<(Resolve, WorldId)> {
    let mut root = SourceMap::new();
    let mut deps: BTreeMap<&str, SourceMap> = BTreeMap::new();
    for (path, text) in crate::embedded::WIT_FILES {
        match path.strip_prefix("deps/") {
            None => root.push_str(path, *text),
            // `deps/<pkg>/<file>.wit` or a single-file package `deps/<pkg>.wit`.
            Some(dep) => {
                let package = dep.split_once('/').map_or(dep, |(dir, _)| dir);
                deps.entry(package).or_default().push_str(path, *text);
            }
        }
    }
    let deps = deps
        .into_values()
        .map(parse_group)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut resolve = Resolve::default();
    let package = resolve
        .push_groups(parse_group(root)?, deps)
        .map_err(|e| anyhow!("embedded wit/ does not resolve: {e}"))?;
    let world = resolve
        .select_world(&[package], Some(WORLD))
        .context("embedded wit/ has no world `api-component`")?;
    Ok((resolve, world))
}

fn parse_group(sources: SourceMap) -> anyhow::Result<UnresolvedPackageGroup> {
    sources
        .parse()
        .map_err(|(_, e)| anyhow!("embedded wit/ does not parse: {e}"))
}

/// The component's imports that no world import matches, as `ns:pkg/iface@version`.
fn foreign_imports(resolve: &Resolve, world: WorldId, wasm: &[u8]) -> anyhow::Result<Vec<String>> {
    let wit_component::DecodedWasm::Component(theirs, their_world) = wit_component::decode(wasm)?
    else {
        bail!("not a component");
    };
    let ours = import_names(resolve, world);
    Ok(import_names(&theirs, their_world)
        .into_iter()
        .filter(|theirs| !ours.iter().any(|ours| ours.accepts(theirs)))
        .map(|name| name.to_string())
        .collect())
}

/// An import as a package-qualified name, for version-aware comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ImportName {
    /// `ns:pkg/iface` for interfaces, the plain name otherwise.
    path: String,
    version: Option<semver::Version>,
}

impl ImportName {
    /// Whether a world import `self` satisfies a component import `other`.
    fn accepts(&self, other: &ImportName) -> bool {
        self.path == other.path
            && match (&self.version, &other.version) {
                (Some(ours), Some(theirs)) => semver_compatible(ours, theirs),
                (ours, theirs) => ours == theirs,
            }
    }
}

impl std::fmt::Display for ImportName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(version) => write!(f, "{}@{version}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

fn import_names(resolve: &Resolve, world: WorldId) -> Vec<ImportName> {
    resolve.worlds[world]
        .imports
        .keys()
        .map(|key| match key {
            WorldKey::Name(name) => ImportName {
                path: name.clone(),
                version: None,
            },
            WorldKey::Interface(id) => {
                let iface = &resolve.interfaces[*id];
                let package = iface.package.map(|p| &resolve.packages[p].name);
                let iface_name = iface.name.as_deref().unwrap_or("<anonymous>");
                match package {
                    Some(PackageName {
                        namespace,
                        name,
                        version,
                    }) => ImportName {
                        path: format!("{namespace}:{name}/{iface_name}"),
                        version: version.clone(),
                    },
                    None => ImportName {
                        path: iface_name.to_owned(),
                        version: None,
                    },
                }
            }
        })
        .collect()
}

/// The component model's rule: same major (or, below 1.0, same minor); pre-releases only match
/// exactly.
fn semver_compatible(a: &semver::Version, b: &semver::Version) -> bool {
    if !a.pre.is_empty() || !b.pre.is_empty() {
        return a == b;
    }
    match (a.major, b.major) {
        (0, 0) => a.minor == b.minor,
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_wit_resolves_to_the_world() {
        let (resolve, world) = load_world().unwrap();
        let names: Vec<String> = import_names(&resolve, world)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            names.contains(&"wasi:keyvalue/atomics@0.2.0-draft2".to_string()),
            "{names:?}"
        );
        assert!(
            names.contains(&"wasi:http/types@0.3.0".to_string()),
            "{names:?}"
        );
        assert!(
            names.contains(&"wasi:http/client@0.3.0".to_string()),
            "{names:?}"
        );
        assert!(
            !names.iter().any(|n| n.starts_with("wasi:filesystem")),
            "{names:?}"
        );
    }

    #[test]
    fn embedded_component_fits_the_world() {
        check(crate::embedded::COMPONENT_WASM).unwrap();
    }

    #[test]
    fn versions_match_semver_compatibly() {
        let v = |s: &str| semver::Version::parse(s).unwrap();
        assert!(semver_compatible(&v("0.2.12"), &v("0.2.6")));
        assert!(!semver_compatible(&v("0.2.12"), &v("0.3.0")));
        assert!(semver_compatible(&v("1.2.0"), &v("1.0.1")));
        assert!(!semver_compatible(&v("0.2.0-draft2"), &v("0.2.0-draft")));
        assert!(semver_compatible(&v("0.2.0-draft2"), &v("0.2.0-draft2")));
    }
}
