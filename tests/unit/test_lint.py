"""The code passes the committed ruff configuration (pyproject.toml), including Airflow 3's AIR3 rules."""

import subprocess
import sys
from pathlib import Path

from etl.config import REPO_ROOT


def test_ruff_finds_nothing() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run([str(ruff), "check", "--no-cache", "."], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
