"""``python -m paper_exchange``."""

from __future__ import annotations

import sys

from paper_exchange.cli import main

if __name__ == "__main__":
    sys.exit(main())
