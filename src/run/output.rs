//! The output files of one `solve`, created here: the result record (JSON, written atomically) and the
//! per-sweep log (CSV); and [`check_outputs`], the one place every output path of every command goes through
//! before the work starts. (A sweep's results file is the [`super::journal`], a checkpoint is
//! [`super::checkpoint`]; both open their files themselves.)

use crate::error::{Error, Result};
use crate::fsio::{temp_name, write_atomic};
use crate::mc::Progress;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The kind of file an output path receives; an existing file there is replaced (or appended to) only when
/// it is of the same kind, i.e. densemc wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A result record (`solve --out`): a JSON object with a `densemc_version` field.
    Result,
    /// A per-sweep CSV log (`solve --log`), starting `sweep,beta,gamma,`.
    Log,
    /// A checkpoint (`solve --checkpoint`).
    Checkpoint,
    /// A sweep's results file (`sweep --out`, `merge OUT`): JSON lines starting `{"sweep":"`.
    Journal,
    /// An instance (`generate --out`), text or binary.
    Instance,
    /// An SVG or PNG figure (`theory … --svg`): densemc marks its figures with [`FIGURE_MARK`].
    Figure,
}

/// The comment densemc puts right after the opening `<svg …>` tag of every figure it writes (and in a PNG's
/// `Comment` text chunk), so that it can tell its own figures from other files.
pub const FIGURE_MARK: &str = "<!-- written by densemc -->";

impl Kind {
    fn what(self) -> &'static str {
        match self {
            Kind::Result => "densemc result record",
            Kind::Log => "densemc sweep log",
            Kind::Checkpoint => "densemc checkpoint",
            Kind::Journal => "densemc sweep results file",
            Kind::Instance => "densemc instance",
            Kind::Figure => "densemc figure",
        }
    }

    /// Whether the start of a file (at most [`SNIFF_BYTES`]; `whole` when that is the whole file) shows it
    /// is of this kind.
    fn recognises(self, head: &[u8], whole: bool) -> bool {
        match self {
            Kind::Result => {
                whole
                    && serde_json::from_slice::<serde_json::Value>(head)
                        .is_ok_and(|v| v.get("densemc_version").is_some())
            }
            Kind::Log => head.starts_with(b"sweep,beta,gamma,"),
            Kind::Checkpoint => head.starts_with(b"{\"format\":\"densemc-checkpoint\""),
            // A file holding only a torn first line is a prefix of a record.
            Kind::Journal => {
                let start = b"{\"sweep\":\"";
                head.starts_with(start) || (whole && start.starts_with(head))
            }
            Kind::Instance => {
                head.starts_with(b"densemc-instance ") || head.starts_with(crate::instance::MAGIC)
            }
            Kind::Figure => {
                let mark = FIGURE_MARK.as_bytes();
                head.len() >= mark.len()
                    && head[..head.len().min(4096)]
                        .windows(mark.len())
                        .any(|w| w == mark)
            }
        }
    }
}

/// How much of an existing file is read to recognise it (a result record is read whole up to this size).
const SNIFF_BYTES: u64 = 64 << 20;

/// One output of a command: the path as given and what it receives.
pub struct Output<'a> {
    pub path: &'a Path,
    pub kind: Kind,
    /// The flag that names it, for the errors (`--out`).
    pub flag: &'a str,
}

/// Checks every output path before the work starts, so that nothing is lost at the end and no file that is
/// not densemc's is changed: the folder exists and files can be created in it (with the temporary name
/// `.NAME.tmp.PID` of the atomic writes), a symbolic link leads somewhere, an existing file is of the
/// output's kind, no output is also an input (`inputs`: flag and path) or another output. A device or FIFO
/// is written in place (a results file or checkpoint must be a regular file).
pub fn check_outputs(outputs: &[Output], inputs: &[(&str, &Path)]) -> Result<()> {
    let mut seen: Vec<(&str, PathBuf, Option<(u64, u64)>)> = Vec::new();
    for o in outputs {
        let (resolved, id) = check_output(o, inputs)?;
        let err = |m: String| Error::input(format!("{} {}: {m}", o.flag, o.path.display()));
        for (flag, r, other) in &seen {
            if *r == resolved || (id.is_some() && id == *other) {
                return Err(err(format!("is also the output of {flag}")));
            }
        }
        seen.push((o.flag, resolved, id));
    }
    Ok(())
}

