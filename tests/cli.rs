//! End-to-end tests of the `densemc` binary: `generate` + `eval` against an independent recount written
//! here from the model definitions, the file formats, and the one-line errors (exit code 2, no panic) for
//! every kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

// ---------------------------------------------------------------------------------------------------------
// Plumbing

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let c = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "densemc-cli-{tag}-{}-{c}-{nanos}",
            std::process::id()
        ));
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

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("DENSEMC_PATH");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("cannot run the densemc binary")
}

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and insists on success, returning stdout.
fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "densemc {args:?} failed ({:?}): {}",
        o.status.code(),
        stderr(&o)
    );
    assert!(!stderr(&o).contains("panicked"));
    stdout(&o)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Checks a refused run: exit code 2, no panic, exactly one `densemc: error:` line, which is the last line
/// of stderr and contains every `needles` string. When `only_line` is set, stderr holds nothing else
/// (commands that only read; `generate` prints a progress line before it writes). Returns the error line.
#[track_caller]
fn refused_env(args: &[&str], env: &[(&str, &str)], needles: &[&str], only_line: bool) -> String {
    let o = run_env(args, env);
    let err = stderr(&o);
    assert!(
        !err.contains("panicked"),
        "densemc {args:?} panicked: {err}"
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "densemc {args:?}: expected exit code 2, stderr: {err}"
    );
    let lines: Vec<&str> = err.lines().collect();
    let errs: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("densemc: error:"))
        .collect();
    assert_eq!(
        errs.len(),
        1,
        "densemc {args:?}: expected one error line, stderr: {err:?}"
    );
    assert_eq!(
        lines.last().copied(),
        Some(*errs[0]),
        "densemc {args:?}: error line is not last: {err:?}"
    );
    if only_line {
        assert_eq!(lines.len(), 1, "densemc {args:?}: stderr: {err:?}");
    }
    for n in needles {
        assert!(
            errs[0].contains(n),
            "densemc {args:?}: error line does not contain {n:?}: {err:?}"
        );
    }
    errs[0].to_string()
}

#[track_caller]
fn refused(args: &[&str], needles: &[&str]) -> String {
    refused_env(args, &[], needles, true)
}

// ---------------------------------------------------------------------------------------------------------
// An independent reader of the text format and recount of the errors

#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    Perceptron,
    Sign,
    Relu,
}

struct TextInst {
    n: usize,
    p: usize,
    k: usize,
    act: Act,
    xi: Vec<Vec<i8>>,
    sigma: Vec<i8>,
}

fn pm(c: u8) -> i8 {
    match c {
        b'+' => 1,
        b'-' => -1,
        _ => panic!("bad character {:?}", c as char),
    }
}

fn parse_text_instance(path: &Path) -> TextInst {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let header: Vec<&str> = lines.next().unwrap().split(' ').collect();
    assert_eq!(header.len(), 6, "{header:?}");
    assert_eq!(header[0], "densemc-instance");
    assert_eq!(header[1], "v1");
    let val = |t: &str, key: &str| -> String {
        t.strip_prefix(key)
            .and_then(|r| r.strip_prefix('='))
            .unwrap_or_else(|| panic!("header field {t:?}, expected {key}="))
            .to_string()
    };
    let n: usize = val(header[2], "n").parse().unwrap();
    let p: usize = val(header[3], "p").parse().unwrap();
    let k: usize = val(header[4], "k").parse().unwrap();
    let act = match val(header[5], "activation").as_str() {
        "perceptron" => Act::Perceptron,
        "sign" => Act::Sign,
        "relu" => Act::Relu,
        a => panic!("activation {a}"),
    };
    let mut xi = Vec::new();
    let mut sigma = Vec::new();
    for l in lines {
        if l.starts_with('#') || (xi.len() == p && l.trim().is_empty()) {
            continue;
        }
        let b = l.as_bytes();
        assert_eq!(b.len(), n + 2, "pattern line {l:?}");
        assert_eq!(b[n], b' ');
        xi.push(b[..n].iter().map(|&c| pm(c)).collect::<Vec<i8>>());
        sigma.push(pm(b[n + 1]));
    }
    assert_eq!(xi.len(), p);
    TextInst {
        n,
        p,
        k,
        act,
        xi,
        sigma,
    }
}

