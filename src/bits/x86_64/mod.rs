//! x86-64 paths. Each function here is `unsafe` because it is compiled for an instruction set the caller
//! must have checked, and (AVX-512) because it trusts the shapes `Kernels` checked before calling in; each
//! implements one kernel of `kernel_set!` (in `bits`) with its arguments.

pub mod avx2;
pub mod avx512;
