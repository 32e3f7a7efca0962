//! Full BP for the binary perceptron: one message u_{μ→i} per (pattern, weight), a cavity field.
//!
//! With ζ_i^μ = σ^μ ξ_i^μ, pattern μ is the hard constraint Σ_i ζ_i^μ W_i > 0. The weight-to-pattern messages
//! are the cavity magnetisations m_{i→μ} = tanh(h_i − u_{μ→i}); the pattern-to-weight message is
//! u_{μ→i} = ½ ln [P(S_{μ\i} + ζ_i^μ > 0) / P(S_{μ\i} − ζ_i^μ > 0)], S_{μ\i} = Σ_{j≠i} ζ_j^μ W_j with the W_j
//! independent of magnetisations m_{j→μ}. Two rules give that probability:
//! - [`FactorRule::Gaussian`]: S_{μ\i} normal with mean M_μ − ζ_i m_{i→μ} and variance V_μ − (1 − m_{i→μ}²),
//!   from the totals M_μ = Σ_j ζ_j m_{j→μ}, V_μ = Σ_j (1 − m_{j→μ}²): O(N) per pattern, O(N·P) per sweep;
//! - [`FactorRule::Exact`]: the exact law of the sum of ±1 terms by convolution, O(N²) per message: tiny N.
//!
//! Messages are stored in f64 (8·N·P bytes): f32 storage was measured no faster (46 against 43 ms of CPU per
//! sweep at N = 1001, P = 701: the sweep is bound by tanh and ln H, ~60 ns per message, not by memory
//! traffic) and would hold fixed points only to ~1e-7.

use super::messages::{Engine, Focus, Marginals};
use super::special::{ln_2cosh, log_h};
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::rng;
use rayon::prelude::*;

/// How a pattern factor computes its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorRule {
    /// Central-limit (Gaussian) cavity sums: the standard choice, any N.
    Gaussian,
    /// Exact distribution of the cavity sum: the oracle at tiny N (refused above [`EXACT_MAX_N`]).
    Exact,
}

/// Largest N for [`FactorRule::Exact`] (its cost is O(N³·P) per sweep).
pub const EXACT_MAX_N: usize = 201;

/// Messages are kept within ±`MAX_FIELD` (tanh of it is 1 in f64).
pub const MAX_FIELD: f64 = 30.0;

/// Smallest cavity variance used by the Gaussian rule (all other weights fully polarised).
const VAR_FLOOR: f64 = 1e-12;

/// Full BP state on one instance.
#[derive(Clone, Debug)]
pub struct Bp {
    n: usize,
    p: usize,
    rule: FactorRule,
    /// ζ_i^μ at μ·N + i.
    zeta: Vec<i8>,
    /// u_{μ→i} at μ·N + i.
    u: Vec<f64>,
    marg: Marginals,
    /// Cavity magnetisations of one pattern (free entropy).
    cav: Vec<f64>,
}

/// ζ_i^μ = σ^μ ξ_i^μ, pattern-major, read once from the bit-packed instance.
pub(crate) fn read_zeta(inst: &Instance) -> Vec<i8> {
    let (n, p) = (inst.n(), inst.p());
    let mut z = vec![0i8; n * p];
    for mu in 0..p {
        let s = inst.sigma(mu);
        for i in 0..n {
            z[mu * n + i] = s * inst.xi(i, mu);
        }
    }
    z
}

/// The Gaussian-rule message for ζ_i = +1: ½ [ln H(−(m+1)/√v) − ln H(−(m−1)/√v)] for a cavity sum of mean m
/// and variance v.
#[inline]
pub fn gaussian_message(mean: f64, var: f64) -> f64 {
    let s = 1.0 / var.max(VAR_FLOOR).sqrt();
    0.5 * (log_h(-(mean + 1.0) * s) - log_h(-(mean - 1.0) * s))
}

