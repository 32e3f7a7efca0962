//! The architectures densemc knows, as one list ([`Activation`]), and the sizes that make one of them a
//! well-posed storage problem ([`Arch`]). Each architecture's rules live in its own file of `model/`;
//! `with_arch!` (in `model`) maps an [`Activation`] to that file's type.
//!
//! | code | paper | meaning |
//! |---|---|---|
//! | `n` | N | number of binary weights W_i = ±1 (all of them, over all hidden units) |
//! | `k` | K | hidden units (1 for the perceptron) |
//! | `unit_len()` | n = N/K | inputs seen by one hidden unit (tree: disjoint blocks; fully connected: all) |
//! | `inputs()` | | inputs of one pattern: N for the perceptron and tree committees, n for the fully connected one |
//! | `c(l)` | c_l | fixed second-layer weight of unit l |

use super::{Architecture, Units};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The network: the hidden-unit type, and for the fully connected committee its wiring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// Binary perceptron (K = 1): σ = sign(Σ_i W_i ξ_i), N odd.
    Perceptron,
    /// Tree committee machine with sign units: τ = sign(Σ_l sign(λ_l)), K odd, N/K odd.
    Sign,
    /// Tree committee machine with ReLU units: h = Σ_l c_l max(0, λ_l), K even, N/K even; σh ≤ 0 is an error.
    Relu,
    /// Fully connected committee machine with sign units: every unit sees all n = N/K inputs, K odd, n odd
    /// (selected on the command line by `--activation sign --fully-connected`).
    FcSign,
}

impl Activation {
    /// Every architecture, in the order of their file codes.
    pub const ALL: [Activation; 4] = [
        Activation::Perceptron,
        Activation::Sign,
        Activation::Relu,
        Activation::FcSign,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Activation::Perceptron => "perceptron",
            Activation::Sign => "sign",
            Activation::Relu => "relu",
            Activation::FcSign => "fc-sign",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Activation::ALL.into_iter().find(|a| a.name() == s)
    }

    /// The fully connected committee with these hidden units: only sign units have one.
    pub fn fully_connected(self) -> Result<Activation> {
        match self {
            Activation::Sign | Activation::FcSign => Ok(Activation::FcSign),
            other => Err(Error::input(format!(
                "the fully connected committee has sign units (got the activation {other})"
            ))),
        }
    }

    /// Whether every hidden unit reads all inputs of a pattern (else unit l reads its own block).
    pub fn is_fully_connected(self) -> bool {
        with_arch!(self, A => A::FULLY_CONNECTED)
    }
}

/// The names a user types: the fully connected committee is `sign` with `fully_connected()` (on the
/// command line `--fully-connected`), so it has no name of its own here; files name it `fc-sign`.
impl crate::names::Named for Activation {
    const WHAT: &'static str = "activation";
    const VALUES: &'static [(Self, &'static str, &'static str)] = &[
        (
            Activation::Perceptron,
            "perceptron",
            "Binary perceptron (K = 1): σ = sign(Σ_i W_i ξ_i), N odd",
        ),
        (
            Activation::Sign,
            "sign",
            "Tree committee machine with sign units: τ = sign(Σ_l sign(λ_l)), K odd, N/K odd",
        ),
        (
            Activation::Relu,
            "relu",
            "Tree committee machine with ReLU units: h = Σ_l c_l max(0, λ_l), K even, N/K even; σh ≤ 0 is an error",
        ),
    ];
    fn name(self) -> &'static str {
        Activation::name(self)
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
        if n == 0 || n > MAX_N {
            return Err(Error::input(format!(
                "N={n} is out of range: N must be between 1 and {MAX_N}"
            )));
        }
        with_arch!(activation, A => A::check(n, k))?;
        Ok(Arch { n, k, activation })
    }

    /// n = N/K, the inputs of one hidden unit.
    pub fn unit_len(&self) -> usize {
        self.n / self.k
    }

    /// The inputs of one pattern: N, or n = N/K when every unit sees all of them.
    pub fn inputs(&self) -> usize {
        if self.activation.is_fully_connected() {
            self.unit_len()
        } else {
            self.n
        }
    }

    /// The input that weight i multiplies: i, or i mod n when fully connected (W_{l j} reads ξ_j).
    #[inline]
    pub fn input_of(&self, i: usize) -> usize {
        if self.activation.is_fully_connected() {
            i % self.unit_len()
        } else {
            i
        }
    }

    /// The first input of hidden unit l (it reads `unit_len()` consecutive inputs from there).
    pub fn first_input(&self, l: usize) -> usize {
        self.input_of(l * self.unit_len())
    }

    /// c_l: +1 for the perceptron and sign units; for ReLU +1 for the first K/2 units and −1 for the rest.
    pub fn c(&self, l: usize) -> i32 {
        with_units!(self.activation, U => U::c(self.k, l))
    }

    /// Whether a pattern with label σ and output field `out` is misclassified (ties are errors for ReLU).
    pub fn is_error(&self, sigma: i32, out: i64) -> bool {
        with_units!(self.activation, U => U::is_error(sigma, out))
    }

    /// The output field of one pattern from its preactivations λ_1..λ_K (see [`crate::model::Fields`]).
    pub fn output(&self, lambdas: impl Iterator<Item = i32>) -> i32 {
        with_units!(self.activation, U => U::output(self.k, lambdas))
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} N={} K={}", self.activation, self.n, self.k)
    }
}

/// For size rules: the nearest N = K·m with m of the given parity, below and above, as a hint.
pub(crate) fn nearest_sizes(n: usize, k: usize, parity: usize) -> String {
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
    format!("{below}N={}", hi * k)
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

    #[test]
    fn fully_connected_sizes_and_wiring() {
        let a = Arch::new(15, 3, Activation::FcSign).unwrap();
        assert_eq!((a.unit_len(), a.inputs()), (5, 5));
        assert_eq!((a.input_of(0), a.input_of(7), a.input_of(14)), (0, 2, 4));
        assert_eq!((a.first_input(0), a.first_input(2)), (0, 0));
        let t = Arch::new(15, 3, Activation::Sign).unwrap();
        assert_eq!((t.inputs(), t.input_of(7), t.first_input(2)), (15, 7, 10));
        let e = Arch::new(12, 3, Activation::FcSign)
            .unwrap_err()
            .to_string();
        assert!(e.contains("N=9") && e.contains("N=15"), "{e}");
        assert!(Arch::new(20, 4, Activation::FcSign)
            .unwrap_err()
            .to_string()
            .contains("K odd"));
        assert_eq!(
            Activation::Sign.fully_connected().unwrap(),
            Activation::FcSign
        );
        assert!(Activation::Relu.fully_connected().is_err());
        assert_eq!(Activation::parse("fc-sign"), Some(Activation::FcSign));
        assert_eq!(
            serde_json::to_string(&Activation::FcSign).unwrap(),
            "\"fc-sign\""
        );
        assert_eq!(
            serde_json::to_string(&Activation::Relu).unwrap(),
            "\"relu\""
        );
    }
}
