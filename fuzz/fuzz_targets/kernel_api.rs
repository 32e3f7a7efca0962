//! The safe kernel API (`densemc::bits::Kernels`, `DeltaRows::new`) on arbitrary shapes and contents,
//! every kernel path of this CPU against the generic one (the oracle).
//!
//! The first byte picks the kernel (`delta`, `scan`, `delta_each`, `popcount`, `update_classify` and
//! `relu_update` with both lane types, `accumulate`, `vcount`); the next bytes give the shape (lengths are
//! mostly consistent, sometimes off, so that the layout checks are driven on both sides) and a seed
//! from which the contents are drawn. For each path the outcome must be the generic one: the same refusal
//! (a panic: caught here) or the same results and the same slices written. A `DeltaRows` shape is
//! either refused by its constructor or scanned on every path. Any difference panics.

#![no_main]

use densemc::bits::{DeltaRows, Kernels, Lane, Path, SiteRows, Stripe, STRIPE};
use densemc::rng::splitmix64;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// `f()`, or `None` when it panics (quietly: libFuzzer's hook would abort on any panic).
fn outcome<T>(f: impl FnOnce() -> T) -> Option<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    r.ok()
}

/// Runs `f` on every path and requires the generic outcome from each.
fn same<T: PartialEq + std::fmt::Debug>(what: &str, f: impl Fn(&'static Kernels) -> T) {
    let generic = Kernels::get(Path::Generic).unwrap();
    let want = outcome(|| f(generic));
    for k in Path::available().into_iter().filter_map(Kernels::get) {
        let got = outcome(|| f(k));
        assert_eq!(got, want, "{what}: path {} differs from generic", k.path());
    }
}

/// Random words from a seed.
fn words(seed: u64, len: usize) -> Vec<u64> {
    let mut s = seed;
    (0..len).map(|_| splitmix64(&mut s)).collect()
}

/// A length near `base` words: mostly `base`, sometimes a few words off or anything small.
fn len_near(u: &mut Unstructured, base: usize) -> Result<usize> {
    Ok(match u.int_in_range(0..=15u8)? {
        0 => base.saturating_sub(u.int_in_range(1..=9)?),
        1 => base + u.int_in_range(1..=9)?,
        2 => u.int_in_range(0..=40)?,
        _ => base,
    })
}

/// A number of words: mostly whole stripes.
fn row_words(u: &mut Unstructured) -> Result<usize> {
    Ok(if u.ratio(7, 8)? {
        STRIPE * u.int_in_range(1..=5)?
    } else {
        u.int_in_range(0..=41)?
    })
}

fn fill(u: &mut Unstructured) -> Result<u64> {
    Ok(if u.arbitrary()? { !0 } else { 0 })
}

/// Lanes of small values around the margins, or anything.
fn lanes<L: Lane>(seed: u64, len: usize, wide: bool) -> Vec<L> {
    words(seed, len)
        .into_iter()
        .map(|x| {
            if wide {
                L::from_i32(x as i32)
            } else {
                L::from_i32((x % 11) as i32 - 5)
            }
        })
        .collect()
}

fn update_classify<L: Lane>(u: &mut Unstructured, seed: u64) -> Result<()> {
    let w = row_words(u)?;
    let (nl, nc, ne) = (len_near(u, 64 * w)?, len_near(u, w)?, len_near(u, w)?);
    let (lanes0, col, lab) = (
        lanes::<L>(seed, nl, u.arbitrary()?),
        words(seed ^ 1, nc),
        words(seed ^ 2, w),
    );
    let f = fill(u)?;
    same("update_classify", |k| {
        let mut v = lanes0.clone();
        let (mut a, mut b, mut c) = (vec![0; ne], vec![0; w], vec![0; w]);
        k.update_classify(&mut v, &col, &lab, f, &mut a, &mut b, &mut c);
        (v, a, b, c)
    });
    Ok(())
}

fn relu_update<L: Lane>(u: &mut Unstructured, seed: u64) -> Result<()> {
    let w = row_words(u)?;
    let (nl, ng, nc, no) = (
        len_near(u, 64 * w)?,
        len_near(u, 64 * w)?,
        len_near(u, w)?,
        len_near(u, w)?,
    );
    let wide = u.arbitrary()?;
    let (lam0, g0) = (lanes::<L>(seed, nl, wide), lanes::<L>(seed ^ 1, ng, wide));
    let (col, lab) = (words(seed ^ 2, nc), words(seed ^ 3, w));
    let (f, cf) = (fill(u)?, fill(u)?);
    same("relu_update", |k| {
        let (mut lam, mut g) = (lam0.clone(), g0.clone());
        let mut o = [vec![0; no], vec![0; w], vec![0; w], vec![0; w]];
        let [o0, o1, o2, o3] = &mut o;
        k.relu_update(&mut lam, &mut g, &col, &lab, f, cf, [o0, o1, o2, o3]);
        (lam, g, o)
    });
    Ok(())
}

fn scan(u: &mut Unstructured, seed: u64) -> Result<()> {
    let stride = if u.ratio(7, 8)? {
        STRIPE * u.int_in_range(1..=5)?
    } else {
        u.int_in_range(0..=41)?
    };
    let k: usize = u.int_in_range(0..=4)?;
    let n_unit: usize = u.int_in_range(0..=40)?;
    let n = k * n_unit;
    let (la, lb) = (len_near(u, k * stride)?, len_near(u, k * stride)?);
    let (lc, ll) = (len_near(u, n * stride)?, len_near(u, stride)?);
    let lw = len_near(u, n.div_ceil(64))?;
    let (a, b, cols, labels, w) = (
        words(seed, la),
        words(seed ^ 1, lb),
        words(seed ^ 2, lc),
        words(seed ^ 3, ll),
        words(seed ^ 4, lw),
    );
    let cneg: Vec<u64> = (0..k).map(|l| ((seed >> l) & 1).wrapping_neg()).collect();
    let prefetch = u.arbitrary()?;
    let Ok(rows) = DeltaRows::new(&a, &b, &cols, &labels, &w, &cneg, stride, n_unit, prefetch)
    else {
        return Ok(());
    };
    assert_eq!((rows.sites(), rows.sites() * stride), (n, lc));
    // Sites: in range, except (rarely) one past the end, which every path must refuse.
    let count: usize = u.int_in_range(0..=64)?;
    let sites: Vec<usize> = (0..count)
        .map(|_| {
            let x: u16 = u.arbitrary().unwrap_or(0);
            if rows.sites() == 0 || x == u16::MAX {
                rows.sites()
            } else {
                x as usize % rows.sites()
            }
        })
        .collect();
    let stop: usize = u.int_in_range(0..=64)?;
    same("scan", |kern| {
        let mut seen = Vec::new();
        let hit = kern.scan(&rows, &sites, |i, de| {
            seen.push((i, de));
            seen.len() > stop
        });
        (seen, hit)
    });
    // Each ΔE the scan hands out is `delta` on the rows `site` picks.
    if let Some(&i) = sites.iter().find(|&&i| i < rows.sites()) {
        let (a, b, col, f) = rows.site(i);
        let want = Kernels::get(Path::Generic)
            .unwrap()
            .delta(a, b, col, rows.labels(), f);
        same("scan vs delta", |kern| kern.scan(&rows, &[i], |_, _| true));
        assert_eq!(
            Kernels::get(Path::Generic)
                .unwrap()
                .scan(&rows, &[i], |_, _| true),
            Some((0, want))
        );
    }
    Ok(())
}

fn body(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let op: u8 = u.int_in_range(0..=9)?;
    let seed: u64 = u.arbitrary()?;
    match op {
        0 => {
            let s = row_words(&mut u)?;
            let (la, lb, ll) = (
                len_near(&mut u, s)?,
                len_near(&mut u, s)?,
                len_near(&mut u, s)?,
            );
            let (a, b, c, l) = (
                words(seed, la),
                words(seed ^ 1, lb),
                words(seed ^ 2, s),
                words(seed ^ 3, ll),
            );
            let f = fill(&mut u)?;
            same("delta", |k| k.delta(&a, &b, &c, &l, f));
        }
        1 => scan(&mut u, seed)?,
        2 => {
            let s = row_words(&mut u)?;
            let y: usize = u.int_in_range(0..=10)?;
            let mut reps = Vec::new();
            for r in 0..y as u64 {
                let (la, lb) = (len_near(&mut u, s)?, len_near(&mut u, s)?);
                reps.push((
                    words(seed ^ (10 + r), la),
                    words(seed ^ (30 + r), lb),
                    fill(&mut u)?,
                ));
            }
            let (col, lab) = (words(seed ^ 1, s), words(seed ^ 2, len_near(&mut u, s)?));
            let next = match u.int_in_range(0..=2u8)? {
                0 => None,
                1 => Some(words(seed ^ 3, s)),
                _ => Some(words(seed ^ 3, len_near(&mut u, s)?)),
            };
            let nout = len_near(&mut u, y)?;
            let sr: Vec<SiteRows> = reps
                .iter()
                .map(|(a, b, f)| SiteRows { a, b, fill: *f })
                .collect();
            same("delta_each", |k| {
                let mut out = vec![i64::MIN; nout];
                k.delta_each(&sr, &col, &lab, next.as_deref(), &mut out);
                out
            });
        }
        3 => {
            let v = words(seed, u.int_in_range(0..=100)?);
            same("popcount", |k| k.popcount(&v));
        }
        4 => update_classify::<i16>(&mut u, seed)?,
        5 => update_classify::<i32>(&mut u, seed)?,
        6 => relu_update::<i16>(&mut u, seed)?,
        7 => relu_update::<i32>(&mut u, seed)?,
        8 => {
            let w = row_words(&mut u)?;
            let b = words(seed, w);
            let lanes0 = lanes::<i32>(seed ^ 1, len_near(&mut u, 64 * w)?, false);
            let f = fill(&mut u)?;
            same("accumulate", |k| {
                let mut v = lanes0.clone();
                k.accumulate(&mut v, &b, f);
                v
            });
        }
        _ => {
            let stride = row_words(&mut u)?;
            let ncols: usize = u.int_in_range(0..=80)?;
            let cols = words(seed, len_near(&mut u, ncols * stride)?);
            let fills: Vec<u64> = words(seed ^ 1, ncols)
                .into_iter()
                .map(|x| (x & 1).wrapping_neg())
                .collect();
            // Counters of 3 to 9 planes per stripe (too few planes make the counts wrap: alike on every path).
            let planes: usize = u.int_in_range(3..=9)?;
            let nstate = len_near(&mut u, planes * (stride / STRIPE))?;
            let state0: Vec<Stripe> = words(seed ^ 2, nstate * STRIPE)
                .chunks_exact(STRIPE)
                .map(|c| c.try_into().unwrap())
                .collect();
            same("vcount", |k| {
                let mut st = state0.clone();
                k.vcount(&cols, stride, &fills, &mut st);
                st
            });
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = body(data);
});
