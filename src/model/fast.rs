//! The fast evaluator, on the packed columns.
//!
//! [`errors`] never leaves the bit domain: for each stripe of 512 patterns it counts, per pattern, the
//! mismatches d_l^μ = #{i in block l : W_i ξ_i^μ = −1} with a carry-save (Harley–Seal) tree over the
//! columns (`Kernels::vcount`; at large P 16 columns at a time across all stripes, so that the columns
//! stream sequentially), keeps d_l as bit planes, and decides the error with bit-sliced comparisons, since
//! λ_l = n − 2 d_l:
//! - perceptron: λ < 0 ⇔ d ≥ (n+1)/2; error = that XOR (σ = −1);
//! - sign units (tree or fully connected): unit l votes −1 ⇔ d_l ≥ (n+1)/2; τ = −1 ⇔ at least (K+1)/2 such
//!   votes;
//! - ReLU units: relu(λ_l) = 2(n/2 − min(d_l, n/2)), and the constants cancel between the K/2 units with c = +1
//!   and the K/2 with c = −1, so h/2 = Σ_{c=−1} m_l − Σ_{c=+1} m_l with m_l = min(d_l, n/2); the error
//!   σh ≤ 0 is an unsigned comparison of the two sums.
//!
//! A final popcount gives E(W). [`fields`] produces the integers λ_l^μ (lane accumulation) when they
//! are wanted.

use super::{Activation, Fields};
use crate::bits::sliced::{add_into, cmp, ge_const, min_const, Stripe};
use crate::bits::{valid_mask, Kernels, STRIPE};
use crate::instance::Instance;
use crate::weights::Weights;

fn bit_len(x: usize) -> usize {
    (usize::BITS - x.leading_zeros()) as usize
}

/// E(W) by bit-sliced counting (see the module docs).
pub fn errors(inst: &Instance, w: &Weights, kern: &Kernels) -> u64 {
    let arch = inst.arch();
    assert_eq!(w.len(), arch.n, "weights and instance disagree on N");
    let (k, n, p, stride) = (arch.k, arch.unit_len(), inst.p(), inst.stride());
    let nstripes = stride / STRIPE;
    let fills = w.fills();
    let cols = inst.cols();
    // Per-stripe counters d_l (one unit at a time) and, for committees, per-stripe votes or sums.
    let np = bit_len(n).max(4);
    let mut state = vec![[0u64; STRIPE]; nstripes * np];
    let (acc_bits, sum_bits) = (bit_len(k), bit_len(k / 2 * (n / 2)) + 1);
    let sign = matches!(arch.activation, Activation::Sign | Activation::FcSign);
    let mut votes = vec![[0u64; STRIPE]; if sign { nstripes * acc_bits } else { 0 }];
    let relu = arch.activation == Activation::Relu;
    let mut pos = vec![[0u64; STRIPE]; if relu { nstripes * sum_bits } else { 0 }];
    let mut negs = pos.clone();
    let half_up = n.div_ceil(2) as u64;
    let mut total = 0u64;
    for l in 0..k {
        state.iter_mut().for_each(|x| *x = [0; STRIPE]);
        kern.vcount(
            &cols[arch.first_input(l) * stride..],
            stride,
            &fills[l * n..(l + 1) * n],
            &mut state,
        );
        for s in 0..nstripes {
            let planes = &mut state[s * np..(s + 1) * np];
            match arch.activation {
                Activation::Perceptron => {
                    let sigma: Stripe = inst.labels()[s * STRIPE..(s + 1) * STRIPE]
                        .try_into()
                        .unwrap();
                    let neg = ge_const(planes, half_up);
                    let err: Stripe = std::array::from_fn(|j| {
                        (neg[j] ^ sigma[j]) & valid_mask(s * STRIPE + j, p)
                    });
                    total += kern.popcount(&err);
                }
                Activation::Sign | Activation::FcSign => {
                    add_into(
                        &mut votes[s * acc_bits..(s + 1) * acc_bits],
                        &[ge_const(planes, half_up)],
                    );
                }
                Activation::Relu => {
                    min_const(planes, (n / 2) as u64);
                    let acc = if arch.c(l) > 0 { &mut pos } else { &mut negs };
                    add_into(&mut acc[s * sum_bits..(s + 1) * sum_bits], planes);
                }
            }
        }
    }
    if arch.activation != Activation::Perceptron {
        for s in 0..nstripes {
            let sigma: Stripe = inst.labels()[s * STRIPE..(s + 1) * STRIPE]
                .try_into()
                .unwrap();
            let err: Stripe = if relu {
                // h > 0 ⇔ Σ_{c=−1} m > Σ_{c=+1} m.
                let r = s * sum_bits..(s + 1) * sum_bits;
                let (gt, eq) = cmp(&negs[r.clone()], &pos[r]);
                std::array::from_fn(|j| (!sigma[j] & !gt[j]) | (sigma[j] & (gt[j] | eq[j])))
            } else {
                let neg = ge_const(
                    &votes[s * acc_bits..(s + 1) * acc_bits],
                    k.div_ceil(2) as u64,
                );
                std::array::from_fn(|j| neg[j] ^ sigma[j])
            };
            let masked: Stripe = std::array::from_fn(|j| err[j] & valid_mask(s * STRIPE + j, p));
            total += kern.popcount(&masked);
        }
    }
    total
}

/// λ_l^μ, outputs and the error count, by accumulating ±1 lanes column by column.
pub fn fields(inst: &Instance, w: &Weights, kern: &Kernels) -> Fields {
    let arch = inst.arch();
    assert_eq!(w.len(), arch.n, "weights and instance disagree on N");
    let (k, n, p, stride) = (arch.k, arch.unit_len(), inst.p(), inst.stride());
    let mut lanes = vec![0i32; stride * 64];
    let mut hidden = vec![0i32; k * p];
    for l in 0..k {
        lanes.iter_mut().for_each(|x| *x = 0);
        for i in l * n..(l + 1) * n {
            kern.accumulate(&mut lanes, inst.col(arch.input_of(i)), w.fill(i));
        }
        hidden[l * p..(l + 1) * p].copy_from_slice(&lanes[..p]);
    }
    let output: Vec<i32> = (0..p)
        .map(|mu| arch.output((0..k).map(|l| hidden[l * p + mu])))
        .collect();
    let errors = (0..p)
        .filter(|&mu| arch.is_error(inst.sigma(mu) as i32, output[mu] as i64))
        .count() as u64;
    Fields {
        k,
        p,
        hidden,
        output,
        errors,
    }
}
