//! The seller filter (the seller centre's products) and the popular order (the main
//! page's `product_popular`).

use super::*;

fn seller(byte: u8) -> PublicKey {
    PublicKey([byte; 32])
}

fn owned(id: u64, by: u8, sold: u32, open_raffle: bool) -> ProductDoc {
    ProductDoc {
        seller: Some(seller(by)),
        sold,
        has_open_raffle: open_raffle,
        ..doc(id, "Nike", &format!("상품 {id}"), &format!("Product {id}"))
    }
}

fn query(filters: crate::Filters, sort: SortOrder) -> SearchQuery {
    SearchQuery {
        filters,
        sort,
        page_size: 100,
        ..SearchQuery::default()
    }
}

#[test]
fn the_seller_filter_finds_exactly_that_sellers_products() {
    let index = index_of(vec![
        owned(1, 1, 0, false),
        owned(2, 2, 0, false),
        owned(3, 1, 5, true),
        // A document from before the seller field: found by no seller.
        doc(4, "Nike", "상품 4", "Product 4"),
    ]);
    let of = |by: u8| {
        let filters = crate::Filters {
            seller: Some(seller(by)),
            ..crate::Filters::default()
        };
        ids(&index.search(&query(filters, SortOrder::Newest)).unwrap())
    };
    assert_eq!(of(1), vec![3, 1]);
    assert_eq!(of(2), vec![2]);
    assert_eq!(of(9), Vec::<u64>::new());
    // With text, and the stored seller comes back in the hit.
    let text = SearchQuery {
        filters: crate::Filters {
            seller: Some(seller(1)),
            ..crate::Filters::default()
        },
        ..SearchQuery::text("Product 3")
    };
    let results = index.search(&text).unwrap();
    assert_eq!(ids(&results), vec![3]);
    assert_eq!(results.hits[0].product.seller, Some(seller(1)));
    assert_eq!(results.hits[0].product.sold, 5);
}

#[test]
fn popular_is_most_sold_then_an_open_raffle_then_the_newest() {
    let index = index_of(vec![
        owned(1, 1, 3, false),
        owned(2, 1, 0, true),
        owned(3, 2, 3, true),
        owned(4, 2, 0, false),
        owned(5, 2, 0, false),
        owned(6, 1, 7, false),
    ]);
    let popular = ids(&index
        .search(&query(crate::Filters::default(), SortOrder::Popular))
        .unwrap());
    assert_eq!(popular, vec![6, 3, 1, 2, 5, 4]);
    // A sale re-indexed moves a product up.
    let mut index = index;
    index.upsert([owned(4, 2, 9, false)]).unwrap();
    index.commit(2).unwrap();
    let popular = ids(&index
        .search(&query(crate::Filters::default(), SortOrder::Popular))
        .unwrap());
    assert_eq!(popular[0], 4);
    // Paged like any search, and with filters.
    let page = SearchQuery {
        sort: SortOrder::Popular,
        page_size: 2,
        filters: crate::Filters {
            seller: Some(seller(2)),
            ..crate::Filters::default()
        },
        ..SearchQuery::default()
    };
    assert_eq!(ids(&index.search(&page).unwrap()), vec![4, 3]);
}
