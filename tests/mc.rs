//! Samplers: reproducibility across thread counts, consistency of the replicas after a run, and solutions
//! that the reference evaluator confirms.

use densemc::bits::Kernels;
use densemc::mc::ensemble::majority;
use densemc::mc::{
    self, Centre, EnergyKind, Ensemble, Order, Ramp, Replica, Schedule, State, Visit,
};
use densemc::model::{self, reference};
use densemc::model::{Activation, Arch};
use densemc::rng;
use densemc::solve::{solve, Algo, Config};
use densemc::weights::Weights;

fn cfg(
    algo: Algo,
    energy: EnergyKind,
    sweeps: u64,
    threads: usize,
    centre: Centre,
    seed: u64,
) -> Config {
    let beta0 = if energy == EnergyKind::Linear {
        0.5
    } else {
        1.0
    };
    Config {
        algo,
        replicas: if algo == Algo::Sa { 1 } else { 5 },
        centre,
        schedule: Schedule::ramp(Ramp::Geometric, (beta0, 5.0), (0.1, 10.0), sweeps).unwrap(),
        max_sweeps: sweeps,
        order: Order::Permutation,
        energy,
        seed,
        threads,
        visit: Visit::Blocks,
        dynamics: Default::default(),
        no_stop: false,
        fbp: None,
        online: None,
    }
}

#[test]
fn rsa_is_identical_for_any_thread_count() {
    for (arch, energy) in [
        (
            Arch::new(301, 1, Activation::Perceptron).unwrap(),
            EnergyKind::Linear,
        ),
        (
            Arch::new(303, 3, Activation::Sign).unwrap(),
            EnergyKind::Errors,
        ),
        (
            Arch::new(304, 4, Activation::Relu).unwrap(),
            EnergyKind::Errors,
        ),
    ] {
        let (inst, _) = model::generate(arch, 0.6, 4, false).unwrap();
        for centre in [Centre::Traced, Centre::Explicit] {
            // A short budget so that the run ends unsolved and every counter is compared.
            let one = solve(
                &inst,
                None,
                &cfg(Algo::Rsa, energy, 40, 1, centre, 9),
                &mut |_| true,
            )
            .unwrap();
            let two = solve(
                &inst,
                None,
                &cfg(Algo::Rsa, energy, 40, 2, centre, 9),
                &mut |_| true,
            )
            .unwrap();
            assert_eq!(one.weights, two.weights, "{arch} {centre:?}");
            assert_eq!(one.replica_energies, two.replica_energies);
            assert_eq!(
                (one.sweeps, one.proposals, one.accepted),
                (two.sweeps, two.proposals, two.accepted)
            );
            assert_eq!(one.centre, two.centre);
            let other = solve(
                &inst,
                None,
                &cfg(Algo::Rsa, energy, 40, 1, centre, 10),
                &mut |_| true,
            )
            .unwrap();
            assert_ne!(
                one.weights, other.weights,
                "a different seed should give a different run"
            );
        }
    }
}

#[test]
fn replicas_stay_consistent_through_a_run() {
    for (arch, energy) in [
        (
            Arch::new(257, 1, Activation::Perceptron).unwrap(),
            EnergyKind::Errors,
        ),
        (
            Arch::new(257, 1, Activation::Perceptron).unwrap(),
            EnergyKind::Linear,
        ),
        (
            Arch::new(255, 5, Activation::Sign).unwrap(),
            EnergyKind::Errors,
        ),
        (
            Arch::new(264, 4, Activation::Relu).unwrap(),
            EnergyKind::Errors,
        ),
    ] {
        let (inst, _) = model::generate(arch, 0.7, 2, false).unwrap();
        for (centre, visit) in [
            (Centre::Traced, Visit::Blocks),
            (Centre::Explicit, Visit::Blocks),
            (Centre::Traced, Visit::Shared),
            (Centre::Explicit, Visit::Shared),
        ] {
            let mut reps: Vec<State> = (0..3)
                .map(|a| {
                    let w = Weights::random(arch.n, &mut rng::stream(1, "init", a));
                    State::<i16>::new(&inst, w, energy, Kernels::best()).unwrap()
                })
                .collect();
            let schedule = Schedule::ramp(Ramp::Geometric, (0.5, 3.0), (0.1, 3.0), 30).unwrap();
            let params = mc::Params {
                schedule,
                max_sweeps: 30,
                order: Order::Random,
                seed: 3,
                parallel: true,
                visit,
            };
            let ce = |w: &Weights| reference::errors(&inst, w) as i64;
            let mut sweeps_seen = 0;
            let mut ens = Ensemble::replicated(&mut reps, centre, &ce);
            let out = mc::anneal(&mut ens, &params, None, &mut |p| {
                sweeps_seen = p.sweep;
                assert_eq!(p.energies.len(), 3);
                assert!(p.overlap.unwrap() <= 1.0);
                true
            })
            .unwrap();
            assert_eq!(out.sweeps, sweeps_seen);
            for r in &reps {
                r.verify()
                    .unwrap_or_else(|e| panic!("{arch} {energy:?} {centre:?} {visit:?}: {e}"));
            }
            let (cw, cerr) = out.centre.unwrap();
            assert_eq!(cerr, reference::errors(&inst, &cw) as i64);
            if centre == Centre::Traced {
                assert_eq!(cw, majority(&reps));
            }
        }
    }
}

