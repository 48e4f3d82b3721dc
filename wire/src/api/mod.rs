//! The JSON-RPC API, one trait per namespace. The `*ApiServer` traits are implemented
//! in `handlers`; the `*ApiClient` traits give the CLI and tests a typed client.

mod account;
mod admin;
mod auth;
mod catalog;
mod chain;
mod chat;
mod kakao;
mod order;
mod product;
mod proof;
mod raffle;
mod reco;
mod system;
mod tx;

pub use account::{AccountApiClient, AccountApiServer};
pub use admin::{AdminApiClient, AdminApiServer, CompactionReport};
pub use auth::{AuthApiClient, AuthApiServer};
pub use catalog::{
    AdApiClient, AdApiServer, CatalogApiClient, CatalogApiServer, CatalogReceipt, SellerApiClient,
    SellerApiServer, AD_STATS_METHOD,
};
pub use chain::{ChainApiClient, ChainApiServer};
pub use chat::{ChatApiClient, ChatApiServer};
pub use kakao::{KakaoAccountApiClient, KakaoAccountApiServer};
pub use order::{OrderApiClient, OrderApiServer, PaymentApiClient, PaymentApiServer};
pub use product::{ProductApiClient, ProductApiServer};
pub use proof::{
    ProofApiClient, ProofApiServer, ProofBundleView, RaffleProofPage, MAX_RAFFLE_PROOF_ENTRIES,
};
pub use raffle::{RaffleApiClient, RaffleApiServer};
pub use reco::{RecoApiClient, RecoApiServer, RECO_FOR_USER_METHOD};
pub use system::{SystemApiClient, SystemApiServer};
pub use tx::{TxApiClient, TxApiServer};
