//! Raft consensus for Truffle (openraft) with a RocksDB log and libp2p transport.
