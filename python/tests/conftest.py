"""Shared fixtures: the CLI binary (built by `cargo test --release` before the Python step) and records
compared without their timings."""

import json
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "densemc"

# Fields of a result record or sweep line that measure time, not the run.
TIMINGS = {"seconds", "proposals_per_second", "flips_per_second"}


@pytest.fixture(scope="session")
def cli():
    """Runs the densemc CLI; the binary must exist (no skip: the comparison is the point)."""
    if not CLI.is_file():
        pytest.fail(
            f"the densemc CLI is missing at {CLI}: build it first with `cargo build --release` "
            "(CI runs `cargo test --release` before the Python tests)"
        )

    def run(*args):
        p = subprocess.run(
            [str(CLI), *map(str, args)], capture_output=True, text=True, timeout=600
        )
        assert p.returncode == 0, f"densemc {' '.join(map(str, args))}: {p.stderr}"
        return p.stdout

    return run


def untimed(record):
    """A record without its timings."""
    return {k: v for k, v in record.items() if k not in TIMINGS}


def read_json(path):
    return json.loads(pathlib.Path(path).read_text())
