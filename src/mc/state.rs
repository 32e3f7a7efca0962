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
//! The fully connected committee uses the sign-unit rule, with ξ_i read as the column ξ_{i mod n} that
//! W_i multiplies (every unit sees the same n inputs).
//!
//! A rejected move costs one kernel call over P/64 words of A_l, B_l, the column and the label plane.
//! An accepted move updates unit l's P lanes and masks with one SIMD pass, then the output masks.
//!
//! This file is the engine every architecture shares: weights, energy, the ΔE kernels and the from-scratch
//! check. The lanes and masks are a [`Margins`]; their meaning and the update after one flip are each
//! architecture's rules (`model/`, one file each).

use crate::bits::{DeltaRows, Kernels, Lane, SiteRows};
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::model::{reference, Fields, Margins};
use crate::weights::Weights;

pub use crate::model::EnergyKind;

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
    /// Bytes of the instance one proposal reads (a column), for sizing cache blocks
    /// ([`Order::Blocked`](super::Order::Blocked)); 0 when unknown.
    fn column_bytes(&self) -> usize {
        0
    }
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
    /// Words per bit row; n = N/K.
    stride: usize,
    n_unit: usize,
    /// n when every unit reads the same n columns (weight i of unit l reads column i − l·n), else 0.
    shared: usize,
    /// Lanes, class masks and the ΔE masks A_l, B_l.
    m: Margins<L>,
    /// Prefetch the next proposal's column: only when the columns exceed [`PREFETCH_ABOVE`] bytes.
    prefetch: bool,
}

/// Instances whose columns take more bytes than this do not fit in L2 (1 MiB per core): the ΔE scan then
/// prefetches the next site's column, from L3 or DRAM (below it costs the register-held scan of small
/// instances; measured in docs/performance.md).
pub const PREFETCH_ABOVE: usize = 1 << 20;

/// Whether the scans over columns of `bytes` bytes prefetch: above [`PREFETCH_ABOVE`], or as
/// `DENSEMC_PREFETCH=0` (never) / `1` (always) says (for measurements; trajectories do not depend on it).
fn prefetch_columns(bytes: usize) -> bool {
    match std::env::var("DENSEMC_PREFETCH").as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => bytes > PREFETCH_ABOVE,
    }
}

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
        let m = Margins::new(arch, kind, inst.labels(), inst.p(), &w, fields)?;
        let n_unit = arch.unit_len();
        let shared = if arch.activation.is_fully_connected() {
            n_unit
        } else {
            0
        };
        let state = State {
            inst,
            kern,
            kind,
            w,
            energy: m.energy(),
            stride: inst.stride(),
            n_unit,
            shared,
            m,
            prefetch: prefetch_columns(inst.cols().len() * 8),
        };
        if shared == 0 {
            // The rows of every later scan have these lengths: checked here once (see `rows`).
            state
                .checked_rows()
                .map_err(|e| Error::input(format!("the state's ΔE rows: {e}")))?;
        }
        Ok(state)
    }

    fn checked_rows(&self) -> std::result::Result<DeltaRows<'_>, crate::bits::LayoutError> {
        DeltaRows::new(
            self.m.a(),
            self.m.b(),
            self.inst.cols(),
            self.inst.labels(),
            self.w.words(),
            self.m.cneg(),
            self.stride,
            self.n_unit,
            self.prefetch,
        )
    }

    /// Whether this lane type holds every field of `inst`: |λ_l| ≤ n = N/K, |σV| ≤ K, |σh| ≤ (K/2)·n.
    pub fn fits(inst: &Instance) -> bool {
        Margins::<L>::fits(&inst.arch())
    }

    /// The energy kind this state counts.
    pub fn kind(&self) -> EnergyKind {
        self.kind
    }

    /// The rows the ΔE scan reads (tree architectures: `shared == 0`).
    #[inline]
    fn rows(&self) -> DeltaRows<'_> {
        debug_assert_eq!(self.shared, 0);
        // SAFETY: `build` checked these rows with `DeltaRows::new` (`checked_rows`). None of their lengths
        // changes afterwards: the instance is shared and immutable, the masks of `m` and the weight words
        // are updated in place, and stride, n_unit, prefetch are fixed.
        unsafe {
            DeltaRows::new_unchecked(
                self.m.a(),
                self.m.b(),
                self.inst.cols(),
                self.inst.labels(),
                self.w.words(),
                self.m.cneg(),
                self.stride,
                self.n_unit,
                self.prefetch,
            )
        }
    }

    /// Unit of weight i and the fill to XOR into its column for the ΔE kernel.
    #[inline]
    fn unit_fill(&self, i: usize) -> (usize, u64) {
        let l = if self.n_unit == self.w.len() {
            0
        } else {
            i / self.n_unit
        };
        (l, self.w.fill(i) ^ self.m.cneg()[l])
    }

    /// The column that weight i, of unit l, multiplies.
    #[inline(always)]
    fn col(&self, i: usize, l: usize) -> &'a [u64] {
        self.inst.col(i - l * self.shared)
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
            &self.m.a()[r.clone()],
            &self.m.b()[r],
            self.col(i, l),
            self.inst.labels(),
            fill,
        )
    }

    fn delta_each(reps: &[Self], i: usize, next: Option<usize>, out: &mut [i64]) {
        let Some(r0) = reps.first() else { return };
        let (inst, s) = (r0.inst, r0.stride);
        let col_of = |j: usize| r0.col(j, r0.unit_fill(j).0);
        let next = next.filter(|_| r0.prefetch).map(col_of);
        let col = col_of(i);
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
                    a: &r.m.a()[l * s..(l + 1) * s],
                    b: &r.m.b()[l * s..(l + 1) * s],
                    fill,
                };
            }
            r0.kern
                .delta_each(&rows[..chunk.len()], col, inst.labels(), next, o);
        }
    }

    #[inline]
    fn scan<F: FnMut(usize, i64) -> bool>(
        &self,
        sites: &[usize],
        mut accept: F,
    ) -> Option<(usize, i64)> {
        if self.shared == 0 {
            self.kern.scan(&self.rows(), sites, accept)
        } else {
            // The scan kernel reads column i at site i: shared columns go one proposal at a time.
            sites.iter().enumerate().find_map(|(k, &i)| {
                let de = self.delta_energy(i);
                accept(i, de).then_some((k, de))
            })
        }
    }

    fn flip_with_delta(&mut self, i: usize, de: i64) {
        debug_assert_eq!(de, self.delta_energy(i));
        let (l, _) = self.unit_fill(i);
        let col = self.col(i, l);
        self.m
            .flip(self.kern, l, col, self.inst.labels(), self.w.fill(i));
        self.w.flip(i);
        self.energy += de;
    }

    fn weights(&self) -> &Weights {
        &self.w
    }

    fn column_bytes(&self) -> usize {
        self.stride * 8
    }

    fn verify(&self) -> Result<(), String> {
        let fields = reference::fields(self.inst, &self.w);
        let fresh = State::<L>::build(self.inst, self.w.clone(), self.kind, self.kern, &fields)
            .map_err(|e| e.to_string())?;
        self.m.compare(&fresh.m)?;
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
