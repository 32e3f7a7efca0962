//! The rejection-free form of random-site Metropolis (the n-fold way of Bortz, Kalos and Lebowitz).
//!
//! Random-site Metropolis over a set S of n sites proposes a uniform site i and accepts with
//! p_i = min(1, e^{−β·ΔH_i}). Rejections change nothing, so with R = (1/n) Σ_i p_i the number of rejected
//! proposals before the next acceptance is geometric, P(K = k) = (1 − R)^k R, and the accepted site is i
//! with probability p_i / (n R). Drawing K and then the site is the same chain, move for move in
//! distribution, at one draw of each per *accepted* move. The budget of a phase (|S| proposals) is kept
//! exactly: a skip K that reaches past it means every remaining proposal is rejected (P(K ≥ r) =
//! (1 − R)^r), and by memorylessness the next phase (new sites, new β, γ) starts afresh.
//!
//! Sites of equal ΔE and equal coupling class ([`Cost::class`]) have equal p: the sites are counted per
//! class, the class is drawn ∝ count · p, the site uniformly within it. ΔE of every site is kept between
//! proposals ([`Deltas`]) and recomputed for all N sites (one dispatched kernel scan, O(N·P/64)) after each
//! accepted flip of that replica; a phase without acceptance costs O(|S|) plus one exp per class.

use super::driver::{flip, Counts};
use super::ensemble::Cost;
use super::state::Replica;
use crate::rng::{self, Rng};
use std::sync::atomic::AtomicI16;

/// One replica's ΔE of every site (valid while `fresh`) and the scratch of the class counts.
#[derive(Default)]
pub(super) struct Deltas {
    de: Vec<i64>,
    fresh: bool,
    /// 0..N, the sites of the refresh scan.
    all: Vec<usize>,
    /// The class of each site of the phase, the counts and acceptance per class.
    key: Vec<u32>,
    count: Vec<u64>,
    p: Vec<f64>,
}

impl Deltas {
    /// The weights changed outside this dynamics.
    pub(super) fn invalidate(&mut self) {
        self.fresh = false;
    }

    fn refresh<R: Replica>(&mut self, st: &R) {
        let n = st.n();
        if self.all.len() != n {
            self.all = (0..n).collect();
            self.de = vec![0; n];
        }
        let de = &mut self.de;
        // Every proposal rejected: the scan hands ΔE_i of all sites.
        st.scan(&self.all, |i, d| {
            de[i] = d;
            false
        });
        self.fresh = true;
    }
}

/// A geometric number of failures before the first success of probability `r` ∈ (0, 1] (saturating).
fn geometric(rng: &mut Rng, r: f64) -> u64 {
    if r >= 1.0 {
        return 0;
    }
    let u = 1.0 - rng::uniform(rng); // (0, 1]
    (u.ln() / (-r).ln_1p()).floor() as u64
}

/// One replica's share of a phase: |sites| random-site Metropolis proposals over the distinct `sites`,
/// rejection-free; stops at E = 0 when `stop`.
pub(super) fn phase<R: Replica, C: Cost>(
    st: &mut R,
    rng: &mut Rng,
    sites: &[usize],
    cost: &C,
    m: &[AtomicI16],
    d: &mut Deltas,
    stop: bool,
) -> Counts {
    let mut c = Counts::default();
    let mut left = sites.len() as u64;
    let classes = cost.classes();
    while left > 0 && !(stop && st.energy() == 0) {
        if !d.fresh {
            d.refresh(st);
        }
        let (lo, hi) = sites.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &i| {
            (lo.min(d.de[i]), hi.max(d.de[i]))
        });
        let width = (hi - lo + 1) as usize * classes;
        d.count.clear();
        d.count.resize(width, 0);
        d.key.clear();
        let w = st.weights();
        for &i in sites {
            let k = (d.de[i] - lo) as usize * classes + cost.class(i, w.get(i), m);
            d.key.push(k as u32);
            d.count[k] += 1;
        }
        d.p.clear();
        let mut total = 0.0;
        for (k, &n) in d.count.iter().enumerate() {
            let p = if n == 0 {
                0.0
            } else {
                let x = cost.class_cost(lo + (k / classes) as i64, k % classes);
                if x <= 0.0 {
                    1.0
                } else {
                    (-x).exp()
                }
            };
            d.p.push(p);
            total += n as f64 * p;
        }
        let r = total / sites.len() as f64;
        let skip = if r > 0.0 { geometric(rng, r) } else { u64::MAX };
        if skip >= left {
            c.proposals += left;
            break;
        }
        c.proposals += skip + 1;
        left -= skip + 1;
        // The class ∝ count · p, then a uniform site of it.
        let mut u = rng::uniform(rng) * total;
        let mut key = d.count.len();
        for (k, (&n, &p)) in d.count.iter().zip(&d.p).enumerate() {
            if n > 0 && p > 0.0 {
                key = k;
                u -= n as f64 * p;
                if u < 0.0 {
                    break;
                }
            }
        }
        let nth = rng::below(rng, d.count[key]) as usize;
        let t = d
            .key
            .iter()
            .enumerate()
            .filter(|&(_, &k)| k as usize == key)
            .nth(nth)
            .expect("the class holds count sites")
            .0;
        let i = sites[t];
        flip(st, i, d.de[i], m);
        d.fresh = false;
        c.accepted += 1;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// P(K ≥ k) = (1 − r)^k, within 5 standard errors.
    #[test]
    fn skips_are_geometric() {
        let mut rng = rng::stream(1, "t", 0);
        for r in [1.0, 0.5, 0.05, 1e-3] {
            let n = 200_000;
            let ks: Vec<u64> = (0..n).map(|_| geometric(&mut rng, r)).collect();
            for k in [1u64, 2, 10, 100, 1000] {
                let p = (1.0 - r).powi(k as i32);
                let f = ks.iter().filter(|&&x| x >= k).count() as f64 / n as f64;
                let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-9);
                assert!((f - p).abs() < 5.0 * se + 1e-12, "r={r} k={k}: {f} vs {p}");
            }
        }
    }
}
