//! What an online learner keeps: the patterns as rows (one word-aligned bit row per pattern and hidden unit,
//! so that a presented pattern's fields are a few XOR + popcounts), the integer hidden states h_i, and the
//! packed weights W_i = sign(h_i), kept in step with h incrementally (a bit flips when h_i changes sign).
//! [`State::verify`] recomputes both from scratch.

use crate::bits::Kernels;
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::model::{fast, Arch};
use crate::weights::Weights;

/// The learner's state on one instance (see the module docs).
pub struct State {
    arch: Arch,
    /// n = N/K, the inputs of one hidden unit.
    n: usize,
    /// Words of one unit's row (n bits, padding zero).
    uw: usize,
    p: usize,
    /// Pattern μ, unit l: bits ξ (bit 1 = −1) of unit l's n inputs at `(μ·K + l)·uw`.
    rows: Vec<u64>,
    /// σ^μ as ±1.
    sigma: Vec<i8>,
    /// h_i, odd, |h_i| ≤ `bound`, in weight order (unit l's weights l·n..(l+1)·n).
    h: Vec<i16>,
    /// Bit 1 where h_i < 0, unit l's n weights at `l·uw`, padding zero.
    w: Vec<u64>,
    /// K_h − 1: the largest |h_i|.
    bound: i16,
    /// One XOR row for the popcount kernel.
    scratch: Vec<u64>,
    kern: &'static Kernels,
}

impl State {
    /// The rows of `inst`, hidden states h_i = W_i (±1, the edge of the sign) from `init`, and the bound
    /// K_h − 1 on |h_i| (`states` = K_h, even, ≥ 2).
    pub fn new(inst: &Instance, init: &Weights, states: u32) -> Result<State> {
        let arch = inst.arch();
        let (k, n, p) = (arch.k, arch.unit_len(), inst.p());
        if init.len() != arch.n {
            return Err(Error::input(format!(
                "the initial weights have {} entries but the instance has N = {}",
                init.len(),
                arch.n
            )));
        }
        super::check_states(states)?;
        let uw = n.div_ceil(64);
        let mut rows = vec![0u64; p * k * uw];
        for l in 0..k {
            let first = arch.first_input(l);
            for j in 0..n {
                let col = inst.col(first + j);
                for mu in 0..p {
                    let bit = (col[mu / 64] >> (mu % 64)) & 1;
                    rows[(mu * k + l) * uw + j / 64] |= bit << (j % 64);
                }
            }
        }
        let sigma = (0..p).map(|mu| inst.sigma(mu)).collect();
        let h: Vec<i16> = (0..arch.n).map(|i| init.get(i) as i16).collect();
        let mut s = State {
            arch,
            n,
            uw,
            p,
            rows,
            sigma,
            w: vec![0; k * uw],
            h,
            bound: (states - 1) as i16,
            scratch: vec![0; uw],
            kern: Kernels::best(),
        };
        s.w = s.packed_from_h();
        Ok(s)
    }

    pub fn arch(&self) -> Arch {
        self.arch
    }
    /// P, the number of patterns.
    pub fn p(&self) -> usize {
        self.p
    }
    /// σ^μ.
    pub fn sigma(&self, mu: usize) -> i32 {
        self.sigma[mu] as i32
    }
    /// The hidden states h_i.
    pub fn hidden(&self) -> &[i16] {
        &self.h
    }

    /// λ_l^μ = Σ_j W_{lj} ξ_j^μ = n − 2·#mismatches, for every unit l, into `out` (length K).
    pub fn fields(&mut self, mu: usize, out: &mut [i32]) {
        let (k, uw) = (self.arch.k, self.uw);
        for (l, o) in out.iter_mut().enumerate().take(k) {
            let row = &self.rows[(mu * k + l) * uw..(mu * k + l + 1) * uw];
            let w = &self.w[l * uw..(l + 1) * uw];
            for ((x, a), b) in self.scratch.iter_mut().zip(row).zip(w) {
                *x = a ^ b;
            }
            *o = self.n as i32 - 2 * self.kern.popcount(&self.scratch) as i32;
        }
    }

