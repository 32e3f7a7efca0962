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
    println!("file        {}", a.instance.display());
    println!("activation  {}", inst.activation());
    println!("N           {}", inst.n());
    println!(
        "K           {} (n = N/K = {} inputs per unit)",
        inst.k(),
        inst.arch().unit_len()
    );
    println!("P           {} (α = P/N = {:.6})", inst.p(), inst.alpha());
    match inst.origin() {
        Some(o) => println!(
            "origin      seed {} α {} labels {}",
            o.seed,
            o.alpha,
            if o.teacher { "teacher" } else { "random" }
        ),
        None => println!("origin      unknown"),
    }
    println!(
        "memory      {} bit-packed ({} bytes)",
        fsio::human_bytes(inst.memory_bytes()),
        inst.memory_bytes()
    );
    println!("checksum    {:016x}", inst.checksum());
    let avail: Vec<&str> = Path::available().iter().map(|p| p.name()).collect();
    println!(
        "kernels     {} (CPU supports {})",
        Kernels::best().path(),
        avail.join(", ")
    );
    Ok(())
}
