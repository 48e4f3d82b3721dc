//! Real Truffle node processes on 127.0.0.1, for tests, demos and developers.
//!
//! [`NodeProcess`] starts the `truffle` binary with arguments, waits until it prints
//! its RPC address, and kills it (SIGKILL) or stops it (SIGTERM) on request — and
//! always when dropped, so a failing test never leaves a node behind.

mod process;

pub use process::{truffle_binary, NodeProcess, ProcessError};
