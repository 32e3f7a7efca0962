"""Type stubs of densemc (the extension module densemc._densemc)."""

from os import PathLike
from typing import Any, Callable, Literal, Mapping, Optional, Sequence, TypedDict, Union, final

import numpy as np
import numpy.typing as npt

__version__: str
__all__ = ["Instance", "Result", "__version__", "eval", "local_entropy", "robustness", "solve", "sweep"]

_Signs = Union[npt.NDArray[np.int8], npt.NDArray[np.bool_]]
"""A ±1 array: dtype int8 with entries −1, +1, or bool (True = +1, False = −1)."""

_Grid = Union[Sequence[float], npt.NDArray[np.float64], str]
"""Numbers: a sequence, or the CLI's text form "START:STOP:STEP" (inclusive) or "a,b,c"."""

_Activation = Literal["perceptron", "sign", "relu", "fc-sign"]
_Algo = Literal["rsa", "sa", "fbp"]

class _Progress(TypedDict):
    """What a progress callback of `solve` receives."""

    sweep: int
    beta: float
    gamma: float
    energies: list[int]
    centre_energy: Optional[int]
    proposals: int

@final
class Instance:
    """A storage problem: P patterns ξ^μ ∈ {±1}^N (n = N/K inputs for the fully connected committee) with
    labels σ^μ = ±1, for a network of N binary weights W_i = ±1 in K hidden units."""

    @staticmethod
    def generate(
        n: int,
        alpha: float,
        k: int = 1,
        activation: str = "perceptron",
        fully_connected: bool = False,
        teacher: bool = False,
        seed: int = 1,
    ) -> Instance:
        """A random instance of P = round(αN) patterns, as `densemc generate` makes it. n is N (all K
        units together); activation "perceptron" (K = 1, N odd), "sign" (K odd, N/K odd) or "relu" (K
        even, N/K even); fully_connected with "sign": every unit sees all n = N/K inputs; teacher: labels
        from a random teacher W* (then `.teacher`), so that a solution exists."""
    @staticmethod
    def from_numpy(
        xi: _Signs,
        sigma: _Signs,
        k: int = 1,
        activation: str = "perceptron",
        fully_connected: bool = False,
    ) -> Instance:
        """An instance from ξ of shape (P, inputs) and σ of shape (P,); inputs is N, or n = N/K for the
        fully connected committee. Wrong dtypes, shapes or values raise ValueError."""
    @staticmethod
    def read(path: Union[str, PathLike[str]]) -> Instance:
        """Reads an instance file, text or binary."""
    def write(self, path: Union[str, PathLike[str]], format: Literal["binary", "text"] = "binary") -> None:
        """Writes the instance atomically; a file densemc did not write is never replaced."""
    def to_numpy(self) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
        """(ξ, σ): int8 arrays of shape (P, inputs) and (P,)."""
    @property
    def n(self) -> int:
        """N, the number of weights."""
    @property
    def inputs(self) -> int:
        """Inputs per pattern: N, or n = N/K for the fully connected committee."""
    @property
    def p(self) -> int:
        """P, the number of patterns."""
    @property
    def k(self) -> int:
        """K, the number of hidden units."""
    @property
    def alpha(self) -> float:
        """α = P/N."""
    @property
    def activation(self) -> _Activation: ...
    @property
    def checksum(self) -> str:
        """The content checksum (16 hex digits), as in result records."""
    @property
    def teacher(self) -> Optional[npt.NDArray[np.int8]]:
        """The teacher W* (shape (N,)) of an instance generated with teacher=True, else None."""

@final
class Result:
    """The outcome of `solve`."""

    solved: bool
    found: Optional[Literal["replica", "centre"]]
    """Who found the solution (None when unsolved, or for fbp)."""
    replica: Optional[int]
    """The replica `weights` come from (None when the centre solved)."""
    weights: npt.NDArray[np.int8]
    """W, shape (N,): the solution, or the lowest-energy replica."""
    replicas: npt.NDArray[np.int8]
    """The final W^a of the y replicas, shape (y, N)."""
    centre: Optional[npt.NDArray[np.int8]]
    """RSA: the centre at the end, shape (N,)."""
    energy: int
    """E of `weights` in the run's energy kind (linear or errors)."""
    errors: int
    """Patterns `weights` misclassify, recounted from scratch."""
    energies: list[int]
    """The final E of each replica."""
    centre_errors: Optional[int]
    sweeps: int
    seconds: float
    record: dict[str, Any]
    """The result record, as `densemc solve --out` writes result.json."""
    trace: Optional[dict[str, npt.NDArray[Any]]]
    """With trace=True: per-sweep columns sweep, beta (β), gamma (γ), energies (shape (sweeps, y)),
    proposals, accepted, and for RSA centre_energy and overlap (q)."""

