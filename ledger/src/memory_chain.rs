//! A chain held in memory: genesis plus every applied block, over a [`MemoryStore`].
//! Tests drive the state machine with it, and auditors re-execute a served chain
//! with it to check every state root.

use crate::block::{Block, BlockHeader, BlockProposal};
use crate::crypto::Keypair;
use crate::error::LedgerResult;
use crate::exec::{execute_block, genesis_block, GenesisState};
use crate::hash::Hash;
use crate::state::MemoryStore;
use crate::tx::{Payload, SignedTransaction, Transaction};

/// A chain in memory.
pub struct MemoryChain {
    store: MemoryStore,
    head: BlockHeader,
}

impl MemoryChain {
    /// A chain holding only its genesis block.
    pub fn new(genesis: &GenesisState) -> LedgerResult<MemoryChain> {
        let store = MemoryStore::new();
        let executed = genesis_block(&store, genesis)?;
        store.commit(&executed.changes, &executed.tree_update);
        Ok(MemoryChain {
            store,
            head: executed.block.header,
        })
    }

    /// Applies a proposal and returns the block it became.
    pub fn apply(&mut self, proposal: &BlockProposal) -> LedgerResult<Block> {
        let executed = execute_block(&self.store, &self.head, proposal)?;
        self.store.commit(&executed.changes, &executed.tree_update);
        self.head = executed.block.header.clone();
        Ok(executed.block)
    }

    /// The latest header.
    pub fn head(&self) -> &BlockHeader {
        &self.head
    }

    /// The chain id.
    pub fn chain_id(&self) -> Hash {
        self.head.chain_id
    }

    /// The state.
    pub fn store(&self) -> &MemoryStore {
        &self.store
    }

    /// Signs `payload` by `key` with the account's next nonce.
    pub fn sign(&self, key: &Keypair, payload: Payload) -> LedgerResult<SignedTransaction> {
        let nonce = self.next_nonce(key)?;
        Ok(Transaction {
            chain_id: self.chain_id(),
            signer: key.public(),
            nonce,
            payload,
        }
        .sign(key))
    }

    /// The nonce the account's next transaction must carry (0 for unknown accounts).
    pub fn next_nonce(&self, key: &Keypair) -> LedgerResult<u64> {
        use crate::state::{decode_record, keys, StateView};
        Ok(match self.store.get(&keys::account(&key.public()))? {
            Some(bytes) => decode_record::<crate::types::Account>("account", &bytes)?.nonce,
            None => 0,
        })
    }
}
