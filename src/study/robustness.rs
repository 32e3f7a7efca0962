//! `densemc robustness`: how the training error of a solution grows under perturbations.
//! - **Local energy** δE(p): flip round(pN) weights chosen uniformly at random and measure the training error
//!   fraction E/P; mean and standard error over `draws` random flip sets.
//! - **Input robustness**: flip every input bit ξ_i^μ of every training pattern independently with
//!   probability p (labels kept) and measure the error fraction on the perturbed patterns; mean and standard
//!   error over `draws` perturbed copies of the training set.
//!
//! Draw d at grid point i comes from the stream (seed, "robustness-weights"/"robustness-inputs", i·2³² + d)
//! whatever the weight vector, so all weight vectors of one run see the same flips (a paired comparison), and
//! the result does not depend on the thread count.

use super::overlaps;
use super::plot::{self, Chart, Series};
use super::stats::mean_se;
use super::table::{decimal, num, Csv};
use crate::bits::{valid_mask, Kernels};
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::model::fast;
use crate::names::Named;
use crate::rng::{self, Rng};
use crate::run::output::write_out_dir;
use crate::run::records::TaskRecord;
use crate::weights::Weights;
use rand_core::RngCore;
use rayon::prelude::*;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The mean error fraction at one p, with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    pub p: f64,
    pub mean: f64,
    pub se: f64,
}

/// A result file's weights: W and the RSA centre W̃ when present.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultWeights {
    pub weights: Weights,
    pub centre: Option<Weights>,
}

/// Reads a `solve` result JSON (`weights`, optional `centre.weights`) or a bare `+`/`-` weights file for
/// `inst`; a JSON whose `instance.checksum` names another instance is refused.
pub fn read_result(path: &Path, inst: &Instance) -> Result<ResultWeights> {
    read_weights(path, inst, true)
}

/// As [`read_result`], but a result record found on another instance is read too (`eval --force`).
pub fn read_result_unchecked(path: &Path, inst: &Instance) -> Result<ResultWeights> {
    read_weights(path, inst, false)
}

fn read_weights(path: &Path, inst: &Instance, check: bool) -> Result<ResultWeights> {
    let n = inst.n();
    let text = crate::fsio::read_text_bounded(path, Weights::file_limit(n), "a weights file")?;
    let what = path.display().to_string();
    if !text.trim_start().starts_with('{') {
        return Ok(ResultWeights {
            weights: Weights::parse_pm(&text, n, &what)?,
            centre: None,
        });
    }
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::at(path, Some(e.line()), format!("not valid JSON: {e}")))?;
    if let Some(c) = v
        .pointer("/instance/checksum")
        .and_then(|c| c.as_str())
        .filter(|_| check)
    {
        let own = format!("{:016x}", inst.checksum());
        if c != own {
            return Err(Error::at(
                path,
                None,
                format!("found on an instance with checksum {c}, but the given instance has checksum {own}"),
            ));
        }
    }
    let w = v
        .get("weights")
        .and_then(|w| w.as_str())
        .ok_or_else(|| Error::at(path, None, "the JSON has no \"weights\" string field"))?;
    let centre = match v.pointer("/centre/weights").and_then(|c| c.as_str()) {
        Some(c) => Some(Weights::parse_pm(c, n, &format!("{what} (centre)"))?),
        None => None,
    };
    Ok(ResultWeights {
        weights: Weights::parse_pm(w, n, &what)?,
        centre,
    })
}

/// One solved task of a sweep (`robustness --from-sweep`): its instance, regenerated from the record's
/// architecture, α and seed, and its recorded weights (`sweep --keep-weights`) with the centre's when present,
/// labelled `solution` and `centre`.
#[derive(Clone, Debug)]
pub struct SweepTask {
    pub record: TaskRecord,
    pub instance: Instance,
    pub subjects: Vec<Subject>,
}

