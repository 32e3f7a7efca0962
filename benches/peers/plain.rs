//! Peer (a), *straightforward*: the binary perceptron as a researcher writes it first.
//!
//! - patterns ξ_i^μ = ±1 as `i8`, stored **column-major** (`xi[i * P + μ]`: weight i's P inputs contiguous),
//!   because the single-flip ΔE below walks one weight over all patterns; labels σ^μ = ±1 as `i8`;
//! - weights W_i = ±1 as `i8`; integer stabilities Δ^μ = σ^μ Σ_i W_i ξ_i^μ in `Vec<i32>`;
//! - ΔE of flipping W_i: a loop over all P patterns, Δ^μ → Δ^μ − 2 W_i σ^μ ξ_i^μ, counting the patterns that
//!   become errors (Δ < 0) minus those that stop being errors;
//! - an accepted flip updates the P stabilities in the same loop shape: O(P) per proposal, accepted or not.
//!
//! Plain Rust with no intrinsics: whatever the compiler auto-vectorizes for the default x86-64 target is
//! what a researcher would get from `cargo build --release`.

use super::driver::Peer;
use densemc::instance::Instance;

pub struct Plain {
    n: usize,
    p: usize,
    /// ξ_i^μ at `i * p + μ`.
    xi: Vec<i8>,
    sigma: Vec<i8>,
    w: Vec<i8>,
    /// Δ^μ.
    stab: Vec<i32>,
    energy: i64,
}

/// Δ^μ = σ^μ Σ_i W_i ξ_i^μ for every μ, from scratch.
fn stabilities(n: usize, p: usize, xi: &[i8], sigma: &[i8], w: &[i8]) -> Vec<i32> {
    let mut stab = vec![0i32; p];
    for i in 0..n {
        let col = &xi[i * p..(i + 1) * p];
        for mu in 0..p {
            stab[mu] += w[i] as i32 * col[mu] as i32;
        }
    }
    for mu in 0..p {
        stab[mu] *= sigma[mu] as i32;
    }
    stab
}

impl Plain {
    pub fn new(inst: &Instance, w: &[i8]) -> Self {
        let (n, p) = (inst.n(), inst.p());
        assert_eq!(inst.k(), 1, "the plain peer is a perceptron");
        assert_eq!(w.len(), n);
        let mut xi = vec![0i8; n * p];
        for i in 0..n {
            for mu in 0..p {
                xi[i * p + mu] = inst.xi(i, mu);
            }
        }
        let sigma: Vec<i8> = (0..p).map(|mu| inst.sigma(mu)).collect();
        let stab = stabilities(n, p, &xi, &sigma, w);
        let energy = stab.iter().filter(|&&d| d < 0).count() as i64;
        Plain {
            n,
            p,
            xi,
            sigma,
            w: w.to_vec(),
            stab,
            energy,
        }
    }
}

impl Peer for Plain {
    fn n(&self) -> usize {
        self.n
    }

    fn energy(&self) -> i64 {
        self.energy
    }

    fn delta_energy(&self, i: usize) -> i64 {
        let p = self.p;
        let c = -2 * self.w[i] as i32;
        let col = &self.xi[i * p..(i + 1) * p];
        let mut de = 0i32;
        for ((&old, &x), &s) in self.stab.iter().zip(col).zip(&self.sigma) {
            let new = old + c * (s as i32 * x as i32);
            de += (new < 0) as i32 - (old < 0) as i32;
        }
        de as i64
    }

    fn flip(&mut self, i: usize) {
        let p = self.p;
        let c = -2 * self.w[i] as i32;
        let col = &self.xi[i * p..(i + 1) * p];
        let mut de = 0i32;
        for ((d, &x), &s) in self.stab.iter_mut().zip(col).zip(&self.sigma) {
            let new = *d + c * (s as i32 * x as i32);
            de += (new < 0) as i32 - (*d < 0) as i32;
            *d = new;
        }
        self.energy += de as i64;
        self.w[i] = -self.w[i];
    }

    fn weights(&self) -> &[i8] {
        &self.w
    }

    fn check(&self) -> Result<(), String> {
        let fresh = stabilities(self.n, self.p, &self.xi, &self.sigma, &self.w);
        if fresh != self.stab {
            return Err("plain peer: stabilities differ from a recomputation".into());
        }
        let e = fresh.iter().filter(|&&d| d < 0).count() as i64;
        if e != self.energy {
            return Err(format!("plain peer: energy {} but {e} errors", self.energy));
        }
        Ok(())
    }
}
