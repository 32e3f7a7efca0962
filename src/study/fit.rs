//! Fits of the analysis:
//! - the success curve P_succ(α) = 1/(1 + exp((α − α_50)/w)) by maximum likelihood over the tasks, with a
//!   bootstrap error on α_50;
//! - the finite-size scaling α_50(N) = α_∞ + a·N^(−ν) by weighted least squares, ν given or fitted.

use super::stats;
use crate::rng;
use serde::Serialize;

/// How a logistic fit ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FitStatus {
    /// The maximum-likelihood fit converged.
    Fitted,
    /// Successes and failures are separated in α (the likelihood is maximal for w → 0): α_50 is the middle
    /// of the gap between the largest α with a success and the smallest α with a failure, w = 0.
    Separated,
    /// Every task was solved: α_50 lies above the grid.
    AllSolved,
    /// No task was solved: α_50 lies below the grid.
    NoneSolved,
    /// Too little information (one α value, or a non-convergent fit).
    Degenerate,
}

/// α_50 and w of P_succ(α) = 1/(1 + exp((α − α_50)/w)); NaN when not defined by the status.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Logistic {
    pub alpha50: f64,
    pub w: f64,
    pub status: FitStatus,
}

impl Logistic {
    /// P_succ at α (a step at α_50 when w = 0).
    pub fn p(&self, alpha: f64) -> f64 {
        if self.w == 0.0 {
            return if alpha < self.alpha50 { 1.0 } else { 0.0 };
        }
        1.0 / (1.0 + ((alpha - self.alpha50) / self.w).exp())
    }
}

/// Successes `k` out of `m` tasks at one α.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Binomial {
    pub alpha: f64,
    pub k: u64,
    pub m: u64,
}

/// Groups (α, solved) outcomes by α (exact equality), sorted by α.
pub fn group(outcomes: &[(f64, bool)]) -> Vec<Binomial> {
    let mut v: Vec<(f64, bool)> = outcomes.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Binomial> = Vec::new();
    for (a, s) in v {
        match out.last_mut() {
            Some(b) if b.alpha == a => {
                b.m += 1;
                b.k += s as u64;
            }
            _ => out.push(Binomial {
                alpha: a,
                k: s as u64,
                m: 1,
            }),
        }
    }
    out
}

