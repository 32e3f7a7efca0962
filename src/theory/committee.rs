//! Tree committee machines at finite K: the replica-symmetric capacity of the spherical machine with sign
//! units. (At K → ∞ the committee is a Gaussian channel with the kernels of `kernels`; see `perceptron`.)
//!
//! As q → 1 the RS energy term of one pattern becomes −(q/(2(1−q))) C(z), where z ∈ ℝ^K are the hidden
//! fields shared by the replicas and C(z) is the squared distance from z to the region where the
//! committee answers correctly; the entropic term is 1/(2(1−q)), so α_c = 1/E[C] (docs/theory.md). For sign
//! units with label +1, C(z) is the sum of the d smallest z_l² among the j negative fields, where
//! d = j − (K−1)/2 votes must be flipped.

use super::normal::{density, tail};
use super::quadrature::Rule;
use crate::error::{Error, Result};

/// Panels of the composite Gauss–Legendre rule on [0, 12]: geometric towards 0, where the smallest of j
/// half-normal fields lives (at a scale 1/j).
fn half_line_rule(nodes_per_panel: usize) -> Result<Rule> {
    let mut edges = vec![0.0];
    let mut e = 12.0 * 0.5f64.powi(14);
    while e < 1.5 {
        edges.push(e);
        e *= 2.0;
    }
    edges.extend([1.5, 2.25, 3.0, 4.0, 5.5, 7.5, 12.0]);
    let mut rule = Rule {
        nodes: vec![],
        weights: vec![],
    };
    for w in edges.windows(2) {
        let panel = Rule::legendre(nodes_per_panel, w[0], w[1])?;
        rule.nodes.extend(panel.nodes);
        rule.weights.extend(panel.weights);
    }
    Ok(rule)
}

/// E[C_K] for the sign committee with K odd hidden units (`sign_cost`):
/// E[C_K] = Σ_j P(j) j ∫_0^∞ x² f(x) P[Bin(j−1, F(x)) ≤ d_j − 1] dx, where j ~ Bin(K, 1/2) counts the
/// negative fields, d_j = j − (K−1)/2, and f = 2G, F = 1 − 2H are the half-normal density and distribution:
/// the sum of the d smallest of j i.i.d. squares, written with the order-statistic densities summed.
pub fn sign_cost(k: usize) -> Result<f64> {
    sign_cost_with(k, 24)
}

fn sign_cost_with(k: usize, nodes_per_panel: usize) -> Result<f64> {
    if k == 0 || k % 2 == 0 {
        return Err(Error::input(format!(
            "k (the number of hidden units) must be odd for sign units, not {k}"
        )));
    }
    let lf: Vec<f64> = std::iter::once(0.0)
        .chain((1..=k).scan(0.0, |s, i| {
            *s += (i as f64).ln();
            Some(*s)
        }))
        .collect();
    let ln_choose = |n: usize, r: usize| lf[n] - lf[r] - lf[n - r];
    let half = (k - 1) / 2;
    let rule = half_line_rule(nodes_per_panel)?;
    let mut total = 0.0;
    for j in half + 1..=k {
        let d = j - half;
        let p_j = (ln_choose(k, j) - k as f64 * 2f64.ln()).exp();
        let integral = rule.integrate(|x| {
            let big_f = 1.0 - 2.0 * tail(x);
            // P[Bin(j−1, F) ≤ d − 1].
            let cdf = if big_f <= 0.0 {
                1.0
            } else if big_f >= 1.0 {
                if d > j - 1 {
                    1.0
                } else {
                    0.0
                }
            } else {
                let (lp, lq) = (big_f.ln(), (1.0 - big_f).ln());
                (0..d.min(j))
                    .map(|r| (ln_choose(j - 1, r) + r as f64 * lp + (j - 1 - r) as f64 * lq).exp())
                    .sum::<f64>()
                    .min(1.0)
            };
            x * x * 2.0 * density(x) * cdf
        });
        total += p_j * j as f64 * integral;
    }
    Ok(total)
}

