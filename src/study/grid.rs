//! Grid syntax of the study commands: `START:STOP:STEP` (inclusive, robust to float rounding) or a
//! comma-separated list, for α values (`--alpha 0.5:0.8:0.02`), sizes (`--n 1001,2001,4001`) and the
//! perturbation fractions p of `robustness` (`--p-grid 0:0.5:0.01`).

use crate::error::{Error, Result};

/// Most values a grid may hold (a guard against a mistyped step).
pub const MAX_POINTS: usize = 100_000;

/// Rounds x to 12 significant digits, so that 0.5 + 6·0.02 is 0.62 exactly as typed (the same f64 as the
/// literal `0.62`), not 0.6200000000000001.
fn clean(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.11e}").parse().unwrap_or(x)
}

fn parse_f64(s: &str, flag: &str) -> Result<f64> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| Error::input(format!("{flag}: {:?} is not a number", s.trim())))?;
    if !v.is_finite() {
        return Err(Error::input(format!("{flag}: {v} is not a finite number")));
    }
    Ok(v)
}

/// Parses a grid of reals: `START:STOP:STEP` with STEP > 0 and STOP ≥ START gives START, START+STEP, …, up to
/// STOP included when it is within 10⁻⁹ steps of a grid point; or `a,b,c` (any order, no repeats).
/// `flag` names the option in errors.
pub fn parse_f64_grid(s: &str, flag: &str) -> Result<Vec<f64>> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::input(format!("{flag}: empty grid")));
    }
    let values = if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 3 {
            return Err(Error::input(format!(
                "{flag} {s}: expected START:STOP:STEP (e.g. 0.5:0.8:0.02) or a list a,b,c"
            )));
        }
        let (a, b, step) = (
            parse_f64(parts[0], flag)?,
            parse_f64(parts[1], flag)?,
            parse_f64(parts[2], flag)?,
        );
        if step <= 0.0 {
            return Err(Error::input(format!("{flag} {s}: STEP must be positive")));
        }
        if b < a {
            return Err(Error::input(format!(
                "{flag} {s}: STOP must not be below START"
            )));
        }
        let steps = (b - a) / step;
        if steps + 1.0 > MAX_POINTS as f64 {
            return Err(Error::input(format!(
                "{flag} {s}: more than {MAX_POINTS} values (is STEP right?)"
            )));
        }
        let count = (steps + 1e-9).floor() as usize + 1;
        (0..count)
            .map(|i| {
                if i == 0 {
                    a
                } else {
                    clean(a + i as f64 * step)
                }
            })
            .collect()
    } else {
        s.split(',')
            .map(|x| parse_f64(x, flag))
            .collect::<Result<Vec<_>>>()?
    };
    check_distinct(&values, flag, s)?;
    Ok(values)
}

/// Parses a grid of sizes: `a,b,c` or `START:STOP:STEP` with integers.
pub fn parse_usize_grid(s: &str, flag: &str) -> Result<Vec<usize>> {
    let s = s.trim();
    let int = |x: &str| -> Result<usize> {
        x.trim().parse().map_err(|_| {
            Error::input(format!(
                "{flag}: {:?} is not a non-negative integer",
                x.trim()
            ))
        })
    };
    if s.is_empty() {
        return Err(Error::input(format!("{flag}: empty grid")));
    }
    let values: Vec<usize> = if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 3 {
            return Err(Error::input(format!(
                "{flag} {s}: expected START:STOP:STEP (e.g. 501:2001:500) or a list a,b,c"
            )));
        }
        let (a, b, step) = (int(parts[0])?, int(parts[1])?, int(parts[2])?);
        if step == 0 || b < a {
            return Err(Error::input(format!(
                "{flag} {s}: STEP must be positive and STOP not below START"
            )));
        }
        if (b - a) / step >= MAX_POINTS {
            return Err(Error::input(format!(
                "{flag} {s}: more than {MAX_POINTS} values"
            )));
        }
        (a..=b).step_by(step).collect()
    } else {
        s.split(',').map(int).collect::<Result<_>>()?
    };
    let as_f: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    check_distinct(&as_f, flag, s)?;
    Ok(values)
}

fn check_distinct(values: &[f64], flag: &str, s: &str) -> Result<()> {
    if values.len() > MAX_POINTS {
        return Err(Error::input(format!(
            "{flag} {s}: more than {MAX_POINTS} values"
        )));
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::input(format!(
            "{flag} {s}: the value {} appears twice",
            w[0]
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_inclusive_and_clean() {
        let g = parse_f64_grid("0.5:0.8:0.02", "--alpha").unwrap();
        assert_eq!(g.len(), 16);
        assert_eq!(g[6], 0.62);
        assert_eq!(*g.last().unwrap(), 0.8);
        assert_eq!(parse_f64_grid("0:0.5:0.01", "--p").unwrap().len(), 51);
        assert_eq!(parse_f64_grid("0.7", "--alpha").unwrap(), vec![0.7]);
        assert_eq!(
            parse_usize_grid("101:501:200", "--n").unwrap(),
            vec![101, 301, 501]
        );
    }
}
