//! `densemc bench`: a fixed, versioned suite for comparing CPUs and clusters. Suite version 3
//! ([`SUITE_VERSION`]) fixes the instances (α = 0.6, seed 2024), the regimes and the settings below, so
//! that figures from different machines compare; only the time spent per measurement changes with `quick`.
//!
//! - kernel throughput of the evaluator `model::fast::errors` per dispatch path, in bits of the pattern
//!   matrix per ns;
//! - memory bandwidth: one `popcount` pass over a buffer much larger than the caches (GB/s);
//! - SA and RSA (y = 5, γ = 0.5, traced centre; RSA in both proposal orders, `blocks` and `shared`)
//!   proposals per second on the binary perceptron with the error count, *hot* (random labels and weights, β = 0.5 / 0.3 / 0.15 at N ≈ 10³ / 10⁴ / 10⁵: ≈ 30 %
//!   acceptance) and *cold* (teacher instance, start 3 % away from the teacher, burned in, β = 1.6 / 0.8 at
//!   N ≈ 10³ / 10⁴ and 0.43 (SA) / 0.36 (RSA) at N ≈ 10⁵: ≈ 1 %), the regimes of benches/peers.rs;
//! - thread scaling of RSA (y = 4, hot, N = 10001) from 1 to all threads (best of three each);
//! - time to solution: the wall time of `solve` with the RSA defaults (one thread, the default budget)
//!   on fixed instances (random labels, seeds 1–3): the perceptron at N = 10001, α = 0.65, the sign
//!   committee K = 3 at N = 9999 and the ReLU committee K = 4 at N = 10000, both at α = 0.3; `quick`
//!   runs only the perceptron, at N = 1001 ([`solve_cases`]).

use crate::bits::Lane;
use crate::bits::{Kernels, Path};
use crate::error::Result;
use crate::mc::tracker::TrackedErrors;
use crate::mc::{self, Centre, EnergyKind, Ensemble, Order, Ramp, Schedule, State, Visit};
use crate::model::{self, fast};
use crate::model::{Activation, Arch};
use crate::rng;
use crate::solve::{self, ConfigSpec};
use crate::weights::Weights;
use serde::Serialize;
use std::time::Instant;

/// Version 2: β per size for N ≈ 10⁵ (hot 0.15, cold 0.43 for SA and 0.36 for RSA) and a burn-in of the
/// cold regime (see `beta` and `burn_sweeps`); version 1 ran N = 100001 at the β of N = 10⁴, where its
/// cold regime accepted nothing. Version 2 also measures RSA in the `shared` proposal order, and counts
/// the centre's errors incrementally as `solve` does. Between the versions only the evaluator, memory and
/// hot SA figures at N ≤ 10⁴ compare. Version 3 adds the time to solution; every version-2 figure keeps
/// its meaning.
pub const SUITE_VERSION: u32 = 3;

