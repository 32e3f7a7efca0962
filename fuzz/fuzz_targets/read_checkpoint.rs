//! The checkpoint reader on arbitrary bytes: `run::checkpoint::Checkpoint::parse` must return a one-line
//! error or a checkpoint, never panic or abort; a checkpoint it accepts passes its content checks, is
//! written back and read again with the same replicas, streams and counters.

#![no_main]

use densemc::run::checkpoint::Checkpoint;
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn path() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        std::env::temp_dir().join(format!("densemc-fuzz-checkpoint-{}.ckpt", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    match Checkpoint::parse(data, Path::new("fuzz.ckpt")) {
        Err(e) => assert!(!e.to_string().contains('\n'), "{e}"),
        Ok(c) => {
            assert!(c.resume.sweeps <= c.config.max_sweeps);
            assert!(c.resume.accepted <= c.resume.proposals);
            let p = path();
            c.write(p).expect("cannot write back an accepted checkpoint");
            let again = Checkpoint::read(p).expect("cannot read back a written checkpoint");
            assert_eq!(again.resume, c.resume);
            assert_eq!(again.instance.checksum, c.instance.checksum);
        }
    }
});
