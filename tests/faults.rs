//! Faults, through the built binary: SIGKILL of a sweep at random moments, then resume (nothing lost,
//! nothing doubled); a full disk while results are written (RLIMIT_FSIZE through `ulimit -f`, and a tiny
//! tmpfs when this process may mount one); truncated and corrupted instance files; an instance file
//! replaced on disk while a search runs; output paths that are not regular files.
//!
//! The kill moments are random: set DENSEMC_FAULTS_SEED to replay a run (each run prints its seed).

use densemc::run::plan::TaskKey;
use densemc::run::records::TaskRecord;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

mod common;
use common::TempDir;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn densemc(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// `densemc ARGS` under `sh -c` with a file-size limit of `blocks` (`ulimit -f`) and SIGXFSZ ignored, so
/// that a write past the limit fails with EFBIG as on a full disk instead of killing the process.
fn densemc_fsize(blocks: u64, args: &[&str]) -> Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks} && exec '{BIN}' {}",
            quoted.join(" ")
        ))
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "failed: {}", stderr(o));
}

/// The one-line error of a refused command: exit code 2, `densemc: error: …`, no panic.
fn refused(o: &Output) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "expected exit code 2: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let last = err.lines().last().unwrap_or("").to_string();
    assert!(last.starts_with("densemc: error: "), "{err}");
    last
}

/// xorshift64*, seeded from DENSEMC_FAULTS_SEED or the clock.
struct Rand(u64);

impl Rand {
    fn new(test: &str) -> Self {
        let seed = std::env::var("DENSEMC_FAULTS_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        println!("{test}: DENSEMC_FAULTS_SEED={seed}");
        Rand(seed | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// A results file as a reader after a crash sees it: the complete lines (each must parse) and whether a
/// torn last line (no newline) follows them.
fn journal(p: &Path) -> (Vec<TaskRecord>, bool) {
    let bytes = std::fs::read(p).unwrap_or_default();
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = std::str::from_utf8(&bytes[..end]).expect("complete lines are UTF-8");
    let records = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: {e}: {l}", p.display(), i + 1))
        })
        .collect();
    (records, end < bytes.len())
}

fn keys(rs: &[TaskRecord]) -> HashSet<TaskKey> {
    let mut set = HashSet::new();
    for r in rs {
        assert!(set.insert(r.key()), "task {:?} recorded twice", r.key());
    }
    set
}

/// Records by task without timings and shard tags.
fn untimed(rs: &[TaskRecord]) -> BTreeMap<TaskKey, TaskRecord> {
    rs.iter()
        .map(|r| {
            let mut u = r.clone();
            u.seconds = 0.0;
            u.proposals_per_second = 0.0;
            u.shard = None;
            (r.key(), u)
        })
        .collect()
}

/// 2 N × 2 α × 4 samples × 2 algorithms = 32 tasks of a few tens of milliseconds.
fn sweep_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "sweep",
        "--n",
        "201,301",
        "--alpha",
        "0.7,0.8",
        "--samples",
        "4",
        "--algo",
        "rsa,sa",
        "--max-sweeps",
        "1500",
        "--replicas",
        "5",
        "--seed",
        "9",
        "--threads",
        "2",
        "--quiet",
        "--out",
        out,
    ];
    v.extend_from_slice(extra);
    v
}

// ---------------------------------------------------------------------------------------------------------
// SIGKILL

