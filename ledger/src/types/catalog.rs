//! Limited editions and their pieces: the registration spec, products, items and
//! their ownership histories.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::hash::Hash;

use super::TxRef;

/// What a seller submits to register a limited edition.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct ProductSpec {
    /// Brand, e.g. "Nike".
    pub brand: String,
    /// Model or style code, e.g. "DD1391-100".
    pub model: String,
    /// Korean name, e.g. "나이키 덩크 로우 범고래" (may be empty if `name_en` is set).
    pub name_ko: String,
    /// English name (may be empty if `name_ko` is set).
    pub name_en: String,
    /// Category, e.g. "sneakers".
    pub category: String,
    /// Release date as YYYYMMDD.
    pub release_date: u32,
    /// Price of one piece, in won.
    pub price: u64,
    /// Free-text description.
    pub description: String,
    /// blake3 of each product image (the images stay off the ledger).
    pub image_hashes: Vec<Hash>,
    /// Serial number of each piece; the edition size N is their count.
    pub serials: Vec<String>,
    /// List every piece for sale at `price` as soon as it is registered.
    pub list_for_sale: bool,
}

/// A registered limited edition.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Product {
    /// Product id (sequential).
    pub id: u64,
    /// The approved seller that registered it.
    pub seller: PublicKey,
    /// Brand.
    pub brand: String,
    /// Model or style code.
    pub model: String,
    /// Korean name.
    pub name_ko: String,
    /// English name.
    pub name_en: String,
    /// Category.
    pub category: String,
    /// Release date as YYYYMMDD.
    pub release_date: u32,
    /// Price of one piece, in won.
    pub price: u64,
    /// Description.
    pub description: String,
    /// blake3 of each image.
    pub image_hashes: Vec<Hash>,
    /// Edition size N.
    pub edition_size: u32,
    /// Id of piece 1/N; piece k/N has id `first_item + k - 1`.
    pub first_item: u64,
    /// The registering transaction.
    pub registered: TxRef,
}

/// Why an item cannot move right now.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum ItemLock {
    /// Free to transfer.
    Free,
    /// Escrowed as a prize of this raffle.
    Raffle(u64),
    /// Reserved for this pending order.
    Order(u64),
    /// Held while its buyer's refund request on this (paid) order is open.
    Refund(u64),
}

/// One physical piece of a limited edition.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Item {
    /// Item id (sequential across all products).
    pub id: u64,
    /// Product it belongs to.
    pub product: u64,
    /// Its number k in the edition k/N.
    pub edition: u32,
    /// Edition size N.
    pub edition_size: u32,
    /// Serial number, as registered.
    pub serial: String,
    /// Current owner.
    pub owner: PublicKey,
    /// The transaction that made the current owner the owner.
    pub owner_since: TxRef,
    /// Number of entries in the ownership history (the first is the registration).
    pub history_len: u32,
    /// Escrow state.
    pub lock: ItemLock,
    /// Asking price when listed for sale.
    pub listing_price: Option<u64>,
}

/// How an owner came to own an item.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case", tag = "kind", content = "order")]
pub enum Acquisition {
    /// The seller registered it.
    Registered,
    /// The previous owner gave it.
    Transferred,
    /// Bought through this order.
    Purchased(u64),
    /// Returned to the seller by the refund of this order.
    Refunded(u64),
}

/// One entry of an item's ownership history.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct OwnershipRecord {
    /// Item id.
    pub item: u64,
    /// Position in the history, from 0.
    pub sequence: u32,
    /// The owner from this point.
    pub owner: PublicKey,
    /// How they got it.
    pub acquisition: Acquisition,
    /// The transaction that did it.
    pub tx: TxRef,
}
