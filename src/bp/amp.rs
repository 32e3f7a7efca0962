//! The relaxed (AMP/TAP) form of the perceptron BP: O(N + P) memory beyond the instance, whose bit-packed
//! columns it reads directly.
//!
//! Expanding the Gaussian-rule messages to first order in one weight's contribution leaves one number per
//! pattern and one per weight. With V = Σ_i (1 − m_i²) (the same for every pattern, as (ζ_i^μ)² = 1):
//!
//! - ω_μ = Σ_i ζ_i^μ m_i − V g_μ (the Onsager term removes each weight's own echo, g_μ from the last sweep);
//! - g_μ = ∂_ω ln H(−ω_μ/√V) = G(x)/H(−x)/√V with x = ω_μ/√V, and g'_μ = −(G/H)(G/H + x)/V;
//! - the pattern field on weight i: Σ_μ ζ_i^μ g_μ − m_i Σ_μ g'_μ.
//!
//! Its fixed points are those of [`super::perceptron::Bp`] with the Gaussian rule up to O(1/√N) per m_i.

use super::messages::{Engine, Focus, Marginals};
use super::perceptron::check_perceptron;
use super::special::g_over_h;
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::rng;
use rayon::prelude::*;

/// AMP state: g_μ per pattern and the weights' marginals.
#[derive(Clone, Debug)]
pub struct Amp<'a> {
    inst: &'a Instance,
    /// σ^μ as ±1, padded with zeros to the column length.
    sigma: Vec<f64>,
    /// g_μ of the last sweep (zero past P).
    g: Vec<f64>,
    marg: Marginals,
    /// Scratch: Σ_i ξ_i^μ x_i over μ (column length).
    acc: Vec<f64>,
}

/// acc_μ = Σ_i ξ_i^μ x_i for all μ (column length), reading the bit columns (bit 1 = −1). Blocks of 64
/// patterns in parallel, each summed in weight order: the same for any thread count.
fn patterns_times(inst: &Instance, x: &[f64], acc: &mut [f64]) {
    let total: f64 = x.iter().sum();
    // Σ_i ξ x_i = Σ_i x_i − 2 Σ_{i: bit set} x_i.
    acc.par_chunks_mut(64).enumerate().for_each(|(k, out)| {
        out.fill(0.0);
        for (i, &xi) in x.iter().enumerate() {
            let w = inst.col(i)[k];
            for (j, o) in out.iter_mut().enumerate() {
                *o += xi * ((w >> j) & 1) as f64;
            }
        }
        for a in out.iter_mut() {
            *a = total - 2.0 * *a;
        }
    });
}

/// out_i = Σ_μ ξ_i^μ y_μ for all i, `y` of column length with zeros past P; weights in parallel.
fn patterns_transposed_times(inst: &Instance, y: &[f64], out: &mut [f64]) {
    let total: f64 = y.iter().sum();
    out.par_iter_mut().enumerate().for_each(|(i, o)| {
        let mut set = 0.0;
        for (k, &w) in inst.col(i).iter().enumerate() {
            let ys = &y[64 * k..64 * k + 64];
            for (j, &v) in ys.iter().enumerate() {
                set += v * ((w >> j) & 1) as f64;
            }
        }
        *o = total - 2.0 * set;
    });
}

impl<'a> Amp<'a> {
    /// AMP on a binary perceptron instance; the initial magnetisations are uniform in [−init, init], seeded.
    pub fn new(inst: &'a Instance, init: f64, seed: u64) -> Result<Amp<'a>> {
        check_perceptron(inst, "AMP")?;
        if !(init.is_finite() && (0.0..1.0).contains(&init)) {
            return Err(Error::input(format!(
                "init (the scale of the initial magnetisations) must be in [0, 1) for AMP (got {init})"
            )));
        }
        let (n, p, len) = (inst.n(), inst.p(), 64 * inst.stride());
        let mut sigma = vec![0.0; len];
        for (mu, s) in sigma.iter_mut().enumerate().take(p) {
            *s = inst.sigma(mu) as f64;
        }
        let mut marg = Marginals::new(n);
        let mut r = rng::stream(seed, "amp-init", 0);
        for i in 0..n {
            marg.m[i] = init * (2.0 * rng::uniform(&mut r) - 1.0);
            marg.field[i] = marg.m[i].atanh();
            marg.pattern[i] = marg.field[i];
        }
        Ok(Amp {
            inst,
            sigma,
            g: vec![0.0; len],
            marg,
            acc: vec![0.0; len],
        })
    }

    /// Sets the external field on every weight; takes effect at the next sweep.
    pub fn set_external(&mut self, ext: &[f64]) {
        self.marg.ext.copy_from_slice(ext);
    }
}

impl Engine for Amp<'_> {
    fn iterate(&mut self, focus: Focus, damping: f64) -> f64 {
        let p = self.inst.p();
        let m = &self.marg.m;
        let var = m.iter().map(|&x| 1.0 - x * x).sum::<f64>().max(1e-12);
        let sd = var.sqrt();
        patterns_times(self.inst, m, &mut self.acc);
        let mut slope = 0.0;
        for mu in 0..p {
            let omega = self.sigma[mu] * self.acc[mu] - var * self.g[mu];
            let x = omega / sd;
            let r = g_over_h(-x);
            slope += -r * (r + x) / var;
            self.g[mu] = damping * self.g[mu] + (1.0 - damping) * r / sd;
        }
        for mu in 0..p {
            self.acc[mu] = self.sigma[mu] * self.g[mu];
        }
        for a in &mut self.acc[p..] {
            *a = 0.0;
        }
        let mut field = vec![0.0; m.len()];
        patterns_transposed_times(self.inst, &self.acc, &mut field);
        for (i, f) in field.iter().enumerate() {
            self.marg.pattern[i] = f - self.marg.m[i] * slope;
        }
        self.marg.update(focus)
    }

    fn marginals(&self) -> &Marginals {
        &self.marg
    }

    fn errors_of_signs(&self) -> u64 {
        let s: Vec<f64> = self.marg.signs().iter().map(|&x| x as f64).collect();
        let mut acc = vec![0.0; self.acc.len()];
        patterns_times(self.inst, &s, &mut acc);
        (0..self.inst.p())
            .filter(|&mu| self.sigma[mu] * acc[mu] <= 0.0)
            .count() as u64
    }
}
