//! `densemc.solve`: one search, with the GIL released, Ctrl-C polled, an optional progress callback and
//! per-sweep trace; the search settings by the names of the library's `ConfigSpec`.

use crate::convert::{err, matrix, named, to_py, value_error, weights_array};
use crate::instance::Instance;
use crate::poll::run_polled;
use densemc::mc::{Found, Progress, Sample, Schedule};
use densemc::solve::{solve, Algo, ConfigSpec};
use numpy::ndarray::Array1;
use numpy::IntoPyArray;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The search settings a caller may give, as keyword arguments (the fields of `ConfigSpec`; y is the number
/// of replicas, schedule the path of a schedule table).
pub const SEARCH_PARAMS: [&str; 23] = [
    "y",
    "centre",
    "visit",
    "schedule",
    "beta0",
    "beta1",
    "gamma0",
    "gamma1",
    "ramp",
    "ramp_sweeps",
    "scale_beta",
    "max_sweeps",
    "order",
    "energy",
    "seed",
    "threads",
    "dynamics",
    "no_stop",
    "bp_form",
    "bp_step",
    "bp_damping",
    "bp_epsilon",
    "bp_max_iters",
];

/// A `ConfigSpec` from keyword arguments (None: every default); an unknown keyword is a `TypeError`, a value
/// of the wrong type a `ValueError` naming it.
pub fn spec_from(params: Option<&Bound<'_, PyDict>>) -> PyResult<ConfigSpec> {
    let mut s = ConfigSpec::default();
    let Some(params) = params else {
        return Ok(s);
    };
    for (key, value) in params.iter() {
        let key: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        fn get<'py, T: pyo3::conversion::FromPyObjectOwned<'py>>(
            v: &Bound<'py, PyAny>,
            key: &str,
        ) -> PyResult<T> {
            v.extract::<T>()
                .map_err(|e| value_error(key, Into::<PyErr>::into(e)))
        }
        let text = |v: &Bound<'_, PyAny>| get::<String>(v, &key);
        match key.as_str() {
            "algo" => s.algo = Some(named(&text(&value)?, "algo")?),
            "y" => s.replicas = Some(get(&value, &key)?),
            "centre" => s.centre = Some(named(&text(&value)?, "centre")?),
            "visit" => s.visit = Some(named(&text(&value)?, "visit")?),
            "schedule" => {
                let p: PathBuf = get(&value, &key)?;
                s.schedule = Some(Schedule::read(&p).map_err(err)?);
            }
            "beta0" => s.beta0 = Some(get(&value, &key)?),
            "beta1" => s.beta1 = Some(get(&value, &key)?),
            "gamma0" => s.gamma0 = Some(get(&value, &key)?),
            "gamma1" => s.gamma1 = Some(get(&value, &key)?),
            "ramp" => s.ramp = Some(named(&text(&value)?, "ramp")?),
            "ramp_sweeps" => s.ramp_sweeps = Some(get(&value, &key)?),
            "scale_beta" => s.scale_beta = Some(get(&value, &key)?),
            "max_sweeps" => s.max_sweeps = Some(get(&value, &key)?),
            "order" => s.order = Some(named(&text(&value)?, "order")?),
            "energy" => s.energy = Some(named(&text(&value)?, "energy")?),
            "seed" => s.seed = Some(get(&value, &key)?),
            "threads" => s.threads = Some(get(&value, &key)?),
            "dynamics" => s.dynamics = Some(named(&text(&value)?, "dynamics")?),
            "no_stop" => s.no_stop = Some(get(&value, &key)?),
            "bp_form" => s.bp_form = Some(named(&text(&value)?, "bp_form")?),
            "bp_step" => s.bp_step = Some(get(&value, &key)?),
            "bp_damping" => s.bp_damping = Some(get(&value, &key)?),
            "bp_epsilon" => s.bp_epsilon = Some(get(&value, &key)?),
            "bp_max_iters" => s.bp_max_iters = Some(get(&value, &key)?),
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unknown search parameter {other:?}: use {}",
                    SEARCH_PARAMS.join(", ")
                )))
            }
        }
    }
    Ok(s)
}

