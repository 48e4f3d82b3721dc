//! A small built-in table of Korean ↔ English spellings of brands, models and common
//! product words, used to expand queries ("나이키" also looks for "nike", "new balance"
//! also looks for "뉴발란스") and to canonicalize brand/category filters.
//!
//! Entries are matched on normalized words (see [`crate::analysis::words`]); a Korean
//! side may also match a run of query words written without spaces ("에어포스", "에어 포스").

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::analysis::{script_of, words, Script};

/// `(Korean, English)` spellings of the same thing. One Korean word may have several
/// English spellings and the other way round.
const PAIRS: &[(&str, &str)] = &[
    // Sneaker and streetwear brands.
    ("나이키", "nike"),
    ("아디다스", "adidas"),
    ("조던", "jordan"),
    ("에어조던", "air jordan"),
    ("뉴발란스", "new balance"),
    ("뉴발", "new balance"),
    ("아식스", "asics"),
    ("살로몬", "salomon"),
    ("컨버스", "converse"),
    ("반스", "vans"),
    ("슈프림", "supreme"),
    ("스투시", "stussy"),
    ("팔라스", "palace"),
    ("베이프", "bape"),
    ("오프화이트", "off white"),
    ("사카이", "sacai"),
    ("앰부쉬", "ambush"),
    ("꼼데가르송", "comme des garcons"),
    ("꼼데", "comme des garcons"),
    ("아크테릭스", "arcteryx"),
    ("노스페이스", "north face"),
    ("몽클레르", "moncler"),
    ("스톤아일랜드", "stone island"),
    ("피어오브갓", "fear of god"),
    ("크롬하츠", "chrome hearts"),
    ("아더에러", "ader error"),
    ("마뗑킴", "matin kim"),
    ("티파니", "tiffany"),
    ("트래비스스캇", "travis scott"),
    ("트래비스", "travis"),
    ("스캇", "scott"),
    // Sneaker models and words.
    ("덩크", "dunk"),
    ("로우", "low"),
    ("하이", "high"),
    ("미드", "mid"),
    ("범고래", "panda"),
    ("판다", "panda"),
    ("에어포스", "air force"),
    ("포스", "force"),
    ("에어맥스", "air max"),
    ("에어", "air"),
    ("맥스", "max"),
    ("이지", "yeezy"),
    ("부스트", "boost"),
    ("폼러너", "foam runner"),
    ("슬라이드", "slide"),
    ("삼바", "samba"),
    ("가젤", "gazelle"),
    ("캠퍼스", "campus"),
    ("스탠스미스", "stan smith"),
    ("척", "chuck"),
    ("올드스쿨", "old skool"),
    ("카야노", "kayano"),
    ("레트로", "retro"),
    ("시카고", "chicago"),
    ("모카", "mocha"),
    ("권도", "kwondo"),
    ("피스마이너스원", "peaceminusone"),
    ("와플", "waffle"),
    // Colours.
    ("화이트", "white"),
    ("블랙", "black"),
    ("레드", "red"),
    ("블루", "blue"),
    ("그린", "green"),
    ("그레이", "grey"),
    ("그레이", "gray"),
    ("핑크", "pink"),
    ("골드", "gold"),
    ("실버", "silver"),
    ("베이지", "beige"),
    ("네이비", "navy"),
    // Clothing.
    ("박스로고", "box logo"),
    ("후드", "hoodie"),
    ("후디", "hoodie"),
    ("후드티", "hoodie"),
    ("티셔츠", "tee"),
    ("티셔츠", "t shirt"),
    ("자켓", "jacket"),
    ("재킷", "jacket"),
    ("눕시", "nuptse"),
    ("패딩", "down jacket"),
    // Watches.
    ("롤렉스", "rolex"),
    ("오메가", "omega"),
    ("스와치", "swatch"),
    ("문스와치", "moonswatch"),
    ("까르띠에", "cartier"),
    ("튜더", "tudor"),
    ("오데마피게", "audemars piguet"),
    ("파텍필립", "patek philippe"),
    ("카시오", "casio"),
    ("지샥", "g shock"),
    ("세이코", "seiko"),
    ("그랜드세이코", "grand seiko"),
    ("서브마리너", "submariner"),
    ("데이토나", "daytona"),
    ("데이저스트", "datejust"),
    ("스피드마스터", "speedmaster"),
    ("문워치", "moonwatch"),
    ("로얄오크", "royal oak"),
    ("노틸러스", "nautilus"),
    ("산토스", "santos"),
    ("탱크", "tank"),
    ("블랙베이", "black bay"),
    ("펩시", "pepsi"),
    ("시계", "watch"),
    // Toys and games.
    ("포켓몬", "pokemon"),
    ("포켓몬스터", "pokemon"),
    ("피카츄", "pikachu"),
    ("레고", "lego"),
    ("스타워즈", "star wars"),
    ("해리포터", "harry potter"),
    ("베어브릭", "bearbrick"),
    ("카우스", "kaws"),
    ("반다이", "bandai"),
    ("건담", "gundam"),
    ("건프라", "gunpla"),
    ("핫토이", "hot toys"),
    ("아이언맨", "iron man"),
    ("팝마트", "pop mart"),
    ("라부부", "labubu"),
    ("산리오", "sanrio"),
    ("쿠로미", "kuromi"),
    ("닌텐도", "nintendo"),
    ("스위치", "switch"),
    ("젤다", "zelda"),
    ("플레이스테이션", "playstation"),
    ("플스", "playstation"),
    ("피규어", "figure"),
    ("장난감", "toy"),
    ("토이", "toy"),
    ("게임", "game"),
    // Bags.
    ("에르메스", "hermes"),
    ("버킨", "birkin"),
    ("켈리", "kelly"),
    ("샤넬", "chanel"),
    ("클래식", "classic"),
    ("플랩", "flap"),
    ("루이비통", "louis vuitton"),
    ("루이뷔통", "louis vuitton"),
    ("스피디", "speedy"),
    ("키폴", "keepall"),
    ("디올", "dior"),
    ("새들", "saddle"),
    ("보테가베네타", "bottega veneta"),
    ("보테가", "bottega veneta"),
    ("프라다", "prada"),
    ("구찌", "gucci"),
    ("고야드", "goyard"),
    ("셀린느", "celine"),
    ("가방", "bag"),
    ("백", "bag"),
    // K-pop.
    ("방탄소년단", "bts"),
    ("방탄", "bts"),
    ("블랙핑크", "blackpink"),
    ("뉴진스", "newjeans"),
    ("세븐틴", "seventeen"),
    ("에스파", "aespa"),
    ("아이브", "ive"),
    ("스트레이키즈", "stray kids"),
    ("스키즈", "stray kids"),
    ("아이유", "iu"),
    ("르세라핌", "le sserafim"),
    ("투모로우바이투게더", "tomorrow x together"),
    ("투바투", "txt"),
    ("정국", "jungkook"),
    ("앨범", "album"),
    ("응원봉", "light stick"),
    ("응원봉", "lightstick"),
    ("포토카드", "photocard"),
    ("포카", "photocard"),
    ("굿즈", "goods"),
    // Drinks.
    ("위스키", "whisky"),
    ("위스키", "whiskey"),
    ("맥캘란", "macallan"),
    ("발베니", "balvenie"),
    ("글렌피딕", "glenfiddich"),
    ("야마자키", "yamazaki"),
    ("히비키", "hibiki"),
    ("조니워커", "johnnie walker"),
    ("블루라벨", "blue label"),
    ("로얄살루트", "royal salute"),
    ("카발란", "kavalan"),
    ("보모어", "bowmore"),
    ("돔페리뇽", "dom perignon"),
    ("샴페인", "champagne"),
    ("셰리", "sherry"),
    ("싱글몰트", "single malt"),
    // Categories and generic words.
    ("스니커즈", "sneakers"),
    ("운동화", "sneakers"),
    ("신발", "shoes"),
    ("스트릿웨어", "streetwear"),
    ("한정판", "limited edition"),
    ("한정", "limited"),
    ("에디션", "edition"),
    ("콜라보", "collaboration"),
];

