//! Demo data for `truffle dev`: sellers, members, a catalogue of Korean limited
//! editions, raffles and banners — all as ordinary signed transactions.
//!
//! Every demo key comes from a public name (`Keypair::from_name`): this data is for
//! development only.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Context};
use truffle_genesis::dev_keys;
use truffle_ledger::tx::{age_in_years, raffle_commitment, ADULT_AGE};
use truffle_ledger::types::{AdSpec, EntryWindow, Gender, ProductSpec, RaffleSpec, Role};
use truffle_ledger::{Effect, Hash, Keypair, Payload, PublicKey, Transaction};
use truffle_node::{Node, TxStatus};

/// The demo sellers: key name and shop name.
pub(crate) const SELLERS: [(&str, &str); 3] = [
    ("demo-seller-sneakers", "스니커즈 라운지"),
    ("demo-seller-luxury", "럭셔리 아카이브"),
    ("demo-seller-collectibles", "컬렉터블 하우스"),
];

/// The demo members: key name, birth year.
pub(crate) const MEMBERS: [(&str, u16); 5] = [
    ("demo-member-1", 1995),
    ("demo-member-2", 1988),
    ("demo-member-3", 2001),
    ("demo-member-4", 1979),
    ("demo-member-5", 2008),
];

/// (seller index, brand, model, Korean name, English name, category, price, pieces)
type CatalogueEntry = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u64,
    usize,
);

