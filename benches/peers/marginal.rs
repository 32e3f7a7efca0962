//! Peer (b), *marginal sets*: the algorithm of the binary perceptron with the error-count energy in
//! C. Baldassi's RRRMC.jl (`GraphPercStep`, src/graphs/PercStep.jl, with its `ArraySet`), written in Rust.
//!
//! - patterns as bits, one column of ⌈P/64⌉ `u64` words per weight; the labels are folded in (bit μ of
//!   column i is 1 when σ^μ ξ_i^μ = −1), as RRRMC.jl generates its patterns with all labels +1. The
//!   columns are read-only and built once per run ([`Columns`]), shared by all replicas like densemc's
//!   instance (at N = 10⁵, P = 6·10⁴ they take 0.75 GB, so one copy per RSA replica would be 3.75 GB);
//! - weights W_i = ±1 as `i8`; integer stabilities Δ^μ in `Vec<i32>`;
//! - two index sets (items `Vec<u32>` plus a position array, O(1) insert and delete) of the *marginal*
//!   patterns: `plus` = {μ : Δ^μ = +1}, `minus` = {μ : Δ^μ = −1}. Only these change state under one flip
//!   (Δ moves by ±2), so ΔE of flipping W_i counts column i's set bits over the two sets only (one scalar
//!   bit read per member);
//! - an accepted flip runs one O(P) pass over the column, word by word: a branch-free loop (vectorised)
//!   moves Δ^μ by ±2 and marks the patterns whose old |Δ| was at most 3, and only those few go through
//!   the set transitions of PercStep.jl's `update_cache!`;
//! - as `gcc -O3 -march=native` would compile the C, ΔE and the flip are also compiled for AVX2 and
//!   chosen at run time; nothing is allocated in the Monte Carlo loop.

use super::driver::Peer;
use densemc::instance::Instance;
use std::rc::Rc;

/// An unordered set of pattern indices with O(1) insert/delete (RRRMC.jl's `ArraySet`), as `u32`.
#[derive(Clone, Debug)]
struct IndexSet {
    items: Vec<u32>,
    /// Position of μ in `items`, or `NONE`.
    pos: Vec<u32>,
}

const NONE: u32 = u32::MAX;

impl IndexSet {
    fn new(p: usize) -> Self {
        assert!(
            p < NONE as usize,
            "the marginal-set peer indexes patterns with u32"
        );
        IndexSet {
            items: Vec::with_capacity(p),
            pos: vec![NONE; p],
        }
    }
    #[inline]
    fn insert(&mut self, mu: usize) {
        debug_assert_eq!(self.pos[mu], NONE);
        self.pos[mu] = self.items.len() as u32;
        self.items.push(mu as u32);
    }
    #[inline]
    fn remove(&mut self, mu: usize) {
        let k = self.pos[mu] as usize;
        debug_assert_ne!(self.pos[mu], NONE);
        let last = self.items.pop().unwrap();
        if last as usize != mu {
            self.items[k] = last;
            self.pos[last as usize] = k as u32;
        }
        self.pos[mu] = NONE;
    }
    #[inline]
    fn len(&self) -> i64 {
        self.items.len() as i64
    }
    /// How many members have bit μ set in `col`: one scalar bit read each.
    #[inline]
    fn bits_in(&self, col: &[u64]) -> i64 {
        self.items
            .iter()
            .map(|&mu| ((col[(mu >> 6) as usize] >> (mu & 63)) & 1) as i64)
            .sum()
    }
}

/// The folded bit columns of an instance, shared (read-only) by the replicas of a run.
pub struct Columns {
    n: usize,
    p: usize,
    words: usize,
    /// Column i at `i * words ..`: bit μ set when σ^μ ξ_i^μ = −1.
    cols: Vec<u64>,
}

impl Columns {
    pub fn new(inst: &Instance) -> Rc<Self> {
        let (n, p) = (inst.n(), inst.p());
        assert_eq!(inst.k(), 1, "the marginal-set peer is a perceptron");
        let words = p.div_ceil(64);
        // densemc stores ξ = −1 and σ = −1 as bit 1 (see `Instance::xi`, `Instance::sigma`), so the folded
        // column is the XOR of the packed words; the bits past P are cleared.
        let labels = &inst.labels()[..words];
        let tail = if p % 64 == 0 {
            !0
        } else {
            (1u64 << (p % 64)) - 1
        };
        let mut cols = Vec::with_capacity(n * words);
        for i in 0..n {
            cols.extend(inst.col(i)[..words].iter().zip(labels).map(|(x, s)| x ^ s));
            *cols.last_mut().unwrap() &= tail;
        }
        // The encoding, checked against the ±1 accessors on a few columns.
        assert!((0..n.min(8)).all(|i| (0..p).all(|mu| {
            let b = (cols[i * words + mu / 64] >> (mu % 64)) & 1;
            (inst.sigma(mu) * inst.xi(i, mu) < 0) == (b == 1)
        })));
        Rc::new(Columns { n, p, words, cols })
    }

