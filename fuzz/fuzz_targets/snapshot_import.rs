#![no_main]
//! Fuzz target: see `truffle_store::fuzzing::snapshot_import`. One store in a temporary
//! folder takes every import in turn, as a node's store takes one snapshot after another.

use std::sync::OnceLock;

use truffle_store::Store;

static STORE: OnceLock<(tempfile::TempDir, Store)> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (dir, store) = STORE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = Store::open(&dir.path().join("db")).expect("a store opens");
        (dir, store)
    });
    truffle_store::fuzzing::snapshot_import(store, dir.path(), data);
});