/// Errors of `w` from the model definitions, one pattern at a time in plain integer arithmetic.
fn recount(inst: &TextInst, w: &[i8]) -> usize {
    assert_eq!(w.len(), inst.n);
    let unit = inst.n / inst.k;
    (0..inst.p)
        .filter(|&mu| {
            let x = &inst.xi[mu];
            let sigma = inst.sigma[mu] as i64;
            let lambda: Vec<i64> = (0..inst.k)
                .map(|l| {
                    (l * unit..(l + 1) * unit)
                        .map(|i| w[i] as i64 * x[i] as i64)
                        .sum()
                })
                .collect();
            match inst.act {
                Act::Perceptron => {
                    assert_eq!(inst.k, 1);
                    sigma * lambda[0] < 0
                }
                Act::Sign => {
                    let votes: i64 = lambda.iter().map(|&l| l.signum()).sum();
                    assert!(lambda.iter().all(|&l| l != 0) && votes != 0);
                    sigma * votes.signum() < 0
                }
                Act::Relu => {
                    let h: i64 = lambda
                        .iter()
                        .enumerate()
                        .map(|(l, &v)| {
                            let c = if l < inst.k / 2 { 1 } else { -1 };
                            c * v.max(0)
                        })
                        .sum();
                    sigma * h <= 0
                }
            }
        })
        .count()
}

/// splitmix64, for weights that do not come from densemc's own generator.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn weights(&mut self, n: usize) -> Vec<i8> {
        (0..n)
            .map(|_| if self.next() & 1 == 0 { 1 } else { -1 })
            .collect()
    }
}

fn to_pm(w: &[i8]) -> String {
    w.iter().map(|&x| if x > 0 { '+' } else { '-' }).collect()
}

/// `eval` in text form: "errors E of P=... (fraction ...)".
fn eval_text(inst: &Path, weights: &Path) -> (usize, usize) {
    let out = ok(&["eval", "--instance", s(inst), "--weights", s(weights)]);
    let t: Vec<&str> = out.split_whitespace().collect();
    assert!(
        t.len() >= 5 && t[0] == "errors" && t[2] == "of" && t[3].starts_with("P="),
        "{out:?}"
    );
    assert!(t[4].starts_with("(fraction"), "{out:?}");
    let e: usize = t[1].parse().unwrap();
    let p: usize = t[3][2..].parse().unwrap();
    (e, p)
}

/// `eval --json`: the "errors" field.
fn eval_json(inst: &Path, weights: &Path) -> serde_json::Value {
    let out = ok(&[
        "eval",
        "--instance",
        s(inst),
        "--weights",
        s(weights),
        "--json",
    ]);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"))
}

fn info_checksum(inst: &Path) -> String {
    let out = ok(&["info", "--instance", s(inst)]);
    out.lines()
        .find_map(|l| l.strip_prefix("checksum"))
        .unwrap_or_else(|| panic!("no checksum line: {out}"))
        .trim()
        .to_string()
}

// ---------------------------------------------------------------------------------------------------------
// generate + eval against the recount

