//! The browser pages of a Truffle node: a single-page app (Korean by default, with an
//! English switch) embedded in the binary and served on the node's RPC port.
//!
//! - `static/index.html` is served at `/`; everything else under `static/` at its own
//!   path (`/assets/app.css`, `/assets/js/app.js`, ...).
//! - `static/assets/js/vendor.js` is the audited crypto libraries (`@noble/curves`,
//!   `@noble/hashes`, `@noble/ciphers`) bundled by `npm run build` from the versions
//!   pinned in `package-lock.json`; `scripts/setup.sh` builds it, and `build.rs` refuses
//!   to compile without it.
//! - The pages talk to the node only through JSON-RPC (`POST /`). Keys are generated,
//!   encrypted and used in the browser: the node never sees a member's private key.
//!
//! - [`deep_link`]: stable addresses (`/products/27`, `/account/kakao`) for links that
//!   live outside the pages, such as the KakaoTalk bot's; the node redirects each to the
//!   app's `#/…` route.
//!
//! This crate has no dependencies: the RPC crate serves [`asset`] with its own router.

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

mod deep_link;

pub use deep_link::{deep_link, DEEP_LINKS};

/// An embedded file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asset {
    /// Its MIME type, with the charset for text.
    pub mime: &'static str,
    /// A fingerprint of its bytes, quoted, for `ETag` / `If-None-Match`.
    pub etag: &'static str,
    /// The bytes.
    pub bytes: &'static [u8],
}

/// The file served at URL path `path` (`/` is the app's page), if any.
pub fn asset(path: &str) -> Option<Asset> {
    let path = if path == "/" { "/index.html" } else { path };
    FILES
        .iter()
        .find(|(url, ..)| *url == path)
        .map(|(_, mime, etag, bytes)| Asset { mime, etag, bytes })
}

/// Every embedded URL path.
pub fn paths() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(url, ..)| *url)
}

/// The `Content-Security-Policy` of the pages: scripts, styles and connections from
/// the node only; banner images may come from any https origin (their URLs are fixed
/// on the ledger); product images are shown from `blob:` URLs of the bytes the page
/// checked against the ledger; no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' https: data: blob:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// The pages' `Content-Security-Policy` when buyers pay through a provider's browser
/// SDK: [`CONTENT_SECURITY_POLICY`] with the provider's `origins` (CSP source
/// expressions such as `https://*.tosspayments.com`) added to `script-src`,
/// `connect-src` and `frame-src`, since the SDK is a script that talks to its servers
/// and shows the card form in frames, and `frames` (further frame sources: the card
/// gateways behind PortOne) to `frame-src` only.
pub fn content_security_policy(origins: &[String], frames: &[String]) -> String {
    if origins.is_empty() && frames.is_empty() {
        return CONTENT_SECURITY_POLICY.to_owned();
    }
    let extra = origins.join(" ");
    let framed = origins
        .iter()
        .chain(frames)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    CONTENT_SECURITY_POLICY
        .replace("script-src 'self';", &format!("script-src 'self' {extra};"))
        .replace(
            "connect-src 'self';",
            &format!("connect-src 'self' {extra}; frame-src {framed};"),
        )
}

#[cfg(test)]
mod fuzz_verdicts;
#[cfg(test)]
mod golden;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_sdk_origins_widen_only_scripts_connections_and_frames() {
        assert_eq!(content_security_policy(&[], &[]), CONTENT_SECURITY_POLICY);
        let policy = content_security_policy(&["https://*.tosspayments.com".into()], &[]);
        assert!(policy.contains("script-src 'self' https://*.tosspayments.com;"));
        assert!(policy.contains("connect-src 'self' https://*.tosspayments.com;"));
        assert!(policy.contains("frame-src https://*.tosspayments.com;"));
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"));
        let portone = content_security_policy(&["https://*.portone.io".into()], &["https:".into()]);
        assert!(
            portone.contains("script-src 'self' https://*.portone.io;"),
            "{portone}"
        );
        assert!(
            portone.contains("frame-src https://*.portone.io https:;"),
            "{portone}"
        );
    }

    #[test]
    fn the_app_and_its_modules_are_embedded() {
        let index = asset("/").expect("the app page");
        assert!(index.mime.starts_with("text/html"));
        let html = std::str::from_utf8(index.bytes).unwrap();
        assert!(html.contains("/assets/js/app.js"));
        assert_eq!(asset("/index.html"), Some(index));
        for path in [
            "/assets/app.css",
            "/assets/js/app.js",
            "/assets/js/vendor.js",
        ] {
            let file = asset(path).unwrap_or_else(|| panic!("{path} is embedded"));
            assert!(!file.bytes.is_empty());
        }
        assert!(asset("/assets/js/vendor.js")
            .unwrap()
            .mime
            .starts_with("text/javascript"));
        // The KakaoTalk cards' image: a real PNG (its signature and size, 800 x 400).
        let card = asset("/assets/kakao-card.png").expect("the card image");
        assert_eq!(card.mime, "image/png");
        assert_eq!(&card.bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&card.bytes[12..16], b"IHDR");
        assert_eq!(
            u32::from_be_bytes(card.bytes[16..20].try_into().unwrap()),
            800
        );
        assert_eq!(
            u32::from_be_bytes(card.bytes[20..24].try_into().unwrap()),
            400
        );
        assert_eq!(asset("/nope"), None);
        assert_eq!(asset("/assets/../index.html"), None);
    }

    #[test]
    fn every_module_import_resolves_to_an_embedded_file() {
        // `import ... from "./x.js"` in each module must name a file we serve, or the
        // page would fail at load time in the browser only.
        for path in paths().filter(|p| p.ends_with(".js") && !p.ends_with("vendor.js")) {
            let text = std::str::from_utf8(asset(path).unwrap().bytes).unwrap();
            let dir = &path[..path.rfind('/').unwrap()];
            for line in text.lines() {
                let line = line.trim();
                if !(line.starts_with("import ") || line.starts_with("export ")) {
                    continue;
                }
                let Some(start) = line.find("from \"") else {
                    continue;
                };
                let target = &line[start + 6..];
                let target = &target[..target.find('"').unwrap()];
                let mut parts: Vec<&str> = dir.split('/').collect();
                for part in target.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        other => parts.push(other),
                    }
                }
                let resolved = parts.join("/");
                assert!(
                    asset(&resolved).is_some(),
                    "{path} imports {target} ({resolved}), which is not embedded"
                );
            }
        }
    }
}
