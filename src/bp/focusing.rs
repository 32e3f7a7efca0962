//! Focusing BP as a solver (binary perceptron; committees — tree with sign or ReLU units, fully connected
//! with sign units — by full BP): protocols that raise the focusing strength step by step, the driver that runs
//! an engine through them and stops as soon as sign(m) solves every pattern.

use super::amp::Amp;
use super::committee::Committee;
use super::messages::{Engine, Focus};
use super::perceptron::{Bp, FactorRule};
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::weights::Weights;

/// How the focusing term grows over the steps (the four protocols of the focusing-BP literature).
#[derive(Clone, Debug, PartialEq)]
pub enum Protocol {
    /// For each ρ: γ = atanh(ρ^x), y = 1 + ρ^(1−2x)/(1 − ρ) (x = 1/2: γ = atanh √ρ, y = (2 − ρ)/(1 − ρ)).
    PseudoReinforcement { rho: Vec<f64>, x: f64 },
    /// γ rising at fixed y.
    Scoping { gamma: Vec<f64>, y: f64 },
    /// Any list of (γ, y) pairs.
    FreeScoping { steps: Vec<(f64, f64)> },
    /// For each ρ: the extra field on a weight becomes ρ times its previous total field.
    StandardReinforcement { rho: Vec<f64> },
}

impl Protocol {
    /// Pseudo-reinforcement with x = 1/2 and ρ = 0, δ, 2δ, … while ρ < 1.
    pub fn pseudo_reinforcement(delta: f64) -> Result<Protocol> {
        if !(delta.is_finite() && delta > 0.0 && delta < 1.0) {
            return Err(Error::input(format!(
                "the ρ step of pseudo-reinforcement must be in (0, 1) (got {delta})"
            )));
        }
        let rho = (0..)
            .map(|k| k as f64 * delta)
            .take_while(|&r| r < 1.0 - 1e-12)
            .collect();
        Ok(Protocol::PseudoReinforcement { rho, x: 0.5 })
    }

    /// The focusing term of every step, after checking the parameters.
    pub fn steps(&self) -> Result<Vec<Focus>> {
        let check_rho = |rho: &[f64]| -> Result<()> {
            if rho.is_empty() {
                return Err(Error::input("the protocol has no ρ values"));
            }
            match rho
                .iter()
                .find(|r| !(r.is_finite() && (0.0..1.0).contains(*r)))
            {
                Some(r) => Err(Error::input(format!(
                    "ρ (the reinforcement parameter) must be in [0, 1) (got {r})"
                ))),
                None => Ok(()),
            }
        };
        let replicas = |pairs: Vec<(f64, f64)>| -> Result<Vec<Focus>> {
            if pairs.is_empty() {
                return Err(Error::input("the protocol has no (γ, y) steps"));
            }
            pairs
                .into_iter()
                .map(|(gamma, y)| {
                    if !(gamma.is_finite() && gamma >= 0.0) {
                        return Err(Error::input(format!(
                            "γ (the coupling to the centre) must be a finite number ≥ 0 (got {gamma})"
                        )));
                    }
                    if !(y.is_finite() && y >= 1.0) {
                        return Err(Error::input(format!(
                            "y (the number of replicas) must be a finite number ≥ 1 (got {y})"
                        )));
                    }
                    Ok(Focus::Replicas { gamma, y })
                })
                .collect()
        };
        match self {
            Protocol::PseudoReinforcement { rho, x } => {
                check_rho(rho)?;
                if !(x.is_finite() && *x > 0.0 && *x <= 0.5) {
                    return Err(Error::input(format!(
                        "x (the exponent of pseudo-reinforcement) must be in (0, 1/2] (got {x})"
                    )));
                }
                replicas(
                    rho.iter()
                        .map(|&r| (r.powf(*x).atanh(), 1.0 + r.powf(1.0 - 2.0 * x) / (1.0 - r)))
                        .collect(),
                )
            }
            Protocol::Scoping { gamma, y } => replicas(gamma.iter().map(|&g| (g, *y)).collect()),
            Protocol::FreeScoping { steps } => replicas(steps.clone()),
            Protocol::StandardReinforcement { rho } => {
                check_rho(rho)?;
                Ok(rho.iter().map(|&rho| Focus::Reinforce { rho }).collect())
            }
        }
    }
}

