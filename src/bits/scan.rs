//! What a run of single-flip proposals reads, and the prefetch of the next proposal's column.
//!
//! A Monte Carlo sweep proposes flips at a list of sites; until one is accepted nothing changes, so the
//! ΔE of every proposal in the run comes from the same masks. [`crate::bits::Kernels::scan`] walks such a
//! run with one dispatch: the loop, the ΔE kernel and the caller's acceptance test are compiled together
//! for the instruction-set path, and the column ξ_j of the next site is prefetched while site i is counted.

/// The rows the ΔE of flipping W_i reads (see `mc::state`): ΔE_i = popcnt(A_l & ¬y) − popcnt(B_l & y) with
/// y = ξ_i ⊕ σ ⊕ W_i ⊕ [c_l = −1] and l = ⌊i/n⌋ the hidden unit of site i.
#[derive(Clone, Copy, Debug)]
pub struct DeltaRows<'a> {
    /// A_l, B_l: K rows of `stride` words each.
    pub a: &'a [u64],
    pub b: &'a [u64],
    /// Every column ξ_i of the instance, `stride` words each.
    pub cols: &'a [u64],
    /// The label plane σ (`stride` words).
    pub labels: &'a [u64],
    /// The packed weights: bit i%64 of word i/64 is 1 when W_i = −1.
    pub w: &'a [u64],
    /// Per hidden unit l: all ones when c_l = −1 (ReLU output weights), else 0.
    pub cneg: &'a [u64],
    /// Words per bit row.
    pub stride: usize,
    /// n = N/K, inputs per hidden unit.
    pub n_unit: usize,
    /// Prefetch the next site's column (worth it only when the columns do not fit the caches).
    pub prefetch: bool,
}

impl<'a> DeltaRows<'a> {
    /// (A_l, B_l, ξ_i, fill) of site i: the rows and the word fill W_i ⊕ [c_l = −1] the kernel XORs in.
    #[inline(always)]
    pub fn site(&self, i: usize) -> (&'a [u64], &'a [u64], &'a [u64], u64) {
        let s = self.stride;
        let l = if self.cneg.len() == 1 {
            0
        } else {
            i / self.n_unit
        };
        let fill = ((self.w[i / 64] >> (i % 64)) & 1).wrapping_neg() ^ self.cneg[l];
        (
            &self.a[l * s..(l + 1) * s],
            &self.b[l * s..(l + 1) * s],
            &self.cols[i * s..(i + 1) * s],
            fill,
        )
    }

    /// Panics unless the rows are consistent: every site i < N has its A_l, B_l, ξ_i and weight bit in
    /// bounds. After this, [`DeltaRows::site_ptrs`] may skip the bounds checks.
    pub fn validate(&self) {
        let (s, k) = (self.stride, self.cneg.len());
        let n = self.w.len() * 64;
        assert!(
            s % 8 == 0
                && k >= 1
                && self.n_unit >= 1
                && self.a.len() >= k * s
                && self.b.len() >= k * s
                && self.labels.len() >= s
                && (k == 1 || self.n_unit * k >= n.min(self.cols.len() / s.max(1))),
            "inconsistent ΔE rows"
        );
    }

    /// Number of sites the rows cover: a site i is valid when i < this.
    #[inline(always)]
    pub fn sites(&self) -> usize {
        (self.w.len() * 64).min(self.cols.len() / self.stride)
    }

    /// [`DeltaRows::site`] as pointers to `stride` words each, without bounds checks.
    ///
    /// # Safety
    /// [`DeltaRows::validate`] passed and `i < self.sites()`.
    #[inline(always)]
    pub unsafe fn site_ptrs(&self, i: usize) -> (*const u64, *const u64, *const u64, u64) {
        let s = self.stride;
        let l = if self.cneg.len() == 1 {
            0
        } else {
            i / self.n_unit
        };
        let fill = ((*self.w.get_unchecked(i / 64) >> (i % 64)) & 1).wrapping_neg()
            ^ *self.cneg.get_unchecked(l);
        (
            self.a.as_ptr().add(l * s),
            self.b.as_ptr().add(l * s),
            self.cols.as_ptr().add(i * s),
            fill,
        )
    }

    /// Prefetches column ξ_i into the cache (a hint: no effect on results; nothing on other architectures).
    #[inline(always)]
    pub fn prefetch(&self, i: usize) {
        if self.prefetch {
            if let Some(col) = self.cols.get(i * self.stride..(i + 1) * self.stride) {
                prefetch(col);
            }
        }
    }
}

/// One replica's part of a ΔE at a given site: its rows A_l, B_l (l the site's unit) and the fill
/// W_i ⊕ [c_l = −1]; the column ξ_i and σ are shared by all replicas.
#[derive(Clone, Copy, Debug)]
pub struct SiteRows<'a> {
    pub a: &'a [u64],
    pub b: &'a [u64],
    pub fill: u64,
}

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

/// How many proposals ahead the column is prefetched.
pub const PREFETCH_AHEAD: usize = 2;
