//! The incremental Monte Carlo state against from-scratch recomputation, through random move sequences.

use densemc::bits::{Kernels, Lane, Path};
use densemc::mc::{EnergyKind, Replica, State};
use densemc::model::{self, reference};
use densemc::model::{Activation, Arch};
use densemc::rng;
use densemc::weights::Weights;
use rand_core::RngCore;

/// E(W) computed directly from the definitions.
fn energy_of(inst: &densemc::instance::Instance, w: &Weights, kind: EnergyKind) -> i64 {
    let f = reference::fields(inst, w);
    match kind {
        EnergyKind::Errors => f.errors as i64,
        EnergyKind::Linear => (0..inst.p())
            .map(|m| inst.sigma(m) as i64 * f.output[m] as i64)
            .filter(|&d| d < 0)
            .map(|d| (-d - 1) / 2 + 1)
            .sum(),
    }
}

fn exercise(arch: Arch, alpha: f64, kind: EnergyKind, teacher: bool, seed: u64, moves: usize) {
    exercise_lanes::<i16>(arch, alpha, kind, teacher, seed, moves);
    exercise_lanes::<i32>(arch, alpha, kind, teacher, seed ^ 1, moves / 2);
}

fn exercise_lanes<L: Lane>(
    arch: Arch,
    alpha: f64,
    kind: EnergyKind,
    teacher: bool,
    seed: u64,
    moves: usize,
) {
    let (inst, t) = model::generate(arch, alpha, seed, teacher).unwrap();
    let mut r = rng::stream(seed, "moves", 0);
    for kern in Path::available().into_iter().filter_map(Kernels::get) {
        // Start near the teacher when there is one, so that fields sit at the margins.
        let w0 = t
            .clone()
            .unwrap_or_else(|| Weights::random(arch.n, &mut rng::stream(seed, "w0", 0)));
        let mut st = State::<L>::new(&inst, w0, kind, kern).unwrap();
        st.verify().unwrap();
        for step in 0..moves {
            let i = (r.next_u64() % arch.n as u64) as usize;
            let de = st.delta_energy(i);
            let mut w2 = st.weights().clone();
            w2.flip(i);
            let want = energy_of(&inst, &w2, kind) - energy_of(&inst, st.weights(), kind);
            assert_eq!(
                de,
                want,
                "{arch} {kind:?} path {} step {step}: ΔE of flipping {i}",
                kern.path()
            );
            if !r.next_u64().is_multiple_of(3) {
                st.flip(i);
                assert_eq!(st.weights(), &w2);
            }
            if step % 41 == 0 {
                scan_agrees(&mut st, &mut r, arch.n);
            }
            if step % 97 == 0 {
                st.verify().unwrap_or_else(|e| {
                    panic!("{arch} {kind:?} path {} step {step}: {e}", kern.path())
                });
            }
        }
        st.verify()
            .unwrap_or_else(|e| panic!("{arch} {kind:?} path {}: {e}", kern.path()));
        assert_eq!(st.energy(), energy_of(&inst, st.weights(), kind));
    }
}

/// A run of proposals through `Replica::scan` (one dispatched kernel) sees the ΔE that `delta_energy` gives
/// for every site, in order, and stops exactly at the proposal the caller accepts.
fn scan_agrees<L: Lane>(st: &mut State<'_, L>, r: &mut rng::Rng, n: usize) {
    let len = 1 + (r.next_u64() % 40) as usize;
    let sites: Vec<usize> = (0..len)
        .map(|_| (r.next_u64() % n as u64) as usize)
        .collect();
    let stop = (r.next_u64() % 50) as usize;
    let mut seen = Vec::new();
    let hit = st.scan(&sites, |i, de| {
        seen.push((i, de));
        seen.len() == stop + 1
    });
    for (k, &(i, de)) in seen.iter().enumerate() {
        assert_eq!(i, sites[k], "scan visits the sites in order");
        assert_eq!(de, st.delta_energy(i), "scan's ΔE of site {i}");
    }
    match hit {
        Some((k, de)) => {
            assert_eq!((k, seen.len()), (stop, stop + 1));
            assert_eq!(de, seen[k].1);
            st.flip_with_delta(sites[k], de);
        }
        None => assert!(seen.len() == sites.len() && stop >= sites.len()),
    }
}

#[test]
fn perceptron_errors_and_linear() {
    for (n, seed) in [(1, 1), (63, 2), (65, 3), (129, 4), (333, 5)] {
        let arch = Arch::new(n, 1, Activation::Perceptron).unwrap();
        for teacher in [false, true] {
            exercise(
                arch,
                0.9_f64.max(1.0 / n as f64),
                EnergyKind::Errors,
                teacher,
                seed,
                400,
            );
            exercise(
                arch,
                0.7_f64.max(1.0 / n as f64),
                EnergyKind::Linear,
                teacher,
                seed,
                400,
            );
        }
    }
}

#[test]
fn sign_committee() {
    for (n, k, seed) in [(3, 3, 1), (15, 5, 2), (63, 3, 3), (195, 5, 4), (231, 7, 5)] {
        let arch = Arch::new(n, k, Activation::Sign).unwrap();
        for teacher in [false, true] {
            exercise(
                arch,
                0.8_f64.max(1.0 / n as f64),
                EnergyKind::Errors,
                teacher,
                seed,
                500,
            );
        }
    }
}

