//! The skill response (`SkillResponse`, version 2.0) the webhook returns to Kakao, and the
//! body it POSTs to a callback URL.
//!
//! Field names and shapes follow Kakao's "응답 타입별 JSON 포맷" guide (see
//! [`crate::limits`] for the source). Optional fields are left out of the JSON rather than
//! sent as `null`: the guide's examples never send `null`, and Kakao's checker is strict.
//!
//! [`SkillResponse::fit_limits`] cuts any response down to the guide's limits; the bot
//! calls it on every answer, and [`crate::validate::validate_response`] checks the result
//! independently in tests.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::limits::*;
use crate::text::{char_len, clip_chars, is_http_url, truncate_chars};

fn is_false(b: &bool) -> bool {
    !*b
}

/// A skill response: `{"version": "2.0", "template": {...}}`, or in callback mode
/// `{"version": "2.0", "useCallback": true, "data": {"text": ...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkillResponse {
    /// Always [`RESPONSE_VERSION`] ("2.0").
    pub version: String,
    /// What to show. Required unless `useCallback` is set (then Kakao ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<SkillTemplate>,
    /// Callback mode: the real answer follows by POST to `userRequest.callbackUrl`.
    #[serde(rename = "useCallback", default, skip_serializing_if = "is_false")]
    pub use_callback: bool,
    /// Changes to the block's output contexts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextControl>,
    /// Custom data for the block's response settings (in callback mode, `text` is shown
    /// while the user waits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
}

/// What a response shows: 1 to 3 outputs and up to 10 quick replies.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SkillTemplate {
    /// Speech bubbles, in order.
    pub outputs: Vec<Component>,
    /// Buttons under the last bubble that send a message or call a block.
    #[serde(
        rename = "quickReplies",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub quick_replies: Vec<QuickReply>,
}

/// One output (speech bubble), serialized as `{"<type>": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Component {
    /// Plain text.
    SimpleText(SimpleText),
    /// An image.
    SimpleImage(SimpleImage),
    /// Text with buttons, no image.
    TextCard(TextCard),
    /// A card with a thumbnail, title, description and buttons.
    BasicCard(BasicCard),
    /// A product card with a price.
    CommerceCard(CommerceCard),
    /// A list with a header and up to 5 items.
    ListCard(ListCard),
    /// Several cards of one kind side by side.
    Carousel(Carousel),
}

/// `simpleText`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimpleText {
    /// At most [`SIMPLE_TEXT_MAX`] characters.
    pub text: String,
}

/// `simpleImage`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimpleImage {
    /// An http(s) URL.
    #[serde(rename = "imageUrl")]
    pub image_url: String,
    /// Screen-reader text, at most [`ALT_TEXT_MAX`] characters.
    #[serde(rename = "altText", default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// `textCard`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextCard {
    /// Title, at most [`TEXT_CARD_TITLE_MAX`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Body, at most [`TEXT_CARD_DESCRIPTION_MAX`] characters (128 in a carousel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Up to 3 buttons (2 side by side).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// Button arrangement.
    #[serde(
        rename = "buttonLayout",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub button_layout: Option<ButtonLayout>,
}

/// `basicCard`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BasicCard {
    /// Title, at most [`BASIC_CARD_TITLE_MAX`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Body, at most [`BASIC_CARD_DESCRIPTION_MAX`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The image on top (required).
    pub thumbnail: Thumbnail,
    /// Up to 3 buttons (2 side by side).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// Button arrangement.
    #[serde(
        rename = "buttonLayout",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub button_layout: Option<ButtonLayout>,
}

/// `commerceCard`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommerceCard {
    /// Product name, at most [`COMMERCE_CARD_TITLE_MAX`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// At most [`COMMERCE_CARD_DESCRIPTION_MAX`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Price in won.
    pub price: u64,
    /// Only "won" is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Amount off, in won.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<u64>,
    /// Percentage off; shown only with `discountedPrice`.
    #[serde(
        rename = "discountRate",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub discount_rate: Option<u32>,
    /// Price after discount; shown instead of anything else when present.
    #[serde(
        rename = "discountedPrice",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub discounted_price: Option<u64>,
    /// Exactly one image.
    pub thumbnails: Vec<Thumbnail>,
    /// The seller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Up to 3 buttons (2 side by side).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// Button arrangement.
    #[serde(
        rename = "buttonLayout",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub button_layout: Option<ButtonLayout>,
}

