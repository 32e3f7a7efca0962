//! The Monte Carlo loops the two peers share: SA and RSA (traced centre, sequential), written as a
//! researcher would, over a small `Peer` trait, and making exactly the random decisions of
//! `densemc::mc::anneal` on the plain ensemble of one replica (SA) and on the replicated one
//! (`Centre::Traced`, `parallel = false`, `Order::Permutation`):
//!
//! - the same streams: SA draws from ("sa", 0); RSA draws the sweep's permutation from ("order", 0) and
//!   replica a's acceptances from ("replica", a); the sites of a sweep come from `run::sweep_sites`;
//! - SA: a table of e^{−βd} for d = 0..32 refreshed each sweep, `rng::uniform(r) < table[ΔE]` for
//!   0 < ΔE < 33, `run::metropolis(βΔE)` beyond, no draw at all for ΔE ≤ 0;
//! - RSA: the coupling table s·ln[cosh(γ(m̄+1))/cosh(γ(m̄−1))] with the same ln cosh formula, one
//!   permutation per sweep cut into y blocks, replica a visiting block (a + q) mod y in phase q, a replica
//!   with E = 0 skipping its phase, the run stopping after the phase in which a replica reaches E = 0, or
//!   after the sweep whose majority-vote centre (ties to +1) has no errors; or, with `shared`
//!   (`mc::Visit::Shared`), replicas 0..y−1 in turn at each site of the permutation, stopping at once
//!   when one reaches E = 0.
//!
//! The centre's error count is a callback: the benchmark passes the same one (`mc::tracker::TrackedErrors`)
//! to the peers and to densemc alike, so that this per-sweep check costs the same in every implementation (see
//! benches/peers.rs).

use densemc::mc::run::{metropolis, sweep_sites};
use densemc::mc::{Order, Schedule};
use densemc::rng::{self, Rng};

/// What the loops need from a replica (the weights are ±1 `i8`).
pub trait Peer {
    fn n(&self) -> usize;
    /// E(W): the number of patterns with Δ^μ < 0.
    fn energy(&self) -> i64;
    /// E(W with W_i flipped) − E(W).
    fn delta_energy(&self, i: usize) -> i64;
    /// W_i ← −W_i with every cached quantity.
    fn flip(&mut self, i: usize);
    fn weights(&self) -> &[i8];
    /// Compares the cached quantities with a from-scratch recomputation.
    fn check(&self) -> Result<(), String>;
}

/// Counters of a run (as in `densemc::mc::Outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub sweeps: u64,
    pub proposals: u64,
    pub accepted: u64,
}

/// Simulated annealing: Metropolis single flips at β(t) of the schedule; stops at E = 0.
pub fn sa<P: Peer>(st: &mut P, schedule: &Schedule, max_sweeps: u64, seed: u64) -> Run {
    let n = st.n();
    let mut r = rng::stream(seed, "sa", 0);
    let mut sites = Vec::with_capacity(n);
    let (mut proposals, mut accepted, mut sweeps) = (0u64, 0u64, 0u64);
    let mut table = [0f64; 33];
    while st.energy() > 0 && sweeps < max_sweeps {
        let (beta, _) = schedule.at(sweeps);
        for (d, t) in table.iter_mut().enumerate() {
            *t = (-beta * d as f64).exp();
        }
        sweep_sites(Order::Permutation, n, &mut r, &mut sites);
        for &i in &sites {
            proposals += 1;
            let de = st.delta_energy(i);
            let ok = if de <= 0 {
                true
            } else if (de as usize) < table.len() {
                rng::uniform(&mut r) < table[de as usize]
            } else {
                metropolis(beta * de as f64, &mut r)
            };
            if ok {
                st.flip(i);
                accepted += 1;
                if st.energy() == 0 {
                    break;
                }
            }
        }
        sweeps += 1;
    }
    Run {
        sweeps,
        proposals,
        accepted,
    }
}

/// ln cosh x, the same formula as densemc's (bit-identical coupling table).
fn ln_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

