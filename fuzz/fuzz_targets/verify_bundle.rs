#![no_main]
//! Fuzz target: see `truffle_ledger::fuzzing::verify_history_bundle`, against the golden
//! chain the browser's verifier is tested on (`web/tests/golden/proofs.json`).

use std::sync::OnceLock;

use truffle_ledger::verify::TrustRoot;

#[path = "common/golden.rs"]
mod golden;

static TRUST: OnceLock<(TrustRoot, u64)> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (trust, item) = TRUST.get_or_init(|| {
        golden::trust_and_subject(include_str!("../../web/tests/golden/proofs.json"), "item")
    });
    let _ = truffle_ledger::fuzzing::verify_history_bundle(trust, *item, data);
});
