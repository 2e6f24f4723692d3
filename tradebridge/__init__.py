"""The `tradebridge` command: the one place that assembles web, worker and tools.

`web` and `worker` never import each other; this package is the composition root that
may start either (and, in dev mode, both plus the paper exchange).
"""
