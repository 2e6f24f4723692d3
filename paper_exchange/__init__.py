"""A local Binance-Spot-compatible paper exchange for development and tests.

It is a test/dev venue, not part of tradebridge's runtime: nothing in ``worker/``,
``web/`` or ``shared/`` imports it. See ``paper_exchange/README.md``.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
