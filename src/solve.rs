//! The seam between the solvers and what runs them: [`Solver`] is what `solve`, `sweep`, the records (and
//! later the Python binding) call; [`Config`] is a run's settings, resolved with the science defaults and
//! checked by [`ConfigSpec::resolve`]; [`solve`] runs a solver on one instance, re-verifies what it reports
//! with the reference evaluator, and returns the result record written as `result.json`.
//!
//! SA and RSA are one solver: the Metropolis driver ([`mc::anneal`]) on the plain ensemble of one replica
//! (SA) or on the replicated ensemble of y (RSA). Focusing BP (fbp) is another ([`crate::bp::solve`], the
//! pseudo-reinforcement protocol); every solver reports a solver-level [`Outcome`].

use crate::bits::{words_for_bits, Kernels, Lane};
use crate::error::{Error, Result};
use crate::instance::{Instance, Origin};
use crate::mc::tracker::TrackedErrors;
use crate::mc::{
    self, Centre, Dynamics, EnergyKind, Ensemble, Found, Order, Progress, Ramp, Resume, Sampling,
    Schedule, State, Visit,
};
use crate::model::Activation;
use crate::model::{fast, reference};
use crate::rng;
use crate::weights::Weights;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The search algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    /// Simulated annealing on one replica.
    Sa,
    /// Replicated simulated annealing on the robust ensemble (focusing, local entropy).
    Rsa,
    /// Focusing belief propagation (pseudo-reinforcement), full BP or its relaxed AMP form.
    Fbp,
    /// SBPI, the online learner with hidden states and a barely-correct step ([`crate::online`]).
    Sbpi,
    /// CP+R, the clipped perceptron with reinforcement ([`crate::online`]).
    Cpr,
}

/// The message-passing form of focusing BP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BpForm {
    /// Full BP with Gaussian cavity sums: N·P messages (8·N·P bytes).
    Bp,
    /// The relaxed AMP/TAP form: O(N + P) memory beyond the instance (perceptron only).
    Amp,
}

/// The settings of a focusing-BP run (its seed is the run's, [`Config::seed`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fbp {
    pub form: BpForm,
    /// δ, the pseudo-reinforcement step: ρ = 0, δ, 2δ, … < 1.
    pub step: f64,
    /// New message = damping · old + (1 − damping) · update.
    pub damping: f64,
    /// A protocol step ends when no magnetisation moved by more than epsilon in a sweep…
    pub epsilon: f64,
    /// …or after this many sweeps.
    pub max_iters: usize,
}

/// Everything that defines a run besides the instance (made by [`ConfigSpec::resolve`]; recorded in result
/// files and checkpoints as it is).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub algo: Algo,
    /// y, the number of replicas (SA runs one, see [`Config::y`]).
    pub replicas: usize,
    /// RSA: how the replicas are coupled (recorded but unused by SA).
    pub centre: Centre,
    pub schedule: Schedule,
    pub max_sweeps: u64,
    pub order: Order,
    pub energy: EnergyKind,
    /// Master seed: initial weights come from stream ("init", a), moves from ("sa", 0) or ("replica", a).
    pub seed: u64,
    /// Threads over which RSA spreads the replicas (the result does not depend on it).
    pub threads: usize,
    /// RSA: how the replicas' proposals are ordered within a sweep (absent in records: blocks).
    #[serde(default, skip_serializing_if = "is_blocks")]
    pub visit: Visit,
    /// How the chain moves (absent in records: metropolis).
    #[serde(default, skip_serializing_if = "is_metropolis")]
    pub dynamics: Dynamics,
    /// Run all `max_sweeps` sweeps, past any solution (absent in records: false, stop at a solution).
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_stop: bool,
    /// fbp: the focusing-BP settings (absent in records of SA and RSA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbp: Option<Fbp>,
    /// sbpi, cpr: the online learner's settings (absent in records of the other algorithms); the budget
    /// `max_sweeps` counts epochs (P presentations each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<crate::online::Settings>,
}

fn is_blocks(v: &Visit) -> bool {
    *v == Visit::Blocks
}

