//! Trajectory pins: fixed `solve` runs whose results were recorded from `main` before the house was
//! reshaped (commit be39ca7). Every flag that shapes the run is explicit, so a later change of defaults does
//! not move them; a change of the Monte Carlo that alters trajectories must change these on purpose (and say
//! so in its commit). The weight strings are compared through their 64-bit FNV-1a hash.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

/// What one pinned run must give.
struct Pin {
    name: &'static str,
    args: &'static str,
    weights_fnv: u64,
    centre_fnv: Option<u64>,
    energy: u64,
    sweeps: u64,
    proposals: u64,
    accepted: u64,
    replica_energies: &'static [u64],
}

const LINEAR: &str = "--energy linear --beta0 0.5 --beta1 5 --gamma0 0.1 --gamma1 10 --beta-scaling sqrt \
                      --max-sweeps 20000";
const ERRORS: &str = "--energy errors --beta0 1 --beta1 5 --gamma0 0.1 --gamma1 10 --beta-scaling sqrt \
                      --max-sweeps 20000";

const PINS: &[Pin] = &[
    Pin {
        name: "rsa, 1 thread",
        args: "--n 1001 --alpha 0.55 --seed 11 --algo rsa -y 7 --threads 1 LINEAR",
        weights_fnv: 0xbb5f6d93e472d55a,
        centre_fnv: Some(0xfaae5a24dfcb5eea),
        energy: 0,
        sweeps: 8591,
        proposals: 60194092,
        accepted: 1053570,
        replica_energies: &[15, 8, 6, 7, 0, 11, 11],
    },
    Pin {
        name: "rsa, 2 threads",
        args: "--n 1001 --alpha 0.55 --seed 11 --algo rsa -y 7 --threads 2 LINEAR",
        weights_fnv: 0xbb5f6d93e472d55a,
        centre_fnv: Some(0xfaae5a24dfcb5eea),
        energy: 0,
        sweeps: 8591,
        proposals: 60194092,
        accepted: 1053570,
        replica_energies: &[15, 8, 6, 7, 0, 11, 11],
    },
    Pin {
        name: "rsa, shared visit",
        args: "--n 1001 --alpha 0.55 --seed 11 --algo rsa -y 7 --threads 1 --visit shared LINEAR",
        weights_fnv: 0x9d28398ee7ccccf6,
        centre_fnv: Some(0x76130de6f6e1e2e6),
        energy: 0,
        sweeps: 8565,
        proposals: 60010659,
        accepted: 1049377,
        replica_energies: &[10, 0, 6, 9, 3, 11, 9],
    },
    Pin {
        name: "sa",
        args: "--n 1001 --alpha 0.55 --seed 11 --algo sa --threads 1 LINEAR",
        weights_fnv: 0x18eceb4e146f048a,
        centre_fnv: None,
        energy: 13,
        sweeps: 20000,
        proposals: 20020000,
        accepted: 122209,
        replica_energies: &[13],
    },
    Pin {
        name: "sign K = 3",
        args: "--n 999 --k 3 --activation sign --alpha 0.35 --seed 11 --algo rsa -y 7 --threads 1 ERRORS",
        weights_fnv: 0xb06f97caecfa230c,
        centre_fnv: Some(0x6f64dc3491a9bd7a),
        energy: 0,
        sweeps: 9746,
        proposals: 68148651,
        accepted: 5972452,
        replica_energies: &[11, 11, 9, 6, 8, 8, 0],
    },
    Pin {
        name: "relu K = 4",
        args: "--n 1000 --k 4 --activation relu --alpha 0.3 --seed 11 --algo rsa -y 7 --threads 1 ERRORS",
        weights_fnv: 0x171f45faf968077b,
        centre_fnv: Some(0xa433b6fa4a0a4109),
        energy: 0,
        sweeps: 9287,
        proposals: 65007901,
        accepted: 6502017,
        replica_energies: &[10, 9, 11, 11, 10, 9, 0],
    },
    Pin {
        name: "relu K = 8, explicit centre",
        args: "--n 1008 --k 8 --activation relu --alpha 0.3 --seed 11 --algo rsa -y 7 --threads 1 \
               --centre explicit ERRORS",
        weights_fnv: 0x14ebb658d7b5b52b,
        centre_fnv: Some(0xf0372fc0bdaf6829),
        energy: 0,
        sweeps: 9362,
        proposals: 66058191,
        accepted: 6837239,
        replica_energies: &[9, 13, 0, 12, 8, 13, 6],
    },
];

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn run_pin(pin: &Pin, dir: &std::path::Path) -> serde_json::Value {
    let out = dir.join(format!("{}.json", fnv1a(pin.name)));
    let args: Vec<String> = pin
        .args
        .split_whitespace()
        .flat_map(|a| match a {
            "LINEAR" => LINEAR.split_whitespace().map(String::from).collect(),
            "ERRORS" => ERRORS.split_whitespace().map(String::from).collect(),
            a => vec![a.to_string()],
        })
        .collect();
    let o = Command::new(BIN)
        .arg("solve")
        .args(&args)
        .arg("--quiet")
        .arg("--out")
        .arg(&out)
        .env_remove("DENSEMC_PATH")
        .output()
        .expect("cannot run densemc");
    assert!(
        o.status.success(),
        "{}: densemc solve {args:?} failed: {}",
        pin.name,
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

#[test]
fn pinned_trajectories_are_unchanged() {
    let dir = std::env::temp_dir().join(format!("densemc-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut wrong = Vec::new();
    for pin in PINS {
        let r = run_pin(pin, &dir);
        let u = |k: &str| r[k].as_u64().unwrap_or_else(|| panic!("{}: no {k}", pin.name));
        let got = (
            fnv1a(r["weights"].as_str().unwrap()),
            r["centre"]["weights"].as_str().map(fnv1a),
            u("energy"),
            u("sweeps"),
            u("proposals"),
            u("accepted"),
            r["replica_energies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_u64().unwrap())
                .collect::<Vec<_>>(),
        );
        let want = (
            pin.weights_fnv,
            pin.centre_fnv,
            pin.energy,
            pin.sweeps,
            pin.proposals,
            pin.accepted,
            pin.replica_energies.to_vec(),
        );
        if got != want {
            wrong.push(format!("{}: got {got:x?}, want {want:x?}", pin.name));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(wrong.is_empty(), "trajectories moved:\n{}", wrong.join("\n"));
}
