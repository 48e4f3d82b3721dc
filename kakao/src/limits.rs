//! Limits of the Kakao i Open Builder skill response (version 2.0).
//!
//! Source: Kakao Business's chatbot guide, "스킬 개발 가이드 > 응답 타입별 JSON 포맷"
//! (`kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format`) and
//! "AI 챗봇 콜백 개발 가이드", read from a stored copy of those pages. Lengths there are
//! given in 자 (characters); we count Unicode scalar values (`str::chars`), which is what
//! a person counts for Hangul, Latin and digits.
//!
//! Where the guide states no number, the constant says so and gives the project's own,
//! deliberately conservative cap: Kakao rejects a whole response for one bad field, so a
//! cap we invented errs on the short side.

/// The only response format version the guide supports ("현재 스킬 응답의 version은 2.0만
/// 지원됩니다"); a response without it is read as the old v1 format.
pub const RESPONSE_VERSION: &str = "2.0";

/// `template.outputs`: "1개 이상 3개 이하".
pub const MIN_OUTPUTS: usize = 1;
/// `template.outputs`: "1개 이상 3개 이하".
pub const MAX_OUTPUTS: usize = 3;
/// `template.quickReplies`: "10개 이하".
pub const MAX_QUICK_REPLIES: usize = 10;

/// `simpleText.text`: 1000자.
pub const SIMPLE_TEXT_MAX: usize = 1000;
/// Past 500 characters a simpleText is folded behind "전체 보기" (not an error); the bot
/// keeps its own texts below this so they are read whole.
pub const SIMPLE_TEXT_FOLD: usize = 500;

/// `altText` of simpleImage and Thumbnail: 최대 50자.
pub const ALT_TEXT_MAX: usize = 50;

/// `textCard.title`: 최대 50자.
pub const TEXT_CARD_TITLE_MAX: usize = 50;
/// `textCard.description`, single card: 최대 400자 (title and description together).
pub const TEXT_CARD_DESCRIPTION_MAX: usize = 400;
/// `textCard.description` inside a carousel: 최대 128자.
pub const TEXT_CARD_DESCRIPTION_CAROUSEL_MAX: usize = 128;

/// `basicCard.title`: 최대 50자 (two lines in a carousel).
pub const BASIC_CARD_TITLE_MAX: usize = 50;
/// `basicCard.description`: 최대 230자 (two lines in a carousel).
pub const BASIC_CARD_DESCRIPTION_MAX: usize = 230;

/// `commerceCard.title`: 최대 30자.
pub const COMMERCE_CARD_TITLE_MAX: usize = 30;
/// `commerceCard.description`: 최대 40자.
pub const COMMERCE_CARD_DESCRIPTION_MAX: usize = 40;
/// `commerceCard.thumbnails`: "현재 1개만 가능" (and required).
pub const COMMERCE_CARD_THUMBNAILS: usize = 1;
/// `commerceCard.currency`: "현재 won만 가능".
pub const COMMERCE_CARD_CURRENCY: &str = "won";

/// `listCard.items`: 최대 5개.
pub const LIST_CARD_ITEMS_MAX: usize = 5;
/// `listCard.items` inside a carousel: 최대 4개.
pub const LIST_CARD_ITEMS_CAROUSEL_MAX: usize = 4;
/// `listCard.header.title`: the guide gives no number. Project cap: the header is one
/// line, and 50 is the guide's cap for every other card title.
pub const LIST_HEADER_TITLE_MAX: usize = 50;
/// `ListItem.title` in `items`: the guide gives no number. Project cap, as for the header.
pub const LIST_ITEM_TITLE_MAX: usize = 50;
/// `ListItem.description`: the guide gives no number. Project cap: the line is cut by the
/// client well before this.
pub const LIST_ITEM_DESCRIPTION_MAX: usize = 100;

