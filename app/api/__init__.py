"""The HTTP API: thin routes over a backend (the Kafka scheduler or the mini mode)."""

from app.api.app import create_app
from app.api.backend import Backend

__all__ = ["Backend", "create_app"]
