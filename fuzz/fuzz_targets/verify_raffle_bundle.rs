#![no_main]
//! Fuzz target: see `truffle_ledger::fuzzing::verify_raffle_bundle`, against the golden
//! drawn raffle the browser's verifier is tested on (`web/tests/golden/raffle_proof.json`).

use std::sync::OnceLock;

use truffle_ledger::verify::TrustRoot;

static TRUST: OnceLock<(TrustRoot, u64)> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (trust, raffle) = TRUST.get_or_init(|| {
        let golden: serde_json::Value =
            serde_json::from_str(include_str!("../../web/tests/golden/raffle_proof.json"))
                .expect("the golden file is JSON");
        let spec: truffle_genesis::GenesisSpec =
            serde_json::from_value(golden["genesis"].clone()).expect("a genesis spec");
        let raffle = golden["raffle"].as_u64().expect("the golden raffle");
        (TrustRoot::from(&spec.to_state()), raffle)
    });
    let _ = truffle_ledger::fuzzing::verify_raffle_bundle(trust, *raffle, data);
});
