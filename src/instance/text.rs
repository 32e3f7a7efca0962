//! The text instance format, for interchange with other tools.
//!
//! ```text
//! densemc-instance v1 n=<N> p=<P> k=<K> activation=<perceptron|sign|relu|fc-sign>
//! # comment lines (starting with '#') may follow anywhere after line 1
//! +-+--+…+ -        ← P lines: the inputs ξ_1..ξ_N as '+'/'-' (unit 0's block first), a space, σ
//! ```
//! `n` is always N, the number of weights (α = P/N counts them). For the fully connected committee
//! (`activation=fc-sign`) a pattern line holds the n = N/K inputs that every hidden unit sees.
//! densemc writes a comment `# origin alpha=<α> seed=<S> teacher=<true|false>` when it generated the
//! instance, and reads it back when present. A teacher–student instance may keep its teacher W* in a comment
//! `# teacher <N '+'/'-' characters>` (weights in network order, as in a result's `weights`); readers that
//! do not know it skip it as a comment. Any other comment is ignored.

use super::{Instance, Origin};
use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::model::{Activation, Arch};
use crate::weights::Weights;
use std::io::{BufRead, Read, Write};
use std::path::Path;

const HEADER_HELP: &str =
    "expected the header 'densemc-instance v1 n=<N> p=<P> k=<K> activation=<perceptron|sign|relu|fc-sign>'";

fn parse_header(line: &str, path: &Path) -> Result<(usize, usize, usize, Activation)> {
    let err = |m: String| Error::at(path, Some(1), m);
    let t: Vec<&str> = line.split_whitespace().collect();
    if t.len() != 6 || t[0] != "densemc-instance" {
        return Err(err(HEADER_HELP.to_string()));
    }
    if t[1] != "v1" {
        return Err(err(format!(
            "format version {:?} is not supported (this densemc reads v1)",
            t[1]
        )));
    }
    let field = |tok: &str, key: &str| -> Result<String> {
        tok.strip_prefix(key)
            .and_then(|v| v.strip_prefix('='))
            .map(str::to_string)
            .ok_or_else(|| err(format!("field {:?}: {HEADER_HELP}", tok)))
    };
    let num = |tok: &str, key: &str| -> Result<usize> {
        let v = field(tok, key)?;
        v.parse()
            .map_err(|_| err(format!("field {key}={v:?} is not a non-negative integer")))
    };
    let n = num(t[2], "n")?;
    let p = num(t[3], "p")?;
    let k = num(t[4], "k")?;
    let a = field(t[5], "activation")?;
    let act = Activation::parse(&a).ok_or_else(|| {
        err(format!(
            "activation={a:?}: use perceptron, sign, relu or fc-sign"
        ))
    })?;
    Ok((n, p, k, act))
}

fn parse_origin(line: &str) -> Option<Origin> {
    let rest = line.strip_prefix("# origin ")?;
    let (mut alpha, mut seed, mut teacher) = (None, None, None);
    for tok in rest.split_whitespace() {
        let (k, v) = tok.split_once('=')?;
        match k {
            "alpha" => alpha = v.parse().ok(),
            "seed" => seed = v.parse().ok(),
            "teacher" => teacher = v.parse().ok(),
            _ => {}
        }
    }
    Some(Origin {
        alpha: alpha?,
        seed: seed?,
        teacher: teacher?,
    })
}

/// The longest header line read (the header is one short line: a file without a newline is refused after
/// this many bytes, not read whole).
const HEADER_MAX: u64 = 4096;

