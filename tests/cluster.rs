//! Cluster runs: `sweep --shard I/N|auto` splits the task grid into disjoint, interleaved parts (SLURM job
//! arrays), and `merge` joins the part files into exactly the unsharded sweep, refusing foreign or
//! conflicting parts and listing missing tasks.

use densemc::mc::{Centre, Visit};
use densemc::mc::{EnergyKind, Order, Ramp, Schedule};
use densemc::model::Activation;
use densemc::names::Named;
use densemc::run::merge::merge;
use densemc::run::plan::{Plan, TaskKey};
use densemc::run::records::TaskRecord;
use densemc::run::shard::Shard;
use densemc::solve::{Algo, Config};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

mod common;
use common::TempDir;

const SLURM: [&str; 5] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
];

/// `densemc ARGS` with no SLURM variables but `env`.
fn densemc(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args);
    for v in SLURM {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The one-line error of a failed command (exit code 2).
fn refused(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "expected exit code 2: {err}");
    let last = err.lines().last().unwrap_or("").to_string();
    assert!(last.starts_with("densemc: error: "), "{err}");
    assert!(!last.contains("panicked"), "{err}");
    last
}

/// The tiny sweep every CLI test runs: 2 N × 2 α × 3 samples × 2 algorithms = 24 tasks.
fn sweep_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "sweep",
        "--n",
        "21,31",
        "--alpha",
        "0.5,0.7",
        "--samples",
        "3",
        "--algo",
        "rsa,sa",
        "--max-sweeps",
        "100",
        "--replicas",
        "3",
        "--seed",
        "5",
        "--threads",
        "1",
        "--quiet",
        "--out",
        out,
    ];
    v.extend_from_slice(extra);
    v
}

const TOTAL: usize = 24;

fn records(p: &Path) -> Vec<TaskRecord> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Records by task, without timings and shard tags; each task must appear once.
fn by_task(rs: &[TaskRecord]) -> BTreeMap<(usize, usize, usize, String), TaskRecord> {
    let mut m = BTreeMap::new();
    for r in rs {
        let mut u = r.clone();
        u.seconds = 0.0;
        u.proposals_per_second = 0.0;
        u.shard = None;
        let k = r.key();
        assert!(
            m.insert((k.0, k.1, k.2, k.3.to_string()), u).is_none(),
            "task {k:?} twice"
        );
    }
    m
}

