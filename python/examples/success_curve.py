"""A small study of the binary perceptron with densemc from Python (about 20 s on one core).

1. The success curve: P_succ, the fraction of instances solved within the sweep budget, against the load
   α = P/N, for replicated annealing (RSA, y = 7 replicas coupled by γ) and plain simulated annealing
   (SA), on the same instances (N = 201).
2. The local energy δE(p): the training error fraction after flipping a fraction p of the weights of a
   solution, averaged over instances solved by both algorithms at one α (the solutions each one reports:
   with this small N and budget, RSA's first solution is not flatter than SA's; docs/studies.md shows
   the effect at N = 1001 with the default budget).

Usage: python success_curve.py OUT_DIR   (writes success_curve.png and local_energy.png)
"""

import argparse
import collections
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import densemc  # noqa: E402

N = 201
ALPHAS = "0.4:0.85:0.05"
SAMPLES = 12
BUDGET = 3000  # sweeps per search
ALGOS = ("rsa", "sa")


def success_curve(out):
    records = densemc.sweep(N, ALPHAS, samples=SAMPLES, algos=ALGOS, max_sweeps=BUDGET, seed=1)
    solved = collections.defaultdict(list)
    for r in records:
        solved[r["algo"], r["alpha"]].append(r["solved"])
    fig, ax = plt.subplots(figsize=(6, 4))
    for algo in ALGOS:
        alphas = sorted(a for (g, a) in solved if g == algo)
        p = [np.mean(solved[algo, a]) for a in alphas]
        ax.plot(alphas, p, "o-", label=algo.upper())
    ax.set_xlabel(r"$\alpha = P/N$")
    ax.set_ylabel(r"$P_\mathrm{succ}$")
    ax.set_title(f"binary perceptron, N = {N}, {SAMPLES} instances, {BUDGET} sweeps")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "success_curve.png", dpi=120)
    return solved


def local_energy(out, alpha=0.55, instances=6):
    ps = np.linspace(0, 0.1, 11)
    curves = collections.defaultdict(list)
    seed = 0
    while len(curves["rsa"]) < instances and seed < 10 * instances:
        seed += 1
        inst = densemc.Instance.generate(N, alpha, seed=seed)
        found = {a: densemc.solve(inst, a, max_sweeps=BUDGET, seed=seed) for a in ALGOS}
        if not all(r.solved for r in found.values()):
            continue
        rb = densemc.robustness(inst, {a: r.weights for a, r in found.items()}, p_grid=ps, draws=50)
        for i, a in enumerate(rb["labels"]):
            curves[a].append(rb["local_energy"][i])
    fig, ax = plt.subplots(figsize=(6, 4))
    for a in ALGOS:
        c = np.array(curves[a])
        ax.errorbar(ps, c.mean(axis=0), yerr=c.std(axis=0) / np.sqrt(len(c)), marker="o", label=a.upper())
    ax.set_xlabel("p (fraction of weights flipped)")
    ax.set_ylabel(r"$\delta E(p)$ (training error fraction)")
    ax.set_title(f"local energy, N = {N}, α = {alpha}, {len(curves['rsa'])} instances")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "local_energy.png", dpi=120)
    return {a: np.array(curves[a]).mean(axis=0) for a in ALGOS}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path)
    out = parser.parse_args().out_dir
    out.mkdir(parents=True, exist_ok=True)
    solved = success_curve(out)
    for algo in ALGOS:
        row = " ".join(f"{np.mean(v):.2f}" for (g, a), v in sorted(solved.items()) if g == algo)
        print(f"P_succ {algo}: {row}")
    de = local_energy(out)
    print("δE(0.05): " + ", ".join(f"{a} {de[a][5]:.4f}" for a in ALGOS))
    print(f"wrote {out / 'success_curve.png'} and {out / 'local_energy.png'}")


if __name__ == "__main__":
    main()
