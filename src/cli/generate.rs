use super::args::{named, ArchArgs};
use densemc::instance::{pattern_count, Format, Instance};
use densemc::names::Named;
use densemc::run::output::{check_outputs, Kind, Output};
use densemc::{fsio, model, Result};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// N, the number of binary weights (all hidden units together)
    #[arg(long = "n", value_name = "N")]
    pub n: usize,
    /// α = P/N, patterns per weight (P = round(αN))
    #[arg(long, value_name = "ALPHA")]
    pub alpha: f64,
    #[command(flatten)]
    pub arch: ArchArgs,
    /// Master seed of the instance
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file (written atomically)
    #[arg(long)]
    pub out: PathBuf,
    /// File format: text (interchange), binary (bit-packed, 8× smaller) or npz (numpy arrays xi, sigma and,
    /// with --teacher, teacher) [default: text up to N·P = 10⁸ entries (100 MB of text), binary above]
    #[arg(long, value_parser = named::<Format>())]
    pub format: Option<Format>,
}

/// Above this many entries N·P the default format is binary: the text file would be N·P bytes.
const TEXT_MAX_ENTRIES: u64 = 100_000_000;

pub fn run(a: Args) -> Result<()> {
    let arch = a.arch.arch(a.n)?;
    let out = Output {
        path: &a.out,
        kind: Kind::Instance,
        flag: "--out",
    };
    check_outputs(&[out], &[])?;
    let p = pattern_count(a.n, a.alpha)?;
    // Progress only: a closed stderr must not stop the run.
    let _ = writeln!(
        std::io::stderr(),
        "generating {arch} P={p}: {} in memory",
        fsio::human_bytes(Instance::memory_for(arch.inputs(), p))
    );
    let (inst, _) = model::generate(arch, a.alpha, a.seed, a.arch.teacher)?;
    let format = a
        .format
        .unwrap_or(if a.n as u64 * p as u64 > TEXT_MAX_ENTRIES {
            Format::Binary
        } else {
            Format::Text
        });
    inst.write(&a.out, format)?;
    outln!(
        "wrote {} ({} format{}, {arch} P={p} α={:.4} checksum {:016x})",
        a.out.display(),
        format.name(),
        if inst.teacher().is_some() {
            " with the teacher"
        } else {
            ""
        },
        inst.alpha(),
        inst.checksum()
    );
    Ok(())
}