fn config(algo: Algo) -> Config {
    Config {
        algo,
        replicas: 3,
        centre: Centre::Traced,
        schedule: Schedule::ramp(Ramp::Geometric, (0.5, 5.0), (0.1, 10.0), 10).unwrap(),
        max_sweeps: 10,
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

fn plan(ns: Vec<usize>, alphas: Vec<f64>, samples: usize, algos: &[Algo]) -> Plan {
    Plan {
        k: 1,
        activation: Activation::Perceptron,
        teacher: false,
        ns,
        alphas,
        samples,
        searches: algos.iter().map(|&a| config(a)).collect(),
        seed: 1,
        test_patterns: 0,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Shard specifications

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

#[test]
fn shard_specs_parse_and_bad_ones_are_refused_clearly() {
    let none = env_of(&[]);
    assert_eq!(
        Shard::parse_with("0/10", &none).unwrap(),
        Shard {
            index: 0,
            count: 10
        }
    );
    assert_eq!(
        Shard::parse_with(" 9/10 ", &none).unwrap(),
        Shard {
            index: 9,
            count: 10
        }
    );
    for bad in ["10/10", "1/0", "x", "3", "-1/4", "1/2/3", ""] {
        let e = Shard::parse_with(bad, &none).unwrap_err().to_string();
        assert!(e.starts_with("shard "), "{bad}: {e}");
    }
    assert!(Shard::parse_with("10/10", &none)
        .unwrap_err()
        .to_string()
        .contains("0 to 9"));
    // auto: SLURM job arrays.
    let auto = |pairs: &[(&str, &str)]| Shard::parse_with("auto", env_of(pairs));
    assert_eq!(
        auto(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "10")
        ])
        .unwrap(),
        Shard {
            index: 3,
            count: 10
        }
    );
    // --array=1-4: ids from 1.
    assert_eq!(
        auto(&[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4")
        ])
        .unwrap(),
        Shard { index: 0, count: 4 }
    );
    // --array=1-7:2 (1, 3, 5, 7).
    assert_eq!(
        auto(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "7"),
            ("SLURM_ARRAY_TASK_STEP", "2")
        ])
        .unwrap(),
        Shard { index: 2, count: 4 }
    );
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "SLURM_ARRAY_TASK_ID is not set"),
        (
            vec![("SLURM_ARRAY_TASK_ID", "2")],
            "SLURM_ARRAY_TASK_COUNT is not set",
        ),
        (
            vec![
                ("SLURM_ARRAY_TASK_ID", "x"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "not a non-negative integer",
        ),
        (
            vec![
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "SLURM_ARRAY_TASK_ID=4 is not one of",
        ),
        (
            vec![
                ("SLURM_ARRAY_TASK_ID", "0"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
            ],
            "is not one of",
        ),
        // --array=1,4,9: not one range.
        (
            vec![
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_MAX", "9"),
            ],
            "do not end at SLURM_ARRAY_TASK_MAX=9",
        ),
        (
            vec![
                ("SLURM_ARRAY_TASK_ID", "0"),
                ("SLURM_ARRAY_TASK_COUNT", "0"),
            ],
            "at least 1",
        ),
    ];
    for (env, want) in cases {
        let e = auto(&env).unwrap_err().to_string();
        assert!(e.contains(want), "{env:?}: {e}");
        assert!(e.starts_with("shard auto: "), "{e}");
        assert!(!e.contains('\n'));
    }
}

#[test]
fn shards_partition_the_grid_interleaved_and_balanced() {
    let p = plan(
        vec![21, 31, 41],
        vec![0.5, 0.6, 0.7, 0.8],
        5,
        &[Algo::Rsa, Algo::Sa],
    );
    let all = p.tasks();
    for count in 1..=7 {
        let mut seen: HashMap<TaskKey, usize> = HashMap::new();
        let mut sizes = Vec::new();
        for index in 0..count {
            let s = Shard::new(index, count).unwrap();
            let tasks = s.tasks(&p);
            sizes.push(tasks.len());
            let mut cells = HashSet::new();
            for t in &tasks {
                assert!(s.owns(&p, t));
                *seen
                    .entry((t.n, t.alpha_index, t.sample, t.algo.name()))
                    .or_default() += 1;
                cells.insert((t.n, t.alpha_index));
            }
            // Both algorithms of a sample stay together (paired comparison).
            for t in &tasks {
                assert!(tasks.iter().any(|u| (u.n, u.alpha_index, u.sample)
                    == (t.n, t.alpha_index, t.sample)
                    && u.algo != t.algo));
            }
            // Every shard gets every (N, α) when there are no more shards than samples.
            if count <= p.samples {
                assert_eq!(cells.len(), p.ns.len() * p.alphas.len(), "{s}");
            }
            // And grid order.
            let pos: Vec<usize> = tasks
                .iter()
                .map(|t| all.iter().position(|u| u == t).unwrap())
                .collect();
            assert!(pos.windows(2).all(|w| w[0] < w[1]));
        }
        assert_eq!(seen.len(), all.len(), "{count} shards miss tasks");
        assert!(seen.values().all(|&c| c == 1), "{count} shards overlap");
        let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(hi - lo <= p.searches.len(), "{count} shards: {sizes:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// The command line

/// The unsharded sweep and its three shards (shard 1 through `--shard auto`), in `dir`.
fn run_full_and_shards(dir: &TempDir) -> (PathBuf, Vec<PathBuf>) {
    let full = dir.path("full.jsonl");
    ok(&densemc(&sweep_args(full.to_str().unwrap(), &[]), &[]));
    let parts: Vec<PathBuf> = (0..3)
        .map(|i| dir.path(&format!("part-{i}.jsonl")))
        .collect();
    for (i, p) in parts.iter().enumerate() {
        let o = if i == 1 {
            densemc(
                &sweep_args(p.to_str().unwrap(), &["--shard", "auto"]),
                &[
                    ("SLURM_ARRAY_TASK_ID", "1"),
                    ("SLURM_ARRAY_TASK_COUNT", "3"),
                    ("SLURM_ARRAY_TASK_MIN", "0"),
                    ("SLURM_ARRAY_TASK_MAX", "2"),
                ],
            )
        } else {
            let spec = format!("{i}/3");
            densemc(&sweep_args(p.to_str().unwrap(), &["--shard", &spec]), &[])
        };
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        ok(&o);
        assert!(err.contains(&format!("8 of them in shard {i}/3")), "{err}");
    }
    (full, parts)
}

#[test]
fn the_merged_shards_are_the_unsharded_sweep_task_by_task() {
    let dir = TempDir::new("cluster-union");
    let (full, parts) = run_full_and_shards(&dir);
    let want = by_task(&records(&full));
    assert_eq!(want.len(), TOTAL);
    let mut union = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let rs = records(p);
        assert_eq!(rs.len(), 8);
        for r in &rs {
            let tag = r.shard.as_ref().expect("a shard line carries its tag");
            assert_eq!((tag.index, tag.count), (i, 3));
            assert_eq!(tag.grid.ns, vec![21, 31]);
            assert_eq!(tag.grid.samples, 3);
        }
        union.extend(rs);
    }
    // The union of the shards, task by task.
    assert_eq!(by_task(&union), want);
    // The merged file: the same tasks, in grid order, readable by analyze and resumable by the sweep.
    let merged = dir.path("merged.jsonl");
    let mut args = vec!["merge", merged.to_str().unwrap()];
    args.extend(parts.iter().rev().map(|p| p.to_str().unwrap()));
    let out = ok(&densemc(&args, &[]));
    assert!(out.contains("24 of 24 tasks"), "{out}");
    let m = records(&merged);
    assert_eq!(by_task(&m), want);
    let order: Vec<_> = m.iter().map(|r| (r.n, r.alpha_index, r.sample)).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    let o = densemc(&sweep_args(merged.to_str().unwrap(), &[]), &[]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("24 already in"));
    ok(&densemc(
        &["analyze", merged.to_str().unwrap(), "--bootstrap", "5"],
        &[],
    ));
    // A shard file is resumed by its own shard only.
    let o = densemc(
        &sweep_args(parts[1].to_str().unwrap(), &["--shard", "1/3"]),
        &[],
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("8 already in"));
    ok(&o);
    let e = refused(&densemc(
        &sweep_args(parts[1].to_str().unwrap(), &["--shard", "0/3"]),
        &[],
    ));
    assert!(e.contains("holds shard 1/3, not shard 0/3"), "{e}");
    let e = refused(&densemc(
        &sweep_args(full.to_str().unwrap(), &["--shard", "0/3"]),
        &[],
    ));
    assert!(e.contains("unsharded run"), "{e}");
    let e = refused(&densemc(
        &sweep_args(dir.path("x.jsonl").to_str().unwrap(), &["--shard", "auto"]),
        &[],
    ));
    assert!(e.contains("SLURM_ARRAY_TASK_ID is not set"), "{e}");
}

#[test]
fn merge_reports_missing_duplicate_conflicting_and_foreign_parts() {
    let dir = TempDir::new("cluster-merge");
    let (full, parts) = run_full_and_shards(&dir);
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();
    let merged = dir.path("merged.jsonl");
    let m = s(&merged);
    let run = |args: &[String]| {
        let mut v = vec!["merge".to_string(), m.clone(), "--force".to_string()];
        v.extend_from_slice(args);
        let r: Vec<&str> = v.iter().map(|x| x.as_str()).collect();
        densemc(&r, &[])
    };
    // A missing shard: every task of it is listed, nothing is written.
    let e = refused(&run(&[s(&parts[0]), s(&parts[2])]));
    assert!(e.contains("8 of 24 tasks missing"), "{e}");
    assert!(e.contains("shard 1/3: all 8"), "{e}");
    assert!(e.contains("e.g. N=21 α=0.5 sample 1"), "{e}");
    assert!(!merged.exists());
    // Written anyway on request; the unsharded sweep then completes it.
    let o = run(&["--allow-missing".into(), s(&parts[0]), s(&parts[2])]);
    assert!(ok(&o).contains("16 of 24 tasks"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("8 of 24 tasks missing"));
    let o = densemc(&sweep_args(&m, &[]), &[]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("16 already in"));
    assert_eq!(by_task(&records(&merged)), by_task(&records(&full)));
    // An existing output that is not a part is not overwritten by mistake (merge part-0 part-1 part-2).
    let e = refused(&densemc(
        &["merge", &s(&parts[0]), &s(&parts[1]), &s(&parts[2])],
        &[],
    ));
    assert!(e.contains("is not one of the parts"), "{e}");
    // Identical repeated lines are dropped with a note.
    let o = run(&[
        s(&parts[0]),
        s(&parts[1]),
        s(&parts[2]),
        s(&parts[1]),
        s(&full),
    ]);
    assert!(ok(&o).contains("24 of 24 tasks"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("dropped 32 repeated lines"), "{err}");
    assert_eq!(by_task(&records(&merged)), by_task(&records(&full)));
    // A conflicting duplicate is an error naming both lines and the fields.
    let text = std::fs::read_to_string(&parts[1]).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut v: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    v["sweeps"] = (v["sweeps"].as_u64().unwrap() + 1).into();
    v["solved"] = (!v["solved"].as_bool().unwrap()).into();
    lines[2] = v.to_string();
    let bad = dir.path("bad.jsonl");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let e = refused(&run(&[s(&parts[1]), s(&bad)]));
    assert!(
        e.contains("different results (solved, sweeps differ)"),
        "{e}"
    );
    assert!(
        e.contains("part-1.jsonl:3") && e.contains("bad.jsonl:3"),
        "{e}"
    );
    // Another densemc version.
    let mut v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    v["densemc_version"] = "0.0.1".into();
    let old = dir.path("old.jsonl");
    std::fs::write(&old, format!("{v}\n")).unwrap();
    let e = refused(&run(&[s(&parts[0]), s(&old)]));
    assert!(
        e.contains("densemc 0.0.1") && e.contains("one densemc version"),
        "{e}"
    );
    // Another grid, other parameters.
    let other = dir.path("other.jsonl");
    let mut a = sweep_args(other.to_str().unwrap(), &["--shard", "0/3"]);
    a[4] = "0.5,0.6";
    ok(&densemc(&a, &[]));
    let e = refused(&run(&[s(&parts[0]), s(&other)]));
    assert!(e.contains("another grid"), "{e}");
    let seed6 = dir.path("seed6.jsonl");
    let mut a = sweep_args(seed6.to_str().unwrap(), &["--shard", "0/3"]);
    a[14] = "6";
    ok(&densemc(&a, &[]));
    let e = refused(&run(&[s(&parts[0]), s(&seed6)]));
    assert!(e.contains("other search parameters"), "{e}");
    // A torn last line is skipped with a note; a bad line elsewhere is an error at its line.
    let torn = dir.path("torn.jsonl");
    let t0 = std::fs::read_to_string(&parts[0]).unwrap();
    let first = t0.lines().next().unwrap();
    std::fs::write(&torn, format!("{t0}{}", &first[..first.len() / 2])).unwrap();
    let o = run(&[s(&torn), s(&parts[1]), s(&parts[2])]);
    assert!(ok(&o).contains("24 of 24"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("torn.jsonl: skipped a torn last line"));
    let garbage = dir.path("garbage.jsonl");
    std::fs::write(&garbage, format!("{first}\nnot json\n{first}\n")).unwrap();
    let e = refused(&run(&[s(&garbage)]));
    assert!(
        e.contains("garbage.jsonl:2: not a sweep result line"),
        "{e}"
    );
    // A line moved to the wrong shard file.
    let mut v: serde_json::Value = serde_json::from_str(first).unwrap();
    v["shard"]["index"] = 2.into();
    let moved = dir.path("moved.jsonl");
    std::fs::write(&moved, format!("{v}\n")).unwrap();
    let e = refused(&run(&[s(&moved)]));
    assert!(
        e.contains("belongs to shard 0/3, but the line says shard 2/3"),
        "{e}"
    );
}

#[test]
fn merge_library_on_parsed_parts() {
    // records::parse: blank lines skipped, CRLF accepted, a torn tail (even cut inside a UTF-8 character)
    // reported, not fatal.
    let dir = TempDir::new("cluster-lib");
    let p = dir.path("one.jsonl");
    ok(&densemc(
        &sweep_args(p.to_str().unwrap(), &["--shard", "2/3"]),
        &[],
    ));
    let text = std::fs::read_to_string(&p).unwrap();
    let crlf = text.replace('\n', "\r\n\n");
    let r = densemc::run::records::parse(crlf.as_bytes(), &p).unwrap();
    assert_eq!(r.lines.len(), 8);
    assert!(!r.torn());
    let mut bytes = text.clone().into_bytes();
    bytes.extend_from_slice("{\"sweep\":\"α".as_bytes());
    bytes.pop();
    let r = densemc::run::records::parse(&bytes, &p).unwrap();
    assert!(r.torn() && r.lines.len() == 8);
    let mut bad = b"\xff\n".to_vec();
    bad.extend_from_slice(text.as_bytes());
    assert!(densemc::run::records::parse(&bad, &p)
        .unwrap_err()
        .to_string()
        .contains(":1: not UTF-8"));
    let m = merge(&[(
        p.clone(),
        densemc::run::records::parse(text.as_bytes(), &p).unwrap(),
    )])
    .unwrap();
    assert!(m.grid_from_tags);
    assert_eq!((m.lines.len(), m.missing, m.expected()), (8, 16, 24));
    assert!(m.missing_summary().starts_with(
        "16 of 24 tasks missing (shard 0/3: all 8 (no file given?); shard 1/3: all 8"
    ));
    assert!(merge(&[]).is_err());
}
