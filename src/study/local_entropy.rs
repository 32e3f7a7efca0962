//! `densemc local-entropy`: the density of solutions around a solution W̃,
//! S(W̃, d) = (1/N) ln #{solutions W at Hamming distance dN from W̃}, below H(d) (all configurations).
//!
//! Three estimators (the equations are in `docs/studies.md`, section "Local entropy"):
//! - [`Method::Exact`]: enumeration of the 2^N configurations (any network, N ≤ [`exact::MAX_N`]): the counts
//!   give S(k/N) = ln(count_k)/N, and Z(γ) = Σ_k count_k e^{γ(N − 2k)} its exact Legendre curve;
//! - [`Method::Bp`]: BP with the field γ W̃_i ([`bp::local_entropy`]; the perceptron and committees with sign
//!   units): φ(γ), q(γ), S = φ − γ q at d = (1 − q)/2;
//! - [`Method::Mc`]: zero-temperature Monte Carlo (any architecture): solutions W sampled with weight
//!   e^{γ W·W̃} by single and pair flips that stay solutions, q(γ) = ⟨W·W̃⟩/N, and φ by thermodynamic integration down from the largest γ, where
//!   φ ≈ γ + (1/N) ln(1 + n₁ e^{−2γ}), n₁ the number of single flips of W̃ that stay solutions.
//!
//! The γ grid is run from the largest γ down (each point starts where the previous one ended).

use super::plot::{self, Chart, Series};
use super::table::{decimal, num, Csv};
use crate::bits::{Kernels, Lane};
use crate::bp::{self, entropy::binary_entropy, exact, EntropyParams};
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::mc::state::{EnergyKind, Replica, State};
use crate::model::reference;
use crate::names::Named;
use crate::rng;
use crate::run::output::write_out_dir;
use crate::weights::Weights;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The estimator of S(d).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Exact,
    Bp,
    Mc,
}

crate::named!(Method, "local-entropy method" {
    Bp => "bp": "belief propagation with a field γ W̃ towards the reference, Legendre transform (perceptron, sign committees)",
    Mc => "mc": "zero-temperature Monte Carlo around the reference, thermodynamic integration over γ (any network)",
    Exact => "exact": "enumeration of all 2^N configurations (any network, N ≤ 30)",
});

/// Monte Carlo parameters: per γ, `burn_in` sweeps and then `sweeps` measured sweeps (N proposals each).
#[derive(Clone, Debug, PartialEq)]
pub struct McParams {
    pub sweeps: usize,
    pub burn_in: usize,
    pub seed: u64,
}

impl Default for McParams {
    fn default() -> Self {
        McParams {
            sweeps: 2000,
            burn_in: 200,
            seed: 1,
        }
    }
}

/// Smallest largest-γ of the Monte Carlo grid: there φ(γ) is taken as γ + (1/N) ln(1 + n₁ e^{−2γ}), whose
/// error (configurations at distance ≥ 2) is below (1/N)·N²/2·e^{−4γ}, 0.2·N·10⁻³ at γ = 2.
pub const MC_MIN_GAMMA_MAX: f64 = 2.0;

/// What to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub method: Method,
    /// Couplings γ (any order; run from the largest down).
    pub gammas: Vec<f64>,
    /// Distances at which S is reported (exact: the exact Legendre curve; bp, mc: interpolated).
    pub d_grid: Vec<f64>,
    pub bp: EntropyParams,
    pub mc: McParams,
}

/// One γ of the curve.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub gamma: f64,
    /// (1/N) ln Z(γ): exact, Bethe, or integrated.
    pub phi: f64,
    /// q = (1/N) Σ_i W̃_i ⟨W_i⟩.
    pub q: f64,
    /// Standard error of q (mc: batch means; otherwise 0).
    pub q_se: f64,
    /// d = (1 − q)/2.
    pub d: f64,
    /// S = φ − γ q.
    pub s: f64,
    /// BP reached its tolerance (always true for exact and mc).
    pub converged: bool,
}

/// The local-entropy curve around one reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub method: Method,
    pub n: usize,
    pub p: usize,
    /// The primary curve: exact: d = k/N and S = ln(count_k)/N where count_k > 0; bp, mc: the γ points.
    pub d: Vec<f64>,
    pub s: Vec<f64>,
    /// Exact only: count_k, k = 0..=N.
    pub counts: Option<Vec<u64>>,
    /// The γ points, largest γ first (exact: the exact φ(γ), q(γ)).
    pub points: Vec<Point>,
    /// n₁: the single flips of W̃ that keep every pattern satisfied.
    pub neighbours: usize,
    pub d_grid: Vec<f64>,
    /// S at each `d_grid` value (`None` outside the range the curve covers).
    pub s_grid: Vec<Option<f64>>,
}

