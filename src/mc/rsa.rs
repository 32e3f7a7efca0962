//! Replicated simulated annealing on the robust ensemble: the focusing, local-entropy Monte Carlo.
//!
//! y replicas W^1..W^y of the weights share the instance. With the centre traced out (the default) the
//! sampled energy is H = Σ_a E(W^a) − (1/β) Σ_i ln 2cosh(γ m_i), m_i = Σ_a W_i^a, and flipping W_j^a = s costs
//!
//! β·ΔH = β ΔE_a + s · ln[cosh(γ(m̄ + 1)) / cosh(γ(m̄ − 1))],   m̄ = m_j − s,
//!
//! with the coupling term tabulated for the y values of m̄ once per sweep. The explicit-centre variant keeps
//! centre spins W̃ with energy −(γ/β) Σ_i W̃_i m_i and no data term: a replica flip costs β ΔE_a + 2γ s W̃_j,
//! a centre flip 2γ W̃_j m_j. β and γ rise together along the schedule ("focusing"), pulling the replicas into
//! a dense region. The run stops at the first replica, or centre, with no errors.
//!
//! Parallel and reproducible: each sweep draws one random permutation of the sites and cuts it into y
//! blocks; in phase q (q = 0..y) replica a visits block (a + q) mod y. Within a phase the replicas touch
//! disjoint sites, so each sees constant m̄ from the others, and the result is the same as some sequential
//! order: identical for a given seed whatever the number of threads.

use super::run::{metropolis, sweep_sites, Found, Order, Outcome, Progress, Resume};
use super::schedule::Schedule;
use super::state::Replica;
use crate::rng::{self, Rng};
use crate::weights::Weights;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI16, Ordering::Relaxed};

/// How the replicas are coupled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Centre {
    /// Centre traced out: replicas coupled through ln 2cosh(γ m_i); the reported centre is sign(m_i).
    Traced,
    /// Explicit centre spins W̃ coupled to every replica, with no data term of their own.
    Explicit,
}

/// In which order the replicas' proposals of a sweep come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visit {
    /// Latin-square blocks: in each of y phases every replica works on its own block of the sweep's sites,
    /// so the replicas of a phase can run on different threads (the result does not depend on it).
    #[default]
    Blocks,
    /// All replicas propose at the same site, one after the other, before the next site: the site's
    /// column ξ_j is read from memory once for all y replicas. One thread; the fastest order when the
    /// instance does not fit the caches (N ≳ 10⁵).
    Shared,
}

/// RSA settings besides the schedule.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub centre: Centre,
    pub max_sweeps: u64,
    pub order: Order,
    pub seed: u64,
    /// Run the replicas of a phase on the current rayon pool (else one after the other; same result).
    /// Only [`Visit::Blocks`] uses it.
    pub parallel: bool,
    pub visit: Visit,
}

/// ln cosh x, stable for large |x|.
fn ln_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

/// s·T[k] is β·ΔH_int of flipping s when the other replicas sum to m̄ = 2k − (y − 1).
fn coupling_table(y: usize, gamma: f64) -> Vec<f64> {
    (0..y)
        .map(|k| {
            let mbar = 2.0 * k as f64 - (y as f64 - 1.0);
            ln_cosh(gamma * (mbar + 1.0)) - ln_cosh(gamma * (mbar - 1.0))
        })
        .collect()
}

/// The majority vote sign(Σ_a W_i^a), ties to +1.
pub fn majority<R: Replica>(reps: &[R]) -> Weights {
    let n = reps[0].n();
    let mut c = Weights::ones(n);
    for i in 0..n {
        let m: i32 = reps.iter().map(|r| r.weights().get(i) as i32).sum();
        if m < 0 {
            c.set(i, -1);
        }
    }
    c
}

/// sign(m_i) from the running sums m_i = Σ_a W_i^a, ties to +1: the same as [`majority`], without
/// re-reading the replicas.
fn sign_of(m: &[AtomicI16]) -> Weights {
    let mut c = Weights::ones(m.len());
    for (i, x) in m.iter().enumerate() {
        if x.load(Relaxed) < 0 {
            c.set(i, -1);
        }
    }
    c
}

/// Mean overlap (1/N) Σ_i W_i^a W_i^b over pairs a < b.
pub fn mean_overlap<R: Replica>(reps: &[R]) -> f64 {
    let (y, n) = (reps.len(), reps[0].n() as f64);
    if y < 2 {
        return 1.0;
    }
    let mut s = 0.0;
    for a in 0..y {
        for b in a + 1..y {
            s += 1.0 - 2.0 * reps[a].weights().hamming(reps[b].weights()) as f64 / n;
        }
    }
    s / (y * (y - 1) / 2) as f64
}

struct Counts {
    proposals: u64,
    accepted: u64,
}

