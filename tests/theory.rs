//! The replica-theory capacities the issue pins, through the library and through `densemc theory`.

use densemc::theory::{capacity, capacity_vs_k, Prior, Spec, Unit, Value, Width};
use std::process::Command;

fn alpha(unit: Unit, prior: Prior, k: Width, rsb: u8) -> Value {
    capacity(&Spec {
        unit,
        prior,
        k,
        rsb,
    })
    .unwrap()
    .alpha_c
}

fn finite(v: Value) -> f64 {
    match v {
        Value::Finite(a) => a,
        Value::Divergent => panic!("divergent"),
    }
}

#[test]
fn binary_perceptron_rs_zero_entropy() {
    let a = finite(alpha(Unit::Perceptron, Prior::Binary, Width::Finite(1), 0));
    assert!((a - 0.833).abs() < 0.002, "{a}");
    // A sign committee with one unit is the perceptron.
    let s = finite(alpha(Unit::Sign, Prior::Binary, Width::Finite(1), 0));
    assert_eq!(a, s);
}

#[test]
fn spherical_perceptron_gardner() {
    for rsb in [0, 1] {
        let a = finite(alpha(
            Unit::Perceptron,
            Prior::Spherical,
            Width::Finite(1),
            rsb,
        ));
        assert!((a - 2.0).abs() < 0.002, "rsb {rsb}: {a}");
    }
}

#[test]
fn relu_committee_large_k_finite() {
    let rs = finite(alpha(Unit::Relu, Prior::Spherical, Width::Infinite, 0));
    assert!((rs - 2.934).abs() < 0.005, "{rs}");
    let rsb = finite(alpha(Unit::Relu, Prior::Spherical, Width::Infinite, 1));
    assert!((rsb - 2.66).abs() < 0.02, "{rsb}");
}

#[test]
fn sign_committee_divergent() {
    for rsb in [0, 1] {
        assert_eq!(
            alpha(Unit::Sign, Prior::Spherical, Width::Infinite, rsb),
            Value::Divergent
        );
    }
    // Finite K: RS α_c(K) = 1, 3, 5, … grows without bound, faster than any constant: beyond the ReLU
    // K → ∞ value from K = 3 on, and α_c/√K still increasing at K = 201.
    let ks = [1, 3, 5, 7, 9, 21, 51, 101, 201];
    let a: Vec<f64> = ks
        .iter()
        .map(|&k| finite(alpha(Unit::Sign, Prior::Spherical, Width::Finite(k), 0)))
        .collect();
    assert!((a[0] - 2.0).abs() < 1e-9);
    assert!((a[1] - 4.02).abs() < 0.01, "K = 3: {}", a[1]);
    assert!(a.windows(2).all(|w| w[1] > w[0]), "{a:?}");
    let scaled: Vec<f64> = a
        .iter()
        .zip(ks)
        .map(|(v, k)| v / (k as f64).sqrt())
        .collect();
    assert!(scaled.windows(2).all(|w| w[1] > w[0]), "{scaled:?}");
    assert!(a[8] > 50.0);
}

#[test]
fn relu_committee_finite_k_approaches_the_kernel_limit() {
    let limit = 2.0 * std::f64::consts::PI / (std::f64::consts::PI - 1.0);
    let run = |k| {
        let c = capacity(&Spec {
            unit: Unit::Relu,
            prior: Prior::Spherical,
            k: Width::Finite(k),
            rsb: 0,
        })
        .unwrap();
        (finite(c.alpha_c), c.order[0].1)
    };
    let (a2, e2) = run(2);
    let (a4, e4) = run(4);
    let (a64, e64) = run(64);
    assert!(a2 + 3.0 * e2 < a4 - 3.0 * e4, "{a2} {a4}");
    assert!(a4 + 3.0 * e4 < limit);
    // K = 64 is within Monte Carlo error (and a small finite-K bias) of 2π/(π − 1): finite, not growing.
    assert!(
        (a64 - limit).abs() < 4.0 * e64 + 0.01,
        "{a64} ± {e64} vs {limit}"
    );
    assert!(e64 > 0.0 && e64 < 0.02);
}

#[test]
fn binary_committees_large_k() {
    // Binary weights: the capacity stays below the information bound α = 1 at K → ∞ for both units.
    for unit in [Unit::Sign, Unit::Relu] {
        let a = finite(alpha(unit, Prior::Binary, Width::Infinite, 0));
        assert!(a > 0.833 && a < 1.0, "{unit:?}: {a}");
    }
}

#[test]
fn table_has_every_row() {
    let rows = capacity_vs_k(Prior::Spherical, &[1, 3], &[2]).unwrap();
    assert_eq!(rows.len(), 2 + 1 + 4);
    assert!(capacity_vs_k(Prior::Spherical, &[2], &[]).is_err());
    assert!(capacity_vs_k(Prior::Spherical, &[1], &[3]).is_err());
    assert_eq!(
        capacity_vs_k(Prior::Binary, &[1], &[]).unwrap().len(),
        1 + 2
    );
}