fn check(inst: &Instance, reference: &Weights, params: &Params) -> Result<Vec<f64>> {
    if reference.len() != inst.n() {
        return Err(Error::input(format!(
            "the reference W̃ has {} weights, the instance N={}",
            reference.len(),
            inst.n()
        )));
    }
    let e = reference::errors(inst, reference);
    if e > 0 {
        return Err(Error::input(format!(
            "the reference W̃ misclassifies {e} of {} patterns: the local entropy is defined around a solution (E = 0)",
            inst.p()
        )));
    }
    if params.gammas.is_empty() {
        return Err(Error::input("the γ grid is empty"));
    }
    if let Some(g) = params.gammas.iter().find(|g| !g.is_finite()) {
        return Err(Error::input(format!(
            "γ (the coupling to the reference) must be finite (got {g})"
        )));
    }
    if let Some(d) = params.d_grid.iter().find(|d| !(**d > 0.0 && **d < 1.0)) {
        return Err(Error::input(format!(
            "the d grid: d={d} is not a distance in (0, 1)"
        )));
    }
    let mut g = params.gammas.clone();
    g.sort_by(|a, b| b.total_cmp(a));
    if g.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::input("the γ grid has a repeated value"));
    }
    if params.method == Method::Mc {
        if g[0] < MC_MIN_GAMMA_MAX {
            return Err(Error::input(format!(
                "the largest γ must be at least {MC_MIN_GAMMA_MAX} for the Monte Carlo estimate (φ ≈ γ there; got {})",
                g[0]
            )));
        }
        if params.mc.sweeps == 0 {
            return Err(Error::input("the measured sweeps per γ must be at least 1"));
        }
    }
    Ok(g)
}

/// Measures S(d) around `reference`, a solution of `inst` (refused otherwise).
pub fn measure(inst: &Instance, reference: &Weights, params: &Params) -> Result<Curve> {
    let gammas = check(inst, reference, params)?;
    let n = inst.n();
    let neighbours = single_flip_solutions(inst, reference)?;
    let point = |gamma: f64, phi: f64, q: f64, q_se: f64, converged: bool| Point {
        gamma,
        phi,
        q,
        q_se,
        d: 0.5 * (1.0 - q),
        s: phi - gamma * q,
        converged,
    };
    let (points, counts): (Vec<Point>, _) = match params.method {
        Method::Exact => {
            let counts = exact::distance_counts(inst, reference)?;
            let pts = gammas
                .iter()
                .map(|&g| {
                    let (phi, q) = exact::free_entropy(&counts, g).expect("W̃ is a solution");
                    point(g, phi, q, 0.0, true)
                })
                .collect();
            (pts, Some(counts))
        }
        Method::Bp => {
            let pts = bp::local_entropy(inst, reference, &gammas, &params.bp)?
                .into_iter()
                .map(|p| point(p.gamma, p.phi, p.q, 0.0, p.converged))
                .collect();
            (pts, None)
        }
        Method::Mc => {
            let qs = if State::<i16>::fits(inst) {
                mc_overlaps::<i16>(inst, reference, &gammas, &params.mc)?
            } else {
                mc_overlaps::<i32>(inst, reference, &gammas, &params.mc)?
            };
            let phis = integrate(&gammas, &qs, neighbours, n);
            let pts = gammas
                .iter()
                .zip(&qs)
                .zip(&phis)
                .map(|((&g, &(q, se)), &phi)| point(g, phi, q, se, true))
                .collect();
            (pts, None)
        }
    };
    let (d, s) = match &counts {
        Some(c) => c
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(k, &c)| (k as f64 / n as f64, (c as f64).ln() / n as f64))
            .unzip(),
        None => points.iter().map(|p: &Point| (p.d, p.s)).unzip(),
    };
    let s_grid = params
        .d_grid
        .iter()
        .map(|&x| match &counts {
            Some(c) => exact::legendre(c, x).ok().map(|r| r.0),
            None => interpolate(&points, x),
        })
        .collect();
    Ok(Curve {
        method: params.method,
        n,
        p: inst.p(),
        d,
        s,
        counts,
        points,
        neighbours,
        d_grid: params.d_grid.clone(),
        s_grid,
    })
}

