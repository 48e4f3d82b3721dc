//! The browser's proof verifier (`static/assets/js/verify.js`) and the ledger's
//! (`truffle verify history`, `truffle verify raffle`) give the same verdict on every
//! saved input of the `verify_bundle` and `verify_raffle_bundle` fuzz targets
//! (`fuzz/seeds/` and `fuzz/corpus/`): a bundle one accepts and the other refuses is a
//! bug in one of them. Runs `node tests/fuzz/verdicts.mjs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use truffle_ledger::verify::TrustRoot;

/// A kind of bundle both verifiers check, with its fuzz target and golden file.
#[derive(Clone, Copy, Debug)]
enum Bundle {
    /// An item's history (`verifyHistoryBundle`), for the item of `proofs.json`.
    History,
    /// A raffle's draw (`verifyRaffleBundle`), for the raffle of `raffle_proof.json`.
    Raffle,
}

/// A golden file's chain and subject (item or raffle id), which every input is checked
/// against.
struct Golden {
    trust: TrustRoot,
    subject: u64,
    json: serde_json::Value,
}

impl Bundle {
    fn target(self) -> &'static str {
        match self {
            Bundle::History => "verify_bundle",
            Bundle::Raffle => "verify_raffle_bundle",
        }
    }

    /// The mode `verdicts.mjs` takes for it.
    fn node_mode(self) -> &'static str {
        match self {
            Bundle::History => "history",
            Bundle::Raffle => "raffle",
        }
    }

    fn golden(self) -> Golden {
        let (file, subject) = match self {
            Bundle::History => ("proofs.json", "item"),
            Bundle::Raffle => ("raffle_proof.json", "raffle"),
        };
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(file);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let spec: truffle_genesis::GenesisSpec =
            serde_json::from_value(json["genesis"].clone()).unwrap();
        Golden {
            trust: TrustRoot::from(&spec.to_state()),
            subject: json[subject].as_u64().unwrap(),
            json,
        }
    }

    /// The ledger's verdict on one input: accepted, or the refusal.
    fn ledger_verdict(self, golden: &Golden, bytes: &[u8]) -> Result<(), String> {
        use truffle_ledger::fuzzing::{verify_history_bundle, verify_raffle_bundle};
        match self {
            Bundle::History => verify_history_bundle(&golden.trust, golden.subject, bytes)
                .map(drop)
                .map_err(|e| e.to_string()),
            Bundle::Raffle => verify_raffle_bundle(&golden.trust, golden.subject, bytes)
                .map(drop)
                .map_err(|e| e.to_string()),
        }
    }

    /// The seeds: the golden bundle (accepted), the refused ones the golden file holds,
    /// and the golden bundle with one bit changed at a spread of places.
    fn seeds(self) -> Vec<(String, Vec<u8>)> {
        let golden = self.golden().json;
        let hex_at = |pointer: &str| {
            hex::decode(golden.pointer(pointer).and_then(|v| v.as_str()).unwrap()).unwrap()
        };
        let (prefix, bundle, refused, places) = match self {
            Bundle::History => (
                "history",
                hex_at("/history_proof"),
                vec![("short-of-quorum", hex_at("/history_proof_short_of_quorum"))],
                8,
            ),
            // More places: a raffle bundle has more kinds of part (entries, the closing
            // block, the record's randomness) for an altered byte to land in.
            Bundle::Raffle => (
                "raffle",
                hex_at("/raffle_proof"),
                vec![
                    (
                        "anchor-short-of-quorum",
                        hex_at("/refused/anchor_short_of_quorum"),
                    ),
                    (
                        "closing-short-of-quorum",
                        hex_at("/refused/closing_short_of_quorum"),
                    ),
                    (
                        "without-closing-block",
                        hex_at("/refused/without_closing_block"),
                    ),
                    ("entry-left-out", hex_at("/refused/entry_left_out")),
                    (
                        "other-closing-block",
                        hex_at("/refused/other_closing_block"),
                    ),
                ],
                16,
            ),
        };
        let mut seeds = vec![(prefix.to_owned(), bundle.clone())];
        seeds.extend(
            refused
                .into_iter()
                .map(|(name, bytes)| (format!("{prefix}-{name}"), bytes)),
        );
        let step = bundle.len() / places;
        for i in 1..places {
            let mut altered = bundle.clone();
            altered[i * step] ^= 0x01;
            seeds.push((format!("{prefix}-altered-{}", i * step), altered));
        }
        seeds
    }

    fn fuzz_dirs(self) -> Vec<PathBuf> {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        ["seeds", "corpus"]
            .iter()
            .map(|kind| fuzz.join(kind).join(self.target()))
            .filter(|dir| dir.is_dir())
            // Node prints normalized paths (no `..`); compare like with like.
            .map(|dir| dir.canonicalize().expect("a fuzz folder canonicalizes"))
            .collect()
    }

    /// The JavaScript verifier's verdicts, by file.
    fn browser_verdicts(self, dirs: &[PathBuf]) -> BTreeMap<PathBuf, bool> {
        let web = Path::new(env!("CARGO_MANIFEST_DIR"));
        let output = std::process::Command::new("node")
            .current_dir(web)
            .arg("tests/fuzz/verdicts.mjs")
            .arg(self.node_mode())
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

    /// Writes the seeds (`TRUFFLE_UPDATE_FUZZ_SEEDS=1`); otherwise checks the saved ones.
    fn check_seeds(self) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/seeds")
            .join(self.target());
        let update = std::env::var_os("TRUFFLE_UPDATE_FUZZ_SEEDS").is_some();
        for (name, bytes) in self.seeds() {
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

    /// Both verdicts on every saved input; fails listing every file they differ on.
    fn check_agreement(self) {
        let golden = self.golden();
        let dirs = self.fuzz_dirs();
        let browser = self.browser_verdicts(&dirs);
        let mut disagreements = Vec::new();
        let mut accepted = 0;
        let mut count = 0;
        for dir in &dirs {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let ledger = self.ledger_verdict(&golden, &bytes);
                let js = *browser
                    .get(&path)
                    .unwrap_or_else(|| panic!("node gave no verdict for {}", path.display()));
                if ledger.is_ok() != js {
                    disagreements.push(format!(
                        "{}: ledger {:?}, browser {}",
                        path.display(),
                        ledger.map(|()| "accepts"),
                        if js { "accepts" } else { "refuses" }
                    ));
                }
                accepted += usize::from(js);
                count += 1;
            }
        }
        assert!(
            disagreements.is_empty(),
            "the verifiers disagree on {self:?} bundles:\n{}",
            disagreements.join("\n")
        );
        let seeds = self.seeds().len();
        assert!(count >= seeds, "the corpus is saved: {count} files");
        assert!(
            accepted >= 1,
            "the golden bundle is among the inputs and accepted"
        );
    }
}

#[test]
fn seeds_are_current() {
    Bundle::History.check_seeds();
}

#[test]
fn raffle_seeds_are_current() {
    Bundle::Raffle.check_seeds();
}

#[test]
fn the_browser_and_the_ledger_agree_on_every_saved_bundle() {
    Bundle::History.check_agreement();
}

#[test]
fn the_browser_and_the_ledger_agree_on_every_saved_raffle_bundle() {
    Bundle::Raffle.check_agreement();
}
