use super::args::{named, ArchArgs};
use super::solve::SearchArgs;
use densemc::names::Named;
use densemc::run::journal::Journal;
use densemc::run::mpi::{self, Mpi};
use densemc::run::output::{check_outputs, Kind, Output};
use densemc::run::plan::Plan;
use densemc::run::pool;
use densemc::run::records::TaskRecord;
use densemc::run::shard::Shard;
use densemc::solve::Algo;
use densemc::study::grid::{parse_f64_grid, parse_usize_grid};
use densemc::Result;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(clap::Args)]
pub struct Args {
    /// N values: a list (1001,2001,4001) or START:STOP:STEP
    #[arg(long = "n", value_name = "N")]
    pub n: String,
    /// α values: START:STOP:STEP, inclusive (0.5:0.8:0.02), or a list (0.5,0.6)
    #[arg(long, value_name = "ALPHA")]
    pub alpha: String,
    /// Instances (samples) per (N, α)
    #[arg(long, default_value_t = 10)]
    pub samples: usize,
    #[command(flatten)]
    pub arch: ArchArgs,
    /// Algorithms, comma-separated (rsa,sa,fbp,sbpi,cpr); all run on the same instances (the --bp-* flags
    /// apply to fbp, --online-states to sbpi and cpr, --sbpi-* to sbpi, --cpr-rate to cpr)
    #[arg(long, value_parser = named::<Algo>(), value_delimiter = ',', default_value = "rsa")]
    pub algo: Vec<Algo>,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Master seed: task (N, α, s) runs with the seed S recorded in its line
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Tasks run at once, each on one thread (the results do not depend on it) [default: all cores]
    #[arg(long)]
    pub threads: Option<usize>,
    /// Results file: one JSON line per finished task, appended; re-running the same command resumes it
    #[arg(long)]
    pub out: PathBuf,
    /// Also record the weights W (and the RSA centre's) in every line
    #[arg(long)]
    pub keep_weights: bool,
    /// With --teacher: M, the fresh patterns from the teacher each line's generalization error ε_g is
    /// measured on (beside the overlap R)
    #[arg(long, value_name = "M", default_value_t = densemc::model::teacher::TEST_PATTERNS)]
    pub test_patterns: usize,
    /// No progress bar (on a terminal) or progress lines (off one)
    #[arg(long, short)]
    pub quiet: bool,
    /// Off a terminal (a batch job's log): one progress line on stderr every SECONDS
    #[arg(long, value_name = "SECONDS", default_value_t = super::progress::DEFAULT_EVERY)]
    pub progress_every: f64,
    /// Run only shard I of N (0 ≤ I < N) of the tasks, each with its own --out file (join them with
    /// `densemc merge`); `auto`: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (docs/cluster.md)
    #[arg(long, value_name = "I/N|auto")]
    pub shard: Option<String>,
    /// Run as one rank of an MPI job (`mpirun -np R densemc sweep …`): rank 0 hands out the tasks and writes
    /// --out; implied under Open MPI's mpirun or a PMI launcher; needs a build with `--features mpi`
    /// (docs/cluster.md). --threads is then the tasks each rank runs at once [default: 1]
    #[arg(long)]
    pub mpi: bool,
}

