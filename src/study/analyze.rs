//! `densemc analyze`: from sweep results (JSONL) to the success probability P_succ(α, N) with Wilson
//! intervals, times to solution, α_50(N) by a logistic fit with a bootstrap error, and the finite-size
//! extrapolation α_50(N) = α_∞ + a·N^(−ν); tables (CSV, Markdown) and SVG plots.

use super::fit::{self, Alpha50, Fss, SizePoint};
use super::plot::{self, Chart, Series};
use super::stats::{quartiles, wilson, Quartiles};
use super::table::{decimal, num, Csv};
use crate::error::{Error, Result};
use crate::model::Activation;
use crate::names::Named;
use crate::run::hash::hash_json;
use crate::run::output::write_out_dir;
use crate::run::plan::normalised;
use crate::run::records::{self, TaskRecord};
use crate::solve::{Algo, Config};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The most bootstrap resamples [`analyze`] takes (each one a logistic fit; 200 is the default).
pub const MAX_RESAMPLES: usize = 1_000_000;

/// What a task's repeats must agree on: its seed and outcome (not its timings).
fn outcome(r: &TaskRecord) -> (u64, bool, i64, u64, Option<u64>, u64, u64, u64) {
    (
        r.seed,
        r.solved,
        r.energy,
        r.errors,
        r.centre_errors,
        r.sweeps,
        r.proposals,
        r.accepted,
    )
}

/// Analysis settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// ν of the finite-size fit when it is not fitted, and of the α_50 vs N^(−ν) plot's axis.
    pub nu: f64,
    /// Fit ν too (with ≥ 4 sizes).
    pub fit_nu: bool,
    /// Bootstrap resamples for the error of α_50.
    pub resamples: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// α values of the time-to-solution plot (default: chosen from the data).
    pub tts_alphas: Option<Vec<f64>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            nu: 0.5,
            fit_nu: false,
            resamples: 200,
            seed: 1,
            tts_alphas: None,
        }
    }
}

/// Reads sweep results files ([`records::read`]: a torn last line is skipped, with a note here; any other
/// bad line is an error). Returns the records and notes for the user.
pub fn read_records(paths: &[PathBuf]) -> Result<(Vec<TaskRecord>, Vec<String>)> {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for path in paths {
        let read = records::read(path)?;
        if read.torn() {
            notes.push(format!(
                "{}: ignoring a torn last line (an interrupted sweep)",
                path.display()
            ));
        }
        out.extend(read.lines.into_iter().map(|l| l.record));
    }
    if out.is_empty() {
        return Err(Error::input("no sweep results in the given files"));
    }
    Ok((out, notes))
}

/// A series: one algorithm with one search configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesInfo {
    pub label: String,
    pub algo: Algo,
    /// The configuration (seed and threads cleared).
    pub config: Config,
}

/// P_succ and times at one (series, N, α).
#[derive(Clone, Debug, PartialEq)]
pub struct SuccessRow {
    pub series: usize,
    pub n: usize,
    pub alpha: f64,
    pub tasks: u64,
    pub solved: u64,
    /// P_succ = solved/tasks and its Wilson 95 % interval.
    pub p_succ: f64,
    pub lo: f64,
    pub hi: f64,
    /// Quartiles of sweeps and seconds to solution, over the solved tasks.
    pub sweeps: Option<Quartiles>,
    pub seconds: Option<Quartiles>,
}

/// α_50 at one (series, N).
#[derive(Clone, Debug, PartialEq)]
pub struct SizeRow {
    pub series: usize,
    pub n: usize,
    pub tasks: usize,
    pub alpha50: Alpha50,
}

/// Everything `analyze` computes.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub k: usize,
    pub activation: Activation,
    pub teacher: bool,
    pub series: Vec<SeriesInfo>,
    pub success: Vec<SuccessRow>,
    pub sizes: Vec<SizeRow>,
    /// Finite-size fit per series (when ≥ 2 sizes have an α_50).
    pub fss: Vec<(usize, Fss)>,
    /// Records dropped because the same task appeared twice.
    pub duplicates: usize,
    pub options: Options,
}

