//! The replicated half of chat: [`ChatCommand`]s applied by every node in log order into
//! the service family, deterministically from the command and the state (the proposer's
//! clock and rate parameters travel in the command).
//!
//! Keys (service family):
//!
//! | key | value |
//! | --- | --- |
//! | `chat/room/{room}` | [`Room`] |
//! | `chat/member-room/{account}{room}` | `()`: the rooms a member may read |
//! | `chat/msg/{room}{seq}` | [`StoredMessage`] (text sealed under the sender's chat key) |
//! | `chat/feed/{global seq}` | [`FeedEntry`]: every message in commit order, for live delivery and pruning |
//! | `chat/meta` | [`ChatMeta`]: counters |
//! | `chat/rate/{account}` | the sender's rate window |
//! | `chat/read/{room}{account}` | [`ReadMark`]: how far the member read, and how many of the other's messages are unread |

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_consensus::ServiceOutcome;
use truffle_ledger::{Hash, PublicKey};
use truffle_store::Store;

use super::overlay::{key, Changes, Overlay, Window};
use crate::services::ServiceState;
pub use truffle_wire::chat::{ChatSubject, ROOM_MAX_MESSAGES};

/// Most rooms a member may be in.
pub const MAX_ROOMS_PER_MEMBER: usize = 500;
/// Most messages kept on the cluster; the oldest are dropped beyond it.
pub const MAX_LIVE_MESSAGES: u64 = 5_000_000;
/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1_000;
/// Largest sealed message (4 bytes per character at most, plus the AEAD tag).
pub const MAX_SEALED_BYTES: usize = MAX_MESSAGE_CHARS * 4 + 16;
/// Feed entries one prune command walks at most.
pub const PRUNE_BATCH: u64 = 20_000;

pub(crate) const ROOM: &[u8] = b"chat/room/";
pub(crate) const MEMBER_ROOM: &[u8] = b"chat/member-room/";
pub(crate) const MESSAGE: &[u8] = b"chat/msg/";
pub(crate) const FEED: &[u8] = b"chat/feed/";
pub(crate) const META: &[u8] = b"chat/meta";
pub(crate) const RATE: &[u8] = b"chat/rate/";
pub(crate) const READ: &[u8] = b"chat/read/";

/// The subject as it enters a room id: a tag byte and the id, big-endian.
fn subject_bytes(subject: &ChatSubject) -> [u8; 9] {
    let (tag, id) = match subject {
        ChatSubject::Item(id) => (0u8, *id),
        ChatSubject::Order(id) => (1u8, *id),
    };
    let mut out = [0u8; 9];
    out[0] = tag;
    out[1..].copy_from_slice(&id.to_be_bytes());
    out
}

/// The room id of two members talking about `subject` (order-independent).
pub fn room_id(subject: &ChatSubject, a: &PublicKey, b: &PublicKey) -> Hash {
    let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    Hash::tagged(
        b"truffle/v1/chat-room",
        &[&subject_bytes(subject), &first.0, &second.0],
    )
}

/// A room between two members.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Room {
    /// What it is about.
    pub subject: ChatSubject,
    /// Its two members, in key order.
    pub members: [PublicKey; 2],
    /// Who opened it.
    pub opened_by: PublicKey,
    /// When (proposer's clock).
    pub created_ms: u64,
    /// Lowest sequence number that may still be stored.
    pub first_seq: u64,
    /// The next message's sequence number.
    pub next_seq: u64,
    /// A member withdrew: read-only for the other.
    pub closed: bool,
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct StoredMessage {
    /// Who wrote it.
    pub sender: PublicKey,
    /// When it was committed (proposer's clock, never before the previous message).
    pub sent_ms: u64,
    /// Position in the cluster-wide feed.
    pub global_seq: u64,
    /// AEAD nonce.
    pub nonce: [u8; 24],
    /// The text sealed under the sender's chat key (associated data: room and sender).
    pub ciphertext: Vec<u8>,
}

