//! `densemc.sweep`: a grid of searches, N × α × samples × algorithms, with the tasks, seeds and records of
//! `densemc sweep` (the library's `run::plan` and `run::pool::run_task`), in memory instead of a file.

use crate::convert::{err, named, to_py, value_error};
use crate::instance::activation_of;
use crate::poll::run_polled;
use crate::run::spec_from;
use crate::study::grid;
use densemc::mc::Progress;
use densemc::run::plan::Plan;
use densemc::run::pool::run_task_observed;
use densemc::run::records::TaskRecord;
use densemc::solve::{Algo, ConfigSpec};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Integers from an int or a sequence of ints.
fn sizes(v: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    if let Ok(n) = v.extract::<usize>() {
        return Ok(vec![n]);
    }
    v.extract::<Vec<usize>>()
        .map_err(|_| value_error("n", "expected an int or a sequence of ints"))
}

/// Algorithm names from one name or a sequence of them.
fn algos(v: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Algo>> {
    let Some(v) = v else {
        return Ok(vec![Algo::Rsa]);
    };
    let names: Vec<String> = if v.is_instance_of::<PyString>() {
        let s: String = v.extract()?;
        s.split(',').map(|x| x.trim().to_string()).collect()
    } else {
        v.extract()
            .map_err(|_| value_error("algos", "expected a name or a sequence of names"))?
    };
    names.iter().map(|a| named::<Algo>(a, "algos")).collect()
}

/// Runs every task of the grid and returns their records (dicts, in grid order: N, then α, then sample,
/// then algorithm), the lines `densemc sweep --out` writes for the same arguments (only the timings
/// differ). Task (N, α, s) runs with its own seed S (its record's "seed"), so
/// `solve(Instance.generate(N, α, seed=S, …), algo, seed=S, …)` re-runs it alone.
///
/// n: N values (int or sequence); alpha: α values (float, sequence or "START:STOP:STEP"); samples:
/// instances per (N, α); algos: "rsa", "sa", "fbp" or a sequence (all on the same instances; the bp_*
/// settings apply to fbp); the keyword arguments are the search settings of `solve` (seed is the master
/// seed; threads the tasks run at once, each single-threaded: the results do not depend on it).
/// keep_weights: add W (and RSA's centre) to each record as '+'/'-' text. progress: called with each
/// record as it finishes. The GIL is released; Ctrl-C stops the sweep (the running tasks at their next
/// sweep) and raises KeyboardInterrupt.
#[pyfunction]
#[pyo3(signature = (n, alpha, samples=10, algos=None, *, k=1, activation="perceptron", fully_connected=false, teacher=false, keep_weights=false, progress=None, **params))]
#[allow(clippy::too_many_arguments)]
pub fn sweep<'py>(
    py: Python<'py>,
    n: &Bound<'py, PyAny>,
    alpha: &Bound<'py, PyAny>,
    samples: usize,
    algos: Option<&Bound<'py, PyAny>>,
    k: usize,
    activation: &str,
    fully_connected: bool,
    teacher: bool,
    keep_weights: bool,
    progress: Option<Py<PyAny>>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyList>> {
    let activation = activation_of(activation, fully_connected)?;
    let spec = spec_from(params)?;
    if spec.algo.is_some() {
        return Err(PyTypeError::new_err("give the algorithms as algos=…"));
    }
    let seed = spec.seed.unwrap_or(densemc::solve::defaults::SEED);
    let threads = spec.threads.unwrap_or(1);
    let searches = self::algos(algos)?
        .into_iter()
        .map(|algo| {
            let s = ConfigSpec {
                seed: Some(0),
                threads: Some(1),
                ..spec.for_algo(algo)
            };
            s.resolve(activation)
        })
        .collect::<densemc::Result<Vec<_>>>()
        .map_err(err)?;
    let plan = Plan {
        k,
        activation,
        teacher,
        ns: sizes(n)?,
        alphas: grid(alpha, "alpha")?,
        samples,
        searches,
        seed,
        test_patterns: densemc::model::teacher::TEST_PATTERNS,
    };
    plan.validate(threads).map_err(err)?;
    let tasks = plan.tasks();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| value_error("threads", format!("cannot start {threads} threads: {e}")))?;
    let stop = AtomicBool::new(false);
    // The first error of a task or of the callback; it stops the other tasks too.
    let failure: Mutex<Option<PyErr>> = Mutex::new(None);
    let fail = |e: PyErr| {
        stop.store(true, Ordering::Relaxed);
        failure.lock().expect("failure").get_or_insert(e);
    };
    let (records, signal) = run_polled(py, &stop, || {
        pool.install(|| {
            tasks
                .par_iter()
                .with_max_len(1)
                .map(|t| {
                    if stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    let mut go_on = |_: &Progress| !stop.load(Ordering::Relaxed);
                    let r = match run_task_observed(&plan, t, keep_weights, &mut go_on) {
                        Ok(r) => r,
                        Err(e) => {
                            fail(err(e));
                            return None;
                        }
                    };
                    if let Some(cb) = &progress {
                        let called =
                            Python::attach(|py| cb.call1(py, (to_py(py, &r)?,)).map(|_| ()));
                        if let Err(e) = called {
                            fail(e);
                        }
                    }
                    Some(r)
                })
                .collect::<Vec<Option<TaskRecord>>>()
        })
    });
    if let Some(e) = signal.or(failure.into_inner().expect("failure")) {
        return Err(e);
    }
    let out = PyList::empty(py);
    for r in records.into_iter().flatten() {
        out.append(to_py(py, &r)?)?;
    }
    Ok(out)
}
