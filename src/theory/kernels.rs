//! Normalised activation kernels κ(q): for hidden fields (h, h′) standard Gaussians with correlation q,
//! κ(q) = Cov[g(h), g(h′)] / Var[g(h)]. In a tree committee with K → ∞ units the output field becomes Gaussian
//! with covariance κ(q) between two networks whose units have weight overlap q (docs/theory.md).

use std::f64::consts::PI;

/// The hidden unit g.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// g(h) = h: the perceptron (a committee of linear units is a perceptron), κ(q) = q.
    Linear,
    /// g(h) = sign(h): κ(q) = (2/π) arcsin q.
    Sign,
    /// g(h) = max(0, h): κ(q) = [√(1−q²) + q(π − arccos q) − 1]/(π − 1).
    Relu,
}

impl Kernel {
    /// κ(q) for q ∈ [−1, 1].
    pub fn value(self, q: f64) -> f64 {
        let q = q.clamp(-1.0, 1.0);
        match self {
            Kernel::Linear => q,
            Kernel::Sign => 2.0 / PI * q.asin(),
            Kernel::Relu => ((1.0 - q * q).sqrt() + q * (PI - q.acos()) - 1.0) / (PI - 1.0),
        }
    }

    /// κ′(q); +∞ for sign units at q = ±1.
    pub fn slope(self, q: f64) -> f64 {
        let q = q.clamp(-1.0, 1.0);
        match self {
            Kernel::Linear => 1.0,
            Kernel::Sign => 2.0 / PI / (1.0 - q * q).sqrt(),
            Kernel::Relu => (PI - q.acos()) / (PI - 1.0),
        }
    }

    /// κ′(1), which fixes the replica-symmetric capacity α_c = 2κ′(1) of the spherical network at K → ∞.
    pub fn slope_at_one(self) -> f64 {
        self.slope(1.0)
    }

    /// Cov[g(h), g(h′)] at correlation q ≥ 0, unnormalised, as a 1-d Gauss–Hermite average: with
    /// h = √q z + √(1−q) u and h′ = √q z + √(1−q) u′, it is ⟨m(√q z)²⟩_z − ⟨g⟩² where
    /// m(c) = E_u[g(c + √(1−q) u)] is elementary. The independent check of `value` in the tests.
    #[cfg(test)]
    fn covariance_by_quadrature(self, q: f64, rule: &super::quadrature::Rule) -> f64 {
        use super::normal::{density, tail};
        let b = (1.0 - q).sqrt();
        let m = |c: f64| match self {
            Kernel::Linear => c,
            Kernel::Sign => 1.0 - 2.0 * tail(c / b),
            Kernel::Relu => c * (1.0 - tail(c / b)) + b * density(c / b),
        };
        let mean = match self {
            Kernel::Relu => 1.0 / (2.0 * PI).sqrt(),
            _ => 0.0,
        };
        rule.integrate(|z| m(q.sqrt() * z).powi(2)) - mean * mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::quadrature::Rule;

    const ALL: [Kernel; 3] = [Kernel::Linear, Kernel::Sign, Kernel::Relu];

    #[test]
    fn normalised_and_monotone() {
        for k in ALL {
            assert!(k.value(0.0).abs() < 1e-15, "{k:?}");
            assert!((k.value(1.0) - 1.0).abs() < 1e-15, "{k:?}");
            let mut prev = k.value(-1.0);
            for i in 1..=200 {
                let v = k.value(-1.0 + i as f64 / 100.0);
                assert!(v > prev, "{k:?} not increasing at step {i}");
                prev = v;
            }
            // κ(q) ≤ q on [0, 1] for the nonlinear units (they decorrelate).
            if k != Kernel::Linear {
                assert!((1..100).all(|i| k.value(i as f64 / 100.0) < i as f64 / 100.0));
            }
        }
        assert!((Kernel::Relu.value(-1.0) - (-1.0 / (PI - 1.0))).abs() < 1e-15);
    }

    #[test]
    fn slopes_match_finite_differences() {
        for k in ALL {
            for i in -9..=9 {
                let q = i as f64 / 10.0;
                let h = 1e-6;
                let fd = (k.value(q + h) - k.value(q - h)) / (2.0 * h);
                assert!((fd - k.slope(q)).abs() < 1e-8, "{k:?} q {q}: {fd}");
            }
        }
        // One-sided at q = 1: ReLU finite (π/(π−1)), sign divergent.
        let h = 1e-10;
        let fd = (Kernel::Relu.value(1.0) - Kernel::Relu.value(1.0 - h)) / h;
        assert!((fd - PI / (PI - 1.0)).abs() < 1e-4);
        assert!((Kernel::Relu.slope_at_one() - PI / (PI - 1.0)).abs() < 1e-15);
        assert!(Kernel::Sign.slope_at_one().is_infinite());
        assert!((1.0 - Kernel::Sign.value(1.0 - h)) / h > 1e4);
    }

    #[test]
    fn closed_forms_match_gaussian_averages() {
        let rule = Rule::hermite(200).unwrap();
        for k in ALL {
            // Var g: 1 for linear and sign units, E[relu²] − E[relu]² = 1/2 − 1/(2π) for ReLU.
            let var = match k {
                Kernel::Relu => 0.5 - 0.5 / PI,
                _ => 1.0,
            };
            for &q in &[0.0, 0.1, 0.3, 0.6, 0.9] {
                let got = k.covariance_by_quadrature(q, &rule) / var;
                assert!((got - k.value(q)).abs() < 1e-9, "{k:?} q {q}: {got}");
            }
        }
    }
}
