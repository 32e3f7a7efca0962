//! What crosses the boundary: library errors as Python exceptions, ±1 numpy arrays both ways, enum values by
//! name, JSON values as Python objects.

use densemc::names::Named;
use densemc::weights::Weights;
use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// A library error as a Python exception: bad input or I/O → `ValueError`, a failed internal check →
/// `RuntimeError`; the message is the library's.
pub fn err(e: densemc::Error) -> PyErr {
    match e {
        densemc::Error::Bug(_) => PyRuntimeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// `value` named by `what` in a `ValueError`.
pub fn value_error(what: &str, msg: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{what}: {msg}"))
}

/// A library enum from its name; the error names the parameter.
pub fn named<T: Named>(s: &str, param: &str) -> PyResult<T> {
    T::from_name(s).map_err(|e| err(e.context(param)))
}

/// The entries of a ±1 array of any shape, row-major, with its shape. Only numpy arrays of dtype int8
/// (values −1, +1) or bool (True = +1, False = −1) are taken; anything else is refused naming `what`.
pub fn signs(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(Vec<usize>, Vec<i8>)> {
    let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
        value_error(
            what,
            format!(
                "expected a numpy array of dtype int8 (±1) or bool, got {}",
                obj.get_type().name().map_or("?".into(), |n| n.to_string())
            ),
        )
    })?;
    let shape = arr.shape().to_vec();
    if let Ok(a) = obj.cast::<PyArrayDyn<i8>>() {
        let ro = a.readonly();
        let v: Vec<i8> = ro.as_array().iter().copied().collect();
        if let Some((i, x)) = v.iter().enumerate().find(|(_, &x)| x != 1 && x != -1) {
            let at = unravel(i, &shape);
            return Err(value_error(
                what,
                format!("entries must be +1 or -1, found {x} at index {at:?}"),
            ));
        }
        return Ok((shape, v));
    }
    if let Ok(a) = obj.cast::<PyArrayDyn<bool>>() {
        let ro = a.readonly();
        let v = ro
            .as_array()
            .iter()
            .map(|&b| if b { 1 } else { -1 })
            .collect();
        return Ok((shape, v));
    }
    Err(value_error(
        what,
        format!(
            "expected dtype int8 (±1) or bool, got {} (convert with .astype(numpy.int8))",
            arr.dtype()
        ),
    ))
}

/// The index tuple of flat position `i` in `shape` (row-major).
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut at = vec![0; shape.len()];
    for (d, &s) in shape.iter().enumerate().rev() {
        if s > 0 {
            at[d] = i % s;
            i /= s;
        }
    }
    at
}

/// A weight vector W from a 1-D ±1 array of N entries.
pub fn weights(obj: &Bound<'_, PyAny>, n: usize, what: &str) -> PyResult<Weights> {
    let (shape, v) = signs(obj, what)?;
    if shape.len() != 1 || shape[0] != n {
        return Err(value_error(
            what,
            format!("expected shape ({n},) for N={n} weights, got {shape:?}"),
        ));
    }
    Ok(Weights::from_signs(&v))
}

/// W as a 1-D int8 array.
pub fn weights_array<'py>(py: Python<'py>, w: &Weights) -> Bound<'py, PyAny> {
    Array1::from(w.signs()).into_pyarray(py).into_any()
}

/// Rows of equal length as a 2-D array (`cols` gives the width when there are no rows).
pub fn matrix<'py, T: numpy::Element>(
    py: Python<'py>,
    rows: Vec<Vec<T>>,
    cols: usize,
) -> Bound<'py, PyAny> {
    let r = rows.len();
    let c = rows.first().map_or(cols, |x| x.len());
    let flat: Vec<T> = rows.into_iter().flatten().collect();
    Array2::from_shape_vec((r, c), flat)
        .expect("rows of equal length")
        .into_pyarray(py)
        .into_any()
}

/// A serializable value as the Python object `json.loads` makes of it (dicts, lists, numbers, None).
pub fn to_py<'py, T: serde::Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(v).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}