fn is_metropolis(d: &Dynamics) -> bool {
    *d == Dynamics::Metropolis
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The science defaults (tuned on the perceptron and both committees, docs/algorithms.md).
pub mod defaults {
    /// y, the number of RSA replicas.
    pub const REPLICAS: usize = 7;
    /// The largest y accepted.
    pub const MAX_REPLICAS: usize = 1000;
    /// β₀ with the linear energy and with the error count (for N = [`BETA_REFERENCE_N`]).
    pub const BETA0_LINEAR: f64 = 0.5;
    pub const BETA0_ERRORS: f64 = 1.0;
    /// β₁ (for N = [`BETA_REFERENCE_N`]).
    pub const BETA1: f64 = 5.0;
    /// γ₀, γ₁ (RSA). γ₀ = 0.5 rather than 0.1 (round 2): the replicas must lock together while β is still
    /// low; at N = 1001, α = 0.72 it solves 6/6 seeds where 0.1 solved 3/6 (docs/algorithms.md).
    pub const GAMMA0: f64 = 0.5;
    pub const GAMMA1: f64 = 10.0;
    /// The sweep budget (and the ramp length T unless given): 100 000 since round 2 (was 20 000), for
    /// N = 10⁴ and the committees, whose solutions come later in the ramp (docs/algorithms.md).
    pub const MAX_SWEEPS: u64 = 100_000;
    /// N₀: a ramp's β₀, β₁ are for N₀ weights and a run on N uses β·√(N₀/N).
    pub const BETA_REFERENCE_N: usize = 1000;
    /// The master seed.
    pub const SEED: u64 = 1;
    /// fbp: the pseudo-reinforcement step δ, the damping, the convergence threshold and the sweeps per step.
    pub const BP_STEP: f64 = 0.01;
    pub const BP_DAMPING: f64 = 0.5;
    pub const BP_EPSILON: f64 = 1e-3;
    pub const BP_MAX_ITERS: usize = 20;
    /// sbpi: θ_m and p_s (docs/algorithms.md, measured at N = 1001); its K_h scales with √n
    /// ([`crate::online::STATES_PER_SQRT_N`]).
    pub const SBPI_THETA: u32 = 1;
    pub const SBPI_P_S: f64 = 0.3;
    /// cpr: K_h and the reinforcement rate r (p_r = r·√(2/(πn))).
    pub const CPR_STATES: u32 = 1000;
    pub const CPR_RATE: f64 = 0.05;
}

/// A run's settings as a user gives them: whatever is None takes its default in [`ConfigSpec::resolve`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigSpec {
    /// Default RSA.
    pub algo: Option<Algo>,
    /// y (RSA; SA runs one replica). Default [`defaults::REPLICAS`].
    pub replicas: Option<usize>,
    /// Default traced.
    pub centre: Option<Centre>,
    /// Default blocks.
    pub visit: Option<Visit>,
    /// A schedule table (`Schedule::read`), in place of the ramp: then the ramp's settings (β₀, β₁, γ₀,
    /// γ₁, its shape, length and β scaling) must be None.
    pub schedule: Option<Schedule>,
    /// β₀. Default [`defaults::BETA0_LINEAR`] with the linear energy, [`defaults::BETA0_ERRORS`] with errors.
    pub beta0: Option<f64>,
    pub beta1: Option<f64>,
    /// γ₀, γ₁ (SA's are 0).
    pub gamma0: Option<f64>,
    pub gamma1: Option<f64>,
    /// Default geometric.
    pub ramp: Option<Ramp>,
    /// T, the sweeps over which the ramp rises. Default: `max_sweeps`.
    pub ramp_sweeps: Option<u64>,
    /// Whether β₀, β₁ are for N = [`defaults::BETA_REFERENCE_N`] and scaled by √(N₀/N) (default) or taken
    /// as given.
    pub scale_beta: Option<bool>,
    pub max_sweeps: Option<u64>,
    /// Default permutation.
    pub order: Option<Order>,
    /// Default: linear for the perceptron, errors for committees.
    pub energy: Option<EnergyKind>,
    pub seed: Option<u64>,
    /// Default 1.
    pub threads: Option<usize>,
    /// Default metropolis.
    pub dynamics: Option<Dynamics>,
    /// Default false (stop at a solution).
    pub no_stop: Option<bool>,
    /// fbp: the form (default bp), the reinforcement step, damping, epsilon and sweeps per step (defaults
    /// [`defaults::BP_STEP`], …). Refused for SA and RSA.
    pub bp_form: Option<BpForm>,
    pub bp_step: Option<f64>,
    pub bp_damping: Option<f64>,
    pub bp_epsilon: Option<f64>,
    pub bp_max_iters: Option<usize>,
    /// sbpi, cpr: K_h (default: sbpi scaled with √n, [`crate::online::Settings::states_for`]; cpr
    /// [`defaults::CPR_STATES`]); SBPI's θ_m and p_s;
    /// CP+R's rate r. Refused for
    /// the other algorithms (θ_m, p_s for cpr, r for sbpi).
    pub online_states: Option<u32>,
    pub sbpi_theta: Option<u32>,
    pub sbpi_p_s: Option<f64>,
    pub cpr_rate: Option<f64>,
}

