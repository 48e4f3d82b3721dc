//! A single-validator chain survives SIGKILL with every acknowledged transaction.

use std::time::Duration;

use truffle_genesis::dev_keys;
use truffle_ledger::types::Role;
use truffle_ledger::{Hash, Keypair, Payload};
use truffle_tests::{chain_id, client, start_dev, wait_included, Wallet};
use truffle_wire::api::{ChainApiClient, SystemApiClient, TxApiClient};
use truffle_wire::chain::TxStatus;

/// Submits signed transactions to `truffle dev`, kills it with SIGKILL right after the
/// last one is acknowledged as committed, restarts it, and checks that the height, the
/// state root and every acknowledged transaction are exactly as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_chain_survives_sigkill() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("dev");
    let mut node = start_dev(&data)?;
    let rpc = client(&node.rpc_url)?;
    let chain = chain_id(&rpc).await?;
    // The node says how it was built; this test binary is built in the same profile.
    let build = rpc.version().await?.build;
    let profile = if cfg!(debug_assertions) {
        "debug, "
    } else {
        "release, "
    };
    assert!(build.starts_with(profile), "{build}");
    assert!(build.contains("opt-level"), "{build}");

    // --- phase 1: the registrar (the dev validator) registers 40 members, and half of
    // them apply to sell; all submitted without waiting, as a busy wallet would.
    let mut registrar = Wallet::new(&rpc, dev_keys::validator(0)).await?;
    let members: Vec<Keypair> = (0..40)
        .map(|i| Keypair::from_name(&format!("crash-member-{i}")))
        .collect();
    let mut acknowledged: Vec<Hash> = Vec::new();
    for member in &members {
        let tx = registrar.sign(
            chain,
            Payload::RegisterAccount {
                account: member.public(),
                role: Role::Member,
                adult: true,
            },
        );
        acknowledged.push(rpc.submit(tx).await?);
    }
    let mut statuses = Vec::new();
    for hash in &acknowledged {
        statuses.push(wait_included(&rpc, *hash, Duration::from_secs(30)).await?);
    }
    let mut second_wave = Vec::new();
    for member in members.iter().step_by(2) {
        let mut wallet = Wallet::new(&rpc, member.clone()).await?;
        let tx = wallet.sign(
            chain,
            Payload::ApplySeller {
                shop_name: format!("shop of {}", &member.public().to_hex()[..8]),
            },
        );
        second_wave.push(rpc.submit(tx).await?);
    }
    for hash in &second_wave {
        statuses.push(wait_included(&rpc, *hash, Duration::from_secs(30)).await?);
    }
    acknowledged.extend(second_wave);
    assert!(
        statuses
            .iter()
            .all(|s| matches!(s, TxStatus::Committed { .. })),
        "every transaction applies: {statuses:?}"
    );
    let head_before = rpc.get_header(None).await?;
    let health_before = rpc.health().await?;
    assert!(head_before.header.height >= 2);

    // --- phase 2: SIGKILL right after the last acknowledgement, then restart.
    node.kill();
    node.restart(truffle_tests::START_TIMEOUT)?;
    let rpc = client(&node.rpc_url)?;

    // --- phase 3: nothing acknowledged is lost, nothing changed.
    let head_after = rpc.get_header(Some(head_before.header.height)).await?;
    assert_eq!(
        head_after, head_before,
        "the block at the old head is identical"
    );
    let latest = rpc.get_header(None).await?;
    assert_eq!(
        latest.header.height, head_before.header.height,
        "no block appeared or vanished"
    );
    assert_eq!(latest.header.state_root, head_before.header.state_root);
    for (hash, before) in acknowledged.iter().zip(&statuses) {
        let after = rpc.status(*hash).await?;
        let (
            TxStatus::Committed {
                height: h1,
                index: i1,
                ..
            },
            TxStatus::Committed {
                height: h2,
                index: i2,
                ..
            },
        ) = (before, &after)
        else {
            panic!("transaction {hash} was {before:?}, now {after:?}");
        };
        assert_eq!((h1, i1), (h2, i2), "transaction {hash} moved");
    }
    let health_after = rpc.health().await?;
    assert_eq!(health_after["height"], health_before["height"]);

    // --- phase 4: the chain goes on after the restart (nonces and Raft log intact).
    let mut registrar = Wallet::new(&rpc, dev_keys::validator(0)).await?;
    let late = Keypair::from_name("crash-member-late");
    let tx = registrar.sign(
        chain,
        Payload::RegisterAccount {
            account: late.public(),
            role: Role::Member,
            adult: false,
        },
    );
    let hash = rpc.submit(tx).await?;
    let status = wait_included(&rpc, hash, Duration::from_secs(30)).await?;
    assert!(
        matches!(status, TxStatus::Committed { height, .. } if height == head_before.header.height + 1),
        "{status:?}"
    );
    // A replay of an included transaction is answered with its hash, never applied twice.
    let replay = rpc.get(hash).await?;
    assert_eq!(rpc.submit(replay.encoded).await?, hash);
    node.terminate(Duration::from_secs(10));
    Ok(())
}

