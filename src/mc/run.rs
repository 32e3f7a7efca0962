//! What every sampler shares: the site order, the per-sweep progress report, the checkpoint record and the
//! outcome.

use crate::rng::{self, Rng};
use crate::weights::Weights;
use serde::{Deserialize, Serialize};

/// How a sweep visits the sites.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// N proposals at uniformly random sites.
    Random,
    /// Every site once, in a fresh random permutation each sweep.
    Permutation,
    /// Cache-friendly, for instances beyond the caches: ⌈N/[`BLOCK_PASSES`]⌉ sites drawn without
    /// repetition, cut into blocks whose columns fit in L2 ([`BLOCK_BYTES`]), each block proposed
    /// [`BLOCK_PASSES`] times in a row; N proposals per sweep ([`blocked_sites`]).
    Blocked,
}

/// [`Order::Blocked`]: how many times in a row each block of sites is proposed.
pub const BLOCK_PASSES: usize = 4;

/// [`Order::Blocked`]: the columns of one block take at most this many bytes (a quarter of a 1 MiB L2,
/// leaving room for the replicas' own rows).
pub const BLOCK_BYTES: usize = 256 << 10;

/// Sites per block of [`Order::Blocked`] when a proposal reads `column_bytes` bytes of the instance
/// (0: unknown, one block of all N sites); between 1 and N.
pub fn block_sites(n: usize, column_bytes: usize) -> usize {
    if column_bytes == 0 {
        return n.max(1);
    }
    (BLOCK_BYTES / column_bytes).clamp(1, n.max(1))
}

/// Who found the solution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "index")]
pub enum Found {
    /// Replica a (0 for SA).
    Replica(usize),
    /// The centre: the majority vote sign(Σ_a W^a) (traced) or the centre spins W̃ (explicit).
    Centre,
}

/// Everything a sampler needs, besides the replicas' weights, to continue a run exactly where it stopped
/// (at a sweep boundary): counters and the state of every random stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    pub sweeps: u64,
    pub proposals: u64,
    pub accepted: u64,
    /// The move streams: SA's one, or one per RSA replica.
    pub rngs: Vec<Rng>,
    /// RSA: the stream of the per-sweep site permutations.
    pub order_rng: Option<Rng>,
    /// RSA: the explicit centre's stream.
    pub centre_rng: Option<Rng>,
    /// RSA, explicit centre: the centre spins W̃ as `+`/`-`.
    pub centre_spins: Option<String>,
    /// Every replica's weights as `+`/`-`.
    pub weights: Vec<String>,
    /// The automatic dynamics: the moves accepted in the last sweep (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep_accepted: Option<u64>,
}

/// A snapshot handed to the observer after every sweep.
#[derive(Clone)]
pub struct Progress<'a> {
    /// Sweeps completed.
    pub sweep: u64,
    pub beta: f64,
    pub gamma: f64,
    /// E(W^a) of each replica.
    pub energies: &'a [i64],
    /// E of the centre (RSA only).
    pub centre_energy: Option<i64>,
    /// Mean replica–replica overlap q = (1/N) Σ_i W_i^a W_i^b over pairs a < b (RSA only).
    pub overlap: Option<f64>,
    pub proposals: u64,
    pub accepted: u64,
    /// Builds the [`Resume`] record of this moment (for a checkpoint); costs a copy of the weights.
    pub resume: &'a dyn Fn() -> Resume,
}

impl Progress<'_> {
    /// This moment as a trace row.
    pub fn sample(&self) -> Sample {
        Sample {
            sweep: self.sweep,
            beta: self.beta,
            gamma: self.gamma,
            energies: self.energies.to_vec(),
            overlap: self.overlap,
            centre_energy: self.centre_energy,
            proposals: self.proposals,
            accepted: self.accepted,
        }
    }
}

/// One row of a run's per-sweep trace: the state after sweep `sweep` (run at `beta`, `gamma`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub sweep: u64,
    pub beta: f64,
    pub gamma: f64,
    /// E(W^a) of each replica.
    pub energies: Vec<i64>,
    /// Mean replica–replica overlap (replicated ensembles only).
    pub overlap: Option<f64>,
    /// E of the centre (replicated ensembles only).
    pub centre_energy: Option<i64>,
    /// Metropolis-equivalent proposals and accepted moves so far.
    pub proposals: u64,
    pub accepted: u64,
}

