//! Arguments shared by several commands: the values of the library's enums (their names and one-line
//! descriptions come from [`Named::VALUES`]) and the instance arguments of generate, solve and sweep.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use densemc::instance::Instance;
use densemc::model::{Activation, Arch};
use densemc::names::Named;
use densemc::{model, Error, Result};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// The clap parser of a [`Named`] enum: its names as the possible values, each with its description.
#[derive(Clone)]
pub struct NamedParser<T>(PhantomData<T>);

/// `#[arg(value_parser = named::<Order>())]`.
pub fn named<T>() -> NamedParser<T> {
    NamedParser(PhantomData)
}

impl<T: Named + Clone + Send + Sync> NamedParser<T> {
    fn choices() -> impl Iterator<Item = PossibleValue> {
        T::VALUES
            .iter()
            .map(|&(_, name, help)| PossibleValue::new(name).help(help))
    }
}

impl<T: Named + Clone + Send + Sync> TypedValueParser for NamedParser<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<T, clap::Error> {
        // clap's own check gives its usual message ("invalid value … [possible values: …]").
        let name = PossibleValuesParser::new(Self::choices()).parse_ref(cmd, arg, value)?;
        Ok(T::from_name(&name).expect("a possible value is a name"))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(Self::choices()))
    }
}

/// The architecture and labels of a generated instance (generate, solve, sweep).
#[derive(clap::Args, Clone, Debug)]
pub struct ArchArgs {
    /// K, the number of hidden units (1 for the perceptron)
    #[arg(long = "k", value_name = "K", default_value_t = 1)]
    pub k: usize,
    /// Hidden units: perceptron (K=1, N odd), sign (K odd, N/K odd), relu (K even, N/K even)
    #[arg(long, value_parser = named::<Activation>(), default_value_t = Activation::Perceptron)]
    pub activation: Activation,
    /// With --activation sign: the fully connected committee, every unit seeing all n = N/K inputs of a
    /// pattern (N = K·n weights)
    #[arg(long)]
    pub fully_connected: bool,
    /// Labels σ^μ from a random teacher network of the same architecture (a solution then exists)
    #[arg(long)]
    pub teacher: bool,
}

impl ArchArgs {
    /// The activation, with `--fully-connected` applied.
    pub fn activation(&self) -> Result<Activation> {
        if self.fully_connected {
            self.activation.fully_connected()
        } else {
            Ok(self.activation)
        }
    }

    /// The architecture with N weights.
    pub fn arch(&self, n: usize) -> Result<Arch> {
        Arch::new(n, self.k, self.activation()?)
    }
}

/// The instance of a run: a file, or one generated from N, α, the architecture and the seed.
#[derive(clap::Args, Clone, Debug)]
pub struct InstanceArgs {
    /// Instance file: text, binary, a numpy .npz (arrays xi, sigma, optional teacher) or a .npy of ξ
    /// with --labels (the architecture from --k/--activation); or give --n and --alpha to generate one
    #[arg(long, conflicts_with_all = ["n", "alpha"])]
    pub instance: Option<PathBuf>,
    /// With a .npy --instance of ξ (shape P × inputs): the labels σ, a .npy of shape (P,)
    #[arg(long, value_name = "FILE", requires = "instance")]
    pub labels: Option<PathBuf>,
    /// Inline instance: N, the number of binary weights (all hidden units together)
    #[arg(long = "n", value_name = "N", requires = "alpha")]
    pub n: Option<usize>,
    /// Inline instance: α = P/N, patterns per weight (P = round(αN))
    #[arg(long, value_name = "ALPHA", requires = "n")]
    pub alpha: Option<f64>,
    #[command(flatten)]
    pub arch: ArchArgs,
}

