//! Message passing for the binary perceptron and the committee machines: focusing BP as a solver, its relaxed
//! AMP form (perceptron), and the local entropy around a configuration by BP with an external field
//! (perceptron and sign committees). The equations and the names beside the
//! symbols are in `docs/bp.md`.
//!
//! - [`perceptron`]: full BP, one message per (pattern, weight), Gaussian or exact cavity sums;
//! - [`amp`]: the relaxed AMP/TAP form, O(N + P) memory beyond the instance;
//! - [`committee`]: full BP for committees: tree with sign or ReLU units, fully connected with sign units
//!   (Gaussian unit fields; exact output node for sign units, a mixture approximation for ReLU units);
//! - [`messages`]: the variable side both share and the focusing term;
//! - [`focusing`]: the protocols (pseudo-reinforcement, scoping, free scoping, standard reinforcement) and
//!   [`solve`];
//! - [`entropy`]: the local-entropy curve S(d) by a Legendre transform of the Bethe free entropy;
//! - [`exact`]: exact enumeration at tiny N, the oracle of the tests;
//! - [`special`]: Gaussian tail functions in log form.
//!
//! ```
//! use densemc::{model::{self, Arch, Activation}, bp};
//! let arch = Arch::new(201, 1, Activation::Perceptron).unwrap();
//! let (inst, _) = model::generate(arch, 0.3, 7, false).unwrap();
//! let out = bp::solve(&inst, &bp::Params::default()).unwrap();
//! assert!(out.solved && out.errors == 0);
//! ```

pub mod amp;
pub mod committee;
pub mod entropy;
pub mod exact;
pub mod focusing;
pub mod messages;
pub mod perceptron;
pub mod special;

pub use entropy::{local_entropy, EntropyParams, EntropyPoint};
pub use focusing::{solve, Form, Outcome, Params, Protocol};
pub use messages::Focus;
pub use perceptron::FactorRule;
