//! Deterministic product fixtures for tests and benches (feature `test-utils`).
//!
//! - [`products`]: a catalog of realistic limited editions (sneakers, streetwear,
//!   watches, figures and toys, luxury bags, K-pop albums and goods, whisky, games)
//!   written by hand, plus colourways of popular lines: more than 300 products.
//! - [`QUALITY_QUERIES`]: queries a shopper would type, each with the product they mean,
//!   named by its model code.
//! - [`synthetic_products`]: any number of generated products for load tests.

use crate::ProductDoc;

/// One hand-written catalog row: model code (the stable key), brand, category, price in
/// won, release date, Korean name, English name.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    u64,
    u32,
    &'static str,
    &'static str,
);

/// The hand-written catalog.
#[rustfmt::skip]
const CATALOG: &[Row] = &[
    // Sneakers.
    ("DD1391-100", "Nike", "sneakers", 129_000, 20210310, "나이키 덩크 로우 레트로 범고래", "Nike Dunk Low Retro 'Panda'"),
    ("DD1391-102", "Nike", "sneakers", 129_000, 20210625, "나이키 덩크 로우 레트로 유니버시티 블루", "Nike Dunk Low Retro 'University Blue'"),
    ("DD1391-103", "Nike", "sneakers", 129_000, 20220112, "나이키 덩크 로우 그레이 포그", "Nike Dunk Low 'Grey Fog'"),
    ("CU1726-101", "Nike", "sneakers", 139_000, 20200919, "나이키 덩크 로우 SP 켄터키", "Nike Dunk Low SP 'Kentucky'"),
    ("CT5053-001", "Nike", "sneakers", 169_000, 20200229, "나이키 SB 덩크 로우 트래비스 스캇", "Nike SB Dunk Low 'Travis Scott'"),
    ("CT2552-800", "Nike", "sneakers", 149_000, 20200208, "나이키 SB 덩크 로우 스트레인지러브", "Nike SB Dunk Low 'StrangeLove'"),
    ("DD1399-700", "Nike", "sneakers", 139_000, 20211104, "나이키 덩크 하이 바시티 메이즈", "Nike Dunk High 'Varsity Maize'"),
    ("CU3244-100", "Nike", "sneakers", 159_000, 20200526, "나이키 SB 덩크 로우 벤앤제리스 청키 덩키", "Nike SB Dunk Low Ben & Jerry's 'Chunky Dunky'"),
    ("CU7544-001", "Nike", "sneakers", 209_000, 20201030, "나이키 x 앰부쉬 덩크 하이 블랙", "Nike x AMBUSH Dunk High 'Black'"),
    ("DZ5485-612", "Jordan", "sneakers", 209_000, 20221119, "에어 조던 1 레트로 하이 OG 시카고 로스트 앤 파운드", "Air Jordan 1 Retro High OG 'Chicago Lost & Found'"),
    ("555088-134", "Jordan", "sneakers", 199_000, 20210306, "에어 조던 1 레트로 하이 OG 유니버시티 블루", "Air Jordan 1 Retro High OG 'University Blue'"),
    ("CD4487-100", "Jordan", "sneakers", 239_000, 20190511, "에어 조던 1 레트로 하이 OG 트래비스 스캇 모카", "Air Jordan 1 Retro High OG SP 'Travis Scott Mocha'"),
    ("DC0774-101", "Jordan", "sneakers", 139_000, 20210820, "에어 조던 1 로우 화이트 블랙", "Air Jordan 1 Low 'White Black'"),
    ("555088-063", "Jordan", "sneakers", 199_000, 20211230, "에어 조던 1 레트로 하이 OG 브레드 페이턴트", "Air Jordan 1 Retro High OG 'Bred Patent'"),
    ("CT8012-116", "Jordan", "sneakers", 229_000, 20181208, "에어 조던 11 레트로 콩코드", "Air Jordan 11 Retro 'Concord'"),
    ("DH6927-111", "Jordan", "sneakers", 219_000, 20220312, "에어 조던 4 레트로 밀리터리 블랙", "Air Jordan 4 Retro 'Military Black'"),
    ("308497-406", "Jordan", "sneakers", 289_000, 20180609, "에어 조던 4 레트로 트래비스 스캇 캑터스 잭", "Air Jordan 4 Retro 'Travis Scott Cactus Jack'"),
    ("DN3707-100", "Jordan", "sneakers", 219_000, 20230311, "에어 조던 3 레트로 화이트 시멘트 리이매진드", "Air Jordan 3 Retro 'White Cement Reimagined'"),
    ("CW2288-111", "Nike", "sneakers", 139_000, 20200101, "나이키 에어포스 1 07 로우 화이트", "Nike Air Force 1 '07 Low 'Triple White'"),
    ("CU9225-001", "Nike", "sneakers", 169_000, 20200305, "나이키 x 슈프림 에어포스 1 로우 블랙", "Nike x Supreme Air Force 1 Low 'Box Logo Black'"),
    ("DO9339-200", "Nike", "sneakers", 179_000, 20221216, "나이키 x 스투시 에어포스 1 로우 파슬", "Nike x Stussy Air Force 1 Low 'Fossil'"),
    ("DZ1382-001", "Nike", "sneakers", 259_000, 20230307, "나이키 x 티파니 에어포스 1 로우 1837", "Nike x Tiffany & Co. Air Force 1 Low '1837'"),
    ("BV0073-100", "Nike", "sneakers", 219_000, 20190907, "나이키 x 사카이 LD와플 화이트 나일론", "Nike x sacai LDWaffle 'White Nylon'"),
    ("DZ4137-700", "Nike", "sneakers", 179_000, 20230326, "나이키 에어맥스 1 86 OG 빅 버블", "Nike Air Max 1 '86 OG 'Big Bubble'"),
    ("DH1348-004", "Nike", "sneakers", 199_000, 20210430, "나이키 x 파타 에어맥스 1 웨이브 블랙", "Nike x Patta Air Max 1 'Waves Black'"),
    ("DM0028-002", "Nike", "sneakers", 219_000, 20220601, "나이키 에어맥스 97 실버 불릿", "Nike Air Max 97 OG 'Silver Bullet'"),
    ("508214-660", "Nike", "sneakers", 4_500_000, 20140209, "나이키 에어 이지 2 레드 옥토버", "Nike Air Yeezy 2 SP 'Red October'"),
    ("DH2482-001", "Nike", "sneakers", 189_000, 20211123, "나이키 x 피스마이너스원 권도 1 블랙", "Nike x PEACEMINUSONE Kwondo 1 'Black'"),
    ("CP9654", "Adidas", "sneakers", 299_000, 20170225, "아디다스 이지 부스트 350 V2 지브라", "adidas Yeezy Boost 350 V2 'Zebra'"),
    ("HQ4540", "Adidas", "sneakers", 299_000, 20220419, "아디다스 이지 부스트 350 V2 오닉스", "adidas Yeezy Boost 350 V2 'Onyx'"),
    ("HQ6448", "Adidas", "sneakers", 89_000, 20220607, "아디다스 이지 슬라이드 오닉스", "adidas Yeezy Slide 'Onyx'"),
    ("HP8739", "Adidas", "sneakers", 109_000, 20220606, "아디다스 이지 폼러너 오닉스", "adidas Yeezy Foam Runner 'Onyx'"),
    ("B75806", "Adidas", "sneakers", 139_000, 20180101, "아디다스 삼바 OG 화이트 블랙", "adidas Samba OG 'Cloud White Core Black'"),
    ("GY5752", "Adidas", "sneakers", 259_000, 20221013, "아디다스 x 웨일스 보너 삼바 크림 화이트", "adidas x Wales Bonner Samba 'Cream White'"),
    ("HQ8717", "Adidas", "sneakers", 139_000, 20230201, "아디다스 가젤 인도어 블리스 블루", "adidas Gazelle Indoor 'Blue Fusion'"),
    ("HQ8708", "Adidas", "sneakers", 129_000, 20230115, "아디다스 캠퍼스 00s 코어 블랙", "adidas Campus 00s 'Core Black'"),
    ("M990GL6", "New Balance", "sneakers", 279_000, 20220428, "뉴발란스 990v6 메이드 인 USA 그레이", "New Balance 990v6 Made in USA 'Grey'"),
    ("M2002RDA", "New Balance", "sneakers", 169_000, 20210916, "뉴발란스 2002R 프로텍션 팩 레인 클라우드", "New Balance 2002R 'Protection Pack Rain Cloud'"),
    ("BB550ALD", "New Balance", "sneakers", 199_000, 20201009, "뉴발란스 x 에메 레온 도르 550 화이트 그린", "New Balance x Aime Leon Dore 550 'White Green'"),
    ("M992GR", "New Balance", "sneakers", 259_000, 20200425, "뉴발란스 992 메이드 인 USA 그레이", "New Balance 992 Made in USA 'Grey'"),
    ("1201A019-108", "Asics", "sneakers", 189_000, 20220901, "아식스 젤 카야노 14 크림 블랙", "ASICS Gel-Kayano 14 'Cream Black'"),
    ("L41086600", "Salomon", "sneakers", 239_000, 20210301, "살로몬 XT-6 블랙", "Salomon XT-6 'Black Phantom'"),
    ("150204C", "Converse", "sneakers", 139_000, 20150101, "컨버스 x 꼼데가르송 플레이 척70 블랙", "Converse x Comme des Garcons PLAY Chuck 70 High 'Black'"),
    ("VN000D3HY28", "Vans", "sneakers", 79_000, 20190101, "반스 올드스쿨 블랙 화이트", "Vans Old Skool 'Black White'"),
    ("DQ7658-106", "Nike", "sneakers", 189_000, 20230210, "나이키 x 오프화이트 덩크 로우 로트 50", "Nike x Off-White Dunk Low 'Lot 50'"),
    ("FD0724-657", "Nike", "sneakers", 159_000, 20230915, "나이키 SB 덩크 로우 더 베스트 팀 신시내티", "Nike SB Dunk Low 'Cincinnati'"),
    ("IE7002", "Adidas", "sneakers", 179_000, 20231101, "아디다스 x 송포더뮤트 삼바", "adidas x Song for the Mute Samba"),
    ("U1906RRD", "New Balance", "sneakers", 199_000, 20230801, "뉴발란스 1906R 실버 메탈릭", "New Balance 1906R 'Silver Metallic'"),
    // Streetwear.
    ("SUP-FW23-BOGO-HG", "Supreme", "streetwear", 329_000, 20231214, "슈프림 박스로고 후드 스웨트셔츠 헤더 그레이", "Supreme Box Logo Hooded Sweatshirt 'Heather Grey' FW23"),
    ("SUP-TNF-NUPTSE-20", "Supreme", "streetwear", 890_000, 20200305, "슈프림 x 노스페이스 눕시 자켓 블랙", "Supreme x The North Face Nuptse Jacket 'Black'"),
    ("SUP-LV-BOGO-RED", "Supreme", "streetwear", 2_900_000, 20170630, "슈프림 x 루이비통 박스로고 후드 레드", "Supreme x Louis Vuitton Box Logo Hooded Sweatshirt 'Red'"),
    ("SUP-CROSS-BOX-TEE", "Supreme", "streetwear", 149_000, 20201119, "슈프림 크로스 박스로고 티셔츠 화이트", "Supreme Cross Box Logo Tee 'White'"),
    ("STU-8BALL-FLEECE", "Stussy", "streetwear", 259_000, 20221020, "스투시 8볼 셰르파 플리스 자켓", "Stussy 8 Ball Sherpa Fleece Jacket"),
    ("STU-NIKE-WINDRUNNER", "Stussy", "streetwear", 239_000, 20210409, "스투시 x 나이키 윈드러너 자켓 블랙", "Stussy x Nike Windrunner Jacket 'Black'"),
    ("PAL-TRIFERG-TEE", "Palace", "streetwear", 99_000, 20220101, "팔라스 트라이퍼그 티셔츠 화이트", "Palace Tri-Ferg T-Shirt 'White'"),
    ("BAPE-SHARK-FZ", "Bape", "streetwear", 599_000, 20210801, "베이프 샤크 풀집 후디 카모", "BAPE 1st Camo Shark Full Zip Hoodie"),
    ("OMBB037-ARROWS", "Off-White", "streetwear", 790_000, 20200901, "오프화이트 애로우 오버사이즈 후드 블랙", "Off-White Arrows Oversized Hoodie 'Black'"),
    ("X000007301", "Arc'teryx", "streetwear", 799_000, 20230101, "아크테릭스 베타 LT 자켓 블랙", "Arc'teryx Beta LT Jacket 'Black'"),
    ("NJ1DN55A", "The North Face", "streetwear", 369_000, 20221001, "노스페이스 1996 레트로 눕시 자켓 블랙", "The North Face 1996 Retro Nuptse Jacket 'Black'"),
    ("MON-MAYA-SHORT", "Moncler", "streetwear", 2_450_000, 20221101, "몽클레르 마야 숏 다운 자켓 네이비", "Moncler Maya Short Down Jacket 'Navy'"),
    ("SI-GHOST-OVERSHIRT", "Stone Island", "streetwear", 1_190_000, 20230301, "스톤아일랜드 고스트 피스 오버셔츠", "Stone Island Ghost Piece Overshirt"),
    ("FOG-ESS-OATMEAL", "Fear of God", "streetwear", 189_000, 20220901, "피어오브갓 에센셜 후디 오트밀", "Fear of God Essentials Hoodie 'Oatmeal'"),
    ("CH-CEMETERY-TEE", "Chrome Hearts", "streetwear", 890_000, 20220501, "크롬하츠 시메트리 크로스 티셔츠 블랙", "Chrome Hearts Cemetery Cross T-Shirt 'Black'"),
    ("ADER-TRIP-HOODIE", "Ader Error", "streetwear", 298_000, 20230915, "아더에러 트립 로고 후디 블루", "Ader Error Trip Logo Hoodie 'Blue'"),
    ("MATIN-KIM-LOGO-CAP", "Matin Kim", "streetwear", 49_000, 20230501, "마뗑킴 로고 볼캡 블랙", "Matin Kim Logo Ball Cap 'Black'"),
    // Watches.
    ("126610LN", "Rolex", "watches", 14_900_000, 20200901, "롤렉스 서브마리너 데이트 블랙", "Rolex Submariner Date 41 'Black'"),
    ("116500LN", "Rolex", "watches", 38_000_000, 20160323, "롤렉스 코스모그래프 데이토나 화이트 다이얼", "Rolex Cosmograph Daytona 'White Dial'"),
    ("126710BLRO", "Rolex", "watches", 24_500_000, 20180315, "롤렉스 GMT 마스터 2 펩시 쥬빌리", "Rolex GMT-Master II 'Pepsi' Jubilee"),
    ("126334", "Rolex", "watches", 15_200_000, 20170301, "롤렉스 데이저스트 41 블루 다이얼 플루티드", "Rolex Datejust 41 Blue Dial Fluted"),
    ("310.30.42.50.01.001", "Omega", "watches", 9_800_000, 20210107, "오메가 스피드마스터 문워치 프로페셔널", "Omega Speedmaster Moonwatch Professional"),
    ("SO33R100", "Swatch", "watches", 339_000, 20220326, "오메가 x 스와치 문스와치 미션 투 마스", "Omega x Swatch MoonSwatch 'Mission to Mars'"),
    ("15500ST.OO.1220ST.01", "Audemars Piguet", "watches", 68_000_000, 20190101, "오데마피게 로얄오크 15500 블랙 다이얼", "Audemars Piguet Royal Oak 15500ST 'Black Dial'"),
    ("5711/1A-010", "Patek Philippe", "watches", 190_000_000, 20060101, "파텍필립 노틸러스 5711 블루 다이얼", "Patek Philippe Nautilus 5711/1A 'Blue Dial'"),
    ("WSSA0029", "Cartier", "watches", 10_300_000, 20180401, "까르띠에 산토스 드 까르띠에 미디엄", "Cartier Santos de Cartier Medium"),
    ("WSTA0041", "Cartier", "watches", 3_900_000, 20210401, "까르띠에 탱크 머스트 라지", "Cartier Tank Must Large"),
    ("M79030N-0001", "Tudor", "watches", 5_200_000, 20180301, "튜더 블랙베이 58 블랙", "Tudor Black Bay Fifty-Eight 'Black'"),
    ("GA-2100-1A1", "Casio", "watches", 139_000, 20190801, "카시오 지샥 GA-2100 카시오크 올블랙", "Casio G-Shock GA-2100 'CasiOak' All Black"),
    ("SBGA211", "Grand Seiko", "watches", 7_900_000, 20170101, "그랜드세이코 스노우플레이크 스프링드라이브", "Grand Seiko 'Snowflake' Spring Drive"),
    ("SPB121J1", "Seiko", "watches", 990_000, 20200101, "세이코 프로스펙스 알피니스트 그린", "Seiko Prospex 'Alpinist' Green"),
    ("116519LN", "Rolex", "watches", 52_000_000, 20170301, "롤렉스 데이토나 화이트골드 오이스터플렉스", "Rolex Daytona White Gold Oysterflex"),
    ("SBGW231", "Grand Seiko", "watches", 6_200_000, 20190101, "그랜드세이코 엘레강스 수동 화이트", "Grand Seiko Elegance Manual Wind White"),
    ("IW371605", "IWC", "watches", 11_500_000, 20200601, "IWC 포르투기저 크로노그래프 블루", "IWC Portugieser Chronograph Blue"),
    // Figures and toys.
    ("BE-KAWS-1000", "Medicom Toy", "figures", 3_500_000, 20170801, "베어브릭 카우스 컴패니언 1000%", "Bearbrick KAWS Companion 1000%"),
    ("BE-BASQUIAT-400", "Medicom Toy", "figures", 290_000, 20210301, "베어브릭 장 미쉘 바스키아 400% 100% 세트", "Bearbrick Jean-Michel Basquiat 400% + 100% Set"),
    ("KAWS-COMP-OE-GREY", "KAWS", "figures", 690_000, 20200101, "카우스 컴패니언 오픈 에디션 피규어 그레이", "KAWS Companion Open Edition Vinyl Figure 'Grey'"),
    ("LEGO-75192", "LEGO", "figures", 1_099_000, 20171001, "레고 스타워즈 밀레니엄 팔콘 UCS", "LEGO Star Wars Millennium Falcon UCS 75192"),
    ("LEGO-71043", "LEGO", "figures", 599_000, 20180901, "레고 해리포터 호그와트 성", "LEGO Harry Potter Hogwarts Castle 71043"),
    ("LEGO-42115", "LEGO", "figures", 539_000, 20200601, "레고 테크닉 람보르기니 시안 FKP 37", "LEGO Technic Lamborghini Sian FKP 37 42115"),
    ("LEGO-10294", "LEGO", "figures", 899_000, 20211108, "레고 아이콘 타이타닉", "LEGO Icons Titanic 10294"),
    ("PKM-SV151-BOX", "Pokemon", "figures", 189_000, 20230616, "포켓몬 카드 게임 스칼렛 바이올렛 151 부스터 박스", "Pokemon TCG Scarlet & Violet 151 Booster Box"),
    ("PKM-PIKACHU-PLUSH", "Pokemon", "figures", 59_000, 20220227, "포켓몬센터 피카츄 봉제인형 한정판", "Pokemon Center Pikachu Plush Limited"),
    ("BAN-PGU-RX78-2", "Bandai", "figures", 329_000, 20201201, "반다이 PG 언리쉬드 RX-78-2 건담", "Bandai PG Unleashed RX-78-2 Gundam"),
    ("HT-MMS528", "Hot Toys", "figures", 459_000, 20200801, "핫토이 어벤져스 엔드게임 아이언맨 마크 85", "Hot Toys Avengers Endgame Iron Man Mark LXXXV"),
    ("POP-LABUBU-MACARON", "Pop Mart", "figures", 39_000, 20231101, "팝마트 라부부 더 몬스터즈 마카롱 시리즈", "Pop Mart Labubu The Monsters 'Exciting Macaron'"),
    ("BAN-MG-WINGZERO-KA", "Bandai", "figures", 89_000, 20220301, "반다이 MG 윙건담 제로 EW Ver.Ka", "Bandai MG Wing Gundam Zero EW Ver.Ka"),
    ("LEGO-10316", "LEGO", "figures", 659_000, 20230301, "레고 아이콘 반지의 제왕 리븐델", "LEGO Icons The Lord of the Rings Rivendell 10316"),
    ("SAN-KUROMI-20TH", "Sanrio", "figures", 89_000, 20251031, "산리오 쿠로미 20주년 기념 피규어", "Sanrio Kuromi 20th Anniversary Figure"),
    // Games.
    ("HEG-S-KDAAA", "Nintendo", "games", 459_000, 20230428, "닌텐도 스위치 OLED 젤다의 전설 티어스 오브 더 킹덤 에디션", "Nintendo Switch OLED Zelda Tears of the Kingdom Edition"),
    ("CFI-7000-30TH", "Sony", "games", 1_199_000, 20241121, "플레이스테이션 5 프로 30주년 애니버서리 한정판", "PlayStation 5 Pro 30th Anniversary Limited Edition"),
    ("NIN-GAMEBOY-MUSEUM", "Nintendo", "games", 129_000, 20231001, "닌텐도 뮤지엄 게임보이 한정 굿즈 세트", "Nintendo Museum Game Boy Limited Goods Set"),
    // Bags.
    ("HER-BIRKIN25-TOGO-GOLD", "Hermes", "bags", 28_000_000, 20230101, "에르메스 버킨 25 토고 골드 금장", "Hermes Birkin 25 Togo Gold GHW"),
    ("HER-KELLY28-EPSOM-NOIR", "Hermes", "bags", 25_000_000, 20220101, "에르메스 켈리 28 엡송 블랙", "Hermes Kelly 28 Epsom Noir"),
    ("A01112-CAVIAR", "Chanel", "bags", 15_570_000, 20230301, "샤넬 클래식 플랩백 미디엄 캐비어 블랙 금장", "Chanel Classic Flap Bag Medium Caviar Black Gold"),
    ("AS3260-22", "Chanel", "bags", 8_820_000, 20220201, "샤넬 22 백 스몰 블랙", "Chanel 22 Bag Small Black"),
    ("M41113", "Louis Vuitton", "bags", 2_770_000, 20200101, "루이비통 스피디 반둘리에 25 모노그램", "Louis Vuitton Speedy Bandouliere 25 Monogram"),
    ("LV-SUP-KEEPALL-54", "Louis Vuitton", "bags", 9_500_000, 20170630, "루이비통 x 슈프림 키폴 반둘리에 54 레드", "Louis Vuitton x Supreme Keepall Bandouliere 54 'Red'"),
    ("M0446CTZQ", "Dior", "bags", 5_100_000, 20210101, "디올 새들백 오블리크", "Dior Saddle Bag Oblique Jacquard"),
    ("651876-JODIE", "Bottega Veneta", "bags", 3_900_000, 20210501, "보테가베네타 조디 미니 인트레치아토", "Bottega Veneta Mini Jodie Intrecciato"),
    ("1BH204-NYLON", "Prada", "bags", 2_050_000, 20200601, "프라다 리에디션 2005 나일론 블랙", "Prada Re-Edition 2005 Re-Nylon Bag Black"),
    ("636706-JACKIE", "Gucci", "bags", 3_600_000, 20210301, "구찌 재키 1961 스몰 숄더백", "Gucci Jackie 1961 Small Shoulder Bag"),
    ("GOY-STLOUIS-PM", "Goyard", "bags", 2_450_000, 20190101, "고야드 생루이 PM 블랙", "Goyard Saint Louis PM Black"),
    ("188423-TRIOMPHE", "Celine", "bags", 4_700_000, 20210901, "셀린느 틴 트리옹프 백 샤이니 카프스킨", "Celine Teen Triomphe Bag Shiny Calfskin"),
    // K-pop albums and goods.
    ("BTS-PROOF-STD", "HYBE", "kpop", 54_000, 20220610, "방탄소년단 앤솔로지 앨범 프루프 스탠다드 에디션", "BTS Anthology Album 'Proof' Standard Edition"),
    ("BTS-ARMYBOMB-SE", "HYBE", "kpop", 59_000, 20200301, "방탄소년단 공식 응원봉 아미밤 맵 오브 더 솔 스페셜 에디션", "BTS Official Light Stick Map of the Soul Special Edition"),
    ("JK-GOLDEN-SHINE", "HYBE", "kpop", 24_000, 20231103, "정국 솔로 앨범 골든 샤인 버전", "Jung Kook 'GOLDEN' Shine Version"),
    ("BP-BORNPINK-BOX", "YG Entertainment", "kpop", 49_000, 20220916, "블랙핑크 정규 2집 본 핑크 박스 세트", "BLACKPINK 2nd Album 'BORN PINK' Box Set"),
    ("BP-LIGHTSTICK-V2", "YG Entertainment", "kpop", 49_000, 20220801, "블랙핑크 공식 응원봉 버전 2", "BLACKPINK Official Light Stick Ver.2"),
    ("NJ-GETUP-BUNNY", "ADOR", "kpop", 49_000, 20230721, "뉴진스 겟업 버니 비치백 버전", "NewJeans 2nd EP 'Get Up' Bunny Beach Bag"),
    ("NJ-EP1-BLUEBOOK", "ADOR", "kpop", 19_000, 20220801, "뉴진스 1집 EP 블루북 버전", "NewJeans 1st EP 'New Jeans' Bluebook Ver."),
    ("NJ-HAERIN-PC-SET", "ADOR", "kpop", 29_000, 20230901, "뉴진스 해린 포토카드 세트 한정판", "NewJeans Haerin Photocard Set Limited"),
    ("SVT-FML-CARAT", "Pledis", "kpop", 19_000, 20230424, "세븐틴 미니 10집 FML 캐럿반", "SEVENTEEN 10th Mini Album 'FML' Carat Ver."),
    ("AESPA-MYWORLD-INTRO", "SM Entertainment", "kpop", 21_000, 20230508, "에스파 미니 3집 마이 월드 인트로 버전", "aespa 3rd Mini Album 'MY WORLD' Intro Ver."),
    ("IVE-IVEIVE-PB", "Starship", "kpop", 22_000, 20230410, "아이브 정규 1집 아이해브 아이브 포토북", "IVE 1st Album 'I've IVE' Photo Book Ver."),
    ("SKZ-5STAR-LTD", "JYP Entertainment", "kpop", 59_000, 20230602, "스트레이키즈 정규 3집 파이브스타 한정반", "Stray Kids 3rd Album '5-STAR' Limited Edition"),
    ("LSF-EASY-COMPACT", "Source Music", "kpop", 19_000, 20240219, "르세라핌 미니 3집 이지 컴팩트 버전", "LE SSERAFIM 3rd Mini Album 'EASY' Compact Ver."),
    ("TXT-LIGHTSTICK-V2", "HYBE", "kpop", 49_000, 20230301, "투모로우바이투게더 공식 응원봉 버전 2", "TOMORROW X TOGETHER Official Light Stick Ver.2"),
    ("IU-WINNING-SPECIAL", "EDAM", "kpop", 23_000, 20240220, "아이유 미니 6집 더 위닝 스페셜", "IU 6th Mini Album 'The Winning' Special"),
    // Whisky and spirits.
    ("MAC-18-SHERRY-2023", "The Macallan", "whisky", 890_000, 20230301, "맥캘란 18년 셰리 오크 2023 릴리즈", "The Macallan 18 Years Old Sherry Oak 2023 Release"),
    ("MAC-HARMONY-CACAO", "The Macallan", "whisky", 390_000, 20220901, "맥캘란 하모니 컬렉션 리치 카카오", "The Macallan Harmony Collection Rich Cacao"),
    ("SUN-YAMAZAKI-18", "Suntory", "whisky", 1_300_000, 20230101, "산토리 야마자키 18년 싱글몰트", "Suntory Yamazaki 18 Year Old Single Malt"),
    ("SUN-HIBIKI-21", "Suntory", "whisky", 1_900_000, 20230101, "산토리 히비키 21년 블렌디드", "Suntory Hibiki 21 Year Old Blended Whisky"),
    ("BAL-21-PORTWOOD", "The Balvenie", "whisky", 690_000, 20220101, "발베니 21년 포트우드", "The Balvenie 21 Year Old PortWood"),
    ("GLF-30-SUSPENDED", "Glenfiddich", "whisky", 2_900_000, 20230601, "글렌피딕 30년 서스펜디드 타임", "Glenfiddich 30 Year Old Suspended Time"),
    ("JW-BLUE-DRAGON-2024", "Johnnie Walker", "whisky", 389_000, 20231201, "조니워커 블루라벨 용의 해 한정판", "Johnnie Walker Blue Label Year of the Dragon"),
    ("RS-21-POLO", "Royal Salute", "whisky", 359_000, 20220501, "로얄살루트 21년 폴로 에디션", "Royal Salute 21 Year Old Polo Edition"),
    ("KAV-SOLIST-VINHO", "Kavalan", "whisky", 329_000, 20210101, "카발란 솔리스트 비노 바리끄 캐스크 스트렝스", "Kavalan Solist Vinho Barrique Cask Strength"),
    ("BLANTONS-ORIGINAL", "Blanton's", "whisky", 259_000, 20200101, "블랑톤 오리지널 싱글 배럴 버번", "Blanton's Original Single Barrel Bourbon"),
    ("BOW-18-DEEP", "Bowmore", "whisky", 249_000, 20210101, "보모어 18년 딥 앤 컴플렉스", "Bowmore 18 Year Old Deep & Complex"),
    ("DP-VINTAGE-2013", "Dom Perignon", "whisky", 429_000, 20230101, "돔페리뇽 빈티지 2013 샴페인", "Dom Perignon Vintage 2013 Champagne"),
];