/// n₁ = #{i : W̃ with W_i flipped has no error}.
fn single_flip_solutions(inst: &Instance, reference: &Weights) -> Result<usize> {
    let st = State::<i32>::new(inst, reference.clone(), EnergyKind::Errors, Kernels::best())?;
    Ok((0..inst.n()).filter(|&i| st.delta_energy(i) == 0).count())
}

/// (⟨W·W̃⟩/N, its standard error) at each γ (descending), sampling solutions with weight e^{γ W·W̃} by
/// Metropolis from W̃. Each proposal is, with probability 1/2 each, a flip of one weight W_i or of a pair
/// (W_i, W_j), i ≠ j, all uniform: a flip of W_i changes W·W̃ by −2 W_i W̃_i, and a move is refused when it
/// leaves the solutions. The pairs let the chain leave solutions none of whose single flips is a solution.
fn mc_overlaps<L: Lane>(
    inst: &Instance,
    reference: &Weights,
    gammas: &[f64],
    mc: &McParams,
) -> Result<Vec<(f64, f64)>> {
    let n = inst.n();
    let mut st = State::<L>::new(inst, reference.clone(), EnergyKind::Errors, Kernels::best())?;
    let mut r = rng::stream(mc.seed, "local-entropy-mc", 0);
    let mut overlap = n as i64;
    const BATCHES: usize = 20;
    let mut out = Vec::with_capacity(gammas.len());
    for &g in gammas {
        // Acceptance threshold of a move changing W·W̃ by 2k, k = −2..=2: min(1, e^{2γk}).
        let t: Vec<u64> = (-2..=2)
            .map(|k| rng::threshold((2.0 * g * k as f64).exp()))
            .collect();
        let mut samples = Vec::with_capacity(mc.sweeps);
        for sweep in 0..mc.burn_in + mc.sweeps {
            for _ in 0..n {
                let pair = n > 1 && rng::below(&mut r, 2) == 1;
                let i = rng::below(&mut r, n as u64) as usize;
                let j = if pair {
                    let j = rng::below(&mut r, n as u64 - 1) as usize;
                    j + (j >= i) as usize
                } else {
                    i
                };
                // k_x = −1 when W_x = W̃_x (its flip lowers the overlap by 2), +1 otherwise.
                let k = |x: usize| {
                    if st.weights().get(x) == reference.get(x) {
                        -1
                    } else {
                        1
                    }
                };
                let dk = if pair { k(i) + k(j) } else { k(i) };
                if !rng::below_threshold(&mut r, t[(dk + 2) as usize]) {
                    continue;
                }
                let de = st.delta_energy(i);
                if !pair {
                    if de == 0 {
                        st.flip_with_delta(i, 0);
                        overlap += 2 * dk as i64;
                    }
                    continue;
                }
                st.flip_with_delta(i, de);
                let de_j = st.delta_energy(j);
                if de + de_j == 0 {
                    st.flip_with_delta(j, de_j);
                    overlap += 2 * dk as i64;
                } else {
                    st.flip_with_delta(i, -de);
                }
            }
            if sweep >= mc.burn_in {
                samples.push(overlap as f64 / n as f64);
            }
        }
        if st.energy() != 0 {
            return Err(Error::Bug(format!(
                "the Monte Carlo left the solutions (E = {})",
                st.energy()
            )));
        }
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        // Batch means: BATCHES blocks of consecutive sweeps (or single sweeps when there are fewer).
        let b = BATCHES.min(samples.len());
        let len = samples.len() / b;
        let bm: Vec<f64> = (0..b)
            .map(|k| samples[k * len..(k + 1) * len].iter().sum::<f64>() / len as f64)
            .collect();
        let var = if b > 1 {
            bm.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (b * (b - 1)) as f64
        } else {
            0.0
        };
        out.push((mean, var.sqrt()));
    }
    st.verify().map_err(Error::Bug)?;
    Ok(out)
}

