//! Every kernel path against plain per-bit definitions, on random inputs of many sizes; and the layout
//! rules (`bits::layout`): shapes that break them are refused the same way on every path, never read out
//! of bounds (the two wrap-around holes and the row-length mismatch of issue #10 are pinned below).

use densemc::bits::{words_for_bits, DeltaRows, Kernels, Lane, Path, SiteRows, STRIPE};
use proptest::prelude::*;

fn bit(row: &[u64], mu: usize) -> u64 {
    (row[mu / 64] >> (mu % 64)) & 1
}

fn words(seed: u64, len: usize) -> Vec<u64> {
    let mut s = seed;
    (0..len).map(|_| densemc::rng::splitmix64(&mut s)).collect()
}

fn paths() -> Vec<&'static Kernels> {
    let ks: Vec<_> = Path::available()
        .into_iter()
        .filter_map(Kernels::get)
        .collect();
    assert!(ks.iter().any(|k| k.path() == Path::Generic));
    ks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn delta_matches_definition(stripes in 1usize..5, seed: u64, fill: bool) {
        let len = stripes * STRIPE;
        let (a, b, c, l) = (words(seed, len), words(seed ^ 1, len), words(seed ^ 2, len), words(seed ^ 3, len));
        let f = if fill { !0 } else { 0 };
        let mut want = 0i64;
        for mu in 0..len * 64 {
            let y = bit(&c, mu) ^ bit(&l, mu) ^ (f & 1);
            want += (bit(&a, mu) & (1 - y)) as i64 - (bit(&b, mu) & y) as i64;
        }
        for k in paths() {
            prop_assert_eq!(k.delta(&a, &b, &c, &l, f), want, "path {}", k.path());
            prop_assert_eq!(k.popcount(&a), a.iter().map(|x| x.count_ones() as u64).sum::<u64>());
        }
    }

    #[test]
    fn scan_matches_delta_per_site(
        stripes in 1usize..7, k in 1usize..4, n_unit in 1usize..70, seed: u64, stop in 0usize..60,
        prefetch: bool,
    ) {
        let (s, n) = (stripes * STRIPE, k * n_unit);
        let (a, b) = (words(seed, k * s), words(seed ^ 1, k * s));
        let (cols, labels) = (words(seed ^ 2, n * s), words(seed ^ 3, s));
        let w = words(seed ^ 4, n.div_ceil(64));
        let cneg: Vec<u64> = (0..k).map(|l| if (seed >> l) & 1 == 1 { !0 } else { 0 }).collect();
        let rows = DeltaRows::new(&a, &b, &cols, &labels, &w, &cneg, s, n_unit, prefetch).unwrap();
        let sites: Vec<usize> = words(seed ^ 5, 50).iter().map(|&x| (x % n as u64) as usize).collect();
        // The oracle: ΔE of each site from the kernel on its own rows.
        let want: Vec<i64> = sites.iter().map(|&i| {
            let l = i / n_unit;
            let fill = ((w[i / 64] >> (i % 64)) & 1).wrapping_neg() ^ cneg[l];
            Kernels::get(Path::Generic).unwrap().delta(
                &a[l * s..(l + 1) * s], &b[l * s..(l + 1) * s], &cols[i * s..(i + 1) * s], &labels, fill)
        }).collect();
        for kern in paths() {
            let mut seen = Vec::new();
            let hit = kern.scan(&rows, &sites, |i, de| { seen.push((i, de)); seen.len() == stop + 1 });
            let expect: Vec<(usize, i64)> = sites.iter().copied().zip(want.iter().copied())
                .take(stop + 1).collect();
            prop_assert_eq!(&seen, &expect, "path {}", kern.path());
            let want_hit = (stop < sites.len()).then(|| (stop, want[stop]));
            prop_assert_eq!(hit, want_hit, "path {}", kern.path());
        }
    }

    #[test]
    fn delta_each_matches_delta_per_replica(stripes in 1usize..7, y in 0usize..11, seed: u64) {
        let s = stripes * STRIPE;
        let (col, lab, next) = (words(seed ^ 2, s), words(seed ^ 3, s), words(seed ^ 4, s));
        // Per replica: its own A, B and fill.
        let rows: Vec<(Vec<u64>, Vec<u64>, u64)> = (0..y as u64)
            .map(|a| (words(seed ^ (10 + a), s), words(seed ^ (30 + a), s), if (seed >> a) & 1 == 1 { !0 } else { 0 }))
            .collect();
        let reps: Vec<SiteRows> = rows.iter().map(|(a, b, f)| SiteRows { a, b, fill: *f }).collect();
        let generic = Kernels::get(Path::Generic).unwrap();
        let want: Vec<i64> = rows.iter().map(|(a, b, f)| generic.delta(a, b, &col, &lab, *f)).collect();
        for kern in paths() {
            for nx in [None, Some(&next[..])] {
                let mut got = vec![i64::MIN; y];
                kern.delta_each(&reps, &col, &lab, nx, &mut got);
                prop_assert_eq!(&got, &want, "path {}", kern.path());
            }
        }
    }

    #[test]
    fn update_classify_matches_definition(stripes in 1usize..4, seed: u64, fill: bool) {
        update_classify_case::<i16>(stripes, seed, fill)?;
        update_classify_case::<i32>(stripes, seed, fill)?;
    }

    #[test]
    fn relu_update_matches_definition(stripes in 1usize..4, seed: u64, fill: bool, cneg: bool) {
        relu_update_case::<i16>(stripes, seed, fill, cneg)?;
        relu_update_case::<i32>(stripes, seed, fill, cneg)?;
    }
}

