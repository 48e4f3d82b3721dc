//! The answer to "is this serial authentic?": registered on the ledger (with its
//! record), or never registered as of the checked height.

use serde_json::json;

use super::SkillBot;
use crate::data::*;
use crate::intent::actions;
use crate::response::*;
use crate::text::short_hash;

/// Longest serial accepted; anything longer is not one.
const SERIAL_MAX_CHARS: usize = 64;
/// Longest `brand/model/serial` accepted.
const QUALIFIED_SERIAL_MAX_CHARS: usize = 3 * SERIAL_MAX_CHARS;

impl<D: BotData> SkillBot<D> {
    /// Whether `serial` (plain or `brand/model/serial`) was registered on the ledger.
    pub(super) fn verify(&self, serial: Option<&str>) -> Result<SkillResponse, DataError> {
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
}
