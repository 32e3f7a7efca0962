//! Message passing: fixed points against plainly written BP, AMP against BP, local entropy against exact
//! enumeration, solving, determinism and refused parameters.

use densemc::bp::special::{atanh_clamped, log_h};
use densemc::bp::{self, exact, perceptron::Bp, FactorRule, Focus, Form, Params, Protocol};
use densemc::bp::{amp::Amp, committee::Committee, messages::Engine};
use densemc::instance::Instance;
use densemc::model;
use densemc::model::{Activation, Arch};
use densemc::weights::Weights;

fn perceptron(n: usize, alpha: f64, seed: u64) -> Instance {
    let arch = Arch::new(n, 1, Activation::Perceptron).unwrap();
    model::generate(arch, alpha, seed, false).unwrap().0
}

fn zeta(inst: &Instance) -> Vec<Vec<f64>> {
    (0..inst.p())
        .map(|mu| {
            (0..inst.n())
                .map(|i| (inst.sigma(mu) * inst.xi(i, mu)) as f64)
                .collect()
        })
        .collect()
}

/// P(Σ_{j≠i} ζ_j W_j + shift > 0) by visiting every configuration of the other weights.
fn enumerated_tail(z: &[f64], m: &[f64], i: usize, shift: f64) -> f64 {
    let others: Vec<usize> = (0..z.len()).filter(|&j| j != i).collect();
    let mut total = 0.0;
    for c in 0..1u64 << others.len() {
        let (mut sum, mut prob) = (shift, 1.0);
        for (b, &j) in others.iter().enumerate() {
            let w = if c >> b & 1 == 1 { -1.0 } else { 1.0 };
            sum += z[j] * w;
            prob *= 0.5 * (1.0 + w * m[j]);
        }
        if sum > 0.0 {
            total += prob;
        }
    }
    total
}

/// BP written plainly: every cavity sum Σ_{j≠i} recomputed, every m_{i→μ} kept; iterated to a fixed point.
/// `exact`: cavity probabilities by enumeration instead of the Gaussian law.
fn direct_bp(inst: &Instance, ext: &[f64], focus: Focus, exact: bool) -> Vec<f64> {
    let (n, p) = (inst.n(), inst.p());
    let z = zeta(inst);
    let mut u = vec![vec![0.0f64; n]; p];
    let mut mv = vec![vec![0.0f64; n]; p];
    for _ in 0..20_000 {
        let mut change = 0.0f64;
        let mut unew = u.clone();
        for mu in 0..p {
            for i in 0..n {
                let new = if exact {
                    let a = enumerated_tail(&z[mu], &mv[mu], i, z[mu][i]);
                    let b = enumerated_tail(&z[mu], &mv[mu], i, -z[mu][i]);
                    0.5 * (a.max(1e-300).ln() - b.max(1e-300).ln())
                } else {
                    let (mut mean, mut var) = (0.0, 0.0);
                    for j in (0..n).filter(|&j| j != i) {
                        mean += z[mu][j] * mv[mu][j];
                        var += 1.0 - mv[mu][j] * mv[mu][j];
                    }
                    let s = var.sqrt();
                    0.5 * (log_h(-(mean + z[mu][i]) / s) - log_h(-(mean - z[mu][i]) / s))
                };
                unew[mu][i] = (0.5 * u[mu][i] + 0.5 * new).clamp(-30.0, 30.0);
                change = change.max((unew[mu][i] - u[mu][i]).abs());
            }
        }
        u = unew;
        for i in 0..n {
            let cav = ext[i] + (0..p).map(|mu| u[mu][i]).sum::<f64>();
            let f = match focus {
                Focus::None => 0.0,
                Focus::Replicas { gamma, y } => atanh_clamped(
                    gamma.tanh() * ((y - 1.0) * atanh_clamped(cav.tanh() * gamma.tanh())).tanh(),
                ),
                Focus::Reinforce { .. } => unreachable!(),
            };
            for mu in 0..p {
                mv[mu][i] = (cav + f - u[mu][i]).tanh();
            }
        }
        if change < 1e-14 {
            return u.concat();
        }
    }
    panic!("the direct BP did not converge");
}

