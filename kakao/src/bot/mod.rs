//! The bot: turns a skill payload into an answer, always one Kakao will accept.
//!
//! This file routes a command to its answer and holds what every answer shares (the
//! menu, prompts, error bubbles) and callback mode; the answers themselves are by
//! subject: `catalog` (search, raffles), `member` (entries, orders, account linking),
//! `verify` (authenticity of a serial).

use serde_json::{json, Value};
use thiserror::Error;

use crate::data::*;
use crate::error::SkillError;
use crate::intent::{actions, looks_like_serial, route, Command};
use crate::limits::*;
use crate::links::SiteLinks;
use crate::request::SkillPayload;
use crate::response::*;
use crate::text::{format_kst, is_http_url, truncate_chars};

mod catalog;
mod member;
mod verify;

/// Where the bot's links point. Every URL must be absolute http(s): Kakao refuses a
/// response with any other link, and the user would then get no answer at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotConfig {
    /// The Truffle site.
    pub site_url: String,
    /// Where a member gets a one-time link code.
    pub link_page_url: String,
    /// All open raffles.
    pub raffles_page_url: String,
    /// The member's entries.
    pub entries_page_url: String,
    /// The member's orders and payments.
    pub orders_page_url: String,
    /// Image for cards whose subject has none (Kakao requires a thumbnail on basic and
    /// commerce cards).
    pub placeholder_image_url: String,
    /// Products shown per search (at most [`CAROUSEL_ITEMS_MAX`]).
    pub search_limit: usize,
}

/// A [`BotConfig`] with a URL that is not absolute http(s).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("bot config: {field} is not an http(s) URL: {value:?}")]
pub struct ConfigError {
    /// The field.
    pub field: &'static str,
    /// Its value.
    pub value: String,
}

impl BotConfig {
    /// The usual pages under `site_url` (see [`SiteLinks`]: `/account/kakao`, `/raffles`,
    /// `/account/raffles`, `/account/orders`, `/assets/kakao-card.png`).
    pub fn new(site_url: &str) -> Result<Self, ConfigError> {
        let links = SiteLinks::new(site_url);
        let config = BotConfig {
            site_url: links.base().to_owned(),
            link_page_url: links.link_page(),
            raffles_page_url: links.raffles(),
            entries_page_url: links.entries(),
            orders_page_url: links.orders(),
            placeholder_image_url: links.card_image(),
            search_limit: CAROUSEL_ITEMS_MAX,
        };
        config.check()?;
        Ok(config)
    }

    /// The site's addresses under `site_url`.
    pub fn links(&self) -> SiteLinks {
        SiteLinks::new(&self.site_url)
    }

    /// Checks every URL.
    pub fn check(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("site_url", &self.site_url),
            ("link_page_url", &self.link_page_url),
            ("raffles_page_url", &self.raffles_page_url),
            ("entries_page_url", &self.entries_page_url),
            ("orders_page_url", &self.orders_page_url),
            ("placeholder_image_url", &self.placeholder_image_url),
        ] {
            if !is_http_url(value) {
                return Err(ConfigError {
                    field,
                    value: value.clone(),
                });
            }
        }
        Ok(())
    }
}

/// The Truffle KakaoTalk bot over a data source `D`.
#[derive(Clone, Debug)]
pub struct SkillBot<D: BotData> {
    data: D,
    config: BotConfig,
}

impl<D: BotData> SkillBot<D> {
    /// A bot answering from `data`, linking to the pages of `config`.
    pub fn new(data: D, config: BotConfig) -> Result<Self, ConfigError> {
        config.check()?;
        Ok(SkillBot { data, config })
    }

    /// The data source.
    pub fn data(&self) -> &D {
        &self.data
    }

    /// The configuration.
    pub fn config(&self) -> &BotConfig {
        &self.config
    }

    /// Answers a payload. Always returns a response within Kakao's limits: data errors
    /// become an apology bubble, and everything is cut to size.
    pub fn answer(&self, payload: &SkillPayload) -> SkillResponse {
        let command = route(payload);
        let mut response = match self.respond(&command, payload) {
            Ok(r) => r,
            Err(e) => self.data_error(&e),
        };
        response.fit_limits();
        response
    }

    /// Answers a raw request body: at most [`MAX_BODY_BYTES`], a JSON object. Bodies that
    /// are too large, not JSON, or cut short are typed errors the HTTP layer answers with
    /// [`SkillError::http_status`] or [`SkillError::to_response`].
    pub fn answer_json(&self, body: &[u8]) -> Result<SkillResponse, SkillError> {
        let payload = crate::error::parse_payload(body)?;
        Ok(self.answer(&payload))
    }

