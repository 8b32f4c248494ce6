"""Fault runs against real scheduler processes: shared by the failover tests and by
``make chaos``."""
