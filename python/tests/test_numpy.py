"""numpy → densemc → numpy is lossless, through memory and through both file formats; bad arrays are
refused with ValueErrors that say what is wrong."""

import numpy as np
import pytest

import densemc


def pm(rng, *shape):
    return np.where(rng.random(shape) < 0.5, -1, 1).astype(np.int8)


@pytest.mark.parametrize(
    "p, inputs, k, activation, fc",
    [
        (1, 1, 1, "perceptron", False),
        (37, 65, 1, "perceptron", False),
        (513, 129, 1, "perceptron", False),  # P past one 512-bit stripe
        (70, 45, 3, "sign", False),
        (64, 40, 4, "relu", False),
        (50, 21, 3, "sign", True),  # fully connected: n = 21 inputs, N = 63 weights
    ],
)
def test_round_trip(tmp_path, p, inputs, k, activation, fc):
    rng = np.random.default_rng(p * 1000 + inputs)
    xi, sigma = pm(rng, p, inputs), pm(rng, p)
    inst = densemc.Instance.from_numpy(xi, sigma, k=k, activation=activation, fully_connected=fc)
    assert (inst.p, inst.inputs, inst.k) == (p, inputs, k)
    assert inst.n == (inputs * k if fc else inputs)
    assert inst.activation == ("fc-sign" if fc else activation)
    x2, s2 = inst.to_numpy()
    assert x2.dtype == np.int8 and s2.dtype == np.int8
    np.testing.assert_array_equal(x2, xi)
    np.testing.assert_array_equal(s2, sigma)
    for fmt in ("text", "binary"):
        path = tmp_path / f"inst.{fmt}"
        inst.write(path, fmt)
        back = densemc.Instance.read(path)
        assert back.checksum == inst.checksum
        x3, s3 = back.to_numpy()
        np.testing.assert_array_equal(x3, xi)
        np.testing.assert_array_equal(s3, sigma)


def test_generated_instance_round_trip():
    inst = densemc.Instance.generate(n=301, alpha=0.6, seed=5)
    xi, sigma = inst.to_numpy()
    assert xi.shape == (inst.p, 301) and inst.p == round(0.6 * 301)
    again = densemc.Instance.from_numpy(xi, sigma)
    assert again.checksum == inst.checksum
    # The same problem gives the same search.
    a = densemc.solve(inst, max_sweeps=300, seed=2)
    b = densemc.solve(again, max_sweeps=300, seed=2)
    np.testing.assert_array_equal(a.weights, b.weights)


def test_bool_and_strided_arrays():
    rng = np.random.default_rng(3)
    xi, sigma = pm(rng, 40, 33), pm(rng, 40)
    ref = densemc.Instance.from_numpy(xi, sigma).checksum
    assert densemc.Instance.from_numpy(xi > 0, sigma > 0).checksum == ref
    assert densemc.Instance.from_numpy(np.asfortranarray(xi), sigma).checksum == ref
    wide = np.ones((80, 66), dtype=np.int8)
    wide[::2, ::2] = xi
    assert densemc.Instance.from_numpy(wide[::2, ::2], sigma).checksum == ref


@pytest.mark.parametrize(
    "xi, sigma, message",
    [
        (np.ones((4, 5), dtype=np.int64), np.ones(4, dtype=np.int8), "xi: expected dtype int8 (±1) or bool, got int64"),
        (np.ones((4, 5)), np.ones(4, dtype=np.int8), "xi: expected dtype int8 (±1) or bool, got float64"),
        ([[1, -1, 1]], np.ones(1, dtype=np.int8), "xi: expected a numpy array of dtype int8"),
        (np.ones(5, dtype=np.int8), np.ones(5, dtype=np.int8), "xi: expected a 2-D array of shape (P, inputs)"),
        (np.ones((4, 5), dtype=np.int8), np.ones((4, 1), dtype=np.int8), "sigma: expected a 1-D array"),
        (np.ones((4, 5), dtype=np.int8), np.ones(3, dtype=np.int8), "sigma: 3 labels for P=4 patterns"),
        (np.array([[1, 0, 1]], dtype=np.int8), np.ones(1, dtype=np.int8), "xi: entries must be +1 or -1, found 0 at index [0, 1]"),
        (np.ones((2, 3), dtype=np.int8), np.array([1, 2], dtype=np.int8), "sigma: entries must be +1 or -1, found 2 at index [1]"),
        (np.ones((2, 4), dtype=np.int8), np.ones(2, dtype=np.int8), "xi: "),  # N even: no perceptron
        (np.ones((0, 3), dtype=np.int8), np.ones(0, dtype=np.int8), "xi: no patterns (P=0)"),
    ],
)
def test_bad_arrays_are_refused(xi, sigma, message):
    with pytest.raises(ValueError) as e:
        densemc.Instance.from_numpy(xi, sigma)
    assert message in str(e.value)


def test_bad_architecture_and_names():
    xi = np.ones((3, 6), dtype=np.int8)
    s = np.ones(3, dtype=np.int8)
    with pytest.raises(ValueError, match="activation"):
        densemc.Instance.from_numpy(xi, s, k=2, activation="tanh")
    with pytest.raises(ValueError, match="fully connected"):
        densemc.Instance.from_numpy(xi, s, k=2, activation="relu", fully_connected=True)
    with pytest.raises(ValueError):
        densemc.Instance.from_numpy(xi, s, k=4, activation="sign")  # K even


def test_bad_weights_are_refused():
    inst = densemc.Instance.generate(n=101, alpha=0.5, seed=1)
    with pytest.raises(ValueError, match=r"weights: expected shape \(101,\)"):
        densemc.eval(inst, np.ones(100, dtype=np.int8))
    with pytest.raises(ValueError, match="weights: entries must be"):
        densemc.eval(inst, np.zeros(101, dtype=np.int8))
    with pytest.raises(ValueError, match="weights: expected dtype"):
        densemc.eval(inst, np.ones(101, dtype=np.int32))
    assert densemc.eval(inst, np.ones(101, dtype=bool)) == densemc.eval(inst, np.ones(101, dtype=np.int8))


def test_write_never_replaces_a_foreign_file(tmp_path):
    inst = densemc.Instance.generate(n=51, alpha=0.5, seed=1)
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes\n")
    with pytest.raises(ValueError, match="notes.txt"):
        inst.write(foreign, "text")
    assert foreign.read_text() == "my notes\n"
    with pytest.raises(ValueError, match="format"):
        inst.write(tmp_path / "x", "csv")
    with pytest.raises(ValueError, match="no such file"):
        densemc.Instance.read(tmp_path / "missing.txt")
