use jsonrpsee::core::{async_trait, RpcResult};
use truffle_node::kakao::{KakaoLinkStatus, LinkCodeIssued};
use truffle_node::Node;

use crate::chat_errors;
use truffle_wire::api::KakaoAccountApiServer;

pub(crate) struct KakaoHandler {
    pub(crate) node: Node,
}

#[async_trait]
impl KakaoAccountApiServer for KakaoHandler {
    async fn kakao_link_code(&self, session_token: String) -> RpcResult<LinkCodeIssued> {
        self.node
            .kakao()
            .issue_link_code(&self.node, &session_token)
            .await
            .map_err(chat_errors::kakao)
    }

    async fn kakao_unlink(&self, session_token: String) -> RpcResult<bool> {
        self.node
            .kakao()
            .unlink(&self.node, &session_token)
            .await
            .map_err(chat_errors::kakao)
    }

    async fn kakao_status(&self, session_token: String) -> RpcResult<KakaoLinkStatus> {
        self.node
            .kakao()
            .status(&self.node, &session_token)
            .await
            .map_err(chat_errors::kakao)
    }
}
