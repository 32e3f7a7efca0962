//! The fully connected committee with sign units (K units, each seeing all n inputs of a pattern, N = K·n
//! weights) against an independent recount written here from its definition: the evaluators, the files,
//! and the command line end to end (generate → eval → solve → eval of the result).

mod common;

use common::TempDir;
use densemc::bits::{Kernels, Path};
use densemc::instance::{Format, Instance};
use densemc::model::{self, fast, reference, Activation, Arch};
use densemc::rng;
use densemc::weights::Weights;
use rand_core::RngCore;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

/// E(W) = #{μ : σ^μ sign(Σ_l sign(λ_l^μ)) < 0}, λ_l^μ = Σ_j W_{l j} ξ_j^μ, from ±1 values.
fn recount(xi: &[Vec<i8>], sigma: &[i8], w: &[i8], k: usize) -> usize {
    let n = w.len() / k;
    xi.iter()
        .zip(sigma)
        .filter(|(x, &s)| {
            assert_eq!(x.len(), n);
            let votes: i64 = (0..k)
                .map(|l| {
                    let lambda: i64 = (0..n).map(|j| (w[l * n + j] * x[j]) as i64).sum();
                    assert_ne!(lambda, 0, "n odd: no preactivation is 0");
                    lambda.signum()
                })
                .sum();
            s as i64 * votes < 0
        })
        .count()
}

fn signs(w: &Weights) -> Vec<i8> {
    (0..w.len()).map(|i| w.get(i)).collect()
}

fn patterns(inst: &Instance) -> (Vec<Vec<i8>>, Vec<i8>) {
    let xi = (0..inst.p())
        .map(|mu| (0..inst.inputs()).map(|j| inst.xi(j, mu)).collect())
        .collect();
    let sigma = (0..inst.p()).map(|mu| inst.sigma(mu)).collect();
    (xi, sigma)
}

#[test]
fn evaluators_match_the_recount() {
    // n from 1 to past two words, P across word and stripe boundaries.
    for (k, n, alpha, seed) in [
        (1, 1, 3.0, 1),
        (3, 5, 2.0, 2),
        (3, 63, 0.9, 3),
        (5, 65, 1.3, 4),
        (7, 129, 0.7, 5),
        (3, 21, 40.0, 6),
    ] {
        let arch = Arch::new(k * n, k, Activation::FcSign).unwrap();
        let (inst, teacher) = model::generate(arch, alpha, seed, true).unwrap();
        // The compact layout: n columns, not N.
        assert_eq!(inst.inputs(), n);
        assert_eq!(inst.cols().len(), n * inst.stride());
        let (xi, sigma) = patterns(&inst);
        let t = teacher.unwrap();
        assert_eq!(
            recount(&xi, &sigma, &signs(&t), k),
            0,
            "{arch}: the teacher"
        );
        let mut r = rng::stream(seed, "fc-test", 0);
        let mut seen = Vec::new();
        for trial in 0..6 {
            let mut w = if trial < 3 {
                Weights::random(arch.n, &mut r)
            } else {
                t.clone()
            };
            for _ in 0..trial {
                w.flip((r.next_u64() % arch.n as u64) as usize);
            }
            let want = recount(&xi, &sigma, &signs(&w), k) as u64;
            seen.push(want);
            let f = reference::fields(&inst, &w);
            assert_eq!(f.errors, want, "{arch} trial {trial}: reference");
            for (mu, x) in xi.iter().enumerate() {
                for l in 0..k {
                    let lambda: i32 = (0..n).map(|j| (w.get(l * n + j) * x[j]) as i32).sum();
                    assert_eq!(f.hidden(l, mu), lambda);
                }
            }
            for kern in Path::available().into_iter().filter_map(Kernels::get) {
                assert_eq!(
                    fast::errors(&inst, &w, kern),
                    want,
                    "{arch} {}",
                    kern.path()
                );
                assert_eq!(fast::fields(&inst, &w, kern), f, "{arch} {}", kern.path());
            }
        }
        if inst.p() > 10 {
            assert!(seen.iter().any(|&e| e != seen[0]), "{arch}: {seen:?}");
        }
    }
}

