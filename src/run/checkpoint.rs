//! Checkpoints of one long `solve`: everything needed to continue it bit-identically (the instance's
//! identity, the full configuration, every replica's weights, every random stream and the counters).
//!
//! File layout (text, written atomically): line 1 a JSON header `{"format": "densemc-checkpoint",
//! "format_version": 1, "densemc_version": …, "checksum": "<xxh3-64 of line 2>"}`, line 2 the JSON payload.
//! A checkpoint from another densemc version, or whose payload does not match its checksum, is refused.

use super::hash::hash_str;
use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::instance::Instance;
use crate::mc::{Resume, Schedule};
use crate::model;
use crate::model::Arch;
use crate::solve::{Config, InstanceInfo};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

const FORMAT: &str = "densemc-checkpoint";
const FORMAT_VERSION: u32 = 1;

/// The longest header line read: a file whose first line is longer is not a checkpoint.
const HEADER_MAX: u64 = 4096;

/// Reads a checkpoint file, opened once (a pipe works): a first line longer than [`HEADER_MAX`] is refused
/// before the rest is read.
fn read_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::{BufRead, Read};
    let io = |e| Error::io(path, "cannot read the checkpoint", e);
    let f = std::fs::File::open(path).map_err(io)?;
    let mut r = std::io::BufReader::new(f);
    let mut bytes = Vec::new();
    r.by_ref()
        .take(HEADER_MAX)
        .read_until(b'\n', &mut bytes)
        .map_err(io)?;
    if bytes.last() != Some(&b'\n') {
        return Err(Error::at(
            path,
            Some(1),
            "not a densemc checkpoint (no header line)",
        ));
    }
    r.read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// What a checkpoint holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The instance; its `file` is the path as it was given.
    pub instance: InstanceInfo,
    /// The instance file's absolute path when the checkpoint was written (found from another directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_path: Option<String>,
    pub config: Config,
    pub resume: Resume,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    format_version: u32,
    densemc_version: String,
    checksum: String,
}

/// Whether every number in `v` is zero.
fn all_zero(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(n) => n.as_u64() == Some(0),
        serde_json::Value::Array(a) => a.iter().all(all_zero),
        serde_json::Value::Object(o) => o.values().all(all_zero),
        _ => true,
    }
}

impl Checkpoint {
    /// Re-creates the instance the checkpoint refers to and checks that it is the same one (by its
    /// checksum); with the file's name, if any. The instance is read from `at` when given, else from its
    /// path as given (relative to the directory of the run) or its absolute path, or generated again.
    pub fn load_instance(&self, at: Option<&Path>) -> Result<(Instance, Option<String>)> {
        let info = &self.instance;
        let file = match (at, &info.file) {
            (Some(p), _) => Some(p.to_path_buf()),
            (None, Some(f)) if Path::new(f).exists() => Some(f.into()),
            (None, Some(f)) => Some(self.instance_path.as_ref().unwrap_or(f).into()),
            (None, None) => None,
        };
        let inst = match (&file, info.origin) {
            (Some(f), _) => Instance::read_as(f, info.k, info.activation)?,
            (None, Some(o)) => {
                model::generate(
                    Arch::new(info.n, info.k, info.activation)?,
                    o.alpha,
                    o.seed,
                    o.teacher,
                )?
                .0
            }
            (None, None) => {
                return Err(Error::input(
                    "the checkpoint names no instance file and no generator",
                ))
            }
        };
        let sum = format!("{:016x}", inst.checksum());
        if sum != info.checksum {
            return Err(Error::input(format!(
                "the instance changed since the checkpoint was written (checksum {sum}, checkpoint has {})",
                info.checksum
            )));
        }
        Ok((inst, file.map(|f| f.display().to_string())))
    }

    /// The checkpoint of a run on `instance`, its file's absolute path included.
    pub fn new(instance: InstanceInfo, config: Config, resume: Resume) -> Checkpoint {
        let instance_path = instance
            .file
            .as_ref()
            .and_then(|f| std::fs::canonicalize(f).ok())
            .map(|p| p.display().to_string());
        Checkpoint {
            instance,
            instance_path,
            config,
            resume,
        }
    }

    /// Writes the checkpoint atomically (the previous one stays intact until the new one is complete).
    pub fn write(&self, path: &Path) -> Result<()> {
        let payload = serde_json::to_string(self).expect("a checkpoint serialises");
        let header = Header {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            densemc_version: crate::VERSION.into(),
            checksum: hash_str(&payload),
        };
        let header = serde_json::to_string(&header).expect("a header serialises");
        write_atomic(path, |w| writeln!(w, "{header}\n{payload}"))
    }

