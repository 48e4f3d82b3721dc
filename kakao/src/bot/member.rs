//! Answers about the member behind the Kakao user: their entries and orders (once the
//! account is linked), and linking or unlinking the account by a one-time code.

use super::SkillBot;
use crate::data::*;
use crate::limits::*;
use crate::request::KakaoUserKey;
use crate::response::*;
use crate::text::{format_kst, format_won, is_http_url};

/// How many of a member's entries or orders are fetched; a list card shows 5.
const MEMBER_LIST_LIMIT: usize = 20;
/// Link codes are this many digits (issued by the site).
const LINK_CODE_DIGITS: usize = 6;

impl<D: BotData> SkillBot<D> {
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

    /// The linked member's raffle entries and how each went.
    pub(super) fn my_entries(&self, user: &KakaoUserKey) -> Result<SkillResponse, DataError> {
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
                link: web_link(e.page_url.as_deref()),
                ..ListItem::default()
            })
            .collect();
        Ok(self.member_list(
            format!("{}님의 응모 결과", member.display_name),
            items,
            &self.config.entries_page_url,
        ))
    }

    /// A list card of the member's records, with a button to the whole list on the site.
    fn member_list(&self, title: String, items: Vec<ListItem>, page_url: &str) -> SkillResponse {
        let card = ListCard {
            header: ListItem {
                title,
                ..ListItem::default()
            },
            items,
            buttons: vec![Button::web_link("전체 보기", page_url)],
            button_layout: None,
        };
        SkillResponse::new(vec![Component::ListCard(card)]).with_quick_replies(self.menu())
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

    /// The linked member's orders and their payment state.
    pub(super) fn my_orders(&self, user: &KakaoUserKey) -> Result<SkillResponse, DataError> {
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
                link: web_link(o.page_url.as_deref()),
                ..ListItem::default()
            })
            .collect();
        Ok(self.member_list(
            format!("{}님의 주문·결제 내역", member.display_name),
            items,
            &self.config.orders_page_url,
        ))
    }

    /// Links the Kakao user to the member who got `code` on the site.
    pub(super) fn link(
        &self,
        user: &KakaoUserKey,
        code: Option<&str>,
    ) -> Result<SkillResponse, DataError> {
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

    /// Drops the Kakao user's link, if any.
    pub(super) fn unlink(&self, user: &KakaoUserKey) -> Result<SkillResponse, DataError> {
        Ok(match self.data.unlink_account(user)? {
            UnlinkOutcome::Unlinked => self.text_with_menu(
                "카카오톡 연동을 해제했어요. 이제 이 채팅방에서는 주문·응모 내역을 볼 수 없어요.",
            ),
            UnlinkOutcome::NotLinked => self.text_with_menu("연동된 Truffle 계정이 없어요."),
        })
    }
}

/// A link to a page of the site, when the data gave an http(s) address.
fn web_link(url: Option<&str>) -> Option<Link> {
    url.filter(|u| is_http_url(u)).map(Link::web)
}
