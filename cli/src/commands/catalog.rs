//! `truffle product ...`, `truffle seller ...`, `truffle ad ...`: the catalog from the
//! command line (signed transactions, searches, histories, banners).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use serde::Deserialize;
use serde_json::json;
use truffle_ledger::types::ProductSpec;
use truffle_ledger::{Effect, Hash, Payload, PublicKey};
use truffle_wire::api::{CatalogApiClient, SellerApiClient};
use truffle_wire::catalog::SellerState;
use truffle_wire::chain::TxStatus;
use truffle_wire::keyfile::read_key_file;
use truffle_wire::search::{Availability, Filters, SearchQuery, SortOrder};

use crate::client::{connect, explain, sign_and_submit};
use crate::common_args::RpcArgs;
use crate::output::describe;
use crate::output::print;

/// `truffle product ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ProductCommand {
    /// Register a limited edition (signed by an approved seller) from a TOML or JSON
    /// file: brand, model, name_ko, name_en, category, release_date (YYYYMMDD or
    /// YYYY-MM-DD), price, description, images (image files to upload, or hex hashes
    /// of images uploaded already), serials, list_for_sale.
    ///
    /// Image files (the file's `images` and each `--image`) are uploaded to the node
    /// first (JPEG, PNG or WebP, at most 5 MiB; the seller's session from `truffle
    /// account login`): the node strips their metadata, keeps them on every validator,
    /// and the registration names the stored image's blake3.
    Register {
        /// The product file.
        file: PathBuf,
        /// Key file of the seller.
        #[arg(long)]
        key: PathBuf,
        /// An image file to upload and register (repeatable; after the file's images).
        #[arg(long = "image", value_name = "FILE")]
        images: Vec<PathBuf>,
        /// File holding the seller's session token (needed to upload images).
        #[arg(
            long = "session-file",
            env = "TRUFFLE_SESSION_FILE",
            default_value = ".truffle-session"
        )]
        session_file: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Give a piece to another account (signed by its owner).
    Transfer {
        /// Item id.
        item: u64,
        /// The new owner's public key (hex).
        #[arg(long)]
        to: String,
        /// Key file of the owner.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Every owner a piece has had, with the block and transaction of each change.
    History {
        /// Item id.
        item: u64,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Search products (Korean, English or mixed), e.g. `truffle product search "나이키 덩크"`.
    Search {
        /// What to look for (empty: browse).
        #[arg(default_value = "")]
        text: String,
        /// Only this brand.
        #[arg(long)]
        brand: Option<String>,
        /// Only this category.
        #[arg(long)]
        category: Option<String>,
        /// Price at least this, in won.
        #[arg(long = "min-price")]
        min_price: Option<u64>,
        /// Price at most this, in won.
        #[arg(long = "max-price")]
        max_price: Option<u64>,
        /// Only products with pieces for sale.
        #[arg(long)]
        available: bool,
        /// Only products with an open raffle.
        #[arg(long = "open-raffle")]
        open_raffle: bool,
        /// Only products registered by this seller (its public key in hex).
        #[arg(long)]
        seller: Option<PublicKey>,
        /// Order of the results.
        #[arg(long, value_enum, default_value_t = SortArg::Relevance)]
        sort: SortArg,
        /// Page, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Results per page (at most 100).
        #[arg(long = "page-size", default_value_t = truffle_wire::search::DEFAULT_PAGE_SIZE)]
        page_size: u32,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
}

/// Sort orders of `truffle product search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SortArg {
    /// Best match first.
    Relevance,
    /// Most recently registered first.
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
    /// Most pieces sold first, then an open raffle, then the newest.
    Popular,
}

/// `truffle seller ...`
#[derive(Debug, Subcommand)]
pub(crate) enum SellerCommand {
    /// Apply to sell (signed by the member).
    Apply {
        /// Shop name.
        #[arg(long)]
        shop: String,
        /// Key file of the member.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Approve an application (signed by an admin).
    Approve {
        /// The applicant's public key (hex).
        account: String,
        /// Key file of the admin.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Revoke a seller (signed by an admin).
    Revoke {
        /// The seller's public key (hex).
        account: String,
        /// Key file of the admin.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// An account's seller standing.
    Show {
        /// Public key (hex).
        account: String,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Accounts that applied to sell.
    List {
        /// Only `applied`, `approved` or `revoked` ones.
        #[arg(long, value_enum)]
        status: Option<SellerStateArg>,
        /// Most to list.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
}

/// Seller states of `truffle seller list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SellerStateArg {
    /// Waiting for an admin.
    Applied,
    /// May register products.
    Approved,
    /// No longer a seller.
    Revoked,
}

/// A release date as a number (20240101) or text ("2024-01-01").
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DateField {
    Number(u32),
    Text(String),
}

impl DateField {
    fn yyyymmdd(&self) -> anyhow::Result<u32> {
        match self {
            DateField::Number(n) => Ok(*n),
            DateField::Text(text) => {
                let digits: String = text.chars().filter(|c| *c != '-').collect();
                if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
                    bail!("release_date {text:?} is not YYYYMMDD or YYYY-MM-DD");
                }
                Ok(digits.parse()?)
            }
        }
    }
}

/// The product file of `truffle product register`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductFile {
    brand: String,
    model: String,
    #[serde(default)]
    name_ko: String,
    #[serde(default)]
    name_en: String,
    category: String,
    release_date: DateField,
    price: u64,
    #[serde(default)]
    description: String,
    /// Image files (relative to the product file) to upload, or hex blake3 hashes of
    /// images uploaded already.
    #[serde(default)]
    images: Vec<String>,
    /// Hex blake3 hashes of images uploaded already.
    #[serde(default)]
    image_hashes: Vec<Hash>,
    serials: Vec<String>,
    #[serde(default)]
    list_for_sale: bool,
}

/// Parses a TOML or JSON file (by extension; other extensions try JSON, then TOML).
pub(super) fn read_structured<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("toml") => {
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
        }
        Some("json") => {
            serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
        }
        _ => serde_json::from_str(&text).or_else(|json_error| {
            toml::from_str(&text).map_err(|toml_error| {
                anyhow::anyhow!(
                    "{} is neither JSON ({json_error}) nor TOML ({toml_error})",
                    path.display()
                )
            })
        }),
    }
}

/// An image a registration names: uploaded already (its hash), or a file to upload.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ImageSource {
    Uploaded(Hash),
    File(PathBuf),
}

