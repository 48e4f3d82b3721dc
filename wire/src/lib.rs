//! The JSON-RPC contract of a Truffle node: what a client may call ([`api`]: one trait
//! per namespace, with a typed client), what it sends and gets back (the modules by
//! feature), and what each error code means ([`codes`]).
//!
//! Nodes implement the `*ApiServer` traits; the CLI, the testnet driver and the tests
//! talk to nodes through the `*ApiClient` traits and these types alone, so they never
//! need the node's code. The feature crates build these types as their answers.

pub mod ads;
pub mod api;
pub mod catalog;
pub mod chain;
pub mod chat;
pub mod codes;
pub mod images;
pub mod kakao;
pub mod keyfile;
pub mod market;
pub mod members;
pub mod openrpc;
pub mod payments;
pub mod reco;
pub mod search;
pub mod system;
pub mod views;
