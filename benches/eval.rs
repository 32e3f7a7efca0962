//! Evaluation throughput: E(W) on a whole instance, per kernel path, in bits of the pattern matrix (N·P) per
//! second. Run with `cargo bench --bench eval` (a few minutes); results and their reading are in
//! docs/performance.md.
//!
//! Groups (the criterion ids are `group/path/N`):
//! - `errors_perceptron`: `model::fast::errors`, binary perceptron, N = 1001, 10001, 100001, every path;
//! - `errors_sign3`: tree committee, sign units, K = 3, N = 999, 9999 (every path), 99999 (best path);
//! - `errors_relu4`: tree committee, ReLU units, K = 4, N = 1000, 10000 (every path), 100000 (best path);
//! - `fields_perceptron`: `model::fast::fields` (λ^μ by lane accumulation), N = 10001, best path;
//! - `reference_perceptron`: `model::reference::errors`, N = 1001, for scale;
//! - `errors_perceptron/read_once_<path>/N`: `Kernels::popcount` over all the columns of the perceptron
//!   instance (best path): merely streaming the instance once, in the same unit, a ceiling for any evaluator.
//!
//! All instances have α = 0.6 and random labels. Set `DENSEMC_BENCH_QUICK=1` to skip the N ≈ 10⁵ sizes.

use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput,
};
use densemc::bits::{Kernels, Path};
use densemc::instance::Instance;
use densemc::model;
use densemc::model::{Activation, Arch};
use densemc::weights::Weights;
use std::time::Duration;

const ALPHA: f64 = 0.6;
const SEED: u64 = 2024;

fn setup(n: usize, k: usize, act: Activation) -> (Instance, Weights) {
    let arch = Arch::new(n, k, act).expect("valid bench architecture");
    let (inst, _) = model::generate(arch, ALPHA, SEED, false).expect("generate bench instance");
    let w = Weights::random(n, &mut densemc::rng::stream(SEED, "w", 0));
    (inst, w)
}

fn bits(inst: &Instance) -> u64 {
    (inst.n() * inst.p()) as u64
}

fn configure(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

fn quick() -> bool {
    std::env::var_os("DENSEMC_BENCH_QUICK").is_some()
}

/// The best path this CPU supports (ignores `DENSEMC_PATH`, unlike `Kernels::best`).
fn best_path() -> Path {
    *Path::available()
        .last()
        .expect("generic is always available")
}

/// `errors` for each (N, paths) pair of one model.
fn bench_errors(
    c: &mut Criterion,
    name: &str,
    k: usize,
    act: Activation,
    sizes: &[(usize, Vec<Path>)],
    read_once: bool,
) {
    let mut g = c.benchmark_group(name);
    configure(&mut g);
    for (n, paths) in sizes {
        let (inst, w) = setup(*n, k, act);
        g.throughput(Throughput::Elements(bits(&inst)));
        for &path in paths {
            let kern = Kernels::get(path).expect("available path");
            g.bench_function(format!("{}/{}", path.name(), n), |b| {
                b.iter(|| model::fast::errors(black_box(&inst), black_box(&w), kern))
            });
        }
        if read_once {
            let path = best_path();
            let kern = Kernels::get(path).unwrap();
            g.bench_function(format!("read_once_{}/{}", path.name(), n), |b| {
                b.iter(|| kern.popcount(black_box(inst.cols())))
            });
        }
    }
    g.finish();
}

fn sizes(small: &[usize], large: usize, large_all_paths: bool) -> Vec<(usize, Vec<Path>)> {
    let mut v: Vec<(usize, Vec<Path>)> = small.iter().map(|&n| (n, Path::available())).collect();
    if !quick() {
        let paths = if large_all_paths {
            Path::available()
        } else {
            vec![best_path()]
        };
        v.push((large, paths));
    }
    v
}

fn errors_perceptron(c: &mut Criterion) {
    bench_errors(
        c,
        "errors_perceptron",
        1,
        Activation::Perceptron,
        &sizes(&[1001, 10001], 100001, true),
        true,
    );
}

fn errors_sign3(c: &mut Criterion) {
    bench_errors(
        c,
        "errors_sign3",
        3,
        Activation::Sign,
        &sizes(&[999, 9999], 99999, false),
        false,
    );
}

fn errors_relu4(c: &mut Criterion) {
    bench_errors(
        c,
        "errors_relu4",
        4,
        Activation::Relu,
        &sizes(&[1000, 10000], 100000, false),
        false,
    );
}

fn fields_perceptron(c: &mut Criterion) {
    let mut g = c.benchmark_group("fields_perceptron");
    configure(&mut g);
    let (inst, w) = setup(10001, 1, Activation::Perceptron);
    g.throughput(Throughput::Elements(bits(&inst)));
    let path = best_path();
    let kern = Kernels::get(path).unwrap();
    g.bench_function(format!("{}/{}", path.name(), 10001), |b| {
        b.iter(|| model::fast::fields(black_box(&inst), black_box(&w), kern).errors)
    });
    g.finish();
}

fn reference_perceptron(c: &mut Criterion) {
    let mut g = c.benchmark_group("reference_perceptron");
    configure(&mut g);
    let (inst, w) = setup(1001, 1, Activation::Perceptron);
    g.throughput(Throughput::Elements(bits(&inst)));
    g.bench_function("reference/1001", |b| {
        b.iter(|| model::reference::errors(black_box(&inst), black_box(&w)))
    });
    g.finish();
}

/// The fast and reference evaluators must agree before anything is timed.
fn sanity(_: &mut Criterion) {
    let (inst, w) = setup(1001, 1, Activation::Perceptron);
    let want = model::reference::errors(&inst, &w);
    for path in Path::available() {
        let got = model::fast::errors(&inst, &w, Kernels::get(path).unwrap());
        assert_eq!(
            got, want,
            "path {path} disagrees with the reference evaluator"
        );
    }
}

criterion_group!(
    benches,
    sanity,
    errors_perceptron,
    errors_sign3,
    errors_relu4,
    fields_perceptron,
    reference_perceptron
);
criterion_main!(benches);
