//! `densemc sweep`: a grid of independent searches, (N values) × (α values) × (samples) × (algorithms), for one
//! architecture, run in parallel and appended as one JSON line per finished task to a results file that a
//! re-run resumes.
//!
//! **Seeds.** Task (N, α, s) gets the seed S = [`task_seed`]`(seed, N, α, s)`; its instance is
//! `model::generate(arch, α, S, teacher)` and its search runs with `Config::seed = S`, exactly as
//! `densemc solve --n N --alpha α --seed S` with the same search flags, which therefore reproduces it alone.
//! All algorithms of a sample share the instance (a paired comparison). S < 2⁵³, so that any JSON reader
//! holds it exactly.
//!
//! **Journal.** Lines are appended with one `write_all` of the whole line, then `sync_data`: a kill leaves at
//! most a torn last line, which the next run removes. Every line carries the hash of the grid and search
//! parameters (`sweep`); a file written by another grid or other parameters is refused.

use crate::error::{Error, Result};
use crate::fsio;
use crate::instance::pattern_count;
use crate::mc::Found;
use crate::model;
use crate::model::{Activation, Arch};
use crate::rng;
use crate::solve::{solve, Algo, Config};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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

/// The seed S of task (N, α, sample) (shared by the algorithms): a chain of `rng::derive_seed` over the
/// coordinates, so that it does not depend on the rest of the grid; truncated to 53 bits.
pub fn task_seed(seed: u64, n: usize, alpha: f64, sample: usize) -> u64 {
    let s = rng::derive_seed(seed, "sweep-n", n as u64);
    let s = rng::derive_seed(s, "sweep-alpha", alpha.to_bits());
    rng::derive_seed(s, "sweep-sample", sample as u64) >> 11
}

/// The algorithm's name as in the flags and the JSON.
pub fn algo_name(a: Algo) -> &'static str {
    match a {
        Algo::Sa => "sa",
        Algo::Rsa => "rsa",
    }
}

/// A 16-hex-digit XXH3 of a serialisable value.
pub(crate) fn hash_json<T: Serialize>(v: &T) -> String {
    let s = serde_json::to_string(v).expect("plan parameters serialise");
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(s.as_bytes()))
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
            return Err(Error::input(
                "the grid is empty: give --n and --alpha values",
            ));
        }
        if self.samples == 0 {
            return Err(Error::input("--samples must be at least 1"));
        }
        if self.searches.is_empty() {
            return Err(Error::input("give at least one algorithm (--algo rsa,sa)"));
        }
        for (i, c) in self.searches.iter().enumerate() {
            if self.searches[..i].iter().any(|d| d.algo == c.algo) {
                return Err(Error::input(format!(
                    "--algo lists {} twice",
                    algo_name(c.algo)
                )));
            }
            c.check(self.activation)?;
        }
        if threads == 0 {
            return Err(Error::input("--threads must be at least 1"));
        }
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

/// One line of the results file (JSONL): a finished task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Hash of the grid and search parameters ([`Plan::sweep_hash`]).
    pub sweep: String,
    /// Hash of the search parameters alone ([`Plan::params_hash`]).
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
    /// With `--keep-weights`: W as N '+'/'-' characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    /// With `--keep-weights`, RSA: the centre's weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre_weights: Option<String>,
    /// With `--shard`: the shard and the whole grid (for `densemc merge`); see `study::shard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<super::shard::ShardTag>,
}

impl TaskRecord {
    /// The coordinates that identify the task within its sweep.
    pub fn key(&self) -> TaskKey {
        (self.n, self.alpha_index, self.sample, algo_name(self.algo))
    }
}

/// (N, α index, sample, algorithm).
pub type TaskKey = (usize, usize, usize, &'static str);

/// The append-only results file, opened and locked for one sweep, with the tasks it already holds.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    done: HashSet<TaskKey>,
    /// Tasks already recorded, and how many of them were solved.
    pub recorded: usize,
    pub recorded_solved: usize,
    /// Bytes of a torn last line that were cut off (0 when the file ended cleanly).
    pub torn_bytes: usize,
    /// Stamped on every appended line (`sweep --shard`).
    shard: Option<super::shard::ShardTag>,
}