    /// What `payload` asks for (exposed for logs and for choosing callback mode).
    pub fn command(&self, payload: &SkillPayload) -> Command {
        route(payload)
    }

    fn respond(
        &self,
        command: &Command,
        payload: &SkillPayload,
    ) -> Result<SkillResponse, DataError> {
        let user = payload.user_key();
        Ok(match command {
            Command::Search { query } => self.search(query)?,
            Command::Raffles => self.raffles()?,
            Command::RaffleDetail { raffle_id } => self.raffle_detail(*raffle_id)?,
            Command::MyEntries => match user {
                Some(key) => self.my_entries(&key)?,
                None => self.no_user(),
            },
            Command::MyOrders => match user {
                Some(key) => self.my_orders(&key)?,
                None => self.no_user(),
            },
            Command::Verify { serial } => self.verify(serial.as_deref())?,
            Command::Link { code } => match user {
                Some(key) => self.link(&key, code.as_deref())?,
                None => self.no_user(),
            },
            Command::Unlink => match user {
                Some(key) => self.unlink(&key)?,
                None => self.no_user(),
            },
            Command::Help => self.help(),
            Command::Fallback { utterance } => self.fallback(utterance),
        })
    }

    // ---- pieces -----------------------------------------------------------------

    fn image_or_placeholder(&self, url: Option<&str>) -> String {
        match url {
            Some(u) if is_http_url(u) => u.to_owned(),
            _ => self.config.placeholder_image_url.clone(),
        }
    }

    /// The menu under most answers. Each carries its action in `extra`, so a tap routes
    /// exactly even if the block's utterance matching would have guessed otherwise.
    fn menu(&self) -> Vec<QuickReply> {
        [
            ("상품 검색", "상품 검색", actions::SEARCH),
            ("진행중인 래플", "진행중인 래플", actions::RAFFLES),
            ("내 응모 결과", "내 응모 결과", actions::MY_ENTRIES),
            ("내 주문", "내 주문", actions::MY_ORDERS),
            ("정품 확인", "정품 확인", actions::VERIFY),
            ("계정 연동", "계정 연동", actions::LINK),
            ("도움말", "도움말", actions::HELP),
        ]
        .into_iter()
        .map(|(label, text, action)| {
            QuickReply::message(label, text).with_extra(json!({ "action": action }))
        })
        .collect()
    }

    fn text_with_menu(&self, text: impl Into<String>) -> SkillResponse {
        SkillResponse::text(text).with_quick_replies(self.menu())
    }

    fn closes_text(closes: &RaffleCloses) -> String {
        match closes {
            RaffleCloses::AtTime { unix_ms } => format_kst(*unix_ms),
            RaffleCloses::AtHeight { height } => format!("블록 #{height}"),
        }
    }

    fn data_error(&self, e: &DataError) -> SkillResponse {
        let text = match e {
            DataError::RateLimited => "요청이 너무 잦아요. 잠시 후 다시 시도해 주세요.",
            DataError::Unavailable(_) => {
                "지금은 정보를 불러올 수 없어요. 잠시 후 다시 시도해 주세요."
            }
        };
        self.text_with_menu(text)
    }

    /// For a payload that names no user: nothing personal can be shown or linked.
    fn no_user(&self) -> SkillResponse {
        self.text_with_menu(
            "사용자 정보를 확인할 수 없어요. 카카오톡 채널 채팅방에서 다시 시도해 주세요.",
        )
    }

    /// The answer to a member-only question from a user with no linked account: how to
    /// link, and nothing else.
    fn link_prompt(&self, why: &str) -> SkillResponse {
        let card = TextCard {
            title: Some("카카오톡 계정 연동이 필요해요".to_owned()),
            description: Some(format!(
                "{why}\n\n1. 아래 ‘연동 코드 받기’를 눌러 Truffle 웹(마이페이지 → 카카오톡 연동)에서 6자리 코드를 받으세요.\n2. 이 채팅방에 ‘연동 123456’처럼 코드를 보내 주세요."
            )),
            buttons: vec![Button::web_link("연동 코드 받기", &self.config.link_page_url)],
            button_layout: None,
        };
        SkillResponse::new(vec![Component::TextCard(card)]).with_quick_replies(self.menu())
    }

    // ---- help and fallback ------------------------------------------------------------

