//! Progress on stderr. On a terminal indicatif draws its bar; off a terminal (a batch job's log, a pipe)
//! the bar draws nothing and `solve` and `sweep` print one plain line every `--progress-every` seconds
//! instead, formatted here.

use densemc::mc::Progress;
use densemc::{Error, Result};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Default of `--progress-every`.
pub const DEFAULT_EVERY: f64 = 10.0;

/// When the next plain line is due: never with `--quiet` or on a terminal (the bar is drawn there).
pub struct Lines {
    every: Option<Duration>,
    last: Instant,
}

impl Lines {
    /// `every` is `--progress-every` (seconds, checked here).
    pub fn new(every: f64, quiet: bool) -> Result<Lines> {
        if !(every.is_finite() && every > 0.0) {
            return Err(Error::input(format!(
                "--progress-every {every}: give a positive number of seconds"
            )));
        }
        let on = !quiet && !std::io::stderr().is_terminal();
        Ok(Lines {
            every: on.then(|| Duration::from_secs_f64(every)),
            last: Instant::now(),
        })
    }

    /// The interval, when plain lines are printed at all.
    pub fn every(&self) -> Option<Duration> {
        self.every
    }

    /// Whether a line is due now (then the next one is due an interval later).
    pub fn due(&mut self) -> bool {
        match self.every {
            Some(e) if self.last.elapsed() >= e => {
                self.last = Instant::now();
                true
            }
            _ => false,
        }
    }
}

/// Runs `work`, printing `line()` every `every` meanwhile (from a second thread; nothing when `None`).
pub fn every<T>(
    every: Option<Duration>,
    line: impl Fn() -> String + Sync,
    work: impl FnOnce() -> T,
) -> T {
    let Some(every) = every else { return work() };
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let line = &line;
    std::thread::scope(|s| {
        s.spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every)
            {
                print(&line());
            }
        });
        let out = work();
        drop(stop);
        out
    })
}

/// Writes one line to stderr (a closed stderr is ignored, as for the other messages).
pub fn print(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A duration as `1h02m03s`, `4m05s` or `6s`.
pub fn hms(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "?".into();
    }
    let s = seconds.round() as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}s")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

/// The time left when `done` of `total` took `elapsed` seconds (at the same pace).
fn eta(done: f64, total: f64, elapsed: f64) -> String {
    if done <= 0.0 {
        return "?".into();
    }
    hms(elapsed * (total - done).max(0.0) / done)
}

/// One `solve` line: `densemc solve: sweep 120/20000 β=0.612 γ=0.134 E_best=3 E_centre=5 1.2e8 proposals/s
/// elapsed 10s ETA 27m35s`. `done` is the sweeps run in this process (for the pace) and `max_sweeps` the
/// budget; the ETA is to the budget (a run usually stops earlier, at a solution).
pub fn solve_line(p: &Progress, max_sweeps: u64, done: u64, elapsed: f64) -> String {
    let best = p.energies.iter().min().copied().unwrap_or(0);
    let centre = p
        .centre_energy
        .map_or(String::new(), |c| format!(" E_centre={c}"));
    let rate = p.proposals as f64 / elapsed.max(1e-9);
    format!(
        "densemc solve: sweep {}/{max_sweeps} β={:.4} γ={:.4} E_best={best}{centre} {rate:.3e} proposals/s elapsed {} ETA {}",
        p.sweep,
        p.beta,
        p.gamma,
        hms(elapsed),
        eta(
            done as f64,
            (done + max_sweeps.saturating_sub(p.sweep)) as f64,
            elapsed
        )
    )
}

/// One `sweep` line: `densemc sweep: 12/40 tasks, 9 solved, 0.8 tasks/min elapsed 15m00s ETA 35m00s`.
/// `done` and `total` count the tasks of this run (not those already in the results file).
pub fn sweep_line(
    recorded: usize,
    done: usize,
    total: usize,
    solved: usize,
    elapsed: f64,
) -> String {
    let per_min = done as f64 * 60.0 / elapsed.max(1e-9);
    format!(
        "densemc sweep: {}/{} tasks, {solved} solved, {per_min:.3} tasks/min elapsed {} ETA {}",
        recorded + done,
        recorded + total,
        hms(elapsed),
        eta(done as f64, total as f64, elapsed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(hms(0.4), "0s");
        assert_eq!(hms(65.0), "1m05s");
        assert_eq!(hms(3723.0), "1h02m03s");
        assert_eq!(hms(f64::NAN), "?");
        assert_eq!(eta(0.0, 10.0, 5.0), "?");
        assert_eq!(eta(2.0, 10.0, 10.0), "40s");
    }

    #[test]
    fn sweep_lines() {
        let l = sweep_line(3, 2, 10, 4, 60.0);
        assert!(
            l.starts_with("densemc sweep: 5/13 tasks, 4 solved, 2.000 tasks/min"),
            "{l}"
        );
        assert!(l.ends_with("elapsed 1m00s ETA 4m00s"), "{l}");
    }
}
