//! Integer lane types for the Monte Carlo's per-pattern fields: `i16` while every field fits (twice the
//! patterns per SIMD register), `i32` beyond (huge N).

use std::fmt::Debug;

/// A lane slice as its concrete type, for paths with one kernel per lane width.
pub enum Lanes<'a> {
    I16(&'a mut [i16]),
    I32(&'a mut [i32]),
}

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
    /// The slice as its concrete type.
    fn view(lanes: &mut [Self]) -> Lanes<'_>;
}

macro_rules! lane_impl {
    ($t:ty, $variant:ident) => {
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
            #[inline(always)]
            fn view(lanes: &mut [Self]) -> Lanes<'_> {
                Lanes::$variant(lanes)
            }
        }
    };
}

lane_impl!(i16, I16);
lane_impl!(i32, I32);
