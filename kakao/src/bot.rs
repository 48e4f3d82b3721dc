//! The bot: turns a skill payload into an answer, always one Kakao will accept.

use serde_json::{json, Value};
use thiserror::Error;

use crate::data::*;
use crate::error::SkillError;
use crate::intent::{actions, looks_like_serial, route, Command};
use crate::limits::*;
use crate::request::{KakaoUserKey, SkillPayload};
use crate::response::*;
use crate::text::{clip_chars, format_kst, format_won, is_http_url, short_hash, truncate_chars};

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
    /// The usual pages under `site_url` (`/account/kakao`, `/raffles`, `/account/raffles`,
    /// `/account/orders`, `/static/kakao-card.png`).
    pub fn new(site_url: &str) -> Result<Self, ConfigError> {
        let base = site_url.trim_end_matches('/');
        let config = BotConfig {
            site_url: base.to_owned(),
            link_page_url: format!("{base}/account/kakao"),
            raffles_page_url: format!("{base}/raffles"),
            entries_page_url: format!("{base}/account/raffles"),
            orders_page_url: format!("{base}/account/orders"),
            placeholder_image_url: format!("{base}/static/kakao-card.png"),
            search_limit: CAROUSEL_ITEMS_MAX,
        };
        config.check()?;
        Ok(config)
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

/// How many of a member's entries or orders are fetched; a list card shows 5.
const MEMBER_LIST_LIMIT: usize = 20;
/// How many open raffles are fetched: a carousel of 5 list cards of 4.
const RAFFLE_LIST_LIMIT: usize = CAROUSEL_LIST_CARDS_MAX * LIST_CARD_ITEMS_CAROUSEL_MAX;
/// Longest search query passed on; longer text is not a product name.
const QUERY_MAX_CHARS: usize = 50;
/// Longest serial accepted; anything longer is not one.
const SERIAL_MAX_CHARS: usize = 64;
/// Longest `brand/model/serial` accepted.
const QUALIFIED_SERIAL_MAX_CHARS: usize = 3 * SERIAL_MAX_CHARS;
/// Link codes are this many digits (issued by the site).
const LINK_CODE_DIGITS: usize = 6;

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
                "{why}\n\n1. Truffle 웹에 로그인해 ‘내 정보 → 카카오톡 연동’에서 6자리 코드를 받으세요.\n2. 이 채팅방에 ‘연동 123456’처럼 코드를 보내 주세요."
            )),
            buttons: vec![Button::web_link("연동 코드 받기", &self.config.link_page_url)],
            button_layout: None,
        };
        SkillResponse::new(vec![Component::TextCard(card)]).with_quick_replies(self.menu())
    }

    // ---- search -----------------------------------------------------------------

    fn search(&self, query: &str) -> Result<SkillResponse, DataError> {
        let query = clip_chars(query.trim(), QUERY_MAX_CHARS);
        if query.is_empty() {
            return Ok(SkillResponse::text(
                "어떤 상품을 찾아 드릴까요?\n예) ‘나이키 덩크 찾아줘’, ‘조던1 있어?’, ‘뉴발란스 990 검색’",
            )
            .with_quick_replies(vec![
                QuickReply::message("나이키 덩크", "나이키 덩크 찾아줘"),
                QuickReply::message("조던 1", "조던1 있어?"),
                QuickReply::message("진행중인 래플", "진행중인 래플")
                    .with_extra(json!({"action": actions::RAFFLES})),
                QuickReply::message("도움말", "도움말").with_extra(json!({"action": actions::HELP})),
            ]));
        }
        let hits = self.data.search_products(&query, self.search_limit())?;
        if hits.is_empty() {
            return Ok(self.text_with_menu(format!(
                "‘{query}’에 맞는 상품을 찾지 못했어요. 브랜드나 모델명으로 다시 검색해 보세요."
            )));
        }
        let intro = format!(
            "‘{query}’ 검색 결과 {}개예요.",
            hits.len().min(CAROUSEL_ITEMS_MAX)
        );
        Ok(self.search_results(intro, &hits))
    }

    fn search_limit(&self) -> usize {
        self.config.search_limit.clamp(1, CAROUSEL_ITEMS_MAX)
    }

    /// `intro`, then the hits as a carousel of commerce cards.
    fn search_results(&self, intro: String, hits: &[ProductHit]) -> SkillResponse {
        let cards = hits
            .iter()
            .take(CAROUSEL_ITEMS_MAX)
            .map(|h| self.product_card(h))
            .collect::<Vec<_>>();
        SkillResponse::new(vec![
            Component::simple_text(intro),
            Component::Carousel(Carousel {
                items: CarouselItems::CommerceCard(cards),
                header: None,
            }),
        ])
        .with_quick_replies(self.menu())
    }

    fn product_card(&self, hit: &ProductHit) -> CommerceCard {
        let stock = if hit.available > 0 {
            format!("재고 {}개", hit.available)
        } else {
            "품절".to_owned()
        };
        let description = match hit.name_en.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(en) => format!("{} · {stock} · {en}", hit.brand),
            None => format!("{} · {stock}", hit.brand),
        };
        let mut thumbnail = Thumbnail::new(self.image_or_placeholder(hit.image_url.as_deref()));
        thumbnail.alt_text = Some(truncate_chars(&hit.name_ko, ALT_TEXT_MAX));
        if is_http_url(&hit.page_url) {
            thumbnail.link = Some(Link::web(&hit.page_url));
        }
        CommerceCard {
            title: Some(hit.name_ko.clone()),
            description: Some(description),
            price: hit.price_krw,
            currency: Some(COMMERCE_CARD_CURRENCY.to_owned()),
            discount: None,
            discount_rate: None,
            discounted_price: None,
            thumbnails: vec![thumbnail],
            profile: None,
            buttons: vec![Button::web_link("자세히 보기", &hit.page_url)],
            button_layout: None,
        }
    }

    // ---- raffles ----------------------------------------------------------------

    fn raffle_row(raffle: &RaffleSummary) -> ListItem {
        ListItem {
            title: raffle.product_name.clone(),
            description: Some(format!(
                "마감 {} · {}명 응모",
                Self::closes_text(&raffle.closes),
                raffle.entry_count
            )),
            image_url: raffle.image_url.clone(),
            link: None,
            action: Some(ListItemAction::Message),
            block_id: None,
            message_text: Some(format!("래플 {}번 보기", raffle.raffle_id)),
            extra: Some(
                json!({"action": actions::RAFFLE_DETAIL, "raffle": raffle.raffle_id})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
        }
    }

    fn raffles(&self) -> Result<SkillResponse, DataError> {
        let raffles = self.data.open_raffles(RAFFLE_LIST_LIMIT)?;
        if raffles.is_empty() {
            return Ok(self.text_with_menu(
                "지금 진행 중인 래플이 없어요. 새 래플은 Truffle 웹의 래플 페이지에서 확인할 수 있어요.",
            ));
        }
        let all = Button::web_link("전체 래플 보기", &self.config.raffles_page_url);
        let output = if raffles.len() <= LIST_CARD_ITEMS_MAX {
            Component::ListCard(ListCard {
                header: ListItem {
                    title: format!("진행 중인 래플 {}개", raffles.len()),
                    ..ListItem::default()
                },
                items: raffles.iter().map(Self::raffle_row).collect(),
                buttons: vec![all],
                button_layout: None,
            })
        } else {
            let pages: Vec<&[RaffleSummary]> = raffles
                .chunks(LIST_CARD_ITEMS_CAROUSEL_MAX)
                .take(CAROUSEL_LIST_CARDS_MAX)
                .collect();
            let n = pages.len();
            Component::Carousel(Carousel {
                items: CarouselItems::ListCard(
                    pages
                        .iter()
                        .enumerate()
                        .map(|(i, page)| ListCard {
                            header: ListItem {
                                title: format!("진행 중인 래플 ({}/{n})", i + 1),
                                ..ListItem::default()
                            },
                            items: page.iter().map(Self::raffle_row).collect(),
                            buttons: vec![all.clone()],
                            button_layout: None,
                        })
                        .collect(),
                ),
                header: None,
            })
        };
        Ok(SkillResponse::new(vec![output]).with_quick_replies(self.menu()))
    }

    fn raffle_detail(&self, raffle_id: u64) -> Result<SkillResponse, DataError> {
        let Some(r) = self.data.raffle(raffle_id)? else {
            return Ok(self.text_with_menu(format!(
                "래플 #{raffle_id}을(를) 찾지 못했어요. 진행 중인 래플 목록에서 다시 골라 주세요."
            )));
        };
        let card = BasicCard {
            title: Some(r.product_name.clone()),
            description: Some(format!(
                "{}\n응모 가격 {} · 당첨 {}명\n마감 {}\n지금까지 {}명 응모",
                r.brand,
                format_won(r.price_krw),
                r.prizes,
                Self::closes_text(&r.closes),
                r.entry_count
            )),
            thumbnail: Thumbnail::new(self.image_or_placeholder(r.image_url.as_deref())),
            buttons: vec![
                Button::web_link("응모하러 가기", &r.page_url),
                Button::message("다른 래플 보기", "진행중인 래플")
                    .with_extra(json!({"action": actions::RAFFLES})),
            ],
            button_layout: None,
        };
        Ok(SkillResponse::new(vec![Component::BasicCard(card)]).with_quick_replies(self.menu()))
    }

    // ---- member data --------------------------------------------------------------

    fn entry_state_text(state: &EntryState) -> String {
        match state {
            EntryState::AwaitingDraw { closes } => {
                format!("추첨 대기 · 마감 {}", Self::closes_text(closes))
            }
            EntryState::Won {
                pay_by_unix_ms: Some(ms),
                ..
            } => format!("당첨! {}까지 결제해 주세요", format_kst(*ms)),
            EntryState::Won { .. } => "당첨".to_owned(),
            EntryState::RunnerUp { rank } => format!("예비 당첨 {rank}순위"),
            EntryState::NotSelected => "미당첨".to_owned(),
            EntryState::Cancelled => "응모 취소".to_owned(),
            EntryState::Void => "무효 (판매자 시드 미공개 · 결제 없음)".to_owned(),
        }
    }

    fn my_entries(&self, user: &KakaoUserKey) -> Result<SkillResponse, DataError> {
        let (member, entries) = match self.data.member_entries(user, MEMBER_LIST_LIMIT)? {
            MemberLookup::NotLinked => {
                return Ok(self.link_prompt("응모 결과는 Truffle 계정을 연동한 뒤에 볼 수 있어요."))
            }
            MemberLookup::Linked { member, data } => (member, data),
        };
        if entries.is_empty() {
            return Ok(self.text_with_menu(format!(
                "{}님, 아직 응모한 래플이 없어요. ‘진행중인 래플’에서 응모해 보세요.",
                member.display_name
            )));
        }
        let items = entries
            .iter()
            .take(LIST_CARD_ITEMS_MAX)
            .map(|e| ListItem {
                title: e.product_name.clone(),
                description: Some(Self::entry_state_text(&e.state)),
                link: e
                    .page_url
                    .as_deref()
                    .filter(|u| is_http_url(u))
                    .map(Link::web),
                ..ListItem::default()
            })
            .collect();
        let card = ListCard {
            header: ListItem {
                title: format!("{}님의 응모 결과", member.display_name),
                ..ListItem::default()
            },
            items,
            buttons: vec![Button::web_link("전체 보기", &self.config.entries_page_url)],
            button_layout: None,
        };
        Ok(SkillResponse::new(vec![Component::ListCard(card)]).with_quick_replies(self.menu()))
    }

    fn order_state_text(o: &OrderSummary) -> String {
        let amount = format_won(o.amount_krw);
        match o.state {
            OrderState::Pending => match o.pay_by_unix_ms {
                Some(ms) => format!("{amount} · 결제 대기 ({}까지)", format_kst(ms)),
                None => format!("{amount} · 결제 대기"),
            },
            OrderState::Paid => match o.paid_via.as_deref() {
                Some(p) => format!("{amount} · 결제 완료 ({p})"),
                None => format!("{amount} · 결제 완료"),
            },
            OrderState::Expired => format!("{amount} · 결제 기한 만료"),
            OrderState::Cancelled => format!("{amount} · 주문 취소"),
            OrderState::Refunded => format!("{amount} · 환불 완료"),
        }
    }

    fn my_orders(&self, user: &KakaoUserKey) -> Result<SkillResponse, DataError> {
        let (member, orders) = match self.data.member_orders(user, MEMBER_LIST_LIMIT)? {
            MemberLookup::NotLinked => {
                return Ok(
                    self.link_prompt("주문·결제 내역은 Truffle 계정을 연동한 뒤에 볼 수 있어요.")
                )
            }
            MemberLookup::Linked { member, data } => (member, data),
        };
        if orders.is_empty() {
            return Ok(self.text_with_menu(format!(
                "{}님, 아직 주문 내역이 없어요.",
                member.display_name
            )));
        }
        let items = orders
            .iter()
            .take(LIST_CARD_ITEMS_MAX)
            .map(|o| ListItem {
                title: match o.edition {
                    Some((n, total)) => format!("{} #{n}/{total}", o.product_name),
                    None => o.product_name.clone(),
                },
                description: Some(Self::order_state_text(o)),
                link: o
                    .page_url
                    .as_deref()
                    .filter(|u| is_http_url(u))
                    .map(Link::web),
                ..ListItem::default()
            })
            .collect();
        let card = ListCard {
            header: ListItem {
                title: format!("{}님의 주문·결제 내역", member.display_name),
                ..ListItem::default()
            },
            items,
            buttons: vec![Button::web_link("전체 보기", &self.config.orders_page_url)],
            button_layout: None,
        };
        Ok(SkillResponse::new(vec![Component::ListCard(card)]).with_quick_replies(self.menu()))
    }

    // ---- authenticity ---------------------------------------------------------------

    fn verify(&self, serial: Option<&str>) -> Result<SkillResponse, DataError> {
        let Some(serial) = serial.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(self.text_with_menu(
                "확인할 시리얼 번호를 함께 보내 주세요.\n예) ‘정품 확인 ABC-123’",
            ));
        };
        // A plain serial, or `brand/model/serial` (which the ledger's index answers
        // directly; a brand may hold spaces, "New Balance").
        let well_formed = if serial.contains('/') {
            serial.chars().count() <= QUALIFIED_SERIAL_MAX_CHARS
                && crate::intent::is_qualified_serial(serial)
        } else {
            serial.chars().count() <= SERIAL_MAX_CHARS
                && serial
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !well_formed {
            return Ok(self.text_with_menu(
                "시리얼 번호는 영문·숫자·하이픈(-)으로 되어 있어요. 상품 태그의 번호를 그대로 보내 주세요.",
            ));
        }
        let again = Button::message("다른 시리얼 확인", "정품 확인")
            .with_extra(json!({"action": actions::VERIFY}));
        let card = match self.data.verify_serial(serial)? {
            AuthenticityVerdict::Registered {
                item_id,
                product_name,
                brand,
                edition,
                edition_size,
                registered_height,
                tx_hash,
                image_url,
                page_url,
            } => {
                let mut buttons = Vec::new();
                if let Some(url) = page_url {
                    buttons.push(Button::web_link("기록 자세히 보기", url));
                }
                buttons.push(again);
                BasicCard {
                    title: Some("정품 등록이 확인됐어요".to_owned()),
                    description: Some(format!(
                        "{brand} {product_name}\n에디션 {edition}/{edition_size} · 아이템 #{item_id}\n시리얼 {serial}\n원장 기록: 블록 #{registered_height} · tx {}",
                        short_hash(&tx_hash)
                    )),
                    thumbnail: Thumbnail::new(self.image_or_placeholder(image_url.as_deref())),
                    buttons,
                    button_layout: None,
                }
            }
            AuthenticityVerdict::NeverRegistered { checked_height } => BasicCard {
                title: Some("등록 기록이 없는 시리얼이에요".to_owned()),
                description: Some(format!(
                    "시리얼 {serial}은(는) Truffle 원장(블록 #{checked_height} 기준)에 등록된 적이 없어요. 오타가 없는지 확인하고, 거래 전에 판매자에게 꼭 확인하세요."
                )),
                thumbnail: Thumbnail::new(self.config.placeholder_image_url.clone()),
                buttons: vec![again],
                button_layout: None,
            },
        };
        Ok(SkillResponse::new(vec![Component::BasicCard(card)]).with_quick_replies(self.menu()))
    }

    // ---- linking ------------------------------------------------------------------

    fn link(&self, user: &KakaoUserKey, code: Option<&str>) -> Result<SkillResponse, DataError> {
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(self.link_prompt(
                "Truffle 계정을 연동하면 주문·결제 내역과 응모 결과를 여기서 볼 수 있어요.",
            ));
        };
        if code.len() != LINK_CODE_DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
            return Ok(self.link_prompt("연동 코드는 6자리 숫자예요."));
        }
        let text = match self.data.link_account(user, code) {
            Ok(LinkOutcome::Linked(m)) => format!(
                "{}님, 카카오톡 연동이 완료됐어요! 이제 여기서 ‘내 주문’, ‘내 응모 결과’를 볼 수 있어요.",
                m.display_name
            ),
            Ok(LinkOutcome::AlreadyLinked(m)) => {
                format!("이미 {}님 계정과 연동되어 있어요.", m.display_name)
            }
            Ok(LinkOutcome::InvalidCode) => {
                return Ok(self.link_prompt("코드가 맞지 않아요. 사이트에서 받은 6자리 코드를 다시 확인해 주세요."))
            }
            Ok(LinkOutcome::ExpiredCode) => {
                return Ok(self.link_prompt("코드가 만료됐어요. 사이트에서 새 코드를 받아 주세요."))
            }
            Err(DataError::RateLimited) => {
                "연동 시도가 너무 많아요. 잠시 후 다시 시도해 주세요.".to_owned()
            }
            Err(e) => return Err(e),
        };
        Ok(self.text_with_menu(text))
    }

    fn unlink(&self, user: &KakaoUserKey) -> Result<SkillResponse, DataError> {
        Ok(match self.data.unlink_account(user)? {
            UnlinkOutcome::Unlinked => self.text_with_menu(
                "카카오톡 연동을 해제했어요. 이제 이 채팅방에서는 주문·응모 내역을 볼 수 없어요.",
            ),
            UnlinkOutcome::NotLinked => self.text_with_menu("연동된 Truffle 계정이 없어요."),
        })
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
            if let Ok(hits) = self.data.search_products(u, self.search_limit()) {
                if !hits.is_empty() {
                    return self.search_results(
                        format!("혹시 이 상품을 찾으셨나요? ‘{u}’ 검색 결과예요."),
                        &hits,
                    );
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