def solve(
    inst: Instance,
    algo: _Algo = "rsa",
    *,
    trace: bool = False,
    progress: Optional[Callable[[_Progress], Any]] = None,
    progress_every: float = 1.0,
    y: Optional[int] = None,
    centre: Optional[Literal["traced", "explicit"]] = None,
    visit: Optional[Literal["blocks", "shared"]] = None,
    schedule: Optional[Union[str, PathLike[str]]] = None,
    beta0: Optional[float] = None,
    beta1: Optional[float] = None,
    gamma0: Optional[float] = None,
    gamma1: Optional[float] = None,
    ramp: Optional[str] = None,
    ramp_sweeps: Optional[int] = None,
    scale_beta: Optional[bool] = None,
    max_sweeps: Optional[int] = None,
    order: Optional[Literal["random", "permutation"]] = None,
    energy: Optional[Literal["linear", "errors"]] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    dynamics: Optional[Literal["metropolis", "rejection-free", "auto"]] = None,
    no_stop: Optional[bool] = None,
    bp_form: Optional[Literal["bp", "amp"]] = None,
    bp_step: Optional[float] = None,
    bp_damping: Optional[float] = None,
    bp_epsilon: Optional[float] = None,
    bp_max_iters: Optional[int] = None,
) -> Result:
    """Searches for a solution W (E(W) = 0): "rsa" (y replicas coupled by γ, β and γ ramped from β₀, γ₀
    to β₁, γ₁), "sa" or "fbp". Unset settings take the CLI's defaults; the same seed gives the same
    result as `densemc solve`, whatever `threads`. The GIL is released; Ctrl-C raises KeyboardInterrupt;
    `progress` is called at most every `progress_every` seconds and an exception it raises stops the run."""

def eval(inst: Instance, weights: _Signs) -> int:
    """E(W): the patterns that W (shape (N,)) misclassifies."""

class _Robustness(TypedDict):
    labels: list[str]
    p: npt.NDArray[np.float64]
    patterns: int
    errors: list[int]
    draws: int
    local_energy: npt.NDArray[np.float64]
    """δE(p), [vector][p]: the error fraction E/P after flipping round(pN) weights."""
    local_energy_se: npt.NDArray[np.float64]
    inputs: npt.NDArray[np.float64]
    """[vector][p]: the error fraction after flipping each ξ_i^μ with probability p."""
    inputs_se: npt.NDArray[np.float64]
    distances: npt.NDArray[np.float64]
    hidden: Optional[list[npt.NDArray[np.float64]]]

def robustness(
    inst: Instance,
    weights: Union[Mapping[str, _Signs], Sequence[_Signs]],
    p_grid: Optional[_Grid] = None,
    draws: int = 100,
    seed: int = 1,
    threads: int = 1,
) -> _Robustness:
    """Local energy δE(p) and input robustness of weight vectors, as `densemc robustness` (p_grid
    defaults to "0:0.5:0.01"; the same random draws for every vector)."""

def local_entropy(
    inst: Instance,
    reference: _Signs,
    method: Literal["bp", "mc", "exact"] = "bp",
    gammas: Optional[_Grid] = None,
    d_grid: Optional[_Grid] = None,
    sweeps: int = 2000,
    burn_in: int = 200,
    seed: int = 1,
) -> dict[str, Any]:
    """S(W̃, d), the local entropy around the solution W̃ = reference, as `densemc local-entropy`
    (gammas default "0:4:0.05", d_grid "0.02:0.3:0.02")."""

def sweep(
    n: Union[int, Sequence[int]],
    alpha: Union[float, _Grid],
    samples: int = 10,
    algos: Union[_Algo, str, Sequence[_Algo], None] = None,
    *,
    k: int = 1,
    activation: str = "perceptron",
    fully_connected: bool = False,
    teacher: bool = False,
    keep_weights: bool = False,
    progress: Optional[Callable[[dict[str, Any]], Any]] = None,
    **params: Any,
) -> list[dict[str, Any]]:
    """The grid N × α × samples × algos (default "rsa") with the tasks, seeds and records of `densemc sweep` (in grid
    order; only the timings differ). params are the search settings of `solve` (seed: the master seed;
    threads: tasks at once)."""
