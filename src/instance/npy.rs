//! Patterns from numpy: a `.npy` file holding ξ with a second one holding σ ([`read_npy`]), or one `.npz`
//! archive with the arrays `xi`, `sigma` and optionally `teacher` ([`read_npz`], written by [`write_npz`]).
//!
//! A numpy file carries no architecture: K and the activation are given, and N is the number of columns
//! of ξ (K times it for the fully connected committee, whose units all see the same n = N/K inputs).
//!
//! | array | shape | meaning |
//! |---|---|---|
//! | `xi` | (P, inputs) | ξ_j^μ, row μ is pattern μ (inputs in network order: unit 0's block first) |
//! | `sigma` | (P,) | σ^μ |
//! | `teacher` | (N,) | W*, the teacher (optional; must give every pattern its label) |
//!
//! Values are ±1 in any of int8, int16, int32, int64, float32, float64 (either byte order), or bool with
//! True = +1 and False = −1; C or Fortran order. Anything else (another dtype, rank or shape, a value other
//! than ±1, a truncated or overlong array) is refused with one line naming the file, the array and the
//! element.
//!
//! The NPY format read here: the magic `\x93NUMPY`, the version (1.0, 2.0 or 3.0), the header length (2
//! bytes little-endian in 1.0, 4 in 2.0 and 3.0), the header (a Python dict literal with the keys `descr`,
//! `fortran_order` and `shape`, padded with spaces and ended by a newline), then the elements. densemc
//! writes version 1.0 headers padded so that the data starts at a multiple of 64 bytes, and int8 arrays in
//! C order, members stored uncompressed; it reads stored and deflated members.

use super::Instance;
use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::model::{Activation, Arch};
use crate::weights::Weights;
use std::io::{Read, Write};
use std::path::Path;

/// The magic of an NPY file.
pub const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";
/// The magic of a zip archive (an `.npz`).
const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";
/// The longest NPY header read (numpy itself refuses headers over 10 000 bytes by default).
const HEADER_MAX: usize = 1 << 16;

/// Whether a file starting with `head` is a numpy file (`.npy` or `.npz`).
pub fn is_numpy(head: &[u8]) -> bool {
    head.starts_with(NPY_MAGIC) || is_npz(head)
}

/// Whether a file starting with `head` is a zip archive (an `.npz`).
pub fn is_npz(head: &[u8]) -> bool {
    head.starts_with(ZIP_MAGIC)
}

/// The element types accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Float,
}

/// An array's header: its element type, order and shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    kind: Kind,
    /// Bytes per element.
    size: usize,
    big_endian: bool,
    /// The `descr` as written, for messages.
    descr: String,
    /// Fortran (column-major) order.
    pub fortran: bool,
    pub shape: Vec<usize>,
    /// Bytes before the first element (magic, version, length and header).
    pub data_offset: u64,
}

impl Header {
    /// Elements in the array (None when the product overflows).
    fn count(&self) -> Option<u64> {
        self.shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
    }

    /// The array's bytes, header included.
    fn total_bytes(&self) -> Option<u64> {
        self.count()?
            .checked_mul(self.size as u64)?
            .checked_add(self.data_offset)
    }

    fn shape_str(&self) -> String {
        match self.shape.as_slice() {
            [d] => format!("({d},)"),
            s => format!(
                "({})",
                s.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A tiny reader of the Python literal in an NPY header.
struct Lit<'a> {
    s: &'a [u8],
    at: usize,
}

impl Lit<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.at).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {:?} at byte {}", c as char, self.at))
        }
    }
    fn string(&mut self) -> std::result::Result<String, String> {
        let q = self.peek().filter(|&c| c == b'\'' || c == b'"');
        let q = q.ok_or_else(|| format!("expected a quoted string at byte {}", self.at))?;
        self.at += 1;
        let start = self.at;
        while let Some(&c) = self.s.get(self.at) {
            if c == q {
                self.at += 1;
                return Ok(String::from_utf8_lossy(&self.s[start..self.at - 1]).into_owned());
            }
            if c == b'\\' {
                return Err("escapes in header strings are not supported".into());
            }
            self.at += 1;
        }
        Err("unterminated string".into())
    }
    fn word(&mut self) -> &[u8] {
        self.skip_ws();
        let start = self.at;
        while self
            .s
            .get(self.at)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.at += 1;
        }
        &self.s[start..self.at]
    }
    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(dims);
            }
            let w = self.word();
            let digits = w.strip_suffix(b"L").unwrap_or(w);
            let d = std::str::from_utf8(digits)
                .ok()
                .filter(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|d| d.parse::<usize>().ok())
                .ok_or_else(|| {
                    format!("shape: {:?} is not a dimension", String::from_utf8_lossy(w))
                })?;
            dims.push(d);
            if !self.eat(b',') {
                self.expect(b')')?;
                return Ok(dims);
            }
        }
    }
}

