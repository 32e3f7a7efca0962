//! The output files of one `solve`, created here: the result record (JSON, written atomically) and the
//! per-sweep log (CSV). (A sweep's results file is the [`super::journal`], a checkpoint is
//! [`super::checkpoint`]; both open their files themselves.)

use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::mc::Progress;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `v` as pretty JSON and a newline to `path`, atomically.
pub fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let json = serde_json::to_string_pretty(v).expect("a record serialises");
    write_atomic(path, |w| {
        w.write_all(json.as_bytes())
            .and_then(|_| w.write_all(b"\n"))
    })
}

/// The per-sweep log of a run: one CSV row per sweep, `sweep,beta,gamma,E_0,…,E_{y−1},E_centre,overlap`.
pub struct SweepLog {
    path: PathBuf,
    w: BufWriter<File>,
}

impl SweepLog {
    /// Creates the log (with its header, for `replicas` replicas), or appends to it when it exists and the
    /// run is `resumed`.
    pub fn open(path: &Path, replicas: usize, resumed: bool) -> Result<SweepLog> {
        let append = resumed && path.exists();
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(append)
            .write(true)
            .truncate(!append)
            .open(path)
            .map_err(|e| Error::io(path, "cannot create the log", e))?;
        let mut log = SweepLog {
            path: path.to_path_buf(),
            w: BufWriter::new(f),
        };
        if !append {
            let reps: Vec<String> = (0..replicas).map(|r| format!("E_{r}")).collect();
            let header = format!("sweep,beta,gamma,{},E_centre,overlap", reps.join(","));
            log.line(&header)?;
        }
        Ok(log)
    }

    /// Appends the row of one sweep.
    pub fn row(&mut self, p: &Progress) -> Result<()> {
        let es: Vec<String> = p.energies.iter().map(|e| e.to_string()).collect();
        let c = p.centre_energy.map_or(String::new(), |c| c.to_string());
        let q = p.overlap.map_or(String::new(), |q| format!("{q:.6}"));
        let row = format!(
            "{},{},{},{},{},{}",
            p.sweep,
            p.beta,
            p.gamma,
            es.join(","),
            c,
            q
        );
        self.line(&row)
    }

    /// Writes out what is buffered.
    pub fn finish(mut self) -> Result<()> {
        let path = &self.path;
        self.w
            .flush()
            .map_err(|e| Error::io(path, "cannot write the log", e))
    }

    fn line(&mut self, s: &str) -> Result<()> {
        writeln!(self.w, "{s}").map_err(|e| Error::io(&self.path, "cannot write the log", e))
    }
}
