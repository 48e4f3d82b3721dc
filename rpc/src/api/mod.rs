//! The JSON-RPC API, one trait per namespace. The `*ApiServer` traits are implemented
//! in `handlers`; the `*ApiClient` traits give the CLI and tests a typed client.

mod account;
mod chain;
mod product;
mod system;
mod tx;

pub use account::{AccountApiClient, AccountApiServer};
pub use chain::{ChainApiClient, ChainApiServer};
pub use product::{ProductApiClient, ProductApiServer};
pub use system::{SystemApiClient, SystemApiServer};
pub use tx::{TxApiClient, TxApiServer};
