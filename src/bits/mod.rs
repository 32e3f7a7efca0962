//! Word-level kernels on bit rows (`&[u64]`) and integer lanes, with one dispatch point.
//!
//! The shapes every kernel shares (bit rows, stripes, lane slices, the rows of a ΔE scan) and the one
//! length rule that holds on every path are in [`layout`]'s docs.
//!
//! [`Kernels`] hands out the kernels of one instruction-set [`Path`] as safe methods. The kernel set is
//! listed once, in `kernel_set!` below: that list makes each method (the length check, then one `match` on
//! the path) and the AVX2 recompilation of the portable bodies. [`Kernels::best`] detects the CPU once and
//! caches the choice; [`Kernels::get`] hands out any other path the CPU supports, for tests and benchmarks.
//! The portable path in [`generic`] is the oracle all other paths are tested against.

#![deny(unsafe_op_in_unsafe_fn)]

mod aligned;
mod carry_save;
pub mod generic;
mod lane;
pub mod layout;

pub use aligned::AlignedWords;
pub use generic::{prefetch, PREFETCH_AHEAD};
pub use lane::{Lane, Lanes};
pub use layout::{valid_mask, words_for_bits, DeltaRows, LayoutError, SiteRows, Stripe, STRIPE};

use layout::check;
use std::fmt;
use std::sync::OnceLock;

/// The kernel set, listed once. `kernel_set!(m)` hands every kernel's doc, name, generics, arguments,
/// result and length check to the macro `m`: `dispatch` (below) makes the [`Kernels`] methods,
/// `x86_64::avx2` its recompiled bodies. Each path implements every kernel as a function of that name
/// taking those arguments (`generic`: safe; `x86_64::*`: `unsafe`, callable once the CPU supports the path
/// and the check passed).
macro_rules! kernel_set {
    ($m:ident) => {
        $m! {
            /// ΔE = Σ popcnt(a & !y) − popcnt(b & y) over the rows, y = col ^ lab ^ fill.
            fn delta[](a: &[u64], b: &[u64], col: &[u64], lab: &[u64], fill: u64) -> i64;
            check { check::rows("delta", col.len(), [a.len(), b.len(), lab.len()]) }

            /// A run of single-flip proposals at `sites`, in order, with one dispatch for the whole run: ΔE_i
            /// of each (as [`Kernels::delta`] on the rows [`DeltaRows::site`] picks) goes to
            /// `accept(i, ΔE_i)` until that returns true. Returns the accepted proposal's position in `sites`
            /// and its ΔE, or `None` when every proposal was rejected. `accept` is compiled into this path's
            /// loop (it is generic, not a call). Panics at a site ≥ [`DeltaRows::sites`].
            fn scan[F: FnMut(usize, i64) -> bool](rows: &DeltaRows, sites: &[usize], accept: F)
                -> Option<(usize, i64)>;
            check {}

            /// ΔE of flipping one site in each of several replicas: `out[r]` = [`Kernels::delta`] of
            /// (`reps[r].a`, `reps[r].b`, `col`, `lab`, `reps[r].fill`) for r < `reps.len()` ≤ `out.len()`,
            /// reading the column once for all. `next`, the column of the site that comes next, is
            /// prefetched meanwhile (a hint).
            fn delta_each[](reps: &[SiteRows], col: &[u64], lab: &[u64], next: Option<&[u64]>,
                out: &mut [i64]) -> ();
            check {
                check::rows("delta_each", col.len(), [lab.len(), next.map_or(col.len(), <[u64]>::len)]);
                for r in reps {
                    check::rows("delta_each", col.len(), [r.a.len(), r.b.len()]);
                }
                assert!(out.len() >= reps.len(), "delta_each: out is shorter than reps");
            }

            /// Number of set bits (any length).
            fn popcount[](words: &[u64]) -> u64;
            check {}

            /// See [`generic::update_classify`].
            fn update_classify[L: Lane](lanes: &mut [L], col: &[u64], lab: &[u64], fill: u64,
                eq1: &mut [u64], eqm1: &mut [u64], neg: &mut [u64]) -> ();
            check {
                check::rows("update_classify", col.len(), [lab.len(), eq1.len(), eqm1.len(), neg.len()]);
                check::lanes("update_classify", col.len(), [lanes.len()]);
            }

            /// See [`generic::relu_update`]; `out` is `[g0, z, h0, h2]`.
            fn relu_update[L: Lane](lam: &mut [L], g: &mut [L], col: &[u64], lab: &[u64], fill: u64,
                cfill: u64, out: [&mut [u64]; 4]) -> ();
            check {
                let [o0, o1, o2, o3] = &out;
                check::rows("relu_update", col.len(), [lab.len(), o0.len(), o1.len(), o2.len(), o3.len()]);
                check::lanes("relu_update", col.len(), [lam.len(), g.len()]);
            }

            /// See [`generic::accumulate`].
            fn accumulate[](lanes: &mut [i32], bits: &[u64], fill: u64) -> ();
            check {
                check::rows("accumulate", bits.len(), []);
                check::lanes("accumulate", bits.len(), [lanes.len()]);
            }

            /// See [`generic::vcount`].
            fn vcount[](cols: &[u64], stride: usize, fills: &[u64], state: &mut [Stripe]) -> ();
            check { check::vcount(cols.len(), stride, fills.len(), state.len()) }
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod x86_64;

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

/// The kernels of one [`Path`]: every method is safe, since a `Kernels` exists only for a path the CPU
/// supports ([`Kernels::get`]) and each method checks the shapes before it dispatches.
pub struct Kernels {
    path: Path,
}

static GENERIC: Kernels = Kernels {
    path: Path::Generic,
};
#[cfg(target_arch = "x86_64")]
static AVX2: Kernels = Kernels { path: Path::Avx2 };
#[cfg(target_arch = "x86_64")]
static AVX512: Kernels = Kernels { path: Path::Avx512 };

/// The [`Kernels`] methods: the kernel's length check, then the path's function.
macro_rules! dispatch {
    ($(
        $(#[$doc:meta])*
        fn $name:ident [$($gen:tt)*] ($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;
        check $check:block
    )*) => {
        impl Kernels {
            $(
                $(#[$doc])*
                #[inline(always)]
                #[allow(clippy::too_many_arguments, clippy::unused_unit)]
                pub fn $name<$($gen)*>(&self, $($arg: $ty),*) -> $ret {
                    $check
                    match self.path {
                        Path::Generic => generic::$name($($arg),*),
                        // SAFETY: a `Kernels` of this path exists only once the CPU was found to support it
                        // (`Kernels::get`), and the check above established the shapes the path relies on.
                        #[cfg(target_arch = "x86_64")]
                        Path::Avx2 => unsafe { x86_64::avx2::$name($($arg),*) },
                        // SAFETY: as for AVX2.
                        #[cfg(target_arch = "x86_64")]
                        Path::Avx512 => unsafe { x86_64::avx512::$name($($arg),*) },
                        #[cfg(not(target_arch = "x86_64"))]
                        _ => unreachable!("no such path on this architecture"),
                    }
                }
            )*
        }
    };
}

kernel_set!(dispatch);

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
}

/// Bit-sliced integers over one 512-pattern stripe: plane b holds bit b of every lane's value.
pub mod sliced {
    pub use super::Stripe;
    use super::STRIPE;

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
