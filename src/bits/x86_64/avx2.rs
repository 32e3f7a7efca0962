//! AVX2 path: the portable bodies of `bits::generic`, compiled with AVX2, POPCNT and BMI enabled.
//!
//! A hand-written AVX2 version of these loops gained nothing measurable over the compiler's vectorisation
//! of the same source (see docs/performance.md), so this module is a recompilation, not a second source:
//! `kernel_set!` (in `bits`) makes one `#[target_feature]` function per kernel whose body is the generic
//! one. Safety (all functions): the CPU must support `avx2`, `popcnt`, `bmi1`, `bmi2` and `lzcnt`; the
//! bodies are safe code, so the shapes need no further promise.

use crate::bits::{generic, DeltaRows, Lane, SiteRows, Stripe};

macro_rules! recompile_generic {
    ($(
        $(#[$doc:meta])*
        fn $name:ident [$($gen:tt)*] ($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;
        check $check:block
    )*) => {
        $(
            #[allow(clippy::too_many_arguments, clippy::unused_unit)]
            #[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
            pub unsafe fn $name<$($gen)*>($($arg: $ty),*) -> $ret {
                generic::$name($($arg),*)
            }
        )*
    };
}

kernel_set!(recompile_generic);