const CATALOGUE: &[CatalogueEntry] = &[
    (
        0,
        "Nike",
        "DD1391-100",
        "나이키 덩크 로우 레트로 범고래",
        "Nike Dunk Low Retro Panda",
        "sneakers",
        129_000,
        5,
    ),
    (
        0,
        "Nike",
        "DZ5485-612",
        "조던 1 레트로 하이 OG 시카고",
        "Air Jordan 1 Retro High OG Chicago",
        "sneakers",
        219_000,
        4,
    ),
    (
        0,
        "Nike",
        "CW2288-111",
        "나이키 에어포스 1 '07 화이트",
        "Nike Air Force 1 '07 White",
        "sneakers",
        139_000,
        6,
    ),
    (
        0,
        "Nike",
        "FD2596-021",
        "나이키 에어맥스 1 86 빅버블",
        "Nike Air Max 1 '86 Big Bubble",
        "sneakers",
        189_000,
        3,
    ),
    (
        0,
        "Adidas",
        "HQ6316",
        "아디다스 이지 부스트 350 V2 본",
        "adidas Yeezy Boost 350 V2 Bone",
        "sneakers",
        299_000,
        4,
    ),
    (
        0,
        "Adidas",
        "IE3437",
        "아디다스 삼바 OG 화이트 블랙",
        "adidas Samba OG White Black",
        "sneakers",
        139_000,
        6,
    ),
    (
        0,
        "New Balance",
        "M990GL6",
        "뉴발란스 990v6 그레이",
        "New Balance 990v6 Grey",
        "sneakers",
        259_000,
        4,
    ),
    (
        0,
        "New Balance",
        "U2002RHO",
        "뉴발란스 2002R 프로텍션 팩 레인클라우드",
        "New Balance 2002R Protection Pack Rain Cloud",
        "sneakers",
        199_000,
        3,
    ),
    (
        0,
        "Asics",
        "1201A789-020",
        "아식스 젤 카야노 14 실버",
        "ASICS Gel-Kayano 14 Silver",
        "sneakers",
        189_000,
        4,
    ),
    (
        0,
        "Salomon",
        "L47298600",
        "살로몬 XT-6 블랙",
        "Salomon XT-6 Black",
        "sneakers",
        249_000,
        3,
    ),
    (
        0,
        "Supreme",
        "FW23-BOGO-BLK",
        "슈프림 박스로고 후드 블랙",
        "Supreme Box Logo Hooded Sweatshirt Black",
        "streetwear",
        498_000,
        3,
    ),
    (
        0,
        "Stussy",
        "1904870-WT",
        "스투시 월드투어 티셔츠 화이트",
        "Stussy World Tour Tee White",
        "streetwear",
        89_000,
        8,
    ),
    (
        0,
        "Palace",
        "P23TP041",
        "팔라스 트라이퍼그 후드 네이비",
        "Palace Tri-Ferg Hood Navy",
        "streetwear",
        259_000,
        3,
    ),
    (
        1,
        "Rolex",
        "126610LN",
        "롤렉스 서브마리너 데이트 블랙",
        "Rolex Submariner Date Black",
        "watches",
        15_800_000,
        2,
    ),
    (
        1,
        "Rolex",
        "126500LN",
        "롤렉스 코스모그래프 데이토나 판다",
        "Rolex Cosmograph Daytona Panda",
        "watches",
        24_500_000,
        1,
    ),
    (
        1,
        "Omega",
        "310.30.42.50.01.002",
        "오메가 스피드마스터 문워치 프로페셔널",
        "Omega Speedmaster Moonwatch Professional",
        "watches",
        9_800_000,
        2,
    ),
    (
        1,
        "Hermes",
        "BIRKIN25-GOLD",
        "에르메스 버킨 25 골드 토고",
        "Hermes Birkin 25 Gold Togo",
        "bags",
        21_000_000,
        1,
    ),
    (
        1,
        "Chanel",
        "A01112-Y01864",
        "샤넬 클래식 플랩백 미디움 블랙 캐비어",
        "Chanel Classic Flap Bag Medium Black Caviar",
        "bags",
        15_570_000,
        2,
    ),
    (
        1,
        "Louis Vuitton",
        "M46203",
        "루이비통 스피디 반둘리에 25 모노그램",
        "Louis Vuitton Speedy Bandouliere 25 Monogram",
        "bags",
        2_830_000,
        3,
    ),
    (
        1,
        "Macallan",
        "MAC18-SHERRY-2023",
        "맥캘란 18년 셰리 오크 2023",
        "The Macallan 18 Years Sherry Oak 2023",
        "whisky",
        780_000,
        4,
    ),
    (
        1,
        "Yamazaki",
        "YMZ18-2024",
        "야마자키 18년",
        "Yamazaki 18 Years",
        "whisky",
        1_450_000,
        2,
    ),
    (
        2,
        "LEGO",
        "75192",
        "레고 스타워즈 밀레니엄 팔콘 UCS",
        "LEGO Star Wars Millennium Falcon UCS",
        "toys",
        1_159_000,
        3,
    ),
    (
        2,
        "LEGO",
        "10300",
        "레고 백 투 더 퓨처 타임머신",
        "LEGO Back to the Future Time Machine",
        "toys",
        279_000,
        4,
    ),
    (
        2,
        "Pokemon",
        "SV-151-BOOSTER-BOX",
        "포켓몬 카드 151 부스터 박스 한국판",
        "Pokemon Card 151 Booster Box Korean",
        "cards",
        189_000,
        6,
    ),
    (
        2,
        "Bearbrick",
        "BE@RBRICK-1000-KAWS",
        "베어브릭 카우스 1000% 컴패니언",
        "Be@rbrick KAWS Companion 1000%",
        "figures",
        3_200_000,
        2,
    ),
    (
        2,
        "Hot Toys",
        "MMS724",
        "핫토이 아이언맨 마크 85 1/6",
        "Hot Toys Iron Man Mark LXXXV 1/6",
        "figures",
        549_000,
        3,
    ),
    (
        2,
        "HYBE",
        "BTS-PROOF-LTD",
        "방탄소년단 프루프 한정판 앨범",
        "BTS Proof Limited Edition Album",
        "kpop",
        120_000,
        8,
    ),
    (
        2,
        "SM Entertainment",
        "AESPA-ARMAGEDDON-SET",
        "에스파 아마겟돈 한정 세트",
        "aespa Armageddon Limited Set",
        "kpop",
        98_000,
        6,
    ),
    (
        2,
        "Nintendo",
        "HEG-S-KDAAA-ZELDA",
        "닌텐도 스위치 OLED 젤다 에디션",
        "Nintendo Switch OLED Zelda Edition",
        "games",
        415_000,
        3,
    ),
    (
        2,
        "Sony",
        "CFI-2018-30TH",
        "플레이스테이션 5 30주년 기념 에디션",
        "PlayStation 5 30th Anniversary Edition",
        "games",
        1_089_000,
        2,
    ),
];

/// Signs transactions for the demo with locally tracked nonces.
struct Signer<'a> {
    node: &'a Node,
    nonces: HashMap<PublicKey, u64>,
}

