//! densemc against two reference implementations ("peers") of SA and RSA for the binary perceptron with
//! the error-count energy, in proposals per second on one thread. Run with `cargo bench --bench peers`
//! (or `scripts/bench-peers.sh`, which saves the table); it prints a Markdown table and a detail table.
//!
//! The peers (benches/peers/):
//! - `plain.rs`, *straightforward*: ±1 `i8` patterns (column-major), `i32` stabilities, ΔE by a loop over
//!   all P patterns, O(P) update on acceptance;
//! - `marginal.rs`, *marginal sets* (RRRMC.jl's `GraphPercStep`), written as a careful researcher's C
//!   would be: bit columns, `i32` stabilities, `u32` index sets of the patterns at Δ = ±1 (O(1) insert and
//!   delete), ΔE by scalar bit reads over those sets, a vectorised O(P) update on acceptance, no allocation
//!   in the loop;
//! - `driver.rs`: the SA and RSA loops both peers share, making exactly densemc's random decisions.
//!
//! densemc is driven through the library: `mc::State` replicas (`EnergyKind::Errors`, `Kernels::best()`,
//! the runtime-dispatched kernels of the shipped binary) and `mc::anneal` on the plain / replicated `Ensemble`
//! (`Centre::Traced`, `parallel: false`), `Order::Permutation`. RSA is measured in both proposal orders,
//! `Visit::Blocks` (rows "RSA y=5") and `Visit::Shared` (rows "RSA y=5 shared"); the peers' driver has
//! both orders too, so that each row still compares identical trajectories.
//!
//! **Correctness first.** Before timing, [`check`] runs every case briefly (the sizes measured, N = 1001
//! and 10001 by default, plus an easy instance where the runs stop at a solution) through densemc and both
//! peers and asserts identical sweeps, proposals, accepted counts, final weights of every replica,
//! energies and (RSA) centre, and that every incremental state matches a recomputation. A difference
//! aborts the benchmark: the rates below compare identical trajectories. Beyond N = 20000 the check runs
//! one sweep, against the marginal-set peer only, and leaves out densemc's `verify` (it recounts with the
//! plain reference evaluator, a minute per replica at N = 10⁵): there densemc's final weights and energies
//! are compared with the peer's, whose state is recomputed from scratch (about 40 s at N = 100001).
//!
//! Regimes (α = 0.6, constant β from `beta()`, RSA with y = 5 and constant γ = 0.5):
//! - *hot*: random labels, random initial weights (stream ("init", a)), β low enough that 20–40 % of the
//!   proposals are accepted;
//! - *cold*: a teacher instance, starting from the teacher with each weight flipped with probability 3 %
//!   (stream ("cold-init", a)), β high enough that ≈ 1 % of the proposals are accepted. (With the error
//!   count the teacher is not stable at such β: the state drifts to E ≈ 10–35 % of P, so the runs never
//!   stop at a solution; the benchmark asserts that every timed run does all its sweeps.)
//!
//! Every run's RSA centre check (errors of the majority vote, once per sweep) is the same callback for
//! all three: `mc::tracker::TrackedErrors`, as densemc's `solve` uses it, built on the initial centre
//! before the clock starts.
//!
//! Each measurement times the same trajectory in every implementation ([`measure`]): the sweep count is
//! calibrated so that the slowest takes about `PEERS_SECONDS` (default 1.5) seconds of CPU time, and the
//! faster ones repeat that run from the same start to fill about as long (the detail table's sweeps and
//! proposals are totals over the repeats). So acceptances match exactly. Each measurement is repeated
//! `PEERS_REPS` (default 3) times on freshly built states, the implementations interleaved; the median
//! thread CPU time is reported (wall time too, in the detail table). Only `anneal` (or the peer's
//! loop) is timed, not building the states. Before the timed runs each case is burned in with densemc on
//! its own seed ([`burn_sweeps`]: 1000 sweeps up to N = 20000), so that runs of different lengths see the
//! same stationary acceptance.
//!
//! N = 100001 (`PEERS_N=100001`, about 4 minutes): densemc runs in 32-bit lanes there (as `solve` does
//! beyond N = 32767), and the straightforward peer is left out (its `i8` pattern matrix would take
//! N·P ≈ 6 GB; `PEERS_IMPL=straightforward` forces it). The instance takes 0.75 GB and the marginal-set
//! peer's shared columns as much again (peak resident memory ≈ 1.5 GB). The burn-in is 100 sweeps (SA) or
//! 20 (RSA), ≈ 10–25 s each: enough for the hot regime, and for SA cold to come close to its plateau; RSA
//! cold is still drifting slowly (its acceptance creeps up by ≈ 0.1 % per 5 sweeps).
//!
//! `PEERS_SUITE=issue` measures instead the rows of issue #12 ([`ISSUE_ROWS`]: linear ramps of β and γ
//! from random weights on random labels, the schedule a new user runs), every implementation running the
//! whole schedule `PEERS_REPS` times interleaved, best of them, each run checked identical to densemc's.
//! `PEERS_ORDER=blocked` runs densemc in the blocked site order (with `PEERS_IMPL=densemc` only: the
//! peers follow the permutation order).
//!
//! Environment: `PEERS_QUICK=1` (0.3 s, one repetition), `PEERS_ONLY=sa|rsa|rsa-blocks|rsa-shared`,
//! `PEERS_N=1001,10001,100001` (sizes, default 1001,10001),
//! `PEERS_SCAN=1` (print densemc's acceptance over a range of β for tuning, then exit; `PEERS_SCAN_BETAS=
//! 0.1,0.2` sets the β, `PEERS_REGIME` the regime), `PEERS_BURN=<sweeps>` (burn-in length),
//! `PEERS_SKIP_CHECK=1`; for profiling, `PEERS_IMPL=densemc|marginal|straightforward` and
//! `PEERS_REGIME=hot|cold` measure only those.

