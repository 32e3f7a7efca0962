//! The margin state of one weight vector on an instance: per-pattern integer fields in lanes, the class
//! masks derived from them, and the ΔE masks A_l, B_l (see `mc::state` for how ΔE reads them). This file is
//! the part every architecture shares: building everything from scratch, padding, rebuilding A_l, B_l and
//! comparing two states; what the lanes and masks mean, and how one flip updates them, is each
//! architecture's [`Units`] (its own file).
//!
//! Layout: `stride` words per bit row, 64·stride lanes per lane row; K unit rows, one output row.

use super::{Arch, EnergyKind, Fields, Units};
use crate::bits::{valid_mask, Kernels, Lane};
use crate::error::{Error, Result};
use crate::weights::Weights;

/// Lanes and masks of one weight vector (see the module docs).
pub struct Margins<L: Lane> {
    pub(super) arch: Arch,
    pub(super) kind: EnergyKind,
    /// P and words per bit row.
    pub(super) p: usize,
    pub(super) stride: usize,
    /// Unit lanes, K rows of 64·stride.
    pub(super) lanes: Vec<L>,
    /// Output lanes (one row), empty when the architecture keeps none.
    pub(super) out: Vec<L>,
    /// ΔE masks A_l, B_l: K rows.
    pub(super) a: Vec<u64>,
    pub(super) b: Vec<u64>,
    /// The three class masks of every unit (K rows each), named by their use for sign units.
    pub(super) eq1: Vec<u64>,
    pub(super) eqm1: Vec<u64>,
    pub(super) neg: Vec<u64>,
    /// The two output class masks (one row each).
    pub(super) o1: Vec<u64>,
    pub(super) o2: Vec<u64>,
    /// One row of scratch for the update rules.
    pub(super) scratch: Vec<u64>,
    /// Per unit l: all ones when c_l = −1, else 0.
    pub(super) cneg: Vec<u64>,
}

/// σ^μ as ±1 from a label plane.
fn sigma(labels: &[u64], mu: usize) -> i32 {
    1 - 2 * ((labels[mu / 64] >> (mu % 64)) & 1) as i32
}

/// The class bits of a unit lane Δ = σλ shared by the perceptron and sign units: {Δ = +1}, {Δ = −1},
/// {Δ < 0}.
pub(super) fn margin_classes<L: Lane>(v: L) -> [bool; 3] {
    [v == L::ONE, v == L::MONE, v < L::ZERO]
}

impl<L: Lane> Margins<L> {
    /// Whether this lane type holds every field of `arch`: |unit lane| ≤ n = N/K and the output bound.
    pub fn fits(arch: &Arch) -> bool {
        let n = arch.unit_len();
        let out = with_units!(arch.activation, U => U::out_max(arch.k, n)).unwrap_or(0);
        n <= L::MAX && out <= L::MAX
    }

    /// The state of weights `w` whose fields are `f`, on P patterns with label plane `labels`
    /// (`stride` words).
    pub fn new(
        arch: Arch,
        kind: EnergyKind,
        labels: &[u64],
        p: usize,
        w: &Weights,
        f: &Fields,
    ) -> Result<Self> {
        if !with_units!(arch.activation, U => U::has_energy(kind)) {
            return Err(Error::input("the linear (minimal-flip) energy is defined for the perceptron only: use --energy errors"));
        }
        let n = arch.unit_len();
        if !Self::fits(&arch) {
            let out = with_units!(arch.activation, U => U::out_max(arch.k, n)).unwrap_or(0);
            return Err(Error::input(format!(
                "the Monte Carlo lanes of this type hold |fields| up to {}: n = N/K = {n} (and the output bound {out}) is too large",
                L::MAX
            )));
        }
        let (k, stride) = (arch.k, labels.len());
        let rows = k * stride;
        let has_out = with_units!(arch.activation, U => U::out_max(k, n)).is_some();
        let mut m = Margins {
            arch,
            kind,
            p,
            stride,
            lanes: Vec::new(),
            out: Vec::new(),
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
        };
        with_units!(arch.activation, U => m.rebuild::<U>(labels, w, f, has_out));
        Ok(m)
    }

    /// A_l, B_l (K rows of `stride` words each) and the per-unit fill of c_l = −1, for the ΔE kernel.
    pub fn a(&self) -> &[u64] {
        &self.a
    }
    pub fn b(&self) -> &[u64] {
        &self.b
    }
    pub fn cneg(&self) -> &[u64] {
        &self.cneg
    }

