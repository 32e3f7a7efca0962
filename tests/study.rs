//! Studies: grid syntax, resumable sweeps (library and a SIGKILLed CLI run), task seeds that reproduce a task
//! through `solve`, the statistics of `analyze` against known answers (Wilson interval, a logistic law, a
//! finite-size law), and the robustness and overlap measures on teacher solutions.

use densemc::bits::Kernels;
use densemc::mc::{Centre, Visit};
use densemc::mc::{EnergyKind, Order, Ramp, Schedule};
use densemc::model::{self, fast};
use densemc::model::{Activation, Arch};
use densemc::rng;
use densemc::run::journal::Journal;
use densemc::run::plan::{task_seed, Plan};
use densemc::run::pool;
use densemc::run::records::TaskRecord;
use densemc::solve::{solve, Algo, Config};
use densemc::study::analyze::{self, Options};
use densemc::study::fit::{self, FitStatus, SizePoint};
use densemc::study::grid::{parse_f64_grid, parse_usize_grid};
use densemc::study::overlaps;
use densemc::study::robustness;
use densemc::study::stats::wilson;
use densemc::weights::Weights;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

mod common;
use common::TempDir;

fn config(algo: Algo, sweeps: u64) -> Config {
    Config {
        algo,
        replicas: if algo == Algo::Sa { 1 } else { 5 },
        centre: Centre::Traced,
        schedule: Schedule::ramp(
            Ramp::Geometric,
            (0.5, 5.0),
            if algo == Algo::Sa {
                (0.0, 0.0)
            } else {
                (0.1, 10.0)
            },
            sweeps,
        )
        .unwrap(),
        max_sweeps: sweeps,
        order: Order::Permutation,
        energy: EnergyKind::Linear,
        seed: 0,
        threads: 1,
        visit: Visit::Blocks,
        dynamics: Default::default(),
        no_stop: false,
        fbp: None,
        online: None,
    }
}

fn small_plan() -> Plan {
    Plan {
        k: 1,
        activation: Activation::Perceptron,
        teacher: false,
        ns: vec![51, 101],
        alphas: vec![0.5, 0.75],
        samples: 3,
        searches: vec![config(Algo::Rsa, 150), config(Algo::Sa, 150)],
        seed: 11,
        test_patterns: 0,
    }
}

fn read_lines(p: &Path) -> Vec<TaskRecord> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A record without its timings, which are the only fields that may differ between two runs.
fn untimed(r: &TaskRecord) -> TaskRecord {
    let mut r = r.clone();
    r.seconds = 0.0;
    r.proposals_per_second = 0.0;
    r
}

fn run_all(plan: &Plan, path: &Path, threads: usize, keep: bool) -> Journal {
    let j = Journal::open(path, plan, None).unwrap();
    let tasks = j.pending(plan, None);
    pool::run(plan, &j, &tasks, threads, keep, &|_| {}).unwrap();
    j
}

// ---------------------------------------------------------------------------------------------------------
// Grids

