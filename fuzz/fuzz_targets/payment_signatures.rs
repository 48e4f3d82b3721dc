#![no_main]
//! Fuzz target: see `truffle_payments::fuzzing::signatures`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| truffle_payments::fuzzing::signatures(data));
