//! JSON-RPC API and HTTP routes of a Truffle node.
