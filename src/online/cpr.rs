//! CP+R, the clipped perceptron with reinforcement (Baldassi, J. Stat. Phys. 2009): on an error the clipped
//! perceptron step h_i += 2σξ_i; and at every presentation, whatever the pattern, with probability p_r the
//! unsupervised reinforcement of every weight, h_i += 2 sign(h_i) (metaplastic: no weight changes sign).
//! p_r = r·√(2/(πn)) with n the fan-in of a unit: the paper's bound on the reinforcement rate is r < 1.

use super::action::Plan;
use super::state::State;
use super::Step;
use crate::rng::{self, Rng};

pub struct Cpr {
    /// `rng::threshold(p_r)`.
    pub p_r: u64,
}

impl Step for Cpr {
    fn theta(&self) -> i32 {
        0
    }

    fn present(&mut self, st: &mut State, mu: usize, plan: &Plan, rng: &mut Rng) -> u64 {
        for &(l, s) in &plan.push {
            st.push(mu, l, s);
        }
        if rng::below_threshold(rng, self.p_r) {
            st.reinforce_all();
        }
        !plan.push.is_empty() as u64
    }
}