/// Popular lines released in many colourways: brand, category, model-code prefix, Korean
/// line name, English line name, price in won.
#[rustfmt::skip]
const LINES: &[(&str, &str, &str, &str, &str, u64)] = &[
    ("Nike", "sneakers", "DV0833", "나이키 덩크 로우", "Nike Dunk Low", 139_000),
    ("Nike", "sneakers", "DV0829", "나이키 덩크 하이", "Nike Dunk High", 149_000),
    ("Jordan", "sneakers", "DZ5485", "에어 조던 1 레트로 하이 OG", "Air Jordan 1 Retro High OG", 209_000),
    ("Jordan", "sneakers", "DQ8426", "에어 조던 1 미드", "Air Jordan 1 Mid", 159_000),
    ("Jordan", "sneakers", "FV5029", "에어 조던 4 레트로", "Air Jordan 4 Retro", 229_000),
    ("Nike", "sneakers", "FB8251", "나이키 에어포스 1 로우", "Nike Air Force 1 Low", 139_000),
    ("Nike", "sneakers", "FN6840", "나이키 에어맥스 1", "Nike Air Max 1", 179_000),
    ("Adidas", "sneakers", "GW3773", "아디다스 이지 부스트 350 V2", "adidas Yeezy Boost 350 V2", 299_000),
    ("Adidas", "sneakers", "IE3437", "아디다스 삼바 OG", "adidas Samba OG", 139_000),
    ("New Balance", "sneakers", "M2002R", "뉴발란스 2002R", "New Balance 2002R", 169_000),
    ("New Balance", "sneakers", "U9060", "뉴발란스 9060", "New Balance 9060", 179_000),
    ("Supreme", "streetwear", "SUP-TEE", "슈프림 포토 티셔츠", "Supreme Photo Tee", 89_000),
    ("Stussy", "streetwear", "STU-HOOD", "스투시 베이직 로고 후디", "Stussy Basic Logo Hoodie", 199_000),
    ("Medicom Toy", "figures", "BE-400", "베어브릭 400% 시리즈", "Bearbrick 400% Series", 159_000),
];

