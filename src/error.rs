//! The one error type of densemc: every failure the user can cause is a one-line message.

use std::fmt;
use std::path::Path;

/// What went wrong, with a message fit for one line of stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Bad input: a malformed file, an impossible size, a bad option value. Exit code 2.
    Input(String),
    /// A file could not be read or written. Exit code 2.
    Io(String),
    /// A from-scratch re-verification disagreed with the fast code: a bug in densemc. Exit code 3.
    Bug(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(msg: impl Into<String>) -> Self {
        Error::Input(msg.into())
    }

    /// An input error located in a file, at a line when known: `FILE:LINE: msg`.
    pub fn at(path: &Path, line: Option<usize>, msg: impl fmt::Display) -> Self {
        match line {
            Some(l) => Error::Input(format!("{}:{l}: {msg}", path.display())),
            None => Error::Input(format!("{}: {msg}", path.display())),
        }
    }

    /// An I/O error on `path` while doing `what` (e.g. "cannot read").
    pub fn io(path: &Path, what: &str, e: std::io::Error) -> Self {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => " (no such file or directory)".to_string(),
            std::io::ErrorKind::PermissionDenied => " (permission denied)".to_string(),
            _ if e.raw_os_error() == Some(28) => " (no space left on device)".to_string(),
            _ => format!(" ({e})"),
        };
        Error::Io(format!("{}: {what}{hint}", path.display()))
    }

    /// The same error with `what` (a flag, a file) put in front: `what: msg`. A bug stays as it is.
    pub fn context(self, what: impl fmt::Display) -> Self {
        match self {
            Error::Input(m) => Error::Input(format!("{what}: {m}")),
            Error::Io(m) => Error::Io(format!("{what}: {m}")),
            Error::Bug(m) => Error::Bug(m),
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Io(_) => 2,
            Error::Bug(_) => 3,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Error::Input(s) | Error::Io(s) => s.as_str(),
            Error::Bug(s) => {
                return write!(
                    f,
                    "internal check failed (a bug in densemc, please report it): {s}"
                )
            }
        };
        // Keep it to one line whatever the source said.
        f.write_str(&s.replace('\n', " "))
    }
}

impl std::error::Error for Error {}
