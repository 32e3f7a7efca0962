//! The shapes every kernel path shares, and the checks that hold them.
//!
//! A *bit row* holds one bit per pattern μ (bit μ%64 of word μ/64; bit 1 means the ±1 value −1, so a
//! product of ±1 values is the XOR of their bits) and is a whole number of [`STRIPE`]s; a *lane slice*
//! holds one small integer per pattern, 64 lanes per word of the bit rows it pairs with.
//!
//! The one length rule: the bit rows of one kernel call are all the same length, a multiple of
//! [`STRIPE`] words, and its lane slices hold 64 lanes per word of them ([`Kernels::popcount`] alone takes
//! any length). [`DeltaRows::new`] refuses rows that break it with a [`LayoutError`]; the kernels that take
//! plain slices check it once per call, before any path runs, and panic when it is broken. So every path
//! sees the same shapes, and no safe call makes one read or write outside its slices. Sizes are multiplied
//! with `checked_mul` only.
//!
//! [`Kernels::popcount`]: super::Kernels::popcount

use std::fmt;

/// Words per 512-bit stripe: the unit in which every kernel walks a bit row.
pub const STRIPE: usize = 8;

/// One 512-pattern stripe of a bit row.
pub type Stripe = [u64; STRIPE];

/// Number of words (a multiple of [`STRIPE`]) that hold `bits` bits.
pub fn words_for_bits(bits: usize) -> usize {
    bits.div_ceil(64).div_ceil(STRIPE) * STRIPE
}

/// Mask of the valid bits in word `w` of a row holding `bits` bits.
pub fn valid_mask(w: usize, bits: usize) -> u64 {
    let lo = w.saturating_mul(64);
    if bits >= lo.saturating_add(64) {
        !0
    } else if bits <= lo {
        0
    } else {
        (1u64 << (bits - lo)) - 1
    }
}

/// Rows that break the length rule (the message names the parameter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutError(String);

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LayoutError {}

/// The rows the ΔE of flipping W_i reads (see `mc::state`): ΔE_i = popcnt(A_l & ¬y) − popcnt(B_l & y) with
/// y = ξ_i ⊕ σ ⊕ W_i ⊕ [c_l = −1] and l = ⌊i/n⌋ the hidden unit of site i.
///
/// Built only by [`DeltaRows::new`], which checks the shapes: every site i < [`DeltaRows::sites`] then has
/// its A_l, B_l, ξ_i and weight bit in bounds, on every path.
#[derive(Clone, Copy, Debug)]
pub struct DeltaRows<'a> {
    a: &'a [u64],
    b: &'a [u64],
    cols: &'a [u64],
    labels: &'a [u64],
    w: &'a [u64],
    cneg: &'a [u64],
    stride: usize,
    n_unit: usize,
    sites: usize,
    prefetch: bool,
}