#[test]
fn sigkill_at_random_moments_then_resume_loses_and_doubles_nothing() {
    let dir = TempDir::new("faults-kill");
    let mut rand = Rand::new("sigkill");
    let reference = dir.path("reference.jsonl");
    let t0 = Instant::now();
    ok(&densemc(&sweep_args(s(&reference), &[])));
    let full_time = t0.elapsed().as_millis() as u64;
    let (want, _) = journal(&reference);
    assert_eq!(want.len(), 32);
    let want = untimed(&want);
    for (name, extra) in [("all", vec![]), ("shard", vec!["--shard", "1/2"])] {
        let out = dir.path(&format!("{name}.jsonl"));
        let args = sweep_args(s(&out), &extra);
        let mut before: HashSet<TaskKey> = HashSet::new();
        let mut kills = 0;
        for _ in 0..6 {
            let mut child = Command::new(BIN)
                .args(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // Anywhere from the start-up (opening, cutting a torn line) to past the end of the run.
            let delay = rand.below(full_time + 20);
            std::thread::sleep(Duration::from_millis(delay));
            let running = child.try_wait().unwrap().is_none();
            child.kill().unwrap_or(()); // SIGKILL
            let status = child.wait().unwrap();
            let (now, torn) = journal(&out);
            let now = keys(&now);
            assert!(
                now.is_superset(&before),
                "{name}: a kill after {delay} ms lost recorded tasks"
            );
            println!(
                "{name}: killed after {delay} ms: {} tasks recorded{}",
                now.len(),
                if torn { ", torn last line" } else { "" }
            );
            before = now;
            if running {
                kills += 1;
            } else {
                assert!(status.success());
                break;
            }
        }
        // Resume to the end: every task once, the same results as the uninterrupted run.
        let o = densemc(&args);
        ok(&o);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'));
        let (rs, torn) = journal(&out);
        assert!(!torn);
        let got = keys(&rs);
        assert!(got.is_superset(&before));
        // Shard 1/2 holds the odd units (N, α, sample) of the grid: with 4 samples, the odd samples.
        let expect: BTreeMap<_, _> = want
            .iter()
            .filter(|(k, _)| extra.is_empty() || k.2 % 2 == 1)
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        assert_eq!(
            rs.len(),
            if extra.is_empty() { 32 } else { 16 },
            "{name}: after {kills} kills"
        );
        assert_eq!(
            untimed(&rs),
            expect,
            "{name}: results differ from the uninterrupted run"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// A full disk

/// Checks a sweep stopped by a full disk: one-line error naming the cause, exit code 2, the lines written
/// before intact and the file ending at a line boundary (the failed line cut off again).
fn check_stopped_by_full_disk(o: &Output, out: &Path, cause: &str) -> usize {
    let e = refused(o);
    assert!(e.contains("cannot append to the results file"), "{e}");
    assert!(e.contains(cause), "{e}");
    let text = std::fs::read_to_string(out).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "a partial line was left after the failed write"
    );
    let (rs, torn) = journal(out);
    assert!(!torn);
    keys(&rs).len()
}

#[test]
fn a_file_size_limit_stops_sweep_and_solve_cleanly() {
    let dir = TempDir::new("faults-fsize");
    // sweep: a few lines fit under 4 blocks (2 or 4 KiB, the unit of `ulimit -f` depends on the shell).
    let out = dir.path("r.jsonl");
    let args = sweep_args(s(&out), &[]);
    let o = densemc_fsize(4, &args);
    let kept = check_stopped_by_full_disk(&o, &out, "File too large");
    assert!(kept > 0 && kept < 32, "{kept} lines under the limit");
    // Without the limit the same command finishes the sweep, each task once.
    ok(&densemc(&args));
    let (rs, _) = journal(&out);
    assert_eq!(keys(&rs).len(), 32);
    assert_eq!(rs.len(), 32);
    // solve --out: the atomic write fails, the old result stays, no temporary file is left.
    let res = dir.path("result.json");
    let solve = [
        "solve",
        "--n",
        "301",
        "--alpha",
        "0.3",
        "--max-sweeps",
        "300",
        "--quiet",
        "--out",
        s(&res),
    ];
    ok(&densemc(&solve));
    let old = std::fs::read(&res).unwrap();
    let e = refused(&densemc_fsize(1, &solve));
    assert!(
        e.contains("result.json: cannot write the output file"),
        "{e}"
    );
    assert_eq!(std::fs::read(&res).unwrap(), old);
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        2,
        "a temporary file was left"
    );
    // merge OUT likewise.
    let merged = dir.path("merged.jsonl");
    let e = refused(&densemc_fsize(4, &["merge", s(&merged), s(&out)]));
    assert!(
        e.contains("merged.jsonl: cannot write the output file"),
        "{e}"
    );
    assert!(!merged.exists());
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        2,
        "a temporary file was left"
    );
}

/// A tmpfs mounted for the test (as root, where mounting is allowed), unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: PathBuf, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(&dir).ok()?;
        let o = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                s(&dir),
            ])
            .stderr(Stdio::piped())
            .output()
            .ok()?;
        if o.status.success() {
            Some(Tmpfs(dir))
        } else {
            println!(
                "note: cannot mount a tmpfs ({}): skipping the ENOSPC test (the RLIMIT_FSIZE test covers a full disk)",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_tmpfs_stops_a_sweep_cleanly_and_it_resumes_after_space_is_freed() {
    let dir = TempDir::new("faults-enospc");
    let Some(fs) = Tmpfs::mount(dir.path("mnt"), "64k") else {
        return;
    };
    // Fill the filesystem, then free 8 KiB: room for a few lines.
    let filler = fs.0.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    let len = std::fs::metadata(&filler).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(len.saturating_sub(8192))
        .unwrap();
    let out = fs.0.join("r.jsonl");
    let args = sweep_args(s(&out), &[]);
    let kept = check_stopped_by_full_disk(&densemc(&args), &out, "no space left on device");
    assert!(kept < 32);
    // Resuming on the still-full disk fails the same way, losing nothing.
    let again = check_stopped_by_full_disk(&densemc(&args), &out, "no space left on device");
    assert!(again >= kept);
    // Space freed: the same command finishes, each task once.
    std::fs::remove_file(&filler).unwrap();
    ok(&densemc(&args));
    let (rs, _) = journal(&out);
    assert_eq!(rs.len(), 32);
    assert_eq!(keys(&rs).len(), 32);
}

/// `write_atomic` renames a temporary file over the target: when `--out` names a symlink (here to
/// /dev/full) or a FIFO, the link or FIFO is replaced by a regular file and the command reports success (as
/// root, `--out /dev/full` or `--out /dev/stdout` would replace the device node or link in /dev). Wanted: an
/// error, or a write through to the target.
#[test]
fn solve_out_to_a_symlink_to_dev_full_fails_cleanly() {
    let dir = TempDir::new("faults-devfull");
    let link = dir.path("out.json");
    std::os::unix::fs::symlink("/dev/full", &link).unwrap();
    let e = refused(&densemc(&[
        "solve",
        "--n",
        "51",
        "--alpha",
        "0.3",
        "--max-sweeps",
        "100",
        "--quiet",
        "--out",
        s(&link),
    ]));
    assert!(e.contains("no space left on device"), "{e}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

// ---------------------------------------------------------------------------------------------------------
// Instance files

#[test]
fn truncated_and_corrupted_instance_files_are_refused_in_one_line() {
    let dir = TempDir::new("faults-instance");
    let mut rand = Rand::new("instances");
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for (ext, format) in [("txt", "text"), ("bin", "binary")] {
        let p = dir.path(&format!("good.{ext}"));
        ok(&densemc(&[
            "generate",
            "--n",
            "63",
            "--k",
            "1",
            "--alpha",
            "0.7",
            "--seed",
            "4",
            "--teacher",
            "--out",
            s(&p),
            "--format",
            format,
        ]));
        let bytes = std::fs::read(&p).unwrap();
        let n = bytes.len();
        // Truncations: empty, inside the header, inside the data, one byte short; random ones.
        let mut cuts = vec![0, 1, n / 10, n / 2, n - 1];
        cuts.extend((0..4).map(|_| rand.below(n as u64) as usize));
        for c in cuts {
            // Cutting only the final newline leaves a complete file.
            if bytes[c..].iter().all(|b| b.is_ascii_whitespace()) && c > 0 {
                continue;
            }
            cases.push((format!("{format} cut at {c} of {n}"), bytes[..c].to_vec()));
        }
        // A flipped byte in the header, in the data, and in the binary checksum.
        for at in [5, n / 2, n - 2] {
            let mut b = bytes.clone();
            b[at] ^= if ext == "txt" { 0x01 } else { 0x10 };
            cases.push((format!("{format} byte {at} changed"), b));
        }
        let mut b = bytes.clone();
        b.extend_from_slice(b"trailing garbage\n");
        cases.push((format!("{format} with trailing garbage"), b));
    }
    let weights = "+".repeat(63);
    let w = dir.path("w.txt");
    std::fs::write(&w, &weights).unwrap();
    for (what, bytes) in cases {
        let p = dir.path("bad.inst");
        std::fs::write(&p, &bytes).unwrap();
        for args in [
            vec!["info", "--instance", s(&p)],
            vec!["eval", "--instance", s(&p), "--weights", s(&w)],
            vec![
                "solve",
                "--instance",
                s(&p),
                "--max-sweeps",
                "10",
                "--quiet",
            ],
        ] {
            let o = densemc(&args);
            let err = stderr(&o);
            if o.status.success() {
                // Only an edit the format cannot see may pass: a flipped ± in a text row changes one input.
                println!("note: {what}: accepted by {}", args[0]);
                assert!(
                    what.starts_with("text byte") && !what.contains("byte 5 "),
                    "{what}: {} accepted a damaged file",
                    args[0]
                );
                continue;
            }
            let e = refused(&o);
            assert!(e.contains("bad.inst"), "{what}: {e}");
            assert_eq!(err.lines().count(), 1, "{what}: {err}");
        }
    }
}

#[test]
fn an_instance_replaced_during_a_search_is_recognised_by_its_checksum() {
    // sweep generates its instances from the task seeds (it has no --instance), so the file-level check is
    // on results: a result records the checksum of the instance it was found on, and `robustness` refuses
    // it with another instance.
    let dir = TempDir::new("faults-changed");
    let inst = dir.path("inst.txt");
    let orig = dir.path("orig.txt");
    let gen = |seed: &str, out: &Path| {
        ok(&densemc(&[
            "generate",
            "--n",
            "401",
            "--alpha",
            "0.6",
            "--seed",
            seed,
            "--out",
            s(out),
        ]))
    };
    gen("1", &inst);
    std::fs::copy(&inst, &orig).unwrap();
    let res = dir.path("r.json");
    let mut child = Command::new(BIN)
        .args([
            "solve",
            "--instance",
            s(&inst),
            "--max-sweeps",
            "3000",
            "--quiet",
            "--out",
            s(&res),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first stderr line comes after the instance was read: replace the file then.
    let mut first = String::new();
    {
        use std::io::BufRead;
        std::io::BufReader::new(child.stderr.as_mut().unwrap())
            .read_line(&mut first)
            .unwrap();
    }
    assert!(first.starts_with("densemc solve:"), "{first}");
    gen("2", &inst);
    assert!(child.wait().unwrap().success());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&res).unwrap()).unwrap();
    let recorded = v["instance"]["checksum"].as_str().unwrap().to_string();
    let info = |p: &Path| {
        String::from_utf8_lossy(&densemc(&["info", "--instance", s(p)]).stdout).into_owned()
    };
    assert!(
        info(&orig).contains(&recorded),
        "the result names the instance as read"
    );
    assert!(!info(&inst).contains(&recorded));
    let e = refused(&densemc(&[
        "robustness",
        "--instance",
        s(&inst),
        "--weights",
        s(&res),
        "--p-grid",
        "0:0.1:0.05",
        "--flips",
        "2",
    ]));
    assert!(
        e.contains(&format!("found on an instance with checksum {recorded}")),
        "{e}"
    );
    ok(&densemc(&[
        "robustness",
        "--instance",
        s(&orig),
        "--weights",
        s(&res),
        "--p-grid",
        "0:0.1:0.05",
        "--flips",
        "2",
    ]));
}

// ---------------------------------------------------------------------------------------------------------
// Issue #11: output paths checked before the work, files that are not densemc's left alone

/// `densemc ARGS` killed (SIGKILL) after `secs` seconds: a hang or an endless loop fails the test instead
/// of stopping it (exit status 137 from `timeout`).
fn densemc_within(secs: u32, args: &[&str]) -> Output {
    Command::new("timeout")
        .args(["-s", "KILL", &secs.to_string(), BIN])
        .args(args)
        .output()
        .unwrap()
}

/// `densemc ARGS` under `sh -c` with at most `kib` KiB of address space (`ulimit -v`): an unbounded read
/// or an absurd allocation aborts instead of being refused.
fn densemc_vmem(kib: u64, args: &[&str]) -> Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {kib} && exec '{BIN}' {}",
            quoted.join(" ")
        ))
        .output()
        .unwrap()
}

fn generate(out: &Path, n: &str, alpha: &str) {
    ok(&densemc(&[
        "generate",
        "--n",
        n,
        "--alpha",
        alpha,
        "--seed",
        "5",
        "--out",
        s(out),
    ]));
}

#[test]
fn outputs_that_are_not_densemc_files_are_left_untouched() {
    let dir = TempDir::new("faults-foreign");
    let inst = dir.path("inst.txt");
    generate(&inst, "101", "0.5");
    let result = dir.path("result.json");
    ok(&densemc(&[
        "solve",
        "--instance",
        s(&inst),
        "--max-sweeps",
        "50",
        "-q",
        "--out",
        s(&result),
    ]));
    let journal = dir.path("s.jsonl");
    ok(&densemc(&[
        "sweep",
        "--n",
        "101",
        "--alpha",
        "0.5",
        "--samples",
        "1",
        "--max-sweeps",
        "50",
        "-q",
        "--out",
        s(&journal),
    ]));
    let notes = dir.path("notes");
    std::fs::write(&notes, "my notes, without a final newline").unwrap();
    let files = [&inst, &result, &notes, &journal];
    let before: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let solve = |extra: &[&str]| {
        let mut v = vec!["solve", "--instance", s(&inst), "--max-sweeps", "50", "-q"];
        v.extend_from_slice(extra);
        densemc(&v)
    };
    let sweep = |out: &Path| {
        densemc(&[
            "sweep",
            "--n",
            "101",
            "--alpha",
            "0.5",
            "--samples",
            "1",
            "--max-sweeps",
            "50",
            "-q",
            "--out",
            s(out),
        ])
    };
    let cases: Vec<(&str, Output, &str)> = vec![
        (
            "solve --out the instance",
            solve(&["--out", s(&inst)]),
            "same file as the input --instance",
        ),
        (
            "solve --out notes",
            solve(&["--out", s(&notes)]),
            "not a densemc result record",
        ),
        (
            "solve --log the instance",
            solve(&["--log", s(&inst)]),
            "same file as the input --instance",
        ),
        (
            "solve --log a result",
            solve(&["--log", s(&result)]),
            "not a densemc sweep log",
        ),
        (
            "solve --checkpoint notes",
            solve(&["--checkpoint", s(&notes)]),
            "not a densemc checkpoint",
        ),
        (
            "solve --out = --log",
            solve(&["--out", s(&result), "--log", s(&result)]),
            "not a densemc sweep log",
        ),
        (
            "sweep --out the instance",
            sweep(&inst),
            "not a densemc sweep results file",
        ),
        (
            "sweep --out a result",
            sweep(&result),
            "not a densemc sweep results file",
        ),
        (
            "sweep --out notes",
            sweep(&notes),
            "not a densemc sweep results file",
        ),
        (
            "merge --force OUT=notes",
            densemc(&["merge", "--force", s(&notes), s(&journal)]),
            "not a densemc sweep results file",
        ),
        (
            "merge OUT=a result",
            densemc(&["merge", s(&result), s(&journal)]),
            "not a densemc sweep results file",
        ),
        (
            "generate --out notes",
            densemc(&[
                "generate",
                "--n",
                "51",
                "--alpha",
                "0.5",
                "--out",
                s(&notes),
            ]),
            "not a densemc instance",
        ),
    ];
    for (what, o, msg) in cases {
        let e = refused(&o);
        assert!(e.contains(msg), "{what}: {e}");
        for (p, b) in files.iter().zip(&before) {
            assert_eq!(
                &std::fs::read(p).unwrap(),
                b,
                "{what} changed {}",
                p.display()
            );
        }
    }
    // densemc's own files of the same kind are still replaced.
    ok(&solve(&["--out", s(&result)]));
}

#[test]
fn output_paths_are_checked_before_the_run() {
    let dir = TempDir::new("faults-outpaths");
    let inst = dir.path("inst.txt");
    generate(&inst, "201", "0.5");
    let link = dir.path("dangling.json");
    std::os::unix::fs::symlink(dir.path("gone/x.json"), &link).unwrap();
    // 250 bytes: a legal name, but `.NAME.tmp.PID` is not.
    let long = dir.path(&"r".repeat(250));
    let subdir = dir.path("sub");
    std::fs::create_dir(&subdir).unwrap();
    let log = dir.path("run.csv");
    for (out, msg) in [
        (dir.path("missing/r.json"), "does not exist"),
        (link.clone(), "symbolic link to a file that does not exist"),
        (long.clone(), "File name too long"),
        (subdir.clone(), "is a directory"),
    ] {
        let e = refused(&densemc(&[
            "solve",
            "--instance",
            s(&inst),
            "--max-sweeps",
            "200",
            "-q",
            "--log",
            s(&log),
            "--out",
            s(&out),
        ]));
        assert!(e.contains(msg), "{}: {e}", out.display());
        // Refused before the run: the log of the run was never started.
        assert!(!log.exists(), "{}: the run went ahead", out.display());
    }
    let e = refused(&densemc(&[
        "sweep",
        "--n",
        "101",
        "--alpha",
        "0.5",
        "--samples",
        "1",
        "-q",
        "--out",
        s(&long),
    ]));
    assert!(e.contains("File name too long"), "{e}");
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        3,
        "files were left"
    );
}

