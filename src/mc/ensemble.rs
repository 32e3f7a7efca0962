//! The model the Metropolis driver samples: y replicas W^1..W^y of one model on a shared instance and how
//! they are coupled (as in RRRMC.jl, the replicated ensemble is itself a model over y replicas).
//!
//! - **Plain**: no coupling; the cost of flipping W_j^a is β ΔE_a. Simulated annealing is the plain
//!   ensemble of one replica.
//! - **Replicated, centre traced out**: the robust ensemble H = Σ_a E(W^a) − (1/β) Σ_i ln 2cosh(γ m_i),
//!   m_i = Σ_a W_i^a; flipping W_j^a = s costs
//!
//!   β·ΔH = β ΔE_a + s · ln[cosh(γ(m̄ + 1)) / cosh(γ(m̄ − 1))],   m̄ = m_j − s,
//!
//!   the coupling term tabulated for the y values of m̄ once per sweep. The reported centre is sign(m_i).
//! - **Replicated, explicit centre**: centre spins W̃ with energy −(γ/β) Σ_i W̃_i m_i and no data term: a
//!   replica flip costs β ΔE_a + 2γ s W̃_j, a centre flip 2γ W̃_j m_j (the centre has its own moves).
//!
//! Each sweep the ensemble hands the driver its [`Cost`] at (β, γ): the Metropolis decision of a replica
//! move, with the acceptance thresholds tabulated. Every decision is exactly [`metropolis`] of β·ΔH from the
//! same draw (`rng::threshold`), except that a plain move with 0 < ΔE < 33 always draws (also at β = 0).

use super::run::{metropolis, sweep_sites, Order};
use super::state::Replica;
use crate::rng::{self, Rng};
use crate::weights::Weights;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI16, Ordering::Relaxed};

/// How the replicas of a replicated ensemble are coupled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Centre {
    /// Centre traced out: replicas coupled through ln 2cosh(γ m_i); the reported centre is sign(m_i).
    Traced,
    /// Explicit centre spins W̃ coupled to every replica, with no data term of their own.
    Explicit,
}

/// E of a centre configuration (for the replicated ensemble's stop rule and report).
pub type CentreEnergy<'e> = &'e (dyn Fn(&Weights) -> i64 + Sync);

/// y replicas of one model and their coupling. The constructors panic unless 1 ≤ y ≤ 32767 (m_i is held in
/// 16 bits).
pub struct Ensemble<'e, R: Replica> {
    pub(super) reps: &'e mut [R],
    pub(super) coupling: Coupling<'e>,
}

/// The coupling part of an [`Ensemble`] (apart from the replicas, so that a sweep can borrow both).
pub(super) struct Coupling<'e> {
    /// None: plain.
    pub(super) centre: Option<Centre>,
    /// m_i = Σ_a W_i^a, kept up to date by every replica flip (read by the traced cost and the centre moves).
    pub(super) m: Vec<AtomicI16>,
    /// Explicit centre: the spins W̃.
    pub(super) spins: Option<Weights>,
    centre_energy: Option<CentreEnergy<'e>>,
}

impl<'e, R: Replica> Ensemble<'e, R> {
    /// Independent replicas, no coupling, no centre (SA: one replica).
    pub fn plain(reps: &'e mut [R]) -> Self {
        Self::build(reps, None, None)
    }

    /// The robust ensemble over `reps` (their weights are the starting point; an explicit centre starts at
    /// their majority vote). `centre_energy` evaluates E of a centre configuration.
    pub fn replicated(reps: &'e mut [R], centre: Centre, centre_energy: CentreEnergy<'e>) -> Self {
        Self::build(reps, Some(centre), Some(centre_energy))
    }

    fn build(
        reps: &'e mut [R],
        centre: Option<Centre>,
        centre_energy: Option<CentreEnergy<'e>>,
    ) -> Self {
        assert!(
            !reps.is_empty() && reps.len() <= i16::MAX as usize,
            "an ensemble holds 1 to 32767 replicas"
        );
        let n = reps[0].n();
        let m = (0..n)
            .map(|i| AtomicI16::new(reps.iter().map(|r| r.weights().get(i) as i16).sum()))
            .collect();
        let spins = (centre == Some(Centre::Explicit)).then(|| majority(reps));
        Ensemble {
            reps,
            coupling: Coupling {
                centre,
                m,
                spins,
                centre_energy,
            },
        }
    }

