//! Member-to-member chat: rooms between a buyer and a seller about an item or an order.
//!
//! - **Replicated, off the ledger.** Rooms and messages are service data: each change is
//!   a [`ChatCommand`] proposed through Raft (via the leader) and applied by every node
//!   into the service family ([`apply`]), so a member on node 1 and one on node 2 read
//!   the same room, and messages survive restarts (RocksDB) and reach late nodes through
//!   snapshots. The ledger never sees them.
//! - **Live delivery.** Every node follows its own applier ([`run`]): after each applied
//!   service entry it reads the feed positions it has not delivered yet and broadcasts the
//!   new messages to its WebSocket subscribers of those rooms.
//! - **Private to the two members.** Only they can read, subscribe or write (a session is
//!   required; anybody else gets "no such room"). Texts are sealed (XChaCha20-Poly1305)
//!   under the sender's chat key, derived from the sender's data key alone (so history
//!   survives profile updates and password changes), so copies in old log segments,
//!   snapshots and backups die with the member's data key (ARCHITECTURE.md, "Erasure").
//! - **Bounded.** At most [`apply::MAX_MESSAGE_CHARS`] characters a message,
//!   [`apply::ROOM_MAX_MESSAGES`] messages a room (oldest dropped), [`apply::MAX_ROOMS_PER_MEMBER`]
//!   rooms a member, [`apply::MAX_LIVE_MESSAGES`] messages in all, a replicated per-member
//!   rate limit, and a retention period: the leader periodically proposes a prune.
//! - **Withdrawal erases.** `DeleteMember` deletes every message the member wrote and
//!   closes their rooms (the other member keeps their own messages, read-only); rooms
//!   left empty are deleted. We erase rather than pseudonymize because a message's text
//!   is personal data the ledger-key pseudonym would not hide.

pub mod apply;
mod live;
pub(crate) mod overlay;
mod sealing;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;
use truffle_consensus::LedgerEvent;
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::{Item, Order};
use truffle_ledger::{Hash, PublicKey};

use apply::{
    feed_key, message_key, rate_key, read_key, room_key, ChatMeta, FeedEntry, ReadMark, Room,
    StoredMessage,
};
pub use apply::{
    room_id, ChatCommand, ChatReply, ChatSubject, MAX_LIVE_MESSAGES, MAX_MESSAGE_CHARS,
    MAX_ROOMS_PER_MEMBER, ROOM_MAX_MESSAGES,
};
use overlay::Window;
use sealing::{seal, Opener};

pub(crate) use live::run;
pub use live::ChatSubscription;
pub use truffle_wire::chat::{ChatMessage, HistoryPage, RoomView};

use crate::config::NodeConfig;
use crate::services::members::MemberError;
use crate::services::members::Members;
use crate::services::{Member, ServiceState};
use truffle_engine::Engine;

/// Most messages in one history page.
pub const MAX_HISTORY_PAGE: u32 = 100;
/// History page size when none is given.
pub const DEFAULT_HISTORY_PAGE: u32 = 50;
/// Most live subscriptions a member may hold on one node.
pub const MAX_SUBSCRIPTIONS_PER_MEMBER: usize = 16;
/// How often a subscription re-checks its session and room.
pub const SUBSCRIPTION_RECHECK: Duration = Duration::from_secs(30);
/// Messages buffered for slow subscribers before they miss some.
const LIVE_BUFFER: usize = 4_096;
/// Most feed positions delivered in one catch-up; beyond that, older ones are skipped
/// (subscribers read them with `chat_history`).
const MAX_CATCH_UP: u64 = 10_000;