/// α as a grouping key (1e-9 resolution: immune to the last-digit noise of a decimal round trip).
fn alpha_key(a: f64) -> i64 {
    (a * 1e9).round() as i64
}

/// Analyses the records (one architecture and label kind; several series allowed).
pub fn analyze(records: &[TaskRecord], opts: &Options) -> Result<Analysis> {
    let first = records
        .first()
        .ok_or_else(|| Error::input("no sweep results to analyse"))?;
    if let Some(r) = records
        .iter()
        .find(|r| (r.k, r.activation, r.teacher) != (first.k, first.activation, first.teacher))
    {
        return Err(Error::input(format!(
            "the results mix architectures ({} K={}{} and {} K={}{}): analyse them separately",
            first.activation,
            first.k,
            if first.teacher { " teacher" } else { "" },
            r.activation,
            r.k,
            if r.teacher { " teacher" } else { "" },
        )));
    }
    if opts.resamples > MAX_RESAMPLES {
        return Err(Error::input(format!(
            "{} bootstrap resamples: at most {MAX_RESAMPLES} (the error of α_50 is settled long before)",
            opts.resamples
        )));
    }
    if !(opts.nu.is_finite() && opts.nu > 0.0) {
        return Err(Error::input(format!("ν={}: ν must be positive", opts.nu)));
    }
    // Series by (algorithm, configuration).
    let mut series: Vec<SeriesInfo> = Vec::new();
    let mut series_hash: Vec<String> = Vec::new();
    let mut seen: HashMap<_, &TaskRecord> = HashMap::new();
    let mut duplicates = 0;
    // (series, N, α key) → outcomes.
    let mut cells: BTreeMap<(usize, usize, i64), Vec<&TaskRecord>> = BTreeMap::new();
    for r in records {
        // The same task (same parameters and coordinates) from two files or two overlapping sweeps.
        // A repeat must be the same result; a conflicting one would make P_succ depend on the file order.
        let key = (
            r.params.clone(),
            r.n,
            alpha_key(r.alpha),
            r.sample,
            r.algo.name(),
        );
        if let Some(&q) = seen.get(&key) {
            if outcome(q) != outcome(r) {
                return Err(Error::input(format!(
                    "task N={} α={} sample {} {} appears twice with different results (solved {} and {}, {} and {} sweeps): not the same run, remove the wrong file",
                    r.n, r.alpha, r.sample, r.algo.name(), q.solved, r.solved, q.sweeps, r.sweeps
                )));
            }
            duplicates += 1;
            continue;
        }
        seen.insert(key, r);
        let cfg = normalised(&r.config);
        let h = hash_json(&cfg);
        let s = match series_hash.iter().position(|x| *x == h) {
            Some(s) => s,
            None => {
                series_hash.push(h);
                series.push(SeriesInfo {
                    label: String::new(),
                    algo: r.algo,
                    config: cfg,
                });
                series.len() - 1
            }
        };
        cells
            .entry((s, r.n, alpha_key(r.alpha)))
            .or_default()
            .push(r);
    }
    // Labels: the algorithm, plus a hash prefix when one algorithm comes with several configurations.
    for i in 0..series.len() {
        let name = series[i].algo.name();
        let same = series.iter().filter(|s| s.algo == series[i].algo).count();
        series[i].label = if same > 1 {
            format!("{name}-{}", &series_hash[i][..6])
        } else {
            name.to_string()
        };
    }
    let success: Vec<SuccessRow> = cells
        .iter()
        .map(|(&(s, n, _), rs)| {
            let tasks = rs.len() as u64;
            let solved = rs.iter().filter(|r| r.solved).count() as u64;
            let (lo, hi) = wilson(solved, tasks);
            let sw: Vec<f64> = rs
                .iter()
                .filter(|r| r.solved)
                .map(|r| r.sweeps as f64)
                .collect();
            let se: Vec<f64> = rs.iter().filter(|r| r.solved).map(|r| r.seconds).collect();
            SuccessRow {
                series: s,
                n,
                alpha: rs[0].alpha,
                tasks,
                solved,
                p_succ: solved as f64 / tasks as f64,
                lo,
                hi,
                sweeps: quartiles(&sw),
                seconds: quartiles(&se),
            }
        })
        .collect();
    // α_50 per (series, N).
    let mut by_size: BTreeMap<(usize, usize), Vec<(f64, bool)>> = BTreeMap::new();
    for ((s, n, _), rs) in &cells {
        by_size
            .entry((*s, *n))
            .or_default()
            .extend(rs.iter().map(|r| (r.alpha, r.solved)));
    }
    let sizes: Vec<SizeRow> = by_size
        .iter()
        .enumerate()
        .map(|(i, (&(s, n), outcomes))| SizeRow {
            series: s,
            n,
            tasks: outcomes.len(),
            alpha50: fit::alpha50_bootstrap(outcomes, opts.resamples, opts.seed, i as u64),
        })
        .collect();
    let fss = (0..series.len())
        .filter_map(|s| {
            let pts: Vec<SizePoint> = sizes
                .iter()
                .filter(|r| r.series == s)
                .map(|r| SizePoint {
                    n: r.n as f64,
                    alpha50: r.alpha50.fit.alpha50,
                    err: r.alpha50.err,
                })
                .collect();
            fit::fss(&pts, opts.nu, opts.fit_nu).map(|f| (s, f))
        })
        .collect();
    Ok(Analysis {
        k: first.k,
        activation: first.activation,
        teacher: first.teacher,
        series,
        success,
        sizes,
        fss,
        duplicates,
        options: opts.clone(),
    })
}