/// Maximum-likelihood fit of the logistic success curve (Newton's method on logit P = b₀ + b₁x, x the
/// standardised α, with step halving; α_50 = −b₀/b₁, w = −1/b₁ in α units).
pub fn logistic(data: &[Binomial]) -> Logistic {
    let nan = |status| Logistic {
        alpha50: f64::NAN,
        w: f64::NAN,
        status,
    };
    let (k, m): (u64, u64) = data.iter().fold((0, 0), |(k, m), b| (k + b.k, m + b.m));
    if m == 0 || data.len() < 2 {
        return nan(if m > 0 && k == m {
            FitStatus::AllSolved
        } else if m > 0 && k == 0 {
            FitStatus::NoneSolved
        } else {
            FitStatus::Degenerate
        });
    }
    if k == m {
        return nan(FitStatus::AllSolved);
    }
    if k == 0 {
        return nan(FitStatus::NoneSolved);
    }
    // Separation: all successes at α ≤ all failures (or the reverse).
    let succ = data.iter().filter(|b| b.k > 0).map(|b| b.alpha);
    let fail = data.iter().filter(|b| b.k < b.m).map(|b| b.alpha);
    let (s_lo, s_hi) = succ.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), a| {
        (l.min(a), h.max(a))
    });
    let (f_lo, f_hi) = fail.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), a| {
        (l.min(a), h.max(a))
    });
    if s_hi <= f_lo {
        return Logistic {
            alpha50: 0.5 * (s_hi + f_lo),
            w: 0.0,
            status: FitStatus::Separated,
        };
    }
    if f_hi <= s_lo {
        return Logistic {
            alpha50: 0.5 * (f_hi + s_lo),
            w: -0.0,
            status: FitStatus::Separated,
        };
    }
    // Standardise α for conditioning.
    let mean = data.iter().map(|b| b.alpha * b.m as f64).sum::<f64>() / m as f64;
    let var = data
        .iter()
        .map(|b| (b.alpha - mean).powi(2) * b.m as f64)
        .sum::<f64>()
        / m as f64;
    let scale = var.sqrt();
    if scale == 0.0 {
        return nan(FitStatus::Degenerate);
    }
    let xs: Vec<f64> = data.iter().map(|b| (b.alpha - mean) / scale).collect();
    let loglik = |b0: f64, b1: f64| -> f64 {
        data.iter()
            .zip(&xs)
            .map(|(d, &x)| {
                let eta = b0 + b1 * x;
                // k ln σ(η) + (m − k) ln σ(−η), with ln σ(η) = −ln(1 + e^(−η)) computed stably.
                let ls = |e: f64| -> f64 {
                    -(if e > 0.0 {
                        (-e).exp().ln_1p()
                    } else {
                        -e + e.exp().ln_1p()
                    })
                };
                d.k as f64 * ls(eta) + (d.m - d.k) as f64 * ls(-eta)
            })
            .sum()
    };
    let p0 = k as f64 / m as f64;
    let (mut b0, mut b1) = ((p0 / (1.0 - p0)).ln(), 0.0);
    let mut ll = loglik(b0, b1);
    let mut converged = false;
    for _ in 0..100 {
        // Gradient and (negative) Hessian of the log-likelihood.
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (d, &x) in data.iter().zip(&xs) {
            let p = 1.0 / (1.0 + (-(b0 + b1 * x)).exp());
            let r = d.k as f64 - d.m as f64 * p;
            let v = d.m as f64 * p * (1.0 - p);
            g0 += r;
            g1 += r * x;
            h00 += v;
            h01 += v * x;
            h11 += v * x * x;
        }
        let det = h00 * h11 - h01 * h01;
        if det <= 0.0 || !det.is_finite() {
            break;
        }
        let (d0, d1) = ((h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det);
        if d0.abs() + d1.abs() < 1e-10 {
            converged = true;
            break;
        }
        // Step halving until the likelihood does not drop.
        let mut t = 1.0;
        let accepted = (0..60).any(|_| {
            let nl = loglik(b0 + t * d0, b1 + t * d1);
            if nl >= ll - 1e-12 * ll.abs().max(1.0) {
                b0 += t * d0;
                b1 += t * d1;
                ll = nl;
                true
            } else {
                t *= 0.5;
                false
            }
        });
        if !accepted {
            converged = d0.abs() + d1.abs() < 1e-6;
            break;
        }
    }
    if !converged || b1 == 0.0 || !b1.is_finite() {
        return nan(FitStatus::Degenerate);
    }
    // logit P = b₀ + b₁(α − mean)/scale = −(α − α_50)/w.
    let w = -scale / b1;
    Logistic {
        alpha50: mean - b0 * scale / b1,
        w,
        status: FitStatus::Fitted,
    }
}

/// α_50 with its bootstrap error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Alpha50 {
    pub fit: Logistic,
    /// Standard deviation of α_50 over the bootstrap resamples with a defined α_50.
    pub err: f64,
    /// Resamples that gave a defined α_50 (fitted or separated).
    pub valid: usize,
    pub resamples: usize,
}

/// Fits α_50 on the tasks' (α, solved) outcomes and estimates its error by resampling the tasks with
/// replacement `resamples` times from the stream (`seed`, "bootstrap", `index`).
pub fn alpha50_bootstrap(
    outcomes: &[(f64, bool)],
    resamples: usize,
    seed: u64,
    index: u64,
) -> Alpha50 {
    let fit = logistic(&group(outcomes));
    let mut r = rng::stream(seed, "bootstrap", index);
    let mut vals = Vec::with_capacity(resamples);
    let mut sample = Vec::with_capacity(outcomes.len());
    for _ in 0..resamples {
        if outcomes.is_empty() {
            break;
        }
        sample.clear();
        sample.extend(
            (0..outcomes.len())
                .map(|_| outcomes[rng::below(&mut r, outcomes.len() as u64) as usize]),
        );
        let f = logistic(&group(&sample));
        if matches!(f.status, FitStatus::Fitted | FitStatus::Separated) && f.alpha50.is_finite() {
            vals.push(f.alpha50);
        }
    }
    Alpha50 {
        fit,
        err: stats::std_dev(&vals),
        valid: vals.len(),
        resamples,
    }
}

