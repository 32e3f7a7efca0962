//! # densemc
//!
//! Bit-packed Monte Carlo for neural networks with binary weights W_i = ±1 storing random patterns: the
//! binary perceptron and tree committee machines with sign or ReLU hidden units. The science and the symbols
//! are in `docs/models.md`; the layers import only downward:
//!
//! `cli` → `run`, `study` → `solve` (the solver seam) → `mc` (Monte Carlo), `bp` (message passing) → `model`
//! (architectures, evaluation) → `instance` (patterns, files) → leaves (`weights`, `rng`, `names`, `fsio`) → `bits`
//! (kernels); `theory` stands apart. `docs/architecture.md` says what each room holds.
//!
//! ```
//! use densemc::{model::{self, Activation, Arch}, bits::Kernels};
//! let arch = Arch::new(101, 1, Activation::Perceptron).unwrap();
//! let (inst, teacher) = model::generate(arch, 0.5, 42, true).unwrap();
//! // The teacher classifies its own patterns without error.
//! assert_eq!(model::fast::errors(&inst, &teacher.unwrap(), Kernels::best()), 0);
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![allow(
    clippy::needless_range_loop,
    clippy::type_complexity,
    clippy::manual_is_multiple_of
)]

pub mod bench;
pub mod bits;
pub mod bp;
pub mod error;
pub mod fsio;
pub mod instance;
pub mod mc;
pub mod model;
pub mod names;
pub mod online;
pub mod rng;
pub mod run;
pub mod solve;
pub mod study;
pub mod theory;
pub mod weights;

pub use error::{Error, Result};

/// The densemc version, recorded in every result file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