impl ConfigSpec {
    /// These settings for `algo`, without those of the other algorithms (the bp ones unless fbp, the online
    /// ones unless sbpi or cpr): one search of a sweep over several algorithms.
    pub fn for_algo(&self, algo: Algo) -> ConfigSpec {
        let mut s = ConfigSpec {
            algo: Some(algo),
            ..self.clone()
        };
        if algo != Algo::Fbp {
            (s.bp_form, s.bp_step, s.bp_damping) = (None, None, None);
            (s.bp_epsilon, s.bp_max_iters) = (None, None);
        }
        if !matches!(algo, Algo::Sbpi | Algo::Cpr) {
            s.online_states = None;
        }
        if algo != Algo::Sbpi {
            (s.sbpi_theta, s.sbpi_p_s) = (None, None);
        }
        if algo != Algo::Cpr {
            s.cpr_rate = None;
        }
        s
    }

    /// The run configuration on instances with hidden units `activation`: defaults filled in, every value
    /// checked (errors name the parameter).
    pub fn resolve(&self, activation: Activation) -> Result<Config> {
        let algo = self.algo.unwrap_or(Algo::Rsa);
        let sa = algo != Algo::Rsa;
        let bp_given = self.bp_form.is_some()
            || self.bp_step.is_some()
            || self.bp_damping.is_some()
            || self.bp_epsilon.is_some()
            || self.bp_max_iters.is_some();
        let fbp = if algo == Algo::Fbp {
            if self.energy == Some(EnergyKind::Linear) {
                return Err(Error::input(
                    "energy: focusing BP reports the error count; the linear energy is for SA and RSA",
                ));
            }
            Some(Fbp {
                form: self.bp_form.unwrap_or(BpForm::Bp),
                step: self.bp_step.unwrap_or(defaults::BP_STEP),
                damping: self.bp_damping.unwrap_or(defaults::BP_DAMPING),
                epsilon: self.bp_epsilon.unwrap_or(defaults::BP_EPSILON),
                max_iters: self.bp_max_iters.unwrap_or(defaults::BP_MAX_ITERS),
            })
        } else if bp_given {
            return Err(Error::input(format!(
                "the focusing-BP settings (form, step, damping, epsilon, max_iters) apply to fbp, not {algo}"
            )));
        } else {
            None
        };
        let online = self.online(algo)?;
        if online.is_some() && self.energy == Some(EnergyKind::Linear) {
            return Err(Error::input(format!(
                "energy: {algo} reports the error count; the linear energy is for SA and RSA"
            )));
        }
        let energy = self.energy.unwrap_or(match activation {
            Activation::Perceptron if fbp.is_none() && online.is_none() => EnergyKind::Linear,
            _ => EnergyKind::Errors,
        });
        let max_sweeps = self.max_sweeps.unwrap_or(defaults::MAX_SWEEPS);
        let schedule = match &self.schedule {
            Some(table) => {
                let ramp_given = self.beta0.is_some()
                    || self.beta1.is_some()
                    || self.gamma0.is_some()
                    || self.gamma1.is_some()
                    || self.ramp.is_some()
                    || self.ramp_sweeps.is_some()
                    || self.scale_beta.is_some();
                if ramp_given {
                    return Err(Error::input(
                        "a schedule table replaces the ramp: give the table or the ramp's settings (β₀, β₁, γ₀, γ₁, shape, length, β scaling), not both",
                    ));
                }
                table.clone()
            }
            None => {
                let beta0 = self.beta0.unwrap_or(match energy {
                    EnergyKind::Linear => defaults::BETA0_LINEAR,
                    EnergyKind::Errors => defaults::BETA0_ERRORS,
                });
                let gamma = if sa {
                    (0.0, 0.0)
                } else {
                    (
                        self.gamma0.unwrap_or(defaults::GAMMA0),
                        self.gamma1.unwrap_or(defaults::GAMMA1),
                    )
                };
                let s = Schedule::ramp(
                    self.ramp.unwrap_or(Ramp::Geometric),
                    (beta0, self.beta1.unwrap_or(defaults::BETA1)),
                    gamma,
                    self.ramp_sweeps.unwrap_or(max_sweeps),
                )?;
                if self.scale_beta.unwrap_or(true) {
                    s.with_beta_reference(defaults::BETA_REFERENCE_N)
                } else {
                    s
                }
            }
        };
        let dynamics = self.dynamics.unwrap_or_default();
        let c = Config {
            algo,
            replicas: if sa {
                1
            } else {
                self.replicas.unwrap_or(defaults::REPLICAS)
            },
            centre: self.centre.unwrap_or(Centre::Traced),
            schedule,
            max_sweeps,
            order: self.order.unwrap_or(if dynamics.random_sites() {
                Order::Random
            } else {
                Order::Permutation
            }),
            energy,
            seed: self.seed.unwrap_or(defaults::SEED),
            threads: self.threads.unwrap_or(1),
            visit: self.visit.unwrap_or_default(),
            dynamics,
            no_stop: self.no_stop.unwrap_or(false),
            fbp,
            online,
        };
        c.check(activation)?;
        Ok(c)
    }
}