/// s·T[k] is the coupling part of β·ΔH for a flip of s when the other replicas sum to m̄ = 2k − (y − 1).
fn coupling_table(y: usize, gamma: f64) -> Vec<f64> {
    (0..y)
        .map(|k| {
            let mbar = 2.0 * k as f64 - (y as f64 - 1.0);
            ln_cosh(gamma * (mbar + 1.0)) - ln_cosh(gamma * (mbar - 1.0))
        })
        .collect()
}

/// Majority vote sign(Σ_a W_i^a), ties to +1.
pub fn majority<P: Peer>(reps: &[P]) -> Vec<i8> {
    let n = reps[0].n();
    (0..n)
        .map(|i| {
            let m: i32 = reps.iter().map(|r| r.weights()[i] as i32).sum();
            if m < 0 {
                -1
            } else {
                1
            }
        })
        .collect()
}

/// Replicated SA with the centre traced out, replicas one after the other. `centre_errors` counts the
/// errors of a centre configuration. Returns the counters and the centre's final (weights, errors).
pub fn rsa<P: Peer>(
    reps: &mut [P],
    centre_errors: &dyn Fn(&[i8]) -> i64,
    schedule: &Schedule,
    max_sweeps: u64,
    seed: u64,
    shared: bool,
) -> (Run, Vec<i8>, i64) {
    let y = reps.len();
    let n = reps[0].n();
    // m_i = Σ_a W_i^a.
    let mut m: Vec<i32> = (0..n)
        .map(|i| reps.iter().map(|r| r.weights()[i] as i32).sum())
        .collect();
    let mut rngs: Vec<Rng> = (0..y)
        .map(|a| rng::stream(seed, "replica", a as u64))
        .collect();
    let mut order_rng = rng::stream(seed, "order", 0);
    let mut perm = Vec::with_capacity(n);
    let (mut proposals, mut accepted, mut sweeps) = (0u64, 0u64, 0u64);
    let mut centre: Option<(Vec<i8>, i64)> = None;
    let mut done = reps.iter().any(|r| r.energy() == 0);
    while !done && sweeps < max_sweeps {
        let (beta, gamma) = schedule.at(sweeps);
        sweep_sites(Order::Permutation, n, &mut order_rng, &mut perm);
        let table = coupling_table(y, gamma);
        // Shared visit (`mc::Visit::Shared`): replica 0, 1, …, y−1 in turn at each site of the permutation.
        let phases = if shared { 0 } else { y };
        'sites: for &j in perm.iter().take(if shared { n } else { 0 }) {
            for (st, r) in reps.iter_mut().zip(rngs.iter_mut()) {
                proposals += 1;
                let s = st.weights()[j];
                let mbar = m[j] - s as i32;
                let coupling = s as f64 * table[((mbar + y as i32 - 1) / 2) as usize];
                let x = beta * st.delta_energy(j) as f64 + coupling;
                if metropolis(x, r) {
                    st.flip(j);
                    m[j] -= 2 * s as i32;
                    accepted += 1;
                    if st.energy() == 0 {
                        done = true;
                        break 'sites;
                    }
                }
            }
        }
        for q in 0..phases {
            for a in 0..y {
                let blk = (a + q) % y;
                let sites = &perm[blk * n / y..(blk + 1) * n / y];
                let (st, r) = (&mut reps[a], &mut rngs[a]);
                if st.energy() == 0 {
                    continue;
                }
                for &j in sites {
                    proposals += 1;
                    let s = st.weights()[j];
                    let mbar = m[j] - s as i32;
                    let coupling = s as f64 * table[((mbar + y as i32 - 1) / 2) as usize];
                    let x = beta * st.delta_energy(j) as f64 + coupling;
                    if metropolis(x, r) {
                        st.flip(j);
                        m[j] -= 2 * s as i32;
                        accepted += 1;
                        if st.energy() == 0 {
                            break;
                        }
                    }
                }
            }
            if reps.iter().any(|r| r.energy() == 0) {
                done = true;
                break;
            }
        }
        sweeps += 1;
        let c = majority(reps);
        let ce = centre_errors(&c);
        if ce == 0 {
            done = true;
        }
        centre = Some((c, ce));
    }
    let (c, ce) = centre.unwrap_or_else(|| {
        let c = majority(reps);
        let ce = centre_errors(&c);
        (c, ce)
    });
    (
        Run {
            sweeps,
            proposals,
            accepted,
        },
        c,
        ce,
    )
}
