//! Word-level kernels on bit rows (`&[u64]`) and integer lanes, with one dispatch point.
//!
//! Layout shared by every kernel: a *bit row* holds one bit per pattern μ (bit μ%64 of word μ/64; bit 1 means
//! the ±1 value −1, so a product of ±1 values is the XOR of their bits) and its length is a multiple of
//! [`STRIPE`] words; a *lane slice* holds one small integer per pattern, 64 lanes per word of bit row.
//!
//! [`Kernels`] is a table of safe functions for one instruction-set [`Path`]. [`Kernels::best`] detects the
//! CPU once and caches the choice; [`Kernels::get`] hands out any other path the CPU supports, for tests
//! and benchmarks. The portable path in [`generic`] is the oracle all other paths are tested against.

mod aligned;
pub mod generic;
mod lane;
mod scan;
#[cfg(target_arch = "x86_64")]
mod x86_64;

pub use aligned::{valid_mask, words_for_bits, AlignedWords, STRIPE};
pub use lane::Lane;
pub use scan::{prefetch, DeltaRows, SiteRows, PREFETCH_AHEAD};

use std::fmt;
use std::sync::OnceLock;

/// An instruction-set path of the kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Path {
    /// Portable Rust on `u64` words: every architecture.
    Generic,
    /// x86-64 with AVX2 + POPCNT + BMI2.
    Avx2,
    /// x86-64 with AVX-512 F + BW + VPOPCNTDQ.
    Avx512,
}

impl Path {
    pub const ALL: [Path; 3] = [Path::Generic, Path::Avx2, Path::Avx512];

