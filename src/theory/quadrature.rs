//! Gauss quadrature rules computed from the three-term recurrence of their orthogonal polynomials: the nodes
//! are the eigenvalues of the symmetric tridiagonal Jacobi matrix (found one by one by Sturm-sequence
//! bisection), the weights the Christoffel numbers mass / Σ_k p_k(x)² of the orthonormal polynomials p_k.

use crate::error::{Error, Result};

/// The largest number of nodes: beyond it the orthonormal Hermite polynomials at the outer nodes overflow.
pub const MAX_NODES: usize = 300;

/// A rule Σ_i w_i f(x_i), nodes ascending.
#[derive(Clone, Debug)]
pub struct Rule {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Rule {
    /// Gauss–Hermite for the Gaussian measure: Σ_i w_i f(x_i) ≈ ∫ Dz f(z), Dz = e^{−z²/2} dz / √(2π); exact
    /// for polynomials of degree ≤ 2n − 1. The recurrence is that of the probabilists' Hermite polynomials,
    /// He_{k+1} = z He_k − k He_{k−1}.
    pub fn hermite(n: usize) -> Result<Rule> {
        check(n)?;
        let beta: Vec<f64> = (1..n).map(|k| (k as f64).sqrt()).collect();
        let mut r = jacobi(&beta, 1.0);
        r.symmetrize();
        Ok(r)
    }

    /// Gauss–Legendre on [a, b]: Σ_i w_i f(x_i) ≈ ∫_a^b f(x) dx, exact for degree ≤ 2n − 1.
    pub fn legendre(n: usize, a: f64, b: f64) -> Result<Rule> {
        check(n)?;
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Err(Error::input(format!(
                "the interval [{a}, {b}] must be finite and non-empty"
            )));
        }
        let beta: Vec<f64> = (1..n)
            .map(|k| {
                let k = k as f64;
                k / (4.0 * k * k - 1.0).sqrt()
            })
            .collect();
        let mut r = jacobi(&beta, 2.0);
        r.symmetrize();
        let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
        for (x, w) in r.nodes.iter_mut().zip(r.weights.iter_mut()) {
            *x = mid + half * *x;
            *w *= half;
        }
        Ok(r)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Σ_i w_i f(x_i).
    pub fn integrate(&self, mut f: impl FnMut(f64) -> f64) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(&x, &w)| w * f(x))
            .sum()
    }

    /// Makes a rule for a symmetric measure exactly symmetric (x_{n−1−i} = −x_i, equal weights).
    fn symmetrize(&mut self) {
        let n = self.len();
        for i in 0..n / 2 {
            let j = n - 1 - i;
            let x = 0.5 * (self.nodes[j] - self.nodes[i]);
            let w = 0.5 * (self.weights[i] + self.weights[j]);
            self.nodes[i] = -x;
            self.nodes[j] = x;
            self.weights[i] = w;
            self.weights[j] = w;
        }
        if n % 2 == 1 {
            self.nodes[n / 2] = 0.0;
        }
    }
}

fn check(n: usize) -> Result<()> {
    if (1..=MAX_NODES).contains(&n) {
        Ok(())
    } else {
        Err(Error::input(format!(
            "the number of quadrature nodes must be between 1 and {MAX_NODES}, not {n}"
        )))
    }
}

