"""Signal bots: what the web and the worker share (ATR)."""
