//! Replica theory of the networks densemc simulates: Gardner capacities α_c of the binary and spherical
//! perceptron and of tree committee machines with sign or ReLU units, replica-symmetric (RS) and one-step
//! RSB, and the Franz–Parisi local entropy S(d) around typical solutions of binary networks, numerically
//! solved (Gauss–Hermite quadrature, damped saddle-point iteration, Brent roots). Needs no instance; the
//! derivations and their symbols are in docs/theory.md.
//!
//! ```
//! use densemc::theory::{capacity, Spec, Unit, Prior, Width, Value};
//! let c = capacity(&Spec { unit: Unit::Perceptron, prior: Prior::Spherical, k: Width::Finite(1), rsb: 0 }).unwrap();
//! assert!(matches!(c.alpha_c, Value::Finite(a) if (a - 2.0).abs() < 1e-9));
//! ```

pub mod committee;
pub mod kernels;
pub mod normal;
pub mod perceptron;
pub mod quadrature;
pub mod solve;

use crate::error::{Error, Result};
use kernels::Kernel;
use quadrature::Rule;
use std::fmt;

/// Monte Carlo draws of the hidden fields for ReLU committees at finite K (seed K).
pub const RELU_SAMPLES: usize = 200_000;

/// Gauss–Hermite nodes used for every Gaussian average (results agree with 100 nodes to ~1e-12).
pub const NODES: usize = 200;

/// The hidden unit of the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Perceptron,
    Sign,
    Relu,
}

/// The prior on the weights: W_i = ±1, or W on the sphere |W|² = N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prior {
    Binary,
    Spherical,
}

/// The number K of hidden units, or the limit K → ∞.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    Finite(usize),
    Infinite,
}

/// What to compute: the capacity of this network at this level of replica-symmetry breaking (0 or 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub unit: Unit,
    pub prior: Prior,
    pub k: Width,
    pub rsb: u8,
}

/// A capacity value: finite, or divergent (no SAT/UNSAT transition at any finite α).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Finite(f64),
    Divergent,
}

/// The result: α_c, how it was computed, and the order parameters at the transition (name, value).
#[derive(Clone, Debug)]
pub struct Capacity {
    pub spec: Spec,
    pub alpha_c: Value,
    pub method: String,
    pub order: Vec<(&'static str, f64)>,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Perceptron => "perceptron",
            Unit::Sign => "sign",
            Unit::Relu => "relu",
        }
    }

    /// The kernel of the K → ∞ limit (the perceptron's is κ(q) = q).
    pub fn kernel(self) -> Kernel {
        match self {
            Unit::Perceptron => Kernel::Linear,
            Unit::Sign => Kernel::Sign,
            Unit::Relu => Kernel::Relu,
        }
    }
}

impl Prior {
    pub fn name(self) -> &'static str {
        match self {
            Prior::Binary => "binary",
            Prior::Spherical => "spherical",
        }
    }
}

impl fmt::Display for Width {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Width::Finite(k) => write!(f, "{k}"),
            Width::Infinite => f.write_str("inf"),
        }
    }
}

impl std::str::FromStr for Unit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "perceptron" => Ok(Unit::Perceptron),
            "sign" => Ok(Unit::Sign),
            "relu" => Ok(Unit::Relu),
            _ => Err(Error::input(format!(
                "unknown activation '{s}' (perceptron, sign or relu)"
            ))),
        }
    }
}

impl std::str::FromStr for Prior {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "binary" => Ok(Prior::Binary),
            "spherical" => Ok(Prior::Spherical),
            _ => Err(Error::input(format!(
                "unknown weights '{s}' (binary or spherical)"
            ))),
        }
    }
}

impl std::str::FromStr for Width {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if s == "inf" {
            return Ok(Width::Infinite);
        }
        match s.parse::<usize>() {
            Ok(k) if k >= 1 => Ok(Width::Finite(k)),
            _ => Err(Error::input(format!(
                "k (the number of hidden units) must be a positive integer or inf, not '{s}'"
            ))),
        }
    }
}

/// Checks that the network exists (K = 1 for the perceptron, K odd for sign units, K even for ReLU units,
/// rsb ≤ 1) and that its capacity is implemented at this rsb level, with a message naming the parameter.
pub fn check(spec: &Spec) -> Result<()> {
    let k = spec.k;
    match (spec.unit, k) {
        (Unit::Perceptron, Width::Finite(1)) => {}
        (Unit::Perceptron, _) => {
            return Err(Error::input(format!(
                "k (the number of hidden units) must be 1 for the perceptron, not {k}"
            )))
        }
        (Unit::Sign, Width::Finite(n)) if n % 2 == 0 => {
            return Err(Error::input(format!(
                "k (the number of hidden units) must be odd for sign units, not {n}"
            )))
        }
        (Unit::Relu, Width::Finite(n)) if n % 2 == 1 => {
            return Err(Error::input(format!(
                "k (the number of hidden units) must be even for ReLU units, not {n}"
            )))
        }
        _ => {}
    }
    if spec.rsb > 1 {
        return Err(Error::input(format!(
            "rsb (the level of replica-symmetry breaking) must be 0 or 1, not {}",
            spec.rsb
        )));
    }
    let finite_committee = matches!(k, Width::Finite(n) if n > 1);
    let missing = match (spec.unit, spec.prior, finite_committee, spec.rsb) {
        (_, Prior::Binary, true, _) => Some("binary committees at finite k > 1"),
        (_, Prior::Binary, false, 1) => Some("1RSB for binary weights"),
        (_, Prior::Spherical, true, 1) => Some("1RSB at finite k > 1"),
        _ => None,
    };
    match missing {
        Some(what) => Err(Error::input(format!(
            "{what} {} not implemented (available: rsb 0 and 1 for spherical weights at k = 1 or k = inf; \
rsb 0 for binary weights at k = 1 or k = inf; rsb 0 for spherical weights at finite k)",
            if what.starts_with("1RSB") { "is" } else { "are" }
        ))),
        None => Ok(()),
    }
}

