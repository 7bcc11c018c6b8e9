//! `--runtime-config-file`: where the key-value store lives, in Spin's runtime-config format,
//! so one file serves `spin up --runtime-config-file` and `runner serve` alike:
//!
//! ```toml
//! [key_value_store.default]
//! type = "redis"
//! url = "redis://redis.internal:6379"
//! ```
//!
//! or `type = "spin"` with an optional `path` (a SQLite file; relative paths are relative to
//! the runtime-config file, as Spin reads them). Only the `default` store is read; other tables
//! of the file (Spin's for other features) are ignored.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize;

/// Where the `default` store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Spin's SQLite layout: this file, or `<data-dir>/sqlite_key_value.db` when `None`.
    Sqlite(Option<PathBuf>),
    Redis {
        url: String,
    },
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    key_value_store: std::collections::BTreeMap<String, Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    #[serde(rename = "type")]
    kind: String,
    url: Option<String>,
    path: Option<PathBuf>,
}

/// Reads the file; `Sqlite(None)` when it names no `default` store.
pub fn load(path: &Path) -> anyhow::Result<StoreConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read runtime config {}", path.display()))?;
    parse(&text, path.parent().unwrap_or(Path::new(".")))
        .with_context(|| format!("in runtime config {}", path.display()))
}

fn parse(text: &str, base: &Path) -> anyhow::Result<StoreConfig> {
    let file: File = toml::from_str(text)?;
    let Some(table) = file.key_value_store.get("default") else {
        return Ok(StoreConfig::Sqlite(None));
    };
    match (table.kind.as_str(), &table.url, &table.path) {
        ("redis", Some(url), None) => Ok(StoreConfig::Redis { url: url.clone() }),
        ("redis", None, _) => bail!("[key_value_store.default] of type \"redis\" needs a url"),
        ("spin", None, path) => Ok(StoreConfig::Sqlite(path.as_ref().map(|p| base.join(p)))),
        ("redis" | "spin", _, _) => {
            bail!("[key_value_store.default]: \"redis\" takes a url, \"spin\" a path")
        }
        (other, _, _) => bail!(
            "[key_value_store.default] type {other:?} is not supported here (\"spin\" or \"redis\")"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_spins_format() {
        let base = Path::new("/etc/cwm");
        assert_eq!(
            parse(
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://r:6379\"\n",
                base
            )
            .unwrap(),
            StoreConfig::Redis {
                url: "redis://r:6379".into()
            }
        );
        assert_eq!(
            parse(
                "[key_value_store.default]\ntype = \"spin\"\npath = \"kv.db\"\n",
                base
            )
            .unwrap(),
            StoreConfig::Sqlite(Some(PathBuf::from("/etc/cwm/kv.db")))
        );
        assert_eq!(
            parse("[llm_compute]\ntype = \"spin\"\n", base).unwrap(),
            StoreConfig::Sqlite(None),
            "other tables are Spin's business"
        );
    }

    #[test]
    fn refuses_what_it_cannot_serve() {
        let base = Path::new(".");
        for (text, needle) in [
            (
                "[key_value_store.default]\ntype = \"redis\"\n",
                "needs a url",
            ),
            (
                "[key_value_store.default]\ntype = \"azure_cosmos\"\n",
                "not supported",
            ),
            (
                "[key_value_store.default]\ntype = \"spin\"\nurl = \"redis://x\"\n",
                "takes a url",
            ),
            (
                "[key_value_store.default]\ntype = \"redis\"\nuri = \"x\"\n",
                "unknown field",
            ),
        ] {
            let error = format!("{:#}", parse(text, base).unwrap_err());
            assert!(error.contains(needle), "{text}: {error}");
        }
    }
}