/// A message's place, by its position in the feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct FeedEntry {
    /// Room.
    pub room: Hash,
    /// Sequence number in the room.
    pub seq: u64,
}

/// Chat counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ChatMeta {
    /// The next message's feed position.
    pub next_global: u64,
    /// The oldest feed position not yet pruned.
    pub oldest_global: u64,
    /// Messages stored.
    pub live_messages: u64,
    /// Time of the latest message.
    pub last_sent_ms: u64,
}

/// How far a member has read a room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ReadMark {
    /// Messages before this sequence number are read.
    pub upto: u64,
    /// The other member's messages at or after `upto` (counted as they arrive).
    pub unread: u64,
}

impl ReadMark {
    /// Unread messages of `room`, bounded by what the room still holds (pruned and
    /// dropped messages are not unread).
    pub fn unread_in(&self, room: &Room) -> u64 {
        let from = self.upto.max(room.first_seq);
        self.unread.min(room.next_seq.saturating_sub(from))
    }
}

/// A change to chat data. Variants are only appended.
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub enum ChatCommand {
    /// Opens (or finds) the room of two members about a subject.
    OpenRoom {
        /// `room_id(subject, members)`.
        room: Hash,
        /// What it is about.
        subject: ChatSubject,
        /// The two members, in key order.
        members: [PublicKey; 2],
        /// Who opens it.
        opened_by: PublicKey,
        /// The proposer's clock.
        now_ms: u64,
    },
    /// Appends a message.
    Send {
        /// Room.
        room: Hash,
        /// Writer.
        sender: PublicKey,
        /// AEAD nonce.
        nonce: [u8; 24],
        /// Sealed text.
        ciphertext: Vec<u8>,
        /// The proposer's clock.
        now_ms: u64,
        /// Most messages per window (the proposer's setting).
        rate_max: u32,
        /// The window, ms.
        rate_window_ms: u64,
    },
    /// Drops messages sent before `cutoff_ms` (the leader proposes it periodically).
    Prune {
        /// Messages older than this go.
        cutoff_ms: u64,
    },
    /// Records that `member` has read the room's messages before `upto`.
    MarkRead {
        /// Room.
        room: Hash,
        /// The reader.
        member: PublicKey,
        /// Messages before this sequence number are read (capped at the room's next).
        upto: u64,
    },
}

/// What a chat command did.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ChatReply {
    /// The room exists now (`created`: by this command).
    Opened {
        /// Whether this command created it.
        created: bool,
    },
    /// The message is stored.
    Sent {
        /// Its sequence number in the room.
        seq: u64,
        /// Its time.
        sent_ms: u64,
    },
    /// Messages were pruned.
    Pruned {
        /// How many.
        messages: u64,
    },
    /// No such room, or the sender is not in it.
    NoRoom,
    /// A member of the room is not a member of Truffle.
    NotAMember,
    /// A member withdrew: the room is read-only.
    Closed,
    /// A member is in too many rooms.
    TooManyRooms,
    /// The sender is over the rate limit.
    RateLimited {
        /// How long until the window ends, ms.
        retry_after_ms: u64,
    },
    /// The sealed message is empty or too large.
    BadMessage,
    /// The room id does not match its subject and members.
    BadRoomId,
    /// The read mark is recorded.
    Read {
        /// The member's unread messages in the room now.
        unread: u64,
    },
}

pub(crate) fn room_key(room: &Hash) -> Vec<u8> {
    key(ROOM, &[&room.0])
}

pub(crate) fn member_room_key(account: &PublicKey, room: &Hash) -> Vec<u8> {
    key(MEMBER_ROOM, &[&account.0, &room.0])
}

pub(crate) fn message_key(room: &Hash, seq: u64) -> Vec<u8> {
    key(MESSAGE, &[&room.0, &seq.to_be_bytes()])
}

pub(crate) fn feed_key(global: u64) -> Vec<u8> {
    key(FEED, &[&global.to_be_bytes()])
}

pub(crate) fn rate_key(account: &PublicKey) -> Vec<u8> {
    key(RATE, &[&account.0])
}