/// φ(γ_j) = φ(γ_0) − ∫_{γ_j}^{γ_0} q dγ (trapezoids), γ descending, φ(γ_0) = γ_0 + (1/N) ln(1 + n₁ e^{−2γ_0}).
fn integrate(gammas: &[f64], qs: &[(f64, f64)], neighbours: usize, n: usize) -> Vec<f64> {
    let mut phi = gammas[0] + (neighbours as f64 * (-2.0 * gammas[0]).exp()).ln_1p() / n as f64;
    let mut out = vec![phi];
    for j in 1..gammas.len() {
        phi -= (gammas[j - 1] - gammas[j]) * 0.5 * (qs[j - 1].0 + qs[j].0);
        out.push(phi);
    }
    out
}

/// S at distance x, linear between the two γ points whose d bracket x (`None` outside their range).
fn interpolate(points: &[Point], x: f64) -> Option<f64> {
    let mut pts: Vec<(f64, f64)> = points.iter().map(|p| (p.d, p.s)).collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts.windows(2).find_map(|w| {
        let ((d0, s0), (d1, s1)) = (w[0], w[1]);
        if x < d0 || x > d1 {
            None
        } else if d1 == d0 {
            Some(s0)
        } else {
            Some(s0 + (s1 - s0) * (x - d0) / (d1 - d0))
        }
    })
}

impl Curve {
    /// The JSON document of the command (without the instance and the version, added by the caller).
    pub fn json(&self) -> Value {
        let col = |f: fn(&Point) -> f64| self.points.iter().map(f).collect::<Vec<f64>>();
        json!({
            "method": self.method.name(),
            "n": self.n,
            "p": self.p,
            "d": self.d,
            "s": self.s,
            "upper_bound": self.d.iter().map(|&d| binary_entropy(d)).collect::<Vec<f64>>(),
            "counts": self.counts,
            "neighbours": self.neighbours,
            "gamma": col(|p| p.gamma),
            "phi": col(|p| p.phi),
            "q": col(|p| p.q),
            "q_se": col(|p| p.q_se),
            "d_gamma": col(|p| p.d),
            "s_gamma": col(|p| p.s),
            "converged": self.points.iter().map(|p| p.converged).collect::<Vec<bool>>(),
            "d_grid": self.d_grid,
            "s_grid": self.s_grid,
        })
    }

    /// `local_entropy.csv`: one row per γ point (gamma, phi, q, q_se, d, s, upper_bound, converged).
    pub fn csv(&self) -> String {
        let mut t = Csv::new(&[
            "gamma",
            "phi",
            "q",
            "q_se",
            "d",
            "s",
            "upper_bound",
            "converged",
        ]);
        for p in &self.points {
            t.row([
                decimal(p.gamma),
                num(p.phi),
                num(p.q),
                num(p.q_se),
                num(p.d),
                num(p.s),
                num(binary_entropy(p.d)),
                p.converged.to_string(),
            ]);
        }
        t.finish()
    }

    /// `local_entropy_counts.csv` (exact only): k, d, count, s, upper_bound.
    pub fn counts_csv(&self) -> Option<String> {
        let c = self.counts.as_ref()?;
        let mut t = Csv::new(&["k", "d", "count", "s", "upper_bound"]);
        for (k, &ck) in c.iter().enumerate() {
            let d = k as f64 / self.n as f64;
            let sk = if ck > 0 {
                num((ck as f64).ln() / self.n as f64)
            } else {
                String::new()
            };
            t.row([
                k.to_string(),
                num(d),
                ck.to_string(),
                sk,
                num(binary_entropy(d)),
            ]);
        }
        Some(t.finish())
    }

    /// The text table printed by the command.
    pub fn table(&self) -> String {
        let mut s = format!(
            "local entropy by {} around W̃ (N={}, P={}; {} single flips of W̃ stay solutions)\n",
            self.method.name(),
            self.n,
            self.p,
            self.neighbours
        );
        if let Some(c) = &self.counts {
            let _ = writeln!(
                s,
                "\n{:>4} {:>8} {:>14} {:>9} {:>9}",
                "k", "d", "count", "S", "H(d)"
            );
            for (k, &ck) in c.iter().enumerate().filter(|(_, &c)| c > 0) {
                let d = k as f64 / self.n as f64;
                let _ = writeln!(
                    s,
                    "{k:>4} {d:>8.4} {ck:>14} {:>9.5} {:>9.5}",
                    (ck as f64).ln() / self.n as f64,
                    binary_entropy(d)
                );
            }
        }
        let _ = writeln!(
            s,
            "\n{:>7} {:>9} {:>9} {:>8} {:>8} {:>9} {:>9}",
            "γ", "φ", "q", "±", "d", "S", "H(d)"
        );
        for p in &self.points {
            let _ = writeln!(
                s,
                "{:>7} {:>9.5} {:>9.5} {:>8.5} {:>8.5} {:>9.5} {:>9.5}{}",
                plot::tick(p.gamma),
                p.phi,
                p.q,
                p.q_se,
                p.d,
                p.s,
                binary_entropy(p.d),
                if p.converged { "" } else { "  (not converged)" }
            );
        }
        if !self.d_grid.is_empty() {
            let _ = writeln!(s, "\n{:>8} {:>9} {:>9}", "d", "S", "H(d)");
            for (d, v) in self.d_grid.iter().zip(&self.s_grid) {
                let cell = v.map_or("—".to_string(), |v| format!("{v:.5}"));
                let _ = writeln!(s, "{d:>8} {cell:>9} {:>9.5}", binary_entropy(*d));
            }
        }
        s
    }

