//! Full BP for the tree committee machine with sign units: K hidden units on disjoint blocks of n = N/K
//! inputs, output sign(Σ_l sign(λ_l)), λ_l = Σ_{i in block l} W_i ξ_i^μ.
//!
//! For pattern μ and weight i of block l, with the cavity magnetisations m_{j→μ}:
//! - every unit's preactivation is Gaussian (central limit over its n inputs): mean M_l = Σ_j ξ_j m_{j→μ},
//!   variance V_l = Σ_j (1 − m_{j→μ}²), so P(τ_l = +1) = H(−M_l/√V_l), and for the block of i the same
//!   without i's own term, given W_i = s: π_s = H(−(M_l − ξ_i m_{i→μ} + ξ_i s)/√(V_l − 1 + m_{i→μ}²));
//! - the output node is exact: the law of T_{\l} = Σ_{l'≠l} τ_{l'} by convolution over the other K − 1 units
//!   gives A_± = P(σ^μ (T_{\l} ± 1) > 0);
//! - u_{μ→i} = ½ ln [(A₋ + π₊(A₊ − A₋)) / (A₋ + π₋(A₊ − A₋))].

use super::messages::{Engine, Focus, Marginals};
use super::perceptron::MAX_FIELD;
use super::special::log_h;
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::model::Activation;
use crate::rng;
use rayon::prelude::*;

/// Full BP state of a tree committee with sign units.
#[derive(Clone, Debug)]
pub struct Committee {
    n: usize,
    p: usize,
    k: usize,
    /// ξ_i^μ at μ·N + i.
    xi: Vec<i8>,
    /// σ^μ.
    sigma: Vec<i8>,
    /// u_{μ→i} at μ·N + i.
    u: Vec<f64>,
    marg: Marginals,
}

/// H(x).
#[inline]
fn tail(x: f64) -> f64 {
    log_h(x).exp()
}

/// (A₊, A₋) for each unit l: P(σ (Σ_{l'≠l} τ_{l'} ± 1) > 0) with P(τ_{l'} = +1) = `up[l']`.
fn output_tails(up: &[f64], sigma: f64, out: &mut Vec<(f64, f64)>) {
    let k = up.len();
    out.clear();
    for l in 0..k {
        // law[t + k] = P(T = t).
        let mut law = vec![0.0; 2 * k + 1];
        law[k] = 1.0;
        for (l2, &p) in up.iter().enumerate() {
            if l2 == l {
                continue;
            }
            let mut next = vec![0.0; 2 * k + 1];
            for t in 1..2 * k {
                next[t + 1] += p * law[t];
                next[t - 1] += (1.0 - p) * law[t];
            }
            law = next;
        }
        let above = |shift: i64| -> f64 {
            (0..law.len())
                .filter(|&t| sigma * (t as i64 - k as i64 + shift) as f64 > 0.0)
                .map(|t| law[t])
                .sum()
        };
        out.push((above(1), above(-1)));
    }
}

/// Per-thread work space of one pattern's update.
struct Scratch {
    cav: Vec<f64>,
    mean: Vec<f64>,
    var: Vec<f64>,
    up: Vec<f64>,
    tails: Vec<(f64, f64)>,
}

impl Scratch {
    fn new(n: usize, k: usize) -> Self {
        Scratch {
            cav: vec![0.0; n],
            mean: vec![0.0; k],
            var: vec![0.0; k],
            up: vec![0.0; k],
            tails: Vec::with_capacity(k),
        }
    }
}