    fn help(&self) -> SkillResponse {
        self.text_with_menu(
            "Truffle 챗봇이에요. 이렇게 물어보세요.\n\
             • 상품 검색: ‘나이키 덩크 찾아줘’\n\
             • 래플: ‘진행중인 래플’, ‘이번 주 응모 뭐 있어?’\n\
             • 내 응모 결과 · 내 주문 (계정 연동 필요)\n\
             • 정품 확인: ‘정품 확인 ABC-123’\n\
             • 계정 연동: ‘연동 123456’ · 해제: ‘연동 해제’",
        )
    }

    fn fallback(&self, utterance: &str) -> SkillResponse {
        let u = utterance.trim();
        // A short unknown utterance is often a product name typed alone (after "상품
        // 검색" asked what to look for): if the catalog knows it, answer with the products.
        // A failing search here is not worth an apology; the menu still helps.
        if is_search_candidate(u) {
            let read = self.read_search(u);
            if !read.query.is_empty() {
                if let Ok(hits) = self.find_products(&read) {
                    if !hits.is_empty() {
                        return self.search_results(
                            format!("혹시 이 상품을 찾으셨나요? ‘{u}’ 검색 결과예요."),
                            &hits,
                            Some(&read.query),
                        );
                    }
                }
            }
        }
        let mut replies = Vec::new();
        if looks_like_serial(u) {
            replies.push(
                QuickReply::message("정품 확인", format!("정품 확인 {u}"))
                    .with_extra(json!({"action": actions::VERIFY, "serial": u})),
            );
        }
        if !u.is_empty() && u.chars().count() <= 20 {
            // The label keeps its quotes and "검색" whole: the utterance gets what is left
            // of the 14 characters.
            let shown = truncate_chars(u, QUICK_REPLY_LABEL_MAX - "‘’ 검색".chars().count());
            replies.push(
                QuickReply::message(format!("‘{shown}’ 검색"), format!("{u} 검색"))
                    .with_extra(json!({"action": actions::SEARCH, "query": u})),
            );
        }
        replies.extend(self.menu());
        SkillResponse::text(
            "무슨 말씀인지 잘 모르겠어요. 아래에서 골라 주시거나 ‘도움말’이라고 보내 주세요.",
        )
        .with_quick_replies(replies)
    }

    // ---- callback mode ------------------------------------------------------------------

    /// Whether to answer `payload` in callback mode: the block has it on (a callback URL
    /// came), the request is not from the test console (which cannot use callbacks), and
    /// the answer needs the data source, which may not answer within the 5-second budget.
    /// Help, the menu and prompts are answered directly.
    pub fn needs_callback(&self, payload: &SkillPayload) -> bool {
        payload.callback_url().is_some()
            && !payload.is_test_console()
            && needs_data(&route(payload))
    }

    /// The immediate `useCallback` answer for `payload`, with a waiting message that
    /// fits what was asked.
    pub fn callback_ack(&self, payload: &SkillPayload) -> SkillResponse {
        let text = match route(payload) {
            Command::Search { .. } => "상품을 찾고 있어요. 잠시만 기다려 주세요.",
            Command::Verify { .. } => "원장에서 시리얼을 확인하고 있어요. 잠시만 기다려 주세요.",
            _ => "확인하고 있어요. 잠시만 기다려 주세요.",
        };
        SkillResponse::callback_ack(text)
    }
}

/// Whether answering `command` reads the data source.
pub fn needs_data(command: &Command) -> bool {
    match command {
        Command::Search { query } => !query.trim().is_empty(),
        Command::Raffles
        | Command::RaffleDetail { .. }
        | Command::MyEntries
        | Command::MyOrders
        | Command::Unlink => true,
        Command::Verify { serial } => serial.is_some(),
        Command::Link { code } => code.is_some(),
        Command::Fallback { utterance } => is_search_candidate(utterance),
        Command::Help => false,
    }
}

/// Whether an unknown utterance is short enough to be a product name worth searching.
fn is_search_candidate(utterance: &str) -> bool {
    let u = utterance.trim();
    !u.is_empty()
        && u.chars().count() <= 30
        && u.split_whitespace().count() <= 4
        && u.chars().any(char::is_alphanumeric)
}

/// Shown to the user when the webhook could not read the request (see
/// [`SkillError::to_response`]).
pub(crate) fn request_error_response() -> SkillResponse {
    let mut r = SkillResponse::text(
        "요청을 읽지 못했어요. 잠시 후 다시 보내 주시거나 ‘도움말’이라고 보내 주세요.",
    )
    .with_quick_replies(vec![QuickReply::message("도움말", "도움말").with_extra(
        Value::Object(
            [("action".to_owned(), Value::String(actions::HELP.to_owned()))]
                .into_iter()
                .collect(),
        ),
    )]);
    r.fit_limits();
    r
}
