//! Network architectures with binary weights and the rules that make their sizes valid.
//!
//! | code | paper | meaning |
//! |---|---|---|
//! | `n` | N | number of binary weights W_i = ±1 (all of them, over all hidden units) |
//! | `k` | K | hidden units (1 for the perceptron) |
//! | `unit_len()` | n = N/K | inputs seen by one hidden unit (tree: disjoint blocks) |
//! | `c(l)` | c_l | fixed second-layer weight of unit l |

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The hidden-unit type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// Binary perceptron (K = 1): σ = sign(Σ_i W_i ξ_i), N odd.
    Perceptron,
    /// Tree committee machine with sign units: τ = sign(Σ_l sign(λ_l)), K odd, N/K odd.
    Sign,
    /// Tree committee machine with ReLU units: h = Σ_l c_l max(0, λ_l), K even, N/K even; σh ≤ 0 is an error.
    Relu,
}

impl Activation {
    pub fn name(self) -> &'static str {
        match self {
            Activation::Perceptron => "perceptron",
            Activation::Sign => "sign",
            Activation::Relu => "relu",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Activation::Perceptron, Activation::Sign, Activation::Relu]
            .into_iter()
            .find(|a| a.name() == s)
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A validated architecture: sizes and activation that make a well-posed storage problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Arch {
    pub n: usize,
    pub k: usize,
    pub activation: Activation,
}

/// Largest N densemc accepts (the lanes of the Monte Carlo and the file formats hold sizes in 32 bits).
pub const MAX_N: usize = 1 << 31;

impl Arch {
    /// Checks the size rules and says what would be valid when they fail.
    pub fn new(n: usize, k: usize, activation: Activation) -> Result<Arch> {
        let bad = |msg: String| Err(Error::input(msg));
        if n == 0 || n > MAX_N {
            return bad(format!(
                "N={n} is out of range: N must be between 1 and {MAX_N}"
            ));
        }
        match activation {
            Activation::Perceptron => {
                if k != 1 {
                    return bad(format!(
                        "the perceptron has K=1 (got K={k}); for K>1 use --activation sign or relu"
                    ));
                }
                if n % 2 == 0 {
                    return bad(format!(
                        "the binary perceptron needs N odd so that Σ W_i ξ_i is never 0 (got N={n}): try N={} or N={}",
                        n - 1,
                        n + 1
                    ));
                }
            }
            Activation::Sign | Activation::Relu => {
                let (parity, what) = match activation {
                    Activation::Sign => (1, "odd"),
                    _ => (0, "even"),
                };
                if k == 0 || k % 2 != parity {
                    let hint = if activation == Activation::Sign {
                        "K odd so that the majority vote never ties, e.g. 3 or 5"
                    } else {
                        "K even so that half the units have c_l=+1 and half c_l=-1, e.g. 2, 4 or 8"
                    };
                    return bad(format!("{activation} units need {hint} (got K={k})"));
                }
                if n % k != 0 || (n / k) % 2 != parity {
                    // Nearest N = K·m with m of the right parity, below and above.
                    let m = n / k;
                    let lo = if m % 2 == parity {
                        m
                    } else {
                        m.saturating_sub(1)
                    };
                    let hi = if (m + 1) % 2 == parity { m + 1 } else { m + 2 };
                    let below = if lo > 0 {
                        format!("N={} or ", lo * k)
                    } else {
                        String::new()
                    };
                    return bad(format!(
                        "{activation} units with K={k} need N divisible by K with N/K {what} (got N={n}): try {below}N={}",
                        hi * k
                    ));
                }
            }
        }
        Ok(Arch { n, k, activation })
    }

    /// n = N/K, the inputs of one hidden unit.
    pub fn unit_len(&self) -> usize {
        self.n / self.k
    }

    /// c_l: +1 for the perceptron and sign units; for ReLU +1 for the first K/2 units and −1 for the rest.
    pub fn c(&self, l: usize) -> i32 {
        if self.activation == Activation::Relu && l >= self.k / 2 {
            -1
        } else {
            1
        }
    }

    /// Whether a pattern with label σ and output field `out` is misclassified (ties are errors for ReLU).
    pub fn is_error(&self, sigma: i32, out: i64) -> bool {
        match self.activation {
            Activation::Relu => sigma as i64 * out <= 0,
            _ => sigma as i64 * out < 0,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} N={} K={}", self.activation, self.n, self.k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_sizes() {
        assert!(Arch::new(1001, 1, Activation::Perceptron).is_ok());
        assert!(Arch::new(1000, 1, Activation::Perceptron)
            .unwrap_err()
            .to_string()
            .contains("N=999 or N=1001"));
        assert!(Arch::new(1001, 3, Activation::Perceptron).is_err());
        assert!(Arch::new(999, 3, Activation::Sign).is_ok());
        let e = Arch::new(1000, 3, Activation::Sign)
            .unwrap_err()
            .to_string();
        assert!(e.contains("N=999") && e.contains("N=1005"), "{e}");
        assert!(Arch::new(1005, 5, Activation::Sign).is_ok());
        assert!(Arch::new(1000, 4, Activation::Relu).is_ok());
        assert!(Arch::new(1000, 3, Activation::Relu)
            .unwrap_err()
            .to_string()
            .contains("K even"));
        let e = Arch::new(1004, 4, Activation::Relu)
            .unwrap_err()
            .to_string();
        assert!(e.contains("N=1000") && e.contains("N=1008"), "{e}");
        assert!(Arch::new(1008, 8, Activation::Relu).is_ok());
        assert!(Arch::new(0, 1, Activation::Perceptron).is_err());
        let r = Arch::new(1000, 4, Activation::Relu).unwrap();
        assert_eq!((r.c(0), r.c(1), r.c(2), r.c(3)), (1, 1, -1, -1));
        assert!(r.is_error(1, 0) && r.is_error(-1, 0) && !r.is_error(-1, -2));
    }
}

crate::named!(@no_display Activation, "activation" {
    Perceptron => "perceptron": "Binary perceptron (K = 1): σ = sign(Σ_i W_i ξ_i), N odd",
    Sign => "sign": "Tree committee machine with sign units: τ = sign(Σ_l sign(λ_l)), K odd, N/K odd",
    Relu => "relu": "Tree committee machine with ReLU units: h = Σ_l c_l max(0, λ_l), K even, N/K even; σh ≤ 0 is an error",
});
