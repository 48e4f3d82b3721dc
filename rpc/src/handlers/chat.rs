use jsonrpsee::core::{async_trait, RpcResult, SubscriptionResult};
use jsonrpsee::{PendingSubscriptionSink, SubscriptionMessage};
use truffle_ledger::{Hash, PublicKey};
use truffle_node::chat::{
    ChatError, ChatMessage, ChatSubject, ChatSubscription, HistoryPage, RoomView,
};
use truffle_node::Node;

use crate::chat_errors;
use truffle_wire::api::ChatApiServer;

pub(crate) struct ChatHandler {
    pub(crate) node: Node,
}

#[async_trait]
impl ChatApiServer for ChatHandler {
    async fn open_room(
        &self,
        session_token: String,
        subject: ChatSubject,
        counterpart: Option<PublicKey>,
    ) -> RpcResult<RoomView> {
        self.node
            .chat()
            .open_room(&session_token, subject, counterpart)
            .await
            .map_err(chat_errors::chat)
    }

    async fn rooms(&self, session_token: String) -> RpcResult<Vec<RoomView>> {
        self.node
            .chat()
            .rooms(&session_token)
            .await
            .map_err(chat_errors::chat)
    }

    async fn send(
        &self,
        session_token: String,
        room: Hash,
        text: String,
    ) -> RpcResult<ChatMessage> {
        self.node
            .chat()
            .send(&session_token, room, &text)
            .await
            .map_err(chat_errors::chat)
    }

    async fn history(
        &self,
        session_token: String,
        room: Hash,
        before: Option<u64>,
        limit: Option<u32>,
    ) -> RpcResult<HistoryPage> {
        self.node
            .chat()
            .history(&session_token, room, before, limit)
            .await
            .map_err(chat_errors::chat)
    }

    async fn mark_read(
        &self,
        session_token: String,
        room: Hash,
        upto: Option<u64>,
    ) -> RpcResult<RoomView> {
        self.node
            .chat()
            .mark_read(&session_token, room, upto)
            .await
            .map_err(chat_errors::chat)
    }

    async fn subscribe_room(
        &self,
        pending: PendingSubscriptionSink,
        session_token: String,
        room: Hash,
    ) -> SubscriptionResult {
        let subscription = self.node.chat().subscribe(&session_token, room).await;
        forward(pending, subscription).await
    }

    async fn subscribe_inbox(
        &self,
        pending: PendingSubscriptionSink,
        session_token: String,
    ) -> SubscriptionResult {
        let subscription = self.node.chat().subscribe_inbox(&session_token).await;
        forward(pending, subscription).await
    }
}

/// Accepts the subscription (or rejects it with the chat error) and forwards its
/// messages until either side ends it.
async fn forward(
    pending: PendingSubscriptionSink,
    subscription: Result<ChatSubscription, ChatError>,
) -> SubscriptionResult {
    let mut subscription = match subscription {
        Ok(subscription) => subscription,
        Err(error) => {
            pending.reject(chat_errors::chat(error)).await;
            return Ok(());
        }
    };
    let sink = pending.accept().await?;
    loop {
        tokio::select! {
            _ = sink.closed() => return Ok(()),
            message = subscription.next() => match message {
                Some(message) => {
                    let raw = serde_json::value::to_raw_value(message.as_ref())?;
                    if sink.send(SubscriptionMessage::from(raw)).await.is_err() {
                        return Ok(());
                    }
                }
                None => return Ok(()),
            },
        }
    }
}