pub fn run(a: Args) -> Result<()> {
    let activation = a.arch.activation()?;
    let wanted = mpi::wanted(a.mpi).map_err(|e| if a.mpi { e.context("--mpi") } else { e })?;
    let mpi = if wanted {
        if a.shard.is_some() {
            return Err(densemc::Error::input(
                "--shard with MPI: an MPI job runs the whole grid; give one or the other",
            ));
        }
        Some(Mpi::init()?)
    } else {
        None
    };
    let lines = super::progress::Lines::new(a.progress_every, a.quiet)?;
    let threads = a.threads.or(mpi.as_ref().map(|_| 1)).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let searches = a
        .algo
        .iter()
        .map(|&algo| a.search.for_algo(algo).config(algo, activation, 0, 1))
        .collect::<Result<Vec<_>>>()?;
    let plan = Plan {
        k: a.arch.k,
        activation,
        teacher: a.arch.teacher,
        ns: parse_usize_grid(&a.n, "--n")?,
        alphas: parse_f64_grid(&a.alpha, "--alpha")?,
        samples: a.samples,
        searches,
        seed: a.seed,
        test_patterns: a.test_patterns,
    };
    plan.validate(threads)?;
    if a.arch.teacher && a.test_patterns == 0 {
        return Err(densemc::Error::input(
            "--test-patterns 0: ε_g needs at least one fresh pattern",
        ));
    }
    if let Some(m) = mpi.as_ref().filter(|m| !m.is_master()) {
        return m.work(&plan, threads, a.keep_weights);
    }
    let shard = a.shard.as_deref().map(Shard::parse).transpose()?;
    let out = Output {
        path: &a.out,
        kind: Kind::Journal,
        flag: "--out",
    };
    if let Err(e) = check_outputs(&[out], &[]) {
        if let Some(m) = &mpi {
            m.stop_workers();
        }
        return Err(e);
    }
    let journal = Journal::open(&a.out, &plan, shard).inspect_err(|_| {
        if let Some(m) = &mpi {
            m.stop_workers(); // they wait for tasks: end the job with this error
        }
    })?;
    let tasks = journal.pending(&plan, shard);
    let total = shard.map_or(plan.len(), |s| s.tasks(&plan).len());
    let algos: Vec<&str> = a.algo.iter().map(|&x| x.name()).collect();
    let _ = writeln!(
        std::io::stderr(),
        "densemc sweep: {} K={}, {} N × {} α × {} samples × {} ({}) = {} tasks{}; {} already in {}{}; {} to run{}",
        activation,
        a.arch.k,
        plan.ns.len(),
        plan.alphas.len(),
        plan.samples,
        algos.len(),
        algos.join(","),
        plan.len(),
        shard.map_or(String::new(), |s| format!(", {total} of them in shard {s}")),
        journal.recorded,
        a.out.display(),
        if journal.torn_bytes > 0 {
            format!(" (cut a torn last line of {} bytes)", journal.torn_bytes)
        } else {
            String::new()
        },
        tasks.len(),
        if let Some(m) = &mpi {
            let r = m.size();
            let (rs, ts) = (if r == 1 { "" } else { "s" }, if threads == 1 { "" } else { "s" });
            format!(" on {r} MPI rank{rs} ({threads} task{ts} at a time each, handed out by rank 0)")
        } else if tasks.is_empty() {
            String::new()
        } else {
            let t = threads.min(tasks.len());
            format!(" on {t} thread{}", if t == 1 { "" } else { "s" })
        },
    );
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} tasks, {msg}, ETA {eta}",
        )
        .unwrap()
        .progress_chars("=> "),
    );
    bar.set_position(journal.recorded as u64);
    bar.reset_eta();
    let solved = AtomicUsize::new(journal.recorded_solved);
    let finished = AtomicUsize::new(0);
    bar.set_message(format!("{} solved", journal.recorded_solved));
    let done = |r: &TaskRecord| {
        let s = solved.fetch_add(r.solved as usize, Ordering::Relaxed) + r.solved as usize;
        finished.fetch_add(1, Ordering::Relaxed);
        bar.set_message(format!("{s} solved"));
        bar.inc(1);
    };
    let started = std::time::Instant::now();
    let line = || {
        super::progress::sweep_line(
            journal.recorded,
            finished.load(Ordering::Relaxed),
            tasks.len(),
            solved.load(Ordering::Relaxed),
            started.elapsed().as_secs_f64(),
        )
    };
    let result = super::progress::every(lines.every(), line, || match &mpi {
        Some(m) => m.serve(&plan, &journal, threads, a.keep_weights, &done),
        None => pool::run(&plan, &journal, &tasks, threads, a.keep_weights, &done),
    });
    bar.finish_and_clear();
    result?;
    outln!(
        "{} tasks in {}: {} solved ({} run now, {} already there)",
        total,
        a.out.display(),
        solved.load(Ordering::Relaxed),
        tasks.len(),
        journal.recorded
    );
    outln!(
        "re-run one task alone: densemc solve --n N --alpha A --seed S --algo ALGO{} with the same search flags (S is the line's \"seed\")",
        rerun_arch(&a.arch)
    );
    Ok(())
}

/// The architecture flags of a sweep, as `solve` takes them (empty for the perceptron with random labels).
fn rerun_arch(a: &ArchArgs) -> String {
    let mut s = String::new();
    if a.k != 1 {
        s += &format!(" --k {}", a.k);
    }
    if a.activation != densemc::model::Activation::Perceptron {
        s += &format!(" --activation {}", a.activation.name());
    }
    if a.fully_connected {
        s += " --fully-connected";
    }
    if a.teacher {
        s += " --teacher";
    }
    s
}
