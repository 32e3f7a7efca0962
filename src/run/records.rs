//! The records a sweep writes: one [`TaskRecord`] per finished task, one JSON line each. (The record of one
//! `solve`, `solve::Report`, and its `InstanceInfo` are built by the solver and stay with it.)

use super::jsonl::{self, Lines};
use super::plan::{Grid, TaskKey};
use crate::error::Result;
use crate::instance::Instance;
use crate::mc::Found;
use crate::model::teacher::{self, Generalization};
use crate::model::Activation;
use crate::names::Named;
use crate::solve::{Algo, Config, Report};
use crate::weights::Weights;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the errors call a results file's lines ([`super::jsonl`]).
pub const WHAT: &str = "sweep result";

/// A results file as read.
pub type Results = Lines<TaskRecord>;

/// Parses the bytes of a results file ([`jsonl::parse`]); `path` names it in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Results> {
    jsonl::parse(bytes, path, WHAT)
}

/// Reads a results file ([`jsonl::read`]).
pub fn read(path: &Path) -> Result<Results> {
    jsonl::read(path, WHAT)
}

/// One line of a results file (JSONL): a finished task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Hash of the grid and search parameters ([`Plan::sweep_hash`](super::plan::Plan::sweep_hash)).
    pub sweep: String,
    /// Hash of the search parameters alone ([`Plan::params_hash`](super::plan::Plan::params_hash)).
    pub params: String,
    pub densemc_version: String,
    /// N.
    pub n: usize,
    /// K.
    pub k: usize,
    pub activation: Activation,
    pub teacher: bool,
    /// α as given in the grid, and its index there.
    pub alpha: f64,
    pub alpha_index: usize,
    /// P = round(αN).
    pub p: usize,
    /// Instance index s within (N, α).
    pub sample: usize,
    pub algo: Algo,
    /// S: `densemc solve --n N --alpha α --seed S` (same search flags) re-runs this task.
    pub seed: u64,
    pub solved: bool,
    pub found: Option<Found>,
    /// Final energy of the reported weights (in the run's energy kind).
    pub energy: i64,
    /// E(W), errors of the reported weights (reference recount).
    pub errors: u64,
    /// RSA: errors of the centre at the end.
    pub centre_errors: Option<u64>,
    pub sweeps: u64,
    pub proposals: u64,
    pub accepted: u64,
    pub seconds: f64,
    pub proposals_per_second: f64,
    /// The full search configuration (seed = S, threads = 1).
    pub config: Config,
    /// With `keep_weights`: W as N '+'/'-' characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    /// With `keep_weights`, RSA: the centre's weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre_weights: Option<String>,
    /// On a shard's lines: the shard and the whole grid (for `merge`); see [`super::shard`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardTag>,
    /// Teacher–student instances: R and ε_g of the weights, the centre and each replica (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generalization: Option<Generalization>,
}

/// R and ε_g on `m` fresh patterns ([`teacher::measure`]) of a run's reported weights, centre and replicas;
/// None when the instance keeps no teacher.
pub fn generalization(inst: &Instance, r: &Report, m: usize) -> Result<Option<Generalization>> {
    if inst.teacher().is_none() {
        return Ok(None);
    }
    let weights = Weights::parse_pm(&r.weights, inst.n(), "the reported weights")?;
    let centre = r
        .centre
        .as_ref()
        .map(|c| Weights::parse_pm(&c.weights, inst.n(), "the centre"))
        .transpose()?;
    teacher::measure(inst, &weights, centre.as_ref(), &r.replicas, m)
}

impl TaskRecord {
    /// The coordinates that identify the task within its sweep.
    pub fn key(&self) -> TaskKey {
        (self.n, self.alpha_index, self.sample, self.algo.name())
    }
}

/// The `shard` field of a line written by one shard of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardTag {
    pub index: usize,
    pub count: usize,
    #[serde(flatten)]
    pub grid: Grid,
}
