//! Full BP for committee machines: tree committees with sign or ReLU units, and the fully connected
//! committee with sign units. K hidden units, unit l with preactivation λ_l = Σ_{i in unit l} W_i ξ_{in(i)}^μ
//! over its n = N/K weights (tree: input in(i) = i, disjoint blocks; fully connected: in(i) = i mod n, every
//! unit sees all n inputs, and there is one message per (unit, input, pattern)).
//!
//! For pattern μ and weight i of unit l, with the cavity magnetisations m_{j→μ}, every unit's preactivation
//! is Gaussian (central limit over its n inputs): mean M_l = Σ_j ξ_j m_{j→μ}, variance V_l = Σ_j (1 − m_{j→μ}²);
//! for the unit of i the same without i's own term, given W_i = s: mean a_s = M_l − ξ_i m_{i→μ} + ξ_i s and
//! variance v = V_l − (1 − m_{i→μ}²). Then u_{μ→i} = ½ ln [P_+ / P_−] with P_s the probability that the
//! pattern is classified right given W_i = s:
//! - sign units, output sign(Σ_l sign λ_l): exact output node, the law of T_{\l} = Σ_{l'≠l} τ_{l'} by
//!   convolution over the other K − 1 units, P(τ_{l'} = +1) = H(−M_{l'}/√V_{l'}), gives A_± =
//!   P(σ^μ (T_{\l} ± 1) > 0) and P_s = A₋ + π_s (A₊ − A₋), π_s = H(−a_s/√v);
//! - ReLU units, output h = Σ_l c_l max(0, λ_l), σh ≤ 0 an error: see `relu_prob` and `docs/bp.md`.
//!
//! With [`FactorRule::Exact`] (sign units, N ≤ [`EXACT_MAX_N`]) the units' laws are exact instead of
//! Gaussian: the law of λ_l by convolution of its n two-valued terms, O(n²) per message — the oracle-side
//! BP at tiny N, as for the perceptron.

use super::messages::{Engine, Focus, Marginals};
use super::perceptron::{cavity_law, tail_above, FactorRule, EXACT_MAX_N, MAX_FIELD};
use super::special::{ln_2cosh, log_h};
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::model::{Activation, Arch};
use crate::rng;
use rayon::prelude::*;

/// Smallest variance of a Gaussian sum (all its terms fully polarised).
const VAR_FLOOR: f64 = 1e-12;

/// The output rule of the committee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    /// sign(Σ_l sign λ_l).
    Sign,
    /// Σ_l c_l max(0, λ_l), c_l = +1 for l < K/2, −1 otherwise.
    Relu,
}

