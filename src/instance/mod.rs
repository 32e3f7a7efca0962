//! A storage problem: P patterns ξ^μ with labels σ^μ, bit-packed for the Monte Carlo. A pattern has one
//! input per weight (ξ^μ ∈ {±1}^N), or for the fully connected committee the n = N/K inputs that every
//! hidden unit sees ([`Arch::inputs`]).
//!
//! Layout (bit 1 = −1): for each input j a *column* of `stride` words holding the bits ξ_j^μ over the
//! patterns μ (bit μ%64 of word μ/64), and a *label plane* of the same shape holding σ^μ. Inputs are in
//! network order (hidden unit 0's block of n = N/K inputs first). `stride` is P rounded up to 512 bits, so
//! the kernels walk whole aligned stripes; bits past P are zero. One copy takes ≈ inputs·P/8 bytes.

mod binary;
mod generate;
pub mod npy;
mod text;

pub use binary::{read_binary, write_binary, MAGIC};
pub use generate::{generate_random, pattern_count};
pub use npy::{read_npy, read_npz, write_npz};
pub use text::{read_text, write_text};

use crate::bits::{words_for_bits, AlignedWords};
use crate::error::{Error, Result};
use crate::fsio;
use crate::model::{Activation, Arch};
use crate::weights::Weights;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How an instance was generated, when known (kept in files so results can cite it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// α = P/N requested.
    pub alpha: f64,
    /// Master seed.
    pub seed: u64,
    /// Labels produced by a random teacher of the same architecture.
    pub teacher: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    arch: Arch,
    p: usize,
    stride: usize,
    cols: AlignedWords,
    labels: AlignedWords,
    origin: Option<Origin>,
    /// W*, the teacher whose outputs are the labels, when known (teacher–student instances).
    teacher: Option<Weights>,
}

/// On-disk/in-memory file format of an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One `+`/`-` line per pattern: for interchange (8× larger than binary).
    Text,
    /// Bit-packed with a header and checksum: for large N.
    Binary,
    /// A numpy `.npz` archive with the arrays `xi` (P × inputs), `sigma` (P) and `teacher` (N), int8 ±1.
    Npz,
}

impl Instance {
    /// Bytes the bit-packed instance takes with `inputs` inputs per pattern and P patterns (columns +
    /// label plane).
    pub fn memory_for(inputs: usize, p: usize) -> u64 {
        (inputs as u64 + 1) * words_for_bits(p) as u64 * 8
    }

    /// All patterns +1 and all labels +1, after checking that the memory can be had.
    pub fn zeroed(arch: Arch, p: usize) -> Result<Self> {
        if p == 0 {
            return Err(Error::input(
                "P=0 patterns: use α > 0 so that P = round(αN) ≥ 1",
            ));
        }
        if p > u32::MAX as usize {
            return Err(Error::input(format!(
                "P={p} is too large (at most {})",
                u32::MAX
            )));
        }
        let bytes = Self::memory_for(arch.inputs(), p);
        fsio::check_memory(bytes, &format!("an instance with N={} and P={p}", arch.n))?;
        let stride = words_for_bits(p);
        let oom = |_| {
            Error::input(format!(
                "cannot allocate {} for the instance",
                fsio::human_bytes(bytes)
            ))
        };
        let cols = AlignedWords::try_zeroed(arch.inputs() * stride).map_err(oom)?;
        let labels = AlignedWords::try_zeroed(stride).map_err(oom)?;
        Ok(Instance {
            arch,
            p,
            stride,
            cols,
            labels,
            origin: None,
            teacher: None,
        })
    }