/// `listCard`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListCard {
    /// The title row (only its `title` is shown).
    pub header: ListItem,
    /// Up to 5 rows (4 in a carousel).
    pub items: Vec<ListItem>,
    /// Up to 3 buttons (2 side by side).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// Button arrangement.
    #[serde(
        rename = "buttonLayout",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub button_layout: Option<ButtonLayout>,
}

/// A row of a list card (or its header).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListItem {
    /// Row title (required).
    pub title: String,
    /// Second line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Small image on the right.
    #[serde(rename = "imageUrl", default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Where a tap goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// What a tap does instead of a link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ListItemAction>,
    /// Block to call (action `block`).
    #[serde(rename = "blockId", default, skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
    /// Utterance to send (action `message`).
    #[serde(
        rename = "messageText",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message_text: Option<String>,
    /// Sent back to the skill as `action.clientExtra`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Map<String, Value>>,
}

/// `ListItem.action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ListItemAction {
    /// Call a block.
    Block,
    /// Send `messageText` as the user's utterance.
    Message,
}

/// `carousel`: `{"type": "<card kind>", "items": [...], "header": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Carousel {
    /// The cards, all of one kind.
    #[serde(flatten)]
    pub items: CarouselItems,
    /// A cover card (not for textCard or listCard carousels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<CarouselHeader>,
}

/// The cards of a carousel, with their kind as `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "items", rename_all = "camelCase")]
pub enum CarouselItems {
    /// Basic cards (up to 10).
    BasicCard(Vec<BasicCard>),
    /// Commerce cards (up to 10).
    CommerceCard(Vec<CommerceCard>),
    /// List cards (up to 5, each with up to 4 rows).
    ListCard(Vec<ListCard>),
    /// Text cards (up to 10).
    TextCard(Vec<TextCard>),
}

impl CarouselItems {
    /// Number of cards.
    pub fn len(&self) -> usize {
        match self {
            CarouselItems::BasicCard(v) => v.len(),
            CarouselItems::CommerceCard(v) => v.len(),
            CarouselItems::ListCard(v) => v.len(),
            CarouselItems::TextCard(v) => v.len(),
        }
    }

    /// Whether there are no cards.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `carousel.header`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CarouselHeader {
    /// Up to two lines.
    pub title: String,
    /// Up to three lines.
    pub description: String,
    /// Background image (only `imageUrl` is used).
    pub thumbnail: Thumbnail,
}

/// An image of a card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thumbnail {
    /// An http(s) URL.
    #[serde(rename = "imageUrl")]
    pub image_url: String,
    /// Screen-reader text, at most [`ALT_TEXT_MAX`] characters.
    #[serde(rename = "altText", default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    /// Where a tap on the image goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// `true`: 1:1 image area and (without a layout) two buttons side by side.
    #[serde(
        rename = "fixedRatio",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fixed_ratio: Option<bool>,
}

impl Thumbnail {
    /// A thumbnail of `image_url` with nothing else set.
    pub fn new(image_url: impl Into<String>) -> Self {
        Thumbnail {
            image_url: image_url.into(),
            alt_text: None,
            link: None,
            fixed_ratio: None,
        }
    }
}

/// Links per device; `web` wins over `pc` and `mobile`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// For PC KakaoTalk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pc: Option<String>,
    /// For phones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// For every device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
}

impl Link {
    /// A link that opens `url` on every device.
    pub fn web(url: impl Into<String>) -> Self {
        Link {
            web: Some(url.into()),
            ..Link::default()
        }
    }
}

/// The seller shown on a commerce card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Name (required).
    pub nickname: String,
    /// Avatar.
    #[serde(rename = "imageUrl", default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// `buttonLayout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ButtonLayout {
    /// Up to 3, stacked.
    Vertical,
    /// Up to 2, side by side.
    Horizontal,
}

