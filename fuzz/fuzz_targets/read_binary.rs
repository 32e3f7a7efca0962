//! `read_binary` on arbitrary bytes: it must return an error or an instance, never panic or abort.
//! An instance it accepts must survive a write/read round trip unchanged.

#![no_main]

use densemc::instance::{read_binary, write_binary, Instance};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn paths() -> &'static (PathBuf, PathBuf) {
    static P: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    P.get_or_init(|| {
        let dir = std::env::temp_dir();
        let id = std::process::id();
        (
            dir.join(format!("densemc-fuzz-binary-{id}.bin")),
            dir.join(format!("densemc-fuzz-binary-{id}-out.bin")),
        )
    })
}

/// Equal content and origin, with NaN α equal to NaN α (the origin is metadata copied as is).
fn same(a: &Instance, b: &Instance) -> bool {
    let origin = match (a.origin(), b.origin()) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            (x.alpha == y.alpha || (x.alpha.is_nan() && y.alpha.is_nan()))
                && x.seed == y.seed
                && x.teacher == y.teacher
        }
        _ => false,
    };
    origin
        && a.arch() == b.arch()
        && a.p() == b.p()
        && a.cols() == b.cols()
        && a.labels() == b.labels()
        && a.checksum() == b.checksum()
}

fuzz_target!(|data: &[u8]| {
    let (input, output) = paths();
    std::fs::write(input, data).expect("cannot write the fuzz input file");
    if let Ok(inst) = read_binary(data, Some(data.len() as u64), input) {
        assert!(inst.n() > 0 && inst.p() > 0);
        write_binary(&inst, output).expect("cannot write back an accepted instance");
        let again = Instance::read(output).expect("cannot read back a written instance");
        assert!(
            same(&again, &inst),
            "round trip changed {inst:?} into {again:?}"
        );
    }
});