#[test]
fn a_failed_final_write_puts_the_result_on_stderr() {
    let dir = TempDir::new("faults-rescue");
    let res = dir.path("result.json");
    let o = densemc_fsize(
        1,
        &[
            "solve",
            "--n",
            "301",
            "--alpha",
            "0.3",
            "--max-sweeps",
            "300",
            "--quiet",
            "--out",
            s(&res),
        ],
    );
    let e = refused(&o);
    assert!(e.contains("the result is printed on stderr above"), "{e}");
    let err = stderr(&o);
    let json = &err[err.find('{').unwrap()..err.rfind('}').unwrap() + 1];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["weights"].as_str().unwrap().len(), 301);
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        0,
        "a file was left"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Issue #11: absurd counts and unbounded reads are errors

#[test]
fn absurd_counts_are_refused_not_aborted() {
    let dir = TempDir::new("faults-counts");
    let inst = dir.path("inst.txt");
    generate(&inst, "101", "0.3");
    let res = dir.path("r.json");
    ok(&densemc(&[
        "solve",
        "--instance",
        s(&inst),
        "--max-sweeps",
        "100",
        "-q",
        "--out",
        s(&res),
    ]));
    let sweep = dir.path("s.jsonl");
    ok(&densemc(&[
        "sweep",
        "--n",
        "101",
        "--alpha",
        "0.3,0.4",
        "--samples",
        "2",
        "--max-sweeps",
        "50",
        "-q",
        "--out",
        s(&sweep),
    ]));
    let big = dir.path("big.jsonl");
    for (what, args) in [
        (
            "robustness --flips",
            vec![
                "robustness",
                "--instance",
                s(&inst),
                "--weights",
                s(&res),
                "--p-grid",
                "0.1",
                "--flips",
                "4000000000",
            ],
        ),
        (
            "sweep --samples",
            vec![
                "sweep",
                "--n",
                "101",
                "--alpha",
                "0.3",
                "--samples",
                "10000000000",
                "-q",
                "--out",
                s(&big),
            ],
        ),
        (
            "analyze --bootstrap",
            vec!["analyze", s(&sweep), "--bootstrap", "4000000000"],
        ),
    ] {
        let o = densemc_within(60, &args);
        let e = refused(&o);
        assert!(!stderr(&o).contains("memory allocation"), "{what}: {e}");
    }
    assert!(!big.exists());
}

