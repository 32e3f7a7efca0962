//! The Metropolis driver: single-flip Metropolis on an [`Ensemble`] along a β/γ schedule, one driver for
//! plain simulated annealing (one replica, no coupling) and for replicated annealing on the robust ensemble
//! (the focusing, local-entropy Monte Carlo: β and γ rise together and pull the replicas into a dense
//! region). A sweep is N proposals per replica (then, with an explicit centre, a sweep of the centre's own
//! moves); the run stops at the first replica, or centre, with E = 0, or after `max_sweeps` sweeps.
//!
//! **Visit orders.** [`Visit::Blocks`]: each sweep draws one random permutation of the sites and cuts it
//! into y blocks; in phase q (q = 0..y) replica a visits block (a + q) mod y. Within a phase the replicas
//! touch disjoint sites, so each sees a constant m̄ from the others, and the result is the same as some
//! sequential order: identical for a given seed whatever the number of threads. When the replicas do not
//! read each other during their moves (plain, explicit centre) every replica sweeps the whole permutation
//! in one phase. [`Visit::Shared`]: at each site of the sweep all replicas propose in turn. The site order
//! ([`Order`]) is that within a block, or of the shared sequence.
//!
//! **Streams.** Replicated runs draw the sweep's sites from ("order", 0), replica a's moves from
//! ("replica", a) and the explicit centre's from ("centre", 0); plain runs draw sites and moves of replica
//! a from ("sa", a) (the sites from replica 0's), as SA always has.
//!
//! Rejected proposals change nothing, so a run of them up to the next accepted one is one
//! [`Replica::scan`] (one dispatched kernel call, the Metropolis decision inlined).
//!
//! **Dynamics** ([`Sampling`]): [`Dynamics::RejectionFree`] draws the chain of random order in the blocks
//! visit one accepted move at a time (`rejection_free`); [`Dynamics::Auto`] picks per sweep. With
//! `no_stop` the run ignores solutions and goes to `max_sweeps`.

use super::ensemble::{mean_overlap, Centre, Cost, Coupling, Ensemble, Explicit, Plain, Traced};
use super::rejection_free::{self, Deltas};
use super::run::{
    block_sites, blocked_sites, sweep_sites, Found, Order, Outcome, Progress, Resume,
};
use super::schedule::Schedule;
use super::state::Replica;
use crate::error::{Error, Result};
use crate::rng::{self, Rng};
use crate::weights::Weights;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI16, Ordering::Relaxed};

/// In which order the replicas' proposals of a sweep come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visit {
    /// Latin-square blocks: in each of y phases every replica works on its own block of the sweep's sites,
    /// so the replicas of a phase can run on different threads (the result does not depend on it).
    #[default]
    Blocks,
    /// All replicas propose at the same site, one after the other, before the next site: the site's
    /// column ξ_j is read from memory once for all y replicas. One thread; the fastest order when the
    /// instance does not fit the caches (N ≳ 10⁵).
    Shared,
}

/// How the chain moves from one state to the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dynamics {
    /// Single-flip Metropolis proposals, each drawn and decided.
    #[default]
    Metropolis,
    /// The chain of random-site Metropolis (the blocks visit, random order in each block), drawn
    /// rejection-free: the next accepted move directly, with the number of rejections it stands for
    /// (n-fold way; `mc::rejection_free`). Counters still count Metropolis-equivalent proposals.
    RejectionFree,
    /// The chain of random-site Metropolis (as rejection-free), each sweep drawn rejection-free when the
    /// sweep before accepted fewer than [`AUTO_BELOW`] moves per replica, else by Metropolis proposals.
    Auto,
}

/// [`Dynamics::Auto`] draws a sweep rejection-free below this many accepted moves per replica in the sweep
/// before: the measured break-even acceptance ≈ 0.25/N (docs/algorithms.md).
pub const AUTO_BELOW: f64 = 0.25;

impl Dynamics {
    /// Whether the chain is that of random-site Metropolis in the blocks visit (every dynamics but
    /// Metropolis, whose order and visit are free).
    pub fn random_sites(self) -> bool {
        self != Dynamics::Metropolis
    }
}

/// How a run samples, besides [`Params`] (all off by default: Metropolis, stopping at a solution).
#[derive(Clone, Copy, Debug, Default)]
pub struct Sampling {
    pub dynamics: Dynamics,
    /// Run the whole `max_sweeps` without stopping at a solution (for equilibrium measurements).
    pub no_stop: bool,
    /// Keep one [`Sample`](super::run::Sample) per sweep in [`Outcome::trace`].
    pub trace: bool,
}

