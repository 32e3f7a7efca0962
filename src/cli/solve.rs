use super::args::{named, InstanceArgs};
use densemc::mc::{Centre, Dynamics, EnergyKind, Order, Progress, Ramp, Schedule, Visit};
use densemc::model::Activation;
use densemc::run::checkpoint::Checkpoint;
use densemc::run::output::{self, Kind, Output, SweepLog};
use densemc::solve::{solve_from, Algo, BpForm, Config, ConfigSpec, InstanceInfo};
use densemc::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Defaults, tuned on the perceptron and both committees (see docs/algorithms.md).
pub const DEFAULT_REPLICAS: usize = densemc::solve::defaults::REPLICAS;

/// Exit code after a checkpoint requested by SIGTERM/SIGUSR1 (EX_TEMPFAIL: run again with --resume).
pub const EXIT_CHECKPOINTED: i32 = 75;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub instance: InstanceArgs,
    /// Master seed: the inline instance, the initial weights and the moves all derive from it
    #[arg(long, default_value_t = densemc::solve::defaults::SEED)]
    pub seed: u64,
    /// Algorithm: rsa (replicated, focusing: finds dense solutions), sa (plain simulated annealing), fbp
    /// (focusing belief propagation, see --bp-form), sbpi or cpr (online learners with hidden states, see
    /// --online-states, --sbpi-*, --cpr-rate)
    #[arg(long, value_parser = named::<Algo>(), default_value_t = Algo::Rsa)]
    pub algo: Algo,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Threads for the RSA replicas (the result is the same for any value)
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Write the result record (JSON) here, atomically
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write a per-sweep CSV (the trace): sweep, β, γ, each replica's E, the centre's E, mean overlap q
    #[arg(long, alias = "trace")]
    pub log: Option<PathBuf>,
    /// Run all --max-sweeps sweeps without stopping at a solution (equilibrium sampling; with --log)
    #[arg(long)]
    pub no_stop: bool,
    /// No progress bar (on a terminal) or progress lines (off one)
    #[arg(long, short)]
    pub quiet: bool,
    /// Off a terminal (a batch job's log): one progress line on stderr every SECONDS
    #[arg(long, value_name = "SECONDS", default_value_t = super::progress::DEFAULT_EVERY)]
    pub progress_every: f64,
    /// Teacher–student instances: M, the fresh patterns from the teacher the generalization error ε_g is
    /// measured on (beside the overlap R), for the weights, the centre and each replica
    #[arg(long, value_name = "M", default_value_t = densemc::model::teacher::TEST_PATTERNS)]
    pub test_patterns: usize,
    /// Keep a checkpoint of the run here (atomically replaced); SIGTERM or SIGUSR1 then write it and exit
    /// with code 75, and `--resume FILE` continues the run bit-identically
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Seconds between periodic checkpoints (with --checkpoint)
    #[arg(long, value_name = "SECONDS", default_value_t = 600.0)]
    pub checkpoint_every: f64,
    /// Continue the run saved in this checkpoint (its instance and settings; keeps checkpointing to the
    /// same file unless --checkpoint says otherwise). Only --max-sweeps, --checkpoint-every, --threads,
    /// the outputs and --instance PATH (the same instance, checked by its checksum, at another path) may
    /// be given with it
    #[arg(long, value_name = "FILE", conflicts_with_all = ["n", "alpha"])]
    pub resume: Option<PathBuf>,
}

/// Checks the output paths before the run ([`output::check_outputs`]); `instance` is the instance file read.
fn check_paths(a: &Args, instance: Option<&str>) -> Result<()> {
    let mut outs = Vec::new();
    if let Some(p) = &a.out {
        outs.push(Output {
            path: p,
            kind: Kind::Result,
            flag: "--out",
        });
    }
    if let Some(p) = &a.log {
        outs.push(Output {
            path: p,
            kind: Kind::Log,
            flag: "--log",
        });
    }
    // Checkpointing to the file resumed from is the normal case.
    let resume = a.resume.as_deref();
    if let Some(p) = a.checkpoint.as_deref().or(resume) {
        let same = resume.is_some_and(|r| same_file(r, p));
        if !same {
            outs.push(Output {
                path: p,
                kind: Kind::Checkpoint,
                flag: "--checkpoint",
            });
        }
    }
    let mut inputs = Vec::new();
    if let Some(f) = instance {
        inputs.push(("--instance", Path::new(f)));
    }
    if let Some(p) = &a.search.schedule {
        inputs.push(("--schedule", p.as_path()));
    }
    if let Some(p) = resume {
        inputs.push(("--resume", p));
    }
    output::check_outputs(&outs, &inputs)
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => (x.dev(), x.ino()) == (y.dev(), y.ino()),
        _ => a == b,
    }
}