/// Parses the `descr` of a supported element type: (kind, bytes, big-endian).
fn parse_descr(d: &str) -> Option<(Kind, usize, bool)> {
    let b = d.as_bytes();
    if b.len() < 3 {
        return None;
    }
    let big = match b[0] {
        b'<' | b'|' | b'=' => false,
        b'>' => true,
        _ => return None,
    };
    let (kind, size) = match &d[1..] {
        "b1" => (Kind::Bool, 1),
        "i1" => (Kind::Int, 1),
        "i2" => (Kind::Int, 2),
        "i4" => (Kind::Int, 4),
        "i8" => (Kind::Int, 8),
        "f4" => (Kind::Float, 4),
        "f8" => (Kind::Float, 8),
        _ => return None,
    };
    Some((kind, size, big))
}

/// Reads and checks an NPY header from `r`; `what` names the array in errors.
pub fn read_header<R: Read>(r: &mut R, what: &str) -> Result<Header> {
    let bad = |m: String| Error::input(format!("{what}: {m}"));
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            bad("truncated: the file ends inside the NPY header".into())
        } else {
            bad(format!("cannot read: {e}"))
        }
    };
    let mut pre = [0u8; 8];
    r.read_exact(&mut pre).map_err(io)?;
    if &pre[..6] != NPY_MAGIC {
        return Err(bad(
            "not an NPY array (bad magic; expected \\x93NUMPY)".into()
        ));
    }
    let (major, minor) = (pre[6], pre[7]);
    let (len, offset) = match major {
        1 => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b).map_err(io)?;
            (u16::from_le_bytes(b) as usize, 10)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(io)?;
            (u32::from_le_bytes(b) as usize, 12)
        }
        _ => {
            return Err(bad(format!(
                "NPY format version {major}.{minor} is not supported (this densemc reads 1.0, 2.0 and 3.0)"
            )))
        }
    };
    if len > HEADER_MAX {
        return Err(bad(format!(
            "the NPY header announces {len} bytes, more than the {HEADER_MAX} read"
        )));
    }
    let mut h = vec![0u8; len];
    r.read_exact(&mut h).map_err(io)?;
    let mut lit = Lit { s: &h, at: 0 };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    let parsed = (|| -> std::result::Result<(), String> {
        lit.expect(b'{')?;
        while !lit.eat(b'}') {
            let key = lit.string()?;
            lit.expect(b':')?;
            match key.as_str() {
                "descr" => {
                    if lit.peek() == Some(b'[') {
                        return Err(
                            "a structured dtype is not supported: give a plain array of ±1".into(),
                        );
                    }
                    descr = Some(lit.string()?);
                }
                "fortran_order" => {
                    fortran = Some(match lit.word() {
                        b"True" => true,
                        b"False" => false,
                        w => {
                            return Err(format!(
                                "fortran_order {:?} is not True or False",
                                String::from_utf8_lossy(w)
                            ))
                        }
                    })
                }
                "shape" => shape = Some(lit.tuple()?),
                k => return Err(format!("unknown header key {k:?}")),
            }
            if !lit.eat(b',') {
                lit.expect(b'}')?;
                break;
            }
        }
        if lit.s[lit.at..].iter().any(|c| !c.is_ascii_whitespace()) {
            return Err("text after the header dict".into());
        }
        Ok(())
    })();
    parsed.map_err(|m| bad(format!("bad NPY header: {m}")))?;
    let (Some(descr), Some(fortran), Some(shape)) = (descr, fortran, shape) else {
        return Err(bad(
            "bad NPY header: it needs the keys descr, fortran_order and shape".into(),
        ));
    };
    let (kind, size, big_endian) = parse_descr(&descr).ok_or_else(|| {
        bad(format!(
            "dtype {descr:?} is not supported: use int8 (or int16/32/64, float32/64) with values ±1, or bool"
        ))
    })?;
    Ok(Header {
        kind,
        size,
        big_endian,
        descr,
        fortran,
        shape,
        data_offset: (offset + len) as u64,
    })
}