/// A card button.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Button {
    /// Caption, at most [`BUTTON_LABEL_MAX`] characters (8 side by side).
    pub label: String,
    /// What a tap does.
    pub action: ButtonAction,
    /// For `webLink`.
    #[serde(
        rename = "webLinkUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub web_link_url: Option<String>,
    /// For `message` (required) and `block` (shown as the utterance).
    #[serde(
        rename = "messageText",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message_text: Option<String>,
    /// For `phone`.
    #[serde(
        rename = "phoneNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number: Option<String>,
    /// For `block`.
    #[serde(rename = "blockId", default, skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
    /// Sent back to the skill as `action.clientExtra` (message and block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Map<String, Value>>,
}

/// `Button.action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ButtonAction {
    /// Open `webLinkUrl` in a browser.
    WebLink,
    /// Send `messageText` as the user's utterance.
    Message,
    /// Call `phoneNumber`.
    Phone,
    /// Call the block `blockId`.
    Block,
    /// Share the bubble with a friend.
    Share,
    /// Hand the chat to a human agent (상담 연결).
    Operator,
}

impl Button {
    fn bare(label: impl Into<String>, action: ButtonAction) -> Self {
        Button {
            label: label.into(),
            action,
            web_link_url: None,
            message_text: None,
            phone_number: None,
            block_id: None,
            extra: None,
        }
    }

    /// Opens `url`.
    pub fn web_link(label: impl Into<String>, url: impl Into<String>) -> Self {
        Button {
            web_link_url: Some(url.into()),
            ..Button::bare(label, ButtonAction::WebLink)
        }
    }

    /// Sends `text` as if the user typed it.
    pub fn message(label: impl Into<String>, text: impl Into<String>) -> Self {
        Button {
            message_text: Some(text.into()),
            ..Button::bare(label, ButtonAction::Message)
        }
    }

    /// Calls the block `block_id`.
    pub fn block(label: impl Into<String>, block_id: impl Into<String>) -> Self {
        Button {
            block_id: Some(block_id.into()),
            ..Button::bare(label, ButtonAction::Block)
        }
    }

    /// Calls `number`.
    pub fn phone(label: impl Into<String>, number: impl Into<String>) -> Self {
        Button {
            phone_number: Some(number.into()),
            ..Button::bare(label, ButtonAction::Phone)
        }
    }

    /// Shares the bubble.
    pub fn share(label: impl Into<String>) -> Self {
        Button::bare(label, ButtonAction::Share)
    }

    /// Connects a human agent.
    pub fn operator(label: impl Into<String>) -> Self {
        Button::bare(label, ButtonAction::Operator)
    }

    /// The same button carrying `extra` back to the skill when pressed.
    pub fn with_extra(mut self, extra: Value) -> Self {
        self.extra = as_object(extra);
        self
    }

    /// Whether the fields its action needs are present and well formed.
    fn is_complete(&self) -> bool {
        let present = |o: &Option<String>| o.as_deref().is_some_and(|s| !s.trim().is_empty());
        match self.action {
            ButtonAction::WebLink => self.web_link_url.as_deref().is_some_and(is_http_url),
            ButtonAction::Message => present(&self.message_text),
            ButtonAction::Phone => present(&self.phone_number),
            ButtonAction::Block => present(&self.block_id),
            ButtonAction::Share | ButtonAction::Operator => true,
        }
    }
}

/// A quick reply (바로가기 응답).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuickReply {
    /// Caption, at most [`QUICK_REPLY_LABEL_MAX`] characters.
    pub label: String,
    /// `message` or `block`.
    pub action: QuickReplyAction,
    /// Utterance sent when tapped.
    #[serde(
        rename = "messageText",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message_text: Option<String>,
    /// Block to call (action `block`).
    #[serde(rename = "blockId", default, skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
    /// Sent back to the skill as `action.clientExtra`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Map<String, Value>>,
}

