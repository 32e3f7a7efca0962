//! Generated instances ([`generate`]), with random labels or teacher–student ones: the labels are then the
//! outputs of a random teacher W* of the same architecture, so W* is a solution. The teacher is drawn from
//! stream ("teacher", 0). For ReLU units a pattern with h*^μ = 0 (a tie, an error whatever its label) is
//! redrawn from stream ("retie", μ) until h*^μ ≠ 0. The instance keeps W* ([`Instance::teacher`]).
//!
//! **Generalization.** For a student W the overlap with the teacher is R = W·W*/N ([`overlap`]) and the
//! generalization error ε_g is the fraction of M fresh patterns, labelled by the teacher, that W
//! misclassifies ([`generalization_errors`]). The test patterns come in blocks of [`TEST_BLOCK`]: input i of
//! block b from stream ("test-xi", b·2³² + i) of the test seed, a ReLU tie redrawn from ("test-retie", μ)
//! as above; so the first M′ < M test patterns are the same whatever M, and nothing depends on threads.

use super::{fast, Arch};
use crate::bits::Kernels;
use crate::error::{Error, Result};
use crate::instance::{generate_random, Instance};
use crate::rng;
use crate::weights::Weights;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};

/// Replaces the labels by the teacher's outputs and keeps the teacher in the instance; returns it.
pub fn relabel(inst: &mut Instance, seed: u64) -> Result<Weights> {
    let arch = inst.arch();
    let teacher = Weights::random(arch.n, &mut rng::stream(seed, "teacher", 0));
    label_by(
        inst,
        &teacher,
        |mu| rng::stream(seed, "retie", mu as u64),
        0,
    )?;
    inst.set_teacher(Some(teacher.clone()))?;
    if let Some(mut o) = inst.origin() {
        o.teacher = true;
        inst.set_origin(Some(o));
    }
    Ok(teacher)
}

/// Sets σ^μ to the teacher's output, redrawing a pattern on which it is 0 from `retie(μ0 + μ)`.
fn label_by(
    inst: &mut Instance,
    teacher: &Weights,
    retie: impl Fn(usize) -> rng::Rng,
    mu0: usize,
) -> Result<()> {
    let arch = inst.arch();
    let f = fast::fields(inst, teacher, Kernels::best());
    let (k, n) = (arch.k, arch.unit_len());
    for mu in 0..inst.p() {
        let mut out = f.output[mu];
        let mut r = retie(mu0 + mu);
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
    Ok(())
}

/// Checks that the instance's teacher, if it keeps one, gives every pattern its label (with a nonzero
/// output): a teacher that does not is refused, naming the first pattern it gets wrong.
pub fn check(inst: &Instance) -> Result<()> {
    let Some(t) = inst.teacher() else {
        return Ok(());
    };
    let f = fast::fields(inst, t, Kernels::best());
    let arch = inst.arch();
    match (0..inst.p()).find(|&mu| arch.is_error(inst.sigma(mu) as i32, f.output[mu] as i64)) {
        None => Ok(()),
        Some(mu) => Err(Error::input(format!(
            "teacher: it does not give pattern {mu} (counting from 0) its label σ={}; a teacher must label every pattern",
            inst.sigma(mu)
        ))),
    }
}

/// R = W·W*/N, the overlap of a student with the teacher.
pub fn overlap(w: &Weights, teacher: &Weights) -> f64 {
    assert_eq!(w.len(), teacher.len(), "student and teacher disagree on N");
    1.0 - 2.0 * w.hamming(teacher) as f64 / w.len() as f64
}

/// Test patterns per block (a multiple of the 512-pattern stripe).
pub const TEST_BLOCK: usize = 4096;

/// Block `b` of the test set of `seed`: `len` ≤ [`TEST_BLOCK`] fresh patterns (see the module docs),
/// labelled by the teacher.
pub fn test_block(
    arch: Arch,
    teacher: &Weights,
    seed: u64,
    b: usize,
    len: usize,
) -> Result<Instance> {
    let mut inst = Instance::zeroed(arch, len)?;
    for i in 0..arch.inputs() {
        let mut r = rng::stream(seed, "test-xi", ((b as u64) << 32) | i as u64);
        for (w, x) in inst.col_mut(i).iter_mut().enumerate() {
            let m = crate::bits::valid_mask(w, len);
            *x = if m == 0 { 0 } else { r.next_u64() & m };
        }
    }
    label_by(
        &mut inst,
        teacher,
        |mu| rng::stream(seed, "test-retie", mu as u64),
        b * TEST_BLOCK,
    )?;
    Ok(inst)
}

/// ε_g of each student: the fraction of the first `m` test patterns of `seed`, labelled by `teacher`, that
/// it misclassifies (a ReLU student's tie counts as an error). The blocks are made one at a time, so the
/// memory is one block whatever `m`.
pub fn generalization_errors(
    arch: Arch,
    teacher: &Weights,
    students: &[&Weights],
    m: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    if m == 0 {
        return Err(Error::input(
            "test_patterns: M=0; give at least one fresh pattern to measure ε_g on",
        ));
    }
    let mut errors = vec![0u64; students.len()];
    for b in 0..m.div_ceil(TEST_BLOCK) {
        let block = test_block(arch, teacher, seed, b, TEST_BLOCK.min(m - b * TEST_BLOCK))?;
        for (e, w) in errors.iter_mut().zip(students) {
            *e += fast::errors(&block, w, Kernels::best());
        }
    }
    Ok(errors.iter().map(|&e| e as f64 / m as f64).collect())
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

/// M, the test patterns ε_g is measured on unless told otherwise.
pub const TEST_PATTERNS: usize = 10_000;

/// How a run's weights generalize on a teacher–student instance: R = W·W*/N and ε_g on M fresh patterns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Generalization {
    /// M, the fresh test patterns.
    pub test_patterns: usize,
    /// The seed of the test patterns (the instance checksum, so every run on an instance sees the same
    /// test set), in hex.
    pub test_seed: String,
    /// R and ε_g of the reported weights W.
    pub overlap: f64,
    pub error: f64,
    /// RSA: R and ε_g of the centre W̃.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre_overlap: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre_error: Option<f64>,
    /// R and ε_g of each replica's final weights, in replica order.
    pub replica_overlaps: Vec<f64>,
    pub replica_errors: Vec<f64>,
}

/// [`Generalization`] of `weights`, the `centre` and the `replicas` on the instance's teacher with `m`
/// test patterns seeded by the instance checksum; None when the instance keeps no teacher.
pub fn measure(
    inst: &Instance,
    weights: &Weights,
    centre: Option<&Weights>,
    replicas: &[Weights],
    m: usize,
) -> Result<Option<Generalization>> {
    let Some(t) = inst.teacher() else {
        return Ok(None);
    };
    let seed = inst.checksum();
    let mut students = vec![weights];
    students.extend(centre);
    students.extend(replicas.iter());
    let errors = generalization_errors(inst.arch(), t, &students, m, seed)?;
    let c = centre.is_some() as usize;
    Ok(Some(Generalization {
        test_patterns: m,
        test_seed: format!("{seed:016x}"),
        overlap: overlap(weights, t),
        error: errors[0],
        centre_overlap: centre.map(|w| overlap(w, t)),
        centre_error: centre.map(|_| errors[1]),
        replica_overlaps: replicas.iter().map(|w| overlap(w, t)).collect(),
        replica_errors: errors[1 + c..].to_vec(),
    }))
}
