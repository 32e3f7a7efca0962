//! The dynamics sample what they claim. On tiny instances the Boltzmann distribution is enumerated exactly
//! (SA: p(W) ∝ e^{−βE(W)}; the robust ensemble, traced or explicit centre:
//! p(W¹..W³) ∝ e^{−β Σ_a E(W^a)} Π_i 2cosh(γ m_i)) and long no-stop chains of every visit order and both
//! dynamics must match it; the rejection-free dynamics must also anneal like random-site Metropolis.
//!
//! The bound: samples are one per sweep, correlated, so each category's frequency gets a batch-means standard
//! error (40 batches, floored by the independent-sample one); every |z| must stay below 5. Each case also
//! checks that the same samples fail against a deliberately wrong β (or γ), so the bound has power.

use densemc::bits::Kernels;
use densemc::instance::Instance;
use densemc::mc::{
    self, Centre, Dynamics, EnergyKind, Ensemble, Order, Params, Ramp, Replica, Sample, Sampling,
    Schedule, State, Visit,
};
use densemc::model::{self, reference, Activation, Arch};
use densemc::rng;
use densemc::solve::{solve, solve_from, Algo, ConfigSpec};
use densemc::weights::Weights;

/// The bound on every category's |z|.
const Z_MAX: f64 = 5.0;
const BATCHES: usize = 40;

/// One way of moving the chain.
#[derive(Clone, Copy, Debug)]
struct Chain {
    dynamics: Dynamics,
    order: Order,
    visit: Visit,
}

const fn chain(dynamics: Dynamics, order: Order, visit: Visit) -> Chain {
    Chain {
        dynamics,
        order,
        visit,
    }
}

const METROPOLIS: Dynamics = Dynamics::Metropolis;
const RF: Dynamics = Dynamics::RejectionFree;
const AUTO: Dynamics = Dynamics::Auto;

fn instance(n: usize, k: usize, act: Activation, alpha: f64, seed: u64) -> Instance {
    model::generate(Arch::new(n, k, act).unwrap(), alpha, seed, false)
        .unwrap()
        .0
}

/// W with W_i = −1 exactly where bit i of `c` is set.
fn weights_of(n: usize, c: u64) -> Weights {
    let mut w = Weights::ones(n);
    for i in 0..n {
        if (c >> i) & 1 == 1 {
            w.set(i, -1);
        }
    }
    w
}

/// E of every configuration (index as in [`weights_of`]): the reference evaluator's error count, or the
/// from-scratch linear energy.
fn all_energies(inst: &Instance, kind: EnergyKind) -> Vec<i64> {
    let n = inst.n();
    (0..1u64 << n)
        .map(|c| {
            let w = weights_of(n, c);
            match kind {
                EnergyKind::Errors => reference::errors(inst, &w) as i64,
                EnergyKind::Linear => State::<i16>::new(inst, w, kind, Kernels::best())
                    .unwrap()
                    .energy(),
            }
        })
        .collect()
}

/// p(E) of one replica at β.
fn exact_sa(energies: &[i64], beta: f64) -> Vec<f64> {
    let top = *energies.iter().max().unwrap() as usize;
    let mut p = vec![0.0; top + 1];
    for &e in energies {
        p[e as usize] += (-beta * e as f64).exp();
    }
    normalised(p)
}

