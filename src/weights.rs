//! Binary weight vectors W ∈ {±1}^N, stored as bits (bit 1 = −1) in a `bitvec::BitVec`.
//!
//! Text form: N characters `+`/`-` in input order (hidden unit 0's block first), the same order as the
//! pattern lines of the text instance format. A weights file holds that string alone, or is a result JSON
//! whose `"weights"` field holds it.

use crate::error::{Error, Result};
use crate::rng::Rng;
use bitvec::prelude::*;
use rand_core::RngCore;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weights {
    bits: BitVec<u64, Lsb0>,
}

impl Weights {
    /// All weights +1.
    pub fn ones(n: usize) -> Self {
        Weights {
            bits: bitvec![u64, Lsb0; 0; n],
        }
    }

    /// Independent uniform ±1 weights.
    pub fn random(n: usize, rng: &mut Rng) -> Self {
        let mut bits: BitVec<u64, Lsb0> = BitVec::with_capacity(n);
        let mut left = n;
        while left > 0 {
            let take = left.min(64);
            bits.extend_from_bitslice(&rng.next_u64().view_bits::<Lsb0>()[..take]);
            left -= take;
        }
        Weights { bits }
    }

    /// From ±1 values.
    pub fn from_signs(signs: &[i8]) -> Self {
        Weights {
            bits: signs.iter().map(|&s| s < 0).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.bits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// W_i as ±1.
    #[inline]
    pub fn get(&self, i: usize) -> i8 {
        if self.bits[i] {
            -1
        } else {
            1
        }
    }

    /// W_i as a word fill: 0 for +1, all ones for −1 (to XOR into a bit row).
    #[inline]
    pub fn fill(&self, i: usize) -> u64 {
        (self.bits[i] as u64).wrapping_neg()
    }

    /// The packed words: bit i%64 of word i/64 is 1 when W_i = −1 (bits past N are zero).
    #[inline]
    pub fn words(&self) -> &[u64] {
        self.bits.as_raw_slice()
    }

    /// Every W_i as a word fill (see [`Weights::fill`]), built from the packed words.
    pub fn fills(&self) -> Vec<u64> {
        let n = self.len();
        let mut out = Vec::with_capacity(n);
        for (k, &w) in self.bits.as_raw_slice().iter().enumerate() {
            let m = (n - 64 * k).min(64);
            out.extend((0..m).map(|j| ((w >> j) & 1).wrapping_neg()));
        }
        out
    }

    /// W_i ← −W_i.
    #[inline]
    pub fn flip(&mut self, i: usize) {
        let b = self.bits[i];
        self.bits.set(i, !b);
    }

    pub fn set(&mut self, i: usize, v: i8) {
        self.bits.set(i, v < 0);
    }

    pub fn signs(&self) -> Vec<i8> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }

    /// Hamming distance to another weight vector of the same length.
    pub fn hamming(&self, other: &Weights) -> usize {
        assert_eq!(self.len(), other.len());
        self.bits
            .as_raw_slice()
            .iter()
            .zip(other.bits.as_raw_slice())
            .map(|(a, b)| (a ^ b).count_ones() as usize)
            .sum()
    }

    /// The `+`/`-` string.
    pub fn to_pm(&self) -> String {
        self.bits
            .iter()
            .map(|b| if *b { '-' } else { '+' })
            .collect()
    }

    /// Parses a `+`/`-` string of exactly `n` characters; `what` names the source for the error.
    pub fn parse_pm(s: &str, n: usize, what: &str) -> Result<Self> {
        let s = s.trim();
        // Count characters, not bytes, so that the messages are right for non-ASCII input.
        let len = s.chars().count();
        if len != n {
            return Err(Error::input(format!(
                "{what}: the weight string has {len} characters, the instance has N={n}"
            )));
        }
        let mut bits = BitVec::with_capacity(n);
        for (i, c) in s.chars().enumerate() {
            match c {
                '+' => bits.push(false),
                '-' => bits.push(true),
                _ => {
                    return Err(Error::input(format!(
                        "{what}: character {} of the weight string is {c:?}, expected '+' or '-'",
                        i + 1
                    )))
                }
            }
        }
        Ok(Weights { bits })
    }

    /// The largest weights file read for N = `n`: a result record holds W and the centre's W̃ (N characters
    /// each) with its configuration (a schedule table may be long).
    pub fn file_limit(n: usize) -> u64 {
        4 * n as u64 + (64 << 20)
    }

    /// Reads a weights file: a bare `+`/`-` string, or a JSON object whose `"weights"` field holds one.
    pub fn read(path: &Path, n: usize) -> Result<Self> {
        let text = crate::fsio::read_text_bounded(path, Self::file_limit(n), "a weights file")?;
        let what = path.display().to_string();
        if text.trim_start().starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Error::at(path, Some(e.line()), format!("not valid JSON: {e}")))?;
            let w = v
                .get("weights")
                .and_then(|w| w.as_str())
                .ok_or_else(|| Error::at(path, None, "the JSON has no \"weights\" string field"))?;
            Self::parse_pm(w, n, &what)
        } else {
            Self::parse_pm(&text, n, &what)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pm_round_trip_and_errors() {
        let mut r = crate::rng::stream(3, "w", 0);
        let w = Weights::random(131, &mut r);
        let s = w.to_pm();
        assert_eq!(Weights::parse_pm(&s, 131, "x").unwrap(), w);
        assert!(Weights::parse_pm(&s, 130, "x")
            .unwrap_err()
            .to_string()
            .contains("131 characters"));
        let mut bad = s.clone();
        bad.replace_range(5..6, "x");
        assert!(Weights::parse_pm(&bad, 131, "x")
            .unwrap_err()
            .to_string()
            .contains("character 6"));
        let mut v = w.clone();
        v.flip(7);
        assert_eq!(v.hamming(&w), 1);
        assert_eq!(v.get(7), -w.get(7));
        assert_eq!(w.fill(0), if w.get(0) < 0 { !0 } else { 0 });
        assert_eq!(w.fills(), (0..131).map(|i| w.fill(i)).collect::<Vec<_>>());
        let signs = w.signs();
        assert_eq!(Weights::from_signs(&signs), w);
        // Random weights are not all equal (64-bit chunks were drawn).
        assert!(signs.iter().any(|&s| s > 0) && signs.iter().any(|&s| s < 0));
    }
}