#[test]
fn endless_and_non_regular_inputs_are_read_with_bounds() {
    let dir = TempDir::new("faults-bounded");
    let inst = dir.path("inst.txt");
    generate(&inst, "101", "0.3");
    // 1 GiB of address space is plenty for these (the old reads grew without limit).
    for (what, args) in [
        ("info /dev/zero", vec!["info", "--instance", "/dev/zero"]),
        (
            "eval --weights /dev/zero",
            vec!["eval", "--instance", s(&inst), "--weights", "/dev/zero"],
        ),
        ("analyze /dev/zero", vec!["analyze", "/dev/zero"]),
        (
            "solve --resume /dev/zero",
            vec!["solve", "--resume", "/dev/zero"],
        ),
        (
            "solve --schedule /dev/zero",
            vec![
                "solve",
                "--instance",
                s(&inst),
                "--schedule",
                "/dev/zero",
                "-q",
            ],
        ),
        (
            "sweep --out /dev/full",
            vec![
                "sweep",
                "--n",
                "101",
                "--alpha",
                "0.3",
                "-q",
                "--out",
                "/dev/full",
            ],
        ),
    ] {
        let o = densemc_vmem(1 << 20, &args);
        let e = refused(&o);
        println!("{what}: {e}");
    }
    // A FIFO is read once, as a stream (the format is not sniffed by opening it twice).
    let fifo = dir.path("inst.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for format in ["text", "binary"] {
        let file = dir.path(&format!("i.{format}"));
        ok(&densemc(&[
            "generate",
            "--n",
            "101",
            "--alpha",
            "0.3",
            "--seed",
            "5",
            "--format",
            format,
            "--out",
            s(&file),
        ]));
        let (f2, bytes) = (fifo.clone(), std::fs::read(&file).unwrap());
        let writer = std::thread::spawn(move || std::fs::write(&f2, bytes));
        let o = densemc_within(30, &["info", "--instance", s(&fifo)]);
        ok(&o);
        writer.join().unwrap().unwrap();
        let want = densemc(&["info", "--instance", s(&file)]);
        let checksum = |o: &Output| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find(|l| l.starts_with("checksum"))
                .unwrap()
                .to_string()
        };
        assert_eq!(checksum(&o), checksum(&want), "{format}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Issue #11: resume (the log, the flags, the checkpoint's contents)

/// `solve` on an instance no search solves (α = 0.9 > α_c), so every run takes all its sweeps.
fn hard_solve<'a>(inst: &'a str, sweeps: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "solve",
        "--instance",
        inst,
        "--max-sweeps",
        sweeps,
        "--seed",
        "4",
        "-q",
    ];
    v.extend_from_slice(extra);
    v
}

