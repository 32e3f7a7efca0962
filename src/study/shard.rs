//! `densemc sweep --shard I/N`: one of N disjoint parts of a sweep's task grid, for job arrays.
//!
//! **Which tasks.** The *units* of a grid are its (N, α, sample) triples in grid order (N, then α, then
//! sample), numbered u = 0, 1, …; shard I of N runs the units with u mod N = I, every algorithm of each (so
//! the paired comparison of the algorithms stays within one shard). Interleaving balances the cost: shards
//! differ by at most one unit, and with N ≤ `--samples` every shard gets ⌊S/N⌋ or ⌈S/N⌉ samples of every
//! (N, α). Shard indices start at 0, as `SLURM_ARRAY_TASK_ID` does for `--array=0-(N-1)`.
//!
//! **What a shard file holds.** Its lines are ordinary sweep lines, with the same `sweep` and `params` hashes
//! as the unsharded sweep, plus a `shard` field ([`ShardTag`]): the shard's index and count and the whole
//! grid, so that `densemc merge` knows every task the union must hold.

use super::sweep::{algo_name, Journal, Plan, Task};
use crate::error::{Error, Result};
use crate::solve::Algo;
use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (0 ≤ index < count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

/// The grid of a sweep, as recorded in shard lines: enough to list every task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub ns: Vec<usize>,
    pub alphas: Vec<f64>,
    pub samples: usize,
    pub algos: Vec<Algo>,
}

/// The `shard` field of a line written by `sweep --shard`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardTag {
    pub index: usize,
    pub count: usize,
    #[serde(flatten)]
    pub grid: Grid,
}