    /// ξ_j^μ of unit l's input j as ±1.
    #[inline]
    fn xi(&self, mu: usize, l: usize, j: usize) -> i16 {
        let word = self.rows[(mu * self.arch.k + l) * self.uw + j / 64];
        1 - 2 * ((word >> (j % 64)) & 1) as i16
    }

    /// Sets h_i of unit l's weight j to `v` (clipped to the bound), flipping W when its sign changes.
    #[inline]
    fn set(&mut self, l: usize, j: usize, v: i16) {
        let i = l * self.n + j;
        let v = v.clamp(-self.bound, self.bound);
        if (v < 0) != (self.h[i] < 0) {
            self.w[l * self.uw + j / 64] ^= 1 << (j % 64);
        }
        self.h[i] = v;
    }

    /// The perceptron step on unit l towards direction s (the sign λ_l should move in): h_i += 2 s ξ_i for
    /// every input of the unit. Returns the number of weights that changed sign.
    pub fn push(&mut self, mu: usize, l: usize, s: i16) -> u64 {
        let mut flips = 0;
        for j in 0..self.n {
            let old = self.h[l * self.n + j];
            let new = old + 2 * s * self.xi(mu, l, j);
            self.set(l, j, new);
            flips += ((old < 0) != (new < 0)) as u64;
        }
        flips
    }

    /// SBPI's metaplastic step on unit l in direction s: h_i += 2 s ξ_i only where W_i ξ_i s = +1 (the
    /// weights that already agree), which deepens them and changes no sign.
    pub fn consolidate(&mut self, mu: usize, l: usize, s: i16) {
        for j in 0..self.n {
            let d = s * self.xi(mu, l, j);
            let i = l * self.n + j;
            if (self.h[i] > 0) == (d > 0) {
                self.set(l, j, self.h[i] + 2 * d);
            }
        }
    }

    /// CP+R's reinforcement of every weight: h_i += 2 sign(h_i), clipped (no sign change).
    pub fn reinforce_all(&mut self) {
        let b = self.bound;
        for v in self.h.iter_mut() {
            *v = (*v + 2 * v.signum()).clamp(-b, b);
        }
    }

    /// W = sign(h) as weights.
    pub fn weights(&self) -> Weights {
        Weights::from_signs(
            &self
                .h
                .iter()
                .map(|&v| if v < 0 { -1 } else { 1 })
                .collect::<Vec<_>>(),
        )
    }

    /// E(W), counted from the rows (one popcount per pattern and unit).
    pub fn errors(&mut self) -> u64 {
        let mut lam = vec![0i32; self.arch.k];
        let mut e = 0;
        for mu in 0..self.p {
            self.fields(mu, &mut lam);
            let out = self.arch.output(lam.iter().copied());
            e += self.arch.is_error(self.sigma(mu), out as i64) as u64;
        }
        e
    }

    fn packed_from_h(&self) -> Vec<u64> {
        let mut w = vec![0u64; self.arch.k * self.uw];
        for (i, &v) in self.h.iter().enumerate() {
            let (l, j) = (i / self.n, i % self.n);
            w[l * self.uw + j / 64] |= ((v < 0) as u64) << (j % 64);
        }
        w
    }

    /// Checks the incremental state against a recomputation: every h_i odd and within the bound, the packed
    /// weights equal sign(h), and the error count from the rows equal to the bit-sliced evaluator's on
    /// `inst` (the instance the state was built from). Returns E(W).
    pub fn verify(&mut self, inst: &Instance) -> Result<u64> {
        if let Some(i) = self
            .h
            .iter()
            .position(|&v| v % 2 == 0 || v.abs() > self.bound)
        {
            return Err(Error::Bug(format!(
                "hidden state h_{i} = {} is not odd within ±{}",
                self.h[i], self.bound
            )));
        }
        if self.w != self.packed_from_h() {
            return Err(Error::Bug(
                "the packed weights differ from sign(h) recomputed".into(),
            ));
        }
        let e = self.errors();
        let f = fast::errors(inst, &self.weights(), self.kern);
        if e != f {
            return Err(Error::Bug(format!(
                "the rows count {e} errors but the evaluator counts {f}"
            )));
        }
        Ok(e)
    }
}
