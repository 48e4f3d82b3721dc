//! The KakaoTalk channel bot on a node (flow 8): the skill webhook's logic, the bot's
//! data ([`data::NodeBotData`]), and linking Kakao users to accounts ([`link`]).
//!
//! - **Webhook.** `POST /kakao/skill/{secret}` (routed by the RPC server) lands in
//!   [`Kakao::handle_skill`]: a wrong secret is 404 (checked before the body is read),
//!   a body over [`MAX_BODY_BYTES`] 413, a body that is not a skill payload 400 (with a
//!   Kakao-format bubble), a bot id not on the allowlist 403; otherwise the bot answers
//!   on a blocking thread. An answer not ready within the budget goes out in callback
//!   mode when the block allows it (`useCallback` at once, the answer POSTed to the
//!   payload's callback URL, which must be on the allowlist of hosts); otherwise the
//!   user gets a "try again" bubble before Kakao's 5-second timeout. Never a 5xx.
//! - **Linking.** A logged-in member asks for a one-time 6-digit code
//!   ([`Kakao::issue_link_code`], `account_kakaoLinkCode`), valid a few minutes, and
//!   sends it to the channel; the bot binds the Kakao user key to the account. Codes and
//!   user keys are stored as keyed MACs only. Either side unlinks (`account_kakaoUnlink`,
//!   "연동 해제"); withdrawal drops the binding.

pub mod data;
pub mod link;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use truffle_clock::SharedClock;

use rand::Rng;
use serde::Serialize;
use tokio::sync::Semaphore;
use truffle_kakao::{
    callback_body, parse_payload, BotConfig, CallbackResult, CallbackStatus, KakaoUserKey,
    SkillBot, SkillResponse, UserKeyKind,
};
use truffle_ledger::Hash;

pub use link::{KakaoCommand, KakaoReply};
pub use truffle_kakao::MAX_BODY_BYTES;
pub use truffle_wire::kakao::{KakaoLinkStatus, LinkCodeIssued};

use crate::config::NodeConfig;
use crate::node::Node;
use crate::services::members::MemberError;
use crate::NodeError;

/// How long a request may take before the user gets a "try again" bubble (Kakao waits
/// 5 s for the whole round trip).
pub const HARD_ANSWER_LIMIT: Duration = Duration::from_millis(4_300);
/// Most answers computed at once; beyond it, users get a "busy" bubble.
pub const MAX_CONCURRENT_ANSWERS: usize = 32;
/// Most callback answers in flight at once.
pub const MAX_PENDING_CALLBACKS: usize = 64;
/// How long a callback POST may take.
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest accepted webhook secret.
pub const MIN_SECRET_CHARS: usize = 16;