/// The RS capacity of the spherical tree committee with K odd sign units, 1/E[C_K] (`sign_rs_capacity`).
pub fn sign_rs_capacity(k: usize) -> Result<f64> {
    Ok(1.0 / sign_cost(k)?)
}

/// A seeded stream of standard Gaussians (splitmix64 + Box–Muller), for `relu_cost_mc` and the tests.
pub struct Gauss(pub u64);
impl Gauss {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn sample(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// The squared distance C(z) from hidden fields z ∈ ℝ^K (K even) to the region where the ReLU committee
/// h = Σ_{l<K/2} relu(z_l) − Σ_{l≥K/2} relu(z_l) is positive (`relu_cost`). The cheapest move raises the
/// first half (every positive field and the j least negative ones, all by the same λ) and lowers the
/// positive fields of the second half by min(μ, z_l) (water-filling); at the optimum λ = μ. The minimum
/// over j of these candidates is C(z) (a candidate whose λ leaves a field negative still describes a
/// feasible move, so it is never below the minimum).
pub fn relu_cost(z: &[f64]) -> f64 {
    let half = z.len() / 2;
    let (up, down) = z.split_at(half);
    let a: f64 = up.iter().map(|v| v.max(0.0)).sum();
    let mut v: Vec<f64> = down.iter().copied().filter(|&x| x > 0.0).collect();
    let b: f64 = v.iter().sum();
    let g = b - a;
    if g < 0.0 {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let p = up.iter().filter(|&&x| x > 0.0).count();
    let mut neg: Vec<f64> = up.iter().filter(|&&x| x <= 0.0).map(|x| -x).collect();
    neg.sort_by(f64::total_cmp);
    let kill: f64 = v.iter().map(|x| x * x).sum();
    let mut best = kill
        + if p == 0 {
            neg.first().map_or(0.0, |x| x * x)
        } else {
            0.0
        };
    // Prefix sums of v and v², for the segment search.
    let (mut pre, mut pre2) = (vec![0.0], vec![0.0]);
    for x in &v {
        pre.push(pre.last().unwrap() + x);
        pre2.push(pre2.last().unwrap() + x * x);
    }
    let r = v.len();
    let mut s_j = 0.0;
    for j in 0..=neg.len() {
        if j > 0 {
            s_j += neg[j - 1];
        }
        let n_up = (p + j) as f64;
        if n_up == 0.0 {
            continue;
        }
        // Solve n_up μ + Σ min(μ, v_l) = g + S_j: the left side at μ = v_i is increasing in i; the first
        // i where it reaches the target brackets μ in [v_{i−1}, v_i].
        let target = g + s_j;
        let at = |i: usize| n_up * v[i] + pre[i] + (r - i) as f64 * v[i];
        let (mut lo, mut hi) = (0, r);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if at(mid) >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let free = (r - lo) as f64;
        let mu = (target - pre[lo]) / (n_up + free);
        best = best.min((n_up + free) * mu * mu + pre2[lo]);
    }
    best
}

/// E[C_K] for the ReLU committee by Monte Carlo over z ~ N(0, I_K) with a fixed seed: (mean, standard
/// error).
pub fn relu_cost_mc(k: usize, samples: usize, seed: u64) -> Result<(f64, f64)> {
    if k == 0 || k % 2 == 1 {
        return Err(Error::input(format!(
            "k (the number of hidden units) must be even for ReLU units, not {k}"
        )));
    }
    if samples < 2 {
        return Err(Error::input("samples (the Monte Carlo draws) must be ≥ 2"));
    }
    let mut g = Gauss(seed);
    let (mut sum, mut sum2) = (0.0, 0.0);
    let mut z = vec![0.0; k];
    for _ in 0..samples {
        z.iter_mut().for_each(|x| *x = g.sample());
        let c = relu_cost(&z);
        sum += c;
        sum2 += c * c;
    }
    let n = samples as f64;
    let mean = sum / n;
    Ok((mean, ((sum2 / n - mean * mean) / (n - 1.0)).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C(z) by brute force: the cheapest set of sign flips (over all 2^K subsets) giving a positive vote.
    fn brute_cost(z: &[f64]) -> f64 {
        let k = z.len();
        (0u32..1 << k)
            .filter_map(|mask| {
                let (mut votes, mut cost) = (0i32, 0.0);
                for (l, &zl) in z.iter().enumerate() {
                    let flip = mask >> l & 1 == 1;
                    let positive = (zl > 0.0) != flip;
                    votes += if positive { 1 } else { -1 };
                    if flip {
                        cost += zl * zl;
                    }
                }
                (votes > 0).then_some(cost)
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// C(z) for K = 2 by hand: with z₁ (c = +1) below the positive z₂ (c = −1), either meet at the mean
    /// (if it is ≥ 0) or bring both to 0; with z₂ ≤ 0, raise z₁ to 0.
    fn relu_cost_two(z1: f64, z2: f64) -> f64 {
        if z2 > 0.0 {
            if z1 > z2 {
                0.0
            } else if z1 + z2 >= 0.0 {
                (z2 - z1).powi(2) / 2.0
            } else {
                z1 * z1 + z2 * z2
            }
        } else if z1 > 0.0 {
            0.0
        } else {
            z1 * z1
        }
    }

    #[test]
    fn relu_cost_by_hand_and_feasible() {
        let mut g = Gauss(3);
        for _ in 0..10_000 {
            let (a, b) = (g.sample(), g.sample());
            assert!(
                (relu_cost(&[a, b]) - relu_cost_two(a, b)).abs() < 1e-12,
                "{a} {b}"
            );
        }
        // Scaling: C(t z) = t² C(z); correct outputs cost nothing.
        let z = [0.3, -1.2, 0.8, 2.0, -0.1, 0.5];
        assert!((relu_cost(&z.map(|x| 2.0 * x)) - 4.0 * relu_cost(&z)).abs() < 1e-12);
        assert!(relu_cost(&z) > 0.0);
        assert_eq!(relu_cost(&[1.0, -1.0, 0.5, 0.2]), 0.0);
        assert!(relu_cost_mc(3, 10, 1).is_err());
    }

    #[test]
    fn one_unit_is_the_perceptron() {
        // E[z² θ(−z)] = 1/2, α_c = 2.
        assert!((sign_cost(1).unwrap() - 0.5).abs() < 1e-12);
        assert!(sign_cost(4).is_err() && sign_cost(0).is_err());
    }

    #[test]
    fn cost_matches_monte_carlo_over_subsets() {
        let mut g = Gauss(7);
        for k in [3usize, 5, 7] {
            let samples = 200_000;
            let (mut sum, mut sum2) = (0.0, 0.0);
            for _ in 0..samples {
                let z: Vec<f64> = (0..k).map(|_| g.sample()).collect();
                let c = brute_cost(&z);
                sum += c;
                sum2 += c * c;
            }
            let mean = sum / samples as f64;
            let se = ((sum2 / samples as f64 - mean * mean) / samples as f64).sqrt();
            let exact = sign_cost(k).unwrap();
            assert!(
                (exact - mean).abs() < 4.0 * se,
                "K {k}: {exact} vs {mean} ± {se}"
            );
        }
    }

    #[test]
    fn quadrature_is_converged_at_large_k() {
        // The composite rule at 24 nodes per panel agrees with 48 nodes per panel.
        for k in [3, 31, 301] {
            let (coarse, fine) = (sign_cost(k).unwrap(), sign_cost_with(k, 48).unwrap());
            assert!(
                (coarse / fine - 1.0).abs() < 1e-10,
                "K {k}: {coarse} vs {fine}"
            );
        }
    }
}