    #[inline]
    fn col(&self, i: usize) -> &[u64] {
        &self.cols[i * self.words..(i + 1) * self.words]
    }

    /// Δ^μ of the weights `w` for every μ, from scratch: Δ^μ = N − 2·d^μ with the mismatch count
    /// d^μ = #{i : bit μ of column i ≠ [W_i = −1]}. The counts go 8 patterns to a `u64` (one byte each,
    /// bits spread out with [`SPREAD`]), moved into `u32` every 255 columns before a byte can overflow.
    fn stabilities(&self, w: &[i8]) -> Vec<i32> {
        let mut count = vec![0u32; self.words * 64];
        let mut bytes = vec![0u64; self.words * 8];
        for (i, &wi) in w.iter().enumerate() {
            let flip = if wi < 0 { !0u64 } else { 0 };
            for (b, &x) in bytes.chunks_exact_mut(8).zip(self.col(i)) {
                let x = x ^ flip;
                for (k, b) in b.iter_mut().enumerate() {
                    *b += SPREAD[((x >> (8 * k)) & 0xff) as usize];
                }
            }
            if i % 255 == 254 || i + 1 == w.len() {
                for (c, b) in count.chunks_exact_mut(8).zip(bytes.iter_mut()) {
                    for (k, c) in c.iter_mut().enumerate() {
                        *c += ((*b >> (8 * k)) & 0xff) as u32;
                    }
                    *b = 0;
                }
            }
        }
        count[..self.p]
            .iter()
            .map(|&c| self.n as i32 - 2 * c as i32)
            .collect()
    }
}

/// Byte k of `SPREAD[x]` is bit k of x.
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut x = 0;
    while x < 256 {
        let mut k = 0;
        while k < 8 {
            t[x] |= ((x as u64 >> k) & 1) << (8 * k);
            k += 1;
        }
        x += 1;
    }
    t
};

/// Δ^μ ← Δ^μ + 4·(bit μ of `up`) − 2 for the (up to 64) patterns of one word; returns the mask of the
/// patterns whose old |Δ| was at most 3 (a branch-free loop the compiler vectorises).
#[inline(always)]
fn update_word<S: AsMut<[i32]> + ?Sized>(stab: &mut S, up: u64) -> u64 {
    let mut near = 0u64;
    for (j, d) in stab.as_mut().iter_mut().enumerate() {
        let old = *d;
        *d = old + 4 * ((up >> j) & 1) as i32 - 2;
        near |= (((old + 3) as u32 <= 6) as u64) << j;
    }
    near
}

pub struct Marginal {
    cols: Rc<Columns>,
    w: Vec<i8>,
    stab: Vec<i32>,
    plus: IndexSet,
    minus: IndexSet,
    energy: i64,
    /// The CPU has AVX2: [`Marginal::flip`] runs its loop compiled for it.
    avx2: bool,
}

impl Marginal {
    pub fn new(cols: Rc<Columns>, w: &[i8]) -> Self {
        let p = cols.p;
        assert_eq!(w.len(), cols.n);
        let stab = cols.stabilities(w);
        let (mut plus, mut minus) = (IndexSet::new(p), IndexSet::new(p));
        for (mu, &d) in stab.iter().enumerate() {
            match d {
                1 => plus.insert(mu),
                -1 => minus.insert(mu),
                _ => {}
            }
        }
        let energy = stab.iter().filter(|&&d| d < 0).count() as i64;
        Marginal {
            cols,
            w: w.to_vec(),
            stab,
            plus,
            minus,
            energy,
            #[cfg(target_arch = "x86_64")]
            avx2: std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            avx2: false,
        }
    }

    /// Δ^μ of the current weights from scratch, bit by bit (for `check`: shares no code with `new`).
    fn scratch_stabilities(&self) -> Vec<i32> {
        let c = &self.cols;
        let mut mismatches = vec![0u32; c.words * 64];
        for (i, &wi) in self.w.iter().enumerate() {
            let flip = if wi < 0 { !0u64 } else { 0 };
            for (d, &x) in mismatches.chunks_exact_mut(64).zip(c.col(i)) {
                for (b, d) in d.iter_mut().enumerate() {
                    *d += (((x ^ flip) >> b) & 1) as u32;
                }
            }
        }
        mismatches[..c.p]
            .iter()
            .map(|&d| c.n as i32 - 2 * d as i32)
            .collect()
    }
}