/// Which message-passing form runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Full BP, N·P messages (8·N·P bytes).
    Bp(FactorRule),
    /// The relaxed AMP/TAP form, O(N + P) memory beyond the instance.
    Amp,
}

/// Parameters of a focusing-BP run.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub protocol: Protocol,
    pub form: Form,
    /// New message = damping · old + (1 − damping) · update, in [0, 1).
    pub damping: f64,
    /// A step ends when no magnetisation m_i changed by more than epsilon in a sweep…
    pub epsilon: f64,
    /// …or after this many sweeps.
    pub max_iters: usize,
    /// Scale of the random initial messages.
    pub init: f64,
    /// Seed of the initial messages.
    pub seed: u64,
}

impl Default for Params {
    /// Pseudo-reinforcement in steps of ρ = 0.01, full BP with Gaussian cavity sums, damping 0.5.
    fn default() -> Self {
        Params {
            protocol: Protocol::pseudo_reinforcement(0.01).expect("a valid step"),
            form: Form::Bp(FactorRule::Gaussian),
            damping: 0.5,
            epsilon: 1e-3,
            max_iters: 20,
            init: 0.01,
            seed: 1,
        }
    }
}

impl Params {
    fn check(&self) -> Result<Vec<Focus>> {
        if !(self.damping.is_finite() && (0.0..1.0).contains(&self.damping)) {
            return Err(Error::input(format!(
                "damping must be in [0, 1) (got {})",
                self.damping
            )));
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(Error::input(format!(
                "epsilon (the convergence threshold) must be a positive number (got {})",
                self.epsilon
            )));
        }
        if self.max_iters == 0 {
            return Err(Error::input(
                "max_iters (sweeps per protocol step) must be at least 1",
            ));
        }
        self.protocol.steps()
    }
}

/// The end of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The sign(m) with the fewest errors over all sweeps (the first solution when `solved`).
    pub weights: Weights,
    /// Misclassified patterns of `weights`, recomputed by the reference evaluator.
    pub errors: u64,
    pub solved: bool,
    /// Sweeps done in all.
    pub iterations: usize,
    /// Protocol steps entered (the last one is where it stopped).
    pub steps: usize,
}

/// Runs focusing BP (or AMP) through the protocol: binary perceptron, or a committee (tree with sign or ReLU
/// units, fully connected with sign units; full BP with Gaussian unit fields only).
pub fn solve(inst: &Instance, params: &Params) -> Result<Outcome> {
    let steps = params.check()?;
    match params.form {
        Form::Bp(rule) if inst.k() > 1 => run(
            &mut Committee::new(inst, rule, params.init, params.seed)?,
            inst,
            params,
            &steps,
        ),
        Form::Bp(rule) => run(
            &mut Bp::new(inst, rule, params.init, params.seed)?,
            inst,
            params,
            &steps,
        ),
        Form::Amp => run(
            &mut Amp::new(inst, params.init, params.seed)?,
            inst,
            params,
            &steps,
        ),
    }
}

fn run(
    engine: &mut impl Engine,
    inst: &Instance,
    params: &Params,
    steps: &[Focus],
) -> Result<Outcome> {
    let mut iterations = 0;
    let mut entered = 0;
    // The fewest errors of sign(m) seen so far, and that sign(m).
    let mut best = (u64::MAX, Vec::new());
    'protocol: for &focus in steps {
        entered += 1;
        for _ in 0..params.max_iters {
            let delta = engine.iterate(focus, params.damping);
            iterations += 1;
            if delta.is_nan() {
                return Err(Error::Bug("message passing produced NaN".into()));
            }
            let errors = engine.errors_of_signs();
            if errors < best.0 {
                best = (errors, engine.marginals().signs());
            }
            if errors == 0 {
                break 'protocol;
            }
            if delta < params.epsilon {
                break;
            }
        }
    }
    let weights = Weights::from_signs(&best.1);
    let errors = crate::model::reference::errors(inst, &weights);
    if errors != best.0 {
        return Err(Error::Bug(format!(
            "message passing counted {} errors for sign(m), the reference evaluator {errors}",
            best.0
        )));
    }
    Ok(Outcome {
        weights,
        errors,
        solved: errors == 0,
        iterations,
        steps: entered,
    })
}
