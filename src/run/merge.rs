//! `densemc merge`: the union of the results files of one sweep (the shards of a job array, or any parts),
//! checked and in grid order.
//!
//! Every line must come from the same sweep (`sweep` hash: same grid and parameters) and the same densemc
//! version. A task found in several lines is kept once when the lines agree (apart from the timings and the
//! shard tag: a re-run gives the same result) and is an error when they disagree. The grid is read from the
//! lines' `shard` tags ([`ShardTag`]); with it, the tasks no file holds are listed. Lines are copied as they
//! are (no re-serialisation), so the merged file is a valid sweep results file: `analyze` reads it, and the
//! unsharded `sweep` command with `--out` set to it runs the tasks still missing.

use super::jsonl::Line;
use super::plan::{Grid, TaskKey};
use super::records::{Results, ShardTag, TaskRecord};
use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::names::Named;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Largest grid `merge` accepts (N × α × samples × algorithms), so that a corrupted tag cannot make it
/// loop or allocate without end.
pub const MAX_GRID_TASKS: usize = 100_000_000;

/// The outcome of [`merge`].
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The kept lines (without newlines), in grid order.
    pub lines: Vec<String>,
    /// The grid, from the shard tags (`grid_from_tags`) or, without any, from the tasks present.
    pub grid: Grid,
    pub grid_from_tags: bool,
    /// Repeated identical lines dropped.
    pub duplicates: usize,
    /// Number of tasks of the grid in no file.
    pub missing: usize,
    /// The first few of them, in grid order.
    pub missing_examples: Vec<TaskKey>,
    /// With parts of one shard count n: shard index → (missing tasks, tasks) for the shards missing some.
    pub missing_per_shard: BTreeMap<usize, (usize, usize)>,
    /// Shard counts seen in the tags.
    pub shard_counts: BTreeSet<usize>,
    /// Notes for the user (torn lines, duplicates, unknown grid).
    pub notes: Vec<String>,
}

/// `path:line`.
fn at(p: &Path, l: usize) -> String {
    format!("{}:{l}", p.display())
}

/// A task in words: `N=101 α=0.5 sample 2 rsa`.
pub fn describe(grid: &Grid, k: &TaskKey) -> String {
    let alpha = grid
        .alphas
        .get(k.1)
        .map_or(format!("#{}", k.1), |a| a.to_string());
    format!("N={} α={alpha} sample {} {}", k.0, k.2, k.3)
}

/// The record as compared between duplicates: timings and the shard tag cleared.
fn comparable(r: &TaskRecord) -> serde_json::Value {
    let mut r = r.clone();
    r.seconds = 0.0;
    r.proposals_per_second = 0.0;
    r.shard = None;
    serde_json::to_value(&r).expect("a task record serialises")
}

/// The fields in which two comparable records differ.
fn differing(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return vec![];
    };
    let mut keys: BTreeSet<&String> = a.keys().collect();
    keys.extend(b.keys());
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| k.to_string())
        .collect()
}