    /// y, the number of replicas.
    pub fn y(&self) -> usize {
        self.reps.len()
    }

    /// N, the weights per replica.
    pub fn n(&self) -> usize {
        self.reps[0].n()
    }

    pub(super) fn any_solved(&self) -> bool {
        self.reps.iter().any(|r| r.energy() == 0)
    }

    /// The centre configuration and its energy (None for the plain ensemble).
    pub(super) fn centre(&self) -> Option<(Weights, i64)> {
        let c = &self.coupling;
        let ce = c.centre_energy?;
        let w = c.spins.clone().unwrap_or_else(|| sign_of(&c.m));
        let e = ce(&w);
        Some((w, e))
    }

    /// Replaces the explicit centre's spins (from a checkpoint).
    pub(super) fn set_spins(&mut self, w: Weights) {
        self.coupling.spins = Some(w);
    }
}

impl Coupling<'_> {
    /// Whether a replica move reads the other replicas during the moves (then the blocks visit needs y
    /// phases of disjoint blocks; otherwise each replica can sweep all sites in one phase).
    pub(super) fn interacts(&self) -> bool {
        self.centre == Some(Centre::Traced)
    }

    /// The centre's own moves (explicit centre only): a Metropolis sweep over W̃ in `order`, flipping W̃_j
    /// costing 2γ W̃_j m_j, drawn from `rng`.
    pub(super) fn centre_moves(
        &mut self,
        gamma: f64,
        order: Order,
        rng: &mut Rng,
        sites: &mut Vec<usize>,
    ) {
        let Some(w) = self.spins.as_mut() else { return };
        sweep_sites(order, w.len(), rng, sites);
        for &j in sites.iter() {
            let x = 2.0 * gamma * w.get(j) as f64 * self.m[j].load(Relaxed) as f64;
            if metropolis(x, rng) {
                w.flip(j);
            }
        }
    }
}

/// The Metropolis decision of a replica move at the sweep's (β, γ).
pub(super) trait Cost: Sync {
    /// Whether [`Cost::accept`] reads the spin s (else the driver passes 0).
    const SPIN: bool;
    /// β·ΔH of flipping W_j^a = s, whose data term is ΔE_a = `de`, with the sums m.
    fn cost(&self, de: i64, j: usize, s: i8, m: &[AtomicI16]) -> f64;
    /// The Metropolis decision on [`Cost::cost`]: [`metropolis`] from the same draw (consuming one only
    /// when β·ΔH > 0), from tabulated thresholds where it can.
    #[inline(always)]
    fn accept(&self, de: i64, j: usize, s: i8, m: &[AtomicI16], rng: &mut Rng) -> bool {
        metropolis(self.cost(de, j, s, m), rng)
    }
    /// How many coupling classes a move can fall in (1 when the cost is β ΔE alone): moves of equal ΔE
    /// and equal class have equal cost (the rejection-free dynamics groups them).
    fn classes(&self) -> usize;
    /// The coupling class, below [`Cost::classes`], of flipping W_j^a = s.
    fn class(&self, j: usize, s: i8, m: &[AtomicI16]) -> usize;
    /// β·ΔH of a move with data term `de` in class `c`: [`Cost::cost`] of every move of that class.
    fn class_cost(&self, de: i64, c: usize) -> f64;
}

/// The plain cost β ΔE, with e^{−βd} tabulated for 0 < d < [`PLAIN_TABLE`].
pub(super) struct Plain {
    beta: f64,
    table: [u64; PLAIN_TABLE],
}

/// Plain moves with 0 ≤ ΔE below this have their threshold tabulated.
const PLAIN_TABLE: usize = 33;

impl Plain {
    pub(super) fn new(beta: f64) -> Self {
        let mut table = [0u64; PLAIN_TABLE];
        for (d, t) in table.iter_mut().enumerate() {
            *t = rng::threshold((-beta * d as f64).exp());
        }
        Plain { beta, table }
    }
}

