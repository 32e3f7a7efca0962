//! Studies over many runs, as in the papers: sweeps of the success probability P_succ(α, N) ([`sweep`],
//! [`analyze`] with [`fit`] and [`stats`]), the local energy δE(p) and input robustness of solutions
//! ([`robustness`]), distances and hidden-unit overlaps ([`overlaps`]); [`grid`] parses grids and [`plot`]
//! draws SVG charts. The commands and file formats are in `docs/studies.md`; job arrays ([`shard`] of a
//! sweep, [`merge`] of the parts) in `docs/cluster.md`.

pub mod analyze;
pub mod fit;
pub mod grid;
pub mod merge;
pub mod mpi;
pub mod overlaps;
pub mod plot;
pub mod robustness;
pub mod shard;
pub mod stats;
pub mod sweep;
