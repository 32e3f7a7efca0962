#!/usr/bin/env python3
"""Success-rate table of `densemc solve` (RSA with its defaults vs SA with the same sweep budget).

Usage: scripts/solve_table.py [--quick] [--jobs J] [--out docs/solve-table.md]
Builds nothing: run `cargo build --release` first. Every run's result JSON is kept under
target/solve-table/ so the table can be re-derived; the Markdown goes to --out (and stdout).
"""
import argparse, concurrent.futures as cf, json, os, subprocess, sys, time

BIN = os.environ.get("DENSEMC_BIN", os.path.join(os.path.dirname(__file__), "..", "target", "release", "densemc"))

# (label, solve args for the instance, alphas, sweep budget)
SUITES = [
    ("perceptron N=1001", ["--n", "1001"], [0.5, 0.55, 0.6, 0.65, 0.7, 0.75], 20000),
    ("perceptron N=10001", ["--n", "10001"], [0.5, 0.55, 0.6, 0.65, 0.7, 0.75], 5000),
    ("sign K=3 N=999", ["--n", "999", "--k", "3", "--activation", "sign"], [0.3, 0.4, 0.5, 0.6, 0.7], 20000),
    ("sign K=5 N=1005", ["--n", "1005", "--k", "5", "--activation", "sign"], [0.3, 0.4, 0.5, 0.6, 0.7], 20000),
    ("relu K=4 N=1000", ["--n", "1000", "--k", "4", "--activation", "relu"], [0.3, 0.4, 0.5, 0.6, 0.7], 20000),
    ("relu K=8 N=1008", ["--n", "1008", "--k", "8", "--activation", "relu"], [0.3, 0.4, 0.5, 0.6, 0.7], 20000),
]


def run(job):
    label, inst, alpha, sweeps, algo, seed, outdir = job
    out = os.path.join(outdir, f"{label.replace(' ', '_')}-a{alpha}-{algo}-s{seed}.json")
    if not os.path.exists(out):
        cmd = [BIN, "solve", *inst, "--alpha", str(alpha), "--seed", str(seed), "--algo", algo,
               "--max-sweeps", str(sweeps), "--quiet", "--out", out]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        r = json.load(f)
    return job, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 seeds and N≈1000 only")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", default=None, help="run only the suites whose label contains this text")
    a = ap.parse_args()
    seeds = 3 if a.quick else a.seeds
    suites = [s for s in SUITES if not (a.quick and "10001" in s[0]) and (a.only is None or a.only in s[0])]
    outdir = os.path.join(os.path.dirname(__file__), "..", "target", "solve-table")
    os.makedirs(outdir, exist_ok=True)
    jobs = [(label, inst, alpha, sweeps, algo, seed, outdir)
            for label, inst, alphas, sweeps in suites for alpha in alphas
            for algo in ("rsa", "sa") for seed in range(1, seeds + 1)]
    t0 = time.time()
    results = {}
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        for k, (job, r) in enumerate(ex.map(run, jobs)):
            results[(job[0], job[2], job[4], job[5])] = r
            print(f"\r{k + 1}/{len(jobs)} runs, {time.time() - t0:.0f} s", end="", file=sys.stderr)
    print(file=sys.stderr)
    lines = [f"Seeds 1..{seeds}; each cell: solved/{seeds} (median seconds of the solved runs).", ""]
    for label, inst, alphas, sweeps in suites:
        lines.append(f"**{label}**, budget {sweeps} sweeps per run (RSA: y=7 replicas, so 7× the proposals of SA)")
        lines.append("")
        lines.append("| α | " + " | ".join(f"{x:g}" for x in alphas) + " |")
        lines.append("|---|" + "---|" * len(alphas))
        best = None
        for algo in ("rsa", "sa"):
            cells = []
            for alpha in alphas:
                rs = [results[(label, alpha, algo, s)] for s in range(1, seeds + 1)]
                solved = [r for r in rs if r["solved"]]
                secs = sorted(r["seconds"] for r in solved)
                med = f" ({secs[len(secs) // 2]:.1f} s)" if secs else ""
                cells.append(f"{len(solved)}/{seeds}{med}")
                if algo == "rsa" and 2 * len(solved) >= seeds:
                    best = alpha
            lines.append(f"| {algo.upper()} | " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(f"Largest α where RSA solves at least half the seeds: {best if best is not None else 'none'}")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    print(f"total {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