impl Cost for Plain {
    const SPIN: bool = false;
    fn classes(&self) -> usize {
        1
    }
    fn class(&self, _: usize, _: i8, _: &[AtomicI16]) -> usize {
        0
    }
    fn class_cost(&self, de: i64, _: usize) -> f64 {
        self.beta * de as f64
    }
    #[inline(always)]
    fn cost(&self, de: i64, _: usize, _: i8, _: &[AtomicI16]) -> f64 {
        self.beta * de as f64
    }
    #[inline(always)]
    fn accept(&self, de: i64, j: usize, s: i8, m: &[AtomicI16], rng: &mut Rng) -> bool {
        if de <= 0 {
            true
        } else if (de as usize) < PLAIN_TABLE {
            rng::below_threshold(rng, self.table[de as usize])
        } else {
            metropolis(self.cost(de, j, s, m), rng)
        }
    }
}

/// Largest |ΔE| whose traced acceptance is tabulated per sweep.
const TRACED_DE: i64 = 16;

/// The table entry of a move accepted without a draw (x ≤ 0); thresholds of real draws are ≤ 2⁵³.
const ALWAYS: u64 = u64::MAX;

/// The traced cost β ΔE_a + s·T[k], m̄ = 2k − (y − 1); `accept` holds, for |d| ≤ [`TRACED_DE`], the
/// threshold of e^{−x} (or [`ALWAYS`] when x ≤ 0), indexed by (d, k, s).
pub(super) struct Traced {
    beta: f64,
    y: usize,
    table: Vec<f64>,
    accept: Vec<u64>,
}

impl Traced {
    pub(super) fn new(beta: f64, gamma: f64, y: usize) -> Self {
        let table = coupling_table(y, gamma);
        let mut accept = Vec::with_capacity((2 * TRACED_DE as usize + 1) * y * 2);
        for d in -TRACED_DE..=TRACED_DE {
            for &t in &table {
                for s in [-1.0f64, 1.0] {
                    let x = beta * d as f64 + s * t;
                    accept.push(if x <= 0.0 {
                        ALWAYS
                    } else {
                        rng::threshold((-x).exp())
                    });
                }
            }
        }
        Traced {
            beta,
            y,
            table,
            accept,
        }
    }
}

impl Traced {
    /// The index k of m̄ = m_j − s = 2k − (y − 1).
    #[inline(always)]
    fn k(&self, j: usize, s: i8, m: &[AtomicI16]) -> usize {
        let mbar = m[j].load(Relaxed) as i32 - s as i32;
        ((mbar + self.y as i32 - 1) / 2) as usize
    }
}

impl Cost for Traced {
    const SPIN: bool = true;
    /// (k, s): m̄ = 2k − (y − 1) and the spin.
    fn classes(&self) -> usize {
        2 * self.y
    }
    fn class(&self, j: usize, s: i8, m: &[AtomicI16]) -> usize {
        self.k(j, s, m) * 2 + (s > 0) as usize
    }
    fn class_cost(&self, de: i64, c: usize) -> f64 {
        let s = if c % 2 == 1 { 1.0 } else { -1.0 };
        self.beta * de as f64 + s * self.table[c / 2]
    }
    #[inline(always)]
    fn cost(&self, de: i64, j: usize, s: i8, m: &[AtomicI16]) -> f64 {
        self.beta * de as f64 + s as f64 * self.table[self.k(j, s, m)]
    }
    #[inline(always)]
    fn accept(&self, de: i64, j: usize, s: i8, m: &[AtomicI16], rng: &mut Rng) -> bool {
        if de.abs() <= TRACED_DE {
            let k = self.k(j, s, m);
            let t = self.accept[(((de + TRACED_DE) as usize * self.y) + k) * 2 + (s > 0) as usize];
            t == ALWAYS || rng::below_threshold(rng, t)
        } else {
            metropolis(self.cost(de, j, s, m), rng)
        }
    }
}

/// The explicit-centre cost β ΔE_a + 2γ s W̃_j.
pub(super) struct Explicit<'a> {
    pub(super) beta: f64,
    pub(super) gamma: f64,
    pub(super) spins: &'a Weights,
}