/// Reads the `count` elements of an array after its header and calls `f(index, ±1)` for each in file
/// order; a value other than ±1 is refused naming its element. Then checks that the stream ends.
fn read_values<R: Read>(
    r: &mut R,
    h: &Header,
    what: &str,
    mut f: impl FnMut(usize, i8),
) -> Result<()> {
    let count = h.count().unwrap_or(u64::MAX) as usize;
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::input(format!(
                "{what}: truncated: shape {} of {} needs {} data bytes",
                h.shape_str(),
                h.descr,
                count as u128 * h.size as u128
            ))
        } else {
            Error::input(format!("{what}: cannot read: {e}"))
        }
    };
    let per = (1 << 16) / h.size;
    let mut buf = vec![0u8; per * h.size];
    let mut done = 0usize;
    while done < count {
        let take = per.min(count - done);
        let bytes = &mut buf[..take * h.size];
        r.read_exact(bytes).map_err(io)?;
        for (j, e) in bytes.chunks_exact(h.size).enumerate() {
            let v = decode(h, e).ok_or_else(|| {
                Error::input(format!(
                    "{what}: element {} is {}, not ±1",
                    index_str(h, done + j),
                    shown(h, e)
                ))
            })?;
            f(done + j, v);
        }
        done += take;
    }
    if r.read(&mut [0u8]).map_err(io)? > 0 {
        return Err(Error::input(format!(
            "{what}: too long: data continues past the {} elements of shape {}",
            count,
            h.shape_str()
        )));
    }
    Ok(())
}

/// The element at flat position `at` in file order, as numpy indices.
fn index_str(h: &Header, at: usize) -> String {
    match (h.shape.as_slice(), h.fortran) {
        ([_, c], false) => format!("[{}, {}]", at / c, at % c),
        ([r, _], true) => format!("[{}, {}]", at % r, at / r),
        _ => format!("[{at}]"),
    }
}

/// An element's bytes in native order.
fn native(h: &Header, e: &[u8]) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..e.len()].copy_from_slice(e);
    if h.big_endian {
        b[..e.len()].reverse();
    }
    b
}

fn as_int(h: &Header, e: &[u8]) -> i64 {
    let b = native(h, e);
    match h.size {
        1 => b[0] as i8 as i64,
        2 => i16::from_le_bytes([b[0], b[1]]) as i64,
        4 => i32::from_le_bytes(b[..4].try_into().unwrap()) as i64,
        _ => i64::from_le_bytes(b),
    }
}

fn as_float(h: &Header, e: &[u8]) -> f64 {
    let b = native(h, e);
    match h.size {
        4 => f32::from_le_bytes(b[..4].try_into().unwrap()) as f64,
        _ => f64::from_le_bytes(b),
    }
}

/// ±1 from an element, or None.
fn decode(h: &Header, e: &[u8]) -> Option<i8> {
    match h.kind {
        Kind::Bool => match e[0] {
            0 => Some(-1),
            1 => Some(1),
            _ => None,
        },
        Kind::Int => match as_int(h, e) {
            1 => Some(1),
            -1 => Some(-1),
            _ => None,
        },
        Kind::Float => {
            let x = as_float(h, e);
            if x == 1.0 {
                Some(1)
            } else if x == -1.0 {
                Some(-1)
            } else {
                None
            }
        }
    }
}

/// A refused element, for the message.
fn shown(h: &Header, e: &[u8]) -> String {
    match h.kind {
        Kind::Bool => format!("the byte {} (a bool is 0 or 1)", e[0]),
        Kind::Int => as_int(h, e).to_string(),
        Kind::Float => as_float(h, e).to_string(),
    }
}

