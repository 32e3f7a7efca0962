//! The incremental state of one replica: integer fields in 16-bit lanes plus the P-bit *margin masks* that
//! make ΔE of any single flip one masked popcount.
//!
//! For every architecture the energy change of flipping W_i (i in hidden unit l's block) is
//!
//! ΔE_i = popcnt(A_l & ¬y) − popcnt(B_l & y),   y = ξ_i ⊕ σ ⊕ W_i (⊕ [c_l = −1] for ReLU), bit 1 = −1,
//!
//! where y^μ = 1 exactly when the move *raises* the relevant stability of pattern μ, A_l holds the patterns
//! that become errors when it drops, and B_l those that are fixed when it rises:
//! - perceptron (error count): A = {Δ = +1}, B = {Δ = −1}, with Δ^μ = σ^μ λ^μ;
//!   minimal-flip ("linear") energy: A = {Δ ≤ 1}, B = {Δ ≤ −1};
//! - sign units: A_l = {Δ_l = +1} ∩ {σV = +1}, B_l = {Δ_l = −1} ∩ {σV = −1}, with Δ_l = σλ_l and
//!   V = Σ_l sign(λ_l): only a unit at its margin whose vote decides the output matters;
//! - ReLU units: λ_l is even and moves by ±2, so σh moves by 0 or ±2 and only the patterns with σh = 2
//!   (at risk) or σh = 0 (a tie, fixable) can change state. With s = σ c_l:
//!   A_l = {σh = 2} ∩ {λ_l ≥ 0} ∩ ({s = −1} ∪ {λ_l ≠ 0}), B_l = {σh = 0} ∩ {λ_l ≥ 0} ∩ ({s = +1} ∪ {λ_l ≠ 0}).
//!
//! A rejected move costs one kernel call over P/64 words of A_l, B_l, the column and the label plane.
//! An accepted move updates unit l's P lanes and masks with one SIMD pass, then the output masks.

use crate::arch::Activation;
use crate::bits::{valid_mask, DeltaRows, Kernels, Lane, SiteRows};
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::model::{reference, Fields};
use crate::weights::Weights;
use serde::{Deserialize, Serialize};

/// What E(W) counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EnergyKind {
    /// The number of misclassified patterns (ties count for ReLU).
    Errors,
    /// Perceptron only: Σ over violated patterns of the weight flips needed to fix each, (−Δ−1)/2 + 1.
    Linear,
}

/// What a sampler needs from a model (as in RRRMC.jl): energy, ΔE of a flip, the flip, a from-scratch check.
pub trait Replica: Send {
    /// N, the number of flippable weights.
    fn n(&self) -> usize;
    /// E(W).
    fn energy(&self) -> i64;
    /// E(W with W_i flipped) − E(W), without changing anything.
    fn delta_energy(&self, i: usize) -> i64;
    /// W_i ← −W_i, updating every incremental quantity.
    fn flip(&mut self, i: usize) {
        let de = self.delta_energy(i);
        self.flip_with_delta(i, de)
    }
    /// [`Replica::flip`] when the caller has just computed `de = self.delta_energy(i)` (saves recomputing it).
    fn flip_with_delta(&mut self, i: usize, de: i64);
    /// A run of proposals at `sites`, in order, changing nothing: hands ΔE_i to `accept(i, ΔE_i)` until it
    /// returns true and returns that proposal's position in `sites` and its ΔE (`None`: all rejected).
    /// The caller then flips. [`State`] runs the whole loop in one dispatched kernel.
    fn scan<F: FnMut(usize, i64) -> bool>(
        &self,
        sites: &[usize],
        mut accept: F,
    ) -> Option<(usize, i64)>
    where
        Self: Sized,
    {
        sites.iter().enumerate().find_map(|(k, &i)| {
            let de = self.delta_energy(i);
            accept(i, de).then_some((k, de))
        })
    }
    /// ΔE of flipping W_i in each replica of `reps` (replicas of one instance), into `out[a]`: what
    /// `delta_energy(i)` of each gives. `next`, the site that comes next, is a prefetch hint.
    fn delta_each(reps: &[Self], i: usize, next: Option<usize>, out: &mut [i64])
    where
        Self: Sized,
    {
        let _ = next;
        for (o, r) in out.iter_mut().zip(reps) {
            *o = r.delta_energy(i);
        }
    }
    /// The current weights.
    fn weights(&self) -> &Weights;
    /// Compares every incremental quantity with a from-scratch recomputation (reference evaluator).
    fn verify(&self) -> Result<(), String>;
}

