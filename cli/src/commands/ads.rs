//! `truffle ad ...`: banner campaigns (created and switched by an admin's signed
//! transactions), the banners a page would show, and their statistics over the cluster.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use truffle_ledger::types::{AdSpec, Gender};
use truffle_ledger::{Effect, Payload};
use truffle_wire::ads::{AdViewer, AdminQuery};
use truffle_wire::api::{AdApiClient, SystemApiClient, AD_STATS_METHOD};
use truffle_wire::chain::TxStatus;
use truffle_wire::keyfile::read_key_file;

use super::catalog::{read_structured, submit};
use crate::client::{connect, explain};
use crate::common_args::RpcArgs;
use crate::output::print;

/// `truffle ad ...`
#[derive(Debug, Subcommand)]
pub(crate) enum AdCommand {
    /// Create a banner campaign (signed by an admin) from a TOML or JSON file: title,
    /// image_url, landing_url, placement, starts_at_ms, ends_at_ms, and optionally
    /// target_gender, target_min_age, target_max_age.
    Create {
        /// The campaign file.
        file: PathBuf,
        /// Key file of the admin.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Switch a campaign on or off (signed by an admin).
    SetActive {
        /// Campaign id.
        ad: u64,
        /// On (`true`) or off (`false`).
        #[arg(long, action = clap::ArgAction::Set)]
        active: bool,
        /// Key file of the admin.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// The banners a page shows now (counts an impression for each).
    List {
        /// The page, e.g. "main".
        #[arg(long, default_value = "main")]
        placement: String,
        /// The viewer's gender.
        #[arg(long, value_enum)]
        gender: Option<GenderArg>,
        /// The viewer's birth year.
        #[arg(long = "birth-year")]
        birth_year: Option<u16>,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Impressions and clicks per campaign over the cluster (admin key signs the query).
    Stats {
        /// Key file of the admin.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
}

/// Genders of `truffle ad list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GenderArg {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Other or not stated.
    Other,
}

pub(crate) async fn run_ad(command: AdCommand) -> anyhow::Result<()> {
    match command {
        AdCommand::Create { file, key, rpc } => {
            let spec: AdSpec = read_structured(&file)?;
            let status = submit(&rpc, &key, Payload::CreateAd(spec)).await?;
            if let TxStatus::Committed {
                effect: Effect::AdCreated { ad },
                ..
            } = status
            {
                if rpc.output == crate::output::OutputFormat::Text {
                    println!("  campaign {ad}: clicks go through /ads/{ad}/click");
                }
            }
        }
        AdCommand::SetActive {
            ad,
            active,
            key,
            rpc,
        } => {
            submit(&rpc, &key, Payload::SetAdActive { ad, active }).await?;
        }
        AdCommand::List {
            placement,
            gender,
            birth_year,
            rpc,
        } => {
            let viewer = (gender.is_some() || birth_year.is_some()).then(|| AdViewer {
                gender: gender.map(|g| match g {
                    GenderArg::Female => Gender::Female,
                    GenderArg::Male => Gender::Male,
                    GenderArg::Other => Gender::Other,
                }),
                birth_year,
            });
            let client = connect(&rpc.rpc)?;
            let banners = AdApiClient::list(&client, placement, viewer)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            let base = rpc.rpc.trim_end_matches('/');
            print(rpc.output, &banners, || {
                let mut text = format!("{} banners", banners.len());
                for b in &banners {
                    text.push_str(&format!(
                        "\n  #{} {} — {} → {base}{}",
                        b.id, b.title, b.image_url, b.click_url
                    ));
                }
                text
            });
        }
        AdCommand::Stats { key, rpc } => {
            let key = read_key_file(&key)?;
            let client = connect(&rpc.rpc)?;
            let chain_id = client
                .version()
                .await
                .map_err(|e| explain(e, &rpc.rpc))?
                .chain_id;
            let query = AdminQuery::sign(&key, &chain_id, AD_STATS_METHOD, truffle_clock::now_ms());
            let stats = client
                .stats(query)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &stats, || {
                let answered = stats.nodes.iter().filter(|n| n.answered).count();
                let mut text = format!(
                    "{} campaigns; counts from {answered} of {} validators",
                    stats.campaigns.len(),
                    stats.nodes.len()
                );
                for c in &stats.campaigns {
                    text.push_str(&format!(
                        "\n  #{} {} [{}{}] {} impressions, {} clicks → {}",
                        c.ad,
                        c.title,
                        c.placement,
                        if c.live { ", live" } else { "" },
                        c.impressions,
                        c.clicks,
                        c.landing_url
                    ));
                }
                for n in stats.nodes.iter().filter(|n| !n.answered) {
                    text.push_str(&format!(
                        "\n  validator {} did not answer: {}",
                        n.node,
                        n.error.as_deref().unwrap_or("?")
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
    fn ad_files_parse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ad.toml");
        std::fs::write(
            &path,
            r#"
title = "봄 한정판"
image_url = "https://cdn.example/banner.png"
landing_url = "https://shop.example/spring"
placement = "main"
starts_at_ms = 0
ends_at_ms = 4102444800000
target_gender = "female"
"#,
        )
        .unwrap();
        let spec: AdSpec = read_structured(&path).unwrap();
        assert_eq!(spec.target_gender, Some(Gender::Female));
        assert_eq!(spec.target_min_age, None);
    }
}
