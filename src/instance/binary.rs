//! The compact binary instance format (little-endian), for large N:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `DMCINST\0` |
//! | 4 | format version (1) |
//! | 8, 8, 4 | N, P, K |
//! | 1 | architecture: 0 perceptron, 1 sign, 2 relu (tree committees), 3 fully connected sign |
//! | 1 | flags: bit 0 origin known, bit 1 teacher labels, bit 2 teacher weights stored |
//! | 2 | zero |
//! | 8, 8 | α (f64) and seed of the generator (zero when unknown) |
//! | I·⌈P/64⌉·8 | the columns ξ_j of the I inputs, ⌈P/64⌉ words each, bit 1 = −1, bits past P zero |
//! | ⌈P/64⌉·8 | the label plane σ |
//! | 8 | checksum: `Instance::checksum` (XXH3-64 of the content) |
//! | ⌈N/64⌉·8 | with flag bit 2: the teacher W* (bit 1 = −1, network order, bits past N zero) |
//! | 8 | with flag bit 2: XXH3-64 of the teacher words |
//!
//! The teacher block comes after the checksum of the content, which does not cover it (the storage problem
//! is ξ and σ): files without it are those of earlier versions, byte for byte.
//! I, the inputs of a pattern, is N except for the fully connected committee (code 3), where it is
//! n = N/K: every hidden unit sees the same n inputs. Files of codes 0–2 are those of earlier versions.

use super::{activation_code, activation_from_code, Instance, Origin};
use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::model::Arch;
use crate::weights::Weights;
use std::io::{Read, Write};
use std::path::Path;

pub const MAGIC: &[u8; 8] = b"DMCINST\0";
const VERSION: u32 = 1;
const HEADER_BYTES: u64 = 8 + 4 + 8 + 8 + 4 + 1 + 1 + 2 + 8 + 8;

/// Writes the binary format atomically.
pub fn write_binary(inst: &Instance, path: &Path) -> Result<()> {
    let pw = inst.p().div_ceil(64);
    write_atomic(path, |w| {
        w.write_all(MAGIC)?;
        w.write_all(&VERSION.to_le_bytes())?;
        w.write_all(&(inst.n() as u64).to_le_bytes())?;
        w.write_all(&(inst.p() as u64).to_le_bytes())?;
        w.write_all(&(inst.k() as u32).to_le_bytes())?;
        let o = inst.origin();
        let flags =
            o.map_or(0u8, |o| 1 | (o.teacher as u8) << 1) | (inst.teacher().is_some() as u8) << 2;
        w.write_all(&[activation_code(inst.activation()), flags, 0, 0])?;
        w.write_all(&o.map_or(0.0, |o| o.alpha).to_le_bytes())?;
        w.write_all(&o.map_or(0, |o| o.seed).to_le_bytes())?;
        let mut buf = Vec::with_capacity(pw * 8);
        for i in 0..inst.inputs() {
            buf.clear();
            for x in &inst.col(i)[..pw] {
                buf.extend_from_slice(&x.to_le_bytes());
            }
            w.write_all(&buf)?;
        }
        for x in &inst.labels()[..pw] {
            w.write_all(&x.to_le_bytes())?;
        }
        w.write_all(&inst.checksum().to_le_bytes())?;
        if let Some(t) = inst.teacher() {
            let bytes = teacher_bytes(t);
            w.write_all(&bytes)?;
            w.write_all(&xxhash_rust::xxh3::xxh3_64(&bytes).to_le_bytes())?;
        }
        Ok(())
    })
}

/// The teacher block: the words of W*, little-endian, bits past N zero.
fn teacher_bytes(t: &Weights) -> Vec<u8> {
    let n = t.len();
    let mut out = Vec::with_capacity(n.div_ceil(64) * 8);
    for (j, &x) in t.words().iter().enumerate().take(n.div_ceil(64)) {
        out.extend_from_slice(&(x & crate::bits::valid_mask(j, n)).to_le_bytes());
    }
    out
}

