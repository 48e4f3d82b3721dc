//! Requests between validators: the engine's own (forwarded transactions, header votes,
//! certificates, service proposals, read indexes) and those of features' peer services.
//!
//! The transport hands each request to a [`PeerInbox`], which queues it for the
//! engine's [`serve`] task: the transport starts before the engine exists (Raft needs
//! the transport), and the queue lets it do so without a back reference.

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use truffle_consensus::network::AppHandler;
use truffle_ledger::PublicKey;

use crate::engine::Engine;
use crate::error::{EngineError, PeerError, Refusal};
use crate::protocol::{PeerRequest, PeerResponse, MAX_CERTIFICATES_PER_REQUEST, MAX_SERVICE_NAME};

/// Requests waiting for the engine; more wait in the transport.
const INBOX_CAPACITY: usize = 1_024;

pub(crate) struct InboundRequest {
    from: PublicKey,
    /// From an allowed follower node (a [`crate::follower::FollowerRequest`]).
    follower: bool,
    bytes: Vec<u8>,
    reply: oneshot::Sender<Result<Vec<u8>, Refusal>>,
}

/// The transport's side of the queue.
pub(crate) struct PeerInbox {
    sender: mpsc::Sender<InboundRequest>,
}

impl PeerInbox {
    pub(crate) fn new() -> (PeerInbox, mpsc::Receiver<InboundRequest>) {
        let (sender, receiver) = mpsc::channel(INBOX_CAPACITY);
        (PeerInbox { sender }, receiver)
    }
}

impl PeerInbox {
    fn queue(
        &self,
        from: PublicKey,
        follower: bool,
        request: Vec<u8>,
    ) -> BoxFuture<'static, Result<Vec<u8>, Refusal>> {
        let sender = self.sender.clone();
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            sender
                .send(InboundRequest {
                    from,
                    follower,
                    bytes: request,
                    reply,
                })
                .await
                .map_err(|_| Refusal::new("the node is stopping"))?;
            answer
                .await
                .map_err(|_| Refusal::new("the node dropped the request"))?
        })
    }
}

impl AppHandler for PeerInbox {
    fn handle(
        &self,
        from: PublicKey,
        request: Vec<u8>,
    ) -> BoxFuture<'static, Result<Vec<u8>, Refusal>> {
        self.queue(from, false, request)
    }

    fn handle_follower(
        &self,
        from: PublicKey,
        request: Vec<u8>,
    ) -> BoxFuture<'static, Result<Vec<u8>, Refusal>> {
        self.queue(from, true, request)
    }
}

/// Serves queued requests until the engine stops, each in its own task (a service
/// proposal waits for its commit; others must not wait behind it).
pub(crate) async fn serve(engine: Engine, mut requests: mpsc::Receiver<InboundRequest>) {
    loop {
        let request = tokio::select! {
            request = requests.recv() => match request {
                Some(request) => request,
                None => return,
            },
            _ = engine.stopping() => return,
        };
        let engine = engine.clone();
        tokio::spawn(async move {
            if request.follower {
                let answer =
                    match borsh::from_slice::<crate::follower::FollowerRequest>(&request.bytes) {
                        Ok(decoded) => engine
                            .handle_follower_request(request.from, decoded)
                            .await
                            .map(|response| {
                                borsh::to_vec(&response).expect("encoding to a Vec cannot fail")
                            }),
                        Err(error) => Err(Refusal::new(format!("bad request: {error}"))),
                    };
                let _ = request.reply.send(answer);
                return;
            }
            let answer = match borsh::from_slice::<PeerRequest>(&request.bytes) {
                Ok(PeerRequest::Evidence(_))
                    if request.bytes.len() > truffle_ledger::evidence::MAX_EVIDENCE_BYTES + 1 =>
                {
                    Err(Refusal::new(format!(
                        "evidence is at most {} bytes",
                        truffle_ledger::evidence::MAX_EVIDENCE_BYTES
                    )))
                }
                Ok(decoded) => {
                    engine
                        .handle_peer_request(request.from, decoded)
                        .await
                        .map(|response| {
                            borsh::to_vec(&response).expect("encoding to a Vec cannot fail")
                        })
                }
                Err(error) => Err(Refusal::new(format!("bad request: {error}"))),
            };
            let _ = request.reply.send(answer);
        });
    }
}

