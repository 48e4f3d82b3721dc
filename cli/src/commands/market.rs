//! `truffle raffle ...`: raffles you can check; the `--payments.*` flags of `node run`;
//! and what the market's commands share (sessions, signed submissions, pages).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{EntryWindow, RaffleSpec, RaffleStatus};
use truffle_ledger::{Effect, Hash, Payload};
use truffle_node::market::{MarketConfig, PageRequest, ProviderKind};
use truffle_wire::api::{ChainApiClient, RaffleApiClient};
use truffle_wire::chain::TxStatus;
use truffle_wire::keyfile::read_key_file;

use crate::client::{connect, explain, sign_and_submit};
use crate::common_args::{RpcArgs, SessionArgs};
use crate::output::{describe, print};

/// `truffle raffle ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RaffleCommand {
    /// Create a raffle (signed by an approved seller) from a TOML or JSON file: items,
    /// price, runners_up, min_age, reveal_blocks, payment_window_ms, and either a
    /// `window` ({by = "heights", opens, closes} or {by = "times", opens_ms, closes_ms})
    /// or `entry_blocks` (entries from the next block for that many blocks). The chain
    /// refuses windows and `reveal_blocks` below its genesis minimums
    /// (`params.min_raffle_*`), counted from the block that creates the raffle. A
    /// secret not revealed by the deadline voids the raffle and bars the seller from
    /// raffling for a cooling period. A random 32-byte secret is generated and kept next
    /// to the key file (mode 0600) as `<key>.raffle-<id>.secret`; only its commitment
    /// goes on the ledger.
    Create {
        /// The raffle file.
        file: PathBuf,
        /// Key file of the seller.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Enter a raffle (signed by a phone-verified member).
    Enter {
        /// Raffle id.
        id: u64,
        /// Key file of the member.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Reveal the seller's secret once entry closed (signed by the seller).
    Reveal {
        /// Raffle id.
        id: u64,
        /// The secret file (default: `<key>.raffle-<id>.secret` next to the key).
        #[arg(long = "secret-file")]
        secret_file: Option<PathBuf>,
        /// Key file of the seller.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Draw a closed raffle (anyone may; once the seller revealed or the deadline passed).
    Draw {
        /// Raffle id.
        id: u64,
        /// Key file of the signer.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Cancel a raffle before its entry closes (signed by its seller): the prizes come
    /// back, nothing is drawn, and the entrants see the reason on the raffle's page.
    Cancel {
        /// Raffle id.
        id: u64,
        /// Why, shown to the entrants (1 to 200 characters).
        #[arg(long)]
        reason: String,
        /// Key file of the seller.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// A raffle, its draw and the node's recomputation of it.
    Show {
        /// Raffle id.
        id: u64,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Raffles, newest first.
    List {
        /// Only `open`, `closed`, `drawn`, `void` or `cancelled` ones.
        #[arg(long, value_enum)]
        status: Option<RaffleStatusArg>,
        /// Only the raffles of this seller (its public key in hex).
        #[arg(long)]
        seller: Option<truffle_ledger::PublicKey>,
        /// Page, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Per page (at most 100).
        #[arg(long = "page-size", default_value_t = 20)]
        page_size: u32,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// My entries and what came of them (needs `truffle account login`).
    Mine {
        /// Page, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
}

/// Raffle states of `truffle raffle list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RaffleStatusArg {
    /// Accepting entries (or about to).
    Open,
    /// Entry closed, not drawn.
    Closed,
    /// Drawn.
    Drawn,
    /// Void: the seller missed its reveal.
    Void,
    /// Cancelled by the seller before entry closed.
    Cancelled,
}

/// Payment providers of `--payments.provider`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProviderArg {
    /// The sandbox on the dev and local presets, none elsewhere.
    Auto,
    /// The built-in sandbox gateway (development and tests only).
    Sandbox,
    /// Toss Payments.
    #[value(alias = "http")]
    Toss,
    /// PortOne V2.
    Portone,
    /// No payments.
    Off,
}

/// Payment and market flags of `truffle node run`.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Payments")]
pub(crate) struct MarketArgs {
    /// Payment provider.
    #[arg(
        long = "payments.provider",
        env = "TRUFFLE_PAYMENTS_PROVIDER",
        value_enum
    )]
    pub(crate) provider: Option<ProviderArg>,
    /// Base URL of the provider's API (default: the provider's own).
    #[arg(long = "payments.base-url", env = "TRUFFLE_PAYMENTS_BASE_URL")]
    pub(crate) base_url: Option<String>,
    /// Where browsers load the provider's SDK (default: the provider's CDN).
    #[arg(long = "payments.sdk-url", env = "TRUFFLE_PAYMENTS_SDK_URL")]
    pub(crate) sdk_url: Option<String>,
    /// PortOne's store id.
    #[arg(long = "payments.store-id", env = "TRUFFLE_PAYMENTS_STORE_ID")]
    pub(crate) store_id: Option<String>,
    /// PortOne's channel key.
    #[arg(long = "payments.channel-key", env = "TRUFFLE_PAYMENTS_CHANNEL_KEY")]
    pub(crate) channel_key: Option<String>,
    /// The sandbox on a chain other than dev and local (test clusters only).
    #[arg(long = "payments.allow-sandbox", env = "TRUFFLE_PAYMENTS_ALLOW_SANDBOX", action = clap::ArgAction::SetTrue)]
    pub(crate) allow_sandbox: bool,
    /// Name recorded on the ledger for the HTTP provider's payments (default toss).
    #[arg(
        long = "payments.provider-name",
        env = "TRUFFLE_PAYMENTS_PROVIDER_NAME"
    )]
    pub(crate) provider_name: Option<String>,
    /// File holding the provider's secret key (or TRUFFLE_PAYMENTS_SECRET_KEY).
    #[arg(
        long = "payments.secret-key-file",
        env = "TRUFFLE_PAYMENTS_SECRET_KEY_FILE"
    )]
    pub(crate) secret_key_file: Option<PathBuf>,
    /// The widget's public client key.
    #[arg(long = "payments.client-key", env = "TRUFFLE_PAYMENTS_CLIENT_KEY")]
    pub(crate) client_key: Option<String>,
    /// File holding the webhook signing secret (or TRUFFLE_PAYMENTS_WEBHOOK_SECRET).
    #[arg(
        long = "payments.webhook-secret-file",
        env = "TRUFFLE_PAYMENTS_WEBHOOK_SECRET_FILE"
    )]
    pub(crate) webhook_secret_file: Option<PathBuf>,
    /// Tolerance of webhook timestamps, seconds.
    #[arg(
        long = "payments.webhook-tolerance-secs",
        env = "TRUFFLE_PAYMENTS_WEBHOOK_TOLERANCE_SECS"
    )]
    pub(crate) webhook_tolerance_secs: Option<u64>,
    /// Where buyers and the provider reach this node (default: http:// + the RPC address).
    #[arg(long = "payments.public-url", env = "TRUFFLE_PAYMENTS_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Testing: hold received payment events this long before settling them, ms.
    #[arg(
        long = "payments.settle-delay-ms",
        env = "TRUFFLE_PAYMENTS_SETTLE_DELAY_MS"
    )]
    pub(crate) settle_delay_ms: Option<u64>,
    /// Whether the leader expires unpaid orders.
    #[arg(long = "orders.auto-expire", env = "TRUFFLE_ORDERS_AUTO_EXPIRE", action = clap::ArgAction::Set)]
    pub(crate) auto_expire: Option<bool>,
    /// Whether the leader draws raffles once ready.
    #[arg(long = "raffles.auto-draw", env = "TRUFFLE_RAFFLES_AUTO_DRAW", action = clap::ArgAction::Set)]
    pub(crate) auto_draw: Option<bool>,
}