/// Reads a text instance from `r` (the file `path`, of `len` bytes when it is a regular file), with an error
/// naming the file and line for anything malformed. Lines are read with a length limit.
pub fn read_text<R: BufRead>(mut r: R, len: Option<u64>, path: &Path) -> Result<Instance> {
    let file_len = len.unwrap_or(u64::MAX);
    let mut buf = Vec::new();
    let read_line = |r: &mut R, buf: &mut Vec<u8>, max: u64, line: usize| -> Result<usize> {
        buf.clear();
        let got = r
            .by_ref()
            .take(max)
            .read_until(b'\n', buf)
            .map_err(|e| Error::io(path, "cannot read the instance", e))?;
        if got as u64 == max && buf.last() != Some(&b'\n') {
            return Err(Error::at(
                path,
                Some(line),
                format!("line longer than {max} bytes: not a densemc instance of the size its header announces"),
            ));
        }
        Ok(got)
    };
    if read_line(&mut r, &mut buf, HEADER_MAX, 1)? == 0 {
        return Err(Error::at(
            path,
            None,
            "the file is empty; expected a densemc instance",
        ));
    }
    let header = std::str::from_utf8(&buf)
        .map_err(|_| Error::at(path, Some(1), HEADER_HELP))?
        .trim_end()
        .to_string();
    let (n, p, k, act) = parse_header(&header, path)?;
    let arch = Arch::new(n, k, act).map_err(|e| Error::at(path, Some(1), e))?;
    // Each pattern line takes at least inputs+2 bytes: a short file is truncated, and we say so before
    // allocating.
    let n = arch.inputs();
    let need = (p as u128) * (n as u128 + 2);
    if (file_len as u128) < need {
        return Err(Error::at(
            path,
            None,
            format!("truncated: the header announces P={p} patterns of {n} inputs (≥ {need} bytes) but the file has {file_len} bytes"),
        ));
    }
    let mut inst = Instance::zeroed(arch, p).map_err(|e| Error::at(path, Some(1), e))?;
    let mut mu = 0usize;
    let mut line_no = 1usize;
    // A pattern line with its line end, or the teacher line; comments may be longer.
    let line_max = (n.max(arch.n) as u64 + 16).max(HEADER_MAX);
    loop {
        let got = read_line(&mut r, &mut buf, line_max, line_no + 1)?;
        if got == 0 {
            break;
        }
        line_no += 1;
        let mut line: &[u8] = &buf;
        while let Some((&last, rest)) = line.split_last() {
            if last == b'\n' || last == b'\r' {
                line = rest;
            } else {
                break;
            }
        }
        if line.first() == Some(&b'#') {
            if let Some(t) = line.strip_prefix(b"# teacher ") {
                let t = std::str::from_utf8(t).unwrap_or("?");
                let w = Weights::parse_pm(t.trim_end(), arch.n, "the teacher line")
                    .map_err(|e| Error::at(path, Some(line_no), e))?;
                inst.set_teacher(Some(w))?;
            } else if let Some(o) = std::str::from_utf8(line).ok().and_then(parse_origin) {
                inst.set_origin(Some(o));
            }
            continue;
        }
        if mu == p {
            if line.iter().all(|c| c.is_ascii_whitespace()) {
                continue;
            }
            return Err(Error::at(
                path,
                Some(line_no),
                format!("more pattern lines than the header's p={p}"),
            ));
        }
        // A character that is not ASCII (a '−', U+2212) is named as the character, not as its first byte.
        if let Some(at) = line.iter().position(|c| !c.is_ascii()) {
            let column = String::from_utf8_lossy(&line[..at]).chars().count() + 1;
            let end = (at + 4).min(line.len());
            let c = String::from_utf8_lossy(&line[at..end])
                .chars()
                .next()
                .unwrap_or('?');
            return Err(Error::at(
                path,
                Some(line_no),
                format!(
                    "column {column}: {c:?} (U+{:04X}) is not '+' or '-'",
                    c as u32
                ),
            ));
        }
        if line.len() != n + 2 || line[n] != b' ' {
            return Err(Error::at(
                path,
                Some(line_no),
                format!("expected {n} '+'/'-' characters, a space and the label '+' or '-' ({} bytes), found {} bytes", n + 2, line.len()),
            ));
        }
        for (i, &c) in line[..n].iter().enumerate() {
            match c {
                b'+' => {}
                b'-' => inst.set_xi(i, mu, -1),
                _ => {
                    return Err(Error::at(
                        path,
                        Some(line_no),
                        format!("column {}: {:?} is not '+' or '-'", i + 1, c as char),
                    ))
                }
            }
        }
        match line[n + 1] {
            b'+' => {}
            b'-' => inst.set_sigma(mu, -1),
            c => {
                return Err(Error::at(
                    path,
                    Some(line_no),
                    format!("label {:?} is not '+' or '-'", c as char),
                ))
            }
        }
        mu += 1;
    }
    if mu < p {
        return Err(Error::at(
            path,
            None,
            format!("truncated: the header announces p={p} patterns, the file has {mu}"),
        ));
    }
    Ok(inst)
}

/// Writes the text format atomically.
pub fn write_text(inst: &Instance, path: &Path) -> Result<()> {
    write_atomic(path, |w| {
        writeln!(
            w,
            "densemc-instance v1 n={} p={} k={} activation={}",
            inst.n(),
            inst.p(),
            inst.k(),
            inst.activation()
        )?;
        if let Some(o) = inst.origin() {
            writeln!(
                w,
                "# origin alpha={} seed={} teacher={}",
                o.alpha, o.seed, o.teacher
            )?;
        }
        if let Some(t) = inst.teacher() {
            writeln!(w, "# teacher {}", t.to_pm())?;
        }
        let n = inst.inputs();
        let mut line = vec![0u8; n + 3];
        line[n] = b' ';
        line[n + 2] = b'\n';
        for mu in 0..inst.p() {
            for (i, c) in line[..n].iter_mut().enumerate() {
                *c = if inst.xi(i, mu) > 0 { b'+' } else { b'-' };
            }
            line[n + 1] = if inst.sigma(mu) > 0 { b'+' } else { b'-' };
            w.write_all(&line)?;
        }
        Ok(())
    })
}
