//! The validator against hand-written responses that break Kakao's documented limits:
//! each must be rejected, with the violation at the right place.

use serde_json::{json, Value};
use truffle_kakao::{validate_response, ViolationKind};

fn violations(v: &Value) -> Vec<(String, ViolationKind)> {
    match validate_response(v) {
        Ok(()) => panic!("accepted an invalid response: {v:#}"),
        Err(vs) => vs.into_iter().map(|v| (v.path, v.kind)).collect(),
    }
}

fn text(t: &str) -> Value {
    json!({"simpleText": {"text": t}})
}

fn response(outputs: Vec<Value>) -> Value {
    json!({"version": "2.0", "template": {"outputs": outputs}})
}

fn thumb() -> Value {
    json!({"imageUrl": "https://img.truffle.example/p/1.jpg"})
}

#[test]
fn four_outputs_are_too_many() {
    let v = response(vec![text("1"), text("2"), text("3"), text("4")]);
    assert_eq!(
        violations(&v),
        [(
            "template.outputs".to_owned(),
            ViolationKind::TooMany { max: 3, len: 4 }
        )]
    );
}

#[test]
fn no_outputs_are_too_few() {
    let v = response(vec![]);
    assert_eq!(
        violations(&v),
        [(
            "template.outputs".to_owned(),
            ViolationKind::TooFew { min: 1, len: 0 }
        )]
    );
}

#[test]
fn eleven_quick_replies_are_too_many() {
    let qrs: Vec<Value> = (0..11)
        .map(|i| json!({"label": format!("메뉴 {i}"), "action": "message", "messageText": format!("메뉴 {i}")}))
        .collect();
    let v = json!({"version": "2.0", "template": {"outputs": [text("a")], "quickReplies": qrs}});
    assert_eq!(
        violations(&v),
        [(
            "template.quickReplies".to_owned(),
            ViolationKind::TooMany { max: 10, len: 11 }
        )]
    );
}

#[test]
fn a_1001_character_text_is_too_long_and_1000_is_fine() {
    let ok = response(vec![text(&"가".repeat(1000))]);
    assert_eq!(validate_response(&ok), Ok(()));
    let v = response(vec![text(&"가".repeat(1001))]);
    assert_eq!(
        violations(&v),
        [(
            "template.outputs[0].simpleText.text".to_owned(),
            ViolationKind::TooLong {
                max: 1000,
                len: 1001
            }
        )]
    );
    // Counted in characters, not bytes: 1000 Hangul syllables are 3000 bytes.
    assert_eq!("가".repeat(1000).len(), 3000);
}

#[test]
fn a_card_with_four_buttons_is_rejected() {
    let button =
        json!({"label": "보기", "action": "webLink", "webLinkUrl": "https://truffle.example/"});
    let v = response(vec![json!({"basicCard": {
        "title": "나이키 덩크",
        "thumbnail": thumb(),
        "buttons": [button, button, button, button]
    }})]);
    assert_eq!(
        violations(&v),
        [(
            "template.outputs[0].basicCard.buttons".to_owned(),
            ViolationKind::TooMany { max: 3, len: 4 }
        )]
    );
}

#[test]
fn an_unknown_output_type_is_rejected() {
    let v = response(vec![
        json!({"videoCard": {"url": "https://truffle.example/v.mp4"}}),
    ]);
    assert_eq!(
        violations(&v),
        [(
            "template.outputs[0].videoCard".to_owned(),
            ViolationKind::UnknownOutputType {
                name: "videoCard".into()
            }
        )]
    );
}

#[test]
fn quick_reply_rules() {
    let v = json!({"version": "2.0", "template": {"outputs": [text("a")], "quickReplies": [
        {"label": "열다섯 글자짜리 바로가기 라벨", "action": "message", "messageText": "x"},
        {"label": "블록", "action": "block"},
        {"label": "웹", "action": "webLink", "webLinkUrl": "https://truffle.example/"},
        {"label": "", "action": "message", "messageText": "x"},
        {"label": "메시지", "action": "message"}
    ]}});
    let k = violations(&v);
    assert!(
        k.contains(&(
            "template.quickReplies[0].label".into(),
            ViolationKind::TooLong { max: 14, len: 16 }
        )),
        "{k:?}"
    );
    assert!(k.contains(&(
        "template.quickReplies[1].blockId".into(),
        ViolationKind::Missing
    )));
    assert!(k.contains(&(
        "template.quickReplies[2].action".into(),
        ViolationKind::NotAllowed {
            value: "webLink".into(),
            allowed: &["message", "block"]
        }
    )));
    assert!(k.contains(&(
        "template.quickReplies[3].label".into(),
        ViolationKind::Empty
    )));
    assert!(k.contains(&(
        "template.quickReplies[4].messageText".into(),
        ViolationKind::Missing
    )));
    assert_eq!(k.len(), 5, "{k:?}");
}

#[test]
fn basic_card_text_limits_and_required_thumbnail() {
    let v = response(vec![json!({"basicCard": {
        "title": "가".repeat(51),
        "description": "나".repeat(231)
    }})]);
    let k = violations(&v);
    let p = "template.outputs[0].basicCard";
    assert_eq!(
        k,
        [
            (
                format!("{p}.title"),
                ViolationKind::TooLong { max: 50, len: 51 }
            ),
            (
                format!("{p}.description"),
                ViolationKind::TooLong { max: 230, len: 231 }
            ),
            (format!("{p}.thumbnail"), ViolationKind::Missing),
        ]
    );
}