/// Checks an array's length against its header before anything is allocated: `len` is the bytes of the
/// file or zip member, when known.
fn check_len(h: &Header, len: Option<u64>, what: &str) -> Result<()> {
    let need = h
        .total_bytes()
        .ok_or_else(|| Error::input(format!("{what}: shape {} is too large", h.shape_str())))?;
    match len {
        Some(l) if l < need => Err(Error::input(format!(
            "{what}: truncated: shape {} of {} needs {need} bytes, the array has {l}",
            h.shape_str(),
            h.descr
        ))),
        Some(l) if l > need => Err(Error::input(format!(
            "{what}: too long: shape {} of {} needs {need} bytes, the array has {l}",
            h.shape_str(),
            h.descr
        ))),
        _ => Ok(()),
    }
}

/// Reads ξ (shape (P, inputs)) into a new instance of K units with `activation`.
fn read_xi<R: Read>(
    r: &mut R,
    len: Option<u64>,
    what: &str,
    k: usize,
    activation: Activation,
) -> Result<Instance> {
    let h = read_header(r, what)?;
    let &[p, inputs] = h.shape.as_slice() else {
        return Err(Error::input(format!(
            "{what}: shape {} is not 2-D: ξ must have shape (P, inputs), one row per pattern",
            h.shape_str()
        )));
    };
    check_len(&h, len, what)?;
    let n = if activation.is_fully_connected() {
        inputs.saturating_mul(k)
    } else {
        inputs
    };
    let arch = Arch::new(n, k, activation)
        .map_err(|e| Error::input(format!("{what}: shape {}: {e}", h.shape_str())))?;
    let mut inst = Instance::zeroed(arch, p).map_err(|e| Error::input(format!("{what}: {e}")))?;
    let fortran = h.fortran;
    read_values(r, &h, what, |at, v| {
        if v < 0 {
            let (mu, j) = if fortran {
                (at % p, at / p)
            } else {
                (at / inputs, at % inputs)
            };
            inst.set_xi(j, mu, -1);
        }
    })?;
    Ok(inst)
}

/// Reads a vector of shape (len,) of ±1 values; `name` is the symbol for the message.
fn read_vector<R: Read>(
    r: &mut R,
    len: Option<u64>,
    what: &str,
    want: usize,
    name: &str,
) -> Result<Vec<i8>> {
    let h = read_header(r, what)?;
    if h.shape.as_slice() != [want] {
        return Err(Error::input(format!(
            "{what}: shape {} but {name} must have shape ({want},)",
            h.shape_str()
        )));
    }
    check_len(&h, len, what)?;
    let mut out = vec![1i8; want];
    read_values(r, &h, what, |at, v| out[at] = v)?;
    Ok(out)
}

fn set_labels(inst: &mut Instance, sigma: &[i8]) {
    for (mu, &s) in sigma.iter().enumerate() {
        inst.set_sigma(mu, s);
    }
}

fn open(path: &Path) -> Result<(std::io::BufReader<std::fs::File>, Option<u64>)> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
    let meta = f
        .metadata()
        .map_err(|e| Error::io(path, "cannot read", e))?;
    if meta.is_dir() {
        return Err(Error::at(path, None, "is a directory, not a numpy file"));
    }
    let len = meta.is_file().then_some(meta.len());
    Ok((std::io::BufReader::with_capacity(1 << 20, f), len))
}

/// Reads ξ from the `.npy` file `xi` and σ from the `.npy` file `sigma` (see the module docs), for K units
/// with `activation`.
pub fn read_npy(xi: &Path, sigma: &Path, k: usize, activation: Activation) -> Result<Instance> {
    let (mut r, len) = open(xi)?;
    let mut inst = read_xi(&mut r, len, &xi.display().to_string(), k, activation)?;
    let (mut r, len) = open(sigma)?;
    let s = read_vector(
        &mut r,
        len,
        &sigma.display().to_string(),
        inst.p(),
        "σ (one label per row of ξ)",
    )?;
    set_labels(&mut inst, &s);
    Ok(inst)
}