/// Law of Σ_{j≠skip} ζ_j W_j, W_j = ±1 with mean `m[j]`: `law[x + n]` = P(sum = x), x ∈ [−n, n].
pub(crate) fn cavity_law(row: &[i8], m: &[f64], skip: Option<usize>, law: &mut Vec<f64>) {
    let n = row.len();
    law.clear();
    law.resize(2 * n + 1, 0.0);
    law[n] = 1.0;
    let mut next = vec![0.0; 2 * n + 1];
    for j in 0..n {
        if Some(j) == skip {
            continue;
        }
        let (up, down) = (0.5 * (1.0 + m[j]), 0.5 * (1.0 - m[j]));
        // The term ζ_j W_j is +1 with probability `plus`.
        let plus = if row[j] > 0 { up } else { down };
        next.fill(0.0);
        for x in 1..2 * n {
            let w = law[x];
            if w != 0.0 {
                next[x + 1] += plus * w;
                next[x - 1] += (1.0 - plus) * w;
            }
        }
        std::mem::swap(law, &mut next);
    }
}

/// Fills `cav` with the cavity magnetisations m_{i→μ} = tanh(h_i − u_{μ→i}) of one pattern and returns
/// (M_μ, V_μ).
fn cavity(row: &[i8], urow: &[f64], field: &[f64], cav: &mut [f64]) -> (f64, f64) {
    let (mut mean, mut var) = (0.0, 0.0);
    for i in 0..row.len() {
        let m = (field[i] - urow[i]).tanh();
        cav[i] = m;
        mean += row[i] as f64 * m;
        var += 1.0 - m * m;
    }
    (mean, var)
}

/// New messages of one pattern (damped, in place), from the cavity magnetisations.
fn update_pattern(
    rule: FactorRule,
    damping: f64,
    row: &[i8],
    urow: &mut [f64],
    field: &[f64],
    cav: &mut [f64],
    law: &mut Vec<f64>,
) {
    let (mean, var) = cavity(row, urow, field, cav);
    for i in 0..row.len() {
        let z = row[i] as f64;
        let mc = cav[i];
        let new = match rule {
            FactorRule::Gaussian => z * gaussian_message(mean - z * mc, var - (1.0 - mc * mc)),
            FactorRule::Exact => {
                cavity_law(row, cav, Some(i), law);
                let shift = row[i] as i64;
                half_log_ratio(tail_above(law, shift), tail_above(law, -shift))
            }
        };
        urow[i] = (damping * urow[i] + (1.0 - damping) * new).clamp(-MAX_FIELD, MAX_FIELD);
    }
}

/// P(sum > −shift) for a law from [`cavity_law`].
pub(crate) fn tail_above(law: &[f64], shift: i64) -> f64 {
    let n = (law.len() as i64 - 1) / 2;
    (0..law.len())
        .filter(|&x| x as i64 - n + shift > 0)
        .map(|x| law[x])
        .sum()
}

/// ½ ln(a/b), with both probabilities floored so that impossible values give a large finite field.
fn half_log_ratio(a: f64, b: f64) -> f64 {
    0.5 * (a.max(1e-300).ln() - b.max(1e-300).ln())
}

impl Bp {
    /// BP on a binary perceptron instance, messages drawn uniformly in [−init, init] from the seeded stream.
    pub fn new(inst: &Instance, rule: FactorRule, init: f64, seed: u64) -> Result<Bp> {
        check_perceptron(
            inst,
            match rule {
                FactorRule::Exact => "BP with exact factor messages",
                FactorRule::Gaussian => "perceptron::Bp (sign committees: committee::Committee)",
            },
        )?;
        if !(init.is_finite() && init >= 0.0) {
            return Err(Error::input(format!(
                "init (the scale of the initial messages) must be a finite number ≥ 0 (got {init})"
            )));
        }
        let (n, p) = (inst.n(), inst.p());
        if rule == FactorRule::Exact && n > EXACT_MAX_N {
            return Err(Error::input(format!(
                "exact factor messages cost O(N³·P) per sweep: N={n} is above {EXACT_MAX_N}, use the Gaussian rule"
            )));
        }
        let mut r = rng::stream(seed, "bp-init", 0);
        let u = (0..n * p)
            .map(|_| init * (2.0 * rng::uniform(&mut r) - 1.0))
            .collect();
        let mut bp = Bp {
            n,
            p,
            rule,
            zeta: read_zeta(inst),
            u,
            marg: Marginals::new(n),
            cav: vec![0.0; n],
        };
        bp.sum_messages();
        bp.marg.update(Focus::None);
        Ok(bp)
    }

