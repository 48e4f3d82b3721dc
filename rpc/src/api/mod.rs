//! The JSON-RPC API, one trait per namespace. The `*ApiServer` traits are implemented
//! in `handlers`; the `*ApiClient` traits give the CLI and tests a typed client.

mod account;
mod chain;
mod system;
mod tx;

pub use account::{AccountApiClient, AccountApiServer};
pub use chain::{ChainApiClient, ChainApiServer};
pub use system::{SystemApiClient, SystemApiServer};
pub use tx::{TxApiClient, TxApiServer};
