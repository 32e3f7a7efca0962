//! The annealing protocol: inverse temperature β and coupling γ as functions of the sweep t.
//!
//! A ramp goes from (β₀, γ₀) at t = 0 to (β₁, γ₁) at t = T (the ramp length) and stays there:
//! geometric β(t) = β₀ (β₁/β₀)^(t/T) (the default), or linear β(t) = β₀ + (β₁ − β₀) t/T; γ likewise.
//! A schedule file gives the steps instead: one `sweep beta gamma` row per step, the first at sweep 0, sweeps
//! increasing; a row holds from its sweep until the next row's (piecewise constant). `#` starts a comment.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ramp {
    Geometric,
    Linear,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Schedule {
    /// A ramp from (β₀, γ₀) to (β₁, γ₁) over `sweeps` sweeps. With `beta_ref_n` = N₀ the β values are
    /// those for N₀ weights, and a run on N weights uses β·√(N₀/N) (see [`Schedule::for_n`]).
    Ramp {
        ramp: Ramp,
        beta0: f64,
        beta1: f64,
        gamma0: f64,
        gamma1: f64,
        sweeps: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beta_ref_n: Option<usize>,
    },
    /// Explicit steps (sweep, β, γ), from a schedule file.
    Table {
        file: String,
        steps: Vec<(u64, f64, f64)>,
    },
}

/// The largest schedule file read: 64 MiB, about a million rows `sweep beta gamma`.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

impl Schedule {
    /// A checked ramp: β₀, β₁ > 0 for the geometric ramp (≥ 0 for linear), γ ≥ 0, and T ≥ 1.
    pub fn ramp(ramp: Ramp, beta: (f64, f64), gamma: (f64, f64), sweeps: u64) -> Result<Self> {
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        if !ok(beta.0) || !ok(beta.1) || !ok(gamma.0) || !ok(gamma.1) {
            return Err(Error::input("β and γ must be finite and non-negative"));
        }
        if ramp == Ramp::Geometric
            && (beta.0 == 0.0 || beta.1 == 0.0 || (gamma.0 == 0.0) != (gamma.1 == 0.0))
        {
            return Err(Error::input(
                "a geometric ramp needs β₀, β₁ > 0 and γ₀, γ₁ both > 0 (or both 0): use a linear ramp to start from 0",
            ));
        }
        Ok(Schedule::Ramp {
            ramp,
            beta0: beta.0,
            beta1: beta.1,
            gamma0: gamma.0,
            gamma1: gamma.1,
            sweeps: sweeps.max(1),
            beta_ref_n: None,
        })
    }

    /// Declares the ramp's β values as those for `n_ref` weights (see [`Schedule::for_n`]); a table is
    /// left as it is.
    pub fn with_beta_reference(self, n_ref: usize) -> Self {
        match self {
            Schedule::Ramp {
                ramp,
                beta0,
                beta1,
                gamma0,
                gamma1,
                sweeps,
                ..
            } => Schedule::Ramp {
                ramp,
                beta0,
                beta1,
                gamma0,
                gamma1,
                sweeps,
                beta_ref_n: Some(n_ref),
            },
            t => t,
        }
    }

    /// The schedule a run on N weights follows: a ramp with a reference N₀ has its β scaled by √(N₀/N)
    /// (the energy change of one flip grows like √N, for the error count through the ~P/√N patterns at the
    /// margin and for the linear energy through the violated ones, so the same acceptance needs β ∝ 1/√N).
    pub fn for_n(&self, n: usize) -> Schedule {
        match self {
            Schedule::Ramp {
                ramp,
                beta0,
                beta1,
                gamma0,
                gamma1,
                sweeps,
                beta_ref_n: Some(n_ref),
            } => {
                let f = (*n_ref as f64 / n as f64).sqrt();
                Schedule::Ramp {
                    ramp: *ramp,
                    beta0: beta0 * f,
                    beta1: beta1 * f,
                    gamma0: *gamma0,
                    gamma1: *gamma1,
                    sweeps: *sweeps,
                    beta_ref_n: None,
                }
            }
            s => s.clone(),
        }
    }

    /// (β, γ) at sweep t.
    pub fn at(&self, t: u64) -> (f64, f64) {
        match self {
            Schedule::Ramp {
                ramp,
                beta0,
                beta1,
                gamma0,
                gamma1,
                sweeps,
                ..
            } => {
                let x = (t as f64 / *sweeps as f64).min(1.0);
                let f = |a: f64, b: f64| match ramp {
                    Ramp::Linear => a + (b - a) * x,
                    Ramp::Geometric if a == 0.0 => 0.0,
                    Ramp::Geometric => a * (b / a).powf(x),
                };
                (f(*beta0, *beta1), f(*gamma0, *gamma1))
            }
            Schedule::Table { steps, .. } => {
                let k = steps.partition_point(|s| s.0 <= t).max(1) - 1;
                (steps[k].1, steps[k].2)
            }
        }
    }