/// The incremental state of one replica on a shared instance.
pub struct State<'a, L: Lane = i16> {
    inst: &'a Instance,
    kern: &'static Kernels,
    kind: EnergyKind,
    w: Weights,
    energy: i64,
    /// Words per bit row, patterns per unit lane row (= 64·stride), n = N/K.
    stride: usize,
    n_unit: usize,
    /// Unit lanes, K rows of 64·stride: Δ_l = σλ_l (perceptron, sign) or λ_l (ReLU).
    lanes: Vec<L>,
    /// Output lanes: σV (sign) or σh (ReLU); empty for the perceptron.
    out: Vec<L>,
    /// ΔE masks A_l, B_l: K rows of `stride` words.
    a: Vec<u64>,
    b: Vec<u64>,
    /// Per-unit class masks: perceptron/sign {Δ=+1}, {Δ=−1}, {Δ<0}; ReLU {λ≥0}, {λ=0} (in eq1, eqm1).
    eq1: Vec<u64>,
    eqm1: Vec<u64>,
    neg: Vec<u64>,
    /// Output class masks: sign {σV=+1}, {σV=−1}; ReLU {σh=0}, {σh=2}.
    o1: Vec<u64>,
    o2: Vec<u64>,
    scratch: Vec<u64>,
    /// Per unit l: all ones when c_l = −1, else 0 (XORed into the ΔE fill).
    cneg: Vec<u64>,
    /// Prefetch the next proposal's column: only when the columns exceed [`PREFETCH_ABOVE`] bytes.
    prefetch: bool,
}

/// Instances whose columns take more bytes than this are read from DRAM: the ΔE scan then prefetches the
/// next site's column (in cache it only costs time; see docs/performance.md).
pub const PREFETCH_ABOVE: usize = 16 << 20;

impl<'a, L: Lane> State<'a, L> {
    /// Builds the state of weights `w` on `inst` from scratch.
    pub fn new(
        inst: &'a Instance,
        w: Weights,
        kind: EnergyKind,
        kern: &'static Kernels,
    ) -> Result<Self> {
        if w.len() != inst.n() {
            return Err(Error::input(format!(
                "weights have {} entries, the instance has N={}",
                w.len(),
                inst.n()
            )));
        }
        let fields = crate::model::fast::fields(inst, &w, kern);
        Self::build(inst, w, kind, kern, &fields)
    }

    fn build(
        inst: &'a Instance,
        w: Weights,
        kind: EnergyKind,
        kern: &'static Kernels,
        fields: &Fields,
    ) -> Result<Self> {
        let arch = inst.arch();
        if w.len() != arch.n {
            return Err(Error::input(format!(
                "weights have {} entries, the instance has N={}",
                w.len(),
                arch.n
            )));
        }
        if kind == EnergyKind::Linear && arch.activation != Activation::Perceptron {
            return Err(Error::input("the linear (minimal-flip) energy is defined for the perceptron only: use --energy errors"));
        }
        let n_unit = arch.unit_len();
        let out_max = match arch.activation {
            Activation::Relu => arch.k / 2 * n_unit,
            _ => arch.k,
        };
        if !Self::fits(inst) {
            return Err(Error::input(format!(
                "the Monte Carlo lanes of this type hold |fields| up to {}: n = N/K = {n_unit} (and K/2·n = {out_max} for ReLU) is too large",
                L::MAX
            )));
        }
        let (k, stride) = (arch.k, inst.stride());
        let rows = k * stride;
        let mut s = State {
            inst,
            kern,
            kind,
            w,
            energy: 0,
            stride,
            n_unit,
            lanes: vec![L::ZERO; k * stride * 64],
            out: if arch.activation == Activation::Perceptron {
                Vec::new()
            } else {
                vec![L::ZERO; stride * 64]
            },
            a: vec![0; rows],
            b: vec![0; rows],
            eq1: vec![0; rows],
            eqm1: vec![0; rows],
            neg: vec![0; rows],
            o1: vec![0; stride],
            o2: vec![0; stride],
            scratch: vec![0; stride],
            cneg: (0..k)
                .map(|l| if arch.c(l) < 0 { !0u64 } else { 0 })
                .collect(),
            prefetch: inst.cols().len() * 8 > PREFETCH_ABOVE,
        };
        s.rebuild(fields);
        Ok(s)
    }