fn engine_fixed_point(bp: &mut Bp, focus: Focus) -> Vec<f64> {
    for _ in 0..20_000 {
        if bp.iterate(focus, 0.5) < 1e-15 {
            return bp.messages().to_vec();
        }
    }
    panic!("BP did not converge");
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn gaussian_fixed_point_equals_plain_bp() {
    for (seed, focus) in [
        (1, Focus::None),
        (2, Focus::Replicas { gamma: 0.4, y: 3.0 }),
    ] {
        let inst = perceptron(15, 0.4, seed);
        let ext: Vec<f64> = (0..15).map(|i| 0.1 * ((i % 3) as f64 - 1.0)).collect();
        let mut bp = Bp::new(&inst, FactorRule::Gaussian, 0.3, seed).unwrap();
        bp.set_external(&ext);
        let fast = engine_fixed_point(&mut bp, focus);
        let plain = direct_bp(&inst, &ext, focus, false);
        let d = max_diff(&fast, &plain);
        assert!(d < 1e-9, "seed {seed}: messages differ by {d}");
        // Not a trivial fixed point.
        assert!(fast.iter().any(|u| u.abs() > 0.05));
    }
}

#[test]
fn exact_fixed_point_equals_enumerated_bp() {
    let inst = perceptron(11, 0.3, 5);
    let ext: Vec<f64> = (0..11)
        .map(|i| if i % 2 == 0 { 0.3 } else { -0.2 })
        .collect();
    let focus = Focus::Replicas { gamma: 0.5, y: 2.5 };
    let mut bp = Bp::new(&inst, FactorRule::Exact, 0.3, 9).unwrap();
    bp.set_external(&ext);
    let fast = engine_fixed_point(&mut bp, focus);
    let plain = direct_bp(&inst, &ext, focus, true);
    let d = max_diff(&fast, &plain);
    assert!(d < 1e-9, "exact-rule messages differ by {d}");
}

#[test]
fn small_instances_are_solved_and_verified() {
    for (form, seed) in [
        (Form::Bp(FactorRule::Gaussian), 1),
        (Form::Bp(FactorRule::Gaussian), 2),
        (Form::Amp, 1),
        (Form::Amp, 2),
    ] {
        let inst = perceptron(301, 0.5, seed);
        let params = Params {
            form,
            ..Params::default()
        };
        let out = bp::solve(&inst, &params).unwrap();
        assert!(out.solved, "{form:?} seed {seed}: {} errors", out.errors);
        assert_eq!(model::reference::errors(&inst, &out.weights), 0);
    }
    // Every protocol solves an easy instance.
    let inst = perceptron(201, 0.3, 3);
    for protocol in [
        Protocol::Scoping {
            gamma: (0..50).map(|k| 0.1 * k as f64).collect(),
            y: 5.0,
        },
        Protocol::FreeScoping {
            steps: (0..50).map(|k| (0.1 * k as f64, 2.0 + k as f64)).collect(),
        },
        Protocol::StandardReinforcement {
            rho: (0..50).map(|k| 0.02 * k as f64).collect(),
        },
    ] {
        let params = Params {
            protocol: protocol.clone(),
            ..Params::default()
        };
        let out = bp::solve(&inst, &params).unwrap();
        assert!(out.solved, "{protocol:?}: {} errors", out.errors);
    }
}

#[test]
fn runs_repeat() {
    let inst = perceptron(401, 0.6, 4);
    let a = bp::solve(&inst, &Params::default()).unwrap();
    let b = bp::solve(&inst, &Params::default()).unwrap();
    assert_eq!(a, b);
    // The seed draws the initial messages.
    let m1 = Bp::new(&inst, FactorRule::Gaussian, 0.01, 1).unwrap();
    let m2 = Bp::new(&inst, FactorRule::Gaussian, 0.01, 2).unwrap();
    assert_ne!(m1.messages(), m2.messages());
}

/// Largest |m_i(AMP) − m_i(BP)| at the plain-BP fixed point (no focusing) and the median |m_i|.
fn amp_vs_bp(n: usize, seed: u64, focus: Focus) -> (f64, f64) {
    let inst = perceptron(n, 0.3, seed);
    let mut bp = Bp::new(&inst, FactorRule::Gaussian, 0.01, seed).unwrap();
    let mut amp = Amp::new(&inst, 0.01, seed).unwrap();
    let ext: Vec<f64> = (0..n).map(|i| 0.2 * (((i * 7) % 5) as f64 - 2.0)).collect();
    bp.set_external(&ext);
    amp.set_external(&ext);
    let (mut db, mut da) = (1.0, 1.0);
    for _ in 0..2000 {
        db = bp.iterate(focus, 0.5);
        da = amp.iterate(focus, 0.5);
        if db < 1e-12 && da < 1e-12 {
            break;
        }
    }
    assert!(db < 1e-12 && da < 1e-12, "no convergence: {db} {da}");
    let (mb, ma) = (&bp.marginals().m, &amp.marginals().m);
    let mut abs: Vec<f64> = mb.iter().map(|m| m.abs()).collect();
    abs.sort_by(f64::total_cmp);
    (max_diff(mb, ma), abs[n / 2])
}

#[test]
fn amp_fixed_point_agrees_with_bp() {
    for focus in [Focus::None, Focus::Replicas { gamma: 0.3, y: 3.0 }] {
        let (d_small, med) = amp_vs_bp(101, 3, focus);
        let (d_large, _) = amp_vs_bp(801, 3, focus);
        eprintln!(
            "AMP vs BP, {focus:?}: max |Δm| {d_small:.2e} at N=101, {d_large:.2e} at N=801 (median |m| {med:.2})"
        );
        assert!(med > 0.1, "the fixed point should be far from m = 0");
        assert!(d_small < 0.02 && d_large < 0.005);
        assert!(d_large < d_small / 2.0, "the gap should shrink with N");
    }
}

/// A solution of a tiny instance found by focusing BP (a dense one, as in the use of the curve).
fn tiny_case(n: usize, alpha: f64, seed: u64) -> (Instance, Weights, Vec<u64>) {
    let inst = perceptron(n, alpha, seed);
    let out = bp::solve(&inst, &Params::default()).unwrap();
    assert!(out.solved);
    let counts = exact::distance_counts(&inst, &out.weights).unwrap();
    (inst, out.weights, counts)
}

#[test]
fn exact_counts_match_a_plain_enumeration() {
    let inst = perceptron(11, 0.5, 8);
    let wref = Weights::from_signs(
        &(0..11)
            .map(|i| if i % 3 == 0 { -1 } else { 1 })
            .collect::<Vec<_>>(),
    );
    let counts = exact::distance_counts(&inst, &wref).unwrap();
    let mut plain = vec![0u64; 12];
    for c in 0..1u32 << 11 {
        let w: Vec<i8> = (0..11)
            .map(|i| if c >> i & 1 == 1 { -1 } else { 1 })
            .collect();
        let w = Weights::from_signs(&w);
        if model::reference::errors(&inst, &w) == 0 {
            plain[w.hamming(&wref)] += 1;
        }
    }
    assert_eq!(counts, plain);
    assert!(counts.iter().sum::<u64>() > 0);
}

/// Largest |S_BP(d) − S_exact(d)| over the BP points with d ≤ 0.2, and largest |φ_BP(γ) − φ_exact(γ)|.
fn entropy_gaps(rule: FactorRule, n: usize, seed: u64) -> (f64, f64, usize) {
    let (inst, wref, counts) = tiny_case(n, 0.3, seed);
    let gammas: Vec<f64> = (0..=40).map(|k| 4.0 - 0.1 * k as f64).collect();
    let params = bp::EntropyParams {
        rule,
        ..Default::default()
    };
    let curve = bp::local_entropy(&inst, &wref, &gammas, &params).unwrap();
    let (mut ds, mut dphi, mut used) = (0.0f64, 0.0f64, 0);
    for pt in &curve {
        assert!(pt.converged, "γ = {}", pt.gamma);
        let (phi, _) = exact::free_entropy(&counts, pt.gamma).unwrap();
        dphi = dphi.max((pt.phi - phi).abs());
        if pt.d <= 0.2 && pt.d > 1.0 / n as f64 {
            let (s, _) = exact::legendre(&counts, pt.d).unwrap();
            ds = ds.max((pt.s - s).abs());
            used += 1;
            assert!(pt.s <= bp::entropy::binary_entropy(pt.d) + 1e-9);
        }
    }
    (ds, dphi, used)
}

#[test]
fn local_entropy_matches_exact_enumeration() {
    for (n, seed) in [(21, 1), (21, 2), (25, 3)] {
        let (ds, dphi, used) = entropy_gaps(FactorRule::Exact, n, seed);
        let (gs, gphi, _) = entropy_gaps(FactorRule::Gaussian, n, seed);
        eprintln!(
            "N={n} α=0.3 seed {seed}: exact factors |ΔS| {ds:.4} |Δφ| {dphi:.4}; Gaussian |ΔS| {gs:.4} |Δφ| {gphi:.4} ({used} points with d ≤ 0.2)"
        );
        assert!(used >= 5);
        assert!(ds < 0.01, "exact-factor BP: |ΔS| = {ds}");
        assert!(gs < 0.01, "Gaussian BP: |ΔS| = {gs}");
    }
}

#[test]
fn bethe_free_entropy_is_stationary() {
    // At a fixed point dφ/dγ = q: check by central differences.
    let (inst, wref, _) = tiny_case(15, 0.3, 4);
    let g = [1.0 - 1e-4, 1.0, 1.0 + 1e-4];
    let params = bp::EntropyParams {
        rule: FactorRule::Exact,
        epsilon: 1e-14,
        max_iters: 100_000,
        ..Default::default()
    };
    let c = bp::local_entropy(&inst, &wref, &g, &params).unwrap();
    let slope = (c[2].phi - c[0].phi) / 2e-4;
    assert!(
        (slope - c[1].q).abs() < 1e-6,
        "dφ/dγ = {slope}, q = {}",
        c[1].q
    );
    // The same for a sign committee and a fully connected one with exact unit laws, W̃ a solution.
    for activation in [Activation::Sign, Activation::FcSign] {
        let inst = network(15, 3, activation, 0.3, 2);
        let wref = bp::solve(&inst, &Params::default()).unwrap().weights;
        assert_eq!(model::reference::errors(&inst, &wref), 0);
        let c = bp::local_entropy(&inst, &wref, &g, &params).unwrap();
        let slope = (c[2].phi - c[0].phi) / 2e-4;
        assert!(
            (slope - c[1].q).abs() < 1e-6,
            "{activation}: dφ/dγ = {slope}, q = {}",
            c[1].q
        );
    }
}

#[test]
fn bad_parameters_are_refused() {
    let inst = perceptron(21, 0.3, 1);
    let bad = |p: Params, word: &str| {
        let e = bp::solve(&inst, &p).unwrap_err().to_string();
        assert!(e.contains(word), "{e:?} should name {word}");
    };
    bad(
        Params {
            damping: 1.0,
            ..Params::default()
        },
        "damping",
    );
    bad(
        Params {
            epsilon: 0.0,
            ..Params::default()
        },
        "epsilon",
    );
    bad(
        Params {
            max_iters: 0,
            ..Params::default()
        },
        "max_iters",
    );
    bad(
        Params {
            protocol: Protocol::Scoping {
                gamma: vec![0.1],
                y: 0.5,
            },
            ..Params::default()
        },
        "y (the number of replicas)",
    );
    bad(
        Params {
            protocol: Protocol::StandardReinforcement {
                rho: vec![0.5, 1.0],
            },
            ..Params::default()
        },
        "ρ",
    );
    bad(
        Params {
            protocol: Protocol::FreeScoping {
                steps: vec![(f64::NAN, 2.0)],
            },
            ..Params::default()
        },
        "γ",
    );
    bad(
        Params {
            init: -1.0,
            ..Params::default()
        },
        "init",
    );
    assert!(Protocol::pseudo_reinforcement(0.0).is_err());
    // AMP on committees, ReLU committees, oversized exact enumeration, mismatched reference.
    let committee = committee(21, 3, 0.3, 1);
    let amp = Params {
        form: Form::Amp,
        ..Params::default()
    };
    let e = bp::solve(&committee, &amp).unwrap_err().to_string();
    assert!(e.contains("K=1"), "{e}");
    // ReLU committees: AMP refused, and the Bethe free entropy (local entropy by BP) is for sign units.
    let relu = network(24, 4, Activation::Relu, 0.3, 1);
    assert!(bp::solve(&relu, &amp)
        .unwrap_err()
        .to_string()
        .contains("K=1"));
    let e = bp::local_entropy(&relu, &Weights::ones(24), &[1.0], &Default::default());
    assert!(e.unwrap_err().to_string().contains("not ReLU"));
    let e = Committee::new(&relu, FactorRule::Exact, 0.01, 1);
    assert!(e.unwrap_err().to_string().contains("Gaussian rule"));
    let big = perceptron(31, 0.3, 1);
    assert!(exact::distance_counts(&big, &Weights::ones(31)).is_err());
    let e = bp::local_entropy(&inst, &Weights::ones(20), &[1.0], &Default::default());
    assert!(e.unwrap_err().to_string().contains("reference"));
    let e = bp::local_entropy(
        &inst,
        &Weights::ones(21),
        &[f64::INFINITY],
        &Default::default(),
    );
    assert!(e.unwrap_err().to_string().contains("γ"));
    assert!(exact::legendre(&[1, 0, 0], 0.1).is_err());
}

fn committee(n: usize, k: usize, alpha: f64, seed: u64) -> Instance {
    network(n, k, Activation::Sign, alpha, seed)
}

fn network(n: usize, k: usize, activation: Activation, alpha: f64, seed: u64) -> Instance {
    let arch = Arch::new(n, k, activation).unwrap();
    model::generate(arch, alpha, seed, false).unwrap().0
}

/// The sign committee's P(right | the own unit's preactivation N(a, v)): every configuration of the other
/// units' signs visited, each unit l2 positive with probability H(−M/√V) from its (M, V) in `units`.
fn sign_output(sigma: f64, l: usize, a: f64, v: f64, units: &[(f64, f64)]) -> f64 {
    let h = |x: f64| log_h(x).exp();
    let pi = h(-a / v.sqrt());
    let others: Vec<usize> = (0..units.len()).filter(|&x| x != l).collect();
    let mut total = 0.0;
    for c in 0..1u32 << others.len() {
        let mut pr = 1.0;
        let mut votes = 0.0;
        for (bit, &l2) in others.iter().enumerate() {
            let t = if c >> bit & 1 == 1 { -1.0 } else { 1.0 };
            let up = h(-units[l2].0 / units[l2].1.sqrt());
            votes += t;
            pr *= if t > 0.0 { up } else { 1.0 - up };
        }
        for (t, pt) in [(1.0, pi), (-1.0, 1.0 - pi)] {
            if sigma * (votes + t) > 0.0 {
                total += pr * pt;
            }
        }
    }
    total
}

/// The ReLU committee's P(right | the own unit's preactivation N(a, v)), the formula of docs/bp.md written
/// plainly: each unit on when its Gaussian exceeds 1, the others' sum R exactly 0 when all are off and
/// otherwise Gaussian with its conditional moments; h even, so σh > 0 means σh > 1.
fn relu_output(sigma: f64, l: usize, a: f64, v: f64, units: &[(f64, f64)]) -> f64 {
    let h = |x: f64| log_h(x).exp();
    let k = units.len();
    let c = |l: usize| if l < k / 2 { 1.0 } else { -1.0 };
    // (P(off), P(on), mean and variance of λ given on).
    let unit = |m: f64, v: f64| {
        let (sd, al) = (v.sqrt(), (1.0 - m) / v.sqrt());
        let ratio = (-0.5 * al * al - 0.5 * (2.0 * std::f64::consts::PI).ln() - log_h(al)).exp();
        (
            h(-al),
            h(al),
            m + sd * ratio,
            v * (1.0 + al * ratio - ratio * ratio),
        )
    };
    let (mut z, mut e1, mut var) = (1.0, 0.0, 0.0);
    for l2 in (0..k).filter(|&x| x != l) {
        let (off, on, m, v) = unit(units[l2].0, units[l2].1);
        z *= off;
        e1 += c(l2) * on * m;
        var += on * (v + m * m) - (on * m).powi(2);
    }
    let active = 1.0 - z;
    let mean = e1 / active;
    let vr = (var + e1 * e1) / active - mean * mean;
    let (off, on, m, vo) = unit(a, v);
    let alone = if sigma * c(l) > 0.0 { z } else { 0.0 };
    off * active * h(-(sigma * mean - 1.0) / vr.sqrt())
        + on * (alone + active * h(-(sigma * (c(l) * m + mean) - 1.0) / (vo + vr).sqrt()))
}

type OutputRule = fn(f64, usize, f64, f64, &[(f64, f64)]) -> f64;

/// Committee BP written plainly: per-unit cavity sums by explicit loops over each unit's weights (reading
/// the input each weight multiplies: itself on a tree, i mod n when fully connected), the output node by
/// `output`; iterated to a fixed point.
fn direct_committee(inst: &Instance, focus: Focus, output: OutputRule) -> Vec<f64> {
    let (n, p, k) = (inst.n(), inst.p(), inst.k());
    let arch = inst.arch();
    let b = n / k;
    let xi: Vec<Vec<f64>> = (0..p)
        .map(|mu| {
            (0..n)
                .map(|i| inst.xi(arch.input_of(i), mu) as f64)
                .collect()
        })
        .collect();
    let mut u = vec![vec![0.0f64; n]; p];
    let mut mv = vec![vec![0.0f64; n]; p];
    for _ in 0..20_000 {
        let mut change = 0.0f64;
        let mut unew = u.clone();
        for mu in 0..p {
            let sigma = inst.sigma(mu) as f64;
            // (M_l, V_l) of every unit from all its inputs.
            let units: Vec<(f64, f64)> = (0..k)
                .map(|l| {
                    let mean: f64 = (l * b..(l + 1) * b).map(|j| xi[mu][j] * mv[mu][j]).sum();
                    let var: f64 = (l * b..(l + 1) * b)
                        .map(|j| 1.0 - mv[mu][j] * mv[mu][j])
                        .sum();
                    (mean, var)
                })
                .collect();
            for i in 0..n {
                let l = i / b;
                let (mut mean, mut var) = (0.0, 0.0);
                for j in (l * b..(l + 1) * b).filter(|&j| j != i) {
                    mean += xi[mu][j] * mv[mu][j];
                    var += 1.0 - mv[mu][j] * mv[mu][j];
                }
                let prob = |w: f64| output(sigma, l, mean + xi[mu][i] * w, var, &units);
                let new = 0.5 * (prob(1.0).ln() - prob(-1.0).ln());
                unew[mu][i] = (0.5 * u[mu][i] + 0.5 * new).clamp(-30.0, 30.0);
                change = change.max((unew[mu][i] - u[mu][i]).abs());
            }
        }
        u = unew;
        for i in 0..n {
            let cav = (0..p).map(|mu| u[mu][i]).sum::<f64>();
            let f = match focus {
                Focus::Replicas { gamma, y } => atanh_clamped(
                    gamma.tanh() * ((y - 1.0) * atanh_clamped(cav.tanh() * gamma.tanh())).tanh(),
                ),
                _ => 0.0,
            };
            for mu in 0..p {
                mv[mu][i] = (cav + f - u[mu][i]).tanh();
            }
        }
        if change < 1e-14 {
            return u.concat();
        }
    }
    panic!("the direct committee BP did not converge");
}

#[test]
fn committee_fixed_point_equals_plain_bp() {
    let focused = Focus::Replicas { gamma: 0.4, y: 3.0 };
    let cases: [(Instance, Focus, OutputRule); 6] = [
        (committee(15, 3, 0.3, 2), Focus::None, sign_output),
        (committee(25, 5, 0.3, 2), focused, sign_output),
        (
            network(15, 3, Activation::FcSign, 0.3, 2),
            Focus::None,
            sign_output,
        ),
        (
            network(15, 3, Activation::FcSign, 0.3, 3),
            focused,
            sign_output,
        ),
        (
            network(24, 4, Activation::Relu, 0.3, 2),
            Focus::None,
            relu_output,
        ),
        (
            network(24, 4, Activation::Relu, 0.3, 5),
            focused,
            relu_output,
        ),
    ];
    for (inst, focus, output) in cases {
        let mut bp = Committee::new(&inst, FactorRule::Gaussian, 0.3, 4).unwrap();
        let mut fast = Vec::new();
        for _ in 0..20_000 {
            if bp.iterate(focus, 0.5) < 1e-15 {
                fast = bp.messages().to_vec();
                break;
            }
        }
        let what = inst.arch();
        assert!(!fast.is_empty(), "{what}: committee BP did not converge");
        let plain = direct_committee(&inst, focus, output);
        let d = max_diff(&fast, &plain);
        eprintln!("{what} {focus:?}: max |Δu| = {d:.1e}");
        assert!(d < 1e-9, "{what}: messages differ by {d}");
        assert!(fast.iter().any(|u| u.abs() > 0.01));
    }
}

#[test]
fn small_committees_are_solved_and_verified() {
    for (n, k, activation, alpha, seed) in [
        (201, 3, Activation::Sign, 0.3, 1),
        (201, 3, Activation::Sign, 0.3, 2),
        (205, 5, Activation::Sign, 0.3, 1),
        (200, 4, Activation::Relu, 0.3, 1),
        (200, 4, Activation::Relu, 0.3, 2),
        (208, 8, Activation::Relu, 0.2, 1),
        (195, 3, Activation::FcSign, 0.3, 1),
        (195, 3, Activation::FcSign, 0.3, 2),
    ] {
        let inst = network(n, k, activation, alpha, seed);
        let out = bp::solve(&inst, &Params::default()).unwrap();
        let what = inst.arch();
        assert!(out.solved, "{what} seed {seed}: {} errors", out.errors);
        assert_eq!(model::reference::errors(&inst, &out.weights), 0);
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let inst = perceptron(301, 0.55, 6);
    let sign = committee(201, 3, 0.3, 3);
    let relu = network(120, 4, Activation::Relu, 0.3, 3);
    let fc = network(105, 3, Activation::FcSign, 0.3, 3);
    let runs = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let bp_run = bp::solve(&inst, &Params::default()).unwrap();
            let amp_run = bp::solve(
                &inst,
                &Params {
                    form: Form::Amp,
                    ..Params::default()
                },
            )
            .unwrap();
            let committees = [&sign, &relu, &fc].map(|c| bp::solve(c, &Params::default()).unwrap());
            (bp_run, amp_run, committees)
        })
    };
    let one = runs(1);
    assert!(one.0.iterations > 1 && one.1.iterations > 1);
    assert!(one.2.iter().all(|c| c.iterations > 1));
    assert_eq!(one, runs(2));
    assert_eq!(one, runs(3));
}