/// Reads the `.npz` archive `path`: the arrays `xi`, `sigma` and, when present, `teacher`.
pub fn read_npz(path: &Path, k: usize, activation: Activation) -> Result<Instance> {
    let (r, _) = open(path)?;
    let bad = |m: String| Error::at(path, None, m);
    let mut zip =
        zip::ZipArchive::new(r).map_err(|e| bad(format!("not a readable .npz archive: {e}")))?;
    let find = |zip: &zip::ZipArchive<_>, name: &str| {
        zip.index_for_name(&format!("{name}.npy"))
            .or_else(|| zip.index_for_name(name))
    };
    let member = |name: &str| format!("{}: array {name}", path.display());
    let (xi, sigma, teacher) = (find(&zip, "xi"), find(&zip, "sigma"), find(&zip, "teacher"));
    let (Some(xi), Some(sigma)) = (xi, sigma) else {
        return Err(bad(
            "an .npz instance needs the arrays xi (P × inputs) and sigma (P), and may hold teacher (N)"
                .into(),
        ));
    };
    let mut inst = {
        let mut m = zip
            .by_index(xi)
            .map_err(|e| bad(format!("array xi: cannot read: {e}")))?;
        let len = Some(m.size());
        read_xi(&mut m, len, &member("xi"), k, activation)?
    };
    let s = {
        let mut m = zip
            .by_index(sigma)
            .map_err(|e| bad(format!("array sigma: cannot read: {e}")))?;
        let len = Some(m.size());
        read_vector(
            &mut m,
            len,
            &member("sigma"),
            inst.p(),
            "σ (one label per row of ξ)",
        )?
    };
    set_labels(&mut inst, &s);
    if let Some(t) = teacher {
        let mut m = zip
            .by_index(t)
            .map_err(|e| bad(format!("array teacher: cannot read: {e}")))?;
        let len = Some(m.size());
        let w = read_vector(
            &mut m,
            len,
            &member("teacher"),
            inst.n(),
            "the teacher W* (N weights)",
        )?;
        inst.set_teacher(Some(Weights::from_signs(&w)))?;
    }
    Ok(inst)
}

/// An int8 array in NPY 1.0 format, C order, its data starting at a multiple of 64 bytes.
pub fn npy_bytes(shape: &[usize], values: impl Iterator<Item = i8>) -> Vec<u8> {
    let dims = match shape {
        [d] => format!("({d},)"),
        s => format!(
            "({})",
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '|i1', 'fortran_order': False, 'shape': {dims}, }}");
    let pad = (64 - (10 + header.len() + 1) % 64) % 64;
    header.extend(std::iter::repeat_n(' ', pad));
    header.push('\n');
    let count: usize = shape.iter().product();
    let mut out = Vec::with_capacity(10 + header.len() + count);
    out.extend_from_slice(NPY_MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(values.map(|v| v as u8));
    out
}

/// Writes the instance as an `.npz` archive (stored members `xi.npy`, `sigma.npy` and, when the instance
/// keeps its teacher, `teacher.npy`; int8 ±1), atomically. The archive is built in memory: one byte per
/// element of ξ.
pub fn write_npz(inst: &Instance, path: &Path) -> Result<()> {
    let (p, inputs) = (inst.p(), inst.inputs());
    // The members and the archive: two bytes per element.
    let bytes = 2 * ((p as u64 + 1) * (inputs as u64 + 1) + inst.n() as u64 + 4096);
    crate::fsio::check_memory(bytes, "the .npz archive")?;
    let mut members = vec![
        (
            "xi.npy",
            npy_bytes(
                &[p, inputs],
                (0..p).flat_map(|mu| (0..inputs).map(move |j| inst.xi(j, mu))),
            ),
        ),
        (
            "sigma.npy",
            npy_bytes(&[p], (0..p).map(|mu| inst.sigma(mu))),
        ),
    ];
    if let Some(t) = inst.teacher() {
        members.push((
            "teacher.npy",
            npy_bytes(&[t.len()], (0..t.len()).map(|i| t.get(i))),
        ));
    }
    let zip_err = |e: zip::result::ZipError| std::io::Error::other(e.to_string());
    write_atomic(path, |w| {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in &members {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .large_file(data.len() as u64 >= u32::MAX as u64);
            z.start_file(*name, opts).map_err(zip_err)?;
            z.write_all(data)?;
        }
        let archive = z.finish().map_err(zip_err)?.into_inner();
        w.write_all(&archive)
    })
}