impl InstanceArgs {
    /// Reads the instance file, or generates the instance from `seed`; with the file's name, if any.
    pub fn load(&self, seed: u64) -> Result<(Instance, Option<String>)> {
        match (&self.instance, self.n, self.alpha) {
            (Some(p), _, _) => Ok((
                read_instance(p, self.labels.as_deref(), || {
                    Ok((self.arch.k, self.arch.activation()?))
                })?,
                Some(p.display().to_string()),
            )),
            (None, Some(n), Some(alpha)) => {
                let arch = self.arch.arch(n)?;
                Ok((
                    model::generate(arch, alpha, seed, self.arch.teacher)?.0,
                    None,
                ))
            }
            _ => Err(Error::input(
                "give an instance: --instance FILE, or --n N --alpha A [--k K --activation …]",
            )),
        }
    }
}

/// How a numpy instance file is read by the commands that take an instance file and nothing to generate
/// one (eval, info, robustness, local-entropy): its labels and its architecture.
#[derive(clap::Args, Clone, Debug)]
pub struct NumpyArgs {
    /// With a .npy --instance of ξ (shape P × inputs): the labels σ, a .npy of shape (P,)
    #[arg(long = "labels", value_name = "FILE")]
    pub sigma: Option<PathBuf>,
    /// numpy instances: K, the number of hidden units
    #[arg(long = "k", value_name = "K", default_value_t = 1)]
    pub k: usize,
    /// numpy instances: the hidden units (perceptron, sign, relu)
    #[arg(long, value_parser = named::<Activation>(), default_value_t = Activation::Perceptron)]
    pub activation: Activation,
    /// numpy instances, with --activation sign: the fully connected committee (ξ has n = N/K columns)
    #[arg(long)]
    pub fully_connected: bool,
}

impl NumpyArgs {
    /// Reads the instance file `path` ([`read_instance`]).
    pub fn read(&self, path: &Path) -> Result<Instance> {
        read_instance(path, self.sigma.as_deref(), || {
            let a = if self.fully_connected {
                self.activation.fully_connected()?
            } else {
                self.activation
            };
            Ok((self.k, a))
        })
    }
}

/// Reads an instance file: text or binary as [`Instance::read`]; a numpy `.npz`, or a `.npy` of ξ with
/// `labels`, with the architecture (K, activation) that `arch` gives (from the flags --k, --activation,
/// --fully-connected). A teacher kept in the file must label every pattern.
pub fn read_instance(
    path: &Path,
    labels: Option<&Path>,
    arch: impl FnOnce() -> Result<(usize, Activation)>,
) -> Result<Instance> {
    use std::io::Read;
    // Only a regular file is looked at first: a pipe is opened once, by the reader. (numpy files are read
    // from regular files; Instance::read names one that comes through a pipe.)
    let mut head = Vec::new();
    let meta =
        std::fs::metadata(path).map_err(|e| Error::io(path, "cannot open the instance", e))?;
    if meta.is_file() {
        let f = std::fs::File::open(path)
            .map_err(|e| Error::io(path, "cannot open the instance", e))?;
        let _ = f.take(8).read_to_end(&mut head);
    }
    let is_numpy = densemc::instance::npy::is_numpy(&head);
    let inst = if head.starts_with(densemc::instance::npy::NPY_MAGIC) {
        let labels = labels.ok_or_else(|| {
            Error::input(format!(
                "--instance {}: a .npy holds the patterns ξ only: give the labels σ with --labels FILE.npy (or use one .npz with xi and sigma)",
                path.display()
            ))
        })?;
        let (k, a) = arch()?;
        densemc::instance::read_npy(path, labels, k, a)?
    } else if densemc::instance::npy::is_npz(&head) {
        if labels.is_some() {
            return Err(Error::input(
                "--labels is for a .npy of ξ: an .npz holds its labels as the array sigma",
            ));
        }
        let (k, a) = arch()?;
        densemc::instance::read_npz(path, k, a)?
    } else {
        if labels.is_some() {
            return Err(Error::input(
                "--labels is for a .npy of ξ: text and binary instances hold their labels",
            ));
        }
        Instance::read(path)?
    };
    model::teacher::check(&inst).map_err(|e| {
        let hint = if is_numpy {
            " (numpy files take the architecture from --k/--activation: are they right?)"
        } else {
            ""
        };
        Error::at(path, None, format!("{e}{hint}"))
    })?;
    Ok(inst)
}