/// Whether α values recorded by the same writer agree (they are the same decimal text, read back).
fn same_alpha(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// Merges the parsed files of one sweep. Errors on lines of other sweeps or versions, on tasks outside the
/// grid or outside their shard, and on duplicates that disagree.
pub fn merge(parts: &[(PathBuf, Results)]) -> Result<Merged> {
    let mut notes = Vec::new();
    for (p, r) in parts {
        if r.torn() {
            notes.push(format!(
                "{}: skipped a torn last line (an interrupted write; that task counts as missing)",
                p.display()
            ));
        }
    }
    let all: Vec<(&Path, &Line<TaskRecord>)> = parts
        .iter()
        .flat_map(|(p, r)| r.lines.iter().map(move |l| (p.as_path(), l)))
        .collect();
    let Some(&(p0, l0)) = all.first() else {
        return Err(Error::input("no sweep results in the given files"));
    };
    let r0 = &l0.record;
    // One sweep, one version.
    for &(p, l) in &all {
        let r = &l.record;
        if r.densemc_version != r0.densemc_version {
            return Err(Error::input(format!(
                "{}: written by densemc {}, but {} by densemc {}: merge the results of one densemc version (re-run the other parts with it)",
                at(p, l.number), r.densemc_version, at(p0, l0.number), r0.densemc_version
            )));
        }
        if r.sweep != r0.sweep {
            let what = if r.params != r0.params {
                "other search parameters (architecture, seed, algorithms or their settings)"
            } else {
                "another grid (N, α or samples)"
            };
            return Err(Error::input(format!(
                "{}: from a sweep with {what} than {}: merge only the parts of one sweep",
                at(p, l.number),
                at(p0, l0.number)
            )));
        }
    }
    // The grid, from the tags.
    let mut tag0: Option<(&Path, &Line<TaskRecord>, &ShardTag)> = None;
    let mut shard_counts = BTreeSet::new();
    for &(p, l) in &all {
        let Some(t) = &l.record.shard else { continue };
        if t.count == 0 || t.index >= t.count {
            return Err(Error::input(format!(
                "{}: bad shard tag {}/{}",
                at(p, l.number),
                t.index,
                t.count
            )));
        }
        shard_counts.insert(t.count);
        match tag0 {
            None => tag0 = Some((p, l, t)),
            Some((q, m, t0)) => {
                let g = &t0.grid;
                let same = t.grid.ns == g.ns
                    && t.grid.samples == g.samples
                    && t.grid.algos == g.algos
                    && t.grid.alphas.len() == g.alphas.len()
                    && t.grid
                        .alphas
                        .iter()
                        .zip(&g.alphas)
                        .all(|(a, b)| same_alpha(*a, *b));
                if !same {
                    return Err(Error::input(format!(
                        "{}: its shard tag gives another grid than {} although the sweep hashes agree: a hand-edited file?",
                        at(p, l.number),
                        at(q, m.number)
                    )));
                }
            }
        }
    }
    let (grid, grid_from_tags) = match tag0 {
        Some((p, l, t)) => {
            if !plausible(&t.grid) {
                return Err(Error::input(format!(
                    "{}: the shard tag's grid is empty or too large (over {MAX_GRID_TASKS} tasks): a corrupted file?",
                    at(p, l.number)
                )));
            }
            (t.grid.clone(), true)
        }
        None => {
            notes.push(
                "no line carries its grid (files of unsharded sweeps): missing tasks are looked for among the N, α, sample and algorithm values present only".to_string(),
            );
            (inferred_grid(&all)?, false)
        }
    };
    // Every task in the grid (and in its shard).
    for &(p, l) in &all {
        let r = &l.record;
        let algo_ok = grid.algos.contains(&r.algo);
        let unit = grid.unit(r.n, r.alpha_index, r.sample).filter(|_| algo_ok);
        let alpha_ok = grid
            .alphas
            .get(r.alpha_index)
            .is_some_and(|&a| same_alpha(a, r.alpha));
        let Some(u) = unit.filter(|_| alpha_ok) else {
            return Err(Error::input(format!(
                "{}: task N={} α={} (index {}) sample {} {} is not in the sweep's grid: a hand-edited file?",
                at(p, l.number),
                r.n,
                r.alpha,
                r.alpha_index,
                r.sample,
                r.algo.name()
            )));
        };
        if let Some(t) = &r.shard {
            if u % t.count != t.index {
                return Err(Error::input(format!(
                    "{}: task {} belongs to shard {}/{}, but the line says shard {}/{}: a hand-edited file?",
                    at(p, l.number),
                    describe(&grid, &r.key()),
                    u % t.count,
                    t.count,
                    t.index,
                    t.count
                )));
            }
        }
    }
    // Duplicates.
    let mut kept: HashMap<TaskKey, (&Path, &Line<TaskRecord>, serde_json::Value)> = HashMap::new();
    let mut duplicates = 0;
    let mut dup_example = None;
    for &(p, l) in &all {
        let key = l.record.key();
        let cmp = comparable(&l.record);
        match kept.get(&key) {
            None => {
                kept.insert(key, (p, l, cmp));
            }
            Some((q, m, c)) => {
                if *c != cmp {
                    return Err(Error::input(format!(
                        "task {} is in {} and in {} with different results ({} differ): not the same run, remove the wrong part",
                        describe(&grid, &key),
                        at(q, m.number),
                        at(p, l.number),
                        differing(c, &cmp).join(", ")
                    )));
                }
                duplicates += 1;
                dup_example.get_or_insert_with(|| (at(q, m.number), at(p, l.number)));
            }
        }
    }
    if let Some((a, b)) = dup_example {
        notes.push(format!(
            "dropped {duplicates} repeated line{} of tasks already merged, with the same results (e.g. {b}, as {a})",
            if duplicates == 1 { "" } else { "s" }
        ));
    }
    // Grid order; missing tasks.
    let mut lines = Vec::with_capacity(kept.len());
    let (mut missing, mut missing_examples) = (0, Vec::new());
    let mut missing_per_shard = BTreeMap::new();
    let one_count = (shard_counts.len() == 1).then(|| *shard_counts.first().unwrap());
    let units = grid.ns.len() * grid.alphas.len() * grid.samples;
    for (u, key) in grid.keys() {
        match kept.get(&key) {
            Some((_, l, _)) => lines.push(l.text.clone()),
            None => {
                missing += 1;
                if missing_examples.len() < 3 {
                    missing_examples.push(key);
                }
                if let Some(n) = one_count {
                    let i = u % n;
                    // Units u < U with u mod n = i, each with every algorithm.
                    let total = (units / n + usize::from(i < units % n)) * grid.algos.len();
                    missing_per_shard.entry(i).or_insert((0, total)).0 += 1;
                }
            }
        }
    }
    debug_assert_eq!(lines.len(), kept.len());
    Ok(Merged {
        lines,
        grid,
        grid_from_tags,
        duplicates,
        missing,
        missing_examples,
        missing_per_shard,
        shard_counts,
        notes,
    })
}

/// A grid with at least one and at most [`MAX_GRID_TASKS`] tasks.
fn plausible(g: &Grid) -> bool {
    plausible_size(&[g.ns.len(), g.alphas.len(), g.samples, g.algos.len()])
}

/// A product of dimensions between 1 and [`MAX_GRID_TASKS`].
fn plausible_size(dims: &[usize]) -> bool {
    dims.iter()
        .try_fold(1usize, |a, &b| a.checked_mul(b))
        .is_some_and(|t| (1..=MAX_GRID_TASKS).contains(&t))
}

/// The grid spanned by the tasks present (when no line records its grid).
fn inferred_grid(all: &[(&Path, &Line<TaskRecord>)]) -> Result<Grid> {
    let mut ns = BTreeSet::new();
    let mut alphas: BTreeMap<usize, f64> = BTreeMap::new();
    let mut samples = 0usize;
    let mut algos = Vec::new();
    for (_, l) in all {
        let r = &l.record;
        ns.insert(r.n);
        alphas.entry(r.alpha_index).or_insert(r.alpha);
        samples = samples.max(r.sample.saturating_add(1));
        if !algos.contains(&r.algo) {
            algos.push(r.algo);
        }
    }
    let n_alphas = alphas
        .keys()
        .next_back()
        .map_or(0, |&i| i.saturating_add(1));
    let ns: Vec<usize> = ns.into_iter().collect();
    if !plausible_size(&[ns.len(), n_alphas, samples, algos.len()]) {
        return Err(Error::input(format!(
            "the lines span a grid of over {MAX_GRID_TASKS} tasks (α index up to {}, sample up to {}): a corrupted file?",
            n_alphas.saturating_sub(1),
            samples.saturating_sub(1)
        )));
    }
    Ok(Grid {
        ns,
        // An α index that no line has: NaN never matches, so a line claiming it is refused.
        alphas: (0..n_alphas)
            .map(|i| alphas.get(&i).copied().unwrap_or(f64::NAN))
            .collect(),
        samples,
        algos,
    })
}

impl Merged {
    /// Writes the merged lines to `path`, atomically: a valid results file of the sweep.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, |w| {
            for l in &self.lines {
                w.write_all(l.as_bytes())?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })
    }

    /// Tasks in the grid.
    pub fn expected(&self) -> usize {
        self.grid.len()
    }

    /// One line on the missing tasks: how many, per shard when the parts are shards of one count, and the
    /// first few.
    pub fn missing_summary(&self) -> String {
        let mut s = format!("{} of {} tasks missing", self.missing, self.expected());
        if let (Some(n), false) = (self.shard_counts.first(), self.missing_per_shard.is_empty()) {
            let parts: Vec<String> = self
                .missing_per_shard
                .iter()
                .take(6)
                .map(|(i, &(m, t))| {
                    if m == t {
                        format!("shard {i}/{n}: all {m} (no file given?)")
                    } else {
                        format!("shard {i}/{n}: {m} of {t}")
                    }
                })
                .collect();
            let _ = write!(s, " ({}", parts.join("; "));
            if self.missing_per_shard.len() > parts.len() {
                let _ = write!(
                    s,
                    "; {} more shards",
                    self.missing_per_shard.len() - parts.len()
                );
            }
            s.push(')');
        }
        let few: Vec<String> = self
            .missing_examples
            .iter()
            .map(|k| describe(&self.grid, k))
            .collect();
        if !few.is_empty() {
            let _ = write!(
                s,
                ", e.g. {}{}",
                few.join(", "),
                if self.missing > few.len() {
                    ", …"
                } else {
                    ""
                }
            );
        }
        s
    }
}