/// Colourways: Korean, English.
#[rustfmt::skip]
const COLORWAYS: &[(&str, &str)] = &[
    ("블랙 화이트", "Black White"), ("트리플 블랙", "Triple Black"), ("세일", "Sail"),
    ("올리브", "Olive"), ("코스트", "Coast"), ("베이지", "Beige"), ("미디엄 올리브", "Medium Olive"),
    ("로즈 위스퍼", "Rose Whisper"), ("바시티 레드", "Varsity Red"), ("로얄 블루", "Royal Blue"),
    ("라이트 스모크 그레이", "Light Smoke Grey"), ("블랙 토", "Black Toe"), ("팜 그린", "Pine Green"),
    ("쿨 그레이", "Cool Grey"), ("크림슨 브리스", "Crimson Bliss"), ("하이퍼 로얄", "Hyper Royal"),
    ("듄 레드", "Dune Red"), ("실버 메탈릭", "Silver Metallic"),
];

/// Seller shops.
const SHOPS: &[&str] = &[
    "크림스토어 성수",
    "솔드아웃 강남점",
    "한정판마켓 홍대",
    "럭셔리하우스 청담",
    "토이플래닛",
    "케이팝굿즈샵",
    "위스키라운지 한남",
    "스니커랩",
];

fn description(category: &str, brand: &str, name_ko: &str, name_en: &str, release: u32) -> String {
    let year = release / 10_000;
    match category {
        "sneakers" => format!(
            "{name_ko} ({name_en}). {brand} {year}년 발매 한정판 스니커즈. 미착용 새상품, \
             정품 검수 완료, 박스와 시리얼 태그 포함. 사이즈 230-290."
        ),
        "streetwear" => format!(
            "{name_ko}. {brand} {year} 시즌 한정 발매 의류, 정품 택 부착 새상품. 사이즈 S-XL. {name_en}."
        ),
        "watches" => format!(
            "{name_ko} ({name_en}). {year}년 국내 정식 부티크 구매, 보증서와 박스 풀세트, \
             시리얼 등록 완료된 시계."
        ),
        "figures" => format!(
            "{name_ko}. {brand} 한정 수량 컬렉터블, 미개봉 박스 상태. {name_en}, released {year}."
        ),
        "bags" => format!(
            "{name_ko} ({name_en}). 매장 구매 영수증, 더스트백, 케어카드 포함 명품 가방."
        ),
        "kpop" => format!(
            "{name_ko}. {brand} 공식 발매 앨범/굿즈, 포토카드 랜덤 포함, 미개봉. Official {name_en}."
        ),
        "whisky" => format!(
            "{name_ko} ({name_en}). 한정 병입, 700ml, 정식 수입. 미성년자는 구매할 수 없습니다."
        ),
        _ => format!("{name_ko}. {brand} {year} 한정판, 국내 정발 미개봉. {name_en}."),
    }
}

