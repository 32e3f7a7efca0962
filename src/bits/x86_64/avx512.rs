//! AVX-512 path (F + BW + VPOPCNTDQ): k-masks turn pattern bits straight into lane predicates, `vpternlogq`
//! does a carry-save adder in two instructions, `vpopcntq` counts 512 bits at once.
//!
//! Safety (all functions): the CPU must support `avx512f`, `avx512bw` and `avx512vpopcntdq`, and the
//! shapes must pass the checks `Kernels` makes before it calls in (`bits::layout`: the bit rows of a call
//! whole stripes of one length, 64 lanes per word; [`DeltaRows`] checked when built). Every pointer read or
//! written below then stays inside the slice it came from: the loops run over whole stripes of those rows.

use crate::bits::carry_save::{step16, CarrySave};
use crate::bits::{DeltaRows, Lane, Lanes, SiteRows, Stripe, PREFETCH_AHEAD, STRIPE};
use std::arch::x86_64::*;

const XOR3: i32 = 0x96;
const MAJ3: i32 = 0xE8;

/// The stripe of `p` at word `at`.
///
/// # Safety
/// AVX-512 F is supported and `at + STRIPE <= p.len()`.
#[inline(always)]
unsafe fn ld(p: &[u64], at: usize) -> __m512i {
    debug_assert!(at + STRIPE <= p.len());
    // SAFETY: the caller's promise: the CPU has the instruction and the 8 words are inside `p`.
    unsafe { _mm512_loadu_si512(p.as_ptr().add(at).cast()) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
pub unsafe fn delta(a: &[u64], b: &[u64], col: &[u64], lab: &[u64], fill: u64) -> i64 {
    let s = col.len();
    debug_assert!(s % STRIPE == 0 && a.len() == s && b.len() == s && lab.len() == s);
    // SAFETY: the four rows are `s` words each, a whole number of stripes (checked by `Kernels::delta`).
    unsafe {
        count(
            a.as_ptr(),
            b.as_ptr(),
            col.as_ptr(),
            lab.as_ptr(),
            fill,
            s,
            std::ptr::null(),
        )
    }
}

/// ΔE over `s` words, prefetching the `s` words at `pf` one line per stripe unless it is null.
///
/// # Safety
/// AVX-512 F and VPOPCNTDQ are supported; `s` is a multiple of [`STRIPE`] and the `s` words from each of
/// `a`, `b`, `col`, `lab` (and `pf` unless null) lie inside one live allocation each.
#[inline(always)]
unsafe fn count(
    a: *const u64,
    b: *const u64,
    col: *const u64,
    lab: *const u64,
    fill: u64,
    s: usize,
    pf: *const u64,
) -> i64 {
    // SAFETY: the caller's promise; w + STRIPE ≤ s at every load and prefetch.
    unsafe {
        let f = _mm512_set1_epi64(fill as i64);
        let mut acc = _mm512_setzero_si512();
        let mut w = 0;
        while w < s {
            if !pf.is_null() {
                _mm_prefetch::<_MM_HINT_T0>(pf.add(w).cast());
            }
            let ldp = |p: *const u64| _mm512_loadu_si512(p.add(w).cast());
            let y = _mm512_ternarylogic_epi64::<XOR3>(ldp(col), ldp(lab), f);
            let up = _mm512_popcnt_epi64(_mm512_andnot_si512(y, ldp(a)));
            let down = _mm512_popcnt_epi64(_mm512_and_si512(y, ldp(b)));
            acc = _mm512_add_epi64(acc, _mm512_sub_epi64(up, down));
            w += STRIPE;
        }
        _mm512_reduce_add_epi64(acc)
    }
}

/// See `generic::scan`: the same loop with this path's ΔE kernel inlined and the bounds checked once.
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
pub unsafe fn scan<F: FnMut(usize, i64) -> bool>(
    rows: &DeltaRows,
    sites: &[usize],
    mut accept: F,
) -> Option<(usize, i64)> {
    if rows.units() == 1 && !rows.prefetch() {
        // One unit and rows that fit in registers: A, B and σ stay in registers for the whole run.
        // SAFETY: the CPU has AVX-512 (this function's promise) and the stride is M stripes.
        unsafe {
            match rows.stride() {
                8 => return scan_in_registers::<1, F>(rows, sites, accept),
                16 => return scan_in_registers::<2, F>(rows, sites, accept),
                24 => return scan_in_registers::<3, F>(rows, sites, accept),
                32 => return scan_in_registers::<4, F>(rows, sites, accept),
                _ => {}
            }
        }
    }
    let (n, s, lab) = (rows.sites(), rows.stride(), rows.labels().as_ptr());
    for (k, &i) in sites.iter().enumerate() {
        assert!(i < n, "site {i} out of range");
        // The next site's column, fetched one cache line per stripe of this one: spread out, the
        // prefetches keep the memory busy without filling the miss buffers at once.
        let next = match sites.get(k + PREFETCH_AHEAD) {
            Some(&j) if rows.prefetch() => rows.col_ptr(j),
            _ => std::ptr::null(),
        };
        // SAFETY: i < sites (asserted), so `site_ptrs` gives rows of `s` words inside A, B and the columns
        // (`DeltaRows::new` checked them), σ is `s` words, `next` is null or a whole column, and `s` is a
        // whole number of stripes.
        let de = unsafe {
            let (a, b, col, fill) = rows.site_ptrs(i);
            count(a, b, col, lab, fill, s, next)
        };
        if accept(i, de) {
            return Some((k, de));
        }
    }
    None
}

/// See `generic::delta_each`: ξ ⊕ σ computed once per stripe for up to four replicas at a time, and the
/// next column prefetched one line per stripe.
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
pub unsafe fn delta_each(
    reps: &[SiteRows],
    col: &[u64],
    lab: &[u64],
    next: Option<&[u64]>,
    out: &mut [i64],
) {
    let s = col.len();
    debug_assert!(s % STRIPE == 0 && lab.len() == s && out.len() >= reps.len());
    let mut pf = next.map_or(std::ptr::null(), |x| x.as_ptr());
    let mut g = 0;
    while g < reps.len() {
        let group = &reps[g..reps.len().min(g + 4)];
        // SAFETY: `Kernels::delta_each` checked that σ, `next` and every replica's A and B are as long
        // as the column, `s` words, a whole number of stripes; the CPU has AVX-512 (this function's promise).
        let got = unsafe {
            match group.len() {
                1 => delta_group::<1>(group, col.as_ptr(), lab.as_ptr(), s, pf),
                2 => delta_group::<2>(group, col.as_ptr(), lab.as_ptr(), s, pf),
                3 => delta_group::<3>(group, col.as_ptr(), lab.as_ptr(), s, pf),
                _ => delta_group::<4>(group, col.as_ptr(), lab.as_ptr(), s, pf),
            }
        };
        for (o, &d) in out[g..].iter_mut().zip(&got[..group.len()]) {
            *o = d;
        }
        pf = std::ptr::null();
        g += 4;
    }
}

/// ΔE of G replicas over `s` words, prefetching `pf` (unless null) as it goes.
///
/// # Safety
/// AVX-512 F and VPOPCNTDQ are supported, `reps` has at least G entries, `s` is a multiple of [`STRIPE`]
/// and `col`, `lab` (and `pf` unless null) and each replica's `a`, `b` hold at least `s` words.
#[inline(always)]
unsafe fn delta_group<const G: usize>(
    reps: &[SiteRows],
    col: *const u64,
    lab: *const u64,
    s: usize,
    pf: *const u64,
) -> [i64; 4] {
    // SAFETY: the caller's promise; w + STRIPE ≤ s at every load and prefetch.
    unsafe {
        let f: [__m512i; G] = std::array::from_fn(|r| _mm512_set1_epi64(reps[r].fill as i64));
        let a: [*const u64; G] = std::array::from_fn(|r| reps[r].a.as_ptr());
        let b: [*const u64; G] = std::array::from_fn(|r| reps[r].b.as_ptr());
        let mut acc = [_mm512_setzero_si512(); G];
        let mut w = 0;
        while w < s {
            if !pf.is_null() {
                _mm_prefetch::<_MM_HINT_T0>(pf.add(w).cast());
            }
            let z = _mm512_xor_si512(
                _mm512_loadu_si512(col.add(w).cast()),
                _mm512_loadu_si512(lab.add(w).cast()),
            );
            for r in 0..G {
                let y = _mm512_xor_si512(z, f[r]);
                let up = _mm512_popcnt_epi64(_mm512_andnot_si512(
                    y,
                    _mm512_loadu_si512(a[r].add(w).cast()),
                ));
                let down = _mm512_popcnt_epi64(_mm512_and_si512(
                    y,
                    _mm512_loadu_si512(b[r].add(w).cast()),
                ));
                acc[r] = _mm512_add_epi64(acc[r], _mm512_sub_epi64(up, down));
            }
            w += STRIPE;
        }
        let mut out = [0i64; 4];
        for r in 0..G {
            out[r] = _mm512_reduce_add_epi64(acc[r]);
        }
        out
    }
}

/// [`scan`] for one unit (K = 1) and rows of M stripes: A, B and σ do not change during a run of
/// rejected proposals, so they are loaded once; each proposal loads only its column.
///
/// # Safety
/// AVX-512 F and VPOPCNTDQ are supported and `rows.stride() == M * STRIPE`.
#[inline(always)]
unsafe fn scan_in_registers<const M: usize, F: FnMut(usize, i64) -> bool>(
    rows: &DeltaRows,
    sites: &[usize],
    mut accept: F,
) -> Option<(usize, i64)> {
    debug_assert_eq!(rows.stride(), M * STRIPE);
    let n = rows.sites();
    let (a0, b0) = rows.unit0();
    // SAFETY: σ, A_0 and B_0 are `stride` = M stripes (`DeltaRows::new`), so the M loads of each are inside.
    let (lab, a, b): ([__m512i; M], [__m512i; M], [__m512i; M]) = unsafe {
        (
            std::array::from_fn(|m| ld(rows.labels(), m * STRIPE)),
            std::array::from_fn(|m| ld(a0, m * STRIPE)),
            std::array::from_fn(|m| ld(b0, m * STRIPE)),
        )
    };
    for (k, &i) in sites.iter().enumerate() {
        assert!(i < n, "site {i} out of range");
        // SAFETY: i < sites (asserted), so the column of site i is M stripes inside the columns.
        let de = unsafe {
            let (_, _, col, fill) = rows.site_ptrs(i);
            let f = _mm512_set1_epi64(fill as i64);
            let mut acc = _mm512_setzero_si512();
            for m in 0..M {
                let c = _mm512_loadu_si512(col.add(m * STRIPE).cast());
                let y = _mm512_ternarylogic_epi64::<XOR3>(c, lab[m], f);
                let up = _mm512_popcnt_epi64(_mm512_andnot_si512(y, a[m]));
                let down = _mm512_popcnt_epi64(_mm512_and_si512(y, b[m]));
                acc = _mm512_add_epi64(acc, _mm512_sub_epi64(up, down));
            }
            _mm512_reduce_add_epi64(acc)
        };
        if accept(i, de) {
            return Some((k, de));
        }
    }
    None
}

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
pub unsafe fn popcount(words: &[u64]) -> u64 {
    let n = words.len() / STRIPE * STRIPE;
    let mut acc = _mm512_setzero_si512();
    let mut w = 0;
    while w < n {
        // SAFETY: w + STRIPE ≤ n ≤ words.len().
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(unsafe { ld(words, w) }));
        w += STRIPE;
    }
    _mm512_reduce_add_epi64(acc) as u64 + crate::bits::generic::popcount(&words[n..])
}

/// See `generic::update_classify`: one kernel per lane width.
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
pub unsafe fn update_classify<L: Lane>(
    lanes: &mut [L],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    eq1: &mut [u64],
    eqm1: &mut [u64],
    neg: &mut [u64],
) {
    // SAFETY: the CPU has AVX-512 BW (this function's promise).
    unsafe {
        match L::view(lanes) {
            Lanes::I16(v) => update_classify16(v, col, lab, fill, eq1, eqm1, neg),
            Lanes::I32(v) => update_classify32(v, col, lab, fill, eq1, eqm1, neg),
        }
    }
}

/// See `generic::relu_update`: one kernel per lane width.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
pub unsafe fn relu_update<L: Lane>(
    lam: &mut [L],
    g: &mut [L],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    cfill: u64,
    out: [&mut [u64]; 4],
) {
    // SAFETY: the CPU has AVX-512 BW (this function's promise).
    unsafe {
        match (L::view(lam), L::view(g)) {
            (Lanes::I16(l), Lanes::I16(g)) => relu_update16(l, g, col, lab, fill, cfill, out),
            (Lanes::I32(l), Lanes::I32(g)) => relu_update32(l, g, col, lab, fill, cfill, out),
            _ => unreachable!("λ and g have one lane type"),
        }
    }
}

/// # Safety
/// AVX-512 F and BW are supported. Reads and writes `lanes.len() / 64` words of lanes; the bit rows are
/// indexed with bounds checks.
#[inline(always)]
unsafe fn update_classify16(
    lanes: &mut [i16],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    eq1: &mut [u64],
    eqm1: &mut [u64],
    neg: &mut [u64],
) {
    let words = lanes.len() / 64;
    // Sliced once to `words` (as `Kernels` checked), so that the loop indexes them without bounds checks.
    let (col, lab) = (&col[..words], &lab[..words]);
    let (eq1, eqm1, neg) = (&mut eq1[..words], &mut eqm1[..words], &mut neg[..words]);
    // SAFETY: the caller's promise; the lanes at w·64 + h·32 .. + 32 lie inside `lanes` for w < words.
    unsafe {
        let m2 = _mm512_set1_epi16(-2);
        let p4 = _mm512_set1_epi16(4);
        let one = _mm512_set1_epi16(1);
        let mone = _mm512_set1_epi16(-1);
        let base = lanes.as_mut_ptr();
        for w in 0..words {
            let y = col[w] ^ lab[w] ^ fill;
            let (mut e1, mut em1, mut ng) = (0u64, 0u64, 0u64);
            for h in 0..2 {
                let p = base.add(w * 64 + h * 32);
                let k = (y >> (32 * h)) as u32;
                let v = _mm512_add_epi16(_mm512_loadu_si512(p.cast()), m2);
                let v = _mm512_mask_add_epi16(v, k, v, p4);
                _mm512_storeu_si512(p.cast(), v);
                e1 |= (_mm512_cmpeq_epi16_mask(v, one) as u64) << (32 * h);
                em1 |= (_mm512_cmpeq_epi16_mask(v, mone) as u64) << (32 * h);
                ng |= (_mm512_movepi16_mask(v) as u64) << (32 * h);
            }
            eq1[w] = e1;
            eqm1[w] = em1;
            neg[w] = ng;
        }
    }
}

/// # Safety
/// As for [`update_classify16`].
#[inline(always)]
unsafe fn update_classify32(
    lanes: &mut [i32],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    eq1: &mut [u64],
    eqm1: &mut [u64],
    neg: &mut [u64],
) {
    let words = lanes.len() / 64;
    // Sliced once to `words` (as `Kernels` checked), so that the loop indexes them without bounds checks.
    let (col, lab) = (&col[..words], &lab[..words]);
    let (eq1, eqm1, neg) = (&mut eq1[..words], &mut eqm1[..words], &mut neg[..words]);
    // SAFETY: the caller's promise; the lanes at w·64 + q·16 .. + 16 lie inside `lanes` for w < words.
    unsafe {
        let m2 = _mm512_set1_epi32(-2);
        let p4 = _mm512_set1_epi32(4);
        let one = _mm512_set1_epi32(1);
        let mone = _mm512_set1_epi32(-1);
        let base = lanes.as_mut_ptr();
        for w in 0..words {
            let y = col[w] ^ lab[w] ^ fill;
            let (mut e1, mut em1, mut ng) = (0u64, 0u64, 0u64);
            for q in 0..4 {
                let p = base.add(w * 64 + q * 16);
                let k = (y >> (16 * q)) as u16;
                let v = _mm512_add_epi32(_mm512_loadu_si512(p.cast()), m2);
                let v = _mm512_mask_add_epi32(v, k, v, p4);
                _mm512_storeu_si512(p.cast(), v);
                let sh = 16 * q;
                e1 |= (_mm512_cmpeq_epi32_mask(v, one) as u64) << sh;
                em1 |= (_mm512_cmpeq_epi32_mask(v, mone) as u64) << sh;
                ng |= (_mm512_cmplt_epi32_mask(v, _mm512_setzero_si512()) as u64) << sh;
            }
            eq1[w] = e1;
            eqm1[w] = em1;
            neg[w] = ng;
        }
    }
}

/// # Safety
/// AVX-512 F and BW are supported and `g.len() >= lam.len()`. Reads and writes `lam.len() / 64` words of
/// lanes in `lam` and `g`; the bit rows are indexed with bounds checks.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn relu_update16(
    lam: &mut [i16],
    g: &mut [i16],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    cfill: u64,
    out: [&mut [u64]; 4],
) {
    let [g0, z, h0, h2] = out;
    let words = lam.len() / 64;
    debug_assert!(g.len() >= lam.len());
    // Sliced once to `words` (as `Kernels` checked), so that the loop indexes them without bounds checks.
    let (col, lab) = (&col[..words], &lab[..words]);
    let (g0, z, h0, h2) = (
        &mut g0[..words],
        &mut z[..words],
        &mut h0[..words],
        &mut h2[..words],
    );
    // SAFETY: the caller's promise; the lanes at w·64 + h·32 .. + 32 lie inside `lam` and `g` for
    // w < words.
    unsafe {
        let m2 = _mm512_set1_epi16(-2);
        let p4 = _mm512_set1_epi16(4);
        let zero = _mm512_setzero_si512();
        let two = _mm512_set1_epi16(2);
        let (pl, pg) = (lam.as_mut_ptr(), g.as_mut_ptr());
        for w in 0..words {
            let x = col[w] ^ fill;
            let s = lab[w] ^ cfill;
            let (mut bg0, mut bz, mut bh0, mut bh2) = (0u64, 0u64, 0u64, 0u64);
            for h in 0..2 {
                let at = w * 64 + h * 32;
                let old = _mm512_loadu_si512(pl.add(at).cast());
                let new = _mm512_add_epi16(old, m2);
                let new = _mm512_mask_add_epi16(new, (x >> (32 * h)) as u32, new, p4);
                _mm512_storeu_si512(pl.add(at).cast(), new);
                let d = _mm512_sub_epi16(_mm512_max_epi16(new, zero), _mm512_max_epi16(old, zero));
                let gv = _mm512_loadu_si512(pg.add(at).cast());
                let gv = _mm512_mask_blend_epi16(
                    (s >> (32 * h)) as u32,
                    _mm512_add_epi16(gv, d),
                    _mm512_sub_epi16(gv, d),
                );
                _mm512_storeu_si512(pg.add(at).cast(), gv);
                let sh = 32 * h;
                bg0 |= (_mm512_cmpge_epi16_mask(new, zero) as u64) << sh;
                bz |= (_mm512_cmpeq_epi16_mask(new, zero) as u64) << sh;
                bh0 |= (_mm512_cmpeq_epi16_mask(gv, zero) as u64) << sh;
                bh2 |= (_mm512_cmpeq_epi16_mask(gv, two) as u64) << sh;
            }
            g0[w] = bg0;
            z[w] = bz;
            h0[w] = bh0;
            h2[w] = bh2;
        }
    }
}

