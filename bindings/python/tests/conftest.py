"""Shared fixtures of the segmentlog Python tests."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

import segmentlog

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "python"


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """A directory for a log that does not exist yet."""
    return tmp_path / "log"


@pytest.fixture
def log(log_dir: Path) -> Iterator[segmentlog.Log]:
    """An open, empty log with default options, closed after the test."""
    with segmentlog.open(log_dir) as lg:
        yield lg


def run_python(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs a script with this interpreter (the venv's), capturing output."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout
    )


@functools.cache
def _core_example(name: str) -> Path:
    """Builds one of core's examples once per test run (release, as `make test-core` does)."""
    cargo = shutil.which(os.environ.get("CARGO", "cargo"))
    if cargo is None:
        pytest.skip("cargo is not on PATH: cannot build core's examples")
    # --manifest-path rather than `-p segmentlog`: a crates.io crate of that name may be in the
    # lock file too (as a dev-dependency), which makes `-p segmentlog` ambiguous.
    subprocess.run(
        [cargo, "build", "--release", "-q", "--manifest-path", str(ROOT / "core" / "Cargo.toml"),
         "--example", name],
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "examples" / name


def cargo_example(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs one of core's examples with `args`, capturing output."""
    return subprocess.run(
        [str(_core_example(name)), *args], capture_output=True, text=True, timeout=timeout
    )
