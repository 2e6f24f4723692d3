"""Bots: pure strategy decisions (`spread`, `volume`) over a snapshot, and the tick that
does the I/O around them (`tick`)."""
