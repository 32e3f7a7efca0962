//! `local-entropy`: the exact method against an enumerator written here (all 2^N configurations, plain loops
//! over ±1 values, checked against the reference evaluator), and the BP and Monte Carlo estimates against
//! the Legendre transform of the exact Z(γ) = Σ_k count_k e^{γ(N − 2k)}; the command's JSON and its errors.

mod common;

use common::TempDir;
use densemc::bp::{self, entropy::binary_entropy, FactorRule, Params as BpParams};
use densemc::instance::{Format, Instance};
use densemc::model::{self, Activation, Arch};
use densemc::study::local_entropy::{measure, McParams, Method, Params};
use densemc::weights::Weights;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

/// A random perceptron instance and a solution of it (focusing BP).
fn case(n: usize, alpha: f64, seed: u64) -> (Instance, Weights) {
    let arch = Arch::new(n, 1, Activation::Perceptron).unwrap();
    let inst = model::generate(arch, alpha, seed, false).unwrap().0;
    let out = bp::solve(&inst, &BpParams::default()).unwrap();
    assert!(out.solved);
    (inst, out.weights)
}

/// count_k of solutions at distance k from `wref`: all 2^N configurations in Gray-code order, the
/// preactivations λ^μ = Σ_i ξ_i^μ W_i kept as integers (one weight changes per step), a solution when
/// σ^μ λ^μ > 0 for every μ. Every configuration of N ≤ `checked` is also recounted by the reference evaluator.
fn enumerate(inst: &Instance, wref: &Weights, checked: usize) -> Vec<u64> {
    let (n, p) = (inst.n(), inst.p());
    let xi: Vec<Vec<i32>> = (0..n)
        .map(|i| (0..p).map(|mu| inst.xi(i, mu) as i32).collect())
        .collect();
    let sigma: Vec<i32> = (0..p).map(|mu| inst.sigma(mu) as i32).collect();
    let mut w = vec![1i32; n];
    let mut lambda: Vec<i32> = (0..p).map(|mu| (0..n).map(|i| xi[i][mu]).sum()).collect();
    let mut dist = (0..n).filter(|&i| wref.get(i) != 1).count();
    let mut counts = vec![0u64; n + 1];
    for step in 0u64..1 << n {
        if step > 0 {
            let i = step.trailing_zeros() as usize;
            w[i] = -w[i];
            for mu in 0..p {
                lambda[mu] += 2 * w[i] * xi[i][mu];
            }
            if w[i] == wref.get(i) as i32 {
                dist -= 1;
            } else {
                dist += 1;
            }
        }
        let solved = (0..p).all(|mu| sigma[mu] * lambda[mu] > 0);
        if n <= checked {
            let signs: Vec<i8> = w.iter().map(|&v| v as i8).collect();
            let ws = Weights::from_signs(&signs);
            assert_eq!(model::reference::errors(inst, &ws) == 0, solved);
            assert_eq!(ws.hamming(wref), dist);
        }
        if solved {
            counts[dist] += 1;
        }
    }
    counts
}

/// (1/N) ln Z(γ) and q(γ) from counts, summed directly in extended range (log-sum-exp).
fn exact_phi(counts: &[u64], gamma: f64) -> (f64, f64) {
    let n = (counts.len() - 1) as f64;
    let l: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(k, &c)| {
            (
                (c as f64).ln() + gamma * (n - 2.0 * k as f64),
                1.0 - 2.0 * k as f64 / n,
            )
        })
        .collect();
    let top = l.iter().map(|x| x.0).fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = l.iter().map(|x| (x.0 - top).exp()).sum();
    let zq: f64 = l.iter().map(|x| (x.0 - top).exp() * x.1).sum();
    ((top + z.ln()) / n, zq / z)
}

/// The Legendre transform of the exact Z at distance d: φ(γ) − γ(1 − 2d) at the γ where q(γ) = 1 − 2d
/// (q increases with γ: bisection).
fn legendre(counts: &[u64], d: f64) -> f64 {
    let (mut a, mut b) = (-20.0, 20.0);
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if exact_phi(counts, m).1 < 1.0 - 2.0 * d {
            a = m
        } else {
            b = m
        }
    }
    let g = 0.5 * (a + b);
    exact_phi(counts, g).0 - g * (1.0 - 2.0 * d)
}