    /// S(d) with H(d) beside it, and an optional theory curve (d, S).
    pub fn chart(&self, theory: Option<(&str, &[(f64, f64)])>) -> Chart {
        let dmax = self.d.iter().copied().fold(0.0, f64::max).max(0.05);
        let mut series = vec![Series {
            label: "H(d) (all configurations)".into(),
            points: (0..=100)
                .map(|k| dmax * k as f64 / 100.0)
                .map(|d| (d, binary_entropy(d)))
                .collect(),
            line: true,
            color: 7,
            ..Default::default()
        }];
        if let Some((label, pts)) = theory {
            series.push(Series {
                label: label.into(),
                points: pts.to_vec(),
                line: true,
                color: 2,
                ..Default::default()
            });
        }
        series.push(Series {
            label: format!("S(d), {}", self.method.name()),
            points: self.d.iter().copied().zip(self.s.iter().copied()).collect(),
            markers: self.d.len() < 60,
            line: self.counts.is_none(),
            color: 0,
            ..Default::default()
        });
        if self.counts.is_some() {
            series.push(Series {
                label: "Legendre curve of the exact Z(γ)".into(),
                points: self.points.iter().map(|p| (p.d, p.s)).collect(),
                line: true,
                color: 1,
                ..Default::default()
            });
        }
        Chart {
            title: format!("local entropy around W̃, N={}, P={}", self.n, self.p),
            x_label: "d (normalised Hamming distance from W̃)".into(),
            y_label: "S(d)".into(),
            x_range: Some((0.0, dmax * 1.05)),
            series,
            ..Default::default()
        }
    }

    /// Writes the CSV file(s) and `local_entropy.svg` into `dir` (created if needed); returns the paths.
    pub fn write(&self, dir: &Path, theory: Option<(&str, &[(f64, f64)])>) -> Result<Vec<PathBuf>> {
        let mut files = vec![("local_entropy.csv".to_string(), self.csv().into_bytes())];
        if let Some(c) = self.counts_csv() {
            files.push(("local_entropy_counts.csv".into(), c.into_bytes()));
        }
        files.extend(plot::figure_files("local_entropy", &self.chart(theory))?);
        write_out_dir(dir, &files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trapezoids_integrate_a_linear_q_exactly() {
        // q(γ) = 1 − e·(4 − γ) is linear: the trapezoid rule is exact.
        let g: Vec<f64> = (0..=8).map(|k| 4.0 - 0.5 * k as f64).collect();
        let qs: Vec<(f64, f64)> = g.iter().map(|&x| (1.0 - 0.1 * (4.0 - x), 0.0)).collect();
        let phi = integrate(&g, &qs, 0, 10);
        for (x, p) in g.iter().zip(&phi) {
            let want = 4.0 - ((4.0 - x) - 0.05 * (4.0 - x).powi(2));
            assert!((p - want).abs() < 1e-12, "γ={x}: {p} vs {want}");
        }
    }

    #[test]
    fn interpolation_is_linear_and_bounded() {
        let p = |d: f64, s: f64| Point {
            gamma: 0.0,
            phi: 0.0,
            q: 0.0,
            q_se: 0.0,
            d,
            s,
            converged: true,
        };
        let pts = [p(0.2, 0.4), p(0.1, 0.2)];
        assert!((interpolate(&pts, 0.15).unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(interpolate(&pts, 0.05), None);
        assert_eq!(interpolate(&pts, 0.25), None);
    }
}
