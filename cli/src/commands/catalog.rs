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
    /// YYYY-MM-DD), price, description, images (image files, whose blake3 is registered,
    /// or hex hashes), serials, list_for_sale.
    Register {
        /// The product file.
        file: PathBuf,
        /// Key file of the seller.
        #[arg(long)]
        key: PathBuf,
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
    /// Image files (relative to the product file) or hex blake3 hashes.
    #[serde(default)]
    images: Vec<String>,
    /// Hex blake3 hashes of images.
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

/// The registration a product file describes; image files are hashed with blake3.
fn product_spec(path: &Path) -> anyhow::Result<ProductSpec> {
    let file: ProductFile = read_structured(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut image_hashes = file.image_hashes;
    for image in &file.images {
        let candidate = base.join(image);
        if candidate.is_file() {
            let bytes = std::fs::read(&candidate)
                .with_context(|| format!("cannot read image {}", candidate.display()))?;
            image_hashes.push(Hash::of(&bytes));
        } else if let Ok(hash) = Hash::from_hex(image) {
            image_hashes.push(hash);
        } else {
            bail!(
                "image {image:?} is neither a file (looked for {}) nor a hex blake3 hash",
                candidate.display()
            );
        }
    }
    Ok(ProductSpec {
        brand: file.brand,
        model: file.model,
        name_ko: file.name_ko,
        name_en: file.name_en,
        category: file.category,
        release_date: file.release_date.yyyymmdd()?,
        price: file.price,
        description: file.description,
        image_hashes,
        serials: file.serials,
        list_for_sale: file.list_for_sale,
    })
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
        ProductCommand::Register { file, key, rpc } => {
            let spec = product_spec(&file)?;
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
                },
                sort: match sort {
                    SortArg::Relevance => SortOrder::Relevance,
                    SortArg::Newest => SortOrder::Newest,
                    SortArg::PriceAsc => SortOrder::PriceAsc,
                    SortArg::PriceDesc => SortOrder::PriceDesc,
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
    fn product_files_in_toml_and_json_hash_their_images() {
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
        let spec = product_spec(&dir.path().join("dunk.toml")).unwrap();
        assert_eq!(spec.release_date, 20_210_310);
        assert_eq!(
            spec.image_hashes,
            vec![Hash::of(b"front image bytes"), hash]
        );
        assert_eq!(spec.serials.len(), 2);
        assert!(spec.list_for_sale);

        std::fs::write(
            dir.path().join("dunk.json"),
            r#"{"brand":"Nike","model":"X","name_en":"Dunk","category":"sneakers",
                "release_date":20210310,"price":1,"serials":["A"]}"#,
        )
        .unwrap();
        let spec = product_spec(&dir.path().join("dunk.json")).unwrap();
        assert_eq!(spec.release_date, 20_210_310);
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