/// Why a Kakao request of a member failed. Each maps to a stable JSON-RPC code.
#[derive(Debug, thiserror::Error)]
pub enum KakaoError {
    /// The session is not valid (or another member error).
    #[error(transparent)]
    Member(#[from] MemberError),
    /// Too many link codes: wait (code 6001).
    #[error("too many link codes; retry in {retry_after_secs} s")]
    CodeThrottled {
        /// Seconds to wait.
        retry_after_secs: u64,
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

impl From<NodeError> for KakaoError {
    fn from(error: NodeError) -> Self {
        match error {
            crate::NodeError::Engine(error) => KakaoError::Engine(error),
            other => KakaoError::Unavailable(other.to_string()),
        }
    }
}

/// The webhook's HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookReply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
}

impl WebhookReply {
    fn json(status: u16, value: &impl Serialize) -> Self {
        WebhookReply {
            status,
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    fn answer(response: &SkillResponse) -> Self {
        let mut response = response.clone();
        response.fit_limits();
        Self::json(200, &response)
    }

    fn error(status: u16, message: &str) -> Self {
        Self::json(status, &serde_json::json!({ "error": message }))
    }
}

/// The Kakao side of a node: webhook settings, MAC domains, callback client.
pub struct Kakao {
    secret_hash: Option<Hash>,
    bot_ids: BTreeSet<String>,
    bot_config: RwLock<BotConfig>,
    /// The site URL was configured (`kakao_site_url`, or the market's `public_url`), so
    /// the RPC address does not replace it.
    site_configured: bool,
    callback_hosts: BTreeSet<String>,
    answer_budget: Duration,
    code_ttl_ms: u64,
    answers: Arc<Semaphore>,
    callbacks: Arc<Semaphore>,
    http: OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for Kakao {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kakao")
            .field("enabled", &self.secret_hash.is_some())
            .field("bot_ids", &self.bot_ids)
            .field("site", &self.site_url())
            .finish_non_exhaustive()
    }
}

impl Kakao {
    /// Reads the webhook settings of `config` (the secret from its file).
    pub fn new(config: &NodeConfig) -> Result<Kakao, NodeError> {
        let secret_hash = match &config.kakao_secret_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    NodeError::Config(format!(
                        "cannot read the Kakao secret file {}: {e}",
                        path.display()
                    ))
                })?;
                let secret = text.trim();
                if secret.chars().count() < MIN_SECRET_CHARS
                    || !secret
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(NodeError::Config(format!(
                        "the Kakao secret in {} must be at least {MIN_SECRET_CHARS} characters of A-Z, a-z, 0-9, - and _",
                        path.display()
                    )));
                }
                Some(Hash::tagged(
                    b"truffle/v1/kakao-secret",
                    &[secret.as_bytes()],
                ))
            }
            None => None,
        };
        // Where the bot's links point: the configured site, else the node's public URL,
        // else its RPC address (made exact by `set_listen_address` once bound).
        let configured = config
            .kakao_site_url
            .clone()
            .or_else(|| config.market.public_url.clone());
        let site = configured
            .clone()
            .unwrap_or_else(|| format!("http://{}", loopback_if_unspecified(config.rpc_listen)));
        let bot_config = BotConfig::new(&site).map_err(|e| NodeError::Config(e.to_string()))?;
        let bot_ids: BTreeSet<String> = config
            .kakao_bot_ids
            .iter()
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty())
            .collect();
        if secret_hash.is_some() && bot_ids.is_empty() {
            tracing::warn!(target: "kakao", "the Kakao webhook has no allowed bot id (--kakao.bot-id): every request will be refused");
        }
        Ok(Kakao {
            secret_hash,
            bot_ids,
            bot_config: RwLock::new(bot_config),
            site_configured: configured.is_some(),
            callback_hosts: config
                .kakao_callback_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            answer_budget: Duration::from_millis(config.kakao_answer_budget_ms),
            code_ttl_ms: config.kakao_link_code_ttl_secs.max(1) * 1000,
            answers: Arc::new(Semaphore::new(MAX_CONCURRENT_ANSWERS)),
            callbacks: Arc::new(Semaphore::new(MAX_PENDING_CALLBACKS)),
            http: OnceLock::new(),
        })
    }

    /// The site the bot's links point to.
    pub fn site_url(&self) -> String {
        self.bot_config
            .read()
            .expect("lock poisoned")
            .site_url
            .clone()
    }

    /// Tells the bot where the RPC server (and so the pages) listens: unless a site URL
    /// is configured, its links point to `http://<address>` (127.0.0.1 for an
    /// unspecified address), the port the OS chose included.
    pub fn set_listen_address(&self, address: SocketAddr) {
        if self.site_configured {
            return;
        }
        let site = format!("http://{}", loopback_if_unspecified(address));
        match BotConfig::new(&site) {
            Ok(config) => *self.bot_config.write().expect("lock poisoned") = config,
            Err(error) => tracing::warn!(target: "kakao", %error, "cannot link to the RPC address"),
        }
    }

    /// Whether the webhook is configured (a secret is set).
    pub fn enabled(&self) -> bool {
        self.secret_hash.is_some()
    }

    /// Whether `candidate` is the webhook's secret path segment (compared as hashes, so
    /// the time taken says nothing about the secret).
    pub fn secret_matches(&self, candidate: &str) -> bool {
        match &self.secret_hash {
            Some(expected) => {
                let given = Hash::tagged(b"truffle/v1/kakao-secret", &[candidate.as_bytes()]);
                let mut diff = 0u8;
                for (a, b) in expected.0.iter().zip(given.0.iter()) {
                    diff |= a ^ b;
                }
                diff == 0
            }
            None => false,
        }
    }

    pub(crate) async fn propose(
        &self,
        node: &Node,
        command: KakaoCommand,
    ) -> Result<KakaoReply, KakaoError> {
        let bytes = encode_command(&command);
        let reply = node.propose_service(bytes).await?;
        borsh::from_slice(&reply)
            .map_err(|e| KakaoError::Unavailable(format!("bad Kakao reply: {e}")))
    }

    /// Issues a one-time link code for the logged-in member.
    pub async fn issue_link_code(
        &self,
        node: &Node,
        session_token: &str,
    ) -> Result<LinkCodeIssued, KakaoError> {
        let member = node.members().session(node, session_token).await?;
        for _ in 0..5 {
            let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
            let now = node.now_ms();
            let expires_at_ms = now + self.code_ttl_ms;
            match self
                .propose(
                    node,
                    KakaoCommand::IssueCode {
                        account: member.account,
                        code_mac: node.kakao_code_mac(&code),
                        now_ms: now,
                        expires_at_ms,
                    },
                )
                .await?
            {
                KakaoReply::CodeIssued => {
                    return Ok(LinkCodeIssued {
                        code,
                        expires_at_ms,
                        expires_in_secs: self.code_ttl_ms / 1000,
                    })
                }
                KakaoReply::CodeCollision => continue,
                KakaoReply::Throttled { retry_after_ms } => {
                    return Err(KakaoError::CodeThrottled {
                        retry_after_secs: retry_after_ms.div_ceil(1000),
                    })
                }
                KakaoReply::UnknownMember => return Err(MemberError::SessionInvalid.into()),
                other => {
                    return Err(KakaoError::Unavailable(format!(
                        "unexpected reply {other:?}"
                    )))
                }
            }
        }
        Err(KakaoError::Unavailable(
            "could not draw a free link code; retry".into(),
        ))
    }

    /// Removes the logged-in member's Kakao link; `true` if there was one.
    pub async fn unlink(&self, node: &Node, session_token: &str) -> Result<bool, KakaoError> {
        let member = node.members().session(node, session_token).await?;
        Ok(matches!(
            self.propose(
                node,
                KakaoCommand::Unlink {
                    user_mac: None,
                    account: Some(member.account),
                },
            )
            .await?,
            KakaoReply::Unlinked { .. }
        ))
    }

    /// Whether the logged-in member's account is linked to a Kakao user.
    pub async fn status(
        &self,
        node: &Node,
        session_token: &str,
    ) -> Result<KakaoLinkStatus, KakaoError> {
        let member = node.members().session(node, session_token).await?;
        let o = crate::chat::overlay::Overlay::new(node.store());
        let binding = match o
            .get::<Hash>(&link::account_key(&member.account))
            .map_err(KakaoError::Service)?
        {
            Some(user_mac) => o
                .get::<link::Binding>(&link::user_key(&user_mac))
                .map_err(KakaoError::Service)?,
            None => None,
        };
        Ok(KakaoLinkStatus {
            linked: binding.is_some(),
            linked_since_ms: binding.map(|b| b.since_ms),
        })
    }

    /// Whether `url` is one the webhook may POST a callback answer to: http(s) to an
    /// allowed host, plain http only to a loopback host, no user info.
    pub fn callback_allowed(&self, url: &str) -> bool {
        let (scheme, rest) = match url.split_once("://") {
            Some(parts) => parts,
            None => return false,
        };
        let authority = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if authority.is_empty() || authority.contains('@') {
            return false;
        }
        let host = match authority.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_owned(),
            _ => authority.clone(),
        };
        let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
        let scheme_ok = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => loopback,
            _ => false,
        };
        scheme_ok
            && self.callback_hosts.iter().any(|allowed| {
                *allowed == authority || (!allowed.contains(':') && *allowed == host)
            })
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(CALLBACK_TIMEOUT)
                .build()
                .unwrap_or_else(|_| reqwest::Client::new())
        })
    }

    /// Answers a skill request whose secret matched. Never fails: every outcome is an
    /// HTTP status with a JSON body.
    pub async fn handle_skill(&self, node: &Node, body: &[u8]) -> WebhookReply {
        // The monotonic moment the request came in, by the node's clock.
        let clock = node.clock().clone();
        let received = clock.monotonic_ms();
        let payload = match parse_payload(body) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::debug!(target: "kakao", %error, "unreadable skill request");
                return WebhookReply::json(error.http_status(), &error.to_response());
            }
        };
        if !self.bot_ids.contains(payload.bot.id.trim()) {
            tracing::info!(target: "kakao", "skill request from a bot id not allowed");
            return WebhookReply::error(403, "bot not allowed");
        }
        let Ok(permit) = self.answers.clone().try_acquire_owned() else {
            return WebhookReply::answer(&busy());
        };
        let bot = Arc::new(self.bot(node));
        let command = bot.command(&payload);
        tracing::debug!(target: "kakao", command = command_name(&command), "skill request");
        let callback_url = payload
            .callback_url()
            .filter(|_| bot.needs_callback(&payload))
            .filter(|url| self.callback_allowed(url))
            .map(str::to_owned);
        let mut task = {
            let bot = bot.clone();
            let payload = payload.clone();
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                bot.answer(&payload)
            })
        };
        if let Some(url) = callback_url {
            // A zero budget means: always answer in callback mode when the block allows.
            let within_budget = if self.answer_budget.is_zero() {
                None
            } else {
                tokio::time::timeout(self.answer_budget, &mut task)
                    .await
                    .ok()
            };
            match within_budget {
                Some(Ok(answer)) => return WebhookReply::answer(&answer),
                Some(Err(error)) => {
                    tracing::warn!(target: "kakao", %error, "the bot failed");
                    return WebhookReply::answer(&apology());
                }
                None => {
                    if let Ok(slot) = self.callbacks.clone().try_acquire_owned() {
                        let client = self.http().clone();
                        tokio::spawn(async move {
                            let _slot = slot;
                            deliver_callback(client, task, url, clock, received).await;
                        });
                        return WebhookReply::answer(&bot.callback_ack(&payload));
                    }
                }
            }
        }
        let left = HARD_ANSWER_LIMIT.saturating_sub(since(&clock, received));
        match tokio::time::timeout(left, &mut task).await {
            Ok(Ok(answer)) => WebhookReply::answer(&answer),
            Ok(Err(error)) => {
                tracing::warn!(target: "kakao", %error, "the bot failed");
                WebhookReply::answer(&apology())
            }
            Err(_) => {
                tracing::warn!(target: "kakao", "answer not ready in time; the user is asked to retry");
                WebhookReply::answer(&slow())
            }
        }
    }

    fn bot(&self, node: &Node) -> SkillBot<data::NodeBotData> {
        let config = self.bot_config.read().expect("lock poisoned").clone();
        let data = data::NodeBotData::new(
            node.clone(),
            tokio::runtime::Handle::current(),
            &config.site_url,
        );
        SkillBot::new(data, config).expect("the bot config was checked")
    }
}