/// The end of a run.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub solved: bool,
    pub found: Option<Found>,
    /// Sweeps run (a sweep cut short by a solution counts).
    pub sweeps: u64,
    pub proposals: u64,
    pub accepted: u64,
    /// The reported weights: the solution, or the lowest-energy replica.
    pub weights: Weights,
    pub energy: i64,
    /// Index of the replica reported (0 for SA).
    pub replica: usize,
    /// RSA: the centre's weights and energy at the end.
    pub centre: Option<(Weights, i64)>,
    /// Final energies of all replicas.
    pub energies: Vec<i64>,
    /// Final weights of all replicas.
    pub replicas: Vec<Weights>,
    /// One row per sweep when [`Sampling::trace`](super::Sampling) asked for it (else empty).
    pub trace: Vec<Sample>,
}

/// Metropolis acceptance of a move with cost x = β·ΔH: always when x ≤ 0, else with probability e^(−x).
#[inline]
pub fn metropolis(x: f64, rng: &mut Rng) -> bool {
    x <= 0.0 || rng::uniform(rng) < (-x).exp()
}

/// Fills `order` with the sites of one sweep ([`Order::Blocked`]: one block of all the drawn sites; the
/// driver sizes the blocks with [`blocked_sites`]).
pub fn sweep_sites(order: Order, n: usize, rng: &mut Rng, sites: &mut Vec<usize>) {
    sites.clear();
    match order {
        Order::Blocked => blocked_sites(n, n, rng, sites),
        Order::Random => sites.extend((0..n).map(|_| rng::below(rng, n as u64) as usize)),
        Order::Permutation => {
            sites.extend(0..n);
            for i in (1..n).rev() {
                let j = rng::below(rng, i as u64 + 1) as usize;
                sites.swap(i, j);
            }
        }
    }
}

/// The N sites of one sweep of [`Order::Blocked`] with blocks of `block` sites: k = ⌈N/[`BLOCK_PASSES`]⌉
/// distinct sites in random order (the first k steps of a Fisher–Yates shuffle), cut into blocks of
/// `block`; each block is repeated [`BLOCK_PASSES`] times, and the sequence is cut at N proposals.
pub fn blocked_sites(n: usize, block: usize, rng: &mut Rng, sites: &mut Vec<usize>) {
    sites.clear();
    let k = n.div_ceil(BLOCK_PASSES);
    let mut drawn: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + rng::below(rng, (n - i) as u64) as usize;
        drawn.swap(i, j);
    }
    for b in drawn[..k].chunks(block.max(1)) {
        for _ in 0..BLOCK_PASSES {
            let room = n - sites.len();
            sites.extend(b.iter().take(room));
        }
    }
}

crate::named!(Order, "site order" {
    Random => "random": "N proposals at uniformly random sites",
    Permutation => "permutation": "Every site once, in a fresh random permutation each sweep",
    Blocked => "blocked": "Cache-friendly for N ≳ 10⁵: a quarter of the sites, in blocks whose columns fit in L2, each block proposed 4 times in a row (N proposals per sweep)",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_sweeps_repeat_blocks_of_distinct_sites() {
        for (n, block) in [(1, 1), (10, 3), (13, 2), (100, 7), (101, 200)] {
            let mut rng = rng::stream(9, "t", n as u64);
            let mut sites = Vec::new();
            blocked_sites(n, block, &mut rng, &mut sites);
            assert_eq!(sites.len(), n, "N proposals per sweep");
            let k = n.div_ceil(BLOCK_PASSES);
            // The distinct sites, in the order of their first proposal.
            let mut seen = Vec::new();
            for &s in &sites {
                assert!(s < n);
                if !seen.contains(&s) {
                    seen.push(s);
                }
            }
            assert!(seen.len() <= k);
            // The sequence is each block of `seen` repeated BLOCK_PASSES times, cut at N.
            let mut want = Vec::new();
            for b in seen.chunks(block) {
                for _ in 0..BLOCK_PASSES {
                    want.extend_from_slice(b);
                }
            }
            want.truncate(n);
            assert_eq!(sites, want, "n={n} block={block}");
        }
        // Different sweeps draw different sites.
        let mut rng = rng::stream(9, "t", 0);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        blocked_sites(1000, 10, &mut rng, &mut a);
        blocked_sites(1000, 10, &mut rng, &mut b);
        assert_ne!(a, b);
        assert_eq!(block_sites(1000, 0), 1000);
        assert_eq!(block_sites(1000, 7552), BLOCK_BYTES / 7552);
        assert_eq!(block_sites(5, 64), 5);
        assert_eq!(block_sites(5, 1 << 30), 1);
    }
}
