#![no_main]
//! Fuzz target: see `truffle_payments::fuzzing::webhooks`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| truffle_payments::fuzzing::webhooks(data));
