use crate::cli::args::named;
use densemc::bp::{EntropyParams, FactorRule};
use densemc::study::grid::parse_f64_grid;
use densemc::study::local_entropy::{measure, McParams, Method, Params};
use densemc::study::robustness::read_result;
use densemc::theory::kernels::Kernel;
use densemc::theory::local_entropy::franz_parisi;
use densemc::{Error, Result};
use serde_json::json;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The instance the weights were found on
    #[arg(long)]
    pub instance: PathBuf,
    #[command(flatten)]
    pub numpy: super::args::NumpyArgs,
    /// Result JSON of `densemc solve` (or a bare +/- weights file): the reference W̃, a solution
    #[arg(long, value_name = "FILE")]
    pub weights: PathBuf,
    /// Use the RSA centre of the result file as W̃
    #[arg(long)]
    pub centre: bool,
    #[arg(long, value_parser = named::<Method>(), default_value_t = Method::Bp)]
    pub method: Method,
    /// Couplings γ to W̃: START:STOP:STEP or a list (run from the largest down)
    #[arg(long, default_value = "0:4:0.05")]
    pub gamma_grid: String,
    /// Distances d at which S(d) is also reported (exact: the exact Legendre curve; bp, mc: interpolated)
    #[arg(long, default_value = "0.02:0.3:0.02")]
    pub d_grid: String,
    /// BP: exact factor messages (N ≤ 201) instead of Gaussian cavity sums
    #[arg(long)]
    pub exact_factors: bool,
    /// MC: measured sweeps per γ
    #[arg(long, default_value_t = 2000)]
    pub sweeps: usize,
    /// MC: sweeps per γ before measuring
    #[arg(long, default_value_t = 200)]
    pub burn_in: usize,
    /// Seed (MC moves; BP initial messages)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Overlay the Franz–Parisi (RS) curve of the perceptron at this instance's α (takes ~1 s per d value)
    #[arg(long)]
    pub theory: bool,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Write local_entropy.csv (and local_entropy_counts.csv for exact) and local_entropy.svg here
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    if let Some(d) = &a.out_dir {
        densemc::run::output::check_out_dir(d, "--out-dir")?;
        super::warn_png();
    }
    let inst = a.numpy.read(&a.instance)?;
    let r = read_result(&a.weights, &inst)?;
    let reference = if a.centre {
        r.centre.ok_or_else(|| {
            Error::input(format!(
                "--centre: {} holds no RSA centre",
                a.weights.display()
            ))
        })?
    } else {
        r.weights
    };
    let params = Params {
        method: a.method,
        gammas: parse_f64_grid(&a.gamma_grid, "--gamma-grid")?,
        d_grid: parse_f64_grid(&a.d_grid, "--d-grid")?,
        bp: EntropyParams {
            rule: if a.exact_factors {
                FactorRule::Exact
            } else {
                FactorRule::Gaussian
            },
            seed: a.seed,
            ..Default::default()
        },
        mc: McParams {
            sweeps: a.sweeps,
            burn_in: a.burn_in,
            seed: a.seed,
        },
    };
    let curve = measure(&inst, &reference, &params)?;
    let theory = if a.theory {
        if inst.k() != 1 {
            return Err(Error::input(
                "--theory: the overlay is the perceptron's Franz–Parisi curve (K=1)",
            ));
        }
        let ds: Vec<f64> = (1..=15).map(|k| 0.02 * k as f64).collect();
        let c = franz_parisi(Kernel::Linear, inst.alpha(), &ds)?;
        Some(c.points.iter().map(|p| (p.d, p.s)).collect::<Vec<_>>())
    } else {
        None
    };
    let label = format!("Franz–Parisi RS, α={:.3}", inst.alpha());
    let overlay = theory.as_deref().map(|t| (label.as_str(), t));
    if a.json {
        let mut v = curve.json();
        let o = v.as_object_mut().expect("an object");
        o.insert(
            "instance".into(),
            json!({
                "path": a.instance.to_string_lossy(),
                "checksum": format!("{:016x}", inst.checksum()),
                "arch": inst.arch().to_string(),
                "alpha": inst.alpha(),
            }),
        );
        o.insert(
            "weights".into(),
            json!({ "path": a.weights.to_string_lossy(), "centre": a.centre }),
        );
        o.insert(
            "parameters".into(),
            json!({
                "gamma_grid": a.gamma_grid,
                "d_grid": a.d_grid,
                "exact_factors": a.exact_factors,
                "sweeps": a.sweeps,
                "burn_in": a.burn_in,
                "seed": a.seed,
            }),
        );
        if let Some(t) = &theory {
            o.insert(
                "theory".into(),
                json!({
                    "d": t.iter().map(|p| p.0).collect::<Vec<_>>(),
                    "s": t.iter().map(|p| p.1).collect::<Vec<_>>(),
                }),
            );
        }
        o.insert("densemc_version".into(), json!(densemc::VERSION));
        outln!("{v}");
    } else {
        outln!("{}", curve.table().trim_end());
    }
    if let Some(dir) = &a.out_dir {
        let files = curve.write(dir, overlay)?;
        let names: Vec<String> = files
            .iter()
            .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .collect();
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("wrote {} in {}\n", names.join(", "), dir.display()).as_bytes(),
        );
    }
    Ok(())
}