/// One point of the finite-size scaling: α_50(N) ± σ.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SizePoint {
    pub n: f64,
    pub alpha50: f64,
    pub err: f64,
}

/// α_50(N) = α_∞ + a·N^(−ν), with errors (NaN when not determined).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fss {
    pub alpha_inf: f64,
    pub alpha_inf_err: f64,
    pub a: f64,
    pub a_err: f64,
    pub nu: f64,
    /// NaN when ν was given.
    pub nu_err: f64,
    pub nu_fitted: bool,
    /// χ² = Σ ((α_50 − fit)/σ)².
    pub chi2: f64,
    /// Degrees of freedom: sizes − parameters.
    pub dof: usize,
    pub sizes: usize,
}

impl Fss {
    pub fn at(&self, n: f64) -> f64 {
        self.alpha_inf + self.a * n.powf(-self.nu)
    }
}

/// Inverse of a small symmetric positive-definite matrix by Gauss–Jordan (None when singular).
fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| (i == j) as u8 as f64).collect())
        .collect();
    for c in 0..n {
        let piv = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[piv][c].abs() < 1e-300 || !a[piv][c].is_finite() {
            return None;
        }
        a.swap(c, piv);
        inv.swap(c, piv);
        let d = a[c][c];
        for j in 0..n {
            a[c][j] /= d;
            inv[c][j] /= d;
        }
        for i in 0..n {
            if i != c {
                let f = a[i][c];
                for j in 0..n {
                    a[i][j] -= f * a[c][j];
                    inv[i][j] -= f * inv[c][j];
                }
            }
        }
    }
    Some(inv)
}

/// The weights 1/σ², with σ = 0 or non-finite replaced by the smallest positive σ (equal weights when none).
fn weights(points: &[SizePoint]) -> Vec<f64> {
    let min_pos = points
        .iter()
        .map(|p| p.err)
        .filter(|e| e.is_finite() && *e > 0.0)
        .fold(f64::INFINITY, f64::min);
    points
        .iter()
        .map(|p| {
            let s = if p.err.is_finite() && p.err > 0.0 {
                p.err
            } else if min_pos.is_finite() {
                min_pos
            } else {
                1.0
            };
            1.0 / (s * s)
        })
        .collect()
}

/// Weighted least squares with design rows `jac` (one per point) and residual target `y`: the solution,
/// its covariance (unscaled) and χ².
fn wls(jac: &[Vec<f64>], y: &[f64], wt: &[f64]) -> Option<(Vec<f64>, Vec<Vec<f64>>, f64)> {
    let q = jac.first()?.len();
    let mut a = vec![vec![0.0; q]; q];
    let mut b = vec![0.0; q];
    for ((row, &yi), &wi) in jac.iter().zip(y).zip(wt) {
        for i in 0..q {
            b[i] += wi * row[i] * yi;
            for j in 0..q {
                a[i][j] += wi * row[i] * row[j];
            }
        }
    }
    let cov = invert(a)?;
    let x: Vec<f64> = (0..q)
        .map(|i| (0..q).map(|j| cov[i][j] * b[j]).sum())
        .collect();
    let chi2 = jac
        .iter()
        .zip(y)
        .zip(wt)
        .map(|((row, &yi), &wi)| {
            let f: f64 = row.iter().zip(&x).map(|(r, c)| r * c).sum();
            wi * (yi - f).powi(2)
        })
        .sum();
    Some((x, cov, chi2))
}

