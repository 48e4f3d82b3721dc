//! The raffle draw: a pure function from a seed and the entrants to the winners.
//!
//! The seed combines three inputs, none of which one party controls once entry closes:
//!
//! 1. the hash of the **closing block** (the first block at or past the close: by height
//!    for a height window), which fixes the entrants;
//! 2. every **validator's VRF output** over [`vrf_input`] (chain id, raffle id, closing
//!    block hash): ECVRF-EDWARDS25519-SHA512-TAI under its ed25519 key
//!    ([`crate::vrf`]). The output is unique for its key and input, so a validator can
//!    only give it or withhold it, and nobody predicts it without that key. All the
//!    validators in force after the closing block must contribute; a raffle with one
//!    missing past the contribution deadline is void, never drawn from a subset, so the
//!    leader cannot choose which contributions count by leaving some out;
//! 3. the **seller's secret**, committed at creation and revealed only after every
//!    contribution is on the ledger; withheld past the reveal deadline, the raffle is
//!    void and the miss is on the seller's account (`exec/raffles.rs`).
//!
//! [`draw_seed`] is blake3 over all of them; the winners are a partial Fisher–Yates
//! shuffle driven by blake3's output stream, with rejection sampling so every entrant is
//! exactly equally likely. The argument (who can bias what) is in ARCHITECTURE.md,
//! "Raffle randomness".

use crate::crypto::{Keypair, PublicKey};
use crate::hash::{domain, Hash};
use crate::types::{RaffleRandomness, VrfProof};
use crate::vrf::{self, OUTPUT_LEN};

/// What every validator proves its VRF over for raffle `raffle` closed by the block
/// `closing_hash`, on chain `chain_id`: fixed once the closing block exists, and by no
/// one's choice after it.
pub fn vrf_input(chain_id: &Hash, raffle: u64, closing_hash: &Hash) -> Hash {
    Hash::tagged(
        domain::RAFFLE_VRF,
        &[
            chain_id.as_bytes(),
            &raffle.to_be_bytes(),
            closing_hash.as_bytes(),
        ],
    )
}

/// The proof a validator holding `key` contributes to raffle `raffle` closed by the
/// block `closing_hash` on chain `chain_id` (what its node sends, by itself, after the
/// close).
pub fn contribution_proof(
    key: &Keypair,
    chain_id: &Hash,
    raffle: u64,
    closing_hash: &Hash,
) -> VrfProof {
    let input = vrf_input(chain_id, raffle, closing_hash);
    VrfProof(vrf::prove(key, input.as_bytes()).expect("a point is found for a 32-byte input"))
}

/// The validators' VRF outputs of a raffle's contributions, in key order (each proof
/// was verified by the ledger when it was contributed).
pub fn contribution_outputs(
    randomness: &RaffleRandomness,
) -> Result<Vec<(PublicKey, [u8; OUTPUT_LEN])>, vrf::VrfError> {
    randomness
        .contributions
        .iter()
        .map(|c| vrf::proof_to_hash(&c.proof.0).map(|output| (c.validator, output)))
        .collect()
}

/// The seed of raffle `raffle` closed by the block `closing_hash`, from the seller's
/// revealed secret and every validator's VRF output, sorted by validator key.
pub fn draw_seed(
    raffle: u64,
    closing_hash: &Hash,
    secret: &Hash,
    outputs: &[(PublicKey, [u8; OUTPUT_LEN])],
) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&(domain::RAFFLE_DRAW.len() as u32).to_le_bytes());
    hasher.update(domain::RAFFLE_DRAW);
    hasher.update(&raffle.to_be_bytes());
    hasher.update(closing_hash.as_bytes());
    hasher.update(secret.as_bytes());
    hasher.update(&(outputs.len() as u32).to_be_bytes());
    for (validator, output) in outputs {
        hasher.update(&validator.0);
        hasher.update(output);
    }
    Hash(*hasher.finalize().as_bytes())
}

/// A stream of uniform random numbers from a seed.
struct SeedStream {
    reader: blake3::OutputReader,
}

impl SeedStream {
    fn new(seed: &Hash) -> SeedStream {
        let mut hasher = blake3::Hasher::new();
        hasher.update(seed.as_bytes());
        SeedStream {
            reader: hasher.finalize_xof(),
        }
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.reader.fill(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    /// Uniform in `0..bound` (bound > 0), by rejection of the biased tail.
    fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let value = self.next_u64();
            if value < zone {
                return value % bound;
            }
        }
    }
}