/// Checks one output path; returns the path it resolves to and, when it exists, its device and inode.
fn check_output(o: &Output, inputs: &[(&str, &Path)]) -> Result<(PathBuf, Option<(u64, u64)>)> {
    let path = o.path;
    let err = |m: String| Error::input(format!("{} {}: {m}", o.flag, path.display()));
    let link = std::fs::symlink_metadata(path).ok();
    let meta = std::fs::metadata(path).ok();
    if link.as_ref().is_some_and(|l| l.file_type().is_symlink()) && meta.is_none() {
        return Err(err(
            "is a symbolic link to a file that does not exist (or cannot be reached)".into(),
        ));
    }
    let resolved = match &meta {
        Some(_) => std::fs::canonicalize(path).map_err(|e| Error::io(path, "cannot resolve", e))?,
        None => path.to_path_buf(),
    };
    let name = resolved
        .file_name()
        .ok_or_else(|| err("is not a file name".into()))?;
    let dir = match resolved.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Some(m) = &meta {
        for (flag, p) in inputs {
            if std::fs::metadata(p).is_ok_and(|i| (i.dev(), i.ino()) == (m.dev(), m.ino())) {
                return Err(err(format!(
                    "is the same file as the input {flag} {}: it would be overwritten",
                    p.display()
                )));
            }
        }
        if m.is_dir() {
            return Err(err("is a directory".into()));
        }
        if !m.is_file() {
            if matches!(o.kind, Kind::Journal | Kind::Checkpoint) {
                return Err(err(format!(
                    "is not a regular file (a {} must be one)",
                    o.kind.what()
                )));
            }
            return Ok((resolved, Some((m.dev(), m.ino()))));
        }
        if m.len() > 0 {
            let mut head = Vec::new();
            File::open(&resolved)
                .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
                .map_err(|e| Error::io(path, "cannot read the existing file", e))?;
            if !o.kind.recognises(&head, (head.len() as u64) == m.len()) {
                return Err(err(format!(
                    "exists and is not a {}: it is left as it is (remove it or choose another name)",
                    o.kind.what()
                )));
            }
        }
    }
    match std::fs::metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(err(format!("{} is not a directory", dir.display()))),
        Err(_) => {
            return Err(err(format!(
                "the directory {} does not exist",
                dir.display()
            )))
        }
    }
    // The name must fit with the temporary suffix, and the folder must take new files.
    let probe = dir.join(temp_name(name));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(err(format!(
                "cannot create files there ({}; the temporary file is named {})",
                short_io(&e),
                probe.file_name().unwrap_or_default().to_string_lossy()
            )))
        }
    }
    Ok((resolved, meta.map(|m| (m.dev(), m.ino()))))
}

/// Checks an output folder (`--out-dir`) before the work: it is a directory that takes new files, or it
/// does not exist yet and its nearest existing ancestor is a directory (it is created at the end).
pub fn check_out_dir(dir: &Path, flag: &str) -> Result<()> {
    let err = |m: String| Error::input(format!("{flag} {}: {m}", dir.display()));
    let mut at = dir;
    loop {
        match std::fs::metadata(at) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => return Err(err(format!("{} is not a directory", at.display()))),
            Err(_) if std::fs::symlink_metadata(at).is_ok() => {
                return Err(err(format!("{} is a dangling symbolic link", at.display())))
            }
            Err(_) => match at.parent() {
                Some(p) if !p.as_os_str().is_empty() => at = p,
                _ => return Ok(()),
            },
        }
    }
    if at == dir {
        let probe = dir.join(temp_name(std::ffi::OsStr::new("densemc-probe")));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(|e| err(format!("cannot create files there ({})", short_io(&e))))?;
        let _ = std::fs::remove_file(&probe);
    }
    Ok(())
}

fn short_io(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Writes `v` as pretty JSON and a newline to `path`, atomically.
pub fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let json = serde_json::to_string_pretty(v).expect("a record serialises");
    write_atomic(path, |w| {
        w.write_all(json.as_bytes())
            .and_then(|_| w.write_all(b"\n"))
    })
}

/// [`write_json`], and when that fails, the record goes to a fallback file next to `path`
/// (`NAME.rescued.PID`) or, failing that, to stderr: the work is not lost. The error says where it went.
pub fn write_json_or_rescue<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let Err(e) = write_json(path, v) else {
        return Ok(());
    };
    let rescue = path.with_file_name(format!(
        "{}.rescued.{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let put = if write_json(&rescue, v).is_ok() {
        format!("the result was written to {} instead", rescue.display())
    } else {
        let json = serde_json::to_string_pretty(v).expect("a record serialises");
        let _ = writeln!(std::io::stderr(), "{json}");
        "the result is printed on stderr above".to_string()
    };
    Err(Error::Io(format!("{e}; {put}")))
}

/// The per-sweep log of a run: one CSV row per sweep, `sweep,beta,gamma,E_0,…,E_{y−1},E_centre,overlap`.
pub struct SweepLog {
    path: PathBuf,
    w: BufWriter<File>,
}

impl SweepLog {
    /// Creates the log (with its header, for `replicas` replicas); for a run resumed from a checkpoint
    /// taken after sweep `resumed_at`, keeps an existing log's rows up to that sweep (a checkpoint is
    /// written after its sweep's row) and cuts the rest, which the resumed run writes again.
    pub fn open(path: &Path, replicas: usize, resumed_at: Option<u64>) -> Result<SweepLog> {
        let reps: Vec<String> = (0..replicas).map(|r| format!("E_{r}")).collect();
        let header = format!("sweep,beta,gamma,{},E_centre,overlap", reps.join(","));
        let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
        let append = resumed_at.is_some() && regular;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .read(regular)
            .write(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(path, "cannot create the log", e))?;
        let keep = match (append, resumed_at) {
            (true, Some(at)) => Some(Self::rows_up_to(&mut f, path, &header, at)?),
            _ => None,
        };
        if regular {
            f.set_len(keep.unwrap_or(0))
                .and_then(|_| f.seek(std::io::SeekFrom::End(0)).map(|_| ()))
                .map_err(|e| Error::io(path, "cannot cut the log", e))?;
        }
        let mut log = SweepLog {
            path: path.to_path_buf(),
            w: BufWriter::new(f),
        };
        if keep.is_none_or(|k| k == 0) {
            log.line(&header)?;
        }
        Ok(log)
    }

