//! Sealing chat messages: each text under the sender's chat key, derived from the
//! sender's data key (so it survives profile updates, password changes and epoch
//! re-wraps, and dies with the data key), bound to the room and the sender.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use super::*;

/// The key a member's messages are sealed with (`None` if the member's data key does
/// not open here: erased, or sealed in an epoch this node destroyed).
fn chat_key(node: &ChatContext, member: &Member) -> Option<[u8; 32]> {
    node.members()
        .vault()
        .chat_key(&member.account, &member.sealed)
        .ok()
}

fn aad(room: &Hash, sender: &PublicKey) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&room.0);
    out[32..].copy_from_slice(&sender.0);
    out
}

pub(super) fn seal(
    node: &ChatContext,
    member: &Member,
    room: &Hash,
    text: &str,
) -> Option<([u8; 24], Vec<u8>)> {
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let key = chat_key(node, member)?;
    let ciphertext = XChaCha20Poly1305::new((&key).into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: text.as_bytes(),
                aad: &aad(room, &member.account),
            },
        )
        .expect("encryption into a Vec cannot fail");
    Some((nonce, ciphertext))
}

/// Opens stored messages, caching each sender's key.
pub(super) struct Opener<'a> {
    node: &'a ChatContext,
    keys: HashMap<PublicKey, Option<[u8; 32]>>,
}

impl<'a> Opener<'a> {
    pub(super) fn new(node: &'a ChatContext) -> Self {
        Opener {
            node,
            keys: HashMap::new(),
        }
    }

    pub(super) fn open(
        &mut self,
        room: &Hash,
        seq: u64,
        stored: &StoredMessage,
    ) -> Option<ChatMessage> {
        let node = self.node;
        let key = *self.keys.entry(stored.sender).or_insert_with(|| {
            ServiceState::new(node.store())
                .member(&stored.sender)
                .ok()
                .flatten()
                .and_then(|m| chat_key(node, &m))
        });
        let plain = XChaCha20Poly1305::new((&key?).into())
            .decrypt(
                XNonce::from_slice(&stored.nonce),
                Payload {
                    msg: &stored.ciphertext,
                    aad: &aad(room, &stored.sender),
                },
            )
            .ok()?;
        Some(ChatMessage {
            room: *room,
            seq,
            sender: stored.sender,
            text: String::from_utf8(plain).ok()?,
            sent_ms: stored.sent_ms,
        })
    }
}