#[test]
fn sa_runs_consistently_and_observer_can_stop() {
    let arch = Arch::new(199, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(arch, 0.5, 6, false).unwrap();
    let w = Weights::random(arch.n, &mut rng::stream(2, "init", 0));
    let mut st = State::<i32>::new(&inst, w, EnergyKind::Errors, Kernels::best()).unwrap();
    let params = mc::Params {
        schedule: Schedule::ramp(Ramp::Linear, (0.5, 2.0), (0.0, 0.0), 50).unwrap(),
        max_sweeps: 1000,
        order: Order::Random,
        visit: Visit::Shared,
        seed: 1,
        parallel: false,
    };
    let reps = std::slice::from_mut(&mut st);
    let out = mc::anneal(&mut Ensemble::plain(reps), &params, None, &mut |p| {
        assert!(p.centre_energy.is_none() && p.overlap.is_none());
        p.sweep < 7
    })
    .unwrap();
    assert_eq!(out.sweeps, 7);
    assert_eq!(out.proposals, 7 * 199);
    st.verify().unwrap();
    assert_eq!(out.energy, reference::errors(&inst, &out.weights) as i64);
}

#[test]
fn easy_instances_are_solved_and_reverified() {
    for (arch, alpha, energy) in [
        (
            Arch::new(401, 1, Activation::Perceptron).unwrap(),
            0.3,
            EnergyKind::Linear,
        ),
        (
            Arch::new(399, 3, Activation::Sign).unwrap(),
            0.3,
            EnergyKind::Errors,
        ),
        (
            Arch::new(400, 4, Activation::Relu).unwrap(),
            0.25,
            EnergyKind::Errors,
        ),
    ] {
        let (inst, _) = model::generate(arch, alpha, 1, false).unwrap();
        let shared = Config {
            visit: Visit::Shared,
            ..cfg(Algo::Rsa, energy, 3000, 1, Centre::Traced, 1)
        };
        let s = solve(&inst, None, &shared, &mut |_| true).unwrap();
        assert!(
            s.solved,
            "{arch} α={alpha}: RSA (shared visit) did not solve an easy instance"
        );
        let r = solve(
            &inst,
            None,
            &cfg(Algo::Rsa, energy, 3000, 1, Centre::Traced, 1),
            &mut |_| true,
        )
        .unwrap();
        assert!(
            r.solved,
            "{arch} α={alpha}: RSA did not solve an easy instance: {:?}",
            r.replica_energies
        );
        let w = Weights::parse_pm(&r.weights, arch.n, "result").unwrap();
        assert_eq!(reference::errors(&inst, &w), 0);
        assert_eq!(r.errors, 0);
        assert!(r.sweeps <= 3000 && r.proposals > 0 && r.accepted <= r.proposals);
    }
    // SA on a very easy teacher instance.
    let arch = Arch::new(101, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(arch, 0.1, 2, true).unwrap();
    let r = solve(
        &inst,
        None,
        &cfg(Algo::Sa, EnergyKind::Errors, 2000, 1, Centre::Traced, 2),
        &mut |_| true,
    )
    .unwrap();
    assert!(r.solved && r.found.is_some() && r.centre.is_none());
}

#[test]
fn report_records_everything() {
    let arch = Arch::new(101, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(arch, 0.5, 3, false).unwrap();
    let c = cfg(Algo::Rsa, EnergyKind::Linear, 5, 1, Centre::Traced, 5);
    let r = solve(&inst, Some("x.txt".into()), &c, &mut |_| true).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    for key in [
        "densemc_version",
        "instance",
        "config",
        "kernel_path",
        "solved",
        "energy",
        "sweeps",
        "proposals",
        "accepted",
        "seconds",
        "proposals_per_second",
        "weights",
        "centre",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["config"]["seed"], 5);
    assert_eq!(
        v["instance"]["checksum"],
        format!("{:016x}", inst.checksum())
    );
    assert_eq!(r.weights.len(), 101);
    let back: densemc::solve::Report = serde_json::from_value(v).unwrap();
    // The replicas' weights are for library callers, not written (y of them: the centre and the
    // reported weights are what a result file keeps).
    assert_eq!(r.replicas.len(), r.replica_energies.len());
    assert!(back.replicas.is_empty());
    assert_eq!(
        back,
        densemc::solve::Report {
            replicas: Vec::new(),
            ..r
        }
    );
}

/// Stopping at a sweep boundary, saving the `Resume` record through a checkpoint file and continuing gives
/// the same run as never stopping (SA and RSA, both centres).
#[test]
fn checkpoint_resume_is_bit_identical() {
    use densemc::run::checkpoint::Checkpoint;
    use densemc::solve::{solve_from, InstanceInfo};
    let dir = std::env::temp_dir().join(format!("densemc-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let arch = Arch::new(201, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(arch, 0.85, 8, false).unwrap();
    let mut compared = 0;
    for (algo, centre, visit) in [
        (Algo::Sa, Centre::Traced, Visit::Blocks),
        (Algo::Rsa, Centre::Traced, Visit::Blocks),
        (Algo::Rsa, Centre::Explicit, Visit::Blocks),
        (Algo::Rsa, Centre::Traced, Visit::Shared),
    ] {
        let c = Config {
            visit,
            ..cfg(algo, EnergyKind::Linear, 60, 1, centre, 4)
        };
        let whole = solve(&inst, None, &c, &mut |_| true).unwrap();
        let path = dir.join("run.ckpt");
        let mut stopped = None;
        let first = solve(&inst, None, &c, &mut |p| {
            if p.sweep == 17 {
                let ck = Checkpoint::new(InstanceInfo::of(&inst, None), c.clone(), (p.resume)());
                ck.write(&path).unwrap();
                stopped = Some(p.sweep);
                return false;
            }
            true
        })
        .unwrap();
        if whole.sweeps <= 17 {
            continue; // solved before the checkpoint: nothing to resume
        }
        assert_eq!(stopped, Some(17));
        assert_eq!(first.sweeps, 17);
        let ck = Checkpoint::read(&path).unwrap();
        assert_eq!(ck.config, c);
        let rest = solve_from(&inst, None, &c, Some(&ck.resume), &mut |_| true).unwrap();
        assert_eq!(rest.weights, whole.weights, "{algo:?} {centre:?} {visit:?}");
        assert_eq!(rest.replica_energies, whole.replica_energies);
        assert_eq!(
            (rest.sweeps, rest.proposals, rest.accepted),
            (whole.sweeps, whole.proposals, whole.accepted)
        );
        assert_eq!(rest.centre, whole.centre);
        assert_eq!(rest.found, whole.found);
        compared += 1;
        // A damaged checkpoint is refused.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"sweeps\":17", "\"sweeps\":18", 1)).unwrap();
        assert!(Checkpoint::read(&path)
            .unwrap_err()
            .to_string()
            .contains("checksum"));
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        assert!(Checkpoint::read(&path).is_err());
    }
    assert_eq!(
        compared, 4,
        "every run should outlast the checkpoint at α = 0.85"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The library resolver gives the configurations (and so the JSON in result files, checkpoints and sweep
/// hashes) that `densemc solve` recorded before it existed (recorded from be39ca7's binary; γ₀ is 0.5
/// since the default changed in round 2, everything else as recorded).
#[test]
fn resolved_configs_serialise_as_before() {
    use densemc::mc::Ramp;
    use densemc::solve::ConfigSpec;
    let spec = |algo| ConfigSpec {
        algo: Some(algo),
        max_sweeps: Some(5),
        seed: Some(3),
        ..ConfigSpec::default()
    };
    let json = |c: Config| serde_json::to_string(&c).unwrap();
    assert_eq!(
        json(spec(Algo::Rsa).resolve(Activation::Perceptron).unwrap()),
        r#"{"algo":"rsa","replicas":7,"centre":"traced","schedule":{"kind":"ramp","ramp":"geometric","beta0":0.5,"beta1":5.0,"gamma0":0.5,"gamma1":10.0,"sweeps":5,"beta_ref_n":1000},"max_sweeps":5,"order":"permutation","energy":"linear","seed":3,"threads":1}"#
    );
    assert_eq!(
        json(spec(Algo::Sa).resolve(Activation::Perceptron).unwrap()),
        r#"{"algo":"sa","replicas":1,"centre":"traced","schedule":{"kind":"ramp","ramp":"geometric","beta0":0.5,"beta1":5.0,"gamma0":0.0,"gamma1":0.0,"sweeps":5,"beta_ref_n":1000},"max_sweeps":5,"order":"permutation","energy":"linear","seed":3,"threads":1}"#
    );
    let sign = ConfigSpec {
        replicas: Some(5),
        threads: Some(2),
        ..spec(Algo::Rsa)
    };
    assert_eq!(
        json(sign.resolve(Activation::Sign).unwrap()),
        r#"{"algo":"rsa","replicas":5,"centre":"traced","schedule":{"kind":"ramp","ramp":"geometric","beta0":1.0,"beta1":5.0,"gamma0":0.5,"gamma1":10.0,"sweeps":5,"beta_ref_n":1000},"max_sweeps":5,"order":"permutation","energy":"errors","seed":3,"threads":2}"#
    );
    let explicit = ConfigSpec {
        replicas: Some(3),
        centre: Some(Centre::Explicit),
        visit: Some(Visit::Shared),
        order: Some(Order::Random),
        ramp: Some(Ramp::Linear),
        beta0: Some(0.0),
        ramp_sweeps: Some(7),
        scale_beta: Some(false),
        ..spec(Algo::Rsa)
    };
    assert_eq!(
        json(explicit.resolve(Activation::Perceptron).unwrap()),
        r#"{"algo":"rsa","replicas":3,"centre":"explicit","schedule":{"kind":"ramp","ramp":"linear","beta0":0.0,"beta1":5.0,"gamma0":0.5,"gamma1":10.0,"sweeps":7},"max_sweeps":5,"order":"random","energy":"linear","seed":3,"threads":1,"visit":"shared"}"#
    );
}

/// Bad settings are refused by the resolver with errors that name the parameter, not a flag.
#[test]
fn resolver_refuses_bad_settings_by_name() {
    use densemc::solve::ConfigSpec;
    let err = |s: ConfigSpec, act| s.resolve(act).unwrap_err().to_string();
    let rsa = ConfigSpec::default();
    for (spec, act, says) in [
        (
            ConfigSpec {
                replicas: Some(0),
                ..rsa.clone()
            },
            Activation::Perceptron,
            "y (the number of replicas)",
        ),
        (
            ConfigSpec {
                replicas: Some(1001),
                ..rsa.clone()
            },
            Activation::Perceptron,
            "between 1 and 1000",
        ),
        (
            ConfigSpec {
                max_sweeps: Some(0),
                ..rsa.clone()
            },
            Activation::Perceptron,
            "max_sweeps",
        ),
        (
            ConfigSpec {
                threads: Some(0),
                ..rsa.clone()
            },
            Activation::Perceptron,
            "threads",
        ),
        (
            ConfigSpec {
                energy: Some(EnergyKind::Linear),
                ..rsa.clone()
            },
            Activation::Relu,
            "energy",
        ),
        (
            ConfigSpec {
                beta0: Some(-1.0),
                ..rsa.clone()
            },
            Activation::Perceptron,
            "β and γ",
        ),
        (
            ConfigSpec {
                schedule: Some(Schedule::parse("0 1 0.1\n", std::path::Path::new("s")).unwrap()),
                beta1: Some(3.0),
                ..rsa.clone()
            },
            Activation::Perceptron,
            "schedule table replaces the ramp",
        ),
    ] {
        let e = err(spec, act);
        assert!(e.contains(says), "{e:?} should say {says:?}");
        assert!(!e.contains("--"), "{e:?} names a flag");
    }
    // SA runs one replica whatever y says; committees default to the error count.
    let sa = ConfigSpec {
        algo: Some(Algo::Sa),
        replicas: Some(9),
        ..rsa.clone()
    }
    .resolve(Activation::Sign)
    .unwrap();
    assert_eq!((sa.replicas, sa.y(), sa.energy), (1, 1, EnergyKind::Errors));
    // The β of the ramp is for N = 1000 and scales as √(1000/N).
    let c = rsa.resolve(Activation::Perceptron).unwrap();
    let (b, g) = c.schedule.for_n(4000).at(0);
    assert!((b - 0.25).abs() < 1e-12 && (g - densemc::solve::defaults::GAMMA0).abs() < 1e-12);
    // The estimate before a run: the instance (N + 1 rows of 8 words) and y states of 8·(136K + 48) bytes
    // per word of a row, as the command line has always estimated it; SA keeps one state.
    assert_eq!(c.memory_bytes(1000, 500, 1), 1001 * 64 + 7 * 64 * 184);
    assert_eq!(
        sa.memory_bytes(1000, 500, 3),
        1001 * 64 + 64 * (3 * 136 + 48)
    );
}

/// With one replica and the permutation order the two visit orders are the same walk over the sweep's
/// sites, and a plain run is SA: the driver on the plain ensemble gives SA's result either way.
#[test]
fn one_plain_replica_is_sa_in_either_visit() {
    let arch = Arch::new(203, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(arch, 0.6, 5, false).unwrap();
    let c = cfg(Algo::Sa, EnergyKind::Linear, 50, 1, Centre::Traced, 7);
    let sa = solve(&inst, None, &c, &mut |_| true).unwrap();
    for visit in [Visit::Blocks, Visit::Shared] {
        let w = Weights::random(arch.n, &mut rng::stream(7, "init", 0));
        let mut st = [State::<i16>::new(&inst, w, EnergyKind::Linear, Kernels::best()).unwrap()];
        let params = mc::Params {
            schedule: c.schedule.for_n(arch.n),
            max_sweeps: 50,
            order: Order::Permutation,
            visit,
            seed: 7,
            parallel: false,
        };
        let out = mc::anneal(&mut Ensemble::plain(&mut st), &params, None, &mut |_| true).unwrap();
        assert_eq!(out.weights.to_pm(), sa.weights, "{visit:?}");
        assert_eq!(
            (out.sweeps, out.proposals, out.accepted, out.energy),
            (sa.sweeps, sa.proposals, sa.accepted, sa.energy)
        );
        assert!(out.centre.is_none());
        st[0].verify().unwrap();
    }
}

/// A checkpoint of another kind of run is refused with an error, not a panic.
#[test]
fn foreign_checkpoints_are_refused() {
    use densemc::solve::solve_from;
    let arch = Arch::new(101, 1, Activation::Perceptron).unwrap();
    let (inst, _) = model::generate(arch, 0.9, 2, false).unwrap();
    let mut saved = Vec::new();
    for (algo, centre) in [
        (Algo::Sa, Centre::Traced),
        (Algo::Rsa, Centre::Traced),
        (Algo::Rsa, Centre::Explicit),
    ] {
        let c = cfg(algo, EnergyKind::Linear, 10, 1, centre, 1);
        solve(&inst, None, &c, &mut |p| {
            saved.push((c.clone(), (p.resume)()));
            false
        })
        .unwrap();
    }
    for (i, (ci, _)) in saved.iter().enumerate() {
        for (j, (_, rj)) in saved.iter().enumerate() {
            let r = solve_from(&inst, None, ci, Some(rj), &mut |_| true);
            if i == j {
                r.unwrap();
            } else {
                let e = r.unwrap_err().to_string();
                assert!(e.contains("another run"), "{e}");
            }
        }
    }
}
