use densemc::{bench, Result};
use std::io::Write;

#[derive(clap::Args)]
pub struct Args {
    /// A shorter run: N = 10³ and 10⁴ only, shorter measurements, time to solution of the perceptron at
    /// N = 1001 only
    #[arg(long)]
    pub quick: bool,
    /// Print the report as JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<()> {
    let report = bench::run(a.quick, &mut |what| {
        let _ = write!(std::io::stderr(), "\r\x1b[2Kmeasuring {what}…");
    })?;
    let _ = writeln!(std::io::stderr(), "\r\x1b[2K");
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serialises")
        );
    } else {
        outln!("{}", bench::table(&report));
    }
    Ok(())
}