#[test]
fn both_formats_keep_the_instance() {
    let d = TempDir::new("fc-formats");
    let arch = Arch::new(3 * 67, 3, Activation::FcSign).unwrap();
    let (inst, _) = model::generate(arch, 0.8, 9, false).unwrap();
    for (name, format) in [("a.txt", Format::Text), ("a.bin", Format::Binary)] {
        let path = d.path(name);
        inst.write(&path, format).unwrap();
        let back = Instance::read(&path).unwrap();
        assert_eq!(back, inst, "{name}");
        assert_eq!(back.checksum(), inst.checksum());
    }
    // Text: n= is N, each pattern line holds the n = N/K shared inputs.
    let text = std::fs::read_to_string(d.path("a.txt")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "densemc-instance v1 n={} p={} k=3 activation=fc-sign",
            arch.n,
            inst.p()
        )
    );
    let rows: Vec<&str> = lines.filter(|l| !l.starts_with('#')).collect();
    assert_eq!(rows.len(), inst.p());
    assert!(rows.iter().all(|l| l.len() == 67 + 2));
    // Binary: a 52-byte header, the columns of the n inputs only, the label plane, the checksum.
    let pw = inst.p().div_ceil(64) as u64;
    assert_eq!(
        std::fs::metadata(d.path("a.bin")).unwrap().len(),
        52 + (67 + 1) * pw * 8 + 8
    );
    // The wiring is part of the content: read as a tree committee, the same lines are refused.
    let tree = text.replacen("activation=fc-sign", "activation=sign", 1);
    std::fs::write(d.path("tree.txt"), tree).unwrap();
    let e = Instance::read(&d.path("tree.txt")).unwrap_err().to_string();
    assert!(e.contains("truncated") || e.contains("expected"), "{e}");
    // A tree committee of the same sizes is another problem with another checksum.
    let (t, _) = model::generate(
        Arch::new(arch.n, 3, Activation::Sign).unwrap(),
        0.8,
        9,
        false,
    )
    .unwrap();
    assert_ne!(t.checksum(), inst.checksum());
}

// ---------------------------------------------------------------------------------------------------------
// The command line

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("DENSEMC_PATH")
        .output()
        .expect("cannot run the densemc binary")
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "densemc {args:?} failed ({:?}): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// N, K and the patterns of a text instance, parsed here from the format's description.
fn parse_text(path: &std::path::Path) -> (usize, usize, Vec<Vec<i8>>, Vec<i8>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let h: Vec<&str> = lines.next().unwrap().split(' ').collect();
    let val = |i: usize, key: &str| h[i].strip_prefix(key).unwrap().to_string();
    assert_eq!(val(5, "activation="), "fc-sign");
    let n: usize = val(2, "n=").parse().unwrap();
    let p: usize = val(3, "p=").parse().unwrap();
    let k: usize = val(4, "k=").parse().unwrap();
    let pm = |c: u8| if c == b'+' { 1i8 } else { -1 };
    let (mut xi, mut sigma) = (Vec::new(), Vec::new());
    for l in lines.filter(|l| !l.starts_with('#')) {
        let b = l.as_bytes();
        assert_eq!(b.len(), n / k + 2);
        xi.push(b[..n / k].iter().map(|&c| pm(c)).collect());
        sigma.push(pm(b[n / k + 1]));
    }
    assert_eq!(xi.len(), p);
    (n, k, xi, sigma)
}

fn errors_of_eval(out: &str) -> usize {
    let t: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(t[0], "errors", "{out}");
    t[1].parse().unwrap()
}

fn weights_of(json: &std::path::Path) -> Vec<i8> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    v["weights"]
        .as_str()
        .unwrap()
        .bytes()
        .map(|c| if c == b'+' { 1 } else { -1 })
        .collect()
}

