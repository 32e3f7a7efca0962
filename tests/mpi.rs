//! `sweep` and MPI (`run::mpi`). In the default build: `--mpi`, or a launch by `mpirun` of several ranks, is
//! refused with a one-line error (exit code 2) rather than running the whole sweep once per rank. In a build
//! with `--features mpi`: a singleton MPI run (`--mpi` without `mpirun`, rank 0 alone) writes the same lines
//! as the plain sweep. The multi-rank runs (`mpirun -np 3`, a slow rank, a killed rank, resume) are in
//! `scripts/test-mpi.sh`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p =
            std::env::temp_dir().join(format!("densemc-mpi-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `densemc sweep` (a tiny grid) with extra arguments and environment, outside any MPI launcher.
fn sweep(out: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args([
        "sweep",
        "--n",
        "51",
        "--alpha",
        "0.6,0.8",
        "--samples",
        "3",
        "--algo",
        "rsa,sa",
        "--max-sweeps",
        "50",
        "--quiet",
        "--out",
        out,
    ])
    .args(extra)
    .env_remove("DENSEMC_PATH");
    for v in densemc::run::mpi::LAUNCHER_VARS {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("cannot run the densemc binary")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "failed ({:?}): {}",
        o.status.code(),
        stderr(o)
    );
}

/// The lines of a results file by task, without the timing fields.
fn results(path: &str) -> BTreeMap<(u64, u64, u64, String), serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("seconds");
        o.remove("proposals_per_second");
        let key = (
            o["n"].as_u64().unwrap(),
            o["alpha_index"].as_u64().unwrap(),
            o["sample"].as_u64().unwrap(),
            o["algo"].as_str().unwrap().to_string(),
        );
        assert!(m.insert(key, v).is_none(), "{path}: a task twice");
    }
    m
}

#[cfg(not(feature = "mpi"))]
#[test]
fn mpi_flag_refused_without_the_feature() {
    let d = TempDir::new("flag");
    let o = sweep(&d.path("r.jsonl"), &["--mpi"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("--mpi: this densemc was built without MPI support"),
        "{e}"
    );
    assert!(e.contains("--features mpi"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[cfg(not(feature = "mpi"))]
#[test]
fn launch_of_several_ranks_refused_without_the_feature() {
    let d = TempDir::new("launch");
    for (var, size) in [("OMPI_COMM_WORLD_SIZE", "3"), ("PMI_SIZE", "2")] {
        let out = d.path(&format!("{var}.jsonl"));
        let o = sweep(&out, &[], &[(var, size)]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(&format!("started by an MPI launcher ({var}={size})")),
            "{e}"
        );
        // Refused before the results file is touched.
        assert!(!std::path::Path::new(&out).exists());
    }
    // One rank is an ordinary sweep.
    let one = d.path("one.jsonl");
    assert_ok(&sweep(&one, &[], &[("OMPI_COMM_WORLD_SIZE", "1")]));
    assert_eq!(results(&one).len(), 12);
}

#[cfg(feature = "mpi")]
#[test]
fn singleton_mpi_run_matches_the_plain_sweep() {
    let d = TempDir::new("singleton");
    let (plain, mpi) = (d.path("plain.jsonl"), d.path("mpi.jsonl"));
    assert_ok(&sweep(&plain, &[], &[]));
    let o = sweep(&mpi, &["--mpi"], &[]);
    assert_ok(&o);
    assert!(stderr(&o).contains("on 1 MPI rank"), "{}", stderr(&o));
    assert_eq!(results(&plain).len(), 12);
    assert_eq!(results(&plain), results(&mpi));
    // And it resumes: nothing left to run.
    let o = sweep(&mpi, &["--mpi"], &[]);
    assert_ok(&o);
    assert!(stderr(&o).contains("12 already in"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&mpi).unwrap().lines().count(), 12);
}

#[cfg(feature = "mpi")]
#[test]
fn mpi_with_shard_refused() {
    let d = TempDir::new("shard");
    let o = sweep(&d.path("r.jsonl"), &["--mpi", "--shard", "0/2"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--shard with MPI"), "{}", stderr(&o));
}
