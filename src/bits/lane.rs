//! Integer lane types for the Monte Carlo's per-pattern fields: `i16` while every field fits (twice the
//! patterns per SIMD register), `i32` beyond (huge N).

use super::Kernels;
use std::fmt::Debug;

/// A lane holding one integer field per pattern.
pub trait Lane: Copy + Default + PartialEq + PartialOrd + Send + Sync + Debug + 'static {
    /// Largest |value| the lane holds.
    const MAX: usize;
    const ZERO: Self;
    const ONE: Self;
    const MONE: Self;
    const TWO: Self;
    fn from_i32(x: i32) -> Self;
    fn to_i32(self) -> i32;
    /// self + d, wrapping (lanes of padding patterns may drift; they are masked out).
    fn wadd(self, d: i32) -> Self;
    /// [`Kernels::update_classify`] for this lane type.
    #[allow(clippy::too_many_arguments)]
    fn update_classify(
        k: &Kernels,
        lanes: &mut [Self],
        col: &[u64],
        lab: &[u64],
        fill: u64,
        eq1: &mut [u64],
        eqm1: &mut [u64],
        neg: &mut [u64],
    );
    /// [`Kernels::relu_update`] for this lane type.
    #[allow(clippy::too_many_arguments)]
    fn relu_update(
        k: &Kernels,
        lam: &mut [Self],
        g: &mut [Self],
        col: &[u64],
        lab: &[u64],
        fill: u64,
        cfill: u64,
        out: [&mut [u64]; 4],
    );
}

macro_rules! lane_impl {
    ($t:ty, $uc:ident, $ru:ident) => {
        impl Lane for $t {
            const MAX: usize = <$t>::MAX as usize;
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const MONE: Self = -1;
            const TWO: Self = 2;
            #[inline(always)]
            fn from_i32(x: i32) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_i32(self) -> i32 {
                self as i32
            }
            #[inline(always)]
            fn wadd(self, d: i32) -> Self {
                self.wrapping_add(d as $t)
            }
            #[inline]
            fn update_classify(
                k: &Kernels,
                lanes: &mut [Self],
                col: &[u64],
                lab: &[u64],
                fill: u64,
                eq1: &mut [u64],
                eqm1: &mut [u64],
                neg: &mut [u64],
            ) {
                (k.$uc)(lanes, col, lab, fill, eq1, eqm1, neg)
            }
            #[inline]
            fn relu_update(
                k: &Kernels,
                lam: &mut [Self],
                g: &mut [Self],
                col: &[u64],
                lab: &[u64],
                fill: u64,
                cfill: u64,
                out: [&mut [u64]; 4],
            ) {
                (k.$ru)(lam, g, col, lab, fill, cfill, out)
            }
        }
    };
}

lane_impl!(i16, update_classify16, relu_update16);
lane_impl!(i32, update_classify32, relu_update32);
