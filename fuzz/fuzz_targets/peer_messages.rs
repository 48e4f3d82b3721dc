#![no_main]
//! Fuzz target: see `truffle_engine::fuzzing::peer_message`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| truffle_engine::fuzzing::peer_message(data));