/// `itemCard.itemList`, single card: 최대 10개.
pub const ITEM_CARD_LIST_MAX: usize = 10;
/// `itemCard.itemList` in a carousel: 최대 5개.
pub const ITEM_CARD_LIST_CAROUSEL_MAX: usize = 5;
/// `itemCard.itemList[].title` and `itemListSummary.title`: 최대 6자.
pub const ITEM_CARD_ITEM_TITLE_MAX: usize = 6;
/// `itemCard.itemListSummary.description`: 최대 14자.
pub const ITEM_CARD_SUMMARY_DESCRIPTION_MAX: usize = 14;
/// `itemCard` title and description together, single card: 최대 200자.
pub const ITEM_CARD_TEXT_MAX: usize = 200;
/// `itemCard` title and description together, in a carousel: 최대 100자.
pub const ITEM_CARD_TEXT_CAROUSEL_MAX: usize = 100;
/// `itemCard.profile.title`: 최대 15글자.
pub const ITEM_CARD_PROFILE_TITLE_MAX: usize = 15;

/// `carousel.items`: 최대 10개.
pub const CAROUSEL_ITEMS_MAX: usize = 10;
/// `carousel.items` of listCards: 최대 5개.
pub const CAROUSEL_LIST_CARDS_MAX: usize = 5;

/// Buttons on a card laid out vertically (the default): 최대 3개.
pub const CARD_BUTTONS_MAX: usize = 3;
/// Buttons on a card laid out horizontally (`buttonLayout: "horizontal"`, or a 1:1
/// `fixedRatio` thumbnail without a layout): 최대 2개.
pub const CARD_BUTTONS_HORIZONTAL_MAX: usize = 2;
/// `Button.label`: "버튼 14자".
pub const BUTTON_LABEL_MAX: usize = 14;
/// `Button.label` when two buttons sit side by side: "가로배열 2개 8자".
pub const BUTTON_LABEL_HORIZONTAL_MAX: usize = 8;
/// `QuickReply.label`: the response guide gives no number; the admin center caps 바로연결
/// labels like button labels, and longer ones are cut on phones. Project cap: 14.
pub const QUICK_REPLY_LABEL_MAX: usize = 14;

/// The bot system waits this long for a skill's answer ("skill timeout: 5sec").
pub const SKILL_TIMEOUT_MS: u64 = 5_000;
/// A callback URL may be used once, within this long ("callbackUrl valid time: 1min").
pub const CALLBACK_URL_VALID_MS: u64 = 60_000;

/// Largest request body the webhook accepts. Real payloads are a few KiB (the guide's
/// examples are under 3 KiB even with knowledge matches); anything far larger is not
/// from Kakao, and refusing it before parsing bounds the work an attacker can cause.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Kinds of output a template may hold (the guide's component list).
pub const OUTPUT_TYPES: &[&str] = &[
    "simpleText",
    "simpleImage",
    "textCard",
    "basicCard",
    "commerceCard",
    "listCard",
    "itemCard",
    "carousel",
];
/// `carousel.type`: "basicCard 혹은 commerceCard, listCard, itemCard", and textCard,
/// which the items column lists.
pub const CAROUSEL_TYPES: &[&str] = &[
    "basicCard",
    "commerceCard",
    "listCard",
    "itemCard",
    "textCard",
];
/// `Button.action` values the guide lists.
pub const BUTTON_ACTIONS: &[&str] = &["webLink", "message", "phone", "block", "share", "operator"];
/// `QuickReply.action`: "message 혹은 block".
pub const QUICK_REPLY_ACTIONS: &[&str] = &["message", "block"];
/// `ListItem.action`: "block or message".
pub const LIST_ITEM_ACTIONS: &[&str] = &["block", "message"];
/// `buttonLayout`: vertical or horizontal.
pub const BUTTON_LAYOUTS: &[&str] = &["vertical", "horizontal"];
/// `itemCard.itemListAlignment`: "left" 혹은 "right".
pub const ITEM_LIST_ALIGNMENTS: &[&str] = &["left", "right"];
