//! The truffle command-line tool.
fn main() {}
