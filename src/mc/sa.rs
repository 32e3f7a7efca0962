//! Simulated annealing: Metropolis single-weight flips on E(W) at inverse temperature β(t), β raised along
//! the schedule (γ is ignored). Stops at the first W with E(W) = 0 or after `max_sweeps` sweeps of N
//! proposals. Finds typical solutions, which are isolated; its time explodes as α grows.

use super::run::{metropolis, sweep_sites, Found, Order, Outcome, Progress, Resume};
use super::schedule::Schedule;
use super::state::Replica;
use crate::rng;

/// Runs SA on `state` in place. `observe` is called after each sweep and stops the run by returning false.
/// With `resume` (from a checkpoint, the state holding the checkpoint's weights) the run continues exactly
/// where it stopped.
pub fn anneal<R: Replica>(
    state: &mut R,
    schedule: &Schedule,
    max_sweeps: u64,
    order: Order,
    seed: u64,
    resume: Option<&Resume>,
    observe: &mut dyn FnMut(&Progress) -> bool,
) -> Outcome {
    let n = state.n();
    let mut r = rng::stream(seed, "sa", 0);
    let (mut proposals, mut accepted, mut sweeps) = (0u64, 0u64, 0u64);
    if let Some(res) = resume {
        r = res.rngs[0].clone();
        (proposals, accepted, sweeps) = (res.proposals, res.accepted, res.sweeps);
    }
    let mut sites = Vec::with_capacity(n);
    // exp(−β d) for small positive ΔE = d as integer thresholds (`rng::threshold`), refreshed each sweep.
    let mut table = [0u64; 33];
    while state.energy() > 0 && sweeps < max_sweeps {
        let (beta, gamma) = schedule.at(sweeps);
        for (d, t) in table.iter_mut().enumerate() {
            *t = rng::threshold((-beta * d as f64).exp());
        }
        sweep_sites(order, n, &mut r, &mut sites);
        let mut k = 0;
        while k < sites.len() {
            // Rejected proposals change nothing: scan up to the next accepted one in one kernel run.
            // (The stream is copied in and out so that the compiler can keep it in registers.)
            let mut rl = r.clone();
            let hit = state.scan(
                &sites[k..],
                #[inline(always)]
                |_, de| {
                    if de <= 0 {
                        true
                    } else if (de as usize) < table.len() {
                        rng::below_threshold(&mut rl, table[de as usize])
                    } else {
                        metropolis(beta * de as f64, &mut rl)
                    }
                },
            );
            r = rl;
            let Some((j, de)) = hit else {
                proposals += (sites.len() - k) as u64;
                break;
            };
            proposals += j as u64 + 1;
            state.flip_with_delta(sites[k + j], de);
            accepted += 1;
            k += j + 1;
            if state.energy() == 0 {
                break;
            }
        }
        sweeps += 1;
        let e = [state.energy()];
        let snapshot = || Resume {
            sweeps,
            proposals,
            accepted,
            rngs: vec![r.clone()],
            order_rng: None,
            centre_rng: None,
            centre_spins: None,
            weights: vec![state.weights().to_pm()],
        };
        let p = Progress {
            sweep: sweeps,
            beta,
            gamma,
            energies: &e,
            centre_energy: None,
            overlap: None,
            proposals,
            accepted,
            resume: &snapshot,
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