    /// Parses a schedule file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = crate::fsio::read_text_bounded(path, MAX_FILE_BYTES, "a schedule")?;
        Self::parse(&text, path)
    }

    /// Parses schedule text (rows `sweep beta gamma`); `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let mut steps: Vec<(u64, f64, f64)> = Vec::new();
        for (k, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |m: &str| Error::at(path, Some(k + 1), m);
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() != 3 {
                return Err(bad("expected three columns: sweep beta gamma"));
            }
            let sweep: u64 = t[0]
                .parse()
                .map_err(|_| bad("the sweep must be a non-negative integer"))?;
            let beta: f64 = t[1].parse().map_err(|_| bad("β is not a number"))?;
            let gamma: f64 = t[2].parse().map_err(|_| bad("γ is not a number"))?;
            if !(beta.is_finite() && beta >= 0.0 && gamma.is_finite() && gamma >= 0.0) {
                return Err(bad("β and γ must be finite and non-negative"));
            }
            if let Some(last) = steps.last() {
                if sweep <= last.0 {
                    return Err(bad("sweeps must increase from row to row"));
                }
            } else if sweep != 0 {
                return Err(bad("the first row must be at sweep 0"));
            }
            steps.push((sweep, beta, gamma));
        }
        if steps.is_empty() {
            return Err(Error::at(
                path,
                None,
                "the schedule has no rows (expected `sweep beta gamma` lines)",
            ));
        }
        Ok(Schedule::Table {
            file: path.display().to_string(),
            steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_hit_their_ends() {
        let s = Schedule::ramp(Ramp::Geometric, (1.0, 100.0), (0.1, 10.0), 100).unwrap();
        let (b, g) = s.at(0);
        assert!((b - 1.0).abs() < 1e-12 && (g - 0.1).abs() < 1e-12);
        let (b, g) = s.at(50);
        assert!((b - 10.0).abs() < 1e-9 && (g - 1.0).abs() < 1e-9);
        assert_eq!(s.at(100), s.at(1000));
        let l = Schedule::ramp(Ramp::Linear, (0.0, 2.0), (0.0, 1.0), 4).unwrap();
        assert_eq!(l.at(2), (1.0, 0.5));
        assert!(Schedule::ramp(Ramp::Geometric, (0.0, 2.0), (0.1, 1.0), 4).is_err());
        let r = Schedule::ramp(Ramp::Geometric, (1.0, 4.0), (0.1, 1.0), 10)
            .unwrap()
            .with_beta_reference(1000);
        assert_eq!(r.for_n(1000).at(10), (4.0, 1.0));
        let (b, g) = r.for_n(4000).at(0);
        assert!((b - 0.5).abs() < 1e-12 && (g - 0.1).abs() < 1e-12);
        let r = Schedule::ramp(Ramp::Geometric, (1.0, 4.0), (0.1, 1.0), 10)
            .unwrap()
            .with_beta_reference(1000);
        assert_eq!(r.for_n(1000).at(10), (4.0, 1.0));
        let (b, g) = r.for_n(4000).at(0);
        assert!((b - 0.5).abs() < 1e-12 && (g - 0.1).abs() < 1e-12);
    }

    #[test]
    fn table_is_piecewise_constant_and_checked() {
        let p = Path::new("s.txt");
        let s = Schedule::parse(
            "# sweep beta gamma\n0 1 0.1\n10 2 0.2 # later\n\n20 3 0.3\n",
            p,
        )
        .unwrap();
        assert_eq!(s.at(0), (1.0, 0.1));
        assert_eq!(s.at(9), (1.0, 0.1));
        assert_eq!(s.at(10), (2.0, 0.2));
        assert_eq!(s.at(99), (3.0, 0.3));
        assert!(Schedule::parse("5 1 1\n", p)
            .unwrap_err()
            .to_string()
            .contains("s.txt:1"));
        assert!(Schedule::parse("0 1 1\n0 2 2\n", p)
            .unwrap_err()
            .to_string()
            .contains(":2:"));
        assert!(Schedule::parse("0 1\n", p).is_err());
        assert!(Schedule::parse("0 x 1\n", p).is_err());
        assert!(Schedule::parse("0 -1 1\n", p).is_err());
        assert!(Schedule::parse("", p).is_err());
    }
}

crate::named!(Ramp, "ramp shape" {
    Geometric => "geometric": "β(t) = β₀ (β₁/β₀)^(t/T), and γ likewise",
    Linear => "linear": "β(t) = β₀ + (β₁ − β₀) t/T, and γ likewise",
});
