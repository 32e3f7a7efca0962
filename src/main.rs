//! The `densemc` command: a thin layer over the library (parsing, progress, exit codes).

mod cli;

fn main() {
    std::process::exit(cli::run());
}
