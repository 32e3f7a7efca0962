//! Gaussian tail functions in log form, safe far in the tails: H(x) = ∫_x^∞ Dz = ½ erfc(x/√2), ln H(x) and
//! the ratio G(x)/H(x) with G the standard normal density.
//!
//! erfc(z) for z ≥ 0 is written t·exp(−z² + P(t)) with t = 1/(1 + z/2) and P a fixed degree-9 polynomial (the
//! classical Chebyshev fit, relative error below 1.2·10⁻⁷ everywhere), so ln erfc(z) = ln t − z² + P(t) never
//! under- or overflows. That accuracy is far below the O(1/√N) error of the Gaussian cavity approximation the
//! messages make; the tests hold it against a slow series/continued-fraction evaluation.

use std::f64::consts::{FRAC_1_SQRT_2, LN_2};

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// (t, −z² + P(t)) with erfc(z) = t·exp(−z² + P(t)), for z ≥ 0.
#[inline]
fn erfc_parts(z: f64) -> (f64, f64) {
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    (t, poly - z * z)
}

/// ln erfc(z) for z ≥ 0.
#[inline]
fn ln_erfc_pos(z: f64) -> f64 {
    let (t, e) = erfc_parts(z);
    t.ln() + e
}

/// erfc(z) for z ≥ 0.
#[inline]
fn erfc_pos(z: f64) -> f64 {
    let (t, e) = erfc_parts(z);
    t * e.exp()
}

/// ln H(x), where H(x) = ½ erfc(x/√2) is the probability that a standard normal exceeds x.
#[inline]
pub fn log_h(x: f64) -> f64 {
    let z = x * FRAC_1_SQRT_2;
    if z >= 0.0 {
        ln_erfc_pos(z) - LN_2
    } else {
        // H(x) = 1 − H(−x) = 1 − ½ erfc(−z), with erfc(−z) = t·exp(−z² + P(t)) at most 1 here.
        (-0.5 * erfc_pos(-z)).ln_1p()
    }
}

/// G(x)/H(x) (the inverse Mills ratio), finite for every finite x: ≈ x for large x, → 0 for x → −∞.
#[inline]
pub fn g_over_h(x: f64) -> f64 {
    (-0.5 * x * x - LN_SQRT_2PI - log_h(x)).exp()
}

/// ln(2 cosh x), stable for large |x|.
#[inline]
pub fn ln_2cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p()
}

/// atanh(x) for x clamped just inside (−1, 1), so that fully polarised magnetisations give large finite fields.
#[inline]
pub fn atanh_clamped(x: f64) -> f64 {
    const EDGE: f64 = 1.0 - 1e-16;
    x.clamp(-EDGE, EDGE).atanh()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erfc by the Taylor series of erf (z < 2) or the continued fraction of erfc (z ≥ 2): slow and accurate
    /// to ~1e-13 relative in the range tested.
    fn erfc_slow(z: f64) -> f64 {
        if z < 0.0 {
            return 2.0 - erfc_slow(-z);
        }
        if z < 2.0 {
            let (mut term, mut sum) = (z, z);
            for n in 1..200 {
                term *= -z * z / n as f64;
                sum += term / (2 * n + 1) as f64;
            }
            1.0 - sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            let mut f = z;
            for n in (1..400).rev() {
                f = z + (n as f64 / 2.0) / f;
            }
            (-z * z).exp() / (std::f64::consts::PI.sqrt() * f)
        }
    }

    #[test]
    fn log_h_matches_a_slow_evaluation() {
        let mut x = -8.0;
        while x <= 25.0 {
            let exact = (0.5 * erfc_slow(x * FRAC_1_SQRT_2)).ln();
            let rel = (log_h(x).exp() / exact.exp() - 1.0).abs();
            // Relative error of H itself (1.2e-7 for erfc, slightly more through 1 − H for x < 0).
            assert!(rel < 2e-7, "x = {x}: log_h {} vs {exact}", log_h(x));
            x += 0.037;
        }
        // Far tail: ln H(x) ≈ −x²/2 − ln(x√(2π)).
        let x = 1e4;
        let asym = -0.5 * x * x - (x * (2.0 * std::f64::consts::PI).sqrt()).ln();
        assert!((log_h(x) - asym).abs() / asym.abs() < 1e-9);
        assert!(log_h(-40.0).abs() < 1e-300 + 1e-16);
    }

    #[test]
    fn ratio_and_helpers() {
        // G/H → x for large x, G(0)/H(0) = 2/√(2π).
        assert!((g_over_h(0.0) - 2.0 / (2.0 * std::f64::consts::PI).sqrt()).abs() < 1e-6);
        assert!((g_over_h(50.0) / 50.0 - 1.0).abs() < 1e-3);
        assert!(g_over_h(-40.0) < 1e-300);
        for &x in &[-30.0, -1.5, 0.0, 0.7, 40.0] {
            let direct = (2.0 * f64::cosh(x)).ln();
            assert!((ln_2cosh(x) - direct).abs() < 1e-12);
        }
        assert!(atanh_clamped(1.0).is_finite() && atanh_clamped(-1.0) < -18.0);
    }
}
