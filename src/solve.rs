//! One search for a solution on one instance: builds the replicas, runs SA or RSA, re-verifies what it
//! reports with the reference evaluator, and returns the result record written as `result.json`.

use crate::bits::{Kernels, Lane};
use crate::error::{Error, Result};
use crate::instance::{Instance, Origin};
use crate::mc::rsa::{self, Centre};
use crate::mc::tracker::TrackedErrors;
use crate::mc::{sa, EnergyKind, Found, Order, Outcome, Progress, Resume, Schedule, State};
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
}

/// Everything that defines a run besides the instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub algo: Algo,
    /// y, the number of replicas (1 for SA).
    pub replicas: usize,
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
    pub visit: rsa::Visit,
}

fn is_blocks(v: &rsa::Visit) -> bool {
    *v == rsa::Visit::Blocks
}

/// The instance a result refers to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceInfo {
    pub file: Option<String>,
    pub n: usize,
    pub p: usize,
    pub k: usize,
    pub activation: crate::arch::Activation,
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
    /// Width of the integer lanes holding the fields (16, or 32 for huge N).
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

/// Runs one search. `observe` sees every sweep and may stop the run by returning false. The fields live
/// in 16-bit lanes when they fit, in 32-bit lanes otherwise (huge N); the result is the same.
pub fn solve(
    inst: &Instance,
    file: Option<String>,
    cfg: &Config,
    observe: &mut (dyn FnMut(&Progress) -> bool + Send),
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
    observe: &mut (dyn FnMut(&Progress) -> bool + Send),
) -> Result<Report> {
    if State::<i16>::fits(inst) {
        solve_with::<i16>(inst, file, cfg, resume, observe)
    } else {
        solve_with::<i32>(inst, file, cfg, resume, observe)
    }
}

fn solve_with<L: Lane>(
    inst: &Instance,
    file: Option<String>,
    cfg: &Config,
    resume: Option<&Resume>,
    observe: &mut (dyn FnMut(&Progress) -> bool + Send),
) -> Result<Report> {
    let kern = Kernels::best();
    let y = if cfg.algo == Algo::Sa {
        1
    } else {
        cfg.replicas
    };
    if y == 0 || y > 1000 {
        return Err(Error::input(format!(
            "--replicas y={y}: use 1 ≤ y ≤ 1000 (typically 3 to 7)"
        )));
    }
    if cfg.max_sweeps == 0 {
        return Err(Error::input("--max-sweeps must be at least 1"));
    }
    let mut reps = Vec::with_capacity(y);
    if let Some(r) = resume {
        if r.weights.len() != y
            || r.rngs.len() != y
            || (cfg.algo == Algo::Rsa) != r.order_rng.is_some()
        {
            return Err(Error::input(format!(
                "the checkpoint holds {} replicas but the run has y={y}: it belongs to another run",
                r.weights.len()
            )));
        }
    }
    for a in 0..y {
        let w = match resume {
            Some(r) => Weights::parse_pm(&r.weights[a], inst.n(), "checkpoint")?,
            None => Weights::random(inst.n(), &mut rng::stream(cfg.seed, "init", a as u64)),
        };
        reps.push(State::<L>::new(inst, w, cfg.energy, kern)?);
    }
    let schedule = cfg.schedule.for_n(inst.n());
    let start = Instant::now();
    let out: Outcome = match cfg.algo {
        Algo::Sa => sa::anneal(
            &mut reps[0],
            &schedule,
            cfg.max_sweeps,
            cfg.order,
            cfg.seed,
            resume,
            observe,
        ),
        Algo::Rsa => {
            let params = rsa::Params {
                centre: cfg.centre,
                max_sweeps: cfg.max_sweeps,
                order: cfg.order,
                seed: cfg.seed,
                parallel: cfg.threads > 1,
                visit: cfg.visit,
            };
            // The centre changes by a few weights per sweep: its errors are tracked incrementally.
            let tracked = std::sync::Mutex::new(TrackedErrors::<L>::new(inst, kern));
            let ce = |w: &Weights| tracked.lock().expect("centre tracker").errors(w);
            let mut run = || rsa::anneal(&mut reps, &ce, &schedule, params, resume, observe);
            if cfg.threads > 1 {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(cfg.threads)
                    .build()
                    .map_err(|e| {
                        Error::input(format!("cannot start {} threads: {e}", cfg.threads))
                    })?;
                pool.install(run)
            } else {
                run()
            }
        }
    };
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
        kernel_path: kern.path().name().to_string(),
        lane_bits: 8 * std::mem::size_of::<L>() as u32,
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
        replica: (out.found != Some(Found::Centre)).then_some(out.replica),
        replica_energies: out.energies.clone(),
        centre,
    })
}

crate::named!(Algo, "algorithm" {
    Sa => "sa": "Simulated annealing on one replica",
    Rsa => "rsa": "Replicated simulated annealing on the robust ensemble (focusing, local entropy)",
});
