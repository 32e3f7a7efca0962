//! Daily use of the `densemc` binary (issue 15, items 4–6): progress lines in batch logs, figures (the
//! all-algorithm panel, PNG beside SVG), CSV quoting and number forms, `eval --force`, negative numbers, the
//! rerun hint, `robustness --from-sweep`, completions and the man page.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let c = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("densemc-daily-{tag}-{}-{c}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs densemc with stdout and stderr piped (so off a terminal).
fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("DENSEMC_PATH")
        .output()
        .expect("cannot run the densemc binary")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", err(o));
    out(o)
}

/// A refusal: exit code 2 and one line on stderr with the `densemc: error:` prefix.
fn refused(o: &Output) -> String {
    let e = err(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {e}");
    assert_eq!(e.lines().count(), 1, "not one line: {e}");
    assert!(e.starts_with("densemc: error: "), "{e}");
    e
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Fields of one CSV line (RFC 4180 quoting), written here independently of the csv crate.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            (_, '"') => quoted = !quoted,
            (false, ',') => fields.push(String::new()),
            (_, c) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

// ---------------------------------------------------------------------------------------------------------
// Progress lines (item 4)

#[test]
fn solve_prints_progress_lines_off_a_terminal_and_none_with_quiet() {
    // An unsolvable α run to its budget: long enough for several lines 50 ms apart.
    let args = [
        "solve",
        "--n",
        "2001",
        "--alpha",
        "0.9",
        "--max-sweeps",
        "1500",
        "--progress-every",
        "0.05",
    ];
    let o = run(&args);
    ok(&o);
    let lines: Vec<String> = err(&o)
        .lines()
        .filter(|l| l.starts_with("densemc solve: sweep "))
        .map(str::to_string)
        .collect();
    assert!(lines.len() >= 3, "too few progress lines: {}", err(&o));
    let mut last = 0;
    for l in &lines {
        for part in [
            "β=",
            "γ=",
            "E_best=",
            "E_centre=",
            "proposals/s",
            "elapsed ",
            "ETA ",
        ] {
            assert!(l.contains(part), "{part} missing in {l:?}");
        }
        let sweep: u64 = l["densemc solve: sweep ".len()..]
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(sweep >= last && sweep <= 1500, "{l}");
        assert!(l.contains("/1500 "), "{l}");
        last = sweep;
    }
    let q = run(&[&args[..], &["--quiet"]].concat());
    ok(&q);
    assert!(!err(&q).contains("densemc solve: sweep"), "{}", err(&q));
    let e = refused(&run(&[&args[..5], &["--progress-every", "0"]].concat()));
    assert!(e.contains("--progress-every"), "{e}");
}

#[test]
fn sweep_prints_task_progress_lines() {
    let d = TempDir::new("sweep-progress");
    let r = d.path("r.jsonl");
    let o = run(&[
        "sweep",
        "--n",
        "1001",
        "--alpha",
        "0.9",
        "--samples",
        "4",
        "--max-sweeps",
        "800",
        "--threads",
        "1",
        "--out",
        s(&r),
        "--progress-every",
        "0.05",
    ]);
    ok(&o);
    let e = err(&o);
    let lines: Vec<&str> = e
        .lines()
        .filter(|l| l.starts_with("densemc sweep: ") && l.contains(" tasks, "))
        .collect();
    assert!(!lines.is_empty(), "no progress line: {}", err(&o));
    for l in lines {
        assert!(
            l.contains("/4 tasks, ") && l.contains(" solved, ") && l.contains("ETA "),
            "{l}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Small things (item 6)

#[test]
fn a_label_with_a_comma_round_trips_in_robustness_csv() {
    let d = TempDir::new("label");
    let inst = d.path("i.txt");
    ok(&run(&[
        "generate",
        "--n",
        "101",
        "--alpha",
        "0.3",
        "--seed",
        "3",
        "--out",
        s(&inst),
    ]));
    let res = d.path("a.json");
    ok(&run(&[
        "solve",
        "--instance",
        s(&inst),
        "--algo",
        "sa",
        "--out",
        s(&res),
        "-q",
    ]));
    let label = "SA, T=0 \"cold\"";
    ok(&run(&[
        "robustness",
        "--instance",
        s(&inst),
        "--weights",
        s(&res),
        "--label",
        label,
        "--p-grid",
        "0:0.1:0.05",
        "--flips",
        "5",
        "--out-dir",
        s(&d.path("rob")),
    ]));
    let csv = std::fs::read_to_string(d.path("rob/robustness.csv")).unwrap();
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(csv_fields).collect();
    assert_eq!(rows.len(), 2 * 3, "{csv}");
    for r in &rows {
        assert_eq!(r.len(), 6, "{r:?}");
        assert_eq!(r[0], label);
    }
    let dist = std::fs::read_to_string(d.path("rob/distances.csv")).unwrap();
    assert_eq!(csv_fields(dist.lines().next().unwrap()), ["label", label]);
}

#[test]
fn eval_refuses_weights_of_another_instance_unless_forced() {
    let d = TempDir::new("eval");
    let (a, b) = (d.path("a.txt"), d.path("b.txt"));
    for (p, seed) in [(&a, "1"), (&b, "2")] {
        ok(&run(&[
            "generate",
            "--n",
            "101",
            "--alpha",
            "0.3",
            "--seed",
            seed,
            "--out",
            s(p),
        ]));
    }
    let res = d.path("r.json");
    ok(&run(&[
        "solve",
        "--instance",
        s(&a),
        "--out",
        s(&res),
        "-q",
    ]));
    assert!(
        ok(&run(&["eval", "--instance", s(&a), "--weights", s(&res)])).contains(": a solution")
    );
    let e = refused(&run(&["eval", "--instance", s(&b), "--weights", s(&res)]));
    assert!(e.contains("checksum") && e.contains("--force"), "{e}");
    let o = ok(&run(&[
        "eval",
        "--instance",
        s(&b),
        "--weights",
        s(&res),
        "--force",
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert_eq!(v["p"], 30);
    assert!(v["errors"].as_u64().unwrap() <= 30);
}

#[test]
fn negative_numbers_reach_our_checks_and_clap_errors_are_one_line() {
    let e = refused(&run(&[
        "solve", "--n", "101", "--alpha", "0.5", "--beta0", "-1",
    ]));
    assert!(!e.contains("unexpected argument") && e.contains('β'), "{e}");
    let e = refused(&run(&["solve", "--n", "101", "--alpha", "-0.5"]));
    assert!(e.contains("α=-0.5"), "{e}");
    let e = refused(&run(&[
        "sweep",
        "--n",
        "101",
        "--alpha",
        "-0.5",
        "--out",
        "/nonexistent/x",
    ]));
    assert!(e.contains("α=-0.5"), "{e}");
    let e = refused(&run(&["solve", "--n", "-3", "--alpha", "0.5"]));
    assert!(e.contains("--n"), "{e}");
    let e = refused(&run(&["solve", "--bogus"]));
    assert!(e.contains("--bogus"), "{e}");
}

#[test]
fn the_rerun_hint_of_a_committee_sweep_has_its_architecture() {
    let d = TempDir::new("hint");
    let o = ok(&run(&[
        "sweep",
        "--n",
        "99",
        "--alpha",
        "0.2",
        "--samples",
        "1",
        "--k",
        "3",
        "--activation",
        "sign",
        "--teacher",
        "--out",
        s(&d.path("r.jsonl")),
        "-q",
    ]));
    let hint = o
        .lines()
        .find(|l| l.starts_with("re-run one task"))
        .unwrap();
    assert!(hint.contains("--k 3 --activation sign --teacher"), "{hint}");
}

/// Runs a small two-algorithm sweep with the weights kept; returns the results file.
fn small_sweep(d: &TempDir) -> PathBuf {
    let r = d.path("r.jsonl");
    ok(&run(&[
        "sweep",
        "--n",
        "101,201",
        "--alpha",
        "0.45:0.65:0.1",
        "--samples",
        "3",
        "--algo",
        "rsa,sa",
        "--max-sweeps",
        "400",
        "--keep-weights",
        "--out",
        s(&r),
        "-q",
    ]));
    r
}

#[test]
fn csv_numbers_are_short_and_grid_values_decimal() {
    let d = TempDir::new("floats");
    let r = small_sweep(&d);
    ok(&run(&[
        "analyze",
        s(&r),
        "--out-dir",
        s(&d.path("an")),
        "--bootstrap",
        "20",
    ]));
    for f in ["success.csv", "alpha50.csv", "fss.csv"] {
        let text = std::fs::read_to_string(d.path("an").join(f)).unwrap();
        for field in text.lines().flat_map(csv_fields) {
            let Ok(x) = field.parse::<f64>() else {
                continue;
            };
            // Shortest round trip: at most 17 significant digits, and no run of zeros after the point.
            let mantissa = field.split('e').next().unwrap();
            let significant = mantissa
                .trim_start_matches('-')
                .replace('.', "")
                .trim_start_matches('0')
                .len();
            assert!(significant <= 17, "{f}: {field}");
            assert!(!field.contains("0.00000"), "{f}: {field}");
            assert_eq!(field.parse::<f64>().unwrap(), x);
        }
    }
    let success = std::fs::read_to_string(d.path("an/success.csv")).unwrap();
    let alphas: std::collections::BTreeSet<String> = success
        .lines()
        .skip(1)
        .map(|l| csv_fields(l)[3].clone())
        .collect();
    assert_eq!(
        alphas.into_iter().collect::<Vec<_>>(),
        ["0.45", "0.55", "0.65"]
    );
}

#[test]
fn analyze_draws_all_algorithms_on_one_panel_with_png_beside_svg() {
    let d = TempDir::new("panel");
    let r = small_sweep(&d);
    let an = d.path("an");
    let o = run(&["analyze", s(&r), "--out-dir", s(&an), "--bootstrap", "20"]);
    ok(&o);
    let all = std::fs::read_to_string(an.join("p_succ_all.svg")).unwrap();
    for entry in [
        "rsa N=101",
        "rsa N=201",
        "sa N=101",
        "sa N=201",
        "y=7",
        "≤400 sweeps",
    ] {
        assert!(all.contains(entry), "{entry} missing in the panel");
    }
    assert!(all.contains("<!-- written by densemc -->"));
    let no_fonts = err(&o).contains("no system font");
    let svgs: Vec<PathBuf> = std::fs::read_dir(&an)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    assert!(svgs.len() >= 4);
    for svg in &svgs {
        let png = svg.with_extension("png");
        if no_fonts {
            assert!(!png.exists(), "{}", png.display());
            continue;
        }
        let bytes = std::fs::read(&png).unwrap_or_else(|_| panic!("{} missing", png.display()));
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", png.display());
        let mark = b"<!-- written by densemc -->";
        assert!(bytes[..4096.min(bytes.len())]
            .windows(mark.len())
            .any(|w| w == mark));
    }
    // Our own figures are replaced on a second run; a PNG we did not write is left alone.
    ok(&run(&[
        "analyze",
        s(&r),
        "--out-dir",
        s(&an),
        "--bootstrap",
        "20",
    ]));
    if !no_fonts {
        let list = std::fs::read_to_string(an.join(".densemc-files")).unwrap();
        assert!(list.lines().any(|l| l == "p_succ_rsa.png"), "{list}");
        let others: Vec<&str> = list.lines().filter(|l| *l != "p_succ_rsa.png").collect();
        std::fs::write(an.join(".densemc-files"), others.join("\n") + "\n").unwrap();
        std::fs::write(
            an.join("p_succ_rsa.png"),
            b"\x89PNG\r\n\x1a\nsomeone else's",
        )
        .unwrap();
        let e = refused(&run(&["analyze", s(&r), "--out-dir", s(&an)]));
        assert!(
            e.contains("p_succ_rsa.png") && e.contains("not written by densemc"),
            "{e}"
        );
    }
}

#[test]
fn robustness_from_a_sweep_measures_each_solved_task_on_its_instance() {
    let d = TempDir::new("from-sweep");
    let r = small_sweep(&d);
    let grid = ["--p-grid", "0:0.1:0.05", "--flips", "7", "--seed", "4"];
    let rob = d.path("rob");
    ok(&run(&[
        &["robustness", "--from-sweep", s(&r), "--out-dir", s(&rob)][..],
        &grid,
    ]
    .concat()));
    let csv = std::fs::read_to_string(rob.join("robustness.csv")).unwrap();
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(csv_fields).collect();
    // Every solved task: its solution, and for RSA its centre, × 2 kinds × 3 p.
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&r)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let solved: Vec<&serde_json::Value> = records.iter().filter(|v| v["solved"] == true).collect();
    assert!(!solved.is_empty());
    let subjects: usize = solved
        .iter()
        .map(|v| 1 + v["centre_weights"].is_string() as usize)
        .sum();
    assert_eq!(rows.len(), subjects * 2 * 3, "{csv}");
    // A solution has no training error at p = 0.
    for row in rows.iter().filter(|r| r[5] == "solution" && r[8] == "0") {
        assert_eq!((row[6].as_str(), row[9].as_str()), ("0", "0"), "{row:?}");
    }
    // The first solved task, measured alone from its instance and weights, gives the same numbers.
    let t = solved[0];
    let inst = d.path("t.txt");
    ok(&run(&[
        "generate",
        "--n",
        &t["n"].to_string(),
        "--alpha",
        &t["alpha"].to_string(),
        "--seed",
        &t["seed"].to_string(),
        "--out",
        s(&inst),
    ]));
    let w = d.path("w.txt");
    std::fs::write(&w, t["weights"].as_str().unwrap()).unwrap();
    let alone = d.path("alone");
    ok(&run(&[
        &[
            "robustness",
            "--instance",
            s(&inst),
            "--weights",
            s(&w),
            "--label",
            "solution",
        ][..],
        &grid,
        &["--out-dir", s(&alone)],
    ]
    .concat()));
    let one = std::fs::read_to_string(alone.join("robustness.csv")).unwrap();
    // The algorithms of one sample share its seed (and instance): pick the task by both.
    let (algo, seed) = (t["algo"].as_str().unwrap(), t["seed"].to_string());
    let mine: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r[0] == algo && r[4] == seed && r[5] == "solution")
        .map(|r| [&r[5..6], &r[7..]].concat())
        .collect();
    let theirs: Vec<Vec<String>> = one.lines().skip(1).map(csv_fields).collect();
    assert_eq!(mine, theirs);
    // Without stored weights: a clear refusal.
    let bare = d.path("bare.jsonl");
    ok(&run(&[
        "sweep",
        "--n",
        "101",
        "--alpha",
        "0.3",
        "--samples",
        "1",
        "--out",
        s(&bare),
        "-q",
    ]));
    let e = refused(&run(&["robustness", "--from-sweep", s(&bare)]));
    assert!(e.contains("--keep-weights"), "{e}");
    refused(&run(&[
        "robustness",
        "--from-sweep",
        s(&bare),
        "--instance",
        s(&inst),
    ]));
}

#[test]
fn completions_and_man_page() {
    let b = ok(&run(&["completions", "bash"]));
    assert!(
        b.contains("densemc") && b.contains("--progress-every"),
        "{b}"
    );
    let z = ok(&run(&["completions", "zsh"]));
    assert!(z.contains("#compdef densemc"));
    let m = ok(&run(&["man"]));
    assert!(
        m.contains(".TH densemc 1") && m.contains("robustness"),
        "{m}"
    );
    refused(&run(&["completions", "nosh"]));
}

#[test]
fn cargo_metadata_is_there() {
    let toml = include_str!("../Cargo.toml");
    for key in ["license = ", "readme = ", "keywords = ", "categories = "] {
        assert!(toml.lines().any(|l| l.starts_with(key)), "{key} missing");
    }
}

#[test]
fn theory_writes_its_png_beside_the_svg_and_leaves_a_foreign_png_alone() {
    let d = TempDir::new("theory-png");
    let fig = d.path("fig.svg");
    let args = [
        "theory",
        "capacity-vs-k",
        "--k",
        "1,3",
        "--k-relu",
        "none",
        "--svg",
        s(&fig),
    ];
    let o = run(&args);
    ok(&o);
    if err(&o).contains("no system font") {
        assert!(!d.path("fig.png").exists());
        return;
    }
    let png = std::fs::read(d.path("fig.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    ok(&run(&args)); // our own PNG is replaced
    std::fs::write(d.path("fig.png"), b"\x89PNG\r\n\x1a\nsomeone else's").unwrap();
    let o = run(&args);
    let e = refused(&o);
    assert!(e.contains("fig.png") && e.contains("densemc figure"), "{e}");
    assert!(o.stdout.is_empty(), "the work was done first");
}
