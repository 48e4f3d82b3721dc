//! `account_kakao*`: linking a member's account to their KakaoTalk channel chat.

use crate::kakao::{KakaoLinkStatus, LinkCodeIssued};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;

/// The member's side of the KakaoTalk link (the chat side is the bot: the member sends
/// the code to the channel, or "연동 해제" to unlink).
#[rpc(server, client, namespace = "account")]
pub trait KakaoAccountApi {
    /// A one-time 6-digit code (valid a few minutes) to send to the Truffle KakaoTalk
    /// channel; a new code replaces the previous one.
    #[method(name = "kakaoLinkCode")]
    async fn kakao_link_code(&self, session_token: String) -> RpcResult<LinkCodeIssued>;

    /// Removes the link to a Kakao user; `true` if there was one.
    #[method(name = "kakaoUnlink")]
    async fn kakao_unlink(&self, session_token: String) -> RpcResult<bool>;

    /// Whether the account is linked to a Kakao user.
    #[method(name = "kakaoStatus")]
    async fn kakao_status(&self, session_token: String) -> RpcResult<KakaoLinkStatus>;
}