/// The robust ensemble of 3 replicas at (β, γ): p(Σ_a E_a) and p(H), H = the sum of the three pairwise
/// Hamming distances.
fn exact_rsa3(energies: &[i64], n: usize, beta: f64, gamma: f64) -> (Vec<f64>, Vec<f64>) {
    let top = *energies.iter().max().unwrap() as usize;
    let we: Vec<f64> = energies.iter().map(|&e| (-beta * e as f64).exp()).collect();
    // Π_i cosh(γ m_i) with n3 sites where all three agree (|m| = 3), the others |m| = 1.
    let cpow: Vec<f64> = (0..=n)
        .map(|n3| (3.0 * gamma).cosh().powi(n3 as i32) * gamma.cosh().powi((n - n3) as i32))
        .collect();
    let mask = (1u64 << n) - 1;
    let (mut ps, mut ph) = (vec![0.0; 3 * top + 1], vec![0.0; 2 * n + 1]);
    let size = 1u64 << n;
    for a in 0..size {
        for b in 0..size {
            let wab = we[a as usize] * we[b as usize];
            let eab = energies[a as usize] + energies[b as usize];
            let hab = (a ^ b).count_ones();
            for c in 0..size {
                let n3 = (!(a ^ b) & !(a ^ c) & mask).count_ones() as usize;
                let w = wab * we[c as usize] * cpow[n3];
                ps[(eab + energies[c as usize]) as usize] += w;
                ph[(hab + (a ^ c).count_ones() + (b ^ c).count_ones()) as usize] += w;
            }
        }
    }
    (normalised(ps), normalised(ph))
}

fn normalised(mut p: Vec<f64>) -> Vec<f64> {
    let z: f64 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= z);
    p
}

/// A no-stop chain of y replicas at fixed (β, γ) (`centre` None: plain), one sample per sweep after
/// `burn` sweeps; the replicas are checked against a from-scratch recomputation at the end.
#[allow(clippy::too_many_arguments)]
fn samples(
    inst: &Instance,
    kind: EnergyKind,
    y: usize,
    centre: Option<Centre>,
    (beta, gamma): (f64, f64),
    ch: Chain,
    sweeps: u64,
    seed: u64,
) -> Vec<Sample> {
    let schedule = Schedule::ramp(Ramp::Linear, (beta, beta), (gamma, gamma), sweeps).unwrap();
    run(inst, kind, y, centre, schedule, ch, sweeps, seed).split_off(200.min(sweeps as usize / 10))
}

#[allow(clippy::too_many_arguments)]
fn run(
    inst: &Instance,
    kind: EnergyKind,
    y: usize,
    centre: Option<Centre>,
    schedule: Schedule,
    ch: Chain,
    sweeps: u64,
    seed: u64,
) -> Vec<Sample> {
    let kern = Kernels::best();
    let mut reps: Vec<State<i16>> = (0..y)
        .map(|a| {
            let w = Weights::random(inst.n(), &mut rng::stream(seed, "init", a as u64));
            State::new(inst, w, kind, kern).unwrap()
        })
        .collect();
    let ce = |w: &Weights| reference::errors(inst, w) as i64;
    let params = Params {
        schedule,
        max_sweeps: sweeps,
        order: ch.order,
        visit: ch.visit,
        seed,
        parallel: false,
    };
    let how = Sampling {
        dynamics: ch.dynamics,
        no_stop: true,
        trace: true,
    };
    let out = {
        let mut ens = match centre {
            None => Ensemble::plain(&mut reps),
            Some(c) => Ensemble::replicated(&mut reps, c, &ce),
        };
        mc::anneal_with(&mut ens, &params, how, None, &mut |_| true).unwrap()
    };
    for r in &reps {
        r.verify().unwrap();
    }
    assert_eq!(out.sweeps, sweeps, "a no-stop run runs every sweep");
    assert_eq!(out.trace.len() as u64, sweeps);
    assert_eq!(out.proposals, sweeps * (y * inst.n()) as u64);
    out.trace
}

/// The largest |z| of the categories' frequencies in `xs` against `p` (categories of p < 0.002 pooled;
/// batch-means standard errors, floored by √(p(1−p)/T)).
fn max_z(xs: &[usize], p: &[f64]) -> f64 {
    let pooled = p.len();
    let cat = |k: usize| {
        if k < p.len() && p[k] >= 0.002 {
            k
        } else {
            pooled
        }
    };
    let mut pc = vec![0.0; pooled + 1];
    for (k, &pk) in p.iter().enumerate() {
        pc[cat(k)] += pk;
    }
    let per = xs.len() / BATCHES;
    let t = (per * BATCHES) as f64;
    let mut freq = vec![vec![0.0; BATCHES]; pooled + 1];
    for (b, chunk) in xs.chunks(per).take(BATCHES).enumerate() {
        for &x in chunk {
            freq[cat(x)][b] += 1.0 / per as f64;
        }
    }
    let mut worst: f64 = 0.0;
    for (k, f) in freq.iter().enumerate() {
        let mean = f.iter().sum::<f64>() / BATCHES as f64;
        let var = f.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (BATCHES - 1) as f64;
        let se = (var / BATCHES as f64)
            .sqrt()
            .max((pc[k] * (1.0 - pc[k]) / t).sqrt())
            .max(1e-12);
        worst = worst.max((mean - pc[k]).abs() / se);
    }
    worst
}

