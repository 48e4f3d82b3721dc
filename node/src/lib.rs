//! A running Truffle node: config, storage, consensus, mempool and services.
