"""JSON log records: one parseable object per line whatever the message holds, with the
fields log pipelines index on."""

from __future__ import annotations

import json
import logging
import sys
import time

import pytest

from app.logs import JsonFormatter


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("bad epoch")
        except ValueError:
            exc_info = sys.exc_info()
    made = logging.LogRecord(
        "app.kafka.writer", logging.WARNING, __file__, 1, message, args, exc_info
    )
    made.created = 1893456000.25  # 2030-01-01T00:00:00.250Z
    return made


def test_fields_and_utc_time_with_milliseconds() -> None:
    line = JsonFormatter().format(record("fired %d schedules", 3))
    assert json.loads(line) == {
        "time": "2030-01-01T00:00:00.250Z",
        "level": "WARNING",
        "logger": "app.kafka.writer",
        "message": "fired 3 schedules",
    }


def test_exception_text_stays_inside_the_one_line() -> None:
    line = JsonFormatter().format(record("write failed", exc=True))
    assert "\n" not in line
    exception = json.loads(line)["exception"]
    assert exception.startswith("Traceback (most recent call last):")
    assert exception.endswith("ValueError: bad epoch")


def test_line_breaks_of_any_kind_in_a_message_do_not_split_the_record() -> None:
    message = 'first\nsecond\r\nthird\u2028fourth "quoted" é'
    line = JsonFormatter().format(record(message))
    assert len(line.splitlines()) == 1
    assert json.loads(line)["message"] == message


def test_time_is_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        line = JsonFormatter().format(record("x"))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert json.loads(line)["time"] == "2030-01-01T00:00:00.250Z"