/// The driver's settings (the model is the [`Ensemble`]).
#[derive(Clone, Debug)]
pub struct Params {
    /// β(t), γ(t) (γ is read by coupled ensembles only).
    pub schedule: Schedule,
    pub max_sweeps: u64,
    /// Site order within a block ([`Visit::Blocks`]) or of the sweep's sequence ([`Visit::Shared`]).
    pub order: Order,
    pub visit: Visit,
    pub seed: u64,
    /// Run the replicas of a phase on the current rayon pool (else one after the other; same result).
    /// Only [`Visit::Blocks`] uses it.
    pub parallel: bool,
}

/// The state of a run besides the replicas: counters and every random stream. It is what a checkpoint
/// keeps ([`Resume`]), built and restored here only.
struct Chain {
    sweeps: u64,
    proposals: u64,
    accepted: u64,
    /// One move stream per replica.
    moves: Vec<Rng>,
    /// The sweep's site order (replicated runs; plain runs draw it from `moves[0]`).
    order: Option<Rng>,
    /// The explicit centre's moves (kept by every replicated run).
    centre: Option<Rng>,
    /// [`Dynamics::Auto`]: the moves accepted in the last sweep.
    sweep_accepted: Option<u64>,
}

impl Chain {
    fn start<R: Replica>(seed: u64, ens: &Ensemble<R>, auto: bool) -> Self {
        let y = ens.y() as u64;
        let replicated = ens.coupling.centre.is_some();
        let tag = if replicated { "replica" } else { "sa" };
        Chain {
            sweeps: 0,
            proposals: 0,
            accepted: 0,
            moves: (0..y).map(|a| rng::stream(seed, tag, a)).collect(),
            order: replicated.then(|| rng::stream(seed, "order", 0)),
            centre: replicated.then(|| rng::stream(seed, "centre", 0)),
            sweep_accepted: auto.then_some(u64::MAX),
        }
    }

    /// Continues from `res` (the replicas already hold its weights); restores the explicit centre.
    fn resume<R: Replica>(res: &Resume, ens: &mut Ensemble<R>, auto: bool) -> Result<Self> {
        let replicated = ens.coupling.centre.is_some();
        let explicit = ens.coupling.centre == Some(Centre::Explicit);
        if res.rngs.len() != ens.y()
            || res.weights.len() != ens.y()
            || res.order_rng.is_some() != replicated
            || res.centre_rng.is_some() != replicated
            || res.centre_spins.is_some() != explicit
            || res.sweep_accepted.is_some() != auto
        {
            return Err(Error::input(format!(
                "the checkpoint holds {} replicas{} but the run has y = {}{}: it belongs to another run",
                res.weights.len(),
                if res.centre_spins.is_some() { " and centre spins" } else { "" },
                ens.y(),
                match ens.coupling.centre {
                    None => ", uncoupled",
                    Some(Centre::Traced) => ", centre traced",
                    Some(Centre::Explicit) => ", explicit centre",
                }
            )));
        }
        if let Some(spins) = &res.centre_spins {
            ens.set_spins(Weights::parse_pm(spins, ens.n(), "checkpoint")?);
        }
        Ok(Chain {
            sweeps: res.sweeps,
            proposals: res.proposals,
            accepted: res.accepted,
            moves: res.rngs.clone(),
            order: res.order_rng.clone(),
            centre: res.centre_rng.clone(),
            sweep_accepted: res.sweep_accepted,
        })
    }

    fn snapshot<R: Replica>(&self, ens: &Ensemble<R>) -> Resume {
        Resume {
            sweeps: self.sweeps,
            proposals: self.proposals,
            accepted: self.accepted,
            rngs: self.moves.clone(),
            order_rng: self.order.clone(),
            centre_rng: self.centre.clone(),
            sweep_accepted: self.sweep_accepted,
            centre_spins: ens.coupling.spins.as_ref().map(|w| w.to_pm()),
            weights: ens.reps.iter().map(|r| r.weights().to_pm()).collect(),
        }
    }
}

#[derive(Default)]
pub(super) struct Counts {
    pub(super) proposals: u64,
    pub(super) accepted: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, c: Counts) {
        self.proposals += c.proposals;
        self.accepted += c.accepted;
    }
}

