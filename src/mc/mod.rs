//! The Monte Carlo: the incremental replica [`state`], the β/γ [`schedule`], the [`ensemble`] of y
//! replicas (plain, or coupled as the robust ensemble) and the one Metropolis [`driver`] that samples it:
//! plain simulated annealing is the driver on one uncoupled replica, replicated annealing (RSA) on the
//! coupled ensemble. The driver draws the chain by Metropolis proposals or, for the chain of random-site
//! Metropolis, rejection-free (`rejection_free`, the n-fold way), and can run a whole schedule without
//! stopping at a solution, keeping a per-sweep trace ([`Sampling`]).

pub mod driver;
pub mod ensemble;
mod rejection_free;
pub mod run;
pub mod schedule;
pub mod state;
pub mod tracker;

pub use driver::{anneal, anneal_with, Dynamics, Params, Sampling, Visit};
pub use ensemble::{Centre, Ensemble};
pub use run::{Found, Order, Outcome, Progress, Resume, Sample};
pub use schedule::{Ramp, Schedule};
pub use state::{EnergyKind, Replica, State};
