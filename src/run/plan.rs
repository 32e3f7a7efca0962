//! What a sweep runs: a grid of independent searches, (N values) × (α values) × (samples) × (algorithms), for
//! one architecture.
//!
//! **Seeds.** Task (N, α, s) gets the seed S = [`task_seed`]`(seed, N, α, s)`; its instance is
//! `model::generate(arch, α, S, teacher)` and its search runs with `Config::seed = S`, exactly as
//! `densemc solve --n N --alpha α --seed S` with the same search flags, which therefore reproduces it alone.
//! All algorithms of a sample share the instance (a paired comparison). S < 2⁵³, so that any JSON reader
//! holds it exactly.
//!
//! **Hashes.** Every result line carries the hash of the grid and search parameters ([`Plan::sweep_hash`])
//! and of the search parameters alone ([`Plan::params_hash`]), so that a file of another sweep is refused.

use super::hash::hash_json;
use crate::error::{Error, Result};
use crate::fsio;
use crate::instance::pattern_count;
use crate::model::{Activation, Arch};
use crate::names::Named;
use crate::rng;
use crate::solve::{Algo, Config};
use serde::{Deserialize, Serialize};

/// What a sweep runs: the architecture, the grid and one search configuration per algorithm.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    /// K, hidden units.
    pub k: usize,
    pub activation: Activation,
    /// Labels from a random teacher.
    pub teacher: bool,
    /// N values.
    pub ns: Vec<usize>,
    /// α values.
    pub alphas: Vec<f64>,
    /// Instances per (N, α).
    pub samples: usize,
    /// One configuration per algorithm; `seed` and `threads` are replaced per task (S and 1).
    pub searches: Vec<Config>,
    /// The master seed.
    pub seed: u64,
    /// With `teacher`: M, the fresh patterns each record's ε_g is measured on (a measurement, not part of
    /// the hashes; every record says its M).
    pub test_patterns: usize,
}

/// One task of the grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Task {
    pub n: usize,
    pub alpha_index: usize,
    pub alpha: f64,
    pub sample: usize,
    /// Index into `Plan::searches`.
    pub search: usize,
    pub algo: Algo,
    /// S, the seed of the instance and of the search.
    pub seed: u64,
}

