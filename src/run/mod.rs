//! How runs are executed and kept safe: the records they write ([`records`]: a sweep's task lines), the one
//! reader of JSON-lines files ([`jsonl`]), the sweep's results file ([`journal`]), the output files and checkpoints of one
//! `solve` ([`output`], [`checkpoint`]; `output` also checks every command's output paths before the work), the hash that names parameters ([`hash`]); and the executors of a sweep
//! ([`plan`]): a local thread pool ([`pool`]), one shard of a job array ([`shard`], joined by [`merge`]) and
//! MPI ([`mpi`]). The file formats are in `docs/studies.md` and `docs/cluster.md`. Atomic writes of whole
//! files are [`crate::fsio`] (instances are written with them too).
//!
//! Imports within `run` go one way: `hash`, `jsonl` ← `plan` ← `records` ← `shard` ← `journal` ← `pool` ←
//! `mpi`; `merge` reads records; `checkpoint` needs only `hash`, `output` nothing of `run`.

pub mod checkpoint;
pub mod hash;
pub mod journal;
pub mod jsonl;
pub mod merge;
pub mod mpi;
pub mod output;
pub mod plan;
pub mod pool;
pub mod records;
pub mod shard;
