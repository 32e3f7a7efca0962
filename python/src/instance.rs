//! `densemc.Instance`: P patterns ξ^μ with labels σ^μ, generated, read from a file or taken from numpy.

use crate::convert::{err, matrix, named, signs, value_error, weights_array};
use densemc::instance::{self, Format};
use densemc::model::{self, Activation, Arch};
use densemc::run::output::{check_outputs, Kind, Output};
use densemc::weights::Weights;
use numpy::ndarray::Array1;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use std::path::PathBuf;

/// A storage problem: P patterns ξ^μ ∈ {±1}^N (or n = N/K inputs for the fully connected committee) with
/// labels σ^μ = ±1, for a network of N binary weights W_i = ±1 in K hidden units.
///
/// Make one with `Instance.generate`, `Instance.from_numpy` or `Instance.read`.
#[pyclass(name = "Instance", module = "densemc", frozen)]
pub struct Instance {
    pub inner: instance::Instance,
    /// The file it was read from (recorded in results as the CLI does).
    pub file: Option<String>,
    /// The teacher W* whose outputs are the labels (generated with `teacher=True`).
    pub teacher: Option<Weights>,
}

/// The activation named `activation`, with `fully_connected` applied.
pub fn activation_of(activation: &str, fully_connected: bool) -> PyResult<Activation> {
    let a: Activation = named(activation, "activation")?;
    if fully_connected {
        a.fully_connected().map_err(err)
    } else {
        Ok(a)
    }
}

#[pymethods]
impl Instance {
    /// A random instance of P = round(αN) patterns from `seed`, as `densemc generate` makes it.
    ///
    /// n: N, the number of weights (all K hidden units together); alpha: α = P/N; k: K, the hidden units;
    /// activation: "perceptron" (K = 1, N odd), "sign" (K odd, N/K odd) or "relu" (K even, N/K even);
    /// fully_connected: with "sign", every unit sees all n = N/K inputs; teacher: labels σ^μ from a
    /// random teacher W* of the same architecture (kept as `.teacher`), so that a solution exists.
    #[staticmethod]
    #[pyo3(signature = (n, alpha, k=1, activation="perceptron", fully_connected=false, teacher=false, seed=1))]
    #[allow(clippy::too_many_arguments)]
    fn generate(
        py: Python<'_>,
        n: usize,
        alpha: f64,
        k: usize,
        activation: &str,
        fully_connected: bool,
        teacher: bool,
        seed: u64,
    ) -> PyResult<Self> {
        let arch = Arch::new(n, k, activation_of(activation, fully_connected)?).map_err(err)?;
        let (inner, teacher) = py
            .detach(|| model::generate(arch, alpha, seed, teacher))
            .map_err(err)?;
        Ok(Instance {
            inner,
            file: None,
            teacher,
        })
    }

    /// An instance from arrays: ξ of shape (P, inputs) and σ of shape (P,), each int8 with entries ±1 or
    /// bool (True = +1). inputs is N for the perceptron and the tree committees, n = N/K for the fully
    /// connected one (`activation="sign", fully_connected=True`).
    #[staticmethod]
    #[pyo3(signature = (xi, sigma, k=1, activation="perceptron", fully_connected=false))]
    fn from_numpy(
        xi: &Bound<'_, PyAny>,
        sigma: &Bound<'_, PyAny>,
        k: usize,
        activation: &str,
        fully_connected: bool,
    ) -> PyResult<Self> {
        let act = activation_of(activation, fully_connected)?;
        let (xs, xv) = signs(xi, "xi")?;
        let (ss, sv) = signs(sigma, "sigma")?;
        if xs.len() != 2 {
            return Err(value_error(
                "xi",
                format!("expected a 2-D array of shape (P, inputs), got shape {xs:?}"),
            ));
        }
        if ss.len() != 1 {
            return Err(value_error(
                "sigma",
                format!("expected a 1-D array of shape (P,), got shape {ss:?}"),
            ));
        }
        let (p, inputs) = (xs[0], xs[1]);
        if ss[0] != p {
            return Err(value_error(
                "sigma",
                format!("{} labels for P={p} patterns (xi has {p} rows)", ss[0]),
            ));
        }
        if p == 0 {
            return Err(value_error(
                "xi",
                "no patterns (P=0): give at least one row",
            ));
        }
        let n = if act.is_fully_connected() {
            inputs * k
        } else {
            inputs
        };
        let arch = Arch::new(n, k, act).map_err(|e| err(e.context("xi")))?;
        let mut inner = instance::Instance::zeroed(arch, p).map_err(err)?;
        for mu in 0..p {
            for j in 0..inputs {
                inner.set_xi(j, mu, xv[mu * inputs + j]);
            }
            inner.set_sigma(mu, sv[mu]);
        }
        Ok(Instance {
            inner,
            file: None,
            teacher: None,
        })
    }