/// The registration a product file describes (its `image_hashes` empty) and the
/// images it names, in order.
fn product_spec(path: &Path) -> anyhow::Result<(ProductSpec, Vec<ImageSource>)> {
    let file: ProductFile = read_structured(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut images: Vec<ImageSource> = file
        .image_hashes
        .into_iter()
        .map(ImageSource::Uploaded)
        .collect();
    for image in &file.images {
        let candidate = base.join(image);
        if candidate.is_file() {
            images.push(ImageSource::File(candidate));
        } else if let Ok(hash) = Hash::from_hex(image) {
            images.push(ImageSource::Uploaded(hash));
        } else {
            bail!(
                "image {image:?} is neither a file (looked for {}) nor a hex blake3 hash",
                candidate.display()
            );
        }
    }
    let spec = ProductSpec {
        brand: file.brand,
        model: file.model,
        name_ko: file.name_ko,
        name_en: file.name_en,
        category: file.category,
        release_date: file.release_date.yyyymmdd()?,
        price: file.price,
        description: file.description,
        image_hashes: Vec::new(),
        serials: file.serials,
        list_for_sale: file.list_for_sale,
    };
    Ok((spec, images))
}

/// `POST /images` on the node of `rpc`: uploads `path` with the seller's session.
async fn upload_image(
    rpc: &str,
    session: &str,
    path: &Path,
) -> anyhow::Result<truffle_wire::images::UploadedImage> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read image {}", path.display()))?;
    if bytes.len() > truffle_wire::images::MAX_UPLOAD_BYTES {
        bail!(
            "{} is {} bytes; an image has at most {} (5 MiB)",
            path.display(),
            bytes.len(),
            truffle_wire::images::MAX_UPLOAD_BYTES
        );
    }
    let url = format!("{}/images", rpc.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(session)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .await
            .with_context(|| format!("{url} answered {status} with an unexpected body"));
    }
    let body = response.text().await.unwrap_or_default();
    let reason = match serde_json::from_str::<truffle_wire::images::UploadRefused>(&body) {
        Ok(refused) => match refused.retry_after_secs {
            Some(secs) => format!("{} (retry in {secs} s)", refused.message),
            None => refused.message,
        },
        Err(_) => body,
    };
    bail!("{} was refused ({status}): {reason}", path.display())
}