/// Full BP state of a committee machine.
#[derive(Clone, Debug)]
pub struct Committee {
    n: usize,
    p: usize,
    k: usize,
    output: Output,
    rule: FactorRule,
    /// ξ_{in(i)}^μ at μ·N + i (the input each weight multiplies).
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

/// c_l of the ReLU committee.
#[inline]
fn c_of(k: usize, l: usize) -> f64 {
    if l < k / 2 {
        1.0
    } else {
        -1.0
    }
}

/// Law of the vote Σ_{l ∈ units} τ_l with P(τ_l = +1) = `up[l]`: `law[t + K]` = P(sum = t).
fn vote_law(up: &[f64], skip: Option<usize>) -> Vec<f64> {
    let k = up.len();
    let mut law = vec![0.0; 2 * k + 1];
    law[k] = 1.0;
    for (l2, &p) in up.iter().enumerate() {
        if Some(l2) == skip {
            continue;
        }
        let mut next = vec![0.0; 2 * k + 1];
        for t in 1..2 * k {
            next[t + 1] += p * law[t];
            next[t - 1] += (1.0 - p) * law[t];
        }
        law = next;
    }
    law
}

/// P(σ (T + shift) > 0) for the law of a vote total T.
fn vote_above(law: &[f64], sigma: f64, shift: i64) -> f64 {
    let k = (law.len() / 2) as i64;
    (0..law.len())
        .filter(|&t| sigma * (t as i64 - k + shift) as f64 > 0.0)
        .map(|t| law[t])
        .sum()
}

/// One ReLU unit seen through its Gaussian preactivation N(a, v): the unit is on (λ ≥ 2, λ even) when the
/// Gaussian exceeds 1, the continuity-corrected threshold.
#[derive(Clone, Copy, Debug, Default)]
struct ReluUnit {
    /// ln P(off) and P(off).
    ln_off: f64,
    off: f64,
    /// P(on).
    on: f64,
    /// Mean and variance of λ given on (the Gaussian truncated below 1).
    mean: f64,
    var: f64,
}

impl ReluUnit {
    #[inline]
    fn new(a: f64, v: f64) -> ReluUnit {
        let sd = v.max(VAR_FLOOR).sqrt();
        let alpha = (1.0 - a) / sd;
        // The smaller of P(on) = H(α) and P(off) = H(−α) by its tail, the other as 1 minus it.
        let (ln_on, ln_off) = if alpha >= 0.0 {
            let l = log_h(alpha);
            (l, (-l.exp()).ln_1p())
        } else {
            let l = log_h(-alpha);
            ((-l.exp()).ln_1p(), l)
        };
        // G(α)/H(α), the inverse Mills ratio.
        let r = (-0.5 * alpha * alpha - LN_SQRT_2PI - ln_on).exp();
        ReluUnit {
            ln_off,
            off: ln_off.exp(),
            on: ln_on.exp(),
            mean: a + sd * r,
            var: (v * (1.0 + alpha * r - r * r)).max(0.0),
        }
    }
}

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// What the other units of a ReLU committee contribute to h, R = Σ_{l'≠l} c_{l'} max(0, λ_{l'}): all off
/// (R = 0 exactly) with probability z; otherwise R is taken Gaussian with the mean and variance it has given
/// that not all are off. `off_part` = (1 − z)·P(σR > 1), the chance of a right answer when unit l is off.
#[derive(Clone, Copy, Debug, Default)]
struct Others {
    /// z and 1 − z.
    z: f64,
    active: f64,
    /// μ_R and v_R.
    mean: f64,
    var: f64,
    off_part: f64,
}

impl Others {
    /// From the other units and their c_{l'}, for a pattern with label σ.
    fn new(units: impl Iterator<Item = (ReluUnit, f64)>, sigma: f64) -> Others {
        let (mut ln_z, mut e1, mut var) = (0.0, 0.0, 0.0);
        for (u, c) in units {
            ln_z += u.ln_off;
            // max(0, λ) is 0 or λ|on: mean on·m, second moment on·(v + m²).
            let r1 = u.on * u.mean;
            e1 += c * r1;
            var += u.on * (u.var + u.mean * u.mean) - r1 * r1;
        }
        let active = -ln_z.exp_m1();
        if active <= 0.0 {
            return Others {
                z: 1.0,
                active: 0.0,
                mean: 0.0,
                var: 0.0,
                off_part: 0.0,
            };
        }
        let mean = e1 / active;
        let var = ((var + e1 * e1) / active - mean * mean).max(VAR_FLOOR);
        Others {
            z: ln_z.exp(),
            active,
            mean,
            var,
            off_part: active * tail(-(sigma * mean - 1.0) / var.sqrt()),
        }
    }
}

/// P(σ h > 0) for a ReLU committee when the unit of interest, with coefficient c, has preactivation N(a, v)
/// and the others contribute `o`; h is even, so σh > 0 means σh > 1 (continuity correction):
/// P = P(off)·(1 − z)·P(σR > 1) + P(on)·[z·1(σc > 0) + (1 − z)·H(−(σ(c μ_on + μ_R) − 1)/√(v_on + v_R))].
#[inline]
fn relu_prob(a: f64, v: f64, c: f64, sigma: f64, o: &Others) -> f64 {
    let u = ReluUnit::new(a, v);
    let alone = if sigma * c > 0.0 { o.z } else { 0.0 };
    let with = if o.active > 0.0 {
        o.active
            * tail(-(sigma * (c * u.mean + o.mean) - 1.0) / (u.var + o.var).max(VAR_FLOOR).sqrt())
    } else {
        0.0
    };
    u.off * o.off_part + u.on * (alone + with)
}

/// Per-thread work space of one pattern's update.
struct Scratch {
    cav: Vec<f64>,
    mean: Vec<f64>,
    var: Vec<f64>,
    up: Vec<f64>,
    units: Vec<ReluUnit>,
    law: Vec<f64>,
}

impl Scratch {
    fn new(n: usize, k: usize) -> Self {
        Scratch {
            cav: vec![0.0; n],
            mean: vec![0.0; k],
            var: vec![0.0; k],
            up: vec![0.0; k],
            units: vec![ReluUnit::default(); k],
            law: Vec::new(),
        }
    }

    /// P(τ_l = +1) of every unit of a sign committee into `up` (after [`Scratch::unit_sums`]).
    fn sign_up(&mut self, rule: FactorRule, k: usize, row: &[i8]) {
        let b = row.len() / k;
        for l in 0..k {
            self.up[l] = match rule {
                FactorRule::Gaussian => tail(-self.mean[l] / self.var[l].max(VAR_FLOOR).sqrt()),
                FactorRule::Exact => {
                    let block = l * b..(l + 1) * b;
                    cavity_law(&row[block.clone()], &self.cav[block], None, &mut self.law);
                    tail_above(&self.law, 0)
                }
            };
        }
    }

