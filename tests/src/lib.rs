//! Cross-crate integration tests against real truffle processes.