/// `address` with 127.0.0.1 for an unspecified IP (a node listening on 0.0.0.0 is
/// reached on loopback from its own machine; a public site URL is configured).
fn loopback_if_unspecified(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    }
}

fn command_name(command: &truffle_kakao::Command) -> &'static str {
    use truffle_kakao::Command as C;
    match command {
        C::Search { .. } => "search",
        C::Raffles => "raffles",
        C::RaffleDetail { .. } => "raffle_detail",
        C::MyEntries => "my_entries",
        C::MyOrders => "my_orders",
        C::Verify { .. } => "verify",
        C::Link { .. } => "link",
        C::Unlink => "unlink",
        C::Help => "help",
        C::Fallback { .. } => "fallback",
    }
}

fn apology() -> SkillResponse {
    SkillResponse::text("지금은 정보를 불러올 수 없어요. 잠시 후 다시 시도해 주세요.")
}

fn slow() -> SkillResponse {
    SkillResponse::text("답변을 준비하는 데 시간이 걸리고 있어요. 잠시 후 다시 물어봐 주세요.")
}

fn busy() -> SkillResponse {
    SkillResponse::text("지금은 문의가 많아요. 잠시 후 다시 시도해 주세요.")
}

/// Waits for the answer and POSTs it to the callback URL (usable once, within a
/// minute). Failures are logged with Kakao's status and message, never the URL (its
/// path is a token).
async fn deliver_callback(
    client: reqwest::Client,
    task: tokio::task::JoinHandle<SkillResponse>,
    url: String,
    clock: SharedClock,
    received: u64,
) {
    let valid = Duration::from_millis(truffle_kakao::limits::CALLBACK_URL_VALID_MS);
    let answer = match tokio::time::timeout(valid.saturating_sub(since(&clock, received)), task)
        .await
    {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => apology(),
        Err(_) => {
            tracing::warn!(target: "kakao", "callback answer not ready within the callback URL's minute");
            return;
        }
    };
    let body = callback_body(&answer);
    for attempt in 0..2 {
        if since(&clock, received) >= valid {
            tracing::warn!(target: "kakao", "callback URL expired before delivery");
            return;
        }
        match client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await
        {
            Ok(response) => {
                let status = response.status().as_u16();
                let bytes = response.bytes().await.unwrap_or_default();
                match CallbackResult::parse(&bytes) {
                    Ok(result) if result.status == CallbackStatus::Success => {
                        tracing::debug!(target: "kakao", task_id = %result.task_id, "callback delivered")
                    }
                    Ok(result) => tracing::warn!(
                        target: "kakao",
                        http_status = status,
                        status = ?result.status,
                        task_id = %result.task_id,
                        message = %truffle_kakao::text::truncate_chars(&result.message, 200),
                        "callback refused"
                    ),
                    Err(_) if (200..300).contains(&status) => {
                        tracing::debug!(target: "kakao", http_status = status, "callback delivered (no result body)")
                    }
                    Err(_) => {
                        tracing::warn!(target: "kakao", http_status = status, "callback refused")
                    }
                }
                return;
            }
            Err(error) => {
                let retry = attempt == 0 && error.is_connect();
                tracing::warn!(target: "kakao", error = %error.without_url(), retry, "callback POST failed");
                if !retry {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    }
}

/// On the leader, every chat prune interval: deletes expired link codes and ended
/// windows when there are any.
pub(crate) async fn sweep_loop(node: Node) {
    let interval = Duration::from_secs(node.config().chat_prune_interval_secs.max(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = node.stopping() => return,
        }
        if node.is_leader() {
            sweep_if_due(&node, node.now_ms()).await;
        }
    }
}

/// On the leader: deletes expired link codes and ended windows when there are any.
async fn sweep_if_due(node: &Node, now: u64) {
    if !link::sweep_due(node.store(), now) {
        return;
    }
    match node
        .kakao()
        .propose(node, KakaoCommand::Sweep { now_ms: now })
        .await
    {
        Ok(KakaoReply::Swept { keys }) => {
            tracing::debug!(target: "kakao", keys, "swept expired link codes")
        }
        Ok(other) => tracing::warn!(target: "kakao", ?other, "unexpected sweep reply"),
        Err(error) => tracing::warn!(target: "kakao", %error, "sweep failed"),
    }
}

impl Node {
    /// The Kakao side of this node.
    pub fn kakao(&self) -> &Kakao {
        &self.inner.kakao
    }

    /// The keyed MAC a link code is stored under.
    pub(crate) fn kakao_code_mac(&self, code: &str) -> Hash {
        self.members()
            .vault()
            .mac("kakao-link-code", code.trim().as_bytes())
    }

    /// The keyed MAC a Kakao user key is stored under (kinds are separate namespaces).
    pub(crate) fn kakao_user_mac(&self, user: &KakaoUserKey) -> Hash {
        let kind = match user.kind {
            UserKeyKind::BotUserKey => "botUserKey",
            UserKeyKind::PlusfriendUserKey => "plusfriendUserKey",
        };
        self.members()
            .vault()
            .mac("kakao-user", format!("{kind}:{}", user.value).as_bytes())
    }
}

/// Time since the monotonic reading `at` of `clock`.
fn since(clock: &SharedClock, at: u64) -> Duration {
    Duration::from_millis(clock.monotonic_ms().saturating_sub(at))
}

/// The Kakao link's tag among the replicated service commands (after members' 0–9; it was
/// the variant index when one enum held every command, so old log entries still apply).
pub const SERVICE_TAG: u8 = 10;

/// A Kakao link command as the service router takes it: the tag, then the command.
pub(crate) fn encode_command(command: &KakaoCommand) -> Vec<u8> {
    truffle_engine::encode_tagged(SERVICE_TAG, command)
}

/// The Kakao link's replicated service commands.
pub struct CommandApplier;

impl truffle_engine::TaggedService for CommandApplier {
    const TAG: u8 = SERVICE_TAG;
    type Command = KakaoCommand;

    fn apply_command(
        &self,
        store: &truffle_store::Store,
        command: KakaoCommand,
    ) -> std::result::Result<truffle_consensus::ServiceOutcome, truffle_consensus::ServiceError>
    {
        link::apply(store, command)
    }
}

/// Erases a withdrawing member's Kakao link data in the same step as the member.
pub(crate) use link::forget_member;

#[cfg(test)]
mod tests {
    use super::*;

    fn kakao(secret: Option<&str>, hosts: &[&str]) -> Kakao {
        let dir = tempfile::tempdir().unwrap();
        let mut config = NodeConfig {
            kakao_site_url: Some("https://truffle.example".into()),
            kakao_bot_ids: vec!["bot-1".into()],
            kakao_callback_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            ..NodeConfig::default()
        };
        if let Some(secret) = secret {
            let path = dir.path().join("secret");
            std::fs::write(&path, format!("{secret}\n")).unwrap();
            config.kakao_secret_file = Some(path);
        }
        Kakao::new(&config).unwrap()
    }

    #[test]
    fn secrets_match_exactly_and_are_checked_at_start() {
        let k = kakao(Some("s3cret-path-segment-0001"), &[]);
        assert!(k.enabled());
        assert!(k.secret_matches("s3cret-path-segment-0001"));
        assert!(!k.secret_matches("s3cret-path-segment-000"));
        assert!(!k.secret_matches(""));
        let off = kakao(None, &[]);
        assert!(!off.enabled());
        assert!(!off.secret_matches(""));
        for bad in ["short", "has space in the secret!!"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("secret");
            std::fs::write(&path, bad).unwrap();
            let config = NodeConfig {
                kakao_secret_file: Some(path),
                ..NodeConfig::default()
            };
            assert!(Kakao::new(&config).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_point_to_the_configured_site_else_the_bound_address() {
        let k = kakao(None, &[]);
        k.set_listen_address("127.0.0.1:45678".parse().unwrap());
        assert_eq!(k.site_url(), "https://truffle.example", "configured: kept");
        let mut config = NodeConfig {
            rpc_listen: "0.0.0.0:0".parse().unwrap(),
            ..NodeConfig::default()
        };
        let k = Kakao::new(&config).unwrap();
        assert_eq!(k.site_url(), "http://127.0.0.1:0");
        k.set_listen_address("0.0.0.0:45678".parse().unwrap());
        assert_eq!(k.site_url(), "http://127.0.0.1:45678");
        config.market.public_url = Some("https://shop.example/".into());
        let k = Kakao::new(&config).unwrap();
        k.set_listen_address("127.0.0.1:45678".parse().unwrap());
        assert_eq!(
            k.site_url(),
            "https://shop.example",
            "the node's public URL"
        );
    }

    #[test]
    fn callbacks_go_only_to_allowed_hosts() {
        let k = kakao(None, &["bot-api.kakao.com", "127.0.0.1:8080"]);
        assert!(k.callback_allowed("https://bot-api.kakao.com/v1/callback/abc"));
        assert!(k.callback_allowed("https://BOT-API.kakao.com:443/v1/callback/abc"));
        assert!(k.callback_allowed("http://127.0.0.1:8080/cb"));
        assert!(
            !k.callback_allowed("http://bot-api.kakao.com/v1/callback/abc"),
            "TLS"
        );
        assert!(
            !k.callback_allowed("http://127.0.0.1:8081/cb"),
            "another port"
        );
        assert!(!k.callback_allowed("https://evil.example/v1/callback/abc"));
        assert!(!k.callback_allowed("https://bot-api.kakao.com@evil.example/x"));
        assert!(!k.callback_allowed("https://bot-api.kakao.com.evil.example/x"));
        assert!(!k.callback_allowed("ftp://bot-api.kakao.com/x"));
        assert!(!k.callback_allowed("bot-api.kakao.com/x"));
    }
}
