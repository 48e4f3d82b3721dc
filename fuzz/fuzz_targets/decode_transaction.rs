#![no_main]
//! Fuzz target: see `truffle_ledger::fuzzing::decode_transaction`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| truffle_ledger::fuzzing::decode_transaction(data));
