"""The HTTP API: thin routes over a backend (the Kafka scheduler or the mini mode)."""

from app.api.app import Backend, create_app

__all__ = ["Backend", "create_app"]
