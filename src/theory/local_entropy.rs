//! The Franz–Parisi local entropy of a binary network: S(d) = (1/N) E ln #{solutions W at normalised
//! Hamming distance d from W̃}, W̃ a typical (equilibrium) solution, replica-symmetric (docs/theory.md).
//! For the perceptron the output-field overlaps are the weight overlaps; for tree committees at K → ∞
//! they are κ(overlap) (`kernels`).

use super::kernels::Kernel;
use super::normal::{ln_2cosh, ln_tail};
use super::perceptron::{binary_rs, BinaryRs};
use super::quadrature::Rule;
use super::solve::brent;
use crate::error::{Error, Result};

/// One point of the curve with its order parameters.
#[derive(Clone, Copy, Debug)]
pub struct LocalEntropy {
    pub d: f64,
    /// Overlap p = 1 − 2d with the reference.
    pub p: f64,
    pub s: f64,
    /// Overlap of two solutions at distance d from the same reference.
    pub q: f64,
    /// Overlap of such a solution with another typical solution of the reference's measure.
    pub t: f64,
    pub q_hat: f64,
    pub t_hat: f64,
    pub p_hat: f64,
}

/// The curve at one load, with the reference's own RS saddle point (q̃ = `reference.q`, entropy φ).
#[derive(Clone, Debug)]
pub struct Curve {
    pub alpha: f64,
    pub reference: BinaryRs,
    pub points: Vec<LocalEntropy>,
}

impl Curve {
    /// The typical distance between two solutions, (1 − q̃)/2, where S(d) reaches φ.
    pub fn typical_distance(&self) -> f64 {
        (1.0 - self.reference.q) / 2.0
    }
}

/// H(d) = −d ln d − (1−d) ln(1−d), the count of all configurations at distance d: S(d) ≤ H(d).
pub fn binary_entropy(d: f64) -> f64 {
    -d * d.ln() - (1.0 - d) * (1.0 - d).ln()
}

/// The reference (q̃, q̂̃) and the quadrature rules.
struct Setup {
    kernel: Kernel,
    alpha: f64,
    qr: f64,
    qr_hat: f64,
    gh: Rule,
    gl: Rule,
}

impl Setup {
    /// G_S − (conjugate terms) pieces: (Ĝ, ∂Ĝ/∂p̂, q from ∂Ĝ/∂q̂, t from ∂Ĝ/∂t̂) where
    /// Ĝ = ∫Dz Dy (e^{h̃}/cosh h̃) ln 2cosh(h + p̂ − t̂), h̃ = √q̂̃ z, h = (t̂/√q̂̃) z + √(q̂ − t̂²/q̂̃) y.
    fn entropic(&self, q_hat: f64, t_hat: f64, p_hat: f64) -> (f64, f64, f64, f64) {
        let rh = self.qr_hat.sqrt();
        let sigma = (q_hat - t_hat * t_hat / self.qr_hat).max(0.0).sqrt();
        let (mut g, mut gp, mut qq, mut tz, mut one_minus) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&z, &wz) in self.gh.nodes.iter().zip(&self.gh.weights) {
            let w = wz * (1.0 + (rh * z).tanh());
            for (&y, &wy) in self.gh.nodes.iter().zip(&self.gh.weights) {
                let x = t_hat / rh * z + sigma * y + p_hat - t_hat;
                let tt = x.tanh();
                let ww = w * wy;
                g += ww * ln_2cosh(x);
                gp += ww * tt;
                qq += ww * tt * tt;
                tz += ww * tt * (1.0 - z / rh);
                one_minus += ww * (1.0 - tt * tt);
            }
        }
        (g, gp, qq, tz + t_hat / self.qr_hat * one_minus)
    }

    /// G_E(q, t; p) = ∫Dz E[∫Dv ln H(−m/√(1−q)) | ũ > −√q̃ z/√(1−q̃)],
    /// m = (t/√q̃) z + c₁ ũ + c₂ v, c₁ = (p − t)/√(1−q̃), c₂² = q − t²/q̃ − (p − t)²/(1 − q̃).
    fn energetic(&self, q: f64, t: f64, p: f64) -> f64 {
        let k = |x| self.kernel.value(x);
        let (q, t, p, qr) = (k(q), k(t), k(p), k(self.qr));
        let c1 = (p - t) / (1.0 - qr).sqrt();
        let c2sq = q - t * t / qr - c1 * c1;
        if c2sq.is_nan() || c2sq < -1e-12 || q >= 1.0 {
            return f64::NAN;
        }
        let c2 = c2sq.max(0.0).sqrt();
        let scale = 1.0 / (1.0 - q).sqrt();
        let a = (qr / (1.0 - qr)).sqrt();
        self.gh.integrate(|z| {
            let lower = -a * z;
            let lo = lower.max(-9.0);
            let width = if lower > 1.0 {
                (25.0 / lower).min(18.0)
            } else {
                18.0
            };
            let (mut num, mut den) = (0.0, 0.0);
            for (&x, &w) in self.gl.nodes.iter().zip(&self.gl.weights) {
                let u = lo + width * x;
                let wu = w * (-0.5 * (u * u - lo * lo)).exp();
                let base = t / qr.sqrt() * z + c1 * u;
                num += wu * self.gh.integrate(|v| ln_tail(-(base + c2 * v) * scale));
                den += wu;
            }
            num / den
        })
    }
}

