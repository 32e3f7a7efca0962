//! The Monte Carlo: the incremental replica [`state`], the β/γ [`schedule`], plain simulated annealing
//! [`sa`] and the replicated, focusing robust-ensemble annealing [`rsa`], both generic over [`Replica`].

pub mod rsa;
pub mod run;
pub mod sa;
pub mod schedule;
pub mod state;
pub mod tracker;

pub use run::{Found, Order, Outcome, Progress, Resume};
pub use schedule::{Ramp, Schedule};
pub use state::{EnergyKind, Replica, State};
