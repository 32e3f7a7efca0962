//! Gardner volumes of a Gaussian output channel: the label is the sign of a Gaussian field whose covariance
//! between two replicas with weight overlap q is κ(q). With κ(q) = q this is the perceptron; with the kernels
//! of `kernels` it is the tree committee machine at K → ∞. Replica-symmetric (RS) and one-step RSB (1RSB)
//! free entropies per weight, their saddle points and capacities (docs/theory.md derives them).

use super::kernels::Kernel;
use super::normal::{ln_2cosh, ln_add_exp, ln_tail, ratio};
use super::quadrature::Rule;
use super::solve::{bracket, brent, fixed_point, golden_min};
use crate::error::{Error, Result};

/// The energetic term of the RS free entropy, E(Q) = ∫Dz ln H(−√(Q/(1−Q)) z) (`energy` in docs/theory.md),
/// with Q = κ(q) the output-field overlap: the log-probability that a replica classifies a pattern given
/// the part of its field shared with the others.
pub fn energy(rule: &Rule, big_q: f64) -> f64 {
    let s = (big_q / (1.0 - big_q)).sqrt();
    rule.integrate(|z| ln_tail(s * z))
}

/// dE/dQ = −I(Q) / (2(1 − Q)), I(Q) = ∫Dz [G/H(√(Q/(1−Q)) z)]² (`energy_slope`).
pub fn energy_slope(rule: &Rule, big_q: f64) -> f64 {
    let s = (big_q / (1.0 - big_q)).sqrt();
    -rule.integrate(|z| ratio(s * z).powi(2)) / (2.0 * (1.0 - big_q))
}

/// The RS saddle point of the binary (W_i = ±1) network at load α.
#[derive(Clone, Copy, Debug)]
pub struct BinaryRs {
    pub alpha: f64,
    /// Weight overlap q between two solutions.
    pub q: f64,
    /// Its conjugate q̂.
    pub q_hat: f64,
    /// The RS entropy per weight (ln 2 at α = 0).
    pub entropy: f64,
}

/// φ(q, q̂) = −q̂(1−q)/2 + ∫Dz ln 2cosh(√q̂ z) + α E(κ(q)) (`binary_free_entropy`).
pub fn binary_free_entropy(kernel: Kernel, rule: &Rule, alpha: f64, q: f64, q_hat: f64) -> f64 {
    let r = q_hat.sqrt();
    -0.5 * q_hat * (1.0 - q)
        + rule.integrate(|z| ln_2cosh(r * z))
        + alpha * energy(rule, kernel.value(q))
}

/// q̂ = −2α κ′(q) E′(κ(q)), from ∂φ/∂q = 0.
fn conjugate(kernel: Kernel, rule: &Rule, alpha: f64, q: f64) -> f64 {
    -2.0 * alpha * kernel.slope(q) * energy_slope(rule, kernel.value(q))
}

/// Solves q = ∫Dz tanh²(√q̂ z), q̂ = −2α κ′(q) E′(κ(q)) by damped iteration from q = 1/2.
pub fn binary_rs(kernel: Kernel, rule: &Rule, alpha: f64) -> Result<BinaryRs> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(Error::input(format!(
            "alpha (the load P/N) must be positive, not {alpha}"
        )));
    }
    let update = |q: f64| {
        let r = conjugate(kernel, rule, alpha, q).sqrt();
        rule.integrate(|z| (r * z).tanh().powi(2)).min(1.0 - 1e-15)
    };
    let q = fixed_point(update, 0.5, 0.5, 1e-13, 20_000)?;
    let q_hat = conjugate(kernel, rule, alpha, q);
    Ok(BinaryRs {
        alpha,
        q,
        q_hat,
        entropy: binary_free_entropy(kernel, rule, alpha, q, q_hat),
    })
}

/// The RS capacity of the binary network: the load where the RS entropy vanishes (Brent on α).
pub fn binary_capacity(kernel: Kernel, rule: &Rule) -> Result<BinaryRs> {
    let s = |a: f64| {
        binary_rs(kernel, rule, a)
            .map(|r| r.entropy)
            .unwrap_or(f64::NAN)
    };
    let (lo, hi) = bracket(s, 0.3, 0.05, 2.0)?;
    let alpha = brent(s, lo, hi, 1e-12)?;
    binary_rs(kernel, rule, alpha)
}

/// The load α at which the RS overlap of the spherical network is q (`spherical_rs_alpha`): the RS free
/// entropy φ = ½ ln(1−q) + q/(2(1−q)) + α E(κ(q)) is stationary in q when
/// α = q / (2(1−q)² κ′(q) |E′(κ(q))|).
pub fn spherical_rs_alpha(kernel: Kernel, rule: &Rule, q: f64) -> f64 {
    q / (2.0 * (1.0 - q).powi(2) * kernel.slope(q) * -energy_slope(rule, kernel.value(q)))
}

