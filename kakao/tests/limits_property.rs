//! Whatever the data holds (long names, emoji, bad URLs, huge numbers) and whatever the
//! user types, the bot's answer stays within Kakao's limits.

use proptest::prelude::*;
use truffle_kakao::*;

/// A data source that returns the generated data for every question.
#[derive(Debug, Clone)]
struct Generated {
    products: Vec<ProductHit>,
    raffles: Vec<RaffleSummary>,
    name: String,
    serial_verdict: AuthenticityVerdict,
    entries: Vec<EntrySummary>,
    orders: Vec<OrderSummary>,
}

impl BotData for Generated {
    fn search_products(
        &self,
        _: &ProductQuery,
        limit: usize,
    ) -> Result<Vec<ProductHit>, DataError> {
        Ok(self.products.iter().take(limit).cloned().collect())
    }
    fn open_raffles(&self, limit: usize) -> Result<Vec<RaffleSummary>, DataError> {
        Ok(self.raffles.iter().take(limit).cloned().collect())
    }
    fn raffle(&self, _: u64) -> Result<Option<RaffleSummary>, DataError> {
        Ok(self.raffles.first().cloned())
    }
    fn member_entries(
        &self,
        _: &KakaoUserKey,
        _: usize,
    ) -> Result<MemberLookup<Vec<EntrySummary>>, DataError> {
        Ok(MemberLookup::Linked {
            member: LinkedMember {
                display_name: self.name.clone(),
            },
            data: self.entries.clone(),
        })
    }
    fn member_orders(
        &self,
        _: &KakaoUserKey,
        _: usize,
    ) -> Result<MemberLookup<Vec<OrderSummary>>, DataError> {
        Ok(MemberLookup::Linked {
            member: LinkedMember {
                display_name: self.name.clone(),
            },
            data: self.orders.clone(),
        })
    }
    fn verify_serial(&self, _: &str) -> Result<AuthenticityVerdict, DataError> {
        Ok(self.serial_verdict.clone())
    }
    fn link_account(&self, _: &KakaoUserKey, _: &str) -> Result<LinkOutcome, DataError> {
        Ok(LinkOutcome::Linked(LinkedMember {
            display_name: self.name.clone(),
        }))
    }
    fn unlink_account(&self, _: &KakaoUserKey) -> Result<UnlinkOutcome, DataError> {
        Ok(UnlinkOutcome::Unlinked)
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        "\\PC{0,300}",
        "[가-힣 ]{0,80}",
        "[👟🎉✅ a-z]{0,40}",
    ]
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        "https://[a-z]{1,10}\\.example/[a-z0-9/]{0,30}",
        "\\PC{0,30}",
        Just(String::new()),
        Just("javascript:alert(1)".to_owned()),
    ]
}

fn closes() -> impl Strategy<Value = RaffleCloses> {
    prop_oneof![
        any::<u64>().prop_map(|unix_ms| RaffleCloses::AtTime { unix_ms }),
        any::<u64>().prop_map(|height| RaffleCloses::AtHeight { height }),
    ]
}

fn product() -> impl Strategy<Value = ProductHit> {
    (
        any::<u64>(),
        text(),
        proptest::option::of(text()),
        text(),
        any::<u64>(),
        proptest::option::of(url()),
        url(),
        any::<u32>(),
    )
        .prop_map(
            |(product_id, name_ko, name_en, brand, price_krw, image_url, page_url, available)| {
                ProductHit {
                    product_id,
                    name_ko,
                    name_en,
                    brand,
                    price_krw,
                    image_url,
                    page_url,
                    available,
                }
            },
        )
}

fn raffle() -> impl Strategy<Value = RaffleSummary> {
    (
        any::<u64>(),
        text(),
        text(),
        closes(),
        any::<u64>(),
        any::<u32>(),
        proptest::option::of(url()),
        url(),
    )
        .prop_map(
            |(
                raffle_id,
                product_name,
                brand,
                closes,
                price_krw,
                entry_count,
                image_url,
                page_url,
            )| {
                RaffleSummary {
                    raffle_id,
                    product_name,
                    brand,
                    closes,
                    price_krw,
                    entry_count,
                    prizes: entry_count % 50,
                    image_url,
                    page_url,
                }
            },
        )
}