/// Largest |ΔE| whose acceptance probability is tabulated per sweep.
const TABLE_DE: i64 = 16;

/// A replica move's coupling to the others, β·ΔH_int, and its Metropolis acceptance.
enum Coupling<'a> {
    /// Centre traced out: s·T[k] with m̄ = 2k − (y − 1); `accept` holds, for x = β d + s·T[k] and
    /// |d| ≤ TABLE_DE, the integer threshold of e^{−x} (`rng::threshold`; `u64::MAX` when x ≤ 0, accepted
    /// without a draw), so that the decision is exactly [`metropolis`]'s.
    Traced {
        table: &'a [f64],
        accept: &'a [u64],
        y: usize,
    },
    /// Explicit centre spins W̃: 2γ s W̃_j.
    Explicit { gamma: f64, centre: &'a Weights },
}

fn accept_table(beta: f64, table: &[f64]) -> Vec<u64> {
    let mut v = Vec::with_capacity((2 * TABLE_DE as usize + 1) * table.len() * 2);
    for d in -TABLE_DE..=TABLE_DE {
        for &t in table {
            for s in [-1.0f64, 1.0] {
                let x = beta * d as f64 + s * t;
                v.push(if x <= 0.0 {
                    ALWAYS
                } else {
                    rng::threshold((-x).exp())
                });
            }
        }
    }
    v
}

/// The table entry of a move accepted without a draw (x ≤ 0); thresholds of real draws are ≤ 2⁵³.
const ALWAYS: u64 = u64::MAX;

impl Coupling<'_> {
    /// Metropolis decision for flipping W_j = s with ΔE = `de` (consumes a uniform only when x > 0).
    #[inline(always)]
    fn accept(&self, beta: f64, de: i64, j: usize, s: i8, m: &[AtomicI16], rng: &mut Rng) -> bool {
        match self {
            Coupling::Traced { table, accept, y } => {
                let mbar = m[j].load(Relaxed) as i32 - s as i32;
                let k = ((mbar + *y as i32 - 1) / 2) as usize;
                if de.abs() <= TABLE_DE {
                    let t = accept[(((de + TABLE_DE) as usize * y) + k) * 2 + (s > 0) as usize];
                    t == ALWAYS || rng::below_threshold(rng, t)
                } else {
                    metropolis(beta * de as f64 + s as f64 * table[k], rng)
                }
            }
            Coupling::Explicit { gamma, centre } => metropolis(
                beta * de as f64 + 2.0 * gamma * s as f64 * centre.get(j) as f64,
                rng,
            ),
        }
    }
}

/// One replica's share of a phase: Metropolis over `sites` (in order, or uniformly drawn from them).
fn phase<R: Replica>(
    st: &mut R,
    rng: &mut Rng,
    sites: &[usize],
    order: Order,
    beta: f64,
    coupling: &Coupling,
    m: &[AtomicI16],
) -> Counts {
    let mut c = Counts {
        proposals: 0,
        accepted: 0,
    };
    if st.energy() == 0 {
        return c;
    }
    match order {
        Order::Permutation => {
            // Rejected proposals change nothing: scan up to the next accepted one in one kernel run.
            let mut k = 0;
            while k < sites.len() {
                let w = st.weights().words();
                let hit = st.scan(
                    &sites[k..],
                    #[inline(always)]
                    |j, de| {
                        let s = if (w[j / 64] >> (j % 64)) & 1 == 1 {
                            -1
                        } else {
                            1
                        };
                        coupling.accept(beta, de, j, s, m, rng)
                    },
                );
                let Some((t, de)) = hit else {
                    c.proposals += (sites.len() - k) as u64;
                    break;
                };
                let j = sites[k + t];
                let s = st.weights().get(j);
                c.proposals += t as u64 + 1;
                st.flip_with_delta(j, de);
                m[j].fetch_add(-2 * s as i16, Relaxed);
                c.accepted += 1;
                k += t + 1;
                if st.energy() == 0 {
                    break;
                }
            }
        }
        Order::Random => {
            for _ in 0..sites.len() {
                let j = sites[rng::below(rng, sites.len() as u64) as usize];
                c.proposals += 1;
                let s = st.weights().get(j);
                let de = st.delta_energy(j);
                if coupling.accept(beta, de, j, s, m, rng) {
                    st.flip_with_delta(j, de);
                    m[j].fetch_add(-2 * s as i16, Relaxed);
                    c.accepted += 1;
                    if st.energy() == 0 {
                        break;
                    }
                }
            }
        }
    }
    c
}

