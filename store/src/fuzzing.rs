//! Entry point of the snapshot-import fuzz target (`fuzz/fuzz_targets/snapshot_import.rs`),
//! kept here so the saved corpus replays as an ordinary test on stable. A snapshot comes
//! from another validator (Raft's snapshot transfer): whatever its bytes, reading it
//! never panics, and a snapshot is installed only if the state it installs has the
//! state root its head names.

use std::path::Path;

use truffle_ledger::state::{compute_state_root, state_root_at, StateChanges, StateView, Table};

use crate::snapshot::{snapshot_body_checksum, MAGIC};
use crate::Store;

/// Imports the snapshot the input describes into `store` (whose replicated data it
/// replaces), through a file under `scratch`. The first byte picks the form: odd, the
/// rest is a snapshot body that gets the magic and a matching checksum around it (so
/// mutations reach the record reader); even, the rest is the whole file.
pub fn snapshot_import(store: &Store, scratch: &Path, data: &[u8]) {
    let Some((&form, rest)) = data.split_first() else {
        return;
    };
    let file = if form & 1 == 1 {
        seal(rest)
    } else {
        rest.to_vec()
    };
    let path = scratch.join("fuzz-snapshot");
    std::fs::write(&path, &file).expect("the scratch folder is writable");
    let Ok(prepared) = store.prepare_snapshot_import(&path) else {
        return;
    };
    store
        .apply_snapshot_import(prepared, &path)
        .expect("a checked snapshot imports");
    assert!(!store.snapshot_import_pending().expect("the store reads"));
    let head = store
        .head()
        .expect("the store reads")
        .expect("an imported snapshot has a head");
    assert_eq!(
        state_root_at(store, head.height).expect("the installed tree reads"),
        head.state_root,
        "the installed tree's root is not the head's"
    );
    // The records the store now serves, not only the tree, give the head's root.
    let mut changes = StateChanges::new();
    for table in Table::ALL {
        for (key, value) in store.scan_prefix(&[table as u8]).expect("the store reads") {
            changes.insert(key, Some(value));
        }
    }
    let empty = truffle_ledger::state::MemoryStore::new();
    let (root, _) = compute_state_root(&empty, &changes, head.height).expect("a root");
    assert_eq!(
        root, head.state_root,
        "the installed records' root is not the head's"
    );
}

/// A snapshot file around `body`: the magic, the body, the checksum of both.
pub fn seal(body: &[u8]) -> Vec<u8> {
    let mut file = MAGIC.to_vec();
    file.extend_from_slice(body);
    let checksum = snapshot_body_checksum(&file);
    file.extend_from_slice(&checksum);
    file
}