/// How the ramp's β values depend on N.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BetaScaling {
    /// β·√(1000/N)
    Sqrt,
    /// β as given
    None,
}

/// The search flags shared by `solve` and `sweep` (everything in the `Config` but the algorithm, the seed and
/// the threads), with the same defaults.
#[derive(clap::Args, Clone, Debug)]
pub struct SearchArgs {
    /// y, the number of replicas of RSA
    #[arg(long = "replicas", short = 'y', value_name = "Y", default_value_t = DEFAULT_REPLICAS)]
    pub replicas: usize,
    /// RSA coupling: traced (centre summed out) or explicit (centre spins W̃)
    #[arg(long, value_parser = named::<Centre>(), default_value_t = Centre::Traced)]
    pub centre: Centre,
    /// RSA proposal order: blocks (each replica on its own block of sites per phase; replicas spread over
    /// --threads) or shared (all replicas at the same site in turn, each column read once for all y; one
    /// thread, fastest when the instance exceeds the caches, N ≳ 10⁵)
    #[arg(long, value_parser = named::<Visit>(), default_value_t = Visit::Blocks)]
    pub visit: Visit,
    /// β₀, inverse temperature at the start, for N = 1000 (see --beta-scaling) [default: 0.5 with the linear
    /// energy, 1 with errors]
    #[arg(long)]
    pub beta0: Option<f64>,
    /// β₁, inverse temperature at the end of the ramp, for N = 1000 (see --beta-scaling)
    #[arg(long, default_value_t = densemc::solve::defaults::BETA1)]
    pub beta1: f64,
    /// sqrt: the ramp's β₀, β₁ are for N = 1000 and a run on N weights uses β·√(1000/N), since ΔE of one flip
    /// grows like √N; none: use β₀, β₁ as given
    #[arg(long, value_enum, default_value_t = BetaScaling::Sqrt)]
    pub beta_scaling: BetaScaling,
    /// γ₀, replica coupling at the start (RSA)
    #[arg(long, default_value_t = densemc::solve::defaults::GAMMA0)]
    pub gamma0: f64,
    /// γ₁, replica coupling at the end of the ramp (RSA)
    #[arg(long, default_value_t = densemc::solve::defaults::GAMMA1)]
    pub gamma1: f64,
    /// Shape of the β and γ ramps
    #[arg(long, value_parser = named::<Ramp>(), default_value_t = Ramp::Geometric)]
    pub ramp: Ramp,
    /// T, sweeps over which β and γ ramp up (then they stay at β₁, γ₁) [default: --max-sweeps]
    #[arg(long)]
    pub ramp_sweeps: Option<u64>,
    /// Schedule file with one `sweep beta gamma` row per step (replaces the ramp flags)
    #[arg(long, conflicts_with_all = ["beta0", "ramp_sweeps"])]
    pub schedule: Option<PathBuf>,
    /// Stop after this many sweeps (a sweep is N proposals per replica)
    #[arg(long, default_value_t = densemc::solve::defaults::MAX_SWEEPS)]
    pub max_sweeps: u64,
    /// Site order within a sweep: random, permutation, blocked (cache-friendly for N ≳ 10⁵) [default:
    /// permutation; random with --dynamics rejection-free or auto]
    #[arg(long, value_parser = named::<Order>())]
    pub order: Option<Order>,
    /// metropolis (every proposal drawn), rejection-free (the chain of --order random, drawn one accepted
    /// move at a time with the rejections it stands for: for the cold end, acceptance ≲ 0.25/N) or auto
    /// (the same chain, each sweep rejection-free when the sweep before was below that break-even)
    #[arg(long, value_parser = named::<Dynamics>(), default_value_t = Dynamics::Metropolis)]
    pub dynamics: Dynamics,
    /// E(W): errors (misclassified patterns) or linear (perceptron only: Σ of the weight flips each violated
    /// pattern needs) [default: linear for the perceptron, errors for committees]
    #[arg(long, value_parser = named::<EnergyKind>())]
    pub energy: Option<EnergyKind>,
    /// fbp: bp (full BP, 8·N·P bytes of messages) or amp (relaxed form, O(N + P) memory; perceptron only)
    /// [default: bp]
    #[arg(long, value_parser = named::<BpForm>())]
    pub bp_form: Option<BpForm>,
    /// fbp: the pseudo-reinforcement step δ (ρ = 0, δ, 2δ, … < 1) [default: 0.01]
    #[arg(long)]
    pub bp_step: Option<f64>,
    /// fbp: damping of the messages, in [0, 1) [default: 0.5]
    #[arg(long)]
    pub bp_damping: Option<f64>,
    /// fbp: a protocol step ends when no magnetisation moves by more than this in a sweep [default: 0.001]
    #[arg(long)]
    pub bp_epsilon: Option<f64>,
    /// fbp: at most this many sweeps per protocol step [default: 20]
    #[arg(long)]
    pub bp_max_iters: Option<usize>,
    /// sbpi, cpr: K_h, the hidden states per weight (even; h_i odd, |h_i| ≤ K_h − 1, W_i = sign h_i); the
    /// budget --max-sweeps counts epochs of P presentations [default: sbpi the even number nearest 3.16·√n, n = N/K the fan-in (100 at N = 1001);
    /// cpr 1000]
    #[arg(long)]
    pub online_states: Option<u32>,
    /// sbpi: θ_m, a correct pattern with stability Δ ≤ θ_m is barely correct [default: 1]
    #[arg(long)]
    pub sbpi_theta: Option<u32>,
    /// sbpi: p_s, the probability of the metaplastic step on a barely correct pattern [default: 0.3]
    #[arg(long)]
    pub sbpi_p_s: Option<f64>,
    /// cpr: r, the reinforcement rate: every weight gets h_i += 2 sign(h_i), with probability
    /// p_r = r·√(2/(πn)) per presentation (n the fan-in; the paper's bound is r < 1) [default: 0.05]
    #[arg(long)]
    pub cpr_rate: Option<f64>,
}