impl MarketArgs {
    /// Overrides the config file's `[market]` with the flags given.
    pub(crate) fn apply(&self, config: &mut MarketConfig) {
        if let Some(provider) = self.provider {
            config.payment_provider = match provider {
                ProviderArg::Auto => ProviderKind::Auto,
                ProviderArg::Sandbox => ProviderKind::Sandbox,
                ProviderArg::Toss => ProviderKind::Toss,
                ProviderArg::Portone => ProviderKind::Portone,
                ProviderArg::Off => ProviderKind::Off,
            };
        }
        macro_rules! set {
            ($field:ident => $target:ident) => {
                if let Some(value) = &self.$field {
                    config.$target = value.clone().into();
                }
            };
        }
        set!(base_url => payment_base_url);
        set!(sdk_url => payment_sdk_url);
        set!(store_id => payment_store_id);
        set!(channel_key => payment_channel_key);
        if self.allow_sandbox {
            config.allow_sandbox = true;
        }
        set!(provider_name => payment_provider_name);
        set!(secret_key_file => payment_secret_key_file);
        set!(client_key => payment_client_key);
        set!(webhook_secret_file => payment_webhook_secret_file);
        set!(webhook_tolerance_secs => webhook_tolerance_secs);
        set!(public_url => public_url);
        set!(settle_delay_ms => settle_delay_ms);
        set!(auto_expire => auto_expire_orders);
        set!(auto_draw => auto_draw_raffles);
    }
}

