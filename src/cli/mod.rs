//! Command-line parsing and dispatch. No science lives here: each command reads its inputs, calls the
//! library, and prints or writes the result. Errors become one line on stderr and exit code 2 (bad input
//! or I/O) or 3 (a failed internal check).

/// `println!` that returns an I/O error (`?`) instead of panicking when stdout is closed or full.
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::cli::emit(&format!("{}\n", format_args!($($t)*)))?
    };
}

mod analyze;
mod args;
mod bench;
mod eval;
mod generate;
mod info;
mod local_entropy;
mod merge;
mod progress;
mod robustness;
mod solve;
mod sweep;
mod theory;

use clap::{Parser, Subcommand};
use densemc::bits::Kernels;
use densemc::Error;
use std::io::Write;

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
    /// Search for a solution W (E(W) = 0) with focusing replicated annealing (RSA), plain SA or focusing BP (fbp).
    Solve(solve::Args),
    /// Run a grid of searches (N × α × samples × algorithms), one JSON line per task; resumable.
    Sweep(sweep::Args),
    /// Join the results files of one sweep (the shards of `sweep --shard`), checked, in grid order.
    Merge(merge::Args),
    /// Success probability, α_50(N) and its finite-size extrapolation from sweep results; tables and plots.
    Analyze(analyze::Args),
    /// The fixed benchmark suite (kernels, memory bandwidth, SA/RSA proposals/s, thread scaling).
    Bench(bench::Args),
    /// Local energy δE(p), input robustness, distances and hidden-unit overlaps of solutions.
    Robustness(robustness::Args),
    /// Replica theory: capacities α_c (RS, 1RSB) and local entropy S(d) of perceptrons and tree committees.
    Theory(theory::Args),
    /// Local entropy S(d) around a solution: exact enumeration, BP or zero-temperature Monte Carlo.
    LocalEntropy(local_entropy::Args),
    /// Print a shell completion script: `densemc completions bash > ~/.local/share/bash-completion/completions/densemc`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `densemc man > densemc.1`.
    Man,
}

/// The completion script for `shell`, or the man page.
fn manual(shell: Option<clap_complete::Shell>) -> densemc::Result<()> {
    let mut cmd = command();
    let mut buf = Vec::new();
    match shell {
        Some(sh) => clap_complete::generate(sh, &mut cmd, "densemc", &mut buf),
        None => clap_mangen::Man::new(cmd)
            .render(&mut buf)
            .map_err(|e| Error::input(format!("cannot render the man page: {e}")))?,
    }
    emit(&String::from_utf8_lossy(&buf))
}

/// Writes `text` to stdout: a full disk becomes an exit-code-2 error, not a panic. A reader that stopped
/// reading (`densemc info … | head -1`) ends the command quietly, as for other Unix tools.
pub(crate) fn emit(text: &str) -> densemc::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(Error::io(
            std::path::Path::new("stdout"),
            "cannot write the output",
            e,
        )),
    }
}

/// A warning on stderr: `densemc: warning: …`.
pub(crate) fn warn(msg: &str) {
    let _ = writeln!(std::io::stderr(), "densemc: warning: {msg}");
}

/// Warns once per command when figures are written as SVG only (no system font for the PNG text).
pub(crate) fn warn_png() {
    if let Err(w) = densemc::study::plot::png_support() {
        warn(&w);
    }
}

/// clap's own errors as one line with the `densemc:` prefix, exit code 2 (help and version print as usual).
fn usage_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    // clap's message and its hints ("[possible values: …]", "tip: …"), without the usage lines.
    let text = e.render().to_string();
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    let msg = parts.join(" ");
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    let _ = writeln!(
        std::io::stderr(),
        "densemc: error: {msg}; see densemc --help"
    );
    2
}

/// Every option taking a value accepts a negative number as its value (`--beta0 -1`), so that the value
/// reaches our own checks instead of being taken for an unknown flag; so does each subcommand's.
fn negative_numbers(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|a| {
        if a.get_action().takes_values() {
            a.allow_negative_numbers(true)
        } else {
            a
        }
    })
    .mut_subcommands(negative_numbers)
}

/// The command line's grammar (also for completions and the man page).
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory;
    negative_numbers(Cli::command())
}

pub fn run() -> i32 {
    use clap::FromArgMatches;
    let parsed = command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (cli, matches) = match parsed {
        Ok(x) => x,
        Err(e) => return usage_error(e),
    };
    // `solve --resume` needs to know which flags were typed (not defaulted).
    let given = |m: &clap::ArgMatches| -> Vec<String> {
        m.ids()
            // Argument groups (one per flattened struct, named after it) are not flags.
            .filter(|id| !id.as_str().starts_with(|c: char| c.is_ascii_uppercase()))
            .filter(|id| {
                m.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine)
            })
            .map(|id| id.as_str().to_string())
            .collect()
    };
    let solve_given = matches
        .subcommand_matches("solve")
        .map(given)
        .unwrap_or_default();
    let result = Kernels::check_env()
        .map_err(Error::input)
        .and_then(|_| match cli.cmd {
            Cmd::Generate(a) => generate::run(a),
            Cmd::Eval(a) => eval::run(a),
            Cmd::Info(a) => info::run(a),
            Cmd::Solve(a) => solve::run(a, &solve_given),
            Cmd::Sweep(a) => sweep::run(a),
            Cmd::Merge(a) => merge::run(a),
            Cmd::Analyze(a) => analyze::run(a),
            Cmd::Bench(a) => bench::run(a),
            Cmd::Robustness(a) => robustness::run(a),
            Cmd::Theory(a) => theory::run(a),
            Cmd::LocalEntropy(a) => local_entropy::run(a),
            Cmd::Completions { shell } => manual(Some(shell)),
            Cmd::Man => manual(None),
        });
    match result {
        Ok(()) => 0,
        Err(e) => {
            // Not eprintln!: it panics when stderr is closed.
            let _ = writeln!(std::io::stderr(), "densemc: error: {e}");
            e.exit_code()
        }
    }
}
