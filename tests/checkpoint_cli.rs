//! `densemc solve --checkpoint`: SIGTERM writes a checkpoint and exits with code 75; `--resume` finishes
//! the run with the same result as an uninterrupted one.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

fn result(path: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for k in ["seconds", "proposals_per_second", "flips_per_second"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

#[test]
fn sigterm_checkpoints_and_resume_matches_an_uninterrupted_run() {
    let dir = std::env::temp_dir().join(format!("densemc-ckcli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ck, r0, r1) = (
        dir.join("run.ckpt"),
        dir.join("whole.json"),
        dir.join("resumed.json"),
    );
    let args = [
        "solve",
        "--n",
        "1001",
        "--alpha",
        "0.9",
        "--seed",
        "3",
        "--max-sweeps",
        "8000",
        "-q",
    ];
    let whole = Command::new(BIN)
        .args(args)
        .arg("--out")
        .arg(&r0)
        .output()
        .unwrap();
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );

    let mut child = Command::new(BIN)
        .args(args)
        .args(["--checkpoint-every", "0.05", "--checkpoint"])
        .arg(&ck)
        .arg("--out")
        .arg(&r1)
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !ck.exists() && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(ck.exists(), "no periodic checkpoint appeared");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(75),
        "SIGTERM should checkpoint and exit with 75"
    );
    assert!(!r1.exists(), "an interrupted run writes no result");

    let resumed = Command::new(BIN)
        .args(["solve", "-q", "--resume"])
        .arg(&ck)
        .arg("--out")
        .arg(&r1)
        .output()
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(result(&r0), result(&r1));

    // A corrupt checkpoint is refused with a one-line error and exit code 2.
    let text = std::fs::read_to_string(&ck).unwrap();
    std::fs::write(&ck, &text[..text.len() - 40]).unwrap();
    let bad = Command::new(BIN)
        .args(["solve", "--resume"])
        .arg(&ck)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("densemc: error:") && err.contains("run.ckpt"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
