//! The KakaoTalk link as a member sees it (`kakao_*`).

use serde::{Deserialize, Serialize};

/// A fresh link code for the member to send to the channel.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LinkCodeIssued {
    /// Six digits; send "연동 123456" (or the digits alone) to the channel.
    pub code: String,
    /// When it stops working, ms since the epoch.
    pub expires_at_ms: u64,
    /// Seconds it stays valid.
    pub expires_in_secs: u64,
}

/// Whether a Kakao user is linked to the member's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KakaoLinkStatus {
    /// Linked.
    pub linked: bool,
    /// Since when, ms since the epoch.
    pub linked_since_ms: Option<u64>,
}
