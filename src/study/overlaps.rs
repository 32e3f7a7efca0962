//! Overlaps between weight vectors on the same instance:
//! - the normalised Hamming distance d(W, W') = #{i : W_i ≠ W'_i}/N (the overlap is q = 1 − 2d);
//! - the K×K hidden-unit overlap matrix of one W, q_lm = (1/n) Σ_{j<n} W_{l,j} W_{m,j}, n = N/K. In a tree
//!   committee unit l sees its own block of inputs, so q_lm compares the weight *blocks* of units l and m
//!   position by position (input j of block l against input j of block m). The inputs of different blocks are
//!   independent, so q_lm (l ≠ m) measures a correlation between the units' weight patterns (≈ 0 ± 1/√n for
//!   independent units), not between what the units compute.

use crate::weights::Weights;

/// d = H(W, W')/N.
pub fn distance(a: &Weights, b: &Weights) -> f64 {
    a.hamming(b) as f64 / a.len() as f64
}

/// The symmetric matrix of distances d between all pairs.
pub fn distance_matrix(ws: &[&Weights]) -> Vec<Vec<f64>> {
    ws.iter()
        .map(|a| ws.iter().map(|b| distance(a, b)).collect())
        .collect()
}

/// q_lm = (1/n) Σ_j W_{l n + j} W_{m n + j} for K units of n = N/K weights each (see the module docs).
pub fn hidden_overlaps(w: &Weights, k: usize) -> Vec<Vec<f64>> {
    assert!(k > 0 && w.len() % k == 0, "N must be a multiple of K");
    let n = w.len() / k;
    let signs = w.signs();
    (0..k)
        .map(|l| {
            (0..k)
                .map(|m| {
                    let dot: i64 = (0..n)
                        .map(|j| (signs[l * n + j] * signs[m * n + j]) as i64)
                        .sum();
                    dot as f64 / n as f64
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_block_overlaps() {
        let w = Weights::from_signs(&[1, 1, -1, 1, 1, -1]);
        let mut v = w.clone();
        v.flip(0);
        v.flip(5);
        assert!((distance(&w, &v) - 2.0 / 6.0).abs() < 1e-12);
        let d = distance_matrix(&[&w, &v]);
        assert_eq!(d[0][0], 0.0);
        assert_eq!(d[0][1], d[1][0]);
        // Blocks (1,1,-1) and (1,1,-1): q = 1.
        let q = hidden_overlaps(&w, 2);
        assert_eq!(q, vec![vec![1.0, 1.0], vec![1.0, 1.0]]);
        let q = hidden_overlaps(&v, 2);
        // Blocks (-1,1,-1) and (1,1,1): q = -1/3.
        assert!((q[0][1] + 1.0 / 3.0).abs() < 1e-12);
    }
}
