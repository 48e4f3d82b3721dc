//! Genesis spec of a Truffle chain: validation, hash (the chain id) and presets.
