//! Simulated annealing: Metropolis single-weight flips on E(W) at inverse temperature β(t), β raised along
//! the schedule (γ is ignored). Stops at the first W with E(W) = 0 or after `max_sweeps` sweeps of N
//! proposals. Finds typical solutions, which are isolated; its time explodes as α grows.

use super::run::{metropolis, sweep_sites, Found, Order, Outcome, Progress};
use super::schedule::Schedule;
use super::state::Replica;
use crate::rng;

/// Runs SA on `state` in place. `observe` is called after each sweep and stops the run by returning false.
pub fn anneal<R: Replica>(
    state: &mut R,
    schedule: &Schedule,
    max_sweeps: u64,
    order: Order,
    seed: u64,
    observe: &mut dyn FnMut(&Progress) -> bool,
) -> Outcome {
    let n = state.n();
    let mut r = rng::stream(seed, "sa", 0);
    let mut sites = Vec::with_capacity(n);
    let (mut proposals, mut accepted, mut sweeps) = (0u64, 0u64, 0u64);
    // exp(−β d) for small positive ΔE = d, refreshed each sweep.
    let mut table = [0f64; 33];
    while state.energy() > 0 && sweeps < max_sweeps {
        let (beta, gamma) = schedule.at(sweeps);
        for (d, t) in table.iter_mut().enumerate() {
            *t = (-beta * d as f64).exp();
        }
        sweep_sites(order, n, &mut r, &mut sites);
        for &i in &sites {
            proposals += 1;
            let de = state.delta_energy(i);
            let ok = if de <= 0 {
                true
            } else if (de as usize) < table.len() {
                rng::uniform(&mut r) < table[de as usize]
            } else {
                metropolis(beta * de as f64, &mut r)
            };
            if ok {
                state.flip(i);
                accepted += 1;
                if state.energy() == 0 {
                    break;
                }
            }
        }
        sweeps += 1;
        let e = [state.energy()];
        let p = Progress {
            sweep: sweeps,
            beta,
            gamma,
            energies: &e,
            centre_energy: None,
            overlap: None,
            proposals,
            accepted,
        };
        if !observe(&p) {
            break;
        }
    }
    let energy = state.energy();
    Outcome {
        solved: energy == 0,
        found: (energy == 0).then_some(Found::Replica(0)),
        sweeps,
        proposals,
        accepted,
        weights: state.weights().clone(),
        energy,
        replica: 0,
        centre: None,
        energies: vec![energy],
    }
}
