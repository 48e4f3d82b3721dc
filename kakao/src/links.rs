//! The addresses of the Truffle site the bot links to.
//!
//! Chat messages stay in a user's KakaoTalk for years, so the bot links to stable,
//! fragment-free paths (`/products/27`, `/account/kakao`) rather than to the pages'
//! internal `#/…` routes: the node answers each of these paths with a redirect to the
//! page that shows it (`truffle_web::deep_link`), and a link sent today keeps working
//! when the pages' routing changes. The card image is a file the node serves.
//!
//! | path | page |
//! | --- | --- |
//! | `/products/{id}` | the product and its numbered pieces |
//! | `/items/{id}` | one piece, its history and the ledger check |
//! | `/raffles` | products with an open raffle |
//! | `/raffles/{id}` | one raffle |
//! | `/orders/{id}` | one order and its payment |
//! | `/account/raffles` | My Page, the member's entries |
//! | `/account/orders` | My Page, the member's orders and payments |
//! | `/account/kakao` | the KakaoTalk link code and how to use it |
//! | `/search?q=…&brand=…&category=…&min=…&max=…&avail=available` | search with filters |
//! | `/assets/kakao-card.png` | the card image for subjects without one |
//! | `/images/{blake3}/thumb` | a product's own picture (built by the node, which knows the hashes) |

use crate::data::ProductQuery;

/// The site's stable addresses under one base URL (`https://truffle.example`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteLinks {
    base: String,
}

impl SiteLinks {
    /// The addresses under `base` (a trailing `/` is dropped).
    pub fn new(base: &str) -> SiteLinks {
        SiteLinks {
            base: base.trim().trim_end_matches('/').to_owned(),
        }
    }

    /// The base URL, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A product and its pieces.
    pub fn product(&self, product_id: u64) -> String {
        format!("{}/products/{product_id}", self.base)
    }

    /// One numbered piece, with its history and proof.
    pub fn item(&self, item_id: u64) -> String {
        format!("{}/items/{item_id}", self.base)
    }

    /// One raffle, where members enter.
    pub fn raffle(&self, raffle_id: u64) -> String {
        format!("{}/raffles/{raffle_id}", self.base)
    }

    /// Every open raffle.
    pub fn raffles(&self) -> String {
        format!("{}/raffles", self.base)
    }

    /// One order and its payment.
    pub fn order(&self, order_id: u64) -> String {
        format!("{}/orders/{order_id}", self.base)
    }

    /// The member's raffle entries.
    pub fn entries(&self) -> String {
        format!("{}/account/raffles", self.base)
    }

    /// The member's orders and payments.
    pub fn orders(&self) -> String {
        format!("{}/account/orders", self.base)
    }

    /// Where a logged-in member gets a link code.
    pub fn link_page(&self) -> String {
        format!("{}/account/kakao", self.base)
    }

    /// The card image for subjects without their own (a PNG the node serves).
    pub fn card_image(&self) -> String {
        format!("{}/assets/kakao-card.png", self.base)
    }

    /// The site's search page with the words and filters of `query`.
    pub fn search(&self, query: &ProductQuery) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !query.text.trim().is_empty() {
            pairs.push(("q", query.text.trim().to_owned()));
        }
        if let Some(brand) = &query.brand {
            pairs.push(("brand", brand.clone()));
        }
        if let Some(category) = &query.category {
            pairs.push(("category", category.clone()));
        }
        if let Some(min) = query.min_price {
            pairs.push(("min", min.to_string()));
        }
        if let Some(max) = query.max_price {
            pairs.push(("max", max.to_string()));
        }
        if query.in_stock {
            pairs.push(("avail", "available".to_owned()));
        }
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        if encoded.is_empty() {
            format!("{}/search", self.base)
        } else {
            format!("{}/search?{}", self.base, encoded.join("&"))
        }
    }
}

/// `s` with every byte outside RFC 3986's unreserved characters as `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_the_base() {
        let links = SiteLinks::new("https://truffle.example/");
        assert_eq!(links.base(), "https://truffle.example");
        assert_eq!(links.product(27), "https://truffle.example/products/27");
        assert_eq!(links.item(3), "https://truffle.example/items/3");
        assert_eq!(links.raffle(5), "https://truffle.example/raffles/5");
        assert_eq!(links.raffles(), "https://truffle.example/raffles");
        assert_eq!(links.order(9), "https://truffle.example/orders/9");
        assert_eq!(links.entries(), "https://truffle.example/account/raffles");
        assert_eq!(links.orders(), "https://truffle.example/account/orders");
        assert_eq!(links.link_page(), "https://truffle.example/account/kakao");
        assert_eq!(
            links.card_image(),
            "https://truffle.example/assets/kakao-card.png"
        );
    }

    #[test]
    fn search_links_carry_the_filters_encoded() {
        let links = SiteLinks::new("http://127.0.0.1:9944");
        assert_eq!(
            links.search(&ProductQuery::default()),
            "http://127.0.0.1:9944/search"
        );
        let query = ProductQuery {
            text: "덩크 로우".into(),
            brand: Some("new balance".into()),
            category: Some("sneakers".into()),
            in_stock: true,
            min_price: Some(50_000),
            max_price: Some(100_000),
        };
        assert_eq!(
            links.search(&query),
            "http://127.0.0.1:9944/search?q=%EB%8D%A9%ED%81%AC%20%EB%A1%9C%EC%9A%B0&brand=new%20balance&category=sneakers&min=50000&max=100000&avail=available"
        );
    }
}
