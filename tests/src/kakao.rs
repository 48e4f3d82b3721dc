//! Kakao for process tests: skill payloads as Kakao i Open Builder sends them, a client
//! of the node's webhook that checks every answer with `truffle_kakao::validate_response`
//! (written from Kakao's documentation, independent of the bot), and a fake Kakao
//! callback endpoint.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The bot id of the fixtures (allowed on the test nodes).
pub const BOT_ID: &str = "65f1bf90e4b0d3a1c2b4e5ff";
/// The webhook secret of the test nodes.
pub const SECRET: &str = "test-kakao-secret-5f0c9a7e31d2";

/// The fixtures of the `truffle-kakao` crate.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../kakao/tests/fixtures")
}

/// A fixture's bytes.
pub fn fixture(name: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(fixtures_dir().join(name)).with_context(|| format!("fixture {name}"))
}

/// A payload for `utterance` typed by `user` (a botUserKey) in the KakaoTalk channel.
pub fn payload(utterance: &str, user: &str) -> Value {
    json!({
        "intent": {"id": "65f1c0a2e4b0d3a1c2b4e6aa", "name": "폴백 블록"},
        "userRequest": {
            "timezone": "Asia/Seoul",
            "params": {"surface": "Kakaotalk.plusfriend"},
            "block": {"id": "65f1c0a2e4b0d3a1c2b4e6aa", "name": "폴백 블록"},
            "utterance": utterance,
            "lang": "ko",
            "user": {
                "id": user,
                "type": "botUserKey",
                "properties": {"botUserKey": user, "plusfriendUserKey": "Qx7pLm2Kv9Tz", "isFriend": true}
            }
        },
        "bot": {"id": BOT_ID, "name": "트러플"},
        "action": {
            "id": "65f1c1d3e4b0d3a1c2b4e610",
            "name": "truffle-skill",
            "params": {},
            "detailParams": {},
            "clientExtra": {}
        },
        "contexts": [],
        "flow": {"trigger": {"type": "TEXT_INPUT"}}
    })
}

/// The same, as a press of a button or quick reply that carried `extra`.
pub fn button(label: &str, user: &str, extra: Value) -> Value {
    let mut p = payload(label, user);
    p["action"]["clientExtra"] = extra;
    p["flow"] = json!({
        "lastBlock": {"id": "65f1c0a2e4b0d3a1c2b4e6aa", "name": "폴백 블록"},
        "trigger": {"type": "QUICKREPLY_BUTTON_MESSAGE"}
    });
    p
}

/// A request from the admin center's 봇 테스트 console (few properties, no callback).
pub fn test_console(utterance: &str, user: &str) -> Value {
    json!({
        "bot": {"id": BOT_ID, "name": "트러플"},
        "intent": {"id": "65f1c0a2e4b0d3a1c2b4e641", "name": "내 주문"},
        "action": {"id": "65f1c1d3e4b0d3a1c2b4e610", "name": "truffle-skill", "params": {}, "detailParams": {}},
        "userRequest": {
            "block": {"id": "65f1c0a2e4b0d3a1c2b4e641", "name": "내 주문"},
            "user": {"id": user, "type": "botUserKey", "properties": {}},
            "utterance": utterance,
            "params": {"surface": "BuilderBotTest", "ignoreMe": "true"},
            "lang": "ko",
            "timezone": "Asia/Seoul"
        }
    })
}

/// Checks `answer` against Kakao's documented limits; panics with the violations.
pub fn assert_valid(what: &str, answer: &Value) {
    if let Err(violations) = truffle_kakao::validate_response(answer) {
        panic!(
            "{what}: the answer breaks Kakao's limits:\n{}\n{}",
            violations
                .iter()
                .map(|v| format!("  {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            serde_json::to_string_pretty(answer).unwrap_or_default()
        );
    }
}

/// A client of a node's skill webhook.
#[derive(Clone)]
pub struct Skill {
    base: String,
    http: reqwest::Client,
}

impl Skill {
    /// The webhook of the node whose RPC URL is `rpc_url`.
    pub fn new(rpc_url: &str) -> Skill {
        Skill {
            base: rpc_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a client"),
        }
    }

    /// POSTs `body` to `/kakao/skill/{secret}`; returns the status and the body.
    pub async fn post_raw(&self, secret: &str, body: Vec<u8>) -> anyhow::Result<(u16, Vec<u8>)> {
        let response = self
            .http
            .post(format!("{}/kakao/skill/{secret}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .context("POST to the skill webhook")?;
        let status = response.status().as_u16();
        Ok((status, response.bytes().await?.to_vec()))
    }

    /// POSTs `payload` with the right secret; the answer must be 200 and valid, and
    /// come within Kakao's 5-second budget.
    pub async fn ask(&self, what: &str, payload: &Value) -> anyhow::Result<Value> {
        self.ask_bytes(what, serde_json::to_vec(payload)?).await
    }

    /// Like [`Skill::ask`] for raw bytes (fixtures).
    pub async fn ask_bytes(&self, what: &str, body: Vec<u8>) -> anyhow::Result<Value> {
        let started = std::time::Instant::now();
        let (status, body) = self.post_raw(SECRET, body).await?;
        let took = started.elapsed();
        if status != 200 {
            bail!(
                "{what}: status {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        if took > Duration::from_secs(5) {
            bail!("{what}: answered in {took:?}, over Kakao's 5 s");
        }
        let answer: Value = serde_json::from_slice(&body)
            .with_context(|| format!("{what}: the answer is not JSON"))?;
        assert_valid(what, &answer);
        Ok(answer)
    }
}

/// Every text of an answer, for "contains" checks.
pub fn text_of(answer: &Value) -> String {
    answer.to_string()
}

/// A fake Kakao callback endpoint: `POST /v1/callback/{token}` records the body and
/// answers like Kakao does.
#[derive(Clone, Default)]
pub struct FakeKakao {
    received: Arc<Mutex<Vec<(String, Value)>>>,
}

impl FakeKakao {
    /// Serves on an OS-chosen port of 127.0.0.1.
    pub async fn start(self) -> anyhow::Result<SocketAddr> {
        async fn callback(
            State(kakao): State<FakeKakao>,
            Path(token): Path<String>,
            Json(body): Json<Value>,
        ) -> Json<Value> {
            kakao.received.lock().unwrap().push((token, body));
            Json(
                json!({"taskId": "task-1", "status": "SUCCESS", "message": "", "timestamp": 1_700_000_000}),
            )
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let app = Router::new()
            .route("/v1/callback/{token}", post(callback))
            .with_state(self);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(address)
    }

    /// Waits (up to `timeout`) for a callback with `token`; returns its body.
    pub async fn wait_for(&self, token: &str, timeout: Duration) -> anyhow::Result<Value> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some((_, body)) = self
                .received
                .lock()
                .unwrap()
                .iter()
                .find(|(t, _)| t == token)
            {
                return Ok(body.clone());
            }
            if std::time::Instant::now() > deadline {
                bail!("no callback with token {token} within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How many callbacks arrived.
    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}