/// Why a chat request failed. Each maps to a stable JSON-RPC code (6010..6019).
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The session is not valid (or another member error).
    #[error(transparent)]
    Member(#[from] MemberError),
    /// No such room, or the caller is not one of its two members.
    #[error("no such chat room (or you are not one of its members)")]
    NoRoom,
    /// The item or order does not exist.
    #[error("{0} does not exist")]
    UnknownSubject(String),
    /// The counterpart cannot be in this room.
    #[error("cannot open this room: {0}")]
    BadCounterpart(String),
    /// The message is empty or too long.
    #[error("a message has 1 to {max_chars} characters")]
    MessageSize {
        /// The limit.
        max_chars: usize,
    },
    /// Too many messages: wait.
    #[error("too many messages; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The other member withdrew: the room is read-only.
    #[error("the room is closed (a member withdrew)")]
    RoomClosed,
    /// A member is in too many rooms.
    #[error("too many chat rooms (at most {max} per member)")]
    TooManyRooms {
        /// The limit.
        max: usize,
    },
    /// A query parameter is out of bounds.
    #[error("invalid query: {0}")]
    BadQuery(String),
    /// Too many live subscriptions for this member on this node.
    #[error("too many chat subscriptions (at most {max} per member and node)")]
    TooManySubscriptions {
        /// The limit.
        max: usize,
    },
    /// The node cannot serve this now.
    #[error("the node cannot serve this now: {0}")]
    Unavailable(String),
    /// The replicated service data could not be read.
    #[error("the node cannot serve this now: {0}")]
    Service(#[from] truffle_consensus::ServiceError),
    /// The chain engine could not serve this now (no leader, behind, ...).
    #[error("the node cannot serve this now: {0}")]
    Engine(#[from] truffle_engine::EngineError),
}

impl From<crate::NodeError> for ChatError {
    fn from(error: crate::NodeError) -> Self {
        match error {
            crate::NodeError::Engine(error) => ChatError::Engine(error),
            other => ChatError::Unavailable(other.to_string()),
        }
    }
}

type Result<T> = std::result::Result<T, ChatError>;

/// What chat needs of the node: the chain engine (store, clock, proposals) and the
/// members service (sessions, the vault that keys each member's messages).
#[derive(Clone)]
pub struct ChatContext {
    engine: Engine,
    members: Arc<Members>,
}

impl ChatContext {
    /// Chat over `engine`, for the members of `members`.
    pub fn new(engine: Engine, members: Arc<Members>) -> ChatContext {
        ChatContext { engine, members }
    }

    fn members(&self) -> &Members {
        &self.members
    }
}

impl std::ops::Deref for ChatContext {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        &self.engine
    }
}

/// Chat settings of this node (what it proposes; the applier takes them from commands).
#[derive(Clone, Copy, Debug)]
struct Settings {
    retention_ms: u64,
    rate_max: u32,
    rate_window_ms: u64,
    prune_interval: Duration,
}

/// The chat service of a node: the live feed and the subscription counts.
pub struct ChatHub {
    ctx: ChatContext,
    settings: Settings,
    live: broadcast::Sender<Arc<ChatMessage>>,
    subscriptions: Arc<Mutex<HashMap<PublicKey, usize>>>,
}

impl std::fmt::Debug for ChatHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatHub")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn read_service<T: borsh::BorshDeserialize>(node: &ChatContext, key: &[u8]) -> Result<Option<T>> {
    overlay::Overlay::new(node.store())
        .get(key)
        .map_err(ChatError::Service)
}

fn read_ledger<T: borsh::BorshDeserialize>(
    node: &ChatContext,
    what: &'static str,
    key: &[u8],
) -> Result<Option<T>> {
    match node
        .store()
        .get(key)
        .map_err(|e| ChatError::Unavailable(e.to_string()))?
    {
        Some(bytes) => Ok(Some(
            decode_record(what, &bytes).map_err(|e| ChatError::Unavailable(e.to_string()))?,
        )),
        None => Ok(None),
    }
}