#[path = "peers/driver.rs"]
mod driver;
#[path = "peers/marginal.rs"]
mod marginal;
#[path = "peers/plain.rs"]
mod plain;

use densemc::bits::{Kernels, Lane};
use densemc::instance::Instance;
use densemc::mc::tracker::TrackedErrors;
use densemc::mc::{
    self, Centre, EnergyKind, Ensemble, Order, Progress, Ramp, Replica, Schedule, State, Visit,
};
use densemc::model;
use densemc::model::{Activation, Arch};
use densemc::rng;
use densemc::weights::Weights;
use driver::Peer;
use std::sync::Mutex;
use std::time::Instant;

const ALPHA: f64 = 0.6;
const SEED: u64 = 2024;
/// RSA replicas and (constant) coupling.
const Y: usize = 5;
const GAMMA: f64 = 0.5;
/// Cold regime: fraction of the teacher's weights flipped at the start.
const COLD_FLIP: f64 = 0.03;
/// Beyond this N the straightforward peer is left out unless `PEERS_IMPL` names it: its `i8` pattern
/// matrix takes N·P bytes (6 GB at N = 100001).
const PLAIN_MAX_N: usize = 20000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algo {
    Sa,
    /// RSA, `Visit::Blocks` (Latin-square phases).
    Rsa,
    /// RSA, `Visit::Shared` (all replicas at one site in turn).
    RsaShared,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Regime {
    Hot,
    Cold,
    /// Check only: an easy teacher instance where the runs stop at a solution.
    Solve,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Impl {
    Densemc,
    Marginal,
    Plain,
}

impl Algo {
    fn name(self) -> &'static str {
        match self {
            Algo::Sa => "SA",
            Algo::Rsa => "RSA y=5",
            Algo::RsaShared => "RSA y=5 shared",
        }
    }
}

impl Regime {
    fn name(self) -> &'static str {
        match self {
            Regime::Hot => "hot",
            Regime::Cold => "cold",
            Regime::Solve => "solve",
        }
    }
}

impl Impl {
    fn name(self) -> &'static str {
        match self {
            Impl::Densemc => "densemc",
            Impl::Marginal => "marginal-set peer",
            Impl::Plain => "straightforward peer",
        }
    }
}

/// The constant β of each regime, tuned with `PEERS_SCAN=1` for the acceptance stated in the docs at
/// N = 1001, 10001 and 100001 (size classes N ≤ 2000, N ≤ 20000, beyond).
fn beta(algo: Algo, regime: Regime, n: usize) -> f64 {
    let size = match n {
        0..=2000 => 0,
        2001..=PLAIN_MAX_N => 1,
        _ => 2,
    };
    match (algo, regime) {
        (_, Regime::Solve) => 3.0,
        (Algo::Sa, Regime::Hot) => [0.5, 0.3, 0.15][size],
        (Algo::Sa, Regime::Cold) => [1.6, 0.8, 0.43][size],
        (Algo::Rsa | Algo::RsaShared, Regime::Hot) => [0.5, 0.3, 0.15][size],
        (Algo::Rsa | Algo::RsaShared, Regime::Cold) => [1.6, 0.8, 0.36][size],
    }
}

/// One benchmark case: the instance, the initial weights of each replica, the schedule.
struct Setup {
    algo: Algo,
    regime: Regime,
    inst: Instance,
    inits: Vec<Weights>,
    schedule: Schedule,
    /// Energies of the initial weights.
    energies: Vec<i64>,
}

/// The instance of a regime at size `n`, and its teacher (cold and solve regimes).
fn instance(regime: Regime, n: usize) -> (Instance, Option<Weights>) {
    let arch = Arch::new(n, 1, Activation::Perceptron).expect("perceptron arch");
    match regime {
        Regime::Hot => model::generate(arch, ALPHA, SEED, false).unwrap(),
        Regime::Cold => model::generate(arch, ALPHA, SEED, true).unwrap(),
        Regime::Solve => model::generate(arch, 0.3, SEED, true).unwrap(),
    }
}

fn setup(algo: Algo, regime: Regime, n: usize, beta: f64, burn: bool) -> Setup {
    let (inst, teacher) = instance(regime, n);
    setup_on(algo, regime, inst, teacher.as_ref(), beta, burn)
}

