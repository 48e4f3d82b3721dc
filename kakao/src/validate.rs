//! A checker of skill responses against Kakao's documented limits.
//!
//! It reads raw JSON, not our types, so it checks what is actually sent, and it is
//! written from the guide's tables (see [`crate::limits`]), not from what the bot builds:
//! tests feed it both the bot's answers and hand-written bad responses.
//!
//! `null` for an optional field counts as absent (the guide marks such fields "X", and
//! says nothing of `null`); for a required field it is reported as missing.

use serde_json::{Map, Value};
use std::fmt;

use crate::limits::*;
use crate::text::{char_len, is_http_url};

/// One way a response breaks the guide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where, as a path from the top (`template.outputs[1].basicCard.buttons[0].label`).
    pub path: String,
    /// What is wrong.
    pub kind: ViolationKind,
}

/// What is wrong at a [`Violation::path`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// A required field is absent or `null`.
    Missing,
    /// The value has the wrong JSON type.
    WrongType {
        /// The type the guide gives.
        expected: &'static str,
    },
    /// `version` is not "2.0".
    WrongVersion {
        /// What was sent.
        found: String,
    },
    /// A text has more characters than allowed.
    TooLong {
        /// The limit, in characters.
        max: usize,
        /// The text's length, in characters.
        len: usize,
    },
    /// A list has more elements than allowed.
    TooMany {
        /// The limit.
        max: usize,
        /// How many were sent.
        len: usize,
    },
    /// A list has fewer elements than required.
    TooFew {
        /// The minimum.
        min: usize,
        /// How many were sent.
        len: usize,
    },
    /// A required text is empty.
    Empty,
    /// An output's type is not one the guide lists.
    UnknownOutputType {
        /// The key that was sent.
        name: String,
    },
    /// A value outside the guide's list (an action, layout, carousel type, currency).
    NotAllowed {
        /// What was sent.
        value: String,
        /// What the guide allows.
        allowed: &'static [&'static str],
    },
    /// A URL field does not hold an absolute http(s) URL.
    NotAUrl,
    /// Fields that the guide says cannot go together, or an output element that is not
    /// exactly one component.
    Conflict(&'static str),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "response"
        } else {
            &self.path
        };
        match &self.kind {
            ViolationKind::Missing => write!(f, "{path}: required field missing"),
            ViolationKind::WrongType { expected } => write!(f, "{path}: expected {expected}"),
            ViolationKind::WrongVersion { found } => {
                write!(f, "{path}: version must be \"2.0\", found {found:?}")
            }
            ViolationKind::TooLong { max, len } => {
                write!(f, "{path}: {len} characters, at most {max} allowed")
            }
            ViolationKind::TooMany { max, len } => {
                write!(f, "{path}: {len} elements, at most {max} allowed")
            }
            ViolationKind::TooFew { min, len } => {
                write!(f, "{path}: {len} elements, at least {min} required")
            }
            ViolationKind::Empty => write!(f, "{path}: must not be empty"),
            ViolationKind::UnknownOutputType { name } => {
                write!(f, "{path}: unknown output type {name:?}")
            }
            ViolationKind::NotAllowed { value, allowed } => {
                write!(f, "{path}: {value:?} is not one of {allowed:?}")
            }
            ViolationKind::NotAUrl => write!(f, "{path}: not an http(s) URL"),
            ViolationKind::Conflict(why) => write!(f, "{path}: {why}"),
        }
    }
}

/// Checks a skill response (as sent, or as POSTed to a callback URL) against the guide.
/// Returns every violation found, not just the first, so a test failure shows them all.
pub fn validate_response(response: &Value) -> Result<(), Vec<Violation>> {
    let mut c = Checker::default();
    c.response(response);
    if c.violations.is_empty() {
        Ok(())
    } else {
        Err(c.violations)
    }
}

