//! The Monte Carlo: the incremental replica [`state`], the β/γ [`schedule`], plain simulated annealing
//! [`sa`] and the replicated, focusing robust-ensemble annealing [`rsa`], both generic over [`Replica`].

pub mod state;

pub use state::{EnergyKind, Replica, State};