impl ChatHub {
    /// The chat service with `config`'s settings, over `ctx`.
    pub(crate) fn new(config: &NodeConfig, ctx: ChatContext) -> ChatHub {
        ChatHub {
            ctx,
            settings: Settings {
                retention_ms: config.chat_retention_secs.saturating_mul(1000),
                rate_max: config.chat_rate_max_messages.max(1),
                rate_window_ms: config.chat_rate_window_secs.max(1) * 1000,
                prune_interval: Duration::from_secs(config.chat_prune_interval_secs.max(1)),
            },
            live: broadcast::channel(LIVE_BUFFER).0,
            subscriptions: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    async fn propose(&self, command: ChatCommand) -> Result<ChatReply> {
        let node = &self.ctx;
        let bytes = encode_command(&command);
        let reply = node.propose_service(bytes).await?;
        borsh::from_slice(&reply)
            .map_err(|e| ChatError::Unavailable(format!("bad chat reply: {e}")))
    }

    fn view(
        node: &ChatContext,
        room_id: Hash,
        room: &Room,
        caller: &PublicKey,
    ) -> Result<RoomView> {
        let counterpart = if room.members[0] == *caller {
            room.members[1]
        } else {
            room.members[0]
        };
        let mark: ReadMark = read_service(node, &read_key(&room_id, caller))?.unwrap_or_default();
        let last_message_ms = match room.next_seq.checked_sub(1) {
            Some(last) if last >= room.first_seq => {
                read_service::<StoredMessage>(node, &message_key(&room_id, last))?
                    .map(|m| m.sent_ms)
            }
            _ => None,
        };
        Ok(RoomView {
            room: room_id,
            subject: room.subject,
            members: room.members,
            counterpart,
            opened_by: room.opened_by,
            created_ms: room.created_ms,
            closed: room.closed,
            next_seq: room.next_seq,
            unread: mark.unread_in(room),
            last_message_ms,
        })
    }

    /// The room, if `account` is one of its members.
    fn room_of(node: &ChatContext, room_id: &Hash, account: &PublicKey) -> Result<Room> {
        let room: Room = read_service(node, &room_key(room_id))?.ok_or(ChatError::NoRoom)?;
        if !room.members.contains(account)
            || read_service::<()>(node, &apply::member_room_key(account, room_id))?.is_none()
        {
            return Err(ChatError::NoRoom);
        }
        Ok(room)
    }

    /// Opens the room of the logged-in member and `counterpart` about `subject`, or
    /// returns the existing one. About an item: the caller asks its current owner (the
    /// counterpart, which defaults to the owner). About an order: its buyer and seller.
    pub async fn open_room(
        &self,
        session_token: &str,
        subject: ChatSubject,
        counterpart: Option<PublicKey>,
    ) -> Result<RoomView> {
        let node = &self.ctx;
        let member = node.members().session(node, session_token).await?;
        let me = member.account;
        let other = match subject {
            ChatSubject::Item(id) => {
                let item: Item = read_ledger(node, "item", &keys::item(id))?
                    .ok_or_else(|| ChatError::UnknownSubject(format!("item {id}")))?;
                if item.owner == me {
                    return Err(ChatError::BadCounterpart(
                        "you own this item: buyers open rooms about items with their owner".into(),
                    ));
                }
                item.owner
            }
            ChatSubject::Order(id) => {
                let order: Order = read_ledger(node, "order", &keys::order(id))?
                    .ok_or_else(|| ChatError::UnknownSubject(format!("order {id}")))?;
                if order.buyer == me {
                    order.seller
                } else if order.seller == me {
                    order.buyer
                } else {
                    return Err(ChatError::BadCounterpart(
                        "you are neither the buyer nor the seller of this order".into(),
                    ));
                }
            }
        };
        if let Some(given) = counterpart {
            if given != other {
                return Err(ChatError::BadCounterpart(match subject {
                    ChatSubject::Item(_) => "the counterpart must be the item's owner".into(),
                    ChatSubject::Order(_) => {
                        "the counterpart must be the other party of the order".into()
                    }
                }));
            }
        }
        if other == me {
            return Err(ChatError::BadCounterpart(
                "you cannot chat with yourself".into(),
            ));
        }
        let mut members = [me, other];
        members.sort_by_key(|k| k.0);
        let room = room_id(&subject, &me, &other);
        match self
            .propose(ChatCommand::OpenRoom {
                room,
                subject,
                members,
                opened_by: me,
                now_ms: node.now_ms(),
            })
            .await?
        {
            ChatReply::Opened { .. } => {}
            ChatReply::NotAMember => {
                return Err(ChatError::BadCounterpart(
                    "the counterpart is not a Truffle member".into(),
                ))
            }
            ChatReply::Closed => return Err(ChatError::RoomClosed),
            ChatReply::TooManyRooms => {
                return Err(ChatError::TooManyRooms {
                    max: MAX_ROOMS_PER_MEMBER,
                })
            }
            other => {
                return Err(ChatError::Unavailable(format!(
                    "unexpected chat reply {other:?}"
                )))
            }
        }
        let stored = Self::room_of(node, &room, &me)?;
        Self::view(node, room, &stored, &me)
    }

    /// The logged-in member's rooms, the one with the latest message first.
    pub async fn rooms(&self, session_token: &str) -> Result<Vec<RoomView>> {
        let node = &self.ctx;
        let member = node.members().session(node, session_token).await?;
        let prefix = overlay::key(apply::MEMBER_ROOM, &[&member.account.0]);
        let mut out = Vec::new();
        for (key, _) in node
            .store()
            .service_scan(&prefix)
            .map_err(|e| ChatError::Unavailable(e.to_string()))?
        {
            let Ok(bytes) = <[u8; 32]>::try_from(&key[prefix.len()..]) else {
                continue;
            };
            let room_id = Hash(bytes);
            if let Some(room) = read_service::<Room>(node, &room_key(&room_id))? {
                out.push(Self::view(node, room_id, &room, &member.account)?);
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.last_message_ms.unwrap_or(0).max(r.created_ms)));
        Ok(out)
    }

    /// Records that the logged-in member has read a room's messages before `upto` (all
    /// of them when `None`); answers the room as the member now sees it. Nothing goes
    /// through Raft when there is nothing new to mark.
    pub async fn mark_read(
        &self,
        session_token: &str,
        room: Hash,
        upto: Option<u64>,
    ) -> Result<RoomView> {
        let node = &self.ctx;
        let member = node.members().session(node, session_token).await?;
        let stored = Self::room_of(node, &room, &member.account)?;
        let upto = upto.unwrap_or(stored.next_seq).min(stored.next_seq);
        let mark: ReadMark =
            read_service(node, &read_key(&room, &member.account))?.unwrap_or_default();
        if upto > mark.upto {
            match self
                .propose(ChatCommand::MarkRead {
                    room,
                    member: member.account,
                    upto,
                })
                .await?
            {
                ChatReply::Read { .. } => {}
                ChatReply::NoRoom => return Err(ChatError::NoRoom),
                other => {
                    return Err(ChatError::Unavailable(format!(
                        "unexpected chat reply {other:?}"
                    )))
                }
            }
        }
        let stored = Self::room_of(node, &room, &member.account)?;
        Self::view(node, room, &stored, &member.account)
    }

    /// Sends `text` to a room of the logged-in member.
    pub async fn send(&self, session_token: &str, room: Hash, text: &str) -> Result<ChatMessage> {
        let node = &self.ctx;
        let chars = text.chars().count();
        if text.trim().is_empty() || chars > MAX_MESSAGE_CHARS {
            return Err(ChatError::MessageSize {
                max_chars: MAX_MESSAGE_CHARS,
            });
        }
        let member = node.members().session(node, session_token).await?;
        let stored = Self::room_of(node, &room, &member.account)?;
        if stored.closed {
            return Err(ChatError::RoomClosed);
        }
        // Refuse here what the applier would refuse, without a trip through Raft.
        let window: Window = read_service(node, &rate_key(&member.account))?.unwrap_or_default();
        let now = node.now_ms();
        if let Some(retry_after_ms) =
            window.is_full(now, self.settings.rate_window_ms, self.settings.rate_max)
        {
            return Err(ChatError::RateLimited {
                retry_after_secs: retry_after_ms.div_ceil(1000),
            });
        }
        let (nonce, ciphertext) = seal(node, &member, &room, text).ok_or_else(|| {
            ChatError::Unavailable("the sender's data key does not open on this node".into())
        })?;
        match self
            .propose(ChatCommand::Send {
                room,
                sender: member.account,
                nonce,
                ciphertext,
                now_ms: now,
                rate_max: self.settings.rate_max,
                rate_window_ms: self.settings.rate_window_ms,
            })
            .await?
        {
            ChatReply::Sent { seq, sent_ms } => Ok(ChatMessage {
                room,
                seq,
                sender: member.account,
                text: text.to_owned(),
                sent_ms,
            }),
            ChatReply::NoRoom => Err(ChatError::NoRoom),
            ChatReply::Closed => Err(ChatError::RoomClosed),
            ChatReply::RateLimited { retry_after_ms } => Err(ChatError::RateLimited {
                retry_after_secs: retry_after_ms.div_ceil(1000),
            }),
            ChatReply::BadMessage => Err(ChatError::MessageSize {
                max_chars: MAX_MESSAGE_CHARS,
            }),
            other => Err(ChatError::Unavailable(format!(
                "unexpected chat reply {other:?}"
            ))),
        }
    }

    /// Messages of a room before sequence number `before` (the newest when `None`), at
    /// most `limit` ([`DEFAULT_HISTORY_PAGE`] when `None`), oldest first.
    pub async fn history(
        &self,
        session_token: &str,
        room: Hash,
        before: Option<u64>,
        limit: Option<u32>,
    ) -> Result<HistoryPage> {
        let node = &self.ctx;
        let limit = limit.unwrap_or(DEFAULT_HISTORY_PAGE);
        if limit == 0 || limit > MAX_HISTORY_PAGE {
            return Err(ChatError::BadQuery(format!(
                "limit is 1 to {MAX_HISTORY_PAGE}"
            )));
        }
        let member = node.members().session(node, session_token).await?;
        let stored = Self::room_of(node, &room, &member.account)?;
        let end = before.unwrap_or(stored.next_seq).min(stored.next_seq);
        let mut opener = Opener::new(node);
        let mut messages = Vec::new();
        let mut seq = end;
        while seq > stored.first_seq && messages.len() < limit as usize {
            seq -= 1;
            if let Some(message) = read_service::<StoredMessage>(node, &message_key(&room, seq))? {
                if let Some(open) = opener.open(&room, seq, &message) {
                    messages.push(open);
                }
            }
        }
        messages.reverse();
        Ok(HistoryPage {
            messages,
            before: (seq > stored.first_seq).then_some(seq),
        })
    }

    /// Starts a live subscription to a room of the logged-in member: every message
    /// this node applies from now on.
    pub async fn subscribe(&self, session_token: &str, room: Hash) -> Result<ChatSubscription> {
        self.start_subscription(session_token, Some(room)).await
    }

    /// Starts a live subscription to every room of the logged-in member (their inbox):
    /// each message this node applies from now on in a room they are in, rooms opened
    /// later included.
    pub async fn subscribe_inbox(&self, session_token: &str) -> Result<ChatSubscription> {
        self.start_subscription(session_token, None).await
    }

    async fn start_subscription(
        &self,
        session_token: &str,
        room: Option<Hash>,
    ) -> Result<ChatSubscription> {
        let node = &self.ctx;
        let member = node.members().session(node, session_token).await?;
        if let Some(room) = &room {
            Self::room_of(node, room, &member.account)?;
        }
        {
            let mut counts = self.subscriptions.lock().expect("lock poisoned");
            let count = counts.entry(member.account).or_default();
            if *count >= MAX_SUBSCRIPTIONS_PER_MEMBER {
                return Err(ChatError::TooManySubscriptions {
                    max: MAX_SUBSCRIPTIONS_PER_MEMBER,
                });
            }
            *count += 1;
        }
        Ok(ChatSubscription {
            node: node.clone(),
            room,
            account: member.account,
            session_token: session_token.to_owned(),
            receiver: self.live.subscribe(),
            counts: self.subscriptions.clone(),
            next_check: tokio::time::Instant::now() + SUBSCRIPTION_RECHECK,
        })
    }

    /// Delivers the messages applied since feed position `*seen` to subscribers.
    fn deliver_new(&self, seen: &mut u64) {
        let node = &self.ctx;
        let meta: ChatMeta = match read_service(node, apply::META) {
            Ok(meta) => meta.unwrap_or_default(),
            Err(error) => {
                tracing::warn!(target: "chat", %error, "cannot read the chat feed");
                return;
            }
        };
        if meta.next_global <= *seen {
            // A snapshot may have rewound the feed: follow it.
            *seen = meta.next_global;
            return;
        }
        if self.live.receiver_count() == 0 {
            *seen = meta.next_global;
            return;
        }
        let from = (*seen).max(meta.next_global.saturating_sub(MAX_CATCH_UP));
        let mut opener = Opener::new(node);
        for position in from..meta.next_global {
            let Ok(Some(entry)) = read_service::<FeedEntry>(node, &feed_key(position)) else {
                continue;
            };
            let Ok(Some(stored)) =
                read_service::<StoredMessage>(node, &message_key(&entry.room, entry.seq))
            else {
                continue;
            };
            if let Some(message) = opener.open(&entry.room, entry.seq, &stored) {
                let _ = self.live.send(Arc::new(message));
            }
        }
        *seen = meta.next_global;
    }

    /// Whether pruning would drop anything now (so the leader proposes only when useful).
    fn prune_due(&self, cutoff_ms: u64) -> bool {
        let node = &self.ctx;
        let Ok(Some(meta)) = read_service::<ChatMeta>(node, apply::META) else {
            return false;
        };
        if meta.oldest_global >= meta.next_global {
            return false;
        }
        match read_service::<FeedEntry>(node, &feed_key(meta.oldest_global)) {
            Ok(Some(entry)) => {
                match read_service::<StoredMessage>(node, &message_key(&entry.room, entry.seq)) {
                    Ok(Some(message)) => message.sent_ms < cutoff_ms,
                    Ok(None) => true,
                    Err(_) => false,
                }
            }
            Ok(None) => true,
            Err(_) => false,
        }
    }
}

/// The chat's tag among the replicated service commands (after members' 0–9; it was
/// the variant index when one enum held every command, so old log entries still apply).
pub const SERVICE_TAG: u8 = 11;

/// A chat command as the service router takes it: the tag, then the command.
pub(crate) fn encode_command(command: &ChatCommand) -> Vec<u8> {
    truffle_engine::encode_tagged(SERVICE_TAG, command)
}

/// The chat's replicated service commands.
pub struct CommandApplier;

impl truffle_engine::TaggedService for CommandApplier {
    const TAG: u8 = SERVICE_TAG;
    type Command = ChatCommand;

    fn apply_command(
        &self,
        store: &truffle_store::Store,
        command: ChatCommand,
    ) -> std::result::Result<truffle_consensus::ServiceOutcome, truffle_consensus::ServiceError>
    {
        apply::apply(store, command)
    }
}

/// Erases a withdrawing member's chat data in the same step as the member.
pub(crate) use apply::forget_member;
