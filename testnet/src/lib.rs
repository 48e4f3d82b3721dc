//! Launches clusters of real Truffle node processes on loopback and injects faults.