impl SearchArgs {
    /// These flags without those of the other algorithms (the --bp-* ones unless `algo` is fbp, and so on):
    /// a sweep over several algorithms.
    pub fn for_algo(&self, algo: Algo) -> SearchArgs {
        let mut a = self.clone();
        if algo != Algo::Fbp {
            (a.bp_form, a.bp_step, a.bp_damping) = (None, None, None);
            (a.bp_epsilon, a.bp_max_iters) = (None, None);
        }
        if !matches!(algo, Algo::Sbpi | Algo::Cpr) {
            a.online_states = None;
        }
        if algo != Algo::Sbpi {
            (a.sbpi_theta, a.sbpi_p_s) = (None, None);
        }
        if algo != Algo::Cpr {
            a.cpr_rate = None;
        }
        a
    }

    /// The run configuration for `algo` on instances with this activation: the energy defaults to linear
    /// for the perceptron and errors for committees, β₀ to 0.5 (linear) or 1 (errors), T to --max-sweeps.
    pub fn config(
        &self,
        algo: Algo,
        activation: Activation,
        seed: u64,
        threads: usize,
    ) -> Result<Config> {
        // A schedule file replaces the ramp flags (their clap defaults are then not passed on).
        let table = self.schedule.as_deref().map(Schedule::read).transpose()?;
        let ramp = table.is_none();
        if let Some(b0) = self.beta0.filter(|&b0| ramp && self.beta1 < b0) {
            let _ = writeln!(
                std::io::stderr(),
                "densemc: warning: --beta1 {} is below --beta0 {b0}: the ramp heats up instead of cooling",
                self.beta1
            );
        }
        ConfigSpec {
            algo: Some(algo),
            replicas: Some(self.replicas),
            centre: Some(self.centre),
            visit: Some(self.visit),
            schedule: table,
            beta0: self.beta0,
            beta1: ramp.then_some(self.beta1),
            gamma0: ramp.then_some(self.gamma0),
            gamma1: ramp.then_some(self.gamma1),
            ramp: ramp.then_some(self.ramp),
            ramp_sweeps: self.ramp_sweeps,
            scale_beta: ramp.then_some(self.beta_scaling == BetaScaling::Sqrt),
            max_sweeps: Some(self.max_sweeps),
            order: self.order,
            energy: self.energy,
            seed: Some(seed),
            threads: Some(threads),
            dynamics: Some(self.dynamics),
            no_stop: None,
            bp_form: self.bp_form,
            bp_step: self.bp_step,
            bp_damping: self.bp_damping,
            bp_epsilon: self.bp_epsilon,
            bp_max_iters: self.bp_max_iters,
            online_states: self.online_states,
            sbpi_theta: self.sbpi_theta,
            sbpi_p_s: self.sbpi_p_s,
            cpr_rate: self.cpr_rate,
        }
        .resolve(activation)
        .map_err(bp_flags)
    }
}

