//! The `densemc` command: a thin layer over the library (parsing, progress, exit codes).

#[macro_use]
mod cli;

fn main() {
    // A file-size limit (RLIMIT_FSIZE) must give the clean "cannot write" error like a full disk, not kill
    // the process with SIGXFSZ: an empty handler makes the write fail with EFBIG instead.
    // SAFETY: the handler does nothing, which is async-signal-safe.
    #[cfg(unix)]
    unsafe {
        let _ = signal_hook::low_level::register(signal_hook::consts::SIGXFSZ, || {});
    }
    std::process::exit(cli::run());
}
