//! Peer (b), *marginal sets*: the algorithm of the binary perceptron with the error-count energy in
//! C. Baldassi's RRRMC.jl (`GraphPercStep`, src/graphs/PercStep.jl, with its `ArraySet`), written in Rust.
//!
//! - patterns as bits, one column of ⌈P/64⌉ `u64` words per weight; the labels are folded in (bit μ of
//!   column i is 1 when σ^μ ξ_i^μ = −1), as RRRMC.jl generates its patterns with all labels +1;
//! - weights W_i = ±1 as `i8`; integer stabilities Δ^μ in `Vec<i32>`;
//! - two index sets (items `Vec<usize>` plus a position array, O(1) insert and delete) of the *marginal*
//!   patterns: `plus` = {μ : Δ^μ = +1}, `minus` = {μ : Δ^μ = −1}. Only these change state under one flip
//!   (Δ moves by ±2), so ΔE of flipping W_i loops over the two sets only, reading column i's bit of each
//!   member: a pattern in `plus` becomes an error when the flip lowers Δ, one in `minus` is fixed when it
//!   raises it;
//! - an accepted flip runs a scalar O(P) loop over the patterns updating Δ^μ (branch-free) and the set
//!   memberships (the transitions of PercStep.jl's `update_cache!`, tested only for |Δ_old| ≤ 3).

use super::driver::Peer;
use densemc::instance::Instance;

/// An unordered set of pattern indices with O(1) insert/delete (RRRMC.jl's `ArraySet`).
#[derive(Clone, Debug)]
struct IndexSet {
    items: Vec<usize>,
    /// Position of μ in `items`, or `NONE`.
    pos: Vec<usize>,
}

const NONE: usize = usize::MAX;

impl IndexSet {
    fn new(p: usize) -> Self {
        IndexSet {
            items: Vec::with_capacity(p),
            pos: vec![NONE; p],
        }
    }
    fn insert(&mut self, mu: usize) {
        debug_assert_eq!(self.pos[mu], NONE);
        self.pos[mu] = self.items.len();
        self.items.push(mu);
    }
    fn remove(&mut self, mu: usize) {
        let k = self.pos[mu];
        debug_assert_ne!(k, NONE);
        let last = self.items.pop().unwrap();
        if last != mu {
            self.items[k] = last;
            self.pos[last] = k;
        }
        self.pos[mu] = NONE;
    }
}

pub struct Marginal {
    n: usize,
    p: usize,
    words: usize,
    /// Column i at `i * words ..`: bit μ set when σ^μ ξ_i^μ = −1.
    cols: Vec<u64>,
    w: Vec<i8>,
    stab: Vec<i32>,
    plus: IndexSet,
    minus: IndexSet,
    energy: i64,
}

impl Marginal {
    pub fn new(inst: &Instance, w: &[i8]) -> Self {
        let (n, p) = (inst.n(), inst.p());
        assert_eq!(inst.k(), 1, "the marginal-set peer is a perceptron");
        assert_eq!(w.len(), n);
        let words = p.div_ceil(64);
        let mut cols = vec![0u64; n * words];
        for i in 0..n {
            for mu in 0..p {
                if inst.sigma(mu) * inst.xi(i, mu) < 0 {
                    cols[i * words + mu / 64] |= 1 << (mu % 64);
                }
            }
        }
        let mut s = Marginal {
            n,
            p,
            words,
            cols,
            w: w.to_vec(),
            stab: vec![0; p],
            plus: IndexSet::new(p),
            minus: IndexSet::new(p),
            energy: 0,
        };
        s.stab = s.scratch_stabilities();
        for mu in 0..p {
            match s.stab[mu] {
                1 => s.plus.insert(mu),
                -1 => s.minus.insert(mu),
                _ => {}
            }
        }
        s.energy = s.stab.iter().filter(|&&d| d < 0).count() as i64;
        s
    }

    #[inline]
    fn bit(&self, i: usize, mu: usize) -> u64 {
        (self.cols[i * self.words + mu / 64] >> (mu % 64)) & 1
    }

    fn scratch_stabilities(&self) -> Vec<i32> {
        (0..self.p)
            .map(|mu| {
                (0..self.n)
                    .map(|i| self.w[i] as i32 * (1 - 2 * self.bit(i, mu) as i32))
                    .sum()
            })
            .collect()
    }
}

impl Peer for Marginal {
    fn n(&self) -> usize {
        self.n
    }

    fn energy(&self) -> i64 {
        self.energy
    }

    fn delta_energy(&self, i: usize) -> i64 {
        // The flip raises Δ^μ exactly when σ^μ ξ_i^μ W_i = −1, i.e. bit ⊕ [W_i = −1] = 1.
        let col = &self.cols[i * self.words..(i + 1) * self.words];
        let wneg = (self.w[i] < 0) as u64;
        let mut de = 0i64;
        for &mu in &self.plus.items {
            let up = ((col[mu / 64] >> (mu % 64)) & 1) ^ wneg;
            de += 1 - up as i64;
        }
        for &mu in &self.minus.items {
            let up = ((col[mu / 64] >> (mu % 64)) & 1) ^ wneg;
            de -= up as i64;
        }
        de
    }

    fn flip(&mut self, i: usize) {
        let wneg = (self.w[i] < 0) as u64;
        for mu in 0..self.p {
            let up = self.bit(i, mu) ^ wneg;
            let old = self.stab[mu];
            let new = old + 4 * up as i32 - 2;
            self.stab[mu] = new;
            // Only a pattern passing through Δ = ±1 changes set (old ∈ {−3, −1, 1, 3}).
            if (-3..=3).contains(&old) {
                match (old, new) {
                    (3, 1) => self.plus.insert(mu),
                    (1, 3) => self.plus.remove(mu),
                    (1, -1) => {
                        self.plus.remove(mu);
                        self.minus.insert(mu);
                        self.energy += 1;
                    }
                    (-1, 1) => {
                        self.minus.remove(mu);
                        self.plus.insert(mu);
                        self.energy -= 1;
                    }
                    (-1, -3) => self.minus.remove(mu),
                    (-3, -1) => self.minus.insert(mu),
                    _ => {}
                }
            }
        }
        self.w[i] = -self.w[i];
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
                if fresh[mu] != v || set.pos[mu] != k {
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
