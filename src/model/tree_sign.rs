//! The tree committee machine with sign units: τ = sign(V), V = Σ_l sign(λ_l), λ_l = Σ_{i in block l} W_i ξ_i;
//! K odd so that the vote never ties and n = N/K odd so that no λ_l is 0.
//!
//! Margins: unit lanes Δ_l = σλ_l with the perceptron's classes {Δ_l = +1}, {Δ_l = −1}, {Δ_l < 0}; one
//! output lane σV with classes {σV = +1}, {σV = −1}. Only a unit at its margin whose vote decides the output
//! matters: A_l = {Δ_l = +1} ∩ {σV = +1}, B_l = {Δ_l = −1} ∩ {σV = −1}. After a flip in unit l, σV moves by ∓2
//! at the patterns whose vote of unit l changed (few: walked bit by bit), and A_u, B_u of the other units
//! change only in those words.

use super::arch::nearest_sizes;
use super::margins::{margin_classes, mask_padding, Margins};
use super::{Architecture, EnergyKind, Units};
use crate::bits::{Kernels, Lane};
use crate::error::{Error, Result};

pub struct TreeSign;

/// The size rules of sign units: K odd, n = N/K odd (`what` names the architecture in messages).
pub(super) fn check_sign_sizes(n: usize, k: usize, what: &str) -> Result<()> {
    if k == 0 || k % 2 != 1 {
        return Err(Error::input(format!(
            "{what} need K odd so that the majority vote never ties, e.g. 3 or 5 (got K={k})"
        )));
    }
    if n % k != 0 || (n / k) % 2 != 1 {
        return Err(Error::input(format!(
            "{what} with K={k} need N divisible by K with N/K odd (got N={n}): try {}",
            nearest_sizes(n, k, 1)
        )));
    }
    Ok(())
}

impl Architecture for TreeSign {
    type Units = TreeSign;

    fn check(n: usize, k: usize) -> Result<()> {
        check_sign_sizes(n, k, "sign units")
    }
}

impl Units for TreeSign {
    fn output(_k: usize, lambdas: impl Iterator<Item = i32>) -> i32 {
        lambdas.map(|l| l.signum()).sum()
    }

    fn out_max(k: usize, _n: usize) -> Option<usize> {
        Some(k)
    }

    fn unit_classes<L: Lane>(v: L) -> [bool; 3] {
        margin_classes(v)
    }

    fn out_classes<L: Lane>(v: L) -> [bool; 2] {
        [v == L::ONE, v == L::MONE]
    }

    #[inline(always)]
    fn ab(_kind: EnergyKind, [e1, em1, _]: [u64; 3], [o1, o2]: [u64; 2], _sneg: u64) -> (u64, u64) {
        (e1 & o1, em1 & o2)
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
        m.scratch.copy_from_slice(&m.neg[rows.clone()]);
        kern.update_classify(
            &mut m.lanes[l * len..(l + 1) * len],
            col,
            labels,
            fill,
            &mut m.eq1[rows.clone()],
            &mut m.eqm1[rows.clone()],
            &mut m.neg[rows.clone()],
        );
        for row in [&mut m.eq1, &mut m.eqm1, &mut m.neg] {
            mask_padding(&mut row[rows.clone()], p);
        }
        // Patterns whose vote of unit l changed: σV moves by ∓2, sparse bit by bit.
        for w in 0..s {
            let now = m.neg[l * s + w];
            let mut changed = m.scratch[w] ^ now;
            if changed == 0 {
                continue;
            }
            while changed != 0 {
                let j = changed.trailing_zeros() as usize;
                changed &= changed - 1;
                let v = &mut m.out[w * 64 + j];
                *v = v.wadd(if (now >> j) & 1 == 1 { -2 } else { 2 });
                let bit = 1u64 << j;
                m.o1[w] = (m.o1[w] & !bit) | if *v == L::ONE { bit } else { 0 };
                m.o2[w] = (m.o2[w] & !bit) | if *v == L::MONE { bit } else { 0 };
            }
            for u in 0..m.arch.k {
                if u != l {
                    m.rebuild_ab::<Self>(u, w, w + 1, labels);
                }
            }
        }
        m.rebuild_ab::<Self>(l, 0, s, labels);
    }

    fn energy<L: Lane>(m: &Margins<L>) -> i64 {
        m.out[..m.p].iter().filter(|&&v| v < L::ZERO).count() as i64
    }
}
