//! Product images over real processes: a seller uploads to one node; the image, its
//! metadata stripped, is kept by every validator (one that was down during the upload
//! too, once it catches up) and served by any node at its blake3's address; the ledger
//! names that hash; uploads that are not a seller's, not an image or too large are
//! refused.

use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageBuffer, ImageEncoder, Rgb, Rgba};
use truffle_ledger::types::ProductSpec;
use truffle_ledger::{Effect, Hash, Payload};
use truffle_testnet::TestnetOptions;
use truffle_tests::members::{apply_tx, gateway_args, sign_up, FakeGateway};
use truffle_tests::{chain_id, Cluster};
use truffle_wire::api::{CatalogApiClient, ProductApiClient};
use truffle_wire::images::{UploadRefused, UploadedImage, MAX_UPLOAD_BYTES};
use truffle_wire::search::SearchQuery;

/// A photo as a phone takes it: a JPEG with an EXIF block naming the place and camera.
fn photo_with_exif(secret: &str) -> Vec<u8> {
    let pixels = ImageBuffer::from_fn(320, 200, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&pixels)
        .unwrap();
    // APP1 "Exif\0\0" + a big-endian TIFF with one ImageDescription entry.
    let mut text = secret.as_bytes().to_vec();
    text.push(0);
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01".to_vec();
    tiff.extend_from_slice(&0x010Eu16.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&(text.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&(8u32 + 2 + 12 + 4).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&text);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    segment.extend_from_slice(b"Exif\x00\x00");
    segment.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A PNG with a transparent half.
fn cutout_png() -> Vec<u8> {
    let pixels = ImageBuffer::from_fn(64, 64, |x, _| {
        Rgba([30, 140, 60, if x < 32 { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(pixels.as_raw(), 64, 64, image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `POST /images` on `base` with `session`; the status and the JSON answer.
async fn upload(
    http: &reqwest::Client,
    base: &str,
    session: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let mut request = http
        .post(format!("{base}/images"))
        .header("content-type", content_type)
        .body(body);
    if let Some(session) = session {
        request = request.bearer_auth(session);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

fn refusal(answer: serde_json::Value) -> String {
    serde_json::from_value::<UploadRefused>(answer)
        .map(|r| r.error)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_uploaded_to_one_node_are_served_by_every_node() -> anyhow::Result<()> {
    let gateway = FakeGateway::default();
    let gateway_address = gateway.clone().start().await?;
    let files = tempfile::tempdir()?;
    let mut cluster = Cluster::start(TestnetOptions {
        extra_args: gateway_args(files.path(), gateway_address)?,
        ..TestnetOptions::default()
    })
    .await?;
    let (n0, n1) = (cluster.client(0), cluster.client(1));
    let urls: Vec<String> = (0..3).map(|i| cluster.net.rpc_url(i)).collect();
    let chain = chain_id(&n0).await?;
    let http = reqwest::Client::new();
    let secret = "GPS 37.5665N 126.9780E · Galaxy S24 serial R5CX1234";
    let photo = photo_with_exif(secret);

    eprintln!("--- only an approved seller's session uploads");
    let seller = sign_up(&n0, &gateway, 41, "박판매").await?;
    let buyer = sign_up(&n1, &gateway, 42, "정구매").await?;
    let (status, answer) = upload(&http, &urls[0], None, "image/jpeg", photo.clone()).await?;
    assert_eq!((status, refusal(answer).as_str()), (401, "not_logged_in"));
    let (status, _) = upload(
        &http,
        &urls[0],
        Some("not-a-session"),
        "image/jpeg",
        photo.clone(),
    )
    .await?;
    assert_eq!(status, 401);
    let (status, answer) = upload(
        &http,
        &urls[0],
        Some(&seller.session),
        "image/jpeg",
        photo.clone(),
    )
    .await?;
    assert_eq!(
        (status, refusal(answer).as_str()),
        (403, "not_a_seller"),
        "not approved yet"
    );
    apply_tx(
        &n0,
        chain,
        &seller.key,
        Payload::ApplySeller {
            shop_name: "이미지 테스트 상점".into(),
        },
    )
    .await?;
    apply_tx(
        &n0,
        chain,
        &cluster.net.admin,
        Payload::ApproveSeller {
            account: seller.key.public(),
        },
    )
    .await?;
    let (status, answer) = upload(
        &http,
        &urls[1],
        Some(&buyer.session),
        "image/jpeg",
        photo.clone(),
    )
    .await?;
    assert_eq!((status, refusal(answer).as_str()), (403, "not_a_seller"));

    eprintln!("--- what is not a JPEG, PNG or WebP, or is too large, is refused");
    for (content_type, body, expected) in [
        (
            "image/jpeg",
            b"<svg onload=alert(1)>".to_vec(),
            (415, "unsupported_type"),
        ),
        ("image/gif", photo.clone(), (415, "unsupported_type")),
        (
            "image/jpeg",
            [&photo[..40], &[0x55; 4000][..]].concat(),
            (422, "undecodable"),
        ),
        (
            "image/jpeg",
            vec![0xFF; MAX_UPLOAD_BYTES + 1],
            (413, "too_large"),
        ),
    ] {
        let (status, answer) =
            upload(&http, &urls[0], Some(&seller.session), content_type, body).await?;
        assert_eq!(
            (status, refusal(answer).as_str()),
            expected,
            "{content_type}"
        );
    }

    eprintln!("--- node 2 is down; the seller uploads to node 0 and node 1");
    cluster.net.kill(2)?;
    cluster
        .net
        .wait_for_leader(&[0, 1], Duration::from_secs(30))
        .await?;
    let (status, answer) = upload(
        &http,
        &urls[0],
        Some(&seller.session),
        "image/jpeg",
        photo.clone(),
    )
    .await?;
    assert_eq!(status, 201, "{answer}");
    let uploaded: UploadedImage = serde_json::from_value(answer)?;
    assert!(uploaded.created);
    assert_eq!(uploaded.image.content_type, "image/jpeg");
    assert_eq!((uploaded.image.width, uploaded.image.height), (320, 200));
    assert_eq!(uploaded.image.url, format!("/images/{}", uploaded.hash));
    assert_ne!(
        uploaded.hash,
        Hash::of(&photo),
        "the stored file is not the upload"
    );
    let (status, again) = upload(
        &http,
        &urls[1],
        Some(&seller.session),
        "image/jpeg",
        photo.clone(),
    )
    .await?;
    assert_eq!(status, 200, "the same file again: stored once");
    assert_eq!(
        serde_json::from_value::<UploadedImage>(again)?.hash,
        uploaded.hash
    );
    let (status, answer) = upload(
        &http,
        &urls[1],
        Some(&seller.session),
        "image/png",
        cutout_png(),
    )
    .await?;
    assert_eq!(status, 201);
    let cutout: UploadedImage = serde_json::from_value(answer)?;
    assert_eq!(cutout.image.content_type, "image/png", "transparency kept");

    eprintln!("--- node 1 serves what node 0 took: the hash's bytes, stripped, cached for good");
    let response = http
        .get(format!("{}{}", urls[1], uploaded.image.url))
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "image/jpeg");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(
        header("cache-control").contains("immutable"),
        "{}",
        header("cache-control")
    );
    let etag = header("etag");
    let bytes = response.bytes().await?;
    assert_eq!(Hash::of(&bytes), uploaded.hash);
    assert!(!contains(&bytes, b"Exif") && !contains(&bytes, secret.as_bytes()));
    let revalidated = http
        .get(format!("{}{}", urls[1], uploaded.image.url))
        .header("if-none-match", etag)
        .send()
        .await?;
    assert_eq!(revalidated.status().as_u16(), 304);
    let thumb = http
        .get(format!("{}{}", urls[0], uploaded.thumb.url))
        .send()
        .await?;
    assert_eq!(thumb.status().as_u16(), 200);
    assert_eq!(thumb.bytes().await?.len() as u64, uploaded.thumb.bytes);
    for path in [
        format!("/images/{}", Hash::of(b"never uploaded")),
        format!("/images/{}", uploaded.hash.to_hex().to_uppercase()),
        format!("/images/{}/thumb", Hash::of(b"never uploaded")),
        "/images/not-a-hash".to_owned(),
    ] {
        let response = http.get(format!("{}{path}", urls[0])).send().await?;
        assert_eq!(response.status().as_u16(), 404, "{path}");
    }

    eprintln!("--- the seller registers the edition naming both hashes");
    let effect = apply_tx(
        &n1,
        chain,
        &seller.key,
        Payload::RegisterProduct(ProductSpec {
            brand: "Truffle Labs".into(),
            model: "TL-IMG-1".into(),
            name_ko: "이미지 테스트 스니커즈".into(),
            name_en: "Image Test Sneaker".into(),
            category: "sneakers".into(),
            release_date: 20_261_101,
            price: 99_000,
            description: String::new(),
            image_hashes: vec![uploaded.hash, cutout.hash],
            serials: vec!["TL-IMG-1-0001".into()],
            list_for_sale: true,
        }),
    )
    .await?;
    let Effect::ProductRegistered { product, .. } = effect else {
        anyhow::bail!("unexpected effect {effect:?}");
    };

    eprintln!("--- node 2 comes back: it catches up and serves the images and the product");
    cluster.net.start(2)?;
    let n2 = cluster.client(2);
    // Node 2 fetches each image on its own once it learns of the edition: wait for
    // each one.
    let fetched = |url: String| {
        let http = http.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(response) = http.get(&url).send().await {
                    if response.status().as_u16() == 200 {
                        return anyhow::Ok(response);
                    }
                }
                anyhow::ensure!(Instant::now() < deadline, "node 2 never served {url}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    };
    let served = fetched(format!("{}{}", urls[2], uploaded.image.url))
        .await?
        .bytes()
        .await?;
    assert_eq!(served, bytes, "the same bytes on every node");
    let png = fetched(format!("{}{}", urls[2], cutout.image.url)).await?;
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(Hash::of(&png.bytes().await?), cutout.hash);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(view) = ProductApiClient::get(&n2, product).await {
            assert_eq!(view.product.image_hashes, vec![uploaded.hash, cutout.hash]);
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "node 2 never had the product");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let results = n2.search(SearchQuery::text("이미지 테스트")).await?;
    let hit = results
        .hits
        .iter()
        .find(|h| h.product_id == product)
        .expect("the product is found");
    assert_eq!(
        hit.product.image,
        Some(uploaded.hash),
        "cards show the first image"
    );

    eprintln!("--- `truffle product register --image` uploads, strips and registers in one go");
    let dir = files.path();
    truffle_wire::keyfile::write_key_file(&dir.join("seller.json"), &seller.key)?;
    std::fs::write(dir.join("session"), &seller.session)?;
    let cli_secret = "GPS 35.1796N 129.0756E · CLI upload";
    std::fs::write(dir.join("front.jpg"), photo_with_exif(cli_secret))?;
    std::fs::write(
        dir.join("product.json"),
        serde_json::json!({
            "brand": "Truffle Labs", "model": "TL-CLI-1", "name_ko": "명령줄 이미지 스니커즈",
            "name_en": "CLI Image Sneaker", "category": "sneakers", "release_date": "2026-11-02",
            "price": 120_000, "description": "", "images": [], "serials": ["TL-CLI-1-0001"],
            "list_for_sale": true
        })
        .to_string(),
    )?;
    let output = std::process::Command::new(truffle_testnet::truffle_binary()?)
        .arg("product")
        .arg("register")
        .arg(dir.join("product.json"))
        .arg("--key")
        .arg(dir.join("seller.json"))
        .arg("--image")
        .arg(dir.join("front.jpg"))
        .arg("--session-file")
        .arg(dir.join("session"))
        .args(["--rpc", &urls[1]])
        .output()?;
    assert!(
        output.status.success(),
        "truffle product register: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let results = n1.search(SearchQuery::text("명령줄 이미지")).await?;
    let hit = results
        .hits
        .iter()
        .find(|h| h.product.model == "TL-CLI-1")
        .expect("the CLI's product is found");
    let named = ProductApiClient::get(&n1, hit.product_id)
        .await?
        .product
        .image_hashes;
    assert_eq!(named.len(), 1, "one image named: {named:?}");
    let stored = http
        .get(format!("{}/images/{}", urls[2], named[0]))
        .send()
        .await?;
    assert_eq!(stored.status().as_u16(), 200, "every node serves it");
    let stored = stored.bytes().await?;
    assert_eq!(
        Hash::of(&stored),
        named[0],
        "the ledger names the stored bytes"
    );
    assert!(!contains(&stored, b"Exif") && !contains(&stored, cli_secret.as_bytes()));
    Ok(())
}
