//! The least-action choice: given a presented pattern's label σ and preactivations λ_1..λ_K, which hidden
//! units a learning step changes, in which direction, and which units count as "barely correct".
//!
//! - Perceptron (K = 1): an error (σλ < 0) pushes the unit towards σ; barely correct is 0 < σλ ≤ θ.
//! - Sign units (tree or fully connected, K odd): the output is wrong when σV < 0, V = Σ_l sign(λ_l). The
//!   smallest change that fixes it turns (1 − σV)/2 of the wrong units (σλ_l < 0) around: those closest to
//!   threshold (smallest |λ_l|, lowest l on ties) are pushed towards σ. Barely correct: σV = 1 (one unit
//!   from an error), and then the right units with 0 < σλ_l ≤ θ.
//! - ReLU units (K even, c_l = ±1): the output h = Σ c_l relu(λ_l) is wrong when σh ≤ 0. A unit helps by
//!   moving λ_l in direction s_l = σ c_l, except an inactive unit (λ_l ≤ 0) with s_l = −1, which has nothing
//!   to give; of the others the one closest to threshold (smallest |λ_l|) is pushed. Barely correct:
//!   0 < σh ≤ θ, and then the active units with s_l = +1.
//!
//! Not a paper's rule for committees (SBPI and CP+R were published for the perceptron): the usual
//! least-action committee learning rule applied to these units; docs/algorithms.md says so.

use crate::model::{Activation, Arch};

/// A learning step's targets: units and the direction s = ±1 their λ should move in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The output is wrong: push these units.
    pub push: Vec<(usize, i16)>,
    /// The output is right but barely (with threshold θ): SBPI consolidates these.
    pub barely: Vec<(usize, i16)>,
}

impl Plan {
    pub fn clear(&mut self) {
        self.push.clear();
        self.barely.clear();
    }
}

/// Fills `plan` for label σ, preactivations `lam` and threshold θ (`theta`; 0 makes `barely` empty).
pub fn plan(arch: &Arch, sigma: i32, lam: &[i32], theta: i32, plan: &mut Plan) {
    plan.clear();
    let s = sigma as i16;
    match arch.activation {
        Activation::Perceptron => {
            let d = sigma * lam[0];
            if d < 0 {
                plan.push.push((0, s));
            } else if d <= theta {
                plan.barely.push((0, s));
            }
        }
        Activation::Sign | Activation::FcSign => {
            let v: i32 = lam.iter().map(|&x| x.signum()).sum();
            let sv = sigma * v;
            if sv < 0 {
                let mut wrong: Vec<usize> =
                    (0..lam.len()).filter(|&l| sigma * lam[l] < 0).collect();
                wrong.sort_by_key(|&l| (lam[l].abs(), l));
                let m = ((1 - sv) / 2) as usize;
                plan.push.extend(wrong[..m].iter().map(|&l| (l, s)));
            } else if sv == 1 {
                plan.barely.extend(
                    (0..lam.len())
                        .filter(|&l| sigma * lam[l] > 0 && sigma * lam[l] <= theta)
                        .map(|l| (l, s)),
                );
            }
        }
        Activation::Relu => {
            let out = arch.output(lam.iter().copied());
            let so = sigma * out;
            let dir = |l: usize| (sigma * arch.c(l)) as i16;
            if so <= 0 {
                let best = (0..lam.len())
                    .filter(|&l| dir(l) > 0 || lam[l] > 0)
                    .min_by_key(|&l| (lam[l].abs(), l));
                if let Some(l) = best {
                    plan.push.push((l, dir(l)));
                }
            } else if so <= theta {
                plan.barely.extend(
                    (0..lam.len())
                        .filter(|&l| dir(l) > 0 && lam[l] > 0)
                        .map(|l| (l, dir(l))),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_committee_fixes_the_fewest_units_closest_to_threshold() {
        let arch = Arch::new(5 * 3, 5, Activation::Sign).unwrap();
        let mut p = Plan::default();
        // σ = +1, votes −,−,−,+,+ : V = −1, one unit must turn: the wrong one with the smallest |λ|.
        plan(&arch, 1, &[-3, -1, -3, 1, 3], 1, &mut p);
        assert_eq!(p.push, vec![(1, 1)]);
        // All five wrong: V = −5, three must turn.
        plan(&arch, 1, &[-3, -1, -3, -1, -3], 1, &mut p);
        assert_eq!(p.push, vec![(1, 1), (3, 1), (0, 1)]);
        // Right with σV = 1: the right units with σλ ≤ θ are barely correct.
        plan(&arch, -1, &[-3, -1, -3, 1, 3], 1, &mut p);
        assert_eq!((p.push.len(), p.barely.clone()), (0, vec![(1, -1)]));
        // Right with σV = 3: nothing.
        plan(&arch, 1, &[3, 1, 1, 1, -1], 1, &mut p);
        assert_eq!(p, Plan::default());
    }

    #[test]
    fn relu_pushes_a_unit_that_can_help() {
        let arch = Arch::new(4 * 4, 4, Activation::Relu).unwrap();
        let mut p = Plan::default();
        // c = +,+,−,−; σ = +1, h = 0 + 0 − 2 − 0 = −2: unit 3 (λ ≤ 0, c = −1) cannot help.
        plan(&arch, 1, &[-4, -2, 2, 0], 2, &mut p);
        assert_eq!(p.push, vec![(1, 1)]);
        plan(&arch, 1, &[-4, -4, 2, 0], 2, &mut p);
        assert_eq!(p.push, vec![(2, -1)]);
        // σ = −1, h = 2: the c = +1 units are pushed down if active, the c = −1 ones up.
        plan(&arch, -1, &[2, -4, -4, -4], 2, &mut p);
        assert_eq!(p.push, vec![(0, -1)]);
    }
}