    /// After W_i of unit l flips (`col` the column it multiplies, `fill` its word fill before the flip).
    #[inline]
    pub fn flip(&mut self, kern: &Kernels, l: usize, col: &[u64], labels: &[u64], fill: u64) {
        with_units!(self.arch.activation, U => U::flip(self, kern, l, col, labels, fill))
    }

    /// E(W) counted from the lanes held.
    pub fn energy(&self) -> i64 {
        with_units!(self.arch.activation, U => U::energy(self))
    }

    /// Lanes and masks from scratch.
    fn rebuild<U: Units>(&mut self, labels: &[u64], w: &Weights, f: &Fields, has_out: bool) {
        let (k, n, p, len) = (self.arch.k, self.arch.unit_len(), self.p, self.stride * 64);
        // Padding patterns have all inputs +1 and label +1: λ_l = Σ_{i of unit l} W_i.
        let pad: Vec<i32> = (0..k)
            .map(|l| (l * n..(l + 1) * n).map(|i| w.get(i) as i32).sum())
            .collect();
        let sig = |mu: usize| if mu < p { sigma(labels, mu) } else { 1 };
        let lambda = |l: usize, mu: usize| if mu < p { f.hidden(l, mu) } else { pad[l] };
        self.lanes = vec![L::ZERO; k * len];
        self.out = vec![L::ZERO; if has_out { len } else { 0 }];
        for mu in 0..len {
            for l in 0..k {
                self.lanes[l * len + mu] = L::from_i32(U::unit_lane(sig(mu), lambda(l, mu)));
            }
            if has_out {
                let o = self.arch.output((0..k).map(|l| lambda(l, mu)));
                self.out[mu] = L::from_i32(sig(mu) * o);
            }
        }
        let s = self.stride;
        for l in 0..k {
            for w in 0..s {
                let mut c = [0u64; 3];
                for j in 0..64 {
                    let bits = U::unit_classes(self.lanes[l * len + w * 64 + j]);
                    for (x, b) in c.iter_mut().zip(bits) {
                        *x |= (b as u64) << j;
                    }
                }
                self.eq1[l * s + w] = c[0];
                self.eqm1[l * s + w] = c[1];
                self.neg[l * s + w] = c[2];
            }
        }
        for w in 0..s {
            let mut c = [0u64; 2];
            for j in 0..64 {
                if let Some(&v) = self.out.get(w * 64 + j) {
                    for (x, b) in c.iter_mut().zip(U::out_classes(v)) {
                        *x |= (b as u64) << j;
                    }
                }
            }
            self.o1[w] = c[0];
            self.o2[w] = c[1];
        }
        for rows in [&mut self.eq1, &mut self.eqm1, &mut self.neg] {
            for row in rows.chunks_exact_mut(s) {
                mask_padding(row, p);
            }
        }
        mask_padding(&mut self.o1, p);
        mask_padding(&mut self.o2, p);
        for l in 0..k {
            self.rebuild_ab::<U>(l, 0, s, labels);
        }
    }

    /// A_l, B_l over words [from, to), from the class masks.
    #[inline]
    pub(super) fn rebuild_ab<U: Units>(
        &mut self,
        l: usize,
        from: usize,
        to: usize,
        labels: &[u64],
    ) {
        let r = l * self.stride;
        let cneg = self.cneg[l];
        for w in from..to {
            let unit = [self.eq1[r + w], self.eqm1[r + w], self.neg[r + w]];
            let (a, b) = U::ab(self.kind, unit, [self.o1[w], self.o2[w]], labels[w] ^ cneg);
            self.a[r + w] = a;
            self.b[r + w] = b;
        }
    }

    /// The first difference between this state and `fresh` (the same weights built from scratch).
    pub fn compare(&self, fresh: &Self) -> std::result::Result<(), String> {
        let (len, p) = (self.stride * 64, self.p);
        for l in 0..self.arch.k {
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
        Ok(())
    }
}

/// Clears the bits of `row` past P.
pub(super) fn mask_padding(row: &mut [u64], p: usize) {
    for (w, x) in row.iter_mut().enumerate().skip(p / 64) {
        *x &= valid_mask(w, p);
    }
}