/// `QuickReply.action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum QuickReplyAction {
    /// Send `messageText` as the user's utterance.
    Message,
    /// Call the block `blockId`.
    Block,
}

impl QuickReply {
    /// Sends `text` as if the user typed it.
    pub fn message(label: impl Into<String>, text: impl Into<String>) -> Self {
        QuickReply {
            label: label.into(),
            action: QuickReplyAction::Message,
            message_text: Some(text.into()),
            block_id: None,
            extra: None,
        }
    }

    /// Calls the block `block_id`, showing `label` as the utterance.
    pub fn block(label: impl Into<String>, block_id: impl Into<String>) -> Self {
        QuickReply {
            label: label.into(),
            action: QuickReplyAction::Block,
            message_text: None,
            block_id: Some(block_id.into()),
            extra: None,
        }
    }

    /// The same quick reply carrying `extra` back to the skill when tapped.
    pub fn with_extra(mut self, extra: Value) -> Self {
        self.extra = as_object(extra);
        self
    }
}

/// `context`: changes to output contexts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContextControl {
    /// One entry per context to change.
    pub values: Vec<ContextValue>,
}

/// One output context to change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextValue {
    /// The context's name.
    pub name: String,
    /// Turns it stays alive; 0 deletes it.
    #[serde(rename = "lifeSpan")]
    pub life_span: u32,
    /// Seconds it stays alive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Values stored with it (strings; other types are stringified).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

/// `extra` fields are JSON objects; anything else is wrapped so it survives the trip.
fn as_object(value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        Value::Null => None,
        other => {
            let mut map = Map::new();
            map.insert("value".to_owned(), other);
            Some(map)
        }
    }
}

impl SkillResponse {
    /// A response showing `outputs`.
    pub fn new(outputs: Vec<Component>) -> Self {
        SkillResponse {
            version: RESPONSE_VERSION.to_owned(),
            template: Some(SkillTemplate {
                outputs,
                quick_replies: Vec::new(),
            }),
            use_callback: false,
            context: None,
            data: None,
        }
    }

    /// A response with one simpleText bubble.
    pub fn text(text: impl Into<String>) -> Self {
        SkillResponse::new(vec![Component::simple_text(text)])
    }

    /// The same response with `quick_replies` under it.
    pub fn with_quick_replies(mut self, quick_replies: Vec<QuickReply>) -> Self {
        if let Some(template) = self.template.as_mut() {
            template.quick_replies = quick_replies;
        }
        self
    }

    /// The immediate answer of callback mode: `useCallback: true`, with `text` in `data`
    /// for the block's waiting message. The real answer follows by POST (see
    /// [`crate::callback`]).
    pub fn callback_ack(text: impl Into<String>) -> Self {
        let mut data = Map::new();
        data.insert(
            "text".to_owned(),
            Value::String(truncate_chars(&text.into(), SIMPLE_TEXT_MAX)),
        );
        SkillResponse {
            version: RESPONSE_VERSION.to_owned(),
            template: None,
            use_callback: true,
            context: None,
            data: Some(data),
        }
    }

    /// Outputs of the template (empty in callback mode).
    pub fn outputs(&self) -> &[Component] {
        self.template.as_ref().map_or(&[], |t| &t.outputs)
    }

    /// Quick replies of the template.
    pub fn quick_replies(&self) -> &[QuickReply] {
        self.template.as_ref().map_or(&[], |t| &t.quick_replies)
    }

    /// Cuts the response down to Kakao's limits: texts shortened on character boundaries,
    /// lists capped, buttons missing what their action needs dropped. Kakao refuses a
    /// whole response for one field over a limit, and the user then sees nothing, so a
    /// shortened answer is always better.
    pub fn fit_limits(&mut self) {
        self.version = RESPONSE_VERSION.to_owned();
        if let Some(data) = self.data.as_mut() {
            if let Some(Value::String(text)) = data.get_mut("text") {
                *text = truncate_chars(text, SIMPLE_TEXT_MAX);
            }
        }
        if self.use_callback {
            // Kakao ignores the template of a callback acknowledgement.
            self.template = None;
            return;
        }
        let template = self.template.get_or_insert_with(SkillTemplate::default);
        template.outputs.retain_mut(|c| {
            c.fit_limits();
            !c.is_empty()
        });
        template.outputs.truncate(MAX_OUTPUTS);
        if template.outputs.is_empty() {
            template
                .outputs
                .push(Component::simple_text("요청을 처리하지 못했어요."));
        }
        template.quick_replies.retain_mut(|q| {
            q.fit_limits();
            q.is_complete()
        });
        template.quick_replies.truncate(MAX_QUICK_REPLIES);
    }
}

