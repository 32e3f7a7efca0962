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

/// Fills `order` with the sites of one sweep.
pub fn sweep_sites(order: Order, n: usize, rng: &mut Rng, sites: &mut Vec<usize>) {
    sites.clear();
    match order {
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

crate::named!(Order, "site order" {
    Random => "random": "N proposals at uniformly random sites",
    Permutation => "permutation": "Every site once, in a fresh random permutation each sweep",
});