fn update_classify_case<L: Lane>(
    stripes: usize,
    seed: u64,
    fill: bool,
) -> Result<(), TestCaseError> {
    {
        let len = stripes * STRIPE;
        let (c, l) = (words(seed, len), words(seed ^ 7, len));
        let lanes0: Vec<L> = words(seed ^ 9, len * 64)
            .iter()
            .map(|x| L::from_i32((*x % 9) as i32 - 4))
            .collect();
        let f = if fill { !0 } else { 0 };
        let mut want = lanes0.clone();
        for (mu, v) in want.iter_mut().enumerate() {
            *v = v.wadd(if bit(&c, mu) ^ bit(&l, mu) ^ (f & 1) == 1 {
                2
            } else {
                -2
            });
        }
        for k in paths() {
            let mut lanes = lanes0.clone();
            let (mut e1, mut em1, mut ng) = (vec![0; len], vec![0; len], vec![0; len]);
            k.update_classify(&mut lanes, &c, &l, f, &mut e1, &mut em1, &mut ng);
            prop_assert_eq!(&lanes, &want, "path {}", k.path());
            for (mu, &v) in want.iter().enumerate() {
                prop_assert_eq!(bit(&e1, mu) == 1, v == L::ONE);
                prop_assert_eq!(bit(&em1, mu) == 1, v == L::MONE);
                prop_assert_eq!(bit(&ng, mu) == 1, v < L::ZERO);
            }
        }
    }
    Ok(())
}

