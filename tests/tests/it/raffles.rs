//! Raffles over real RPC: the rules (window, duplicates, eligibility, draws out of turn)
//! refused with clear reasons, the draw recomputed from ledger data alone (with and
//! without the seller's reveal), and the CLI's commit–reveal secret.

use std::time::Duration;

use anyhow::{bail, Context};
use truffle_ledger::draw::{draw_positions, draw_seed};
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{EntryWindow, OrderSource, OrderStatus, RaffleSpec, RaffleStatus};
use truffle_ledger::{Effect, Hash, Keypair, Payload, PublicKey, Rejection};
use truffle_testnet::truffle_binary;
use truffle_wire::api::{ChainApiClient, OrderApiClient, PaymentApiClient, RaffleApiClient};
use truffle_wire::market::{EntryOutcome, PageRequest, RafflePhase};

use crate::payments::{code, start_node, Market, Sms};

fn spec(items: Vec<u64>, window: EntryWindow, secret: &Hash) -> RaffleSpec {
    RaffleSpec {
        items,
        window,
        price: 189_000,
        runners_up: 1,
        min_age: Some(19),
        seed_commitment: raffle_commitment(secret),
        reveal_blocks: 10,
        payment_window_ms: 600_000,
    }
}

fn created(effect: Effect) -> anyhow::Result<u64> {
    match effect {
        Effect::RaffleCreated { raffle } => Ok(raffle),
        other => bail!("unexpected {other:?}"),
    }
}

/// Asserts a refusal is the raffle rule `code` whose message contains `reason`.
fn refused_with(rejection: &Rejection, code: u16, reason: &str) {
    assert_eq!(rejection.code(), code, "{rejection}");
    assert!(
        rejection.to_string().contains(reason),
        "{rejection} (wanted {reason:?})"
    );
}

async fn head(market: &Market) -> anyhow::Result<u64> {
    Ok(market.rpc.get_header(None).await?.header.height)
}