impl Engine {
    pub(crate) async fn handle_peer_request(
        &self,
        from: PublicKey,
        request: PeerRequest,
    ) -> Result<PeerResponse, Refusal> {
        match request {
            PeerRequest::ForwardTransactions(txs) => {
                let verdicts = self.accept_forwarded(txs).await?;
                Ok(PeerResponse::Forwarded(verdicts))
            }
            PeerRequest::HeaderVote { header, vote } => {
                if vote.validator != from {
                    return Err(Refusal::new("a validator may only send its own vote"));
                }
                let height = header.height;
                let validators = crate::certifier::certifying_set(&self.inner.store, height);
                match self.inner.certifier.on_vote(*header, vote, &validators) {
                    Ok(crate::certifier::VoteOutcome::Certified) => self.note_certified(height),
                    Ok(crate::certifier::VoteOutcome::Divergent {
                        validator,
                        height,
                        theirs,
                        ours,
                    }) => {
                        tracing::warn!(target: "certifier", height, %validator, %theirs, %ours, "vote for another header than the one applied here")
                    }
                    Ok(_) => {}
                    Err(error) => {
                        // Refused, not only logged: the sender learns it, and /metrics
                        // counts what a lying validator tried.
                        self.inner.metrics.on_vote_refused(error.reason());
                        tracing::debug!(target: "certifier", %error, "vote refused");
                        return Err(Refusal::new(format!("vote refused: {error}")));
                    }
                }
                self.send_fresh_evidence();
                Ok(PeerResponse::VoteTaken)
            }
            PeerRequest::Evidence(evidence) => {
                let validators =
                    crate::certifier::certifying_set(&self.inner.store, evidence.height());
                evidence
                    .check(&self.inner.chain_id, &validators)
                    .map_err(|e| Refusal::new(format!("evidence refused: {e}")))?;
                let new = self.inner.certifier.store_evidence(&evidence);
                if new {
                    tracing::error!(target: "certifier", height = evidence.height(), validator = %evidence.validator, %from, "equivocation evidence received from a peer and filed");
                    self.inner.metrics.on_evidence("peer");
                    // Passed on once (a record new here may be new to others).
                    self.broadcast_evidence(vec![*evidence], Some(from));
                }
                Ok(PeerResponse::EvidenceTaken(new))
            }
            PeerRequest::ProposeService(command) => {
                if !self.is_leader() {
                    return Err(Refusal::new("not the leader"));
                }
                let (reply, log_index) = self
                    .propose_service_here(command)
                    .await
                    .map_err(|e| Refusal::new(e.to_string()))?;
                Ok(PeerResponse::ServiceApplied { reply, log_index })
            }
            PeerRequest::ReadIndex => {
                let read = self
                    .inner
                    .raft
                    .ensure_linearizable()
                    .await
                    .map_err(|e| Refusal::new(e.to_string()))?;
                Ok(PeerResponse::ReadIndex(read.map(|l| l.index).unwrap_or(0)))
            }
            PeerRequest::GetCertificates { from: first, to } => {
                let last = to.min(first.saturating_add(MAX_CERTIFICATES_PER_REQUEST - 1));
                let mut certificates = Vec::new();
                for height in first..=last {
                    if let Some(certificate) = self
                        .inner
                        .store
                        .certificate(height)
                        .map_err(|e| Refusal::new(e.to_string()))?
                    {
                        certificates.push(certificate);
                    }
                }
                Ok(PeerResponse::Certificates(certificates))
            }
            PeerRequest::Feature { service, body } => {
                let handler = self
                    .peer_service(&service)
                    .ok_or_else(|| Refusal::new(format!("no peer service {service:?} here")))?;
                Ok(PeerResponse::Feature(handler.handle(from, body).await?))
            }
        }
    }

    /// Sends the evidence the certifier filed since the last call to every other
    /// validator.
    pub(crate) fn send_fresh_evidence(&self) {
        let fresh = self.inner.certifier.take_fresh_evidence();
        for _ in &fresh {
            self.inner.metrics.on_evidence("detected");
        }
        if !fresh.is_empty() {
            self.broadcast_evidence(fresh, None);
        }
    }

    /// Sends each record to every validator but this one and `except`.
    pub(crate) fn broadcast_evidence(
        &self,
        records: Vec<truffle_ledger::Evidence>,
        except: Option<PublicKey>,
    ) {
        let own = self.inner.key.public();
        let peers: Vec<PublicKey> = self
            .validator_keys()
            .into_iter()
            .filter(|k| *k != own && Some(*k) != except)
            .collect();
        for record in records {
            for peer in &peers {
                let engine = self.clone();
                let peer = *peer;
                let record = record.clone();
                // Kept and sent again later when the peer cannot be reached now.
                tokio::spawn(async move { engine.deliver_evidence(peer, record).await });
            }
        }
    }

    pub(crate) async fn send_to_peer(
        &self,
        to: &PublicKey,
        request: &PeerRequest,
    ) -> Result<PeerResponse, PeerError> {
        let bytes = borsh::to_vec(request).expect("encoding to a Vec cannot fail");
        let answer = self
            .inner
            .p2p
            .request_app(to, bytes)
            .await
            .map_err(|e| match e {
                truffle_consensus::network::P2pError::Refused(reason) => PeerError::Refused(reason),
                other => PeerError::Unreachable(other.to_string()),
            })?;
        borsh::from_slice(&answer).map_err(|e| PeerError::BadAnswer(e.to_string()))
    }

    /// Sends `body` to the peer service `service` on the validator `to` and returns its
    /// answer.
    pub async fn ask_peer(
        &self,
        to: &PublicKey,
        service: &str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, EngineError> {
        if service.len() > MAX_SERVICE_NAME {
            return Err(EngineError::Config(format!(
                "peer service names are at most {MAX_SERVICE_NAME} bytes"
            )));
        }
        let request = PeerRequest::Feature {
            service: service.to_owned(),
            body,
        };
        match self.send_to_peer(to, &request).await? {
            PeerResponse::Feature(answer) => Ok(answer),
            _ => Err(PeerError::BadAnswer("not a feature answer".into()).into()),
        }
    }
}
