//! `densemc.eval`, `densemc.robustness` and `densemc.local_entropy`: measurements of given weights.

use crate::convert::{err, matrix, named, to_py, value_error, weights};
use crate::instance::Instance;
use densemc::bp::EntropyParams;
use densemc::solve::recount;
use densemc::study::grid::parse_f64_grid;
use densemc::study::local_entropy::{self as le, McParams, Method, Params};
use densemc::study::robustness::{self as rb, Point, Subject};
use numpy::ndarray::Array1;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

/// E(W), the number of patterns that the weights W (int8 or bool, shape (N,)) misclassify, counted by the
/// reference evaluator.
#[pyfunction]
pub fn eval(py: Python<'_>, inst: &Instance, weights: &Bound<'_, PyAny>) -> PyResult<u64> {
    let w = self::weights(weights, inst.inner.n(), "weights")?;
    Ok(py.detach(|| recount(&inst.inner, &w)))
}

/// A grid given as an optional argument, `default` (the CLI's text form) when absent.
fn grid_or(v: Option<&Bound<'_, PyAny>>, default: &str, what: &str) -> PyResult<Vec<f64>> {
    match v {
        Some(v) => grid(v, what),
        None => parse_f64_grid(default, what).map_err(err),
    }
}

/// A grid of numbers: a sequence, or the CLI's text form ("START:STOP:STEP" or "a,b,c").
pub fn grid(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<f64>> {
    if v.is_instance_of::<PyString>() {
        return parse_f64_grid(&v.extract::<String>()?, what).map_err(err);
    }
    v.extract::<Vec<f64>>().map_err(|_| {
        value_error(
            what,
            "expected a sequence of numbers or a \"START:STOP:STEP\" string",
        )
    })
}

/// A rayon pool of `threads` threads.
fn pool(threads: usize) -> PyResult<rayon::ThreadPool> {
    if threads == 0 {
        return Err(value_error("threads", "must be at least 1"));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| value_error("threads", format!("cannot start {threads} threads: {e}")))
}

/// How the training error fraction grows under perturbations of the weights and of the patterns, as
/// `densemc robustness` measures it.
///
/// weights: a dict {label: W} or a list of W (labelled "0", "1", …), each int8 or bool of shape (N,);
/// p_grid: the fractions p (sequence or "START:STOP:STEP"); draws: random flip sets (perturbed copies) per
/// p, shared by all weight vectors; seed: their seed. Returns a dict: labels, p, errors (E(W) of each), and
/// [vector][p] arrays local_energy (δE(p), the error fraction after flipping round(pN) weights),
/// local_energy_se, inputs (the error fraction after flipping each ξ_i^μ with probability p), inputs_se;
/// distances d between the vectors; hidden (K > 1: the overlaps q_lm of each vector's hidden units).
#[pyfunction]
#[pyo3(signature = (inst, weights, p_grid=None, draws=100, seed=1, threads=1))]
pub fn robustness<'py>(
    py: Python<'py>,
    inst: &Instance,
    weights: &Bound<'py, PyAny>,
    p_grid: Option<&Bound<'py, PyAny>>,
    draws: usize,
    seed: u64,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let n = inst.inner.n();
    let mut subjects = Vec::new();
    if let Ok(d) = weights.cast::<PyDict>() {
        for (k, v) in d.iter() {
            let label: String = k.str()?.to_string();
            let w = self::weights(&v, n, &format!("weights[{label:?}]"))?;
            subjects.push(Subject { label, weights: w });
        }
    } else if let Ok(l) = weights.cast::<PyList>() {
        for (i, v) in l.iter().enumerate() {
            let w = self::weights(&v, n, &format!("weights[{i}]"))?;
            subjects.push(Subject {
                label: i.to_string(),
                weights: w,
            });
        }
    } else {
        return Err(value_error(
            "weights",
            "expected a dict {label: W} or a list of W (numpy int8 arrays of shape (N,))",
        ));
    }
    let ps = grid_or(p_grid, "0:0.5:0.01", "p_grid")?;
    let pool = pool(threads)?;
    let r = py
        .detach(|| pool.install(|| rb::measure(&inst.inner, &subjects, &ps, draws, seed)))
        .map_err(err)?;
    let means = |c: &[Vec<Point>], se: bool| -> Vec<Vec<f64>> {
        c.iter()
            .map(|row| row.iter().map(|q| if se { q.se } else { q.mean }).collect())
            .collect()
    };
    let d = PyDict::new(py);
    d.set_item("labels", r.labels.clone())?;
    d.set_item("p", Array1::from(ps.clone()).into_pyarray(py))?;
    d.set_item("patterns", r.patterns)?;
    d.set_item("errors", r.errors.clone())?;
    d.set_item("draws", r.draws)?;
    d.set_item(
        "local_energy",
        matrix(py, means(&r.weights, false), ps.len()),
    )?;
    d.set_item(
        "local_energy_se",
        matrix(py, means(&r.weights, true), ps.len()),
    )?;
    d.set_item("inputs", matrix(py, means(&r.inputs, false), ps.len()))?;
    d.set_item("inputs_se", matrix(py, means(&r.inputs, true), ps.len()))?;
    d.set_item("distances", matrix(py, r.distances.clone(), subjects.len()))?;
    let hidden: Vec<Bound<'_, PyAny>> = r
        .hidden
        .iter()
        .map(|q| matrix(py, q.clone(), inst.inner.k()))
        .collect();
    d.set_item(
        "hidden",
        if hidden.is_empty() {
            None
        } else {
            Some(hidden)
        },
    )?;
    Ok(d)
}

/// The local entropy S(W̃, d) = (1/N) ln #{solutions at distance dN from W̃} around a solution W̃
/// (`reference`, int8 or bool of shape (N,)), as `densemc local-entropy` measures it.
///
/// method: "bp" (BP with a field γW̃, perceptron), "mc" (zero-temperature Monte Carlo, any network) or
/// "exact" (enumeration, perceptron with N ≤ 30); gammas: the couplings γ; d_grid: the distances d at
/// which S is interpolated; sweeps, burn_in: per γ (mc); seed: of the BP messages or the chain. Returns the
/// command's JSON document as a dict (d, s, gamma, phi, q, d_grid, s_grid, …).
#[pyfunction]
#[pyo3(signature = (inst, reference, method="bp", gammas=None, d_grid=None, sweeps=2000, burn_in=200, seed=1))]
#[allow(clippy::too_many_arguments)]
pub fn local_entropy<'py>(
    py: Python<'py>,
    inst: &Instance,
    reference: &Bound<'py, PyAny>,
    method: &str,
    gammas: Option<&Bound<'py, PyAny>>,
    d_grid: Option<&Bound<'py, PyAny>>,
    sweeps: usize,
    burn_in: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let w = weights(reference, inst.inner.n(), "reference")?;
    let params = Params {
        method: named::<Method>(method, "method")?,
        gammas: grid_or(gammas, "0:4:0.05", "gammas")?,
        d_grid: grid_or(d_grid, "0.02:0.3:0.02", "d_grid")?,
        bp: EntropyParams {
            seed,
            ..Default::default()
        },
        mc: McParams {
            sweeps,
            burn_in,
            seed,
        },
    };
    let curve = py
        .detach(|| le::measure(&inst.inner, &w, &params))
        .map_err(err)?;
    to_py(py, &curve.json())
}