#[test]
fn command_line_end_to_end() {
    let d = TempDir::new("fc-cli");
    let (txt, bin) = (d.path("i.txt"), d.path("i.bin"));
    let gen = |out: &str, format: &str| {
        ok(&[
            "generate",
            "--n",
            "303",
            "--k",
            "3",
            "--activation",
            "sign",
            "--fully-connected",
            "--alpha",
            "0.3",
            "--teacher",
            "--seed",
            "7",
            "--out",
            out,
            "--format",
            format,
        ])
    };
    gen(s(&txt), "text");
    gen(s(&bin), "binary");
    let info = ok(&["info", "--instance", s(&bin)]);
    assert!(info.contains("activation  fc-sign"), "{info}");
    let sum = |i: &str| {
        i.lines()
            .find_map(|l| l.strip_prefix("checksum"))
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(sum(&info), sum(&ok(&["info", "--instance", s(&txt)])));
    let (n, k, xi, sigma) = parse_text(&txt);
    assert_eq!((n, k, xi.len()), (303, 3, 91));

    // eval against the recount, on random weights.
    let mut r = rng::stream(3, "fc-cli", 0);
    for trial in 0..3 {
        let w = signs(&Weights::random(n, &mut r));
        let wf = d.path(&format!("w{trial}.txt"));
        let line: String = w.iter().map(|&x| if x > 0 { '+' } else { '-' }).collect();
        std::fs::write(&wf, line).unwrap();
        let want = recount(&xi, &sigma, &w, k);
        for inst in [&txt, &bin] {
            let got = errors_of_eval(&ok(&["eval", "--instance", s(inst), "--weights", s(&wf)]));
            assert_eq!(got, want, "trial {trial}");
        }
    }

    // solve (SA, RSA in both visit orders, from files and inline) → eval of the result.
    let runs: [&[&str]; 4] = [
        &["--instance", s(&txt), "--algo", "sa"],
        &[
            "--instance",
            s(&bin),
            "--algo",
            "rsa",
            "-y",
            "3",
            "--threads",
            "2",
        ],
        &["--instance", s(&bin), "--algo", "rsa", "--visit", "shared"],
        &[
            "--n",
            "303",
            "--k",
            "3",
            "--activation",
            "sign",
            "--fully-connected",
            "--alpha",
            "0.3",
            "--teacher",
            "--seed",
            "7",
            "--algo",
            "rsa",
        ],
    ];
    for (i, extra) in runs.iter().enumerate() {
        let out = d.path(&format!("r{i}.json"));
        let mut args = vec!["solve", "-q", "--max-sweeps", "5000", "--out", s(&out)];
        args.extend_from_slice(extra);
        ok(&args);
        let rep: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(rep["solved"], true, "run {i}: {rep}");
        assert_eq!(rep["instance"]["activation"], "fc-sign");
        assert_eq!(
            rep["instance"]["checksum"].as_str().unwrap(),
            sum(&info),
            "run {i}: the same instance"
        );
        let w = weights_of(&out);
        assert_eq!(recount(&xi, &sigma, &w, k), 0, "run {i}: a solution");
        assert_eq!(
            errors_of_eval(&ok(&["eval", "--instance", s(&txt), "--weights", s(&out)])),
            0
        );
    }

    // sweep records the architecture; robustness measures the solution.
    let sweep = d.path("s.jsonl");
    ok(&[
        "sweep",
        "--n",
        "45,75",
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
        "rsa,sa",
        "--max-sweeps",
        "500",
        "--threads",
        "1",
        "--teacher",
        "-q",
        "--out",
        s(&sweep),
    ]);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&sweep)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8);
    assert!(lines.iter().all(|l| l["activation"] == "fc-sign"));
    assert!(lines.iter().any(|l| l["solved"] == true));
    let rob = ok(&[
        "robustness",
        "--instance",
        s(&txt),
        "--weights",
        s(&d.path("r0.json")),
        "--flips",
        "3",
        "--p-grid",
        "0,0.1",
    ]);
    assert!(rob.contains("hidden-unit overlaps"), "{rob}");

    // Only sign units have a fully connected committee: one line, exit 2.
    let o = run(&[
        "generate",
        "--n",
        "300",
        "--k",
        "4",
        "--activation",
        "relu",
        "--fully-connected",
        "--alpha",
        "0.3",
        "--out",
        s(&d.path("x.txt")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("sign units") && e.lines().count() == 1, "{e}");
}