impl<'a> DeltaRows<'a> {
    /// The rows of K = `cneg.len()` hidden units of n = `n_unit` inputs each, N = K·n sites:
    /// - `a`, `b`: A_l, B_l, K rows of `stride` words each;
    /// - `cols`: every column ξ_i of the instance, N rows of `stride` words;
    /// - `labels`: the label plane σ (`stride` words);
    /// - `w`: the packed weights, bit i%64 of word i/64 set when W_i = −1 (at least N bits);
    /// - `cneg`: per hidden unit l, all ones when c_l = −1 (ReLU output weights), else 0;
    /// - `stride`: words per bit row, a positive multiple of [`STRIPE`];
    /// - `n_unit`: n ≥ 1 (site i belongs to unit ⌊i/n⌋);
    /// - `prefetch`: prefetch the next site's column (worth it only when the columns do not fit the caches).
    ///
    /// The checks cost a few comparisons and multiplications (no division): cheap enough for every scan.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn new(
        a: &'a [u64],
        b: &'a [u64],
        cols: &'a [u64],
        labels: &'a [u64],
        w: &'a [u64],
        cneg: &'a [u64],
        stride: usize,
        n_unit: usize,
        prefetch: bool,
    ) -> Result<Self, LayoutError> {
        let k = cneg.len();
        let rows = k.checked_mul(stride);
        let sites = k.checked_mul(n_unit);
        let ok = stride % STRIPE == 0
            && stride != 0
            && n_unit != 0
            && k != 0
            && rows.is_some_and(|r| a.len() == r && b.len() == r)
            && labels.len() == stride
            && sites.and_then(|n| n.checked_mul(stride)) == Some(cols.len())
            && sites.is_some_and(|n| w.len() >= n.div_ceil(64));
        match sites {
            Some(sites) if ok => Ok(DeltaRows {
                a,
                b,
                cols,
                labels,
                w,
                cneg,
                stride,
                n_unit,
                sites,
                prefetch,
            }),
            _ => Err(Self::refusal(
                [a.len(), b.len(), cols.len(), labels.len(), w.len()],
                k,
                stride,
                n_unit,
            )),
        }
    }

    /// [`DeltaRows::new`] without the checks, for a caller that made the same rows before and checked them
    /// then (a Monte Carlo state builds its rows once per accepted move, and their lengths never change).
    ///
    /// # Safety
    /// The arguments must pass [`DeltaRows::new`]'s checks; the kernels read within those lengths unchecked.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub unsafe fn new_unchecked(
        a: &'a [u64],
        b: &'a [u64],
        cols: &'a [u64],
        labels: &'a [u64],
        w: &'a [u64],
        cneg: &'a [u64],
        stride: usize,
        n_unit: usize,
        prefetch: bool,
    ) -> Self {
        debug_assert!(
            Self::new(a, b, cols, labels, w, cneg, stride, n_unit, prefetch).is_ok(),
            "DeltaRows::new_unchecked on rows that new refuses"
        );
        DeltaRows {
            a,
            b,
            cols,
            labels,
            w,
            cneg,
            stride,
            n_unit,
            sites: cneg.len() * n_unit,
            prefetch,
        }
    }

    /// What [`DeltaRows::new`] found wrong, naming the parameter.
    #[cold]
    #[inline(never)]
    fn refusal(lens: [usize; 5], k: usize, stride: usize, n_unit: usize) -> LayoutError {
        let [a, b, cols, labels, w] = lens;
        LayoutError(if stride == 0 || stride % STRIPE != 0 {
            format!(
                "stride (words per bit row) must be a positive multiple of {STRIPE}, not {stride}"
            )
        } else if k == 0 {
            "cneg (one fill per hidden unit) must not be empty".into()
        } else if n_unit == 0 {
            "n_unit (inputs per hidden unit) must be ≥ 1".into()
        } else if let (Some(rows), Some(sites)) = (k.checked_mul(stride), k.checked_mul(n_unit)) {
            if a != rows || b != rows {
                format!("a and b (the ΔE masks) must hold K·stride = {rows} words, not {a} and {b}")
            } else if labels != stride {
                format!("labels (the label plane) must hold stride = {stride} words, not {labels}")
            } else if sites.checked_mul(stride) != Some(cols) {
                format!("cols (the instance columns) must hold N = K·n_unit = {sites} rows of {stride} words, not {cols} words")
            } else {
                format!("w (the packed weights) must hold a bit for each of the N = {sites} sites, not {w} words")
            }
        } else {
            format!(
                "K·stride or K·n_unit (K = {k}, stride = {stride}, n_unit = {n_unit}) overflows"
            )
        })
    }

    /// Number of sites the rows cover: a site i is valid when i < this.
    #[inline(always)]
    pub fn sites(&self) -> usize {
        self.sites
    }

    /// Words per bit row.
    #[inline(always)]
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// K, the number of hidden units.
    #[inline(always)]
    pub fn units(&self) -> usize {
        self.cneg.len()
    }

    /// Whether a scan prefetches the next site's column.
    #[inline(always)]
    pub fn prefetch(&self) -> bool {
        self.prefetch
    }

    /// The label plane σ.
    #[inline(always)]
    pub fn labels(&self) -> &'a [u64] {
        self.labels
    }

    /// The unit of site i.
    #[inline(always)]
    fn unit(&self, i: usize) -> usize {
        if self.cneg.len() == 1 {
            0
        } else {
            i / self.n_unit
        }
    }

    /// Column ξ_i, or `None` when i is not a site.
    #[inline(always)]
    pub fn col(&self, i: usize) -> Option<&'a [u64]> {
        (i < self.sites).then(|| &self.cols[i * self.stride..(i + 1) * self.stride])
    }

    /// (A_l, B_l, ξ_i, fill) of site i: the rows and the word fill W_i ⊕ [c_l = −1] the kernel XORs in.
    /// Panics unless i < [`DeltaRows::sites`].
    #[inline(always)]
    pub fn site(&self, i: usize) -> (&'a [u64], &'a [u64], &'a [u64], u64) {
        assert!(i < self.sites, "site {i} out of range");
        let (s, l) = (self.stride, self.unit(i));
        let fill = ((self.w[i / 64] >> (i % 64)) & 1).wrapping_neg() ^ self.cneg[l];
        (
            &self.a[l * s..(l + 1) * s],
            &self.b[l * s..(l + 1) * s],
            &self.cols[i * s..(i + 1) * s],
            fill,
        )
    }

    /// [`DeltaRows::site`] as pointers to `stride` words each, without bounds checks.
    ///
    /// # Safety
    /// `i < self.sites()`.
    #[inline(always)]
    pub(crate) unsafe fn site_ptrs(&self, i: usize) -> (*const u64, *const u64, *const u64, u64) {
        let (s, l) = (self.stride, self.unit(i));
        // SAFETY: `new` checked w.len() ≥ ⌈sites/64⌉, sites = K·n, and that a, b hold K rows and cols
        // `sites` rows of s words, so for i < sites (the caller's promise) i/64 < w.len(), l = ⌊i/n⌋ < K
        // (l = 0 when K = 1), and the rows l and i lie inside a, b and cols.
        unsafe {
            let fill = ((*self.w.get_unchecked(i / 64) >> (i % 64)) & 1).wrapping_neg()
                ^ *self.cneg.get_unchecked(l);
            (
                self.a.as_ptr().add(l * s),
                self.b.as_ptr().add(l * s),
                self.cols.as_ptr().add(i * s),
                fill,
            )
        }
    }

    /// A_l, B_l of unit 0 (the rows a one-unit scan keeps in registers).
    #[inline(always)]
    pub(crate) fn unit0(&self) -> (&'a [u64], &'a [u64]) {
        (&self.a[..self.stride], &self.b[..self.stride])
    }

    /// The start of column ξ_j for a prefetch, or null when j is not a site.
    #[inline(always)]
    pub(crate) fn col_ptr(&self, j: usize) -> *const u64 {
        match self.col(j) {
            Some(c) => c.as_ptr(),
            None => std::ptr::null(),
        }
    }
}