impl Signer<'_> {
    fn sign(
        &mut self,
        key: &Keypair,
        payload: Payload,
    ) -> anyhow::Result<truffle_ledger::SignedTransaction> {
        let nonce = match self.nonces.get(&key.public()) {
            Some(n) => *n,
            None => self.node.next_nonce(&key.public())?,
        };
        self.nonces.insert(key.public(), nonce + 1);
        Ok(Transaction {
            chain_id: self.node.chain_id(),
            signer: key.public(),
            nonce,
            payload,
        }
        .sign(key))
    }
}

/// Submits transactions and waits until each is applied; any rejection is an error.
/// A picture for a demo product: a gradient in two colours drawn from its model code,
/// with a disc and a band, so that the demo catalogue's cards and Kakao cards tell its
/// products apart. A JPEG, as a seller would upload.
fn demo_picture(model: &str) -> Vec<u8> {
    let seed = Hash::of(model.as_bytes()).0;
    let (width, height) = (640u32, 480u32);
    let from = [seed[0], seed[1], seed[2]];
    let to = [seed[3], seed[4], seed[5]];
    let radius = 120 + i64::from(seed[6] % 60);
    let band = (u32::from(seed[7]) % 200) + 140;
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        let t = f32::from(u16::try_from(x + y).unwrap_or(u16::MAX)) / (width + height) as f32;
        let mut pixel = [0u8; 3];
        for (i, channel) in pixel.iter_mut().enumerate() {
            *channel = (f32::from(from[i]) * (1.0 - t) + f32::from(to[i]) * t) as u8;
        }
        let (dx, dy) = (i64::from(x) - 320, i64::from(y) - 240);
        if dx * dx + dy * dy < radius * radius {
            pixel = pixel.map(|c| c / 2 + 120);
        }
        if (band..band + 24).contains(&y) {
            pixel = pixel.map(|c| 255 - c / 3);
        }
        image::Rgb(pixel)
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&picture)
        .expect("encoding to memory");
    out
}

async fn apply_all(
    node: &Node,
    txs: Vec<truffle_ledger::SignedTransaction>,
) -> anyhow::Result<Vec<Effect>> {
    let mut hashes = Vec::with_capacity(txs.len());
    for tx in txs {
        hashes.push(
            node.accept_transaction(tx)
                .map_err(|e| anyhow::anyhow!("demo transaction refused: {e}"))?,
        );
    }
    let mut effects = Vec::with_capacity(hashes.len());
    for hash in hashes {
        match node
            .wait_for_transaction(&hash, Duration::from_secs(30))
            .await?
        {
            TxStatus::Committed { effect, .. } => effects.push(effect),
            other => bail!("demo transaction {hash} did not apply: {other:?}"),
        }
    }
    Ok(effects)
}

/// The demo serial numbers of a model.
fn serials(model: &str, pieces: usize) -> Vec<String> {
    let prefix: String = model
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(6)
        .collect();
    (1..=pieces).map(|n| format!("{prefix}-{n:04}")).collect()
}

