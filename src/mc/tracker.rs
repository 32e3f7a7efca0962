//! E(W̄) of a configuration that changes little from one call to the next, such as the RSA centre
//! W̄ = sign(Σ_a W^a), checked once per sweep: kept as an incremental [`State`].

use super::state::{EnergyKind, Replica, State};
use crate::bits::{Kernels, Lane};
use crate::instance::Instance;
use crate::model::fast;
use crate::weights::Weights;

/// The error count of successive weight vectors. Each call flips the weights that changed since the state
/// was last brought up to date, or, when more than N/64 changed (then the flips, O(P) each, would cost
/// more than one recount of the N·P bits), recounts with [`fast::errors`] and leaves the state behind.
pub struct TrackedErrors<'a, L: Lane> {
    inst: &'a Instance,
    kern: &'static Kernels,
    state: Option<State<'a, L>>,
}

impl<'a, L: Lane> TrackedErrors<'a, L> {
    pub fn new(inst: &'a Instance, kern: &'static Kernels) -> Self {
        TrackedErrors {
            inst,
            kern,
            state: None,
        }
    }

    /// E(w), the number of misclassified patterns.
    pub fn errors(&mut self, w: &Weights) -> i64 {
        let limit = self.inst.n() / 64 + 1;
        match &mut self.state {
            None => match State::<L>::new(self.inst, w.clone(), EnergyKind::Errors, self.kern) {
                Ok(s) => {
                    let e = s.energy();
                    self.state = Some(s);
                    e
                }
                Err(_) => fast::errors(self.inst, w, self.kern) as i64,
            },
            Some(s) if s.weights().hamming(w) <= limit => {
                let changed: Vec<usize> = s
                    .weights()
                    .words()
                    .iter()
                    .zip(w.words())
                    .enumerate()
                    .flat_map(|(k, (a, b))| {
                        let mut d = a ^ b;
                        std::iter::from_fn(move || {
                            (d != 0).then(|| {
                                let j = d.trailing_zeros() as usize;
                                d &= d - 1;
                                64 * k + j
                            })
                        })
                    })
                    .collect();
                for i in changed {
                    s.flip(i);
                }
                debug_assert_eq!(s.weights(), w);
                s.energy()
            }
            Some(_) => fast::errors(self.inst, w, self.kern) as i64,
        }
    }
}