/// The solved tasks of sweep results, in their order; `centre`: include the RSA centre when recorded.
pub fn sweep_tasks(records: &[TaskRecord], centre: bool) -> Result<Vec<SweepTask>> {
    let mut out = Vec::new();
    for r in records.iter().filter(|r| r.solved) {
        let what = format!(
            "the sweep task N={} α={} sample {} {}",
            r.n,
            r.alpha,
            r.sample,
            r.algo.name()
        );
        let w = r.weights.as_deref().ok_or_else(|| {
            Error::input(format!(
                "{what} has no recorded weights: run the sweep with --keep-weights"
            ))
        })?;
        let arch = crate::model::Arch::new(r.n, r.k, r.activation)?;
        let (instance, _) = crate::model::generate(arch, r.alpha, r.seed, r.teacher)?;
        let mut subjects = vec![Subject {
            label: "solution".into(),
            weights: Weights::parse_pm(w, r.n, &what)?,
        }];
        if let Some(c) = r.centre_weights.as_deref().filter(|_| centre) {
            subjects.push(Subject {
                label: "centre".into(),
                weights: Weights::parse_pm(c, r.n, &format!("{what} (centre)"))?,
            });
        }
        out.push(SweepTask {
            record: r.clone(),
            instance,
            subjects,
        });
    }
    if out.is_empty() {
        return Err(Error::input("the sweep results hold no solved task"));
    }
    Ok(out)
}

/// `robustness.csv` of `robustness --from-sweep`: one row per (task, subject, kind, p), the task named by
/// algo, n, alpha, sample and seed.
pub fn sweep_csv(tasks: &[(&SweepTask, &Report)]) -> String {
    let mut t = Csv::new(&[
        "algo", "n", "alpha", "sample", "seed", "subject", "errors", "kind", "p", "mean", "se",
        "draws",
    ]);
    for (task, rep) in tasks {
        let r = &task.record;
        for (kind, curves) in [("weights", &rep.weights), ("inputs", &rep.inputs)] {
            for ((l, c), e) in rep.labels.iter().zip(curves).zip(&rep.errors) {
                for pt in c {
                    t.row([
                        r.algo.name().to_string(),
                        r.n.to_string(),
                        decimal(r.alpha),
                        r.sample.to_string(),
                        r.seed.to_string(),
                        l.clone(),
                        e.to_string(),
                        kind.to_string(),
                        decimal(pt.p),
                        num(pt.mean),
                        num(pt.se),
                        rep.draws.to_string(),
                    ]);
                }
            }
        }
    }
    t.finish()
}

/// Checks a p grid: values in [0, 1].
pub fn check_grid(ps: &[f64]) -> Result<()> {
    match ps.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        Some(p) => Err(Error::input(format!(
            "the p grid: p={p} is not a fraction in [0, 1]"
        ))),
        None if ps.is_empty() => Err(Error::input("the p grid is empty")),
        None => Ok(()),
    }
}

fn draw_stream(seed: u64, tag: &str, i: usize, d: usize) -> Rng {
    rng::stream(seed, tag, ((i as u64) << 32) | d as u64)
}

/// Mean and standard error per weight vector of `f(draw) -> errors per vector`, over the draws.
fn summarise(p: f64, per_draw: &[Vec<u64>], subjects: usize, patterns: usize) -> Vec<Point> {
    (0..subjects)
        .map(|s| {
            let x: Vec<f64> = per_draw
                .iter()
                .map(|d| d[s] as f64 / patterns as f64)
                .collect();
            let (mean, se) = mean_se(&x);
            Point { p, mean, se }
        })
        .collect()
}