#[test]
fn sa_samples_the_boltzmann_distribution_exactly() {
    let cases = [
        (
            13,
            1,
            Activation::Perceptron,
            EnergyKind::Errors,
            &[0.5, 1.5, 3.0][..],
        ),
        (
            13,
            1,
            Activation::Perceptron,
            EnergyKind::Linear,
            &[0.8][..],
        ),
        (15, 3, Activation::Sign, EnergyKind::Errors, &[1.0, 2.5][..]),
    ];
    let chains = [
        chain(METROPOLIS, Order::Permutation, Visit::Shared),
        chain(METROPOLIS, Order::Random, Visit::Shared),
        chain(RF, Order::Random, Visit::Blocks),
        chain(AUTO, Order::Random, Visit::Shared),
    ];
    for (n, k, act, kind, betas) in cases {
        let inst = instance(n, k, act, 0.6, 5);
        let energies = all_energies(&inst, kind);
        for &beta in betas {
            let p = exact_sa(&energies, beta);
            let wrong = exact_sa(&energies, beta * 1.3);
            for (s, ch) in chains.iter().enumerate() {
                let xs: Vec<usize> =
                    samples(&inst, kind, 1, None, (beta, 0.0), *ch, 40_000, s as u64)
                        .iter()
                        .map(|x| x.energies[0] as usize)
                        .collect();
                let (z, zw) = (max_z(&xs, &p), max_z(&xs, &wrong));
                eprintln!("{act} N={n} {kind:?} β={beta} {ch:?}: |z| {z:.2}, wrong β {zw:.1}");
                assert!(
                    z < Z_MAX,
                    "{act} N={n} {kind:?} β={beta} {ch:?}: |z| = {z:.2}"
                );
                assert!(
                    zw > 2.0 * Z_MAX,
                    "{act} N={n} β={beta} {ch:?}: a 30% wrong β gives only |z| = {zw:.2}"
                );
            }
        }
    }
}

