//! Answers about the catalog: product search (a carousel of commerce cards) and raffles
//! (the open ones as list cards, one in detail).

use serde_json::json;

use super::SkillBot;
use crate::data::*;
use crate::filters::{read_search, ReadSearch};
use crate::intent::actions;
use crate::limits::*;
use crate::response::*;
use crate::text::{clip_chars, format_won, is_http_url, truncate_chars};

/// How many open raffles are fetched: a carousel of 5 list cards of 4.
const RAFFLE_LIST_LIMIT: usize = CAROUSEL_LIST_CARDS_MAX * LIST_CARD_ITEMS_CAROUSEL_MAX;
/// Longest search query passed on; longer text is not a product name.
const QUERY_MAX_CHARS: usize = 50;

impl<D: BotData> SkillBot<D> {
    /// Products matching the words of `words` and the filters they hold (category,
    /// stock, brand, price), or a prompt for words when there are none.
    pub(super) fn search(&self, words: &str) -> Result<SkillResponse, DataError> {
        let words = clip_chars(words.trim(), QUERY_MAX_CHARS);
        if words.is_empty() {
            return Ok(SkillResponse::text(
                "어떤 상품을 찾아 드릴까요?\n예) ‘나이키 덩크 찾아줘’, ‘재고 있는 스니커즈’, ‘10만원 이하 피규어’",
            )
            .with_quick_replies(vec![
                QuickReply::message("나이키 덩크", "나이키 덩크 찾아줘"),
                QuickReply::message("재고 있는 스니커즈", "재고 있는 스니커즈 보여줘"),
                QuickReply::message("진행중인 래플", "진행중인 래플")
                    .with_extra(json!({"action": actions::RAFFLES})),
                QuickReply::message("도움말", "도움말").with_extra(json!({"action": actions::HELP})),
            ]));
        }
        let read = self.read_search(&words);
        let hits = self.find_products(&read)?;
        let text = read.query.text.trim();
        let summary = read.summary();
        if hits.is_empty() {
            let asked = match (text.is_empty(), summary.is_empty()) {
                (false, true) => format!("‘{text}’에 맞는 상품을"),
                (false, false) => format!("‘{text}’({summary})에 맞는 상품을"),
                (true, false) => format!("{summary} 조건에 맞는 상품을"),
                (true, true) => format!("‘{words}’에 맞는 상품을"),
            };
            return Ok(self.text_with_menu(format!(
                "{asked} 찾지 못했어요. 브랜드나 모델명, 조건을 바꿔 다시 검색해 보세요."
            )));
        }
        let n = hits.len().min(CAROUSEL_ITEMS_MAX);
        let intro = match (text.is_empty(), summary.is_empty()) {
            (false, true) => format!("‘{text}’ 검색 결과 {n}개예요."),
            (false, false) => format!("‘{text}’ 검색 결과 {n}개예요. (조건: {summary})"),
            (true, false) => format!("{summary} 상품 {n}개예요."),
            (true, true) => format!("새로 등록된 상품 {n}개예요."),
        };
        Ok(self.search_results(intro, &hits, Some(&read.query)))
    }

    /// The filters in `words`, read against the catalog's brands and categories (the
    /// bot's own table alone when the catalog cannot say).
    pub(super) fn read_search(&self, words: &str) -> ReadSearch {
        let vocabulary = self.data.vocabulary().unwrap_or_default();
        read_search(words, &vocabulary)
    }

    /// Runs `read`'s query. A brand filter that finds nothing is tried again as a word
    /// (a product may name a brand it is not registered under: "Nike x sacai").
    pub(super) fn find_products(&self, read: &ReadSearch) -> Result<Vec<ProductHit>, DataError> {
        let hits = self
            .data
            .search_products(&read.query, self.search_limit())?;
        if !hits.is_empty() {
            return Ok(hits);
        }
        match (&read.query.brand, &read.brand_words) {
            (Some(_), Some(typed)) => {
                let mut query = read.query.clone();
                query.brand = None;
                query.text = format!("{typed} {}", query.text).trim().to_owned();
                self.data.search_products(&query, self.search_limit())
            }
            _ => Ok(hits),
        }
    }

    /// Products shown per search, within what a carousel holds.
    pub(super) fn search_limit(&self) -> usize {
        self.config.search_limit.clamp(1, CAROUSEL_ITEMS_MAX)
    }

    /// `intro`, then the hits as a carousel of commerce cards, then (for a search) a
    /// link to the same search on the site, where the rest of the results are.
    pub(super) fn search_results(
        &self,
        intro: String,
        hits: &[ProductHit],
        query: Option<&ProductQuery>,
    ) -> SkillResponse {
        let cards = hits
            .iter()
            .take(CAROUSEL_ITEMS_MAX)
            .map(|h| self.product_card(h))
            .collect::<Vec<_>>();
        let mut outputs = vec![
            Component::simple_text(intro),
            Component::Carousel(Carousel {
                items: CarouselItems::CommerceCard(cards),
                header: None,
            }),
        ];
        if let Some(query) = query {
            outputs.push(Component::TextCard(TextCard {
                title: None,
                description: Some("더 많은 결과와 필터는 Truffle 웹에서 볼 수 있어요.".to_owned()),
                buttons: vec![Button::web_link(
                    "웹에서 전체 보기",
                    self.config.links().search(query),
                )],
                button_layout: None,
            }));
        }
        SkillResponse::new(outputs).with_quick_replies(self.menu())
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

    /// The open raffles: one list card, or a carousel of them when there are more.
    pub(super) fn raffles(&self) -> Result<SkillResponse, DataError> {
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

    /// One raffle in detail, with a button to enter on the site.
    pub(super) fn raffle_detail(&self, raffle_id: u64) -> Result<SkillResponse, DataError> {
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
}
