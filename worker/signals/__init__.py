"""Signal bots in the worker: the fan-out of a strategy's signals to its bots."""