fn wait_for(p: &Path) {
    let t = Instant::now();
    while !p.exists() && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(p.exists(), "{} did not appear", p.display());
}

#[test]
fn the_log_resumes_exactly_after_sigterm_and_sigkill() {
    let dir = TempDir::new("faults-log");
    let inst = dir.path("inst.txt");
    generate(&inst, "1001", "0.9");
    let reference = dir.path("ref.csv");
    ok(&densemc(&hard_solve(
        s(&inst),
        "3000",
        &["--log", s(&reference)],
    )));
    let want = std::fs::read(&reference).unwrap();
    for signal in ["-TERM", "-KILL"] {
        let (ck, log) = (
            dir.path(&format!("ck{signal}")),
            dir.path(&format!("log{signal}.csv")),
        );
        let args = hard_solve(
            s(&inst),
            "3000",
            &[
                "--log",
                s(&log),
                "--checkpoint",
                s(&ck),
                "--checkpoint-every",
                "0.05",
            ],
        );
        let mut child = Command::new(BIN)
            .args(&args)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(&ck);
        std::thread::sleep(Duration::from_millis(100));
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        if signal == "-TERM" {
            assert_eq!(status.code(), Some(75));
        }
        ok(&densemc(&[
            "solve",
            "-q",
            "--resume",
            s(&ck),
            "--log",
            s(&log),
        ]));
        assert!(
            std::fs::read(&log).unwrap() == want,
            "{signal}: the resumed log differs from the uninterrupted one"
        );
    }
}

