//! A fake `BotData` with a small catalog, seven open raffles and one linked member.

#![allow(dead_code, unreachable_pub)]

use std::sync::Mutex;
use truffle_kakao::*;

/// The botUserKey of the linked member "민지" in the fixtures.
pub const LINKED_KEY: &str = "9f2d6c1e8a4b7f3e0d5c2a1b8e7f6d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c";
/// Product names that appear only in 민지's entries and orders: they must never reach
/// anyone else.
pub const PRIVATE_MARKERS: &[&str] = &["비공개 주문 상품", "비공개 응모 상품", "민지", "#90017"];

pub struct FakeData {
    pub products: Vec<ProductHit>,
    pub raffles: Vec<RaffleSummary>,
    /// Every member-specific call, with the key it was made for.
    pub member_calls: Mutex<Vec<(String, KakaoUserKey)>>,
    /// Every search, as the bot asked it.
    pub searches: Mutex<Vec<ProductQuery>>,
    pub fail: bool,
}

pub fn product(id: u64, name_ko: &str, brand: &str, price: u64) -> ProductHit {
    ProductHit {
        product_id: id,
        name_ko: name_ko.to_owned(),
        name_en: None,
        brand: brand.to_owned(),
        price_krw: price,
        image_url: Some(format!("https://img.truffle.example/p/{id}.jpg")),
        page_url: format!("https://truffle.example/products/{id}"),
        available: 3,
    }
}

fn raffle(id: u64, name: &str, day: u64) -> RaffleSummary {
    RaffleSummary {
        raffle_id: id,
        product_name: name.to_owned(),
        brand: "나이키".to_owned(),
        // 2024-05-13T09:00:00Z plus `day` days.
        closes: RaffleCloses::AtTime {
            unix_ms: 1_715_590_800_000 + day * 86_400_000,
        },
        price_krw: 139_000,
        entry_count: 1200 + id as u32,
        prizes: 10,
        image_url: Some(format!("https://img.truffle.example/r/{id}.jpg")),
        page_url: format!("https://truffle.example/raffles/{id}"),
    }
}

impl FakeData {
    pub fn new() -> Self {
        let mut products = vec![
            ProductHit {
                name_en: Some("Nike Dunk Low Retro Panda".into()),
                ..product(1, "나이키 덩크 로우 레트로 판다", "나이키", 139_000)
            },
            product(2, "나이키 덩크 하이 빈티지 네이비", "나이키", 159_000),
            ProductHit {
                available: 0,
                ..product(3, "에어 조던 1 레트로 하이 OG 시카고", "조던", 289_000)
            },
            ProductHit {
                image_url: None,
                ..product(
                    4,
                    "에어 조던 1 로우 트래비스 스캇 리버스 모카 (한정판 넘버링 에디션) 👟",
                    "조던",
                    1_890_000,
                )
            },
            ProductHit {
                image_url: Some("ftp://bad.example/x.jpg".into()),
                page_url: "not a url".into(),
                ..product(
                    5,
                    "뉴발란스 990v6 그레이 메이드 인 USA",
                    "뉴발란스",
                    259_000,
                )
            },
        ];
        // Enough Dunk variants that a Dunk search has more hits than a carousel holds.
        for i in 0..9 {
            products.push(product(
                100 + i,
                &format!("나이키 덩크 로우 콜라보 {}", i + 1),
                "나이키",
                199_000,
            ));
        }
        // The catalog: an album, a sold-out console and a PlayStation beside
        // the sneakers.
        products.push(product(200, "뉴진스 2nd EP 한정판 앨범", "HYBE", 45_000));
        products.push(ProductHit {
            available: 0,
            ..product(
                201,
                "닌텐도 스위치 OLED 젤다 에디션 (한정판)",
                "닌텐도",
                429_000,
            )
        });
        products.push(product(
            202,
            "플레이스테이션 5 30주년 한정판",
            "소니",
            899_000,
        ));
        // A collaboration registered under the other brand.
        products.push(product(
            203,
            "나이키 x 사카이 베이퍼와플",
            "사카이",
            329_000,
        ));
        let raffles = (1..=7)
            .map(|i| raffle(i, &format!("나이키 덩크 로우 한정 {i}차 래플"), i))
            .collect();
        FakeData {
            products,
            raffles,
            member_calls: Mutex::new(Vec::new()),
            searches: Mutex::new(Vec::new()),
            fail: false,
        }
    }