    pub fn arch(&self) -> Arch {
        self.arch
    }
    /// N, the number of weights.
    pub fn n(&self) -> usize {
        self.arch.n
    }
    /// Inputs of one pattern, the number of columns: N, or n = N/K for the fully connected committee.
    pub fn inputs(&self) -> usize {
        self.arch.inputs()
    }
    pub fn k(&self) -> usize {
        self.arch.k
    }
    pub fn activation(&self) -> Activation {
        self.arch.activation
    }
    /// P, the number of patterns.
    pub fn p(&self) -> usize {
        self.p
    }
    /// α = P/N as stored.
    pub fn alpha(&self) -> f64 {
        self.p as f64 / self.arch.n as f64
    }
    /// Words per column (and per label plane / margin mask).
    pub fn stride(&self) -> usize {
        self.stride
    }
    pub fn origin(&self) -> Option<Origin> {
        self.origin
    }
    pub fn set_origin(&mut self, o: Option<Origin>) {
        self.origin = o;
    }
    /// W*, the teacher that labelled the patterns, when the instance keeps it. It is not part of the
    /// [`checksum`](Self::checksum): the storage problem is ξ and σ.
    pub fn teacher(&self) -> Option<&Weights> {
        self.teacher.as_ref()
    }
    /// Keeps (or drops) the teacher, refusing one whose length is not N. Whether it reproduces the labels
    /// is checked by `model::teacher::check`.
    pub fn set_teacher(&mut self, t: Option<Weights>) -> Result<()> {
        if let Some(w) = t.as_ref().filter(|w| w.len() != self.arch.n) {
            return Err(Error::input(format!(
                "teacher: {} weights for an instance with N={}",
                w.len(),
                self.arch.n
            )));
        }
        self.teacher = t;
        Ok(())
    }
    /// Bytes held by this instance.
    pub fn memory_bytes(&self) -> u64 {
        ((self.cols.len() + self.labels.len()) * 8) as u64
    }

    /// All columns, `stride` words each, in input order.
    pub fn cols(&self) -> &[u64] {
        self.cols.as_slice()
    }
    /// The bit column ξ_i^μ over μ of input i (weight i multiplies input `arch().input_of(i)`).
    #[inline]
    pub fn col(&self, i: usize) -> &[u64] {
        &self.cols.as_slice()[i * self.stride..(i + 1) * self.stride]
    }
    pub(crate) fn col_mut(&mut self, i: usize) -> &mut [u64] {
        let s = self.stride;
        &mut self.cols.as_mut_slice()[i * s..(i + 1) * s]
    }
    pub(crate) fn cols_mut(&mut self) -> &mut [u64] {
        self.cols.as_mut_slice()
    }
    /// The label plane σ^μ.
    #[inline]
    pub fn labels(&self) -> &[u64] {
        self.labels.as_slice()
    }
    pub(crate) fn labels_mut(&mut self) -> &mut [u64] {
        self.labels.as_mut_slice()
    }

    /// ξ_i^μ as ±1.
    #[inline]
    pub fn xi(&self, i: usize, mu: usize) -> i8 {
        let bit = (self.cols.as_slice()[i * self.stride + mu / 64] >> (mu % 64)) & 1;
        1 - 2 * bit as i8
    }
    /// σ^μ as ±1.
    #[inline]
    pub fn sigma(&self, mu: usize) -> i8 {
        1 - 2 * ((self.labels.as_slice()[mu / 64] >> (mu % 64)) & 1) as i8
    }
    pub fn set_xi(&mut self, i: usize, mu: usize, v: i8) {
        let w = &mut self.cols.as_mut_slice()[i * self.stride + mu / 64];
        let m = 1u64 << (mu % 64);
        if v < 0 {
            *w |= m
        } else {
            *w &= !m
        }
    }
    pub fn set_sigma(&mut self, mu: usize, v: i8) {
        let w = &mut self.labels.as_mut_slice()[mu / 64];
        let m = 1u64 << (mu % 64);
        if v < 0 {
            *w |= m
        } else {
            *w &= !m
        }
    }

    /// A 64-bit XXH3 checksum of the content (sizes, activation, patterns, labels), independent of the
    /// file format and of the in-memory padding: equal checksums mean the same storage problem.
    pub fn checksum(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(b"densemc-instance");
        for x in [
            self.arch.n as u64,
            self.p as u64,
            self.arch.k as u64,
            activation_code(self.arch.activation) as u64,
        ] {
            h.update(&x.to_le_bytes());
        }
        let pw = self.p.div_ceil(64);
        let mut buf = Vec::with_capacity(pw * 8);
        for i in 0..self.inputs() {
            buf.clear();
            for w in &self.col(i)[..pw] {
                buf.extend_from_slice(&w.to_le_bytes());
            }
            h.update(&buf);
        }
        for w in &self.labels()[..pw] {
            h.update(&w.to_le_bytes());
        }
        h.digest()
    }