/// Uploads the images that are files and returns every image's hash, in order.
async fn image_hashes(
    rpc: &RpcArgs,
    session_file: &Path,
    images: Vec<ImageSource>,
) -> anyhow::Result<Vec<Hash>> {
    let mut session = None;
    let mut hashes = Vec::new();
    for image in images {
        match image {
            ImageSource::Uploaded(hash) => hashes.push(hash),
            ImageSource::File(path) => {
                if session.is_none() {
                    let text = std::fs::read_to_string(session_file).with_context(|| {
                        format!(
                            "uploading images needs the seller's session (no {}): run `truffle account login`",
                            session_file.display()
                        )
                    })?;
                    session = Some(text.trim().to_owned());
                }
                let token = session.as_deref().expect("read above");
                let uploaded = upload_image(&rpc.rpc, token, &path).await?;
                eprintln!(
                    "uploaded {}: {} {}×{} ({} bytes, metadata stripped) as {}",
                    path.display(),
                    uploaded.image.content_type,
                    uploaded.image.width,
                    uploaded.image.height,
                    uploaded.image.bytes,
                    uploaded.hash
                );
                hashes.push(uploaded.hash);
            }
        }
    }
    Ok(hashes)
}

fn parse_key(text: &str, what: &str) -> anyhow::Result<PublicKey> {
    PublicKey::from_hex(text).map_err(|e| anyhow::anyhow!("invalid {what}: {e}"))
}

/// Signs and submits `payload`, waits for its block, prints the outcome; fails when
/// the ledger refuses it. Returns the status.
pub(super) async fn submit(
    rpc: &RpcArgs,
    key: &Path,
    payload: Payload,
) -> anyhow::Result<TxStatus> {
    let key = read_key_file(key)?;
    let client = connect(&rpc.rpc)?;
    let (hash, status) = sign_and_submit(&client, &rpc.rpc, &key, payload, None, true).await?;
    let status = status.expect("waited for the block");
    let (product, items) = match &status {
        TxStatus::Committed {
            effect:
                Effect::ProductRegistered {
                    product,
                    first_item,
                    item_count,
                },
            ..
        } => (
            Some(*product),
            (0..u64::from(*item_count))
                .map(|k| first_item + k)
                .collect(),
        ),
        _ => (None, Vec::new()),
    };
    let value = json!({ "hash": hash, "status": status, "product": product, "items": items });
    print(rpc.output, &value, || {
        let mut text = format!("{hash}: {}", describe(&status));
        if let Some(product) = product {
            text.push_str(&format!(
                "\n  product {product}, items {}..={}",
                items.first().copied().unwrap_or(0),
                items.last().copied().unwrap_or(0)
            ));
        }
        text
    });
    if let TxStatus::Rejected { rejection, .. } = &status {
        bail!("the transaction was rejected: {rejection}");
    }
    if !matches!(status, TxStatus::Committed { .. }) {
        bail!("the transaction is not in a block yet; follow it with `truffle query tx {hash}`");
    }
    Ok(status)
}

