//! Generated instances ([`generate`]), with random labels or teacher–student ones: the labels are then the
//! outputs of a random teacher W* of the same architecture, so W* is a solution. The teacher is drawn from
//! stream ("teacher", 0). For ReLU units a pattern with h*^μ = 0 (a tie, an error whatever its label) is
//! redrawn from stream ("retie", μ) until h*^μ ≠ 0.

use super::{fast, Arch};
use crate::bits::Kernels;
use crate::error::{Error, Result};
use crate::instance::{generate_random, Instance};
use crate::rng;
use crate::weights::Weights;
use rand_core::RngCore;

/// Replaces the labels by the teacher's outputs; returns the teacher.
pub fn relabel(inst: &mut Instance, seed: u64) -> Result<Weights> {
    let arch = inst.arch();
    let teacher = Weights::random(arch.n, &mut rng::stream(seed, "teacher", 0));
    let f = fast::fields(inst, &teacher, Kernels::best());
    let (k, n) = (arch.k, arch.unit_len());
    for mu in 0..inst.p() {
        let mut out = f.output[mu];
        let mut r = rng::stream(seed, "retie", mu as u64);
        let mut tries = 0;
        while out == 0 {
            tries += 1;
            if tries > 1000 {
                return Err(Error::input(format!(
                    "pattern {mu}: the teacher's output stays 0 after 1000 redraws"
                )));
            }
            let mut word = 0u64;
            for i in 0..arch.inputs() {
                if i % 64 == 0 {
                    word = r.next_u64();
                }
                inst.set_xi(i, mu, if (word >> (i % 64)) & 1 == 1 { -1 } else { 1 });
            }
            let lambdas = (0..k).map(|l| {
                (l * n..(l + 1) * n)
                    .map(|i| teacher.get(i) as i32 * inst.xi(arch.input_of(i), mu) as i32)
                    .sum()
            });
            out = arch.output(lambdas);
        }
        inst.set_sigma(mu, if out > 0 { 1 } else { -1 });
    }
    if let Some(mut o) = inst.origin() {
        o.teacher = true;
        inst.set_origin(Some(o));
    }
    Ok(teacher)
}

/// A generated instance: random labels, or (with `teacher`) labels from a random teacher, returned too.
pub fn generate(
    arch: Arch,
    alpha: f64,
    seed: u64,
    teacher: bool,
) -> Result<(Instance, Option<Weights>)> {
    let mut inst = generate_random(arch, alpha, seed)?;
    let t = if teacher {
        Some(relabel(&mut inst, seed)?)
    } else {
        None
    };
    Ok((inst, t))
}
