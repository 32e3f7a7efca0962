use densemc::bits::Kernels;
use densemc::study::robustness::{read_result, read_result_unchecked};
use densemc::Error;
use densemc::{model, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Instance file (text or binary)
    #[arg(long)]
    pub instance: PathBuf,
    #[command(flatten)]
    pub numpy: super::args::NumpyArgs,
    /// Weights W: a file holding N '+'/'-' characters, or a densemc result JSON
    #[arg(long)]
    pub weights: PathBuf,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
    /// Evaluate a result record found on another instance (its checksum differs) all the same
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<()> {
    let inst = a.numpy.read(&a.instance)?;
    // A result record's instance checksum must be this instance's, unless --force.
    let w = if a.force {
        read_result_unchecked(&a.weights, &inst)?
    } else {
        read_result(&a.weights, &inst).map_err(|e| match e {
            Error::Input(m) if m.contains("checksum") => {
                Error::Input(format!("{m} (--force evaluates it all the same)"))
            }
            e => e,
        })?
    }
    .weights;
    let kern = Kernels::best();
    let e = model::fast::errors(&inst, &w, kern);
    let frac = e as f64 / inst.p() as f64;
    if a.json {
        let v = serde_json::json!({
            "densemc_version": densemc::VERSION, "instance": a.instance.to_string_lossy(), "weights": a.weights.to_string_lossy(),
            "n": inst.n(), "p": inst.p(), "k": inst.k(), "activation": inst.activation(),
            "errors": e, "error_fraction": frac, "solution": e == 0, "kernel_path": kern.path().name(),
        });
        outln!("{v}");
    } else {
        outln!(
            "errors {e} of P={} (fraction {frac:.6}){}",
            inst.p(),
            if e == 0 { ": a solution" } else { "" }
        );
    }
    Ok(())
}
