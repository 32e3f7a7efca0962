//! The examples of docs/studies.md marked `<!-- doc-example: NAME -->`: their commands, as written in the
//! docs, are run here and the numbers the docs quote from them are checked (`scripts/doc-examples.sh` prints
//! them in the same form, for updating the docs).

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_densemc");
const DOC: &str = include_str!("../docs/studies.md");

/// The commands of the sh block after the mark of example `name`, continuation lines joined.
fn block(name: &str) -> Vec<String> {
    let mark = format!("<!-- doc-example: {name} -->");
    let after = DOC.split_once(&mark).expect("the example's mark").1;
    let body = after
        .split_once("```sh\n")
        .expect("an sh block after the mark")
        .1
        .split_once("\n```")
        .expect("the end of the block")
        .0;
    body.replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs the example in a fresh folder; returns the folder.
fn run_example(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("densemc-doc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for cmd in block(name) {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(words[0], "densemc", "{cmd}");
        let o = Command::new(BIN)
            .args(&words[1..])
            .current_dir(&dir)
            .env_remove("DENSEMC_PATH")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    dir
}

/// The value in column `col` of the row of a CSV file whose first fields are `prefix`.
fn field(path: &Path, prefix: &[&str], col: usize) -> f64 {
    let text = std::fs::read_to_string(path).unwrap();
    let row = text
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row {prefix:?} in {}", path.display()));
    row[col].parse().unwrap()
}

fn quoted(text: &str) {
    assert!(
        DOC.contains(text),
        "docs/studies.md no longer matches the command: expected {text:?} (run scripts/doc-examples.sh)"
    );
}

#[test]
fn robustness_example_matches_the_docs() {
    let dir = run_example("robustness");
    let csv = dir.join("robustness/robustness.csv");
    let rsa = field(&csv, &["rsa", "weights", "0.02"], 3);
    let sa = field(&csv, &["sa", "weights", "0.02"], 3);
    let d = field(&dir.join("robustness/distances.csv"), &["sa"], 2);
    quoted(&format!(
        "δE(0.02) = {rsa:.4} against {sa:.4} for SA's, d = {d:.3}"
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Minutes of work: `cargo test --release --test doc_examples -- --ignored`.
#[test]
#[ignore]
fn sweep_example_matches_the_docs() {
    let dir = run_example("sweep");
    let csv = dir.join("perceptron-analysis/alpha50.csv");
    let a = |algo: &str, n: &str| {
        let (v, e) = (
            field(&csv, &[algo, algo, n], 4),
            field(&csv, &[algo, algo, n], 5),
        );
        format!("{v:.3} ± {e:.3}")
    };
    quoted(&format!(
        "α_50 = {}, {} for RSA at N = 201, 401",
        a("rsa", "201"),
        a("rsa", "401")
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
