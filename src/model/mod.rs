//! Evaluating a weight vector on an instance: errors, hidden preactivations λ_l^μ and output fields.
//!
//! Two implementations answer the same questions: [`reference`], written for clarity over ±1 values (the
//! test oracle), and [`fast`], bit-sliced over the packed columns with the dispatched kernels. [`teacher`]
//! relabels an instance with a random teacher network of the same architecture.

pub mod fast;
pub mod reference;
pub mod teacher;

use crate::arch::Arch;
use crate::error::Result;
use crate::instance::{generate_random, Instance};
use crate::weights::Weights;

/// Everything a weight vector produces on the patterns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    pub k: usize,
    pub p: usize,
    /// λ_l^μ = Σ_{i in block l} W_i ξ_i^μ, stored at `l * p + μ`.
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

/// Output field from the hidden preactivations of one pattern.
pub fn output_of(arch: &Arch, lambdas: impl Iterator<Item = i32>) -> i32 {
    match arch.activation {
        crate::arch::Activation::Perceptron => lambdas.sum(),
        crate::arch::Activation::Sign => lambdas.map(|l| l.signum()).sum(),
        crate::arch::Activation::Relu => {
            lambdas.enumerate().map(|(l, x)| arch.c(l) * x.max(0)).sum()
        }
    }
}

/// A generated instance: random labels, or (with `teacher`) labels from a random teacher, returned too.
pub fn generate(
    arch: Arch,
    alpha: f64,
    seed: u64,
    teacher: bool,
) -> Result<(Instance, Option<Weights>)> {
    let mut inst = generate_random(arch, alpha, seed)?;
    let t = if teacher {
        Some(teacher::relabel(&mut inst, seed)?)
    } else {
        None
    };
    Ok((inst, t))
}
