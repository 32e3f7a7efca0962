//! File plumbing shared by every writer: atomic replacement (temp file + rename) and the memory check.

use crate::error::{Error, Result};
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
    let tmp = dir.join(format!(
        ".{}.tmp.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
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
                "{what} needs {} but only {} is available: use smaller N or α",
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