/// The raffle file of `truffle raffle create`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RaffleFile {
    items: Vec<u64>,
    price: u64,
    #[serde(default)]
    runners_up: u32,
    #[serde(default)]
    min_age: Option<u8>,
    #[serde(default = "default_reveal_blocks")]
    reveal_blocks: u64,
    #[serde(default = "default_payment_window_ms")]
    payment_window_ms: u64,
    #[serde(default)]
    window: Option<EntryWindow>,
    #[serde(default)]
    entry_blocks: Option<u64>,
}

fn default_reveal_blocks() -> u64 {
    20
}

fn default_payment_window_ms() -> u64 {
    60 * 60 * 1000
}

fn read_structured<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        return toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()));
    }
    serde_json::from_str(&text).or_else(|json_error| {
        toml::from_str(&text).map_err(|toml_error| {
            anyhow::anyhow!(
                "{} is neither JSON ({json_error}) nor TOML ({toml_error})",
                path.display()
            )
        })
    })
}

/// `<dir>/<key file stem>.raffle-<label>.secret`, next to the key file.
fn secret_path(key: &Path, label: &str) -> PathBuf {
    let stem = key
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "key".into());
    key.with_file_name(format!("{stem}.raffle-{label}.secret"))
}

fn write_secret(path: &Path, secret: &Hash) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {} (does it exist already?)", path.display()))?;
    file.write_all(format!("{}\n", secret.to_hex()).as_bytes())?;
    file.sync_all()?;
    Ok(())
}

fn read_secret(path: &Path) -> anyhow::Result<Hash> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Hash::from_hex(text.trim()).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub(super) fn read_session(args: &SessionArgs) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(&args.session_file).with_context(|| {
        format!(
            "not logged in (no {}): run `truffle account login`",
            args.session_file.display()
        )
    })?;
    Ok(text.trim().to_owned())
}

/// Signs, submits and waits; prints the outcome; fails unless it applied.
pub(super) async fn submit(
    rpc: &RpcArgs,
    key: &Path,
    payload: Payload,
) -> anyhow::Result<TxStatus> {
    let key = read_key_file(key)?;
    let client = connect(&rpc.rpc)?;
    let (hash, status) = sign_and_submit(&client, &rpc.rpc, &key, payload, None, true).await?;
    let status = status.expect("waited for the block");
    print(
        rpc.output,
        &json!({ "hash": hash, "status": status }),
        || format!("{hash}: {}", describe(&status)),
    );
    if let TxStatus::Rejected { rejection, .. } = &status {
        bail!("the transaction was rejected: {rejection}");
    }
    if !matches!(status, TxStatus::Committed { .. }) {
        bail!("the transaction is not in a block yet; follow it with `truffle query tx {hash}`");
    }
    Ok(status)
}

pub(super) fn page(page: u32, page_size: u32) -> Option<PageRequest> {
    Some(PageRequest {
        page: Some(page),
        page_size: Some(page_size),
    })
}