fn entry() -> impl Strategy<Value = EntrySummary> {
    let state = prop_oneof![
        closes().prop_map(|closes| EntryState::AwaitingDraw { closes }),
        (any::<u64>(), proptest::option::of(any::<u64>())).prop_map(|(order_id, pay_by)| {
            EntryState::Won {
                order_id,
                pay_by_unix_ms: pay_by,
            }
        }),
        any::<u32>().prop_map(|rank| EntryState::RunnerUp { rank }),
        Just(EntryState::NotSelected),
        Just(EntryState::Cancelled),
    ];
    (any::<u64>(), text(), state, proptest::option::of(url())).prop_map(
        |(raffle_id, product_name, state, page_url)| EntrySummary {
            raffle_id,
            product_name,
            state,
            page_url,
        },
    )
}

fn order() -> impl Strategy<Value = OrderSummary> {
    let state = prop_oneof![
        Just(OrderState::Pending),
        Just(OrderState::Paid),
        Just(OrderState::Expired),
        Just(OrderState::Cancelled),
        Just(OrderState::Refunded),
    ];
    (
        any::<u64>(),
        text(),
        proptest::option::of((any::<u32>(), any::<u32>())),
        any::<u64>(),
        state,
        proptest::option::of(text()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(url()),
    )
        .prop_map(
            |(order_id, product_name, edition, amount_krw, state, paid_via, pay_by, page_url)| {
                OrderSummary {
                    order_id,
                    product_name,
                    edition,
                    amount_krw,
                    state,
                    paid_via,
                    pay_by_unix_ms: pay_by,
                    page_url,
                }
            },
        )
}

fn verdict() -> impl Strategy<Value = AuthenticityVerdict> {
    prop_oneof![
        any::<u64>()
            .prop_map(|checked_height| AuthenticityVerdict::NeverRegistered { checked_height }),
        (
            any::<u64>(),
            text(),
            text(),
            any::<u32>(),
            any::<u64>(),
            "[0-9a-f]{0,64}|\\PC{0,20}",
            proptest::option::of(url()),
            proptest::option::of(url()),
        )
            .prop_map(
                |(item_id, product_name, brand, edition, height, tx_hash, image_url, page_url)| {
                    AuthenticityVerdict::Registered {
                        item_id,
                        product_name,
                        brand,
                        edition,
                        edition_size: edition.saturating_add(1),
                        registered_height: height,
                        tx_hash,
                        image_url,
                        page_url,
                    }
                }
            ),
    ]
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        proptest::collection::vec(product(), 0..14),
        proptest::collection::vec(raffle(), 0..25),
        text(),
        verdict(),
        proptest::collection::vec(entry(), 0..8),
        proptest::collection::vec(order(), 0..8),
    )
        .prop_map(
            |(products, raffles, name, serial_verdict, entries, orders)| Generated {
                products,
                raffles,
                name,
                serial_verdict,
                entries,
                orders,
            },
        )
}

const UTTERANCES: &[&str] = &[
    "나이키 덩크 찾아줘",
    "진행중인 래플",
    "래플 1번 보기",
    "내 응모 결과",
    "내 주문",
    "정품 확인 ABC-123",
    "연동 123456",
    "연동 해제",
    "도움말",
];

fn payload(utterance: &str) -> SkillPayload {
    let mut p = SkillPayload::default();
    p.user_request.utterance = utterance.to_owned();
    p.user_request.user.id = "user-key".to_owned();
    p
}

fn check(bot: &SkillBot<Generated>, utterance: &str) -> Result<(), TestCaseError> {
    let answer = bot.answer(&payload(utterance));
    let v = serde_json::to_value(&answer).unwrap();
    prop_assert_eq!(validate_response(&v), Ok(()), "{} -> {:#}", utterance, v);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn answers_fit_whatever_the_data(data in generated()) {
        let bot = SkillBot::new(data, BotConfig::new("https://truffle.example").unwrap()).unwrap();
        for u in UTTERANCES {
            check(&bot, u)?;
        }
    }

    #[test]
    fn answers_fit_whatever_is_typed(data in generated(), utterance in "\\PC{0,1200}") {
        let bot = SkillBot::new(data, BotConfig::new("https://truffle.example").unwrap()).unwrap();
        check(&bot, &utterance)?;
    }
}