fn params(method: Method, gammas: Vec<f64>) -> Params {
    Params {
        method,
        gammas,
        d_grid: vec![0.05, 0.1, 0.15],
        bp: Default::default(),
        mc: McParams::default(),
    }
}

fn grid(step: f64) -> Vec<f64> {
    let k = (4.0 / step).round() as usize;
    (0..=k).map(|j| j as f64 * step).collect()
}

#[test]
fn exact_counts_equal_an_independent_enumeration() {
    for (n, alpha, seed) in [(15, 0.5, 5), (21, 0.3, 1), (25, 0.3, 3)] {
        let (inst, wref) = case(n, alpha, seed);
        let counts = enumerate(&inst, &wref, 17);
        let c = measure(&inst, &wref, &params(Method::Exact, grid(0.5))).unwrap();
        assert_eq!(c.counts.as_ref().unwrap(), &counts, "N={n}");
        assert_eq!(counts[0], 1);
        // S(k/N) = ln(count_k)/N exactly where count_k > 0.
        let want: Vec<(f64, f64)> = counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(k, &c)| (k as f64 / n as f64, (c as f64).ln() / n as f64))
            .collect();
        assert_eq!(c.d.len(), want.len());
        for ((d, s), (wd, ws)) in c.d.iter().zip(&c.s).zip(&want) {
            assert_eq!((d, s), (wd, ws));
            assert!(*s <= binary_entropy(*d) + 1e-12);
        }
        assert_eq!(c.neighbours as u64, counts[1]);
        // The Legendre curve: the exact φ(γ), q(γ), and S on the d grid.
        for p in &c.points {
            let (phi, q) = exact_phi(&counts, p.gamma);
            assert!((p.phi - phi).abs() < 1e-12 && (p.q - q).abs() < 1e-12);
            assert!((p.s - (phi - p.gamma * q)).abs() < 1e-12);
        }
        for (d, s) in c.d_grid.iter().zip(&c.s_grid) {
            assert!((s.unwrap() - legendre(&counts, *d)).abs() < 1e-9, "d={d}");
        }
    }
}

/// Over the γ points with 1/N < d ≤ 0.2: max |S − S_exact(d)|, max |φ − φ_exact(γ)|, the number of points.
fn gaps(c: &densemc::study::local_entropy::Curve, counts: &[u64]) -> (f64, f64, usize) {
    let n = (counts.len() - 1) as f64;
    let (mut ds, mut dphi, mut used) = (0.0f64, 0.0f64, 0);
    for p in &c.points {
        if std::env::var("LE_DEBUG").is_ok() {
            eprintln!(
                "γ={:.2} d={:.4} Δφ={:+.4}",
                p.gamma,
                p.d,
                p.phi - exact_phi(counts, p.gamma).0
            );
        }
        if p.d > 1.0 / n && p.d <= 0.2 {
            dphi = dphi.max((p.phi - exact_phi(counts, p.gamma).0).abs());
            ds = ds.max((p.s - legendre(counts, p.d)).abs());
            used += 1;
        }
    }
    (ds, dphi, used)
}

#[test]
fn bp_is_within_0_01_of_the_exact_legendre_curve() {
    for (n, seed) in [(21, 1), (23, 2), (25, 3)] {
        let (inst, wref) = case(n, 0.3, seed);
        let counts = enumerate(&inst, &wref, 0);
        let c = measure(&inst, &wref, &params(Method::Bp, grid(0.1))).unwrap();
        assert!(c.points.iter().all(|p| p.converged));
        let (ds, dphi, used) = gaps(&c, &counts);
        eprintln!(
            "bp N={n} seed {seed}: max |ΔS| {ds:.4} (d ≤ 0.2, {used} points), max |Δφ| {dphi:.4}"
        );
        assert!(used >= 5);
        assert!(ds < 0.01, "N={n}: |ΔS| = {ds}");
    }
}