    /// Whether this lane type holds every field of `inst`: |λ_l| ≤ n = N/K, |σV| ≤ K, |σh| ≤ (K/2)·n.
    pub fn fits(inst: &Instance) -> bool {
        let arch = inst.arch();
        let n_unit = arch.unit_len();
        let out_max = match arch.activation {
            Activation::Relu => arch.k / 2 * n_unit,
            _ => arch.k,
        };
        n_unit <= L::MAX && out_max <= L::MAX
    }

    /// The energy kind this state counts.
    pub fn kind(&self) -> EnergyKind {
        self.kind
    }

    /// Unit lanes and output lanes of every pattern position (padding included), from scratch.
    fn scratch_lanes(&self, f: &Fields) -> (Vec<L>, Vec<L>) {
        let arch = self.inst.arch();
        let (k, p, n, len) = (arch.k, self.inst.p(), self.n_unit, self.stride * 64);
        // Padding patterns have all inputs +1 and label +1: λ_l = Σ_{i in block l} W_i.
        let pad: Vec<i32> = (0..k)
            .map(|l| (l * n..(l + 1) * n).map(|i| self.w.get(i) as i32).sum())
            .collect();
        let sigma = |mu: usize| {
            if mu < p {
                self.inst.sigma(mu) as i32
            } else {
                1
            }
        };
        let lambda = |l: usize, mu: usize| if mu < p { f.hidden(l, mu) } else { pad[l] };
        let mut lanes = vec![L::ZERO; k * len];
        let mut out = vec![
            L::ZERO;
            if arch.activation == Activation::Perceptron {
                0
            } else {
                len
            }
        ];
        for mu in 0..len {
            for l in 0..k {
                let v = match arch.activation {
                    Activation::Relu => lambda(l, mu),
                    _ => sigma(mu) * lambda(l, mu),
                };
                lanes[l * len + mu] = L::from_i32(v);
            }
            if !out.is_empty() {
                let o = crate::model::output_of(&arch, (0..k).map(|l| lambda(l, mu)));
                out[mu] = L::from_i32(sigma(mu) * o);
            }
        }
        (lanes, out)
    }

    /// Recomputes lanes, masks and energy from scratch.
    fn rebuild(&mut self, fields: &Fields) {
        let (lanes, out) = self.scratch_lanes(fields);
        self.lanes = lanes;
        self.out = out;
        let (k, stride, len) = (self.inst.k(), self.stride, self.stride * 64);
        let relu = self.inst.activation() == Activation::Relu;
        for l in 0..k {
            for w in 0..stride {
                let (mut e1, mut em1, mut ng) = (0u64, 0u64, 0u64);
                for j in 0..64 {
                    let v = self.lanes[l * len + w * 64 + j];
                    let (c1, c2, c3) = if relu {
                        (v >= L::ZERO, v == L::ZERO, false)
                    } else {
                        (v == L::ONE, v == L::MONE, v < L::ZERO)
                    };
                    e1 |= (c1 as u64) << j;
                    em1 |= (c2 as u64) << j;
                    ng |= (c3 as u64) << j;
                }
                self.eq1[l * stride + w] = e1;
                self.eqm1[l * stride + w] = em1;
                self.neg[l * stride + w] = ng;
            }
        }
        for w in 0..stride {
            let (mut x1, mut x2) = (0u64, 0u64);
            for j in 0..64 {
                if let Some(&v) = self.out.get(w * 64 + j) {
                    let (c1, c2) = if relu {
                        (v == L::ZERO, v == L::TWO)
                    } else {
                        (v == L::ONE, v == L::MONE)
                    };
                    x1 |= (c1 as u64) << j;
                    x2 |= (c2 as u64) << j;
                }
            }
            self.o1[w] = x1;
            self.o2[w] = x2;
        }
        self.mask_padding_all();
        for l in 0..k {
            self.rebuild_ab(l, 0, stride);
        }
        self.energy = self.energy_from_scratch();
    }

