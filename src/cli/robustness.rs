use densemc::names::Named;
use densemc::run::output::write_out_dir;
use densemc::study::analyze::read_records;
use densemc::study::grid::parse_f64_grid;
use densemc::study::robustness::{
    check_grid, measure, read_result, sweep_csv, sweep_tasks, Subject,
};
use densemc::study::table::decimal;
use densemc::{Error, Result};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The instance the weights were found on
    #[arg(long, required_unless_present = "from_sweep")]
    pub instance: Option<PathBuf>,
    #[command(flatten)]
    pub numpy: super::args::NumpyArgs,
    /// Result JSON of `densemc solve` (or a bare +/- weights file); repeat for several. An RSA result's
    /// centre is measured too
    #[arg(
        long = "weights",
        value_name = "FILE",
        required_unless_present = "from_sweep"
    )]
    pub weights: Vec<PathBuf>,
    /// Instead of --instance and --weights: every solved task of these sweep results (run with
    /// `sweep --keep-weights`), each on its own instance (regenerated from its line), with its centre
    #[arg(long, value_name = "RESULTS", conflicts_with_all = ["instance", "weights", "labels"])]
    pub from_sweep: Vec<PathBuf>,
    /// Label of each --weights file, in the same order [default: the file name]
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Fractions p: START:STOP:STEP or a list
    #[arg(long, default_value = "0:0.5:0.01")]
    pub p_grid: String,
    /// Random draws per p (flip sets of the weights; perturbed copies of the patterns)
    #[arg(long, default_value_t = 100)]
    pub flips: usize,
    /// Seed of the draws (the same draws for every weight vector)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads over the p values (the result does not depend on it)
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Skip the centre of RSA results
    #[arg(long)]
    pub no_centre: bool,
    /// Write robustness.csv, distances.csv, hidden_overlaps.csv and two SVG plots into this folder
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    if !a.labels.is_empty() && a.labels.len() != a.weights.len() {
        return Err(Error::input(format!(
            "{} --label for {} --weights files: give one label per file, or none",
            a.labels.len(),
            a.weights.len()
        )));
    }
    if a.threads == 0 {
        return Err(Error::input("--threads must be at least 1"));
    }
    let ps = parse_f64_grid(&a.p_grid, "--p-grid")?;
    check_grid(&ps).map_err(|e| e.context("--p-grid"))?;
    if let Some(d) = &a.out_dir {
        densemc::run::output::check_out_dir(d, "--out-dir")?;
        super::warn_png();
    }
    if !a.from_sweep.is_empty() {
        return from_sweep(&a, &ps);
    }
    let inst = a
        .numpy
        .read(a.instance.as_deref().expect("clap requires --instance"))?;
    let mut subjects = Vec::new();
    for (i, path) in a.weights.iter().enumerate() {
        let r = read_result(path, &inst)?;
        let label = a.labels.get(i).cloned().unwrap_or_else(|| {
            path.file_stem().map_or(path.display().to_string(), |s| {
                s.to_string_lossy().into_owned()
            })
        });
        if let (Some(c), false) = (r.centre, a.no_centre) {
            subjects.push(Subject {
                label: label.clone(),
                weights: r.weights,
            });
            subjects.push(Subject {
                label: format!("{label}:centre"),
                weights: c,
            });
        } else {
            subjects.push(Subject {
                label,
                weights: r.weights,
            });
        }
    }
    if let Some(l) = subjects
        .iter()
        .enumerate()
        .find(|(i, s)| subjects[..*i].iter().any(|t| t.label == s.label))
    {
        return Err(Error::input(format!(
            "two weight vectors are labelled {:?}: give distinct --label values",
            l.1.label
        )));
    }
    let _ = writeln!(
        std::io::stderr(),
        "densemc robustness: {} P={}, {} weight vectors, {} values of p × {} draws",
        inst.arch(),
        inst.p(),
        subjects.len(),
        ps.len(),
        a.flips
    );
    let report = pool(a.threads)?.install(|| measure(&inst, &subjects, &ps, a.flips, a.seed))?;
    outln!("{}", report.table().trim_end());
    if let Some(dir) = &a.out_dir {
        let files = report.write(dir)?;
        let names: Vec<String> = files
            .iter()
            .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .collect();
        outln!("\nwrote {} in {}", names.join(", "), dir.display());
    }
    Ok(())
}

fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::input(format!("cannot start {threads} threads: {e}")))
}

/// `--from-sweep`: each solved task measured on its own instance; a table of δE and the input robustness
/// at a few p per task, all of them in robustness.csv (no plots: one curve per task would not read).
fn from_sweep(a: &Args, ps: &[f64]) -> Result<()> {
    let (records, notes) = read_records(&a.from_sweep)?;
    for n in &notes {
        let _ = writeln!(std::io::stderr(), "densemc robustness: {n}");
    }
    let tasks = sweep_tasks(&records, !a.no_centre)?;
    let _ = writeln!(
        std::io::stderr(),
        "densemc robustness: {} solved tasks of {} results, {} values of p × {} draws",
        tasks.len(),
        records.len(),
        ps.len(),
        a.flips
    );
    let pool = pool(a.threads)?;
    let reports = tasks
        .iter()
        .map(|t| pool.install(|| measure(&t.instance, &t.subjects, ps, a.flips, a.seed)))
        .collect::<Result<Vec<_>>>()?;
    // A few p across the grid for the printed table.
    let shown: Vec<usize> = {
        let mut v: Vec<usize> = (0..5).map(|i| i * (ps.len() - 1) / 4).collect();
        v.dedup();
        v
    };
    let mut head = format!(
        "{:>5} {:>7} {:>6} {:>4} {:>8}  {:>3}",
        "algo", "N", "α", "s", "subject", "E"
    );
    for &i in &shown {
        head += &format!(" {:>12}", format!("δE({})", decimal(ps[i])));
    }
    for &i in &shown {
        head += &format!(" {:>12}", format!("in({})", decimal(ps[i])));
    }
    outln!("{head}");
    for (t, r) in tasks.iter().zip(&reports) {
        for (j, l) in r.labels.iter().enumerate() {
            let mut row = format!(
                "{:>5} {:>7} {:>6} {:>4} {:>8}  {:>3}",
                t.record.algo.name(),
                t.record.n,
                decimal(t.record.alpha),
                t.record.sample,
                l,
                r.errors[j]
            );
            for c in [&r.weights[j], &r.inputs[j]] {
                for &i in &shown {
                    row += &format!(" {:>12.4}", c[i].mean);
                }
            }
            outln!("{row}");
        }
    }
    if let Some(dir) = &a.out_dir {
        let pairs: Vec<_> = tasks.iter().zip(&reports).collect();
        write_out_dir(dir, &[("robustness.csv".to_string(), sweep_csv(&pairs))])?;
        outln!("\nwrote robustness.csv in {}", dir.display());
    }
    Ok(())
}