    /// The length of the log's header and complete rows of sweeps ≤ `at` (0 for an empty file).
    fn rows_up_to(f: &mut File, path: &Path, header: &str, at: u64) -> Result<u64> {
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, "cannot read the log", e))?;
        if bytes.is_empty() {
            return Ok(0);
        }
        let bad = |m: String| Error::at(path, None, m);
        let mut lines = bytes.split_inclusive(|&b| b == b'\n');
        let first = lines.next().unwrap_or_default();
        if first.strip_suffix(b"\n") != Some(header.as_bytes()) {
            return Err(bad(format!(
                "the log's header is not {header:?}: it belongs to another run"
            )));
        }
        let mut keep = first.len();
        let mut last = 0;
        for l in lines {
            let Some(row) = l.strip_suffix(b"\n") else {
                break; // a torn last row
            };
            let sweep = std::str::from_utf8(row)
                .ok()
                .and_then(|r| r.split(',').next())
                .and_then(|s| s.parse::<u64>().ok());
            match sweep {
                Some(s) if s <= at => {
                    keep += l.len();
                    last = s;
                }
                _ => break,
            }
        }
        if last != at && at > 0 {
            return Err(bad(format!(
                "the log ends at sweep {last}, the checkpoint after sweep {at}: rows are missing (give a new --log)"
            )));
        }
        Ok(keep as u64)
    }

    /// Appends the row of one sweep.
    pub fn row(&mut self, p: &Progress) -> Result<()> {
        let es: Vec<String> = p.energies.iter().map(|e| e.to_string()).collect();
        let c = p.centre_energy.map_or(String::new(), |c| c.to_string());
        let q = p.overlap.map_or(String::new(), |q| format!("{q:.6}"));
        let row = format!(
            "{},{},{},{},{},{}",
            p.sweep,
            p.beta,
            p.gamma,
            es.join(","),
            c,
            q
        );
        self.line(&row)
    }

    /// Writes out what is buffered (before a checkpoint, so that the log holds its rows).
    pub fn flush(&mut self) -> Result<()> {
        let path = &self.path;
        self.w
            .flush()
            .map_err(|e| Error::io(path, "cannot write the log", e))
    }

    /// Writes out what is buffered.
    pub fn finish(mut self) -> Result<()> {
        self.flush()
    }

    fn line(&mut self, s: &str) -> Result<()> {
        writeln!(self.w, "{s}").map_err(|e| Error::io(&self.path, "cannot write the log", e))
    }
}

/// The list of the files densemc wrote into an output folder, kept in the folder itself.
pub const OUT_DIR_LIST: &str = ".densemc-files";

/// Writes a command's tables and figures into an output folder (`--out-dir`, created if needed). A file
/// already there is replaced only when densemc wrote it: its name is in the folder's list
/// ([`OUT_DIR_LIST`], one name a line), or it is one of densemc's figures. All files are checked before the
/// first is written, so a refusal changes nothing; each is then written atomically and added to the list.
pub fn write_out_dir<T: AsRef<[u8]>>(dir: &Path, files: &[(String, T)]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(dir, "cannot create the output folder", e))?;
    let list_path = dir.join(OUT_DIR_LIST);
    let listed = match std::fs::metadata(&list_path) {
        Ok(_) => {
            crate::fsio::read_text_bounded(&list_path, 1 << 20, "the list of densemc's files")?
        }
        Err(_) => String::new(),
    };
    let mut names: Vec<String> = listed.lines().map(str::to_string).collect();
    for (name, _) in files {
        let p = dir.join(name);
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let ours = names.iter().any(|n| n == name)
            || ((name.ends_with(".svg") || name.ends_with(".png")) && m.is_file() && {
                let mut head = Vec::new();
                File::open(&p)
                    .and_then(|f| f.take(4096).read_to_end(&mut head))
                    .is_ok()
                    && Kind::Figure.recognises(&head, false)
            });
        if !m.is_file() || !ours {
            return Err(Error::input(format!(
                "{}: exists and was not written by densemc: it is left as it is (move it, or choose another output folder)",
                p.display()
            )));
        }
    }
    let mut out = Vec::new();
    for (name, text) in files {
        let p = dir.join(name);
        write_atomic(&p, |w| w.write_all(text.as_ref()))?;
        out.push(p);
        if !names.iter().any(|n| n == name) {
            names.push(name.clone());
            let list = names.join("\n") + "\n";
            write_atomic(&list_path, |w| w.write_all(list.as_bytes()))?;
        }
    }
    Ok(out)
}
