//! The skill payload (`SkillPayload`) Kakao i Open Builder POSTs to the webhook.
//!
//! Fields follow Kakao's "스킬 개발 가이드 > 응답 타입별 JSON 포맷 > SkillPayload" and the
//! callback guide (see [`crate::limits`] for the source). Real payloads vary: the admin
//! center's 봇 테스트 sends few user properties, the old v1 format spelled
//! `plusfriend_user_key` and sent `"clientExtra": "null"`, and entity values arrive as
//! plain strings or as JSON text. So every part is optional, unknown fields are kept or
//! ignored, and loosely typed values are accepted rather than refused: a refused payload
//! means a user who gets no answer at all.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Everything Kakao sends when a block calls the skill.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SkillPayload {
    /// The block that matched the utterance.
    #[serde(deserialize_with = "lenient")]
    pub intent: Intent,
    /// The user, their utterance and the block that reacted.
    #[serde(deserialize_with = "lenient")]
    pub user_request: UserRequest,
    /// The bot.
    #[serde(deserialize_with = "lenient")]
    pub bot: Bot,
    /// The skill being run, with the parameters extracted from the utterance.
    #[serde(deserialize_with = "lenient")]
    pub action: Action,
    /// Active contexts (kept as JSON: the bot does not use them).
    #[serde(deserialize_with = "lenient")]
    pub contexts: Vec<Value>,
    /// How the utterance came about (typed, button, quick reply) and the previous block.
    #[serde(deserialize_with = "lenient")]
    pub flow: Option<Flow>,
}

/// `intent`: the matched block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Intent {
    /// Block id.
    #[serde(deserialize_with = "string_ish")]
    pub id: String,
    /// Block name ("지식+" for knowledge matches).
    #[serde(deserialize_with = "string_ish")]
    pub name: String,
    /// Knowledge matches and the like.
    pub extra: Option<Value>,
}

/// `userRequest`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserRequest {
    /// "Asia/Seoul" for users in Korea.
    #[serde(deserialize_with = "string_ish")]
    pub timezone: String,
    /// Request parameters, e.g. `surface` ("Kakaotalk.plusfriend", or "BuilderBotTest"
    /// from the admin center's test console).
    #[serde(deserialize_with = "lenient")]
    pub params: Map<String, Value>,
    /// The block that reacted.
    #[serde(deserialize_with = "lenient")]
    pub block: Block,
    /// What the user said (or the text of the button they pressed).
    #[serde(deserialize_with = "string_ish")]
    pub utterance: String,
    /// "ko" (older payloads: "kr").
    #[serde(deserialize_with = "string_ish")]
    pub lang: String,
    /// Who said it.
    #[serde(deserialize_with = "lenient")]
    pub user: User,
    /// Present when the block has callback mode on: where to POST the real answer, once,
    /// within a minute.
    #[serde(deserialize_with = "opt_string_ish")]
    pub callback_url: Option<String>,
}

/// A block reference.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Block {
    /// Block id.
    #[serde(deserialize_with = "string_ish")]
    pub id: String,
    /// Block name.
    #[serde(deserialize_with = "string_ish")]
    pub name: String,
}

/// `userRequest.user`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    /// The botUserKey: identifies the user to this bot (up to 70 characters); the same
    /// person has another id in another bot.
    #[serde(deserialize_with = "string_ish")]
    pub id: String,
    /// "botUserKey" (older payloads: "talk_user_id", "accountId").
    #[serde(rename = "type", deserialize_with = "string_ish")]
    pub kind: String,
    /// More identifiers, when available.
    #[serde(deserialize_with = "lenient")]
    pub properties: UserProperties,
}

/// `userRequest.user.properties`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserProperties {
    /// The KakaoTalk channel's key of the user (the auto-reply API's `user_key`).
    #[serde(alias = "plusfriend_user_key", deserialize_with = "opt_string_ish")]
    pub plusfriend_user_key: Option<String>,
    /// The Kakao Login user id; only when an app key is set on the bot.
    #[serde(deserialize_with = "opt_string_ish")]
    pub app_user_id: Option<String>,
    /// `true` when the user added the channel; absent otherwise.
    #[serde(deserialize_with = "opt_bool_ish")]
    pub is_friend: Option<bool>,
    /// Repeats `user.id` in newer payloads.
    #[serde(deserialize_with = "opt_string_ish")]
    pub bot_user_key: Option<String>,
    /// Anything else Kakao adds.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `bot`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bot {
    /// Bot id.
    #[serde(deserialize_with = "string_ish")]
    pub id: String,
    /// Bot name.
    #[serde(deserialize_with = "string_ish")]
    pub name: String,
}