/// S(d) on a grid of distances, at load α: the RS saddle point in (q, t, q̂, t̂, p̂) by damped iteration
/// (q̂, t̂ from finite differences of the energetic term, p̂ by Brent so that the overlap is p, then q, t
/// from the entropic term), 32 Gauss–Hermite / Gauss–Legendre nodes per dimension.
pub fn franz_parisi(kernel: Kernel, alpha: f64, ds: &[f64]) -> Result<Curve> {
    franz_parisi_with(kernel, alpha, ds, 32)
}

fn franz_parisi_with(kernel: Kernel, alpha: f64, ds: &[f64], nodes: usize) -> Result<Curve> {
    let rule = Rule::hermite(super::NODES)?;
    let r = binary_rs(kernel, &rule, alpha)?;
    if r.entropy <= 0.0 {
        return Err(Error::input(format!(
            "alpha (the load) must be below the RS capacity of the binary network, where the entropy \
vanishes, not {alpha}"
        )));
    }
    let setup = Setup {
        kernel,
        alpha,
        qr: r.q,
        qr_hat: r.q_hat,
        gh: Rule::hermite(nodes)?,
        gl: Rule::legendre(nodes, 0.0, 1.0)?,
    };
    Ok(Curve {
        alpha,
        reference: r,
        points: ds
            .iter()
            .map(|&d| point(&setup, d))
            .collect::<Result<_>>()?,
    })
}