    /// Cavity magnetisations of one pattern and each unit's mean and variance of λ_l.
    fn unit_sums(&mut self, k: usize, row: &[i8], urow: &[f64], field: &[f64]) {
        let b = row.len() / k;
        for l in 0..k {
            let (mut m_sum, mut v_sum) = (0.0, 0.0);
            for i in l * b..(l + 1) * b {
                let m = (field[i] - urow[i]).tanh();
                self.cav[i] = m;
                m_sum += row[i] as f64 * m;
                v_sum += 1.0 - m * m;
            }
            self.mean[l] = m_sum;
            self.var[l] = v_sum;
        }
    }
}

/// The damped update of one message from its P_±.
#[inline]
fn set(u: &mut f64, damping: f64, plus: f64, minus: f64) {
    let new = 0.5 * (plus.max(1e-300).ln() - minus.max(1e-300).ln());
    *u = (damping * *u + (1.0 - damping) * new).clamp(-MAX_FIELD, MAX_FIELD);
}

/// New messages of one pattern (damped, in place).
#[allow(clippy::too_many_arguments)]
fn update_pattern(
    output: Output,
    rule: FactorRule,
    k: usize,
    damping: f64,
    sigma: f64,
    row: &[i8],
    urow: &mut [f64],
    field: &[f64],
    s: &mut Scratch,
) {
    let b = row.len() / k;
    s.unit_sums(k, row, urow, field);
    match output {
        Output::Sign => {
            s.sign_up(rule, k, row);
            for l in 0..k {
                let law = vote_law(&s.up, Some(l));
                let (a_up, a_down) = (vote_above(&law, sigma, 1), vote_above(&law, sigma, -1));
                let block = l * b..(l + 1) * b;
                for i in block.clone() {
                    let (x, mc) = (row[i] as f64, s.cav[i]);
                    // π_s = P(τ_l = +1 | W_i = s).
                    let pi: [f64; 2] = match rule {
                        FactorRule::Gaussian => {
                            let sd = 1.0 / (s.var[l] - (1.0 - mc * mc)).max(VAR_FLOOR).sqrt();
                            let cm = s.mean[l] - x * mc;
                            [1.0, -1.0].map(|w| tail(-(cm + x * w) * sd))
                        }
                        FactorRule::Exact => {
                            let (r, c) = (&row[block.clone()], &s.cav[block.clone()]);
                            cavity_law(r, c, Some(i - l * b), &mut s.law);
                            [1, -1].map(|w| tail_above(&s.law, row[i] as i64 * w))
                        }
                    };
                    let prob = |p: f64| a_down + p * (a_up - a_down);
                    set(&mut urow[i], damping, prob(pi[0]), prob(pi[1]));
                }
            }
        }
        Output::Relu => {
            for l in 0..k {
                s.units[l] = ReluUnit::new(s.mean[l], s.var[l]);
            }
            for l in 0..k {
                let others = Others::new(
                    (0..k)
                        .filter(|&l2| l2 != l)
                        .map(|l2| (s.units[l2], c_of(k, l2))),
                    sigma,
                );
                let c = c_of(k, l);
                for i in l * b..(l + 1) * b {
                    let (x, mc) = (row[i] as f64, s.cav[i]);
                    let v = s.var[l] - (1.0 - mc * mc);
                    let cm = s.mean[l] - x * mc;
                    let prob = |w: f64| relu_prob(cm + x * w, v, c, sigma, &others);
                    set(&mut urow[i], damping, prob(1.0), prob(-1.0));
                }
            }
        }
    }
}

impl Committee {
    /// BP on a committee machine (tree with sign or ReLU units, fully connected with sign units), messages
    /// uniform in [−init, init] from the seeded stream (which also breaks the symmetry between the units of
    /// the fully connected committee). `rule`: Gaussian unit fields, or exact ones (sign units, N ≤ 201).
    pub fn new(inst: &Instance, rule: FactorRule, init: f64, seed: u64) -> Result<Committee> {
        let output = match inst.activation() {
            Activation::Sign | Activation::FcSign => Output::Sign,
            Activation::Relu => Output::Relu,
            Activation::Perceptron => {
                return Err(Error::input(
                    "committee BP is for committees (K > 1 hidden units); the perceptron has its own BP",
                ))
            }
        };
        if !(init.is_finite() && init >= 0.0) {
            return Err(Error::input(format!(
                "init (the scale of the initial messages) must be a finite number ≥ 0 (got {init})"
            )));
        }
        let (n, p, k) = (inst.n(), inst.p(), inst.k());
        if rule == FactorRule::Exact {
            if output != Output::Sign {
                return Err(Error::input(
                    "rule: exact unit laws are implemented for sign units; ReLU units use the Gaussian rule",
                ));
            }
            if n > EXACT_MAX_N {
                return Err(Error::input(format!(
                    "rule: exact unit laws cost O(n²) per message: N={n} is above {EXACT_MAX_N}, use the Gaussian rule"
                )));
            }
        }
        let arch = Arch::new(n, k, inst.activation())?;
        let mut xi = vec![0i8; n * p];
        for mu in 0..p {
            for i in 0..n {
                xi[mu * n + i] = inst.xi(arch.input_of(i), mu);
            }
        }
        let mut r = rng::stream(seed, "bp-init", 0);
        let u = (0..n * p)
            .map(|_| init * (2.0 * rng::uniform(&mut r) - 1.0))
            .collect::<Vec<f64>>();
        let mut c = Committee {
            n,
            p,
            k,
            output,
            rule,
            xi,
            sigma: (0..p).map(|mu| inst.sigma(mu)).collect(),
            u,
            marg: Marginals::new(n),
        };
        c.sum_messages();
        c.marg.update(Focus::None);
        Ok(c)
    }