/// Every rule of entering, revealing and drawing, each refused with its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raffle_rules_are_enforced_with_clear_reasons() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let mut args = sms.start(dir.path()).await?;
    args.extend(["--raffles.auto-draw".into(), "false".into()]);
    let node = start_node(dir.path(), &args, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let mut market = Market::new(&node.rpc_url, sms, 8100).await?;
    let seller = market.seller().await?;
    let items = market.product(&seller, 1, 189_000, false).await?;
    // A refused transaction leaves the nonce unused, and a byte-identical resubmission
    // answers with the old receipt: each refusal below uses a signer that has not sent
    // that same payload at that nonce before.
    let adult = Keypair::generate();
    let eager = Keypair::generate();
    let latecomer = Keypair::generate();
    let young = Keypair::generate();
    market.register(&[&adult, &eager, &latecomer], 1990).await?;
    market.register(&[&young], 2015).await?;
    let member = market.signup("entrant").await?;
    let secret = Hash::of(b"the seller's secret");

    eprintln!("--- created with a window that opens three blocks later");
    let h = head(&market).await?;
    let window = EntryWindow::Heights {
        opens: h + 4,
        closes: h + 14,
    };
    let raffle = created(
        market
            .apply(
                &seller,
                Payload::CreateRaffle(spec(items.clone(), window, &secret)),
            )
            .await?,
    )?;
    let rejection = market
        .refuse(
            &seller,
            Payload::CreateRaffle(spec(items.clone(), window, &secret)),
        )
        .await?;
    assert!(
        matches!(rejection, Rejection::ItemLocked { .. }),
        "a prize is escrowed once: {rejection}"
    );
    assert_eq!(
        RaffleApiClient::get(&market.rpc, raffle).await?.phase,
        RafflePhase::Upcoming
    );

    eprintln!("--- entries: too early, then once per member, only the eligible");
    let early = market
        .refuse(&eager, Payload::EnterRaffle { raffle })
        .await?;
    refused_with(&early, 21, "entry has not opened yet");
    market
        .apply(&adult, Payload::EnterRaffle { raffle })
        .await?;
    let twice = market
        .refuse(&adult, Payload::EnterRaffle { raffle })
        .await?;
    refused_with(&twice, 23, "already entered");
    let own = market
        .refuse(&seller, Payload::EnterRaffle { raffle })
        .await?;
    refused_with(&own, 22, "a seller cannot enter its own raffle");
    let minor = market
        .refuse(&young, Payload::EnterRaffle { raffle })
        .await?;
    refused_with(&minor, 22, "attested adults (19+) only");
    market
        .apply(&member.key, Payload::EnterRaffle { raffle })
        .await?;
    assert_eq!(
        RaffleApiClient::get(&market.rpc, raffle).await?.phase,
        RafflePhase::AcceptingEntries
    );
    let listed = market
        .rpc
        .list(Some(RaffleStatus::Open), None, None)
        .await?;
    assert!(listed.items.iter().any(|r| r.raffle.id == raffle));

    eprintln!("--- a draw before close is refused; the window closes");
    let before_close = market
        .refuse(&adult, Payload::DrawRaffle { raffle })
        .await?;
    refused_with(&before_close, 21, "entry has not closed yet");
    let reveal_early = market
        .refuse(
            &seller,
            Payload::RevealRaffleSecret {
                raffle,
                secret: Hash::of(b"too early"),
            },
        )
        .await?;
    refused_with(&reveal_early, 21, "entry has not closed yet");
    market
        .wait_raffle(raffle, RaffleStatus::Closed, Some(&adult))
        .await?;
    let late = market
        .refuse(&latecomer, Payload::EnterRaffle { raffle })
        .await?;
    refused_with(&late, 21, "entry is closed");
    let view = RaffleApiClient::get(&market.rpc, raffle).await?;
    assert_eq!(view.phase, RafflePhase::AwaitingReveal);
    let closing = view.raffle.closing_block.context("a closing block")?;
    assert!(
        closing.height >= h + 14,
        "closed by the first block past the window"
    );

    eprintln!(
        "--- before the reveal the draw waits; a wrong secret or another signer cannot reveal"
    );
    let waiting = market
        .refuse(&member.key, Payload::DrawRaffle { raffle })
        .await?;
    refused_with(&waiting, 21, "waiting for the seller's reveal until height");
    let record = RaffleApiClient::get(&market.rpc, raffle).await?.raffle;
    let randomness = record.randomness.context("the validators' part")?;
    assert!(
        randomness.is_complete(),
        "every validator contributed by itself"
    );
    let wrong = market
        .refuse(
            &seller,
            Payload::RevealRaffleSecret {
                raffle,
                secret: Hash::of(b"a guess"),
            },
        )
        .await?;
    refused_with(&wrong, 10, "does not match the raffle's commitment");
    let stranger = market
        .refuse(&adult, Payload::RevealRaffleSecret { raffle, secret })
        .await?;
    refused_with(&stranger, 9, "the raffle's seller");
    market
        .apply(&seller, Payload::RevealRaffleSecret { raffle, secret })
        .await?;
    assert_eq!(
        RaffleApiClient::get(&market.rpc, raffle).await?.phase,
        RafflePhase::ReadyToDraw
    );

    eprintln!("--- drawn once; the winner holds an order; a second draw is refused");
    let Effect::RaffleDrawn { orders, .. } =
        market.apply(&young, Payload::DrawRaffle { raffle }).await?
    else {
        bail!("not drawn");
    };
    assert_eq!(orders.len(), 1);
    let again = market
        .refuse(&young, Payload::DrawRaffle { raffle })
        .await?;
    refused_with(&again, 21, "already drawn");
    let reveal_again = market
        .refuse(&seller, Payload::RevealRaffleSecret { raffle, secret })
        .await?;
    refused_with(&reveal_again, 21, "already drawn");
    let result = market.rpc.result(raffle).await?;
    assert_eq!(result.matches, Some(true));
    let recorded = result.recorded.context("recorded")?;
    let order = OrderApiClient::get(&market.rpc, orders[0]).await?;
    assert_eq!(order.order.buyer, recorded.winners[0]);
    assert_eq!(
        (order.order.status, order.order.amount),
        (OrderStatus::Pending, 189_000)
    );
    assert_eq!(order.order.source, OrderSource::Raffle { raffle });

    eprintln!("--- my entries show the outcome; listings page and filter");
    let mine = market.rpc.my_entries(member.session.clone(), None).await?;
    assert_eq!(mine.total, 1);
    let outcome = mine.items[0].outcome;
    if recorded.winners[0] == member.key.public() {
        assert_eq!(outcome, EntryOutcome::Won { item: items[0] });
    } else {
        assert_eq!(outcome, EntryOutcome::RunnerUp { rank: 1 });
    }
    let drawn = market
        .rpc
        .list(Some(RaffleStatus::Drawn), None, None)
        .await?;
    assert_eq!(drawn.items.first().map(|r| r.raffle.id), Some(raffle));
    assert!(market
        .rpc
        .list(Some(RaffleStatus::Open), None, None)
        .await?
        .items
        .is_empty());
    let error = market
        .rpc
        .list(
            None,
            Some(PageRequest {
                page: Some(1),
                page_size: Some(101),
            }),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(code(&error), truffle_wire::codes::INVALID_PARAMS);
    assert_eq!(
        code(&RaffleApiClient::get(&market.rpc, 9_999).await.unwrap_err()),
        2002
    );
    let entries = market
        .rpc
        .entries(
            raffle,
            Some(PageRequest {
                page: Some(2),
                page_size: Some(1),
            }),
        )
        .await?;
    assert_eq!(
        (entries.total, entries.items[0].entrant),
        (2, member.key.public())
    );
    Ok(())
}

/// Recomputes a draw as an outsider would: entries from `raffle_entries` (paged), the
/// closing block's hash from `chain_getHeader`, the revealed secret from the raffle.
async fn recompute(
    market: &Market,
    raffle: u64,
) -> anyhow::Result<(Vec<PublicKey>, Vec<PublicKey>)> {
    let view = RaffleApiClient::get(&market.rpc, raffle).await?;
    let mut eligible = Vec::new();
    let mut page = 1;
    loop {
        let entries = market
            .rpc
            .entries(
                raffle,
                Some(PageRequest {
                    page: Some(page),
                    page_size: Some(5),
                }),
            )
            .await?;
        if entries.items.is_empty() {
            break;
        }
        for (offset, entry) in entries.items.iter().enumerate() {
            assert_eq!(
                entry.position as usize,
                (page as usize - 1) * 5 + offset,
                "entry order"
            );
            if !entry.cancelled {
                eligible.push(entry.entrant);
            }
        }
        page += 1;
    }
    let closing = view.raffle.closing_block.context("closed")?;
    let header = market.rpc.get_header(Some(closing.height)).await?;
    assert_eq!(
        header.hash, closing.hash,
        "the closing block is the chain's block"
    );
    let secret = view
        .raffle
        .revealed_secret
        .context("only revealed raffles are drawn")?;
    assert_eq!(raffle_commitment(&secret), view.raffle.spec.seed_commitment);
    let randomness = view.raffle.randomness.as_ref().context("contributions")?;
    let outputs = truffle_ledger::draw::contribution_outputs(randomness)?;
    assert_eq!(
        outputs.len(),
        randomness.validators.len(),
        "every validator's output"
    );
    let seed = draw_seed(raffle, &header.hash, &secret, &outputs);
    let prizes = view.raffle.spec.items.len();
    let picked: Vec<PublicKey> = draw_positions(
        &seed,
        eligible.len(),
        prizes + view.raffle.spec.runners_up as usize,
    )
    .into_iter()
    .map(|p| eligible[p])
    .collect();
    Ok((
        picked.iter().take(prizes).copied().collect(),
        picked.iter().skip(prizes).copied().collect(),
    ))
}

/// Winners are a pure function of ledger data: recomputed from RPC data alone, with the
/// seller's secret. A seller that withholds its secret gets no draw: the raffle is void,
/// nothing is charged, entrants see why, and `seller_get` shows the missed reveal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draws_recompute_from_ledger_data_alone() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let mut args = sms.start(dir.path()).await?;
    args.extend(["--raffles.auto-draw".into(), "false".into()]);
    let node = start_node(dir.path(), &args, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let mut market = Market::new(&node.rpc_url, sms, 8200).await?;
    let seller = market.seller().await?;
    let items = market.product(&seller, 3, 189_000, false).await?;
    let withholder = market.seller().await?;
    let kept_items = market.product(&withholder, 1, 189_000, false).await?;
    let member = market.signup("void-entrant").await?;
    let entrants: Vec<Keypair> = (0..12).map(|_| Keypair::generate()).collect();
    market
        .register(&entrants.iter().collect::<Vec<_>>(), 1990)
        .await?;

    eprintln!("--- three prizes, two runners-up, twelve entrants; the seller reveals");
    let secret = Hash::of(b"revealed");
    let h = head(&market).await?;
    let mut revealed = spec(
        items[..3].to_vec(),
        EntryWindow::Heights {
            opens: h + 2,
            closes: h + 40,
        },
        &secret,
    );
    revealed.runners_up = 2;
    let raffle = created(
        market
            .apply(&seller, Payload::CreateRaffle(revealed))
            .await?,
    )?;
    let mut blind = spec(
        kept_items.clone(),
        EntryWindow::Heights {
            opens: h + 2,
            closes: h + 40,
        },
        &Hash::of(b"kept"),
    );
    blind.reveal_blocks = 8;
    let unrevealed = created(
        market
            .apply(&withholder, Payload::CreateRaffle(blind))
            .await?,
    )?;
    for entrant in &entrants {
        market
            .apply(entrant, Payload::EnterRaffle { raffle })
            .await?;
    }
    for entrant in entrants[..3].iter().chain([&member.key]) {
        market
            .apply(entrant, Payload::EnterRaffle { raffle: unrevealed })
            .await?;
    }
    market
        .wait_raffle(raffle, RaffleStatus::Closed, Some(&entrants[0]))
        .await?;
    market
        .wait_raffle(unrevealed, RaffleStatus::Closed, Some(&entrants[0]))
        .await?;
    market
        .apply(&seller, Payload::RevealRaffleSecret { raffle, secret })
        .await?;
    let Effect::RaffleDrawn { orders, .. } = market
        .apply(&entrants[5], Payload::DrawRaffle { raffle })
        .await?
    else {
        bail!("not drawn");
    };

    eprintln!("--- recomputed from the entries, the closing block and the secret: the same");
    let (winners, runners_up) = recompute(&market, raffle).await?;
    let result = market.rpc.result(raffle).await?;
    let recorded = result.recorded.clone().context("recorded")?;
    assert_eq!(
        (&recorded.winners, &recorded.runners_up),
        (&winners, &runners_up)
    );
    assert_eq!(winners.len(), 3);
    assert_eq!(runners_up.len(), 2);
    assert!(recorded.seller_revealed);
    assert_eq!(
        (result.matches, result.secret_matches_commitment),
        (Some(true), Some(true))
    );
    assert_eq!(result.revealed_secret, Some(secret));
    for (index, order) in orders.iter().enumerate() {
        let view = OrderApiClient::get(&market.rpc, *order).await?;
        assert_eq!(
            (view.order.buyer, view.order.item),
            (winners[index], items[index])
        );
    }

    eprintln!("--- the seller never reveals: refused until the deadline, then void");
    let waiting = market
        .refuse(&entrants[0], Payload::DrawRaffle { raffle: unrevealed })
        .await?;
    refused_with(&waiting, 21, "waiting for the seller's reveal");
    // The deadline passes with both its blocks and its time floor (10 s on dev).
    let deadline = RaffleApiClient::get(&market.rpc, unrevealed)
        .await?
        .raffle
        .randomness
        .and_then(|r| r.reveal_deadline)
        .context("deadline")?;
    let give_up = std::time::Instant::now() + Duration::from_secs(60);
    while head(&market).await? < deadline.height
        || truffle_clock::now_ms() <= deadline.time_ms + 1_000
    {
        anyhow::ensure!(
            std::time::Instant::now() < give_up,
            "the reveal deadline did not pass"
        );
        market.nudge(&entrants[0]).await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let late_reveal = market
        .refuse(
            &withholder,
            Payload::RevealRaffleSecret {
                raffle: unrevealed,
                secret: Hash::of(b"kept"),
            },
        )
        .await;
    refused_with(&late_reveal?, 21, "the reveal deadline");
    assert_eq!(
        RaffleApiClient::get(&market.rpc, unrevealed).await?.phase,
        RafflePhase::MissedReveal
    );
    let voided = market
        .apply(&entrants[1], Payload::DrawRaffle { raffle: unrevealed })
        .await?;
    assert_eq!(voided, Effect::RaffleVoided { raffle: unrevealed });

    eprintln!("--- entrants see the void and why; nothing is charged; the prize is the seller's");
    let view = RaffleApiClient::get(&market.rpc, unrevealed).await?;
    assert_eq!(
        (view.raffle.status, view.phase),
        (RaffleStatus::Void, RafflePhase::Void)
    );
    let result = market.rpc.result(unrevealed).await?;
    assert!(result.seller_missed_reveal);
    assert_eq!(result.revealed_secret, None);
    assert_eq!(result.recorded, None, "no winners");
    assert_eq!(result.recomputed, None);
    let mine = market.rpc.my_entries(member.session.clone(), None).await?;
    let entry = mine
        .items
        .iter()
        .find(|e| e.raffle == unrevealed)
        .context("the member's entry")?;
    assert_eq!(
        (entry.outcome, entry.phase),
        (EntryOutcome::Void, RafflePhase::Void)
    );
    let history = PaymentApiClient::history(&market.rpc, member.session.clone(), None).await?;
    assert_eq!(history.total, 0, "no order, nothing to pay: {history:?}");
    let void_list = market
        .rpc
        .list(Some(RaffleStatus::Void), None, None)
        .await?;
    assert_eq!(
        void_list
            .items
            .iter()
            .map(|r| r.raffle.id)
            .collect::<Vec<_>>(),
        vec![unrevealed]
    );
    // The piece is free again: its seller can move it.
    market
        .apply(
            &withholder,
            Payload::TransferItem {
                item: kept_items[0],
                to: seller.public(),
            },
        )
        .await?;

    eprintln!("--- seller_get shows the missed reveal; the seller cools off before raffling again");
    let standing =
        truffle_wire::api::SellerApiClient::get(&market.rpc, withholder.public()).await?;
    assert_eq!(standing.missed_reveals, 1);
    let until = standing
        .raffle_cooldown_until_ms
        .context("a cooling period")?;
    assert!(until > truffle_clock::now_ms() + 24 * 3_600_000, "{until}");
    let h = head(&market).await?;
    let cooling = market
        .refuse(
            &withholder,
            Payload::CreateRaffle(spec(
                vec![items[0]],
                EntryWindow::Heights {
                    opens: h + 1,
                    closes: h + 20,
                },
                &Hash::of(b"again"),
            )),
        )
        .await?;
    assert_eq!(
        cooling,
        Rejection::RaffleCooldown {
            missed_reveals: 1,
            until_ms: until
        }
    );
    let honest = truffle_wire::api::SellerApiClient::get(&market.rpc, seller.public()).await?;
    assert_eq!(
        (honest.missed_reveals, honest.raffle_cooldown_until_ms),
        (0, None)
    );
    let output = std::process::Command::new(truffle_binary()?)
        .args(["seller", "show", &withholder.public().to_hex()])
        .args(["--rpc", &market.url])
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && text.contains("missed 1 raffle reveal(s)"),
        "{output:?}"
    );

    eprintln!("--- the CLI keeps the secret next to the key (0600) and commits to it");
    let key_path = dir.path().join("seller.json");
    truffle_wire::keyfile::write_key_file(&key_path, &seller)?;
    let spec_path = dir.path().join("raffle.toml");
    std::fs::write(
        &spec_path,
        format!(
            "items = [{}]\nprice = 1000\nentry_blocks = 8\n",
            items[0] + 100
        ),
    )?;
    let run = |args: &[&str]| {
        std::process::Command::new(truffle_binary().expect("binary"))
            .args(args)
            .args(["--rpc", &market.url])
            .output()
    };
    let spec = spec_path.to_str().context("utf-8")?;
    let key = key_path.to_str().context("utf-8")?;
    let create = |extra: &[&str]| {
        let mut args = vec!["raffle", "create", spec, "--key", key];
        args.extend_from_slice(extra);
        run(&args)
    };
    let output = create(&[])?;
    // Item 100 past the last does not exist: the ledger refuses, and the secret stays
    // pending on disk (never lost before the outcome is known).
    assert!(!output.status.success());
    let pending: Vec<_> = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("seller.raffle-pending-")
        })
        .collect();
    assert_eq!(pending.len(), 1, "{output:?}");
    let product = market.product(&seller, 1, 1_000, false).await?;
    std::fs::write(
        &spec_path,
        format!("items = [{}]\nprice = 1000\nentry_blocks = 8\n", product[0]),
    )?;
    let output = create(&["--output", "json"])?;
    assert!(output.status.success(), "{output:?}");
    let status: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let id = status["status"]["effect"]["raffle"]
        .as_u64()
        .context("raffle id")?;
    let secret_path = dir.path().join(format!("seller.raffle-{id}.secret"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&secret_path)?.permissions().mode() & 0o777,
            0o600
        );
    }
    let secret = Hash::from_hex(std::fs::read_to_string(&secret_path)?.trim())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(
        RaffleApiClient::get(&market.rpc, id)
            .await?
            .raffle
            .spec
            .seed_commitment,
        raffle_commitment(&secret)
    );
    let output = run(&["raffle", "show", &id.to_string()])?;
    assert!(output.status.success(), "{output:?}");
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
