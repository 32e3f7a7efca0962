//! The standard Gaussian: density G(t), tail H(t) = ∫_t^∞ Dz, its logarithm and the ratio G/H, accurate in
//! the far tails (where the replica formulas evaluate them at arguments of order 1/√(1 − q)).

use std::f64::consts::{PI, SQRT_2};

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Below this the tail is computed from the erf series, above it from the continued fraction.
const SPLIT: f64 = 3.0;

/// G(t) = e^{−t²/2} / √(2π).
pub fn density(t: f64) -> f64 {
    (-0.5 * t * t - LN_SQRT_2PI).exp()
}

/// erf(x) for 0 ≤ x ≤ 3/√2 from the series e^{−x²} (2/√π) Σ_n 2ⁿ x^{2n+1} / (2n+1)!!, whose terms are all
/// positive (no cancellation).
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term > 1e-17 * sum {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    sum * (-x2).exp() * 2.0 / PI.sqrt()
}

/// The Mills ratio H(t)/G(t) for t ≥ 3, from its continued fraction 1/(t + 1/(t + 2/(t + 3/(t + …)))),
/// evaluated by the modified Lentz method.
fn mills(t: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut f = TINY;
    let (mut c, mut d) = (f, 0.0);
    for j in 1..500 {
        let a = if j == 1 { 1.0 } else { (j - 1) as f64 };
        d = t + a * d;
        d = if d == 0.0 { 1.0 / TINY } else { 1.0 / d };
        c = t + a / c;
        if c == 0.0 {
            c = TINY;
        }
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    f
}

/// H(t) = ∫_t^∞ Dz, the Gaussian tail.
pub fn tail(t: f64) -> f64 {
    if t < 0.0 {
        1.0 - tail(-t)
    } else if t < SPLIT {
        0.5 * (1.0 - erf_series(t / SQRT_2))
    } else {
        mills(t) * density(t)
    }
}

/// ln H(t), finite for every finite t.
pub fn ln_tail(t: f64) -> f64 {
    if t < 0.0 {
        (-tail(-t)).ln_1p()
    } else if t < SPLIT {
        tail(t).ln()
    } else {
        mills(t).ln() - 0.5 * t * t - LN_SQRT_2PI
    }
}

/// G(t)/H(t) = −d ln H/dt; about t for large t, about G(t) for very negative t.
pub fn ratio(t: f64) -> f64 {
    if t < SPLIT {
        density(t) / tail(t)
    } else {
        1.0 / mills(t)
    }
}

/// ln(eᵃ + eᵇ) without overflow or underflow.
pub fn ln_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// ln(2 cosh y), without overflow.
pub fn ln_2cosh(y: f64) -> f64 {
    let a = y.abs();
    a + (-2.0 * a).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_known_values() {
        // H(0) = 1/2, H(1) = 0.158655253931457..., H(3) = 1.349898031630094...e-3,
        // H(10) = 7.619853024160527e-24 (values of the complementary error function).
        assert!((tail(0.0) - 0.5).abs() < 1e-16);
        assert!((tail(1.0) - 0.158_655_253_931_457_05).abs() < 1e-15);
        assert!((tail(-1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
        assert!((tail(3.0) / 1.349_898_031_630_094_6e-3 - 1.0).abs() < 1e-12);
        assert!((tail(10.0) / 7.619_853_024_160_527e-24 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn tail_is_continuous_at_the_split() {
        let below = tail(SPLIT - 1e-12);
        let above = tail(SPLIT + 1e-12);
        assert!((below / above - 1.0).abs() < 1e-11, "{below} {above}");
        assert!((ratio(SPLIT - 1e-12) / ratio(SPLIT + 1e-12) - 1.0).abs() < 1e-11);
    }

    #[test]
    fn far_tail_logs_and_ratios() {
        // ln H(t) → −t²/2 − ln(t √(2π)) − 1/t² + …; G/H → t + 1/t − 2/t³ + …
        let t = 40.0;
        let asym = -0.5 * t * t - (t * (2.0 * PI).sqrt()).ln() - 1.0 / (t * t);
        assert!((ln_tail(t) - asym).abs() < 1e-5);
        assert!((ratio(t) - (t + 1.0 / t - 2.0 / t.powi(3))).abs() < 1e-6);
        assert!(ln_tail(-40.0) <= 0.0 && ln_tail(-40.0) > -1e-300);
        assert!((ln_tail(-5.0) / -tail(5.0) - 1.0).abs() < 1e-6);
        // ratio is −d ln H/dt.
        for &t in &[-2.0, 0.3, 2.9, 3.1, 8.0] {
            let h = 1e-5;
            let fd = -(ln_tail(t + h) - ln_tail(t - h)) / (2.0 * h);
            assert!((fd - ratio(t)).abs() < 1e-7, "t {t}: {fd} vs {}", ratio(t));
        }
    }

    #[test]
    fn log_helpers() {
        assert!((ln_add_exp(-1000.0, -1000.0) - (-1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(ln_add_exp(f64::NEG_INFINITY, -3.0), -3.0);
        assert!((ln_2cosh(0.0) - 2f64.ln()).abs() < 1e-15);
        assert!((ln_2cosh(800.0) - 800.0).abs() < 1e-12);
    }
}
