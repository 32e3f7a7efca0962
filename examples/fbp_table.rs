//! Focusing BP (pseudo-reinforcement) on random binary perceptrons, N = 1001, α = 0.70, 0.72, 0.74, seeds
//! 1–3: the table of docs/bp.md.
//!
//! `cargo run --release --example fbp_table -- [bp|amp] [max_iters] [rho_step] [n] [alphas,…] [seeds,…]
//! [k] [perceptron|sign|relu|fc-sign]` (committees: the table of docs/bp.md's committee section)

use densemc::bp::{self, FactorRule, Form, Params, Protocol};
use densemc::model;
use densemc::model::{Activation, Arch};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |k: usize, default: &str| args.get(k).cloned().unwrap_or(default.to_string());
    let form = match arg(0, "bp").as_str() {
        "amp" => Form::Amp,
        _ => Form::Bp(FactorRule::Gaussian),
    };
    let max_iters: usize = arg(1, "20").parse().expect("max_iters");
    let step: f64 = arg(2, "0.01").parse().expect("rho_step");
    let n: usize = arg(3, "1001").parse().expect("n");
    let alphas: Vec<f64> = arg(4, "0.70,0.72,0.74")
        .split(',')
        .map(|a| a.parse().expect("alpha"))
        .collect();
    let seeds: Vec<u64> = arg(5, "1,2,3")
        .split(',')
        .map(|s| s.parse().expect("seed"))
        .collect();
    let k: usize = arg(6, "1").parse().expect("k");
    let activation = Activation::parse(&arg(7, "perceptron")).expect("activation");
    let arch = Arch::new(n, k, activation).expect("valid sizes");
    println!("form {form:?}, max_iters {max_iters}, ρ step {step}, {arch}");
    println!("alpha seed solved errors iterations steps seconds");
    for &alpha in &alphas {
        for &seed in &seeds {
            let (inst, _) = model::generate(arch, alpha, seed, false).expect("instance");
            let params = Params {
                form,
                max_iters,
                protocol: Protocol::pseudo_reinforcement(step).expect("step"),
                ..Params::default()
            };
            let t = Instant::now();
            let out = bp::solve(&inst, &params).expect("run");
            println!(
                "{alpha:.2} {seed} {} {} {} {} {:.1}",
                out.solved,
                out.errors,
                out.iterations,
                out.steps,
                t.elapsed().as_secs_f64()
            );
        }
    }
}
