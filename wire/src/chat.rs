//! What member chat answers (`chat_*`): rooms, messages, pages of history.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use truffle_ledger::{Hash, PublicKey};

/// Most messages kept per room; older ones are dropped as new ones arrive.
pub const ROOM_MAX_MESSAGES: u64 = 500;

/// What a room is about.
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
#[serde(rename_all = "snake_case")]
pub enum ChatSubject {
    /// A piece on the ledger (a prospective buyer asks its owner).
    Item(u64),
    /// An order (its buyer and its seller).
    Order(u64),
}

/// A room as its members see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoomView {
    /// Room id.
    pub room: Hash,
    /// What it is about.
    pub subject: ChatSubject,
    /// The two members.
    pub members: [PublicKey; 2],
    /// The member who is not the caller.
    pub counterpart: PublicKey,
    /// Who opened it.
    pub opened_by: PublicKey,
    /// When, ms since the epoch.
    pub created_ms: u64,
    /// A member withdrew: read-only.
    pub closed: bool,
    /// The next message's sequence number (messages so far, including pruned ones).
    pub next_seq: u64,
    /// The other member's messages the caller has not marked read (`chat_markRead`).
    #[serde(default)]
    pub unread: u64,
    /// When the latest message still kept was sent, ms since the epoch.
    #[serde(default)]
    pub last_message_ms: Option<u64>,
}

/// A message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChatMessage {
    /// Room id.
    pub room: Hash,
    /// Sequence number in the room, from 0.
    pub seq: u64,
    /// Who wrote it.
    pub sender: PublicKey,
    /// The text.
    pub text: String,
    /// When it was committed, ms since the epoch.
    pub sent_ms: u64,
}

/// A page of history, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HistoryPage {
    /// The messages, oldest first.
    pub messages: Vec<ChatMessage>,
    /// Pass as `before` for the page before this one; `None` at the beginning.
    pub before: Option<u64>,
}