/// δE(p) for each weight vector: the curves, indexed [vector][grid point].
pub fn weight_curves(
    inst: &Instance,
    subjects: &[&Weights],
    ps: &[f64],
    draws: usize,
    seed: u64,
) -> Vec<Vec<Point>> {
    let kern = Kernels::best();
    let n = inst.n();
    let per_p: Vec<Vec<Point>> = ps
        .par_iter()
        .enumerate()
        .map(|(i, &p)| {
            let flips = ((p * n as f64).round() as usize).min(n);
            let mut idx: Vec<usize> = Vec::with_capacity(n);
            let per_draw: Vec<Vec<u64>> = (0..draws.max(1))
                .map(|d| {
                    // The first `flips` entries of a partial Fisher–Yates shuffle: a uniform random subset.
                    let mut r = draw_stream(seed, "robustness-weights", i, d);
                    idx.clear();
                    idx.extend(0..n);
                    for j in 0..flips {
                        let t = j + rng::below(&mut r, (n - j) as u64) as usize;
                        idx.swap(j, t);
                    }
                    subjects
                        .iter()
                        .map(|w| {
                            let mut v = (*w).clone();
                            idx[..flips].iter().for_each(|&j| v.flip(j));
                            fast::errors(inst, &v, kern)
                        })
                        .collect()
                })
                .collect();
            summarise(p, &per_draw, subjects.len(), inst.p())
        })
        .collect();
    transpose(per_p, subjects.len())
}

/// A word of 64 independent bits, each 1 with probability `q`/2²⁴: the binary digits of q from the least
/// significant set one up, OR-ing (digit 1) or AND-ing (digit 0) fresh uniform words.
fn bernoulli_word(r: &mut Rng, q: u32) -> u64 {
    if q == 0 {
        return 0;
    }
    if q >= 1 << 24 {
        return !0;
    }
    let mut w = 0u64;
    for bit in q.trailing_zeros()..24 {
        let u = r.next_u64();
        w = if (q >> bit) & 1 == 1 { w | u } else { w & u };
    }
    w
}

/// Input robustness for each weight vector: the error fraction on patterns whose bits were flipped with
/// probability p, indexed [vector][grid point]. p is rounded to a multiple of 2⁻²⁴.
pub fn input_curves(
    inst: &Instance,
    subjects: &[&Weights],
    ps: &[f64],
    draws: usize,
    seed: u64,
) -> Vec<Vec<Point>> {
    let kern = Kernels::best();
    let (stride, p_count) = (inst.stride(), inst.p());
    let per_p: Vec<Vec<Point>> = ps
        .par_iter()
        .enumerate()
        .map(|(i, &p)| {
            let q = (p * (1u64 << 24) as f64).round() as u32;
            let mut noisy = inst.clone();
            let per_draw: Vec<Vec<u64>> = (0..draws.max(1))
                .map(|d| {
                    let mut r = draw_stream(seed, "robustness-inputs", i, d);
                    for (dst, (j, src)) in noisy
                        .cols_mut()
                        .iter_mut()
                        .zip(inst.cols().iter().enumerate())
                    {
                        let m = valid_mask(j % stride, p_count);
                        *dst = if m == 0 {
                            *src
                        } else {
                            *src ^ (bernoulli_word(&mut r, q) & m)
                        };
                    }
                    subjects
                        .iter()
                        .map(|w| fast::errors(&noisy, w, kern))
                        .collect()
                })
                .collect();
            summarise(p, &per_draw, subjects.len(), p_count)
        })
        .collect();
    transpose(per_p, subjects.len())
}

fn transpose(per_p: Vec<Vec<Point>>, subjects: usize) -> Vec<Vec<Point>> {
    (0..subjects)
        .map(|s| per_p.iter().map(|row| row[s]).collect())
        .collect()
}

/// A weight vector under study, with its label in tables and plots.
#[derive(Clone, Debug, PartialEq)]
pub struct Subject {
    pub label: String,
    pub weights: Weights,
}

/// Everything `densemc robustness` measures on one instance.
#[derive(Clone, Debug)]
pub struct Report {
    pub labels: Vec<String>,
    /// P, and E(W) of each subject.
    pub patterns: usize,
    pub errors: Vec<u64>,
    /// δE(p) curves, [subject][grid point].
    pub weights: Vec<Vec<Point>>,
    /// Input-robustness curves, [subject][grid point].
    pub inputs: Vec<Vec<Point>>,
    /// d between subjects.
    pub distances: Vec<Vec<f64>>,
    /// q_lm of each subject (K > 1 only).
    pub hidden: Vec<Vec<Vec<f64>>>,
    pub draws: usize,
}