impl ConfigSpec {
    /// The online learner's settings for `algo` (sbpi, cpr; None otherwise), defaults filled in.
    fn online(&self, algo: Algo) -> Result<Option<crate::online::Settings>> {
        use crate::online::{Rule, Settings};
        let sbpi_given = self.sbpi_theta.is_some() || self.sbpi_p_s.is_some();
        let given = sbpi_given || self.cpr_rate.is_some() || self.online_states.is_some();
        let rule = match algo {
            Algo::Sbpi if self.cpr_rate.is_none() => Rule::Sbpi {
                theta: self.sbpi_theta.unwrap_or(defaults::SBPI_THETA),
                p_s: self.sbpi_p_s.unwrap_or(defaults::SBPI_P_S),
            },
            Algo::Cpr if !sbpi_given => Rule::Cpr {
                rate: self.cpr_rate.unwrap_or(defaults::CPR_RATE),
            },
            Algo::Sbpi | Algo::Cpr => {
                return Err(Error::input(format!(
                    "the SBPI settings (theta, p_s) apply to sbpi and the CP+R rate to cpr, not the other way ({algo})"
                )))
            }
            _ if given => {
                return Err(Error::input(format!(
                    "the online-learner settings (states, theta, p_s, rate) apply to sbpi and cpr, not {algo}"
                )))
            }
            _ => return Ok(None),
        };
        let states = match rule {
            Rule::Sbpi { .. } => None,
            Rule::Cpr { .. } => Some(defaults::CPR_STATES),
        };
        Ok(Some(Settings {
            states: self.online_states.or(states),
            rule,
        }))
    }
}

impl Config {
    /// y, the number of replicas the run keeps: 1 for SA (whatever `replicas` says), `replicas` for RSA.
    pub fn y(&self) -> usize {
        match self.algo {
            Algo::Sa | Algo::Fbp | Algo::Sbpi | Algo::Cpr => 1,
            Algo::Rsa => self.replicas,
        }
    }

    /// Checks the values a [`Config`] made by hand may get wrong (errors name the parameter).
    pub fn check(&self, activation: Activation) -> Result<()> {
        let y = self.y();
        if y == 0 || y > defaults::MAX_REPLICAS {
            return Err(Error::input(format!(
                "y (the number of replicas) is {y}: it must be between 1 and {} (typically 3 to 7)",
                defaults::MAX_REPLICAS
            )));
        }
        if self.max_sweeps == 0 {
            return Err(Error::input(
                "max_sweeps (the sweep budget) must be at least 1",
            ));
        }
        if self.threads == 0 {
            return Err(Error::input(
                "threads (the number of threads) must be at least 1",
            ));
        }
        if self.dynamics.random_sites() {
            if self.order != Order::Random {
                return Err(Error::input(format!(
                    "order: the {} dynamics samples the chain of random order; the {} order has no rejection-free form",
                    self.dynamics, self.order
                )));
            }
            if self.algo == Algo::Rsa && self.visit == Visit::Shared {
                return Err(Error::input(format!(
                    "visit: the {} dynamics samples the blocks visit; the shared visit has no rejection-free form",
                    self.dynamics
                )));
            }
        }
        match (&self.fbp, self.algo == Algo::Fbp) {
            (Some(f), true) => f.check(activation, self.energy)?,
            (None, false) => {}
            (None, true) => return Err(Error::input("fbp: the focusing-BP settings are missing")),
            (Some(_), false) => {
                return Err(Error::input(format!(
                    "fbp: the focusing-BP settings apply to fbp, not {}",
                    self.algo
                )))
            }
        }
        let online = matches!(self.algo, Algo::Sbpi | Algo::Cpr);
        match &self.online {
            Some(o) if online => {
                o.check()?;
                let matching = matches!(
                    (&o.rule, self.algo),
                    (crate::online::Rule::Sbpi { .. }, Algo::Sbpi)
                        | (crate::online::Rule::Cpr { .. }, Algo::Cpr)
                );
                if !matching {
                    return Err(Error::input(format!(
                        "online: the settings are for another rule than {}",
                        self.algo
                    )));
                }
                if self.energy != EnergyKind::Errors {
                    return Err(Error::input(format!(
                        "energy: {} reports the error count",
                        self.algo
                    )));
                }
            }
            None if !online => {}
            None => {
                return Err(Error::input(format!(
                    "online: the {} settings are missing",
                    self.algo
                )))
            }
            Some(_) => {
                return Err(Error::input(format!(
                    "online: the online-learner settings apply to sbpi and cpr, not {}",
                    self.algo
                )))
            }
        }
        if self.energy == EnergyKind::Linear && activation != Activation::Perceptron {
            return Err(Error::input(
                "energy: the linear (minimal-flip) energy is defined for the perceptron only; committees use the error count",
            ));
        }
        Ok(())
    }

