"""A signal bot's position: protective exits, the trailing stop, the close (watch_position)."""