impl Component {
    /// A simpleText bubble.
    pub fn simple_text(text: impl Into<String>) -> Self {
        Component::SimpleText(SimpleText { text: text.into() })
    }

    /// Whether nothing would be shown (a carousel without cards).
    fn is_empty(&self) -> bool {
        match self {
            Component::Carousel(c) => c.items.is_empty(),
            _ => false,
        }
    }

    fn fit_limits(&mut self) {
        match self {
            Component::SimpleText(t) => {
                t.text = truncate_chars(t.text.trim_end(), SIMPLE_TEXT_MAX);
                if t.text.trim().is_empty() {
                    t.text = "…".to_owned();
                }
            }
            Component::SimpleImage(i) => {
                fit_opt(&mut i.alt_text, ALT_TEXT_MAX);
            }
            Component::TextCard(c) => c.fit_limits(false),
            Component::BasicCard(c) => c.fit_limits(),
            Component::CommerceCard(c) => c.fit_limits(),
            Component::ListCard(c) => c.fit_limits(LIST_CARD_ITEMS_MAX),
            Component::Carousel(c) => c.fit_limits(),
        }
    }
}

/// Shortens an optional text; an empty one is dropped (Kakao counts `""` as present).
fn fit_opt(field: &mut Option<String>, max: usize) {
    if let Some(s) = field.as_mut() {
        *s = truncate_chars(s.trim(), max);
    }
    if field.as_deref().is_some_and(|s| s.is_empty()) {
        *field = None;
    }
}

/// Caps a card's buttons for its layout and their labels; `horizontal` is whether they
/// sit side by side.
fn fit_buttons(buttons: &mut Vec<Button>, horizontal: bool) {
    buttons.retain(|b| b.is_complete() && !b.label.trim().is_empty());
    let max = if horizontal {
        CARD_BUTTONS_HORIZONTAL_MAX
    } else {
        CARD_BUTTONS_MAX
    };
    buttons.truncate(max);
    let label_max = if horizontal && buttons.len() == 2 {
        BUTTON_LABEL_HORIZONTAL_MAX
    } else {
        BUTTON_LABEL_MAX
    };
    for b in buttons.iter_mut() {
        b.label = clip_chars(b.label.trim(), label_max).trim_end().to_owned();
        if let Some(text) = b.message_text.as_mut() {
            // An utterance longer than a simpleText would be refused by the client.
            *text = clip_chars(text, SIMPLE_TEXT_MAX);
        }
    }
}

/// Whether buttons sit side by side: an explicit layout wins, else a 1:1 thumbnail
/// (`fixedRatio: true`) lays them out horizontally.
fn is_horizontal(layout: Option<ButtonLayout>, thumbnail: Option<&Thumbnail>) -> bool {
    match layout {
        Some(ButtonLayout::Horizontal) => true,
        Some(ButtonLayout::Vertical) => false,
        None => thumbnail.is_some_and(|t| t.fixed_ratio == Some(true)),
    }
}

fn fit_thumbnail(t: &mut Thumbnail) {
    fit_opt(&mut t.alt_text, ALT_TEXT_MAX);
}

impl TextCard {
    fn fit_limits(&mut self, in_carousel: bool) {
        fit_opt(&mut self.title, TEXT_CARD_TITLE_MAX);
        let max = if in_carousel {
            TEXT_CARD_DESCRIPTION_CAROUSEL_MAX
        } else {
            // Single cards show title and description together up to 400 characters.
            TEXT_CARD_DESCRIPTION_MAX - self.title.as_deref().map_or(0, char_len)
        };
        fit_opt(&mut self.description, max);
        if self.title.is_none() && self.description.is_none() {
            self.description = Some("…".to_owned());
        }
        fit_buttons(&mut self.buttons, is_horizontal(self.button_layout, None));
    }
}

