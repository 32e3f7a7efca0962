//! The plain evaluator: loops over ±1 values, one pattern and one unit at a time. Slow and obvious; every
//! fast path is tested against it.

use super::Fields;
use crate::instance::Instance;
use crate::weights::Weights;

/// λ_l^μ, outputs and the error count, recomputed from scratch.
pub fn fields(inst: &Instance, w: &Weights) -> Fields {
    let arch = inst.arch();
    let (k, p, n) = (arch.k, inst.p(), arch.unit_len());
    assert_eq!(w.len(), arch.n, "weights and instance disagree on N");
    let mut hidden = vec![0i32; k * p];
    let mut output = vec![0i32; p];
    let mut errors = 0;
    for mu in 0..p {
        for l in 0..k {
            let mut lambda = 0i32;
            for i in l * n..(l + 1) * n {
                lambda += w.get(i) as i32 * inst.xi(arch.input_of(i), mu) as i32;
            }
            hidden[l * p + mu] = lambda;
        }
        output[mu] = arch.output((0..k).map(|l| hidden[l * p + mu]));
        if arch.is_error(inst.sigma(mu) as i32, output[mu] as i64) {
            errors += 1;
        }
    }
    Fields {
        k,
        p,
        hidden,
        output,
        errors,
    }
}

/// E(W), the number of misclassified patterns.
pub fn errors(inst: &Instance, w: &Weights) -> u64 {
    fields(inst, w).errors
}
