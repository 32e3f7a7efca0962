//! A heap buffer of `u64` words aligned to 64 bytes, sized in whole 512-bit stripes.
//!
//! Every bit-packed row the kernels read (a pattern column ξ_i over patterns, the label plane σ, a
//! margin mask) is a run of `words` words with `words % STRIPE == 0`, so that every ISA path can work on
//! full, aligned 512-bit stripes with no tail loop. Bits past the last pattern are kept at zero.

use super::STRIPE;

#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
#[repr(C, align(64))]
struct Block([u64; STRIPE]);

/// Zero-initialised, 64-byte-aligned `u64` words; the length is always a multiple of [`STRIPE`].
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct AlignedWords {
    blocks: Vec<Block>,
}

impl AlignedWords {
    /// `len` words (rounded up to a whole stripe), all zero. Fails cleanly instead of aborting when the
    /// allocation cannot be had.
    pub fn try_zeroed(len: usize) -> Result<Self, std::collections::TryReserveError> {
        let nblocks = len.div_ceil(STRIPE);
        let mut blocks: Vec<Block> = Vec::new();
        blocks.try_reserve_exact(nblocks)?;
        advise_huge_pages(
            blocks.as_mut_ptr().cast(),
            nblocks * std::mem::size_of::<Block>(),
        );
        blocks.resize(nblocks, Block::default());
        Ok(Self { blocks })
    }

    /// `len` words (rounded up to a whole stripe), all zero; panics only if memory is exhausted.
    pub fn zeroed(len: usize) -> Self {
        Self::try_zeroed(len).expect("out of memory")
    }

    pub fn len(&self) -> usize {
        self.blocks.len() * STRIPE
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    pub fn as_slice(&self) -> &[u64] {
        // SAFETY: Block is repr(C) of [u64; STRIPE] with no padding, so a Vec<Block> is a contiguous run of
        // len()*STRIPE initialised u64s.
        unsafe { std::slice::from_raw_parts(self.blocks.as_ptr().cast::<u64>(), self.len()) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u64] {
        // SAFETY: as in as_slice; the unique borrow of self gives a unique borrow of the words.
        unsafe {
            std::slice::from_raw_parts_mut(self.blocks.as_mut_ptr().cast::<u64>(), self.len())
        }
    }
}

/// Buffers from this size up are backed by 2 MiB pages where the kernel allows (Linux transparent huge
/// pages in `madvise` or `always` mode): the Monte Carlo reads one instance column at a random place per
/// proposal, and with 4 KiB pages every such read misses the TLB (docs/performance.md). `DENSEMC_THP=0`
/// turns the advice off.
pub const HUGE_PAGES_FROM: usize = 64 << 20;

/// Asks for transparent huge pages on the 2 MiB-aligned interior of a fresh (untouched) allocation.
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        const MADV_HUGEPAGE: i32 = 14;
        extern "C" {
            fn madvise(addr: *mut u8, len: usize, advice: i32) -> i32;
        }
        if bytes < HUGE_PAGES_FROM || std::env::var_os("DENSEMC_THP").is_some_and(|v| v == "0") {
            return;
        }
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + bytes) / HUGE * HUGE;
        if end > start {
            // SAFETY: the range lies inside an allocation this process owns; the advice changes only how
            // the kernel backs the pages, never their contents. A failure (e.g. THP disabled) is harmless.
            unsafe { madvise(start as *mut u8, end - start, MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bits::{valid_mask, words_for_bits};

    #[test]
    fn aligned_and_rounded() {
        let w = AlignedWords::zeroed(9);
        assert_eq!(w.len(), 16);
        assert_eq!(w.as_slice().as_ptr() as usize % 64, 0);
        assert!(w.as_slice().iter().all(|&x| x == 0));
        assert_eq!(words_for_bits(1), 8);
        assert_eq!(words_for_bits(512), 8);
        assert_eq!(words_for_bits(513), 16);
        assert_eq!(valid_mask(0, 3), 0b111);
        assert_eq!(valid_mask(1, 64), 0);
        assert_eq!(valid_mask(1, 200), !0);
        assert_eq!(valid_mask(3, 200), (1 << 8) - 1);
    }
}