/// Bad input over RPC gets specific JSON-RPC errors and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_transactions_get_clear_errors() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let node = start_dev(&dir.path().join("dev"))?;
    let rpc = client(&node.rpc_url)?;
    let chain = chain_id(&rpc).await?;
    let head = rpc.get_header(None).await?;

    let code = |error: jsonrpsee::core::ClientError| match error {
        jsonrpsee::core::ClientError::Call(object) => object.code(),
        other => panic!("expected a call error, got {other}"),
    };
    assert_eq!(
        code(rpc.submit("zz".into()).await.unwrap_err()),
        -32602,
        "not hex"
    );
    assert_eq!(
        code(rpc.submit("00ff".into()).await.unwrap_err()),
        1001,
        "not a transaction"
    );

    let mut stranger = Wallet {
        key: Keypair::from_name("stranger"),
        nonce: 0,
    };
    let tx = stranger.sign(
        chain,
        Payload::ApplySeller {
            shop_name: "x".into(),
        },
    );
    assert_eq!(
        code(rpc.submit(tx).await.unwrap_err()),
        1005,
        "unknown signer"
    );

    let mut registrar = Wallet {
        key: dev_keys::validator(0),
        nonce: 0,
    };
    let tx = registrar.sign(
        Hash::of(b"another chain"),
        Payload::ApplySeller {
            shop_name: "x".into(),
        },
    );
    assert_eq!(code(rpc.submit(tx).await.unwrap_err()), 1003, "wrong chain");

    let mut forged = hex::decode(registrar.sign(
        chain,
        Payload::ApplySeller {
            shop_name: "x".into(),
        },
    ))?;
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(
        code(rpc.submit(hex::encode(forged)).await.unwrap_err()),
        1004,
        "bad signature"
    );

    assert_eq!(rpc.get_header(None).await?, head, "nothing was applied");
    Ok(())
}

/// `tx_submitBatch`: one outcome per transaction, in order, with the code `tx_submit`
/// would answer for each refused one; the accepted ones commit; a batch over the limit
/// is refused whole and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_gets_one_outcome_per_transaction() -> anyhow::Result<()> {
    use truffle_wire::chain::{SubmitOutcome, MAX_SUBMIT_BATCH};
    let dir = tempfile::tempdir()?;
    let mut node = start_dev(&dir.path().join("dev"))?;
    let rpc = client(&node.rpc_url)?;
    let chain = chain_id(&rpc).await?;
    let mut registrar = Wallet::new(&rpc, dev_keys::validator(0)).await?;
    let register = |name: &str| Payload::RegisterAccount {
        account: Keypair::from_name(name).public(),
        role: Role::Member,
        adult: false,
    };
    let first = registrar.sign(chain, register("batch-0"));
    let second = registrar.sign(chain, register("batch-1"));
    let mut forged = hex::decode(registrar.sign(chain, register("batch-forged")))?;
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let mut stranger = Wallet {
        key: Keypair::from_name("batch-stranger"),
        nonce: 0,
    };
    let unknown = stranger.sign(chain, register("batch-2"));

    let head = rpc.get_header(None).await?;
    let too_many = vec![first.clone(); MAX_SUBMIT_BATCH + 1];
    match rpc.submit_batch(too_many).await {
        Err(jsonrpsee::core::ClientError::Call(object)) => assert_eq!(object.code(), -32602),
        other => panic!("a batch over the limit: {other:?}"),
    }
    assert_eq!(rpc.get_header(None).await?, head, "nothing was applied");

    let outcomes = rpc
        .submit_batch(vec![
            first.clone(),
            "zz".into(),
            hex::encode(&forged),
            unknown,
            second,
        ])
        .await?;
    let codes: Vec<Option<i32>> = outcomes
        .iter()
        .map(|o| match o {
            SubmitOutcome::Accepted { .. } => None,
            SubmitOutcome::Refused { code, .. } => Some(*code),
        })
        .collect();
    assert_eq!(
        codes,
        [None, Some(-32602), Some(1004), Some(1005), None],
        "{outcomes:?}"
    );
    for outcome in [&outcomes[0], &outcomes[4]] {
        let SubmitOutcome::Accepted { hash } = outcome else {
            unreachable!("checked above")
        };
        let status = wait_included(&rpc, *hash, Duration::from_secs(30)).await?;
        assert!(matches!(status, TxStatus::Committed { .. }), "{status:?}");
    }
    // The same transaction again is answered with its hash, not applied twice.
    let again = rpc.submit_batch(vec![first]).await?;
    assert_eq!(again[..], outcomes[..1]);
    node.terminate(Duration::from_secs(10));
    Ok(())
}