    /// The memory a run of this configuration takes on N = `n` weights, P = `p` patterns and K = `k` hidden
    /// units: the instance and the y incremental states (an estimate, for checks before a run).
    pub fn memory_bytes(&self, n: usize, p: usize, k: usize) -> u64 {
        let stride = words_for_bits(p) as u64;
        if self.online.is_some() {
            // The rows (P·K words-rounded rows of n = N/K bits), h as i16, the packed weights.
            let rows = (p * k * (n / k).div_ceil(64) * 8) as u64;
            return Instance::memory_for(n, p) + rows + 3 * n as u64 + 64 * k as u64;
        }
        match &self.fbp {
            Some(f) => Instance::memory_for(n, p) + f.memory_bytes(n, p, k),
            None => {
                Instance::memory_for(n, p) + self.y() as u64 * stride * 8 * (k as u64 * 136 + 48)
            }
        }
    }
}

impl Fbp {
    /// Checks the settings on instances with hidden units `activation` (errors name the parameter).
    pub fn check(&self, activation: Activation, energy: EnergyKind) -> Result<()> {
        if activation != Activation::Perceptron && self.form == BpForm::Amp {
            return Err(Error::input(
                "bp_form: the AMP form is for the perceptron; committees run full BP (form bp)",
            ));
        }
        if energy != EnergyKind::Errors {
            return Err(Error::input("energy: focusing BP reports the error count"));
        }
        if !(self.step.is_finite() && self.step > 0.0 && self.step < 1.0) {
            return Err(Error::input(format!(
                "step (the pseudo-reinforcement step of ρ) must be in (0, 1) (got {})",
                self.step
            )));
        }
        if !(self.damping.is_finite() && (0.0..1.0).contains(&self.damping)) {
            return Err(Error::input(format!(
                "damping (of the BP messages) must be in [0, 1) (got {})",
                self.damping
            )));
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(Error::input(format!(
                "epsilon (the BP convergence threshold) must be a positive number (got {})",
                self.epsilon
            )));
        }
        if self.max_iters == 0 {
            return Err(Error::input(
                "max_iters (BP sweeps per protocol step) must be at least 1",
            ));
        }
        Ok(())
    }

    /// The messages' memory on N = `n` weights, P = `p` patterns, K = `k` units: 8·N·P bytes for full BP
    /// (the unit fields besides for committees), O(N + P) for AMP.
    pub fn memory_bytes(&self, n: usize, p: usize, k: usize) -> u64 {
        let (n, p, k) = (n as u64, p as u64, k as u64);
        match self.form {
            BpForm::Bp => 8 * n * p + 48 * (n + p * k),
            BpForm::Amp => 48 * (n + p),
        }
    }

    /// The parameters of [`bp::solve`](crate::bp::solve) with messages seeded by `seed`.
    pub fn params(&self, seed: u64) -> Result<crate::bp::Params> {
        Ok(crate::bp::Params {
            protocol: crate::bp::Protocol::pseudo_reinforcement(self.step)?,
            form: match self.form {
                BpForm::Bp => crate::bp::Form::Bp(crate::bp::FactorRule::Gaussian),
                BpForm::Amp => crate::bp::Form::Amp,
            },
            damping: self.damping,
            epsilon: self.epsilon,
            max_iters: self.max_iters,
            seed,
            ..crate::bp::Params::default()
        })
    }
}

/// The instance a result refers to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceInfo {
    pub file: Option<String>,
    pub n: usize,
    pub p: usize,
    pub k: usize,
    pub activation: crate::model::Activation,
    pub alpha: f64,
    pub checksum: String,
    pub origin: Option<Origin>,
}

