//! Portable kernels: plain `u64` and `i16` code, the scalar path and the oracle for the SIMD paths.
//!
//! Each kernel is an `#[inline(always)]` body; `x86_64::avx2` recompiles the same bodies inside
//! `#[target_feature]` functions, so the compiler vectorises them for AVX2 without a second source.
//! The shapes are those of [`layout`](super::layout) (checked by [`Kernels`](super::Kernels) before it
//! calls in); called directly, these bodies are safe for any input and panic on shapes they cannot walk.

use super::carry_save::step16;
use super::{DeltaRows, Lane, SiteRows, Stripe, STRIPE};

/// How many proposals ahead the column is prefetched.
pub const PREFETCH_AHEAD: usize = 2;

/// Prefetches `words` into the cache (a hint: no effect on results; nothing on other architectures).
#[inline(always)]
pub fn prefetch(words: &[u64]) {
    #[cfg(target_arch = "x86_64")]
    for line in words.chunks(8) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch of an address inside a live slice; SSE is in the x86-64 baseline.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = words;
}

/// ΔE kernel: Σ_w popcnt(a_w & !y_w) − popcnt(b_w & y_w), with y = col ^ lab ^ fill.
#[inline(always)]
pub fn delta(a: &[u64], b: &[u64], col: &[u64], lab: &[u64], fill: u64) -> i64 {
    let mut up = 0u64;
    let mut down = 0u64;
    for (((&a, &b), &c), &l) in a.iter().zip(b).zip(col).zip(lab) {
        let y = c ^ l ^ fill;
        up += (a & !y).count_ones() as u64;
        down += (b & y).count_ones() as u64;
    }
    up as i64 - down as i64
}

/// A run of proposals at `sites`, in order: hands ΔE of each (by [`delta`]) to `accept(i, ΔE_i)` until it
/// returns true, and returns that proposal's position in `sites` and its ΔE; `None` when all are rejected.
#[inline(always)]
pub fn scan<F: FnMut(usize, i64) -> bool>(
    rows: &DeltaRows,
    sites: &[usize],
    mut accept: F,
) -> Option<(usize, i64)> {
    for (k, &i) in sites.iter().enumerate() {
        match sites.get(k + PREFETCH_AHEAD) {
            Some(&next) if rows.prefetch() => rows.col(next).map_or((), prefetch),
            _ => {}
        }
        let (a, b, col, fill) = rows.site(i);
        let de = delta(a, b, col, rows.labels(), fill);
        if accept(i, de) {
            return Some((k, de));
        }
    }
    None
}

/// ΔE of flipping one site in each replica: `out[r]` = [`delta`] of (`reps[r].a`, `reps[r].b`, `col`,
/// `lab`, `reps[r].fill`). `next` (the next site's column) is prefetched first.
#[inline(always)]
pub fn delta_each(
    reps: &[SiteRows],
    col: &[u64],
    lab: &[u64],
    next: Option<&[u64]>,
    out: &mut [i64],
) {
    if let Some(nx) = next {
        prefetch(nx);
    }
    for (o, r) in out.iter_mut().zip(reps) {
        *o = delta(r.a, r.b, col, lab, r.fill);
    }
}

/// Total number of set bits.
#[inline(always)]
pub fn popcount(words: &[u64]) -> u64 {
    words.iter().map(|w| w.count_ones() as u64).sum()
}

/// Stability update of one unit plus its margin classes, for the perceptron and sign units.
///
/// Lane μ moves by +2 where bit μ of `col ^ lab ^ fill` is set and by −2 elsewhere (Δ^μ ← Δ^μ − 2 W ξ^μ σ^μ
/// with bit 1 meaning −1); then `eq1`, `eqm1`, `neg` receive the bits Δ = +1, Δ = −1 and Δ < 0.
#[inline(always)]
pub fn update_classify<L: Lane>(
    lanes: &mut [L],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    eq1: &mut [u64],
    eqm1: &mut [u64],
    neg: &mut [u64],
) {
    for (w, lanes) in lanes.chunks_exact_mut(64).enumerate() {
        let y = col[w] ^ lab[w] ^ fill;
        let (mut e1, mut em1, mut ng) = (0u64, 0u64, 0u64);
        for (j, v) in lanes.iter_mut().enumerate() {
            let up = ((y >> j) & 1) as i32;
            *v = v.wadd(4 * up - 2);
            e1 |= ((*v == L::ONE) as u64) << j;
            em1 |= ((*v == L::MONE) as u64) << j;
            ng |= ((*v < L::ZERO) as u64) << j;
        }
        eq1[w] = e1;
        eqm1[w] = em1;
        neg[w] = ng;
    }
}