#[test]
fn rsa_samples_the_robust_ensemble_exactly() {
    let traced = [
        chain(METROPOLIS, Order::Permutation, Visit::Blocks),
        chain(METROPOLIS, Order::Random, Visit::Blocks),
        chain(METROPOLIS, Order::Permutation, Visit::Shared),
        chain(RF, Order::Random, Visit::Blocks),
        chain(AUTO, Order::Random, Visit::Blocks),
    ];
    // The explicit centre's replicas have the traced ensemble as their marginal.
    let explicit = [
        chain(METROPOLIS, Order::Permutation, Visit::Blocks),
        chain(RF, Order::Random, Visit::Blocks),
    ];
    for (k, act) in [(1, Activation::Perceptron), (3, Activation::Sign)] {
        let n = 9;
        let inst = instance(n, k, act, 0.6, 7);
        let energies = all_energies(&inst, EnergyKind::Errors);
        for (beta, gamma) in [(0.7, 0.4), (2.0, 1.2)] {
            let (ps, ph) = exact_rsa3(&energies, n, beta, gamma);
            let (ws, _) = exact_rsa3(&energies, n, beta * 1.3, gamma);
            let (_, wh) = exact_rsa3(&energies, n, beta, gamma * 1.5);
            let runs = traced
                .iter()
                .map(|c| (Centre::Traced, c))
                .chain(explicit.iter().map(|c| (Centre::Explicit, c)));
            for (s, (centre, ch)) in runs.enumerate() {
                let tr = samples(
                    &inst,
                    EnergyKind::Errors,
                    3,
                    Some(centre),
                    (beta, gamma),
                    *ch,
                    40_000,
                    s as u64,
                );
                let sums: Vec<usize> = tr
                    .iter()
                    .map(|x| x.energies.iter().sum::<i64>() as usize)
                    .collect();
                let h: Vec<usize> = tr
                    .iter()
                    .map(|x| ((1.0 - x.overlap.unwrap()) * 1.5 * n as f64).round() as usize)
                    .collect();
                let what = format!("{act} β={beta} γ={gamma} {centre:?} {ch:?}");
                let (zs, zh) = (max_z(&sums, &ps), max_z(&h, &ph));
                assert!(zs < Z_MAX, "{what}: Σ_a E_a |z| = {zs:.2}");
                assert!(zh < Z_MAX, "{what}: overlap |z| = {zh:.2}");
                let (zws, zwh) = (max_z(&sums, &ws), max_z(&h, &wh));
                eprintln!("{what}: |z| Σ E {zs:.2}, H {zh:.2}; wrong β {zws:.1}, wrong γ {zwh:.1}");
                assert!(
                    zws > 2.0 * Z_MAX,
                    "{what}: a 30% wrong β gives only |z| = {zws:.2}"
                );
                assert!(
                    zwh > 2.0 * Z_MAX,
                    "{what}: a 50% wrong γ gives only |z| = {zwh:.2}"
                );
            }
        }
    }
}

/// Mean and variance of the mean.
fn mean_se2(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v / n)
}

/// Welch's z of two samples' means.
fn welch(a: &[f64], b: &[f64]) -> f64 {
    let ((ma, va), (mb, vb)) = (mean_se2(a), mean_se2(b));
    (ma - mb).abs() / (va + vb).sqrt().max(1e-12)
}

/// The two-sample Kolmogorov–Smirnov statistic scaled by √(n m/(n + m)) (≈ 1.95 at p = 0.001).
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let mut xs: Vec<f64> = a.iter().chain(b).copied().collect();
    xs.sort_by(f64::total_cmp);
    let cdf = |s: &[f64], x: f64| s.iter().filter(|&&v| v <= x).count() as f64 / s.len() as f64;
    let d = xs
        .iter()
        .map(|&x| (cdf(a, x) - cdf(b, x)).abs())
        .fold(0.0, f64::max);
    let (n, m) = (a.len() as f64, b.len() as f64);
    d * (n * m / (n + m)).sqrt()
}

/// Per run: Σ_a E_a after each sweep, and the accepted moves.
fn anneals(
    inst: &Instance,
    y: usize,
    centre: Option<Centre>,
    schedule: &Schedule,
    ch: Chain,
    sweeps: u64,
    seeds: u64,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut traces = vec![Vec::new(); sweeps as usize];
    let mut accepted = Vec::new();
    for seed in 0..seeds {
        let tr = run(
            inst,
            EnergyKind::Errors,
            y,
            centre,
            schedule.clone(),
            ch,
            sweeps,
            seed,
        );
        for (t, s) in tr.iter().enumerate() {
            traces[t].push(s.energies.iter().sum::<i64>() as f64);
        }
        accepted.push(tr.last().unwrap().accepted as f64);
    }
    (traces, accepted)
}

/// The largest Welch z of the energy means at a few sweeps and of the accepted moves, and the final
/// energies' KS statistic, between two sets of runs.
fn compare(a: &(Vec<Vec<f64>>, Vec<f64>), b: &(Vec<Vec<f64>>, Vec<f64>)) -> (f64, f64) {
    let last = a.0.len() - 1;
    let z = [0, last / 8, last / 4, last / 2, last]
        .iter()
        .map(|&t| welch(&a.0[t], &b.0[t]))
        .fold(welch(&a.1, &b.1), f64::max);
    (z, ks(&a.0[last], &b.0[last]))
}

