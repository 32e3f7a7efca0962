//! # densemc
//!
//! Bit-packed Monte Carlo for neural networks with binary weights W_i = ±1 storing random patterns: the
//! binary perceptron and tree committee machines with sign or ReLU hidden units. The science and the symbols
//! are in `docs/models.md`; the layers import only downward:
//!
//! `mc` (Monte Carlo) → `model` (evaluation) → `instance` (patterns, files) → `arch`, `weights` → `bits` (kernels)
//!
//! ```
//! use densemc::{arch::{Arch, Activation}, model, bits::Kernels};
//! let arch = Arch::new(101, 1, Activation::Perceptron).unwrap();
//! let (inst, teacher) = model::generate(arch, 0.5, 42, true).unwrap();
//! // The teacher classifies its own patterns without error.
//! assert_eq!(model::fast::errors(&inst, &teacher.unwrap(), Kernels::best()), 0);
//! ```

#![allow(
    clippy::needless_range_loop,
    clippy::type_complexity,
    clippy::manual_is_multiple_of
)]

pub mod arch;
pub mod bench;
pub mod bits;
pub mod bp;
pub mod checkpoint;
pub mod error;
pub mod fsio;
pub mod instance;
pub mod mc;
pub mod model;
pub mod rng;
pub mod solve;
pub mod study;
pub mod weights;

pub use error::{Error, Result};

/// The densemc version, recorded in every result file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
