//! The binary perceptron: σ = sign(λ), λ = Σ_i W_i ξ_i, K = 1 and N odd so that λ is never 0.
//!
//! Margins: the unit lane holds Δ = σλ, with classes {Δ = +1}, {Δ = −1}, {Δ < 0}; no output lanes.
//! - error count: A = {Δ = +1} (the patterns a flip against them makes errors), B = {Δ = −1} (those it fixes);
//! - minimal-flip ("linear") energy Σ_{Δ<0} ((−Δ−1)/2 + 1): every violated pattern moves by ±1, so
//!   A = {Δ ≤ 1} = {Δ = +1} ∪ {Δ < 0}, B = {Δ ≤ −1} = {Δ < 0}.

use super::arch::nearest_sizes;
use super::margins::{margin_classes, mask_padding, Margins};
use super::{Architecture, EnergyKind, Units};
use crate::bits::{Kernels, Lane};
use crate::error::{Error, Result};

pub struct Perceptron;

impl Architecture for Perceptron {
    type Units = Perceptron;

    fn check(n: usize, k: usize) -> Result<()> {
        if k != 1 {
            return Err(Error::input(format!(
                "the perceptron has K=1 (got K={k}); for K>1 use --activation sign or relu"
            )));
        }
        if n % 2 == 0 {
            return Err(Error::input(format!(
                "the binary perceptron needs N odd so that Σ W_i ξ_i is never 0 (got N={n}): try {}",
                nearest_sizes(n, 1, 1)
            )));
        }
        Ok(())
    }
}

impl Units for Perceptron {
    fn output(_k: usize, lambdas: impl Iterator<Item = i32>) -> i32 {
        lambdas.sum()
    }

    fn out_max(_k: usize, _n: usize) -> Option<usize> {
        None
    }

    fn has_energy(_kind: EnergyKind) -> bool {
        true
    }

    fn unit_classes<L: Lane>(v: L) -> [bool; 3] {
        margin_classes(v)
    }

    #[inline(always)]
    fn ab(kind: EnergyKind, [e1, em1, neg]: [u64; 3], _out: [u64; 2], _sneg: u64) -> (u64, u64) {
        match kind {
            EnergyKind::Errors => (e1, em1),
            EnergyKind::Linear => (e1 | neg, neg),
        }
    }

    fn flip<L: Lane>(
        m: &mut Margins<L>,
        kern: &Kernels,
        _l: usize,
        col: &[u64],
        labels: &[u64],
        fill: u64,
    ) {
        kern.update_classify(
            &mut m.lanes,
            col,
            labels,
            fill,
            &mut m.eq1,
            &mut m.eqm1,
            &mut m.neg,
        );
        for row in [&mut m.eq1, &mut m.eqm1, &mut m.neg] {
            mask_padding(row, m.p);
        }
        if m.kind == EnergyKind::Errors {
            // A = {Δ = +1}, B = {Δ = −1}: the class masks themselves.
            m.a.copy_from_slice(&m.eq1);
            m.b.copy_from_slice(&m.eqm1);
        } else {
            m.rebuild_ab::<Self>(0, 0, m.stride, labels);
        }
    }

    fn energy<L: Lane>(m: &Margins<L>) -> i64 {
        let lanes = &m.lanes[..m.p];
        match m.kind {
            EnergyKind::Errors => lanes.iter().filter(|&&d| d < L::ZERO).count() as i64,
            EnergyKind::Linear => lanes
                .iter()
                .map(|d| d.to_i32() as i64)
                .filter(|&d| d < 0)
                .map(|d| (-d + 1) / 2)
                .sum(),
        }
    }
}