#[test]
fn rejection_free_anneals_like_random_site_metropolis() {
    let sweeps = 30;
    let cases = [
        (
            instance(201, 1, Activation::Perceptron, 0.6, 3),
            1,
            None,
            ((0.3, 3.0), (0.0, 0.0)),
            Visit::Shared,
        ),
        (
            instance(99, 3, Activation::Sign, 0.6, 3),
            3,
            Some(Centre::Traced),
            ((0.5, 3.0), (0.1, 2.0)),
            Visit::Blocks,
        ),
        (
            instance(101, 1, Activation::Perceptron, 0.6, 4),
            3,
            Some(Centre::Explicit),
            ((0.5, 3.0), (0.1, 2.0)),
            Visit::Blocks,
        ),
    ];
    for (inst, y, centre, (beta, gamma), visit) in cases {
        let ramp =
            |f: f64| Schedule::ramp(Ramp::Linear, (beta.0, beta.1 * f), gamma, sweeps).unwrap();
        let metropolis = chain(METROPOLIS, Order::Random, visit);
        let rf = chain(RF, Order::Random, Visit::Blocks);
        let seeds = 1000;
        let m = anneals(&inst, y, centre, &ramp(1.0), metropolis, sweeps, seeds);
        let r = anneals(&inst, y, centre, &ramp(1.0), rf, sweeps, seeds);
        let (z, d) = compare(&m, &r);
        let auto = chain(AUTO, Order::Random, visit);
        let (za, da) = compare(
            &m,
            &anneals(&inst, y, centre, &ramp(1.0), auto, sweeps, seeds),
        );
        // A 20% hotter end of the ramp is told apart by the same bounds.
        let hot = anneals(&inst, y, centre, &ramp(0.8), metropolis, sweeps, seeds);
        let (zh, dh) = compare(&hot, &r);
        let what = format!("{} y={y} {centre:?}", inst.arch());
        eprintln!("{what}: Welch z {z:.2}, KS {d:.2}; against a hotter ramp {zh:.1}, {dh:.2}");
        assert!(
            z < 4.5,
            "{what}: the energy traces differ, Welch |z| = {z:.2}"
        );
        assert!(d < 1.95, "{what}: the final energies differ, KS {d:.2}");
        eprintln!("{what}: auto: Welch z {za:.2}, KS {da:.2}");
        assert!(
            za < 4.5,
            "{what}: auto: the energy traces differ, Welch |z| = {za:.2}"
        );
        assert!(
            da < 1.95,
            "{what}: auto: the final energies differ, KS {da:.2}"
        );
        assert!(
            zh > 4.5 || dh > 1.95,
            "{what}: a 20% hotter ramp is not detected: {zh:.2}, {dh:.2}"
        );
    }
}