/// The capacity α_c of the network `spec`.
pub fn capacity(spec: &Spec) -> Result<Capacity> {
    check(spec)?;
    let kernel = match spec.k {
        Width::Finite(1) => Kernel::Linear,
        _ => spec.unit.kernel(),
    };
    let rule = Rule::hermite(NODES)?;
    let done = |alpha_c, method: &str, order| Capacity {
        spec: *spec,
        alpha_c,
        method: method.to_string(),
        order,
    };
    let finite_k = match spec.k {
        Width::Finite(k) if k > 1 => Some(k),
        _ => None,
    };
    Ok(match (spec.prior, spec.rsb, finite_k) {
        (Prior::Binary, _, _) => {
            let r = perceptron::binary_capacity(kernel, &rule)?;
            done(
                Value::Finite(r.alpha),
                "RS: load where the RS entropy vanishes (damped saddle-point iteration for q, q̂; Brent on α)",
                vec![("q", r.q), ("q_hat", r.q_hat)],
            )
        }
        (Prior::Spherical, 0, Some(k)) if spec.unit == Unit::Relu => {
            let (mean, se) = committee::relu_cost_mc(k, RELU_SAMPLES, k as u64)?;
            done(
                Value::Finite(1.0 / mean),
                &format!(
                    "RS, q → 1: α_c = 1/E[C_K], C_K the squared distance of the hidden fields to the \
correct-output region (exact minimisation), E by Monte Carlo ({RELU_SAMPLES} draws, seed {k})"
                ),
                vec![("alpha_c_stderr", se / (mean * mean))],
            )
        }
        (Prior::Spherical, 0, Some(k)) => done(
            Value::Finite(committee::sign_rs_capacity(k)?),
            "RS, q → 1: α_c = 1/E[C_K], C_K the squared distance of the hidden fields to the correct-vote \
region (order statistics of half-normal fields, composite Gauss–Legendre)",
            vec![],
        ),
        (Prior::Spherical, 0, None) => {
            let a = perceptron::spherical_rs_capacity(kernel);
            if a.is_finite() {
                // The saddle point at q < 1 approaches the limit: α(q) at q = 1 − 10⁻⁶.
                let q = 1.0 - 1e-6;
                done(
                    Value::Finite(a),
                    "RS, q → 1: α_c = 2κ′(1)",
                    vec![
                        ("kappa_slope_at_1", kernel.slope_at_one()),
                        ("alpha_at_q_1e-6", perceptron::spherical_rs_alpha(kernel, &rule, q)),
                    ],
                )
            } else {
                done(Value::Divergent, "RS, q → 1: α_c = 2κ′(1), and κ′(1) = ∞", vec![])
            }
        }
        (Prior::Spherical, _, _) => {
            if kernel.slope_at_one().is_finite() {
                let r = perceptron::one_rsb_capacity(kernel, &rule)?;
                done(
                    Value::Finite(r.alpha_c),
                    "1RSB, q1 → 1 with m/(1 − q1) = x: α_c = min over (x, q0) of −A/B (nested golden sections)",
                    vec![("x", r.x), ("q0", r.q0)],
                )
            } else {
                done(
                    Value::Divergent,
                    "1RSB, q1 → 1: 1 − κ(q1) ∝ √(1 − q1) makes the energetic term subleading, no transition",
                    vec![],
                )
            }
        }
    })
}

/// The "finite vs divergent" table: sign units at each finite K of `sign_ks` and ReLU units at each K of
/// `relu_ks` (RS), then the K → ∞ limits of both, RS and (spherical weights) 1RSB.
pub fn capacity_vs_k(prior: Prior, sign_ks: &[usize], relu_ks: &[usize]) -> Result<Vec<Capacity>> {
    let finite = |unit, ks: &[usize]| {
        ks.iter()
            .map(|&k| Spec {
                unit,
                prior,
                k: Width::Finite(k),
                rsb: 0,
            })
            .collect::<Vec<_>>()
    };
    let mut specs = finite(Unit::Sign, sign_ks);
    specs.extend(finite(Unit::Relu, relu_ks));
    let levels: &[u8] = match prior {
        Prior::Binary => &[0],
        Prior::Spherical => &[0, 1],
    };
    for unit in [Unit::Sign, Unit::Relu] {
        for &rsb in levels {
            specs.push(Spec {
                unit,
                prior,
                k: Width::Infinite,
                rsb,
            });
        }
    }
    specs.iter().map(capacity).collect()
}
pub mod local_entropy;
