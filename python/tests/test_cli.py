"""The binding gives what the CLI gives for the same seed: result records, sweep lines, checksums,
error counts and robustness curves."""

import csv
import json

import numpy as np
import pytest

import densemc
from conftest import read_json, untimed


@pytest.mark.parametrize(
    "arch, algo, extra",
    [
        (dict(n=201, alpha=0.6), "rsa", dict(max_sweeps=3000)),
        (dict(n=201, alpha=0.6), "sa", dict(max_sweeps=3000)),
        (dict(n=201, alpha=0.62), "rsa", dict(max_sweeps=40, y=3, beta0=0.2, gamma1=3.0, ramp_sweeps=20)),
        (dict(n=151, alpha=0.4), "fbp", dict(bp_step=0.02)),
        (dict(n=225, alpha=0.3, k=3, activation="sign"), "rsa", dict(max_sweeps=2000, threads=2)),
        (dict(n=200, alpha=0.5, k=4, activation="relu", teacher=True), "sa", dict(max_sweeps=500)),
        (dict(n=147, alpha=0.3, k=3, activation="sign", fully_connected=True), "rsa", dict(max_sweeps=300)),
        (dict(n=201, alpha=0.5), "rsa", dict(max_sweeps=300, dynamics="rejection-free", energy="errors")),
    ],
)
def test_solve_record_equals_cli(cli, tmp_path, arch, algo, extra):
    seed = 7
    flags = ["--n", arch["n"], "--alpha", arch["alpha"], "--seed", seed, "--algo", algo, "-q"]
    for key in ("k", "activation"):
        if key in arch:
            flags += [f"--{key}", arch[key]]
    for key in ("teacher", "fully_connected"):
        if arch.get(key):
            flags.append("--" + key.replace("_", "-"))
    for key, value in extra.items():
        flag = "--replicas" if key == "y" else "--" + key.replace("_", "-")
        flags.append(f"{flag}={value}")  # `=`: a negative value is not taken for a flag
    out = tmp_path / "result.json"
    cli("solve", *flags, "--out", out)
    inst = densemc.Instance.generate(seed=seed, **arch)
    r = densemc.solve(inst, algo, seed=seed, **extra)
    expected = read_json(out)
    assert untimed(r.record) == untimed(expected)
    assert "".join("+" if w > 0 else "-" for w in r.weights) == expected["weights"]
    assert r.solved == expected["solved"] and r.errors == expected["errors"]
    assert r.energies == expected["replica_energies"]


def test_solve_on_a_file_equals_cli(cli, tmp_path):
    path = tmp_path / "inst.txt"
    cli("generate", "--n", 301, "--alpha", 0.55, "--seed", 4, "--out", path)
    out = tmp_path / "result.json"
    cli("solve", "--instance", path, "--seed", 9, "--max-sweeps", 2000, "-q", "--out", out)
    inst = densemc.Instance.read(str(path))
    r = densemc.solve(inst, seed=9, max_sweeps=2000)
    assert untimed(r.record) == untimed(read_json(out))
    assert r.record["instance"]["file"] == str(path)


def test_checksum_and_files_agree_with_cli(cli, tmp_path):
    inst = densemc.Instance.generate(n=101, alpha=0.7, k=1, seed=12)
    cli_file = tmp_path / "cli.bin"
    cli("generate", "--n", 101, "--alpha", 0.7, "--seed", 12, "--format", "binary", "--out", cli_file)
    assert densemc.Instance.read(cli_file).checksum == inst.checksum
    for fmt in ("text", "binary"):
        ours = tmp_path / f"ours.{fmt}"
        inst.write(ours, fmt)
        assert inst.checksum in cli("info", "--instance", ours)


def test_eval_equals_cli(cli, tmp_path):
    inst = densemc.Instance.generate(n=201, alpha=0.8, seed=2)
    path = tmp_path / "inst.txt"
    inst.write(path, "text")
    w = np.where(np.random.default_rng(5).random(201) < 0.5, -1, 1).astype(np.int8)
    wfile = tmp_path / "w.txt"
    wfile.write_text("".join("+" if x > 0 else "-" for x in w) + "\n")
    got = json.loads(cli("eval", "--instance", path, "--weights", wfile, "--json"))
    assert densemc.eval(inst, w) == got["errors"]
    assert got["errors"] > 0


def test_sweep_lines_equal_cli(cli, tmp_path):
    out = tmp_path / "sweep.jsonl"
    grid = dict(n=[101, 151], alpha=[0.5, 0.72], samples=2)
    cli(
        "sweep", "--n", "101,151", "--alpha", "0.5,0.72", "--samples", 2, "--algo", "rsa,sa",
        "--max-sweeps", 400, "--seed", 3, "--threads", 2, "--keep-weights", "-q", "--out", out,
    )
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    key = lambda r: (r["n"], r["alpha_index"], r["sample"], r["algo"])
    recs = densemc.sweep(
        algos=["rsa", "sa"], max_sweeps=400, seed=3, threads=2, keep_weights=True, **grid
    )
    assert len(recs) == 2 * 2 * 2 * 2
    assert [key(r) for r in recs] == sorted(key(r) for r in recs)
    assert [untimed(r) for r in recs] == [untimed(r) for r in sorted(lines, key=key)]
    # A task re-runs alone from its seed, as `densemc solve --seed S` would.
    t = recs[5]
    inst = densemc.Instance.generate(t["n"], t["alpha"], seed=t["seed"])
    r = densemc.solve(inst, t["algo"], seed=t["seed"], max_sweeps=400)
    assert (r.solved, r.errors, r.sweeps) == (t["solved"], t["errors"], t["sweeps"])


def test_robustness_equals_cli(cli, tmp_path):
    inst = densemc.Instance.generate(n=201, alpha=0.5, seed=1)
    path = tmp_path / "inst.bin"
    inst.write(path)
    r = densemc.solve(inst, max_sweeps=2000, seed=1)
    res = tmp_path / "rsa.json"
    res.write_text(json.dumps(r.record))
    d = tmp_path / "rob"
    cli(
        "robustness", "--instance", path, "--weights", res, "--label", "rsa", "--p-grid", "0,0.05,0.1",
        "--flips", 20, "--seed", 4, "--out-dir", d,
    )
    with open(d / "robustness.csv") as f:
        rows = list(csv.DictReader(f))
    ours = densemc.robustness(
        inst, {"rsa": r.weights, "rsa:centre": r.centre}, p_grid=[0, 0.05, 0.1], draws=20, seed=4
    )
    for i, label in enumerate(ours["labels"]):
        for kind, col in (("weights", "local_energy"), ("inputs", "inputs")):
            theirs = [float(x["mean"]) for x in rows if x["label"] == label and x["kind"] == kind]
            assert theirs == pytest.approx(list(ours[col][i]), rel=1e-12, abs=1e-15)
    assert ours["local_energy"][0][1] > 0.0
