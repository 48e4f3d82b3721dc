#![no_main]
//! Fuzz target: see `truffle_ledger::fuzzing::execute_blocks`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| truffle_ledger::fuzzing::execute_blocks(data));
