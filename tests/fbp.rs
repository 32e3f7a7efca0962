//! Focusing BP as a solver behind the `solve` seam: `solve --algo fbp` (both forms), its settings, the
//! refused combinations, and `sweep --algo rsa,fbp` on the same instances.

use densemc::model::{self, Activation, Arch};
use densemc::solve::{solve, Algo, BpForm, ConfigSpec, Report};
use std::path::Path;
use std::process::Command;

mod common;
use common::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn fbp(form: BpForm, seed: u64) -> ConfigSpec {
    ConfigSpec {
        algo: Some(Algo::Fbp),
        bp_form: Some(form),
        seed: Some(seed),
        ..ConfigSpec::default()
    }
}

#[test]
fn cli_fbp_solves_small_perceptrons_in_both_forms_and_eval_agrees() {
    let dir = TempDir::new("fbp-cli");
    for (n, alpha, seed, form) in [
        ("201", "0.3", "5", "bp"),
        ("301", "0.4", "3", "amp"),
        ("401", "0.5", "2", "bp"),
        ("401", "0.5", "2", "amp"),
    ] {
        let inst = dir.path(&format!("i-{n}-{seed}.txt"));
        let o = run(&[
            "generate",
            "--n",
            n,
            "--alpha",
            alpha,
            "--seed",
            seed,
            "--out",
            inst.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = dir.path(&format!("r-{n}-{form}.json"));
        let o = run(&[
            "solve",
            "--instance",
            inst.to_str().unwrap(),
            "--algo",
            "fbp",
            "--bp-form",
            form,
            "--seed",
            seed,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let r: Report = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert!(r.solved, "N={n} α={alpha} {form}: {} errors", r.errors);
        assert_eq!((r.errors, r.energy, r.config.algo), (0, 0, Algo::Fbp));
        assert_eq!(r.config.fbp.as_ref().unwrap().form.to_string(), form);
        // The result file, re-verified by the evaluator.
        let o = run(&[
            "eval",
            "--instance",
            inst.to_str().unwrap(),
            "--weights",
            out.to_str().unwrap(),
            "--json",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(e["errors"], 0, "N={n} {form}");
    }
}

#[test]
fn fbp_is_deterministic_and_solves_a_sign_committee() {
    let arch = Arch::new(301, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(arch, 0.45, 11, false).unwrap();
    for form in [BpForm::Bp, BpForm::Amp] {
        let cfg = fbp(form, 4).resolve(Activation::Perceptron).unwrap();
        let a = solve(&inst, None, &cfg, &mut |_| true).unwrap();
        let b = solve(&inst, None, &cfg, &mut |_| true).unwrap();
        assert_eq!(
            (&a.weights, a.sweeps, a.errors, a.solved),
            (&b.weights, b.sweeps, b.errors, b.solved)
        );
        assert!(a.solved, "{form}");
        assert_eq!((a.proposals, a.replica, a.lane_bits), (0, None, 0));
    }
    let arch = Arch::new(303, 3, Activation::Sign).unwrap();
    let (inst, _) = model::generate(arch, 0.2, 2, false).unwrap();
    let cfg = fbp(BpForm::Bp, 1).resolve(Activation::Sign).unwrap();
    let r = solve(&inst, None, &cfg, &mut |_| true).unwrap();
    assert!(r.solved && r.errors == 0, "{} errors", r.errors);
}

#[test]
fn fbp_solves_relu_and_fully_connected_committees_and_the_cli_result_verifies() {
    for (n, k, act, seed) in [
        (200, 4, Activation::Relu, 3),
        (195, 3, Activation::FcSign, 3),
    ] {
        let arch = Arch::new(n, k, act).unwrap();
        let (inst, _) = model::generate(arch, 0.25, seed, false).unwrap();
        let cfg = fbp(BpForm::Bp, 1).resolve(act).unwrap();
        let r = solve(&inst, None, &cfg, &mut |_| true).unwrap();
        assert!(r.solved && r.errors == 0, "{arch}: {} errors", r.errors);
    }
    // Through the command line (solve re-verifies a solution before writing it), and a sweep.
    let dir = TempDir::new("fbp-relu");
    let out = dir.path("r.json");
    let o = run(&[
        "solve",
        "--n",
        "120",
        "--k",
        "4",
        "--activation",
        "relu",
        "--alpha",
        "0.25",
        "--seed",
        "5",
        "--algo",
        "fbp",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(r.solved && r.errors == 0);
    assert_eq!(r.config.algo, Algo::Fbp);
    let sw = dir.path("s.jsonl");
    let o = run(&[
        "sweep",
        "--n",
        "105",
        "--k",
        "3",
        "--activation",
        "sign",
        "--fully-connected",
        "--alpha",
        "0.2",
        "--samples",
        "2",
        "--algo",
        "fbp",
        "--seed",
        "1",
        "--quiet",
        "--out",
        sw.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rs = lines(&sw);
    assert_eq!(rs.len(), 2);
    assert!(
        rs.iter().all(|r| r["algo"] == "fbp" && r["errors"] == 0),
        "{rs:?}"
    );
}

#[test]
fn fbp_settings_resolve_with_defaults_and_stay_out_of_other_records() {
    let cfg = fbp(BpForm::Amp, 1).resolve(Activation::Perceptron).unwrap();
    let f = cfg.fbp.as_ref().unwrap();
    assert_eq!((f.step, f.damping, f.max_iters), (0.01, 0.5, 20));
    assert_eq!(cfg.y(), 1);
    let json = serde_json::to_string(&cfg).unwrap();
    assert!(json.contains("\"fbp\":{\"form\":\"amp\""), "{json}");
    for algo in [Algo::Rsa, Algo::Sa] {
        let c = ConfigSpec {
            algo: Some(algo),
            ..ConfigSpec::default()
        }
        .resolve(Activation::Perceptron)
        .unwrap();
        assert!(c.fbp.is_none());
        assert!(!serde_json::to_string(&c).unwrap().contains("fbp"));
        let e = ConfigSpec {
            algo: Some(algo),
            bp_step: Some(0.1),
            ..ConfigSpec::default()
        }
        .resolve(Activation::Perceptron)
        .unwrap_err();
        assert!(e.to_string().contains("apply to fbp"), "{e}");
    }
    let bad = |spec: ConfigSpec, act: Activation, says: &str| {
        let e = spec.resolve(act).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    };
    let p = Activation::Perceptron;
    bad(
        ConfigSpec {
            bp_damping: Some(1.0),
            ..fbp(BpForm::Bp, 1)
        },
        p,
        "damping",
    );
    bad(
        ConfigSpec {
            bp_step: Some(0.0),
            ..fbp(BpForm::Bp, 1)
        },
        p,
        "step",
    );
    bad(
        ConfigSpec {
            bp_epsilon: Some(-1.0),
            ..fbp(BpForm::Bp, 1)
        },
        p,
        "epsilon",
    );
    bad(
        ConfigSpec {
            bp_max_iters: Some(0),
            ..fbp(BpForm::Bp, 1)
        },
        p,
        "max_iters",
    );
    for act in [Activation::Sign, Activation::Relu, Activation::FcSign] {
        bad(fbp(BpForm::Amp, 1), act, "AMP");
        assert!(fbp(BpForm::Bp, 1).resolve(act).is_ok(), "{act}");
    }
}

#[test]
fn cli_refuses_bad_fbp_combinations_in_one_line_with_exit_code_2() {
    let dir = TempDir::new("fbp-bad");
    let log = dir.path("log.csv");
    let base = ["solve", "--alpha", "0.2", "--algo", "fbp", "--quiet"];
    for (extra, says) in [
        (
            vec![
                "--n",
                "200",
                "--k",
                "4",
                "--activation",
                "relu",
                "--bp-form",
                "amp",
            ],
            "--bp-form",
        ),
        (
            vec![
                "--n",
                "201",
                "--k",
                "3",
                "--activation",
                "sign",
                "--fully-connected",
                "--bp-form",
                "amp",
            ],
            "--bp-form",
        ),
        (
            vec![
                "--n",
                "201",
                "--k",
                "3",
                "--activation",
                "sign",
                "--bp-form",
                "amp",
            ],
            "--bp-form",
        ),
        (vec!["--n", "201", "--bp-damping", "1.5"], "--bp-damping"),
        (vec!["--n", "201", "--bp-step", "2"], "--bp-step"),
        (vec!["--n", "201", "--log", log.to_str().unwrap()], "--log"),
        (vec!["--n", "201", "--energy", "linear"], "energy"),
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
    let o = run(&["solve", "--n", "201", "--alpha", "0.2", "--bp-step", "0.1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("apply to fbp"));
}

fn lines(p: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn sweep_runs_rsa_and_fbp_on_the_same_instances_and_analyze_groups_them() {
    let dir = TempDir::new("fbp-sweep");
    let out = dir.path("s.jsonl");
    let o = run(&[
        "sweep",
        "--n",
        "201",
        "--alpha",
        "0.3,0.5",
        "--samples",
        "2",
        "--algo",
        "rsa,fbp",
        "--bp-damping",
        "0.4",
        "--max-sweeps",
        "500",
        "--seed",
        "2",
        "--threads",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rs = lines(&out);
    assert_eq!(rs.len(), 8);
    for algo in ["rsa", "fbp"] {
        let mine: Vec<_> = rs.iter().filter(|r| r["algo"] == algo).collect();
        assert_eq!(mine.len(), 4, "{algo}");
        for r in &mine {
            // The same instance (seed) as the other algorithm's task at that point.
            assert!(rs
                .iter()
                .any(|q| q["algo"] != algo && q["seed"] == r["seed"] && q["alpha"] == r["alpha"]));
            assert_eq!(r["config"]["fbp"].is_null(), algo == "rsa");
        }
    }
    assert!(rs
        .iter()
        .filter(|r| r["algo"] == "fbp")
        .all(|r| r["config"]["fbp"]["damping"] == 0.4));
    let an = dir.path("an");
    let o = run(&[
        "analyze",
        out.to_str().unwrap(),
        "--out-dir",
        an.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let success = std::fs::read_to_string(an.join("success.csv")).unwrap();
    for algo in ["rsa", "fbp"] {
        assert_eq!(
            success
                .lines()
                .filter(|l| l.split(',').nth(1) == Some(algo))
                .count(),
            2,
            "{algo}: {success}"
        );
    }
}
