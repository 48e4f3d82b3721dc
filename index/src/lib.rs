//! Read models of the Truffle ledger: product search and recommendations.