/// A checkpoint of a run on `inst` stopped by SIGTERM (work is left), and its directory's name.
fn stopped_checkpoint(inst: &Path, ck: &Path) {
    let mut child = Command::new(BIN)
        .args(hard_solve(
            s(inst),
            "4000",
            &["--checkpoint", s(ck), "--checkpoint-every", "0.05"],
        ))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(ck);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(75));
}

fn report(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn resume_refuses_flags_that_change_the_run_and_applies_the_others() {
    let dir = TempDir::new("faults-resume");
    std::fs::create_dir(dir.path("run")).unwrap();
    let inst = dir.path("run/inst.txt");
    generate(&inst, "301", "0.9");
    let ck = dir.path("run/ck");
    // The instance is given relative to the run's directory.
    let mut child = Command::new(BIN)
        .current_dir(dir.path("run"))
        .args(hard_solve(
            "inst.txt",
            "100000",
            &["--checkpoint", "ck", "--checkpoint-every", "0.05"],
        ))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&ck);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(75));
    let saved = std::fs::read(&ck).unwrap();
    let e = refused(&densemc(&[
        "solve",
        "--resume",
        s(&ck),
        "--max-sweeps",
        "100",
        "--algo",
        "sa",
        "-y",
        "3",
        "--seed",
        "99",
    ]));
    assert!(
        e.contains("--algo, --replicas, --seed would change it"),
        "{e}"
    );
    // --max-sweeps and --checkpoint-every are applied (and said so), from another directory.
    let out = dir.path("r.json");
    let o = densemc(&[
        "solve",
        "-q",
        "--resume",
        s(&ck),
        "--max-sweeps",
        "100001",
        "--checkpoint-every",
        "5",
        "--out",
        s(&out),
    ]);
    ok(&o);
    assert!(stderr(&o).contains("applied --max-sweeps 100001 (was 100000), --checkpoint-every 5 s"));
    assert_eq!(report(&out)["sweeps"], 100001);
    // --instance PATH: the same instance elsewhere is taken, another one refused by its checksum.
    std::fs::write(&ck, &saved).unwrap();
    let moved = dir.path("moved.txt");
    std::fs::rename(&inst, &moved).unwrap();
    let other = dir.path("other.txt");
    generate(&other, "301", "0.8");
    let e = refused(&densemc(&[
        "solve",
        "--resume",
        s(&ck),
        "--instance",
        s(&other),
    ]));
    assert!(e.contains("the instance changed"), "{e}");
    ok(&densemc(&[
        "solve",
        "-q",
        "--resume",
        s(&ck),
        "--max-sweeps",
        "100002",
        "--instance",
        s(&moved),
    ]));
}

/// A hand edit of a checkpoint's payload.
type Edit = dyn Fn(&mut serde_json::Value);

/// Rewrites the payload of checkpoint `ck` with `edit`, with a valid checksum (a hand edit).
fn edit_checkpoint(ck: &Path, to: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let text = std::fs::read_to_string(ck).unwrap();
    let mut lines = text.lines();
    let mut header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let mut payload: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    edit(&mut payload);
    let payload = serde_json::to_string(&payload).unwrap();
    header["checksum"] = densemc::run::hash::hash_str(&payload).into();
    std::fs::write(to, format!("{header}\n{payload}\n")).unwrap();
}

fn zero_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(_) => *v = 0.into(),
        serde_json::Value::Array(a) => a.iter_mut().for_each(zero_numbers),
        serde_json::Value::Object(o) => o.values_mut().for_each(zero_numbers),
        _ => {}
    }
}

#[test]
fn hand_edited_checkpoints_are_refused() {
    let dir = TempDir::new("faults-ckedit");
    let inst = dir.path("inst.txt");
    generate(&inst, "301", "0.9");
    let ck = dir.path("ck");
    stopped_checkpoint(&inst, &ck);
    let bad = dir.path("bad");
    let cases: Vec<(&str, Box<Edit>)> = vec![
        (
            "a zero random stream",
            Box::new(|v| zero_numbers(&mut v["resume"]["rngs"][0])),
        ),
        (
            "a zero order stream",
            Box::new(|v| zero_numbers(&mut v["resume"]["order_rng"])),
        ),
        (
            "β₀ < 0",
            Box::new(|v| v["config"]["schedule"]["beta0"] = (-1.0).into()),
        ),
        (
            "γ₁ < 0",
            Box::new(|v| v["config"]["schedule"]["gamma1"] = (-3.0).into()),
        ),
        (
            "sweeps > max_sweeps",
            Box::new(|v| v["resume"]["sweeps"] = 5000.into()),
        ),
        (
            "proposals at u64::MAX",
            Box::new(|v| v["resume"]["proposals"] = u64::MAX.into()),
        ),
        (
            "accepted at u64::MAX",
            Box::new(|v| v["resume"]["accepted"] = u64::MAX.into()),
        ),
        ("y = 0", Box::new(|v| v["config"]["replicas"] = 0.into())),
    ];
    for (what, edit) in cases {
        edit_checkpoint(&ck, &bad, edit);
        let e = refused(&densemc_within(30, &["solve", "-q", "--resume", s(&bad)]));
        assert!(e.contains("corrupt"), "{what}: {e}");
    }
    // The unedited checkpoint, rewritten the same way, still resumes.
    edit_checkpoint(&ck, &bad, |_| {});
    ok(&densemc(&[
        "solve",
        "-q",
        "--resume",
        s(&bad),
        "--max-sweeps",
        "4000",
    ]));
}

