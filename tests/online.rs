//! The online learners SBPI and CP+R behind the `solve` seam: small instances solved (perceptron and
//! committees), the incremental state (packed weights, fields) against recomputation, determinism, the
//! refused settings, and `sweep --algo rsa,sbpi,cpr` on the same instances.

use densemc::bits::Kernels;
use densemc::model::{self, reference, Activation, Arch};
use densemc::online::{action, State};
use densemc::rng;
use densemc::solve::{solve, Algo, ConfigSpec, Report};
use densemc::weights::Weights;
use rand_core::RngCore;
use std::process::Command;

mod common;
use common::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn spec(algo: Algo, seed: u64, max_epochs: u64) -> ConfigSpec {
    ConfigSpec {
        algo: Some(algo),
        seed: Some(seed),
        max_sweeps: Some(max_epochs),
        ..ConfigSpec::default()
    }
}

fn learn(arch: Arch, alpha: f64, inst_seed: u64, spec: &ConfigSpec) -> Report {
    let (inst, _) = model::generate(arch, alpha, inst_seed, false).unwrap();
    let cfg = spec.resolve(arch.activation).unwrap();
    solve(&inst, None, &cfg, &mut |_| true).unwrap()
}

#[test]
fn both_rules_solve_small_perceptrons_and_report_what_they_did() {
    let arch = Arch::new(201, 1, Activation::Perceptron).unwrap();
    for algo in [Algo::Sbpi, Algo::Cpr] {
        for seed in 1..=3 {
            let r = learn(arch, 0.3, seed, &spec(algo, seed, 1000));
            assert!(r.solved, "{algo} seed {seed}: {} errors", r.errors);
            assert_eq!((r.errors, r.energy, r.lane_bits), (0, 0, 0));
            // Epochs as sweeps, P presentations each; learning steps as accepted, at least one per error.
            assert!(r.sweeps >= 1);
            assert_eq!(r.proposals, r.sweeps * r.instance.p as u64);
            assert!(r.accepted >= 1 && r.accepted <= r.proposals, "{algo}");
            assert_eq!(r.config.algo, algo);
        }
    }
}

#[test]
fn committees_are_solved_at_small_alpha() {
    let cases = [
        (Arch::new(603, 3, Activation::Sign).unwrap(), 0.3),
        (Arch::new(1005, 5, Activation::Sign).unwrap(), 0.3),
        (Arch::new(603, 3, Activation::FcSign).unwrap(), 0.3),
        (Arch::new(400, 4, Activation::Relu).unwrap(), 0.15),
        (Arch::new(800, 8, Activation::Relu).unwrap(), 0.15),
    ];
    for (arch, alpha) in cases {
        let r = learn(arch, alpha, 3, &spec(Algo::Sbpi, 2, 2000));
        assert!(r.solved, "sbpi {arch} α={alpha}: {} errors", r.errors);
    }
    // CP+R is the weaker committee learner: the tree committee at smaller α.
    let r = learn(
        Arch::new(603, 3, Activation::Sign).unwrap(),
        0.2,
        3,
        &spec(Algo::Cpr, 2, 2000),
    );
    assert!(r.solved, "cpr: {} errors", r.errors);
}

#[test]
fn same_seed_same_run_and_another_seed_another_run() {
    let arch = Arch::new(303, 3, Activation::Sign).unwrap();
    let (inst, _) = model::generate(arch, 0.35, 7, false).unwrap();
    for algo in [Algo::Sbpi, Algo::Cpr] {
        let cfg = spec(algo, 5, 300).resolve(arch.activation).unwrap();
        let a = solve(&inst, None, &cfg, &mut |_| true).unwrap();
        let b = solve(&inst, None, &cfg, &mut |_| true).unwrap();
        assert_eq!(
            (&a.weights, a.sweeps, a.accepted, a.errors),
            (&b.weights, b.sweeps, b.accepted, b.errors)
        );
        let c = solve(
            &inst,
            None,
            &spec(algo, 6, 300).resolve(arch.activation).unwrap(),
            &mut |_| true,
        )
        .unwrap();
        assert_ne!(a.weights, c.weights, "{algo}");
    }
}