    fn mask_padding(row: &mut [u64], p: usize) {
        for (w, x) in row.iter_mut().enumerate().skip(p / 64) {
            *x &= valid_mask(w, p);
        }
    }

    fn mask_padding_all(&mut self) {
        let (p, s) = (self.inst.p(), self.stride);
        for rows in [&mut self.eq1, &mut self.eqm1, &mut self.neg] {
            for row in rows.chunks_exact_mut(s) {
                Self::mask_padding(row, p);
            }
        }
        Self::mask_padding(&mut self.o1, p);
        Self::mask_padding(&mut self.o2, p);
    }

    /// A_l, B_l over words [from, to).
    fn rebuild_ab(&mut self, l: usize, from: usize, to: usize) {
        let s = self.stride;
        let r = l * s;
        let lab = self.inst.labels();
        let cneg = if self.inst.arch().c(l) < 0 { !0u64 } else { 0 };
        for w in from..to {
            let (e1, em1, ng) = (self.eq1[r + w], self.eqm1[r + w], self.neg[r + w]);
            let (a, b) = match (self.inst.activation(), self.kind) {
                (Activation::Perceptron, EnergyKind::Errors) => (e1, em1),
                (Activation::Perceptron, EnergyKind::Linear) => (e1 | ng, ng),
                (Activation::Sign, _) => (e1 & self.o1[w], em1 & self.o2[w]),
                (Activation::Relu, _) => {
                    // eq1 = {λ ≥ 0}, eqm1 = {λ = 0}, o1 = {σh = 0}, o2 = {σh = 2}; sneg = {σ c_l = −1}.
                    let sneg = lab[w] ^ cneg;
                    (
                        self.o2[w] & e1 & (sneg | !em1),
                        self.o1[w] & e1 & (!sneg | !em1),
                    )
                }
            };
            self.a[r + w] = a;
            self.b[r + w] = b;
        }
    }

    /// E(W) from the masks and lanes held (not from the fast path's bookkeeping).
    fn energy_from_scratch(&self) -> i64 {
        let p = self.inst.p();
        match (self.inst.activation(), self.kind) {
            (Activation::Perceptron, EnergyKind::Errors) => {
                (0..p).filter(|&m| self.lanes[m] < L::ZERO).count() as i64
            }
            (Activation::Perceptron, EnergyKind::Linear) => (0..p)
                .map(|m| self.lanes[m].to_i32() as i64)
                .filter(|&d| d < 0)
                .map(|d| (-d + 1) / 2)
                .sum(),
            (Activation::Sign, _) => (0..p).filter(|&m| self.out[m] < L::ZERO).count() as i64,
            (Activation::Relu, _) => (0..p).filter(|&m| self.out[m] <= L::ZERO).count() as i64,
        }
    }

