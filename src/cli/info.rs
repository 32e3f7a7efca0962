use super::args::NumpyArgs;
use densemc::bits::{Kernels, Path};
use densemc::{fsio, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Instance file: text, binary, .npz, or a .npy of ξ with --labels (numpy files take the architecture
    /// from --k/--activation)
    #[arg(long)]
    pub instance: PathBuf,
    #[command(flatten)]
    pub numpy: NumpyArgs,
}

pub fn run(a: Args) -> Result<()> {
    let inst = a.numpy.read(&a.instance)?;
    outln!("file        {}", a.instance.display());
    outln!("activation  {}", inst.activation());
    outln!("N           {}", inst.n());
    outln!(
        "K           {} (n = N/K = {} inputs per unit)",
        inst.k(),
        inst.arch().unit_len()
    );
    outln!("P           {} (α = P/N = {:.6})", inst.p(), inst.alpha());
    match inst.origin() {
        Some(o) => outln!(
            "origin      seed {} α {} labels {}",
            o.seed,
            o.alpha,
            if o.teacher { "teacher" } else { "random" }
        ),
        None => outln!("origin      unknown"),
    }
    outln!(
        "teacher     {}",
        if inst.teacher().is_some() {
            "kept (W*, checked to give every label)"
        } else {
            "none"
        }
    );
    outln!(
        "memory      {} bit-packed ({} bytes)",
        fsio::human_bytes(inst.memory_bytes()),
        inst.memory_bytes()
    );
    outln!("checksum    {:016x}", inst.checksum());
    let avail: Vec<&str> = Path::available().iter().map(|p| p.name()).collect();
    outln!(
        "kernels     {} (CPU supports {})",
        Kernels::best().path(),
        avail.join(", ")
    );
    Ok(())
}