/// `action`: the skill being run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Action {
    /// Skill id.
    #[serde(deserialize_with = "string_ish")]
    pub id: String,
    /// Skill name.
    #[serde(deserialize_with = "string_ish")]
    pub name: String,
    /// Parameters by name: entity values as strings (JSON text for system entities like
    /// `sys.date`), or the fixed values set on the block.
    #[serde(deserialize_with = "lenient")]
    pub params: Map<String, Value>,
    /// The same parameters with what the user actually said (`origin`).
    #[serde(deserialize_with = "lenient")]
    pub detail_params: Map<String, Value>,
    /// What a pressed button or quick reply carried in its `extra`. `null`, absent, or
    /// the v1 payload's string `"null"` all read as empty.
    #[serde(deserialize_with = "client_extra")]
    pub client_extra: Map<String, Value>,
}

/// `action.detailParams.<name>`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DetailParam {
    /// The words of the utterance the entity was taken from.
    #[serde(deserialize_with = "string_ish")]
    pub origin: String,
    /// The resolved value: a plain string, or JSON text for system entities.
    pub value: Value,
    /// Parameter group, usually empty.
    #[serde(deserialize_with = "string_ish")]
    pub group_name: String,
}

/// `flow`: how the utterance came about.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Flow {
    /// The block run just before.
    pub last_block: Option<Block>,
    /// What triggered this request.
    pub trigger: Option<Trigger>,
}

/// `flow.trigger`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Trigger {
    /// `TEXT_INPUT`, `CARD_BUTTON_MESSAGE`, `LIST_ITEM_BLOCK`, `QUICKREPLY_BUTTON_MESSAGE`…
    #[serde(rename = "type", deserialize_with = "string_ish")]
    pub kind: String,
    /// The block whose button or list item the user pressed.
    pub referrer_block: Option<Block>,
}

/// An entity value, parsed from either of the forms Kakao sends.
#[derive(Clone, Debug, PartialEq)]
pub enum EntityValue {
    /// A plain value (`"강남"`, `"ABC-123"`).
    Text(String),
    /// A structured value: JSON text such as `sys.date`'s or `sys.plugin.*`'s, parsed.
    Json(Value),
}

impl EntityValue {
    /// Reads a parameter value: a string holding a JSON object or array is parsed, any
    /// other string is kept as text, and non-string JSON (a clientExtra-style value) is
    /// kept as JSON. Only objects and arrays are parsed because a plain code like
    /// `"123456"` is also valid JSON, and parsing it would lose leading zeros.
    pub fn parse(raw: &Value) -> Self {
        match raw {
            Value::String(s) => {
                let t = s.trim();
                if (t.starts_with('{') && t.ends_with('}'))
                    || (t.starts_with('[') && t.ends_with(']'))
                {
                    if let Ok(v) = serde_json::from_str::<Value>(t) {
                        return EntityValue::Json(v);
                    }
                }
                EntityValue::Text(s.clone())
            }
            other => EntityValue::Json(other.clone()),
        }
    }

    /// The value as text: the plain text, a JSON string, a number, or for a system
    /// entity its main field (`value`, `date`, `amount`, `text`), in that order.
    pub fn as_text(&self) -> Option<String> {
        match self {
            EntityValue::Text(s) => Some(s.clone()),
            EntityValue::Json(v) => json_text(v),
        }
    }

    /// A field of a structured value (`sys.date`'s `date`, `sys.plugin.*`'s fields).
    pub fn field(&self, key: &str) -> Option<&Value> {
        match self {
            EntityValue::Json(Value::Object(map)) => map.get(key),
            _ => None,
        }
    }
}

fn json_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(map) => ["value", "date", "amount", "text"]
            .iter()
            .find_map(|k| map.get(*k).and_then(json_text)),
        _ => None,
    }
}

impl Action {
    /// A parameter by name, from `detailParams` (its `value`) or else `params`.
    pub fn param(&self, name: &str) -> Option<EntityValue> {
        let detail = self
            .detail_params
            .get(name)
            .and_then(|d| d.get("value"))
            .filter(|v| !v.is_null());
        detail
            .or_else(|| self.params.get(name).filter(|v| !v.is_null()))
            .map(EntityValue::parse)
    }