fn densemc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_densemc"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn cli_capacity_json() {
    let (code, out, err) = densemc(&[
        "theory",
        "capacity",
        "--activation",
        "relu",
        "--weights",
        "spherical",
        "--k",
        "inf",
        "--rsb",
        "1",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!((v["alpha_c"].as_f64().unwrap() - 2.66).abs() < 0.02);
    assert_eq!(v["activation"], "relu");
    assert_eq!(v["weights"], "spherical");
    assert_eq!(v["k"], "inf");
    assert_eq!(v["rsb"], 1);
    assert_eq!(v["divergent"], false);
    assert_eq!(v["densemc_version"], densemc::VERSION);
    assert!(v["method"].as_str().unwrap().contains("1RSB"));

    let (code, out, _) = densemc(&[
        "theory",
        "capacity",
        "--activation",
        "perceptron",
        "--weights",
        "binary",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!((v["alpha_c"].as_f64().unwrap() - 0.833).abs() < 0.002);
    assert_eq!(v["k"], 1);

    let (code, out, _) = densemc(&[
        "theory",
        "capacity",
        "--activation",
        "sign",
        "--weights",
        "spherical",
        "--k",
        "inf",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["alpha_c"].is_null());
    assert_eq!(v["divergent"], true);
}

#[test]
fn cli_capacity_text() {
    let (code, out, _) = densemc(&[
        "theory",
        "capacity",
        "--activation",
        "perceptron",
        "--weights",
        "spherical",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("alpha_c     2.000000"), "{out}");
}

#[test]
fn cli_bad_input_is_one_line_exit_2() {
    let cases: &[&[&str]] = &[
        &["--activation", "tanh"],
        &["--activation", "sign", "--k", "4", "--weights", "spherical"],
        &["--activation", "relu", "--k", "3", "--weights", "spherical"],
        &[
            "--activation",
            "relu",
            "--k",
            "4",
            "--weights",
            "spherical",
            "--rsb",
            "1",
        ],
        &["--activation", "relu", "--k", "4", "--weights", "binary"],
        &["--activation", "perceptron", "--k", "inf"],
        &["--activation", "sign", "--k", "zero"],
        &[
            "--activation",
            "relu",
            "--k",
            "inf",
            "--weights",
            "binary",
            "--rsb",
            "1",
        ],
        &[
            "--activation",
            "sign",
            "--k",
            "3",
            "--weights",
            "spherical",
            "--rsb",
            "1",
        ],
        &["--activation", "perceptron", "--rsb", "2"],
        &["--activation", "perceptron", "--weights", "ising"],
    ];
    for case in cases {
        let mut args = vec!["theory", "capacity"];
        args.extend_from_slice(case);
        let (code, out, err) = densemc(&args);
        assert_eq!(code, 2, "{case:?}: {err}");
        assert!(out.is_empty(), "{case:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{case:?}: {err}");
        assert!(err.starts_with("densemc: error: "), "{case:?}: {err}");
    }
}

#[test]
fn cli_capacity_vs_k_csv_json_svg() {
    let dir = std::env::temp_dir().join(format!("densemc-theory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("alpha_c.svg");
    let (code, out, err) = densemc(&[
        "theory",
        "capacity-vs-k",
        "--k",
        "1,3,5",
        "--k-relu",
        "2",
        "--csv",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "activation,weights,k,rsb,alpha_c,alpha_c_stderr");
    assert_eq!(lines.len(), 1 + 3 + 1 + 4);
    assert!(
        lines[4].starts_with("relu,spherical,2,0,1."),
        "{}",
        lines[4]
    );
    assert!(
        lines[2].starts_with("sign,spherical,3,0,4.02"),
        "{}",
        lines[2]
    );
    assert!(lines.contains(&"sign,spherical,inf,0,divergent,"));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("1RSB"));
    std::fs::remove_dir_all(&dir).unwrap();

    let (code, out, _) = densemc(&[
        "theory",
        "capacity-vs-k",
        "--k",
        "1",
        "--k-relu",
        "none",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 5);

    let (code, _, err) = densemc(&["theory", "capacity-vs-k", "--k", "1,4"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim_end().lines().count(), 1);
}

#[test]
fn cli_local_entropy() {
    let (code, out, err) = densemc(&[
        "theory",
        "local-entropy",
        "--alpha",
        "0.5",
        "--d-grid",
        "0.005,0.1",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d: Vec<f64> = serde_json::from_value(v["d"].clone()).unwrap();
    let s: Vec<f64> = serde_json::from_value(v["s"].clone()).unwrap();
    let h: Vec<f64> = serde_json::from_value(v["upper_bound"].clone()).unwrap();
    assert_eq!(d, [0.005, 0.1]);
    // Isolated typical solutions: negative at d = 0.005, positive but below H(d) at 0.1.
    assert!(s[0] < 0.0 && s[1] > 0.0 && s[1] < h[1], "{s:?}");
    assert!((v["typical_distance"].as_f64().unwrap() - 0.3388).abs() < 1e-3);
    assert_eq!(v["densemc_version"], densemc::VERSION);
    for bad in [
        &["--alpha", "0.9", "--d-grid", "0.1"][..],
        &["--alpha", "0.5", "--d-grid", "0.6"],
        &["--alpha=-1", "--d-grid", "0.1"],
        &["--alpha", "0.5", "--d-grid", "x"],
    ] {
        let mut args = vec!["theory", "local-entropy"];
        args.extend_from_slice(bad);
        let (code, _, err) = densemc(&args);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{bad:?}: {err}");
    }
}