    fn record(&self, what: &str, user: &KakaoUserKey) {
        self.member_calls
            .lock()
            .unwrap()
            .push((what.to_owned(), user.clone()));
    }

    fn is_linked(user: &KakaoUserKey) -> bool {
        user.kind == UserKeyKind::BotUserKey && user.value == LINKED_KEY
    }

    fn check(&self) -> Result<(), DataError> {
        if self.fail {
            Err(DataError::Unavailable("store busy".into()))
        } else {
            Ok(())
        }
    }
}

/// The fake catalog's category of a product.
pub fn category_of(product_id: u64) -> &'static str {
    match product_id {
        200 => "kpop",
        201 | 202 => "games",
        _ => "sneakers",
    }
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

impl BotData for FakeData {
    fn search_products(
        &self,
        query: &ProductQuery,
        limit: usize,
    ) -> Result<Vec<ProductHit>, DataError> {
        self.check()?;
        self.searches.lock().unwrap().push(query.clone());
        // Every word must be in a name, or be the brand.
        let words: Vec<String> = query.text.split_whitespace().map(squash).collect();
        Ok(self
            .products
            .iter()
            .filter(|p| {
                words.iter().all(|q| {
                    squash(&p.name_ko).contains(q)
                        || p.name_en.as_deref().is_some_and(|e| squash(e).contains(q))
                        || squash(&p.brand) == *q
                })
            })
            .filter(|p| {
                query
                    .brand
                    .as_ref()
                    .is_none_or(|b| squash(&p.brand) == squash(b))
            })
            .filter(|p| {
                query
                    .category
                    .as_ref()
                    .is_none_or(|c| category_of(p.product_id) == c)
            })
            .filter(|p| !query.in_stock || p.available > 0)
            .filter(|p| query.min_price.is_none_or(|m| p.price_krw >= m))
            .filter(|p| query.max_price.is_none_or(|m| p.price_krw <= m))
            .take(limit)
            .cloned()
            .collect())
    }

    fn vocabulary(&self) -> Result<Vocabulary, DataError> {
        self.check()?;
        let term = |key: &str, spellings: &[&str]| Term {
            key: key.to_owned(),
            spellings: spellings.iter().map(|s| s.to_string()).collect(),
        };
        Ok(Vocabulary {
            brands: vec![
                term("나이키", &["nike"]),
                term("조던", &["jordan"]),
                term("뉴발란스", &["new balance"]),
                term("HYBE", &["하이브"]),
                term("닌텐도", &["nintendo"]),
                term("소니", &["sony"]),
            ],
            categories: vec![
                term("sneakers", &["스니커즈"]),
                term("kpop", &[]),
                term("games", &["게임"]),
            ],
        })
    }

    fn open_raffles(&self, limit: usize) -> Result<Vec<RaffleSummary>, DataError> {
        self.check()?;
        Ok(self.raffles.iter().take(limit).cloned().collect())
    }

    fn raffle(&self, raffle_id: u64) -> Result<Option<RaffleSummary>, DataError> {
        self.check()?;
        Ok(self
            .raffles
            .iter()
            .find(|r| r.raffle_id == raffle_id)
            .cloned())
    }

