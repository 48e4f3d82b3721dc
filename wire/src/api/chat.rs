//! `chat_*`: rooms between a buyer and a seller about an item or an order.

use crate::chat::{ChatMessage, ChatSubject, HistoryPage, RoomView};
use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;
use truffle_ledger::{Hash, PublicKey};

/// Member-to-member chat. Every method takes the caller's session token; only a room's
/// two members may read, write or watch it (anybody else gets 6010, as for a room that
/// does not exist).
#[rpc(server, client, namespace = "chat")]
pub trait ChatApi {
    /// Opens the caller's room about `subject` (`{"item": id}` or `{"order": id}`) with
    /// `counterpart`, or returns the existing one. About an item, the caller asks its
    /// owner (the default counterpart); about an order, its buyer and seller talk.
    #[method(name = "openRoom")]
    async fn open_room(
        &self,
        session_token: String,
        subject: ChatSubject,
        counterpart: Option<PublicKey>,
    ) -> RpcResult<RoomView>;

    /// The caller's rooms, the one with the latest message first, each with the
    /// caller's unread count.
    #[method(name = "rooms")]
    async fn rooms(&self, session_token: String) -> RpcResult<Vec<RoomView>>;

    /// Sends a message (1 to 1000 characters; rate-limited per member). Returns it as
    /// stored, with its sequence number and time.
    #[method(name = "send")]
    async fn send(&self, session_token: String, room: Hash, text: String)
        -> RpcResult<ChatMessage>;

    /// Messages before sequence number `before` (the newest when omitted), at most
    /// `limit` (1..=100, default 50), oldest first; `before` of the result pages back.
    #[method(name = "history")]
    async fn history(
        &self,
        session_token: String,
        room: Hash,
        before: Option<u64>,
        limit: Option<u32>,
    ) -> RpcResult<HistoryPage>;

    /// Marks the room's messages before `upto` (all when omitted) read by the caller;
    /// returns the room with the caller's unread count now.
    #[method(name = "markRead")]
    async fn mark_read(
        &self,
        session_token: String,
        room: Hash,
        upto: Option<u64>,
    ) -> RpcResult<RoomView>;

    /// Every new message of the room as this node applies it (WebSocket only).
    #[subscription(name = "subscribe" => "message", unsubscribe = "unsubscribe", item = ChatMessage)]
    async fn subscribe_room(&self, session_token: String, room: Hash) -> SubscriptionResult;

    /// Every new message of any of the caller's rooms (rooms opened later included) as
    /// this node applies it: one subscription keeps a page's unread counts live
    /// (WebSocket only).
    #[subscription(name = "subscribeInbox" => "inbox", unsubscribe = "unsubscribeInbox", item = ChatMessage)]
    async fn subscribe_inbox(&self, session_token: String) -> SubscriptionResult;
}
