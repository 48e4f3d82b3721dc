//! Live chat: subscriptions that stream a room's new messages, the delivery loop that
//! follows this node's applier, and (on the leader) pruning past retention.

use super::*;

/// A live subscription to a room, or to every room of a member (`room` is `None`);
/// ends its count when dropped.
pub struct ChatSubscription {
    pub(super) node: ChatContext,
    pub(super) room: Option<Hash>,
    pub(super) account: PublicKey,
    pub(super) session_token: String,
    pub(super) receiver: broadcast::Receiver<Arc<ChatMessage>>,
    pub(super) counts: Arc<Mutex<HashMap<PublicKey, usize>>>,
    pub(super) next_check: tokio::time::Instant,
}

impl std::fmt::Debug for ChatSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatSubscription")
            .field("room", &self.room)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl ChatSubscription {
    /// Whether `message` is for this subscription: of its room, or of a room of its
    /// member.
    fn admits(&self, message: &ChatMessage) -> bool {
        match &self.room {
            Some(room) => message.room == *room,
            None => read_service::<()>(
                &self.node,
                &apply::member_room_key(&self.account, &message.room),
            )
            .is_ok_and(|found| found.is_some()),
        }
    }

    /// The next message of the room (or of the member's rooms), or `None` when the
    /// subscription ends: the session ended, the member left the room, or the node stops.
    pub async fn next(&mut self) -> Option<Arc<ChatMessage>> {
        loop {
            let recheck = tokio::time::sleep_until(self.next_check);
            tokio::select! {
                received = self.receiver.recv() => match received {
                    Ok(message) if self.admits(&message) => return Some(message),
                    Ok(_) => {}
                    // A slow subscriber misses messages (they stay in the history).
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::debug!(target: "chat", missed, "subscriber lagged");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = recheck => {
                    self.next_check = tokio::time::Instant::now() + SUBSCRIPTION_RECHECK;
                    let allowed = match self.node.members().session(&self.node, &self.session_token).await {
                        Ok(member) => member.account == self.account
                            && self.room.as_ref().is_none_or(|room| {
                                ChatHub::room_of(&self.node, room, &self.account).is_ok()
                            }),
                        Err(MemberError::Unavailable(_)) => true,
                        Err(_) => false,
                    };
                    if !allowed {
                        return None;
                    }
                }
            }
        }
    }
}

impl Drop for ChatSubscription {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().expect("lock poisoned");
        if let Some(count) = counts.get_mut(&self.account) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.account);
            }
        }
    }
}

/// The node's chat tasks: live delivery of applied messages to this node's subscribers,
/// and (on the leader) periodic pruning of expired messages.
pub(crate) async fn run(hub: Arc<ChatHub>) {
    tokio::spawn(prune(hub.clone()));
    let node = hub.ctx.clone();
    let mut events = node.subscribe();
    let mut seen = read_service::<ChatMeta>(&node, apply::META)
        .ok()
        .flatten()
        .unwrap_or_default()
        .next_global;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(LedgerEvent::Block(_)) => continue,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            // A safety net: deliver even if an event was missed.
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = node.stopping() => return,
        }
        hub.deliver_new(&mut seen);
    }
}

async fn prune(hub: Arc<ChatHub>) {
    let node = hub.ctx.clone();
    let interval = hub.settings.prune_interval;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = node.stopping() => return,
        }
        if !node.is_leader() {
            continue;
        }
        let cutoff_ms = node.now_ms().saturating_sub(hub.settings.retention_ms);
        if hub.prune_due(cutoff_ms) {
            match hub.propose(ChatCommand::Prune { cutoff_ms }).await {
                Ok(ChatReply::Pruned { messages }) => {
                    tracing::info!(target: "chat", messages, "pruned chat messages past retention")
                }
                Ok(other) => tracing::warn!(target: "chat", ?other, "unexpected prune reply"),
                Err(error) => tracing::warn!(target: "chat", %error, "chat prune failed"),
            }
        }
    }
}
