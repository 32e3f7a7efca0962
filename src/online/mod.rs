//! The classic online learners with integer hidden states: SBPI ([`sbpi`]) and CP+R ([`cpr`]).
//!
//! Every weight has a hidden state h_i, an odd integer with |h_i| ≤ K_h − 1 (K_h hidden states, `states`),
//! and W_i = sign(h_i). The patterns are presented one at a time, each epoch in a fresh random order (the
//! seeded stream ("online-order", 0)); a presentation computes the pattern's preactivations from the packed
//! rows ([`state`]), picks the units a step changes by least action ([`action`]), and lets the rule act
//! (its coin flips from the stream ("online", 0)). After each epoch the errors are recounted from scratch;
//! the run stops at the first epoch that ends with none, or after `max_epochs`. The reported weights are the
//! solution, or those of the epoch end with the fewest errors.
//!
//! The hidden states start at h_i = W_i = ±1 from the stream ("init", 0), as SA's first replica does.

pub mod action;
pub mod cpr;
pub mod sbpi;
pub mod state;

pub use state::State;

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::rng::{self, Rng};
use crate::weights::Weights;
use serde::{Deserialize, Serialize};

/// The scaled K_h per √n: 100 hidden states at N = 1001 (SBPI's best there), 200 at N = 4001 (where 100
/// solve nothing), docs/algorithms.md.
pub const STATES_PER_SQRT_N: f64 = 3.16;

/// A learner's settings (its seed and epoch budget are the run's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// K_h, the hidden states per weight (even): h_i ∈ {−K_h+1, …, −1, 1, …, K_h−1}. None: scaled with
    /// the fan-in n of a unit, [`Settings::states_for`] (absent in records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub states: Option<u32>,
    #[serde(flatten)]
    pub rule: Rule,
}

/// The rule and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "lowercase")]
pub enum Rule {
    /// SBPI: θ_m, the stability at or below which a correct pattern is barely correct, and p_s, the
    /// probability of the metaplastic step on such a pattern.
    Sbpi { theta: u32, p_s: f64 },
    /// CP+R: r, the reinforcement rate in units of √(2/(πn)): every weight is reinforced with probability
    /// p_r = r·√(2/(πn)) per presentation, n the fan-in of a unit.
    Cpr { rate: f64 },
}

impl Settings {
    /// Checks the settings (errors name the parameter).
    pub fn check(&self) -> Result<()> {
        if let Some(k) = self.states {
            check_states(k)?;
        }
        match self.rule {
            Rule::Sbpi { theta, p_s } => {
                if theta > 1 << 20 {
                    return Err(Error::input(format!(
                        "theta (SBPI's θ_m) must be at most {} (got {theta})",
                        1 << 20
                    )));
                }
                if !(0.0..=1.0).contains(&p_s) {
                    return Err(Error::input(format!(
                        "p_s (SBPI's probability of the barely-correct step) must be in [0, 1] (got {p_s})"
                    )));
                }
            }
            Rule::Cpr { rate } => {
                if !(rate.is_finite() && rate > 0.0) {
                    return Err(Error::input(format!(
                        "rate (CP+R's reinforcement rate r, p_r = r·√(2/(πn))) must be a positive number (got {rate})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// K_h on units of fan-in n: the given value, or the even number nearest [`STATES_PER_SQRT_N`]·√n.
    pub fn states_for(&self, n: usize) -> u32 {
        self.states.unwrap_or_else(|| {
            let k = 2 * (STATES_PER_SQRT_N * (n as f64).sqrt() / 2.0).round() as u32;
            k.clamp(2, 1 << 14)
        })
    }

    /// p_r on units of fan-in n (CP+R), at most 1.
    pub fn p_r(rate: f64, n: usize) -> f64 {
        (rate * (2.0 / (std::f64::consts::PI * n as f64)).sqrt()).min(1.0)
    }
}

/// Checks K_h: even, from 2 (h_i = ±1, no memory) to 2¹⁴ (h_i fits in 16 bits with room for a step).
pub fn check_states(states: u32) -> Result<()> {
    if states < 2 || states % 2 != 0 || states > 1 << 14 {
        return Err(Error::input(format!(
            "states (K_h, the hidden states per weight) must be even, between 2 and {} (got {states})",
            1 << 14
        )));
    }
    Ok(())
}

/// What a rule does with one presented pattern.
pub(crate) trait Step {
    /// θ for [`action::plan`] (0: the rule has no barely-correct step).
    fn theta(&self) -> i32;
    /// Acts on pattern μ with the least-action `plan`; returns the learning steps taken (0 or 1).
    fn present(&mut self, st: &mut State, mu: usize, plan: &action::Plan, rng: &mut Rng) -> u64;
}

/// After every epoch, for the observer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epoch {
    pub epoch: u64,
    /// E(W) at the end of the epoch.
    pub errors: u64,
    pub presentations: u64,
    /// Learning steps so far (error steps, and SBPI's barely-correct steps).
    pub updates: u64,
}

/// What a run returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub solved: bool,
    pub epochs: u64,
    pub presentations: u64,
    pub updates: u64,
    /// The solution, or the epoch end with the fewest errors.
    pub weights: Weights,
    pub errors: u64,
}

/// Runs the learner on `inst` for at most `max_epochs` epochs; `observe` sees every epoch's end and may
/// stop the run by returning false.
pub fn learn(
    inst: &Instance,
    settings: &Settings,
    max_epochs: u64,
    seed: u64,
    observe: &mut dyn FnMut(&Epoch) -> bool,
) -> Result<Outcome> {
    settings.check()?;
    let arch = inst.arch();
    let init = Weights::random(arch.n, &mut rng::stream(seed, "init", 0));
    let mut st = State::new(inst, &init, settings.states_for(arch.unit_len()))?;
    let mut rng = rng::stream(seed, "online", 0);
    let mut order_rng = rng::stream(seed, "online-order", 0);
    let mut rule: Box<dyn Step> = match settings.rule {
        Rule::Sbpi { theta, p_s } => Box::new(sbpi::Sbpi {
            theta: theta as i32,
            p_s: rng::threshold(p_s),
        }),
        Rule::Cpr { rate } => Box::new(cpr::Cpr {
            p_r: rng::threshold(Settings::p_r(rate, arch.unit_len())),
        }),
    };
    let p = inst.p();
    let mut order: Vec<usize> = (0..p).collect();
    let mut lam = vec![0i32; arch.k];
    let mut plan = action::Plan::default();
    let mut best = (st.errors(), init);
    let (mut presentations, mut updates, mut epochs) = (0u64, 0u64, 0u64);
    let mut solved = best.0 == 0;
    while !solved && epochs < max_epochs {
        for i in (1..p).rev() {
            order.swap(i, rng::below(&mut order_rng, i as u64 + 1) as usize);
        }
        for &mu in &order {
            st.fields(mu, &mut lam);
            action::plan(&arch, st.sigma(mu), &lam, rule.theta(), &mut plan);
            updates += rule.present(&mut st, mu, &plan, &mut rng);
        }
        epochs += 1;
        presentations += p as u64;
        let errors = st.errors();
        if errors < best.0 {
            best = (errors, st.weights());
        }
        solved = errors == 0;
        let go = observe(&Epoch {
            epoch: epochs,
            errors,
            presentations,
            updates,
        });
        if !go {
            break;
        }
    }
    Ok(Outcome {
        solved,
        epochs,
        presentations,
        updates,
        weights: best.1,
        errors: best.0,
    })
}