/// A small deterministic generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator from a seed.
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

struct Spec {
    model: String,
    brand: &'static str,
    category: &'static str,
    price: u64,
    release: u32,
    name_ko: String,
    name_en: String,
}

fn specs() -> Vec<Spec> {
    let mut out: Vec<Spec> = CATALOG
        .iter()
        .map(|&(model, brand, category, price, release, ko, en)| Spec {
            model: model.to_string(),
            brand,
            category,
            price,
            release,
            name_ko: ko.to_string(),
            name_en: en.to_string(),
        })
        .collect();
    for (l, &(brand, category, prefix, ko, en, price)) in LINES.iter().enumerate() {
        for k in 0..12 {
            let c = (l * 5 + k) % COLORWAYS.len();
            let (cko, cen) = COLORWAYS[c];
            out.push(Spec {
                model: format!("{prefix}-{c:03}"),
                brand,
                category,
                price: price + 10_000 * (k as u64 % 4),
                release: 20200101 + (l as u32 % 5) * 10_000 + (k as u32 % 12) * 100 + 1,
                name_ko: format!("{ko} {cko}"),
                name_en: format!("{en} '{cen}'"),
            });
        }
    }
    out
}

fn to_doc(id: u64, spec: &Spec, rng: &mut SplitMix) -> ProductDoc {
    let edition_size = [30u32, 50, 100, 250, 500, 1000][rng.below(6) as usize];
    let sold = (rng.below(u64::from(edition_size) + 1)) as u32;
    let available = if rng.below(4) == 0 {
        0
    } else {
        (rng.below(u64::from(edition_size - sold) + 1)) as u32
    };
    ProductDoc {
        product_id: id,
        brand: spec.brand.to_string(),
        model: spec.model.clone(),
        name_ko: spec.name_ko.clone(),
        name_en: spec.name_en.clone(),
        category: spec.category.to_string(),
        description: description(
            spec.category,
            spec.brand,
            &spec.name_ko,
            &spec.name_en,
            spec.release,
        ),
        price: spec.price,
        release_date: spec.release,
        shop_name: SHOPS[rng.below(SHOPS.len() as u64) as usize].to_string(),
        registered_height: 10 + id * 3,
        registered_tx: format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64()
        ),
        edition_size,
        available,
        sold,
        has_open_raffle: rng.below(7) == 0,
        image: None,
        seller: None,
    }
}

