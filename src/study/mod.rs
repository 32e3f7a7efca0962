//! Studies over many runs, as in the papers: the success probability P_succ(α, N) from sweep results
//! ([`analyze`] with [`fit`] and [`stats`]), the local energy δE(p) and input robustness of solutions
//! ([`robustness`]), distances and hidden-unit overlaps ([`overlaps`]); [`grid`] parses grids and [`plot`]
//! draws SVG charts. Running the sweeps themselves is [`crate::run`]. The commands and file formats are in
//! `docs/studies.md`.

pub mod analyze;
pub mod fit;
pub mod grid;
pub mod local_entropy;
pub mod overlaps;
pub mod plot;
pub mod robustness;
pub mod stats;
pub mod table;
