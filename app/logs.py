"""Log set-up: plain text for people, or one JSON object per line (``LOG_FORMAT=json``) for
log shippers, which then need no parsing rules and keep a traceback inside its record
instead of splitting it into lines that look like records of their own."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ASCII escapes keep the object on one line even for U+2028 and friends, which some
        # readers (Python's str.splitlines among them) take as line breaks.
        return json.dumps(entry, ensure_ascii=True)


def configure(level: str, log_format: str) -> None:
    """Send every logger's records, uvicorn's included, through one root handler."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level.upper(), handlers=[handler])