impl InstanceInfo {
    pub fn of(inst: &Instance, file: Option<String>) -> Self {
        InstanceInfo {
            file,
            n: inst.n(),
            p: inst.p(),
            k: inst.k(),
            activation: inst.activation(),
            alpha: inst.alpha(),
            checksum: format!("{:016x}", inst.checksum()),
            origin: inst.origin(),
        }
    }
}

/// The centre's weights and error count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CentreRecord {
    pub weights: String,
    pub errors: u64,
}

/// The result record of `densemc solve` (`result.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub densemc_version: String,
    pub instance: InstanceInfo,
    pub config: Config,
    pub kernel_path: String,
    /// Width of the integer lanes holding the fields (16, or 32 for huge N; 0 for fbp's float messages).
    pub lane_bits: u32,
    pub solved: bool,
    /// Who found the solution: a replica (with its index) or the centre.
    pub found: Option<Found>,
    /// Final energy of the reported weights (in the energy kind of the run).
    pub energy: i64,
    /// Errors of the reported weights, recounted by the reference evaluator.
    pub errors: u64,
    pub sweeps: u64,
    pub proposals: u64,
    pub accepted: u64,
    pub seconds: f64,
    pub proposals_per_second: f64,
    pub flips_per_second: f64,
    /// The solution, or the lowest-energy replica, as N '+'/'-' characters.
    pub weights: String,
    /// Index of the replica the weights come from (absent when the centre solved).
    pub replica: Option<usize>,
    /// Final energies of all replicas.
    pub replica_energies: Vec<i64>,
    /// RSA: the centre's weights and errors at the end.
    pub centre: Option<CentreRecord>,
    /// Final weights of all replicas, for library callers (not written to result files).
    #[serde(skip)]
    pub replicas: Vec<Weights>,
}

/// Errors recounted from scratch by the plain evaluator (the bit-sliced one beyond 2³² N·P, where the plain
/// loop would take minutes; it shares no code with the incremental state either).
pub fn recount(inst: &Instance, w: &Weights) -> u64 {
    if (inst.n() as u64) * (inst.p() as u64) <= 1 << 32 {
        reference::errors(inst, w)
    } else {
        fast::errors(inst, w, Kernels::best())
    }
}

/// What a solver's observer sees after every step; returning false stops the run. (The Monte Carlo
/// solvers report every sweep; focusing BP reports nothing.)
pub type Observer<'o> = &'o mut (dyn FnMut(&Progress) -> bool + Send);

/// What any solver returns: the reported weights and the counters that the result record holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub solved: bool,
    /// Who found the solution (Monte Carlo: a replica or the centre; None for fbp).
    pub found: Option<Found>,
    /// Monte Carlo sweeps, or BP sweeps over all messages.
    pub sweeps: u64,
    /// Monte Carlo proposals and accepted moves (0 for fbp).
    pub proposals: u64,
    pub accepted: u64,
    /// The solution, or the best weights seen.
    pub weights: Weights,
    /// The energy of `weights` in the run's energy kind.
    pub energy: i64,
    /// The replica the weights come from (None when the centre solved).
    pub replica: Option<usize>,
    /// RSA: the centre's weights and energy at the end.
    pub centre: Option<(Weights, i64)>,
    /// Final energies of all replicas (fbp: the one of `weights`).
    pub energies: Vec<i64>,
    /// Final weights of all replicas (fbp: `weights`).
    pub replicas: Vec<Weights>,
}

impl From<mc::Outcome> for Outcome {
    fn from(o: mc::Outcome) -> Self {
        Outcome {
            solved: o.solved,
            found: o.found,
            sweeps: o.sweeps,
            proposals: o.proposals,
            accepted: o.accepted,
            weights: o.weights,
            energy: o.energy,
            replica: (o.found != Some(Found::Centre)).then_some(o.replica),
            centre: o.centre,
            energies: o.energies,
            replicas: o.replicas,
        }
    }
}

/// A search for a solution on one instance: the seam that `solve`, `sweep`, the records (and later the
/// Python binding) call. [`solve`] adds the timing, the re-verification and the result record.
pub trait Solver {
    /// Searches `inst`, continuing from a checkpoint's `resume` record of the same run when given.
    fn search(
        &self,
        inst: &Instance,
        resume: Option<&Resume>,
        observe: Observer<'_>,
    ) -> Result<Outcome>;
    /// Width of the integer lanes the solver keeps the fields in on `inst` (recorded in the report).
    fn lane_bits(&self, inst: &Instance) -> u32;
}