pub(crate) async fn run_product(command: ProductCommand) -> anyhow::Result<()> {
    match command {
        ProductCommand::Register {
            file,
            key,
            images,
            session_file,
            rpc,
        } => {
            let (mut spec, mut sources) = product_spec(&file)?;
            sources.extend(images.into_iter().map(ImageSource::File));
            if sources.len() > truffle_ledger::limits::MAX_IMAGES {
                bail!(
                    "a product has at most {} images",
                    truffle_ledger::limits::MAX_IMAGES
                );
            }
            spec.image_hashes = image_hashes(&rpc, &session_file, sources).await?;
            submit(&rpc, &key, Payload::RegisterProduct(spec)).await?;
        }
        ProductCommand::Transfer { item, to, key, rpc } => {
            let to = parse_key(&to, "--to")?;
            submit(&rpc, &key, Payload::TransferItem { item, to }).await?;
        }
        ProductCommand::History { item, rpc } => {
            let client = connect(&rpc.rpc)?;
            let history = client
                .history(item)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &history, || {
                let mut text = format!(
                    "item {} — product {} {} {} ({}/{}), serial {}\n  owner now {}",
                    history.item,
                    history.product,
                    history.brand,
                    history.model,
                    history.edition,
                    history.edition_size,
                    history.serial,
                    history.owner
                );
                for entry in &history.owners {
                    text.push_str(&format!(
                        "\n  #{} {} {} block {} tx {}",
                        entry.sequence,
                        entry.owner,
                        serde_json::to_string(&entry.acquisition).expect("serializes"),
                        entry.tx.height,
                        entry.tx.tx_hash
                    ));
                }
                text
            });
        }
        ProductCommand::Search {
            text,
            brand,
            category,
            min_price,
            max_price,
            available,
            open_raffle,
            seller,
            sort,
            page,
            page_size,
            rpc,
        } => {
            let query = SearchQuery {
                text,
                filters: Filters {
                    brand,
                    category,
                    min_price,
                    max_price,
                    has_open_raffle: open_raffle.then_some(true),
                    availability: if available {
                        Availability::Available
                    } else {
                        Availability::Any
                    },
                    seller,
                },
                sort: match sort {
                    SortArg::Relevance => SortOrder::Relevance,
                    SortArg::Newest => SortOrder::Newest,
                    SortArg::PriceAsc => SortOrder::PriceAsc,
                    SortArg::PriceDesc => SortOrder::PriceDesc,
                    SortArg::Popular => SortOrder::Popular,
                },
                page,
                page_size,
            };
            query.validate()?;
            let client = connect(&rpc.rpc)?;
            let results = client
                .search(query)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &results, || {
                let mut text = format!(
                    "{} products{} (page {}){}",
                    results.total,
                    if results.relaxed {
                        " matching some of the words"
                    } else {
                        ""
                    },
                    results.page,
                    results
                        .indexed_height
                        .map(|h| format!(", index at block {h}"))
                        .unwrap_or_default()
                );
                for hit in &results.hits {
                    let p = &hit.product;
                    text.push_str(&format!(
                        "\n  #{} {} {} / {} — {} won, {}/{} for sale{}, {} [block {} tx {}]",
                        p.product_id,
                        p.brand,
                        p.name_ko,
                        p.name_en,
                        p.price,
                        p.available,
                        p.edition_size,
                        if p.has_open_raffle {
                            ", raffle open"
                        } else {
                            ""
                        },
                        p.shop_name,
                        hit.ledger_ref.height,
                        &hit.ledger_ref.tx_hash[..hit.ledger_ref.tx_hash.len().min(16)]
                    ));
                }
                text
            });
        }
    }
    Ok(())
}

