//! The one reader of JSON-lines files (sweep results), with one rule for a torn last line.
//!
//! **Rule.** Lines end with `\n` (a `\r` before it is allowed); blank lines are skipped. The bytes after the
//! last newline, when there are any, are the *tail*: a complete record whose newline is missing is kept, any
//! other tail is a line torn by an interrupted write (it may be cut inside a UTF-8 character), skipped and
//! counted in [`Lines::torn_bytes`]. Every other line that is not UTF-8 or not a record is an error naming
//! `path:line`. A prefix of a record's JSON is never itself a record (the object closes at the line's last
//! byte), so the rule loses no complete record.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// One record as read: the value, its text (without the line end) and its 1-based line number.
#[derive(Clone, Debug, PartialEq)]
pub struct Line<T> {
    pub record: T,
    pub text: String,
    pub number: usize,
}

/// A JSON-lines file as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Lines<T> {
    pub lines: Vec<Line<T>>,
    /// Bytes of the torn last line that was skipped (0: none).
    pub torn_bytes: usize,
    /// The last record has no newline (it is complete: a writer appending must add the newline first).
    pub unterminated: bool,
}

impl<T> Lines<T> {
    /// Whether a torn last line was skipped.
    pub fn torn(&self) -> bool {
        self.torn_bytes > 0
    }
}

/// Parses the bytes of a JSON-lines file of `what` records ("sweep result": the errors say "not a sweep
/// result line", "is it a sweep results file?"); `path` names the file in errors.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], path: &Path, what: &str) -> Result<Lines<T>> {
    let mut out = Lines {
        lines: Vec::new(),
        torn_bytes: 0,
        unterminated: false,
    };
    let ends_clean = bytes.last().is_none_or(|&b| b == b'\n');
    let segments: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let last = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate() {
        let tail = i == last && !ends_clean;
        let torn = |out: &mut Lines<T>| out.torn_bytes = seg.len();
        let text = match std::str::from_utf8(seg) {
            Ok(t) => t,
            Err(_) if tail => {
                torn(&mut out);
                continue;
            }
            Err(_) => {
                return Err(Error::at(
                    path,
                    Some(i + 1),
                    format!("not UTF-8 text: is it a {what}s file?"),
                ))
            }
        };
        if text.trim().is_empty() {
            if tail {
                torn(&mut out);
            }
            continue;
        }
        match serde_json::from_str::<T>(text) {
            Ok(record) => {
                out.unterminated = tail;
                out.lines.push(Line {
                    record,
                    text: text.trim_end().to_string(),
                    number: i + 1,
                })
            }
            Err(_) if tail => torn(&mut out),
            Err(e) => {
                return Err(Error::at(
                    path,
                    Some(i + 1),
                    format!("not a {what} line ({e})"),
                ))
            }
        }
    }
    Ok(out)
}

/// The longest line read (a record with the weights of N = 10⁷ is ≈ 20 MB): past it, a file is refused
/// (`/dev/zero`) instead of read whole.
pub const LINE_MAX: usize = 64 << 20;

/// Reads and parses a JSON-lines file ([`parse`]), opened once (a pipe works) and read in chunks, each line
/// at most [`LINE_MAX`] bytes.
pub fn read<T: DeserializeOwned>(path: &Path, what: &str) -> Result<Lines<T>> {
    use std::io::Read;
    let io = |e| Error::io(path, &format!("cannot read the {what}s file"), e);
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut line_start = 0;
    loop {
        let got = match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        let at = bytes.len();
        bytes.extend_from_slice(&chunk[..got]);
        if let Some(i) = bytes[at..].iter().rposition(|&b| b == b'\n') {
            line_start = at + i + 1;
        }
        if bytes.len() - line_start > LINE_MAX {
            let line = bytes[..line_start].iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(Error::at(
                path,
                Some(line),
                format!(
                    "a line longer than {} MiB: is it a {what}s file?",
                    LINE_MAX >> 20
                ),
            ));
        }
    }
    parse(&bytes, path, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(bytes: &[u8]) -> Result<Lines<serde_json::Value>> {
        parse(bytes, Path::new("f.jsonl"), "test result")
    }

    #[test]
    fn one_rule_for_the_tail() {
        let r = p(b"{\"a\":1}\r\n\n  \n{\"a\":2}\n").unwrap();
        assert_eq!((r.lines.len(), r.torn_bytes, r.unterminated), (2, 0, false));
        assert_eq!(
            (r.lines[1].number, r.lines[0].text.as_str()),
            (4, "{\"a\":1}")
        );
        // A complete record without its newline is kept.
        let r = p(b"{\"a\":1}\n{\"a\":2}").unwrap();
        assert_eq!((r.lines.len(), r.torn_bytes, r.unterminated), (2, 0, true));
        // Any other tail is torn: a cut record, a cut UTF-8 character, blanks.
        for (tail, len) in [(&b"{\"a\":"[..], 5), (b"{\"\xce", 3), (b" \r", 2)] {
            let mut b = b"{\"a\":1}\n".to_vec();
            b.extend_from_slice(tail);
            let r = p(&b).unwrap();
            assert_eq!(
                (r.lines.len(), r.torn_bytes, r.unterminated),
                (1, len, false)
            );
        }
        // Elsewhere, a bad line is an error at its line.
        let e = p(b"{\"a\":1}\nnope\n{\"a\":2}").unwrap_err().to_string();
        assert!(e.starts_with("f.jsonl:2: not a test result line"), "{e}");
        let e = p(b"\xff\n").unwrap_err().to_string();
        assert!(
            e.contains("f.jsonl:1: not UTF-8 text: is it a test results file?"),
            "{e}"
        );
        assert_eq!(p(b"").unwrap().lines.len(), 0);
    }
}
