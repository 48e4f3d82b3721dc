//! The golden files the proof bundle targets fuzz against (`web/tests/golden/`), shared
//! with the browser's verifier tests so both verifiers see one chain.

use truffle_ledger::verify::TrustRoot;

/// The trust root of a golden file's genesis spec, and the id the file names under
/// `subject` (the item or raffle every input is checked as).
pub fn trust_and_subject(golden: &str, subject: &str) -> (TrustRoot, u64) {
    let golden: serde_json::Value = serde_json::from_str(golden).expect("the golden file is JSON");
    let spec: truffle_genesis::GenesisSpec =
        serde_json::from_value(golden["genesis"].clone()).expect("a genesis spec");
    let id = golden[subject].as_u64().expect("the golden subject's id");
    (TrustRoot::from(&spec.to_state()), id)
}