/// A sweep of [`Visit::Shared`]: at each site j of `sites`, replica 0, 1, …, y−1 in turn propose to flip
/// W_j^a. The data terms ΔE_a are computed first for all replicas (each depends only on its own replica);
/// the coupling of each decision sees m_j as left by the replicas before it. Stops at a solution.
fn shared_sweep<R: Replica>(
    reps: &mut [R],
    rngs: &mut [Rng],
    sites: &[usize],
    beta: f64,
    coupling: &Coupling,
    m: &[AtomicI16],
    de: &mut Vec<i64>,
) -> Counts {
    let mut c = Counts {
        proposals: 0,
        accepted: 0,
    };
    de.resize(reps.len(), 0);
    for (t, &j) in sites.iter().enumerate() {
        R::delta_each(reps, j, sites.get(t + 2).copied(), de);
        for (a, (st, rng)) in reps.iter_mut().zip(rngs.iter_mut()).enumerate() {
            c.proposals += 1;
            let s = st.weights().get(j);
            if coupling.accept(beta, de[a], j, s, m, rng) {
                st.flip_with_delta(j, de[a]);
                m[j].fetch_add(-2 * s as i16, Relaxed);
                c.accepted += 1;
                if st.energy() == 0 {
                    return c;
                }
            }
        }
    }
    c
}

