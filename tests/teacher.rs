//! Teacher–student instances: the teacher W* is kept with the instance in every format (old files read
//! unchanged), the overlap R = W·W*/N and the generalization error ε_g on fresh teacher patterns (against
//! the plain evaluator, and against what they must be: 0 for W*, 1 for −W*, ½ for random weights,
//! arccos(R)/π for a perceptron at overlap R), and `solve` / `sweep` reporting them.

mod common;

use common::TempDir;
use densemc::instance::{Format, Instance};
use densemc::model::teacher::{self, generalization_errors, overlap, test_block, TEST_BLOCK};
use densemc::model::{self, reference, Activation, Arch};
use densemc::rng;
use densemc::weights::Weights;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

fn archs() -> Vec<Arch> {
    vec![
        Arch::new(301, 1, Activation::Perceptron).unwrap(),
        Arch::new(297, 3, Activation::Sign).unwrap(),
        Arch::new(304, 4, Activation::Relu).unwrap(),
        Arch::new(3 * 33, 3, Activation::FcSign).unwrap(),
    ]
}

fn negated(w: &Weights) -> Weights {
    let mut m = w.clone();
    for i in 0..m.len() {
        m.flip(i);
    }
    m
}

#[test]
fn generate_keeps_the_teacher_and_every_format_stores_it() {
    let d = TempDir::new("teacher-formats");
    for arch in archs() {
        let (inst, t) = model::generate(arch, 0.5, 4, true).unwrap();
        let t = t.unwrap();
        assert_eq!(inst.teacher(), Some(&t));
        assert_eq!(reference::errors(&inst, &t), 0);
        teacher::check(&inst).unwrap();
        for (name, format) in [("a.txt", Format::Text), ("a.bin", Format::Binary)] {
            let p = d.path(name);
            inst.write(&p, format).unwrap();
            let back = Instance::read(&p).unwrap();
            assert_eq!(back, inst, "{arch} {name}");
        }
        let (plain, none) = model::generate(arch, 0.5, 4, false).unwrap();
        assert!(none.is_none() && plain.teacher().is_none());
    }
}