    /// Reads and checks a checkpoint.
    pub fn read(path: &Path) -> Result<Checkpoint> {
        let bytes = read_file(path)?;
        Self::parse(&bytes, path)
    }

    /// Parses and checks the bytes of a checkpoint file; `path` names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
        let bad = |m: &str| Error::at(path, None, m);
        let text = std::str::from_utf8(bytes)
            .map_err(|_| bad("not a densemc checkpoint (not UTF-8 text)"))?;
        let mut lines = text.lines();
        let header: Header = lines
            .next()
            .and_then(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| bad("not a densemc checkpoint (no valid header line)"))?;
        if header.format != FORMAT || header.format_version != FORMAT_VERSION {
            return Err(bad(
                "not a densemc checkpoint of a format this densemc reads",
            ));
        }
        if header.densemc_version != crate::VERSION {
            return Err(Error::at(
                path,
                None,
                format!(
                    "the checkpoint was written by densemc {}, this is {}: resume it with that version",
                    header.densemc_version,
                    crate::VERSION
                ),
            ));
        }
        let payload = lines
            .next()
            .ok_or_else(|| bad("truncated: the payload line is missing"))?;
        if hash_str(payload) != header.checksum {
            return Err(bad(
                "corrupt: the payload does not match the checksum in the header",
            ));
        }
        let c: Checkpoint = serde_json::from_str(payload)
            .map_err(|e| Error::at(path, Some(2), format!("corrupt payload: {e}")))?;
        let y = c.resume.weights.len();
        if y == 0
            || c.resume.rngs.len() != y
            || c.resume.weights.iter().any(|w| w.len() != c.instance.n)
        {
            return Err(bad(
                "corrupt: the replicas' weights do not match the instance",
            ));
        }
        if let Some(s) = &c.resume.centre_spins {
            if s.len() != c.instance.n || s.bytes().any(|b| b != b'+' && b != b'-') {
                return Err(bad("corrupt: the centre spins do not match the instance"));
            }
        }
        c.check()
            .map_err(|e| Error::at(path, Some(2), format!("corrupt: {e}")))?;
        Ok(c)
    }

    /// Checks what a hand-edited payload (with a recomputed checksum) could get wrong: the configuration
    /// (as for a new run), β and γ finite and ≥ 0, the counters consistent, no random stream all zero (a
    /// xoshiro stream stuck at zero never moves).
    fn check(&self) -> Result<()> {
        let (c, r) = (&self.config, &self.resume);
        c.check(self.instance.activation)?;
        let bad_schedule = match &c.schedule {
            Schedule::Ramp {
                ramp,
                beta0,
                beta1,
                gamma0,
                gamma1,
                sweeps,
                ..
            } => Schedule::ramp(*ramp, (*beta0, *beta1), (*gamma0, *gamma1), *sweeps).err(),
            Schedule::Table { steps, .. } => steps
                .iter()
                .any(|&(_, b, g)| !(b.is_finite() && b >= 0.0 && g.is_finite() && g >= 0.0))
                .then(|| Error::input("β and γ must be finite and non-negative")),
        };
        if let Some(e) = bad_schedule {
            return Err(e.context("schedule"));
        }
        if r.weights.len() != c.y() {
            return Err(Error::input(format!(
                "{} replicas' weights for y={}",
                r.weights.len(),
                c.y()
            )));
        }
        if r.sweeps > c.max_sweeps {
            return Err(Error::input(format!(
                "sweeps={} is past max_sweeps={}",
                r.sweeps, c.max_sweeps
            )));
        }
        // Each sweep makes N proposals per replica (and the centre's, at most as many again).
        let most = (r.sweeps as u128) * (self.instance.n as u128) * (2 * c.y() as u128);
        if r.proposals as u128 > most || r.accepted > r.proposals {
            return Err(Error::input(format!(
                "the counters do not add up (sweeps={}, proposals={}, accepted={})",
                r.sweeps, r.proposals, r.accepted
            )));
        }
        let rngs = r.rngs.iter().chain(&r.order_rng).chain(&r.centre_rng);
        for g in rngs {
            let v = serde_json::to_value(g).expect("a random stream serialises");
            if all_zero(&v) {
                return Err(Error::input("a random stream's state is all zero"));
            }
        }
        Ok(())
    }
}