    /// u_{μ→i} at μ·N + i.
    pub fn messages(&self) -> &[f64] {
        &self.u
    }

    /// Sets the external field on every weight; takes effect at the next sweep.
    pub fn set_external(&mut self, ext: &[f64]) {
        self.marg.ext.copy_from_slice(ext);
    }

    fn sum_messages(&mut self) {
        self.marg.pattern.fill(0.0);
        for row in self.u.chunks_exact(self.n) {
            for (h, &x) in self.marg.pattern.iter_mut().zip(row) {
                *h += x;
            }
        }
    }

    /// The Bethe free entropy per weight at the current messages (sign units only), as for the perceptron:
    /// (1/N)[Σ_μ ln P_μ + Σ_i ln 2cosh h_i + Σ_{μ,i} (ln 2cosh(h_i − u_{μ→i}) − ln 2cosh h_i)], with P_μ the
    /// probability that pattern μ is classified right under the cavity magnetisations: the exact vote law of
    /// the K units, each sign(λ_l) with P(τ_l = +1) = H(−M_l/√V_l) (or the exact law of λ_l).
    pub fn bethe_free_entropy(&self) -> Result<f64> {
        if self.output != Output::Sign {
            return Err(Error::input(
                "the Bethe free entropy of committee BP is implemented for sign units (not ReLU units)",
            ));
        }
        let (n, k) = (self.n, self.k);
        let field = &self.marg.field;
        let mut s = Scratch::new(n, k);
        let mut total = 0.0;
        for mu in 0..self.p {
            let (row, urow) = (&self.xi[mu * n..][..n], &self.u[mu * n..][..n]);
            s.unit_sums(k, row, urow, field);
            s.sign_up(self.rule, k, row);
            let pmu = vote_above(&vote_law(&s.up, None), self.sigma[mu] as f64, 0);
            total += pmu.max(1e-300).ln();
            for i in 0..n {
                total += ln_2cosh(field[i] - urow[i]) - ln_2cosh(field[i]);
            }
        }
        total += field.iter().map(|&h| ln_2cosh(h)).sum::<f64>();
        Ok(total / n as f64)
    }
}

impl Engine for Committee {
    fn iterate(&mut self, focus: Focus, damping: f64) -> f64 {
        let (n, k, output, rule) = (self.n, self.k, self.output, self.rule);
        let (field, sigma) = (&self.marg.field, &self.sigma);
        // Patterns in parallel: each writes its own row only, so the result is the same for any thread count.
        self.u
            .par_chunks_mut(n)
            .zip(self.xi.par_chunks(n))
            .enumerate()
            .for_each_init(
                || Scratch::new(n, k),
                |s, (mu, (urow, row))| {
                    update_pattern(
                        output,
                        rule,
                        k,
                        damping,
                        sigma[mu] as f64,
                        row,
                        urow,
                        field,
                        s,
                    )
                },
            );
        self.sum_messages();
        self.marg.update(focus)
    }

    fn marginals(&self) -> &Marginals {
        &self.marg
    }

    fn errors_of_signs(&self) -> u64 {
        let (n, k, b) = (self.n, self.k, self.n / self.k);
        let s = self.marg.signs();
        (0..self.p)
            .filter(|&mu| {
                let row = &self.xi[mu * n..][..n];
                let lambda = |l: usize| -> i64 {
                    (l * b..(l + 1) * b).map(|i| (row[i] * s[i]) as i64).sum()
                };
                let out: i64 = match self.output {
                    Output::Sign => (0..k).map(|l| lambda(l).signum()).sum(),
                    Output::Relu => (0..k).map(|l| c_of(k, l) as i64 * lambda(l).max(0)).sum(),
                };
                self.sigma[mu] as i64 * out <= 0
            })
            .count() as u64
    }
}