/// The MC estimate at N = 21–25 (2000 measured sweeps per γ after 200, γ = 4, 3.95, …, 0): at a given d its
/// error is that of φ (the q noise cancels to first order in S(d) = φ − γq since dS/dd = 2γ), i.e. the
/// integrated noise h·(Σ_j se_j²)^{1/2} ≈ 0.05·(80·0.003²)^{1/2} ≈ 0.0015 plus the trapezoid bias
/// (h²/12)·∫|q''| ≈ 2·10⁻⁴: 0.01 is > 5 standard errors.
#[test]
fn mc_is_within_0_01_of_the_exact_legendre_curve() {
    for (n, seed) in [(21, 1), (23, 2), (25, 3)] {
        let (inst, wref) = case(n, 0.3, seed);
        let counts = enumerate(&inst, &wref, 0);
        let c = measure(&inst, &wref, &params(Method::Mc, grid(0.05))).unwrap();
        let (ds, dphi, used) = gaps(&c, &counts);
        let noise = 0.05 * c.points.iter().map(|p| p.q_se * p.q_se).sum::<f64>().sqrt();
        eprintln!(
            "mc N={n} seed {seed}: max |ΔS| {ds:.4} (d ≤ 0.2, {used} points), max |Δφ| {dphi:.4}, integrated noise ≈ {noise:.4}"
        );
        assert!(used >= 10);
        assert!(ds < 0.01, "N={n}: |ΔS| = {ds}");
        assert!(dphi < 0.01, "N={n}: |Δφ| = {dphi}");
        assert!(noise < 0.003, "noise estimate {noise}");
    }
}

