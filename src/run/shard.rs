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

use super::plan::{Grid, Plan, Task};
use super::records::ShardTag;
use crate::error::{Error, Result};

/// Shard `index` of `count` (0 ≤ index < count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
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
                "shard I/N: N, the number of shards, must be at least 1",
            ));
        }
        if index >= count {
            return Err(Error::input(format!(
                "shard {index}/{count}: the shard index runs from 0 to {} (0-based, like SLURM_ARRAY_TASK_ID with --array=0-{})",
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
                "shard {spec:?}: expected I/N with 0 ≤ I < N (e.g. 0/10), or auto (SLURM job arrays)"
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
                        "shard auto: {k}={v:?} is not a non-negative integer"
                    ))
                }),
                None => default.ok_or_else(|| {
                    Error::input(format!(
                        "shard auto: {k} is not set: this is not a SLURM job-array task (submit with sbatch --array=0-9), or give the shard as I/N"
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
                "shard auto: {SLURM_COUNT}={count} and {SLURM_STEP}={step} must be at least 1"
            )));
        }
        let not_a_range = |why: String| {
            Error::input(format!(
                "shard auto: {why}; the array ids must be one range MIN-MAX[:STEP] (e.g. --array=0-9): otherwise give the shard as I/N"
            ))
        };
        if let Some(max) = env(SLURM_MAX) {
            let max = get(SLURM_MAX, None).map_err(|_| {
                Error::input(format!(
                    "shard auto: {SLURM_MAX}={max:?} is not a non-negative integer"
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
        plan.unit(t).is_some_and(|u| u % self.count == self.index)
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
            format!("this file holds {what}, not shard {s}: give each shard its own results file (e.g. part-$SLURM_ARRAY_TASK_ID.jsonl)"),
        ));
    }
    Ok(())
}