/// Picks `count` distinct positions out of `0..entrants`, in draw order.
pub fn draw_positions(seed: &Hash, entrants: usize, count: usize) -> Vec<usize> {
    let count = count.min(entrants);
    let mut positions: Vec<usize> = (0..entrants).collect();
    let mut stream = SeedStream::new(seed);
    for i in 0..count {
        let j = i + stream.below((entrants - i) as u64) as usize;
        positions.swap(i, j);
    }
    positions.truncate(count);
    positions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The draw's own computation for 4 validators and 10,000 entrants (the outputs
    /// from the proofs, the seed, 3 positions): `cargo test -p truffle-ledger --lib
    /// draw::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        let closing = Hash::of(b"closing block");
        let chain = Hash::of(b"chain");
        let randomness = crate::types::RaffleRandomness {
            validators: Vec::new(),
            contributions: (0..4)
                .map(|i| {
                    let key = Keypair::from_name(&format!("validator-{i}"));
                    crate::types::RaffleContribution {
                        validator: key.public(),
                        proof: contribution_proof(&key, &chain, 1, &closing),
                    }
                })
                .collect(),
            contribution_deadline: crate::types::Deadline {
                height: 0,
                time_ms: 0,
            },
            reveal_deadline: None,
        };
        let runs = 2_000u32;
        let start = std::time::Instant::now();
        for i in 0..runs {
            let outputs = contribution_outputs(&randomness).unwrap();
            let seed = draw_seed(u64::from(i), &closing, &Hash::of(b"secret"), &outputs);
            assert_eq!(draw_positions(&seed, 10_000, 3).len(), 3);
        }
        println!(
            "draw (4 VRF outputs, seed, 3 of 10,000 positions): {:?} (mean of {runs})",
            start.elapsed() / runs
        );
    }

    #[test]
    fn positions_are_distinct_and_deterministic() {
        let seed = Hash::of(b"seed");
        let a = draw_positions(&seed, 100, 10);
        assert_eq!(a, draw_positions(&seed, 100, 10));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 10);
        assert!(a.iter().all(|p| *p < 100));
        assert_eq!(draw_positions(&seed, 3, 10).len(), 3);
        assert_ne!(a, draw_positions(&Hash::of(b"other"), 100, 10));
    }

    #[test]
    fn seed_depends_on_every_input() {
        let block = Hash::of(b"block");
        let secret = Hash::of(b"secret");
        let a = PublicKey([1; 32]);
        let b = PublicKey([2; 32]);
        let outputs = [(a, [7u8; 64]), (b, [9u8; 64])];
        let base = draw_seed(1, &block, &secret, &outputs);
        assert_eq!(
            base,
            draw_seed(1, &block, &secret, &outputs),
            "one outcome per inputs"
        );
        assert_ne!(base, draw_seed(2, &block, &secret, &outputs));
        assert_ne!(base, draw_seed(1, &Hash::of(b"other"), &secret, &outputs));
        assert_ne!(
            base,
            draw_seed(1, &block, &Hash::of(b"other secret"), &outputs)
        );
        let mut changed = outputs;
        changed[1].1[63] ^= 1;
        assert_ne!(base, draw_seed(1, &block, &secret, &changed));
        assert_ne!(base, draw_seed(1, &block, &secret, &outputs[..1]));
        let mut renamed = outputs;
        renamed[0].0 = PublicKey([3; 32]);
        assert_ne!(base, draw_seed(1, &block, &secret, &renamed));
        let chain = Hash::of(b"chain");
        assert_ne!(vrf_input(&chain, 1, &block), vrf_input(&chain, 2, &block));
        assert_ne!(
            vrf_input(&chain, 1, &block),
            vrf_input(&Hash::of(b"other chain"), 1, &block)
        );
    }

    /// Every entrant's chance of winning is equal: over many seeded draws of 3 winners
    /// out of 10 entrants, the win counts pass a chi-square test (9 degrees of freedom,
    /// critical value 27.88 at p = 0.001, so a fair draw fails one run in a thousand;
    /// the seeds are fixed, so the test is deterministic).
    #[test]
    fn draws_are_uniform_chi_square() {
        const ENTRANTS: usize = 10;
        const WINNERS: usize = 3;
        const RUNS: usize = 20_000;
        let mut wins = [0u64; ENTRANTS];
        for run in 0..RUNS {
            let seed = Hash::tagged(b"test", &[&(run as u64).to_le_bytes()]);
            for position in draw_positions(&seed, ENTRANTS, WINNERS) {
                wins[position] += 1;
            }
        }
        let expected = (RUNS * WINNERS) as f64 / ENTRANTS as f64;
        let chi_square: f64 = wins
            .iter()
            .map(|&w| (w as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            chi_square < 27.88,
            "chi-square {chi_square} for wins {wins:?}"
        );
        // Position in the entry order must not matter either: first and last entrants
        // win equally often within 5%.
        let ratio = wins[0] as f64 / wins[ENTRANTS - 1] as f64;
        assert!((0.95..1.05).contains(&ratio), "first/last ratio {ratio}");
    }
}