    /// A parameter as the user wrote it: `detailParams.<name>.origin` when present, else
    /// the value's text. Codes and serial numbers need this: `sys.number` turns
    /// "012345" into `{"amount": 12345}`, but `origin` keeps the digits as typed.
    pub fn param_as_typed(&self, name: &str) -> Option<String> {
        let origin = self
            .detail_params
            .get(name)
            .and_then(|d| d.get("origin"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty());
        match origin {
            Some(o) => Some(o.to_owned()),
            None => self.param(name)?.as_text(),
        }
    }

    /// The parsed `detailParams` entry of `name`.
    pub fn detail_param(&self, name: &str) -> Option<DetailParam> {
        self.detail_params
            .get(name)
            .and_then(|v| DetailParam::deserialize(v).ok())
    }
}

/// The surface value of the admin center's 봇 테스트 console.
pub const TEST_CONSOLE_SURFACE: &str = "BuilderBotTest";

impl SkillPayload {
    /// The callback URL, when the block has callback mode on.
    pub fn callback_url(&self) -> Option<&str> {
        self.user_request
            .callback_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
    }

    /// Whether the request comes from the admin center's test console, which cannot use
    /// callback tokens ("Invalid callback token for testing purposes").
    pub fn is_test_console(&self) -> bool {
        self.user_request
            .params
            .get("surface")
            .and_then(Value::as_str)
            == Some(TEST_CONSOLE_SURFACE)
    }

    /// The key this bot knows the user by: the botUserKey (`user.id`), or failing that
    /// `properties.botUserKey`, then the plusfriendUserKey. `None` when the payload names
    /// no user: then nothing personal may be shown or linked.
    pub fn user_key(&self) -> Option<KakaoUserKey> {
        let user = &self.user_request.user;
        let props = &user.properties;
        let nonempty = |s: &str| !s.trim().is_empty();
        if nonempty(&user.id) {
            return Some(KakaoUserKey::new(UserKeyKind::BotUserKey, user.id.trim()));
        }
        if let Some(k) = props.bot_user_key.as_deref().filter(|s| nonempty(s)) {
            return Some(KakaoUserKey::new(UserKeyKind::BotUserKey, k.trim()));
        }
        props
            .plusfriend_user_key
            .as_deref()
            .filter(|s| nonempty(s))
            .map(|k| KakaoUserKey::new(UserKeyKind::PlusfriendUserKey, k.trim()))
    }
}

/// Which Kakao identifier a [`KakaoUserKey`] is. The kinds are different namespaces: a
/// botUserKey must never be looked up as a plusfriendUserKey, or one user could reach
/// another's link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UserKeyKind {
    /// `userRequest.user.id` (type botUserKey).
    BotUserKey,
    /// `properties.plusfriendUserKey`.
    PlusfriendUserKey,
}

/// The user as Kakao identifies them to this bot; what a Truffle account is linked to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KakaoUserKey {
    /// Which identifier.
    pub kind: UserKeyKind,
    /// Its value.
    pub value: String,
}

impl KakaoUserKey {
    /// A key of `kind` with `value`.
    pub fn new(kind: UserKeyKind, value: impl Into<String>) -> Self {
        KakaoUserKey {
            kind,
            value: value.into(),
        }
    }
}

// ---- lenient deserializers -------------------------------------------------------
//
// Each accepts what Kakao has been seen to send for a field and falls back to the
// default for anything else, because one odd field must not cost the user their answer.

/// Any value of the right shape, or the default (for `null` or a wrong type).
fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned + Default,
{
    let v = Value::deserialize(d)?;
    Ok(T::deserialize(v).unwrap_or_default())
}

fn value_to_string(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A string, or a number or boolean as text; `null` and anything else read as "".
fn string_ish<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_to_string(Value::deserialize(d)?).unwrap_or_default())
}

/// Like [`string_ish`], but absent for `null`, "" and other shapes.
fn opt_string_ish<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(Value::deserialize(d)?).filter(|s| !s.is_empty()))
}

