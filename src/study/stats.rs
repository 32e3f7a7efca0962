//! Small statistics: the Wilson score interval of a success rate, quartiles, mean and standard error.

/// z of a two-sided 95 % normal interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval (95 %) of a success probability from `k` successes in `m` trials: (lo, hi).
/// It stays inside [0, 1] and is sensible at k = 0 and k = m, unlike the normal approximation.
/// `m = 0` gives (0, 1).
pub fn wilson(k: u64, m: u64) -> (f64, f64) {
    if m == 0 {
        return (0.0, 1.0);
    }
    let (n, p, z2) = (m as f64, k as f64 / m as f64, Z95 * Z95);
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Quantile q ∈ [0, 1] of sorted data by linear interpolation between order statistics (NumPy's default,
/// Hyndman–Fan type 7). `None` for empty data.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(sorted[lo] + frac * (sorted[hi] - sorted[lo]))
}

/// First quartile, median and third quartile.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Quartiles {
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
}

/// Quartiles of unsorted data (`None` when empty).
pub fn quartiles(data: &[f64]) -> Option<Quartiles> {
    let mut s = data.to_vec();
    s.sort_by(f64::total_cmp);
    Some(Quartiles {
        q1: quantile_sorted(&s, 0.25)?,
        median: quantile_sorted(&s, 0.5)?,
        q3: quantile_sorted(&s, 0.75)?,
    })
}

/// Mean and standard error of the mean (sample standard deviation / √m; 0 for one value).
pub fn mean_se(data: &[f64]) -> (f64, f64) {
    let m = data.len() as f64;
    if data.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = data.iter().sum::<f64>() / m;
    if data.len() < 2 {
        return (mean, 0.0);
    }
    let var = data.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0);
    (mean, (var / m).sqrt())
}

/// Sample standard deviation (NaN for fewer than two values).
pub fn std_dev(data: &[f64]) -> f64 {
    let (_, se) = mean_se(data);
    if data.len() < 2 {
        f64::NAN
    } else {
        se * (data.len() as f64).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_and_quartiles() {
        let (lo, hi) = wilson(5, 10);
        assert!((lo - 0.2366).abs() < 1e-4 && (hi - 0.7634).abs() < 1e-4);
        assert_eq!(wilson(0, 10).0, 0.0);
        let q = quartiles(&[4.0, 1.0, 3.0, 2.0, 5.0]).unwrap();
        assert_eq!((q.q1, q.median, q.q3), (2.0, 3.0, 4.0));
        assert!(quartiles(&[]).is_none());
        let (m, se) = mean_se(&[1.0, 3.0]);
        assert_eq!(m, 2.0);
        assert!((se - 1.0).abs() < 1e-12);
    }
}