pub(crate) async fn run_seller(command: SellerCommand) -> anyhow::Result<()> {
    match command {
        SellerCommand::Apply { shop, key, rpc } => {
            submit(&rpc, &key, Payload::ApplySeller { shop_name: shop }).await?;
        }
        SellerCommand::Approve { account, key, rpc } => {
            let account = parse_key(&account, "account")?;
            submit(&rpc, &key, Payload::ApproveSeller { account }).await?;
        }
        SellerCommand::Revoke { account, key, rpc } => {
            let account = parse_key(&account, "account")?;
            submit(&rpc, &key, Payload::RevokeSeller { account }).await?;
        }
        SellerCommand::Show { account, rpc } => {
            let account = parse_key(&account, "account")?;
            let client = connect(&rpc.rpc)?;
            let standing = SellerApiClient::get(&client, account)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &standing, || {
                let mut text = format!(
                    "{}: {:?} {:?}, seller {}{}",
                    standing.account,
                    standing.role,
                    standing.status,
                    serde_json::to_string(&standing.seller).expect("serializes"),
                    if standing.may_register {
                        " — may register products"
                    } else {
                        ""
                    }
                );
                text.push_str(&missed_reveals_text(
                    standing.missed_reveals,
                    standing.raffle_cooldown_until_ms,
                ));
                text
            });
        }
        SellerCommand::List { status, limit, rpc } => {
            let status = status.map(|s| match s {
                SellerStateArg::Applied => SellerState::Applied,
                SellerStateArg::Approved => SellerState::Approved,
                SellerStateArg::Revoked => SellerState::Revoked,
            });
            let client = connect(&rpc.rpc)?;
            let sellers = SellerApiClient::list(&client, status, None, Some(limit))
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &sellers, || {
                let mut text = format!("{} sellers", sellers.len());
                for s in &sellers {
                    text.push_str(&format!(
                        "\n  {} {}{}",
                        s.account,
                        serde_json::to_string(&s.seller).expect("serializes"),
                        missed_reveals_text(s.missed_reveals, s.raffle_cooldown_until_ms)
                    ));
                }
                text
            });
        }
    }
    Ok(())
}

/// The seller's missed raffle reveals, if any, and its cooling period.
fn missed_reveals_text(missed: u32, cooldown_until_ms: Option<u64>) -> String {
    if missed == 0 {
        return String::new();
    }
    let until = cooldown_until_ms
        .map(|ms| format!("; may not raffle before block time {ms} ms"))
        .unwrap_or_default();
    format!("\n  missed {missed} raffle reveal(s): those raffles are void{until}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_files_in_toml_and_json_name_their_images() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("front.jpg"), b"front image bytes").unwrap();
        let hash = Hash::of(b"other");
        std::fs::write(
            dir.path().join("dunk.toml"),
            format!(
                r#"
brand = "Nike"
model = "DD1391-100"
name_ko = "나이키 덩크 로우 범고래"
name_en = "Nike Dunk Low Panda"
category = "sneakers"
release_date = "2021-03-10"
price = 129000
description = "한정판"
images = ["front.jpg", "{}"]
serials = ["P-001", "P-002"]
list_for_sale = true
"#,
                hash.to_hex()
            ),
        )
        .unwrap();
        let (spec, images) = product_spec(&dir.path().join("dunk.toml")).unwrap();
        assert_eq!(spec.release_date, 20_210_310);
        assert_eq!(
            images,
            vec![
                ImageSource::File(dir.path().join("front.jpg")),
                ImageSource::Uploaded(hash)
            ]
        );
        assert_eq!(spec.serials.len(), 2);
        assert!(spec.list_for_sale);

        std::fs::write(
            dir.path().join("dunk.json"),
            r#"{"brand":"Nike","model":"X","name_en":"Dunk","category":"sneakers",
                "release_date":20210310,"price":1,"serials":["A"]}"#,
        )
        .unwrap();
        let (spec, images) = product_spec(&dir.path().join("dunk.json")).unwrap();
        assert_eq!(spec.release_date, 20_210_310);
        assert!(images.is_empty());
        assert!(!spec.list_for_sale);

        std::fs::write(
            dir.path().join("bad.toml"),
            "brand = \"N\"\nmodel = \"X\"\ncategory = \"c\"\nrelease_date = 1\nprice = 1\nserials = []\nimages = [\"missing.png\"]\n",
        )
        .unwrap();
        let error = product_spec(&dir.path().join("bad.toml")).unwrap_err();
        assert!(error.to_string().contains("missing.png"), "{error}");
        std::fs::write(dir.path().join("typo.toml"), "brnd = \"N\"\n").unwrap();
        assert!(product_spec(&dir.path().join("typo.toml")).is_err());
    }
}
