//! Seeded random streams: every random quantity comes from its own Xoshiro256++ stream, derived from the
//! master seed, a tag naming what it draws ("xi", "sigma", "teacher", …) and an index (column, replica, task).
//! Streams never depend on the thread count or on the order in which they are consumed.

use rand_core::{RngCore, SeedableRng};
pub use rand_xoshiro::Xoshiro256PlusPlus as Rng;

/// SplitMix64 step: the standard way to expand one 64-bit seed into well-mixed words.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a tag: a stable 64-bit name for a stream family.
fn tag_hash(tag: &str) -> u64 {
    tag.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// A 64-bit seed derived from (seed, tag, index), for sub-seeds written to result files.
pub fn derive_seed(seed: u64, tag: &str, index: u64) -> u64 {
    let mut s = seed ^ tag_hash(tag).rotate_left(17);
    splitmix64(&mut s);
    s ^= index.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    splitmix64(&mut s)
}

/// The stream for (seed, tag, index).
pub fn stream(seed: u64, tag: &str, index: u64) -> Rng {
    let mut s = derive_seed(seed, tag, index);
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut s).to_le_bytes());
    }
    Rng::from_seed(bytes)
}

/// A uniform integer in [0, n) (Lemire's multiply-shift with rejection: unbiased).
#[inline]
pub fn below(rng: &mut Rng, n: u64) -> u64 {
    debug_assert!(n > 0);
    loop {
        let m = (rng.next_u64() as u128) * (n as u128);
        let lo = m as u64;
        // The threshold (2^64 − n) mod n is below n: only a low part under n needs the division.
        if lo >= n || lo >= n.wrapping_neg() % n {
            return (m >> 64) as u64;
        }
    }
}

/// A uniform float in [0, 1) with 53 random bits.
#[inline]
pub fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The integer form of the test `uniform(rng) < p` for 0 ≤ p ≤ 1: `uniform` is k·2⁻⁵³ with k = the top 53
/// bits of a draw, and k·2⁻⁵³ < p ⇔ k < ⌈p·2⁵³⌉ exactly (scaling by 2⁵³ is exact), so
/// `below_threshold(rng, threshold(p))` makes the same decision from the same draw without floats.
pub fn threshold(p: f64) -> u64 {
    (p.clamp(0.0, 1.0) * (1u64 << 53) as f64).ceil() as u64
}

/// `uniform(rng) < p` for `t = threshold(p)` (one draw, as `uniform`).
#[inline]
pub fn below_threshold(rng: &mut Rng, t: u64) -> bool {
    (rng.next_u64() >> 11) < t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(1, "xi", 0), |r, _: u64| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(1, "xi", 0), |r, _: u64| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(1, "xi", 1), |r, _: u64| Some(r.next_u64()))
            .collect();
        let d: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(1, "sigma", 0), |r, _: u64| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn threshold_decides_like_uniform() {
        let mut r = stream(9, "t", 0);
        let ps = [
            0.0,
            1e-300,
            2f64.powi(-53),
            3.0 * 2f64.powi(-54),
            0.25,
            0.3,
            0.999,
            1.0,
        ];
        for _ in 0..20_000 {
            let x = r.next_u64();
            let u = (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            let p = (x % 1000) as f64 / 997.0;
            for &q in ps.iter().chain([p, u].iter()) {
                let t = threshold(q);
                assert_eq!((x >> 11) < t, u < q, "p = {q}, draw {x:#x}");
            }
        }
    }

    #[test]
    fn below_is_in_range_and_covers() {
        let mut r = stream(7, "t", 0);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let x = below(&mut r, 7) as usize;
            seen[x] = true;
        }
        assert!(seen.iter().all(|&s| s));
        let u = uniform(&mut r);
        assert!((0.0..1.0).contains(&u));
    }
}
