"""Venue streams in the worker: user-data streams under leases (supervisor, user_stream)
and market data streams shared per process (books)."""