/// A boolean, or "true"/"false" as text.
fn opt_bool_ish<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// An object, or JSON text of an object (v1 payloads sent `"null"` as text).
fn client_extra<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => map,
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        },
        _ => Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn guide_example_parses() {
        let p: SkillPayload = serde_json::from_value(json!({
            "intent": {"id": "b1", "name": "블록 이름"},
            "userRequest": {
                "timezone": "Asia/Seoul", "params": {"ignoreMe": "true"},
                "block": {"id": "b1", "name": "블록 이름"},
                "utterance": "발화 내용", "lang": null,
                "user": {"id": "u1", "type": "accountId",
                         "properties": {"plusfriendUserKey": "pf1", "isFriend": true}}
            },
            "bot": {"id": "bot1", "name": "봇 이름"},
            "action": {"name": "스킬", "clientExtra": null, "params": {}, "id": "s1",
                       "detailParams": {}}
        }))
        .unwrap();
        assert_eq!(p.user_request.utterance, "발화 내용");
        assert_eq!(p.user_request.lang, "");
        assert_eq!(
            p.user_key(),
            Some(KakaoUserKey::new(UserKeyKind::BotUserKey, "u1"))
        );
        assert_eq!(p.user_request.user.properties.is_friend, Some(true));
        assert!(p.action.client_extra.is_empty());
    }

    #[test]
    fn v1_spellings_and_odd_types_are_tolerated() {
        let p: SkillPayload = serde_json::from_value(json!({
            "userRequest": {"utterance": 123456, "user": {"id": 620678,
                "properties": {"plusfriend_user_key": "BlGTEYoiNoSh", "isFriend": "true"}}},
            "action": {"clientExtra": "null", "params": "oops"},
            "contexts": {}
        }))
        .unwrap();
        assert_eq!(p.user_request.utterance, "123456");
        assert_eq!(p.user_request.user.id, "620678");
        assert_eq!(
            p.user_request
                .user
                .properties
                .plusfriend_user_key
                .as_deref(),
            Some("BlGTEYoiNoSh")
        );
        assert_eq!(p.user_request.user.properties.is_friend, Some(true));
        assert!(p.action.params.is_empty());
        assert!(p.contexts.is_empty());
    }

    #[test]
    fn wrongly_shaped_parts_fall_back_to_defaults() {
        let p: SkillPayload = serde_json::from_value(json!({
            "intent": "x", "userRequest": [], "bot": 5, "action": {"detailParams": []},
            "contexts": "none", "flow": "TEXT_INPUT", "unknownTopLevel": {"a": 1}
        }))
        .unwrap();
        assert_eq!(p, SkillPayload::default());
        let p: SkillPayload = serde_json::from_value(json!({
            "flow": {"trigger": {"type": "CARD_BUTTON_BLOCK", "referrerBlock": {"id": "b", "name": "n"}},
                     "lastBlock": null}
        }))
        .unwrap();
        let trigger = p.flow.unwrap().trigger.unwrap();
        assert_eq!(trigger.kind, "CARD_BUTTON_BLOCK");
        assert_eq!(trigger.referrer_block.unwrap().name, "n");
    }

    #[test]
    fn entity_values_plain_and_json() {
        let action: Action = serde_json::from_value(json!({
            "params": {
                "sys_date": "{\"dateTag\": \"Friday\", \"date\": \"2023-03-31\"}",
                "sys_location": "강남",
                "code": "{\"amount\": 12345, \"unit\": null}",
                "raw_code": "012345"
            },
            "detailParams": {
                "code": {"origin": "012345", "value": "{\"amount\": 12345, \"unit\": null}", "groupName": ""}
            }
        }))
        .unwrap();
        let date = action.param("sys_date").unwrap();
        assert_eq!(date.field("date"), Some(&json!("2023-03-31")));
        assert_eq!(date.as_text().as_deref(), Some("2023-03-31"));
        assert_eq!(
            action.param("sys_location"),
            Some(EntityValue::Text("강남".into()))
        );
        assert_eq!(
            action.param("code").unwrap().as_text().as_deref(),
            Some("12345")
        );
        assert_eq!(action.param_as_typed("code").as_deref(), Some("012345"));
        assert_eq!(action.param_as_typed("raw_code").as_deref(), Some("012345"));
        assert_eq!(action.detail_param("code").unwrap().origin, "012345");
        // Brace-looking text that is not JSON stays text.
        assert_eq!(
            EntityValue::parse(&json!("{not json}")),
            EntityValue::Text("{not json}".into())
        );
    }

    #[test]
    fn user_key_fallbacks() {
        let mut p = SkillPayload::default();
        assert_eq!(p.user_key(), None);
        p.user_request.user.properties.plusfriend_user_key = Some("pf".into());
        assert_eq!(
            p.user_key(),
            Some(KakaoUserKey::new(UserKeyKind::PlusfriendUserKey, "pf"))
        );
        p.user_request.user.properties.bot_user_key = Some("bk".into());
        assert_eq!(
            p.user_key(),
            Some(KakaoUserKey::new(UserKeyKind::BotUserKey, "bk"))
        );
    }
}