#[test]
fn settings_of_the_dynamics_are_checked_and_recorded() {
    let spec = |dynamics, order, visit| ConfigSpec {
        algo: Some(Algo::Rsa),
        dynamics: Some(dynamics),
        order,
        visit,
        max_sweeps: Some(5),
        ..ConfigSpec::default()
    };
    let act = Activation::Perceptron;
    // Rejection-free is the chain of random order, in the blocks visit.
    let rf = spec(RF, None, None).resolve(act).unwrap();
    assert_eq!(rf.order, Order::Random);
    assert!(serde_json::to_string(&rf)
        .unwrap()
        .contains(r#""dynamics":"rejection-free""#));
    let e = spec(RF, Some(Order::Permutation), None)
        .resolve(act)
        .unwrap_err();
    assert!(e.to_string().starts_with("order:"), "{e}");
    let e = spec(RF, None, Some(Visit::Shared))
        .resolve(act)
        .unwrap_err();
    assert!(e.to_string().starts_with("visit:"), "{e}");
    // The defaults leave the record as it was.
    let m = spec(METROPOLIS, None, None).resolve(act).unwrap();
    assert_eq!(m.order, Order::Permutation);
    let json = serde_json::to_string(&m).unwrap();
    assert!(
        !json.contains("dynamics") && !json.contains("no_stop"),
        "{json}"
    );

    // No stop: an easy instance is solved early but the run goes on to the budget.
    let inst = instance(101, 1, Activation::Perceptron, 0.2, 1);
    for dynamics in [METROPOLIS, RF] {
        let mut cfg = ConfigSpec {
            algo: Some(Algo::Sa),
            dynamics: Some(dynamics),
            max_sweeps: Some(400),
            ..ConfigSpec::default()
        }
        .resolve(act)
        .unwrap();
        let stopped = solve(&inst, None, &cfg, &mut |_| true).unwrap();
        assert!(stopped.solved && stopped.sweeps < 400, "{dynamics:?}");
        cfg.no_stop = true;
        let mut seen = 0;
        let all = solve(&inst, None, &cfg, &mut |_| {
            seen += 1;
            true
        })
        .unwrap();
        assert_eq!((all.sweeps, seen), (400, 400), "{dynamics:?}");
        assert_eq!(all.proposals, 400 * 101);
    }
}

#[test]
fn cli_takes_the_dynamics_and_writes_a_no_stop_trace() {
    let bin = env!("CARGO_BIN_EXE_densemc");
    let dir = std::env::temp_dir().join(format!("densemc-dynamics-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("trace.csv");
    let base = [
        "solve",
        "--n",
        "101",
        "--alpha",
        "0.2",
        "--algo",
        "sa",
        "--max-sweeps",
        "50",
        "-q",
    ];
    let out = std::process::Command::new(bin)
        .args(base)
        .args(["--dynamics", "rejection-free", "--no-stop", "--trace"])
        .arg(&trace)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = std::fs::read_to_string(&trace).unwrap().lines().count();
    assert_eq!(rows, 1 + 50, "a header and one row per sweep");
    let out = std::process::Command::new(bin)
        .args(base)
        .args(["--dynamics", "rejection-free", "--order", "permutation"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run stopped at a sweep boundary and resumed from its record ends exactly as the uninterrupted one, and
/// so does a run on two threads.
#[test]
fn rejection_free_and_auto_resume_and_thread_bit_identically() {
    let inst = instance(201, 1, Activation::Perceptron, 0.55, 2);
    for (algo, centre) in [
        (Algo::Sa, Centre::Traced),
        (Algo::Rsa, Centre::Traced),
        (Algo::Rsa, Centre::Explicit),
    ] {
        for dynamics in [RF, AUTO] {
            let cfg = ConfigSpec {
                algo: Some(algo),
                replicas: Some(3),
                centre: Some(centre),
                dynamics: Some(dynamics),
                max_sweeps: Some(150),
                no_stop: Some(true),
                ..ConfigSpec::default()
            }
            .resolve(Activation::Perceptron)
            .unwrap();
            let whole = solve(&inst, None, &cfg, &mut |_| true).unwrap();
            let mut saved = None;
            let part = solve(&inst, None, &cfg, &mut |p| {
                if p.sweep == 70 {
                    saved = Some((p.resume)());
                    return false;
                }
                true
            })
            .unwrap();
            assert_eq!(part.sweeps, 70);
            let saved = saved.unwrap();
            assert_eq!(saved.sweep_accepted.is_some(), dynamics == AUTO);
            let rest = solve_from(&inst, None, &cfg, Some(&saved), &mut |_| true).unwrap();
            let what = format!("{algo:?} {centre:?} {dynamics:?}");
            assert_eq!(rest.weights, whole.weights, "{what}");
            assert_eq!(rest.replica_energies, whole.replica_energies, "{what}");
            assert_eq!(
                (rest.sweeps, rest.proposals, rest.accepted),
                (whole.sweeps, whole.proposals, whole.accepted),
                "{what}"
            );
            assert_eq!(rest.centre, whole.centre, "{what}");
            // The replicas of a phase on two threads: the same run.
            let two = densemc::solve::Config {
                threads: 2,
                ..cfg.clone()
            };
            let par = solve(&inst, None, &two, &mut |_| true).unwrap();
            assert_eq!(
                (par.weights, par.accepted),
                (whole.weights, whole.accepted),
                "{what}"
            );
        }
    }
}

/// Down to β = 8 the automatic dynamics switches to rejection-free sweeps (its runs leave the Metropolis
/// runs of the same seeds) and still anneals like random-site Metropolis.
#[test]
fn auto_switches_at_the_cold_end_and_keeps_the_chain() {
    let inst = instance(201, 1, Activation::Perceptron, 0.6, 3);
    let sweeps = 30;
    let ramp = Schedule::ramp(Ramp::Linear, (0.3, 8.0), (0.0, 0.0), sweeps).unwrap();
    let seeds = 1000;
    let m = anneals(
        &inst,
        1,
        None,
        &ramp,
        chain(METROPOLIS, Order::Random, Visit::Shared),
        sweeps,
        seeds,
    );
    let a = anneals(
        &inst,
        1,
        None,
        &ramp,
        chain(AUTO, Order::Random, Visit::Shared),
        sweeps,
        seeds,
    );
    let (z, d) = compare(&m, &a);
    let last = sweeps as usize - 1;
    let parted = (0..seeds as usize)
        .filter(|&s| m.0[last][s] != a.0[last][s] || m.1[s] != a.1[s])
        .count();
    eprintln!("auto β → 8: Welch z {z:.2}, KS {d:.2}, {parted} of {seeds} runs left Metropolis");
    assert!(
        z < 4.5 && d < 1.95,
        "auto differs from Metropolis: Welch |z| = {z:.2}, KS {d:.2}"
    );
    assert!(
        parted > seeds as usize / 2,
        "auto switched in only {parted} of {seeds} runs"
    );
}

/// A replica whose proposals claim to read half of `BLOCK_BYTES`, so that the blocked order cuts even a
/// tiny instance into blocks of two sites.
struct SmallBlocks<'a>(State<'a, i16>);

impl Replica for SmallBlocks<'_> {
    fn n(&self) -> usize {
        self.0.n()
    }
    fn energy(&self) -> i64 {
        self.0.energy()
    }
    fn delta_energy(&self, i: usize) -> i64 {
        self.0.delta_energy(i)
    }
    fn flip_with_delta(&mut self, i: usize, de: i64) {
        self.0.flip_with_delta(i, de)
    }
    fn weights(&self) -> &Weights {
        self.0.weights()
    }
    fn column_bytes(&self) -> usize {
        mc::run::BLOCK_BYTES / 2
    }
    fn verify(&self) -> Result<(), String> {
        self.0.verify()
    }
}

/// A no-stop chain in the blocked order (blocks of two sites with `small`, else the instance's own block
/// size, here one block), one sample per sweep after a burn-in.
fn blocked_samples(
    inst: &Instance,
    y: usize,
    centre: Option<Centre>,
    (beta, gamma): (f64, f64),
    (visit, small): (Visit, bool),
    sweeps: u64,
    seed: u64,
) -> Vec<Sample> {
    let kern = Kernels::best();
    let mut reps: Vec<SmallBlocks> = (0..y)
        .map(|a| {
            let w = Weights::random(inst.n(), &mut rng::stream(seed, "init", a as u64));
            SmallBlocks(State::new(inst, w, EnergyKind::Errors, kern).unwrap())
        })
        .collect();
    assert_eq!(
        mc::run::block_sites(inst.n(), reps[0].column_bytes()),
        2,
        "blocks of two sites"
    );
    let ce = |w: &Weights| reference::errors(inst, w) as i64;
    let params = Params {
        schedule: Schedule::ramp(Ramp::Linear, (beta, beta), (gamma, gamma), sweeps).unwrap(),
        max_sweeps: sweeps,
        order: Order::Blocked,
        visit,
        seed,
        parallel: false,
    };
    let how = Sampling {
        dynamics: METROPOLIS,
        no_stop: true,
        trace: true,
    };
    let out = if small {
        let out = {
            let mut ens = match centre {
                None => Ensemble::plain(&mut reps),
                Some(c) => Ensemble::replicated(&mut reps, c, &ce),
            };
            mc::anneal_with(&mut ens, &params, how, None, &mut |_| true).unwrap()
        };
        reps.iter().for_each(|r| r.verify().unwrap());
        out
    } else {
        let mut states: Vec<State<i16>> = reps.into_iter().map(|r| r.0).collect();
        let out = {
            let mut ens = match centre {
                None => Ensemble::plain(&mut states),
                Some(c) => Ensemble::replicated(&mut states, c, &ce),
            };
            mc::anneal_with(&mut ens, &params, how, None, &mut |_| true).unwrap()
        };
        states.iter().for_each(|r| r.verify().unwrap());
        out
    };
    assert_eq!(out.proposals, sweeps * (y * inst.n()) as u64);
    let mut tr = out.trace;
    tr.split_off(200.min(sweeps as usize / 10))
}

#[test]
fn blocked_order_samples_the_same_distributions_exactly() {
    // SA: p(E) at several β, in blocks of two sites and in one block.
    let n = 13;
    let inst = instance(n, 1, Activation::Perceptron, 0.6, 5);
    let energies = all_energies(&inst, EnergyKind::Errors);
    for beta in [0.5, 3.0] {
        let (p, wrong) = (exact_sa(&energies, beta), exact_sa(&energies, beta * 1.3));
        for (s, small) in [true, false].into_iter().enumerate() {
            let xs: Vec<usize> = blocked_samples(
                &inst,
                1,
                None,
                (beta, 0.0),
                (Visit::Shared, small),
                40_000,
                s as u64,
            )
            .iter()
            .map(|x| x.energies[0] as usize)
            .collect();
            let (z, zw) = (max_z(&xs, &p), max_z(&xs, &wrong));
            eprintln!("blocked SA β={beta} small blocks {small}: |z| {z:.2}, wrong β {zw:.1}");
            assert!(z < Z_MAX, "blocked SA β={beta} small {small}: |z| = {z:.2}");
            assert!(
                zw > 2.0 * Z_MAX,
                "blocked SA β={beta}: wrong β gives only {zw:.2}"
            );
        }
    }
    // The robust ensemble, y = 3: Σ_a E_a and the pairwise distances, both visits and both centres.
    let n = 9;
    let inst = instance(n, 1, Activation::Perceptron, 0.6, 7);
    let energies = all_energies(&inst, EnergyKind::Errors);
    for (beta, gamma) in [(0.7, 0.4), (2.0, 1.2)] {
        let (ps, ph) = exact_rsa3(&energies, n, beta, gamma);
        let (ws, _) = exact_rsa3(&energies, n, beta * 1.3, gamma);
        let runs = [
            (Centre::Traced, Visit::Blocks),
            (Centre::Traced, Visit::Shared),
            (Centre::Explicit, Visit::Blocks),
        ];
        for (s, (centre, visit)) in runs.into_iter().enumerate() {
            let tr = blocked_samples(
                &inst,
                3,
                Some(centre),
                (beta, gamma),
                (visit, true),
                40_000,
                s as u64,
            );
            let sums: Vec<usize> = tr
                .iter()
                .map(|x| x.energies.iter().sum::<i64>() as usize)
                .collect();
            let h: Vec<usize> = tr
                .iter()
                .map(|x| ((1.0 - x.overlap.unwrap()) * 1.5 * n as f64).round() as usize)
                .collect();
            let what = format!("blocked RSA β={beta} γ={gamma} {centre:?} {visit:?}");
            let (zs, zh, zws) = (max_z(&sums, &ps), max_z(&h, &ph), max_z(&sums, &ws));
            eprintln!("{what}: |z| Σ E {zs:.2}, H {zh:.2}; wrong β {zws:.1}");
            assert!(zs < Z_MAX, "{what}: Σ_a E_a |z| = {zs:.2}");
            assert!(zh < Z_MAX, "{what}: overlap |z| = {zh:.2}");
            assert!(zws > 2.0 * Z_MAX, "{what}: wrong β gives only {zws:.2}");
        }
    }
}