/// A case on an instance made by [`instance`].
fn setup_on(
    algo: Algo,
    regime: Regime,
    inst: Instance,
    teacher: Option<&Weights>,
    beta: f64,
    burn: bool,
) -> Setup {
    let n = inst.n();
    let y = if algo == Algo::Sa { 1 } else { Y };
    let schedule = Schedule::ramp(Ramp::Geometric, (beta, beta), (GAMMA, GAMMA), 1).unwrap();
    let inits = match teacher {
        None => (0..y)
            .map(|a| Weights::random(n, &mut rng::stream(SEED, "init", a as u64)))
            .collect(),
        Some(teacher) => {
            let flip = if regime == Regime::Solve {
                0.05
            } else {
                COLD_FLIP
            };
            (0..y)
                .map(|a| {
                    let mut r = rng::stream(SEED, "cold-init", a as u64);
                    let mut w = teacher.clone();
                    for i in 0..n {
                        if rng::uniform(&mut r) < flip {
                            w.flip(i);
                        }
                    }
                    w
                })
                .collect()
        }
    };
    let mut s = Setup {
        algo,
        regime,
        inst,
        inits,
        schedule,
        energies: Vec::new(),
    };
    if burn && regime != Regime::Solve {
        // Burn in with densemc on its own stream, so that the measured runs start from a stationary state
        // (runs of different lengths then see the same acceptance; at N = 10⁵, nearly so: see the top).
        let o = run_densemc(&s, burn_sweeps(n, s.inits.len()), false, SEED ^ 0xB0B);
        s.inits = o.weights.iter().map(|w| Weights::from_signs(w)).collect();
        s.energies = o.energies;
    } else {
        s.energies = s
            .inits
            .iter()
            .map(|w| model::fast::errors(&s.inst, w, Kernels::best()) as i64)
            .collect();
    }
    s
}

