//! Erasure against every copy, tested as an attacker would (ARCHITECTURE.md, "Erasure"):
//! a backup taken before a withdrawal, the Raft log, snapshots and RocksDB files of every
//! node are searched for every wrapping of the withdrawn member's data key, and every
//! key every node still holds (plus each one's ratchet forward) is tried on each. Along
//! the way: chat history survives a profile update and a password change, and a password
//! change ends the member's other sessions on every node.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jsonrpsee::core::ClientError;
use truffle_ledger::PublicKey;
use truffle_members::keystore::{ratchet, read_key_file, KEY_STORE_FILE};
use truffle_members::vault::{unwrap_with, WrappedKey};
use truffle_testnet::TestnetOptions;
use truffle_tests::members::{
    apply_tx, gateway_args, list_product, sign_up, FakeGateway, PASSWORD,
};
use truffle_tests::{chain_id, Cluster};
use truffle_wire::api::{AccountApiClient, AuthApiClient, ChatApiClient};
use truffle_wire::chat::ChatSubject;
use truffle_wire::members::UpdateRequest;

/// Seconds per vault epoch in this test (production: an hour).
const EPOCH_SECS: u64 = 2;
const NEW_PASSWORD: &str = "Diff3rent&Secret!";

/// A key a node holds: its epoch key (and the epoch) and its MAC key.
struct HeldKey {
    epoch: u64,
    mac: [u8; 32],
    key: [u8; 32],
}

