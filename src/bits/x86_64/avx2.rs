//! AVX2 path: the portable bodies of `bits::generic`, compiled with AVX2, POPCNT and BMI enabled.
//!
//! A hand-written AVX2 version of these loops gained nothing measurable over the compiler's vectorisation
//! of the same source (see docs/performance.md), so this module is a recompilation, not a second source.
//! Safety (all functions): the CPU must support `avx2`, `popcnt`, `bmi1` and `bmi2`.

use crate::bits::{generic, DeltaRows, Lane, SiteRows, STRIPE};

#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
pub unsafe fn delta(a: &[u64], b: &[u64], col: &[u64], lab: &[u64], fill: u64) -> i64 {
    generic::delta(a, b, col, lab, fill)
}

#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
pub unsafe fn scan<F: FnMut(usize, i64) -> bool>(
    rows: &DeltaRows,
    sites: &[usize],
    accept: F,
) -> Option<(usize, i64)> {
    generic::scan(rows, sites, accept)
}

#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
pub unsafe fn delta_each(
    reps: &[SiteRows],
    col: &[u64],
    lab: &[u64],
    next: Option<&[u64]>,
    out: &mut [i64],
) {
    generic::delta_each(reps, col, lab, next, out)
}

#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
pub unsafe fn popcount(words: &[u64]) -> u64 {
    generic::popcount(words)
}

#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
pub unsafe fn update_classify<L: Lane>(
    lanes: &mut [L],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    eq1: &mut [u64],
    eqm1: &mut [u64],
    neg: &mut [u64],
) {
    generic::update_classify(lanes, col, lab, fill, eq1, eqm1, neg)
}

#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
pub unsafe fn relu_update<L: Lane>(
    lam: &mut [L],
    g: &mut [L],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    cfill: u64,
    out: [&mut [u64]; 4],
) {
    generic::relu_update(lam, g, col, lab, fill, cfill, out)
}

#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
pub unsafe fn accumulate(lanes: &mut [i32], bits: &[u64], fill: u64) {
    generic::accumulate(lanes, bits, fill)
}

#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
pub unsafe fn vcount(cols: &[u64], stride: usize, fills: &[u64], state: &mut [[u64; STRIPE]]) {
    generic::vcount(cols, stride, fills, state)
}

/// The i16 and i32 instantiations the kernel table points at.
pub unsafe fn update_classify16(
    v: &mut [i16],
    c: &[u64],
    l: &[u64],
    f: u64,
    a: &mut [u64],
    b: &mut [u64],
    n: &mut [u64],
) {
    update_classify(v, c, l, f, a, b, n)
}
pub unsafe fn update_classify32(
    v: &mut [i32],
    c: &[u64],
    l: &[u64],
    f: u64,
    a: &mut [u64],
    b: &mut [u64],
    n: &mut [u64],
) {
    update_classify(v, c, l, f, a, b, n)
}
pub unsafe fn relu_update16(
    v: &mut [i16],
    g: &mut [i16],
    c: &[u64],
    l: &[u64],
    f: u64,
    cf: u64,
    o: [&mut [u64]; 4],
) {
    relu_update(v, g, c, l, f, cf, o)
}
pub unsafe fn relu_update32(
    v: &mut [i32],
    g: &mut [i32],
    c: &[u64],
    l: &[u64],
    f: u64,
    cf: u64,
    o: [&mut [u64]; 4],
) {
    relu_update(v, g, c, l, f, cf, o)
}