impl Journal {
    /// Opens (or creates) `path` for `plan`: takes an exclusive lock, cuts a torn last line, reads the
    /// recorded tasks and refuses lines of another sweep.
    pub fn open(path: &Path, plan: &Plan) -> Result<Journal> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| Error::io(path, "cannot open the results file", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::input(format!(
                    "{}: another densemc sweep is writing this file",
                    path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(path, "cannot lock the results file", e))
            }
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, "cannot read the results file", e))?;
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let torn_bytes = bytes.len() - keep;
        if torn_bytes > 0 {
            file.set_len(keep as u64)
                .and_then(|_| file.sync_data())
                .map_err(|e| Error::io(path, "cannot cut the torn last line", e))?;
        }
        let text = std::str::from_utf8(&bytes[..keep]).map_err(|_| {
            Error::at(
                path,
                None,
                "not a UTF-8 text file: is it a sweep results file?",
            )
        })?;
        let (sweep, params) = (plan.sweep_hash(), plan.params_hash());
        let mut done = HashSet::new();
        let (mut recorded, mut recorded_solved) = (0, 0);
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let r: TaskRecord = serde_json::from_str(line).map_err(|e| {
                Error::at(path, Some(i + 1), format!("not a sweep result line ({e})"))
            })?;
            if r.sweep != sweep {
                let what = if r.params != params {
                    "other search parameters (architecture, seed, algorithms or their flags)"
                } else {
                    "another grid (--n, --alpha or --samples)"
                };
                return Err(Error::at(
                    path,
                    Some(i + 1),
                    format!("written by a sweep with {what}: give the same flags to resume it, or use another --out file"),
                ));
            }
            if done.insert(r.key()) {
                recorded += 1;
                recorded_solved += r.solved as usize;
            }
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            done,
            recorded,
            recorded_solved,
            torn_bytes,
            shard: None,
        })
    }

    /// Makes every line appended from now on carry `tag` (a shard's journal).
    pub fn set_shard(&mut self, tag: Option<super::shard::ShardTag>) {
        self.shard = tag;
    }

    /// Whether the task is already in the file.
    pub fn has(&self, t: &Task) -> bool {
        self.done
            .contains(&(t.n, t.alpha_index, t.sample, algo_name(t.algo)))
    }

    /// Appends one line: a single `write_all` of the whole line, then `sync_data`. When the write fails (a
    /// full disk), the part of the line that was written is cut off again, so that a later append (space
    /// freed meanwhile) does not follow a fragment.
    pub fn append(&self, r: &TaskRecord) -> Result<()> {
        let line = match &self.shard {
            Some(tag) if r.shard.as_ref() != Some(tag) => {
                let mut r = r.clone();
                r.shard = Some(tag.clone());
                serde_json::to_string(&r)
            }
            _ => serde_json::to_string(r),
        }
        .expect("a task record serialises");
        self.append_line(line)
    }

    /// Appends `line` (one task record's JSON, without its newline), as [`Journal::append`] does: for a line
    /// made elsewhere from [`run_task`]'s record (an MPI worker's, `study::mpi`), written byte for byte.
    pub fn append_line(&self, mut line: String) -> Result<()> {
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let before = f.metadata().map(|m| m.len());
        f.write_all(line.as_bytes())
            .and_then(|_| f.flush())
            .and_then(|_| f.sync_data())
            .map_err(|e| {
                if let Ok(len) = before {
                    let _ = f.set_len(len);
                }
                Error::io(&self.path, "cannot append to the results file", e)
            })
    }
}

/// Runs one task: generates its instance and searches it single-threaded.
pub fn run_task(plan: &Plan, t: &Task, keep_weights: bool) -> Result<TaskRecord> {
    let arch = Arch::new(t.n, plan.k, plan.activation)?;
    let (inst, _) = model::generate(arch, t.alpha, t.seed, plan.teacher)?;
    let mut cfg = plan.searches[t.search].clone();
    cfg.seed = t.seed;
    cfg.threads = 1;
    let r = solve(&inst, None, &cfg, &mut |_| true)?;
    Ok(TaskRecord {
        sweep: plan.sweep_hash(),
        params: plan.params_hash(),
        densemc_version: crate::VERSION.to_string(),
        n: t.n,
        k: plan.k,
        activation: plan.activation,
        teacher: plan.teacher,
        alpha: t.alpha,
        alpha_index: t.alpha_index,
        p: inst.p(),
        sample: t.sample,
        algo: t.algo,
        seed: t.seed,
        solved: r.solved,
        found: r.found,
        energy: r.energy,
        errors: r.errors,
        centre_errors: r.centre.as_ref().map(|c| c.errors),
        sweeps: r.sweeps,
        proposals: r.proposals,
        accepted: r.accepted,
        seconds: r.seconds,
        proposals_per_second: r.proposals_per_second,
        config: cfg,
        weights: keep_weights.then(|| r.weights.clone()),
        centre_weights: if keep_weights {
            r.centre.map(|c| c.weights)
        } else {
            None
        },
        shard: None,
    })
}

/// Runs `tasks` on a pool of `threads` threads (each task single-threaded), appending each record to the
/// journal as it finishes and then calling `done` with it. Stops at the first error.
pub fn run(
    plan: &Plan,
    journal: &Journal,
    tasks: &[Task],
    threads: usize,
    keep_weights: bool,
    done: &(dyn Fn(&TaskRecord) + Sync),
) -> Result<()> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::input(format!("cannot start {threads} threads: {e}")))?;
    pool.install(|| {
        tasks.par_iter().with_max_len(1).try_for_each(|t| {
            let r = run_task(plan, t, keep_weights)?;
            journal.append(&r)?;
            done(&r);
            Ok(())
        })
    })
}

/// The tasks of `plan` not yet in the journal, in grid order.
pub fn pending(plan: &Plan, journal: &Journal) -> Vec<Task> {
    plan.tasks()
        .into_iter()
        .filter(|t| !journal.has(t))
        .collect()
}
