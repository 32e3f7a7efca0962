use densemc::run::merge::merge;
use densemc::run::output::{check_outputs, Kind, Output};
use densemc::run::records;
use densemc::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The merged results file, written atomically (refused when it exists and is not one of the parts,
    /// unless --force)
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    /// Results files of one sweep: the shards of `sweep --shard` (part-*.jsonl), or any parts of it
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// Write OUT even when tasks are missing (then `densemc sweep` with the same flags and --out OUT runs them)
    #[arg(long)]
    pub allow_missing: bool,
    /// Replace OUT when it exists and is not one of the parts
    #[arg(long)]
    pub force: bool,
}

/// Whether a densemc sweep holds the lock of `path` (it is being written).
fn locked(path: &Path) -> bool {
    match std::fs::File::open(path) {
        Ok(f) => matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

pub fn run(a: Args) -> Result<()> {
    let note = |s: &str| {
        let _ = writeln!(std::io::stderr(), "densemc merge: {s}");
    };
    // OUT may be one of the parts (it is read before it is replaced), but not a file of another kind.
    let out = Output {
        path: &a.out,
        kind: Kind::Journal,
        flag: "OUT",
    };
    check_outputs(&[out], &[])?;
    if a.out.exists() {
        if locked(&a.out) {
            return Err(Error::input(format!(
                "{}: a densemc sweep is writing this file: wait for it to finish",
                a.out.display()
            )));
        }
        if !a.force && !a.parts.iter().any(|p| same_file(p, &a.out)) {
            return Err(Error::input(format!(
                "{} exists and is not one of the parts: give the output file first (densemc merge OUT PART…), or --force to replace it",
                a.out.display()
            )));
        }
    }
    let mut parts = Vec::with_capacity(a.parts.len());
    for p in &a.parts {
        if locked(p) {
            note(&format!(
                "{}: still being written by a running sweep: merging the tasks it holds now",
                p.display()
            ));
        }
        parts.push((p.clone(), records::read(p)?));
    }
    let m = merge(&parts)?;
    for n in &m.notes {
        note(n);
    }
    if m.missing > 0 {
        if !a.allow_missing {
            return Err(Error::input(format!(
                "{}: re-run those parts (the same command resumes a part file), or give --allow-missing to write {} anyway",
                m.missing_summary(),
                a.out.display()
            )));
        }
        note(&m.missing_summary());
    }
    m.write(&a.out)?;
    outln!(
        "{} of {} tasks in {} (from {} file{}{}){}",
        m.lines.len(),
        m.expected(),
        a.out.display(),
        parts.len(),
        if parts.len() == 1 { "" } else { "s" },
        if m.duplicates > 0 {
            format!(", {} repeated lines dropped", m.duplicates)
        } else {
            String::new()
        },
        if m.missing == 0 {
            String::new()
        } else {
            format!(
                "; {} missing: run them with the unsharded sweep command and --out {}",
                m.missing,
                a.out.display()
            )
        }
    );
    Ok(())
}
