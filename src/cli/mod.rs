//! Command-line parsing and dispatch. No science lives here: each command reads its inputs, calls the
//! library, and prints or writes the result. Errors become one line on stderr and exit code 2 (bad input
//! or I/O) or 3 (a failed internal check).

mod eval;
mod generate;
mod info;

use clap::{Parser, Subcommand};
use densemc::bits::Kernels;
use densemc::Error;

#[derive(Parser)]
#[command(
    name = "densemc",
    version,
    about = "Monte Carlo for binary-weight networks (perceptron, tree committee machines with sign or ReLU units)",
    long_about = "densemc stores P = αN random patterns ξ^μ ∈ {±1}^N with labels σ^μ in networks with binary weights \
W_i = ±1, bit-packed so that preactivations are XOR + popcount, and searches for solutions.\n\n\
Kernels are picked at run time (AVX-512, AVX2, portable); set DENSEMC_PATH=generic|avx2|avx512 to pin one."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate a random instance (patterns ξ, labels σ) from a seed and write it to a file.
    Generate(generate::Args),
    /// Count the errors E(W) of a weight vector W on an instance.
    Eval(eval::Args),
    /// Print an instance's sizes, memory and checksum.
    Info(info::Args),
}

pub fn run() -> i32 {
    let cli = Cli::parse();
    let result = Kernels::check_env()
        .map_err(Error::input)
        .and_then(|_| match cli.cmd {
            Cmd::Generate(a) => generate::run(a),
            Cmd::Eval(a) => eval::run(a),
            Cmd::Info(a) => info::run(a),
        });
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("densemc: error: {e}");
            e.exit_code()
        }
    }
}
