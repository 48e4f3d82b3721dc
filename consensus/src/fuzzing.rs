//! Entry points of the peer-protocol fuzz target (`fuzz/fuzz_targets/peer_messages.rs`,
//! driven from `truffle_engine::fuzzing`): the transport's decoding of what another
//! validator sends, with the real codec (libp2p's CBOR request-response codec at the
//! transport's size limits), kept here so the saved corpus replays on stable.

use futures::io::Cursor;
use libp2p::request_response::{cbor, Codec};
use libp2p::StreamProtocol;
use openraft::EntryPayload;

use crate::network::{RaftRequest, WireRequest, WireResponse, MAX_MESSAGE_BYTES};
use crate::types::{AppCommand, Command, TypeConfig};

/// The codec the transport speaks, with its limits.
fn codec() -> cbor::codec::Codec<WireRequest, WireResponse> {
    cbor::codec::Codec::default()
        .set_request_size_maximum(MAX_MESSAGE_BYTES)
        .set_response_size_maximum(MAX_MESSAGE_BYTES)
}

fn protocol() -> StreamProtocol {
    StreamProtocol::new("/truffle/fuzz/1")
}

/// Decodes a request as the transport reads it from a peer's stream. What decodes must
/// survive a write and a read back unchanged, and the Raft entries it carries are
/// decoded as the state machine decodes them. Returns the engine's bytes of an `App`
/// request, for the engine's decoder.
pub fn wire_request(data: &[u8]) -> Option<Vec<u8>> {
    let mut codec = codec();
    let request =
        futures::executor::block_on(codec.read_request(&protocol(), &mut Cursor::new(data)))
            .ok()?;
    let mut written = Vec::new();
    futures::executor::block_on(codec.write_request(
        &protocol(),
        &mut written,
        request_copy(&request),
    ))
    .expect("a decoded request encodes");
    let again =
        futures::executor::block_on(codec.read_request(&protocol(), &mut Cursor::new(&written)))
            .expect("a request written by the codec reads back");
    assert_eq!(
        format!("{request:?}"),
        format!("{again:?}"),
        "the request changed on a round trip"
    );
    match request {
        WireRequest::App(bytes) | WireRequest::Follower(bytes) => Some(bytes),
        WireRequest::Raft(RaftRequest::AppendEntries(append)) => {
            for entry in &append.entries {
                if let EntryPayload::Normal(command) = &entry.payload {
                    decode_command(command);
                }
            }
            None
        }
        WireRequest::Raft(_) => None,
    }
}

/// Decodes a response as the transport reads it from a peer's stream; returns the
/// engine's bytes of an `App` answer, for the engine's decoder.
pub fn wire_response(data: &[u8]) -> Option<Vec<u8>> {
    let mut codec = codec();
    let response =
        futures::executor::block_on(codec.read_response(&protocol(), &mut Cursor::new(data)))
            .ok()?;
    match response {
        WireResponse::App(Ok(bytes)) => Some(bytes.into_vec()),
        _ => None,
    }
}

/// A log entry's command as the state machine reads it: what decodes re-encodes to the
/// same bytes, and a block's transactions go through the stateless checks.
fn decode_command(command: &Command) {
    let Ok(decoded) = command.decode() else {
        return;
    };
    assert_eq!(
        Command::new(&decoded).0,
        command.0,
        "accepted a non-canonical command"
    );
    if let AppCommand::Block(proposal) = decoded {
        for tx in &proposal.transactions {
            let _ = tx.check_stateless(&tx.tx.chain_id);
        }
    }
}

/// A copy of a decoded request (the wire types are not `Clone`): through serde's JSON,
/// which every field supports.
fn request_copy(request: &WireRequest) -> WireRequest {
    let json = serde_json::to_vec(request).expect("a decoded request serializes");
    serde_json::from_slice(&json).expect("a serialized request deserializes")
}

/// Encodes a request as the transport writes it (the seeds of the corpus).
pub fn encode_raft_append(entries: Vec<openraft::Entry<TypeConfig>>) -> Vec<u8> {
    let request = WireRequest::Raft(RaftRequest::AppendEntries(
        openraft::raft::AppendEntriesRequest {
            vote: openraft::Vote::new_committed(2, 7),
            prev_log_id: Some(openraft::LogId::new(
                openraft::CommittedLeaderId::new(2, 7),
                4,
            )),
            entries,
            leader_commit: Some(openraft::LogId::new(
                openraft::CommittedLeaderId::new(2, 7),
                4,
            )),
        },
    ));
    write(request)
}

/// Encodes the other Raft requests (a vote, a snapshot chunk) and an `App` request
/// carrying `app`, as the transport writes them.
pub fn encode_seed_requests(app: &[u8]) -> Vec<Vec<u8>> {
    let leader = openraft::CommittedLeaderId::new(3, 9);
    vec![
        write(WireRequest::Raft(RaftRequest::Vote(
            openraft::raft::VoteRequest {
                vote: openraft::Vote::new(3, 9),
                last_log_id: Some(openraft::LogId::new(leader, 12)),
            },
        ))),
        write(WireRequest::Raft(RaftRequest::InstallSnapshot(
            openraft::raft::InstallSnapshotRequest {
                vote: openraft::Vote::new_committed(3, 9),
                meta: openraft::SnapshotMeta {
                    last_log_id: Some(openraft::LogId::new(leader, 12)),
                    last_membership: Default::default(),
                    snapshot_id: "3-9-12".into(),
                },
                offset: 0,
                data: b"TRFSNAP1".to_vec(),
                done: false,
            },
        ))),
        write(WireRequest::App(app.to_vec())),
    ]
}

fn write(request: WireRequest) -> Vec<u8> {
    let mut out = Vec::new();
    futures::executor::block_on(codec().write_request(&protocol(), &mut out, request))
        .expect("a request encodes");
    out
}