async fn create_raffle(file: &Path, key_path: &Path, rpc: &RpcArgs) -> anyhow::Result<()> {
    let raffle: RaffleFile = read_structured(file)?;
    let window = match (raffle.window, raffle.entry_blocks) {
        (Some(window), None) => window,
        (None, Some(blocks)) => {
            let client = connect(&rpc.rpc)?;
            let head = client
                .get_header(None)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            let opens = head.header.height + 1;
            EntryWindow::Heights {
                opens,
                closes: opens + blocks.max(1),
            }
        }
        _ => bail!("give the raffle either a `window` or `entry_blocks`"),
    };
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = Hash(bytes);
    let commitment = raffle_commitment(&secret);
    let spec = RaffleSpec {
        items: raffle.items,
        window,
        price: raffle.price,
        runners_up: raffle.runners_up,
        min_age: raffle.min_age,
        seed_commitment: commitment,
        reveal_blocks: raffle.reveal_blocks,
        payment_window_ms: raffle.payment_window_ms,
    };
    // The secret is on disk before the commitment goes anywhere: it cannot be lost.
    let pending = secret_path(key_path, &format!("pending-{}", &commitment.to_hex()[..16]));
    write_secret(&pending, &secret)?;
    let status = submit(rpc, key_path, Payload::CreateRaffle(spec)).await?;
    if let TxStatus::Committed {
        effect: Effect::RaffleCreated { raffle },
        ..
    } = status
    {
        let path = secret_path(key_path, &raffle.to_string());
        std::fs::rename(&pending, &path).with_context(|| {
            format!("cannot rename {} to {}", pending.display(), path.display())
        })?;
        eprintln!(
            "raffle {raffle} created; its secret is in {} — reveal it with `truffle raffle reveal {raffle} --key {}` after entry closes",
            path.display(),
            key_path.display()
        );
    }
    Ok(())
}