pub(crate) fn read_key(room: &Hash, account: &PublicKey) -> Vec<u8> {
    key(READ, &[&room.0, &account.0])
}

/// Applies a chat command.
pub(crate) fn apply(
    store: &Store,
    command: ChatCommand,
) -> Result<ServiceOutcome, truffle_consensus::ServiceError> {
    let mut o = Overlay::new(store);
    let reply = match command {
        ChatCommand::OpenRoom {
            room,
            subject,
            members,
            opened_by,
            now_ms,
        } => open_room(&mut o, room, subject, members, opened_by, now_ms)?,
        ChatCommand::Send {
            room,
            sender,
            nonce,
            ciphertext,
            now_ms,
            rate_max,
            rate_window_ms,
        } => send(
            &mut o,
            room,
            sender,
            (nonce, ciphertext),
            now_ms,
            (rate_max, rate_window_ms),
        )?,
        ChatCommand::Prune { cutoff_ms } => {
            let mut meta: ChatMeta = o.get(META)?.unwrap_or_default();
            let messages = drop_oldest(&mut o, &mut meta, cutoff_ms, PRUNE_BATCH, u64::MAX)?;
            o.put(META.to_vec(), &meta);
            ChatReply::Pruned { messages }
        }
        ChatCommand::MarkRead { room, member, upto } => mark_read(&mut o, room, member, upto)?,
    };
    Ok(ServiceOutcome {
        changes: o.into_changes(),
        response: borsh::to_vec(&reply).expect("encoding to a Vec cannot fail"),
    })
}

fn open_room(
    o: &mut Overlay<'_>,
    room: Hash,
    subject: ChatSubject,
    members: [PublicKey; 2],
    opened_by: PublicKey,
    now_ms: u64,
) -> Result<ChatReply, truffle_consensus::ServiceError> {
    if members[0].0 >= members[1].0
        || room != room_id(&subject, &members[0], &members[1])
        || !members.contains(&opened_by)
    {
        return Ok(ChatReply::BadRoomId);
    }
    if let Some(existing) = o.get::<Room>(&room_key(&room))? {
        return Ok(if existing.closed {
            ChatReply::Closed
        } else {
            ChatReply::Opened { created: false }
        });
    }
    let state = ServiceState::new(o.store());
    for member in &members {
        if state.member(member)?.is_none() {
            return Ok(ChatReply::NotAMember);
        }
        if o.keys_with_prefix(&key(MEMBER_ROOM, &[&member.0]))?.len() >= MAX_ROOMS_PER_MEMBER {
            return Ok(ChatReply::TooManyRooms);
        }
    }
    o.put(
        room_key(&room),
        &Room {
            subject,
            members,
            opened_by,
            created_ms: now_ms,
            first_seq: 0,
            next_seq: 0,
            closed: false,
        },
    );
    for member in &members {
        o.put(member_room_key(member, &room), &());
    }
    Ok(ChatReply::Opened { created: true })
}