/// The expansion table, built once.
pub(crate) struct SynonymTable {
    /// Normalized words of one side (joined by a space) → the other side's spellings.
    map: HashMap<String, Vec<Vec<String>>>,
    /// Korean single-word keys of two or more characters, longest first, for
    /// segmenting a Korean run written without spaces.
    cjk_keys: Vec<String>,
    /// Most words in a key.
    max_words: usize,
}

static TABLE: LazyLock<SynonymTable> = LazyLock::new(SynonymTable::build);

/// The built-in table.
pub(crate) fn table() -> &'static SynonymTable {
    &TABLE
}

impl SynonymTable {
    fn build() -> SynonymTable {
        let mut map: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        let mut max_words = 1;
        let mut add = |from: &[String], to: Vec<String>| {
            let alternatives = map.entry(from.join(" ")).or_default();
            if !alternatives.contains(&to) {
                alternatives.push(to);
            }
        };
        for (ko, en) in PAIRS {
            let (ko, en) = (words(ko), words(en));
            if ko.is_empty() || en.is_empty() {
                continue;
            }
            max_words = max_words.max(ko.len()).max(en.len());
            add(&ko, en.clone());
            add(&en, ko);
        }
        let mut cjk_keys: Vec<String> = map
            .keys()
            .filter(|k| !k.contains(' ') && script_of(k) == Script::Cjk && k.chars().count() >= 2)
            .cloned()
            .collect();
        cjk_keys.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
        SynonymTable {
            map,
            cjk_keys,
            max_words,
        }
    }