/// Measures the subjects (common random draws for all of them; see the module docs).
pub fn measure(
    inst: &Instance,
    subjects: &[Subject],
    ps: &[f64],
    draws: usize,
    seed: u64,
) -> Result<Report> {
    check_grid(ps)?;
    if draws == 0 {
        return Err(Error::input(
            "the draws per p (flip sets, perturbed copies) must be at least 1",
        ));
    }
    if subjects.is_empty() {
        return Err(Error::input("give at least one weight vector"));
    }
    // Each p in flight holds its draws' error counts (one row per draw) and their fractions.
    let per_p = (draws as u128) * (24 + 16 * subjects.len() as u128);
    let bytes = per_p * rayon::current_num_threads().min(ps.len().max(1)) as u128;
    crate::fsio::check_memory(
        u64::try_from(bytes).unwrap_or(u64::MAX),
        &format!("{draws} draws per p"),
    )?;
    let ws: Vec<&Weights> = subjects.iter().map(|s| &s.weights).collect();
    let k = inst.k();
    Ok(Report {
        labels: subjects.iter().map(|s| s.label.clone()).collect(),
        patterns: inst.p(),
        errors: ws
            .iter()
            .map(|w| fast::errors(inst, w, Kernels::best()))
            .collect(),
        weights: weight_curves(inst, &ws, ps, draws, seed),
        inputs: input_curves(inst, &ws, ps, draws, seed),
        distances: overlaps::distance_matrix(&ws),
        hidden: if k > 1 {
            ws.iter().map(|w| overlaps::hidden_overlaps(w, k)).collect()
        } else {
            Vec::new()
        },
        draws,
    })
}

impl Report {
    /// `robustness.csv`: label, kind (weights = δE(p), inputs), p, mean, se, draws.
    pub fn csv(&self) -> String {
        let mut t = Csv::new(&["label", "kind", "p", "mean", "se", "draws"]);
        for (kind, curves) in [("weights", &self.weights), ("inputs", &self.inputs)] {
            for (l, c) in self.labels.iter().zip(curves) {
                for pt in c {
                    t.row([
                        l.clone(),
                        kind.to_string(),
                        decimal(pt.p),
                        num(pt.mean),
                        num(pt.se),
                        self.draws.to_string(),
                    ]);
                }
            }
        }
        t.finish()
    }

    /// `distances.csv`: the matrix of d, with labels.
    pub fn distances_csv(&self) -> String {
        let header: Vec<&str> = std::iter::once("label")
            .chain(self.labels.iter().map(String::as_str))
            .collect();
        let mut t = Csv::new(&header);
        for (l, row) in self.labels.iter().zip(&self.distances) {
            t.row(std::iter::once(l.clone()).chain(row.iter().map(|d| num(*d))));
        }
        t.finish()
    }

    /// `hidden_overlaps.csv`: label, l, m, q_lm.
    pub fn hidden_csv(&self) -> String {
        let mut t = Csv::new(&["label", "l", "m", "q"]);
        for (lab, q) in self.labels.iter().zip(&self.hidden) {
            for (l, row) in q.iter().enumerate() {
                for (m, v) in row.iter().enumerate() {
                    t.row([lab.clone(), l.to_string(), m.to_string(), num(*v)]);
                }
            }
        }
        t.finish()
    }