/// The fixture catalog: the hand-written products, then colourways of popular lines
/// (more than 300 in all). Product ids are 1, 2, … in this order; the same every call.
pub fn products() -> Vec<ProductDoc> {
    let mut rng = SplitMix::new(0x7275_6666_6c65);
    specs()
        .iter()
        .enumerate()
        .map(|(i, spec)| to_doc(i as u64 + 1, spec, &mut rng))
        .collect()
}

/// `n` generated products for load tests, ids from 1: catalog products and colourways
/// with a generated edition suffix, random prices, shops and market state.
pub fn synthetic_products(n: usize, seed: u64) -> Vec<ProductDoc> {
    let specs = specs();
    let mut rng = SplitMix::new(seed);
    (0..n)
        .map(|i| {
            let base = &specs[rng.below(specs.len() as u64) as usize];
            let (cko, cen) = COLORWAYS[rng.below(COLORWAYS.len() as u64) as usize];
            let year = 2015 + rng.below(11) as u32;
            let spec = Spec {
                model: format!("{}-{:06}", base.model, i),
                brand: base.brand,
                category: base.category,
                price: (base.price / 2 + rng.below(base.price.max(2))) / 1_000 * 1_000,
                release: year * 10_000
                    + (1 + rng.below(12) as u32) * 100
                    + 1
                    + rng.below(28) as u32,
                name_ko: format!("{} {} {}년 에디션", base.name_ko, cko, year),
                name_en: format!("{} {} {} Edition", base.name_en, cen, year),
            };
            to_doc(i as u64 + 1, &spec, &mut rng)
        })
        .collect()
}