fn relu_update_case<L: Lane>(
    stripes: usize,
    seed: u64,
    fill: bool,
    cneg: bool,
) -> Result<(), TestCaseError> {
    {
        let len = stripes * STRIPE;
        let (c, l) = (words(seed, len), words(seed ^ 5, len));
        let lam0: Vec<L> = words(seed ^ 11, len * 64)
            .iter()
            .map(|x| L::from_i32(2 * ((*x % 7) as i32 - 3)))
            .collect();
        let g0: Vec<L> = words(seed ^ 13, len * 64)
            .iter()
            .map(|x| L::from_i32(2 * ((*x % 7) as i32 - 3)))
            .collect();
        let (f, cf) = (if fill { !0u64 } else { 0 }, if cneg { !0u64 } else { 0 });
        let (mut lam_w, mut g_w) = (lam0.clone(), g0.clone());
        for mu in 0..len * 64 {
            let old = lam_w[mu];
            let new = old.wadd(if bit(&c, mu) ^ (f & 1) == 1 { 2 } else { -2 });
            lam_w[mu] = new;
            let s = if bit(&l, mu) ^ (cf & 1) == 1 { -1 } else { 1 };
            g_w[mu] = g_w[mu].wadd(s * (new.to_i32().max(0) - old.to_i32().max(0)));
        }
        for k in paths() {
            let (mut lam, mut g) = (lam0.clone(), g0.clone());
            let mut o = [
                vec![0u64; len],
                vec![0u64; len],
                vec![0u64; len],
                vec![0u64; len],
            ];
            let [o0, o1, o2, o3] = &mut o;
            k.relu_update(&mut lam, &mut g, &c, &l, f, cf, [o0, o1, o2, o3]);
            prop_assert_eq!(&lam, &lam_w, "path {}", k.path());
            prop_assert_eq!(&g, &g_w, "path {}", k.path());
            for mu in 0..len * 64 {
                prop_assert_eq!(bit(&o[0], mu) == 1, lam_w[mu] >= L::ZERO);
                prop_assert_eq!(bit(&o[1], mu) == 1, lam_w[mu] == L::ZERO);
                prop_assert_eq!(bit(&o[2], mu) == 1, g_w[mu] == L::ZERO);
                prop_assert_eq!(bit(&o[3], mu) == 1, g_w[mu] == L::TWO);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn accumulate_matches_definition(stripes in 1usize..3, seed: u64, fill: bool) {
        let len = stripes * STRIPE;
        let b = words(seed, len);
        let f = if fill { !0 } else { 0 };
        let lanes0: Vec<i32> = (0..len * 64).map(|i| i as i32 % 5 - 2).collect();
        for k in paths() {
            let mut lanes = lanes0.clone();
            k.accumulate(&mut lanes, &b, f);
            for mu in 0..len * 64 {
                let want = lanes0[mu] + if bit(&b, mu) ^ (f & 1) == 1 { -1 } else { 1 };
                prop_assert_eq!(lanes[mu], want, "path {}", k.path());
            }
        }
    }

    /// Column counts 0..~100 cover the 16-column carry-save groups and every tail length; the counters
    /// start from random values, as when the caller feeds a block 16 columns at a time.
    #[test]
    fn vcount_matches_definition(ncols in 0usize..100, stripes in 1usize..8, seed: u64) {
        let stride = stripes * STRIPE;
        let cols = words(seed, ncols.max(1) * stride);
        let fills: Vec<u64> = words(seed ^ 3, ncols).iter().map(|x| if x & 1 == 1 { !0 } else { 0 }).collect();
        let nplanes = ((usize::BITS - (ncols + 300).leading_zeros()) as usize).max(4);
        // Initial counts below 300 per lane, in bit-sliced form.
        let init: Vec<u64> = words(seed ^ 5, stride * 64).iter().map(|x| x % 300).collect();
        let mut state0 = vec![[0u64; STRIPE]; stripes * nplanes];
        for (lane, &v) in init.iter().enumerate() {
            let (s, w, j) = (lane / 512, (lane % 512) / 64, lane % 64);
            for b in 0..nplanes {
                state0[s * nplanes + b][w] |= ((v >> b) & 1) << j;
            }
        }
        let mut want = init.clone();
        for (c, f) in fills.iter().enumerate() {
            for (lane, w) in want.iter_mut().enumerate() {
                *w += bit(&cols[c * stride..], lane) ^ (f & 1);
            }
        }
        for k in paths() {
            let mut state = state0.clone();
            k.vcount(&cols, stride, &fills, &mut state);
            for (lane, &w) in want.iter().enumerate() {
                let (s, wd, j) = (lane / 512, (lane % 512) / 64, lane % 64);
                let got: u64 = (0..nplanes).map(|b| ((state[s * nplanes + b][wd] >> j) & 1) << b).sum();
                prop_assert_eq!(got, w, "path {} lane {}", k.path(), lane);
            }
        }
    }
}

#[test]
fn best_path_is_supported_and_words_round_up() {
    assert!(Kernels::best().path().supported());
    assert_eq!(words_for_bits(600), 16);
}

// ---- The layout rules: refused shapes ----

/// Runs `f` and tells whether it panicked (the panic message goes to the captured output).
fn panics(f: impl FnOnce()) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err()
}

/// Issue #10: AVX-512 `delta` counted only whole 8-word stripes (rows of 5 words: 0, generic 320). Rows
/// that are not whole stripes, or not all one length, are now refused by every path alike.
#[test]
fn every_path_refuses_rows_that_are_not_whole_stripes() {
    let ones = [!0u64; 16];
    let zeros = [0u64; 16];
    let generic = Kernels::get(Path::Generic).unwrap();
    // Whole stripes: every a bit counts (y = 0), so ΔE = 64 per word.
    assert_eq!(
        generic.delta(&ones[..8], &zeros[..8], &zeros[..8], &zeros[..8], 0),
        512
    );
    for k in paths() {
        let p = k.path();
        assert!(
            panics(|| {
                k.delta(&ones[..5], &zeros[..5], &zeros[..5], &zeros[..5], 0);
            }),
            "{p}: delta on 5-word rows"
        );
        assert!(
            panics(|| {
                k.delta(&ones[..16], &zeros[..8], &zeros[..8], &zeros[..8], 0);
            }),
            "{p}: delta on rows of 16 and 8 words"
        );
        let reps = [SiteRows {
            a: &ones[..5],
            b: &zeros[..5],
            fill: 0,
        }];
        let mut out = [0i64; 1];
        assert!(
            panics(|| k.delta_each(&reps, &zeros[..5], &zeros[..5], None, &mut out)),
            "{p}: delta_each on 5-word rows"
        );
        let reps = [SiteRows {
            a: &ones[..16],
            b: &zeros[..16],
            fill: 0,
        }];
        assert!(
            panics(|| k.delta_each(&reps, &zeros[..8], &zeros[..8], None, &mut out)),
            "{p}: delta_each, replica rows longer than the column"
        );
        let mut lanes = vec![0i16; 64 * 8];
        let (mut e1, mut em1, mut ng) = (vec![0u64; 16], vec![0u64; 16], vec![0u64; 16]);
        assert!(
            panics(|| k.update_classify(&mut lanes, &zeros, &zeros, 0, &mut e1, &mut em1, &mut ng)),
            "{p}: update_classify with lanes for 8 of 16 words"
        );
        let mut acc = vec![0i32; 64 * 5];
        assert!(
            panics(|| k.accumulate(&mut acc, &zeros[..5], 0)),
            "{p}: accumulate on a 5-word row"
        );
        let mut state = vec![[0u64; STRIPE]; 4];
        assert!(
            panics(|| k.vcount(&zeros[..5], 5, &[0], &mut state)),
            "{p}: vcount with a 5-word stride"
        );
        assert!(
            panics(|| k.vcount(&zeros, 8, &[0, 0, 0], &mut state)),
            "{p}: vcount with 3 columns in 2"
        );
        assert!(
            panics(|| k.vcount(&zeros, 8, &[0], &mut state[..3])),
            "{p}: vcount with 3 planes"
        );
    }
    assert!(DeltaRows::new(
        &ones[..5],
        &zeros[..5],
        &zeros[..10],
        &zeros[..5],
        &[0],
        &[0],
        5,
        2,
        false
    )
    .is_err());
}

#[test]
fn delta_rows_refuse_inconsistent_shapes() {
    let z = vec![0u64; 65 * 8];
    // Rows of K = cneg.len() units, A = B = `a`.
    let rows = |a: &[u64], cols: &[u64], labels: &[u64], w: &[u64], cneg: &[u64], s, n_unit| {
        DeltaRows::new(a, a, cols, labels, w, cneg, s, n_unit, false).map(|r| r.sites())
    };
    let (a, cols, lab, w, k2) = (&z[..16], &z[..32], &z[..8], &z[..1], &z[..2]);
    assert_eq!(rows(a, cols, lab, w, k2, 8, 2), Ok(4));
    let refused = [
        ("stride 0", rows(a, cols, lab, w, k2, 0, 2)),
        (
            "stride 12",
            rows(&z[..24], &z[..48], &z[..12], w, k2, 12, 2),
        ),
        (
            "A for one unit of two",
            rows(&z[..8], cols, lab, w, k2, 8, 2),
        ),
        ("σ of two rows", rows(a, cols, &z[..16], w, k2, 8, 2)),
        (
            "columns not whole rows",
            rows(a, &z[..28], lab, w, k2, 8, 2),
        ),
        (
            "3 columns for 2 units of 2",
            rows(a, &z[..24], lab, w, k2, 8, 2),
        ),
        (
            "4 columns for 2 units of 1",
            rows(a, cols, lab, w, k2, 8, 1),
        ),
        ("n_unit 0", rows(a, &[], lab, w, k2, 8, 0)),
        ("no unit", rows(&[], &[], lab, w, &[], 8, 2)),
        (
            "65 sites, 64 weight bits",
            rows(&z[..8], &z[..65 * 8], lab, w, &z[..1], 8, 65),
        ),
    ];
    for (what, r) in refused {
        assert!(r.is_err(), "{what}: accepted");
    }
    let e = rows(a, &z[..24], lab, w, k2, 8, 2).unwrap_err().to_string();
    assert!(e.starts_with("cols (the instance columns)"), "{e}");
}

/// Zero-filled memory of `words` words that the kernel backs lazily (`MAP_NORESERVE`: nothing is
/// committed until touched), or `None` where it cannot be had. Never unmapped.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn huge_zeros(words: usize) -> Option<&'static mut [u64]> {
    use std::ffi::c_void;
    extern "C" {
        fn mmap(
            addr: *mut c_void,
            len: usize,
            prot: i32,
            flags: i32,
            fd: i32,
            off: i64,
        ) -> *mut c_void;
    }
    const PROT_READ_WRITE: i32 = 0x1 | 0x2;
    const MAP_PRIVATE_ANONYMOUS_NORESERVE: i32 = 0x02 | 0x20 | 0x4000;
    // SAFETY: a fresh private anonymous mapping, not aliased; MAP_FAILED is checked before use.
    let p = unsafe {
        mmap(
            std::ptr::null_mut(),
            words * 8,
            PROT_READ_WRITE,
            MAP_PRIVATE_ANONYMOUS_NORESERVE,
            -1,
            0,
        )
    };
    if p as isize == -1 {
        eprintln!("skipped: cannot map {words} words of address space");
        return None;
    }
    // SAFETY: the mapping is `words` words of zeros, readable and writable, 4 KiB aligned, and lives to the end.
    Some(unsafe { std::slice::from_raw_parts_mut(p.cast::<u64>(), words) })
}

/// Issue #10: the rows of K = 2³² units of 2³² words have K·stride = 2⁶⁴ words, which wrapped to 0, so
/// A and B of 8 words passed the old check and the AVX-512 scan read 2³² words from them (SIGSEGV).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[test]
fn delta_rows_refuse_a_wrapping_unit_count_times_stride() {
    let Some(big) = huge_zeros(1 << 32) else {
        return;
    };
    let big: &[u64] = big;
    let small = [0u64; 8];
    // K = cneg.len() = 2³², stride = labels.len() = 2³², one site (cols = one row), weights for it.
    let rows = DeltaRows::new(&small, &small, big, big, big, big, 1 << 32, 1, false);
    assert!(rows.is_err(), "rows whose K·stride overflows were accepted");
}

/// Issue #10: `fills.len()·stride` (2³³ columns of 2³¹ words) wrapped to 0 in the AVX-512 check, so its
/// vertical count read far past the 8 words of columns it was given (SIGSEGV). Every path must refuse it
/// before reading. Run in a child process so that a crash fails this test alone.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[test]
fn vcount_refuses_a_wrapping_column_count_times_stride() {
    const CHILD: &str = "DENSEMC_KERNELS_CHILD";
    let name = "vcount_refuses_a_wrapping_column_count_times_stride";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "the child failed or crashed ({}):\n{err}",
            out.status
        );
        return;
    }
    let stride = 1usize << 31;
    let Some(fills) = huge_zeros(1 << 33) else {
        return;
    };
    let fills: &[u64] = fills;
    let Some(state) = huge_zeros(4 * (stride / STRIPE) * STRIPE) else {
        return;
    };
    // SAFETY: the mapping is 4·(stride/STRIPE) stripes of 8 zero words, 4 KiB aligned.
    let state: &mut [[u64; STRIPE]] =
        unsafe { std::slice::from_raw_parts_mut(state.as_mut_ptr().cast(), 4 * (stride / STRIPE)) };
    let cols = [0u64; 8];
    for k in paths() {
        eprintln!("path {}", k.path());
        assert!(
            panics(|| k.vcount(&cols, stride, fills, state)),
            "{}: accepted 2³³ columns in 8 words",
            k.path()
        );
    }
}
