"""`python -m worker`: the settings are checked before worker.main is imported, since
importing it registers the tasks (the same order as `tradebridge worker`)."""

import sys

from shared.errors import ConfigurationError
from shared.settings import get_settings

try:
    get_settings().require_for("worker")
except ConfigurationError as exc:
    print(f"worker: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

from worker.main import main

raise SystemExit(main())