    /// Whether any bit past P is set (files must keep them zero).
    pub(crate) fn padding_is_clean(&self) -> bool {
        let (p, s) = (self.p, self.stride);
        let clean = |row: &[u64]| {
            row.iter()
                .enumerate()
                .all(|(w, &x)| x & !crate::bits::valid_mask(w, p) == 0)
        };
        clean(self.labels()) && (0..self.inputs()).all(|i| clean(&self.cols()[i * s..(i + 1) * s]))
    }

    /// Reads an instance, text or binary (told apart by the binary magic); a numpy file, which carries no
    /// architecture, is refused here with a pointer to [`read_npy`] / [`read_npz`]. The file is opened once and read
    /// front to back, so a pipe or FIFO works too; its size, when it has one, is checked against the header
    /// before anything large is allocated.
    pub fn read(path: &Path) -> Result<Instance> {
        use std::io::Read;
        let mut f = std::fs::File::open(path)
            .map_err(|e| Error::io(path, "cannot open the instance", e))?;
        let meta = f
            .metadata()
            .map_err(|e| Error::io(path, "cannot read the instance", e))?;
        if meta.is_dir() {
            return Err(Error::at(
                path,
                None,
                "is a directory, not an instance file",
            ));
        }
        let len = meta.is_file().then_some(meta.len());
        let mut head = [0u8; 8];
        let mut got = 0;
        while got < head.len() {
            match f.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(path, "cannot read the instance", e)),
            }
        }
        let r = std::io::BufReader::with_capacity(
            1 << 20,
            std::io::Cursor::new(head[..got].to_vec()).chain(f),
        );
        if &head[..got] == MAGIC {
            read_binary(r, len, path)
        } else if npy::is_numpy(&head[..got]) {
            Err(Error::at(
                path,
                None,
                "is a numpy file, which holds no architecture: read it with the architecture given (the command-line --instance with --k/--activation, and --labels for a .npy)",
            ))
        } else {
            read_text(r, len, path)
        }
    }

    /// [`read`](Self::read), and an `.npz` read with K units of `activation` ([`read_npz`]): what a
    /// checkpoint, which records the architecture, reads its instance file with.
    pub fn read_as(path: &Path, k: usize, activation: Activation) -> Result<Instance> {
        use std::io::Read;
        // A pipe is not looked at first: it is opened once, by the reader.
        let mut head = Vec::new();
        if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            if let Ok(f) = std::fs::File::open(path) {
                let _ = f.take(8).read_to_end(&mut head);
            }
        }
        if npy::is_npz(&head) {
            read_npz(path, k, activation)
        } else {
            Self::read(path)
        }
    }

    /// Writes an instance atomically in the given format.
    pub fn write(&self, path: &Path, format: Format) -> Result<()> {
        match format {
            Format::Text => write_text(self, path),
            Format::Binary => write_binary(self, path),
            Format::Npz => write_npz(self, path),
        }
    }
}

/// The code of an architecture in files and checksums: its position in [`Activation::ALL`] (0 perceptron,
/// 1 sign, 2 relu, 3 fully connected sign).
pub(crate) fn activation_code(a: Activation) -> u8 {
    Activation::ALL.iter().position(|&x| x == a).unwrap() as u8
}

pub(crate) fn activation_from_code(c: u8) -> Option<Activation> {
    Activation::ALL.get(c as usize).copied()
}

crate::named!(Format, "instance file format" {
    Text => "text": "One `+`/`-` line per pattern: for interchange (8× larger than binary)",
    Binary => "binary": "Bit-packed with a header and checksum: for large N",
    Npz => "npz": "numpy archive: int8 ±1 arrays xi (P × inputs), sigma (P) and, if known, teacher (N)",
});