/// One ReLU unit's move and its effect on the output stabilities.
///
/// λ lane μ moves by +2 where bit μ of `col ^ fill` is set, −2 elsewhere; the output stability
/// g^μ = σ^μ h^μ moves by s^μ (relu(λ_new) − relu(λ_old)) with s^μ = −1 where bit μ of `lab ^ cfill` is set
/// (σ^μ c_l = −1). Outputs: `g0` λ ≥ 0, `z` λ = 0, `h0` g = 0, `h2` g = 2.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn relu_update<L: Lane>(
    lam: &mut [L],
    g: &mut [L],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    cfill: u64,
    out: [&mut [u64]; 4],
) {
    let [g0, z, h0, h2] = out;
    for (w, (lam, g)) in lam
        .chunks_exact_mut(64)
        .zip(g.chunks_exact_mut(64))
        .enumerate()
    {
        let x = col[w] ^ fill;
        let s = lab[w] ^ cfill;
        let (mut bg0, mut bz, mut bh0, mut bh2) = (0u64, 0u64, 0u64, 0u64);
        for j in 0..64 {
            let old = lam[j];
            let new = old.wadd(4 * ((x >> j) & 1) as i32 - 2);
            lam[j] = new;
            let d = new.to_i32().max(0) - old.to_i32().max(0);
            let neg = ((s >> j) & 1) as i32;
            let gv = g[j].wadd(d - 2 * neg * d);
            g[j] = gv;
            bg0 |= ((new >= L::ZERO) as u64) << j;
            bz |= ((new == L::ZERO) as u64) << j;
            bh0 |= ((gv == L::ZERO) as u64) << j;
            bh2 |= ((gv == L::TWO) as u64) << j;
        }
        g0[w] = bg0;
        z[w] = bz;
        h0[w] = bh0;
        h2[w] = bh2;
    }
}

/// Adds ±1 to each lane from one bit row: lane μ gets −1 where bit μ of `bits ^ fill` is set, +1 elsewhere.
/// Used to accumulate preactivations λ^μ = Σ_i W_i ξ_i^μ column by column.
#[inline(always)]
pub fn accumulate(lanes: &mut [i32], bits: &[u64], fill: u64) {
    for (w, lanes) in lanes.chunks_exact_mut(64).enumerate() {
        let x = bits[w] ^ fill;
        for (j, v) in lanes.iter_mut().enumerate() {
            *v += 1 - 2 * ((x >> j) & 1) as i32;
        }
    }
}

#[inline(always)]
fn load(cols: &[u64], at: usize, fill: u64) -> Stripe {
    let s: &Stripe = cols[at..at + STRIPE].try_into().unwrap();
    s.map(|w| w ^ fill)
}

/// Adds a one-bit-per-lane stripe into the bit-sliced counter `planes` (ripple carry).
#[inline(always)]
fn add_bit(planes: &mut [Stripe], mut carry: Stripe) {
    for p in planes.iter_mut() {
        let mut any = 0;
        for j in 0..STRIPE {
            let c = p[j] & carry[j];
            p[j] ^= carry[j];
            carry[j] = c;
            any |= c;
        }
        if any == 0 {
            break;
        }
    }
}

/// One Harley–Seal step ([`step16`]) over the 16 columns from `base`, stripe at word offset `off`, into
/// the counter (ones, twos, fours, eights, high planes).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn csa16(
    cols: &[u64],
    stride: usize,
    off: usize,
    base: usize,
    fills: &[u64],
    low: &mut [Stripe; 4],
    high: &mut [Stripe],
) {
    let d = |k: usize| load(cols, (base + k) * stride + off, fills[base + k]);
    add_bit(high, step16(d, low));
}

/// Stripes up to which [`vcount`] keeps one stripe's counter in registers across all columns; beyond, it
/// walks 16 columns at a time across all stripes so that the columns stream sequentially.
pub const BLOCK_STRIPES: usize = 4;

/// Vertical (per-pattern) popcount: adds, for every pattern, the number of set bits of
/// `cols[c*stride ..][..stride] ^ fills[c]` over the columns c < fills.len() to the counters in `state`.
///
/// `state` holds one bit-sliced counter per 512-pattern stripe (`stride / STRIPE` of them), each of
/// `state.len() / (stride / STRIPE)` planes (at least 4 and enough for the final counts; plane b holds bit b).
/// The columns go through a Harley–Seal carry-save tree 16 at a time (about two bitwise operations per input
/// word), the rest through ripple adds. For few stripes (small P) the loop runs stripe by stripe; for many,
/// 16 columns at a time across all stripes, so that 16 columns stream sequentially instead of every load
/// hopping a column stride (a page, at large P).
#[inline(always)]
pub fn vcount(cols: &[u64], stride: usize, fills: &[u64], state: &mut [Stripe]) {
    let nstripes = stride / STRIPE;
    let nplanes = state.len() / nstripes;
    let groups = fills.len() / 16;
    let counter = |state: &mut [Stripe], s: usize| -> ([Stripe; 4], std::ops::Range<usize>) {
        let r = s * nplanes..(s + 1) * nplanes;
        (
            [
                state[r.start],
                state[r.start + 1],
                state[r.start + 2],
                state[r.start + 3],
            ],
            r,
        )
    };
    if nstripes <= BLOCK_STRIPES {
        for s in 0..nstripes {
            let (mut low, r) = counter(state, s);
            let high = &mut state[r.start + 4..r.end];
            for g in 0..groups {
                csa16(cols, stride, s * STRIPE, g * 16, fills, &mut low, high);
            }
            state[r.start..r.start + 4].copy_from_slice(&low);
        }
    } else {
        for g in 0..groups {
            for s in 0..nstripes {
                let (mut low, r) = counter(state, s);
                csa16(
                    cols,
                    stride,
                    s * STRIPE,
                    g * 16,
                    fills,
                    &mut low,
                    &mut state[r.start + 4..r.end],
                );
                state[r.start..r.start + 4].copy_from_slice(&low);
            }
        }
    }
    for s in 0..nstripes {
        let planes = &mut state[s * nplanes..(s + 1) * nplanes];
        for (c, &fill) in fills.iter().enumerate().skip(groups * 16) {
            add_bit(planes, load(cols, c * stride + s * STRIPE, fill));
        }
    }
}