/// The RS capacity of the spherical network, the q → 1 limit of `spherical_rs_alpha`: 2κ′(1) (+∞ for sign
/// units).
pub fn spherical_rs_capacity(kernel: Kernel) -> f64 {
    2.0 * kernel.slope_at_one()
}

/// The 1RSB free entropy of the spherical network near the SAT/UNSAT transition, where q₁ = 1 − ε → 1 and
/// the Parisi parameter m = xε → 0: φ ≈ ½ ln ε + [A(x, q₀) + α B(x, q₀)]/ε. Returns (A, B):
/// A = ½ [ln(1 + x(1−q₀))/x + q₀/(1 + x(1−q₀))],
/// B = (1/x) ∫Dz₀ ln ∫Dz₁ exp(−x y² θ(−y) / (2κ′(1))), y = √Q₀ z₀ + √(1−Q₀) z₁, Q₀ = κ(q₀).
pub fn one_rsb_terms(kernel: Kernel, rule: &Rule, x: f64, q0: f64) -> (f64, f64) {
    let d = 1.0 + x * (1.0 - q0);
    let a_term = 0.5 * (d.ln() / x + q0 / d);
    let big_q0 = kernel.value(q0);
    let (sa, sb) = (big_q0.sqrt(), (1.0 - big_q0).sqrt());
    let a = x / (2.0 * kernel.slope_at_one());
    let c = 1.0 + 2.0 * a * sb * sb;
    // ∫Dz₁ over y > 0 gives H(−u/σ) with u = √Q₀ z₀, σ = √(1−Q₀); over y < 0 the Gaussian factor
    // integrates to e^{−a u²/c} H(u/(σ √c)) / √c.
    let b_term = rule.integrate(|z| {
        let u = sa * z;
        ln_add_exp(
            ln_tail(-u / sb),
            -a * u * u / c - 0.5 * c.ln() + ln_tail(u / (sb * c.sqrt())),
        )
    }) / x;
    (a_term, b_term)
}

/// α(x, q₀) = −A/B: the load at which the 1RSB coefficient A + αB vanishes.
pub fn one_rsb_alpha(kernel: Kernel, rule: &Rule, x: f64, q0: f64) -> f64 {
    let (a, b) = one_rsb_terms(kernel, rule, x, q0);
    -a / b
}

/// The 1RSB capacity of the spherical network and where it is reached.
#[derive(Clone, Copy, Debug)]
pub struct OneRsb {
    pub alpha_c: f64,
    /// x = m/(1 − q₁), the Parisi parameter over the distance of the inner overlap to 1.
    pub x: f64,
    /// The outer overlap q₀.
    pub q0: f64,
}

