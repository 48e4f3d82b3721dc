//! The task that owns the libp2p swarm.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use libp2p::request_response::{self, cbor, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
    allow_block_list, connection_limits, noise, tcp, yamux, Multiaddr, PeerId, StreamProtocol,
    Swarm,
};
use tokio::sync::{mpsc, oneshot};
use truffle_ledger::PublicKey;

use super::{
    peer_id_of, AppHandler, P2pConfig, P2pError, PeerInfo, RaftReply, RaftRequest, SwarmCommand,
    WireRequest, WireResponse, MAX_MESSAGE_BYTES,
};
use crate::{ConsensusError, Raft};

#[derive(NetworkBehaviour)]
struct Behaviour {
    allowed: allow_block_list::Behaviour<allow_block_list::AllowedPeers>,
    limits: connection_limits::Behaviour,
    rpc: cbor::Behaviour<WireRequest, WireResponse>,
}

struct Peer {
    key: PublicKey,
    address: Multiaddr,
}

struct State {
    swarm: Swarm<Behaviour>,
    peers: HashMap<PeerId, Peer>,
    connected: HashSet<PeerId>,
    /// Allowed follower nodes (validators only): they may connect and sync.
    followers: HashMap<PeerId, PublicKey>,
    follower_mode: bool,
    partitioned: HashSet<PeerId>,
    pending: HashMap<OutboundRequestId, oneshot::Sender<Result<WireResponse, P2pError>>>,
    app: Arc<dyn AppHandler>,
    raft: Arc<OnceLock<Raft>>,
    responses: mpsc::Sender<(ResponseChannel<WireResponse>, WireResponse)>,
}

/// Builds the swarm and spawns its task.
pub(super) fn spawn(
    config: P2pConfig,
    app: Arc<dyn AppHandler>,
    raft: Arc<OnceLock<Raft>>,
    commands: mpsc::Receiver<SwarmCommand>,
) -> Result<(), ConsensusError> {
    let identity = libp2p::identity::Keypair::ed25519_from_bytes(config.keypair.seed())
        .map_err(|e| ConsensusError::P2p(e.to_string()))?;
    let protocol =
        StreamProtocol::try_from_owned(format!("/truffle/{}/1", &config.chain_id.to_hex()[..16]))
            .map_err(|e| ConsensusError::P2p(e.to_string()))?;
    let validator_count = config.validators.len() as u32;
    let request_timeout = config.request_timeout;
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(identity)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| ConsensusError::P2p(e.to_string()))?
        .with_behaviour(|_| {
            let codec = cbor::codec::Codec::default()
                .set_request_size_maximum(MAX_MESSAGE_BYTES)
                .set_response_size_maximum(MAX_MESSAGE_BYTES);
            let rpc = request_response::Behaviour::with_codec(
                codec,
                [(protocol, ProtocolSupport::Full)],
                request_response::Config::default()
                    .with_request_timeout(request_timeout)
                    .with_max_concurrent_streams(256),
            );
            // Strangers are refused after the Noise handshake by the allowlist; bound how
            // many of them can hold a connection attempt open before that.
            let limits = connection_limits::ConnectionLimits::default()
                .with_max_pending_incoming(Some(16))
                // Allowed followers hold connections too.
                .with_max_established_incoming(Some(
                    validator_count * 2 + 8 + 2 * truffle_ledger::types::MAX_FOLLOWERS as u32,
                ))
                .with_max_established_per_peer(Some(2));
            Behaviour {
                allowed: allow_block_list::Behaviour::default(),
                limits: connection_limits::Behaviour::new(limits),
                rpc,
            }
        })
        .map_err(|e| ConsensusError::P2p(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3_600)))
        .build();
    swarm
        .listen_on(config.listen.clone())
        .map_err(|e| ConsensusError::P2p(format!("cannot listen on {}: {e}", config.listen)))?;

    let (responses, response_receiver) = mpsc::channel(1_024);
    let mut state = State {
        swarm,
        peers: HashMap::new(),
        connected: HashSet::new(),
        followers: HashMap::new(),
        follower_mode: config.follower_mode,
        partitioned: HashSet::new(),
        pending: HashMap::new(),
        app,
        raft,
        responses,
    };
    let local = config.keypair.public();
    state.set_validators(
        config
            .validators
            .into_iter()
            .filter(|(key, _)| *key != local)
            .collect(),
    );
    state.set_followers(config.followers);
    tokio::spawn(run(state, commands, response_receiver));
    Ok(())
}

