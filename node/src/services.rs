//! The node's replicated services (the data that is replicated through Raft but is
//! not ledger history). Each service command is a borsh-encoded [`ServiceCommand`].

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_consensus::{ServiceApplier, ServiceOutcome};
use truffle_store::Store;

/// A command to the replicated services.
#[derive(Debug, BorshSerialize, BorshDeserialize)]
pub enum ServiceCommand {
    /// Records that a node saw the cluster at a time (a liveness mark; keeps the
    /// service channel exercised end to end).
    Mark {
        /// The proposing node's clock, ms.
        time_ms: u64,
    },
}

/// Applies service commands.
#[derive(Default)]
pub struct Services;

impl ServiceApplier for Services {
    fn apply(&self, _store: &Store, command: &[u8]) -> Result<ServiceOutcome, String> {
        let command: ServiceCommand =
            borsh::from_slice(command).map_err(|e| format!("bad service command: {e}"))?;
        match command {
            ServiceCommand::Mark { time_ms } => Ok(ServiceOutcome {
                changes: vec![(b"mark".to_vec(), Some(time_ms.to_be_bytes().to_vec()))],
                response: Vec::new(),
            }),
        }
    }
}
