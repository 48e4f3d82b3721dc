#![no_main]
//! Fuzz target: see `truffle_kakao::fuzzing::skill_payload`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| truffle_kakao::fuzzing::skill_payload(data));