impl Marginal {
    /// [`Marginal::delta_body`] compiled for AVX2.
    ///
    /// # Safety
    /// The CPU supports AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,bmi1,bmi2")]
    unsafe fn delta_avx2(&self, i: usize) -> i64 {
        self.delta_body(i)
    }

    /// ΔE of flipping W_i from the two marginal sets.
    #[inline(always)]
    fn delta_body(&self, i: usize) -> i64 {
        // The flip raises Δ^μ exactly when up = bit ⊕ [W_i = −1] is 1: a pattern of `plus` becomes an
        // error unless it rises, one of `minus` is fixed when it rises. So ΔE = |plus| − Σ_plus up −
        // Σ_minus up, and Σ up over a set is its count of set bits, or its size minus it when W_i = −1.
        let col = self.cols.col(i);
        let (np, nm) = (self.plus.len(), self.minus.len());
        let (bp, bm) = (self.plus.bits_in(col), self.minus.bits_in(col));
        let (up_p, up_m) = if self.w[i] < 0 {
            (np - bp, nm - bm)
        } else {
            (bp, bm)
        };
        np - up_p - up_m
    }

    /// [`Marginal::flip_body`] compiled for AVX2, as gcc -O3 -march=native would compile the C.
    ///
    /// # Safety
    /// The CPU supports AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,bmi1,bmi2")]
    unsafe fn flip_avx2(&mut self, i: usize) {
        self.flip_body(i);
    }

    /// W_i ← −W_i: one pass over the column updating Δ (vectorised), then the set transitions of the few
    /// patterns whose old |Δ| was at most 3.
    #[inline(always)]
    fn flip_body(&mut self, i: usize) {
        let wneg = if self.w[i] < 0 { !0u64 } else { 0 };
        let Marginal {
            cols,
            stab,
            plus,
            minus,
            energy,
            ..
        } = self;
        for (w, (&c, stab)) in cols.col(i).iter().zip(stab.chunks_mut(64)).enumerate() {
            let up = c ^ wneg;
            let near = match <&mut [i32; 64]>::try_from(&mut *stab) {
                Ok(full) => update_word(full, up),
                Err(_) => update_word(stab, up),
            };
            // Only a pattern passing through Δ = ±1 changes set (old ∈ {−3, −1, 1, 3}): few per word.
            let mut rest = near;
            while rest != 0 {
                let j = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                let mu = 64 * w + j;
                let new = stab[j];
                match (new - (4 * ((up >> j) & 1) as i32 - 2), new) {
                    (3, 1) => plus.insert(mu),
                    (1, 3) => plus.remove(mu),
                    (1, -1) => {
                        plus.remove(mu);
                        minus.insert(mu);
                        *energy += 1;
                    }
                    (-1, 1) => {
                        minus.remove(mu);
                        plus.insert(mu);
                        *energy -= 1;
                    }
                    (-1, -3) => minus.remove(mu),
                    (-3, -1) => minus.insert(mu),
                    _ => {}
                }
            }
        }
        self.w[i] = -self.w[i];
    }
}

impl Peer for Marginal {
    fn n(&self) -> usize {
        self.cols.n
    }

    fn energy(&self) -> i64 {
        self.energy
    }

    fn delta_energy(&self, i: usize) -> i64 {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is set only when the CPU has AVX2 (`Marginal::new`).
            return unsafe { self.delta_avx2(i) };
        }
        self.delta_body(i)
    }

    fn flip(&mut self, i: usize) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is set only when the CPU has AVX2 (`Marginal::new`).
            unsafe { self.flip_avx2(i) };
            return;
        }
        self.flip_body(i);
    }

    fn weights(&self) -> &[i8] {
        &self.w
    }

    fn check(&self) -> Result<(), String> {
        let fresh = self.scratch_stabilities();
        if fresh != self.stab {
            return Err("marginal peer: stabilities differ from a recomputation".into());
        }
        for (name, set, v) in [("plus", &self.plus, 1), ("minus", &self.minus, -1)] {
            let want = fresh.iter().filter(|&&d| d == v).count();
            if set.items.len() != want {
                return Err(format!(
                    "marginal peer: set {name} has {} items, {want} patterns have Δ = {v}",
                    set.items.len()
                ));
            }
            for (k, &mu) in set.items.iter().enumerate() {
                if fresh[mu as usize] != v || set.pos[mu as usize] as usize != k {
                    return Err(format!("marginal peer: set {name} is inconsistent at {mu}"));
                }
            }
        }
        let e = fresh.iter().filter(|&&d| d < 0).count() as i64;
        if e != self.energy {
            return Err(format!(
                "marginal peer: energy {} but {e} errors",
                self.energy
            ));
        }
        Ok(())
    }
}
