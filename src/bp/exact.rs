//! Exact enumeration on tiny networks (the perceptron and every committee): the number of solutions at each Hamming distance from a reference,
//! the exact free entropy (1/N) ln Z(γ) and its Legendre transform — the oracle of the BP estimates.

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::weights::Weights;

/// Largest N enumerated (2^N configurations).
pub const MAX_N: usize = 30;

/// count_k = #{W solving every pattern : W differs from `reference` in exactly k weights}, k = 0..=N.
pub fn distance_counts(inst: &Instance, reference: &Weights) -> Result<Vec<u64>> {
    let n = inst.n();
    if n > MAX_N {
        return Err(Error::input(format!(
            "exact enumeration visits 2^N configurations: N={n} is above {MAX_N}"
        )));
    }
    if reference.len() != n {
        return Err(Error::input(format!(
            "the reference configuration has {} weights, the instance N={n}",
            reference.len()
        )));
    }
    let wref = (0..n)
        .filter(|&i| reference.get(i) < 0)
        .fold(0u32, |m, i| m | 1 << i);
    if inst.k() > 1 {
        return Ok(committee_counts(inst, wref));
    }
    // Bit i of a mask is 1 where the ±1 value is −1; Σ_i ζ_i W_i = N − 2·popcount(ζ ⊕ W).
    let zeta: Vec<u32> = (0..inst.p())
        .map(|mu| {
            (0..n)
                .filter(|&i| inst.sigma(mu) * inst.xi(i, mu) < 0)
                .fold(0u32, |m, i| m | 1 << i)
        })
        .collect();
    let mut counts = vec![0u64; n + 1];
    for w in 0..(1u64 << n) as u32 {
        if zeta
            .iter()
            .all(|&z| 2 * ((z ^ w).count_ones() as usize) < n)
        {
            counts[(w ^ wref).count_ones() as usize] += 1;
        }
    }
    Ok(counts)
}

/// count_k for a committee: bit i of pattern μ's mask is 1 where ξ_{in(i)}^μ = −1 (in(i) the input weight i
/// multiplies), unit l's preactivation λ_l = n − 2·popcount((mask ⊕ W) restricted to its n weights), and the
/// architecture's own output and error rules decide.
fn committee_counts(inst: &Instance, wref: u32) -> Vec<u64> {
    let arch = inst.arch();
    let (n, k, b) = (arch.n, arch.k, arch.unit_len());
    let masks: Vec<u32> = (0..inst.p())
        .map(|mu| {
            (0..n)
                .filter(|&i| inst.xi(arch.input_of(i), mu) < 0)
                .fold(0u32, |m, i| m | 1 << i)
        })
        .collect();
    let block = ((1u64 << b) - 1) as u32;
    let units: Vec<u32> = (0..k).map(|l| block << (l * b)).collect();
    let sigma: Vec<i32> = (0..inst.p()).map(|mu| inst.sigma(mu) as i32).collect();
    let mut counts = vec![0u64; n + 1];
    for w in 0..(1u64 << n) as u32 {
        let solves = masks.iter().zip(&sigma).all(|(&x, &s)| {
            let out = arch.output(
                units
                    .iter()
                    .map(|&u| b as i32 - 2 * ((x ^ w) & u).count_ones() as i32),
            );
            !arch.is_error(s, out as i64)
        });
        if solves {
            counts[(w ^ wref).count_ones() as usize] += 1;
        }
    }
    counts
}

/// The exact (1/N) ln Z(γ), Z = Σ_k count_k e^{γ(N − 2k)}, and q(γ) = ⟨1 − 2k/N⟩; `None` without solutions.
pub fn free_entropy(counts: &[u64], gamma: f64) -> Option<(f64, f64)> {
    let n = (counts.len() - 1) as f64;
    let terms: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(k, &c)| {
            (
                (c as f64).ln() + gamma * (n - 2.0 * k as f64),
                1.0 - 2.0 * k as f64 / n,
            )
        })
        .collect();
    let top = terms.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return None;
    }
    let (mut z, mut zq) = (0.0, 0.0);
    for &(l, q) in &terms {
        let w = (l - top).exp();
        z += w;
        zq += w * q;
    }
    Some(((top + z.ln()) / n, zq / z))
}

/// The Legendre transform of the exact free entropy at distance d: min_γ [φ(γ) − γ(1 − 2d)], the γ found by
/// bisection on q(γ) = 1 − 2d. d must lie strictly between the smallest and largest distance with solutions.
pub fn legendre(counts: &[u64], d: f64) -> Result<(f64, f64)> {
    let n = (counts.len() - 1) as f64;
    let ks: Vec<usize> = (0..counts.len()).filter(|&k| counts[k] > 0).collect();
    let (lo_d, hi_d) = match (ks.first(), ks.last()) {
        (Some(&a), Some(&b)) => (a as f64 / n, b as f64 / n),
        _ => return Err(Error::input("no solutions: the local entropy is −∞")),
    };
    if !(d > lo_d && d < hi_d) {
        return Err(Error::input(format!(
            "d={d} must lie strictly between {lo_d} and {hi_d}, the distances where solutions exist"
        )));
    }
    let target = 1.0 - 2.0 * d;
    let q = |g: f64| free_entropy(counts, g).expect("solutions exist").1;
    let (mut a, mut b) = (-1.0, 1.0);
    while q(a) > target {
        a *= 2.0;
    }
    while q(b) < target {
        b *= 2.0;
    }
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if q(m) < target {
            a = m
        } else {
            b = m
        }
    }
    let g = 0.5 * (a + b);
    let (phi, _) = free_entropy(counts, g).expect("solutions exist");
    Ok((phi - g * target, g))
}