    /// Other spellings of the normalized words `key` (joined by a space).
    pub(crate) fn lookup(&self, key: &str) -> Option<&[Vec<String>]> {
        self.map.get(key).map(Vec::as_slice)
    }

    /// Most words in one entry.
    pub(crate) fn max_words(&self) -> usize {
        self.max_words
    }

    /// Cuts a Korean word written without spaces at the table's Korean words, longest
    /// match first ("나이키덩크로우" → `나이키` `덩크` `로우`; unknown stretches stay
    /// together). Returns `None` unless this finds at least two pieces, one of them known.
    pub(crate) fn segment(&self, word: &str) -> Option<Vec<String>> {
        let chars: Vec<char> = word.chars().collect();
        let mut pieces = Vec::new();
        let mut unknown = String::new();
        let mut i = 0;
        let mut known = 0;
        'outer: while i < chars.len() {
            for key in &self.cjk_keys {
                let len = key.chars().count();
                if i + len <= chars.len() && key.chars().eq(chars[i..i + len].iter().copied()) {
                    if !unknown.is_empty() {
                        pieces.push(std::mem::take(&mut unknown));
                    }
                    pieces.push(key.clone());
                    known += 1;
                    i += len;
                    continue 'outer;
                }
            }
            unknown.push(chars[i]);
            i += 1;
        }
        if !unknown.is_empty() {
            pieces.push(unknown);
        }
        (pieces.len() >= 2 && known >= 1).then_some(pieces)
    }

    /// The canonical form of a brand or category name, for filters: its normalized words,
    /// or, for a Korean name the table knows, its first English spelling ("나이키" and
    /// "NIKE" are both `nike`).
    pub(crate) fn canonical(&self, name: &str) -> String {
        let w = words(name);
        let joined = w.join(" ");
        if !w.is_empty() && w.iter().all(|x| script_of(x) == Script::Cjk) {
            let compact: String = w.concat();
            if let Some(alts) = self.lookup(&compact).or_else(|| self.lookup(&joined)) {
                if let Some(first) = alts
                    .iter()
                    .find(|a| a.iter().all(|x| script_of(x) != Script::Cjk))
                {
                    return first.join(" ");
                }
            }
        }
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions() {
        let t = table();
        assert!(t
            .lookup("나이키")
            .unwrap()
            .contains(&vec!["nike".to_string()]));
        assert!(t
            .lookup("nike")
            .unwrap()
            .contains(&vec!["나이키".to_string()]));
        assert!(t
            .lookup("new balance")
            .unwrap()
            .contains(&vec!["뉴발란스".to_string()]));
        assert!(t
            .lookup("뉴발란스")
            .unwrap()
            .contains(&vec!["new".to_string(), "balance".to_string()]));
        assert!(t
            .lookup("panda")
            .unwrap()
            .contains(&vec!["범고래".to_string()]));
        assert!(t.max_words() >= 3);
    }

    #[test]
    fn segments_runs_without_spaces() {
        let t = table();
        assert_eq!(
            t.segment("나이키덩크로우").unwrap(),
            ["나이키", "덩크", "로우"]
        );
        assert_eq!(
            t.segment("조던레트로하이").unwrap(),
            ["조던", "레트로", "하이"]
        );
        assert_eq!(t.segment("나이키신상").unwrap(), ["나이키", "신상"]);
        assert_eq!(t.segment("나이키"), None);
        assert_eq!(t.segment("가나다"), None);
    }

    #[test]
    fn canonical_names() {
        let t = table();
        assert_eq!(t.canonical("NIKE"), "nike");
        assert_eq!(t.canonical("나이키"), "nike");
        assert_eq!(t.canonical(" Louis  Vuitton "), "louis vuitton");
        assert_eq!(t.canonical("루이비통"), "louis vuitton");
        assert_eq!(t.canonical("sneakers"), "sneakers");
        assert_eq!(t.canonical("스니커즈"), "sneakers");
        assert_eq!(t.canonical("처음보는브랜드"), "처음보는브랜드");
    }
}