/// One replica's part of a ΔE at a given site: its rows A_l, B_l (l the site's unit) and the fill
/// W_i ⊕ [c_l = −1]; the column ξ_i and σ are shared by all replicas. `a` and `b` must be as long as the
/// column ([`Kernels::delta_each`](super::Kernels::delta_each) checks).
#[derive(Clone, Copy, Debug)]
pub struct SiteRows<'a> {
    pub a: &'a [u64],
    pub b: &'a [u64],
    pub fill: u64,
}

/// The length checks of the kernels that take plain slices: each panics (once per call, from a cold
/// function) unless the rule in the module docs holds.
pub(crate) mod check {
    use super::STRIPE;

    #[cold]
    #[inline(never)]
    fn broken(kernel: &str, what: std::fmt::Arguments) -> ! {
        panic!("{kernel}: {what}")
    }

    /// `words` is a whole number of stripes and every one of `rows` is `words` long.
    #[inline(always)]
    pub fn rows<const R: usize>(kernel: &str, words: usize, rows: [usize; R]) {
        #[cold]
        #[inline(never)]
        fn fail(kernel: &str, words: usize, rows: &[usize]) -> ! {
            broken(kernel, format_args!("bit rows must be whole stripes of {STRIPE} words, all of one length: {words} and {rows:?}"))
        }
        // Folded into one test (no branch per row): zero exactly when the rule holds.
        if rows
            .iter()
            .fold(words % STRIPE, |bad, &l| bad | (l ^ words))
            != 0
        {
            fail(kernel, words, &rows)
        }
    }

    /// Each lane slice holds 64 lanes per word of `words` (the bit rows it pairs with).
    #[inline(always)]
    pub fn lanes<const R: usize>(kernel: &str, words: usize, lanes: [usize; R]) {
        #[cold]
        #[inline(never)]
        fn fail(kernel: &str, words: usize, lanes: &[usize]) -> ! {
            broken(
                kernel,
                format_args!(
                    "lane slices must hold 64 lanes per word of the {words}-word rows: {lanes:?}"
                ),
            )
        }
        if lanes
            .iter()
            .fold(0, |bad, &n| bad | (n % 64) | ((n / 64) ^ words))
            != 0
        {
            fail(kernel, words, &lanes)
        }
    }

    /// `fills` columns of `stride` words fit in the `cols` words, and the `state` stripes are whole
    /// counters of at least 4 planes for each stripe of a column.
    #[inline(always)]
    pub fn vcount(cols: usize, stride: usize, fills: usize, state: usize) {
        #[cold]
        #[inline(never)]
        fn fail(cols: usize, stride: usize, fills: usize, state: usize) -> ! {
            broken("vcount", format_args!("stride = {stride} must be a positive multiple of {STRIPE}, the {cols} words of columns must hold the {fills} columns, and state ({state} stripes) ≥ 4 planes for each stripe of a column"))
        }
        let nstripes = stride / STRIPE;
        if stride % STRIPE != 0
            || nstripes == 0
            || fills > cols / stride
            || state % nstripes != 0
            || state / nstripes < 4
        {
            fail(cols, stride, fills, state)
        }
    }
}
