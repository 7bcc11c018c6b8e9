//! Embeds the web UI: every file under `../static` becomes an entry of `STATIC_FILES`
//! (`(url path, ETag, bytes)`), so the component serves the UI with no filesystem access. The
//! ETag is a digest of the bytes, so it changes exactly when the file does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../static");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut out = String::from("pub static STATIC_FILES: &[(&str, &str, &[u8])] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let rel = path.strip_prefix(&root).expect("under static/");
        let url = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
        let abs = path.canonicalize().expect("static file readable");
        let digest = Sha256::digest(std::fs::read(&abs).expect("static file readable"));
        let etag: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        writeln!(
            out,
            "    ({url:?}, {:?}, include_bytes!({:?})),",
            format!("\"{etag}\""),
            abs.to_string_lossy()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("static_files.rs");
    std::fs::write(dest, out).expect("write static_files.rs");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files);
        } else if !entry.file_name().to_string_lossy().starts_with('.') {
            files.push(path);
        }
    }
}
