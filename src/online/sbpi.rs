//! SBPI, the stochastic belief-propagation-inspired rule (Baldassi, Braunstein, Brunel, Zecchina, PNAS
//! 2007): on an error the clipped perceptron step h_i += 2σξ_i; on a barely correct pattern (stability
//! 0 < Δ ≤ θ_m) with probability p_s the metaplastic step, the same move restricted to the weights that
//! already agree (W_i ξ_i σ = +1), which changes hidden states and no weight.

use super::action::Plan;
use super::state::State;
use super::Step;
use crate::rng::{self, Rng};

pub struct Sbpi {
    /// θ_m.
    pub theta: i32,
    /// `rng::threshold(p_s)`.
    pub p_s: u64,
}

impl Step for Sbpi {
    fn theta(&self) -> i32 {
        self.theta
    }

    fn present(&mut self, st: &mut State, mu: usize, plan: &Plan, rng: &mut Rng) -> u64 {
        if !plan.push.is_empty() {
            for &(l, s) in &plan.push {
                st.push(mu, l, s);
            }
            1
        } else if !plan.barely.is_empty() && rng::below_threshold(rng, self.p_s) {
            for &(l, s) in &plan.barely {
                st.consolidate(mu, l, s);
            }
            1
        } else {
            0
        }
    }
}
