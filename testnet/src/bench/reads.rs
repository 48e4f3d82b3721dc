//! Read workloads: a catalog for shoppers to search and be recommended from, and the
//! requests they make.

use std::time::{Duration, Instant};

use jsonrpsee_http_client::HttpClient;
use truffle_ledger::types::{Gender, ProductSpec};
use truffle_ledger::{Effect, Keypair, Payload};
use truffle_wire::api::{CatalogApiClient, RecoApiClient};
use truffle_wire::search::{Filters, SearchQuery, SortOrder};

use super::setup::{apply_all, rpc_error, Signer};
use crate::cluster::TestnetError;

/// Products the bench seller registers for the read workloads.
pub(super) const CATALOG_PRODUCTS: usize = 120;

/// Brand (English, Korean), category, and a line in each language.
const BRANDS: [(&str, &str, &str, &str, &str); 8] = [
    ("Nike", "나이키", "sneakers", "Dunk Low", "덩크 로우"),
    ("Adidas", "아디다스", "sneakers", "Samba", "삼바"),
    (
        "New Balance",
        "뉴발란스",
        "sneakers",
        "993 Made in USA",
        "993 메이드 인 USA",
    ),
    (
        "Supreme",
        "슈프림",
        "apparel",
        "Box Logo Hoodie",
        "박스 로고 후디",
    ),
    (
        "Stussy",
        "스투시",
        "apparel",
        "World Tour Tee",
        "월드 투어 티셔츠",
    ),
    ("Kaws", "카우스", "toys", "Companion", "컴패니언"),
    (
        "Bearbrick",
        "베어브릭",
        "toys",
        "1000% Figure",
        "1000% 피규어",
    ),
    ("Rolex", "롤렉스", "watches", "Daytona", "데이토나"),
];

/// Model code of catalog product `n`.
fn model(n: usize) -> String {
    let (brand, ..) = BRANDS[n % BRANDS.len()];
    format!("{}-{n:04}", &brand[..2].to_uppercase())
}

fn price(n: usize) -> u64 {
    50_000 + (n as u64 * 37_000) % 2_000_000
}

/// Registers the catalog through `clients` and waits until both the search index and
/// the recommender of every node in `everyone` know it. Returns the product ids.
pub(super) async fn register_catalog(
    clients: &[HttpClient],
    everyone: &[HttpClient],
    signer: &mut Signer,
    seller: &Keypair,
) -> Result<Vec<u64>, TestnetError> {
    let txs = (0..CATALOG_PRODUCTS)
        .map(|n| {
            let (brand, brand_ko, category, line, line_ko) = BRANDS[n % BRANDS.len()];
            signer.sign(
                seller,
                Payload::RegisterProduct(ProductSpec {
                    brand: brand.into(),
                    model: model(n),
                    name_ko: format!("{brand_ko} {line_ko} 한정판 {n}"),
                    name_en: format!("{brand} {line} limited {n}"),
                    category: category.into(),
                    release_date: 20_260_101 + (n as u32 % 28),
                    price: price(n),
                    description: format!("{brand} {line}, edition {n} of the bench catalog"),
                    image_hashes: vec![],
                    serials: (0..3).map(|i| format!("C{n:04}-{i}")).collect(),
                    list_for_sale: n % 2 == 0,
                }),
            )
        })
        .collect();
    let products: Vec<u64> = apply_all(clients, txs)
        .await?
        .into_iter()
        .filter_map(|effect| match effect {
            Effect::ProductRegistered { product, .. } => Some(product),
            _ => None,
        })
        .collect();
    if products.len() != CATALOG_PRODUCTS {
        return Err(TestnetError::Invalid(format!(
            "{} of {CATALOG_PRODUCTS} catalog products registered",
            products.len()
        )));
    }
    // Every node follows blocks into its search index and rebuilds its recommender
    // in the background: wait until each knows the last product.
    let last = *products.last().expect("a non-empty catalog");
    let deadline = Instant::now() + Duration::from_secs(60);
    for (index, client) in everyone.iter().enumerate() {
        loop {
            let searched = client
                .search(SearchQuery::text(model(CATALOG_PRODUCTS - 1)))
                .await
                .map_err(|e| rpc_error(index, e))?;
            let similar = client.similar(last, None, None).await;
            if searched.total > 0 && similar.is_ok() {
                break;
            }
            if Instant::now() > deadline {
                return Err(TestnetError::Timeout(
                    Duration::from_secs(60),
                    format!("node {index} to index the bench catalog"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(products)
}

/// A read request.
#[derive(Clone, Debug)]
pub(super) enum Read {
    /// `product_search`.
    Search(Box<SearchQuery>),
    /// `reco_forVisitor`.
    ForVisitor {
        gender: Option<Gender>,
        birth_year: Option<u16>,
    },
    /// `reco_similar`.
    Similar(u64),
}

/// The `n`-th search: Korean and English text, model codes, partial words, filters,
/// sorts and a second page, in turn.
pub(super) fn search(n: usize) -> Read {
    let (brand, brand_ko, category, line, line_ko) = BRANDS[(n / 7) % BRANDS.len()];
    let query = match n % 7 {
        0 => SearchQuery::text(brand),
        1 => SearchQuery::text(format!("{brand_ko} {line_ko}")),
        2 => SearchQuery::text(model(n % CATALOG_PRODUCTS)),
        3 => SearchQuery::text(&line[..line.len().min(4)]),
        4 => SearchQuery {
            filters: Filters {
                category: Some(category.into()),
                ..Filters::default()
            },
            sort: SortOrder::PriceAsc,
            ..SearchQuery::default()
        },
        5 => SearchQuery {
            filters: Filters {
                max_price: Some(1_000_000),
                ..Filters::default()
            },
            ..SearchQuery::text("limited")
        },
        _ => SearchQuery {
            page: 2,
            page_size: 10,
            ..SearchQuery::text("한정판")
        },
    };
    Read::Search(Box::new(query))
}

/// The `n`-th recommendation request: visitors of every gender and age, and products
/// like one of the catalog, in turn.
pub(super) fn recommendation(n: usize, products: &[u64]) -> Read {
    if n % 2 == 0 {
        let gender = [Some(Gender::Female), Some(Gender::Male), None][(n / 2) % 3];
        let birth_year = (n % 5 != 0).then_some(1965 + (n % 45) as u16);
        Read::ForVisitor { gender, birth_year }
    } else {
        Read::Similar(products[n % products.len()])
    }
}

impl Read {
    /// Sends the request; an error answer is a failure.
    pub(super) async fn send(
        &self,
        client: &HttpClient,
    ) -> Result<(), jsonrpsee::core::ClientError> {
        match self {
            Read::Search(query) => client.search((**query).clone()).await.map(|_| ()),
            Read::ForVisitor { gender, birth_year } => client
                .for_visitor(*gender, *birth_year, None, None)
                .await
                .map(|_| ()),
            Read::Similar(product) => client.similar(*product, None, None).await.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every generated query passes the index's own bounds checks.
    #[test]
    fn generated_searches_are_valid_queries() {
        for n in 0..100 {
            let Read::Search(query) = search(n) else {
                panic!("search({n}) is not a search");
            };
            query
                .validate()
                .unwrap_or_else(|e| panic!("search({n}): {e}"));
        }
    }

    #[test]
    fn recommendations_alternate_visitors_and_similar_products() {
        let products = [7, 8, 9];
        assert!(matches!(
            recommendation(0, &products),
            Read::ForVisitor { .. }
        ));
        assert!(matches!(recommendation(1, &products), Read::Similar(p) if products.contains(&p)));
    }
}