    fn member_entries(
        &self,
        user: &KakaoUserKey,
        _limit: usize,
    ) -> Result<MemberLookup<Vec<EntrySummary>>, DataError> {
        self.check()?;
        self.record("entries", user);
        if !Self::is_linked(user) {
            return Ok(MemberLookup::NotLinked);
        }
        let entry = |id, name: &str, state| EntrySummary {
            raffle_id: id,
            product_name: name.to_owned(),
            state,
            page_url: Some(format!("https://truffle.example/raffles/{id}")),
        };
        Ok(MemberLookup::Linked {
            member: LinkedMember {
                display_name: "민지".into(),
            },
            data: vec![
                entry(
                    1,
                    "비공개 응모 상품 A",
                    EntryState::Won {
                        order_id: 90017,
                        pay_by_unix_ms: Some(1_715_763_600_000),
                    },
                ),
                entry(
                    2,
                    "비공개 응모 상품 B",
                    EntryState::AwaitingDraw {
                        closes: RaffleCloses::AtHeight { height: 48_210 },
                    },
                ),
                entry(3, "비공개 응모 상품 C", EntryState::RunnerUp { rank: 2 }),
                entry(4, "비공개 응모 상품 D", EntryState::NotSelected),
                entry(5, "비공개 응모 상품 E", EntryState::Cancelled),
                entry(6, "비공개 응모 상품 F", EntryState::NotSelected),
            ],
        })
    }

    fn member_orders(
        &self,
        user: &KakaoUserKey,
        _limit: usize,
    ) -> Result<MemberLookup<Vec<OrderSummary>>, DataError> {
        self.check()?;
        self.record("orders", user);
        if !Self::is_linked(user) {
            return Ok(MemberLookup::NotLinked);
        }
        let order = |id, state, paid_via: Option<&str>| OrderSummary {
            order_id: id,
            product_name: format!("비공개 주문 상품 #{id}"),
            edition: Some((42, 100)),
            amount_krw: 139_000,
            state,
            paid_via: paid_via.map(str::to_owned),
            pay_by_unix_ms: Some(1_715_763_600_000),
            page_url: Some(format!("https://truffle.example/orders/{id}")),
        };
        Ok(MemberLookup::Linked {
            member: LinkedMember {
                display_name: "민지".into(),
            },
            data: vec![
                order(90017, OrderState::Pending, None),
                order(90011, OrderState::Paid, Some("toss")),
                order(90009, OrderState::Refunded, Some("toss")),
                order(90004, OrderState::Expired, None),
            ],
        })
    }

    fn verify_serial(&self, serial: &str) -> Result<AuthenticityVerdict, DataError> {
        self.check()?;
        if serial.eq_ignore_ascii_case("NK-DUNK-0042") {
            Ok(AuthenticityVerdict::Registered {
                item_id: 4242,
                product_name: "나이키 덩크 로우 레트로 판다".into(),
                brand: "나이키".into(),
                edition: 42,
                edition_size: 100,
                registered_height: 31_337,
                tx_hash: "3f9a1c0e5b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d".into(),
                image_url: Some("https://img.truffle.example/p/1.jpg".into()),
                page_url: Some("https://truffle.example/items/4242".into()),
            })
        } else {
            Ok(AuthenticityVerdict::NeverRegistered {
                checked_height: 48_213,
            })
        }
    }

    fn link_account(&self, user: &KakaoUserKey, code: &str) -> Result<LinkOutcome, DataError> {
        self.check()?;
        self.record("link", user);
        Ok(match code {
            "123456" | "012345" => LinkOutcome::Linked(LinkedMember {
                display_name: "하늘".into(),
            }),
            "999999" => LinkOutcome::ExpiredCode,
            _ => LinkOutcome::InvalidCode,
        })
    }

    fn unlink_account(&self, user: &KakaoUserKey) -> Result<UnlinkOutcome, DataError> {
        self.check()?;
        self.record("unlink", user);
        Ok(if Self::is_linked(user) {
            UnlinkOutcome::Unlinked
        } else {
            UnlinkOutcome::NotLinked
        })
    }
}

pub fn bot(data: FakeData) -> SkillBot<FakeData> {
    SkillBot::new(data, BotConfig::new("https://truffle.example").unwrap()).unwrap()
}