/// A library error with the focusing-BP and online-learner parameter names given as the flags that set them.
pub fn bp_flags(e: Error) -> Error {
    let Error::Input(m) = e else { return e };
    let m = m.replace("bp_form", "--bp-form");
    for (param, flag) in [
        ("step (", "--bp-step ("),
        ("damping (", "--bp-damping ("),
        ("epsilon (", "--bp-epsilon ("),
        ("max_iters (", "--bp-max-iters ("),
        ("states (", "--online-states ("),
        ("theta (", "--sbpi-theta ("),
        ("p_s (", "--sbpi-p-s ("),
        ("rate (", "--cpr-rate ("),
    ] {
        if let Some(rest) = m.strip_prefix(param) {
            return Error::Input(format!("{flag}{rest}"));
        }
    }
    Error::Input(m)
}

/// The flags `--resume` takes besides the outputs: they do not change the run (or change only its budget).
const RESUME_APPLIES: [&str; 4] = ["max_sweeps", "checkpoint_every", "threads", "instance"];
const OUTPUTS: [&str; 7] = [
    "resume",
    "out",
    "log",
    "checkpoint",
    "quiet",
    "progress_every",
    "test_patterns",
];

/// The checkpoint and its configuration with the flags `given` on the command line applied (those of
/// [`RESUME_APPLIES`]); any other flag would change the run and is refused.
fn resumed_config(a: &Args, c: &Checkpoint, given: &[String]) -> Result<Config> {
    let refused: Vec<String> = given
        .iter()
        .filter(|g| !RESUME_APPLIES.contains(&g.as_str()) && !OUTPUTS.contains(&g.as_str()))
        .map(|g| format!("--{}", g.replace('_', "-")))
        .collect();
    if !refused.is_empty() {
        return Err(Error::input(format!(
            "--resume continues the checkpoint's run with its settings: {} would change it (only --max-sweeps, --checkpoint-every, --threads, --instance PATH and the outputs may be given)",
            refused.join(", ")
        )));
    }
    let mut cfg = Config {
        threads: a.threads,
        ..c.config.clone()
    };
    let mut applied = Vec::new();
    if given.iter().any(|g| g == "max_sweeps") {
        if a.search.max_sweeps < c.resume.sweeps {
            return Err(Error::input(format!(
                "--max-sweeps {}: the checkpoint is already past sweep {}",
                a.search.max_sweeps, c.resume.sweeps
            )));
        }
        cfg.max_sweeps = a.search.max_sweeps;
        applied.push(format!(
            "--max-sweeps {} (was {})",
            cfg.max_sweeps, c.config.max_sweeps
        ));
    }
    for (flag, v) in [
        ("checkpoint_every", format!("{} s", a.checkpoint_every)),
        ("threads", a.threads.to_string()),
    ] {
        if given.iter().any(|g| g == flag) {
            applied.push(format!("--{} {v}", flag.replace('_', "-")));
        }
    }
    if let Some(p) = &a.instance.instance {
        applied.push(format!("--instance {} (same checksum)", p.display()));
    }
    let _ = writeln!(
        std::io::stderr(),
        "densemc solve: resuming after sweep {} of {}{}",
        c.resume.sweeps,
        cfg.max_sweeps,
        if applied.is_empty() {
            String::new()
        } else {
            format!("; applied {}", applied.join(", "))
        }
    );
    Ok(cfg)
}