// ---------------------------------------------------------------------------------------------------------
// Issue #11: analyze with conflicting repeats, and the smaller items

#[test]
fn analyze_refuses_a_task_with_two_different_results() {
    let dir = TempDir::new("faults-analyze");
    let a = dir.path("a.jsonl");
    ok(&densemc(&[
        "sweep",
        "--n",
        "101",
        "--alpha",
        "0.5,0.7",
        "--samples",
        "3",
        "--max-sweeps",
        "300",
        "-q",
        "--out",
        s(&a),
    ]));
    let text = std::fs::read_to_string(&a).unwrap();
    let b = dir.path("b.jsonl");
    // The same lines (repeats are fine) ...
    std::fs::write(&b, &text).unwrap();
    ok(&densemc(&["analyze", s(&a), s(&b), "--bootstrap", "10"]));
    // ... but one task with another outcome is not the same run.
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let solved = lines[0]["solved"].as_bool().unwrap();
    lines[0]["solved"] = (!solved).into();
    lines[0]["sweeps"] = 7.into();
    let edited: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&b, edited).unwrap();
    for order in [[&a, &b], [&b, &a]] {
        let e = refused(&densemc(&[
            "analyze",
            s(order[0]),
            s(order[1]),
            "--bootstrap",
            "10",
        ]));
        assert!(e.contains("appears twice with different results"), "{e}");
    }
}

#[test]
fn smaller_faults_of_issue_11() {
    let dir = TempDir::new("faults-small");
    let inst = dir.path("inst.txt");
    generate(&inst, "101", "0.3");
    let other = dir.path("other.txt");
    generate(&other, "101", "0.4");
    let res = dir.path("r.json");
    ok(&densemc(&[
        "solve",
        "--instance",
        s(&inst),
        "--max-sweeps",
        "200",
        "-q",
        "--out",
        s(&res),
    ]));
    // eval checks the instance checksum a result records.
    let e = refused(&densemc(&[
        "eval",
        "--instance",
        s(&other),
        "--weights",
        s(&res),
    ]));
    assert!(e.contains("found on an instance with checksum"), "{e}");
    ok(&densemc(&[
        "eval",
        "--instance",
        s(&inst),
        "--weights",
        s(&res),
    ]));
    // A U+2212 minus is named as the character.
    let text = std::fs::read_to_string(&inst).unwrap();
    let row = text
        .lines()
        .position(|l| l.starts_with(['+', '-']))
        .unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[row] = lines[row].replacen('-', "\u{2212}", 1);
    let minus = dir.path("minus.txt");
    std::fs::write(&minus, lines.join("\n") + "\n").unwrap();
    let e = refused(&densemc(&["info", "--instance", s(&minus)]));
    assert!(e.contains("'−' (U+2212)"), "{e}");
    // clap's errors: one line, with the prefix, exit 2.
    for args in [
        vec!["solve", "--bogus"],
        vec!["solve", "--max-sweeps", "x"],
        vec!["nope"],
    ] {
        let o = densemc(&args);
        refused(&o);
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    }
    // --beta1 < --beta0 is said.
    let o = densemc(&[
        "solve",
        "--n",
        "51",
        "--alpha",
        "0.3",
        "--max-sweeps",
        "20",
        "-q",
        "--beta0",
        "3",
        "--beta1",
        "1",
    ]);
    ok(&o);
    assert!(
        stderr(&o).contains("--beta1 1 is below --beta0 3"),
        "{}",
        stderr(&o)
    );
    // A temporary file of a killed densemc (its PID gone) is removed on the next write to the target;
    // one of a live process (this test's) is not.
    let dead = (1u32 << 22) - 3;
    assert!(!Path::new(&format!("/proc/{dead}")).exists());
    let stale = dir.path(&format!(".r.json.tmp.{dead}"));
    let live = dir.path(&format!(".r.json.tmp.{}", std::process::id()));
    let foreign = dir.path(".r.json.tmp.notapid");
    for p in [&stale, &live, &foreign] {
        std::fs::write(p, "partial").unwrap();
    }
    ok(&densemc(&[
        "solve",
        "--instance",
        s(&inst),
        "--max-sweeps",
        "200",
        "-q",
        "--out",
        s(&res),
    ]));
    assert!(!stale.exists() && live.exists() && foreign.exists());
    // Labels are quoted in CSV.
    let out_dir = dir.path("rob");
    ok(&densemc(&[
        "robustness",
        "--instance",
        s(&inst),
        "--weights",
        s(&res),
        "--label",
        "a, \"b\"",
        "--p-grid",
        "0.1",
        "--flips",
        "2",
        "--out-dir",
        s(&out_dir),
    ]));
    let csv = std::fs::read_to_string(out_dir.join("robustness.csv")).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("\"a, \"\"b\"\"\",weights,"),
        "{csv}"
    );
}

