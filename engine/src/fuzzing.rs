//! Entry point of the peer-protocol fuzz target (`fuzz/fuzz_targets/peer_messages.rs`),
//! kept here so the saved corpus replays as an ordinary test on stable: whatever another
//! validator sends, decoding it and the checks made before any state is read never
//! panic, and what decodes is the one encoding of its value.

use std::collections::BTreeSet;

use truffle_ledger::{Hash, PublicKey};

use crate::protocol::{PeerRequest, PeerResponse, MAX_FORWARD_BATCH};

/// The chain the stateless checks run against.
const FUZZ_CHAIN: &[u8] = b"truffle fuzz chain";

/// The first byte picks the layer: the engine's request or answer (borsh), or the
/// transport's request or answer (CBOR), whose `App` bytes then go to the engine's
/// decoder as the transport hands them on.
pub fn peer_message(data: &[u8]) {
    let Some((&layer, body)) = data.split_first() else {
        return;
    };
    match layer % 4 {
        0 => peer_request(body),
        1 => peer_response(body),
        2 => {
            if let Some(app) = truffle_consensus::fuzzing::wire_request(body) {
                peer_request(&app);
            }
        }
        _ => {
            if let Some(app) = truffle_consensus::fuzzing::wire_response(body) {
                peer_response(&app);
            }
        }
    }
}

/// The validator set the evidence check runs against.
fn validators() -> BTreeSet<PublicKey> {
    [truffle_ledger::Keypair::from_name("validator").public()].into()
}

/// A request as the engine's peer server decodes it, then the checks it makes before
/// reading any state.
fn peer_request(bytes: &[u8]) {
    let Ok(request) = borsh::from_slice::<PeerRequest>(bytes) else {
        return;
    };
    let encoded = borsh::to_vec(&request).expect("encoding to a Vec cannot fail");
    assert_eq!(encoded, bytes, "accepted a non-canonical peer request");
    let chain = Hash::of(FUZZ_CHAIN);
    match request {
        PeerRequest::ForwardTransactions(txs) => {
            for tx in txs.iter().take(MAX_FORWARD_BATCH) {
                let _ = tx.check_stateless(&chain);
            }
        }
        PeerRequest::HeaderVote { header, vote } => {
            let _ = vote.verify(&header.chain_id, &header.hash());
        }
        PeerRequest::Evidence(evidence) => {
            if bytes.len() <= truffle_ledger::evidence::MAX_EVIDENCE_BYTES + 1 {
                let _ = evidence.check(&chain, &validators());
            }
        }
        // The name is looked up among the registered services (unknown ones are refused);
        // heights are clamped to MAX_CERTIFICATES_PER_REQUEST when the store is read.
        PeerRequest::Feature { .. }
        | PeerRequest::GetCertificates { .. }
        | PeerRequest::ProposeService(_)
        | PeerRequest::ReadIndex => {}
    }
}

