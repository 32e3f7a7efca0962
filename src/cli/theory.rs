//! `densemc theory`: replica-theory capacities (no instance needed).

use densemc::study::grid::parse_f64_grid;
use densemc::study::plot::{write_svg, Chart, Series};
use densemc::theory::local_entropy::{binary_entropy, franz_parisi, LocalEntropy};
use densemc::theory::{self, Capacity, Prior, Spec, Unit, Value, Width};
use densemc::{Error, Result};
use serde_json::{json, Value as Json};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Gardner capacity α_c of one network (RS or 1RSB), from the replica saddle point.
    Capacity(CapacityArgs),
    /// α_c against K: sign units at finite K, sign and ReLU units at K → ∞ (the "finite vs divergent" data).
    CapacityVsK(VsKArgs),
    /// Franz–Parisi local entropy S(d) around a typical solution, binary weights (RS): the perceptron, or
    /// tree committees at K → ∞.
    LocalEntropy(LocalEntropyArgs),
}

#[derive(clap::Args)]
pub struct LocalEntropyArgs {
    /// Hidden units: perceptron, or sign / relu for a tree committee at K → ∞
    #[arg(long, default_value = "perceptron")]
    pub activation: String,
    /// Load α = P/N, below the RS capacity (0.833 for the perceptron)
    #[arg(long)]
    pub alpha: f64,
    /// Distances d: START:STOP:STEP or a list, each in (0, 1/2)
    #[arg(
        long,
        default_value = "0.002,0.005,0.01,0.02,0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.45"
    )]
    pub d_grid: String,
    /// Print JSON instead of a table
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV instead of a table
    #[arg(long)]
    pub csv: bool,
    /// Also draw S(d) with H(d) as an SVG file
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct CapacityArgs {
    /// Hidden units: perceptron, sign or relu
    #[arg(long)]
    pub activation: String,
    /// Weight prior: binary (±1) or spherical
    #[arg(long, default_value = "binary")]
    pub weights: String,
    /// Number of hidden units K, or inf for the limit K → ∞
    #[arg(long, default_value = "1")]
    pub k: String,
    /// Level of replica-symmetry breaking: 0 (RS) or 1 (1RSB)
    #[arg(long, default_value = "0")]
    pub rsb: String,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct VsKArgs {
    /// Weight prior: binary (±1) or spherical
    #[arg(long, default_value = "spherical")]
    pub weights: String,
    /// Odd K of the sign committees, comma-separated [default: 1,3,5,7,9,11,15,21,31,51,101,201 for
    /// spherical weights, 1 for binary]
    #[arg(long)]
    pub k: Option<String>,
    /// Even K of the ReLU committees (Monte Carlo, a few seconds), comma-separated, or none
    /// [default: 2,4,6,8,10,16,32,64 for spherical weights, none for binary]
    #[arg(long)]
    pub k_relu: Option<String>,
    /// Print JSON instead of a table
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV instead of a table
    #[arg(long)]
    pub csv: bool,
    /// Also draw α_c against K as an SVG file
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    match a.cmd {
        Cmd::Capacity(c) => capacity(c),
        Cmd::CapacityVsK(v) => capacity_vs_k(v),
        Cmd::LocalEntropy(l) => local_entropy(l),
    }
}

fn prior(s: &str) -> Result<Prior> {
    s.parse()
        .map_err(|e: Error| Error::input(format!("--weights: {e}")))
}

fn capacity(a: CapacityArgs) -> Result<()> {
    let spec = Spec {
        unit: a
            .activation
            .parse()
            .map_err(|e: Error| Error::input(format!("--activation: {e}")))?,
        prior: prior(&a.weights)?,
        k: a.k
            .parse()
            .map_err(|e: Error| Error::input(format!("--k: {e}")))?,
        rsb: a
            .rsb
            .parse()
            .map_err(|_| Error::input(format!("--rsb: must be 0 or 1, not '{}'", a.rsb)))?,
    };
    let c = theory::capacity(&spec)?;
    if a.json {
        outln!("{}", to_json(&c));
        return Ok(());
    }
    let s = &c.spec;
    let net = match (s.unit, s.k) {
        (Unit::Perceptron, _) | (_, Width::Finite(1)) => "perceptron".to_string(),
        (u, k) => format!("tree committee, {} units, K = {k}", u.name()),
    };
    outln!("network     {net}, {} weights", s.prior.name());
    outln!("rsb         {}", s.rsb);
    match c.alpha_c {
        Value::Finite(v) => outln!("alpha_c     {v:.6}"),
        Value::Divergent => outln!("alpha_c     divergent"),
    }
    outln!("method      {}", c.method);
    for (name, v) in &c.order {
        outln!("{name:<11} {v:.6}");
    }
    Ok(())
}

/// The Monte Carlo standard error of α_c, when it has one.
fn stderr(c: &Capacity) -> Option<f64> {
    c.order
        .iter()
        .find(|(n, _)| *n == "alpha_c_stderr")
        .map(|p| p.1)
}

fn k_json(k: Width) -> Json {
    match k {
        Width::Finite(n) => json!(n),
        Width::Infinite => json!("inf"),
    }
}

fn to_json(c: &Capacity) -> Json {
    let order: serde_json::Map<String, Json> = c
        .order
        .iter()
        .map(|(n, v)| (n.to_string(), json!(v)))
        .collect();
    json!({
        "activation": c.spec.unit.name(),
        "weights": c.spec.prior.name(),
        "k": k_json(c.spec.k),
        "rsb": c.spec.rsb,
        "alpha_c": match c.alpha_c { Value::Finite(v) => json!(v), Value::Divergent => Json::Null },
        "divergent": c.alpha_c == Value::Divergent,
        "method": c.method,
        "order_parameters": order,
        "quadrature_nodes": theory::NODES,
        "densemc_version": densemc::VERSION,
    })
}

fn capacity_vs_k(a: VsKArgs) -> Result<()> {
    check_svg(a.svg.as_deref())?;
    let prior = prior(&a.weights)?;
    let spherical = prior == Prior::Spherical;
    let sign_default = if spherical {
        "1,3,5,7,9,11,15,21,31,51,101,201"
    } else {
        "1"
    };
    let relu_default = if spherical {
        "2,4,6,8,10,16,32,64"
    } else {
        "none"
    };
    let sign_ks = k_list(a.k.as_deref().unwrap_or(sign_default), "--k")?;
    let relu_ks = k_list(a.k_relu.as_deref().unwrap_or(relu_default), "--k-relu")?;
    let rows = theory::capacity_vs_k(prior, &sign_ks, &relu_ks)?;
    let value = |c: &Capacity| match c.alpha_c {
        Value::Finite(v) => format!("{v:.6}"),
        Value::Divergent => "divergent".to_string(),
    };
    if a.json {
        let rows: Vec<Json> = rows.iter().map(to_json).collect();
        outln!(
            "{}",
            json!({ "rows": rows, "densemc_version": densemc::VERSION })
        );
    } else if a.csv {
        outln!("activation,weights,k,rsb,alpha_c,alpha_c_stderr");
        for c in &rows {
            let s = &c.spec;
            outln!(
                "{},{},{},{},{},{}",
                s.unit.name(),
                s.prior.name(),
                s.k,
                s.rsb,
                value(c),
                stderr(c).map_or(String::new(), |e| format!("{e:.6}"))
            );
        }
    } else {
        outln!(
            "{:<11} {:<10} {:>5} {:>4}  alpha_c",
            "activation",
            "weights",
            "K",
            "rsb"
        );
        for c in &rows {
            let s = &c.spec;
            outln!(
                "{:<11} {:<10} {:>5} {:>4}  {}{}",
                s.unit.name(),
                s.prior.name(),
                s.k.to_string(),
                s.rsb,
                value(c),
                stderr(c).map_or(String::new(), |e| format!(" ± {e:.6}"))
            );
        }
    }
    if let Some(path) = &a.svg {
        write_svg(path, &chart(prior, &rows))?;
    }
    Ok(())
}

/// A comma-separated list of K, or "none".
/// `--svg FILE` (and the PNG beside it) is checked before the work: a new file, or one of densemc's figures.
fn check_svg(path: Option<&std::path::Path>) -> Result<()> {
    use densemc::run::output::{check_outputs, Kind, Output};
    let Some(path) = path else { return Ok(()) };
    let png = densemc::study::plot::png_path(path);
    let mut outs = vec![Output {
        path,
        kind: Kind::Figure,
        flag: "--svg",
    }];
    match densemc::study::plot::png_support() {
        Ok(()) => outs.push(Output {
            path: &png,
            kind: Kind::Figure,
            flag: "--svg (its PNG)",
        }),
        Err(w) => super::warn(&w),
    }
    check_outputs(&outs, &[])
}

fn k_list(s: &str, flag: &str) -> Result<Vec<usize>> {
    if s == "none" {
        return Ok(vec![]);
    }
    s.split(',')
        .map(|s| match s.trim().parse::<Width>() {
            Ok(Width::Finite(k)) => Ok(k),
            _ => Err(Error::input(format!(
                "{flag}: each entry must be a positive integer, not '{}'",
                s.trim()
            ))),
        })
        .collect()
}

/// α_c against K (log axis): the finite-K sign points, and the finite K → ∞ limits as horizontal lines.
fn chart(prior: Prior, rows: &[Capacity]) -> Chart {
    let points = |unit: Unit| -> Vec<(f64, f64, f64)> {
        rows.iter()
            .filter(|c| c.spec.unit == unit)
            .filter_map(|c| match (c.spec.k, c.alpha_c) {
                (Width::Finite(k), Value::Finite(v)) => {
                    Some((k as f64, v, stderr(c).unwrap_or(0.0)))
                }
                _ => None,
            })
            .collect()
    };
    let (sign, relu) = (points(Unit::Sign), points(Unit::Relu));
    let (lo, hi) = sign
        .iter()
        .chain(&relu)
        .fold((1.0f64, 3.0f64), |(l, h), p| (l.min(p.0), h.max(p.0)));
    let mut series = vec![];
    for (unit, pts) in [("sign", sign), ("ReLU", relu)] {
        if pts.is_empty() {
            continue;
        }
        let mc = unit == "ReLU";
        series.push(Series {
            label: format!(
                "{unit} units, RS, finite K{}",
                if mc { " (Monte Carlo)" } else { "" }
            ),
            points: pts.iter().map(|p| (p.0, p.1)).collect(),
            bars: mc.then(|| pts.iter().map(|p| (p.1 - p.2, p.1 + p.2)).collect()),
            markers: true,
            line: true,
            color: series.len(),
            shape: series.len(),
            ..Default::default()
        });
    }
    for c in rows.iter().filter(|c| c.spec.k == Width::Infinite) {
        if let Value::Finite(v) = c.alpha_c {
            series.push(Series {
                label: format!(
                    "{} units, K → ∞, {}",
                    c.spec.unit.name(),
                    if c.spec.rsb == 0 { "RS" } else { "1RSB" }
                ),
                points: vec![(lo, v), (hi, v)],
                line: true,
                color: series.len(),
                ..Default::default()
            });
        }
    }
    Chart {
        title: format!(
            "capacity of tree committees, {} weights (sign, K → ∞: divergent)",
            prior.name()
        ),
        x_label: "K (hidden units)".into(),
        y_label: "α_c".into(),
        x_log: true,
        y_log: true,
        series,
        ..Default::default()
    }
}

fn local_entropy(a: LocalEntropyArgs) -> Result<()> {
    check_svg(a.svg.as_deref())?;
    let ds = parse_f64_grid(&a.d_grid, "--d-grid")?;
    let unit: Unit = a
        .activation
        .parse()
        .map_err(|e: Error| Error::input(format!("--activation: {e}")))?;
    let c = franz_parisi(unit.kernel(), a.alpha, &ds)?;
    let pts = &c.points;
    let col = |f: fn(&LocalEntropy) -> f64| pts.iter().map(f).collect::<Vec<f64>>();
    if a.json {
        outln!(
            "{}",
            json!({
                "alpha": c.alpha,
                "activation": unit.name(),
                "k": if unit == Unit::Perceptron { json!(1) } else { json!("inf") },
                "weights": "binary",
                "d": col(|p| p.d),
                "s": col(|p| p.s),
                "upper_bound": col(|p| binary_entropy(p.d)),
                "q": col(|p| p.q),
                "t": col(|p| p.t),
                "typical_distance": c.typical_distance(),
                "entropy": c.reference.entropy,
                "method": "Franz–Parisi, RS, binary weights, equilibrium reference",
                "densemc_version": densemc::VERSION,
            })
        );
    } else if a.csv {
        outln!("d,s,upper_bound,q,t");
        for p in pts {
            outln!(
                "{},{:.8},{:.8},{:.8},{:.8}",
                p.d,
                p.s,
                binary_entropy(p.d),
                p.q,
                p.t
            );
        }
    } else {
        outln!(
            "{}, binary weights, alpha {}: entropy {:.6}, typical distance {:.6}",
            network(unit),
            c.alpha,
            c.reference.entropy,
            c.typical_distance()
        );
        outln!(
            "{:>8} {:>10} {:>10} {:>8} {:>8}",
            "d",
            "S(d)",
            "H(d)",
            "q",
            "t"
        );
        for p in pts {
            outln!(
                "{:>8} {:>10.6} {:>10.6} {:>8.4} {:>8.4}",
                p.d,
                p.s,
                binary_entropy(p.d),
                p.q,
                p.t
            );
        }
    }
    if let Some(path) = &a.svg {
        let line = |label: &str, color, f: &dyn Fn(&LocalEntropy) -> f64| Series {
            label: label.into(),
            points: pts.iter().map(|p| (p.d, f(p))).collect(),
            markers: true,
            line: true,
            color,
            ..Default::default()
        };
        let chart = Chart {
            title: format!(
                "local entropy around a typical solution, binary perceptron, α = {}",
                c.alpha
            ),
            x_label: "d (normalised Hamming distance)".into(),
            y_label: "S(d)".into(),
            series: vec![
                line("S(d), Franz–Parisi RS", 0, &|p| p.s),
                line("H(d), all configurations", 1, &|p| binary_entropy(p.d)),
            ],
            ..Default::default()
        };
        write_svg(path, &chart)?;
    }
    Ok(())
}

fn network(unit: Unit) -> String {
    match unit {
        Unit::Perceptron => "perceptron".into(),
        u => format!("{} committee, K → ∞", u.name()),
    }
}