/// A search-quality case: what a shopper types and the model code of the product they
/// mean.
#[derive(Clone, Copy, Debug)]
pub struct QualityCase {
    /// The query text.
    pub query: &'static str,
    /// Model code of the expected product.
    pub expected: &'static str,
}

const fn case(query: &'static str, expected: &'static str) -> QualityCase {
    QualityCase { query, expected }
}

/// Queries with the product each one means, written by hand: Korean, English, mixed,
/// partial words, words run together, model codes.
pub const QUALITY_QUERIES: &[QualityCase] = &[
    // The three from the issue.
    case("나이키 덩크", "DD1391-100"),
    case("dunk low 범고래", "DD1391-100"),
    case("조던1", "DZ5485-612"),
    // Korean.
    case("덩크 로우 범고래", "DD1391-100"),
    case("트래비스 스캇 조던", "CD4487-100"),
    case("이지 350 지브라", "CP9654"),
    case("롤렉스 서브마리너", "126610LN"),
    case("데이토나", "116500LN"),
    case("문스와치", "SO33R100"),
    case("레고 밀레니엄 팔콘", "LEGO-75192"),
    case("에르메스 버킨", "HER-BIRKIN25-TOGO-GOLD"),
    case("샤넬 클래식 플랩백", "A01112-CAVIAR"),
    case("뉴진스 버니", "NJ-GETUP-BUNNY"),
    case("방탄소년단 응원봉", "BTS-ARMYBOMB-SE"),
    case("맥캘란 18년", "MAC-18-SHERRY-2023"),
    case("포켓몬 151 부스터", "PKM-SV151-BOX"),
    case("슈프림 박스로고 후드", "SUP-FW23-BOGO-HG"),
    case("노스페이스 눕시", "NJ1DN55A"),
    case("라부부", "POP-LABUBU-MACARON"),
    case("젤다 스위치", "HEG-S-KDAAA"),
    // English.
    case("air jordan 4 military black", "DH6927-111"),
    case("yeezy slide onyx", "HQ6448"),
    case("new balance 990v6", "M990GL6"),
    case("royal oak", "15500ST.OO.1220ST.01"),
    case("nautilus 5711", "5711/1A-010"),
    case("kaws companion 1000", "BE-KAWS-1000"),
    case("hibiki 21", "SUN-HIBIKI-21"),
    case("blackpink born pink", "BP-BORNPINK-BOX"),
    case("tiffany air force", "DZ1382-001"),
    case("samba wales bonner", "GY5752"),
    // Mixed Korean and English.
    case("nike 에어포스 스투시", "DO9339-200"),
    case("supreme 루이비통", "SUP-LV-BOGO-RED"),
    case("조던 chicago", "DZ5485-612"),
    case("rolex 펩시", "126710BLRO"),
    case("pokemon 피카츄", "PKM-PIKACHU-PLUSH"),
    case("레고 titanic", "LEGO-10294"),
    // Korean for an English-only word and the other way round.
    case("panda dunk", "DD1391-100"),
    case("omega speedmaster", "310.30.42.50.01.001"),
    case("stussy fleece", "STU-8BALL-FLEECE"),
    // Partial words.
    case("범고", "DD1391-100"),
    case("스트레인지", "CT2552-800"),
    case("strangel", "CT2552-800"),
    case("macall 18", "MAC-18-SHERRY-2023"),
    case("서브마리", "126610LN"),
    case("밀레니엄", "LEGO-75192"),
    case("yamaz", "SUN-YAMAZAKI-18"),
    case("카시오크", "GA-2100-1A1"),
    // Words run together, letter/digit boundaries, model codes.
    case("나이키덩크범고래", "DD1391-100"),
    case("에어조던11", "CT8012-116"),
    case("jordan11 concord", "CT8012-116"),
    case("DD1391-100", "DD1391-100"),
    case("126610LN", "126610LN"),
    case("cp9654", "CP9654"),
];