fn point(s: &Setup, d: f64) -> Result<LocalEntropy> {
    if !(d > 0.0 && d < 0.5) {
        return Err(Error::input(format!(
            "d (the distance from the reference) must be in (0, 1/2), not {d}"
        )));
    }
    let p = 1.0 - 2.0 * d;
    // In the output-field overlaps κ(·): c₂² = κ(q) − κ(t)²/κ(q̃) − (κ(p) − κ(t))²/(1 − κ(q̃)) ≥ 0.
    let k = |x| s.kernel.value(x);
    let room = |q: f64, t: f64| {
        let (kt, kr) = (k(t), k(s.qr));
        k(q) - kt * kt / kr - (k(p) - kt).powi(2) / (1.0 - kr)
    };
    let mut t = s.qr;
    // Start at t = q̃ and κ(q) 30 % of the way from the floor of the domain to 1.
    let floor = k(0.0) - room(0.0, t);
    let target = floor + 0.3 * (1.0 - floor);
    let mut q = brent(|x| k(x) - target, 0.0, 1.0, 1e-14)?;
    let mut state = None;
    for _ in 0..2000 {
        let ge = |q: f64, t: f64| s.energetic(q, t, p);
        // The finite-difference step stays inside the domain c₂² ≥ 0 (its corner is the typical distance).
        let h = (0.1 * room(q, t)).clamp(1e-8, 1e-5);
        let q_hat = -2.0 * s.alpha * (ge(q + h, t) - ge(q - h, t)) / (2.0 * h);
        let t_hat = -s.alpha * (ge(q, t + h) - ge(q, t - h)) / (2.0 * h);
        if !(q_hat.is_finite() && t_hat.is_finite()) {
            return Err(Error::input(format!(
                "the local-entropy saddle point left its domain at d = {d}"
            )));
        }
        let p_hat = brent(|x| s.entropic(q_hat, t_hat, x).1 - p, -60.0, 60.0, 1e-12)?;
        let (_, _, q_new, t_new) = s.entropic(q_hat, t_hat, p_hat);
        let done = (q_new - q).abs() < 1e-9 && (t_new - t).abs() < 1e-9;
        q = 0.5 * (q + q_new);
        t = 0.5 * (t + t_new);
        state = Some((q_hat, t_hat, p_hat));
        if done {
            break;
        }
        state = None;
    }
    let Some((q_hat, t_hat, p_hat)) = state else {
        return Err(Error::input(format!(
            "the local-entropy saddle point did not converge at d = {d}"
        )));
    };
    let (g, _, _, _) = s.entropic(q_hat, t_hat, p_hat);
    let value =
        -0.5 * q_hat * (1.0 - q) - p_hat * p + t_hat * t + g + s.alpha * s.energetic(q, t, p);
    Ok(LocalEntropy {
        d,
        p,
        s: value,
        q,
        t,
        q_hat,
        t_hat,
        p_hat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_below_the_bound_and_peaked_at_the_typical_distance() {
        let alpha = 0.5;
        let rule = Rule::hermite(200).unwrap();
        let r = binary_rs(Kernel::Linear, &rule, alpha).unwrap();
        let d_typ = (1.0 - r.q) / 2.0;
        let ds = [0.005, 0.05, 0.2, d_typ - 0.01, d_typ + 0.01, 0.45];
        let curve = franz_parisi(Kernel::Linear, alpha, &ds).unwrap();
        assert!((curve.typical_distance() - d_typ).abs() < 1e-12);
        let pts = curve.points;
        for p in &pts {
            assert!(p.s < binary_entropy(p.d), "{p:?}");
            assert!(p.s <= r.entropy + 1e-9, "{p:?}");
        }
        // Near the typical distance 1 − 2d = q̃ the constrained count is the whole solution space.
        for p in &pts[3..5] {
            assert!((p.s - r.entropy).abs() < 1e-3, "{p:?} vs {}", r.entropy);
            assert!(
                (p.q - r.q).abs() < 0.02 && (p.t - r.q).abs() < 0.02,
                "{p:?}"
            );
        }
        assert!(pts[1].s < pts[2].s && pts[2].s < pts[3].s && pts[5].s < pts[4].s);
        // Typical solutions are isolated: the count at small distance is exponentially small.
        assert!(pts[0].s < 0.0, "{:?}", pts[0]);
        assert!(pts[1].s > 0.0);
    }

    #[test]
    fn committees_at_large_k() {
        // Through the kernels: S = φ near the typical distance for both units, and at the same load the
        // sign committee's typical solutions are the more isolated (S(0.02) < 0 for sign, > 0 for ReLU).
        let mut small = vec![];
        for kernel in [Kernel::Sign, Kernel::Relu] {
            let r = binary_rs(kernel, &Rule::hermite(200).unwrap(), 0.5).unwrap();
            let d_typ = (1.0 - r.q) / 2.0;
            let c = franz_parisi(kernel, 0.5, &[0.02, d_typ - 0.01]).unwrap();
            let near = c.points[1];
            assert!(
                (near.s - r.entropy).abs() < 1e-3,
                "{kernel:?}: {near:?} vs {}",
                r.entropy
            );
            assert!(c.points[0].s < binary_entropy(0.02));
            small.push(c.points[0].s);
        }
        assert!(small[0] < 0.0 && small[1] > 0.0, "{small:?}");
    }

    #[test]
    fn few_patterns_give_the_binary_entropy() {
        let curve = franz_parisi(Kernel::Linear, 0.01, &[0.1, 0.3]).unwrap();
        for p in &curve.points {
            let h = binary_entropy(p.d);
            assert!(p.s < h && h - p.s < 0.02, "{p:?} vs {h}");
        }
    }

    #[test]
    fn quadrature_converged_and_bad_distance_refused() {
        let a = franz_parisi_with(Kernel::Linear, 0.5, &[0.1], 32)
            .unwrap()
            .points[0]
            .s;
        let b = franz_parisi_with(Kernel::Linear, 0.5, &[0.1], 60)
            .unwrap()
            .points[0]
            .s;
        assert!((a - b).abs() < 1e-6, "{a} {b}");
        assert!(franz_parisi(Kernel::Linear, 0.5, &[0.0]).is_err());
        assert!(franz_parisi(Kernel::Linear, 0.5, &[0.5]).is_err());
        assert!(franz_parisi(Kernel::Linear, 0.9, &[0.1]).is_err());
    }
}