/// The rule of the Jacobi matrix with zero diagonal and off-diagonal `beta` (size beta.len() + 1) for a
/// measure of total mass `mass`.
fn jacobi(beta: &[f64], mass: f64) -> Rule {
    let n = beta.len() + 1;
    // Gershgorin: every eigenvalue lies within the largest sum of two neighbouring off-diagonals.
    let bound = (0..n)
        .map(|i| {
            let left = if i > 0 { beta[i - 1] } else { 0.0 };
            let right = if i + 1 < n { beta[i] } else { 0.0 };
            left + right
        })
        .fold(0.0, f64::max)
        + 1e-12;
    let mut nodes = Vec::with_capacity(n);
    for k in 0..n {
        let (mut lo, mut hi) = (-bound, bound);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if below(beta, mid) > k {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        nodes.push(0.5 * (lo + hi));
    }
    let weights = nodes
        .iter()
        .map(|&x| {
            // Orthonormal polynomials: β_{k+1} p_{k+1} = x p_k − β_k p_{k−1}.
            let (mut prev, mut cur) = (0.0, 1.0);
            let mut sum = 1.0;
            for k in 0..n - 1 {
                let b_prev = if k > 0 { beta[k - 1] } else { 0.0 };
                let next = (x * cur - b_prev * prev) / beta[k];
                prev = cur;
                cur = next;
                sum += cur * cur;
            }
            mass / sum
        })
        .collect();
    Rule { nodes, weights }
}

/// The number of eigenvalues of the Jacobi matrix below x (the negative pivots of T − x I).
fn below(beta: &[f64], x: f64) -> usize {
    let mut d = -x;
    let mut count = usize::from(d < 0.0);
    for &b in beta {
        let dd = if d == 0.0 { f64::MIN_POSITIVE } else { d };
        d = -x - b * b / dd;
        count += usize::from(d < 0.0);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (m − 1)!! for even m, 0 for odd m: the moments of the standard Gaussian.
    fn gauss_moment(m: u32) -> f64 {
        if m % 2 == 1 {
            return 0.0;
        }
        (1..m).step_by(2).map(|j| j as f64).product()
    }

    #[test]
    fn hermite_moments_exact_to_degree_2n_minus_1() {
        for n in [1, 2, 3, 4, 7, 10, 20, 41] {
            let r = Rule::hermite(n).unwrap();
            assert_eq!(r.len(), n);
            for m in 0..(2 * n as u32).min(30) {
                let got = r.integrate(|z| z.powi(m as i32));
                let want = gauss_moment(m);
                let tol = 1e-12 * gauss_moment(m + m % 2);
                assert!((got - want).abs() < tol, "n {n} m {m}: {got} vs {want}");
            }
            if n <= 8 {
                // Degree 2n is no longer exact: the rule under-counts ⟨z^{2n}⟩ by n!.
                let m = 2 * n as i32;
                let got = r.integrate(|z| z.powi(m));
                let fact: f64 = (1..=n).map(|j| j as f64).product();
                assert!((gauss_moment(m as u32) - got - fact).abs() < 1e-9 * fact.max(1.0));
            }
        }
    }

    #[test]
    fn hermite_smooth_integrands_converge() {
        let r = Rule::hermite(60).unwrap();
        // ⟨cos z⟩ = e^{−1/2}, ⟨e^{z}⟩ = e^{1/2}, ⟨e^{3z}⟩ = e^{9/2}.
        assert!((r.integrate(f64::cos) - (-0.5f64).exp()).abs() < 1e-14);
        assert!((r.integrate(f64::exp) - 0.5f64.exp()).abs() < 1e-13);
        assert!((r.integrate(|z| (3.0 * z).exp()) / 4.5f64.exp() - 1.0).abs() < 1e-12);
        let big = Rule::hermite(MAX_NODES).unwrap();
        assert!((big.integrate(|_| 1.0) - 1.0).abs() < 1e-13);
        assert!((big.integrate(|z| z * z) - 1.0).abs() < 1e-12);
        assert!(big.nodes.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn legendre_polynomials_and_interval() {
        for n in [1, 2, 5, 16] {
            let r = Rule::legendre(n, -1.0, 3.0).unwrap();
            for m in 0..2 * n as i32 {
                let got = r.integrate(|x| x.powi(m));
                let want = (3f64.powi(m + 1) - (-1f64).powi(m + 1)) / (m + 1) as f64;
                assert!(
                    (got - want).abs() < 1e-11 * want.abs().max(1.0),
                    "n {n} m {m}"
                );
            }
        }
        let r = Rule::legendre(30, 0.0, std::f64::consts::PI).unwrap();
        assert!((r.integrate(f64::sin) - 2.0).abs() < 1e-14);
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(Rule::hermite(0).is_err());
        assert!(Rule::hermite(MAX_NODES + 1).is_err());
        assert!(Rule::legendre(5, 1.0, 1.0).is_err());
    }
}