/// New messages of one pattern (damped, in place).
fn update_pattern(
    k: usize,
    damping: f64,
    sigma: f64,
    row: &[i8],
    urow: &mut [f64],
    field: &[f64],
    s: &mut Scratch,
) {
    let b = row.len() / k;
    for l in 0..k {
        let (mut m_sum, mut v_sum) = (0.0, 0.0);
        for i in l * b..(l + 1) * b {
            let m = (field[i] - urow[i]).tanh();
            s.cav[i] = m;
            m_sum += row[i] as f64 * m;
            v_sum += 1.0 - m * m;
        }
        s.mean[l] = m_sum;
        s.var[l] = v_sum;
        s.up[l] = tail(-m_sum / v_sum.max(1e-12).sqrt());
    }
    output_tails(&s.up, sigma, &mut s.tails);
    for i in 0..row.len() {
        let l = i / b;
        let (a_up, a_down) = s.tails[l];
        let (x, mc) = (row[i] as f64, s.cav[i]);
        let sd = 1.0 / (s.var[l] - (1.0 - mc * mc)).max(1e-12).sqrt();
        let cm = s.mean[l] - x * mc;
        let prob = |w: f64| a_down + tail(-(cm + x * w) * sd) * (a_up - a_down);
        let new = 0.5 * (prob(1.0).max(1e-300).ln() - prob(-1.0).max(1e-300).ln());
        urow[i] = (damping * urow[i] + (1.0 - damping) * new).clamp(-MAX_FIELD, MAX_FIELD);
    }
}

impl Committee {
    /// BP on a tree committee with sign units, messages uniform in [−init, init] from the seeded stream.
    pub fn new(inst: &Instance, init: f64, seed: u64) -> Result<Committee> {
        if inst.activation() != Activation::Sign {
            return Err(Error::input(format!(
                "committee BP is implemented for sign units (got {} with K={})",
                inst.activation(),
                inst.k()
            )));
        }
        if !(init.is_finite() && init >= 0.0) {
            return Err(Error::input(format!(
                "init (the scale of the initial messages) must be a finite number ≥ 0 (got {init})"
            )));
        }
        let (n, p, k) = (inst.n(), inst.p(), inst.k());
        let mut xi = vec![0i8; n * p];
        for mu in 0..p {
            for i in 0..n {
                xi[mu * n + i] = inst.xi(i, mu);
            }
        }
        let mut r = rng::stream(seed, "bp-init", 0);
        let u = (0..n * p)
            .map(|_| init * (2.0 * rng::uniform(&mut r) - 1.0))
            .collect::<Vec<f64>>();
        let mut marg = Marginals::new(n);
        for row in u.chunks_exact(n) {
            for (h, &x) in marg.pattern.iter_mut().zip(row) {
                *h += x;
            }
        }
        marg.update(Focus::None);
        Ok(Committee {
            n,
            p,
            k,
            xi,
            sigma: (0..p).map(|mu| inst.sigma(mu)).collect(),
            u,
            marg,
        })
    }

    /// u_{μ→i} at μ·N + i.
    pub fn messages(&self) -> &[f64] {
        &self.u
    }

    /// Sets the external field on every weight; takes effect at the next sweep.
    pub fn set_external(&mut self, ext: &[f64]) {
        self.marg.ext.copy_from_slice(ext);
    }
}

impl Engine for Committee {
    fn iterate(&mut self, focus: Focus, damping: f64) -> f64 {
        let (n, k, field, sigma) = (self.n, self.k, &self.marg.field, &self.sigma);
        // Patterns in parallel: each writes its own row only, so the result is the same for any thread count.
        self.u
            .par_chunks_mut(n)
            .zip(self.xi.par_chunks(n))
            .enumerate()
            .for_each_init(
                || Scratch::new(n, k),
                |s, (mu, (urow, row))| {
                    update_pattern(k, damping, sigma[mu] as f64, row, urow, field, s)
                },
            );
        self.marg.pattern.fill(0.0);
        for row in self.u.chunks_exact(n) {
            for (h, &x) in self.marg.pattern.iter_mut().zip(row) {
                *h += x;
            }
        }
        self.marg.update(focus)
    }

    fn marginals(&self) -> &Marginals {
        &self.marg
    }

    fn errors_of_signs(&self) -> u64 {
        let (n, b) = (self.n, self.n / self.k);
        let s = self.marg.signs();
        (0..self.p)
            .filter(|&mu| {
                let row = &self.xi[mu * n..][..n];
                let votes: i64 = (0..self.k)
                    .map(|l| {
                        let lambda: i64 =
                            (l * b..(l + 1) * b).map(|i| (row[i] * s[i]) as i64).sum();
                        lambda.signum()
                    })
                    .sum();
                self.sigma[mu] as i64 * votes <= 0
            })
            .count() as u64
    }
}
