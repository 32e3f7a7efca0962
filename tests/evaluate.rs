//! The fast evaluator against the reference, on every kernel path, for every architecture.

use densemc::bits::{Kernels, Path};
use densemc::model::{self, fast, reference};
use densemc::model::{Activation, Arch};
use densemc::rng;
use densemc::weights::Weights;
use proptest::prelude::*;

fn arch_for(act: Activation, k_half: usize, m: usize) -> Arch {
    match act {
        Activation::Perceptron => Arch::new(2 * m + 1, 1, act),
        Activation::Sign | Activation::FcSign => {
            let k = 2 * k_half + 1;
            Arch::new(k * (2 * m + 1), k, act)
        }
        Activation::Relu => {
            let k = 2 * k_half.max(1);
            Arch::new(k * 2 * m.max(1), k, act)
        }
    }
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Sizes chosen so that N and P are rarely multiples of 64 and blocks cross word boundaries.
    #[test]
    fn fast_equals_reference(act in prop_oneof![Just(Activation::Perceptron), Just(Activation::Sign), Just(Activation::Relu), Just(Activation::FcSign)],
                             k_half in 0usize..4, m in 0usize..60, alpha in 0.05f64..1.6, seed: u64, near: bool) {
        let arch = arch_for(act, k_half, m);
        let alpha = alpha.max(1.0 / arch.n as f64);
        let (inst, _) = model::generate(arch, alpha, seed, false).unwrap();
        let mut w = Weights::random(arch.n, &mut rng::stream(seed, "w", 0));
        if near {
            // Weights close to a teacher give fields near the margins, where off-by-one errors live.
            let (inst2, t) = model::generate(arch, alpha, seed, true).unwrap();
            w = t.unwrap();
            w.flip(seed as usize % arch.n);
            let want = reference::fields(&inst2, &w);
            for k in Path::available().into_iter().filter_map(Kernels::get) {
                prop_assert_eq!(fast::errors(&inst2, &w, k), want.errors, "path {}", k.path());
            }
        }
        let want = reference::fields(&inst, &w);
        for k in Path::available().into_iter().filter_map(Kernels::get) {
            prop_assert_eq!(fast::errors(&inst, &w, k), want.errors, "path {} {}", k.path(), arch);
            let f = fast::fields(&inst, &w, k);
            prop_assert_eq!(&f, &want, "path {} {}", k.path(), arch);
        }
    }
}

/// Many patterns (P well past 4 stripes of 512) take the column-blocked order of the vertical count.
#[test]
fn many_patterns_take_the_blocked_path() {
    for (arch, alpha) in [
        (Arch::new(37, 1, Activation::Perceptron).unwrap(), 90.0),
        (Arch::new(45, 3, Activation::Sign).unwrap(), 70.0),
        (Arch::new(40, 4, Activation::Relu).unwrap(), 80.0),
        (Arch::new(45, 3, Activation::FcSign).unwrap(), 70.0),
    ] {
        let (inst, _) = model::generate(arch, alpha, 5, false).unwrap();
        assert!(inst.stride() > 8 * densemc::bits::generic::BLOCK_STRIPES);
        let w = Weights::random(arch.n, &mut rng::stream(5, "w", 0));
        let want = reference::errors(&inst, &w);
        for k in Path::available().into_iter().filter_map(Kernels::get) {
            assert_eq!(fast::errors(&inst, &w, k), want, "path {} {arch}", k.path());
        }
    }
}

#[test]
fn teacher_is_a_solution_and_random_weights_are_not() {
    for (arch, alpha) in [
        (Arch::new(1001, 1, Activation::Perceptron).unwrap(), 0.6),
        (Arch::new(999, 3, Activation::Sign).unwrap(), 0.6),
        (Arch::new(1000, 4, Activation::Relu).unwrap(), 0.6),
        (Arch::new(999, 3, Activation::FcSign).unwrap(), 0.6),
    ] {
        let (inst, t) = model::generate(arch, alpha, 3, true).unwrap();
        let t = t.unwrap();
        assert_eq!(reference::errors(&inst, &t), 0, "{arch}");
        assert_eq!(fast::errors(&inst, &t, Kernels::best()), 0, "{arch}");
        let r = Weights::random(arch.n, &mut rng::stream(1, "x", 0));
        let e = fast::errors(&inst, &r, Kernels::best()) as f64 / inst.p() as f64;
        assert!(
            e > 0.3 && e < 0.7,
            "{arch}: random weights err fraction {e}"
        );
    }
}

#[test]
fn relu_random_labels_have_errors_near_half_and_ties_count() {
    // All-zero preactivations: h = 0 for every pattern, a tie, so every pattern is an error.
    let arch = Arch::new(8, 4, Activation::Relu).unwrap();
    let (mut inst, _) = model::generate(arch, 1.0, 1, false).unwrap();
    for mu in 0..inst.p() {
        for l in 0..4 {
            inst.set_xi(2 * l, mu, 1);
            inst.set_xi(2 * l + 1, mu, -1);
        }
    }
    let w = Weights::ones(8);
    assert_eq!(reference::errors(&inst, &w), inst.p() as u64);
    assert_eq!(fast::errors(&inst, &w, Kernels::best()), inst.p() as u64);
}
