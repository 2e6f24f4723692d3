"""Trading statistics and FIFO P&L from the `fills` table (docs/stats.md).

`fifo` is the pure-Python FIFO engine (the reference for the database's), `models` the
frozen results, `window` the rolling 24h window, `repository` the reads.
"""
