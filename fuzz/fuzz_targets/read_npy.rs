//! The numpy readers on arbitrary bytes: they must return an error or an instance, never panic or abort.
//! An instance they accept must survive a write/read round trip through `.npz` unchanged.
//!
//! Input layout: byte 0 picks the architecture (bits 0–1 the activation in `Activation::ALL` order, bits
//! 2–5 give K − 1) and the container (bit 7: the rest is one `.npz`; else byte 1–2 are the length L of
//! the ξ `.npy` (little-endian), followed by its L bytes and then the σ `.npy`).

#![no_main]

use densemc::instance::{read_npy, read_npz, write_npz, Instance};
use densemc::model::Activation;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn paths() -> &'static [PathBuf; 4] {
    static P: OnceLock<[PathBuf; 4]> = OnceLock::new();
    P.get_or_init(|| {
        let dir = std::env::temp_dir();
        let id = std::process::id();
        ["xi.npy", "sigma.npy", "in.npz", "out.npz"]
            .map(|n| dir.join(format!("densemc-fuzz-npy-{id}-{n}")))
    })
}

fn same(a: &Instance, b: &Instance) -> bool {
    a.arch() == b.arch()
        && a.p() == b.p()
        && a.cols() == b.cols()
        && a.labels() == b.labels()
        && a.teacher() == b.teacher()
        && a.checksum() == b.checksum()
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let activation = Activation::ALL[(head & 3) as usize % Activation::ALL.len()];
    let k = 1 + ((head >> 2) & 15) as usize;
    let [xi, sigma, npz, out] = paths();
    let got = if head & 0x80 != 0 {
        std::fs::write(npz, rest).expect("cannot write the fuzz input file");
        read_npz(npz, k, activation)
    } else {
        if rest.len() < 2 {
            return;
        }
        let l = (u16::from_le_bytes([rest[0], rest[1]]) as usize).min(rest.len() - 2);
        std::fs::write(xi, &rest[2..2 + l]).expect("cannot write the fuzz input file");
        std::fs::write(sigma, &rest[2 + l..]).expect("cannot write the fuzz input file");
        read_npy(xi, sigma, k, activation)
    };
    match got {
        Ok(inst) => {
            assert!(inst.n() > 0 && inst.p() > 0);
            write_npz(&inst, out).expect("cannot write back an accepted instance");
            let again = read_npz(out, inst.k(), inst.activation()).expect("cannot read back");
            assert!(same(&again, &inst), "round trip changed {inst:?} into {again:?}");
        }
        Err(e) => {
            let m = e.to_string();
            assert!(!m.contains('\n'), "a multi-line error: {m}");
        }
    }
});