impl Cost for Explicit<'_> {
    const SPIN: bool = true;
    /// Whether W_j^a agrees with W̃_j.
    fn classes(&self) -> usize {
        2
    }
    fn class(&self, j: usize, s: i8, _: &[AtomicI16]) -> usize {
        (s == self.spins.get(j)) as usize
    }
    fn class_cost(&self, de: i64, c: usize) -> f64 {
        self.beta * de as f64 + if c == 1 { 2.0 } else { -2.0 } * self.gamma
    }
    #[inline(always)]
    fn cost(&self, de: i64, j: usize, s: i8, _: &[AtomicI16]) -> f64 {
        self.beta * de as f64 + 2.0 * self.gamma * s as f64 * self.spins.get(j) as f64
    }
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

/// Mean overlap (1/N) Σ_i W_i^a W_i^b over pairs a < b (1 for one replica).
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

    /// Every tabulated decision is `metropolis` of the same cost from the same draw, and consumes a draw
    /// exactly when it does (but for a tabulated plain move with ΔE > 0 at β = 0, which draws).
    #[test]
    fn tabulated_decisions_are_metropolis() {
        let m: Vec<AtomicI16> = [-3i16, -1, 1, 3]
            .iter()
            .map(|&v| AtomicI16::new(v))
            .collect();
        let spins = Weights::parse_pm("+-+-", 4, "test").unwrap();
        for (beta, gamma) in [(0.0, 0.0), (0.3, 0.1), (1.7, 2.5), (40.0, 9.0)] {
            let plain = Plain::new(beta);
            let traced = Traced::new(beta, gamma, 3);
            let explicit = Explicit {
                beta,
                gamma,
                spins: &spins,
            };
            for de in -40i64..=40 {
                for (j, mj) in m.iter().enumerate() {
                    for s in [-1i8, 1] {
                        let mbar = mj.load(Relaxed) as i32 - s as i32;
                        if mbar.abs() > 2 {
                            continue; // not a state of y = 3 replicas with W_j^a = s
                        }
                        let k = ((mbar + 2) / 2) as usize;
                        let cases: [(f64, &dyn Fn(&mut Rng) -> bool); 3] = [
                            (beta * de as f64, &|r| plain.accept(de, j, s, &m, r)),
                            (beta * de as f64 + s as f64 * traced.table[k], &|r| {
                                traced.accept(de, j, s, &m, r)
                            }),
                            (
                                beta * de as f64 + 2.0 * gamma * s as f64 * spins.get(j) as f64,
                                &|r| explicit.accept(de, j, s, &m, r),
                            ),
                        ];
                        let costs = [
                            plain.cost(de, j, s, &m),
                            traced.cost(de, j, s, &m),
                            explicit.cost(de, j, s, &m),
                        ];
                        // The rejection-free classes give the same cost.
                        let classed = [
                            plain.class_cost(de, plain.class(j, s, &m)),
                            traced.class_cost(de, traced.class(j, s, &m)),
                            explicit.class_cost(de, explicit.class(j, s, &m)),
                        ];
                        assert!(traced.class(j, s, &m) < traced.classes());
                        assert!(explicit.class(j, s, &m) < explicit.classes());
                        for (c, x) in costs.iter().zip(classed) {
                            assert!((c - x).abs() <= 1e-12 * (1.0 + c.abs()), "{c} vs {x}");
                        }
                        for (case, (x, decide)) in cases.iter().enumerate() {
                            assert_eq!(costs[case], *x, "case {case}: β·ΔH");
                            for draw in 0..8 {
                                let (mut r1, mut r2) =
                                    (rng::stream(1, "t", draw), rng::stream(1, "t", draw));
                                let want = metropolis(*x, &mut r1);
                                assert_eq!(decide(&mut r2), want, "case {case} β={beta} ΔE={de}");
                                if !(case == 0 && 0 < de && de < PLAIN_TABLE as i64 && *x == 0.0) {
                                    assert_eq!(r1, r2, "case {case} β={beta} ΔE={de}: draws");
                                } else {
                                    assert_ne!(r1, r2);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

crate::named!(Centre, "centre coupling" {
    Traced => "traced": "Centre traced out: replicas coupled through ln 2cosh(γ m_i); the reported centre is sign(m_i)",
    Explicit => "explicit": "Explicit centre spins W̃ coupled to every replica, with no data term of their own",
});
