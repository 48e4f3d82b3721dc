//! Real Truffle node processes on 127.0.0.1, for tests, demos and developers.
//!
//! [`NodeProcess`] starts the `truffle` binary with arguments, waits until it prints
//! its RPC address, and kills it (SIGKILL) or stops it (SIGTERM) on request — and
//! always when dropped, so a failing test never leaves a node behind.
//! [`Testnet`] does it for a whole cluster: keys, genesis, ports, processes, and the
//! faults tests need (kill, restart, pause, partition, heal).

pub mod bench;
mod cluster;
mod process;

pub use cluster::{NodeEntry, Result, Testnet, TestnetError, TestnetOptions, START_TIMEOUT};
pub use process::{signal, truffle_binary, NodeProcess, ProcessError};