    /// The rows the ΔE scan reads.
    #[inline]
    fn rows(&self) -> DeltaRows<'_> {
        DeltaRows::new(
            &self.a,
            &self.b,
            self.inst.cols(),
            self.inst.labels(),
            self.w.words(),
            &self.cneg,
            self.stride,
            self.n_unit,
            self.prefetch,
        )
        .expect("a state's ΔE rows are consistent")
    }

    /// Unit of weight i and the fill to XOR into its column for the ΔE kernel.
    #[inline]
    fn unit_fill(&self, i: usize) -> (usize, u64) {
        let l = if self.n_unit == self.w.len() {
            0
        } else {
            i / self.n_unit
        };
        (l, self.w.fill(i) ^ self.cneg[l])
    }
}

impl<L: Lane> Replica for State<'_, L> {
    fn n(&self) -> usize {
        self.w.len()
    }

    fn energy(&self) -> i64 {
        self.energy
    }

    #[inline(always)]
    fn delta_energy(&self, i: usize) -> i64 {
        let (l, fill) = self.unit_fill(i);
        let r = l * self.stride..(l + 1) * self.stride;
        self.kern.delta(
            &self.a[r.clone()],
            &self.b[r],
            self.inst.col(i),
            self.inst.labels(),
            fill,
        )
    }

    fn delta_each(reps: &[Self], i: usize, next: Option<usize>, out: &mut [i64]) {
        let Some(r0) = reps.first() else { return };
        let (inst, s) = (r0.inst, r0.stride);
        let next = next.filter(|_| r0.prefetch).map(|j| inst.col(j));
        // Up to 8 replicas per kernel call, without allocating.
        for (chunk, o) in reps.chunks(8).zip(out.chunks_mut(8)) {
            let mut rows = [SiteRows {
                a: &[],
                b: &[],
                fill: 0,
            }; 8];
            for (slot, r) in rows.iter_mut().zip(chunk) {
                let (l, fill) = r.unit_fill(i);
                *slot = SiteRows {
                    a: &r.a[l * s..(l + 1) * s],
                    b: &r.b[l * s..(l + 1) * s],
                    fill,
                };
            }
            r0.kern
                .delta_each(&rows[..chunk.len()], inst.col(i), inst.labels(), next, o);
        }
    }

    #[inline]
    fn scan<F: FnMut(usize, i64) -> bool>(
        &self,
        sites: &[usize],
        accept: F,
    ) -> Option<(usize, i64)> {
        self.kern.scan(&self.rows(), sites, accept)
    }

    fn flip_with_delta(&mut self, i: usize, de: i64) {
        debug_assert_eq!(de, self.delta_energy(i));
        let (l, _) = self.unit_fill(i);
        let (s, p, len) = (self.stride, self.inst.p(), self.stride * 64);
        let rows = l * s..(l + 1) * s;
        let lanes = &mut self.lanes[l * len..(l + 1) * len];
        let (col, lab, fill) = (self.inst.col(i), self.inst.labels(), self.w.fill(i));
        match self.inst.activation() {
            Activation::Perceptron => {
                self.kern.update_classify(
                    lanes,
                    col,
                    lab,
                    fill,
                    &mut self.eq1[rows.clone()],
                    &mut self.eqm1[rows.clone()],
                    &mut self.neg[rows.clone()],
                );
                for row in [&mut self.eq1, &mut self.eqm1, &mut self.neg] {
                    Self::mask_padding(&mut row[rows.clone()], p);
                }
                if self.kind == EnergyKind::Errors {
                    // A = {Δ = +1}, B = {Δ = −1}: the class masks themselves.
                    self.a.copy_from_slice(&self.eq1);
                    self.b.copy_from_slice(&self.eqm1);
                } else {
                    self.rebuild_ab(0, 0, s);
                }
            }
            Activation::Sign => {
                self.scratch.copy_from_slice(&self.neg[rows.clone()]);
                self.kern.update_classify(
                    lanes,
                    col,
                    lab,
                    fill,
                    &mut self.eq1[rows.clone()],
                    &mut self.eqm1[rows.clone()],
                    &mut self.neg[rows.clone()],
                );
                for row in [&mut self.eq1, &mut self.eqm1, &mut self.neg] {
                    Self::mask_padding(&mut row[rows.clone()], p);
                }
                // Patterns whose vote of unit l changed: σV moves by ∓2, sparse bit by bit.
                for w in 0..s {
                    let now = self.neg[l * s + w];
                    let mut changed = self.scratch[w] ^ now;
                    if changed == 0 {
                        continue;
                    }
                    while changed != 0 {
                        let j = changed.trailing_zeros() as usize;
                        changed &= changed - 1;
                        let v = &mut self.out[w * 64 + j];
                        *v = v.wadd(if (now >> j) & 1 == 1 { -2 } else { 2 });
                        let bit = 1u64 << j;
                        self.o1[w] = (self.o1[w] & !bit) | if *v == L::ONE { bit } else { 0 };
                        self.o2[w] = (self.o2[w] & !bit) | if *v == L::MONE { bit } else { 0 };
                    }
                    for u in 0..self.inst.k() {
                        if u != l {
                            self.rebuild_ab(u, w, w + 1);
                        }
                    }
                }
                self.rebuild_ab(l, 0, s);
            }
            Activation::Relu => {
                let cfill = if self.inst.arch().c(l) < 0 { !0u64 } else { 0 };
                self.kern.relu_update(
                    lanes,
                    &mut self.out,
                    col,
                    lab,
                    fill,
                    cfill,
                    [
                        &mut self.eq1[rows.clone()],
                        &mut self.eqm1[rows.clone()],
                        &mut self.o1,
                        &mut self.o2,
                    ],
                );
                Self::mask_padding(&mut self.eq1[rows.clone()], p);
                Self::mask_padding(&mut self.eqm1[rows.clone()], p);
                Self::mask_padding(&mut self.o1, p);
                Self::mask_padding(&mut self.o2, p);
                for u in 0..self.inst.k() {
                    self.rebuild_ab(u, 0, s);
                }
            }
        }
        self.w.flip(i);
        self.energy += de;
    }

    fn weights(&self) -> &Weights {
        &self.w
    }

    fn verify(&self) -> Result<(), String> {
        let fields = reference::fields(self.inst, &self.w);
        let fresh = State::build(self.inst, self.w.clone(), self.kind, self.kern, &fields)
            .map_err(|e| e.to_string())?;
        let len = self.stride * 64;
        let p = self.inst.p();
        for l in 0..self.inst.k() {
            for mu in 0..p {
                let (a, b) = (self.lanes[l * len + mu], fresh.lanes[l * len + mu]);
                if a != b {
                    return Err(format!(
                        "unit {l} pattern {mu}: incremental lane {a:?}, from scratch {b:?}"
                    ));
                }
            }
        }
        for mu in 0..p {
            if self.out.get(mu) != fresh.out.get(mu) {
                return Err(format!(
                    "pattern {mu}: incremental output {:?}, from scratch {:?}",
                    self.out.get(mu),
                    fresh.out.get(mu)
                ));
            }
        }
        let named = [
            ("A", &self.a, &fresh.a),
            ("B", &self.b, &fresh.b),
            ("class1", &self.eq1, &fresh.eq1),
            ("class2", &self.eqm1, &fresh.eqm1),
            ("neg", &self.neg, &fresh.neg),
            ("out1", &self.o1, &fresh.o1),
            ("out2", &self.o2, &fresh.o2),
        ];
        for (name, x, y) in named {
            if x != y {
                let w = x
                    .iter()
                    .zip(y.iter())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                return Err(format!(
                    "mask {name} differs at word {w}: {:016x} vs {:016x}",
                    x[w], y[w]
                ));
            }
        }
        if self.energy != fresh.energy {
            return Err(format!(
                "incremental energy {}, from scratch {}",
                self.energy, fresh.energy
            ));
        }
        if self.kind == EnergyKind::Errors {
            let e = reference::errors(self.inst, &self.w) as i64;
            if e != self.energy {
                return Err(format!(
                    "energy {} but the reference evaluator counts {e} errors",
                    self.energy
                ));
            }
        }
        Ok(())
    }
}