#[derive(Default)]
struct Checker {
    violations: Vec<Violation>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

impl Checker {
    fn push(&mut self, path: impl Into<String>, kind: ViolationKind) {
        self.violations.push(Violation {
            path: path.into(),
            kind,
        });
    }

    fn object<'a>(&mut self, value: &'a Value, path: &str) -> Option<&'a Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            _ => {
                self.push(path, ViolationKind::WrongType { expected: "object" });
                None
            }
        }
    }

    fn required<'a>(
        &mut self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'a Value> {
        let v = get(map, key);
        if v.is_none() {
            self.push(join(path, key), ViolationKind::Missing);
        }
        v
    }

    fn as_str<'a>(&mut self, value: &'a Value, path: &str) -> Option<&'a str> {
        match value {
            Value::String(s) => Some(s),
            _ => {
                self.push(path, ViolationKind::WrongType { expected: "string" });
                None
            }
        }
    }

    /// A string field; `max` characters at most; `required` also means not empty.
    fn text<'a>(
        &mut self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &str,
        required: bool,
        max: Option<usize>,
    ) -> Option<&'a str> {
        let p = join(path, key);
        let value = if required {
            self.required(map, key, path)?
        } else {
            get(map, key)?
        };
        let s = self.as_str(value, &p)?;
        if required && s.trim().is_empty() {
            self.push(p.clone(), ViolationKind::Empty);
        }
        if let Some(max) = max {
            let len = char_len(s);
            if len > max {
                self.push(p, ViolationKind::TooLong { max, len });
            }
        }
        Some(s)
    }

    fn url(&mut self, map: &Map<String, Value>, key: &str, path: &str, required: bool) {
        if let Some(s) = self.text(map, key, path, required, None) {
            if !is_http_url(s) {
                self.push(join(path, key), ViolationKind::NotAUrl);
            }
        }
    }

    fn one_of(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        path: &str,
        required: bool,
        allowed: &'static [&'static str],
    ) -> Option<String> {
        let s = self.text(map, key, path, required, None)?;
        if !allowed.contains(&s) {
            self.push(
                join(path, key),
                ViolationKind::NotAllowed {
                    value: s.to_owned(),
                    allowed,
                },
            );
            return None;
        }
        Some(s.to_owned())
    }

    fn uint(&mut self, map: &Map<String, Value>, key: &str, path: &str, required: bool) {
        let value = if required {
            self.required(map, key, path)
        } else {
            get(map, key)
        };
        if let Some(v) = value {
            if v.as_u64().is_none() {
                self.push(
                    join(path, key),
                    ViolationKind::WrongType {
                        expected: "non-negative integer",
                    },
                );
            }
        }
    }

    fn boolean(&mut self, map: &Map<String, Value>, key: &str, path: &str) -> Option<bool> {
        let v = get(map, key)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.push(
                    join(path, key),
                    ViolationKind::WrongType {
                        expected: "boolean",
                    },
                );
                None
            }
        }
    }

    /// An array field with `min..=max` elements.
    fn array<'a>(
        &mut self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &str,
        min: usize,
        max: usize,
    ) -> Option<&'a Vec<Value>> {
        let p = join(path, key);
        let value = if min > 0 {
            self.required(map, key, path)?
        } else {
            get(map, key)?
        };
        let Value::Array(items) = value else {
            self.push(p, ViolationKind::WrongType { expected: "array" });
            return None;
        };
        if items.len() < min {
            self.push(
                p.clone(),
                ViolationKind::TooFew {
                    min,
                    len: items.len(),
                },
            );
        }
        if items.len() > max {
            self.push(
                p,
                ViolationKind::TooMany {
                    max,
                    len: items.len(),
                },
            );
        }
        Some(items)
    }

    fn extra(&mut self, map: &Map<String, Value>, path: &str) {
        if let Some(v) = get(map, "extra") {
            self.object(v, &join(path, "extra"));
        }
    }

    fn response(&mut self, value: &Value) {
        let Some(map) = self.object(value, "") else {
            return;
        };
        if let Some(v) = self.required(map, "version", "") {
            match v.as_str() {
                Some(RESPONSE_VERSION) => {}
                Some(other) => self.push(
                    "version",
                    ViolationKind::WrongVersion {
                        found: other.to_owned(),
                    },
                ),
                None => self.push("version", ViolationKind::WrongType { expected: "string" }),
            }
        }
        let callback = self.boolean(map, "useCallback", "") == Some(true);
        if let Some(data) = get(map, "data") {
            if let Some(data) = self.object(data, "data") {
                // The callback guide shows `data.text` as the waiting message.
                self.text(data, "text", "data", false, None);
            }
        }
        if let Some(context) = get(map, "context") {
            self.context(context);
        }
        if callback {
            // "template: 무시" in callback mode; nothing of it is shown.
            return;
        }
        // Required whenever the block uses the skill's data as its answer, which is how
        // every Truffle block is set up.
        if let Some(t) = self.required(map, "template", "") {
            self.template(t);
        }
    }

    fn context(&mut self, value: &Value) {
        let Some(map) = self.object(value, "context") else {
            return;
        };
        if let Some(values) = self.array(map, "values", "context", 1, usize::MAX) {
            for (i, v) in values.iter().enumerate() {
                let p = index("context.values", i);
                let Some(cv) = self.object(v, &p) else {
                    continue;
                };
                self.text(cv, "name", &p, true, None);
                self.uint(cv, "lifeSpan", &p, true);
                self.uint(cv, "ttl", &p, false);
                if let Some(params) = get(cv, "params") {
                    let pp = join(&p, "params");
                    if let Some(params) = self.object(params, &pp) {
                        for (k, v) in params {
                            if !v.is_string() {
                                self.push(
                                    join(&pp, k),
                                    ViolationKind::WrongType { expected: "string" },
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    fn template(&mut self, value: &Value) {
        let Some(map) = self.object(value, "template") else {
            return;
        };
        if let Some(outputs) = self.array(map, "outputs", "template", MIN_OUTPUTS, MAX_OUTPUTS) {
            for (i, o) in outputs.iter().enumerate() {
                self.output(o, &index("template.outputs", i));
            }
        }
        if let Some(qrs) = self.array(map, "quickReplies", "template", 0, MAX_QUICK_REPLIES) {
            for (i, q) in qrs.iter().enumerate() {
                self.quick_reply(q, &index("template.quickReplies", i));
            }
        }
    }

    fn output(&mut self, value: &Value, path: &str) {
        let Some(map) = self.object(value, path) else {
            return;
        };
        if map.len() != 1 {
            self.push(
                path,
                ViolationKind::Conflict("an output must hold exactly one component"),
            );
        }
        for (name, body) in map {
            let p = join(path, name);
            match name.as_str() {
                "simpleText" => self.simple_text(body, &p),
                "simpleImage" => self.simple_image(body, &p),
                "textCard" => self.text_card(body, &p, false),
                "basicCard" => self.basic_card(body, &p, false),
                "commerceCard" => self.commerce_card(body, &p, false),
                "listCard" => self.list_card(body, &p, false),
                "itemCard" => self.item_card(body, &p, false),
                "carousel" => self.carousel(body, &p),
                _ => self.push(p, ViolationKind::UnknownOutputType { name: name.clone() }),
            }
        }
    }

    fn simple_text(&mut self, value: &Value, path: &str) {
        if let Some(map) = self.object(value, path) {
            self.text(map, "text", path, true, Some(SIMPLE_TEXT_MAX));
        }
    }

    fn simple_image(&mut self, value: &Value, path: &str) {
        if let Some(map) = self.object(value, path) {
            self.url(map, "imageUrl", path, true);
            self.text(map, "altText", path, false, Some(ALT_TEXT_MAX));
        }
    }

    fn thumbnail(&mut self, value: &Value, path: &str) -> Option<bool> {
        let map = self.object(value, path)?;
        self.url(map, "imageUrl", path, true);
        self.text(map, "altText", path, false, Some(ALT_TEXT_MAX));
        if let Some(link) = get(map, "link") {
            self.link(link, &join(path, "link"));
        }
        self.boolean(map, "fixedRatio", path)
    }

    fn link(&mut self, value: &Value, path: &str) {
        if let Some(map) = self.object(value, path) {
            for key in ["pc", "mobile", "web"] {
                self.url(map, key, path, false);
            }
        }
    }

    /// Buttons of a card: `fixed_ratio` is the card's thumbnail's `fixedRatio`, which
    /// lays buttons side by side unless `buttonLayout` says otherwise.
    fn buttons(&mut self, map: &Map<String, Value>, path: &str, fixed_ratio: Option<bool>) {
        let layout = self.one_of(map, "buttonLayout", path, false, BUTTON_LAYOUTS);
        let horizontal = match layout.as_deref() {
            Some("horizontal") => true,
            Some(_) => false,
            None => fixed_ratio == Some(true),
        };
        let max = if horizontal {
            CARD_BUTTONS_HORIZONTAL_MAX
        } else {
            CARD_BUTTONS_MAX
        };
        let Some(buttons) = self.array(map, "buttons", path, 0, max) else {
            return;
        };
        let label_max = if horizontal && buttons.len() == 2 {
            BUTTON_LABEL_HORIZONTAL_MAX
        } else {
            BUTTON_LABEL_MAX
        };
        for (i, b) in buttons.iter().enumerate() {
            let p = index(&join(path, "buttons"), i);
            let Some(b) = self.object(b, &p) else {
                continue;
            };
            self.text(b, "label", &p, true, Some(label_max));
            match self
                .one_of(b, "action", &p, true, BUTTON_ACTIONS)
                .as_deref()
            {
                Some("webLink") => self.url(b, "webLinkUrl", &p, true),
                Some("message") => {
                    self.text(b, "messageText", &p, true, None);
                }
                Some("phone") => {
                    self.text(b, "phoneNumber", &p, true, None);
                }
                Some("block") => {
                    self.text(b, "blockId", &p, true, None);
                }
                _ => {}
            }
            self.extra(b, &p);
        }
    }

    fn text_card(&mut self, value: &Value, path: &str, in_carousel: bool) {
        let Some(map) = self.object(value, path) else {
            return;
        };
        let title = self.text(map, "title", path, false, Some(TEXT_CARD_TITLE_MAX));
        let max = if in_carousel {
            TEXT_CARD_DESCRIPTION_CAROUSEL_MAX
        } else {
            TEXT_CARD_DESCRIPTION_MAX
        };
        let description = self.text(map, "description", path, false, Some(max));
        if title.is_none() && description.is_none() {
            self.push(
                join(path, "title"),
                ViolationKind::Conflict("a textCard needs a title or a description"),
            );
        }
        self.buttons(map, path, None);
    }

    fn basic_card(&mut self, value: &Value, path: &str, _in_carousel: bool) {
        let Some(map) = self.object(value, path) else {
            return;
        };
        self.text(map, "title", path, false, Some(BASIC_CARD_TITLE_MAX));
        self.text(
            map,
            "description",
            path,
            false,
            Some(BASIC_CARD_DESCRIPTION_MAX),
        );
        let fixed_ratio = match self.required(map, "thumbnail", path) {
            Some(t) => self.thumbnail(t, &join(path, "thumbnail")),
            None => None,
        };
        self.buttons(map, path, fixed_ratio);
    }

    fn commerce_card(&mut self, value: &Value, path: &str, _in_carousel: bool) {
        let Some(map) = self.object(value, path) else {
            return;
        };
        self.text(map, "title", path, false, Some(COMMERCE_CARD_TITLE_MAX));
        self.text(
            map,
            "description",
            path,
            false,
            Some(COMMERCE_CARD_DESCRIPTION_MAX),
        );
        self.uint(map, "price", path, true);
        self.one_of(map, "currency", path, false, &[COMMERCE_CARD_CURRENCY]);
        self.uint(map, "discount", path, false);
        self.uint(map, "discountRate", path, false);
        self.uint(map, "discountedPrice", path, false);
        if get(map, "discountRate").is_some() && get(map, "discountedPrice").is_none() {
            // "dicountedPrice: discountRate을 쓰는 경우 필수".
            self.push(join(path, "discountedPrice"), ViolationKind::Missing);
        }
        let mut fixed_ratio = None;
        if let Some(thumbs) = self.array(
            map,
            "thumbnails",
            path,
            COMMERCE_CARD_THUMBNAILS,
            COMMERCE_CARD_THUMBNAILS,
        ) {
            for (i, t) in thumbs.iter().enumerate() {
                let r = self.thumbnail(t, &index(&join(path, "thumbnails"), i));
                fixed_ratio = fixed_ratio.or(r);
            }
        }
        if let Some(profile) = get(map, "profile") {
            let p = join(path, "profile");
            if let Some(profile) = self.object(profile, &p) {
                self.text(profile, "nickname", &p, true, None);
                self.url(profile, "imageUrl", &p, false);
            }
        }
        self.buttons(map, path, fixed_ratio);
    }

    fn list_item(&mut self, value: &Value, path: &str, is_header: bool) {
        let Some(map) = self.object(value, path) else {
            return;
        };
        let max = if is_header {
            LIST_HEADER_TITLE_MAX
        } else {
            LIST_ITEM_TITLE_MAX
        };
        self.text(map, "title", path, true, Some(max));
        self.text(
            map,
            "description",
            path,
            false,
            Some(LIST_ITEM_DESCRIPTION_MAX),
        );
        self.url(map, "imageUrl", path, false);
        if let Some(link) = get(map, "link") {
            self.link(link, &join(path, "link"));
        }
        match self
            .one_of(map, "action", path, false, LIST_ITEM_ACTIONS)
            .as_deref()
        {
            Some("block") => {
                self.text(map, "blockId", path, true, None);
            }
            Some("message") => {
                self.text(map, "messageText", path, true, None);
            }
            _ => {}
        }
        self.extra(map, path);
    }

    fn list_card(&mut self, value: &Value, path: &str, in_carousel: bool) {
        let Some(map) = self.object(value, path) else {
            return;
        };
        if let Some(header) = self.required(map, "header", path) {
            self.list_item(header, &join(path, "header"), true);
        }
        let max = if in_carousel {
            LIST_CARD_ITEMS_CAROUSEL_MAX
        } else {
            LIST_CARD_ITEMS_MAX
        };
        if let Some(items) = self.array(map, "items", path, 1, max) {
            for (i, item) in items.iter().enumerate() {
                self.list_item(item, &index(&join(path, "items"), i), false);
            }
        }
        self.buttons(map, path, None);
    }

    fn item_card(&mut self, value: &Value, path: &str, in_carousel: bool) {
        let Some(map) = self.object(value, path) else {
            return;
        };
        let mut fixed_ratio = None;
        if let Some(t) = get(map, "thumbnail") {
            fixed_ratio = self.thumbnail(t, &join(path, "thumbnail"));
        }
        if let Some(head) = get(map, "head") {
            let p = join(path, "head");
            if let Some(head) = self.object(head, &p) {
                self.text(head, "title", &p, true, None);
            }
        }
        if let Some(profile) = get(map, "profile") {
            let p = join(path, "profile");
            if let Some(profile) = self.object(profile, &p) {
                self.text(
                    profile,
                    "title",
                    &p,
                    true,
                    Some(ITEM_CARD_PROFILE_TITLE_MAX),
                );
                self.url(profile, "imageUrl", &p, false);
            }
            if get(map, "head").is_some() {
                self.push(
                    p,
                    ViolationKind::Conflict("head and profile cannot be shown together"),
                );
            }
        }
        if let Some(it) = get(map, "imageTitle") {
            let p = join(path, "imageTitle");
            if let Some(it) = self.object(it, &p) {
                self.text(it, "title", &p, true, None);
                self.text(it, "description", &p, false, None);
                self.url(it, "imageUrl", &p, false);
            }
        }
        let max = if in_carousel {
            ITEM_CARD_LIST_CAROUSEL_MAX
        } else {
            ITEM_CARD_LIST_MAX
        };
        if let Some(list) = self.array(map, "itemList", path, 1, max) {
            for (i, item) in list.iter().enumerate() {
                let p = index(&join(path, "itemList"), i);
                if let Some(item) = self.object(item, &p) {
                    self.text(item, "title", &p, true, Some(ITEM_CARD_ITEM_TITLE_MAX));
                    self.text(item, "description", &p, true, None);
                }
            }
        }
        self.one_of(map, "itemListAlignment", path, false, ITEM_LIST_ALIGNMENTS);
        if let Some(summary) = get(map, "itemListSummary") {
            let p = join(path, "itemListSummary");
            if let Some(summary) = self.object(summary, &p) {
                self.text(summary, "title", &p, true, Some(ITEM_CARD_ITEM_TITLE_MAX));
                self.text(
                    summary,
                    "description",
                    &p,
                    true,
                    Some(ITEM_CARD_SUMMARY_DESCRIPTION_MAX),
                );
            }
        }
        let title = self.text(map, "title", path, false, None);
        let description = self.text(map, "description", path, false, None);
        let len = title.map_or(0, char_len) + description.map_or(0, char_len);
        let max = if in_carousel {
            ITEM_CARD_TEXT_CAROUSEL_MAX
        } else {
            ITEM_CARD_TEXT_MAX
        };
        if len > max {
            self.push(
                join(path, "description"),
                ViolationKind::TooLong { max, len },
            );
        }
        if description.is_some_and(|d| !d.is_empty()) && title.is_none_or(str::is_empty) {
            // "description을 넣는 경우, title이 필수 항목".
            self.push(join(path, "title"), ViolationKind::Missing);
        }
        self.buttons(map, path, fixed_ratio);
    }

    fn carousel(&mut self, value: &Value, path: &str) {
        let Some(map) = self.object(value, path) else {
            return;
        };
        let kind = self.one_of(map, "type", path, true, CAROUSEL_TYPES);
        let max = if kind.as_deref() == Some("listCard") {
            CAROUSEL_LIST_CARDS_MAX
        } else {
            CAROUSEL_ITEMS_MAX
        };
        if let Some(items) = self.array(map, "items", path, 1, max) {
            for (i, item) in items.iter().enumerate() {
                let p = index(&join(path, "items"), i);
                match kind.as_deref() {
                    Some("basicCard") => self.basic_card(item, &p, true),
                    Some("commerceCard") => self.commerce_card(item, &p, true),
                    Some("listCard") => self.list_card(item, &p, true),
                    Some("itemCard") => self.item_card(item, &p, true),
                    Some("textCard") => self.text_card(item, &p, true),
                    _ => {}
                }
            }
        }
        if let Some(header) = get(map, "header") {
            let p = join(path, "header");
            if matches!(kind.as_deref(), Some("listCard" | "textCard")) {
                self.push(
                    p.clone(),
                    ViolationKind::Conflict("textCard and listCard carousels take no header"),
                );
            }
            if let Some(h) = self.object(header, &p) {
                self.text(h, "title", &p, true, None);
                self.text(h, "description", &p, true, None);
                if let Some(t) = self.required(h, "thumbnail", &p) {
                    self.thumbnail(t, &join(&p, "thumbnail"));
                }
            }
        }
    }

    fn quick_reply(&mut self, value: &Value, path: &str) {
        let Some(map) = self.object(value, path) else {
            return;
        };
        self.text(map, "label", path, true, Some(QUICK_REPLY_LABEL_MAX));
        match self
            .one_of(map, "action", path, true, QUICK_REPLY_ACTIONS)
            .as_deref()
        {
            Some("message") => {
                // Without it there is no utterance to send.
                self.text(map, "messageText", path, true, None);
            }
            Some("block") => {
                // "Action이 'block' 일 때, 필수값".
                self.text(map, "blockId", path, true, None);
            }
            _ => {}
        }
        self.extra(map, path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(v: Value) -> Vec<(String, ViolationKind)> {
        validate_response(&v)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| (v.path, v.kind))
            .collect()
    }

    #[test]
    fn guide_examples_pass() {
        // The guide's own basicCard and listCard examples, trimmed.
        let basic = json!({"version": "2.0", "template": {"outputs": [{"basicCard": {
        "title": "보물상자", "description": "보물상자 안에는 뭐가 있을까",
        "thumbnail": {"imageUrl": "https://t1.kakaocdn.net/openbuilder/sample/lj3JUcmrzC53YIjNDkqbWK.jpg"},
        "buttons": [
            {"action": "message", "label": "열어보기", "messageText": "짜잔! 우리가 찾던 보물입니다"},
            {"action": "webLink", "label": "구경하기", "webLinkUrl": "https://e.kakao.com/t/hello-ryan"}
        ]}}]}});
        assert_eq!(validate_response(&basic), Ok(()));
        let list = json!({"version": "2.0", "template": {"outputs": [{"listCard": {
            "header": {"title": "챗봇 관리자센터를 소개합니다."},
            "items": [
                {"title": "챗봇 관리자센터", "description": "새로운 AI의 내일과 일상의 변화",
                 "imageUrl": "https://t1.kakaocdn.net/openbuilder/sample/img_001.jpg",
                 "link": {"web": "https://namu.wiki/w/x"}},
                {"title": "챗봇 관리자센터", "action": "block", "blockId": "62654c249ac8ed78441532de",
                 "extra": {"key1": "value1"}},
                {"title": "Kakao i Voice Service", "action": "message", "messageText": "Kakao i Voice Service"}
            ],
            "buttons": [{"label": "구경가기", "action": "block", "blockId": "62654c249ac8ed78441532de"}]
        }}], "quickReplies": [{"messageText": "인기 메뉴", "action": "message", "label": "인기 메뉴"}]}});
        assert_eq!(validate_response(&list), Ok(()));
        let callback = json!({"version": "2.0", "useCallback": true, "data": {"text": "생각하고 있는 중이에요"}});
        assert_eq!(validate_response(&callback), Ok(()));
    }

    #[test]
    fn version_and_template_are_required() {
        assert_eq!(
            kinds(json!({"template": {"outputs": [{"simpleText": {"text": "a"}}]}})),
            vec![("version".into(), ViolationKind::Missing)]
        );
        assert_eq!(
            kinds(
                json!({"version": "1.0", "template": {"outputs": [{"simpleText": {"text": "a"}}]}})
            ),
            vec![(
                "version".into(),
                ViolationKind::WrongVersion {
                    found: "1.0".into()
                }
            )]
        );
        assert_eq!(
            kinds(json!({"version": "2.0"})),
            vec![("template".into(), ViolationKind::Missing)]
        );
        assert_eq!(
            kinds(json!([])),
            vec![("".into(), ViolationKind::WrongType { expected: "object" })]
        );
    }

    #[test]
    fn commerce_card_rules() {
        let v = json!({"version": "2.0", "template": {"outputs": [{"commerceCard": {
            "title": "가".repeat(31), "price": -1, "currency": "usd", "discountRate": 10,
            "thumbnails": [], "profile": {}
        }}]}});
        let k = kinds(v);
        let p = "template.outputs[0].commerceCard";
        assert!(k.contains(&(
            format!("{p}.title"),
            ViolationKind::TooLong { max: 30, len: 31 }
        )));
        assert!(k.contains(&(
            format!("{p}.price"),
            ViolationKind::WrongType {
                expected: "non-negative integer"
            }
        )));
        assert!(k.contains(&(
            format!("{p}.currency"),
            ViolationKind::NotAllowed {
                value: "usd".into(),
                allowed: &["won"]
            }
        )));
        assert!(k.contains(&(format!("{p}.discountedPrice"), ViolationKind::Missing)));
        assert!(k.contains(&(
            format!("{p}.thumbnails"),
            ViolationKind::TooFew { min: 1, len: 0 }
        )));
        assert!(k.contains(&(format!("{p}.profile.nickname"), ViolationKind::Missing)));
    }

    #[test]
    fn horizontal_buttons_have_shorter_labels() {
        let v = json!({"version": "2.0", "template": {"outputs": [{"basicCard": {
        "thumbnail": {"imageUrl": "https://a.example/i.png", "fixedRatio": true},
        "buttons": [
            {"label": "아홉글자짜리버튼이", "action": "share"},
            {"label": "ok", "action": "operator"},
            {"label": "셋", "action": "share"}
        ]}}]}});
        let k = kinds(v);
        let p = "template.outputs[0].basicCard";
        assert!(k.contains(&(
            format!("{p}.buttons"),
            ViolationKind::TooMany { max: 2, len: 3 }
        )));
        // Three buttons were sent, so the 8-character rule (two side by side) does not
        // apply; the count is the violation.
        assert_eq!(k.len(), 1, "{k:?}");
    }

    #[test]
    fn carousel_rules() {
        let v = json!({"version": "2.0", "template": {"outputs": [{"carousel": {
            "type": "listCard",
            "header": {"title": "t", "description": "d", "thumbnail": {"imageUrl": "https://a.example/i"}},
            "items": [{"header": {"title": "h"}, "items": [
                {"title": "1"}, {"title": "2"}, {"title": "3"}, {"title": "4"}, {"title": "5"}
            ]}]
        }}, {"carousel": {"type": "simpleText", "items": []}}]}});
        let k = kinds(v);
        assert!(k.contains(&(
            "template.outputs[0].carousel.header".into(),
            ViolationKind::Conflict("textCard and listCard carousels take no header")
        )));
        assert!(k.contains(&(
            "template.outputs[0].carousel.items[0].items".into(),
            ViolationKind::TooMany { max: 4, len: 5 }
        )));
        assert!(k.contains(&(
            "template.outputs[1].carousel.type".into(),
            ViolationKind::NotAllowed {
                value: "simpleText".into(),
                allowed: CAROUSEL_TYPES
            }
        )));
        assert!(k.contains(&(
            "template.outputs[1].carousel.items".into(),
            ViolationKind::TooFew { min: 1, len: 0 }
        )));
    }

    #[test]
    fn output_must_be_one_component() {
        let v = json!({"version": "2.0", "template": {"outputs": [
            {"simpleText": {"text": "a"}, "simpleImage": {"imageUrl": "https://a.example/i"}}
        ]}});
        assert_eq!(
            kinds(v),
            vec![(
                "template.outputs[0]".into(),
                ViolationKind::Conflict("an output must hold exactly one component")
            )]
        );
    }

    #[test]
    fn display_is_readable() {
        let v = Violation {
            path: "template.outputs".into(),
            kind: ViolationKind::TooMany { max: 3, len: 4 },
        };
        assert_eq!(
            v.to_string(),
            "template.outputs: 4 elements, at most 3 allowed"
        );
    }
}