/// Runs `truffle raffle ...`.
pub(crate) async fn run_raffle(command: RaffleCommand) -> anyhow::Result<()> {
    match command {
        RaffleCommand::Create { file, key, rpc } => create_raffle(&file, &key, &rpc).await?,
        RaffleCommand::Enter { id, key, rpc } => {
            submit(&rpc, &key, Payload::EnterRaffle { raffle: id }).await?;
        }
        RaffleCommand::Reveal {
            id,
            secret_file,
            key,
            rpc,
        } => {
            let path = secret_file.unwrap_or_else(|| secret_path(&key, &id.to_string()));
            let secret = read_secret(&path)?;
            submit(
                &rpc,
                &key,
                Payload::RevealRaffleSecret { raffle: id, secret },
            )
            .await?;
        }
        RaffleCommand::Draw { id, key, rpc } => {
            submit(&rpc, &key, Payload::DrawRaffle { raffle: id }).await?;
        }
        RaffleCommand::Cancel {
            id,
            reason,
            key,
            rpc,
        } => {
            let payload = Payload::CancelRaffle { raffle: id, reason };
            // Refuse a reason the ledger would refuse, before signing.
            payload
                .validate_static()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            submit(&rpc, &key, payload).await?;
        }
        RaffleCommand::Show { id, rpc } => {
            let client = connect(&rpc.rpc)?;
            let raffle = RaffleApiClient::get(&client, id)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            let result = client.result(id).await.map_err(|e| explain(e, &rpc.rpc))?;
            print(
                rpc.output,
                &json!({ "raffle": raffle, "result": result }),
                || {
                    let spec = &raffle.raffle.spec;
                    let mut text = format!(
                    "raffle {id} by {} — {:?}, {} entries, items {:?} at {} won, {} runner(s)-up\n  window {}\n  commitment {}",
                    raffle.raffle.seller,
                    raffle.phase,
                    raffle.raffle.entry_count,
                    spec.items,
                    spec.price,
                    spec.runners_up,
                    serde_json::to_string(&spec.window).expect("serializes"),
                    spec.seed_commitment
                );
                    if let Some(closing) = result.closing_block {
                        text.push_str(&format!(
                            "\n  closed by block {} ({}); reveal until height {}",
                            closing.height,
                            closing.hash,
                            result.reveal_deadline.unwrap_or(0)
                        ));
                    }
                    if let Some(secret) = result.revealed_secret {
                        text.push_str(&format!(
                            "\n  secret {secret} (matches the commitment: {})",
                            result.secret_matches_commitment.unwrap_or(false)
                        ));
                    }
                    if let Some(recorded) = &result.recorded {
                        text.push_str(&format!("\n  seed {}", recorded.seed));
                        for (item, winner) in spec.items.iter().zip(&recorded.winners) {
                            text.push_str(&format!("\n  item {item}: {winner}"));
                        }
                        for (rank, runner) in recorded.runners_up.iter().enumerate() {
                            text.push_str(&format!("\n  runner-up {}: {runner}", rank + 1));
                        }
                        text.push_str(&format!(
                            "\n  recomputed from the ledger's entries: {}",
                            if result.matches == Some(true) {
                                "matches"
                            } else {
                                "DOES NOT MATCH"
                            }
                        ));
                    }
                    text
                },
            );
        }
        RaffleCommand::List {
            status,
            seller,
            page: number,
            page_size,
            rpc,
        } => {
            let client = connect(&rpc.rpc)?;
            let status = status.map(|s| match s {
                RaffleStatusArg::Open => RaffleStatus::Open,
                RaffleStatusArg::Closed => RaffleStatus::Closed,
                RaffleStatusArg::Drawn => RaffleStatus::Drawn,
                RaffleStatusArg::Void => RaffleStatus::Void,
                RaffleStatusArg::Cancelled => RaffleStatus::Cancelled,
            });
            let raffles = client
                .list(status, page(number, page_size), seller)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &raffles, || {
                let mut text = format!("{} raffles (page {})", raffles.total, raffles.page);
                for view in &raffles.items {
                    text.push_str(&format!(
                        "\n  {} {:?}: items {:?}, {} won, {} entries",
                        view.raffle.id,
                        view.phase,
                        view.raffle.spec.items,
                        view.raffle.spec.price,
                        view.raffle.entry_count
                    ));
                }
                text
            });
        }
        RaffleCommand::Mine {
            page: number,
            session,
        } => {
            let token = read_session(&session)?;
            let client = connect(&session.rpc.rpc)?;
            let entries = client
                .my_entries(token, page(number, 20))
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            print(session.rpc.output, &entries, || {
                let mut text = format!("{} entries", entries.total);
                for entry in &entries.items {
                    text.push_str(&format!(
                        "\n  raffle {} ({:?}): {}",
                        entry.raffle,
                        entry.phase,
                        serde_json::to_string(&entry.outcome).expect("serializes")
                    ));
                }
                text
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raffle_files_and_secret_paths() {
        let file: RaffleFile =
            toml::from_str("items = [1, 2]\nprice = 159000\nrunners_up = 2\nentry_blocks = 30\n")
                .unwrap();
        assert_eq!((file.reveal_blocks, file.entry_blocks), (20, Some(30)));
        let file: RaffleFile = toml::from_str(
            "items = [1]\nprice = 1\n[window]\nby = \"heights\"\nopens = 5\ncloses = 9\n",
        )
        .unwrap();
        assert_eq!(
            file.window,
            Some(EntryWindow::Heights {
                opens: 5,
                closes: 9
            })
        );
        assert!(
            toml::from_str::<RaffleFile>("items = [1]\nprice = 1\nseed_commitment = \"00\"\n")
                .is_err()
        );
        assert_eq!(
            secret_path(Path::new("/keys/seller.json"), "7"),
            PathBuf::from("/keys/seller.raffle-7.secret")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.secret");
        let secret = Hash::of(b"secret");
        write_secret(&path, &secret).unwrap();
        assert_eq!(read_secret(&path).unwrap(), secret);
        assert!(
            write_secret(&path, &secret).is_err(),
            "never overwrites a secret"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn market_flags_override_the_config() {
        let args = MarketArgs {
            provider: Some(ProviderArg::Toss),
            base_url: Some("https://api.tosspayments.com".into()),
            settle_delay_ms: Some(5),
            auto_draw: Some(false),
            ..MarketArgs::default()
        };
        let mut config = MarketConfig::default();
        args.apply(&mut config);
        assert_eq!(config.payment_provider, ProviderKind::Toss);
        assert_eq!(
            config.payment_base_url.as_deref(),
            Some("https://api.tosspayments.com")
        );
        assert_eq!(config.settle_delay_ms, 5);
        assert!(!config.auto_draw_raffles);
        assert!(config.auto_expire_orders, "untouched");
    }
}