/// The SLURM variables `--shard auto` reads.
pub const SLURM_ID: &str = "SLURM_ARRAY_TASK_ID";
pub const SLURM_COUNT: &str = "SLURM_ARRAY_TASK_COUNT";
pub const SLURM_MIN: &str = "SLURM_ARRAY_TASK_MIN";
pub const SLURM_MAX: &str = "SLURM_ARRAY_TASK_MAX";
pub const SLURM_STEP: &str = "SLURM_ARRAY_TASK_STEP";

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Checks 0 ≤ index < count.
    pub fn new(index: usize, count: usize) -> Result<Shard> {
        if count == 0 {
            return Err(Error::input(
                "--shard I/N: N, the number of shards, must be at least 1",
            ));
        }
        if index >= count {
            return Err(Error::input(format!(
                "--shard {index}/{count}: the shard index runs from 0 to {} (0-based, like SLURM_ARRAY_TASK_ID with --array=0-{})",
                count - 1,
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// `I/N`, or `auto` for the SLURM job-array variables of the process environment.
    pub fn parse(spec: &str) -> Result<Shard> {
        Self::parse_with(spec, |k| std::env::var(k).ok())
    }

    /// [`Shard::parse`] with the environment given as a lookup (for tests).
    pub fn parse_with(spec: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard> {
        let spec = spec.trim();
        if spec == "auto" {
            return Self::from_slurm(env);
        }
        let bad = || {
            Error::input(format!(
                "--shard {spec:?}: expected I/N with 0 ≤ I < N (e.g. 0/10), or auto (SLURM job arrays)"
            ))
        };
        let (i, n) = spec.split_once('/').ok_or_else(bad)?;
        let i: usize = i.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        Shard::new(i, n)
    }

    /// The shard of this SLURM array task: index (ID − MIN)/STEP of COUNT, from `SLURM_ARRAY_TASK_ID`,
    /// `_COUNT`, `_MIN` (default 0), `_STEP` (default 1) and `_MAX` (checked when set). Arrays whose ids are
    /// not one range (`--array=1,4,9`) are refused: their ids do not number the shards.
    pub fn from_slurm(env: impl Fn(&str) -> Option<String>) -> Result<Shard> {
        let get = |k: &str, default: Option<usize>| -> Result<usize> {
            match env(k) {
                Some(v) => v.trim().parse().map_err(|_| {
                    Error::input(format!(
                        "--shard auto: {k}={v:?} is not a non-negative integer"
                    ))
                }),
                None => default.ok_or_else(|| {
                    Error::input(format!(
                        "--shard auto: {k} is not set: this is not a SLURM job-array task (submit with sbatch --array=0-9), or give --shard I/N"
                    ))
                }),
            }
        };
        let id = get(SLURM_ID, None)?;
        let count = get(SLURM_COUNT, None)?;
        let min = get(SLURM_MIN, Some(0))?;
        let step = get(SLURM_STEP, Some(1))?;
        if count == 0 || step == 0 {
            return Err(Error::input(format!(
                "--shard auto: {SLURM_COUNT}={count} and {SLURM_STEP}={step} must be at least 1"
            )));
        }
        let not_a_range = |why: String| {
            Error::input(format!(
                "--shard auto: {why}; the array ids must be one range MIN-MAX[:STEP] (e.g. --array=0-9): otherwise give --shard I/N"
            ))
        };
        if let Some(max) = env(SLURM_MAX) {
            let max = get(SLURM_MAX, None).map_err(|_| {
                Error::input(format!(
                    "--shard auto: {SLURM_MAX}={max:?} is not a non-negative integer"
                ))
            })?;
            if Some(max)
                != (count - 1)
                    .checked_mul(step)
                    .and_then(|x| x.checked_add(min))
            {
                return Err(not_a_range(format!(
                    "{SLURM_COUNT}={count} ids from {SLURM_MIN}={min} in steps of {step} do not end at {SLURM_MAX}={max}"
                )));
            }
        }
        if id < min || (id - min) % step != 0 || (id - min) / step >= count {
            return Err(not_a_range(format!(
                "{SLURM_ID}={id} is not one of the {count} ids {min}, {}, … (step {step})",
                min + step
            )));
        }
        Shard::new((id - min) / step, count)
    }

    /// Whether this shard runs `t`.
    pub fn owns(&self, plan: &Plan, t: &Task) -> bool {
        unit(
            &plan.ns,
            plan.alphas.len(),
            plan.samples,
            t.n,
            t.alpha_index,
            t.sample,
        )
        .is_some_and(|u| u % self.count == self.index)
    }

    /// This shard's tasks of `plan`, in grid order.
    pub fn tasks(&self, plan: &Plan) -> Vec<Task> {
        plan.tasks()
            .into_iter()
            .filter(|t| self.owns(plan, t))
            .collect()
    }

    /// The tag its lines carry.
    pub fn tag(&self, plan: &Plan) -> ShardTag {
        ShardTag {
            index: self.index,
            count: self.count,
            grid: Grid::of(plan),
        }
    }
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

    /// Every task key (N, α index, sample, algorithm) in grid order, with its unit number.
    pub fn keys(&self) -> impl Iterator<Item = (usize, (usize, usize, usize, &'static str))> + '_ {
        let (na, s) = (self.alphas.len(), self.samples);
        self.ns.iter().enumerate().flat_map(move |(ni, &n)| {
            (0..na).flat_map(move |ai| {
                (0..s).flat_map(move |sample| {
                    let u = (ni * na + ai) * s + sample;
                    self.algos
                        .iter()
                        .map(move |&a| (u, (n, ai, sample, algo_name(a))))
                })
            })
        })
    }

    /// Unit number of a task, if it is in the grid.
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

/// Unit number u of (N, α index, sample) in a grid, if it is in it.
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

/// Opens the results file of a run of `plan` ([`Journal::open`]), for one shard of it when `shard` is
/// given: then the lines already there must be of the same shard, and the lines appended carry its tag.
pub fn open_journal(path: &std::path::Path, plan: &Plan, shard: Option<Shard>) -> Result<Journal> {
    let mut journal = Journal::open(path, plan)?;
    if let Some(s) = shard {
        let results = super::merge::read_results(path)?;
        let tags: Vec<_> = results
            .lines
            .iter()
            .map(|l| {
                (
                    l.number,
                    l.record.shard.as_ref().map(|t| (t.index, t.count)),
                )
            })
            .collect();
        check_resume(path, shard, &tags)?;
        journal.set_shard(Some(s.tag(plan)));
    }
    Ok(journal)
}

/// The tasks of `plan` (of `shard` only, when given) not yet in the journal, in grid order.
pub fn pending(plan: &Plan, journal: &Journal, shard: Option<Shard>) -> Vec<Task> {
    match shard {
        None => super::sweep::pending(plan, journal),
        Some(s) => s
            .tasks(plan)
            .into_iter()
            .filter(|t| !journal.has(t))
            .collect(),
    }
}

/// Checks that the lines already in a results file fit a run of `shard` (`None`: the unsharded sweep, which
/// accepts any lines of its sweep): a shard file is resumed by the same shard only. `tags` are the `shard`
/// fields of the file's lines, with their line numbers.
pub fn check_resume(
    path: &std::path::Path,
    shard: Option<Shard>,
    tags: &[(usize, Option<(usize, usize)>)],
) -> Result<()> {
    let Some(s) = shard else { return Ok(()) };
    for &(line, tag) in tags {
        let what = match tag {
            Some((i, n)) if (i, n) == (s.index, s.count) => continue,
            Some((i, n)) => format!("shard {i}/{n}"),
            None => "lines of an unsharded run".to_string(),
        };
        return Err(Error::at(
            path,
            Some(line),
            format!("this file holds {what}, not shard {s}: give each shard its own --out file (e.g. part-$SLURM_ARRAY_TASK_ID.jsonl)"),
        ));
    }
    Ok(())
}
