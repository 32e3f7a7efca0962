//! The local executor: one task run alone ([`run_task`], also what every MPI rank runs), and a pool of
//! threads running many, each single-threaded, appending each record to the journal as it finishes.

use super::journal::Journal;
use super::plan::{Plan, Task};
use super::records::{generalization, TaskRecord};
use crate::error::{Error, Result};
use crate::model;
use crate::model::Arch;
use crate::solve::{solve, Observer};
use rayon::prelude::*;

/// Runs one task: generates its instance and searches it single-threaded.
pub fn run_task(plan: &Plan, t: &Task, keep_weights: bool) -> Result<TaskRecord> {
    run_task_observed(plan, t, keep_weights, &mut |_| true)
}

/// [`run_task`] with an observer of the search's sweeps, which may stop it (the Python binding's Ctrl-C).
pub fn run_task_observed(
    plan: &Plan,
    t: &Task,
    keep_weights: bool,
    observe: Observer<'_>,
) -> Result<TaskRecord> {
    let arch = Arch::new(t.n, plan.k, plan.activation)?;
    let (inst, _) = model::generate(arch, t.alpha, t.seed, plan.teacher)?;
    let mut cfg = plan.searches[t.search].clone();
    cfg.seed = t.seed;
    cfg.threads = 1;
    let r = solve(&inst, None, &cfg, observe)?;
    let generalization = generalization(&inst, &r, plan.test_patterns)?;
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
        generalization,
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
