//! Blocks, headers, certificates and the transaction index.

use borsh::{BorshDeserialize, BorshSerialize};
use rocksdb::{Direction, IteratorMode, WriteBatch};
use truffle_ledger::{Block, BlockHeader, Certificate, ExecutedBlock, Hash, Receipt};

use crate::error::{decode, encode, StoreResult};
use crate::{cf, Store};

/// Where a transaction is in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TxLocation {
    /// Block height.
    pub height: u64,
    /// Index within the block.
    pub index: u32,
}

const HEAD_KEY: &[u8] = b"head";

impl Store {
    /// Writes an applied block atomically: state changes, tree nodes, body, header,
    /// transaction index, the new head, and `meta` entries (the consensus layer passes
    /// the Raft position of the block here, so both move together).
    pub fn commit_block(
        &self,
        executed: &ExecutedBlock,
        meta: &[(&[u8], Vec<u8>)],
    ) -> StoreResult<()> {
        let mut batch = WriteBatch::default();
        self.stage_state(&mut batch, &executed.changes, &executed.tree_update)?;
        let block = &executed.block;
        let height_key = block.header.height.to_be_bytes();
        batch.put_cf(self.family(cf::BLOCKS), height_key, encode(block));
        batch.put_cf(self.family(cf::HEADERS), height_key, encode(&block.header));
        let tx_index = self.family(cf::TX_INDEX);
        let mut indexed_here = std::collections::HashSet::new();
        for (index, receipt) in block.receipts.iter().enumerate() {
            // A transaction included again (a replay, or a re-proposal after a leader
            // change) is refused the second time; its index entry keeps pointing at the
            // inclusion that applied.
            let seen = indexed_here.contains(&receipt.tx_hash)
                || self
                    .db
                    .get_cf(tx_index, receipt.tx_hash.as_bytes())?
                    .is_some();
            if seen && !receipt.is_applied() {
                continue;
            }
            indexed_here.insert(receipt.tx_hash);
            let location = TxLocation {
                height: block.header.height,
                index: index as u32,
            };
            // The receipt rides along, so that following a transaction never decodes
            // its whole block.
            batch.put_cf(
                tx_index,
                receipt.tx_hash.as_bytes(),
                encode(&(location, receipt)),
            );
        }
        let meta_family = self.family(cf::META);
        batch.put_cf(meta_family, HEAD_KEY, encode(&block.header));
        for (key, value) in meta {
            batch.put_cf(meta_family, key, value);
        }
        self.write(batch, false)
    }

    /// Writes `meta` entries alone (for Raft entries that carry no block).
    pub fn put_meta(&self, meta: &[(&[u8], Vec<u8>)]) -> StoreResult<()> {
        let mut batch = WriteBatch::default();
        let family = self.family(cf::META);
        for (key, value) in meta {
            batch.put_cf(family, key, value);
        }
        self.write(batch, false)
    }

    /// Reads a `meta` entry.
    pub fn get_meta(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.family(cf::META), key)?)
    }

    /// The latest applied header, if the chain has begun.
    pub fn head(&self) -> StoreResult<Option<BlockHeader>> {
        match self.get_meta(HEAD_KEY)? {
            Some(bytes) => Ok(Some(decode("head", &bytes)?)),
            None => Ok(None),
        }
    }

    /// The header at `height`.
    pub fn header(&self, height: u64) -> StoreResult<Option<BlockHeader>> {
        match self
            .db
            .get_cf(self.family(cf::HEADERS), height.to_be_bytes())?
        {
            Some(bytes) => Ok(Some(decode("header", &bytes)?)),
            None => Ok(None),
        }
    }

    /// The block at `height`.
    pub fn block(&self, height: u64) -> StoreResult<Option<Block>> {
        match self
            .db
            .get_cf(self.family(cf::BLOCKS), height.to_be_bytes())?
        {
            Some(bytes) => Ok(Some(decode("block", &bytes)?)),
            None => Ok(None),
        }
    }

    /// Headers from `from` on, at most `limit`.
    pub fn headers_from(&self, from: u64, limit: usize) -> StoreResult<Vec<BlockHeader>> {
        let start = from.to_be_bytes();
        let mode = IteratorMode::From(&start, Direction::Forward);
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(self.family(cf::HEADERS), mode)
            .take(limit)
        {
            let (_, value) = item?;
            out.push(decode("header", &value)?);
        }
        Ok(out)
    }

    /// Stores the certificate of a block.
    pub fn put_certificate(&self, certificate: &Certificate) -> StoreResult<()> {
        let mut batch = WriteBatch::default();
        batch.put_cf(
            self.family(cf::CERTIFICATES),
            certificate.height.to_be_bytes(),
            encode(certificate),
        );
        self.write(batch, false)
    }

    /// The certificate of the block at `height`, if gathered.
    pub fn certificate(&self, height: u64) -> StoreResult<Option<Certificate>> {
        match self
            .db
            .get_cf(self.family(cf::CERTIFICATES), height.to_be_bytes())?
        {
            Some(bytes) => Ok(Some(decode("certificate", &bytes)?)),
            None => Ok(None),
        }
    }

    /// Where a transaction was included.
    pub fn tx_location(&self, tx_hash: &Hash) -> StoreResult<Option<TxLocation>> {
        Ok(self.tx_receipt(tx_hash)?.map(|(location, _)| location))
    }

    /// Where a transaction was included, and its receipt.
    pub fn tx_receipt(&self, tx_hash: &Hash) -> StoreResult<Option<(TxLocation, Receipt)>> {
        match self
            .db
            .get_cf(self.family(cf::TX_INDEX), tx_hash.as_bytes())?
        {
            Some(bytes) => Ok(Some(decode("tx index entry", &bytes)?)),
            None => Ok(None),
        }
    }
}
