//! The networks and how a weight vector is evaluated on an instance.
//!
//! One file per architecture ([`perceptron`], [`tree_sign`], [`tree_relu`], [`fc_sign`]) holds its size
//! rules and wiring ([`Architecture`]) and the rules of its hidden units ([`Units`]): the output field, the
//! error, the integer fields and margin masks kept for the incremental ΔE ([`margins`]), their update after
//! one flip, and the energies. [`Activation`] lists the architectures and `with_arch!` maps one to its type:
//! adding an architecture means a new file, a variant, and an arm there.
//!
//! Evaluation has two implementations answering the same questions: [`reference`](mod@reference), written
//! for clarity over ±1 values (the test oracle), and [`fast`], bit-sliced over the packed columns with the
//! dispatched kernels.
//! [`teacher`] generates instances, with random labels or those of a random teacher network of the same
//! architecture.
//!
//! Layering inside: `instance` needs [`Arch`] (this file, `arch.rs`, the architecture files and `margins.rs`
//! import nothing from `instance`); the evaluators and `teacher.rs` sit above `instance`.

/// Runs `$body` with `$A` the type of architecture `$a` (an [`Activation`]): the one list of architectures.
macro_rules! with_arch {
    ($a:expr, $A:ident => $body:expr) => {
        match $a {
            $crate::model::Activation::Perceptron => {
                type $A = $crate::model::perceptron::Perceptron;
                $body
            }
            $crate::model::Activation::Sign => {
                type $A = $crate::model::tree_sign::TreeSign;
                $body
            }
            $crate::model::Activation::Relu => {
                type $A = $crate::model::tree_relu::TreeRelu;
                $body
            }
            $crate::model::Activation::FcSign => {
                type $A = $crate::model::fc_sign::FcSign;
                $body
            }
        }
    };
}
pub(crate) use with_arch;

/// Runs `$body` with `$U` the hidden-unit rules ([`Units`]) of architecture `$a`.
macro_rules! with_units {
    ($a:expr, $U:ident => $body:expr) => {
        $crate::model::with_arch!($a, Net => {
            type $U = <Net as $crate::model::Architecture>::Units;
            $body
        })
    };
}

mod arch;
pub mod fast;
pub mod fc_sign;
pub mod margins;
pub mod perceptron;
pub mod reference;
pub mod teacher;
pub mod tree_relu;
pub mod tree_sign;

pub use arch::{Activation, Arch, MAX_N};
pub use margins::Margins;
pub use teacher::generate;

use crate::bits::{Kernels, Lane};
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// What E(W) counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnergyKind {
    /// The number of misclassified patterns (ties count for ReLU).
    Errors,
    /// Perceptron only: Σ over violated patterns of the weight flips needed to fix each, (−Δ−1)/2 + 1.
    Linear,
}

/// An architecture: its size rules and wiring. Its hidden units' rules are [`Architecture::Units`].
pub trait Architecture {
    /// The rules of the hidden units.
    type Units: Units;
    /// Whether every hidden unit reads all n = N/K inputs of a pattern (W_{l j} multiplies ξ_j); otherwise
    /// unit l reads its own block of inputs l·n..(l+1)·n.
    const FULLY_CONNECTED: bool = false;
    /// Checks N and K, saying what would be valid when they fail (N is already within 1..=MAX_N).
    fn check(n: usize, k: usize) -> Result<()>;
}

/// The rules of an architecture's hidden units, for evaluation and for the incremental state
/// ([`Margins`]). Unit l's integer field, its *unit lane*, and the optional *output lane* σ·(output field)
/// are kept per pattern; three class masks per unit and two for the output are derived from them, and the
/// ΔE masks A_l, B_l (see `mc::state`) from those.
pub trait Units {
    /// c_l, the fixed second-layer weight of unit l.
    fn c(k: usize, l: usize) -> i32 {
        let _ = (k, l);
        1
    }
    /// The output field of a pattern from its preactivations λ_1..λ_K.
    fn output(k: usize, lambdas: impl Iterator<Item = i32>) -> i32;
    /// Whether label σ and output field `out` make an error.
    fn is_error(sigma: i32, out: i64) -> bool {
        sigma as i64 * out < 0
    }
    /// The largest |output lane| with n inputs per unit, or `None` when no output lanes are kept.
    fn out_max(k: usize, n: usize) -> Option<usize>;
    /// Whether this energy is defined for these units.
    fn has_energy(kind: EnergyKind) -> bool {
        kind == EnergyKind::Errors
    }
    /// The unit lane of a pattern with label σ and preactivation λ_l.
    fn unit_lane(sigma: i32, lambda: i32) -> i32 {
        sigma * lambda
    }
    /// The three class bits of a unit lane value.
    fn unit_classes<L: Lane>(v: L) -> [bool; 3];
    /// The two class bits of an output lane value.
    fn out_classes<L: Lane>(v: L) -> [bool; 2] {
        let _ = v;
        [false; 2]
    }
    /// One word of A_l, B_l from the words of unit l's classes, the output classes and {σ c_l = −1}.
    fn ab(kind: EnergyKind, unit: [u64; 3], out: [u64; 2], sneg: u64) -> (u64, u64);
    /// After W_i (of unit l, multiplying column `col`, word fill `fill` before the flip) flips: updates the
    /// lanes and every mask of `m`. `labels` is the label plane.
    fn flip<L: Lane>(
        m: &mut Margins<L>,
        kern: &Kernels,
        l: usize,
        col: &[u64],
        labels: &[u64],
        fill: u64,
    );
    /// E(W) from the lanes of `m`.
    fn energy<L: Lane>(m: &Margins<L>) -> i64;
}

/// Everything a weight vector produces on the patterns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    pub k: usize,
    pub p: usize,
    /// λ_l^μ = Σ_j W_{l j} ξ_j^μ over unit l's inputs, stored at `l * p + μ`.
    pub hidden: Vec<i32>,
    /// The output field: λ^μ for the perceptron, V^μ = Σ_l sign(λ_l^μ) for sign units, h^μ = Σ_l c_l relu(λ_l^μ)
    /// for ReLU units.
    pub output: Vec<i32>,
    /// E(W): the number of misclassified patterns (σh ≤ 0 counts for ReLU).
    pub errors: u64,
}

impl Fields {
    /// λ_l^μ.
    pub fn hidden(&self, l: usize, mu: usize) -> i32 {
        self.hidden[l * self.p + mu]
    }
}

crate::named!(EnergyKind, "energy" {
    Errors => "errors": "The number of misclassified patterns (ties count for ReLU)",
    Linear => "linear": "Perceptron only: Σ over violated patterns of the weight flips needed to fix each, (−Δ−1)/2 + 1",
});
