"""Pure scheduling logic: parsing, partition state, the due-time queue, a clock."""

from app.engine.clock import Clock, ManualClock, ShiftedClock, SystemClock
from app.engine.engine import Engine, EngineSettings
from app.engine.events import (
    Action,
    Event,
    Fire,
    NullObserver,
    Observer,
    Reject,
    Rewrite,
    Tombstone,
)
from app.engine.record import Record, WriteFailed, Written
from app.engine.schedule import Rules, Schedule

__all__ = [
    "Action",
    "Clock",
    "Engine",
    "EngineSettings",
    "Event",
    "Fire",
    "ManualClock",
    "NullObserver",
    "Observer",
    "Record",
    "Reject",
    "Rewrite",
    "Rules",
    "Schedule",
    "ShiftedClock",
    "SystemClock",
    "Tombstone",
    "WriteFailed",
    "Written",
]
