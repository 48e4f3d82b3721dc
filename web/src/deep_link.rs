//! Stable addresses of the pages, for links that live outside them (KakaoTalk
//! messages stay in a chat for years): `GET /products/27` is answered with a redirect to
//! `/#/product/27`, the app's route for it. The pages may change their routes; these
//! addresses keep working by changing this table.

/// `(stable path, the app's route)`; `{id}` stands for a decimal id.
pub const DEEP_LINKS: &[(&str, &str)] = &[
    ("/products/{id}", "/product/{id}"),
    ("/items/{id}", "/item/{id}"),
    ("/raffles", "/search?raffle=1"),
    ("/raffles/{id}", "/raffle/{id}"),
    ("/orders/{id}", "/order/{id}"),
    ("/account", "/me"),
    ("/account/orders", "/me?show=payments"),
    ("/account/raffles", "/me?show=entries"),
    ("/account/kakao", "/me/kakao"),
    ("/search", "/search"),
];

/// Longest query string passed on to the search page.
const MAX_QUERY: usize = 1_000;

/// Where the browser goes for the stable address `path` (with `query`, which only the
/// search page keeps): `/#/product/27`. `None` if `path` is not one.
pub fn deep_link(path: &str, query: Option<&str>) -> Option<String> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    for (pattern, route) in DEEP_LINKS {
        let Some(id) = match_path(pattern, path) else {
            continue;
        };
        let mut target = format!("/#{}", route.replace("{id}", &id));
        if *pattern == "/search" {
            // Passed on only when it is plainly a query string (it lands in a Location
            // header and in the app's URLSearchParams).
            if let Some(q) = query.filter(|q| {
                !q.is_empty()
                    && q.len() <= MAX_QUERY
                    && q.bytes().all(|b| {
                        b.is_ascii_alphanumeric()
                            || matches!(b, b'%' | b'&' | b'=' | b'+' | b'.' | b'_' | b'~' | b'-')
                    })
            }) {
                target.push('?');
                target.push_str(q);
            }
        }
        return Some(target);
    }
    None
}

/// Whether `path` fits `pattern`; the id it holds (empty without one).
fn match_path(pattern: &str, path: &str) -> Option<String> {
    let want: Vec<&str> = pattern.split('/').collect();
    let got: Vec<&str> = path.split('/').collect();
    if want.len() != got.len() {
        return None;
    }
    let mut id = String::new();
    for (w, g) in want.iter().zip(&got) {
        if *w == "{id}" {
            if g.is_empty() || g.len() > 20 || !g.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            g.parse::<u64>().ok()?;
            id = (*g).to_owned();
        } else if w != g {
            return None;
        }
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_paths_go_to_the_apps_routes() {
        assert_eq!(
            deep_link("/products/27", None).as_deref(),
            Some("/#/product/27")
        );
        assert_eq!(
            deep_link("/products/27/", None).as_deref(),
            Some("/#/product/27")
        );
        assert_eq!(deep_link("/items/3", None).as_deref(), Some("/#/item/3"));
        assert_eq!(
            deep_link("/raffles", None).as_deref(),
            Some("/#/search?raffle=1")
        );
        assert_eq!(
            deep_link("/raffles/5", None).as_deref(),
            Some("/#/raffle/5")
        );
        assert_eq!(deep_link("/orders/9", None).as_deref(), Some("/#/order/9"));
        assert_eq!(
            deep_link("/account/kakao", None).as_deref(),
            Some("/#/me/kakao")
        );
        assert_eq!(
            deep_link("/account/orders", Some("x=1")).as_deref(),
            Some("/#/me?show=payments")
        );
        assert_eq!(
            deep_link(
                "/search",
                Some("q=%EB%8D%A9%ED%81%AC&category=sneakers&avail=available")
            )
            .as_deref(),
            Some("/#/search?q=%EB%8D%A9%ED%81%AC&category=sneakers&avail=available")
        );
        assert_eq!(
            deep_link("/search", Some("q=<script>")).as_deref(),
            Some("/#/search"),
            "a query that is not plainly one is dropped"
        );
        for bad in [
            "/products/",
            "/products/abc",
            "/products/1/2",
            "/products/99999999999999999999",
            "/account/other",
            "/nope",
            "/",
        ] {
            assert_eq!(deep_link(bad, None), None, "{bad}");
        }
    }

    /// The app's route patterns (`ROUTES` in app.js), read from the embedded file.
    fn app_routes() -> Vec<String> {
        let app = std::str::from_utf8(crate::asset("/assets/js/app.js").unwrap().bytes).unwrap();
        app.lines()
            .filter_map(|line| {
                let start = line.find("[/^")? + 3;
                let end = line[start..].find("$/")? + start;
                Some(line[start..end].replace("\\/", "/"))
            })
            .collect()
    }

    /// Whether the app's route `pattern` (a regex source of `/`, literals and `(\d+)`)
    /// matches `path`.
    fn route_matches(pattern: &str, path: &str) -> bool {
        if pattern == "/?" {
            return path.is_empty() || path == "/";
        }
        let want: Vec<&str> = pattern.split('/').collect();
        let got: Vec<&str> = path.split('/').collect();
        want.len() == got.len()
            && want.iter().zip(&got).all(|(w, g)| {
                if *w == "(\\d+)" {
                    !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit())
                } else {
                    w == g
                }
            })
    }

    #[test]
    fn every_target_is_a_route_of_the_app() {
        let routes = app_routes();
        assert!(routes.len() >= 10, "read the app's routes: {routes:?}");
        for (pattern, _) in DEEP_LINKS {
            let path = pattern.replace("{id}", "42");
            let target = deep_link(&path, None).unwrap();
            let route = target.strip_prefix("/#").unwrap();
            let route = route.split('?').next().unwrap();
            assert!(
                routes.iter().any(|r| route_matches(r, route)),
                "{pattern} -> {target}: no such route in app.js ({routes:?})"
            );
        }
    }
}