    /// Reads an instance file (text or binary, as `densemc generate` writes them).
    #[staticmethod]
    fn read(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| instance::Instance::read(&path)).map_err(err)?;
        Ok(Instance {
            inner,
            file: Some(path.display().to_string()),
            teacher: None,
        })
    }

    /// Writes the instance atomically, format "binary" or "text". A file densemc did not write is never
    /// replaced.
    #[pyo3(signature = (path, format="binary"))]
    fn write(&self, py: Python<'_>, path: PathBuf, format: &str) -> PyResult<()> {
        let format: Format = named(format, "format")?;
        let out = Output {
            path: &path,
            kind: Kind::Instance,
            flag: "path",
        };
        check_outputs(&[out], &[]).map_err(err)?;
        py.detach(|| self.inner.write(&path, format)).map_err(err)
    }

    /// (ξ, σ): int8 arrays of shape (P, inputs) and (P,), entries ±1.
    fn to_numpy<'py>(&self, py: Python<'py>) -> (Bound<'py, PyAny>, Bound<'py, PyAny>) {
        let inst = &self.inner;
        let rows: Vec<Vec<i8>> = (0..inst.p())
            .map(|mu| (0..inst.inputs()).map(|j| inst.xi(j, mu)).collect())
            .collect();
        let sigma: Vec<i8> = (0..inst.p()).map(|mu| inst.sigma(mu)).collect();
        (
            matrix(py, rows, inst.inputs()),
            Array1::from(sigma).into_pyarray(py).into_any(),
        )
    }

    /// N, the number of weights.
    #[getter]
    fn n(&self) -> usize {
        self.inner.n()
    }
    /// Inputs per pattern: N, or n = N/K for the fully connected committee.
    #[getter]
    fn inputs(&self) -> usize {
        self.inner.inputs()
    }
    /// P, the number of patterns.
    #[getter]
    fn p(&self) -> usize {
        self.inner.p()
    }
    /// K, the number of hidden units.
    #[getter]
    fn k(&self) -> usize {
        self.inner.k()
    }
    /// α = P/N.
    #[getter]
    fn alpha(&self) -> f64 {
        self.inner.alpha()
    }
    /// "perceptron", "sign", "relu" or "fc-sign" (the fully connected committee).
    #[getter]
    fn activation(&self) -> &'static str {
        self.inner.activation().name()
    }
    /// The content checksum (16 hex digits), as in result records and `densemc info`.
    #[getter]
    fn checksum(&self) -> String {
        format!("{:016x}", self.inner.checksum())
    }
    /// The teacher W* (int8, shape (N,)) when generated with `teacher=True`, else None.
    #[getter]
    fn teacher<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.teacher.as_ref().map(|w| weights_array(py, w))
    }

    fn __repr__(&self) -> String {
        format!(
            "Instance({} P={} α={:.4} checksum {})",
            self.inner.arch(),
            self.inner.p(),
            self.inner.alpha(),
            self.checksum()
        )
    }
}
