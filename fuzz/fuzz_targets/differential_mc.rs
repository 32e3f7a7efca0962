//! The incremental Monte Carlo state against the reference evaluator, on tiny instances decoded from the
//! bytes. Layout:
//!
//! | byte | meaning |
//! |---|---|
//! | 0 | bits 0–1: activation (perceptron, sign, ReLU; 3 → perceptron); bit 2: teacher labels; bit 3: linear energy (perceptron); bit 4: start from the teacher's weights |
//! | 1 | K: 1 (perceptron), 1, 3 or 5 (sign), 2, 4 or 6 (ReLU) |
//! | 2 | n = N/K (odd for the perceptron and sign units, even for ReLU), N ≤ 64 |
//! | 3, 4 | P = 1 + (u16 mod 200) |
//! | 5–8 | the seed of the instance and of the initial weights |
//! | 9… | moves, one byte each (at most 256): weight (b & 0x7f) mod N; bit 7 set: only ask ΔE, do not flip |
//!
//! Every kernel path of this CPU and both lane types (`State::<i16>`, `State::<i32>`) run the same moves in
//! lockstep: before each move `delta_energy` must equal E(W with the weight flipped) − E(W) recounted by
//! `model::reference`, after a flip `energy` must equal the recount, and `verify()` must pass every 64 moves
//! and at the end. Any mismatch panics.

#![no_main]

use densemc::model::{Activation, Arch};
use densemc::bits::{Kernels, Lane, Path};
use densemc::instance::Instance;
use densemc::mc::{EnergyKind, Replica, State};
use densemc::model::{self, reference};
use densemc::rng;
use densemc::weights::Weights;
use libfuzzer_sys::fuzz_target;

/// E(W) from the definitions: errors, or the perceptron's minimal-flip energy Σ_{Δ<0} ((−Δ−1)/2 + 1).
fn energy_of(inst: &Instance, w: &Weights, kind: EnergyKind) -> i64 {
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

/// A state of either lane type, behind one interface.
fn states<'a, L: Lane>(
    inst: &'a Instance,
    w: &Weights,
    kind: EnergyKind,
) -> Vec<(String, Box<dyn Replica + 'a>)> {
    Path::available()
        .into_iter()
        .filter_map(Kernels::get)
        .map(|k| {
            let s = State::<L>::new(inst, w.clone(), kind, k).expect("a tiny state builds");
            let name = format!(
                "{} lanes, {} kernels",
                std::any::type_name::<L>(),
                k.path().name()
            );
            (name, Box::new(s) as Box<dyn Replica + 'a>)
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let (activation, k, parity) = match data[0] & 3 {
        1 => (Activation::Sign, [1, 3, 5][data[1] as usize % 3], 1),
        2 => (Activation::Relu, [2, 4, 6][data[1] as usize % 3], 0),
        3 => (Activation::FcSign, [1, 3, 5][data[1] as usize % 3], 1),
        _ => (Activation::Perceptron, 1, 1),
    };
    let teacher = data[0] & 4 != 0;
    let kind = if activation == Activation::Perceptron && data[0] & 8 != 0 {
        EnergyKind::Linear
    } else {
        EnergyKind::Errors
    };
    // n = N/K of the right parity with N ≤ 64.
    let choices: Vec<usize> = (1..=64 / k).filter(|m| m % 2 == parity).collect();
    let n_unit = choices[data[2] as usize % choices.len()];
    let n = k * n_unit;
    let arch = Arch::new(n, k, activation).expect("a valid tiny architecture");
    let p = 1 + u16::from_le_bytes([data[3], data[4]]) as usize % 200;
    let seed = u32::from_le_bytes([data[5], data[6], data[7], data[8]]) as u64;
    let (inst, t) = model::generate(arch, p as f64 / n as f64, seed, teacher).expect("an instance");
    assert_eq!(inst.p(), p);
    let w0 = match t {
        Some(t) if data[0] & 16 != 0 => t,
        _ => Weights::random(n, &mut rng::stream(seed, "fuzz-w0", 0)),
    };
    let mut sts = states::<i16>(&inst, &w0, kind);
    sts.extend(states::<i32>(&inst, &w0, kind));
    let mut w = w0;
    let mut e = energy_of(&inst, &w, kind);
    for (name, s) in &sts {
        s.verify()
            .unwrap_or_else(|m| panic!("{arch} {kind:?} {name}, at the start: {m}"));
        assert_eq!(s.energy(), e, "{arch} {kind:?} {name}: initial energy");
    }
    for (step, &b) in data[9..].iter().take(256).enumerate() {
        let i = (b & 0x7f) as usize % n;
        let mut w2 = w.clone();
        w2.flip(i);
        let e2 = energy_of(&inst, &w2, kind);
        for (name, s) in sts.iter_mut() {
            assert_eq!(
                s.delta_energy(i),
                e2 - e,
                "{arch} P={p} seed={seed} {kind:?} {name}, move {step}: ΔE of flipping weight {i}"
            );
            if b & 0x80 == 0 {
                s.flip(i);
                assert_eq!(s.weights(), &w2, "{name}: weights after flipping {i}");
                assert_eq!(
                    s.energy(),
                    e2,
                    "{arch} {kind:?} {name}, move {step}: energy after flipping {i}"
                );
            }
            if step % 64 == 63 {
                s.verify()
                    .unwrap_or_else(|m| panic!("{arch} {kind:?} {name}, move {step}: {m}"));
            }
        }
        if b & 0x80 == 0 {
            w = w2;
            e = e2;
        }
    }
    for (name, s) in &sts {
        s.verify().unwrap_or_else(|m| {
            panic!("{arch} P={p} seed={seed} {kind:?} {name}, at the end: {m}")
        });
    }
});