impl BasicCard {
    fn fit_limits(&mut self) {
        fit_opt(&mut self.title, BASIC_CARD_TITLE_MAX);
        fit_opt(&mut self.description, BASIC_CARD_DESCRIPTION_MAX);
        fit_thumbnail(&mut self.thumbnail);
        let horizontal = is_horizontal(self.button_layout, Some(&self.thumbnail));
        fit_buttons(&mut self.buttons, horizontal);
    }
}

impl CommerceCard {
    fn fit_limits(&mut self) {
        fit_opt(&mut self.title, COMMERCE_CARD_TITLE_MAX);
        fit_opt(&mut self.description, COMMERCE_CARD_DESCRIPTION_MAX);
        if self.currency.is_some() {
            self.currency = Some(COMMERCE_CARD_CURRENCY.to_owned());
        }
        // The guide: discountRate is only shown with discountedPrice; without it, drop it
        // rather than send a field Kakao documents as needing the other.
        if self.discount_rate.is_some() && self.discounted_price.is_none() {
            self.discount_rate = None;
        }
        self.thumbnails.truncate(COMMERCE_CARD_THUMBNAILS);
        self.thumbnails.iter_mut().for_each(fit_thumbnail);
        if let Some(p) = self.profile.as_mut() {
            if p.nickname.trim().is_empty() {
                self.profile = None;
            }
        }
        let horizontal = is_horizontal(self.button_layout, self.thumbnails.first());
        fit_buttons(&mut self.buttons, horizontal);
    }
}

impl ListItem {
    fn fit_limits(&mut self, title_max: usize) {
        self.title = truncate_chars(self.title.trim(), title_max);
        if self.title.is_empty() {
            self.title = "-".to_owned();
        }
        fit_opt(&mut self.description, LIST_ITEM_DESCRIPTION_MAX);
        if self.image_url.as_deref().is_some_and(|u| !is_http_url(u)) {
            self.image_url = None;
        }
        // An action without what it needs is refused; a bare row is not.
        match self.action {
            Some(ListItemAction::Block) if self.block_id.is_none() => self.action = None,
            Some(ListItemAction::Message) if self.message_text.is_none() => {
                self.message_text = Some(self.title.clone())
            }
            _ => {}
        }
    }
}

impl ListCard {
    fn fit_limits(&mut self, max_items: usize) {
        self.header.fit_limits(LIST_HEADER_TITLE_MAX);
        self.items.truncate(max_items);
        for item in &mut self.items {
            item.fit_limits(LIST_ITEM_TITLE_MAX);
        }
        if self.items.is_empty() {
            // Items are required; a placeholder row keeps the card valid.
            self.items.push(ListItem {
                title: "항목이 없어요".to_owned(),
                ..ListItem::default()
            });
        }
        let horizontal = is_horizontal(self.button_layout, None);
        fit_buttons(&mut self.buttons, horizontal);
    }
}

impl Carousel {
    fn fit_limits(&mut self) {
        match &mut self.items {
            CarouselItems::BasicCard(v) => {
                v.truncate(CAROUSEL_ITEMS_MAX);
                v.iter_mut().for_each(BasicCard::fit_limits);
            }
            CarouselItems::CommerceCard(v) => {
                v.truncate(CAROUSEL_ITEMS_MAX);
                v.iter_mut().for_each(CommerceCard::fit_limits);
            }
            CarouselItems::ListCard(v) => {
                v.truncate(CAROUSEL_LIST_CARDS_MAX);
                v.iter_mut()
                    .for_each(|c| c.fit_limits(LIST_CARD_ITEMS_CAROUSEL_MAX));
                // The guide: list card carousels take no header.
                self.header = None;
            }
            CarouselItems::TextCard(v) => {
                v.truncate(CAROUSEL_ITEMS_MAX);
                v.iter_mut().for_each(|c| c.fit_limits(true));
                self.header = None;
            }
        }
        if let Some(h) = self.header.as_mut() {
            fit_thumbnail(&mut h.thumbnail);
        }
    }
}

