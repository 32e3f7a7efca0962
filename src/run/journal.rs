//! The results file of a sweep, kept safe: opened and locked by one run, resumed, appended to.
//!
//! Lines are appended with one `write_all` of the whole line, then `sync_data`: a kill leaves at most a torn
//! last line, which the next run cuts ([`super::jsonl`] says what is torn). Every line carries the hash of
//! the grid and search parameters; a file written by another sweep (or, for a shard, by another shard) is
//! refused.

use super::plan::{Plan, Task, TaskKey};
use super::records::{self, ShardTag, TaskRecord};
use super::shard::{check_resume, Shard};
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The append-only results file, opened and locked for one sweep, with the tasks it already holds.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    done: HashSet<TaskKey>,
    /// Tasks already recorded, and how many of them were solved.
    pub recorded: usize,
    pub recorded_solved: usize,
    /// Bytes of a torn last line that were cut off (0 when the file ended cleanly).
    pub torn_bytes: usize,
    /// Stamped on every appended line (a shard's journal).
    shard: Option<ShardTag>,
}

impl Journal {
    /// Opens (or creates) `path` for a run of `plan` (of one shard of it, when given): takes an exclusive
    /// lock, cuts a torn last line (or ends a complete last line that lacks its newline), reads the recorded
    /// tasks and refuses lines of another sweep; for a shard, also lines of another shard or of an
    /// unsharded run. The lines a shard appends carry its tag.
    pub fn open(path: &Path, plan: &Plan, shard: Option<Shard>) -> Result<Journal> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| Error::io(path, "cannot open the results file", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::input(format!(
                    "{}: another densemc sweep is writing this file",
                    path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(path, "cannot lock the results file", e))
            }
        }
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(Error::at(
                path,
                None,
                "not a regular file: a results file must be one",
            ));
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, "cannot read the results file", e))?;
        let (sweep, params) = (plan.sweep_hash(), plan.params_hash());
        // Nothing is changed (a torn line cut) before the first line proves the file is a journal of a
        // sweep: a record, or the start of one when the file holds nothing else.
        let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let ours = format!(r#"{{"sweep":"{sweep}""#).into_bytes();
        let journal = if first.len() == bytes.len() {
            first.starts_with(&ours) || ours.starts_with(first)
        } else {
            first.starts_with(br#"{"sweep":""#)
        };
        if !bytes.is_empty() && !journal {
            return Err(Error::at(
                path,
                Some(1),
                "not a densemc sweep results file: it is left as it is (give another --out)",
            ));
        }
        let read = records::parse(&bytes, path)?;
        for l in &read.lines {
            let r = &l.record;
            if r.sweep != sweep {
                let what = if r.params != params {
                    "other search parameters (architecture, seed, algorithms or their settings)"
                } else {
                    "another grid (N, α or samples)"
                };
                return Err(Error::at(
                    path,
                    Some(l.number),
                    format!("written by a sweep with {what}: give the same parameters to resume it, or use another results file"),
                ));
            }
        }
        let tags: Vec<_> = read
            .lines
            .iter()
            .map(|l| {
                (
                    l.number,
                    l.record.shard.as_ref().map(|t| (t.index, t.count)),
                )
            })
            .collect();
        check_resume(path, shard, &tags)?;
        if read.torn() {
            let keep = (bytes.len() - read.torn_bytes) as u64;
            file.set_len(keep)
                .and_then(|_| file.sync_data())
                .map_err(|e| Error::io(path, "cannot cut the torn last line", e))?;
        } else if read.unterminated {
            file.write_all(b"\n")
                .and_then(|_| file.sync_data())
                .map_err(|e| Error::io(path, "cannot end the last line", e))?;
        }
        let mut done = HashSet::new();
        let (mut recorded, mut recorded_solved) = (0, 0);
        for l in &read.lines {
            if done.insert(l.record.key()) {
                recorded += 1;
                recorded_solved += l.record.solved as usize;
            }
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            done,
            recorded,
            recorded_solved,
            torn_bytes: read.torn_bytes,
            shard: shard.map(|s| s.tag(plan)),
        })
    }

    /// Whether the task is already in the file.
    pub fn has(&self, t: &Task) -> bool {
        self.done.contains(&t.key())
    }

    /// The tasks of `plan` (of `shard` only, when given) not yet in the file, in grid order.
    pub fn pending(&self, plan: &Plan, shard: Option<Shard>) -> Vec<Task> {
        let tasks = match shard {
            None => plan.tasks(),
            Some(s) => s.tasks(plan),
        };
        tasks.into_iter().filter(|t| !self.has(t)).collect()
    }

    /// Appends one line: a single `write_all` of the whole line, then `sync_data`. When the write fails (a
    /// full disk), the part of the line that was written is cut off again, so that a later append (space
    /// freed meanwhile) does not follow a fragment.
    pub fn append(&self, r: &TaskRecord) -> Result<()> {
        let line = match &self.shard {
            Some(tag) if r.shard.as_ref() != Some(tag) => {
                let mut r = r.clone();
                r.shard = Some(tag.clone());
                serde_json::to_string(&r)
            }
            _ => serde_json::to_string(r),
        }
        .expect("a task record serialises");
        self.append_line(line)
    }

    /// Appends `line` (one task record's JSON, without its newline), as [`Journal::append`] does: for a line
    /// made elsewhere (an MPI worker's, [`super::mpi`]), written byte for byte.
    pub fn append_line(&self, mut line: String) -> Result<()> {
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let before = f.metadata().map(|m| m.len());
        f.write_all(line.as_bytes())
            .and_then(|_| f.flush())
            .and_then(|_| f.sync_data())
            .map_err(|e| {
                if let Ok(len) = before {
                    let _ = f.set_len(len);
                }
                Error::io(&self.path, "cannot append to the results file", e)
            })
    }
}