/// An answer as the engine's peer client decodes it.
fn peer_response(bytes: &[u8]) {
    let Ok(response) = borsh::from_slice::<PeerResponse>(bytes) else {
        return;
    };
    let encoded = borsh::to_vec(&response).expect("encoding to a Vec cannot fail");
    assert_eq!(encoded, bytes, "accepted a non-canonical peer answer");
    // The client matches each answer to its request; a certificate is checked against
    // the header the node holds, which the certifier's tests cover.
    let _ = response;
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::evidence::{Evidence, SignedHeader};
    use truffle_ledger::exec::GenesisState;
    use truffle_ledger::memory_chain::MemoryChain;
    use truffle_ledger::types::{ChainParams, Role, Validator};
    use truffle_ledger::{certificate, BlockProposal, Keypair, Payload};

    fn fuzz_dir(kind: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz")
            .join(kind)
            .join("peer_messages")
    }

    /// The seeds: every request and answer kind, built from a small real chain, each in
    /// the engine's encoding and wrapped in the transport's.
    fn seeds() -> Vec<(String, Vec<u8>)> {
        let validator = Keypair::from_name("validator");
        let admin = Keypair::from_name("admin");
        let genesis = GenesisState {
            chain_id: Hash::of(FUZZ_CHAIN),
            time_ms: 1_767_000_000_000,
            params: ChainParams::default(),
            admins: vec![admin.public()],
            validators: vec![Validator {
                key: validator.public(),
                name: "validator".into(),
                p2p_address: "/ip4/127.0.0.1/tcp/30333".into(),
                since_height: 0,
            }],
        };
        let chain = MemoryChain::new(&genesis).expect("a valid genesis");
        let tx = chain
            .sign(
                &admin,
                Payload::RegisterAccount {
                    account: Keypair::from_name("member").public(),
                    role: Role::Member,
                    adult: true,
                },
            )
            .unwrap();
        let proposal = |time_ms: u64, transactions| BlockProposal {
            proposer: validator.public(),
            time_ms,
            transactions,
        };
        let mut first = MemoryChain::new(&genesis).unwrap();
        let mut second = MemoryChain::new(&genesis).unwrap();
        let block = first
            .apply(&proposal(genesis.time_ms + 1_000, vec![tx.clone()]))
            .unwrap();
        let other = second
            .apply(&proposal(genesis.time_ms + 2_000, vec![]))
            .unwrap();
        let vote = certificate::vote(&validator, &block.header);
        let other_vote = certificate::vote(&validator, &other.header);
        let evidence = Evidence::double_vote(
            genesis.chain_id,
            validator.public(),
            SignedHeader::new(block.header.clone(), &vote),
            SignedHeader::new(other.header.clone(), &other_vote),
        );
        let certificate =
            certificate::Certificate::from_votes(&block.header, &validators(), [vote.clone()]);
        let requests = [
            (
                "forward",
                PeerRequest::ForwardTransactions(vec![tx.clone()]),
            ),
            (
                "vote",
                PeerRequest::HeaderVote {
                    header: Box::new(block.header.clone()),
                    vote,
                },
            ),
            (
                "certificates",
                PeerRequest::GetCertificates { from: 1, to: 4 },
            ),
            (
                "propose-service",
                PeerRequest::ProposeService(vec![16, 1, 2]),
            ),
            ("read-index", PeerRequest::ReadIndex),
            (
                "feature",
                PeerRequest::Feature {
                    service: "ads".into(),
                    body: vec![1, 2, 3],
                },
            ),
            ("evidence", PeerRequest::Evidence(Box::new(evidence))),
        ];
        let responses = [
            ("forwarded", PeerResponse::Forwarded(vec![Ok(tx.hash())])),
            ("vote-taken", PeerResponse::VoteTaken),
            ("evidence-taken", PeerResponse::EvidenceTaken(true)),
            (
                "certificates",
                PeerResponse::Certificates(vec![certificate]),
            ),
            (
                "service-applied",
                PeerResponse::ServiceApplied {
                    reply: vec![0],
                    log_index: 9,
                },
            ),
            ("read-index", PeerResponse::ReadIndex(12)),
            ("feature", PeerResponse::Feature(vec![4, 5])),
        ];
        let mut seeds = Vec::new();
        for (name, request) in requests {
            let bytes = borsh::to_vec(&request).unwrap();
            seeds.push((format!("request-{name}"), [&[0u8][..], &bytes].concat()));
            let wrapped = truffle_consensus::fuzzing::encode_seed_requests(&bytes);
            let app = wrapped.last().expect("the app request").clone();
            seeds.push((format!("wire-app-{name}"), [&[2u8][..], &app].concat()));
        }
        for (name, response) in responses {
            let bytes = borsh::to_vec(&response).unwrap();
            seeds.push((format!("response-{name}"), [&[1u8][..], &bytes].concat()));
        }
        let wrapped = truffle_consensus::fuzzing::encode_seed_requests(&[]);
        seeds.push(("wire-vote".into(), [&[2u8][..], &wrapped[0]].concat()));
        seeds.push(("wire-snapshot".into(), [&[2u8][..], &wrapped[1]].concat()));
        let entry = openraft::Entry::<truffle_consensus::TypeConfig> {
            log_id: openraft::LogId::new(openraft::CommittedLeaderId::new(2, 7), 5),
            payload: openraft::EntryPayload::Normal(truffle_consensus::Command::new(
                &truffle_consensus::AppCommand::Block(proposal(genesis.time_ms + 1_000, vec![tx])),
            )),
        };
        let append = truffle_consensus::fuzzing::encode_raft_append(vec![entry]);
        seeds.push(("wire-append".into(), [&[2u8][..], &append].concat()));
        seeds
    }

    /// Writes the seeds (`TRUFFLE_UPDATE_FUZZ_SEEDS=1`); otherwise checks that the saved
    /// ones are what the protocol gives today.
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

    /// Every seed decodes (so the corpus starts past the decoders), and the saved
    /// corpus replays without a panic.
    #[test]
    fn the_saved_corpus_replays() {
        for (name, bytes) in seeds() {
            let (layer, body) = bytes.split_first().unwrap();
            let decoded = match layer {
                0 => borsh::from_slice::<PeerRequest>(body).is_ok(),
                1 => borsh::from_slice::<PeerResponse>(body).is_ok(),
                _ => {
                    truffle_consensus::fuzzing::wire_request(body).is_some()
                        || !name.starts_with("wire-app-")
                }
            };
            assert!(decoded, "seed {name} does not decode");
        }
        let mut count = 0;
        for kind in ["seeds", "corpus"] {
            let dir = fuzz_dir(kind);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                assert_eq!(kind, "corpus", "{} is missing", dir.display());
                continue;
            };
            for entry in entries {
                peer_message(&std::fs::read(entry.unwrap().path()).unwrap());
                count += 1;
            }
        }
        assert!(count >= 20, "the corpus is saved: {count} files");
    }
}