    /// Sets the external field on every weight (e.g. γ·W̃_i); takes effect at the next sweep.
    pub fn set_external(&mut self, ext: &[f64]) {
        assert_eq!(ext.len(), self.n);
        self.marg.ext.copy_from_slice(ext);
    }

    /// u_{μ→i} at μ·N + i.
    pub fn messages(&self) -> &[f64] {
        &self.u
    }

    /// Σ_μ u_{μ→i}, summed in pattern order (the same for any thread count).
    fn sum_messages(&mut self) {
        let n = self.n;
        self.marg.pattern.fill(0.0);
        for row in self.u.chunks_exact(n) {
            for (h, &u) in self.marg.pattern.iter_mut().zip(row) {
                *h += u;
            }
        }
    }

    /// The Bethe free entropy per weight, (1/N) ln Z, of the current messages (meaningful at a fixed point of
    /// a sweep without focusing): Z = Σ_{W solving all patterns} exp(Σ_i ext_i W_i).
    pub fn bethe_free_entropy(&mut self) -> f64 {
        let n = self.n;
        let mut total = 0.0;
        let mut law = Vec::new();
        for mu in 0..self.p {
            let row = &self.zeta[mu * n..][..n];
            let (mean, var) = cavity(row, &self.u[mu * n..][..n], &self.marg.field, &mut self.cav);
            // ln P(constraint μ holds) under the cavity magnetisations.
            total += match self.rule {
                FactorRule::Gaussian => log_h(-mean / var.max(VAR_FLOOR).sqrt()),
                FactorRule::Exact => {
                    cavity_law(row, &self.cav, None, &mut law);
                    tail_above(&law, 0).max(1e-300).ln()
                }
            };
            for (i, &u) in self.u[mu * n..][..n].iter().enumerate() {
                let h = self.marg.field[i];
                // ln 2cosh(h − u) − ln 2cosh(h) for the link (i, μ).
                total += ln_2cosh(h - u) - ln_2cosh(h);
            }
        }
        total += self.marg.field.iter().map(|&h| ln_2cosh(h)).sum::<f64>();
        total / n as f64
    }
}

impl Engine for Bp {
    fn iterate(&mut self, focus: Focus, damping: f64) -> f64 {
        let (n, rule, field) = (self.n, self.rule, &self.marg.field);
        // Patterns in parallel: each writes its own row only, so the result is the same for any thread count.
        self.u
            .par_chunks_mut(n)
            .zip(self.zeta.par_chunks(n))
            .for_each_init(
                || (vec![0.0; n], Vec::new()),
                |(cav, law), (urow, row)| update_pattern(rule, damping, row, urow, field, cav, law),
            );
        self.sum_messages();
        self.marg.update(focus)
    }

    fn marginals(&self) -> &Marginals {
        &self.marg
    }

    fn errors_of_signs(&self) -> u64 {
        let s = self.marg.signs();
        self.zeta
            .chunks_exact(self.n)
            .filter(|row| {
                row.iter()
                    .zip(&s)
                    .map(|(&z, &w)| (z * w) as i64)
                    .sum::<i64>()
                    <= 0
            })
            .count() as u64
    }
}

/// `what` (e.g. "AMP") is written for the binary perceptron (K = 1).
pub(crate) fn check_perceptron(inst: &Instance, what: &str) -> Result<()> {
    if inst.k() != 1 {
        return Err(Error::input(format!(
            "{what} is implemented for the binary perceptron (K=1); this instance is a {} committee with K={}",
            inst.activation(),
            inst.k()
        )));
    }
    Ok(())
}