#[test]
fn button_rules() {
    let v = response(vec![
        json!({"basicCard": {
            "thumbnail": thumb(),
            "buttons": [
                {"label": "열다섯 글자짜리 버튼 라벨이에요", "action": "webLink"},
                {"label": "전화", "action": "phone"},
                {"label": "앱", "action": "osLink", "osLink": {}}
            ]
        }}),
        json!({"textCard": {
            "title": "가로 버튼",
            "buttonLayout": "horizontal",
            "buttons": [
                {"label": "아홉 글자 버튼이에요", "action": "share"},
                {"label": "공유", "action": "share"}
            ]
        }}),
        json!({"textCard": {
            "description": "링크",
            "buttonLayout": "diagonal",
            "buttons": [{"label": "열기", "action": "webLink", "webLinkUrl": "javascript:alert(1)"}]
        }}),
    ]);
    let k = violations(&v);
    let b = "template.outputs[0].basicCard.buttons";
    for expected in [
        (
            format!("{b}[0].label"),
            ViolationKind::TooLong { max: 14, len: 17 },
        ),
        (format!("{b}[0].webLinkUrl"), ViolationKind::Missing),
        (format!("{b}[1].phoneNumber"), ViolationKind::Missing),
        (
            format!("{b}[2].action"),
            ViolationKind::NotAllowed {
                value: "osLink".into(),
                allowed: &["webLink", "message", "phone", "block", "share", "operator"],
            },
        ),
        (
            "template.outputs[1].textCard.buttons[0].label".into(),
            ViolationKind::TooLong { max: 8, len: 11 },
        ),
        (
            "template.outputs[2].textCard.buttonLayout".into(),
            ViolationKind::NotAllowed {
                value: "diagonal".into(),
                allowed: &["vertical", "horizontal"],
            },
        ),
        (
            "template.outputs[2].textCard.buttons[0].webLinkUrl".into(),
            ViolationKind::NotAUrl,
        ),
    ] {
        assert!(k.contains(&expected), "missing {expected:?} in {k:?}");
    }
    assert_eq!(k.len(), 7, "{k:?}");
}

#[test]
fn list_card_rules() {
    let item = json!({"title": "항목"});
    let v = response(vec![
        json!({"listCard": {
            "header": {"title": "가".repeat(51)},
            "items": [item, item, item, item, item, item],
            "buttons": [{"label": "더보기", "action": "message", "messageText": "더보기"}]
        }}),
        json!({"listCard": {
            "items": [{"description": "제목 없음", "action": "block"}]
        }}),
    ]);
    let k = violations(&v);
    for expected in [
        (
            "template.outputs[0].listCard.header.title".into(),
            ViolationKind::TooLong { max: 50, len: 51 },
        ),
        (
            "template.outputs[0].listCard.items".into(),
            ViolationKind::TooMany { max: 5, len: 6 },
        ),
        (
            "template.outputs[1].listCard.header".into(),
            ViolationKind::Missing,
        ),
        (
            "template.outputs[1].listCard.items[0].title".into(),
            ViolationKind::Missing,
        ),
        (
            "template.outputs[1].listCard.items[0].blockId".into(),
            ViolationKind::Missing,
        ),
    ] {
        assert!(k.contains(&expected), "missing {expected:?} in {k:?}");
    }
    assert_eq!(k.len(), 5, "{k:?}");
}

#[test]
fn carousel_of_eleven_cards_is_rejected() {
    let card = json!({"title": "카드", "thumbnail": thumb()});
    let v = response(vec![
        json!({"carousel": {"type": "basicCard", "items": vec![card; 11]}}),
    ]);
    assert_eq!(
        violations(&v),
        [(
            "template.outputs[0].carousel.items".to_owned(),
            ViolationKind::TooMany { max: 10, len: 11 }
        )]
    );
}

#[test]
fn carousel_items_are_checked_as_their_type() {
    let v = response(vec![json!({"carousel": {"type": "commerceCard", "items": [
        {"title": "가격 없음", "thumbnails": [thumb()]},
        {"price": 1000, "thumbnails": [thumb(), thumb()]}
    ]}})]);
    let p = "template.outputs[0].carousel.items";
    assert_eq!(
        violations(&v),
        [
            (format!("{p}[0].price"), ViolationKind::Missing),
            (
                format!("{p}[1].thumbnails"),
                ViolationKind::TooMany { max: 1, len: 2 }
            ),
        ]
    );
}

#[test]
fn wrong_types_and_version() {
    let v = json!({"version": 2.0, "template": {"outputs": [{"simpleText": {"text": 5}}]}});
    assert_eq!(
        violations(&v),
        [
            (
                "version".to_owned(),
                ViolationKind::WrongType { expected: "string" }
            ),
            (
                "template.outputs[0].simpleText.text".to_owned(),
                ViolationKind::WrongType { expected: "string" }
            ),
        ]
    );
    let v = json!({"version": "2.0", "useCallback": "yes", "template": {"outputs": [text("a")]}});
    assert_eq!(
        violations(&v),
        [(
            "useCallback".to_owned(),
            ViolationKind::WrongType {
                expected: "boolean"
            }
        )]
    );
}

#[test]
fn image_rules() {
    let v = response(vec![
        json!({"simpleImage": {"imageUrl": "/local/path.png", "altText": "가".repeat(51)}}),
        json!({"simpleImage": {}}),
    ]);
    let k = violations(&v);
    assert_eq!(
        k,
        [
            (
                "template.outputs[0].simpleImage.imageUrl".to_owned(),
                ViolationKind::NotAUrl
            ),
            (
                "template.outputs[0].simpleImage.altText".to_owned(),
                ViolationKind::TooLong { max: 50, len: 51 }
            ),
            (
                "template.outputs[1].simpleImage.imageUrl".to_owned(),
                ViolationKind::Missing
            ),
        ]
    );
}