fn send(
    o: &mut Overlay<'_>,
    room_id: Hash,
    sender: PublicKey,
    (nonce, ciphertext): ([u8; 24], Vec<u8>),
    now_ms: u64,
    (rate_max, rate_window_ms): (u32, u64),
) -> Result<ChatReply, truffle_consensus::ServiceError> {
    let Some(mut room) = o.get::<Room>(&room_key(&room_id))? else {
        return Ok(ChatReply::NoRoom);
    };
    if !room.members.contains(&sender) {
        return Ok(ChatReply::NoRoom);
    }
    if room.closed {
        return Ok(ChatReply::Closed);
    }
    if ServiceState::new(o.store()).member(&sender)?.is_none() {
        return Ok(ChatReply::NoRoom);
    }
    if ciphertext.len() <= 16 || ciphertext.len() > MAX_SEALED_BYTES {
        return Ok(ChatReply::BadMessage);
    }
    let mut window: Window = o.get(&rate_key(&sender))?.unwrap_or_default();
    if let Err(retry_after_ms) = window.take(now_ms, rate_window_ms, rate_max) {
        return Ok(ChatReply::RateLimited { retry_after_ms });
    }
    o.put(rate_key(&sender), &window);

    let mut meta: ChatMeta = o.get(META)?.unwrap_or_default();
    let sent_ms = now_ms.max(meta.last_sent_ms);
    let seq = room.next_seq;
    let global_seq = meta.next_global;
    room.next_seq += 1;
    meta.next_global += 1;
    meta.live_messages += 1;
    meta.last_sent_ms = sent_ms;
    o.put(
        message_key(&room_id, seq),
        &StoredMessage {
            sender,
            sent_ms,
            global_seq,
            nonce,
            ciphertext,
        },
    );
    o.put(feed_key(global_seq), &FeedEntry { room: room_id, seq });
    for reader in room.members.iter().filter(|m| **m != sender) {
        let mut mark: ReadMark = o.get(&read_key(&room_id, reader))?.unwrap_or_default();
        mark.unread += 1;
        o.put(read_key(&room_id, reader), &mark);
    }
    // A full room drops its oldest message.
    while room.next_seq - room.first_seq > ROOM_MAX_MESSAGES {
        let old = message_key(&room_id, room.first_seq);
        if o.exists(&old)? {
            o.delete(old);
            meta.live_messages -= 1;
        }
        room.first_seq += 1;
    }
    o.put(room_key(&room_id), &room);
    // A full cluster drops its oldest message (bounded work per message).
    if meta.live_messages > MAX_LIVE_MESSAGES {
        drop_oldest(o, &mut meta, u64::MAX, 64, 1)?;
    }
    o.put(META.to_vec(), &meta);
    Ok(ChatReply::Sent { seq, sent_ms })
}

fn mark_read(
    o: &mut Overlay<'_>,
    room_id: Hash,
    member: PublicKey,
    upto: u64,
) -> Result<ChatReply, truffle_consensus::ServiceError> {
    let Some(room) = o.get::<Room>(&room_key(&room_id))? else {
        return Ok(ChatReply::NoRoom);
    };
    if !room.members.contains(&member) || !o.exists(&member_room_key(&member, &room_id))? {
        return Ok(ChatReply::NoRoom);
    }
    let mut mark: ReadMark = o.get(&read_key(&room_id, &member))?.unwrap_or_default();
    let upto = upto.min(room.next_seq);
    if upto > mark.upto {
        mark.upto = upto;
        // What is left unread is at most the room's last few messages (usually none).
        let mut unread = 0;
        for seq in upto.max(room.first_seq)..room.next_seq {
            if let Some(message) = o.get::<StoredMessage>(&message_key(&room_id, seq))? {
                if message.sender != member {
                    unread += 1;
                }
            }
        }
        mark.unread = unread;
        o.put(read_key(&room_id, &member), &mark);
    }
    Ok(ChatReply::Read {
        unread: mark.unread_in(&room),
    })
}

/// Walks the feed from its oldest entry, deleting messages sent before `cutoff_ms`, at
/// most `max_steps` entries and `max_deleted` messages. Returns the messages deleted.
fn drop_oldest(
    o: &mut Overlay<'_>,
    meta: &mut ChatMeta,
    cutoff_ms: u64,
    max_steps: u64,
    max_deleted: u64,
) -> Result<u64, truffle_consensus::ServiceError> {
    let mut deleted = 0;
    let mut steps = 0;
    while meta.oldest_global < meta.next_global && steps < max_steps && deleted < max_deleted {
        let position = meta.oldest_global;
        if let Some(entry) = o.get::<FeedEntry>(&feed_key(position))? {
            let message_key = message_key(&entry.room, entry.seq);
            if let Some(message) = o.get::<StoredMessage>(&message_key)? {
                if message.sent_ms >= cutoff_ms {
                    break;
                }
                o.delete(message_key);
                meta.live_messages = meta.live_messages.saturating_sub(1);
                deleted += 1;
            }
            if let Some(mut room) = o.get::<Room>(&room_key(&entry.room))? {
                // Feed order is commit order, so everything before this message in
                // its room is gone already.
                room.first_seq = room.first_seq.max(entry.seq + 1);
                if room.closed && room.first_seq >= room.next_seq {
                    delete_room(o, &entry.room, &room);
                } else {
                    o.put(room_key(&entry.room), &room);
                }
            }
            o.delete(feed_key(position));
        }
        meta.oldest_global += 1;
        steps += 1;
    }
    Ok(deleted)
}

