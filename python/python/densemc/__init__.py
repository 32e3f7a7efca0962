"""densemc from Python: binary-weight networks (perceptron, tree committee machines) and the search for
their dense solutions.

An instance holds P = αN patterns ξ^μ ∈ {±1}^N with labels σ^μ = ±1; a network has N binary weights
W_i = ±1 in K hidden units. ``solve`` searches for a solution (E(W) = 0) with replicated simulated
annealing (RSA: y replicas coupled by γ, at inverse temperature β), plain SA or focusing BP; ``sweep``
runs a grid of such searches as ``densemc sweep`` does; ``robustness`` and ``local_entropy`` measure the
solutions found.

>>> import densemc
>>> inst = densemc.Instance.generate(n=201, alpha=0.5, seed=1)
>>> r = densemc.solve(inst, "rsa", max_sweeps=2000, seed=1)
>>> r.solved, densemc.eval(inst, r.weights)
(True, 0)
"""

from ._densemc import (
    Instance,
    Result,
    __version__,
    eval,
    local_entropy,
    robustness,
    solve,
    sweep,
)

__all__ = [
    "Instance",
    "Result",
    "__version__",
    "eval",
    "local_entropy",
    "robustness",
    "solve",
    "sweep",
]