#[test]
fn files_without_a_teacher_are_those_of_earlier_versions() {
    let d = TempDir::new("teacher-old");
    let arch = Arch::new(301, 1, Activation::Perceptron).unwrap();
    let (with, _) = model::generate(arch, 0.5, 4, true).unwrap();
    let mut without = with.clone();
    without.set_teacher(None).unwrap();
    assert_eq!(
        with.checksum(),
        without.checksum(),
        "the teacher is not in the checksum"
    );
    let (a, b) = (d.path("with.bin"), d.path("without.bin"));
    with.write(&a, Format::Binary).unwrap();
    without.write(&b, Format::Binary).unwrap();
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // Without the teacher: the 52-byte header, columns and labels, the checksum, and nothing else.
    let pw = with.p().div_ceil(64) * 8;
    assert_eq!(b.len(), 52 + (301 + 1) * pw + 8);
    assert_eq!(
        b[33], 0b011,
        "flags: origin known, teacher labels, no teacher block"
    );
    assert_eq!(a[33], 0b111);
    assert_eq!(a.len(), b.len() + 301usize.div_ceil(64) * 8 + 8);
    assert_eq!(&a[34..b.len()], &b[34..]);
    // A damaged teacher block is refused.
    let mut bad = a.clone();
    bad[b.len() + 3] ^= 0x10;
    let p = d.path("bad.bin");
    std::fs::write(&p, &bad).unwrap();
    let e = Instance::read(&p).unwrap_err().to_string();
    assert!(e.contains("teacher block"), "{e}");
    // The text format: one comment line that an older reader skips.
    let t = d.path("a.txt");
    with.write(&t, Format::Text).unwrap();
    let text = std::fs::read_to_string(&t).unwrap();
    let line = text.lines().find(|l| l.starts_with("# teacher ")).unwrap();
    assert_eq!(&line[10..], with.teacher().unwrap().to_pm());
    let stripped: String = text
        .lines()
        .filter(|l| !l.starts_with("# teacher"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&t, stripped).unwrap();
    assert_eq!(Instance::read(&t).unwrap(), without);
    // A teacher line of the wrong length is refused with its line number.
    let broken = text.replacen(line, &line[..line.len() - 1], 1);
    std::fs::write(&t, broken).unwrap();
    let e = Instance::read(&t).unwrap_err().to_string();
    assert!(e.contains(":3:") && e.contains("300 characters"), "{e}");
}

#[test]
fn a_teacher_that_does_not_give_the_labels_is_refused() {
    let arch = Arch::new(301, 1, Activation::Perceptron).unwrap();
    let (mut inst, t) = model::generate(arch, 0.5, 4, true).unwrap();
    let mut t = t.unwrap();
    inst.set_sigma(17, -inst.sigma(17));
    let e = teacher::check(&inst).unwrap_err().to_string();
    assert!(e.contains("pattern 17"), "{e}");
    inst.set_sigma(17, -inst.sigma(17));
    t.flip(0);
    assert!(inst.set_teacher(Some(Weights::ones(300))).is_err());
    inst.set_teacher(Some(negated(&t))).unwrap();
    assert!(teacher::check(&inst).is_err());
}

/// ε_g by the plain evaluator on the same test blocks.
fn reference_errors(arch: Arch, t: &Weights, w: &Weights, m: usize, seed: u64) -> f64 {
    let mut e = 0;
    for b in 0..m.div_ceil(TEST_BLOCK) {
        let block = test_block(arch, t, seed, b, TEST_BLOCK.min(m - b * TEST_BLOCK)).unwrap();
        assert_eq!(
            reference::errors(&block, t),
            0,
            "the teacher labels its test patterns"
        );
        e += reference::errors(&block, w);
    }
    e as f64 / m as f64
}

#[test]
fn the_fast_measure_matches_the_plain_evaluator() {
    for arch in archs() {
        let (inst, t) = model::generate(arch, 0.5, 4, true).unwrap();
        let t = t.unwrap();
        let mut r = rng::stream(9, "students", 0);
        let students: Vec<Weights> = (0..3).map(|_| Weights::random(arch.n, &mut r)).collect();
        let mut near = t.clone();
        for i in (0..arch.n).step_by(7) {
            near.flip(i);
        }
        let all: Vec<&Weights> = students.iter().chain([&near, &t]).collect();
        // M crosses a block boundary and a word boundary.
        let m = TEST_BLOCK + 77;
        let fast = generalization_errors(arch, &t, &all, m, inst.checksum()).unwrap();
        for (w, &f) in all.iter().zip(&fast) {
            assert_eq!(
                f,
                reference_errors(arch, &t, w, m, inst.checksum()),
                "{arch}"
            );
        }
        assert_eq!(*fast.last().unwrap(), 0.0);
        // The first M′ test patterns are the same whatever M.
        let short = generalization_errors(arch, &t, &all, 100, inst.checksum()).unwrap();
        let first = test_block(arch, &t, inst.checksum(), 0, 100).unwrap();
        for (w, &s) in all.iter().zip(&short) {
            assert_eq!(s, reference::errors(&first, w) as f64 / 100.0);
        }
        // Fresh patterns: not the training set.
        let train: Vec<u64> = (0..inst.inputs()).map(|i| inst.col(i)[0]).collect();
        let test: Vec<u64> = (0..inst.inputs()).map(|i| first.col(i)[0]).collect();
        assert_ne!(train, test);
    }
}

#[test]
fn teacher_generalizes_perfectly_its_negation_never_and_random_weights_at_chance() {
    let m = 20_000;
    let sd = (0.25 / m as f64).sqrt();
    for arch in archs() {
        let (inst, t) = model::generate(arch, 0.5, 4, true).unwrap();
        let t = t.unwrap();
        let rand = Weights::random(arch.n, &mut rng::stream(3, "random-student", 0));
        let g = teacher::measure(&inst, &t, Some(&rand), &[t.clone(), rand.clone()], m)
            .unwrap()
            .unwrap();
        assert_eq!((g.overlap, g.error), (1.0, 0.0), "{arch}");
        assert_eq!(g.replica_errors[0], 0.0);
        assert_eq!(g.replica_overlaps[0], 1.0);
        assert_eq!(g.centre_error, Some(g.replica_errors[1]));
        assert_eq!(g.test_patterns, m);
        assert_eq!(g.test_seed, format!("{:016x}", inst.checksum()));
        // Random weights err on half the patterns on which their output is not 0 (a ReLU tie, σh = 0,
        // is an error whatever the label): ε_g = ½(1 − τ) + τ with τ the fraction of ties.
        let ties = (0..m.div_ceil(TEST_BLOCK))
            .map(|b| {
                let len = TEST_BLOCK.min(m - b * TEST_BLOCK);
                let block = test_block(arch, &t, inst.checksum(), b, len).unwrap();
                let f = reference::fields(&block, &rand);
                f.output.iter().filter(|&&h| h == 0).count()
            })
            .sum::<usize>() as f64
            / m as f64;
        assert_eq!(
            ties > 0.0,
            arch.activation == Activation::Relu,
            "{arch}: ties {ties}"
        );
        let e = g.replica_errors[1];
        let want = 0.5 * (1.0 - ties) + ties;
        assert!(
            (e - want).abs() < 5.0 * sd,
            "{arch}: ε_g of random weights {e}, want {want}"
        );
        assert!(g.replica_overlaps[1].abs() < 5.0 / (arch.n as f64).sqrt());
        if arch.activation == Activation::Perceptron {
            let neg = negated(&t);
            let g = teacher::measure(&inst, &neg, None, &[], m)
                .unwrap()
                .unwrap();
            assert_eq!((g.overlap, g.error), (-1.0, 1.0));
            assert!(g.centre_overlap.is_none() && g.replica_errors.is_empty());
        }
    }
    let (plain, _) = model::generate(archs()[0], 0.5, 4, false).unwrap();
    let w = Weights::ones(301);
    assert!(teacher::measure(&plain, &w, None, &[], m)
        .unwrap()
        .is_none());
}

#[test]
fn a_perceptron_at_overlap_r_errs_with_probability_arccos_r_over_pi() {
    // N large enough for the fields to be Gaussian: ε_g = arccos(R)/π.
    let arch = Arch::new(2001, 1, Activation::Perceptron).unwrap();
    let (inst, t) = model::generate(arch, 0.1, 5, true).unwrap();
    let t = t.unwrap();
    let m = 40_000;
    for flipped in [100, 400, 700] {
        let mut w = t.clone();
        for i in 0..flipped {
            w.flip(i * 2);
        }
        let r = overlap(&w, &t);
        assert_eq!(r, 1.0 - 2.0 * flipped as f64 / 2001.0);
        let e = generalization_errors(arch, &t, &[&w], m, inst.checksum()).unwrap()[0];
        let want = r.acos() / std::f64::consts::PI;
        let sd = (want * (1.0 - want) / m as f64).sqrt();
        assert!(
            (e - want).abs() < 5.0 * sd + 0.005,
            "R={r}: ε_g {e}, arccos(R)/π = {want}"
        );
    }
    assert!(generalization_errors(arch, &t, &[&t], 0, 1).is_err());
}

fn densemc(args: &[&str]) -> std::process::Output {
    let o = Command::new(BIN).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn solve_reports_r_and_eps_for_the_weights_the_centre_and_each_replica() {
    let d = TempDir::new("teacher-solve");
    let r = d.path("r.json");
    let rs = r.to_str().unwrap();
    let common = [
        "--n",
        "301",
        "--alpha",
        "0.4",
        "--seed",
        "2",
        "--quiet",
        "--max-sweeps",
        "2000",
    ];
    let o = densemc(
        &[
            &["solve", "--teacher", "--test-patterns", "3000", "--out", rs],
            &common[..],
        ]
        .concat(),
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
    let g = &v["generalization"];
    assert_eq!(g["test_patterns"], 3000);
    let w = Weights::parse_pm(v["weights"].as_str().unwrap(), 301, "w").unwrap();
    let c = Weights::parse_pm(v["centre"]["weights"].as_str().unwrap(), 301, "c").unwrap();
    // The same numbers from the library, on the same instance.
    let (inst, t) = model::generate(
        Arch::new(301, 1, Activation::Perceptron).unwrap(),
        0.4,
        2,
        true,
    )
    .unwrap();
    let t = t.unwrap();
    let want = generalization_errors(inst.arch(), &t, &[&w, &c], 3000, inst.checksum()).unwrap();
    assert_eq!(g["overlap"].as_f64().unwrap(), overlap(&w, &t));
    assert_eq!(g["error"].as_f64().unwrap(), want[0]);
    assert_eq!(g["centre_overlap"].as_f64().unwrap(), overlap(&c, &t));
    assert_eq!(g["centre_error"].as_f64().unwrap(), want[1]);
    assert_eq!(g["replica_overlaps"].as_array().unwrap().len(), 7);
    assert_eq!(g["replica_errors"].as_array().unwrap().len(), 7);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("teacher: R = ") && out.contains("3000 fresh patterns"),
        "{out}"
    );
    // Without a teacher: no field, no line.
    let o = densemc(&[&["solve", "--out", rs], &common[..]].concat());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
    assert!(v.get("generalization").is_none());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("teacher"));
    let o = Command::new(BIN)
        .args([&["solve", "--teacher", "--test-patterns", "0"], &common[..]].concat())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_teacher_student_sweep_records_r_and_eps_per_task() {
    let d = TempDir::new("teacher-sweep");
    let out = d.path("s.jsonl");
    let os = out.to_str().unwrap();
    let grid = [
        "sweep",
        "--n",
        "51,101",
        "--alpha",
        "0.3",
        "--samples",
        "2",
        "--algo",
        "rsa,sa",
        "--max-sweeps",
        "300",
        "--threads",
        "2",
        "--quiet",
        "--test-patterns",
        "2000",
    ];
    densemc(&[&grid[..], &["--teacher", "--out", os]].concat());
    let lines = densemc::run::records::read(&out).unwrap().lines;
    assert_eq!(lines.len(), 8);
    for l in lines.iter().map(|l| &l.record) {
        let g = l
            .generalization
            .as_ref()
            .expect("a teacher task records R and ε_g");
        assert_eq!(g.test_patterns, 2000);
        let y = if l.algo == densemc::solve::Algo::Rsa {
            7
        } else {
            1
        };
        assert_eq!(g.replica_errors.len(), y);
        assert_eq!(g.replica_overlaps.len(), y);
        assert_eq!(g.centre_error.is_some(), y == 7);
        assert!((0.0..=1.0).contains(&g.error) && (-1.0..=1.0).contains(&g.overlap));
        // R agrees with the recorded configuration: the task's instance and teacher, regenerated.
        let arch = Arch::new(l.n, 1, Activation::Perceptron).unwrap();
        let (inst, _) = model::generate(arch, l.alpha, l.seed, true).unwrap();
        assert_eq!(g.test_seed, format!("{:016x}", inst.checksum()));
    }
    // Without a teacher the records have no such field.
    let plain = d.path("p.jsonl");
    densemc(&[&grid[..], &["--out", plain.to_str().unwrap()]].concat());
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(!text.contains("generalization"));
    assert!(densemc::run::records::read(&plain)
        .unwrap()
        .lines
        .iter()
        .all(|l| l.record.generalization.is_none()));
}