#[test]
fn mc_is_reproducible_and_stays_on_solutions_of_a_committee() {
    // A tree committee with sign units (K = 3), W̃ found by `densemc solve --algo sa`: MC needs no
    // enumeration; the same seed gives the same curve, another seed another one.
    let arch = Arch::new(45, 3, Activation::Sign).unwrap();
    let inst = model::generate(arch, 0.2, 4, false).unwrap().0;
    let dir = TempDir::new("le-committee");
    let (ip, wp) = (dir.path("i.txt"), dir.path("w.json"));
    inst.write(&ip, Format::Text).unwrap();
    let o = run(&[
        "solve",
        "--instance",
        ip.to_str().unwrap(),
        "--algo",
        "sa",
        "--out",
        wp.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let wref = densemc::study::robustness::read_result(&wp, &inst)
        .unwrap()
        .weights;
    assert_eq!(model::reference::errors(&inst, &wref), 0);
    check_mc_repro(&inst, &wref);
}

fn check_mc_repro(inst: &Instance, wref: &Weights) {
    let mut p = params(Method::Mc, vec![3.0, 2.0, 1.0, 0.5]);
    p.mc.sweeps = 300;
    let a = measure(inst, wref, &p).unwrap();
    let b = measure(inst, wref, &p).unwrap();
    assert_eq!(a, b);
    p.mc.seed = 2;
    let c = measure(inst, wref, &p).unwrap();
    assert_ne!(a.points, c.points);
    for pt in &a.points {
        assert!(pt.q <= 1.0 && pt.s <= binary_entropy(pt.d) + 0.05, "{pt:?}");
    }
    // q falls as γ falls.
    assert!(a.points.windows(2).all(|w| w[0].q >= w[1].q - 0.05));
}

#[test]
fn bad_references_and_grids_are_refused() {
    let (inst, wref) = case(21, 0.3, 1);
    let err = |w: &Weights, p: Params| measure(&inst, w, &p).unwrap_err().to_string();
    // A non-solution: find a single flip that creates an error.
    let mut bad = wref.clone();
    let i = (0..21)
        .find(|&i| {
            let mut t = wref.clone();
            t.flip(i);
            model::reference::errors(&inst, &t) > 0
        })
        .unwrap();
    bad.flip(i);
    for m in [Method::Exact, Method::Bp, Method::Mc] {
        assert!(err(&bad, params(m, grid(0.5))).contains("defined around a solution"));
    }
    assert!(err(&wref, params(Method::Mc, vec![1.0, 0.5])).contains("largest γ"));
    assert!(err(&wref, params(Method::Bp, vec![])).contains("γ grid"));
    assert!(err(&wref, params(Method::Bp, vec![1.0, 1.0])).contains("repeated"));
    let mut p = params(Method::Bp, grid(0.5));
    p.d_grid = vec![1.5];
    assert!(err(&wref, p).contains("d grid"));
    let arch = Arch::new(31, 1, Activation::Perceptron).unwrap();
    let big = model::generate(arch, 0.1, 1, false).unwrap().0;
    let w = bp::solve(&big, &BpParams::default()).unwrap().weights;
    assert!(measure(&big, &w, &params(Method::Exact, grid(0.5)))
        .unwrap_err()
        .to_string()
        .contains("N=31"));
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_remove("DENSEMC_PATH")
        .output()
        .unwrap()
}

#[test]
fn the_command_writes_json_csv_svg_and_refuses_bad_input_with_exit_2() {
    let dir = TempDir::new("le-cli");
    let p = |s: &str| dir.path(s).to_string_lossy().into_owned();
    for (name, n, seed) in [
        ("a.txt", "21", "1"),
        ("b.txt", "21", "2"),
        ("c.txt", "31", "1"),
    ] {
        let o = run(&[
            "generate",
            "--n",
            n,
            "--alpha",
            "0.3",
            "--seed",
            seed,
            "--out",
            &p(name),
        ]);
        assert!(o.status.success());
    }
    for (inst, out) in [("a.txt", "a.json"), ("c.txt", "c.json")] {
        let o = run(&[
            "solve",
            "--instance",
            &p(inst),
            "--algo",
            "sa",
            "--out",
            &p(out),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = run(&[
        "local-entropy",
        "--instance",
        &p("a.txt"),
        "--weights",
        &p("a.json"),
        "--method",
        "exact",
        "--gamma-grid",
        "0:4:0.5",
        "--json",
        "--out-dir",
        &p("out"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let inst = Instance::read(&dir.path("a.txt")).unwrap();
    let r = densemc::study::robustness::read_result(&dir.path("a.json"), &inst).unwrap();
    let counts = enumerate(&inst, &r.weights, 0);
    let s: Vec<f64> = serde_json::from_value(v["s"].clone()).unwrap();
    let d: Vec<f64> = serde_json::from_value(v["d"].clone()).unwrap();
    let want: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(k, &c)| (k as f64 / 21.0, (c as f64).ln() / 21.0))
        .collect();
    // (JSON numbers are read back to within an ulp.)
    assert_eq!(d.len(), want.len());
    for ((d, s), (wd, ws)) in d.iter().zip(&s).zip(&want) {
        assert!((d - wd).abs() < 1e-14 && (s - ws).abs() < 1e-14);
    }
    assert_eq!(v["method"], "exact");
    assert_eq!(
        v["instance"]["checksum"],
        format!("{:016x}", inst.checksum())
    );
    assert_eq!(v["gamma"].as_array().unwrap().len(), 9);
    assert_eq!(v["upper_bound"].as_array().unwrap().len(), d.len());
    assert!(v["densemc_version"].is_string());
    for f in [
        "local_entropy.csv",
        "local_entropy_counts.csv",
        "local_entropy.svg",
    ] {
        assert!(dir.path("out").join(f).exists(), "{f}");
    }
    // Bad input: one line on stderr, exit code 2.
    // All + or, if that happens to be a solution, all − (then it is not).
    let sign = if model::reference::errors(&inst, &Weights::ones(21)) > 0 {
        "+"
    } else {
        "-"
    };
    std::fs::write(dir.path("plus.txt"), sign.repeat(21)).unwrap();
    let cases = vec![
        (
            vec!["--instance", "b.txt", "--weights", "a.json"],
            "checksum",
        ),
        (
            vec![
                "--instance",
                "c.txt",
                "--weights",
                "c.json",
                "--method",
                "exact",
            ],
            "N=31",
        ),
        (
            vec![
                "--instance",
                "a.txt",
                "--weights",
                "a.json",
                "--gamma-grid",
                "0:1:0.5",
                "--method",
                "mc",
            ],
            "largest γ",
        ),
        (
            vec!["--instance", "a.txt", "--weights", "a.json", "--centre"],
            "centre",
        ),
        (
            vec!["--instance", "a.txt", "--weights", "plus.txt"],
            "solution",
        ),
    ];
    for (args, word) in cases {
        let mut full = vec!["local-entropy".to_string()];
        full.extend(args.iter().map(|a| {
            if a.ends_with(".txt") || a.ends_with(".json") {
                p(a)
            } else {
                a.to_string()
            }
        }));
        let refs: Vec<&str> = full.iter().map(|s| s.as_str()).collect();
        let o = run(&refs);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(e.contains(word), "{args:?}: {e:?} should mention {word}");
    }
}

/// A random committee instance and a solution of it (focusing BP).
fn committee_case(n: usize, k: usize, activation: Activation, seed: u64) -> (Instance, Weights) {
    let arch = Arch::new(n, k, activation).unwrap();
    let inst = model::generate(arch, 0.3, seed, false).unwrap().0;
    let out = bp::solve(&inst, &BpParams::default()).unwrap();
    assert!(out.solved, "{arch} seed {seed}");
    (inst, out.weights)
}

/// count_k for any network by visiting all 2^N configurations, each classified by the reference evaluator.
fn enumerate_by_reference(inst: &Instance, wref: &Weights) -> Vec<u64> {
    let n = inst.n();
    let mut counts = vec![0u64; n + 1];
    for w in 0u32..1 << n {
        let signs: Vec<i8> = (0..n)
            .map(|i| if w >> i & 1 == 1 { -1 } else { 1 })
            .collect();
        let ws = Weights::from_signs(&signs);
        if model::reference::errors(inst, &ws) == 0 {
            counts[ws.hamming(wref)] += 1;
        }
    }
    counts
}

#[test]
fn exact_counts_of_committees_equal_an_enumeration_by_the_reference_evaluator() {
    for (n, k, activation, seed) in [
        (15, 3, Activation::Sign, 1),
        (16, 4, Activation::Relu, 1),
        (15, 3, Activation::FcSign, 2),
    ] {
        let (inst, wref) = committee_case(n, k, activation, seed);
        let c = measure(&inst, &wref, &params(Method::Exact, grid(0.5))).unwrap();
        let counts = enumerate_by_reference(&inst, &wref);
        assert_eq!(c.counts.as_ref().unwrap(), &counts, "{}", inst.arch());
        assert_eq!(counts[0], 1);
        assert!(counts.iter().sum::<u64>() > 1);
    }
}

/// BP on sign committees (tree and fully connected, exact output node) against the Legendre transform of
/// the exact Z(γ), as for the perceptron: with exact unit laws within 0.01 for d ≤ 0.2 (the Bethe error
/// itself; docs/bp.md lists one instance, sign N = 21 seed 1, where it reaches 0.013). The Gaussian unit
/// fields (n = 5–7 inputs per unit here) add their central-limit error: held to 0.025 only.
#[test]
fn committee_bp_is_within_0_01_of_the_exact_legendre_curve() {
    for (n, k, activation, seed) in [
        (21, 3, Activation::Sign, 2),
        (21, 3, Activation::Sign, 4),
        (25, 5, Activation::Sign, 2),
        (25, 5, Activation::Sign, 3),
        (21, 3, Activation::FcSign, 2),
        (21, 3, Activation::FcSign, 3),
    ] {
        let (inst, wref) = committee_case(n, k, activation, seed);
        let exact = measure(&inst, &wref, &params(Method::Exact, grid(0.5))).unwrap();
        let counts = exact.counts.unwrap();
        for (rule, tolerance) in [(FactorRule::Exact, 0.01), (FactorRule::Gaussian, 0.025)] {
            let mut p = params(Method::Bp, grid(0.1));
            p.bp.rule = rule;
            let c = measure(&inst, &wref, &p).unwrap();
            assert!(c.points.iter().all(|p| p.converged));
            let (ds, dphi, used) = gaps(&c, &counts);
            eprintln!(
                "bp {rule:?} {} seed {seed}: max |ΔS| {ds:.4} (d ≤ 0.2, {used} points), max |Δφ| {dphi:.4}",
                inst.arch()
            );
            assert!(used >= 5);
            assert!(ds < tolerance, "{rule:?} {}: |ΔS| = {ds}", inst.arch());
        }
    }
}
