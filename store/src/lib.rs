//! RocksDB storage for Truffle: state records, the authenticated map, blocks and the Raft log.