/// Sweeps of the burn-in before a measurement, for `y` replicas: 1000 up to [`PLAIN_MAX_N`]; beyond, a
/// budget of 10⁷ proposals (at N = 100001: 100 sweeps for SA, 20 for RSA y=5, 10–25 s each), at least 10.
/// `PEERS_BURN=<sweeps>` overrides it (for tuning).
fn burn_sweeps(n: usize, y: usize) -> u64 {
    let default = if n <= PLAIN_MAX_N {
        1000
    } else {
        (10_000_000 / (n * y) as u64).max(10)
    };
    std::env::var("PEERS_BURN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one run produced.
struct Out {
    sweeps: u64,
    proposals: u64,
    accepted: u64,
    /// Wall and thread-CPU seconds of the timed part.
    secs: f64,
    cpu: f64,
    weights: Vec<Vec<i8>>,
    energies: Vec<i64>,
    centre: Option<(Vec<i8>, i64)>,
}

/// The centre's error count, as `solve` keeps it (`mc::tracker::TrackedErrors`), built on the initial
/// centre before the clock starts: every implementation's RSA calls it once per sweep.
fn centre_tracker(s: &Setup) -> TrackedErrors<'_, i32> {
    let mut t = TrackedErrors::new(&s.inst, Kernels::best());
    let n = s.inst.n();
    let mut c = Weights::ones(n);
    for i in 0..n {
        if s.inits.iter().map(|w| w.get(i) as i32).sum::<i32>() < 0 {
            c.set(i, -1);
        }
    }
    t.errors(&c);
    t
}

/// densemc in the lanes `solve` would pick: 16-bit when the fields fit (N ≤ 32767), 32-bit otherwise.
fn run_densemc(s: &Setup, sweeps: u64, verify: bool, seed: u64) -> Out {
    if State::<i16>::fits(&s.inst) {
        run_densemc_in::<i16>(s, sweeps, verify, seed)
    } else {
        run_densemc_in::<i32>(s, sweeps, verify, seed)
    }
}

/// densemc's site order: permutation (the peers' order), or `PEERS_ORDER=blocked` for densemc-only runs
/// (`PEERS_IMPL=densemc`; the peers do not follow that order).
fn densemc_order() -> Order {
    match std::env::var("PEERS_ORDER").as_deref() {
        Ok("blocked") => Order::Blocked,
        _ => Order::Permutation,
    }
}

fn run_densemc_in<L: Lane>(s: &Setup, sweeps: u64, verify: bool, seed: u64) -> Out {
    let kern = Kernels::best();
    let mut reps: Vec<State<'_, L>> = s
        .inits
        .iter()
        .map(|w| State::new(&s.inst, w.clone(), EnergyKind::Errors, kern).unwrap())
        .collect();
    let mut observe = |_: &Progress| true;
    let tracked = Mutex::new(centre_tracker(s));
    let ce = |w: &Weights| tracked.lock().unwrap().errors(w);
    let params = mc::Params {
        schedule: s.schedule.clone(),
        max_sweeps: sweeps,
        order: densemc_order(),
        visit: if s.algo == Algo::Rsa {
            Visit::Blocks
        } else {
            Visit::Shared
        },
        seed,
        parallel: false,
    };
    let mut ens = if s.algo == Algo::Sa {
        Ensemble::plain(&mut reps)
    } else {
        Ensemble::replicated(&mut reps, Centre::Traced, &ce)
    };
    let (t, c) = (Instant::now(), thread_cpu());
    let out = mc::anneal(&mut ens, &params, None, &mut observe).unwrap();
    let (secs, cpu) = (t.elapsed().as_secs_f64(), thread_cpu() - c);
    if verify {
        for (a, r) in reps.iter().enumerate() {
            if let Err(e) = r.verify() {
                panic!("densemc replica {a} fails verification: {e}");
            }
        }
    }
    Out {
        sweeps: out.sweeps,
        proposals: out.proposals,
        accepted: out.accepted,
        secs,
        cpu,
        weights: reps.iter().map(|r| r.weights().signs()).collect(),
        energies: reps.iter().map(|r| r.energy()).collect(),
        centre: out.centre.map(|(w, e)| (w.signs(), e)),
    }
}

fn run_peer<P: Peer>(s: &Setup, sweeps: u64, verify: bool, make: impl Fn(&[i8]) -> P) -> Out {
    let mut reps: Vec<P> = s.inits.iter().map(|w| make(&w.signs())).collect();
    let (run, centre, t, c) = match s.algo {
        Algo::Sa => {
            let (t, c) = (Instant::now(), thread_cpu());
            (
                driver::sa(&mut reps[0], &s.schedule, sweeps, SEED),
                None,
                t,
                c,
            )
        }
        Algo::Rsa | Algo::RsaShared => {
            let tracked = Mutex::new(centre_tracker(s));
            let ce = |c: &[i8]| tracked.lock().unwrap().errors(&Weights::from_signs(c));
            let shared = s.algo == Algo::RsaShared;
            let (t, c) = (Instant::now(), thread_cpu());
            let (run, cw, e) = driver::rsa(&mut reps, &ce, &s.schedule, sweeps, SEED, shared);
            (run, Some((cw, e)), t, c)
        }
    };
    let (secs, cpu) = (t.elapsed().as_secs_f64(), thread_cpu() - c);
    if verify {
        for (a, r) in reps.iter().enumerate() {
            if let Err(e) = r.check() {
                panic!("peer replica {a}: {e}");
            }
        }
    }
    Out {
        sweeps: run.sweeps,
        proposals: run.proposals,
        accepted: run.accepted,
        secs,
        cpu,
        weights: reps.iter().map(|r| r.weights().to_vec()).collect(),
        energies: reps.iter().map(|r| r.energy()).collect(),
        centre,
    }
}

fn run(imp: Impl, s: &Setup, sweeps: u64, verify: bool) -> Out {
    match imp {
        Impl::Densemc => run_densemc(s, sweeps, verify, SEED),
        Impl::Marginal => {
            let cols = marginal::Columns::new(&s.inst);
            run_peer(s, sweeps, verify, |w| {
                marginal::Marginal::new(cols.clone(), w)
            })
        }
        Impl::Plain => run_peer(s, sweeps, verify, |w| plain::Plain::new(&s.inst, w)),
    }
}

/// Whether the straightforward peer runs at size `n` (see [`PLAIN_MAX_N`]); `only` is `PEERS_IMPL`.
fn plain_runs(n: usize, only: Option<&str>) -> bool {
    n <= PLAIN_MAX_N || only.is_some_and(|i| Impl::Plain.name().starts_with(i))
}

/// Runs every case briefly through densemc and both peers (beyond [`PLAIN_MAX_N`], the marginal-set peer
/// only) and asserts identical trajectories.
fn check(sizes: &[usize], algos: &[Algo], only: Option<&str>) {
    let mut cases: Vec<(Algo, Regime, usize)> = Vec::new();
    for &algo in algos {
        for regime in [Regime::Hot, Regime::Cold] {
            for &n in sizes {
                cases.push((algo, regime, n));
            }
        }
        cases.push((algo, Regime::Solve, 1001));
    }
    for (algo, regime, n) in cases {
        let s = setup(algo, regime, n, beta(algo, regime, n), false);
        let sweeps = match (algo, n) {
            _ if regime == Regime::Solve => 200,
            (Algo::Sa, 0..=2000) => 30,
            (Algo::Sa, 2001..=PLAIN_MAX_N) => 3,
            (Algo::Rsa | Algo::RsaShared, 0..=2000) => 8,
            (Algo::Rsa | Algo::RsaShared, 2001..=PLAIN_MAX_N) => 2,
            // N ≈ 10⁵: one sweep is 10⁵ (SA) or 5·10⁵ (RSA) proposals, seconds for the marginal-set peer.
            _ => 1,
        };
        // densemc's own `verify` recounts the fields with the plain reference evaluator, a minute per
        // replica at N = 10⁵: there the final weights and energies are checked against the peer's instead
        // (whose state `check` recomputes from scratch).
        let d = run(Impl::Densemc, &s, sweeps, n <= PLAIN_MAX_N);
        let mut peers = vec![Impl::Marginal];
        if plain_runs(n, only) {
            peers.push(Impl::Plain);
        }
        for &imp in &peers {
            let o = run(imp, &s, sweeps, true);
            let what = format!(
                "{} {} N={n}: {} vs densemc",
                algo.name(),
                regime.name(),
                imp.name()
            );
            assert_eq!(
                (o.sweeps, o.proposals, o.accepted),
                (d.sweeps, d.proposals, d.accepted),
                "{what}: (sweeps, proposals, accepted) differ"
            );
            assert_eq!(o.energies, d.energies, "{what}: final energies differ");
            assert!(o.weights == d.weights, "{what}: final weights differ");
            assert!(o.centre == d.centre, "{what}: final centre differs");
        }
        eprintln!(
            "check {} {} N={n}: densemc = {} ({} sweeps, {} proposals, {} accepted, energies {:?}{})",
            algo.name(),
            regime.name(),
            peers
                .iter()
                .map(|i| i.name())
                .collect::<Vec<_>>()
                .join(" = "),
            d.sweeps,
            d.proposals,
            d.accepted,
            d.energies,
            if d.energies.contains(&0) || d.centre.as_ref().is_some_and(|c| c.1 == 0) {
                ", solved"
            } else {
                ""
            }
        );
    }
}

/// A timed measurement: the sweeps run, the counters and the seconds of each repetition (thread CPU
/// time, and wall time).
struct Meas {
    sweeps: u64,
    proposals: u64,
    accepted: u64,
    cpu: Vec<f64>,
    wall: Vec<f64>,
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

impl Meas {
    fn rate(&self) -> f64 {
        self.proposals as f64 / median(&self.cpu)
    }
    fn acceptance(&self) -> f64 {
        self.accepted as f64 / self.proposals as f64
    }
}

/// Sweeps that make one run of `imp` take about `target` seconds of CPU time (growing pilot runs).
fn calibrate(imp: Impl, s: &Setup, target: f64) -> u64 {
    let mut sweeps = 1u64;
    loop {
        let o = run(imp, s, sweeps, false);
        if o.cpu >= 0.15 || o.sweeps < sweeps {
            return ((sweeps as f64 * target / o.cpu.max(1e-9)).round() as u64).max(1);
        }
        let scale = (0.2 / o.cpu.max(1e-9)).clamp(2.0, 64.0);
        sweeps = (sweeps as f64 * scale).ceil() as u64;
    }
}

/// Measures the implementations `imps` on one case. All of them run the *same* trajectory: the sweep
/// count calibrated for the slowest (about `target` seconds); a faster implementation repeats that run,
/// from the same start, as many times as it takes to fill about `target` seconds, and its rate is the
/// total over the repeats. So every implementation is timed on exactly the same proposals and acceptances.
/// `reps` rounds, the implementations interleaved in each (so that load from other processes hits all
/// alike).
fn measure(imps: &[Impl], s: &Setup, target: f64, reps: usize) -> Vec<Meas> {
    let calibrated: Vec<u64> = imps.iter().map(|&imp| calibrate(imp, s, target)).collect();
    let sweeps = calibrated.iter().copied().min().unwrap_or(1);
    let repeats: Vec<u64> = calibrated
        .iter()
        .map(|&c| ((c as f64 / sweeps as f64).round() as u64).max(1))
        .collect();
    let mut ms: Vec<Meas> = repeats
        .iter()
        .map(|&k| Meas {
            sweeps: sweeps * k,
            proposals: 0,
            accepted: 0,
            cpu: Vec::new(),
            wall: Vec::new(),
        })
        .collect();
    for _ in 0..reps {
        for ((m, &imp), &k) in ms.iter_mut().zip(imps).zip(&repeats) {
            let (mut cpu, mut wall) = (0.0, 0.0);
            for _ in 0..k {
                let o = run(imp, s, sweeps, false);
                assert!(
                    o.sweeps == sweeps,
                    "{} {} {}: the run stopped after {} of {} sweeps (energies {:?})",
                    s.algo.name(),
                    s.regime.name(),
                    imp.name(),
                    o.sweeps,
                    sweeps,
                    o.energies
                );
                (m.proposals, m.accepted) = (o.proposals * k, o.accepted * k);
                cpu += o.cpu;
                wall += o.secs;
            }
            m.cpu.push(cpu);
            m.wall.push(wall);
        }
    }
    ms
}

/// CPU time of the calling thread, in seconds (Linux: excludes the time the thread waits for a core, so
/// rates are less sensitive to other processes; elsewhere: wall time since the first call).
#[cfg(target_os = "linux")]
fn thread_cpu() -> f64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec (two 64-bit fields on 64-bit Linux) into `t`.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    t.sec as f64 + t.nsec as f64 * 1e-9
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|x| x.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Prints densemc's acceptance over a range of β for each case (for tuning `beta`), each after the
/// burn-in at that β. `PEERS_SCAN_BETAS=0.1,0.2,…` replaces the default list of β.
fn scan(sizes: &[usize], algos: &[Algo]) {
    let given: Option<Vec<f64>> = std::env::var("PEERS_SCAN_BETAS").ok().map(|v| {
        v.split(',')
            .map(|b| b.trim().parse().expect("PEERS_SCAN_BETAS: numbers"))
            .collect()
    });
    let only_regime = std::env::var("PEERS_REGIME").ok();
    for &algo in algos {
        for regime in [Regime::Hot, Regime::Cold] {
            if only_regime.as_deref().is_some_and(|r| r != regime.name()) {
                continue;
            }
            for &n in sizes {
                let betas = given.clone().unwrap_or_else(|| {
                    if n <= PLAIN_MAX_N {
                        vec![0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5, 2.0]
                    } else {
                        vec![0.05, 0.07, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]
                    }
                });
                let (inst, teacher) = instance(regime, n);
                for &b in &betas {
                    let s = setup_on(algo, regime, inst.clone(), teacher.as_ref(), b, true);
                    let sweeps = match n {
                        0..=2000 => 400,
                        2001..=PLAIN_MAX_N => 40,
                        _ => 5,
                    };
                    let o = run(Impl::Densemc, &s, sweeps, false);
                    println!(
                        "{} {} N={n} β={b}: acceptance {:.4} over {} sweeps, final energies {:?}, {:.0} proposals/s",
                        algo.name(),
                        regime.name(),
                        o.accepted as f64 / o.proposals as f64,
                        o.sweeps,
                        o.energies,
                        o.proposals as f64 / o.secs
                    );
                }
            }
        }
    }
}

/// The targets of the performance issue: (densemc / marginal peer, densemc / straightforward peer). They
/// were set for N ≈ 10³ and 10⁴; N ≈ 10⁵ has none.
fn targets(algo: Algo, regime: Regime, n: usize) -> (Option<f64>, Option<f64>) {
    let size = match n {
        0..=2000 => 0,
        2001..=PLAIN_MAX_N => 1,
        _ => 2,
    };
    match (algo, regime, size) {
        (Algo::Sa, Regime::Cold, 0) => (Some(5.0), None),
        (Algo::Sa, Regime::Cold, 1) => (Some(3.0), Some(30.0)),
        (Algo::Sa, Regime::Cold, _) => (Some(2.0), None),
        (Algo::Sa, Regime::Hot, 1) => (Some(8.0), Some(30.0)),
        (Algo::Sa, Regime::Hot, 2) => (Some(8.0), None),
        // The issue sets 3× for RSA at N = 10⁵; the default (blocks) order is held to it at every size.
        // The shared order exists for instances beyond the caches, so it is held to it at N ≈ 10⁵ only.
        (Algo::Rsa, _, _) | (Algo::RsaShared, _, 2) => (Some(3.0), None),
        _ => (None, None),
    }
}

/// A rate for the table; "—" for an implementation that was not measured (NaN).
fn fmt_rate(r: f64) -> String {
    if r.is_nan() {
        "—".into()
    } else if r >= 1e6 {
        format!("{:.2} M", r / 1e6)
    } else {
        format!("{:.1} k", r / 1e3)
    }
}

/// A ratio of rates with `digits` decimals, or "—" when one side was not measured.
fn fmt_ratio(r: f64, digits: usize) -> String {
    if r.is_finite() {
        format!("{r:.digits$}×")
    } else {
        "—".into()
    }
}

/// One row of issue #12's table: a linear ramp of β (and γ) over `sweeps` sweeps, from random weights on
/// random labels (α = 0.6), as a new user runs `densemc solve --energy errors --beta-scaling none
/// --schedule FILE`.
struct IssueRow {
    algo: Algo,
    n: usize,
    beta: (f64, f64),
    gamma: (f64, f64),
    sweeps: u64,
}

const fn issue_row(algo: Algo, n: usize, beta: (f64, f64), sweeps: u64) -> IssueRow {
    IssueRow {
        algo,
        n,
        beta,
        gamma: (0.1, 5.0),
        sweeps,
    }
}

const ISSUE_ROWS: [IssueRow; 9] = [
    issue_row(Algo::Sa, 1001, (0.5, 5.0), 20000),
    issue_row(Algo::Sa, 10001, (0.5, 5.0), 1000),
    issue_row(Algo::Sa, 10001, (0.1, 1.0), 200),
    issue_row(Algo::Rsa, 10001, (0.5, 5.0), 200),
    issue_row(Algo::RsaShared, 10001, (0.5, 5.0), 200),
    issue_row(Algo::Sa, 100001, (0.5, 5.0), 10),
    issue_row(Algo::Sa, 100001, (0.1, 1.0), 5),
    issue_row(Algo::Rsa, 100001, (0.5, 5.0), 4),
    issue_row(Algo::RsaShared, 100001, (0.5, 5.0), 4),
];

/// The rows of issue #12 (`PEERS_SUITE=issue`, sizes from `PEERS_N`): every implementation runs the whole
/// ramp `reps` times, interleaved; each run is compared with densemc's first (counters, final weights,
/// energies and centre: identical trajectories), and the rate is that of the fastest run (best of `reps`).
fn issue_suite(sizes: &[usize], algos: &[Algo], imps: &[Impl], reps: usize) {
    println!("Issue #12 rows: one thread, binary perceptron, α = {ALPHA}, random labels and random initial weights, error-count energy, linear ramps; CPU: {}; densemc kernel path: {}; best of {reps} interleaved runs of the whole schedule (thread CPU time).", cpu_model(), Kernels::best().path().name());
    println!();
    let mut cols: Vec<String> = imps.iter().map(|i| i.name().to_string()).collect();
    cols.extend(imps[1..].iter().map(|i| format!("densemc / {}", i.name())));
    println!("| run | N | acceptance | {} |", cols.join(" | "));
    println!("|---|---:|---:|{}", "---:|".repeat(cols.len()));
    for row in ISSUE_ROWS
        .iter()
        .filter(|r| sizes.contains(&r.n) && algos.contains(&r.algo))
    {
        let (inst, _) = instance(Regime::Hot, row.n);
        let mut s = setup_on(row.algo, Regime::Hot, inst, None, row.beta.0, false);
        s.schedule = Schedule::ramp(Ramp::Linear, row.beta, row.gamma, row.sweeps).unwrap();
        let mut best = vec![f64::INFINITY; imps.len()];
        let mut first: Option<Out> = None;
        for _ in 0..reps {
            for (b, &imp) in best.iter_mut().zip(imps) {
                let o = run(imp, &s, row.sweeps, false);
                if let Some(d) = &first {
                    let what =
                        format!("{} N={}: {} vs densemc", row.algo.name(), row.n, imp.name());
                    assert_eq!(
                        (o.sweeps, o.proposals, o.accepted),
                        (d.sweeps, d.proposals, d.accepted),
                        "{what}: (sweeps, proposals, accepted) differ"
                    );
                    assert_eq!(o.energies, d.energies, "{what}: final energies differ");
                    assert!(o.weights == d.weights, "{what}: final weights differ");
                    assert!(o.centre == d.centre, "{what}: final centre differs");
                }
                *b = b.min(o.cpu);
                eprintln!(
                    "{} N={} {}: {:.3} s CPU",
                    row.algo.name(),
                    row.n,
                    imp.name(),
                    o.cpu
                );
                first.get_or_insert(o);
            }
        }
        let d = first.unwrap();
        let rates: Vec<f64> = best.iter().map(|&t| d.proposals as f64 / t).collect();
        let what = match row.algo {
            Algo::Sa => "SA".to_string(),
            Algo::Rsa => "RSA y=5 blocks".to_string(),
            Algo::RsaShared => "RSA y=5 shared".to_string(),
        };
        let gamma = if row.algo == Algo::Sa {
            String::new()
        } else {
            format!(", γ {} → {}", row.gamma.0, row.gamma.1)
        };
        let mut cells: Vec<String> = rates.iter().map(|&r| fmt_rate(r)).collect();
        cells.extend(rates[1..].iter().map(|&r| fmt_ratio(rates[0] / r, 1)));
        println!(
            "| {what}, β {} → {}{gamma} over {} sweeps | {} | {:.2} % | {} |",
            row.beta.0,
            row.beta.1,
            row.sweeps,
            row.n,
            100.0 * d.accepted as f64 / d.proposals as f64,
            cells.join(" | ")
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; under `cargo test --all-targets` only the identity check runs, quickly.
    let as_test = !std::env::args().any(|a| a == "--bench");
    let quick = env_flag("PEERS_QUICK") || as_test;
    let target: f64 = std::env::var("PEERS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 0.3 } else { 1.5 });
    let reps: usize = std::env::var("PEERS_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 1 } else { 3 })
        .max(1);
    let sizes: Vec<usize> = match std::env::var("PEERS_N") {
        Ok(v) => v
            .split(',')
            .map(|x| x.trim().parse().expect("PEERS_N: comma-separated sizes"))
            .collect(),
        Err(_) => vec![1001, 10001],
    };
    let algos: Vec<Algo> = match std::env::var("PEERS_ONLY").ok().as_deref() {
        Some("sa") => vec![Algo::Sa],
        Some("rsa") => vec![Algo::Rsa, Algo::RsaShared],
        Some("rsa-blocks") => vec![Algo::Rsa],
        Some("rsa-shared") => vec![Algo::RsaShared],
        _ => vec![Algo::Sa, Algo::Rsa, Algo::RsaShared],
    };
    if env_flag("PEERS_SCAN") {
        scan(&sizes, &algos);
        return;
    }
    // Profiling aids: measure only one implementation and/or regime (the table then shows only those).
    let only_impl = std::env::var("PEERS_IMPL").ok();
    if std::env::var("PEERS_SUITE").is_ok_and(|v| v == "issue") && !as_test {
        let imps: Vec<Impl> = [Impl::Densemc, Impl::Marginal]
            .into_iter()
            .filter(|imp| {
                only_impl
                    .as_deref()
                    .is_none_or(|i| imp.name().starts_with(i))
            })
            .collect();
        issue_suite(&sizes, &algos, &imps, reps);
        return;
    }
    let only_regime = std::env::var("PEERS_REGIME").ok();
    if !env_flag("PEERS_SKIP_CHECK") {
        let t = Instant::now();
        check(&sizes, &algos, only_impl.as_deref());
        eprintln!(
            "all peers reproduce densemc's trajectories ({:.1} s)",
            t.elapsed().as_secs_f64()
        );
    }
    if as_test {
        return;
    }
    let kern = Kernels::best();
    let mut rows = Vec::new();
    let mut details = Vec::new();
    for &algo in &algos {
        for regime in [Regime::Hot, Regime::Cold] {
            if only_regime.as_deref().is_some_and(|r| r != regime.name()) {
                continue;
            }
            for &n in &sizes {
                let s = setup(algo, regime, n, beta(algo, regime, n), true);
                let all = [Impl::Densemc, Impl::Marginal, Impl::Plain];
                let imps: Vec<Impl> = all
                    .into_iter()
                    .filter(|imp| {
                        only_impl
                            .as_deref()
                            .is_none_or(|i| imp.name().starts_with(i))
                            && (*imp != Impl::Plain || plain_runs(n, only_impl.as_deref()))
                    })
                    .collect();
                let mut got = measure(&imps, &s, target, reps).into_iter();
                let mut ms = Vec::new();
                for imp in all {
                    if !imps.contains(&imp) {
                        ms.push(Meas {
                            sweeps: 0,
                            proposals: 0,
                            accepted: 0,
                            cpu: vec![f64::NAN],
                            wall: vec![f64::NAN],
                        });
                        continue;
                    }
                    let m = got.next().unwrap();
                    eprintln!(
                        "{} {} N={n} {}: {} sweeps, {} proposals/s, acceptance {:.4}, CPU s {:?}, wall s {:?}",
                        algo.name(),
                        regime.name(),
                        imp.name(),
                        m.sweeps,
                        fmt_rate(m.rate()),
                        m.acceptance(),
                        m.cpu,
                        m.wall
                    );
                    let fmin = |v: &[f64]| v.iter().cloned().fold(f64::INFINITY, f64::min);
                    let fmax = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
                    details.push(format!(
                        "| {} | {} | {n} | {} | {} | {} | {:.4} | {:.3} ({:.3}–{:.3}) | {:.3} ({:.3}–{:.3}) | {:.1} |",
                        algo.name(),
                        regime.name(),
                        imp.name(),
                        m.sweeps,
                        m.proposals,
                        m.acceptance(),
                        median(&m.cpu),
                        fmin(&m.cpu),
                        fmax(&m.cpu),
                        median(&m.wall),
                        fmin(&m.wall),
                        fmax(&m.wall),
                        1e9 / m.rate()
                    ));
                    ms.push(m);
                }
                let (d, mg, pl) = (&ms[0], &ms[1], &ms[2]);
                let (rm, rp) = (d.rate() / mg.rate(), d.rate() / pl.rate());
                let (tm, tp) = targets(algo, regime, n);
                let verdict = |r: f64, t: Option<f64>, who: &str| {
                    t.filter(|_| r.is_finite()).map(|t| {
                        format!(
                            "≥{t}× {who}: {}",
                            if r >= t { "met" } else { "**not met**" }
                        )
                    })
                };
                let tv: Vec<String> = [
                    verdict(rm, tm, "marginal"),
                    verdict(rp, tp, "straightforward"),
                ]
                .into_iter()
                .flatten()
                .collect();
                let e0 =
                    s.energies.iter().sum::<i64>() as f64 / (s.energies.len() * s.inst.p()) as f64;
                rows.push(format!(
                    "| {} | {} | {n} | {} | {:.2} | {:.1} % | {} | {} | {} | {} | {} | {} |",
                    algo.name(),
                    regime.name(),
                    beta(algo, regime, n),
                    e0,
                    100.0 * d.acceptance(),
                    fmt_rate(d.rate()),
                    fmt_rate(mg.rate()),
                    fmt_rate(pl.rate()),
                    fmt_ratio(rm, 1),
                    fmt_ratio(rp, 0),
                    if tv.is_empty() {
                        "—".to_string()
                    } else {
                        tv.join("; ")
                    }
                ));
            }
        }
    }
    println!();
    println!(
        "Proposals per second (thread CPU time), one thread, binary perceptron, α = {ALPHA}, error-count energy; CPU: {}; densemc kernel path: {}; median of {} interleaved repetitions of ≈{target} s each.",
        cpu_model(),
        kern.path().name(),
        reps
    );
    println!();
    println!("| algo | regime | N | β | E₀/P | acceptance | densemc | marginal-set peer | straightforward peer | densemc / marginal | densemc / straightforward | target |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in &rows {
        println!("{r}");
    }
    println!();
    println!("| algo | regime | N | implementation | sweeps | proposals | acceptance | CPU s, median (min–max) | wall s, median (min–max) | ns/proposal (CPU) |");
    println!("|---|---|---:|---|---:|---:|---:|---:|---:|---:|");
    for r in &details {
        println!("{r}");
    }
}
