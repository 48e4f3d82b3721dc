//! Embeds the pages: every file under `static/`, including the vendored crypto bundle
//! that `scripts/setup.sh` builds into `static/assets/js/vendor.js` (`npm ci && npm run
//! build` in this folder; the bundle is not committed).
//!
//! Writes `$OUT_DIR/assets.rs`: a table of (URL path, MIME type, ETag, bytes) whose
//! bytes are `include_bytes!` of the files, so editing a page rebuilds the node.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let static_dir = root.join("static");
    let vendor = static_dir.join("assets").join("js").join("vendor.js");
    println!("cargo:rerun-if-changed=static");
    println!("cargo:rerun-if-changed=build.rs");
    if !vendor.is_file() {
        eprintln!(
            "\n  truffle-web: {} is missing.\n  The pages embed the audited crypto libraries \
             (@noble/curves, @noble/hashes, @noble/ciphers) bundled by npm.\n  Run \
             `scripts/setup.sh`, or `cd web && npm ci && npm run build`, then build again.\n",
            vendor.display()
        );
        std::process::exit(1);
    }

    let mut files = Vec::new();
    collect(&static_dir, &mut files);
    files.sort();
    let entries: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&static_dir)
                .expect("under static/")
                .to_string_lossy()
                .replace('\\', "/");
            (format!("/{relative}"), path)
        })
        .collect();

    let mut out = String::from("/// Every embedded file: (URL path, MIME type, ETag, bytes).\n");
    out.push_str("pub(crate) static FILES: &[(&str, &str, &str, &[u8])] = &[\n");
    for (url, path) in &entries {
        let bytes =
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let etag = format!("\"{:016x}\"", fnv1a(&bytes));
        writeln!(
            out,
            "    ({url:?}, {mime:?}, {etag:?}, include_bytes!({path:?})),",
            mime = mime(path),
            path = path.to_string_lossy(),
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out_dir.join("assets.rs"), out).expect("cannot write assets.rs");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// FNV-1a: a content fingerprint for ETags (not a security function).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
