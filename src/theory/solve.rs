//! Deterministic one-dimensional solvers for the saddle-point equations: Brent's bracketed root finder,
//! a bracket search, a damped fixed-point iteration with a convergence test, and golden-section search.

use crate::error::{Error, Result};

/// A root of f in [lo, hi], where f(lo) and f(hi) differ in sign, to within `tol` in x (Brent–Dekker:
/// inverse quadratic interpolation or secant steps, falling back to bisection whenever they would not
/// shrink the bracket fast enough).
pub fn brent(mut f: impl FnMut(f64) -> f64, lo: f64, hi: f64, tol: f64) -> Result<f64> {
    let (mut a, mut b) = (lo, hi);
    let (mut fa, mut fb) = (f(a), f(b));
    if !(fa.is_finite() && fb.is_finite()) {
        return Err(Error::input(format!(
            "the function is not finite at the ends of [{lo}, {hi}]"
        )));
    }
    if fa == 0.0 {
        return Ok(a);
    }
    if fb == 0.0 {
        return Ok(b);
    }
    if (fa > 0.0) == (fb > 0.0) {
        return Err(Error::input(format!(
            "no sign change on [{lo}, {hi}] (f = {fa:e}, {fb:e})"
        )));
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let m = 0.5 * (c - b);
        if m.abs() <= tol1 || fb == 0.0 {
            return Ok(b);
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * m * s, 1.0 - s)
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                (
                    s * (2.0 * m * qa * (qa - r) - (b - a) * (r - 1.0)),
                    (qa - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(m) };
        fb = f(b);
        if !fb.is_finite() {
            return Err(Error::input(format!("the function is not finite at {b}")));
        }
    }
    Err(Error::input(
        "the root finder did not converge in 200 steps",
    ))
}

/// Walks from `start` by `step` (growing ×1.5 each time) until f changes sign, never past `limit`; returns
/// the bracket (ordered). For a function known to change sign once, e.g. a decreasing entropy.
pub fn bracket(
    mut f: impl FnMut(f64) -> f64,
    start: f64,
    step: f64,
    limit: f64,
) -> Result<(f64, f64)> {
    let f0 = f(start);
    let (mut x, mut h) = (start, step);
    loop {
        let next = x + h;
        if (step > 0.0 && next > limit) || (step < 0.0 && next < limit) {
            return Err(Error::input(format!(
                "no sign change between {start} and {limit}"
            )));
        }
        if (f(next) > 0.0) != (f0 > 0.0) {
            return Ok(if next > x { (x, next) } else { (next, x) });
        }
        x = next;
        h *= 1.5;
    }
}

/// Iterates x ← (1 − damping) T(x) + damping x from x0 until |T(x) − x| < tol; an error after `max_iter`.
pub fn fixed_point(
    mut t: impl FnMut(f64) -> f64,
    x0: f64,
    damping: f64,
    tol: f64,
    max_iter: usize,
) -> Result<f64> {
    let mut x = x0;
    for _ in 0..max_iter {
        let tx = t(x);
        if !tx.is_finite() {
            return Err(Error::input(format!(
                "the saddle-point iteration left the domain at {x}"
            )));
        }
        if (tx - x).abs() < tol {
            return Ok(tx);
        }
        x = (1.0 - damping) * tx + damping * x;
    }
    Err(Error::input(format!(
        "the saddle-point iteration did not converge in {max_iter} steps (last {x})"
    )))
}

/// The minimiser of a unimodal f on [lo, hi] by golden-section search, to within `tol`: (x, f(x)).
pub fn golden_min(mut f: impl FnMut(f64) -> f64, lo: f64, hi: f64, tol: f64) -> (f64, f64) {
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = (lo, hi);
    let mut x1 = b - g * (b - a);
    let mut x2 = a + g * (b - a);
    let (mut f1, mut f2) = (f(x1), f(x2));
    while b - a > tol {
        if f1 < f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = f(x2);
        }
    }
    if f1 < f2 {
        (x1, f1)
    } else {
        (x2, f2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_finds_roots_and_refuses_bad_brackets() {
        let r = brent(|x| x * x - 2.0, 0.0, 2.0, 1e-14).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-13);
        let r = brent(|x| x.cos() - x, 0.0, 1.0, 1e-14).unwrap();
        assert!((r - 0.739_085_133_215_160_6).abs() < 1e-13);
        // A steep step-like function still converges (bisection fallback).
        let r = brent(|x| (50.0 * (x - 0.3)).tanh(), -1.0, 1.0, 1e-12).unwrap();
        assert!((r - 0.3).abs() < 1e-11);
        assert!(brent(|x| x * x + 1.0, -1.0, 1.0, 1e-12).is_err());
    }

    #[test]
    fn bracket_and_fixed_point() {
        let (a, b) = bracket(|x| 3.0 - x, 0.0, 0.1, 100.0).unwrap();
        assert!(a < 3.0 && 3.0 <= b);
        assert!(bracket(|x| 3.0 - x, 0.0, 0.1, 2.0).is_err());
        // x = cos x, with and without damping.
        for damping in [0.0, 0.5] {
            let x = fixed_point(f64::cos, 0.0, damping, 1e-13, 1000).unwrap();
            assert!((x - 0.739_085_133_215_160_6).abs() < 1e-12);
        }
        // x ← 2x diverges: an error, not a loop.
        assert!(fixed_point(|x| 2.0 * x + 1.0, 1.0, 0.0, 1e-12, 50).is_err());
    }

    #[test]
    fn golden_section() {
        let (x, fx) = golden_min(|x| (x - 0.7).powi(2) + 1.0, 0.0, 2.0, 1e-10);
        assert!((x - 0.7).abs() < 1e-7 && (fx - 1.0).abs() < 1e-14);
    }
}
