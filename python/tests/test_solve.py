"""solve's result, trace, progress callback, interruption and errors; eval of a teacher; the studies."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import densemc


@pytest.fixture(scope="module")
def easy():
    return densemc.Instance.generate(n=201, alpha=0.5, seed=1)


def test_result_fields(easy):
    r = densemc.solve(easy, "rsa", y=5, max_sweeps=2000, seed=3, trace=True)
    assert r.solved and r.errors == 0 and densemc.eval(easy, r.weights) == 0
    assert r.weights.dtype == np.int8 and r.weights.shape == (201,)
    assert r.replicas.dtype == np.int8 and r.replicas.shape == (5, 201)
    assert set(np.unique(r.replicas)) <= {-1, 1}
    if r.found == "replica":
        np.testing.assert_array_equal(r.replicas[r.replica], r.weights)
    else:
        np.testing.assert_array_equal(r.centre, r.weights)
    assert r.centre_errors == densemc.eval(easy, r.centre)
    assert r.record["solved"] and r.record["sweeps"] == r.sweeps
    assert r.record["replica_energies"] == r.energies
    t = r.trace
    assert len(t["sweep"]) == r.sweeps
    np.testing.assert_array_equal(t["sweep"], np.arange(1, r.sweeps + 1))
    assert t["energies"].shape == (r.sweeps, 5)
    assert list(t["energies"][-1]) == r.energies
    assert np.all(np.diff(t["beta"]) >= 0) and np.all((t["overlap"] >= -1) & (t["overlap"] <= 1))
    assert list(t["proposals"]) == sorted(t["proposals"])


def test_sa_trace_has_no_centre(easy):
    r = densemc.solve(easy, "sa", max_sweeps=50, seed=1, no_stop=True, trace=True)
    assert r.sweeps == 50 and r.centre is None and r.replicas.shape == (1, 201)
    assert "centre_energy" not in r.trace and r.trace["energies"].shape == (50, 1)
    assert np.all(r.trace["gamma"] == 0)


def test_same_seed_same_result_any_threads(easy):
    hard = densemc.Instance.generate(n=301, alpha=0.7, seed=2)
    a = densemc.solve(hard, max_sweeps=300, seed=4, threads=1)
    b = densemc.solve(hard, max_sweeps=300, seed=4, threads=2)
    np.testing.assert_array_equal(a.replicas, b.replicas)
    assert a.energies == b.energies and a.sweeps == b.sweeps
    c = densemc.solve(hard, max_sweeps=300, seed=5)
    assert not np.array_equal(a.replicas, c.replicas)


@pytest.mark.parametrize(
    "arch",
    [
        dict(n=301, alpha=1.2),
        dict(n=225, alpha=1.0, k=3, activation="sign"),
        dict(n=200, alpha=1.0, k=4, activation="relu"),
        dict(n=147, alpha=1.0, k=3, activation="sign", fully_connected=True),
    ],
)
def test_teacher_weights_are_a_solution(arch):
    inst = densemc.Instance.generate(teacher=True, seed=8, **arch)
    w = inst.teacher
    assert w.dtype == np.int8 and w.shape == (inst.n,)
    assert densemc.eval(inst, w) == 0
    assert densemc.eval(inst, -w if inst.activation == "perceptron" else w) in (inst.p, 0)
    # Far above capacity a random instance has no solution; the teacher's labels do.
    flipped = w.copy()
    flipped[: inst.n // 2] *= -1
    assert densemc.eval(inst, flipped) > 0
    assert densemc.Instance.generate(seed=8, **arch).teacher is None


def test_progress_callback(easy):
    seen = []
    hard = densemc.Instance.generate(n=201, alpha=0.75, seed=3)
    densemc.solve(hard, max_sweeps=60, no_stop=True, progress=seen.append, progress_every=0.0)
    assert [p["sweep"] for p in seen] == list(range(1, 61))
    assert set(seen[0]) == {"sweep", "beta", "gamma", "energies", "centre_energy", "proposals"}
    assert len(seen[0]["energies"]) == 7 and seen[0]["centre_energy"] is not None


def test_progress_exception_stops_the_run(easy):
    class Stop(Exception):
        pass

    calls = []

    def cb(p):
        calls.append(p["sweep"])
        if p["sweep"] == 3:
            raise Stop("enough")

    with pytest.raises(Stop, match="enough"):
        densemc.solve(easy, max_sweeps=10**6, no_stop=True, progress=cb, progress_every=0.0)
    assert calls == [1, 2, 3]

    def interrupt(p):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        densemc.solve(easy, max_sweeps=10**6, no_stop=True, progress=interrupt, progress_every=0.0)


@pytest.mark.parametrize(
    "call",
    [
        "solve(inst, max_sweeps=10**9, no_stop=True)",
        "solve(inst, max_sweeps=10**9, no_stop=True, threads=2)",  # the sweeps run on a pool thread
        "sweep(1001, [0.6], samples=50, max_sweeps=10**9, no_stop=True, threads=2)",
    ],
)
def test_ctrl_c_raises_keyboard_interrupt(call):
    # A real SIGINT, sent to the process from a timer thread while the run holds no GIL.
    code = textwrap.dedent(
        f"""
        import os, signal, threading, densemc
        from densemc import solve, sweep
        # Python's own handler, even where the test runs with SIGINT ignored (a background job).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        inst = densemc.Instance.generate(n=1001, alpha=0.6, seed=1)
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            {call}
        except KeyboardInterrupt:
            print("interrupted")
        """
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "interrupted"


def test_errors(easy):
    with pytest.raises(ValueError, match="β and γ must be finite and non-negative"):
        densemc.solve(easy, beta0=-1.0)
    with pytest.raises(ValueError, match=r"y \(the number of replicas\) is 0"):
        densemc.solve(easy, y=0)
    with pytest.raises(ValueError, match="algo"):
        densemc.solve(easy, "ga")
    with pytest.raises(ValueError, match="energy: the linear"):
        densemc.solve(densemc.Instance.generate(n=75, alpha=0.3, k=3, activation="sign"), energy="linear")
    with pytest.raises(ValueError, match="apply to fbp"):
        densemc.solve(easy, "rsa", bp_step=0.1)
    with pytest.raises(ValueError, match="max_sweeps"):
        densemc.solve(easy, max_sweeps=-1)
    with pytest.raises(ValueError, match="beta1"):
        densemc.solve(easy, beta1="hot")
    with pytest.raises(TypeError, match="unknown search parameter \"temperature\""):
        densemc.solve(easy, temperature=1.0)
    with pytest.raises(ValueError, match="progress_every"):
        densemc.solve(easy, progress_every=-1)
    with pytest.raises(ValueError, match="the grid is empty"):
        densemc.sweep([], [0.5])


def test_fbp_and_schedule(easy, tmp_path):
    r = densemc.solve(easy, "fbp", bp_step=0.02, trace=True)
    assert r.solved and r.found is None and r.replicas.shape == (1, 201)
    assert r.record["config"]["fbp"]["step"] == 0.02
    table = tmp_path / "schedule.txt"
    table.write_text("0 0.5 0.1\n100 2.0 1.0\n")
    s = densemc.solve(easy, schedule=table, max_sweeps=200, seed=1)
    assert s.record["config"]["schedule"]["kind"] != "ramp"
    with pytest.raises(ValueError, match="replaces the ramp"):
        densemc.solve(easy, schedule=str(table), beta0=1.0)


def test_robustness_and_local_entropy(easy):
    rsa = densemc.solve(easy, "rsa", max_sweeps=2000, seed=1)
    sa = densemc.solve(easy, "sa", max_sweeps=2000, seed=1)
    rb = densemc.robustness(easy, {"rsa": rsa.weights, "sa": sa.weights}, p_grid="0:0.1:0.05", draws=30)
    assert rb["labels"] == ["rsa", "sa"] and list(rb["p"]) == pytest.approx([0, 0.05, 0.1])
    assert rb["local_energy"].shape == (2, 3) and rb["errors"] == [0, 0]
    assert np.all(rb["local_energy"][:, 0] == 0) and np.all(rb["local_energy"][:, 2] > 0)
    assert rb["distances"].shape == (2, 2) and rb["distances"][0, 1] == np.mean(rsa.weights != sa.weights)
    assert rb["hidden"] is None
    # Same draws for a list as for a dict.
    again = densemc.robustness(easy, [rsa.weights, sa.weights], p_grid=[0, 0.05, 0.1], draws=30)
    np.testing.assert_array_equal(again["local_energy"], rb["local_energy"])
    le = densemc.local_entropy(easy, rsa.weights, gammas="0.5:4:0.5")
    assert le["method"] == "bp" and le["n"] == 201 and len(le["gamma"]) == 8
    h = lambda d: -d * np.log(d) - (1 - d) * np.log(1 - d)
    inside = [(d, s) for d, s in zip(le["d_grid"], le["s_grid"]) if s is not None]
    assert len(inside) >= 3 and all(0 < s < h(d) for d, s in inside)
    with pytest.raises(ValueError, match="local entropy is defined around a solution"):
        densemc.local_entropy(easy, np.ones(201, dtype=np.int8))
    with pytest.raises(ValueError, match="p grid"):
        densemc.robustness(easy, [rsa.weights], p_grid=[1.5])


def test_sweep_progress_and_teacher():
    seen = []
    recs = densemc.sweep(101, "0.4:0.6:0.1", samples=2, algos="rsa,sa", teacher=True,
                         max_sweeps=300, progress=seen.append)
    assert len(recs) == 12 and sorted(r["seed"] for r in seen) == sorted(r["seed"] for r in recs)
    assert all(r["teacher"] for r in recs) and [r["alpha"] for r in recs[::4]] == pytest.approx([0.4, 0.5, 0.6])
    with pytest.raises(TypeError, match="algos"):
        densemc.sweep(101, 0.5, algo="sa")
