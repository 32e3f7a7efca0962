//! File plumbing shared by every reader and writer: atomic replacement (temp file + rename, stale temporary
//! files of killed runs removed), bounded whole-file reads and the memory check.

use crate::error::{Error, Result};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `path` atomically: the content goes to a temporary file in the same folder, is synced, then
/// renamed over `path`. On any failure the temporary file is removed and `path` is left as it was.
pub fn write_atomic<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
{
    // A symlink is followed (the file it names is replaced, the link stays); a device or FIFO (/dev/stdout,
    // /dev/full, a pipe) cannot be replaced by a rename, so it is written in place.
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = std::fs::canonicalize(path)
                .map_err(|e| Error::io(path, "cannot follow the link", e))?;
            resolved.as_path()
        }
        _ => path,
    };
    if let Ok(m) = std::fs::metadata(path) {
        if !m.is_file() && !m.is_dir() {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| Error::io(path, "cannot open the output", e))?;
            let mut w = BufWriter::new(file);
            return write(&mut w)
                .and_then(|_| w.flush())
                .map_err(|e| Error::io(path, "cannot write the output", e));
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::input(format!("{}: not a file path", path.display())))?;
    remove_stale_temps(&dir, name);
    let tmp = dir.join(temp_name(name));
    let file =
        File::create(&tmp).map_err(|e| Error::io(path, "cannot create the output file", e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let done = write(&mut w)
        .and_then(|_| w.flush())
        .and_then(|_| w.get_ref().sync_all())
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, "cannot write the output file", e));
    }
    Ok(())
}

/// The temporary name of an atomic write of `name` by this process: `.NAME.tmp.PID`.
pub fn temp_name(name: &OsStr) -> OsString {
    let mut t = OsString::from(".");
    t.push(name);
    t.push(format!(".tmp.{}", std::process::id()));
    t
}

/// Removes the temporary files `.NAME.tmp.PID` that an atomic write of `name` in `dir` left when it was
/// killed: those of densemc's own naming whose process is no longer alive.
fn remove_stale_temps(dir: &Path, name: &OsStr) {
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".tmp.");
    let prefix = prefix.as_encoded_bytes();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let f = e.file_name();
        let Some(pid) = f.as_encoded_bytes().strip_prefix(prefix) else {
            continue;
        };
        let pid = std::str::from_utf8(pid)
            .ok()
            .and_then(|p| p.parse::<u32>().ok());
        let alive = |pid: u32| Path::new(&format!("/proc/{pid}")).exists();
        if pid.is_some_and(|p| p != std::process::id() && !alive(p))
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Reads the file at `path` (`what` names it in errors: "the weights file") whole, opened once, so that a
/// pipe works; a file (or stream) of more than `limit` bytes is refused after reading at most that many.
pub fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = File::open(path).map_err(|e| Error::io(path, &format!("cannot open {what}"), e))?;
    let meta = f
        .metadata()
        .map_err(|e| Error::io(path, &format!("cannot read {what}"), e))?;
    if meta.is_dir() {
        return Err(Error::at(path, None, format!("is a directory, not {what}")));
    }
    let too_big = || {
        Error::at(
            path,
            None,
            format!("larger than {}: not {what}", human_bytes(limit)),
        )
    };
    if meta.is_file() && meta.len() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, &format!("cannot read {what}"), e))?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// [`read_bounded`] as UTF-8 text.
pub fn read_text_bounded(path: &Path, limit: u64, what: &str) -> Result<String> {
    String::from_utf8(read_bounded(path, limit, what)?)
        .map_err(|_| Error::at(path, None, format!("not UTF-8 text: not {what}")))
}

/// Memory the OS says is available now (Linux `MemAvailable`), if it can tell.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Refuses a plan that needs more memory than is available, naming what it was for.
pub fn check_memory(bytes: u64, what: &str) -> Result<()> {
    if let Some(avail) = available_memory() {
        if bytes > avail {
            return Err(Error::input(format!(
                "{what} needs {} but only {} is available",
                human_bytes(bytes),
                human_bytes(avail)
            )));
        }
    }
    Ok(())
}

/// 1536 → "1.5 KiB".
pub fn human_bytes(b: u64) -> String {
    const U: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut x = b as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < U.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{x:.1} {}", U[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_keeps_old_file_on_failure() {
        let dir = std::env::temp_dir().join(format!("densemc-fsio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("out.txt");
        write_atomic(&p, |w| w.write_all(b"first")).unwrap();
        let err = write_atomic(&p, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("disk on fire"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "first");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "temporary file left behind"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert!(check_memory(u64::MAX / 2, "a test").is_err() || available_memory().is_none());
    }
}