#[test]
fn an_out_dir_that_cannot_be_one_is_refused_before_the_work() {
    let dir = TempDir::new("faults-outdir");
    let inst = dir.path("inst.txt");
    generate(&inst, "101", "0.3");
    let res = dir.path("r.json");
    ok(&densemc(&[
        "solve",
        "--instance",
        s(&inst),
        "--max-sweeps",
        "100",
        "-q",
        "--out",
        s(&res),
    ]));
    let sweep = dir.path("s.jsonl");
    ok(&densemc(&[
        "sweep",
        "--n",
        "101",
        "--alpha",
        "0.3,0.4",
        "--samples",
        "2",
        "--max-sweeps",
        "50",
        "-q",
        "--out",
        s(&sweep),
    ]));
    let before = std::fs::read(&res).unwrap();
    for out_dir in [res.clone(), res.join("sub")] {
        for args in [
            vec![
                "robustness",
                "--instance",
                s(&inst),
                "--weights",
                s(&res),
                "--p-grid",
                "0.1",
                "--flips",
                "2",
            ],
            vec!["analyze", s(&sweep), "--bootstrap", "10"],
        ] {
            let o = densemc(&[&args[..], &["--out-dir", s(&out_dir)]].concat());
            let e = refused(&o);
            assert!(e.contains("is not a directory"), "{e}");
            assert!(o.stdout.is_empty(), "{}: the work was done first", args[0]);
        }
    }
    assert_eq!(std::fs::read(&res).unwrap(), before);
}

/// Item 1, output folders: a file in `--out-dir` that densemc did not write is never replaced (the whole
/// write is refused before the first file, exit 2); densemc's own files there are replaced on the next run.
/// `theory … --svg FILE` refuses an SVG that is not one of densemc's figures, before the work.
#[test]
fn files_in_an_out_dir_that_densemc_did_not_write_are_left_untouched() {
    let dir = TempDir::new("faults-outdir-files");
    let inst = dir.path("inst.txt");
    generate(&inst, "101", "0.3");
    let res = dir.path("r.json");
    ok(&densemc(&[
        "solve",
        "--instance",
        s(&inst),
        "--max-sweeps",
        "2000",
        "-q",
        "--out",
        s(&res),
    ]));
    let sweep = dir.path("s.jsonl");
    ok(&densemc(&[
        "sweep",
        "--n",
        "101",
        "--alpha",
        "0.3,0.4",
        "--samples",
        "2",
        "--max-sweeps",
        "50",
        "-q",
        "--out",
        s(&sweep),
    ]));
    let robustness = vec![
        "robustness",
        "--instance",
        s(&inst),
        "--weights",
        s(&res),
        "--p-grid",
        "0.1",
        "--flips",
        "2",
    ];
    let analyze = vec!["analyze", s(&sweep), "--bootstrap", "10"];
    for (args, foreign) in [(robustness, "robustness.csv"), (analyze, "success.csv")] {
        let out = dir.path(&format!("out-{}", args[0]));
        std::fs::create_dir_all(&out).unwrap();
        // A user's file of the same name: refused, nothing in the folder changes.
        let theirs = out.join(foreign);
        std::fs::write(&theirs, "my own table\n").unwrap();
        let o = densemc(&[&args[..], &["--out-dir", s(&out)]].concat());
        let e = refused(&o);
        assert!(e.contains("was not written by densemc"), "{e}");
        assert_eq!(std::fs::read(&theirs).unwrap(), b"my own table\n");
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            1,
            "{}: other files were written",
            args[0]
        );
        // Without it, densemc writes the folder, and writes it again over its own files.
        std::fs::remove_file(&theirs).unwrap();
        ok(&densemc(&[&args[..], &["--out-dir", s(&out)]].concat()));
        assert!(theirs.exists());
        ok(&densemc(&[&args[..], &["--out-dir", s(&out)]].concat()));
        // Without the folder's list (an older folder), densemc's figures are still recognised by their mark,
        // and a foreign SVG of a figure's name is refused.
        std::fs::remove_file(out.join(".densemc-files")).unwrap();
        let svgs: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        for p in &svgs {
            if p.extension().is_none_or(|x| x != "svg") {
                std::fs::remove_file(p).unwrap();
            }
        }
        ok(&densemc(&[&args[..], &["--out-dir", s(&out)]].concat()));
        std::fs::remove_file(out.join(".densemc-files")).unwrap();
        for p in std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()) {
            if p.extension().is_none_or(|x| x != "svg") {
                std::fs::remove_file(p).unwrap();
            }
        }
        let svg = svgs
            .iter()
            .find(|p| p.extension().is_some_and(|x| x == "svg"))
            .unwrap();
        std::fs::write(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n").unwrap();
        let e = refused(&densemc(&[&args[..], &["--out-dir", s(&out)]].concat()));
        assert!(e.contains("was not written by densemc"), "{e}");
    }
    let fig = dir.path("fig.svg");
    std::fs::write(&fig, "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n").unwrap();
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
    let o = densemc(&args);
    let e = refused(&o);
    assert!(e.contains("--svg") && e.contains("densemc figure"), "{e}");
    assert!(o.stdout.is_empty(), "the work was done first");
    std::fs::remove_file(&fig).unwrap();
    ok(&densemc(&args));
    ok(&densemc(&args));
}