/// # Safety
/// As for [`relu_update16`].
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn relu_update32(
    lam: &mut [i32],
    g: &mut [i32],
    col: &[u64],
    lab: &[u64],
    fill: u64,
    cfill: u64,
    out: [&mut [u64]; 4],
) {
    let [g0, z, h0, h2] = out;
    let words = lam.len() / 64;
    debug_assert!(g.len() >= lam.len());
    // Sliced once to `words` (as `Kernels` checked), so that the loop indexes them without bounds checks.
    let (col, lab) = (&col[..words], &lab[..words]);
    let (g0, z, h0, h2) = (
        &mut g0[..words],
        &mut z[..words],
        &mut h0[..words],
        &mut h2[..words],
    );
    // SAFETY: the caller's promise; the lanes at w·64 + q·16 .. + 16 lie inside `lam` and `g` for
    // w < words.
    unsafe {
        let m2 = _mm512_set1_epi32(-2);
        let p4 = _mm512_set1_epi32(4);
        let zero = _mm512_setzero_si512();
        let two = _mm512_set1_epi32(2);
        let (pl, pg) = (lam.as_mut_ptr(), g.as_mut_ptr());
        for w in 0..words {
            let x = col[w] ^ fill;
            let s = lab[w] ^ cfill;
            let (mut bg0, mut bz, mut bh0, mut bh2) = (0u64, 0u64, 0u64, 0u64);
            for q in 0..4 {
                let at = w * 64 + q * 16;
                let sh = 16 * q;
                let old = _mm512_loadu_si512(pl.add(at).cast());
                let new = _mm512_add_epi32(old, m2);
                let new = _mm512_mask_add_epi32(new, (x >> sh) as u16, new, p4);
                _mm512_storeu_si512(pl.add(at).cast(), new);
                let d = _mm512_sub_epi32(_mm512_max_epi32(new, zero), _mm512_max_epi32(old, zero));
                let gv = _mm512_loadu_si512(pg.add(at).cast());
                let gv = _mm512_mask_blend_epi32(
                    (s >> sh) as u16,
                    _mm512_add_epi32(gv, d),
                    _mm512_sub_epi32(gv, d),
                );
                _mm512_storeu_si512(pg.add(at).cast(), gv);
                bg0 |= (_mm512_cmpge_epi32_mask(new, zero) as u64) << sh;
                bz |= (_mm512_cmpeq_epi32_mask(new, zero) as u64) << sh;
                bh0 |= (_mm512_cmpeq_epi32_mask(gv, zero) as u64) << sh;
                bh2 |= (_mm512_cmpeq_epi32_mask(gv, two) as u64) << sh;
            }
            g0[w] = bg0;
            z[w] = bz;
            h0[w] = bh0;
            h2[w] = bh2;
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
pub unsafe fn accumulate(lanes: &mut [i32], bits: &[u64], fill: u64) {
    let words = lanes.len() / 64;
    let bits = &bits[..words];
    let one = _mm512_set1_epi32(1);
    let two = _mm512_set1_epi32(2);
    let p = lanes.as_mut_ptr();
    for w in 0..words {
        let x = bits[w] ^ fill;
        for q in 0..4 {
            // SAFETY: the 16 lanes at w·64 + q·16 lie inside `lanes` (w < lanes.len() / 64).
            unsafe {
                let at = p.add(w * 64 + q * 16);
                let v = _mm512_add_epi32(_mm512_loadu_si512(at.cast()), one);
                let v = _mm512_mask_sub_epi32(v, (x >> (16 * q)) as u16, v, two);
                _mm512_storeu_si512(at.cast(), v);
            }
        }
    }
}

/// A 512-lane vector of the vertical counts. Only this module makes one, and only inside functions that
/// run on a CPU with AVX-512 (their promise), so holding one proves the instructions are there.
#[derive(Clone, Copy)]
struct V(__m512i);

impl CarrySave for V {
    #[inline(always)]
    fn csa(a: V, b: V, c: V) -> (V, V) {
        // SAFETY: a `V` exists only where the CPU supports AVX-512 F (see the type).
        unsafe {
            (
                V(_mm512_ternarylogic_epi64::<MAJ3>(a.0, b.0, c.0)),
                V(_mm512_ternarylogic_epi64::<XOR3>(a.0, b.0, c.0)),
            )
        }
    }
}

/// One Harley–Seal step ([`step16`]) over the 16 columns from `base` at word offset `off` (see
/// `generic::vcount`); returns the carry of weight 16.
///
/// # Safety
/// AVX-512 F is supported, `base + 16 <= fills.len()`, and the stripe at `off` of each of those columns
/// (`(base + c) * stride + off`) lies inside `cols`.
#[inline(always)]
unsafe fn csa16(
    cols: &[u64],
    stride: usize,
    off: usize,
    base: usize,
    fills: &[u64],
    low: &mut [V; 4],
) -> V {
    // SAFETY: the caller's promise covers the 16 loads (c < 16).
    let d = |c: usize| unsafe {
        V(_mm512_xor_si512(
            ld(cols, (base + c) * stride + off),
            _mm512_set1_epi64(fills[base + c] as i64),
        ))
    };
    step16(d, low)
}

/// Ripple-adds a one-bit-per-lane vector into counter planes kept in memory (usually touches one or two).
///
/// # Safety
/// AVX-512 F is supported and `planes` points to `n` live stripes.
#[inline(always)]
unsafe fn add_bit_mem(planes: *mut Stripe, n: usize, mut carry: V) {
    // SAFETY: the caller's promise; b < n.
    unsafe {
        for b in 0..n {
            if _mm512_test_epi64_mask(carry.0, carry.0) == 0 {
                break;
            }
            let p = planes.add(b);
            let v = _mm512_loadu_si512(p.cast());
            _mm512_storeu_si512(p.cast(), _mm512_xor_si512(v, carry.0));
            carry = V(_mm512_and_si512(v, carry.0));
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
pub unsafe fn vcount(cols: &[u64], stride: usize, fills: &[u64], state: &mut [Stripe]) {
    let ncols = fills.len();
    let nstripes = stride / STRIPE;
    let nplanes = state.len() / nstripes;
    debug_assert!(
        nplanes >= 4 && nplanes * nstripes == state.len() && ncols <= cols.len() / stride
    );
    let groups = ncols / 16;
    let sp = state.as_mut_ptr();
    // The shapes `Kernels::vcount` checked: stride is a positive multiple of STRIPE, the ncols columns of
    // `stride` words fit in `cols` (so stripe s < nstripes of column c < ncols is inside), and `state` is
    // nstripes counters of nplanes ≥ 4 stripes, counter s at `state[s·nplanes ..][..nplanes]`.
    let load_low = |s: usize| -> [V; 4] {
        // SAFETY: planes 0..4 of counter s < nstripes, inside `state`; the CPU has AVX-512 F.
        std::array::from_fn(|b| V(unsafe { _mm512_loadu_si512(sp.add(s * nplanes + b).cast()) }))
    };
    let store_low = |s: usize, low: &[V; 4]| {
        for (b, v) in low.iter().enumerate() {
            // SAFETY: as in load_low.
            unsafe { _mm512_storeu_si512(sp.add(s * nplanes + b).cast(), v.0) };
        }
    };
    // SAFETY: plane 4 of counter s < nstripes, inside `state` (nplanes ≥ 4; one past the end when = 4).
    let high = |s: usize| unsafe { sp.add(s * nplanes + 4) };
    if nstripes <= crate::bits::generic::BLOCK_STRIPES {
        for s in 0..nstripes {
            let mut low = load_low(s);
            for g in 0..groups {
                // SAFETY: columns g·16 .. g·16 + 16 ≤ ncols, stripe s of each inside `cols`; the
                // nplanes − 4 high planes of counter s inside `state`.
                unsafe {
                    let carry = csa16(cols, stride, s * STRIPE, g * 16, fills, &mut low);
                    add_bit_mem(high(s), nplanes - 4, carry);
                }
            }
            store_low(s, &low);
        }
    } else {
        for g in 0..groups {
            for s in 0..nstripes {
                let mut low = load_low(s);
                // SAFETY: as in the loop above.
                unsafe {
                    let carry = csa16(cols, stride, s * STRIPE, g * 16, fills, &mut low);
                    store_low(s, &low);
                    add_bit_mem(high(s), nplanes - 4, carry);
                }
            }
        }
    }
    for s in 0..nstripes {
        for c in groups * 16..ncols {
            // SAFETY: stripe s of column c < ncols inside `cols`; counter s (nplanes stripes) inside `state`.
            unsafe {
                let x = _mm512_xor_si512(
                    ld(cols, c * stride + s * STRIPE),
                    _mm512_set1_epi64(fills[c] as i64),
                );
                add_bit_mem(sp.add(s * nplanes), nplanes, V(x));
            }
        }
    }
}
