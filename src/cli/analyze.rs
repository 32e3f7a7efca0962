use densemc::study::analyze::{analyze, read_records, Options};
use densemc::study::grid::parse_f64_grid;
use densemc::Result;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Sweep results files (JSONL from `densemc sweep`)
    #[arg(required = true, value_name = "RESULTS")]
    pub files: Vec<PathBuf>,
    /// Write success.csv, alpha50.csv, fss.csv, summary.md and SVG plots into this folder
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// ν of the finite-size fit α_50(N) = α_∞ + a·N^(−ν) (and of the plot's axis)
    #[arg(long, default_value_t = 0.5)]
    pub nu: f64,
    /// Fit ν as well (needs at least 4 sizes; otherwise --nu is used)
    #[arg(long)]
    pub fit_nu: bool,
    /// Bootstrap resamples (over tasks) for the error of α_50
    #[arg(long, default_value_t = 200)]
    pub bootstrap: usize,
    /// Seed of the bootstrap
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// α values of the time-to-solution plots (grid syntax) [default: up to 4 where every N solves ≥ half]
    #[arg(long, value_name = "ALPHA")]
    pub tts_alpha: Option<String>,
}

pub fn run(a: Args) -> Result<()> {
    let opts = Options {
        nu: a.nu,
        fit_nu: a.fit_nu,
        resamples: a.bootstrap,
        seed: a.seed,
        tts_alphas: match &a.tts_alpha {
            Some(s) => Some(parse_f64_grid(s, "--tts-alpha")?),
            None => None,
        },
    };
    if let Some(d) = &a.out_dir {
        densemc::run::output::check_out_dir(d, "--out-dir")?;
        super::warn_png();
    }
    let (records, notes) = read_records(&a.files)?;
    for n in &notes {
        let _ = writeln!(std::io::stderr(), "densemc analyze: {n}");
    }
    let an = analyze(&records, &opts)?;
    if an.duplicates > 0 {
        let _ = writeln!(
            std::io::stderr(),
            "densemc analyze: ignored {} repeated tasks (the same line in several files)",
            an.duplicates
        );
    }
    outln!("{}", an.markdown().trim_end());
    if let Some(dir) = &a.out_dir {
        let files = an.write(dir)?;
        let names: Vec<String> = files
            .iter()
            .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .collect();
        outln!("\nwrote {} in {}", names.join(", "), dir.display());
    }
    Ok(())
}