/// Runs the Metropolis driver on `ens` in place (its replicas' weights are the starting point). `observe`
/// runs after every sweep; false stops the run. With `resume` (a checkpoint of this run, the replicas
/// holding its weights) the run continues exactly where it stopped.
pub fn anneal<R: Replica>(
    ens: &mut Ensemble<R>,
    params: &Params,
    resume: Option<&Resume>,
    observe: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Outcome> {
    anneal_with(ens, params, Sampling::default(), resume, observe)
}

/// [`anneal`] with the dynamics, stop rule and trace of `how`. Every dynamics but Metropolis needs
/// `params.order` random and, for a replicated ensemble, the blocks visit.
pub fn anneal_with<R: Replica>(
    ens: &mut Ensemble<R>,
    params: &Params,
    how: Sampling,
    resume: Option<&Resume>,
    observe: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Outcome> {
    let (y, n) = (ens.y(), ens.n());
    if how.dynamics.random_sites()
        && (params.order != Order::Random
            || (params.visit == Visit::Shared && ens.coupling.centre.is_some() && y > 1))
    {
        return Err(Error::input(format!(
            "order, visit: the {} dynamics samples the chain of random order in the blocks visit",
            how.dynamics
        )));
    }
    let stop = !how.no_stop;
    let auto = how.dynamics == Dynamics::Auto;
    let mut deltas: Vec<Deltas> = (0..y).map(|_| Deltas::default()).collect();
    let mut trace = Vec::new();
    let mut chain = match resume {
        Some(res) => Chain::resume(res, ens, auto)?,
        None => Chain::start(params.seed, ens, auto),
    };
    let mut sites = Vec::with_capacity(n);
    let mut de = Vec::with_capacity(y);
    let mut centre = None;
    let mut done = stop && ens.any_solved();
    while !done && chain.sweeps < params.max_sweeps {
        let (beta, gamma) = params.schedule.at(chain.sweeps);
        let rf = match how.dynamics {
            Dynamics::Metropolis => false,
            Dynamics::RejectionFree => true,
            Dynamics::Auto => (chain.sweep_accepted.unwrap_or(0) as f64) < AUTO_BELOW * y as f64,
        };
        // Blocks: one permutation (the blocked order: its sequence) cut into blocks (the order within a
        // block is `params.order`); shared: the sweep's site sequence itself. Rejection-free: the blocks' sites (all sites, unshuffled, when
        // there is one block per replica).
        let site_order = match (params.visit, params.order) {
            (Visit::Shared, order) if !rf => order,
            (_, Order::Blocked) => Order::Blocked,
            _ => Order::Permutation,
        };
        let order_rng = match chain.order.as_mut() {
            Some(r) => r,
            None => &mut chain.moves[0],
        };
        if rf && !ens.coupling.interacts() {
            sites.clear();
            sites.extend(0..n); // (the explicit centre's moves reuse the buffer)
        } else if site_order == Order::Blocked {
            let block = block_sites(n, ens.reps.first().map_or(0, |r| r.column_bytes()));
            blocked_sites(n, block, order_rng, &mut sites);
        } else {
            sweep_sites(site_order, n, order_rng, &mut sites);
        }
        let walk = Walk {
            params,
            rf,
            stop,
            deltas: &mut deltas,
        };
        let (reps, coupling) = (&mut *ens.reps, &ens.coupling);
        let moves = &mut chain.moves;
        let c = match coupling.centre {
            None => replica_moves(
                reps,
                moves,
                &sites,
                walk,
                coupling,
                &Plain::new(beta),
                &mut de,
            ),
            Some(Centre::Traced) => {
                let cost = Traced::new(beta, gamma, y);
                replica_moves(reps, moves, &sites, walk, coupling, &cost, &mut de)
            }
            Some(Centre::Explicit) => {
                let spins = coupling
                    .spins
                    .as_ref()
                    .expect("an explicit centre has spins");
                let cost = Explicit { beta, gamma, spins };
                replica_moves(reps, moves, &sites, walk, coupling, &cost, &mut de)
            }
        };
        chain.proposals += c.proposals;
        chain.accepted += c.accepted;
        if let Some(a) = chain.sweep_accepted.as_mut() {
            *a = c.accepted;
        }
        if !rf && c.accepted > 0 {
            deltas.iter_mut().for_each(Deltas::invalidate);
        }
        done = stop && ens.any_solved();
        if let Some(r) = chain.centre.as_mut() {
            ens.coupling
                .centre_moves(gamma, params.order, r, &mut sites);
        }
        chain.sweeps += 1;
        centre = ens.centre();
        if stop && matches!(centre, Some((_, 0))) {
            done = true;
        }
        let energies: Vec<i64> = ens.reps.iter().map(|r| r.energy()).collect();
        let snapshot = || chain.snapshot(ens);
        let p = Progress {
            sweep: chain.sweeps,
            beta,
            gamma,
            energies: &energies,
            centre_energy: centre.as_ref().map(|c| c.1),
            overlap: ens.coupling.centre.map(|_| mean_overlap(ens.reps)),
            proposals: chain.proposals,
            accepted: chain.accepted,
            resume: &snapshot,
        };
        if how.trace {
            trace.push(p.sample());
        }
        if !observe(&p) {
            break;
        }
    }
    if centre.is_none() {
        centre = ens.centre(); // no sweep ran (already solved, or resumed at the budget)
    }
    let energies: Vec<i64> = ens.reps.iter().map(|r| r.energy()).collect();
    let best = (0..y).min_by_key(|&a| (energies[a], a)).unwrap();
    let (found, weights, energy) = if energies[best] == 0 {
        (
            Some(Found::Replica(best)),
            ens.reps[best].weights().clone(),
            0,
        )
    } else if let Some((w, 0)) = &centre {
        (Some(Found::Centre), w.clone(), 0)
    } else {
        (None, ens.reps[best].weights().clone(), energies[best])
    };
    Ok(Outcome {
        solved: found.is_some(),
        found,
        sweeps: chain.sweeps,
        proposals: chain.proposals,
        accepted: chain.accepted,
        weights,
        energy,
        replica: best,
        centre,
        replicas: ens.reps.iter().map(|r| r.weights().clone()).collect(),
        energies,
        trace,
    })
}

/// What a sweep's replica moves need besides the model: the settings and the rejection-free state.
struct Walk<'a> {
    params: &'a Params,
    rf: bool,
    /// Stop at a solution.
    stop: bool,
    deltas: &'a mut [Deltas],
}

/// The replicas' proposals of one sweep over `sites`, in the visit order of `params` (rejection-free: the
/// blocks visit); stops once a replica reaches E = 0 (blocks: after the phase in which it does) if
/// `walk.stop`.
fn replica_moves<R: Replica, C: Cost>(
    reps: &mut [R],
    moves: &mut [Rng],
    sites: &[usize],
    walk: Walk,
    coupling: &Coupling,
    cost: &C,
    de: &mut Vec<i64>,
) -> Counts {
    let (y, n, m) = (reps.len(), sites.len(), &coupling.m[..]);
    let (params, stop, rf) = (walk.params, walk.stop, walk.rf);
    let mut c = Counts::default();
    if params.visit == Visit::Shared && !rf {
        if y == 1 {
            // One replica: the shared sequence is walked in order, a scan per run of rejections.
            return phase(&mut reps[0], &mut moves[0], sites, false, cost, m, stop);
        }
        return shared(reps, moves, sites, cost, m, de, stop);
    }
    let phases = if coupling.interacts() { y } else { 1 };
    for q in 0..phases {
        let work = |(a, ((st, r), d)): (usize, ((&mut R, &mut Rng), &mut Deltas))| {
            let block = if phases == 1 {
                sites
            } else {
                let b = (a + q) % y;
                &sites[b * n / y..(b + 1) * n / y]
            };
            if rf {
                rejection_free::phase(st, r, block, cost, m, d, stop)
            } else {
                phase(st, r, block, params.order == Order::Random, cost, m, stop)
            }
        };
        let counts: Vec<Counts> = if params.parallel {
            reps.par_iter_mut()
                .zip(moves.par_iter_mut())
                .zip(walk.deltas.par_iter_mut())
                .enumerate()
                .map(work)
                .collect()
        } else {
            reps.iter_mut()
                .zip(moves.iter_mut())
                .zip(walk.deltas.iter_mut())
                .enumerate()
                .map(work)
                .collect()
        };
        for x in counts {
            c += x;
        }
        if stop && reps.iter().any(|r| r.energy() == 0) {
            break;
        }
    }
    c
}

/// W_j of the packed weights `w` (bit 1 = −1).
#[inline(always)]
fn spin(w: &[u64], j: usize) -> i8 {
    if (w[j / 64] >> (j % 64)) & 1 == 1 {
        -1
    } else {
        1
    }
}

/// One replica's share of a phase: Metropolis over `sites` in order, or, with `draw`, at |sites| uniform
/// draws from them; stops at E = 0 when `stop`.
fn phase<R: Replica, C: Cost>(
    st: &mut R,
    rng: &mut Rng,
    sites: &[usize],
    draw: bool,
    cost: &C,
    m: &[AtomicI16],
    stop: bool,
) -> Counts {
    let mut c = Counts::default();
    if stop && st.energy() == 0 {
        return c;
    }
    if !draw {
        let mut k = 0;
        while k < sites.len() {
            // The stream is copied in and out so that the compiler can keep it in registers.
            let mut rl = rng.clone();
            let w = st.weights().words();
            let hit = st.scan(
                &sites[k..],
                #[inline(always)]
                |j, de| {
                    let s = if C::SPIN { spin(w, j) } else { 0 };
                    cost.accept(de, j, s, m, &mut rl)
                },
            );
            *rng = rl;
            let Some((t, de)) = hit else {
                c.proposals += (sites.len() - k) as u64;
                break;
            };
            c.proposals += t as u64 + 1;
            flip(st, sites[k + t], de, m);
            c.accepted += 1;
            k += t + 1;
            if stop && st.energy() == 0 {
                break;
            }
        }
    } else {
        for _ in 0..sites.len() {
            let j = sites[rng::below(rng, sites.len() as u64) as usize];
            c.proposals += 1;
            let de = st.delta_energy(j);
            if cost.accept(de, j, st.weights().get(j), m, rng) {
                flip(st, j, de, m);
                c.accepted += 1;
                if stop && st.energy() == 0 {
                    break;
                }
            }
        }
    }
    c
}

/// Flips W_j of `st` (ΔE = `de`) and updates m_j.
#[inline]
pub(super) fn flip<R: Replica>(st: &mut R, j: usize, de: i64, m: &[AtomicI16]) {
    let s = st.weights().get(j);
    st.flip_with_delta(j, de);
    m[j].fetch_add(-2 * s as i16, Relaxed);
}

/// A sweep of [`Visit::Shared`]: at each site j of `sites`, replica 0, 1, …, y−1 in turn propose to flip
/// W_j^a. The data terms ΔE_a are computed first for all replicas (each depends only on its own replica);
/// the coupling of each decision sees m_j as left by the replicas before it. Stops at a solution when
/// `stop`.
fn shared<R: Replica, C: Cost>(
    reps: &mut [R],
    moves: &mut [Rng],
    sites: &[usize],
    cost: &C,
    m: &[AtomicI16],
    de: &mut Vec<i64>,
    stop: bool,
) -> Counts {
    let mut c = Counts::default();
    de.resize(reps.len(), 0);
    for (t, &j) in sites.iter().enumerate() {
        R::delta_each(reps, j, sites.get(t + 2).copied(), de);
        for (a, (st, rng)) in reps.iter_mut().zip(moves.iter_mut()).enumerate() {
            c.proposals += 1;
            if cost.accept(de[a], j, st.weights().get(j), m, rng) {
                flip(st, j, de[a], m);
                c.accepted += 1;
                if stop && st.energy() == 0 {
                    return c;
                }
            }
        }
    }
    c
}

crate::named!(Visit, "replica visit order" {
    Blocks => "blocks": "Latin-square blocks: in each of y phases every replica works on its own block of the sweep's sites, so the replicas of a phase can run on different threads (the result does not depend on it)",
    Shared => "shared": "All replicas propose at the same site, one after the other, before the next site: the site's column ξ_j is read from memory once for all y replicas. One thread; the fastest order when the instance does not fit the caches (N ≳ 10⁵)",
});

crate::named!(Dynamics, "dynamics" {
    Metropolis => "metropolis": "Single-flip Metropolis: every proposal drawn and decided",
    RejectionFree => "rejection-free": "The chain of random-site Metropolis drawn rejection-free (n-fold way): the next accepted move directly, with the number of rejections it stands for; for the cold end, where almost every proposal is rejected",
    Auto => "auto": "The chain of random-site Metropolis, each sweep drawn rejection-free when the sweep before accepted under a quarter of a move per replica (the measured break-even), else by Metropolis proposals",
});
