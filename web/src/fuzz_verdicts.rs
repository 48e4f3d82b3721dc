//! The browser's proof verifier (`static/assets/js/verify.js`) and the ledger's
//! (`truffle verify history`) give the same verdict on every saved input of the
//! `verify_bundle` fuzz target (`fuzz/seeds/` and `fuzz/corpus/`): a bundle one accepts
//! and the other refuses is a bug in one of them. Runs `node tests/fuzz/verdicts.mjs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use truffle_ledger::verify::TrustRoot;

fn fuzz_dirs() -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    ["seeds", "corpus"]
        .iter()
        .map(|kind| fuzz.join(kind).join("verify_bundle"))
        .filter(|dir| dir.is_dir())
        // Node prints normalized paths (no `..`); compare like with like.
        .map(|dir| dir.canonicalize().expect("a fuzz folder canonicalizes"))
        .collect()
}

/// The golden chain's genesis and item, which every input is checked against.
fn golden() -> (TrustRoot, u64, serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/proofs.json");
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let spec: truffle_genesis::GenesisSpec =
        serde_json::from_value(golden["genesis"].clone()).unwrap();
    let trust = TrustRoot::from(&spec.to_state());
    let item = golden["item"].as_u64().unwrap();
    (trust, item, golden)
}

/// The JavaScript verifier's verdicts, by file.
fn browser_verdicts(dirs: &[PathBuf]) -> BTreeMap<PathBuf, bool> {
    let web = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new("node")
        .current_dir(web)
        .arg("tests/fuzz/verdicts.mjs")
        .args(dirs)
        .output()
        .expect("node runs (the web tests need Node.js)");
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (verdict, path) = line.split_once(' ').expect("<verdict> <path>");
            (PathBuf::from(path), verdict == "accept")
        })
        .collect()
}

/// The seeds: the golden history bundle (accepted), the one short of a quorum
/// (refused), and the golden bundle with one byte changed at a spread of places.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let (_, _, golden) = golden();
    let bundle = hex::decode(golden["history_proof"].as_str().unwrap()).unwrap();
    let short = hex::decode(golden["history_proof_short_of_quorum"].as_str().unwrap()).unwrap();
    let mut seeds = vec![
        ("history".to_owned(), bundle.clone()),
        ("history-short-of-quorum".to_owned(), short),
    ];
    let step = bundle.len() / 8;
    for i in 1..8 {
        let mut altered = bundle.clone();
        altered[i * step] ^= 0x01;
        seeds.push((format!("history-altered-{}", i * step), altered));
    }
    seeds
}

/// Writes the seeds (`TRUFFLE_UPDATE_FUZZ_SEEDS=1`); otherwise checks the saved ones.
#[test]
fn seeds_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/verify_bundle");
    let update = std::env::var_os("TRUFFLE_UPDATE_FUZZ_SEEDS").is_some();
    for (name, bytes) in seeds() {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else {
            assert!(
                std::fs::read(&path).unwrap_or_default() == bytes,
                "{} is stale: run with TRUFFLE_UPDATE_FUZZ_SEEDS=1",
                path.display()
            );
        }
    }
}

#[test]
fn the_browser_and_the_ledger_agree_on_every_saved_bundle() {
    let (trust, item, _) = golden();
    let dirs = fuzz_dirs();
    let browser = browser_verdicts(&dirs);
    let mut disagreements = Vec::new();
    let mut accepted = 0;
    let mut count = 0;
    for dir in &dirs {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let ledger = truffle_ledger::fuzzing::verify_history_bundle(&trust, item, &bytes);
            let js = *browser
                .get(&path)
                .unwrap_or_else(|| panic!("node gave no verdict for {}", path.display()));
            if ledger.is_ok() != js {
                disagreements.push(format!(
                    "{}: ledger {:?}, browser {}",
                    path.display(),
                    ledger.map(|_| "accepts").map_err(|e| e.to_string()),
                    if js { "accepts" } else { "refuses" }
                ));
            }
            accepted += usize::from(js);
            count += 1;
        }
    }
    assert!(
        disagreements.is_empty(),
        "the verifiers disagree:\n{}",
        disagreements.join("\n")
    );
    assert!(count >= 9, "the corpus is saved: {count} files");
    assert!(
        accepted >= 1,
        "the golden bundle is among the inputs and accepted"
    );
}