fn delete_room(o: &mut Overlay<'_>, room_id: &Hash, room: &Room) {
    o.delete(room_key(room_id));
    for member in &room.members {
        o.delete(member_room_key(member, room_id));
        o.delete(read_key(room_id, member));
    }
}

/// Withdrawal: deletes every message `account` wrote, closes its rooms (the other member
/// keeps reading their own messages), deletes rooms left empty, and forgets the
/// member's rate window. Called by the members service's `DeleteMember`.
pub(crate) fn forget_member(
    store: &Store,
    account: &PublicKey,
    changes: &mut Changes,
) -> Result<(), truffle_consensus::ServiceError> {
    let mut o = Overlay::new(store);
    let mut meta: ChatMeta = o.get(META)?.unwrap_or_default();
    let prefix = key(MEMBER_ROOM, &[&account.0]);
    for index_key in o.keys_with_prefix(&prefix)? {
        let Ok(room_bytes) = <[u8; 32]>::try_from(&index_key[prefix.len()..]) else {
            continue;
        };
        let room_id = Hash(room_bytes);
        o.delete(index_key);
        o.delete(read_key(&room_id, account));
        let Some(mut room) = o.get::<Room>(&room_key(&room_id))? else {
            continue;
        };
        let mut left = 0u64;
        for seq in room.first_seq..room.next_seq {
            let message_key = message_key(&room_id, seq);
            if let Some(message) = o.get::<StoredMessage>(&message_key)? {
                if message.sender == *account {
                    o.delete(message_key);
                    meta.live_messages = meta.live_messages.saturating_sub(1);
                } else {
                    left += 1;
                }
            }
        }
        room.closed = true;
        if left == 0 {
            delete_room(&mut o, &room_id, &room);
        } else {
            o.put(room_key(&room_id), &room);
        }
    }
    o.delete(rate_key(account));
    o.put(META.to_vec(), &meta);
    changes.extend(o.into_changes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::vault::VaultKey;
    use crate::services::{Member, ServiceCommand};
    use truffle_consensus::ServiceApplier;
    use truffle_ledger::Keypair;

    fn member(store: &Store, name: &str) -> PublicKey {
        let account = Keypair::from_name(name).public();
        let vault = VaultKey::from_secret(&[1; 32]);
        let m = Member {
            account,
            email_mac: vault.mac("email", name.as_bytes()),
            phone_mac: vault.mac("phone", name.as_bytes()),
            password_hash: String::new(),
            sealed: vault
                .seal(
                    &account,
                    &crate::services::vault::Profile {
                        name: name.into(),
                        email: format!("{name}@example.com"),
                        phone: "+821000000000".into(),
                        gender: truffle_ledger::types::Gender::Other,
                        birth_year: 1990,
                        address: None,
                    },
                    0,
                )
                .unwrap(),
            created_ms: 0,
        };
        store
            .service_write(
                &[(
                    key(b"member/", &[&account.0]),
                    Some(borsh::to_vec(&m).unwrap()),
                )],
                &[],
            )
            .unwrap();
        account
    }

    fn run(store: &Store, command: ChatCommand) -> ChatReply {
        let outcome = apply(store, command).unwrap();
        store.service_write(&outcome.changes, &[]).unwrap();
        borsh::from_slice(&outcome.response).unwrap()
    }

    fn send_cmd(room: Hash, sender: PublicKey, now_ms: u64) -> ChatCommand {
        ChatCommand::Send {
            room,
            sender,
            nonce: [0; 24],
            ciphertext: vec![7; 40],
            now_ms,
            rate_max: 3,
            rate_window_ms: 1_000,
        }
    }

    fn meta(store: &Store) -> ChatMeta {
        Overlay::new(store).get(META).unwrap().unwrap_or_default()
    }

    #[test]
    fn rooms_messages_limits_pruning_and_erasure() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (a, b, c) = (
            member(&store, "a"),
            member(&store, "b"),
            member(&store, "c"),
        );
        let mut pair = [a, b];
        pair.sort_by_key(|k| k.0);
        let subject = ChatSubject::Item(1);
        let room = room_id(&subject, &a, &b);
        assert_eq!(room, room_id(&subject, &b, &a), "order-independent");
        let open = |opened_by| ChatCommand::OpenRoom {
            room,
            subject,
            members: pair,
            opened_by,
            now_ms: 1,
        };
        assert_eq!(
            run(&store, open(c)),
            ChatReply::BadRoomId,
            "not a member of it"
        );
        assert_eq!(run(&store, open(a)), ChatReply::Opened { created: true });
        assert_eq!(run(&store, open(b)), ChatReply::Opened { created: false });

        assert_eq!(run(&store, send_cmd(room, c, 10)), ChatReply::NoRoom);
        for (i, t) in [10, 20, 30].into_iter().enumerate() {
            assert_eq!(
                run(&store, send_cmd(room, a, t)),
                ChatReply::Sent {
                    seq: i as u64,
                    sent_ms: t
                }
            );
        }
        assert!(matches!(
            run(&store, send_cmd(room, a, 40)),
            ChatReply::RateLimited {
                retry_after_ms: 970
            }
        ));
        // Clocks that go back do not reorder the feed.
        assert_eq!(
            run(&store, send_cmd(room, b, 25)),
            ChatReply::Sent {
                seq: 3,
                sent_ms: 30
            }
        );
        assert_eq!(
            run(&store, send_cmd(room, a, 1_100)),
            ChatReply::Sent {
                seq: 4,
                sent_ms: 1_100
            }
        );
        assert_eq!(meta(&store).live_messages, 5);

        assert_eq!(
            run(&store, ChatCommand::Prune { cutoff_ms: 25 }),
            ChatReply::Pruned { messages: 2 }
        );
        let m = meta(&store);
        assert_eq!((m.live_messages, m.oldest_global, m.next_global), (3, 2, 5));

        // Withdrawal of `a`: its messages go, `b`'s stays, the room is read-only.
        let mut changes = Vec::new();
        forget_member(&store, &a, &mut changes).unwrap();
        store.service_write(&changes, &[]).unwrap();
        assert_eq!(meta(&store).live_messages, 1);
        let o = Overlay::new(&store);
        let r: Room = o.get(&room_key(&room)).unwrap().unwrap();
        assert!(r.closed);
        assert!(o
            .get::<StoredMessage>(&message_key(&room, 3))
            .unwrap()
            .is_some());
        assert!(o
            .get::<StoredMessage>(&message_key(&room, 4))
            .unwrap()
            .is_none());
        assert!(!o.exists(&member_room_key(&a, &room)).unwrap());
        assert!(o.exists(&member_room_key(&b, &room)).unwrap());
        assert_eq!(run(&store, send_cmd(room, b, 2_000)), ChatReply::Closed);

        // Pruning the last message deletes the closed room.
        run(
            &store,
            ChatCommand::Prune {
                cutoff_ms: u64::MAX,
            },
        );
        let o = Overlay::new(&store);
        assert!(o.get::<Room>(&room_key(&room)).unwrap().is_none());
        assert!(!o.exists(&member_room_key(&b, &room)).unwrap());
        assert_eq!(meta(&store).live_messages, 0);
    }

    #[test]
    fn unread_counts_follow_messages_and_read_marks() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (a, b, c) = (
            member(&store, "a"),
            member(&store, "b"),
            member(&store, "c"),
        );
        let mut pair = [a, b];
        pair.sort_by_key(|k| k.0);
        let subject = ChatSubject::Item(7);
        let room = room_id(&subject, &a, &b);
        run(
            &store,
            ChatCommand::OpenRoom {
                room,
                subject,
                members: pair,
                opened_by: a,
                now_ms: 1,
            },
        );
        let unread = |who: &PublicKey| {
            let o = Overlay::new(&store);
            let r: Room = o.get(&room_key(&room)).unwrap().unwrap();
            o.get::<ReadMark>(&read_key(&room, who))
                .unwrap()
                .unwrap_or_default()
                .unread_in(&r)
        };
        let read = |who, upto| ChatCommand::MarkRead {
            room,
            member: who,
            upto,
        };
        run(&store, send_cmd(room, a, 10));
        run(&store, send_cmd(room, a, 20));
        run(&store, send_cmd(room, b, 30));
        assert_eq!((unread(&a), unread(&b)), (1, 2), "each counts the other's");
        assert_eq!(run(&store, read(b, 1)), ChatReply::Read { unread: 1 });
        assert_eq!(
            run(&store, read(b, 99)),
            ChatReply::Read { unread: 0 },
            "capped at the room's end"
        );
        assert_eq!(run(&store, read(c, 1)), ChatReply::NoRoom);
        run(&store, send_cmd(room, a, 2_000));
        assert_eq!(unread(&b), 1);
        assert_eq!(
            run(&store, read(b, 2)),
            ChatReply::Read { unread: 1 },
            "an older mark changes nothing"
        );
        assert_eq!(run(&store, read(b, 4)), ChatReply::Read { unread: 0 });
        // Pruned messages are not unread.
        run(&store, send_cmd(room, b, 2_100));
        assert_eq!(unread(&a), 2);
        run(&store, ChatCommand::Prune { cutoff_ms: 2_050 });
        assert_eq!(unread(&a), 1);
        // Withdrawal forgets the member's marks.
        let mut changes = Vec::new();
        forget_member(&store, &b, &mut changes).unwrap();
        store.service_write(&changes, &[]).unwrap();
        assert!(!Overlay::new(&store).exists(&read_key(&room, &b)).unwrap());
    }

    #[test]
    fn full_rooms_drop_their_oldest_and_delete_member_goes_through_services() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (a, b) = (member(&store, "a"), member(&store, "b"));
        let mut pair = [a, b];
        pair.sort_by_key(|k| k.0);
        let subject = ChatSubject::Order(9);
        let room = room_id(&subject, &a, &b);
        run(
            &store,
            ChatCommand::OpenRoom {
                room,
                subject,
                members: pair,
                opened_by: b,
                now_ms: 1,
            },
        );
        for t in 0..ROOM_MAX_MESSAGES + 5 {
            let reply = run(
                &store,
                ChatCommand::Send {
                    room,
                    sender: a,
                    nonce: [0; 24],
                    ciphertext: vec![1; 20],
                    now_ms: t,
                    rate_max: u32::MAX,
                    rate_window_ms: 1,
                },
            );
            assert!(matches!(reply, ChatReply::Sent { .. }), "{reply:?}");
        }
        assert_eq!(meta(&store).live_messages, ROOM_MAX_MESSAGES);
        let r: Room = Overlay::new(&store).get(&room_key(&room)).unwrap().unwrap();
        assert_eq!((r.first_seq, r.next_seq), (5, ROOM_MAX_MESSAGES + 5));

        // DeleteMember through the members service erases the chat too.
        let command = borsh::to_vec(&ServiceCommand::DeleteMember { account: a }).unwrap();
        let outcome = crate::service_router().apply(&store, &command).unwrap();
        store.service_write(&outcome.changes, &[]).unwrap();
        assert_eq!(meta(&store).live_messages, 0);
        assert!(Overlay::new(&store)
            .get::<Room>(&room_key(&room))
            .unwrap()
            .is_none());
    }
}