/// SA and RSA: the Metropolis driver on the plain ensemble of one replica (SA, which walks each sweep's
/// site sequence, the shared visit of one replica) or on the replicated ensemble (RSA). The fields live in
/// 16-bit lanes when they fit, in 32-bit lanes otherwise (huge N); the result is the same.
impl Solver for Config {
    fn search(
        &self,
        inst: &Instance,
        resume: Option<&Resume>,
        observe: Observer<'_>,
    ) -> Result<Outcome> {
        self.check(inst.activation())?;
        if let Some(f) = &self.fbp {
            return focusing(f, self.seed, inst, resume);
        }
        if let Some(o) = &self.online {
            return online(o, self, inst, resume, observe);
        }
        let out = if State::<i16>::fits(inst) {
            anneal_in::<i16>(self, inst, resume, observe)
        } else {
            anneal_in::<i32>(self, inst, resume, observe)
        };
        out.map(Outcome::from)
    }

    fn lane_bits(&self, inst: &Instance) -> u32 {
        if self.fbp.is_some() || self.online.is_some() {
            0
        } else if State::<i16>::fits(inst) {
            16
        } else {
            32
        }
    }
}

/// Focusing BP on `inst`, its messages seeded by `seed`; full BP is refused when its messages exceed the
/// available memory.
fn focusing(f: &Fbp, seed: u64, inst: &Instance, resume: Option<&Resume>) -> Result<Outcome> {
    if resume.is_some() {
        return Err(Error::input("resume: focusing BP runs have no checkpoints"));
    }
    let bytes = f.memory_bytes(inst.n(), inst.p(), inst.k());
    if f.form == BpForm::Bp {
        if let Some(avail) = crate::fsio::available_memory().filter(|&a| bytes > a) {
            return Err(Error::input(format!(
                "bp_form: full BP needs {} of messages (8·N·P bytes) but only {} is available: use bp_form amp (O(N + P) memory)",
                crate::fsio::human_bytes(bytes),
                crate::fsio::human_bytes(avail)
            )));
        }
    }
    let out = crate::bp::solve(inst, &f.params(seed)?)?;
    Ok(Outcome {
        solved: out.solved,
        found: None,
        sweeps: out.iterations as u64,
        proposals: 0,
        accepted: 0,
        weights: out.weights.clone(),
        energy: out.errors as i64,
        replica: None,
        centre: None,
        energies: vec![out.errors as i64],
        replicas: vec![out.weights],
    })
}

/// An online learner on `inst`; the observer sees every epoch as a sweep (energies: the errors).
fn online(
    o: &crate::online::Settings,
    cfg: &Config,
    inst: &Instance,
    resume: Option<&Resume>,
    observe: Observer<'_>,
) -> Result<Outcome> {
    if resume.is_some() {
        return Err(Error::input(format!(
            "resume: {} runs have no checkpoints",
            cfg.algo
        )));
    }
    let no_resume = || -> Resume { unreachable!("online runs have no checkpoints") };
    let mut each = |e: &crate::online::Epoch| {
        observe(&Progress {
            sweep: e.epoch,
            beta: 0.0,
            gamma: 0.0,
            energies: &[e.errors as i64],
            centre_energy: None,
            overlap: None,
            proposals: e.presentations,
            accepted: e.updates,
            resume: &no_resume,
        })
    };
    let out = crate::online::learn(inst, o, cfg.max_sweeps, cfg.seed, &mut each)?;
    Ok(Outcome {
        solved: out.solved,
        found: None,
        sweeps: out.epochs,
        proposals: out.presentations,
        accepted: out.updates,
        weights: out.weights.clone(),
        energy: out.errors as i64,
        replica: None,
        centre: None,
        energies: vec![out.errors as i64],
        replicas: vec![out.weights],
    })
}