/// The body of a snapshot file (between the magic and the checksum), for seeds.
pub fn body_of(file: &[u8]) -> &[u8] {
    &file[MAGIC.len()..file.len() - 32]
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::types::{ChainParams, Role, Validator};
    use truffle_ledger::{
        execute_block, genesis_block, BlockProposal, GenesisState, Hash, Keypair, Payload,
        Transaction,
    };

    fn fuzz_dir(kind: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz")
            .join(kind)
            .join("snapshot_import")
    }

    /// A snapshot of a small chain: genesis and two blocks registering members.
    fn seed_snapshot() -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let validator = Keypair::from_name("validator");
        let genesis = GenesisState {
            chain_id: Hash::of(b"truffle fuzz chain"),
            time_ms: 1_767_000_000_000,
            params: ChainParams::default(),
            admins: vec![Keypair::from_name("admin").public()],
            validators: vec![Validator {
                key: validator.public(),
                name: "validator".into(),
                p2p_address: "/ip4/127.0.0.1/tcp/30333".into(),
                since_height: 0,
            }],
        };
        let executed = genesis_block(&store, &genesis).unwrap();
        store.commit_block(&executed, &[]).unwrap();
        let mut head = executed.block.header;
        for nonce in 0..2u64 {
            let proposal = BlockProposal {
                proposer: validator.public(),
                time_ms: head.time_ms + 1_000,
                transactions: vec![Transaction {
                    chain_id: genesis.chain_id,
                    signer: validator.public(),
                    nonce,
                    payload: Payload::RegisterAccount {
                        account: Keypair::from_name(&format!("member-{nonce}")).public(),
                        role: Role::Member,
                        adult: true,
                    },
                }
                .sign(&validator)],
            };
            let executed = execute_block(&store, &head, &proposal).unwrap();
            store
                .commit_block(
                    &executed,
                    &[(b"applied".as_slice(), nonce.to_be_bytes().to_vec())],
                )
                .unwrap();
            head = executed.block.header;
        }
        let mut file = Vec::new();
        store.export_snapshot_to(&mut file).unwrap();
        file
    }

    /// The seeds: the snapshot sealed by the harness (its body) and whole.
    fn seeds() -> Vec<(&'static str, Vec<u8>)> {
        let file = seed_snapshot();
        vec![
            ("sealed-body", [&[1u8][..], body_of(&file)].concat()),
            ("whole-file", [&[0u8][..], &file].concat()),
        ]
    }

    /// Writes the seeds (`TRUFFLE_UPDATE_FUZZ_SEEDS=1`); otherwise checks that the saved
    /// ones are what an export gives today.
    #[test]
    fn seeds_are_current() {
        let dir = fuzz_dir("seeds");
        let update = std::env::var_os("TRUFFLE_UPDATE_FUZZ_SEEDS").is_some();
        for (name, bytes) in seeds() {
            let path = dir.join(name);
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &bytes).unwrap();
            } else {
                assert!(
                    std::fs::read(&path).unwrap_or_default() == bytes,
                    "{} is stale: run with TRUFFLE_UPDATE_FUZZ_SEEDS=1",
                    path.display()
                );
            }
        }
    }

    /// The seeds import (and pass the root checks); the saved corpus replays, one
    /// store taking every import in turn as the fuzz target's does.
    #[test]
    fn the_saved_corpus_replays() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        for (name, bytes) in seeds() {
            snapshot_import(&store, dir.path(), &bytes);
            assert!(store.head().unwrap().is_some(), "seed {name} imports");
        }
        let mut count = 0;
        for kind in ["seeds", "corpus"] {
            let Ok(entries) = std::fs::read_dir(fuzz_dir(kind)) else {
                assert_eq!(kind, "corpus", "the seeds are saved");
                continue;
            };
            for entry in entries {
                snapshot_import(
                    &store,
                    dir.path(),
                    &std::fs::read(entry.unwrap().path()).unwrap(),
                );
                count += 1;
            }
        }
        assert!(count >= 2, "the corpus is saved: {count} files");
    }

    /// A snapshot whose state records were changed, resealed so its checksum matches,
    /// is refused by the root check and leaves the store as it was.
    #[test]
    fn a_resealed_snapshot_with_other_records_is_refused() {
        let file = seed_snapshot();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        snapshot_import(&store, dir.path(), &[&[0u8][..], &file].concat());
        let head = store.head().unwrap().unwrap();
        let mut body = body_of(&file).to_vec();
        // The first record is a state record (the accounts table comes first); change the
        // last byte of its value.
        let key_len = u32::from_le_bytes(body[1..5].try_into().unwrap()) as usize;
        let value_at = 1 + 4 + key_len + 4;
        let value_len =
            u32::from_le_bytes(body[5 + key_len..value_at].try_into().unwrap()) as usize;
        body[value_at + value_len - 1] ^= 1;
        let path = dir.path().join("forged");
        std::fs::write(&path, seal(&body)).unwrap();
        assert!(store.prepare_snapshot_import(&path).is_err());
        assert_eq!(store.head().unwrap().unwrap(), head);
    }
}
