//! The fully connected committee machine with sign units (the model of BinaryCommitteeMachineFBP.jl):
//! τ = sign(Σ_l sign(λ_l)), λ_l = Σ_{j=1..n} W_{l j} ξ_j, every one of the K units seeing all n inputs of a
//! pattern; N = K·n weights, W_{l j} stored at i = l·n + j. K odd so that the vote never ties, n odd so that
//! no λ_l is 0.
//!
//! Only the wiring differs from the tree committee: a pattern has n inputs, not N, and weight i multiplies
//! column ξ_{i mod n}. Given that column, the margins, the update after a flip and the energy are the sign
//! units' rules of [`super::tree_sign`]: unit l's masks with column j.

use super::tree_sign::{check_sign_sizes, TreeSign};
use super::Architecture;
use crate::error::Result;

pub struct FcSign;

impl Architecture for FcSign {
    type Units = TreeSign;
    const FULLY_CONNECTED: bool = true;

    fn check(n: usize, k: usize) -> Result<()> {
        check_sign_sizes(n, k, "fully connected sign units")
    }
}
