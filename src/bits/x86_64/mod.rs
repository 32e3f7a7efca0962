//! x86-64 paths. Each function here is `unsafe` only because it is compiled for an instruction set the
//! caller must have checked (see `bits::dispatch`); they take the same arguments as `bits::generic`.

pub mod avx2;
pub mod avx512;