fn anneal_in<L: Lane>(
    cfg: &Config,
    inst: &Instance,
    resume: Option<&Resume>,
    observe: Observer<'_>,
) -> Result<mc::Outcome> {
    let kern = Kernels::best();
    let y = cfg.y();
    if let Some(r) = resume {
        if r.weights.len() != y {
            return Err(Error::input(format!(
                "the checkpoint holds {} replicas but the run has y = {y}: it belongs to another run",
                r.weights.len()
            )));
        }
    }
    let mut reps = Vec::with_capacity(y);
    for a in 0..y {
        let w = match resume {
            Some(r) => Weights::parse_pm(&r.weights[a], inst.n(), "checkpoint")?,
            None => Weights::random(inst.n(), &mut rng::stream(cfg.seed, "init", a as u64)),
        };
        reps.push(State::<L>::new(inst, w, cfg.energy, kern)?);
    }
    let rsa = cfg.algo == Algo::Rsa;
    let params = mc::Params {
        schedule: cfg.schedule.for_n(inst.n()),
        max_sweeps: cfg.max_sweeps,
        order: cfg.order,
        visit: if rsa { cfg.visit } else { Visit::Shared },
        seed: cfg.seed,
        parallel: rsa && cfg.threads > 1 && cfg.visit == Visit::Blocks,
    };
    // The centre changes by a few weights per sweep: its errors are tracked incrementally.
    let tracked = std::sync::Mutex::new(TrackedErrors::<L>::new(inst, kern));
    let ce = |w: &Weights| tracked.lock().expect("centre tracker").errors(w);
    let mut ens = if rsa {
        Ensemble::replicated(&mut reps, cfg.centre, &ce)
    } else {
        Ensemble::plain(&mut reps)
    };
    let how = Sampling {
        dynamics: cfg.dynamics,
        no_stop: cfg.no_stop,
        trace: false,
    };
    if params.parallel {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.threads)
            .build()
            .map_err(|e| Error::input(format!("cannot start {} threads: {e}", cfg.threads)))?;
        pool.install(|| mc::anneal_with(&mut ens, &params, how, resume, observe))
    } else {
        mc::anneal_with(&mut ens, &params, how, resume, observe)
    }
}

/// Runs one search. `observe` sees every sweep and may stop the run by returning false.
pub fn solve(
    inst: &Instance,
    file: Option<String>,
    cfg: &Config,
    observe: Observer<'_>,
) -> Result<Report> {
    solve_from(inst, file, cfg, None, observe)
}

/// [`solve`], continuing from a checkpoint's [`Resume`] record when given: the result is bit-identical to
/// the uninterrupted run (same weights, energies and counters; only the timings differ).
pub fn solve_from(
    inst: &Instance,
    file: Option<String>,
    cfg: &Config,
    resume: Option<&Resume>,
    observe: Observer<'_>,
) -> Result<Report> {
    let start = Instant::now();
    let out = cfg.search(inst, resume, observe)?;
    let seconds = start.elapsed().as_secs_f64();
    // Re-verify everything reported from scratch.
    let errors = recount(inst, &out.weights);
    if out.solved && errors != 0 {
        return Err(Error::Bug(format!(
            "the run reports a solution but the reference evaluator counts {errors} errors"
        )));
    }
    if cfg.energy == EnergyKind::Errors
        && out.found != Some(Found::Centre)
        && errors as i64 != out.energy
    {
        return Err(Error::Bug(format!(
            "incremental energy {} but the reference evaluator counts {errors} errors",
            out.energy
        )));
    }
    let centre = match &out.centre {
        Some((w, e)) => {
            let ce = recount(inst, w);
            if ce as i64 != *e {
                return Err(Error::Bug(format!(
                    "centre energy {e} but the reference evaluator counts {ce} errors"
                )));
            }
            Some(CentreRecord {
                weights: w.to_pm(),
                errors: ce,
            })
        }
        None => None,
    };
    let secs = seconds.max(1e-9);
    Ok(Report {
        densemc_version: crate::VERSION.to_string(),
        instance: InstanceInfo::of(inst, file),
        config: cfg.clone(),
        kernel_path: Kernels::best().path().name().to_string(),
        lane_bits: cfg.lane_bits(inst),
        solved: out.solved,
        found: out.found,
        energy: out.energy,
        errors,
        sweeps: out.sweeps,
        proposals: out.proposals,
        accepted: out.accepted,
        seconds,
        proposals_per_second: out.proposals as f64 / secs,
        flips_per_second: out.accepted as f64 / secs,
        weights: out.weights.to_pm(),
        replica: out.replica,
        replica_energies: out.energies.clone(),
        centre,
        replicas: out.replicas,
    })
}

crate::named!(Algo, "algorithm" {
    Sa => "sa": "Simulated annealing on one replica",
    Rsa => "rsa": "Replicated simulated annealing on the robust ensemble (focusing, local entropy)",
    Fbp => "fbp": "Focusing belief propagation (pseudo-reinforcement; --bp-form bp|amp)",
    Sbpi => "sbpi": "SBPI, online learning with hidden states and a barely-correct step (--online-states, --sbpi-*)",
    Cpr => "cpr": "CP+R, the clipped perceptron with reinforcement (--online-states, --cpr-rate)",
});

crate::named!(BpForm, "BP form" {
    Bp => "bp": "Full BP with Gaussian cavity sums (8·N·P bytes of messages)",
    Amp => "amp": "The relaxed AMP/TAP form, O(N + P) memory (perceptron only)",
});
