//! Seeded generation of random instances: ξ_i^μ and σ^μ i.i.d. uniform ±1.
//!
//! Column i is drawn from stream ("xi", i) and the labels from ("sigma", 0), so the instance depends only on
//! (N, P, K, activation, seed): not on the thread count, which only decides how columns are spread.

use super::{Instance, Origin};
use crate::bits::valid_mask;
use crate::error::{Error, Result};
use crate::model::Arch;
use crate::rng;
use rand_core::RngCore;
use rayon::prelude::*;

/// P = round(αN), refusing α that is not a positive finite number or gives P = 0.
pub fn pattern_count(n: usize, alpha: f64) -> Result<usize> {
    if !alpha.is_finite() || alpha <= 0.0 {
        return Err(Error::input(format!(
            "α={alpha} must be a positive number of patterns per weight"
        )));
    }
    let p = (alpha * n as f64).round();
    if p < 1.0 {
        return Err(Error::input(format!(
            "α={alpha} with N={n} gives P=round(αN)=0 patterns: raise α or N"
        )));
    }
    if p > u32::MAX as f64 {
        return Err(Error::input(format!(
            "α={alpha} with N={n} gives P={p}, more than densemc supports"
        )));
    }
    Ok(p as usize)
}

/// Fills `row` (P valid bits) from `rng`, leaving the padding bits zero.
fn fill_row(row: &mut [u64], p: usize, rng: &mut rng::Rng) {
    for (w, x) in row.iter_mut().enumerate() {
        let m = valid_mask(w, p);
        *x = if m == 0 { 0 } else { rng.next_u64() & m };
    }
}

/// A random storage problem with random labels (the teacher variant relabels it: see `model::teacher`).
pub fn generate_random(arch: Arch, alpha: f64, seed: u64) -> Result<Instance> {
    let p = pattern_count(arch.n, alpha)?;
    let mut inst = Instance::zeroed(arch, p)?;
    let stride = inst.stride();
    inst.cols_mut()
        .par_chunks_mut(stride)
        .enumerate()
        .for_each(|(i, col)| {
            fill_row(col, p, &mut rng::stream(seed, "xi", i as u64));
        });
    fill_row(inst.labels_mut(), p, &mut rng::stream(seed, "sigma", 0));
    inst.set_origin(Some(Origin {
        alpha,
        seed,
        teacher: false,
    }));
    Ok(inst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Activation;

    #[test]
    fn deterministic_unbiased_and_clean() {
        let arch = Arch::new(301, 1, Activation::Perceptron).unwrap();
        let a = generate_random(arch, 0.7, 5).unwrap();
        let b = generate_random(arch, 0.7, 5).unwrap();
        let c = generate_random(arch, 0.7, 6).unwrap();
        assert_eq!(a.p(), 211);
        assert_eq!(a, b);
        assert_ne!(a.checksum(), c.checksum());
        assert!(a.padding_is_clean());
        let plus: usize = (0..a.n())
            .flat_map(|i| (0..a.p()).map(move |m| (i, m)))
            .filter(|&(i, m)| a.xi(i, m) > 0)
            .count();
        let frac = plus as f64 / (a.n() * a.p()) as f64;
        assert!((frac - 0.5).abs() < 0.01, "fraction of +1 inputs {frac}");
        let lab_plus = (0..a.p()).filter(|&m| a.sigma(m) > 0).count();
        assert!(lab_plus > 60 && lab_plus < 150, "{lab_plus}");
    }

    #[test]
    fn same_instance_for_any_thread_count() {
        let arch = Arch::new(999, 3, Activation::Sign).unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let a = one.install(|| generate_random(arch, 0.5, 9).unwrap());
        let b = generate_random(arch, 0.5, 9).unwrap();
        assert_eq!(a.checksum(), b.checksum());
    }

    #[test]
    fn bad_alpha() {
        assert!(pattern_count(10, 0.0).is_err());
        assert!(pattern_count(10, f64::NAN).is_err());
        assert!(pattern_count(10, 0.01)
            .unwrap_err()
            .to_string()
            .contains("P=round"));
        assert_eq!(pattern_count(1001, 0.55).unwrap(), 551);
    }
}