/// Linear fit at fixed ν: (α_∞, a), covariance, χ².
fn fit_fixed_nu(points: &[SizePoint], nu: f64) -> Option<(Vec<f64>, Vec<Vec<f64>>, f64)> {
    let jac: Vec<Vec<f64>> = points.iter().map(|p| vec![1.0, p.n.powf(-nu)]).collect();
    let y: Vec<f64> = points.iter().map(|p| p.alpha50).collect();
    wls(&jac, &y, &weights(points))
}

/// Range of ν scanned when fitting it.
pub const NU_RANGE: (f64, f64) = (0.05, 4.0);

/// Finite-size fit α_50(N) = α_∞ + a·N^(−ν) over sizes with a finite α_50. With `fit_nu` (needs ≥ 4 sizes)
/// ν minimises χ² over [`NU_RANGE`] and the errors come from the 3-parameter Gauss–Newton covariance;
/// otherwise ν = `nu`. Errors are scaled by √(χ²/dof) when that exceeds 1 (a fit worse than the error bars).
/// `None` with fewer than 2 sizes; ν is fitted only from 4 sizes on (with fewer, ν = `nu`).
pub fn fss(points: &[SizePoint], nu: f64, fit_nu: bool) -> Option<Fss> {
    let pts: Vec<SizePoint> = points
        .iter()
        .copied()
        .filter(|p| p.alpha50.is_finite() && p.n > 0.0)
        .collect();
    let fit_nu = fit_nu && pts.len() >= 4;
    if pts.len() < 2 {
        return None;
    }
    let scale = |chi2: f64, dof: usize| {
        if dof > 0 {
            (chi2 / dof as f64).max(1.0)
        } else {
            1.0
        }
    };
    if !fit_nu {
        let (x, cov, chi2) = fit_fixed_nu(&pts, nu)?;
        let dof = pts.len() - 2;
        let s = scale(chi2, dof);
        return Some(Fss {
            alpha_inf: x[0],
            alpha_inf_err: (cov[0][0] * s).sqrt(),
            a: x[1],
            a_err: (cov[1][1] * s).sqrt(),
            nu,
            nu_err: f64::NAN,
            nu_fitted: false,
            chi2,
            dof,
            sizes: pts.len(),
        });
    }
    // Profile χ²(ν): a log-spaced scan, then golden-section refinement around the best point.
    let chi = |v: f64| fit_fixed_nu(&pts, v).map_or(f64::INFINITY, |f| f.2);
    let steps = 200;
    let at = |i: usize| NU_RANGE.0 * (NU_RANGE.1 / NU_RANGE.0).powf(i as f64 / steps as f64);
    let best = (0..=steps).min_by(|&i, &j| chi(at(i)).total_cmp(&chi(at(j))))?;
    let (mut lo, mut hi) = (at(best.saturating_sub(1)), at((best + 1).min(steps)));
    let g = 0.5 * (5f64.sqrt() - 1.0);
    for _ in 0..100 {
        let (c, d) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if chi(c) < chi(d) {
            hi = d;
        } else {
            lo = c;
        }
    }
    let nu_fit = 0.5 * (lo + hi);
    let (x, _, chi2) = fit_fixed_nu(&pts, nu_fit)?;
    let (ainf, a) = (x[0], x[1]);
    let jac: Vec<Vec<f64>> = pts
        .iter()
        .map(|p| {
            let t = p.n.powf(-nu_fit);
            vec![1.0, t, -a * p.n.ln() * t]
        })
        .collect();
    let zeros = vec![0.0; pts.len()];
    let (_, cov, _) = wls(&jac, &zeros, &weights(&pts))?;
    let dof = pts.len() - 3;
    let s = scale(chi2, dof);
    Some(Fss {
        alpha_inf: ainf,
        alpha_inf_err: (cov[0][0] * s).sqrt(),
        a,
        a_err: (cov[1][1] * s).sqrt(),
        nu: nu_fit,
        nu_err: (cov[2][2] * s).sqrt(),
        nu_fitted: true,
        chi2,
        dof,
        sizes: pts.len(),
    })
}