#[test]
fn grids_parse_ranges_and_lists_and_refuse_bad_syntax() {
    let g = parse_f64_grid("0.5:0.8:0.02", "--alpha").unwrap();
    assert_eq!(g.len(), 16);
    // Every value is the f64 of its decimal literal, not an accumulation of rounding errors.
    for (i, v) in g.iter().enumerate() {
        let lit: f64 = format!("{:.2}", 0.5 + 0.02 * i as f64).parse().unwrap();
        assert_eq!(*v, lit, "value {i}");
    }
    assert_eq!(parse_f64_grid("0:0.5:0.01", "--p-grid").unwrap().len(), 51);
    assert_eq!(
        parse_f64_grid("0.1:0.3:0.1", "--x").unwrap(),
        vec![0.1, 0.2, 0.3]
    );
    assert_eq!(
        parse_f64_grid("0.5, 0.6", "--alpha").unwrap(),
        vec![0.5, 0.6]
    );
    assert_eq!(parse_f64_grid("0.7", "--alpha").unwrap(), vec![0.7]);
    assert_eq!(
        parse_usize_grid("1001,2001,4001", "--n").unwrap(),
        vec![1001, 2001, 4001]
    );
    assert_eq!(
        parse_usize_grid("101:501:200", "--n").unwrap(),
        vec![101, 301, 501]
    );
    for bad in [
        "",
        "0.5:0.8",
        "0.5:0.8:0",
        "0.5:0.8:-0.1",
        "0.8:0.5:0.1",
        "a,b",
        "0.5,,0.6",
        "0.5,0.5",
        "1:2:1e-9",
        "0.5:nan:0.1",
        "inf",
    ] {
        let e = parse_f64_grid(bad, "--alpha").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(
            msg.contains("--alpha") && !msg.contains('\n'),
            "{bad:?}: {msg}"
        );
    }
    for bad in [
        "",
        "x",
        "101:501",
        "501:101:2",
        "101:501:0",
        "1.5",
        "-3",
        "7,7",
    ] {
        assert!(parse_usize_grid(bad, "--n").is_err(), "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Sweeps

#[test]
fn sweep_writes_every_task_once_resumes_and_cuts_a_torn_line() {
    let dir = TempDir::new("study-resume");
    let plan = small_plan();
    let out = dir.path("results.jsonl");
    let j = run_all(&plan, &out, 2, false);
    assert_eq!(j.recorded, 0);
    drop(j);
    let lines = read_lines(&out);
    assert_eq!(lines.len(), plan.len());
    assert_eq!(plan.len(), 2 * 2 * 3 * 2);
    let keys: std::collections::HashSet<_> = lines.iter().map(|r| r.key()).collect();
    assert_eq!(keys.len(), plan.len());
    assert!(lines.iter().all(|r| r.weights.is_none()));
    assert!(lines.iter().any(|r| r.solved) && lines.iter().any(|r| !r.solved));

    // A second run skips everything and appends nothing.
    let before = std::fs::read(&out).unwrap();
    let j = run_all(&plan, &out, 2, false);
    assert_eq!(j.recorded, plan.len());
    assert_eq!(j.recorded_solved, lines.iter().filter(|r| r.solved).count());
    assert!(j.pending(&plan, None).is_empty());
    drop(j);
    assert_eq!(std::fs::read(&out).unwrap(), before);

    // A complete last line whose newline is missing is kept, and its newline written.
    std::fs::write(&out, &before[..before.len() - 1]).unwrap();
    let j = Journal::open(&out, &plan, None).unwrap();
    assert_eq!((j.recorded, j.torn_bytes), (plan.len(), 0));
    drop(j);
    assert_eq!(std::fs::read(&out).unwrap(), before);

    // A torn last line (a kill during the write) is cut and its task run again.
    let text = String::from_utf8(before.clone()).unwrap();
    let last_start = text[..text.len() - 1].rfind('\n').unwrap() + 1;
    let torn = &before[..last_start + 40];
    std::fs::write(&out, torn).unwrap();
    let j = Journal::open(&out, &plan, None).unwrap();
    assert_eq!(j.torn_bytes, 40);
    let todo = j.pending(&plan, None);
    assert_eq!(todo.len(), 1);
    pool::run(&plan, &j, &todo, 1, false, &|_| {}).unwrap();
    drop(j);
    let again = read_lines(&out);
    assert_eq!(again.len(), plan.len());
    let by_key: HashMap<_, _> = lines.iter().map(|r| (r.key(), untimed(r))).collect();
    for r in &again {
        assert_eq!(by_key[&r.key()], untimed(r), "task {:?} changed", r.key());
    }

    // The same sweep on one thread gives the same content per task.
    let out1 = dir.path("one-thread.jsonl");
    drop(run_all(&plan, &out1, 1, false));
    for r in read_lines(&out1) {
        assert_eq!(by_key[&r.key()], untimed(&r));
    }

    // Another grid or other parameters are refused with a clear one-line message.
    let mut grid = plan.clone();
    grid.samples = 4;
    let e = Journal::open(&out, &grid, None).err().unwrap();
    assert!(e.to_string().contains("another grid"), "{e}");
    let mut params = plan.clone();
    params.searches[1].max_sweeps = 151;
    let e = Journal::open(&out, &params, None).err().unwrap();
    assert!(e.to_string().contains("other search parameters"), "{e}");
    assert_eq!(e.exit_code(), 2);
    // A refused file is left as it is, torn last line included.
    let mut torn = std::fs::read(&out).unwrap();
    torn.extend_from_slice(b"{\"sweep\":");
    std::fs::write(&out, &torn).unwrap();
    assert!(Journal::open(&out, &grid, None).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), torn);
    // A file that is not a results file.
    let junk = dir.path("junk.jsonl");
    std::fs::write(&junk, "hello\n").unwrap();
    let e = Journal::open(&junk, &plan, None).err().unwrap();
    assert!(e.to_string().contains("junk.jsonl:1"), "{e}");
}

#[test]
fn a_task_seed_reproduces_the_task_through_solve() {
    let dir = TempDir::new("study-seed");
    let mut plan = small_plan();
    plan.ns = vec![101];
    plan.samples = 2;
    let out = dir.path("r.jsonl");
    drop(run_all(&plan, &out, 2, true));
    let lines = read_lines(&out);
    assert!(lines.iter().all(|r| r.weights.is_some()));
    assert!(lines
        .iter()
        .filter(|r| r.algo == Algo::Rsa)
        .all(|r| r.centre_weights.is_some()));
    // Both algorithms of a sample share the instance seed.
    let seeds: HashMap<_, _> = lines
        .iter()
        .map(|r| ((r.n, r.alpha_index, r.sample, r.algo == Algo::Sa), r.seed))
        .collect();
    for r in &lines {
        assert_eq!(seeds[&(r.n, r.alpha_index, r.sample, true)], r.seed);
        assert_eq!(r.seed, task_seed(plan.seed, r.n, r.alpha, r.sample));
        assert!(r.seed < 1 << 53);
        assert_eq!(r.config.seed, r.seed);
    }
    for r in lines.iter().filter(|r| r.sample == 1) {
        // What `densemc solve --n N --alpha A --seed S` does.
        let arch = Arch::new(r.n, r.k, r.activation).unwrap();
        let (inst, _) = model::generate(arch, r.alpha, r.seed, r.teacher).unwrap();
        assert_eq!(inst.p(), r.p);
        let rep = solve(&inst, None, &r.config, &mut |_| true).unwrap();
        assert_eq!(
            (
                rep.solved,
                rep.sweeps,
                rep.energy,
                rep.errors,
                rep.proposals
            ),
            (r.solved, r.sweeps, r.energy, r.errors, r.proposals)
        );
        assert_eq!(Some(rep.weights), r.weights);
        assert_eq!(rep.centre.map(|c| c.weights), r.centre_weights);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Statistics

#[test]
fn wilson_interval_matches_known_values() {
    let close = |(a, b): (f64, f64), (c, d): (f64, f64)| {
        assert!(
            (a - c).abs() < 1e-4 && (b - d).abs() < 1e-4,
            "({a}, {b}) vs ({c}, {d})"
        )
    };
    close(wilson(5, 10), (0.2366, 0.7634));
    close(wilson(0, 10), (0.0, 0.2775));
    close(wilson(10, 10), (0.7225, 1.0));
    close(wilson(1, 100), (0.0018, 0.0545));
    close(wilson(50, 100), (0.4038, 0.5962));
}

/// Tasks at α = 0.60, 0.61, …, 0.80, `per` each, solved with probability 1/(1 + exp((α − 0.7)/0.02)).
fn logistic_tasks(per: usize, seed: u64) -> Vec<(f64, bool)> {
    let mut r = rng::stream(seed, "test-logistic", 0);
    let mut out = Vec::new();
    for i in 0..=20 {
        let a = 0.6 + 0.01 * i as f64;
        let p = 1.0 / (1.0 + ((a - 0.7) / 0.02).exp());
        for _ in 0..per {
            out.push((a, rng::uniform(&mut r) < p));
        }
    }
    out
}

#[test]
fn logistic_fit_recovers_a_known_success_curve() {
    for seed in 1..=3 {
        let tasks = logistic_tasks(100, seed);
        let a = fit::alpha50_bootstrap(&tasks, 200, seed, 0);
        assert_eq!(a.fit.status, FitStatus::Fitted);
        assert!(a.err > 0.0 && a.err < 0.005, "error bar {}", a.err);
        assert!(
            (a.fit.alpha50 - 0.7).abs() < 4.0 * a.err,
            "α_50 = {} ± {}",
            a.fit.alpha50,
            a.err
        );
        assert!((a.fit.w - 0.02).abs() < 0.004, "w = {}", a.fit.w);
        assert_eq!(a.valid, 200);
    }
    // The error bar is honest: over 40 independent data sets, |α̂ − 0.7| < σ̂ about 68 % of the time.
    let inside = (100..140)
        .filter(|&s| {
            let a = fit::alpha50_bootstrap(&logistic_tasks(20, s), 100, s, 0);
            (a.fit.alpha50 - 0.7).abs() < a.err
        })
        .count();
    assert!((18..=38).contains(&inside), "{inside}/40 within 1σ");
    // Separated data: α_50 in the middle of the gap; no information: no α_50.
    let sep: Vec<(f64, bool)> = vec![(0.5, true), (0.6, true), (0.7, false), (0.8, false)];
    let f = fit::logistic(&fit::group(&sep));
    assert_eq!(f.status, FitStatus::Separated);
    assert!((f.alpha50 - 0.65).abs() < 1e-12);
    let all: Vec<(f64, bool)> = vec![(0.5, true), (0.6, true)];
    assert_eq!(
        fit::logistic(&fit::group(&all)).status,
        FitStatus::AllSolved
    );
    let one: Vec<(f64, bool)> = vec![(0.5, true), (0.5, false)];
    assert!(fit::logistic(&fit::group(&one)).alpha50.is_nan());
}

#[test]
fn finite_size_fit_recovers_the_limit() {
    let law = |n: f64, nu: f64| 0.75 - 0.3 * n.powf(-nu);
    let ns = [100.0, 400.0, 1600.0, 6400.0, 25600.0];
    // Exact points, ν given.
    let pts: Vec<SizePoint> = ns
        .iter()
        .map(|&n| SizePoint {
            n,
            alpha50: law(n, 0.5),
            err: 0.002,
        })
        .collect();
    let f = fit::fss(&pts[..3], 0.5, false).unwrap();
    assert!((f.alpha_inf - 0.75).abs() < 1e-9 && (f.a + 0.3).abs() < 1e-9);
    assert!(f.alpha_inf_err > 0.0 && f.alpha_inf_err < 0.01);
    assert_eq!(f.dof, 1);
    // Noisy points: α_∞ within a few σ.
    let mut r = rng::stream(5, "test-fss", 0);
    let noisy: Vec<SizePoint> = ns
        .iter()
        .map(|&n| {
            // A Gaussian from the sum of 12 uniforms.
            let g: f64 = (0..12).map(|_| rng::uniform(&mut r)).sum::<f64>() - 6.0;
            SizePoint {
                n,
                alpha50: law(n, 0.5) + 0.002 * g,
                err: 0.002,
            }
        })
        .collect();
    let f = fit::fss(&noisy, 0.5, false).unwrap();
    assert!(
        (f.alpha_inf - 0.75).abs() < 4.0 * f.alpha_inf_err,
        "{} ± {}",
        f.alpha_inf,
        f.alpha_inf_err
    );
    // ν fitted from exact points with ν = 0.7.
    let pts: Vec<SizePoint> = ns
        .iter()
        .map(|&n| SizePoint {
            n,
            alpha50: law(n, 0.7),
            err: 0.001,
        })
        .collect();
    let f = fit::fss(&pts, 0.5, true).unwrap();
    assert!(f.nu_fitted);
    assert!((f.nu - 0.7).abs() < 1e-3, "ν = {}", f.nu);
    assert!((f.alpha_inf - 0.75).abs() < 1e-4, "α_∞ = {}", f.alpha_inf);
    // Fewer than 4 sizes: ν stays fixed; one size: no fit.
    assert!(!fit::fss(&pts[..3], 0.5, true).unwrap().nu_fitted);
    assert!(fit::fss(&pts[..1], 0.5, false).is_none());
}

#[test]
fn analyze_summarises_a_sweep_and_writes_tables_and_plots() {
    let dir = TempDir::new("study-analyze");
    let plan = small_plan();
    let out = dir.path("r.jsonl");
    drop(run_all(&plan, &out, 2, false));
    // A torn last line is ignored with a note, also when it is cut inside a multi-byte character.
    let mut f = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
    f.write_all(b"{\"sweep\":\"12\xc3").unwrap();
    drop(f);
    let (recs, notes) = analyze::read_records(&[out.clone(), out.clone()]).unwrap();
    assert_eq!(recs.len(), 2 * plan.len());
    assert_eq!(notes.len(), 2);
    let an = analyze::analyze(&recs, &Options::default()).unwrap();
    assert_eq!(an.duplicates, plan.len());
    assert_eq!(an.series.len(), 2);
    assert_eq!(an.success.len(), 2 * 2 * 2);
    assert_eq!(an.sizes.len(), 2 * 2);
    for row in &an.success {
        let algo = an.series[row.series].algo;
        let solved = recs[..plan.len()]
            .iter()
            .filter(|r| r.algo == algo && r.n == row.n && r.alpha == row.alpha && r.solved)
            .count() as u64;
        assert_eq!((row.tasks, row.solved), (3, solved));
        assert!(row.lo <= row.p_succ && row.p_succ <= row.hi);
        assert_eq!(row.sweeps.is_some(), solved > 0);
    }
    let files = an.write(&dir.path("an")).unwrap();
    for name in [
        "success.csv",
        "alpha50.csv",
        "fss.csv",
        "summary.md",
        "p_succ_rsa.svg",
        "alpha50_fss.svg",
    ] {
        assert!(files.iter().any(|p| p.ends_with(name)), "{name} missing");
    }
    for p in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
    {
        let s = std::fs::read_to_string(p).unwrap();
        assert!(
            s.starts_with("<svg") && s.trim_end().ends_with("</svg>"),
            "{}",
            p.display()
        );
    }
    let csv = std::fs::read_to_string(dir.path("an/success.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + an.success.len());
    // Another grid with the same parameters repeats the common tasks identically; they count once.
    let mut grown = plan.clone();
    grown.ns = vec![51];
    grown.samples = 4;
    let out2 = dir.path("r2.jsonl");
    drop(run_all(&grown, &out2, 2, false));
    let first: HashMap<_, _> = recs[..plan.len()]
        .iter()
        .map(|r| (r.key(), untimed(r)))
        .collect();
    let mut common = 0;
    for r in read_lines(&out2) {
        if let Some(f) = first.get(&r.key()) {
            let mut r = untimed(&r);
            r.sweep = f.sweep.clone();
            assert_eq!(*f, r);
            common += 1;
        }
    }
    assert_eq!(common, 2 * 3 * 2);
    let (both, _) = analyze::read_records(&[out.clone(), out2]).unwrap();
    let an2 = analyze::analyze(&both, &Options::default()).unwrap();
    assert_eq!(an2.duplicates, common);
    // Mixed architectures are refused.
    let mut other = recs[0].clone();
    other.k = 3;
    other.activation = Activation::Sign;
    let e = analyze::analyze(&[recs[0].clone(), other], &Options::default()).unwrap_err();
    assert!(e.to_string().contains("mix architectures"), "{e}");
}

// ---------------------------------------------------------------------------------------------------------
// Robustness and overlaps

#[test]
fn robustness_of_teacher_solutions_has_the_known_limits() {
    for (n, k, act) in [(301, 1, Activation::Perceptron), (303, 3, Activation::Sign)] {
        let arch = Arch::new(n, k, act).unwrap();
        let (inst, teacher) = model::generate(arch, 0.6, 3, true).unwrap();
        let t = teacher.unwrap();
        assert_eq!(fast::errors(&inst, &t, Kernels::best()), 0);
        let ps = [0.0, 0.02, 0.5];
        let w = robustness::weight_curves(&inst, &[&t], &ps, 40, 1);
        assert_eq!(
            (w[0][0].mean, w[0][0].se),
            (0.0, 0.0),
            "δE(0) of a solution"
        );
        assert!(w[0][1].mean > 0.0 && w[0][1].mean < 0.4);
        assert!(
            (w[0][2].mean - 0.5).abs() < 0.05,
            "δE(1/2) = {}",
            w[0][2].mean
        );
        assert!(w[0][2].se > 0.0 && w[0][2].se < 0.02);
        let x = robustness::input_curves(&inst, &[&t], &ps, 40, 1);
        assert_eq!(x[0][0].mean, 0.0, "input robustness at p = 0");
        assert!(x[0][1].mean > 0.0 && x[0][1].mean < 0.4);
        assert!(
            (x[0][2].mean - 0.5).abs() < 0.05,
            "inputs at p=1/2: {}",
            x[0][2].mean
        );
        // Random weights err on about half the patterns already at p = 0.
        let rand = Weights::random(n, &mut rng::stream(9, "test", 0));
        let r = robustness::weight_curves(&inst, &[&rand], &[0.0], 1, 1);
        assert!((r[0][0].mean - 0.5).abs() < 0.1);
    }
}

#[test]
fn robustness_is_seeded_paired_and_thread_independent() {
    let arch = Arch::new(201, 1, Activation::Perceptron).unwrap();
    let (inst, teacher) = model::generate(arch, 0.5, 4, true).unwrap();
    let t = teacher.unwrap();
    let mut v = t.clone();
    (0..10).for_each(|i| v.flip(i));
    let subjects = vec![
        robustness::Subject {
            label: "teacher".into(),
            weights: t.clone(),
        },
        robustness::Subject {
            label: "near".into(),
            weights: v.clone(),
        },
    ];
    let ps = parse_f64_grid("0:0.2:0.05", "--p-grid").unwrap();
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let a = pool(1).install(|| robustness::measure(&inst, &subjects, &ps, 20, 7).unwrap());
    let b = pool(2).install(|| robustness::measure(&inst, &subjects, &ps, 20, 7).unwrap());
    assert_eq!(a.weights, b.weights);
    assert_eq!(a.inputs, b.inputs);
    let c = robustness::measure(&inst, &subjects, &ps, 20, 8).unwrap();
    assert_ne!(a.weights, c.weights);
    // Overlaps: d(teacher, near) = 10/N.
    assert!((a.distances[0][1] - 10.0 / 201.0).abs() < 1e-12);
    assert!(a.hidden.is_empty());
    assert!(a.table().contains("teacher") && a.csv().lines().count() == 1 + 2 * 2 * ps.len());
    // Bad grids and draw counts are one-line input errors.
    assert!(robustness::measure(&inst, &subjects, &[0.5, 1.5], 5, 1).is_err());
    assert!(robustness::measure(&inst, &subjects, &ps, 0, 1).is_err());
}

#[test]
fn overlaps_of_weight_blocks_and_distances() {
    let n = 3 * 51;
    let block = Weights::random(51, &mut rng::stream(1, "test", 1)).signs();
    let same: Vec<i8> = block.iter().cycle().take(n).copied().collect();
    let q = overlaps::hidden_overlaps(&Weights::from_signs(&same), 3);
    assert!(q.iter().flatten().all(|&x| x == 1.0));
    let mut mixed = same.clone();
    mixed[51..102].iter_mut().for_each(|x| *x = -*x);
    let q = overlaps::hidden_overlaps(&Weights::from_signs(&mixed), 3);
    assert_eq!(q[0][1], -1.0);
    assert_eq!(q[0][2], 1.0);
    assert_eq!(q[1][1], 1.0);
    let w = Weights::from_signs(&same);
    let minus = Weights::from_signs(&same.iter().map(|x| -x).collect::<Vec<_>>());
    let d = overlaps::distance_matrix(&[&w, &minus]);
    assert_eq!(d, vec![vec![0.0, 1.0], vec![1.0, 0.0]]);
}

// ---------------------------------------------------------------------------------------------------------
// The command line

fn sweep_args(out: &Path) -> Vec<String> {
    [
        "sweep",
        "--n",
        "151,201",
        "--alpha",
        "0.55:0.75:0.05",
        "--samples",
        "6",
        "--algo",
        "rsa,sa",
        "--max-sweeps",
        "1500",
        "--replicas",
        "5",
        "--seed",
        "3",
        "--threads",
        "2",
        "--quiet",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.display().to_string()])
    .collect()
}

#[test]
fn a_killed_cli_sweep_resumes_with_every_task_exactly_once() {
    let dir = TempDir::new("study-kill");
    let out = dir.path("r.jsonl");
    let total = 2 * 5 * 6 * 2;
    let mut child = Command::new(BIN)
        .args(sweep_args(&out))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let mut killed = false;
    loop {
        let lines = std::fs::read_to_string(&out).map_or(0, |s| s.lines().count());
        if lines >= 5 {
            killed = child.try_wait().unwrap().is_none();
            let _ = child.kill(); // SIGKILL
            break;
        }
        if child.try_wait().unwrap().is_some() || start.elapsed().as_secs() > 60 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.wait();
    let partial = std::fs::read_to_string(&out).unwrap().lines().count();
    assert!(
        killed && partial < total,
        "the sweep was not interrupted ({partial} lines)"
    );
    let o = Command::new(BIN).args(sweep_args(&out)).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.ends_with('\n'));
    let mut count: HashMap<(usize, usize, usize, &str), usize> = HashMap::new();
    for l in text.lines() {
        let r: TaskRecord = serde_json::from_str(l).unwrap();
        *count.entry(r.key()).or_default() += 1;
    }
    assert_eq!(count.len(), total);
    assert!(count.values().all(|&c| c == 1));
    // The analysis runs on it and writes its files.
    let an = dir.path("an");
    let o = Command::new(BIN)
        .args([
            "analyze",
            out.to_str().unwrap(),
            "--out-dir",
            an.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("α_50"));
    assert!(an.join("p_succ_sa.svg").exists());
}

#[test]
fn cli_study_errors_are_one_line_with_exit_code_2() {
    let dir = TempDir::new("study-errors");
    let out = dir.path("r.jsonl");
    let inst = dir.path("inst.txt");
    let missing = dir.path("missing.jsonl");
    let o = Command::new(BIN)
        .args([
            "generate",
            "--n",
            "51",
            "--alpha",
            "0.5",
            "--out",
            inst.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "sweep",
            "--n",
            "51",
            "--alpha",
            "0.5:0.8",
            "--out",
            out.to_str().unwrap(),
        ],
        vec![
            "sweep",
            "--n",
            "50",
            "--alpha",
            "0.5",
            "--out",
            out.to_str().unwrap(),
        ],
        vec![
            "sweep",
            "--n",
            "51",
            "--alpha",
            "0.5",
            "--samples",
            "0",
            "--out",
            out.to_str().unwrap(),
        ],
        vec!["analyze", missing.to_str().unwrap()],
        vec!["analyze", inst.to_str().unwrap()],
        vec![
            "robustness",
            "--instance",
            inst.to_str().unwrap(),
            "--weights",
            inst.to_str().unwrap(),
        ],
        vec![
            "robustness",
            "--instance",
            inst.to_str().unwrap(),
            "--weights",
            "x.json",
            "--label",
            "a",
            "--label",
            "b",
        ],
        vec![
            "robustness",
            "--instance",
            inst.to_str().unwrap(),
            "--weights",
            "x.json",
            "--p-grid",
            "0:2:0.5",
        ],
    ];
    for args in cases {
        let o = Command::new(BIN).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("densemc: error: "), "{args:?}: {err}");
    }
    // A solution from `solve` and its robustness through the command line.
    let res = dir.path("rsa.json");
    let o = Command::new(BIN)
        .args([
            "solve",
            "--instance",
            inst.to_str().unwrap(),
            "--max-sweeps",
            "2000",
            "-q",
            "--out",
            res.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let rob = dir.path("rob");
    let o = Command::new(BIN)
        .args([
            "robustness",
            "--instance",
            inst.to_str().unwrap(),
            "--weights",
            res.to_str().unwrap(),
            "--p-grid",
            "0,0.1",
            "--flips",
            "10",
            "--out-dir",
            rob.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("rsa:centre") && table.contains("δE(p)"),
        "{table}"
    );
    assert!(rob.join("robustness.csv").exists() && rob.join("robustness_weights.svg").exists());
    // A result found on another instance is refused.
    let other = dir.path("other.txt");
    let o = Command::new(BIN)
        .args([
            "generate", "--n", "51", "--alpha", "0.5", "--seed", "2", "--out",
        ])
        .arg(&other)
        .output()
        .unwrap();
    assert!(o.status.success());
    let o = Command::new(BIN)
        .args([
            "robustness",
            "--weights",
            res.to_str().unwrap(),
            "--instance",
        ])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("checksum"));
}