impl QuickReply {
    fn fit_limits(&mut self) {
        self.label = clip_chars(self.label.trim(), QUICK_REPLY_LABEL_MAX)
            .trim_end()
            .to_owned();
        if self.action == QuickReplyAction::Message && self.message_text.is_none() {
            self.message_text = Some(self.label.clone());
        }
        if let Some(text) = self.message_text.as_mut() {
            *text = clip_chars(text, SIMPLE_TEXT_MAX);
        }
    }

    fn is_complete(&self) -> bool {
        !self.label.is_empty()
            && match self.action {
                QuickReplyAction::Message => {
                    self.message_text.as_deref().is_some_and(|t| !t.is_empty())
                }
                QuickReplyAction::Block => self.block_id.as_deref().is_some_and(|b| !b.is_empty()),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn simple_text_serializes_as_in_the_guide() {
        let r = SkillResponse::text("간단한 텍스트 요소입니다.");
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"version": "2.0", "template": {"outputs": [
                {"simpleText": {"text": "간단한 텍스트 요소입니다."}}
            ]}})
        );
    }

    #[test]
    fn carousel_serializes_type_and_items_and_round_trips() {
        let card = BasicCard {
            title: Some("보물상자".into()),
            description: None,
            thumbnail: Thumbnail::new("https://img.example/a.jpg"),
            buttons: vec![Button::web_link("구경하기", "https://e.example/x")],
            button_layout: None,
        };
        let r = SkillResponse::new(vec![Component::Carousel(Carousel {
            items: CarouselItems::BasicCard(vec![card]),
            header: None,
        })]);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["template"]["outputs"][0]["carousel"]["type"], "basicCard");
        assert_eq!(
            v["template"]["outputs"][0]["carousel"]["items"][0]["buttons"][0]["webLinkUrl"],
            "https://e.example/x"
        );
        let back: SkillResponse = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn callback_ack_has_no_template() {
        let v = serde_json::to_value(SkillResponse::callback_ack("잠시만요")).unwrap();
        assert_eq!(
            v,
            json!({"version": "2.0", "useCallback": true, "data": {"text": "잠시만요"}})
        );
    }

    #[test]
    fn fit_limits_caps_everything() {
        let long = "가".repeat(2000);
        let mut r = SkillResponse::new(vec![
            Component::simple_text(long.clone()),
            Component::simple_text(""),
            Component::simple_text("3"),
            Component::simple_text("4"),
        ])
        .with_quick_replies(
            (0..12)
                .map(|i| QuickReply::message(format!("{i}번째 아주 아주 긴 바로가기 버튼"), "x"))
                .collect(),
        );
        r.fit_limits();
        assert_eq!(r.outputs().len(), 3);
        assert_eq!(r.quick_replies().len(), 10);
        let Component::SimpleText(t) = &r.outputs()[0] else {
            panic!()
        };
        assert_eq!(char_len(&t.text), SIMPLE_TEXT_MAX);
        assert!(r
            .quick_replies()
            .iter()
            .all(|q| char_len(&q.label) <= QUICK_REPLY_LABEL_MAX));
    }

    #[test]
    fn fit_limits_drops_incomplete_buttons_and_caps_horizontal_ones() {
        let mut card = BasicCard {
            title: None,
            description: None,
            thumbnail: Thumbnail {
                fixed_ratio: Some(true),
                ..Thumbnail::new("https://img.example/a.jpg")
            },
            buttons: vec![
                Button::web_link("나쁜 링크", "javascript:alert(1)"),
                Button::message("첫번째 버튼 라벨이 길어요", "a"),
                Button::message("둘", "b"),
                Button::message("셋", "c"),
            ],
            button_layout: None,
        };
        card.fit_limits();
        assert_eq!(card.buttons.len(), 2);
        assert_eq!(card.buttons[0].label, "첫번째 버튼 라");
    }
}