pub fn run(a: Args, given: &[String]) -> Result<()> {
    let mut lines = super::progress::Lines::new(a.progress_every, a.quiet)?;
    let resumed = match &a.resume {
        Some(p) => Some(Checkpoint::read(p)?),
        None => None,
    };
    let (inst, file) = match &resumed {
        Some(c) => c.load_instance(a.instance.instance.as_deref())?,
        None => a.instance.load(a.seed)?,
    };
    let cfg = match &resumed {
        Some(c) => resumed_config(&a, c, given)?,
        None => Config {
            no_stop: a.no_stop,
            ..a.search
                .config(a.algo, inst.activation(), a.seed, a.threads)?
        },
    };
    if given.iter().any(|g| g == "checkpoint_every") && a.checkpoint.is_none() && a.resume.is_none()
    {
        return Err(Error::input(
            "--checkpoint-every needs --checkpoint FILE (or --resume FILE)",
        ));
    }
    let sa = cfg.algo == Algo::Sa;
    if matches!(cfg.algo, Algo::Fbp | Algo::Sbpi | Algo::Cpr) {
        for (on, flag) in [
            (a.log.is_some(), "--log"),
            (a.checkpoint.is_some(), "--checkpoint"),
            (a.no_stop, "--no-stop"),
        ] {
            if on {
                return Err(Error::input(format!(
                    "{flag}: {} has no per-sweep trace, checkpoints or equilibrium sampling",
                    cfg.algo
                )));
            }
        }
    }
    if a.checkpoint.is_some() && a.instance.labels.is_some() {
        return Err(Error::input(
            "--checkpoint with --labels: a checkpoint keeps one instance file; put ξ and σ in one .npz (arrays xi, sigma) to checkpoint the run",
        ));
    }
    if a.test_patterns == 0 {
        return Err(Error::input(
            "--test-patterns 0: ε_g needs at least one fresh pattern",
        ));
    }
    let ckpt_path = a.checkpoint.clone().or_else(|| a.resume.clone());
    let stop_flag = Arc::new(AtomicBool::new(false));
    if ckpt_path.is_some() {
        for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGUSR1] {
            signal_hook::flag::register(sig, Arc::clone(&stop_flag))
                .map_err(|e| Error::input(format!("cannot install the signal handler: {e}")))?;
        }
    }
    if a.checkpoint_every.is_nan() || a.checkpoint_every <= 0.0 {
        return Err(Error::input(
            "--checkpoint-every must be a positive number of seconds",
        ));
    }
    let _ = writeln!(
        std::io::stderr(),
        "densemc solve: {} P={} α={:.4}, {}, {} in memory",
        inst.arch(),
        inst.p(),
        inst.alpha(),
        match (cfg.algo, &cfg.fbp) {
            (Algo::Sa, _) => "SA".to_string(),
            (_, Some(f)) => format!("focusing BP ({} form)", f.form),
            (Algo::Sbpi | Algo::Cpr, _) => cfg.algo.to_string(),
            _ => format!("RSA with y={}", cfg.replicas),
        },
        densemc::fsio::human_bytes(cfg.memory_bytes(inst.n(), inst.p(), inst.k())),
    );
    check_paths(&a, file.as_deref())?;
    // A resumed run keeps its log up to the checkpoint's sweep; a new run starts one.
    let resumed_at = resumed.as_ref().map(|c| c.resume.sweeps);
    let mut log = match &a.log {
        Some(p) => Some(SweepLog::open(p, cfg.replicas, resumed_at)?),
        None => None,
    };
    let info = InstanceInfo::of(&inst, file.clone());
    let mut last_ckpt = std::time::Instant::now();
    let mut checkpointed_stop: Option<u64> = None;
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(cfg.max_sweeps)
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} sweeps {msg}")
            .unwrap()
            .progress_chars("=> "),
    );
    let first_sweep = resumed_at.unwrap_or(0);
    let started = std::time::Instant::now();
    let mut log_err: Option<Error> = None;
    let mut observe = |p: &Progress| -> bool {
        bar.set_position(p.sweep);
        // The row first: a checkpoint after sweep s comes with a log holding the rows up to s.
        if let Some(l) = log.as_mut() {
            if let Err(e) = l.row(p) {
                log_err = Some(e);
                return false;
            }
        }
        if let Some(path) = &ckpt_path {
            let stop = stop_flag.load(Ordering::Relaxed);
            if stop || last_ckpt.elapsed().as_secs_f64() >= a.checkpoint_every {
                if let Some(Err(e)) = log.as_mut().map(|l| l.flush()) {
                    log_err = Some(e);
                    return false;
                }
                let c = Checkpoint::new(info.clone(), cfg.clone(), (p.resume)());
                if let Err(e) = c.write(path) {
                    log_err = Some(e);
                    return false;
                }
                last_ckpt = std::time::Instant::now();
                if stop {
                    checkpointed_stop = Some(p.sweep);
                    return false;
                }
            }
        }
        if lines.due() {
            super::progress::print(&super::progress::solve_line(
                p,
                cfg.max_sweeps,
                p.sweep - first_sweep,
                started.elapsed().as_secs_f64(),
            ));
        }
        let best = p.energies.iter().min().copied().unwrap_or(0);
        let rate = p.proposals as f64 / started.elapsed().as_secs_f64().max(1e-9);
        let centre = p
            .centre_energy
            .map_or(String::new(), |c| format!(" E_centre={c}"));
        bar.set_message(format!(
            "β={:.3} γ={:.3} E_best={best}{centre} {:.2e} proposals/s",
            p.beta, p.gamma, rate
        ));
        true
    };
    let resume = resumed.as_ref().map(|c| &c.resume);
    let report = solve_from(&inst, file, &cfg, resume, &mut observe).map_err(bp_flags)?;
    bar.finish_and_clear();
    if let Some(l) = log {
        l.finish()?;
    }
    if let Some(e) = log_err {
        return Err(e);
    }
    if let (Some(sweep), Some(path)) = (checkpointed_stop, &ckpt_path) {
        let _ = writeln!(
            std::io::stderr(),
            "densemc solve: stopped by a signal after sweep {sweep}; checkpoint in {}: continue with `densemc solve --resume {}`",
            path.display(),
            path.display()
        );
        std::process::exit(EXIT_CHECKPOINTED);
    }
    let generalization = densemc::run::records::generalization(&inst, &report, a.test_patterns)?;
    if let Some(p) = &a.out {
        output::write_json_or_rescue(
            p,
            &Written {
                report: &report,
                generalization: generalization.as_ref(),
            },
        )?;
    }
    let by = match report.found {
        Some(densemc::mc::Found::Centre) => "the centre".to_string(),
        Some(densemc::mc::Found::Replica(r)) if !sa => format!("replica {r}"),
        None if cfg.algo == Algo::Fbp => "focusing BP".to_string(),
        None if matches!(cfg.algo, Algo::Sbpi | Algo::Cpr) => cfg.algo.to_string(),
        _ => "SA".to_string(),
    };
    if cfg.algo == Algo::Fbp {
        outln!(
            "{} by focusing BP after {} BP sweeps ({:.2} s): {} errors",
            if report.solved {
                "solved"
            } else {
                "not solved"
            },
            report.sweeps,
            report.seconds,
            report.errors
        );
    } else if matches!(cfg.algo, Algo::Sbpi | Algo::Cpr) {
        outln!(
            "{} by {by} after {} epochs ({} presentations, {} learning steps, {:.2} s): {} errors",
            if report.solved {
                "solved"
            } else {
                "not solved"
            },
            report.sweeps,
            report.proposals,
            report.accepted,
            report.seconds,
            report.errors
        );
    } else if report.solved {
        outln!(
            "solved by {by} after {} sweeps ({:.2} s, {:.3e} proposals/s)",
            report.sweeps,
            report.seconds,
            report.proposals_per_second
        );
    } else {
        outln!(
            "not solved in {} sweeps ({:.2} s): best E={} ({} errors), centre errors {}",
            report.sweeps,
            report.seconds,
            report.energy,
            report.errors,
            report
                .centre
                .as_ref()
                .map_or("-".to_string(), |c| c.errors.to_string())
        );
    }
    if let Some(g) = &generalization {
        outln!(
            "teacher: R = {:.4}, ε_g = {:.4} on {} fresh patterns{}",
            g.overlap,
            g.error,
            g.test_patterns,
            match (g.centre_overlap, g.centre_error) {
                (Some(r), Some(e)) => format!("; centre R = {r:.4}, ε_g = {e:.4}"),
                _ => String::new(),
            }
        );
    }
    Ok(())
}

/// The result record as written: the solver's report and, for a teacher–student instance, how its
/// weights generalize.
#[derive(serde::Serialize)]
struct Written<'r> {
    #[serde(flatten)]
    report: &'r densemc::solve::Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    generalization: Option<&'r densemc::model::teacher::Generalization>,
}