/// Loads the demo data into a fresh chain. Returns a summary line.
pub(crate) async fn load(node: &Node) -> anyhow::Result<String> {
    let mut signer = Signer {
        node,
        nonces: HashMap::new(),
    };
    let admin = dev_keys::admin();
    let registrar = node.key().clone();
    let sellers: Vec<Keypair> = SELLERS
        .iter()
        .map(|(name, _)| Keypair::from_name(name))
        .collect();
    let members: Vec<Keypair> = MEMBERS
        .iter()
        .map(|(name, _)| Keypair::from_name(name))
        .collect();

    // Accounts: the registrar registers verified members (sellers are members first).
    let mut txs = Vec::new();
    for (key, year) in sellers
        .iter()
        .map(|k| (k, 1985u16))
        .chain(members.iter().zip(MEMBERS.iter().map(|m| m.1)))
    {
        txs.push(signer.sign(
            &registrar,
            Payload::RegisterAccount {
                account: key.public(),
                role: Role::Member,
                adult: age_in_years(year, node.now_ms()) >= u32::from(ADULT_AGE),
            },
        )?);
    }
    apply_all(node, txs)
        .await
        .context("registering demo accounts")?;

    let mut txs = Vec::new();
    for (key, (_, shop)) in sellers.iter().zip(SELLERS) {
        txs.push(signer.sign(
            key,
            Payload::ApplySeller {
                shop_name: shop.to_owned(),
            },
        )?);
    }
    apply_all(node, txs).await.context("seller applications")?;
    let mut txs = Vec::new();
    for key in &sellers {
        txs.push(signer.sign(
            &admin,
            Payload::ApproveSeller {
                account: key.public(),
            },
        )?);
    }
    apply_all(node, txs).await.context("seller approvals")?;

    // The catalogue, each product with a picture stored on the node.
    let mut txs = Vec::new();
    for (index, (seller, brand, model, ko, en, category, price, pieces)) in
        CATALOGUE.iter().enumerate()
    {
        let picture = node
            .images()
            .store(sellers[*seller].public(), demo_picture(model))
            .await
            .with_context(|| format!("storing the picture of {model}"))?;
        let spec = ProductSpec {
            brand: (*brand).to_owned(),
            model: (*model).to_owned(),
            name_ko: (*ko).to_owned(),
            name_en: (*en).to_owned(),
            category: (*category).to_owned(),
            release_date: 20_240_101 + (index as u32 % 12) * 100 + 1,
            price: *price,
            description: format!(
                "{ko} — 정품 인증, 한정 수량 {pieces}개. {en}, limited to {pieces} pieces."
            ),
            image_hashes: vec![picture.hash],
            serials: serials(model, *pieces),
            list_for_sale: index % 4 != 0,
        };
        txs.push(signer.sign(&sellers[*seller], Payload::RegisterProduct(spec))?);
    }
    let effects = apply_all(node, txs)
        .await
        .context("registering the demo catalogue")?;

    // Raffles over the unlisted first pieces of two products, open for a week.
    let mut txs = Vec::new();
    let now = truffle_clock::now_ms();
    for (catalogue_index, effect) in effects
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 == 0)
        .take(3)
    {
        let Effect::ProductRegistered {
            first_item,
            item_count,
            ..
        } = effect
        else {
            bail!("product registration had no product effect");
        };
        let seller = &sellers[CATALOGUE[catalogue_index].0];
        let secret = Hash::tagged(b"demo-raffle-secret", &[&first_item.to_be_bytes()]);
        let prizes = (*item_count as u64).min(2);
        txs.push(signer.sign(
            seller,
            Payload::CreateRaffle(RaffleSpec {
                items: (*first_item..first_item + prizes).collect(),
                window: EntryWindow::Times {
                    opens_ms: now,
                    closes_ms: now + 7 * 24 * 3_600_000,
                },
                price: CATALOGUE[catalogue_index].6,
                runners_up: 3,
                min_age: if CATALOGUE[catalogue_index].5 == "whisky" {
                    Some(19)
                } else {
                    None
                },
                seed_commitment: raffle_commitment(&secret),
                reveal_blocks: 1_000,
                payment_window_ms: 24 * 3_600_000,
            }),
        )?);
    }
    apply_all(node, txs).await.context("demo raffles")?;

    // Banners.
    let banners = [
        (
            "한정판 스니커즈 위크",
            "https://truffle.example/banners/sneakers.png",
            "https://truffle.example/events/sneakers-week",
            None,
        ),
        (
            "럭셔리 워치 컬렉션",
            "https://truffle.example/banners/watches.png",
            "https://truffle.example/events/watches",
            Some(Gender::Male),
        ),
    ];
    let mut txs = Vec::new();
    for (title, image, landing, gender) in banners {
        txs.push(signer.sign(
            &admin,
            Payload::CreateAd(AdSpec {
                title: title.to_owned(),
                image_url: image.to_owned(),
                landing_url: landing.to_owned(),
                placement: "main".to_owned(),
                starts_at_ms: now.saturating_sub(60_000),
                ends_at_ms: now + 30 * 24 * 3_600_000,
                target_gender: gender,
                target_min_age: None,
                target_max_age: None,
            }),
        )?);
    }
    apply_all(node, txs).await.context("demo banners")?;

    Ok(format!(
        "demo data: {} sellers, {} members, {} products, 3 raffles, 2 banners",
        sellers.len(),
        members.len(),
        CATALOGUE.len()
    ))
}