/// What a run's observer keeps between sweeps: the stop flag set on Ctrl-C, the progress callback and its
/// clock, the trace, and the exception of a raising callback.
struct Watch<'s> {
    stop: &'s AtomicBool,
    last_progress: Instant,
    every: Duration,
    progress: Option<Py<PyAny>>,
    trace: Option<Vec<Sample>>,
    error: Option<PyErr>,
}

impl Watch<'_> {
    /// Called after every sweep, without the GIL; false stops the run.
    fn see(&mut self, p: &Progress) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        if let Some(t) = self.trace.as_mut() {
            t.push(p.sample());
        }
        let Some(cb) = &self.progress else {
            return true;
        };
        let now = Instant::now();
        if now.duration_since(self.last_progress) < self.every {
            return true;
        }
        self.last_progress = now;
        let called = Python::attach(|py| -> PyResult<()> {
            let d = PyDict::new(py);
            d.set_item("sweep", p.sweep)?;
            d.set_item("beta", p.beta)?;
            d.set_item("gamma", p.gamma)?;
            d.set_item("energies", p.energies.to_vec())?;
            d.set_item("centre_energy", p.centre_energy)?;
            d.set_item("proposals", p.proposals)?;
            cb.call1(py, (d,))?;
            Ok(())
        });
        match called {
            Ok(()) => true,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }
}

/// The outcome of `densemc.solve`.
///
/// weights: W (int8, shape (N,)), the solution or the lowest-energy replica; replicas: the final W^a of all
/// y replicas (int8, shape (y, N)); centre: RSA's centre (int8, shape (N,)) or None; energy: E of `weights`
/// in the run's energy kind; errors: its misclassified patterns (recounted from scratch); energies: the
/// final E of each replica; record: the result record as `densemc solve --out` writes it; trace: with
/// `trace=True`, numpy columns per sweep (sweep, beta, gamma, energies (sweeps, y), proposals, accepted, and
/// for RSA centre_energy, overlap).
#[pyclass(name = "Result", module = "densemc", frozen, get_all)]
pub struct SolveResult {
    solved: bool,
    /// "replica" or "centre" (who found the solution), None when unsolved or for fbp.
    found: Option<&'static str>,
    replica: Option<usize>,
    weights: Py<PyAny>,
    replicas: Py<PyAny>,
    centre: Option<Py<PyAny>>,
    energy: i64,
    errors: u64,
    energies: Vec<i64>,
    centre_errors: Option<u64>,
    sweeps: u64,
    seconds: f64,
    record: Py<PyAny>,
    trace: Option<Py<PyAny>>,
}

#[pymethods]
impl SolveResult {
    fn __repr__(&self) -> String {
        format!(
            "Result(solved={}, errors={}, energy={}, sweeps={})",
            if self.solved { "True" } else { "False" },
            self.errors,
            self.energy,
            self.sweeps
        )
    }
}

/// The trace rows as numpy columns.
fn trace_columns<'py>(py: Python<'py>, rows: &[Sample], y: usize) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let col = |f: fn(&Sample) -> u64| Array1::from_iter(rows.iter().map(f)).into_pyarray(py);
    let colf = |f: fn(&Sample) -> f64| Array1::from_iter(rows.iter().map(f)).into_pyarray(py);
    d.set_item("sweep", col(|s| s.sweep))?;
    d.set_item("beta", colf(|s| s.beta))?;
    d.set_item("gamma", colf(|s| s.gamma))?;
    d.set_item(
        "energies",
        matrix(py, rows.iter().map(|s| s.energies.clone()).collect(), y),
    )?;
    if rows.first().is_some_and(|s| s.centre_energy.is_some()) {
        let c = Array1::from_iter(rows.iter().map(|s| s.centre_energy.unwrap_or(-1)));
        d.set_item("centre_energy", c.into_pyarray(py))?;
    }
    if rows.first().is_some_and(|s| s.overlap.is_some()) {
        d.set_item("overlap", colf(|s| s.overlap.unwrap_or(f64::NAN)))?;
    }
    d.set_item("proposals", col(|s| s.proposals))?;
    d.set_item("accepted", col(|s| s.accepted))?;
    Ok(d)
}