    pub fn name(self) -> &'static str {
        match self {
            Path::Generic => "generic",
            Path::Avx2 => "avx2",
            Path::Avx512 => "avx512",
        }
    }

    pub fn parse(s: &str) -> Option<Path> {
        Path::ALL.into_iter().find(|p| p.name() == s)
    }

    /// Whether this CPU can run the path.
    pub fn supported(self) -> bool {
        match self {
            Path::Generic => true,
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => {
                is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("popcnt")
                    && is_x86_feature_detected!("bmi1")
                    && is_x86_feature_detected!("bmi2")
                    && is_x86_feature_detected!("lzcnt")
            }
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vpopcntdq")
                    && is_x86_feature_detected!("popcnt")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The paths this CPU supports, slowest first.
    pub fn available() -> Vec<Path> {
        Path::ALL.into_iter().filter(|p| p.supported()).collect()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

type Stripe = [u64; STRIPE];

/// The kernels of one [`Path`]; every method is safe (the table exists only for a supported path).
pub struct Kernels {
    path: Path,
    delta: fn(&[u64], &[u64], &[u64], &[u64], u64) -> i64,
    popcount: fn(&[u64]) -> u64,
    update_classify16: fn(&mut [i16], &[u64], &[u64], u64, &mut [u64], &mut [u64], &mut [u64]),
    update_classify32: fn(&mut [i32], &[u64], &[u64], u64, &mut [u64], &mut [u64], &mut [u64]),
    relu_update16: fn(&mut [i16], &mut [i16], &[u64], &[u64], u64, u64, [&mut [u64]; 4]),
    relu_update32: fn(&mut [i32], &mut [i32], &[u64], &[u64], u64, u64, [&mut [u64]; 4]),
    accumulate: fn(&mut [i32], &[u64], u64),
    vcount: fn(&[u64], usize, &[u64], &mut [Stripe]),
}

macro_rules! kernel_table {
    ($table:ident, $name:ident, $path:expr, $m:path) => {
        mod $name {
            #![allow(clippy::too_many_arguments)]
            //! Safe wrappers: reachable only through a table handed out after feature detection.
            use super::Stripe;
            use $m as k;
            pub fn delta(a: &[u64], b: &[u64], c: &[u64], l: &[u64], f: u64) -> i64 {
                unsafe { k::delta(a, b, c, l, f) }
            }
            pub fn popcount(w: &[u64]) -> u64 {
                unsafe { k::popcount(w) }
            }
            pub fn update_classify16(
                v: &mut [i16],
                c: &[u64],
                l: &[u64],
                f: u64,
                a: &mut [u64],
                b: &mut [u64],
                n: &mut [u64],
            ) {
                unsafe { k::update_classify16(v, c, l, f, a, b, n) }
            }
            pub fn update_classify32(
                v: &mut [i32],
                c: &[u64],
                l: &[u64],
                f: u64,
                a: &mut [u64],
                b: &mut [u64],
                n: &mut [u64],
            ) {
                unsafe { k::update_classify32(v, c, l, f, a, b, n) }
            }
            pub fn relu_update16(
                v: &mut [i16],
                g: &mut [i16],
                c: &[u64],
                l: &[u64],
                f: u64,
                cf: u64,
                o: [&mut [u64]; 4],
            ) {
                unsafe { k::relu_update16(v, g, c, l, f, cf, o) }
            }
            pub fn relu_update32(
                v: &mut [i32],
                g: &mut [i32],
                c: &[u64],
                l: &[u64],
                f: u64,
                cf: u64,
                o: [&mut [u64]; 4],
            ) {
                unsafe { k::relu_update32(v, g, c, l, f, cf, o) }
            }
            pub fn accumulate(v: &mut [i32], b: &[u64], f: u64) {
                unsafe { k::accumulate(v, b, f) }
            }
            pub fn vcount(c: &[u64], s: usize, f: &[u64], p: &mut [Stripe]) {
                unsafe { k::vcount(c, s, f, p) }
            }
        }
        static $table: Kernels = Kernels {
            path: $path,
            delta: $name::delta,
            popcount: $name::popcount,
            update_classify16: $name::update_classify16,
            update_classify32: $name::update_classify32,
            relu_update16: $name::relu_update16,
            relu_update32: $name::relu_update32,
            accumulate: $name::accumulate,
            vcount: $name::vcount,
        };
    };
}

static GENERIC: Kernels = Kernels {
    path: Path::Generic,
    delta: generic::delta,
    popcount: generic::popcount,
    update_classify16: generic::update_classify::<i16>,
    update_classify32: generic::update_classify::<i32>,
    relu_update16: generic::relu_update::<i16>,
    relu_update32: generic::relu_update::<i32>,
    accumulate: generic::accumulate,
    vcount: generic::vcount,
};

#[cfg(target_arch = "x86_64")]
kernel_table!(AVX2, avx2_table, Path::Avx2, crate::bits::x86_64::avx2);
#[cfg(target_arch = "x86_64")]
kernel_table!(
    AVX512,
    avx512_table,
    Path::Avx512,
    crate::bits::x86_64::avx512
);

/// Environment variable that pins the path `Kernels::best` picks (`generic`, `avx2`, `avx512`).
pub const PATH_ENV: &str = "DENSEMC_PATH";

impl Kernels {
    /// The kernels of `path`, if this CPU supports it.
    pub fn get(path: Path) -> Option<&'static Kernels> {
        if !path.supported() {
            return None;
        }
        match path {
            Path::Generic => Some(&GENERIC),
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => Some(&AVX2),
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => Some(&AVX512),
            #[cfg(not(target_arch = "x86_64"))]
            _ => None,
        }
    }

    /// The fastest path this CPU supports, or the one named by `DENSEMC_PATH` when that is set and supported
    /// (the CLI refuses an unknown or unsupported value before it gets here). Detected once, then cached.
    pub fn best() -> &'static Kernels {
        static BEST: OnceLock<&'static Kernels> = OnceLock::new();
        BEST.get_or_init(|| {
            let pinned = std::env::var(PATH_ENV)
                .ok()
                .and_then(|s| Path::parse(s.trim()));
            pinned
                .and_then(Kernels::get)
                .or_else(|| Path::available().into_iter().rev().find_map(Kernels::get))
                .unwrap_or(&GENERIC)
        })
    }

    /// Checks a `DENSEMC_PATH` value: `Ok(None)` when unset.
    pub fn check_env() -> Result<Option<Path>, String> {
        match std::env::var(PATH_ENV) {
            Err(_) => Ok(None),
            Ok(s) => match Path::parse(s.trim()) {
                None => Err(format!(
                    "{PATH_ENV}={s:?} is not a kernel path: use generic, avx2 or avx512"
                )),
                Some(p) if !p.supported() => Err(format!(
                    "{PATH_ENV}={s}: this CPU does not support that path; it supports {}",
                    Path::available()
                        .iter()
                        .map(|p| p.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(p) => Ok(Some(p)),
            },
        }
    }

    pub fn path(&self) -> Path {
        self.path
    }

    /// ΔE = Σ popcnt(a & !y) − popcnt(b & y) over the rows, y = col ^ lab ^ fill.
    #[inline]
    pub fn delta(&self, a: &[u64], b: &[u64], col: &[u64], lab: &[u64], fill: u64) -> i64 {
        (self.delta)(a, b, col, lab, fill)
    }

    /// A run of single-flip proposals at `sites`, in order, with one dispatch for the whole run: ΔE_i of
    /// each (as [`Kernels::delta`] on the rows [`DeltaRows::site`] picks) goes to `accept(i, ΔE_i)` until
    /// that returns true. Returns the accepted proposal's position in `sites` and its ΔE, or `None` when
    /// every proposal was rejected. `accept` is compiled into this path's loop (it is generic, not a call).
    #[inline]
    pub fn scan<F: FnMut(usize, i64) -> bool>(
        &self,
        rows: &DeltaRows,
        sites: &[usize],
        accept: F,
    ) -> Option<(usize, i64)> {
        match self.path {
            // SAFETY: a table of these paths exists only after the CPU was found to support them.
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => unsafe { x86_64::avx512::scan(rows, sites, accept) },
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => unsafe { x86_64::avx2::scan(rows, sites, accept) },
            _ => generic::scan(rows, sites, accept),
        }
    }

    /// ΔE of flipping one site in each of several replicas: `out[r]` = [`Kernels::delta`] of
    /// (`reps[r].a`, `reps[r].b`, `col`, `lab`, `reps[r].fill`), reading the column once for all. `next`,
    /// the column of the site that comes next, is prefetched meanwhile (a hint).
    #[inline]
    pub fn delta_each(
        &self,
        reps: &[SiteRows],
        col: &[u64],
        lab: &[u64],
        next: Option<&[u64]>,
        out: &mut [i64],
    ) {
        match self.path {
            // SAFETY: a table of these paths exists only after the CPU was found to support them.
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => unsafe { x86_64::avx512::delta_each(reps, col, lab, next, out) },
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => unsafe { x86_64::avx2::delta_each(reps, col, lab, next, out) },
            _ => generic::delta_each(reps, col, lab, next, out),
        }
    }

    /// Number of set bits.
    #[inline]
    pub fn popcount(&self, words: &[u64]) -> u64 {
        (self.popcount)(words)
    }

    /// See [`generic::update_classify`].
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn update_classify<L: Lane>(
        &self,
        lanes: &mut [L],
        col: &[u64],
        lab: &[u64],
        fill: u64,
        eq1: &mut [u64],
        eqm1: &mut [u64],
        neg: &mut [u64],
    ) {
        L::update_classify(self, lanes, col, lab, fill, eq1, eqm1, neg)
    }

    /// See [`generic::relu_update`]; `out` is `[g0, z, h0, h2]`.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn relu_update<L: Lane>(
        &self,
        lam: &mut [L],
        g: &mut [L],
        col: &[u64],
        lab: &[u64],
        fill: u64,
        cfill: u64,
        out: [&mut [u64]; 4],
    ) {
        L::relu_update(self, lam, g, col, lab, fill, cfill, out)
    }

    /// See [`generic::accumulate`].
    #[inline]
    pub fn accumulate(&self, lanes: &mut [i32], bits: &[u64], fill: u64) {
        (self.accumulate)(lanes, bits, fill)
    }

    /// See [`generic::vcount`].
    #[inline]
    pub fn vcount(&self, cols: &[u64], stride: usize, fills: &[u64], state: &mut [Stripe]) {
        (self.vcount)(cols, stride, fills, state)
    }
}

/// Bit-sliced integers over one 512-pattern stripe: plane b holds bit b of every lane's value.
pub mod sliced {
    use super::STRIPE;
    pub type Stripe = [u64; STRIPE];

    /// Lanes where value ≥ t (t a constant), value given by its planes (missing high planes are zero).
    pub fn ge_const(planes: &[Stripe], t: u64) -> Stripe {
        if t == 0 {
            return [!0; STRIPE];
        }
        if (64 - t.leading_zeros()) as usize > planes.len() {
            // t needs more bits than the value has: only possible if all those planes are zero, so value < t.
            return [0; STRIPE];
        }
        let mut gt = [0u64; STRIPE];
        let mut eq = [!0u64; STRIPE];
        for b in (0..planes.len()).rev() {
            let tb = (t >> b) & 1 == 1;
            for j in 0..STRIPE {
                if tb {
                    eq[j] &= planes[b][j];
                } else {
                    gt[j] |= eq[j] & planes[b][j];
                    eq[j] &= !planes[b][j];
                }
            }
        }
        std::array::from_fn(|j| gt[j] | eq[j])
    }

    /// Per-lane (a > b, a == b) of two unsigned bit-sliced values (missing planes are zero).
    pub fn cmp(a: &[Stripe], b: &[Stripe]) -> (Stripe, Stripe) {
        let n = a.len().max(b.len());
        let mut gt = [0u64; STRIPE];
        let mut eq = [!0u64; STRIPE];
        for k in (0..n).rev() {
            let pa = a.get(k).copied().unwrap_or([0; STRIPE]);
            let pb = b.get(k).copied().unwrap_or([0; STRIPE]);
            for j in 0..STRIPE {
                gt[j] |= eq[j] & pa[j] & !pb[j];
                eq[j] &= !(pa[j] ^ pb[j]);
            }
        }
        (gt, eq)
    }

    /// acc += x (unsigned, ripple carry); `acc` must have room for the sum.
    pub fn add_into(acc: &mut [Stripe], x: &[Stripe]) {
        let mut carry = [0u64; STRIPE];
        for k in 0..acc.len() {
            let xb = x.get(k).copied().unwrap_or([0; STRIPE]);
            for j in 0..STRIPE {
                let a = acc[k][j];
                let s = a ^ xb[j] ^ carry[j];
                carry[j] = (a & xb[j]) | (carry[j] & (a ^ xb[j]));
                acc[k][j] = s;
            }
        }
    }

    /// Per-lane min(value, t) for a constant t, in place.
    pub fn min_const(planes: &mut [Stripe], t: u64) {
        let ge = ge_const(planes, t);
        for (b, p) in planes.iter_mut().enumerate() {
            let tb = if (t >> b) & 1 == 1 { !0u64 } else { 0 };
            for j in 0..STRIPE {
                p[j] = (ge[j] & tb) | (!ge[j] & p[j]);
            }
        }
    }
}
