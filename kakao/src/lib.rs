//! Truffle's KakaoTalk channel bot (flow 8 of the brief).
//!
//! Members talk to Truffle through a KakaoTalk channel; Kakao i Open Builder calls our
//! skill webhook with a [`SkillPayload`] and shows the [`SkillResponse`] we return. This
//! crate is the protocol and the bot's brain, independent of the node:
//!
//! - [`request`]: the payload, read leniently; [`EntityValue`] for parameters that come
//!   as plain strings or JSON text.
//! - [`response`]: the response types and [`SkillResponse::fit_limits`].
//! - [`validate`]: [`validate_response`], a checker of raw JSON against Kakao's documented
//!   limits ([`limits`] cites the source).
//! - [`intent`]: what the user asks, from buttons' `clientExtra`, block parameters, or the
//!   Korean utterance; [`filters`]: the category, stock, brand and price words of a
//!   search, read as the search's filters.
//! - [`links`]: the site's stable addresses the answers link to.
//! - [`bot`]: [`SkillBot`], answering from a [`BotData`] the node implements.
//! - [`callback`]: callback mode for answers slower than Kakao's 5-second budget.
//!
//! The HTTP route lives in the node's RPC server: it reads the body with
//! [`SkillBot::answer_json`] (or [`parse_payload`] and [`SkillBot::answer`]) and replies
//! with the JSON of the response.

pub mod bot;
pub mod callback;
pub mod data;
pub mod error;
pub mod filters;
pub mod fuzzing;
pub mod intent;
pub mod limits;
pub mod links;
pub mod request;
pub mod response;
pub mod text;
pub mod validate;

pub use bot::{needs_data, BotConfig, ConfigError, SkillBot};
pub use callback::{
    callback_body, callback_request, CallbackRequest, CallbackResult, CallbackStatus,
};
pub use data::{
    AuthenticityVerdict, BotData, DataError, EntryState, EntrySummary, LinkOutcome, LinkedMember,
    MemberLookup, OrderState, OrderSummary, ProductHit, ProductQuery, RaffleCloses, RaffleSummary,
    Term, UnlinkOutcome, Vocabulary,
};
pub use error::{parse_payload, SkillError};
pub use filters::{read_search, ReadSearch};
pub use intent::{route, Command};
pub use limits::MAX_BODY_BYTES;
pub use links::SiteLinks;
pub use request::{EntityValue, KakaoUserKey, SkillPayload, UserKeyKind};
pub use response::{
    BasicCard, Button, ButtonAction, Carousel, CarouselItems, CommerceCard, Component, ListCard,
    ListItem, QuickReply, SimpleText, SkillResponse, SkillTemplate, TextCard, Thumbnail,
};
pub use validate::{validate_response, Violation, ViolationKind};
