use densemc::bits::{Kernels, Path};
use densemc::instance::Instance;
use densemc::{fsio, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Instance file (text or binary)
    #[arg(long)]
    pub instance: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let inst = Instance::read(&a.instance)?;
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
