//! The Python module `densemc._densemc` (re-exported as `densemc`): a thin layer over the library crate.
//! Arrays cross as numpy int8 (±1) arrays; settings cross by the library's parameter names; every library
//! error becomes a `ValueError` with the library's message. Long runs release the GIL and poll for Ctrl-C.

mod convert;
mod instance;
mod poll;
mod run;
mod study;
mod sweep;

use pyo3::prelude::*;

#[pymodule]
fn _densemc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", densemc::VERSION)?;
    m.add_class::<instance::Instance>()?;
    m.add_class::<run::SolveResult>()?;
    m.add_function(wrap_pyfunction!(run::solve_py, m)?)?;
    m.add_function(wrap_pyfunction!(study::eval, m)?)?;
    m.add_function(wrap_pyfunction!(study::robustness, m)?)?;
    m.add_function(wrap_pyfunction!(study::local_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep, m)?)?;
    Ok(())
}