fn check_model(act: &str, n: usize, k: usize, alpha: &str, teacher: bool, seed: u64) {
    let d = TempDir::new(&format!("gen-{act}"));
    let txt = d.path("inst.txt");
    let bin = d.path("inst.bin");
    let seed_s = seed.to_string();
    let n_s = n.to_string();
    let k_s = k.to_string();
    let mut args = vec![
        "generate",
        "--n",
        &n_s,
        "--k",
        &k_s,
        "--activation",
        act,
        "--alpha",
        alpha,
        "--seed",
        &seed_s,
    ];
    if teacher {
        args.push("--teacher");
    }
    args.push("--out");
    let mut targs = args.clone();
    targs.push(s(&txt));
    let out_t = ok(&targs);
    let mut bargs = args.clone();
    bargs.extend_from_slice(&[s(&bin), "--format", "binary"]);
    let out_b = ok(&bargs);
    // Same content, same checksum: in the generate message and in `info`.
    let ck = |o: &str| {
        o.split_whitespace()
            .last()
            .unwrap()
            .trim_end_matches(')')
            .to_string()
    };
    assert_eq!(ck(&out_t), ck(&out_b), "{out_t} / {out_b}");
    assert_eq!(info_checksum(&txt), info_checksum(&bin));
    assert_eq!(info_checksum(&txt), ck(&out_t));
    assert!(std::fs::metadata(&bin).unwrap().len() < std::fs::metadata(&txt).unwrap().len());

    let inst = parse_text_instance(&txt);
    assert_eq!((inst.n, inst.k), (n, k));
    assert_eq!(
        inst.p,
        (alpha.parse::<f64>().unwrap() * n as f64).round() as usize
    );
    let mut rng = Mix(seed ^ 0x5eed);
    let mut seen = Vec::new();
    for trial in 0..6 {
        let w = match trial {
            0 => vec![1i8; n],
            1 => vec![-1i8; n],
            _ => rng.weights(n),
        };
        let want = recount(&inst, &w);
        seen.push(want);
        let wf = d.path(&format!("w{trial}.txt"));
        // Alternate a bare string, one with a trailing newline, and a result JSON.
        match trial % 3 {
            0 => std::fs::write(&wf, to_pm(&w)).unwrap(),
            1 => std::fs::write(&wf, format!("{}\n", to_pm(&w))).unwrap(),
            _ => std::fs::write(
                &wf,
                serde_json::json!({"errors": 12345, "weights": to_pm(&w)}).to_string(),
            )
            .unwrap(),
        }
        let (e, p) = eval_text(&txt, &wf);
        assert_eq!(p, inst.p);
        assert_eq!(
            e, want,
            "{act} N={n} K={k} teacher={teacher} trial {trial}: eval says {e}, recount {want}"
        );
        let (eb, pb) = eval_text(&bin, &wf);
        assert_eq!((eb, pb), (e, p), "binary file disagrees with text");
        let j = eval_json(&txt, &wf);
        assert_eq!(j["errors"].as_u64(), Some(want as u64), "{j}");
        assert_eq!(j["p"].as_u64(), Some(inst.p as u64), "{j}");
        assert_eq!(j["solution"].as_bool(), Some(want == 0), "{j}");
        let jb = eval_json(&bin, &wf);
        assert_eq!(jb["errors"], j["errors"]);
        // Every kernel path gives the same count.
        for path in ["generic", "avx2", "avx512"] {
            let o = run_env(
                &["eval", "--instance", s(&bin), "--weights", s(&wf), "--json"],
                &[("DENSEMC_PATH", path)],
            );
            if o.status.success() {
                let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                assert_eq!(v["errors"], j["errors"], "DENSEMC_PATH={path}");
                assert_eq!(v["kernel_path"].as_str(), Some(path));
            } else {
                // Not supported by this CPU: a clean refusal.
                assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
                assert!(stderr(&o).starts_with("densemc: error:"));
            }
        }
    }
    // The recount is not trivially constant.
    assert!(
        seen.iter().any(|&e| e != seen[0]),
        "all weights gave {seen:?}"
    );
}

#[test]
fn perceptron_matches_recount() {
    check_model("perceptron", 201, 1, "0.7", false, 11);
    check_model("perceptron", 201, 1, "2.7", true, 12);
}

#[test]
fn sign_committee_matches_recount() {
    check_model("sign", 201, 3, "0.7", false, 21);
    check_model("sign", 201, 3, "2.7", true, 22);
}

#[test]
fn relu_committee_matches_recount() {
    check_model("relu", 200, 4, "0.7", false, 31);
    check_model("relu", 200, 4, "2.7", true, 32);
}