fn fixed(x: f64, d: usize) -> String {
    if x.is_finite() {
        format!("{x:.d$}")
    } else {
        "–".to_string()
    }
}

fn q_cells(q: &Option<Quartiles>) -> [String; 3] {
    match q {
        Some(q) => [num(q.q1), num(q.median), num(q.q3)],
        None => Default::default(),
    }
}

impl Analysis {
    fn status(s: fit::FitStatus) -> &'static str {
        match s {
            fit::FitStatus::Fitted => "fitted",
            fit::FitStatus::Separated => "separated",
            fit::FitStatus::AllSolved => "all_solved",
            fit::FitStatus::NoneSolved => "none_solved",
            fit::FitStatus::Degenerate => "degenerate",
        }
    }

    /// `success.csv`: one row per (series, N, α).
    pub fn success_csv(&self) -> String {
        let mut t = Csv::new(&[
            "series",
            "algo",
            "n",
            "alpha",
            "tasks",
            "solved",
            "p_succ",
            "wilson_lo",
            "wilson_hi",
            "sweeps_q1",
            "sweeps_median",
            "sweeps_q3",
            "seconds_q1",
            "seconds_median",
            "seconds_q3",
        ]);
        for r in &self.success {
            let mut row = vec![
                self.series[r.series].label.clone(),
                self.series[r.series].algo.name().to_string(),
                r.n.to_string(),
                decimal(r.alpha),
                r.tasks.to_string(),
                r.solved.to_string(),
                num(r.p_succ),
                num(r.lo),
                num(r.hi),
            ];
            row.extend(q_cells(&r.sweeps));
            row.extend(q_cells(&r.seconds));
            t.row(row);
        }
        t.finish()
    }

    /// `alpha50.csv`: one row per (series, N).
    pub fn alpha50_csv(&self) -> String {
        let mut t = Csv::new(&[
            "series",
            "algo",
            "n",
            "tasks",
            "alpha50",
            "alpha50_err",
            "w",
            "status",
            "bootstrap_valid",
            "bootstrap_resamples",
        ]);
        for r in &self.sizes {
            let a = &r.alpha50;
            t.row([
                self.series[r.series].label.clone(),
                self.series[r.series].algo.name().to_string(),
                r.n.to_string(),
                r.tasks.to_string(),
                num(a.fit.alpha50),
                num(a.err),
                num(a.fit.w),
                Self::status(a.fit.status).to_string(),
                a.valid.to_string(),
                a.resamples.to_string(),
            ]);
        }
        t.finish()
    }

    /// `fss.csv`: one row per series with a finite-size fit.
    pub fn fss_csv(&self) -> String {
        let mut t = Csv::new(&[
            "series",
            "algo",
            "sizes",
            "nu",
            "nu_err",
            "nu_fitted",
            "alpha_inf",
            "alpha_inf_err",
            "a",
            "a_err",
            "chi2",
            "dof",
        ]);
        for (i, f) in &self.fss {
            t.row([
                self.series[*i].label.clone(),
                self.series[*i].algo.name().to_string(),
                f.sizes.to_string(),
                num(f.nu),
                num(f.nu_err),
                f.nu_fitted.to_string(),
                num(f.alpha_inf),
                num(f.alpha_inf_err),
                num(f.a),
                num(f.a_err),
                num(f.chi2),
                f.dof.to_string(),
            ]);
        }
        t.finish()
    }

    /// The Markdown summary (also printed by the command).
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let arch = if self.activation == Activation::Perceptron {
            "perceptron".to_string()
        } else {
            format!("tree committee, K={} {} units", self.k, self.activation)
        };
        let _ = writeln!(
            s,
            "# Sweep analysis: {arch}, {} labels\n",
            if self.teacher { "teacher" } else { "random" }
        );
        let _ = writeln!(s, "## Success probability P_succ(α, N)\n");
        let _ = writeln!(
            s,
            "| series | N | α | solved/tasks | P_succ | 95 % (Wilson) | median sweeps [q1, q3] | median s |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
        for r in &self.success {
            let sw = r.sweeps.map_or("–".to_string(), |q| {
                format!("{} [{}, {}]", q.median, q.q1, q.q3)
            });
            let sec = r
                .seconds
                .map_or("–".to_string(), |q| format!("{:.3e}", q.median));
            let _ = writeln!(
                s,
                "| {} | {} | {} | {}/{} | {:.3} | [{:.3}, {:.3}] | {sw} | {sec} |",
                self.series[r.series].label,
                r.n,
                decimal(r.alpha),
                r.solved,
                r.tasks,
                r.p_succ,
                r.lo,
                r.hi
            );
        }
        let _ = writeln!(
            s,
            "\n## α_50(N): logistic fit P_succ = 1/(1+exp((α−α_50)/w)), bootstrap error ({} resamples)\n",
            self.options.resamples
        );
        let _ = writeln!(s, "| series | N | tasks | α_50 | ± | w | fit |");
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for r in &self.sizes {
            let a = &r.alpha50;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                self.series[r.series].label,
                r.n,
                r.tasks,
                fixed(a.fit.alpha50, 4),
                fixed(a.err, 4),
                fixed(a.fit.w, 4),
                Self::status(a.fit.status)
            );
        }
        if !self.fss.is_empty() {
            let _ = writeln!(s, "\n## Finite-size scaling α_50(N) = α_∞ + a·N^(−ν)\n");
            let _ = writeln!(s, "| series | sizes | ν | α_∞ | a | χ²/dof |");
            let _ = writeln!(s, "|---|---|---|---|---|---|");
            for (i, f) in &self.fss {
                let nu = if f.nu_fitted {
                    format!("{:.3} ± {:.3} (fitted)", f.nu, f.nu_err)
                } else {
                    format!("{} (fixed)", f.nu)
                };
                let chi = if f.dof > 0 {
                    format!("{:.2}/{}", f.chi2, f.dof)
                } else {
                    "– (exact)".to_string()
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {nu} | {} ± {} | {} ± {} | {chi} |",
                    self.series[*i].label,
                    f.sizes,
                    fixed(f.alpha_inf, 4),
                    fixed(f.alpha_inf_err, 4),
                    fixed(f.a, 3),
                    fixed(f.a_err, 3)
                );
            }
        }
        let _ = writeln!(s, "\n## Series\n");
        for sr in &self.series {
            let c = &sr.config;
            let _ = writeln!(
                s,
                "- {}: {} y={} energy={} max_sweeps={} schedule={}",
                sr.label,
                c.algo.name(),
                c.replicas,
                serde_json::to_string(&c.energy)
                    .unwrap_or_default()
                    .trim_matches('"'),
                c.max_sweeps,
                serde_json::to_string(&c.schedule).unwrap_or_default()
            );
        }
        s
    }

    /// The architecture and labels, for chart titles.
    fn arch_title(&self) -> String {
        let arch = match self.activation {
            Activation::Perceptron => "perceptron".to_string(),
            a => format!("K={} {a}", self.k),
        };
        format!(
            "{arch}, {} labels",
            if self.teacher { "teacher" } else { "random" }
        )
    }

    /// A series' settings for a chart's subtitle: the budget and, for RSA, y.
    fn settings(&self, series: usize) -> String {
        let sr = &self.series[series];
        let c = &sr.config;
        match sr.algo {
            Algo::Rsa => format!("{}: y={}, ≤{} sweeps", sr.label, c.replicas, c.max_sweeps),
            Algo::Sa => format!("{}: ≤{} sweeps", sr.label, c.max_sweeps),
            Algo::Fbp => match &c.fbp {
                Some(f) => format!("{}: {} form, step {}", sr.label, f.form, f.step),
                None => sr.label.clone(),
            },
            Algo::Sbpi | Algo::Cpr => format!("{}: ≤{} epochs", sr.label, c.max_sweeps),
        }
    }

    /// P_succ vs α for one series: one colour per N, Wilson bars, fitted logistic.
    pub fn chart_success(&self, series: usize) -> Chart {
        let mut ch = Chart {
            title: format!("P_succ(α), {}", self.arch_title()),
            subtitle: self.settings(series),
            x_label: "α".into(),
            y_label: "P_succ".into(),
            y_range: Some((-0.02, 1.02)),
            ..Default::default()
        };
        let rows: Vec<&SuccessRow> = self.success.iter().filter(|r| r.series == series).collect();
        let (amin, amax) = rows
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), r| {
                (l.min(r.alpha), h.max(r.alpha))
            });
        let count = self.sizes.iter().filter(|r| r.series == series).count();
        for (c, size) in self.sizes.iter().filter(|r| r.series == series).enumerate() {
            let pts: Vec<&&SuccessRow> = rows.iter().filter(|r| r.n == size.n).collect();
            // Sizes side by side, so that their error bars do not hide each other.
            let dodge = (amax - amin) * 0.004 * (c as f64 - (count as f64 - 1.0) / 2.0);
            let a = &size.alpha50;
            let label = if a.fit.alpha50.is_finite() {
                format!("N={}: α_50={:.4}±{:.4}", size.n, a.fit.alpha50, a.err)
            } else {
                format!("N={}", size.n)
            };
            ch.series.push(Series {
                label,
                points: pts.iter().map(|r| (r.alpha + dodge, r.p_succ)).collect(),
                bars: Some(pts.iter().map(|r| (r.lo, r.hi)).collect()),
                markers: true,
                color: c,
                shape: c,
                ..Default::default()
            });
            if a.fit.alpha50.is_finite() {
                let m = 200;
                ch.series.push(Series {
                    points: (0..=m)
                        .map(|i| {
                            let x = amin + (amax - amin) * i as f64 / m as f64;
                            (x, a.fit.p(x))
                        })
                        .collect(),
                    line: true,
                    color: c,
                    ..Default::default()
                });
            }
        }
        ch
    }

    /// P_succ vs α of every series on one panel: one colour per series (algorithm), one marker shape per
    /// N, Wilson bars, the fitted logistic; α_50 ± error in the legend, the budgets in the subtitle.
    pub fn chart_all(&self) -> Chart {
        let mut ch = Chart {
            title: format!("P_succ(α), {}", self.arch_title()),
            subtitle: (0..self.series.len())
                .map(|s| self.settings(s))
                .collect::<Vec<_>>()
                .join("; "),
            x_label: "α".into(),
            y_label: "P_succ".into(),
            y_range: Some((-0.02, 1.02)),
            ..Default::default()
        };
        let (amin, amax) = self
            .success
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), r| {
                (l.min(r.alpha), h.max(r.alpha))
            });
        let mut ns: Vec<usize> = self.sizes.iter().map(|r| r.n).collect();
        ns.sort_unstable();
        ns.dedup();
        let count = self.sizes.len();
        for (i, size) in self.sizes.iter().enumerate() {
            let s = size.series;
            let shape = ns.iter().position(|&n| n == size.n).unwrap_or(0);
            let pts: Vec<&SuccessRow> = self
                .success
                .iter()
                .filter(|r| r.series == s && r.n == size.n)
                .collect();
            let dodge = (amax - amin) * 0.003 * (i as f64 - (count as f64 - 1.0) / 2.0);
            let a = &size.alpha50;
            let fitted = a.fit.alpha50.is_finite();
            ch.series.push(Series {
                label: if fitted {
                    format!(
                        "{} N={}: α_50={:.4}±{:.4}",
                        self.series[s].label, size.n, a.fit.alpha50, a.err
                    )
                } else {
                    format!("{} N={}", self.series[s].label, size.n)
                },
                points: pts.iter().map(|r| (r.alpha + dodge, r.p_succ)).collect(),
                bars: Some(pts.iter().map(|r| (r.lo, r.hi)).collect()),
                markers: true,
                color: s,
                shape,
                ..Default::default()
            });
            if fitted {
                let m = 200;
                ch.series.push(Series {
                    points: (0..=m)
                        .map(|j| {
                            let x = amin + (amax - amin) * j as f64 / m as f64;
                            (x, a.fit.p(x))
                        })
                        .collect(),
                    line: true,
                    color: s,
                    dashed: shape % 2 == 1,
                    ..Default::default()
                });
            }
        }
        ch
    }

    /// α_50 vs N^(−ν) (ν = --nu on the axis) with the finite-size fit of every series.
    pub fn chart_fss(&self) -> Chart {
        let nu = self.options.nu;
        let mut ch = Chart {
            title: format!("finite-size scaling of α_50, {}", self.arch_title()),
            subtitle: (0..self.series.len())
                .map(|s| self.settings(s))
                .collect::<Vec<_>>()
                .join("; "),
            x_label: if nu == 0.5 {
                "N^(−1/2)".to_string()
            } else {
                format!("N^(−{nu})")
            },
            y_label: "α_50(N)".into(),
            ..Default::default()
        };
        let xmax = self
            .sizes
            .iter()
            .map(|r| (r.n as f64).powf(-nu))
            .fold(0.0, f64::max);
        ch.x_range = Some((0.0, xmax * 1.1));
        for (s, info) in self.series.iter().enumerate() {
            let rows: Vec<&SizeRow> = self
                .sizes
                .iter()
                .filter(|r| r.series == s && r.alpha50.fit.alpha50.is_finite())
                .collect();
            if rows.is_empty() {
                continue;
            }
            let f = self.fss.iter().find(|(i, _)| *i == s).map(|(_, f)| f);
            ch.series.push(Series {
                label: match f {
                    Some(f) => format!(
                        "{}: α_∞={:.4}±{:.4}",
                        info.label, f.alpha_inf, f.alpha_inf_err
                    ),
                    None => info.label.clone(),
                },
                points: rows
                    .iter()
                    .map(|r| ((r.n as f64).powf(-nu), r.alpha50.fit.alpha50))
                    .collect(),
                bars: Some(
                    rows.iter()
                        .map(|r| {
                            let (a, e) = (r.alpha50.fit.alpha50, r.alpha50.err);
                            if e.is_finite() {
                                (a - e, a + e)
                            } else {
                                (a, a)
                            }
                        })
                        .collect(),
                ),
                markers: true,
                color: s,
                ..Default::default()
            });
            if let Some(f) = f {
                // x = N^(−ν_axis) ⇒ N = x^(−1/ν_axis); the curve is straight when the fit's ν is the axis's.
                let m = 100;
                ch.series.push(Series {
                    points: (0..=m)
                        .map(|i| {
                            let x = xmax * 1.1 * i as f64 / m as f64;
                            let y = if x == 0.0 {
                                f.alpha_inf
                            } else {
                                f.at(x.powf(-1.0 / nu))
                            };
                            (x, y)
                        })
                        .collect(),
                    line: true,
                    color: s,
                    ..Default::default()
                });
            }
        }
        ch
    }

    /// The α values of the time-to-solution plot for a series: the given ones, or up to 4 evenly spread
    /// among those where every N solved at least half of its tasks.
    fn tts_alphas(&self, series: usize) -> Vec<f64> {
        let rows: Vec<&SuccessRow> = self.success.iter().filter(|r| r.series == series).collect();
        let mut alphas: Vec<f64> = rows.iter().map(|r| r.alpha).collect();
        alphas.sort_by(f64::total_cmp);
        alphas.dedup_by(|a, b| alpha_key(*a) == alpha_key(*b));
        if let Some(given) = &self.options.tts_alphas {
            return alphas
                .into_iter()
                .filter(|a| given.iter().any(|g| alpha_key(*g) == alpha_key(*a)))
                .collect();
        }
        let good: Vec<f64> = alphas
            .into_iter()
            .filter(|&a| {
                rows.iter()
                    .filter(|r| alpha_key(r.alpha) == alpha_key(a))
                    .all(|r| r.p_succ >= 0.5 && r.solved > 0)
            })
            .collect();
        if good.len() <= 4 {
            return good;
        }
        (0..4).map(|i| good[(i * (good.len() - 1)) / 3]).collect()
    }

    /// Median time to solution (sweeps or seconds, quartile bars) vs N, log–log, one curve per (series, α).
    pub fn chart_tts(&self, seconds: bool) -> Option<Chart> {
        let mut ch = Chart {
            title: format!(
                "median time to solution ({}), {}",
                if seconds { "seconds" } else { "sweeps" },
                self.arch_title()
            ),
            subtitle: (0..self.series.len())
                .map(|s| self.settings(s))
                .collect::<Vec<_>>()
                .join("; "),
            x_label: "N".into(),
            y_label: if seconds { "seconds" } else { "sweeps" }.into(),
            x_log: true,
            y_log: true,
            ..Default::default()
        };
        let mut c = 0;
        for (s, info) in self.series.iter().enumerate() {
            for a in self.tts_alphas(s) {
                let rows: Vec<(usize, Quartiles)> = self
                    .success
                    .iter()
                    .filter(|r| r.series == s && alpha_key(r.alpha) == alpha_key(a))
                    .filter_map(|r| Some((r.n, if seconds { r.seconds } else { r.sweeps }?)))
                    .collect();
                if rows.is_empty() {
                    continue;
                }
                ch.series.push(Series {
                    label: format!("{} α={}", info.label, decimal(a)),
                    points: rows.iter().map(|(n, q)| (*n as f64, q.median)).collect(),
                    bars: Some(rows.iter().map(|(_, q)| (q.q1, q.q3)).collect()),
                    markers: true,
                    line: rows.len() > 1,
                    color: c,
                    shape: s,
                    ..Default::default()
                });
                c += 1;
            }
        }
        (!ch.series.is_empty()).then_some(ch)
    }

    /// Writes the tables and plots into `dir` (created if needed; see `run::output::write_out_dir`, which
    /// replaces only files densemc wrote); returns the paths.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let mut files: Vec<(String, Vec<u8>)> = vec![
            ("success.csv".into(), self.success_csv().into()),
            ("alpha50.csv".into(), self.alpha50_csv().into()),
            ("fss.csv".into(), self.fss_csv().into()),
            ("summary.md".into(), self.markdown().into()),
        ];
        let mut charts: Vec<(String, Chart)> = (0..self.series.len())
            .map(|s| {
                (
                    format!("p_succ_{}", self.series[s].label),
                    self.chart_success(s),
                )
            })
            .collect();
        if self.series.len() > 1 {
            charts.push(("p_succ_all".into(), self.chart_all()));
        }
        charts.push(("alpha50_fss".into(), self.chart_fss()));
        for (secs, name) in [(false, "tts_sweeps"), (true, "tts_seconds")] {
            if let Some(c) = self.chart_tts(secs) {
                charts.push((name.into(), c));
            }
        }
        for (name, c) in charts {
            files.extend(plot::figure_files(&name, &c)?);
        }
        write_out_dir(dir, &files)
    }
}
