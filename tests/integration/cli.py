"""Running the real `tradebridge` command from a test."""

from __future__ import annotations

import os
import subprocess
import sys


def run_tradebridge(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m tradebridge ARGS` on `db_url` (dev mode unless `env` says otherwise)."""
    environment = {**os.environ, "DATABASE_URL": db_url, "TRADEBRIDGE_ENV": "dev", **env}
    return subprocess.run(
        [sys.executable, "-m", "tradebridge", *args],
        env=environment, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
