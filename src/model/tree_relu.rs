//! The tree committee machine with ReLU units: h = Σ_l c_l max(0, λ_l), c_l = +1 for the first K/2 units and
//! −1 for the rest; K even, n = N/K even (so λ_l is even); σh ≤ 0 is an error (a tie counts).
//!
//! Margins: unit lanes hold λ_l itself, with classes {λ_l ≥ 0}, {λ_l = 0}; one output lane σh with classes
//! {σh = 0}, {σh = 2}. λ_l moves by ±2, so σh moves by 0 or ±2 and only the patterns with σh = 2 (at risk) or
//! σh = 0 (a tie, fixable) can change state. With s = σ c_l:
//! A_l = {σh = 2} ∩ {λ_l ≥ 0} ∩ ({s = −1} ∪ {λ_l ≠ 0}), B_l = {σh = 0} ∩ {λ_l ≥ 0} ∩ ({s = +1} ∪ {λ_l ≠ 0}).
//! A flip in unit l updates its lanes and σh in one kernel pass; then every A_u, B_u is rebuilt.

use super::arch::nearest_sizes;
use super::margins::{mask_padding, Margins};
use super::{Architecture, EnergyKind, Units};
use crate::bits::{Kernels, Lane};
use crate::error::{Error, Result};

pub struct TreeRelu;

impl Architecture for TreeRelu {
    type Units = TreeRelu;

    fn check(n: usize, k: usize) -> Result<()> {
        if k == 0 || k % 2 != 0 {
            return Err(Error::input(format!(
                "relu units need K even so that half the units have c_l=+1 and half c_l=-1, e.g. 2, 4 or 8 (got K={k})"
            )));
        }
        if n % k != 0 || (n / k) % 2 != 0 {
            return Err(Error::input(format!(
                "relu units with K={k} need N divisible by K with N/K even (got N={n}): try {}",
                nearest_sizes(n, k, 0)
            )));
        }
        Ok(())
    }
}

impl Units for TreeRelu {
    fn c(k: usize, l: usize) -> i32 {
        if l >= k / 2 {
            -1
        } else {
            1
        }
    }

    fn output(k: usize, lambdas: impl Iterator<Item = i32>) -> i32 {
        lambdas
            .enumerate()
            .map(|(l, x)| Self::c(k, l) * x.max(0))
            .sum()
    }

    fn is_error(sigma: i32, out: i64) -> bool {
        sigma as i64 * out <= 0
    }

    fn out_max(k: usize, n: usize) -> Option<usize> {
        Some(k / 2 * n)
    }

    fn unit_lane(_sigma: i32, lambda: i32) -> i32 {
        lambda
    }

    fn unit_classes<L: Lane>(v: L) -> [bool; 3] {
        [v >= L::ZERO, v == L::ZERO, false]
    }

    fn out_classes<L: Lane>(v: L) -> [bool; 2] {
        [v == L::ZERO, v == L::TWO]
    }

    #[inline(always)]
    fn ab(_kind: EnergyKind, [ge0, z, _]: [u64; 3], [h0, h2]: [u64; 2], sneg: u64) -> (u64, u64) {
        (h2 & ge0 & (sneg | !z), h0 & ge0 & (!sneg | !z))
    }

    fn flip<L: Lane>(
        m: &mut Margins<L>,
        kern: &Kernels,
        l: usize,
        col: &[u64],
        labels: &[u64],
        fill: u64,
    ) {
        let (s, p, len) = (m.stride, m.p, m.stride * 64);
        let rows = l * s..(l + 1) * s;
        kern.relu_update(
            &mut m.lanes[l * len..(l + 1) * len],
            &mut m.out,
            col,
            labels,
            fill,
            m.cneg[l],
            [
                &mut m.eq1[rows.clone()],
                &mut m.eqm1[rows.clone()],
                &mut m.o1,
                &mut m.o2,
            ],
        );
        mask_padding(&mut m.eq1[rows.clone()], p);
        mask_padding(&mut m.eqm1[rows], p);
        mask_padding(&mut m.o1, p);
        mask_padding(&mut m.o2, p);
        for u in 0..m.arch.k {
            m.rebuild_ab::<Self>(u, 0, s, labels);
        }
    }

    fn energy<L: Lane>(m: &Margins<L>) -> i64 {
        m.out[..m.p].iter().filter(|&&v| v <= L::ZERO).count() as i64
    }
}