#[test]
fn the_observer_sees_every_epoch_and_can_stop_the_run() {
    let arch = Arch::new(201, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(arch, 0.8, 1, false).unwrap(); // above capacity: never solved
    let cfg = spec(Algo::Sbpi, 1, 50).resolve(arch.activation).unwrap();
    let mut seen = Vec::new();
    let r = solve(&inst, None, &cfg, &mut |p| {
        seen.push((p.sweep, p.energies[0], p.proposals));
        p.sweep < 7
    })
    .unwrap();
    assert_eq!(r.sweeps, 7);
    assert_eq!(seen.len(), 7);
    for (e, &(sweep, errors, presentations)) in seen.iter().enumerate() {
        assert_eq!(sweep, e as u64 + 1);
        assert_eq!(presentations, sweep * inst.p() as u64);
        assert!(errors > 0);
    }
    // The reported weights are the epoch end with the fewest errors, recounted by solve.
    assert_eq!(r.errors, seen.iter().map(|s| s.1 as u64).min().unwrap());
    assert!(!r.solved);
}

/// Random learning steps of every kind on the state; after each batch the fields of every pattern equal
/// the evaluator's and `verify` recomputes W = sign(h) and E(W).
#[test]
fn incremental_state_matches_recomputation() {
    let kern = Kernels::best();
    for (arch, states) in [
        (Arch::new(131, 1, Activation::Perceptron).unwrap(), 6),
        (Arch::new(195, 3, Activation::Sign).unwrap(), 4),
        (Arch::new(200, 4, Activation::Relu).unwrap(), 10),
        (Arch::new(213, 3, Activation::FcSign).unwrap(), 2),
    ] {
        let (inst, _) = model::generate(arch, 0.55, 9, false).unwrap();
        let init = Weights::random(arch.n, &mut rng::stream(3, "init", 0));
        let mut st = State::new(&inst, &init, states).unwrap();
        let mut r = rng::stream(4, "test", 0);
        let mut lam = vec![0; arch.k];
        let mut plan = action::Plan::default();
        for batch in 0..20 {
            for _ in 0..25 {
                let mu = rng::below(&mut r, inst.p() as u64) as usize;
                let l = rng::below(&mut r, arch.k as u64) as usize;
                let s = if r.next_u64() & 1 == 0 { 1 } else { -1 };
                match r.next_u64() % 4 {
                    0 | 1 => {
                        st.push(mu, l, s);
                    }
                    2 => st.consolidate(mu, l, s),
                    _ => st.reinforce_all(),
                }
                // The least-action plan is computed from the fields it is handed.
                st.fields(mu, &mut lam);
                action::plan(&arch, st.sigma(mu), &lam, 1, &mut plan);
            }
            let w = st.weights();
            let f = model::fast::fields(&inst, &w, kern);
            for mu in 0..inst.p() {
                st.fields(mu, &mut lam);
                for (l, &x) in lam.iter().enumerate() {
                    assert_eq!(x, f.hidden(l, mu), "{arch} batch {batch} μ={mu} l={l}");
                }
            }
            let e = st.verify(&inst).unwrap();
            assert_eq!(e, reference::errors(&inst, &w), "{arch} batch {batch}");
            assert!(st
                .hidden()
                .iter()
                .all(|&h| h % 2 != 0 && h.unsigned_abs() < states as u16));
        }
    }
}

#[test]
fn a_consolidation_or_reinforcement_changes_no_weight() {
    let arch = Arch::new(301, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(arch, 0.5, 2, false).unwrap();
    let init = Weights::random(arch.n, &mut rng::stream(1, "init", 0));
    let mut st = State::new(&inst, &init, 8).unwrap();
    for mu in 0..20 {
        st.consolidate(mu, 0, if mu % 2 == 0 { 1 } else { -1 });
        st.reinforce_all();
    }
    assert_eq!(st.weights(), init);
    assert!(st.hidden().iter().any(|&h| h.abs() == 7));
    // A push moves W towards σξ: the pattern's stability grows.
    let mut lam = [0];
    st.fields(0, &mut lam);
    let before = st.sigma(0) * lam[0];
    let mut two = State::new(&inst, &init, 2).unwrap(); // h = ±1: every disagreeing weight flips
    two.push(0, 0, st.sigma(0) as i16);
    two.fields(0, &mut lam);
    assert_eq!(st.sigma(0) * lam[0], 301, "from {before}");
}

#[test]
fn settings_resolve_with_defaults_and_stay_out_of_other_records() {
    let s = spec(Algo::Sbpi, 1, 10)
        .resolve(Activation::Perceptron)
        .unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert!(
        json.contains(r#""online":{"rule":"sbpi","theta":1,"p_s":0.3}"#),
        "{json}"
    );
    assert_eq!(s.energy, densemc::mc::EnergyKind::Errors);
    let o = s.online.as_ref().unwrap();
    assert_eq!(
        (o.states_for(1001), o.states_for(4001), o.states_for(1)),
        (100, 200, 4)
    );
    let back: densemc::solve::Config = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    let c = spec(Algo::Cpr, 1, 10).resolve(Activation::Sign).unwrap();
    assert!(serde_json::to_string(&c)
        .unwrap()
        .contains(r#""online":{"states":1000,"rule":"cpr","rate":0.05}"#));
    for algo in [Algo::Rsa, Algo::Sa, Algo::Fbp] {
        let c = spec(algo, 1, 10).resolve(Activation::Perceptron).unwrap();
        assert!(c.online.is_none());
        assert!(!serde_json::to_string(&c).unwrap().contains("online"));
    }
    let bad = |spec: ConfigSpec, says: &str| {
        let e = spec
            .resolve(Activation::Perceptron)
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{e}");
    };
    bad(
        ConfigSpec {
            online_states: Some(3),
            ..spec(Algo::Sbpi, 1, 1)
        },
        "states",
    );
    bad(
        ConfigSpec {
            sbpi_p_s: Some(1.5),
            ..spec(Algo::Sbpi, 1, 1)
        },
        "p_s",
    );
    bad(
        ConfigSpec {
            cpr_rate: Some(0.0),
            ..spec(Algo::Cpr, 1, 1)
        },
        "rate",
    );
    bad(
        ConfigSpec {
            cpr_rate: Some(0.1),
            ..spec(Algo::Sbpi, 1, 1)
        },
        "apply to sbpi",
    );
    bad(
        ConfigSpec {
            online_states: Some(10),
            ..spec(Algo::Rsa, 1, 1)
        },
        "apply to sbpi and cpr",
    );
    bad(
        ConfigSpec {
            energy: Some(densemc::mc::EnergyKind::Linear),
            ..spec(Algo::Cpr, 1, 1)
        },
        "energy",
    );
}

#[test]
fn cli_refuses_bad_online_settings_in_one_line_with_exit_code_2() {
    let dir = TempDir::new("online-bad");
    let ck = dir.path("ck.json");
    let base = ["solve", "--n", "201", "--alpha", "0.2", "--quiet"];
    for (extra, says) in [
        (
            vec!["--algo", "sbpi", "--online-states", "7"],
            "--online-states",
        ),
        (vec!["--algo", "sbpi", "--sbpi-p-s", "2"], "--sbpi-p-s"),
        (vec!["--algo", "cpr", "--cpr-rate=-1"], "--cpr-rate"),
        (vec!["--algo", "cpr", "--sbpi-theta", "2"], "apply to sbpi"),
        (
            vec!["--algo", "rsa", "--cpr-rate", "0.2"],
            "apply to sbpi and cpr",
        ),
        (
            vec!["--algo", "sbpi", "--checkpoint", ck.to_str().unwrap()],
            "--checkpoint",
        ),
        (vec!["--algo", "cpr", "--energy", "linear"], "energy"),
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        let last = err.lines().last().unwrap_or("");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            last.starts_with("densemc: error:") && last.contains(says),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!ck.exists());
}

#[test]
fn cli_solve_writes_a_verified_result_and_sweep_runs_all_on_the_same_instances() {
    let dir = TempDir::new("online-cli");
    let inst = dir.path("i.txt");
    let o = run(&[
        "generate",
        "--n",
        "201",
        "--alpha",
        "0.4",
        "--seed",
        "3",
        "--out",
        inst.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path("r.json");
    let o = run(&[
        "solve",
        "--instance",
        inst.to_str().unwrap(),
        "--algo",
        "sbpi",
        "--sbpi-p-s",
        "0.25",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Report = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(r.solved);
    let o = run(&[
        "eval",
        "--instance",
        inst.to_str().unwrap(),
        "--weights",
        out.to_str().unwrap(),
        "--json",
    ]);
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["errors"], 0);

    let journal = dir.path("s.jsonl");
    let o = run(&[
        "sweep",
        "--n",
        "201",
        "--alpha",
        "0.3,0.5",
        "--samples",
        "2",
        "--algo",
        "rsa,sbpi,cpr",
        "--cpr-rate",
        "0.05",
        "--max-sweeps",
        "300",
        "--threads",
        "2",
        "--quiet",
        "--out",
        journal.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rs: Vec<serde_json::Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rs.len(), 12);
    for algo in ["rsa", "sbpi", "cpr"] {
        let mine: Vec<_> = rs.iter().filter(|r| r["algo"] == algo).collect();
        assert_eq!(mine.len(), 4, "{algo}");
        for r in &mine {
            assert!(rs
                .iter()
                .any(|q| q["algo"] != algo && q["seed"] == r["seed"] && q["alpha"] == r["alpha"]));
            assert_eq!(r["config"]["online"].is_null(), algo == "rsa");
            if algo != "rsa" {
                assert_eq!(
                    r["proposals"].as_u64().unwrap(),
                    r["sweeps"].as_u64().unwrap() * r["p"].as_u64().unwrap()
                );
            }
        }
    }
    assert!(rs
        .iter()
        .filter(|r| r["algo"] == "cpr")
        .all(|r| r["config"]["online"]["rate"] == 0.05));
    // The α = 0.3 instances are easy for SBPI.
    assert!(rs
        .iter()
        .filter(|r| r["algo"] == "sbpi" && r["alpha"] == 0.3)
        .all(|r| r["solved"] == true));
}