#[test]
fn origin_is_kept_in_both_formats() {
    let d = TempDir::new("origin");
    let (t, b) = (d.path("t.txt"), d.path("b.bin"));
    for (f, fmt) in [(&t, "text"), (&b, "binary")] {
        ok(&[
            "generate",
            "--n",
            "101",
            "--alpha",
            "0.5",
            "--seed",
            "77",
            "--teacher",
            "--out",
            s(f),
            "--format",
            fmt,
        ]);
        let info = ok(&["info", "--instance", s(f)]);
        assert!(info.contains("seed 77"), "{info}");
        assert!(info.contains("teacher"), "{info}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Hand-written instances: comments and CRLF

/// N=5, P=4, perceptron, with comments between the patterns.
const TINY: &str = "densemc-instance v1 n=5 p=4 k=1 activation=perceptron
# a comment right after the header
+++++ +
# origin alpha=0.8 seed=3 teacher=false
----- +
#another comment, no space
++--- -
+-+-+ -
";

#[test]
fn comments_and_crlf() {
    let d = TempDir::new("tiny");
    let lf = d.path("lf.txt");
    let crlf = d.path("crlf.txt");
    std::fs::write(&lf, TINY).unwrap();
    // CRLF everywhere, and a trailing blank line after the last pattern.
    std::fs::write(&crlf, format!("{}\r\n", TINY.replace('\n', "\r\n"))).unwrap();
    let w = d.path("w.txt");
    std::fs::write(&w, "+++++").unwrap();
    // W = all +: fields 5, -5, -1, 1 against labels +, +, -, - → errors on patterns 2 and 4.
    for f in [&lf, &crlf] {
        let inst = parse_text_instance(f);
        assert_eq!(recount(&inst, &[1; 5]), 2);
        assert_eq!(eval_text(f, &w), (2, 4));
        assert_eq!(eval_json(f, &w)["errors"].as_u64(), Some(2));
    }
    let w2 = d.path("w2.txt");
    std::fs::write(&w2, "-+-+-\r\n").unwrap();
    // Fields: -1, 1, -1, -5 → errors on 1 and 2.
    assert_eq!(eval_text(&lf, &w2), (2, 4));
    assert_eq!(eval_text(&crlf, &w2), (2, 4));
    assert_eq!(info_checksum(&lf), info_checksum(&crlf));
    let info = ok(&["info", "--instance", s(&crlf)]);
    assert!(info.contains("seed 3"), "{info}");
}

// ---------------------------------------------------------------------------------------------------------
// Bad input: exit code 2, one line naming the file (and line), never a panic

#[test]
fn bad_instance_files() {
    let d = TempDir::new("bad");
    let w = d.path("w.txt");
    std::fs::write(&w, "+++++").unwrap();
    let check = |name: &str, content: &[u8], needles: &[&str]| {
        let f = d.path(name);
        std::fs::write(&f, content).unwrap();
        let fs = f.to_str().unwrap().to_string();
        let mut all = vec![fs.as_str()];
        all.extend_from_slice(needles);
        let a = refused(&["eval", "--instance", &fs, "--weights", s(&w)], &all);
        let b = refused(&["info", "--instance", &fs], &all);
        assert_eq!(a, b);
        a
    };
    let hdr = "densemc-instance v1 n=5 p=3 k=1 activation=perceptron\n";

    // Missing file.
    let missing = d.path("missing.txt");
    refused(
        &["info", "--instance", s(&missing)],
        &[s(&missing), "no such file"],
    );
    refused(
        &["eval", "--instance", s(&missing), "--weights", s(&w)],
        &[s(&missing)],
    );
    check("empty.txt", b"", &["empty"]);
    check("header.txt", b"hello world\n+++++ +\n", &[":1:"]);
    check(
        "short-header.txt",
        b"densemc-instance v1 n=5 p=3\n",
        &[":1:"],
    );
    check("binary-junk.txt", &[0xff, 0xfe, 0x00, 0x80, 0x0a], &[":1:"]);
    check(
        "v2.txt",
        b"densemc-instance v2 n=5 p=3 k=1 activation=perceptron\n",
        &[":1:", "v2"],
    );
    check(
        "act.txt",
        b"densemc-instance v1 n=5 p=3 k=1 activation=tanh\n+++++ +\n+++++ +\n+++++ +\n",
        &[":1:", "tanh"],
    );
    check(
        "relu-odd-k.txt",
        b"densemc-instance v1 n=6 p=1 k=3 activation=relu\n++++++ +\n",
        &[":1:", "K even"],
    );
    check(
        "even-perceptron.txt",
        b"densemc-instance v1 n=4 p=1 k=1 activation=perceptron\n++++ +\n",
        &[":1:", "N odd"],
    );
    check(
        "p0.txt",
        b"densemc-instance v1 n=5 p=0 k=1 activation=perceptron\n",
        &["P=0"],
    );
    check(
        "neg.txt",
        b"densemc-instance v1 n=-5 p=3 k=1 activation=perceptron\n",
        &[":1:"],
    );
    check(
        "huge.txt",
        b"densemc-instance v1 n=99999999999999999999999 p=3 k=1 activation=perceptron\n",
        &[":1:"],
    );
    // A header announcing far more than the file holds is refused before allocating.
    check(
        "big-header.txt",
        b"densemc-instance v1 n=2147483647 p=4294967295 k=1 activation=perceptron\n+ +\n",
        &["truncated"],
    );
    check(
        "char.txt",
        format!("{hdr}+++++ +\n+-x-+ -\n+++++ +\n").as_bytes(),
        &[":3:", "column 3", "'x'"],
    );
    check(
        "label.txt",
        format!("{hdr}+++++ +\n+++++ +\n# c\n+++++ x\n").as_bytes(),
        &[":5:", "label"],
    );
    check(
        "nospace.txt",
        format!("{hdr}+++++ +\n+++++++\n+++++ +\n").as_bytes(),
        &[":3:"],
    );
    check(
        "long.txt",
        format!("{hdr}+++++ +\n++++++ +\n+++++ +\n").as_bytes(),
        &[":3:", "found 8 bytes"],
    );
    check(
        "short.txt",
        format!("{hdr}+++++ +\n+++++ +\n++++ +\n+++++ +\n").as_bytes(),
        &[":4:"],
    );
    check(
        "blank-middle.txt",
        format!("{hdr}+++++ +\n\n+++++ +\n+++++ +\n").as_bytes(),
        &[":3:"],
    );
    // Truncated: caught by the size check, and (padded with comments) by the line count.
    check(
        "trunc.txt",
        format!("{hdr}+++++ +\n+++++ +\n").as_bytes(),
        &["truncated"],
    );
    check(
        "trunc-comments.txt",
        format!(
            "{hdr}# a long comment that pads the file beyond P·(N+2) bytes\n+++++ +\n+++++ +\n"
        )
        .as_bytes(),
        &["truncated", "has 2"],
    );
    check(
        "trunc-midline.txt",
        format!("{hdr}+++++ +\n+++++ +\n# pad pad pad pad pad\n+++").as_bytes(),
        &[":5:"],
    );
    check(
        "extra.txt",
        format!("{hdr}+++++ +\n+++++ +\n+++++ +\n# fine\n\n+++++ +\n").as_bytes(),
        &[":7:", "more pattern lines"],
    );
    // A directory is not an instance.
    refused(&["info", "--instance", s(&d.0)], &[s(&d.0)]);
}

fn generate_pair(d: &TempDir) -> (PathBuf, PathBuf) {
    let (t, b) = (d.path("g.txt"), d.path("g.bin"));
    for (f, fmt) in [(&t, "text"), (&b, "binary")] {
        ok(&[
            "generate",
            "--n",
            "65",
            "--alpha",
            "1.5",
            "--seed",
            "4",
            "--out",
            s(f),
            "--format",
            fmt,
        ]);
    }
    (t, b)
}

#[test]
fn bad_binary_files() {
    let d = TempDir::new("badbin");
    let (t, b) = generate_pair(&d);
    let good = std::fs::read(&b).unwrap();
    let text = std::fs::read(&t).unwrap();
    let w = d.path("w.txt");
    std::fs::write(&w, "+".repeat(65)).unwrap();
    let check = |name: &str, content: &[u8], needles: &[&str]| {
        let f = d.path(name);
        std::fs::write(&f, content).unwrap();
        let fs = f.to_str().unwrap().to_string();
        let mut all = vec![fs.as_str()];
        all.extend_from_slice(needles);
        refused(&["eval", "--instance", &fs, "--weights", s(&w)], &all);
        refused(&["info", "--instance", &fs], &all)
    };
    // Header sizes: 52 bytes, then 65 columns and the labels of ⌈98/64⌉ = 2 words, then the checksum.
    assert_eq!(good.len(), 52 + 66 * 16 + 8);
    for cut in [good.len() - 1, good.len() - 9, 60, 52, 51, 20, 9] {
        check(&format!("cut{cut}.bin"), &good[..cut], &["truncated"]);
    }
    // A generated text file cut short: refused by the size check, or by the pattern count.
    check("cut-half.txt", &text[..text.len() / 2], &["truncated"]);
    let cut = text.len() - 68;
    assert_eq!(text[cut - 1], b'\n');
    check("cut-line.txt", &text[..cut], &["truncated", "has 97"]);
    // Shorter than the magic: read as text.
    check("cut5.bin", &good[..5], &[":1:"]);
    let mut long = good.clone();
    long.push(0);
    check("long.bin", &long, &["too long"]);
    // One payload bit flipped: bit 0 of column 0 (pattern 0), and a bit of the label plane.
    let mut flip = good.clone();
    flip[52] ^= 1;
    check("flip.bin", &flip, &["checksum"]);
    let mut flip = good.clone();
    flip[52 + 65 * 16] ^= 0x10;
    check("flip-label.bin", &flip, &["checksum"]);
    let mut flip = good.clone();
    let last = flip.len() - 1;
    flip[last] ^= 0x80;
    check("flip-sum.bin", &flip, &["checksum"]);
    // A padding bit (pattern 127 > P=98) set.
    let mut pad = good.clone();
    pad[52 + 15] |= 0x80;
    check("pad.bin", &pad, &["bits past P"]);
    // Bad magic: not recognised as binary, so read as text and refused at the header.
    let mut magic = good.clone();
    magic[0] = b'X';
    check("magic.bin", &magic, &[":1:"]);
    let mut version = good.clone();
    version[8] = 2;
    check("version.bin", &version, &["version 2"]);
    let mut act = good.clone();
    act[32] = 7;
    check("act.bin", &act, &["activation"]);
    let mut n = good.clone();
    n[12] = 64; // N=64: even perceptron
    check("even.bin", &n, &["N odd"]);
    let mut n = good.clone();
    n[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
    check("nmax.bin", &n, &["N="]);
    let mut p = good.clone();
    p[20..28].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    check("pmax.bin", &p, &["truncated"]);
    let mut p = good.clone();
    p[20..28].copy_from_slice(&0u64.to_le_bytes());
    check("p0.bin", &p, &[]);
}

#[test]
fn bad_weights() {
    let d = TempDir::new("badw");
    let (t, b) = generate_pair(&d);
    for inst in [&t, &b] {
        let check = |name: &str, content: &str, needles: &[&str]| {
            let f = d.path(name);
            std::fs::write(&f, content).unwrap();
            let fs = f.to_str().unwrap().to_string();
            let mut all = vec![fs.as_str()];
            all.extend_from_slice(needles);
            refused(&["eval", "--instance", s(inst), "--weights", &fs], &all);
        };
        check("short.txt", &"+".repeat(64), &["64 characters", "N=65"]);
        check("long.txt", &"-".repeat(66), &["66 characters"]);
        check("empty.txt", "", &["0 characters"]);
        check(
            "char.txt",
            &format!("{}x{}", "+".repeat(10), "+".repeat(54)),
            &["character 11", "'x'"],
        );
        check(
            "inner-space.txt",
            &format!("{} {}", "+".repeat(32), "+".repeat(32)),
            &["character 33"],
        );
        // Non-ASCII: counted and named as characters, not bytes.
        check(
            "accent.txt",
            &format!("{}é{}", "+".repeat(10), "+".repeat(54)),
            &["character 11", "'é'"],
        );
        check(
            "accent-long.txt",
            &format!("{}é", "+".repeat(65)),
            &["66 characters"],
        );
        check("nofield.json", r#"{"errors": 3, "w": "+++"}"#, &["weights"]);
        check("notstring.json", r#"{"weights": [1, -1, 1]}"#, &["weights"]);
        check("badjson.json", "{\"weights\": \n\"+++", &["JSON"]);
        check(
            "json-short.json",
            &serde_json::json!({"weights": "+".repeat(63)}).to_string(),
            &["63 characters"],
        );
        let missing = d.path("nope.txt");
        refused(
            &["eval", "--instance", s(inst), "--weights", s(&missing)],
            &[s(&missing)],
        );
        let bin = d.path("w.bin");
        std::fs::write(&bin, [0xffu8, 0xfe, 0x2b]).unwrap();
        refused(
            &["eval", "--instance", s(inst), "--weights", s(&bin)],
            &[s(&bin)],
        );
    }
}

#[test]
fn bad_generate() {
    let d = TempDir::new("badgen");
    let base = |out: &str| -> Vec<String> {
        ["generate", "--n", "101", "--alpha", "0.5", "--out", out]
            .iter()
            .map(|x| x.to_string())
            .collect()
    };
    let nodir = d.path("no/such/dir/out.txt");
    let a = base(s(&nodir));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    refused_env(&a, &[], &[s(&nodir)], false);
    let a = base("/proc/densemc-cannot-write-here");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    refused_env(&a, &[], &["/proc/densemc-cannot-write-here"], false);
    assert!(!Path::new("/proc/densemc-cannot-write-here").exists());

    let out = d.path("o.txt");
    let o = s(&out);
    refused(
        &["generate", "--n", "1000", "--alpha", "0.5", "--out", o],
        &["N odd", "N=999 or N=1001"],
    );
    refused(
        &["generate", "--n", "1001", "--alpha", "0", "--out", o],
        &["α=0"],
    );
    refused(
        &["generate", "--n", "1001", "--alpha=-1", "--out", o],
        &["α=-1"],
    );
    refused(
        &["generate", "--n", "1001", "--alpha", "NaN", "--out", o],
        &["α=NaN"],
    );
    refused(
        &["generate", "--n", "1001", "--alpha", "inf", "--out", o],
        &["α=inf"],
    );
    refused(
        &["generate", "--n", "1001", "--alpha", "0.0001", "--out", o],
        &["P=round"],
    );
    refused(
        &["generate", "--n", "1000001", "--alpha", "1e30", "--out", o],
        &["more than densemc supports"],
    );
    refused(
        &["generate", "--n", "0", "--alpha", "1", "--out", o],
        &["N=0"],
    );
    refused(
        &["generate", "--n", "99999999999", "--alpha", "1", "--out", o],
        &["out of range"],
    );
    // Representable sizes but far too much memory: a size message, not an allocation abort.
    let e = refused_env(
        &["generate", "--n", "2000000001", "--alpha", "1", "--out", o],
        &[],
        &[],
        false,
    );
    assert!(
        e.contains("needs") || e.contains("cannot allocate"),
        "not a memory message: {e}"
    );
    refused(
        &[
            "generate",
            "--n",
            "201",
            "--k",
            "3",
            "--activation",
            "relu",
            "--alpha",
            "1",
            "--out",
            o,
        ],
        &["K even"],
    );
    refused(
        &[
            "generate",
            "--n",
            "200",
            "--k",
            "3",
            "--activation",
            "sign",
            "--alpha",
            "1",
            "--out",
            o,
        ],
        &["N divisible by K"],
    );
    refused(
        &[
            "generate", "--n", "201", "--k", "3", "--alpha", "1", "--out", o,
        ],
        &["K=1"],
    );
    assert!(!out.exists(), "a refused generate wrote {out:?}");
}

#[test]
fn bad_options_and_environment() {
    let d = TempDir::new("opts");
    let (t, _) = generate_pair(&d);
    for args in [
        vec!["info", "--instance", s(&t), "--bogus"],
        vec!["frobnicate"],
        vec!["generate", "--n", "x", "--alpha", "1", "--out", "y"],
        vec!["generate", "--alpha", "1", "--out", "y"],
        vec![
            "generate",
            "--n",
            "101",
            "--alpha",
            "1",
            "--out",
            "y",
            "--activation",
            "tanh",
        ],
        vec![],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
    refused_env(
        &["info", "--instance", s(&t)],
        &[("DENSEMC_PATH", "bogus")],
        &["DENSEMC_PATH", "bogus"],
        true,
    );
    // A valid name is accepted (generic is always supported).
    let o = run_env(
        &["info", "--instance", s(&t)],
        &[("DENSEMC_PATH", "generic")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("generic"));
}

// ---------------------------------------------------------------------------------------------------------
// Atomic writes

fn dir_names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn generate_is_atomic() {
    let d = TempDir::new("atomic");
    let f = d.path("F");
    // An empty file may be replaced (a file of another kind is refused: tests/faults.rs).
    std::fs::write(&f, "").unwrap();
    for (seed, fmt) in [("1", "text"), ("2", "binary"), ("3", "text")] {
        ok(&[
            "generate",
            "--n",
            "101",
            "--alpha",
            "0.5",
            "--seed",
            seed,
            "--out",
            s(&f),
            "--format",
            fmt,
        ]);
        assert_eq!(dir_names(&d.0), vec!["F".to_string()], "left-over files");
    }
    let first = std::fs::read(&f).unwrap();
    assert!(first.starts_with(b"densemc-instance v1 n=101"));

    // A write that fails at the rename (the target is a non-empty directory) leaves everything as it was.
    let sub = d.path("D");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("keep"), "x").unwrap();
    refused_env(
        &["generate", "--n", "101", "--alpha", "0.5", "--out", s(&sub)],
        &[],
        &[s(&sub)],
        false,
    );
    assert_eq!(dir_names(&d.0), vec!["D".to_string(), "F".to_string()]);
    assert_eq!(dir_names(&sub), vec!["keep".to_string()]);
    assert_eq!(std::fs::read(&f).unwrap(), first);
}

// ---------------------------------------------------------------------------------------------------------
// Output that cannot be written

#[test]
fn full_stdout_is_an_error_not_a_panic() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let d = TempDir::new("full");
    let (t, _) = generate_pair(&d);
    let w = d.path("w.txt");
    std::fs::write(&w, "+".repeat(65)).unwrap();
    let out = d.path("o.txt");
    for args in [
        vec!["info", "--instance", s(&t)],
        vec!["eval", "--instance", s(&t), "--weights", s(&w)],
        vec!["eval", "--instance", s(&t), "--weights", s(&w), "--json"],
        vec!["generate", "--n", "11", "--alpha", "1", "--out", s(&out)],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = Command::new(BIN)
            .args(&args)
            .env_remove("DENSEMC_PATH")
            .stdout(full)
            .output()
            .unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.starts_with("densemc: error:") && last.contains("stdout"),
            "{args:?}: {err}"
        );
    }
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_and_closed_pipes() {
    use std::ffi::OsStr;
    use std::io::Read;
    use std::os::unix::ffi::OsStrExt;
    use std::process::Stdio;
    let d = TempDir::new("utf8");
    let (t, _) = generate_pair(&d);
    let odd = d.0.join(OsStr::from_bytes(b"inst\xff.txt"));
    std::fs::copy(&t, &odd).unwrap();
    let w = d.path("w.txt");
    std::fs::write(&w, "+".repeat(65)).unwrap();
    for json in [false, true] {
        let mut c = Command::new(BIN);
        c.arg("eval")
            .arg("--instance")
            .arg(&odd)
            .arg("--weights")
            .arg(&w);
        if json {
            c.arg("--json");
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        if json {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert!(v["errors"].is_u64(), "{v}");
        }
    }
    // A reader that stops early (`| head -1`): no panic, no error message.
    let mut child = Command::new(BIN)
        .args(["info", "--instance", s(&t)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.is_empty(), "{err}");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn generate_picks_binary_for_large_instances() {
    let dir = TempDir::new("genfmt");
    let (small, large) = (dir.path("small"), dir.path("large"));
    // N·P = 101·51 entries: text; 13001·7801 > 10⁸: binary, unless --format says otherwise.
    let o = ok(&[
        "generate",
        "--n",
        "101",
        "--alpha",
        "0.5",
        "--out",
        s(&small),
    ]);
    assert!(o.contains("text format"), "{o}");
    let o = ok(&[
        "generate",
        "--n",
        "13001",
        "--alpha",
        "0.6",
        "--out",
        s(&large),
    ]);
    assert!(o.contains("binary format"), "{o}");
    let head = std::fs::read(&large).unwrap();
    assert!(head.starts_with(b"DMCINST\0"));
    assert!(
        head.len() < 13001 * 7801 / 4,
        "a binary file is ~N·P/8 bytes"
    );
    let o = ok(&[
        "generate",
        "--n",
        "101",
        "--alpha",
        "0.5",
        "--format",
        "binary",
        "--out",
        s(&small),
    ]);
    assert!(o.contains("binary format"), "{o}");
    assert!(std::fs::read(&small).unwrap().starts_with(b"DMCINST\0"));
}

#[test]
fn solve_writes_its_record_and_a_per_sweep_log() {
    let d = TempDir::new("log");
    let (log, out) = (d.path("log.csv"), d.path("r.json"));
    let args = [
        "solve",
        "--n",
        "301",
        "--alpha",
        "0.6",
        "--seed",
        "3",
        "--max-sweeps",
        "300",
        "-q",
    ];
    ok(&[&args[..], &["--log", s(&log), "--out", s(&out)]].concat());
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let sweeps = r["sweeps"].as_u64().unwrap();
    let y = r["config"]["replicas"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let reps: Vec<String> = (0..y).map(|a| format!("E_{a}")).collect();
    assert_eq!(
        lines[0],
        format!("sweep,beta,gamma,{},E_centre,overlap", reps.join(","))
    );
    // One row per sweep, in order, each with every column; the last row's energies are the record's.
    assert_eq!(lines.len() as u64, 1 + sweeps);
    for (i, l) in lines[1..].iter().enumerate() {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 3 + y + 2, "{l}");
        assert_eq!(f[0], (i + 1).to_string());
    }
    let last: Vec<i64> = lines[lines.len() - 1]
        .split(',')
        .skip(3)
        .take(y)
        .map(|e| e.parse().unwrap())
        .collect();
    let want: Vec<i64> = r["replica_energies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_i64().unwrap())
        .collect();
    assert_eq!(last, want);
    // A log that cannot be created is a one-line error.
    let bad = d.path("no-such-dir/log.csv");
    refused_env(
        &[&args[..], &["--log", s(&bad)]].concat(),
        &[],
        &["--log", "does not exist"],
        false,
    );
}

#[test]
fn help_lists_every_value_with_its_description() {
    // Whitespace normalised: clap pads the value lists to their longest name.
    let help = ok(&["solve", "--help"])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for want in [
        "- perceptron: Binary perceptron (K = 1)",
        "- rsa: Replicated simulated annealing",
        "- explicit: Explicit centre spins",
        "- shared:",
        "- geometric:",
        "- permutation: Every site once",
        "- linear: Perceptron only",
    ] {
        assert!(help.contains(want), "{want:?} missing from solve --help");
    }
    assert!(ok(&["generate", "--help"]).contains("- binary: Bit-packed"));
    // A value that is not a name is refused by the parser, naming the flag and the names.
    let o = run(&[
        "sweep", "--n", "101", "--alpha", "0.5", "--out", "x", "--algo", "rsa,foo",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("'foo'") && e.contains("--algo") && e.contains("sa, rsa"),
        "{e}"
    );
}
