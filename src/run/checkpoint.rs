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
use crate::mc::Resume;
use crate::model;
use crate::model::Arch;
use crate::solve::{Config, InstanceInfo};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

const FORMAT: &str = "densemc-checkpoint";
const FORMAT_VERSION: u32 = 1;

/// What a checkpoint holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub instance: InstanceInfo,
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

impl Checkpoint {
    /// Re-creates the instance the checkpoint refers to (read from its file, or generated again) and checks
    /// that it is the same one; with the file's name, if any.
    pub fn load_instance(&self) -> Result<(Instance, Option<String>)> {
        let info = &self.instance;
        let inst = match (&info.file, info.origin) {
            (Some(f), _) => Instance::read(std::path::Path::new(f))?,
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
        Ok((inst, info.file.clone()))
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
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "cannot read the checkpoint", e))?;
        let bad = |m: &str| Error::at(path, None, m);
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
        Ok(c)
    }
}