#[derive(Clone, Debug, Serialize)]
pub struct KernelFigure {
    pub path: String,
    pub n: usize,
    pub bits_per_ns: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct McFigure {
    pub algo: String,
    pub regime: String,
    pub n: usize,
    pub threads: usize,
    pub beta: f64,
    pub acceptance: f64,
    pub proposals_per_second: f64,
}

/// Time to solution of one instance family: `solve` with the RSA defaults, one run per seed.
#[derive(Clone, Debug, Serialize)]
pub struct SolveFigure {
    /// "perceptron", "sign K=3", "relu K=4".
    pub model: String,
    pub n: usize,
    pub alpha: f64,
    /// The instance seeds (each also the run's seed).
    pub seeds: Vec<u64>,
    /// Per seed: solved, wall seconds of the run (re-verification included), sweeps run.
    pub solved: Vec<bool>,
    pub seconds: Vec<f64>,
    pub sweeps: Vec<u64>,
    /// Median wall seconds over all seeds, an unsolved run counted with its own time: a lower bound of
    /// the median time to solution unless every unsolved run took longer ([`SolveFigure::median_exact`]).
    pub median_seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub suite_version: u32,
    pub densemc_version: String,
    pub cpu: String,
    pub features: Vec<String>,
    pub kernel_path: String,
    pub quick: bool,
    pub memory_gb_per_s: f64,
    pub kernels: Vec<KernelFigure>,
    pub mc: Vec<McFigure>,
    /// RSA proposals/s with all threads ÷ with one.
    pub thread_speedup: Option<(usize, f64)>,
    /// Geometric mean of the SA and RSA proposals/s figures on one thread, in millions per second.
    pub score: f64,
    /// Time to solution with the RSA defaults.
    pub time_to_solution: Vec<SolveFigure>,
}

/// The time-to-solution instances: (activation, K, N, α) at N ≈ 10⁴; with `quick` only the perceptron
/// at N = 1001 (the committees take tens of seconds per run even there).
pub fn solve_cases(quick: bool) -> Vec<(Activation, usize, usize, f64)> {
    if quick {
        vec![(Activation::Perceptron, 1, 1001, 0.65)]
    } else {
        vec![
            (Activation::Perceptron, 1, 10001, 0.65),
            (Activation::Sign, 3, 9999, 0.3),
            (Activation::Relu, 4, 10000, 0.3),
        ]
    }
}

/// Seeds of the time-to-solution runs.
pub const SOLVE_SEEDS: [u64; 3] = [1, 2, 3];

/// `solve` with the RSA defaults (one thread) on the instance of `seed`, per seed.
fn solve_figure(act: Activation, k: usize, n: usize, alpha: f64) -> Result<SolveFigure> {
    let (mut solved, mut seconds, mut sweeps) = (Vec::new(), Vec::new(), Vec::new());
    for seed in SOLVE_SEEDS {
        let (inst, _) = model::generate(Arch::new(n, k, act)?, alpha, seed, false)?;
        let cfg = ConfigSpec {
            seed: Some(seed),
            ..ConfigSpec::default()
        }
        .resolve(act)?;
        let t = Instant::now();
        let r = solve::solve(&inst, None, &cfg, &mut |_| true)?;
        seconds.push(t.elapsed().as_secs_f64());
        solved.push(r.solved);
        sweeps.push(r.sweeps);
    }
    Ok(SolveFigure {
        model: if act == Activation::Perceptron {
            act.to_string()
        } else {
            format!("{act} K={k}")
        },
        n,
        alpha,
        seeds: SOLVE_SEEDS.to_vec(),
        solved,
        median_seconds: median(&seconds),
        seconds,
        sweeps,
    })
}

impl SolveFigure {
    /// Whether [`SolveFigure::median_seconds`] is the median time to solution itself.
    pub fn median_exact(&self) -> bool {
        self.seconds
            .iter()
            .zip(&self.solved)
            .all(|(&t, &ok)| ok || t > self.median_seconds)
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The CPU model line of /proc/cpuinfo, when there is one.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn features() -> Vec<String> {
    let mut f = Vec::new();
    #[cfg(target_arch = "x86_64")]
    for (name, on) in [
        ("popcnt", is_x86_feature_detected!("popcnt")),
        ("avx2", is_x86_feature_detected!("avx2")),
        ("bmi2", is_x86_feature_detected!("bmi2")),
        ("avx512f", is_x86_feature_detected!("avx512f")),
        ("avx512bw", is_x86_feature_detected!("avx512bw")),
        (
            "avx512vpopcntdq",
            is_x86_feature_detected!("avx512vpopcntdq"),
        ),
    ] {
        if on {
            f.push(name.to_string());
        }
    }
    f
}

/// Runs `f` repeatedly for about `secs` seconds; returns the best time of one call.
fn best_time(secs: f64, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut best = f64::INFINITY;
    loop {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
        if start.elapsed().as_secs_f64() >= secs {
            return best;
        }
    }
}

fn perceptron(n: usize, teacher: bool) -> Result<(crate::instance::Instance, Option<Weights>)> {
    model::generate(Arch::new(n, 1, Activation::Perceptron)?, 0.6, 2024, teacher)
}

/// Initial weights of a regime: random (hot) or the teacher with 3 % of its weights flipped (cold).
fn start(n: usize, teacher: &Option<Weights>, a: u64) -> Weights {
    match teacher {
        None => Weights::random(n, &mut rng::stream(2024, "bench-init", a)),
        Some(t) => {
            let mut w = t.clone();
            let mut r = rng::stream(2024, "bench-cold", a);
            for _ in 0..n * 3 / 100 {
                w.flip(rng::below(&mut r, n as u64) as usize);
            }
            w
        }
    }
}

/// The constant β of a regime at size N: hot for ≈ 30 % acceptance, cold for ≈ 1 % (after
/// [`burn_sweeps`]), the values of the peer benchmark (benches/peers.rs), which were tuned at N = 1001,
/// 10001 and 100001. Suite v1 used 0.5 / 1.6 below N = 5000 and 0.3 / 0.8 beyond, so that at N = 100001
/// its hot regime accepted 7 % and its cold one nothing.
fn beta(algo: &str, cold: bool, n: usize) -> f64 {
    let size = match n {
        0..5000 => 0,
        5000..50000 => 1,
        _ => 2,
    };
    match (cold, algo) {
        (false, _) => [0.5, 0.3, 0.15][size],
        (true, "sa") => [1.6, 0.8, 0.43][size],
        (true, _) => [1.6, 0.8, 0.36][size],
    }
}

/// Sweeps run before the timed ones (they also calibrate the sweep count). Hot: 2, as the acceptance is on
/// its plateau within a few sweeps. Cold: the state drifts away from the teacher for tens to hundreds of
/// sweeps, so it is burned in as in the peer benchmark: 1000 sweeps up to N = 20000, beyond that a budget
/// of 10⁷ proposals (N = 100001: 100 sweeps of SA, 20 of RSA with y = 5, about 10 s each).
fn burn_sweeps(cold: bool, n: usize, replicas: usize) -> u64 {
    match (cold, n) {
        (false, _) => 2,
        (true, ..=20000) => 1000,
        (true, _) => (10_000_000 / (n * replicas) as u64).max(2),
    }
}

/// Proposals per second and acceptance of SA or RSA in one regime, timed over about `secs` seconds, in
/// the lanes `solve` would use.
fn mc_figure(
    algo: &str,
    cold: bool,
    n: usize,
    threads: usize,
    y: usize,
    secs: f64,
) -> Result<McFigure> {
    let (inst, teacher) = perceptron(n, cold)?;
    if State::<i16>::fits(&inst) {
        mc_lanes::<i16>(&inst, &teacher, algo, cold, threads, y, secs)
    } else {
        mc_lanes::<i32>(&inst, &teacher, algo, cold, threads, y, secs)
    }
}

fn mc_lanes<L: Lane>(
    inst: &crate::instance::Instance,
    teacher: &Option<Weights>,
    algo: &str,
    cold: bool,
    threads: usize,
    y: usize,
    secs: f64,
) -> Result<McFigure> {
    let n = inst.n();
    let beta = beta(algo, cold, n);
    let kern = Kernels::best();
    let sched = Schedule::ramp(Ramp::Linear, (beta, beta), (0.5, 0.5), 1)?;
    let replicas = if algo == "sa" { 1 } else { y };
    let mut reps: Vec<State<L>> = Vec::new();
    for a in 0..replicas {
        reps.push(State::new(
            inst,
            start(n, teacher, a as u64),
            EnergyKind::Errors,
            kern,
        )?);
    }
    // The centre's errors as `solve` keeps them (tracked incrementally).
    let tracked = std::sync::Mutex::new(TrackedErrors::<L>::new(inst, kern));
    let ce = |w: &Weights| tracked.lock().expect("centre tracker").errors(w);
    let mut run = |sweeps: u64, seed: u64| -> (u64, u64) {
        let sa = algo == "sa";
        let params = mc::Params {
            schedule: sched.clone(),
            max_sweeps: sweeps,
            order: Order::Permutation,
            visit: if sa || algo == "rsa-shared" {
                Visit::Shared
            } else {
                Visit::Blocks
            },
            seed,
            parallel: threads > 1,
        };
        let mut ens = if sa {
            Ensemble::plain(&mut reps)
        } else {
            Ensemble::replicated(&mut reps, Centre::Traced, &ce)
        };
        let out = mc::anneal(&mut ens, &params, None, &mut |_| true).expect("a fresh run");
        (out.proposals, out.accepted)
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| {
        // Burn in, calibrate, then measure.
        let burn = burn_sweeps(cold, n, replicas);
        let t = Instant::now();
        run(burn, 1);
        let per_sweep = t.elapsed().as_secs_f64().max(1e-6) / burn as f64;
        let sweeps = ((secs / per_sweep) as u64).clamp(1, 1_000_000);
        let t = Instant::now();
        let (p, acc) = run(sweeps, 2);
        let dt = t.elapsed().as_secs_f64().max(1e-9);
        Ok(McFigure {
            algo: algo.to_string(),
            regime: if cold { "cold" } else { "hot" }.to_string(),
            n,
            threads,
            beta,
            acceptance: acc as f64 / p.max(1) as f64,
            proposals_per_second: p as f64 / dt,
        })
    })
}

/// Runs the suite; `progress` is told what is being measured.
pub fn run(quick: bool, progress: &mut dyn FnMut(&str)) -> Result<BenchReport> {
    let secs = if quick { 0.4 } else { 2.0 };
    let sizes: &[usize] = if quick {
        &[1001, 10001]
    } else {
        &[1001, 10001, 100001]
    };
    let mut kernels = Vec::new();
    for &n in sizes {
        let (inst, _) = perceptron(n, false)?;
        let w = Weights::random(n, &mut rng::stream(2024, "w", 0));
        for path in Path::available() {
            let k = Kernels::get(path).expect("available");
            progress(&format!("evaluator {path} N={n}"));
            let t = best_time(secs / 2.0, || {
                std::hint::black_box(fast::errors(&inst, &w, k));
            });
            kernels.push(KernelFigure {
                path: path.name().into(),
                n,
                bits_per_ns: (n * inst.p()) as f64 / (t * 1e9),
            });
        }
    }
    progress("memory bandwidth");
    let words = if quick { 16 << 20 } else { 64 << 20 };
    let buf = crate::bits::AlignedWords::zeroed(words);
    let t = best_time(secs, || {
        std::hint::black_box(Kernels::best().popcount(buf.as_slice()));
    });
    let memory_gb_per_s = (words * 8) as f64 / t / 1e9;
    let mut mc = Vec::new();
    for &n in sizes {
        for algo in ["sa", "rsa", "rsa-shared"] {
            for cold in [false, true] {
                progress(&format!(
                    "{algo} {} N={n}",
                    if cold { "cold" } else { "hot" }
                ));
                mc.push(mc_figure(algo, cold, n, 1, 5, secs)?);
            }
        }
    }
    let threads = rayon::current_num_threads();
    let thread_speedup = if threads > 1 {
        progress(&format!("RSA thread scaling 1 → {threads}"));
        // Best of three alternating measurements each: short runs on shared machines are noisy.
        let (mut one, mut all) = (0f64, 0f64);
        for _ in 0..3 {
            one = one.max(mc_figure("rsa", false, 10001, 1, 4, secs)?.proposals_per_second);
            all = all.max(mc_figure("rsa", false, 10001, threads, 4, secs)?.proposals_per_second);
        }
        Some((threads, all / one))
    } else {
        None
    };
    let mut time_to_solution = Vec::new();
    for (act, k, n, alpha) in solve_cases(quick) {
        progress(&format!("time to solution {act} K={k} N={n} α={alpha}"));
        time_to_solution.push(solve_figure(act, k, n, alpha)?);
    }
    let score = (mc
        .iter()
        .map(|f| (f.proposals_per_second / 1e6).ln())
        .sum::<f64>()
        / mc.len() as f64)
        .exp();
    Ok(BenchReport {
        suite_version: SUITE_VERSION,
        densemc_version: crate::VERSION.into(),
        cpu: cpu_model(),
        features: features(),
        kernel_path: Kernels::best().path().name().into(),
        quick,
        memory_gb_per_s,
        kernels,
        mc,
        thread_speedup,
        score,
        time_to_solution,
    })
}

/// The human-readable table.
pub fn table(r: &BenchReport) -> String {
    let mut s = format!(
        "densemc bench suite v{} (densemc {}{})\nCPU: {}\nfeatures: {}; kernel path: {}\nmemory bandwidth (1 thread, popcount pass): {:.1} GB/s\n\n",
        r.suite_version,
        r.densemc_version,
        if r.quick { ", quick" } else { "" },
        r.cpu,
        r.features.join(" "),
        r.kernel_path,
        r.memory_gb_per_s
    );
    s += "| evaluator | N | bits/ns |\n|---|---:|---:|\n";
    for k in &r.kernels {
        s += &format!("| {} | {} | {:.0} |\n", k.path, k.n, k.bits_per_ns);
    }
    s += "\n| algorithm | regime | N | β | acceptance | proposals/s |\n|---|---|---:|---:|---:|---:|\n";
    for m in &r.mc {
        s += &format!(
            "| {} | {} | {} | {} | {:.1} % | {:.3e} |\n",
            m.algo.to_uppercase(),
            m.regime,
            m.n,
            m.beta,
            100.0 * m.acceptance,
            m.proposals_per_second
        );
    }
    if let Some((t, x)) = r.thread_speedup {
        s += &format!("\nRSA (y = 4, hot, N = 10001) on {t} threads: {x:.2}× one thread\n");
    }
    s += &format!(
        "\nscore: {:.2} (geometric mean of the SA/RSA rates above, million proposals/s)\n",
        r.score
    );
    s += "\n| time to solution (RSA defaults, 1 thread) | N | α | solved | median s | s per seed | sweeps per seed |\n|---|---:|---:|---:|---:|---|---|\n";
    for f in &r.time_to_solution {
        let solved = f.solved.iter().filter(|&&x| x).count();
        s += &format!(
            "| {} | {} | {} | {solved}/{} | {}{:.1} | {} | {} |\n",
            f.model,
            f.n,
            f.alpha,
            f.seeds.len(),
            if f.median_exact() { "" } else { "≥ " },
            f.median_seconds,
            f.seconds
                .iter()
                .zip(&f.solved)
                .map(|(t, &ok)| format!("{t:.1}{}", if ok { "" } else { " (unsolved)" }))
                .collect::<Vec<_>>()
                .join(", "),
            f.sweeps
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}