/// Searches `inst` for a solution W (E(W) = 0) with `algo`: "rsa" (replicated annealing on the robust
/// ensemble of y replicas coupled by γ: finds dense solutions), "sa" (simulated annealing) or "fbp"
/// (focusing BP). The keyword arguments are the search settings (y, beta0 = β₀, beta1 = β₁, gamma0 = γ₀,
/// gamma1 = γ₁, max_sweeps, seed, threads, energy, dynamics, no_stop, bp_*, …) with the CLI's defaults;
/// the same seed gives the same result as `densemc solve`, whatever `threads`.
///
/// The GIL is released during the run; Ctrl-C stops it and raises KeyboardInterrupt. `progress`, if given,
/// is called with a dict (sweep, beta, gamma, energies, centre_energy, proposals) at most every
/// `progress_every` seconds; an exception it raises stops the run and propagates. `trace=True` keeps one row
/// per sweep (Monte Carlo solvers only).
#[pyfunction]
#[pyo3(name = "solve", signature = (inst, algo="rsa", *, trace=false, progress=None, progress_every=1.0, **params))]
pub fn solve_py(
    py: Python<'_>,
    inst: &Instance,
    algo: &str,
    trace: bool,
    progress: Option<Py<PyAny>>,
    progress_every: f64,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<SolveResult> {
    if !(progress_every.is_finite() && progress_every >= 0.0) {
        return Err(value_error(
            "progress_every",
            format!("must be a number of seconds ≥ 0 (got {progress_every})"),
        ));
    }
    let spec = ConfigSpec {
        algo: Some(named::<Algo>(algo, "algo")?),
        ..spec_from(params)?
    };
    let cfg = spec.resolve(inst.inner.activation()).map_err(err)?;
    let stop = AtomicBool::new(false);
    let mut watch = Watch {
        stop: &stop,
        last_progress: Instant::now(),
        every: Duration::from_secs_f64(progress_every),
        progress,
        trace: trace.then(Vec::new),
        error: None,
    };
    let file = inst.file.clone();
    let (report, signal) = run_polled(py, &stop, || {
        solve(&inst.inner, file, &cfg, &mut |p: &Progress| watch.see(p))
    });
    if let Some(e) = signal.or(watch.error.take()) {
        return Err(e);
    }
    let report = report.map_err(err)?;
    // Teacher–student instances: R and ε_g on fresh teacher patterns, as `densemc solve` records them.
    let generalization = densemc::run::records::generalization(
        &inst.inner,
        &report,
        densemc::model::teacher::TEST_PATTERNS,
    )
    .map_err(err)?;
    let (found, replica) = match report.found {
        Some(Found::Centre) => (Some("centre"), None),
        Some(Found::Replica(r)) => (Some("replica"), Some(r)),
        None => (None, report.replica),
    };
    let n = inst.inner.n();
    let centre = match &report.centre {
        Some(c) => Some(densemc::weights::Weights::parse_pm(&c.weights, n, "centre").map_err(err)?),
        None => None,
    };
    let best = densemc::weights::Weights::parse_pm(&report.weights, n, "weights").map_err(err)?;
    Ok(SolveResult {
        solved: report.solved,
        found,
        replica,
        weights: weights_array(py, &best).unbind(),
        replicas: matrix(py, report.replicas.iter().map(|w| w.signs()).collect(), n).unbind(),
        centre: centre.map(|w| weights_array(py, &w).unbind()),
        energy: report.energy,
        errors: report.errors,
        energies: report.replica_energies.clone(),
        centre_errors: report.centre.as_ref().map(|c| c.errors),
        sweeps: report.sweeps,
        seconds: report.seconds,
        record: {
            let record = to_py(py, &report)?;
            if let Some(g) = &generalization {
                record.set_item("generalization", to_py(py, g)?)?;
            }
            record.unbind()
        },
        trace: match &watch.trace {
            Some(rows) => Some(trace_columns(py, rows, cfg.y())?.into_any().unbind()),
            None => None,
        },
    })
}
