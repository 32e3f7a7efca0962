"""The type stubs (densemc/__init__.pyi) match the module: mypy's stubtest compares every name,
signature and default with the runtime objects."""

import subprocess
import sys


def test_stubs_match_the_module():
    p = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "densemc"], capture_output=True, text=True, timeout=600
    )
    assert p.returncode == 0, p.stdout + p.stderr