/// Runs RSA on the replicas `reps` in place (their initial weights are the starting point).
/// `centre_energy` evaluates E of a centre configuration. `observe` runs after every sweep; false stops.
pub fn anneal<R: Replica>(
    reps: &mut [R],
    centre_energy: &(dyn Fn(&Weights) -> i64 + Sync),
    schedule: &Schedule,
    params: Params,
    resume: Option<&Resume>,
    observe: &mut dyn FnMut(&Progress) -> bool,
) -> Outcome {
    let y = reps.len();
    assert!(y >= 1, "RSA needs at least one replica");
    let n = reps[0].n();
    let m: Vec<AtomicI16> = (0..n)
        .map(|i| AtomicI16::new(reps.iter().map(|r| r.weights().get(i) as i16).sum()))
        .collect();
    let mut rngs: Vec<Rng> = (0..y)
        .map(|a| rng::stream(params.seed, "replica", a as u64))
        .collect();
    let mut order_rng = rng::stream(params.seed, "order", 0);
    let mut centre_rng = rng::stream(params.seed, "centre", 0);
    let mut explicit = (params.centre == Centre::Explicit).then(|| majority(reps));
    let (mut proposals, mut accepted, mut sweeps) = (0u64, 0u64, 0u64);
    if let Some(res) = resume {
        // The replicas already hold the checkpoint's weights; restore the streams and counters.
        rngs.clone_from(&res.rngs);
        order_rng = res
            .order_rng
            .clone()
            .expect("an RSA checkpoint has the order stream");
        centre_rng = res
            .centre_rng
            .clone()
            .expect("an RSA checkpoint has the centre stream");
        if let (Some(w), Some(spins)) = (explicit.as_mut(), &res.centre_spins) {
            *w = Weights::parse_pm(spins, n, "checkpoint")
                .expect("checked when the checkpoint was read");
        }
        (proposals, accepted, sweeps) = (res.proposals, res.accepted, res.sweeps);
    }
    let mut perm = Vec::with_capacity(n);
    let mut de = Vec::with_capacity(y);
    let mut centre = (Weights::ones(n), i64::MAX);
    let any_solved = |reps: &[R]| reps.iter().any(|r| r.energy() == 0);
    let mut done = any_solved(reps);
    while !done && sweeps < params.max_sweeps {
        let (beta, gamma) = schedule.at(sweeps);
        let shared = params.visit == Visit::Shared;
        // Blocks: one permutation cut into blocks (the order within a block is `params.order`); shared: the
        // sweep's site sequence itself.
        let site_order = if shared {
            params.order
        } else {
            Order::Permutation
        };
        sweep_sites(site_order, n, &mut order_rng, &mut perm);
        let table = coupling_table(y, gamma);
        let accept = if explicit.is_none() {
            accept_table(beta, &table)
        } else {
            Vec::new()
        };
        let phases = if shared {
            0
        } else if explicit.is_some() {
            1
        } else {
            y
        };
        if shared {
            let coupling = match explicit.as_ref() {
                Some(w) => Coupling::Explicit { gamma, centre: w },
                None => Coupling::Traced {
                    table: &table,
                    accept: &accept,
                    y,
                },
            };
            let c = shared_sweep(reps, &mut rngs, &perm, beta, &coupling, &m, &mut de);
            proposals += c.proposals;
            accepted += c.accepted;
            done = any_solved(reps);
        }
        for q in 0..phases {
            let counts: Vec<Counts> = {
                let perm = &perm;
                let m = &m[..];
                let table = &table;
                let coupling = match explicit.as_ref() {
                    Some(w) => Coupling::Explicit { gamma, centre: w },
                    None => Coupling::Traced {
                        table,
                        accept: &accept,
                        y,
                    },
                };
                let coupling = &coupling;
                let work = |(a, (st, r)): (usize, (&mut R, &mut Rng))| {
                    let sites = if phases == 1 {
                        &perm[..]
                    } else {
                        let blk = (a + q) % y;
                        &perm[blk * n / y..(blk + 1) * n / y]
                    };
                    phase(st, r, sites, params.order, beta, coupling, m)
                };
                if params.parallel {
                    reps.par_iter_mut()
                        .zip(rngs.par_iter_mut())
                        .enumerate()
                        .map(work)
                        .collect()
                } else {
                    reps.iter_mut()
                        .zip(rngs.iter_mut())
                        .enumerate()
                        .map(work)
                        .collect()
                }
            };
            for c in counts {
                proposals += c.proposals;
                accepted += c.accepted;
            }
            if any_solved(reps) {
                done = true;
                break;
            }
        }
        if let Some(w) = explicit.as_mut() {
            // Centre sweep: flipping W̃_j costs 2γ W̃_j m_j.
            sweep_sites(params.order, n, &mut centre_rng, &mut perm);
            for &j in &perm {
                let x = 2.0 * gamma * w.get(j) as f64 * m[j].load(Relaxed) as f64;
                if metropolis(x, &mut centre_rng) {
                    w.flip(j);
                }
            }
        }
        sweeps += 1;
        let cw = explicit.clone().unwrap_or_else(|| sign_of(&m));
        let ce = centre_energy(&cw);
        centre = (cw, ce);
        if ce == 0 {
            done = true;
        }
        let energies: Vec<i64> = reps.iter().map(|r| r.energy()).collect();
        let snapshot = || Resume {
            sweeps,
            proposals,
            accepted,
            rngs: rngs.clone(),
            order_rng: Some(order_rng.clone()),
            centre_rng: Some(centre_rng.clone()),
            centre_spins: explicit.as_ref().map(|w| w.to_pm()),
            weights: reps.iter().map(|r| r.weights().to_pm()).collect(),
        };
        let p = Progress {
            sweep: sweeps,
            beta,
            gamma,
            energies: &energies,
            centre_energy: Some(ce),
            overlap: Some(mean_overlap(reps)),
            proposals,
            accepted,
            resume: &snapshot,
        };
        if !observe(&p) {
            break;
        }
    }
    if centre.1 == i64::MAX {
        let cw = explicit.clone().unwrap_or_else(|| sign_of(&m));
        let ce = centre_energy(&cw);
        centre = (cw, ce);
    }
    let energies: Vec<i64> = reps.iter().map(|r| r.energy()).collect();
    let best = (0..y).min_by_key(|&a| (energies[a], a)).unwrap();
    let (found, weights, energy) = if energies[best] == 0 {
        (Some(Found::Replica(best)), reps[best].weights().clone(), 0)
    } else if centre.1 == 0 {
        (Some(Found::Centre), centre.0.clone(), 0)
    } else {
        (None, reps[best].weights().clone(), energies[best])
    };
    Outcome {
        solved: found.is_some(),
        found,
        sweeps,
        proposals,
        accepted,
        weights,
        energy,
        replica: best,
        centre: Some(centre),
        energies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coupling_matches_the_formula() {
        for &(y, g) in &[(3usize, 0.3f64), (7, 2.0), (5, 40.0)] {
            let t = coupling_table(y, g);
            for (k, &v) in t.iter().enumerate() {
                let mbar = 2.0 * k as f64 - (y as f64 - 1.0);
                let direct = ((g * (mbar + 1.0)).cosh() / (g * (mbar - 1.0)).cosh()).ln();
                if direct.is_finite() {
                    assert!(
                        (v - direct).abs() < 1e-9 * (1.0 + direct.abs()),
                        "y={y} γ={g} k={k}: {v} vs {direct}"
                    );
                }
                // Flipping against the others' majority is favoured, with them penalised.
                assert_eq!(v > 0.0, mbar > 0.0);
            }
        }
        assert!(ln_cosh(1000.0).is_finite());
    }
}

crate::named!(Centre, "centre coupling" {
    Traced => "traced": "Centre traced out: replicas coupled through ln 2cosh(γ m_i); the reported centre is sign(m_i)",
    Explicit => "explicit": "Explicit centre spins W̃ coupled to every replica, with no data term of their own",
});

crate::named!(Visit, "replica visit order" {
    Blocks => "blocks": "Latin-square blocks: in each of y phases every replica works on its own block of the sweep's sites, so the replicas of a phase can run on different threads (the result does not depend on it)",
    Shared => "shared": "All replicas propose at the same site, one after the other, before the next site: the site's column ξ_j is read from memory once for all y replicas. One thread; the fastest order when the instance does not fit the caches (N ≳ 10⁵)",
});
