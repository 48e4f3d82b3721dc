#![no_main]
//! Fuzz target: see `truffle_rpc::fuzzing::rpc_call`. One dev node in a temporary folder,
//! started at the first input, serves every call.

use std::sync::OnceLock;

struct Harness {
    runtime: tokio::runtime::Runtime,
    module: jsonrpsee::RpcModule<()>,
    dir: tempfile::TempDir,
    _node: truffle_node::Node,
}

static HARNESS: OnceLock<Harness> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let harness = HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (module, node) = runtime.block_on(truffle_rpc::fuzzing::dev_module(dir.path()));
        Harness {
            runtime,
            module,
            dir,
            _node: node,
        }
    });
    harness.runtime.block_on(truffle_rpc::fuzzing::rpc_call(
        &harness.module,
        harness.dir.path(),
        data,
    ));
});