/// (N, α index, sample, algorithm name): what identifies a task within its sweep.
pub type TaskKey = (usize, usize, usize, &'static str);

impl Task {
    pub fn key(&self) -> TaskKey {
        (self.n, self.alpha_index, self.sample, self.algo.name())
    }
}

/// The seed S of task (N, α, sample) (shared by the algorithms): a chain of `rng::derive_seed` over the
/// coordinates, so that it does not depend on the rest of the grid; truncated to 53 bits.
pub fn task_seed(seed: u64, n: usize, alpha: f64, sample: usize) -> u64 {
    let s = rng::derive_seed(seed, "sweep-n", n as u64);
    let s = rng::derive_seed(s, "sweep-alpha", alpha.to_bits());
    rng::derive_seed(s, "sweep-sample", sample as u64) >> 11
}

/// A configuration with the per-task fields cleared, as hashed and compared.
pub fn normalised(c: &Config) -> Config {
    let mut c = c.clone();
    c.seed = 0;
    c.threads = 1;
    c
}

impl Plan {
    /// Refuses an empty or invalid grid before anything runs (sizes, P = round(αN), repeated algorithms,
    /// the memory of `threads` simultaneous tasks).
    pub fn validate(&self, threads: usize) -> Result<()> {
        if self.ns.is_empty() || self.alphas.is_empty() {
            return Err(Error::input("the grid is empty: give N and α values"));
        }
        if self.samples == 0 {
            return Err(Error::input(
                "samples (instances per N and α) must be at least 1",
            ));
        }
        if self.searches.is_empty() {
            return Err(Error::input("give at least one algorithm (rsa, sa)"));
        }
        for (i, c) in self.searches.iter().enumerate() {
            if self.searches[..i].iter().any(|d| d.algo == c.algo) {
                return Err(Error::input(format!(
                    "the algorithms list {} twice",
                    c.algo.name()
                )));
            }
            c.check(self.activation)?;
        }
        if threads == 0 {
            return Err(Error::input("the number of threads must be at least 1"));
        }
        // The task list is made whole (and the journal keeps a key per task): refuse a grid it cannot hold.
        let tasks = [self.alphas.len(), self.samples, self.searches.len()]
            .iter()
            .try_fold(self.ns.len() as u64, |t, &x| t.checked_mul(x as u64))
            .filter(|&t| t < usize::MAX as u64 / 2)
            .ok_or_else(|| Error::input("the grid has too many tasks to count"))?;
        let per_task = (std::mem::size_of::<Task>() + 64) as u64;
        fsio::check_memory(
            tasks.saturating_mul(per_task),
            &format!("the list of {tasks} tasks"),
        )?;
        let mut most = 0u64;
        for &n in &self.ns {
            Arch::new(n, self.k, self.activation)?;
            for &a in &self.alphas {
                let p = pattern_count(n, a)?;
                for c in &self.searches {
                    most = most.max(c.memory_bytes(n, p, self.k));
                }
            }
        }
        fsio::check_memory(
            most.saturating_mul(threads.min(self.len()) as u64),
            &format!("{threads} simultaneous tasks"),
        )
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.ns.len() * self.alphas.len() * self.samples * self.searches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All tasks, in grid order (N, then α, then sample, then algorithm).
    pub fn tasks(&self) -> Vec<Task> {
        let mut v = Vec::with_capacity(self.len());
        for &n in &self.ns {
            for (ai, &alpha) in self.alphas.iter().enumerate() {
                for sample in 0..self.samples {
                    let seed = task_seed(self.seed, n, alpha, sample);
                    for (si, c) in self.searches.iter().enumerate() {
                        v.push(Task {
                            n,
                            alpha_index: ai,
                            alpha,
                            sample,
                            search: si,
                            algo: c.algo,
                            seed,
                        });
                    }
                }
            }
        }
        v
    }

    /// [`Grid::unit`] of a task of this plan.
    pub fn unit(&self, t: &Task) -> Option<usize> {
        unit(
            &self.ns,
            self.alphas.len(),
            self.samples,
            t.n,
            t.alpha_index,
            t.sample,
        )
    }

    /// Hash of what decides each task's result: architecture, labels, master seed, search configurations.
    pub fn params_hash(&self) -> String {
        let searches: Vec<Config> = self.searches.iter().map(normalised).collect();
        hash_json(&(self.k, self.activation, self.teacher, self.seed, &searches))
    }

    /// Hash of the whole sweep: the parameters and the grid.
    pub fn sweep_hash(&self) -> String {
        hash_json(&(self.params_hash(), &self.ns, &self.alphas, self.samples))
    }
}

/// The grid of a sweep, as recorded in shard lines: enough to list every task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub ns: Vec<usize>,
    pub alphas: Vec<f64>,
    pub samples: usize,
    pub algos: Vec<Algo>,
}

impl Grid {
    pub fn of(plan: &Plan) -> Grid {
        Grid {
            ns: plan.ns.clone(),
            alphas: plan.alphas.clone(),
            samples: plan.samples,
            algos: plan.searches.iter().map(|c| c.algo).collect(),
        }
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.ns.len() * self.alphas.len() * self.samples * self.algos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every task key in grid order, with its unit number (the index of its (N, α, sample) triple).
    pub fn keys(&self) -> impl Iterator<Item = (usize, TaskKey)> + '_ {
        let (na, s) = (self.alphas.len(), self.samples);
        self.ns.iter().enumerate().flat_map(move |(ni, &n)| {
            (0..na).flat_map(move |ai| {
                (0..s).flat_map(move |sample| {
                    let u = (ni * na + ai) * s + sample;
                    self.algos
                        .iter()
                        .map(move |&a| (u, (n, ai, sample, a.name())))
                })
            })
        })
    }

    /// Unit number u of (N, α index, sample), if it is in the grid: the (N, α, sample) triples numbered
    /// in grid order.
    pub fn unit(&self, n: usize, alpha_index: usize, sample: usize) -> Option<usize> {
        unit(
            &self.ns,
            self.alphas.len(),
            self.samples,
            n,
            alpha_index,
            sample,
        )
    }
}

fn unit(
    ns: &[usize],
    alphas: usize,
    samples: usize,
    n: usize,
    alpha_index: usize,
    sample: usize,
) -> Option<usize> {
    let ni = ns.iter().position(|&x| x == n)?;
    if alpha_index >= alphas || sample >= samples {
        return None;
    }
    Some((ni * alphas + alpha_index) * samples + sample)
}