#[test]
fn fully_connected_sign_committee() {
    // n = N/K odd, from one word to past a word boundary; W_{l j} of every unit reads column j.
    for (n, k, seed) in [(3, 3, 1), (15, 5, 2), (195, 3, 3), (195, 5, 4), (231, 7, 5)] {
        let arch = Arch::new(n, k, Activation::FcSign).unwrap();
        for teacher in [false, true] {
            exercise(
                arch,
                0.8_f64.max(1.0 / n as f64),
                EnergyKind::Errors,
                teacher,
                seed,
                500,
            );
        }
    }
}

#[test]
fn relu_committee() {
    for (n, k, seed) in [(4, 2, 1), (16, 4, 2), (64, 4, 3), (200, 4, 4), (144, 8, 5)] {
        let arch = Arch::new(n, k, Activation::Relu).unwrap();
        for teacher in [false, true] {
            exercise(
                arch,
                1.1_f64.max(1.0 / n as f64),
                EnergyKind::Errors,
                teacher,
                seed,
                500,
            );
        }
    }
}

#[test]
fn refuses_what_it_cannot_hold() {
    let arch = Arch::new(101, 5, Activation::Sign)
        .unwrap_or_else(|_| Arch::new(105, 5, Activation::Sign).unwrap());
    let (inst, _) = model::generate(arch, 0.5, 1, false).unwrap();
    let w = Weights::ones(arch.n);
    assert!(State::<i16>::new(&inst, w.clone(), EnergyKind::Linear, Kernels::best()).is_err());
    assert!(State::<i16>::new(
        &inst,
        Weights::ones(arch.n - 1),
        EnergyKind::Errors,
        Kernels::best()
    )
    .is_err());
    // 16-bit lanes cannot hold a perceptron with N > 32767; 32-bit lanes can.
    let big = Arch::new(40001, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(big, 0.002, 1, false).unwrap();
    assert!(!State::<i16>::fits(&inst));
    let e = State::<i16>::new(
        &inst,
        Weights::ones(big.n),
        EnergyKind::Errors,
        Kernels::best(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("32767"), "{e}");
    let mut st = State::<i32>::new(
        &inst,
        Weights::ones(big.n),
        EnergyKind::Errors,
        Kernels::best(),
    )
    .unwrap();
    for i in (0..big.n).step_by(997) {
        st.flip(i);
    }
    st.verify().unwrap();
}

/// The tracked centre errors agree with the reference evaluator through small and large changes.
#[test]
fn tracked_errors_follow_any_change() {
    use densemc::mc::tracker::TrackedErrors;
    for arch in [
        Arch::new(301, 1, Activation::Perceptron).unwrap(),
        Arch::new(303, 3, Activation::Sign).unwrap(),
        Arch::new(304, 4, Activation::Relu).unwrap(),
        Arch::new(303, 3, Activation::FcSign).unwrap(),
    ] {
        let (inst, _) = model::generate(arch, 0.6, 3, false).unwrap();
        let mut r = rng::stream(5, "tracked", 0);
        for kern in Path::available().into_iter().filter_map(Kernels::get) {
            let mut t = TrackedErrors::<i16>::new(&inst, kern);
            let mut w = Weights::random(arch.n, &mut r);
            for step in 0..40 {
                // Mostly a few flips (tracked), sometimes many (recounted), sometimes none.
                let k = match step % 5 {
                    0 => 0,
                    1 => 60,
                    _ => (r.next_u64() % 6) as usize,
                };
                for _ in 0..k {
                    w.flip((r.next_u64() % arch.n as u64) as usize);
                }
                assert_eq!(
                    t.errors(&w),
                    reference::errors(&inst, &w) as i64,
                    "{arch} path {} step {step}",
                    kern.path()
                );
            }
        }
    }
}

/// ΔE of one site in several replicas at once (`Replica::delta_each`, one column read for all) is each
/// replica's own `delta_energy`, for every architecture and more replicas than one kernel call takes.
#[test]
fn delta_each_agrees_with_each_replica() {
    for arch in [
        Arch::new(201, 1, Activation::Perceptron).unwrap(),
        Arch::new(195, 3, Activation::Sign).unwrap(),
        Arch::new(200, 4, Activation::Relu).unwrap(),
        Arch::new(195, 3, Activation::FcSign).unwrap(),
    ] {
        let (inst, _) = model::generate(arch, 0.7, 8, false).unwrap();
        let mut r = rng::stream(8, "each", 0);
        for kern in Path::available().into_iter().filter_map(Kernels::get) {
            let reps: Vec<State<'_, i16>> = (0..11)
                .map(|_| {
                    let w = Weights::random(arch.n, &mut r);
                    State::new(&inst, w, EnergyKind::Errors, kern).unwrap()
                })
                .collect();
            let mut out = vec![0i64; reps.len()];
            for _ in 0..50 {
                let i = (r.next_u64() % arch.n as u64) as usize;
                let next = Some((r.next_u64() % arch.n as u64) as usize);
                State::delta_each(&reps, i, next, &mut out);
                for (a, rep) in reps.iter().enumerate() {
                    assert_eq!(out[a], rep.delta_energy(i), "{arch} replica {a} site {i}");
                }
            }
        }
    }
}