/// The 1RSB capacity: at α_c the coefficient A + αB is zero at its stationary point in (x, q₀), i.e.
/// α_c = min over (x, q₀) of −A/B (B < 0; the minimum makes A + α_c B ≥ 0 everywhere with equality there).
/// Nested golden-section searches, q₀ ∈ [0, 1 − 10⁻⁴] inside, ln x ∈ [ln 10⁻³, ln 10⁴] outside; the
/// replica-symmetric value 2κ′(1) is recovered at x → 0 or q₀ → 1.
pub fn one_rsb_capacity(kernel: Kernel, rule: &Rule) -> Result<OneRsb> {
    if !kernel.slope_at_one().is_finite() {
        return Err(Error::input(
            "the 1RSB capacity diverges for a kernel with κ′(1) = ∞",
        ));
    }
    let inner = |x: f64| {
        golden_min(
            |q0| one_rsb_alpha(kernel, rule, x, q0),
            0.0,
            1.0 - 1e-4,
            1e-9,
        )
    };
    let (t, alpha_c) = golden_min(|t| inner(t.exp()).1, 1e-3f64.ln(), 1e4f64.ln(), 1e-9);
    let x = t.exp();
    let (q0, _) = inner(x);
    if !alpha_c.is_finite() {
        return Err(Error::Bug(format!(
            "the 1RSB capacity is not finite at x = {x}"
        )));
    }
    Ok(OneRsb { alpha_c, x, q0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> Rule {
        Rule::hermite(200).unwrap()
    }

    #[test]
    fn energy_slope_is_the_derivative_of_energy() {
        let r = rule();
        for &big_q in &[0.1, 0.4, 0.7, 0.9] {
            let h = 1e-5;
            let fd = (energy(&r, big_q + h) - energy(&r, big_q - h)) / (2.0 * h);
            let slope = energy_slope(&r, big_q);
            assert!(
                (fd / slope - 1.0).abs() < 1e-7,
                "Q {big_q}: {fd} vs {slope}"
            );
        }
        // E(0) = ln H(0) = −ln 2: with no shared field each replica is right with probability 1/2.
        assert!((energy(&r, 0.0) + 2f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn binary_saddle_point_is_stationary() {
        let r = rule();
        for kernel in [Kernel::Linear, Kernel::Sign, Kernel::Relu] {
            let s = binary_rs(kernel, &r, 0.6).unwrap();
            let h = 1e-6;
            let phi = |q: f64, qh: f64| binary_free_entropy(kernel, &r, 0.6, q, qh);
            let dq = (phi(s.q + h, s.q_hat) - phi(s.q - h, s.q_hat)) / (2.0 * h);
            let dqh = (phi(s.q, s.q_hat + h) - phi(s.q, s.q_hat - h)) / (2.0 * h);
            assert!(
                dq.abs() < 1e-7 && dqh.abs() < 1e-7,
                "{kernel:?}: {dq} {dqh}"
            );
            assert!(s.q > 0.0 && s.q < 1.0 && s.entropy > 0.0 && s.entropy < 2f64.ln());
        }
        // Few constraints: the entropy tends to ln 2 − α ln 2 … (each pattern halves the volume at q ≈ 0).
        let s = binary_rs(Kernel::Linear, &r, 1e-3).unwrap();
        assert!(
            (s.entropy - (2f64.ln() * (1.0 - 1e-3))).abs() < 1e-5,
            "{}",
            s.entropy
        );
        assert!(binary_rs(Kernel::Linear, &r, 0.0).is_err());
    }

    #[test]
    fn binary_perceptron_capacity() {
        let c = binary_capacity(Kernel::Linear, &rule()).unwrap();
        assert!((c.alpha - 0.833).abs() < 0.002, "{c:?}");
        assert!(c.entropy.abs() < 1e-10);
        // Converged in the number of nodes: 100 and 300 nodes agree with 200.
        for n in [100, 300] {
            let other = binary_capacity(Kernel::Linear, &Rule::hermite(n).unwrap()).unwrap();
            assert!(
                (c.alpha - other.alpha).abs() < 1e-8,
                "{n} nodes: {}",
                other.alpha
            );
        }
    }

    #[test]
    fn spherical_rs_saddle_tends_to_two_kappa_slope() {
        let r = rule();
        for kernel in [Kernel::Linear, Kernel::Relu] {
            let limit = spherical_rs_capacity(kernel);
            let mut prev = 0.0;
            for &q in &[0.5, 0.9, 0.99, 0.999, 0.9999] {
                let a = spherical_rs_alpha(kernel, &r, q);
                assert!(a > prev && a < limit, "{kernel:?} q {q}: {a}");
                prev = a;
            }
            assert!(
                (limit - prev) / limit < 2e-3,
                "{kernel:?}: {prev} vs {limit}"
            );
        }
        assert!((spherical_rs_capacity(Kernel::Linear) - 2.0).abs() < 1e-15);
        let relu = spherical_rs_capacity(Kernel::Relu);
        assert!((relu - 2.0 * std::f64::consts::PI / (std::f64::consts::PI - 1.0)).abs() < 1e-12);
        assert!(spherical_rs_capacity(Kernel::Sign).is_infinite());
    }

    #[test]
    fn one_rsb_reduces_to_rs_at_the_boundaries() {
        let r = rule();
        for kernel in [Kernel::Linear, Kernel::Relu] {
            let rs = spherical_rs_capacity(kernel);
            for &(x, q0) in &[(1e-4, 0.5), (3.0, 1.0 - 1e-7)] {
                let a = one_rsb_alpha(kernel, &r, x, q0);
                assert!((a - rs).abs() < 2e-3 * rs, "{kernel:?} x {x} q0 {q0}: {a}");
            }
        }
    }

    #[test]
    fn one_rsb_capacities() {
        let r = rule();
        // The perceptron's problem is convex: no breaking, α_c = 2.
        let lin = one_rsb_capacity(Kernel::Linear, &r).unwrap();
        assert!((lin.alpha_c - 2.0).abs() < 1e-6, "{lin:?}");
        let relu = one_rsb_capacity(Kernel::Relu, &r).unwrap();
        assert!((relu.alpha_c - 2.66).abs() < 0.02, "{relu:?}");
        assert!(relu.alpha_c < spherical_rs_capacity(Kernel::Relu) - 0.2);
        // An interior minimum: A + α_c B = 0 there and > 0 around it.
        let (a, b) = one_rsb_terms(Kernel::Relu, &r, relu.x, relu.q0);
        assert!((a + relu.alpha_c * b).abs() < 1e-12);
        assert!(relu.q0 > 0.1 && relu.q0 < 0.99 && relu.x > 1.0 && relu.x < 1e3);
        for (dx, dq) in [(1.05, 0.0), (0.95, 0.0), (1.0, 0.01), (1.0, -0.01)] {
            let v = one_rsb_alpha(Kernel::Relu, &r, relu.x * dx, relu.q0 + dq);
            assert!(v > relu.alpha_c, "not a minimum: {v}");
        }
        assert!(one_rsb_capacity(Kernel::Sign, &r).is_err());
    }
}
