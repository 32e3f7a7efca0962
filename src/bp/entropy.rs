//! Local entropy around a reference configuration W̃ by BP with an external field (zero temperature).
//!
//! Z(γ) = Σ_{W solving all patterns} exp(γ Σ_i W̃_i W_i): BP with the field γ W̃_i on every weight gives the
//! Bethe free entropy φ(γ) ≈ (1/N) ln Z(γ), the overlap q(γ) = (1/N) Σ_i W̃_i m_i = ∂φ/∂γ and the distance
//! d = (1 − q)/2. Since ln Z(γ) ≈ N max_d [S(d) + γ(1 − 2d)], the Legendre transform gives the local entropy
//! S(d) = φ(γ) − γ q(γ) at d = d(γ): (1/N) ln of the number of solutions at Hamming distance dN from W̃.
//!
//! The perceptron runs [`Bp`] (Gaussian or exact factors); committees with sign units (tree or fully
//! connected) run [`Committee`] (Gaussian or exact unit fields, exact output node).

use super::committee::Committee;
use super::messages::{Engine, Focus};
use super::perceptron::{Bp, FactorRule};
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::weights::Weights;

/// Parameters of the BP runs, one per γ.
#[derive(Clone, Debug, PartialEq)]
pub struct EntropyParams {
    pub rule: FactorRule,
    /// In [0, 1).
    pub damping: f64,
    /// Converged when no m_i changes by more than epsilon in a sweep.
    pub epsilon: f64,
    /// Sweeps allowed per γ.
    pub max_iters: usize,
    /// Seed of the initial messages (the first γ; later ones start from the previous fixed point).
    pub seed: u64,
}

impl Default for EntropyParams {
    fn default() -> Self {
        EntropyParams {
            rule: FactorRule::Gaussian,
            damping: 0.5,
            epsilon: 1e-10,
            max_iters: 5000,
            seed: 1,
        }
    }
}

/// One point of the curve.
#[derive(Clone, Debug, PartialEq)]
pub struct EntropyPoint {
    pub gamma: f64,
    /// Bethe free entropy per weight, ≈ (1/N) ln Z(γ).
    pub phi: f64,
    /// q = (1/N) Σ_i W̃_i m_i.
    pub q: f64,
    /// d = (1 − q)/2.
    pub d: f64,
    /// S(d) = φ − γ q.
    pub s: f64,
    pub iterations: usize,
    /// BP reached epsilon within max_iters.
    pub converged: bool,
}

/// H(d) = −d ln d − (1 − d) ln(1 − d), the upper bound of S(d) (all configurations at distance dN).
pub fn binary_entropy(d: f64) -> f64 {
    let f = |x: f64| if x > 0.0 { -x * x.ln() } else { 0.0 };
    f(d) + f(1.0 - d)
}

/// The local-entropy curve around `reference` for each γ of `gammas`, in the given order.
pub fn local_entropy(
    inst: &Instance,
    reference: &Weights,
    gammas: &[f64],
    params: &EntropyParams,
) -> Result<Vec<EntropyPoint>> {
    if reference.len() != inst.n() {
        return Err(Error::input(format!(
            "the reference configuration has {} weights, the instance N={}",
            reference.len(),
            inst.n()
        )));
    }
    if gammas.is_empty() {
        return Err(Error::input("the γ grid is empty"));
    }
    if let Some(g) = gammas.iter().find(|g| !g.is_finite()) {
        return Err(Error::input(format!(
            "γ (the coupling to the reference) must be finite (got {g})"
        )));
    }
    if !(params.damping.is_finite() && (0.0..1.0).contains(&params.damping)) {
        return Err(Error::input(format!(
            "damping must be in [0, 1) (got {})",
            params.damping
        )));
    }
    if !(params.epsilon.is_finite() && params.epsilon > 0.0) || params.max_iters == 0 {
        return Err(Error::input(
            "epsilon must be a positive number and max_iters at least 1",
        ));
    }
    let n = inst.n();
    let wref: Vec<f64> = reference.signs().iter().map(|&s| s as f64).collect();
    let mut bp = if inst.k() == 1 {
        Entropic::Perceptron(Bp::new(inst, params.rule, 0.01, params.seed)?)
    } else if inst.activation() == crate::model::Activation::Relu {
        return Err(Error::input(
            "the local entropy by BP is implemented for the perceptron and committees with sign units, not ReLU units (use the mc method)",
        ));
    } else {
        Entropic::Committee(Committee::new(inst, params.rule, 0.01, params.seed)?)
    };
    let mut out = Vec::with_capacity(gammas.len());
    for &gamma in gammas {
        let ext: Vec<f64> = wref.iter().map(|&w| gamma * w).collect();
        bp.set_external(&ext);
        let (mut iterations, mut converged) = (0, false);
        while iterations < params.max_iters {
            let delta = bp.iterate(Focus::None, params.damping);
            iterations += 1;
            if delta.is_nan() {
                return Err(Error::Bug("BP produced NaN".into()));
            }
            if delta < params.epsilon {
                converged = true;
                break;
            }
        }
        let phi = bp.bethe_free_entropy()?;
        let q = wref
            .iter()
            .zip(&bp.marginals().m)
            .map(|(w, m)| w * m)
            .sum::<f64>()
            / n as f64;
        out.push(EntropyPoint {
            gamma,
            phi,
            q,
            d: 0.5 * (1.0 - q),
            s: phi - gamma * q,
            iterations,
            converged,
        });
    }
    Ok(out)
}

/// The BP engines that give a Bethe free entropy with an external field.
enum Entropic {
    Perceptron(Bp),
    Committee(Committee),
}

impl Entropic {
    fn engine(&mut self) -> &mut dyn Engine {
        match self {
            Entropic::Perceptron(b) => b,
            Entropic::Committee(c) => c,
        }
    }

    fn set_external(&mut self, ext: &[f64]) {
        match self {
            Entropic::Perceptron(b) => b.set_external(ext),
            Entropic::Committee(c) => c.set_external(ext),
        }
    }

    fn iterate(&mut self, focus: Focus, damping: f64) -> f64 {
        self.engine().iterate(focus, damping)
    }

    fn marginals(&mut self) -> &super::messages::Marginals {
        self.engine().marginals()
    }

    fn bethe_free_entropy(&mut self) -> Result<f64> {
        match self {
            Entropic::Perceptron(b) => Ok(b.bethe_free_entropy()),
            Entropic::Committee(c) => c.bethe_free_entropy(),
        }
    }
}