    /// The compact text table printed by the command.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let w = self
            .labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(s, "training errors E(W) of P={}:", self.patterns);
        for (l, e) in self.labels.iter().zip(&self.errors) {
            let _ = writeln!(s, "  {l:<w$}  {e}");
        }
        for (title, curves) in [
            (
                "local energy δE(p): error fraction after flipping a fraction p of the weights",
                &self.weights,
            ),
            (
                "input robustness: error fraction after flipping each input bit with probability p",
                &self.inputs,
            ),
        ] {
            let _ = writeln!(s, "\n{title} (mean ± s.e., {} draws)", self.draws);
            let cw = w.max(17);
            let _ = write!(s, "{:>6}", "p");
            for l in &self.labels {
                let _ = write!(s, "  {l:>cw$}");
            }
            let _ = writeln!(s);
            for i in 0..curves.first().map_or(0, |c| c.len()) {
                let _ = write!(s, "{:>6}", curves[0][i].p);
                for c in curves {
                    let cell = format!("{:.4} ± {:.4}", c[i].mean, c[i].se);
                    let _ = write!(s, "  {cell:>cw$}");
                }
                let _ = writeln!(s);
            }
        }
        if self.labels.len() > 1 {
            let _ = writeln!(s, "\nnormalised Hamming distance d = H/N:");
            let _ = write!(s, "{:w$}", "");
            for l in &self.labels {
                let _ = write!(s, "  {l:>w$}");
            }
            let _ = writeln!(s);
            for (l, row) in self.labels.iter().zip(&self.distances) {
                let _ = write!(s, "{l:<w$}");
                for d in row {
                    let _ = write!(s, "  {:>w$}", format!("{d:.4}"));
                }
                let _ = writeln!(s);
            }
        }
        for (lab, q) in self.labels.iter().zip(&self.hidden) {
            let _ = writeln!(
                s,
                "\nhidden-unit overlaps q_lm of {lab} (weight blocks, see docs/studies.md):"
            );
            for row in q {
                let cells: Vec<String> = row.iter().map(|v| format!("{v:>7.3}")).collect();
                let _ = writeln!(s, "  {}", cells.join(" "));
            }
        }
        s
    }

    /// The δE(p) (`inputs = false`) or input-robustness chart, one curve per subject.
    pub fn chart(&self, inputs: bool) -> Chart {
        let curves = if inputs { &self.inputs } else { &self.weights };
        Chart {
            title: if inputs {
                "input robustness".into()
            } else {
                "local energy δE(p)".into()
            },
            x_label: if inputs {
                "p (fraction of input bits flipped)".into()
            } else {
                "p (fraction of weights flipped)".into()
            },
            y_label: "training error fraction".into(),
            series: self
                .labels
                .iter()
                .zip(curves)
                .enumerate()
                .map(|(i, (l, c))| Series {
                    label: l.clone(),
                    points: c.iter().map(|pt| (pt.p, pt.mean)).collect(),
                    bars: Some(
                        c.iter()
                            .map(|pt| (pt.mean - pt.se, pt.mean + pt.se))
                            .collect(),
                    ),
                    markers: c.len() < 30,
                    line: true,
                    color: i,
                    shape: i,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    /// Writes the CSV files and the two charts into `dir` (created if needed), atomically; returns the paths.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let mut files: Vec<(String, Vec<u8>)> = vec![
            ("robustness.csv".to_string(), self.csv().into()),
            ("distances.csv".into(), self.distances_csv().into()),
        ];
        if !self.hidden.is_empty() {
            files.push(("hidden_overlaps.csv".into(), self.hidden_csv().into()));
        }
        for (name, inputs) in [("robustness_weights", false), ("robustness_inputs", true)] {
            files.extend(plot::figure_files(name, &self.chart(inputs))?);
        }
        write_out_dir(dir, &files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bernoulli_words_have_the_right_density() {
        let mut r = rng::stream(1, "t", 0);
        for p in [0.0, 0.01, 0.25, 0.5, 0.7, 1.0] {
            let q = (p * (1u64 << 24) as f64).round() as u32;
            let ones: u32 = (0..4000)
                .map(|_| bernoulli_word(&mut r, q).count_ones())
                .sum();
            let f = ones as f64 / (4000.0 * 64.0);
            assert!((f - p).abs() < 0.01, "p={p}: density {f}");
        }
    }
}
