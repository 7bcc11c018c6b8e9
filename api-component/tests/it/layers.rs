//! The component's layering, checked on its sources: the domain modules (documents, the queue,
//! log storage) know nothing of HTTP, and no two top-level modules import each other, directly
//! or through others.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A source file without its comments and its inline unit tests.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `crate::<module>` names a piece of code refers to, `use crate::{a, b::c}` included.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or_default()
                .split(',')
                .collect(),
            None => vec![rest],
        };
        for name in names {
            let module: String = name
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !module.is_empty() {
                refs.insert(module);
            }
        }
    }
    refs
}

/// Top-level module → the top-level modules its files refer to.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(src()).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let top = top.trim_end_matches(".rs").to_owned();
            // Unit tests in a file or folder of their own (`mod tests;`) are skipped like inline
            // ones.
            let unit_tests = path.file_name().is_some_and(|f| f == "tests.rs")
                || rel.components().any(|c| c.as_os_str() == "tests");
            if top == "lib" || unit_tests {
                continue;
            }
            let refs = crate_refs(&code(&path));
            graph.entry(top).or_default().extend(refs);
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for (module, refs) in graph.iter_mut() {
        refs.retain(|r| r != module && modules.contains(r));
    }
    graph
}

#[test]
fn no_module_imports_itself_through_others() {
    let graph = module_graph();
    assert!(
        graph.contains_key("http") && graph.contains_key("jobs"),
        "{graph:?}"
    );
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = graph[start].iter().collect();
        while let Some(m) = stack.pop() {
            assert_ne!(
                m, start,
                "{start} imports itself through others: {graph:#?}"
            );
            if seen.insert(m) {
                stack.extend(graph.get(m).into_iter().flatten());
            }
        }
    }
}

#[test]
fn the_domain_knows_nothing_of_http() {
    for file in [
        "documents/mod.rs",
        "documents/versions.rs",
        "documents/trash.rs",
        "documents/listing.rs",
        "blob.rs",
        "store.rs",
        "jobs/queue.rs",
        "jobs/model.rs",
    ] {
        let refs = crate_refs(&code(&src().join(file)));
        for layer in ["http", "error", "handlers", "routes"] {
            assert!(!refs.contains(layer), "{file} refers to crate::{layer}");
        }
    }
}

#[test]
fn references_are_found() {
    let refs = crate_refs("use crate::{Ctx, blob, documents::Documents};\nuse crate::http::X;");
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        ["blob", "documents", "http"]
    );
}
