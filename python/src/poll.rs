//! Long runs without the GIL that Ctrl-C can stop: the work runs on a thread of its own while the caller's
//! thread, the only one on which Python runs signal handlers, checks for signals.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// Wall time between two checks for signals.
pub const SIGNAL_POLL: Duration = Duration::from_millis(150);

/// Runs `work` on a scoped thread with the GIL released while this thread checks for signals every
/// [`SIGNAL_POLL`]. A signal's exception (KeyboardInterrupt for Ctrl-C) sets `stop`, which `work` watches
/// to end early, and is returned beside the work's result.
pub fn run_polled<T: Send>(
    py: Python<'_>,
    stop: &AtomicBool,
    work: impl FnOnce() -> T + Send,
) -> (T, Option<PyErr>) {
    py.detach(|| {
        let (tx, rx) = mpsc::channel::<()>();
        std::thread::scope(|s| {
            let worker = s.spawn(move || {
                let r = work();
                let _ = tx.send(());
                r
            });
            let mut signal = None;
            while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(SIGNAL_POLL) {
                if signal.is_none() {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        stop.store(true, Ordering::Relaxed);
                        signal = Some(e);
                    }
                }
            }
            let r = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (r, signal)
        })
    })
}