/// Reads the binary format from `r` (the file `path`, of `len` bytes when it is a regular file), checking
/// magic, version, sizes, length, padding bits and checksum. The length is checked against the header
/// before the instance is allocated; a stream must end right after the checksum.
pub fn read_binary<R: Read>(mut r: R, len: Option<u64>, path: &Path) -> Result<Instance> {
    let bad = |m: String| Error::at(path, None, m);
    if let Some(len) = len.filter(|&l| l < HEADER_BYTES) {
        return Err(bad(format!(
            "truncated: {len} bytes is shorter than the {HEADER_BYTES}-byte binary header"
        )));
    }
    let mut h = [0u8; HEADER_BYTES as usize];
    r.read_exact(&mut h)
        .map_err(|e| Error::io(path, "cannot read the instance header", e))?;
    let u32_at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(h[o..o + 8].try_into().unwrap());
    if &h[..8] != MAGIC {
        return Err(bad("not a densemc binary instance (bad magic)".into()));
    }
    let version = u32_at(8);
    if version != VERSION {
        return Err(bad(format!(
            "binary format version {version} is not supported (this densemc reads {VERSION})"
        )));
    }
    let (n, p, k) = (u64_at(12), u64_at(20), u32_at(28));
    let act = activation_from_code(h[32])
        .ok_or_else(|| bad(format!("field activation: unknown code {}", h[32])))?;
    let flags = h[33];
    let n = usize::try_from(n).map_err(|_| bad(format!("field N={n} is too large")))?;
    let p = usize::try_from(p).map_err(|_| bad(format!("field P={p} is too large")))?;
    let arch = Arch::new(n, k as usize, act).map_err(|e| bad(format!("header: {e}")))?;
    let pw = p.div_ceil(64) as u128;
    let teacher_len = if flags & 4 == 4 {
        n.div_ceil(64) as u128 * 8 + 8
    } else {
        0
    };
    let expect = HEADER_BYTES as u128 + (arch.inputs() as u128 + 1) * pw * 8 + 8 + teacher_len;
    if let Some(len) = len.filter(|&l| l as u128 != expect) {
        let what = if (len as u128) < expect {
            "truncated"
        } else {
            "too long"
        };
        return Err(bad(format!(
            "{what}: N={n}, P={p} need {expect} bytes, the file has {len}"
        )));
    }
    let mut inst = Instance::zeroed(arch, p).map_err(|e| bad(e.to_string()))?;
    if flags & 1 == 1 {
        inst.set_origin(Some(Origin {
            alpha: f64::from_le_bytes(h[36..44].try_into().unwrap()),
            seed: u64_at(44),
            teacher: flags & 2 == 2,
        }));
    }
    let pw = pw as usize;
    let mut buf = vec![0u8; pw * 8];
    let truncated = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            bad(format!("truncated: N={n}, P={p} need {expect} bytes"))
        } else {
            Error::io(path, "cannot read the instance", e)
        }
    };
    let mut read_row = |r: &mut R, row: &mut [u64]| -> Result<()> {
        r.read_exact(&mut buf).map_err(truncated)?;
        for (x, b) in row[..pw].iter_mut().zip(buf.chunks_exact(8)) {
            *x = u64::from_le_bytes(b.try_into().unwrap());
        }
        Ok(())
    };
    for i in 0..arch.inputs() {
        read_row(&mut r, inst.col_mut(i))?;
    }
    read_row(&mut r, inst.labels_mut())?;
    let mut c = [0u8; 8];
    r.read_exact(&mut c).map_err(truncated)?;
    let teacher = if teacher_len > 0 {
        let mut t = vec![0u8; teacher_len as usize];
        r.read_exact(&mut t).map_err(truncated)?;
        let (words, sum) = t.split_at(t.len() - 8);
        if xxhash_rust::xxh3::xxh3_64(words).to_le_bytes() != sum {
            return Err(bad(
                "corrupt: the teacher block does not match its checksum".into(),
            ));
        }
        let signs: Vec<i8> = (0..n)
            .map(|i| 1 - 2 * ((words[i / 8] >> (i % 8)) & 1) as i8)
            .collect();
        let w = Weights::from_signs(&signs);
        if teacher_bytes(&w) != words {
            return Err(bad(format!(
                "corrupt: bits past N={n} are set in the teacher block"
            )));
        }
        Some(w)
    } else {
        None
    };
    if len.is_none() && r.read(&mut [0u8]).map_err(truncated)? > 0 {
        return Err(bad(format!("too long: N={n}, P={p} need {expect} bytes")));
    }
    if !inst.padding_is_clean() {
        return Err(bad(format!(
            "corrupt: bits past P={p} are set in a pattern column or the label plane"
        )));
    }
    let (want, got) = (u64::from_le_bytes(c), inst.checksum());
    if want != got {
        return Err(bad(format!(
            "corrupt: checksum {got:016x} does not match the stored {want:016x}"
        )));
    }
    inst.set_teacher(teacher)?;
    Ok(inst)
}