async fn run(
    mut state: State,
    mut commands: mpsc::Receiver<SwarmCommand>,
    mut responses: mpsc::Receiver<(ResponseChannel<WireResponse>, WireResponse)>,
) {
    let mut redial = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            event = state.swarm.select_next_some() => state.on_event(event),
            command = commands.recv() => match command {
                Some(command) => state.on_command(command),
                None => break,
            },
            Some((channel, response)) = responses.recv() => {
                let _ = state.swarm.behaviour_mut().rpc.send_response(channel, response);
            }
            _ = redial.tick() => state.redial(),
        }
    }
    tracing::info!(target: "p2p", "transport stopped");
}

impl State {
    fn set_validators(&mut self, validators: Vec<(PublicKey, Multiaddr)>) {
        let wanted: HashMap<PeerId, Peer> = validators
            .into_iter()
            .map(|(key, address)| (peer_id_of(&key), Peer { key, address }))
            .collect();
        let removed: Vec<PeerId> = self
            .peers
            .keys()
            .filter(|p| !wanted.contains_key(p))
            .copied()
            .collect();
        for peer in removed {
            self.swarm.behaviour_mut().allowed.disallow_peer(peer);
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        for (peer_id, peer) in &wanted {
            self.swarm.behaviour_mut().allowed.allow_peer(*peer_id);
            self.swarm.add_peer_address(*peer_id, peer.address.clone());
        }
        self.peers = wanted;
    }

    fn set_followers(&mut self, followers: Vec<PublicKey>) {
        let wanted: HashMap<PeerId, PublicKey> =
            followers.into_iter().map(|k| (peer_id_of(&k), k)).collect();
        let removed: Vec<PeerId> = self
            .followers
            .keys()
            .filter(|p| !wanted.contains_key(p) && !self.peers.contains_key(p))
            .copied()
            .collect();
        for peer in removed {
            // A revoked follower is cut off now, not at its next request.
            self.swarm.behaviour_mut().allowed.disallow_peer(peer);
            let _ = self.swarm.disconnect_peer_id(peer);
            tracing::info!(target: "p2p", %peer, "follower no longer allowed: disconnected");
        }
        for peer in wanted.keys() {
            self.swarm.behaviour_mut().allowed.allow_peer(*peer);
        }
        self.followers = wanted;
    }

    fn redial(&mut self) {
        let targets: Vec<(PeerId, Multiaddr)> = self
            .peers
            .iter()
            .filter(|(id, _)| !self.connected.contains(id) && !self.partitioned.contains(id))
            .map(|(id, peer)| (*id, peer.address.clone()))
            .collect();
        for (peer, address) in targets {
            let options = libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
                .addresses(vec![address])
                .condition(libp2p::swarm::dial_opts::PeerCondition::DisconnectedAndNotDialing)
                .build();
            let _ = self.swarm.dial(options);
        }
    }

    fn on_command(&mut self, command: SwarmCommand) {
        match command {
            SwarmCommand::Request {
                peer,
                request,
                reply,
            } => {
                if self.partitioned.contains(&peer) {
                    let _ = reply.send(Err(P2pError::Unreachable(
                        peer.to_string(),
                        "partitioned".into(),
                    )));
                    return;
                }
                if !self.peers.contains_key(&peer) {
                    let _ = reply.send(Err(P2pError::Unreachable(
                        peer.to_string(),
                        "not a validator".into(),
                    )));
                    return;
                }
                let id = self.swarm.behaviour_mut().rpc.send_request(&peer, *request);
                self.pending.insert(id, reply);
            }
            SwarmCommand::SetValidators(validators) => {
                let local = *self.swarm.local_peer_id();
                self.set_validators(
                    validators
                        .into_iter()
                        .filter(|(k, _)| peer_id_of(k) != local)
                        .collect(),
                );
            }
            SwarmCommand::SetFollowers(followers) => self.set_followers(followers),
            SwarmCommand::Partition(keys) => {
                for key in keys {
                    let peer = peer_id_of(&key);
                    self.partitioned.insert(peer);
                    let _ = self.swarm.disconnect_peer_id(peer);
                }
            }
            SwarmCommand::Heal => self.partitioned.clear(),
            SwarmCommand::Peers(reply) => {
                let mut peers: Vec<PeerInfo> = self
                    .peers
                    .iter()
                    .map(|(id, peer)| PeerInfo {
                        key: peer.key,
                        address: peer.address.to_string(),
                        connected: self.connected.contains(id),
                        partitioned: self.partitioned.contains(id),
                    })
                    .collect();
                peers.sort_by_key(|p| p.key);
                let _ = reply.send(peers);
            }
        }
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(target: "p2p", %address, "listening");
            }
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                if self.partitioned.contains(&peer_id) {
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                } else if self.connected.insert(peer_id) {
                    tracing::debug!(target: "p2p", %peer_id, "connected");
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.connected.remove(&peer_id);
                tracing::debug!(target: "p2p", %peer_id, "disconnected");
            }
            SwarmEvent::IncomingConnectionError { error, .. } => {
                tracing::debug!(target: "p2p", %error, "incoming connection refused");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Rpc(event)) => self.on_rpc(event),
            _ => {}
        }
    }

    fn on_rpc(&mut self, event: request_response::Event<WireRequest, WireResponse>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => self.serve(peer, request, channel),
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.pending.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some(reply) = self.pending.remove(&request_id) {
                    let _ = reply.send(Err(P2pError::Unreachable(
                        peer.to_string(),
                        error.to_string(),
                    )));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(target: "p2p", %peer, %error, "inbound request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    /// Answers a request in its own task, so a slow answer never stalls the swarm.
    fn serve(
        &mut self,
        peer: PeerId,
        request: WireRequest,
        channel: ResponseChannel<WireResponse>,
    ) {
        if self.partitioned.contains(&peer) {
            // Dropping the channel fails the request on the sender's side, as a cut link would.
            return;
        }
        if self.follower_mode {
            let _ = self.swarm.behaviour_mut().rpc.send_response(
                channel,
                WireResponse::Refused("a follower node answers no peer requests".into()),
            );
            return;
        }
        if let Some(from) = self.followers.get(&peer).copied() {
            self.serve_follower(from, request, channel);
            return;
        }
        let Some(from) = self.peers.get(&peer).map(|p| p.key) else {
            let _ = self
                .swarm
                .behaviour_mut()
                .rpc
                .send_response(channel, WireResponse::Refused("not a validator".into()));
            return;
        };
        let raft = self.raft.get().cloned();
        let app = self.app.clone();
        let responses = self.responses.clone();
        tokio::spawn(async move {
            let response = match request {
                WireRequest::App(bytes) => WireResponse::App(
                    app.handle(from, bytes)
                        .await
                        .map(serde_bytes::ByteBuf::from),
                ),
                WireRequest::Follower(_) => {
                    WireResponse::Refused("follower requests come from followers".into())
                }
                WireRequest::Raft(request) => match raft {
                    None => WireResponse::Refused("raft is not running yet".into()),
                    Some(raft) => WireResponse::Raft(match request {
                        RaftRequest::AppendEntries(rpc) => {
                            RaftReply::AppendEntries(raft.append_entries(rpc).await)
                        }
                        RaftRequest::Vote(rpc) => RaftReply::Vote(raft.vote(rpc).await),
                        RaftRequest::InstallSnapshot(rpc) => {
                            RaftReply::InstallSnapshot(raft.install_snapshot(rpc).await)
                        }
                    }),
                },
            };
            let _ = responses.send((channel, response)).await;
        });
    }

    /// A follower's request: only follower requests, never Raft or validator messages.
    fn serve_follower(
        &mut self,
        from: PublicKey,
        request: WireRequest,
        channel: ResponseChannel<WireResponse>,
    ) {
        let WireRequest::Follower(bytes) = request else {
            let _ = self.swarm.behaviour_mut().rpc.send_response(
                channel,
                WireResponse::Refused("a follower may only sync".into()),
            );
            return;
        };
        let app = self.app.clone();
        let responses = self.responses.clone();
        tokio::spawn(async move {
            let response = WireResponse::App(
                app.handle_follower(from, bytes)
                    .await
                    .map(serde_bytes::ByteBuf::from),
            );
            let _ = responses.send((channel, response)).await;
        });
    }
}