fn held_keys(cluster: &Cluster) -> anyhow::Result<Vec<HeldKey>> {
    (0..3)
        .map(|i| {
            let (epoch, mac, key) = read_key_file(&cluster.net.data_dir(i).join(KEY_STORE_FILE))?;
            Ok(HeldKey { epoch, mac, key })
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Decodes an LZ4 block (RocksDB's block compression here) of `size` bytes from the
/// start of `input`, stopping at `size`: the attacker's way into SST files without
/// their index. `None` where `input` is not such a block.
fn lz4_block(input: &[u8], size: usize) -> Option<Vec<u8>> {
    fn length(input: &[u8], i: &mut usize, mut n: usize) -> Option<usize> {
        loop {
            let b = *input.get(*i)?;
            *i += 1;
            n += usize::from(b);
            if b != 255 {
                return Some(n);
            }
        }
    }
    let mut out: Vec<u8> = Vec::with_capacity(size);
    let mut i = 0;
    while out.len() < size {
        let token = *input.get(i)?;
        i += 1;
        let mut literals = usize::from(token >> 4);
        if literals == 15 {
            literals = length(input, &mut i, literals)?;
        }
        out.extend_from_slice(input.get(i..i.checked_add(literals)?)?);
        i += literals;
        if out.len() >= size {
            break;
        }
        let offset = usize::from(u16::from_le_bytes([*input.get(i)?, *input.get(i + 1)?]));
        i += 2;
        let mut matched = usize::from(token & 15) + 4;
        if matched == 19 {
            matched = length(input, &mut i, matched)?;
        }
        if offset == 0 || offset > out.len() || out.len() + matched > size {
            return None;
        }
        let start = out.len() - offset;
        for k in 0..matched {
            out.push(out[start + k]);
        }
    }
    (out.len() == size).then_some(out)
}

/// The file's bytes, and for an SST file every LZ4 block found in it (tried at every
/// offset: a varint32 decompressed size, then the block).
fn readable(file: &Path) -> Vec<Vec<u8>> {
    let Ok(bytes) = std::fs::read(file) else {
        return Vec::new(); // a file RocksDB removed meanwhile
    };
    let mut out = Vec::new();
    if file.extension().is_some_and(|e| e == "sst") {
        let mut i = 0;
        while i + 8 < bytes.len() {
            let (mut size, mut shift, mut n) = (0usize, 0, 0);
            while n < 3 && bytes[i + n] & 0x80 != 0 {
                size |= usize::from(bytes[i + n] & 0x7f) << shift;
                shift += 7;
                n += 1;
            }
            size |= usize::from(bytes[i + n] & 0x7f) << shift;
            n += 1;
            if (64..=1 << 20).contains(&size) {
                if let Some(block) = lz4_block(&bytes[i + n..], size) {
                    out.push(block);
                }
            }
            i += 1;
        }
    }
    out.push(bytes);
    out
}

/// Every byte position in every file under `dirs` that could be a borsh `WrappedKey`
/// (epoch, then a 48-byte length-prefixed wrapped key, then a 24-byte nonce) is tried
/// for `account` with every held key: as it is, ratcheted forward to the candidate's
/// epoch (what a holder can compute), and the MAC key; SST files are decompressed
/// first. Returns (candidates, opened).
fn attack(dirs: &[PathBuf], account: &PublicKey, keys: &[HeldKey]) -> anyhow::Result<(u64, u64)> {
    let (mut candidates, mut opened) = (0u64, 0u64);
    let mut files = Vec::new();
    for dir in dirs {
        walk(dir, &mut files)?;
    }
    for bytes in files.iter().flat_map(|file| readable(file)) {
        for i in 8..bytes.len().saturating_sub(4 + 48 + 24) {
            if bytes[i..i + 4] != [48, 0, 0, 0] {
                continue;
            }
            candidates += 1;
            let epoch = u64::from_le_bytes(bytes[i - 8..i].try_into()?);
            let wrapped = WrappedKey {
                epoch,
                wrapped_key: bytes[i + 4..i + 52].to_vec(),
                key_nonce: bytes[i + 52..i + 76].try_into()?,
            };
            for held in keys {
                let mut tries = vec![held.key, held.mac];
                if epoch > held.epoch && epoch - held.epoch <= 64 {
                    let mut key = held.key;
                    for _ in held.epoch..epoch {
                        key = ratchet(&key);
                    }
                    tries.push(key);
                }
                if tries
                    .iter()
                    .any(|key| unwrap_with(key, account, &wrapped).is_ok())
                {
                    opened += 1;
                }
            }
        }
    }
    Ok((candidates, opened))
}

fn rpc_status(error: ClientError) -> i32 {
    match error {
        ClientError::Call(object) => object.code(),
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

/// Runs `truffle args...` (bounded); fails unless it succeeds.
async fn truffle(args: &[&str]) -> anyhow::Result<()> {
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(truffle_testnet::truffle_binary()?)
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| anyhow::anyhow!("truffle {args:?} did not finish in 120 s"))??;
    anyhow::ensure!(
        output.status.success(),
        "truffle {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_member_opens_nowhere_within_two_epochs() -> anyhow::Result<()> {
    let gateway = FakeGateway::default();
    let address = gateway.clone().start().await?;
    let files = tempfile::tempdir()?;
    let mut extra_args = gateway_args(files.path(), address)?;
    extra_args.extend(["--vault.epoch-secs".into(), EPOCH_SECS.to_string()]);
    let cluster = Cluster::start(TestnetOptions {
        extra_args,
        snapshot_every_entries: Some(20),
        ..TestnetOptions::default()
    })
    .await?;
    // Every validator made its key store from the provisioning secret at start; the
    // operator now destroys the secret (it would derive every epoch key).
    for i in 0..3 {
        anyhow::ensure!(
            cluster.net.data_dir(i).join(KEY_STORE_FILE).is_file(),
            "node {i} has no key store"
        );
    }
    std::fs::remove_file(cluster.net.vault_key_path())?;
    let (n0, n1, n2) = (cluster.client(0), cluster.client(1), cluster.client(2));
    let chain = chain_id(&n0).await?;

    eprintln!("--- a member and a seller; they chat about the seller's piece");
    let victim = sign_up(&n0, &gateway, 31, "김지움").await?;
    let seller = sign_up(&n1, &gateway, 32, "이남음").await?;
    let listed = list_product(
        &n1,
        chain,
        &cluster.net.admin,
        &seller.key,
        ("Nike", "DD1391-100", "나이키 덩크 판다", "Nike Dunk Panda"),
        129_000,
        1,
        true,
    )
    .await?;
    let room = n0
        .open_room(
            victim.session.clone(),
            ChatSubject::Item(listed.first_item),
            None,
        )
        .await?
        .room;
    n0.send(victim.session.clone(), room, "사이즈 몇인가요?".into())
        .await?;
    n1.send(seller.session.clone(), room, "270입니다".into())
        .await?;

    eprintln!("--- profile update and password change: history stays, other sessions end");
    let other_session = n2
        .login(victim.email.clone(), PASSWORD.into())
        .await?
        .session_token;
    n0.update(
        victim.session.clone(),
        UpdateRequest {
            name: Some("김지움둘".into()),
            ..UpdateRequest::default()
        },
    )
    .await?;
    n1.update(
        victim.session.clone(),
        UpdateRequest {
            new_password: Some(NEW_PASSWORD.into()),
            current_password: Some(PASSWORD.into()),
            ..UpdateRequest::default()
        },
    )
    .await?;
    for (i, rpc) in [&n0, &n1, &n2].into_iter().enumerate() {
        let status = rpc_status(rpc.me(other_session.clone()).await.unwrap_err());
        assert_eq!(
            status, 3014,
            "node {i} still accepts a session from before the password change"
        );
        assert_eq!(rpc.me(victim.session.clone()).await?.name, "김지움둘");
    }
    // Past at least one re-wrap of every live data key into a new epoch.
    let start_epoch = held_keys(&cluster)?
        .iter()
        .map(|k| k.epoch)
        .max()
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while held_keys(&cluster)?
        .iter()
        .map(|k| k.epoch)
        .min()
        .unwrap_or(0)
        <= start_epoch
    {
        anyhow::ensure!(Instant::now() < deadline, "the vault epoch did not advance");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (i, rpc) in [&n0, &n1, &n2].into_iter().enumerate() {
        let texts: Vec<String> = rpc
            .history(victim.session.clone(), room, None, None)
            .await?
            .messages
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(
            texts.len(),
            2,
            "node {i}: history after an update, a password change and a re-wrap: {texts:?}"
        );
        let seller_view = rpc
            .history(seller.session.clone(), room, None, None)
            .await?;
        assert_eq!(seller_view.messages.len(), 2, "node {i}: the seller's view");
    }

    eprintln!("--- a backup of node 2; the keys held now open the member in it (control)");
    let backup = cluster.dir.path().join("backup-before-withdrawal");
    truffle(&[
        "node",
        "backup",
        "--to",
        backup.to_str().expect("utf-8"),
        "--rpc",
        &cluster.net.rpc_url(2),
        "--data-dir",
        cluster.net.data_dir(2).to_str().expect("utf-8"),
    ])
    .await?;
    let before = held_keys(&cluster)?;
    let (candidates, opened) =
        attack(std::slice::from_ref(&backup), &victim.key.public(), &before)?;
    eprintln!("backup: {candidates} candidate wrappings, {opened} opened by today's keys");
    assert!(
        opened > 0,
        "the control: today's keys open the member in the backup"
    );

    eprintln!("--- withdrawal, then wait for every node to destroy the epochs it was in");
    n0.delete(victim.session.clone(), NEW_PASSWORD.into())
        .await?;
    let withdrawn = Instant::now();
    for (i, rpc) in [&n0, &n1, &n2].into_iter().enumerate() {
        let status = rpc_status(rpc.me(victim.session.clone()).await.unwrap_err());
        assert_eq!(
            status, 3014,
            "node {i} still accepts a withdrawn member's session"
        );
    }
    let last_wrapped = held_keys(&cluster)?
        .iter()
        .map(|k| k.epoch)
        .max()
        .unwrap_or(0)
        + 1;
    let deadline = withdrawn + Duration::from_secs(4 * EPOCH_SECS + 30);
    // The member's last wrapping is in an epoch <= `last_wrapped` (a re-wrap racing the
    // withdrawal is refused, but its entry stays in the log: one epoch more).
    while held_keys(&cluster)?
        .iter()
        .map(|k| k.epoch)
        .min()
        .unwrap_or(0)
        <= last_wrapped
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the nodes did not destroy the old epochs"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "erased on every node {} ms after the withdrawal (epoch {EPOCH_SECS} s)",
        withdrawn.elapsed().as_millis()
    );

    eprintln!("--- the attack: every key on every node against every copy");
    let keys = held_keys(&cluster)?;
    let mut places = vec![backup.clone()];
    places.extend((0..3).map(|i| cluster.net.data_dir(i)));
    let (candidates, opened) = attack(&places, &victim.key.public(), &keys)?;
    eprintln!("{candidates} candidate wrappings in the backup and three data folders");
    assert!(
        candidates > 10,
        "the search looked at the files ({candidates})"
    );
    assert_eq!(
        opened, 0,
        "a key still held opens a copy of the withdrawn member's data key"
    );
    let (_, control) = attack(&places[1..], &seller.key.public(), &keys)?;
    assert!(control > 0, "the other member's data still opens");
    for rpc in [&n0, &n1, &n2] {
        assert_eq!(rpc.me(seller.session.clone()).await?.name, seller.name);
    }

    eprintln!("--- a suspension ends the member's sessions on every node");
    apply_tx(
        &n0,
        chain,
        &cluster.net.admin,
        truffle_ledger::Payload::SetAccountSuspended {
            account: seller.key.public(),
            suspended: true,
        },
    )
    .await?;
    cluster
        .wait_converged(&[0, 1, 2], Duration::from_secs(30))
        .await?;
    for (i, rpc) in [&n0, &n1, &n2].into_iter().enumerate() {
        let status = rpc_status(rpc.me(seller.session.clone()).await.unwrap_err());
        assert_eq!(
            status, 3018,
            "node {i} still accepts a suspended member's session (ACCOUNT_NOT_ACTIVE)"
        );
    }
    Ok(())
}
