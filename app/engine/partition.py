"""The state of one assigned schedules partition.

Invariant: once loaded, what a partition holds equals what a fresh replay of its log gives:
the same key replaces, a null value deletes, an invalid record cancels the key. The scheduler
writes into the log too (tombstones of fired or invalid versions, rewrites), so each of its
records names the version it is about; a replay can then tell "delete the version that fired"
from "delete whatever is there", and an update written between a trigger and its tombstone
survives.
"""

from __future__ import annotations

from typing import Protocol

from app.engine.events import Action, Event, Fire, Reject, Rewrite, Tombstone
from app.engine.schedule import Deletion, Invalid, RecordLike, Schedule
from app.engine.store import Pending, ScheduleStore, due_of, pending, ref_of, version_of, with_ref

_DELETED = -1
_SKIPPED = -2


class Host(Protocol):
    """What a partition needs from the engine that owns it."""

    grace_ms: int

    def now_ms(self) -> int: ...
    def emit(self, action: Action) -> None: ...
    def count(self, event: Event, n: int = 1) -> None: ...
    def plan(self, state: PartitionState, key: bytes, version: int, at_ms: int) -> None: ...


class PartitionState:
    __slots__ = (
        "_load_deletes",
        "_load_rejects",
        "_load_rewrites",
        "held",
        "inflight",
        "loaded_at_ms",
        "partition",
        "rewrite_marks",
        "rewriting",
        "serial",
        "store",
        "topic",
    )

    def __init__(self, topic: str, partition: int, serial: int, store: ScheduleStore) -> None:
        self.topic = topic
        self.partition = partition
        self.serial = serial
        """Unique per assignment, so that nothing planned under a revoked assignment fires
        after the partition comes back."""
        self.loaded_at_ms: int | None = None
        self.store = store
        self.held: dict[bytes, Pending] = {}
        """The index of the schedules held; the schedules themselves are in ``store``."""
        self.inflight: dict[bytes, int] = {}
        """Key -> version fired whose tombstone has not been read back yet."""
        self.rewriting: dict[bytes, int] = {}
        """Key -> version of the last rewrite not read back yet (the earlier ones, of older
        versions, are read back before it)."""
        self.rewrite_marks: dict[bytes, int] = {}
        """Key -> ``_DELETED`` if a user deleted or invalidated the key while a rewrite was on
        its way, ``_SKIPPED`` if the load skipped it; kept until the last rewrite is back."""
        self._load_rejects: dict[bytes, tuple[RecordLike, str]] = {}
        self._load_rewrites: set[bytes] = set()
        self._load_deletes: dict[bytes, int] = {}
        """Key -> offset of the user record that last removed it, during the load: a rewrite
        of an older version after it is a previous owner's, sent before it saw the delete."""

    @property
    def loading(self) -> bool:
        return self.loaded_at_ms is None

    # -- the index and its store -----------------------------------------------------------

    def hold(self, key: bytes, schedule: Schedule) -> None:
        old = self.held.get(key)
        self.held[key] = pending(schedule.due_ms, schedule.version, self.store.put(schedule))
        if old is not None:
            self._drop(ref_of(old))

    def release(self, key: bytes) -> None:
        entry = self.held.pop(key, None)
        if entry is not None:
            self._drop(ref_of(entry))

    def schedule(self, key: bytes) -> Schedule | None:
        entry = self.held.get(key)
        return None if entry is None else self.store.get(ref_of(entry))

    def close(self) -> None:
        self.held.clear()
        self.store.close()

    def _drop(self, ref: int) -> None:
        self.store.drop(ref)
        if self.store.wasted():
            keys = list(self.held)
            refs = self.store.rewrite([ref_of(self.held[key]) for key in keys])
            for key, new_ref in zip(keys, refs, strict=True):
                self.held[key] = with_ref(self.held[key], new_ref)

    # -- records ---------------------------------------------------------------------------

    def apply(self, record: RecordLike, parsed: Schedule | Deletion | Invalid, host: Host) -> None:
        key = record.key()
        if key is None:
            if isinstance(parsed, Invalid) and not self.loading:
                host.count(Event.INVALID)
            return
        if isinstance(parsed, Schedule) and parsed.version == parsed.offset:
            # Live or found by a load alike, so that a replay decides as the live read did.
            late = _late_reason(parsed, host)
            if late is not None:
                parsed = Invalid(late)
        if isinstance(parsed, Schedule):
            if parsed.version != parsed.offset:
                self._apply_rewrite(key, parsed, host)
            else:
                self._apply_schedule(key, parsed, host)
        elif isinstance(parsed, Deletion):
            if parsed.tombstone_of is None:
                self._apply_user_delete(key, host)
                if self.loading:
                    self._load_deletes[key] = record.offset() or 0
            else:
                self._apply_own_tombstone(key, parsed.tombstone_of, host)
        else:
            self._apply_invalid(key, record, parsed.reason, host)
            if self.loading:
                self._load_deletes[key] = record.offset() or 0

    def _forget_load_marks(self, key: bytes) -> None:
        if self.loading:
            self._load_rejects.pop(key, None)
            self._load_rewrites.discard(key)
            self._load_deletes.pop(key, None)

    def _apply_schedule(self, key: bytes, schedule: Schedule, host: Host) -> None:
        self._forget_load_marks(key)
        if self.loading:
            self.hold(key, schedule)
            return
        now = host.now_ms()
        if schedule.due_ms > now:
            self.hold(key, schedule)
            host.plan(self, key, schedule.version, schedule.due_ms)
            host.count(Event.PLANNED)
        else:  # not late when written (see apply): it fires, however late it reached us
            self.release(key)
            self.inflight[key] = schedule.version
            host.emit(Fire(schedule, missed=False))

    def _apply_rewrite(self, key: bytes, schedule: Schedule, host: Host) -> None:
        """A schedule the scheduler wrote again: the same version at a new offset."""
        mark = self.rewrite_marks.get(key)
        if self.rewriting.get(key, schedule.version + 1) <= schedule.version:
            del self.rewriting[key]  # the last one on its way: forget the marks with it
            self.rewrite_marks.pop(key, None)
        held = self.held.get(key)
        if held is not None and version_of(held) == schedule.version:
            self.hold(key, schedule)
            self._forget_load_marks(key)
        elif held is not None:
            self._keep_last(key, held, host)
        elif self.inflight.get(key, _DELETED) >= schedule.version:
            return
        elif mark == _DELETED or self._load_deletes.get(key, -1) > schedule.version:
            host.emit(Tombstone(self.topic, self.partition, key, schedule.version))
        elif mark == _SKIPPED:
            return  # still before the window, as a replay would find it
        else:
            # The versions before it were compacted away: it is the schedule now.
            self.hold(key, schedule)
            if not self.loading:
                host.plan(self, key, schedule.version, schedule.due_ms)

    def _cancel(self, key: bytes) -> None:
        """A user record removes the key (a delete, an invalid or a too-late schedule): nothing
        of it may fire any more, neither a rewrite on its way back nor a failed fire retried."""
        self.release(key)
        self.inflight.pop(key, None)
        if key in self.rewriting:
            self.rewrite_marks[key] = _DELETED

    def _apply_user_delete(self, key: bytes, host: Host) -> None:
        self._cancel(key)
        self._forget_load_marks(key)
        if not self.loading:
            host.count(Event.DELETED)

    def _apply_own_tombstone(self, key: bytes, version: int, host: Host) -> None:
        if self.inflight.get(key, version + 1) <= version:
            del self.inflight[key]
        reject = self._load_rejects.get(key)
        if reject is not None and (reject[0].offset() or 0) <= version:
            del self._load_rejects[key]
        held = self.held.get(key)
        if held is None or version_of(held) <= version:
            self.release(key)
            self._load_rewrites.discard(key)
        else:
            self._keep_last(key, held, host)

    def _apply_invalid(self, key: bytes, record: RecordLike, reason: str, host: Host) -> None:
        self._cancel(key)
        if self.loading:
            self._load_rewrites.discard(key)
            self._load_rejects[key] = (record, reason)
        else:
            host.emit(Reject(record, reason))
            host.count(Event.INVALID)

    def _keep_last(self, key: bytes, held: Pending, host: Host) -> None:
        """The log now ends with a record older than the held version: write it again."""
        if self.loading:
            self._load_rewrites.add(key)
        elif self.rewriting.get(key) != version_of(held):  # else one is on its way, later on
            self.rewriting[key] = version_of(held)
            self.rewrite_marks.pop(key, None)
            host.emit(Rewrite(self.store.get(ref_of(held))))

    def finish_load(self, host: Host, window_start_ms: int) -> None:
        """Decide what the loaded log means: reject, rewrite, skip or plan each key."""
        now = host.now_ms()
        self.loaded_at_ms = now
        for record, reason in self._load_rejects.values():
            host.emit(Reject(record, reason))
        host.count(Event.INVALID, len(self._load_rejects))
        for key in self._load_rewrites:
            self._keep_last(key, self.held[key], host)
        self._load_rejects.clear()
        self._load_rewrites.clear()
        self._load_deletes.clear()
        skipped = [key for key, p in self.held.items() if due_of(p) < window_start_ms]
        for key in skipped:
            self.release(key)
            if key in self.rewriting:  # rewritten above: its read-back must not plan it
                self.rewrite_marks[key] = _SKIPPED
        host.count(Event.SKIPPED, len(skipped))
        planned = 0
        for key, entry in self.held.items():
            due_ms = due_of(entry)
            host.plan(self, key, version_of(entry), due_ms)
            planned += due_ms > now
        host.count(Event.PLANNED, planned)


def _late_reason(schedule: Schedule, host: Host) -> str | None:
    """Why a schedule was already past due when its producer wrote it (beyond the grace
    interval); None when it was not. One that was due in time fires however late it reaches
    us (a broker failover, a slow load, a restart)."""
    written_ms = _written_ms(schedule, host.now_ms())
    if schedule.due_ms // 1000 >= written_ms // 1000 - host.grace_ms // 1000:
        return None
    return f"due time {schedule.due_ms / 1000:.3f} was past when written ({written_ms / 1000:.3f})"


def _written_ms(schedule: Schedule, now_ms: int) -> int:
    """When the schedule's record was written: its timestamp, unless that is missing or
    ahead of our clock (a producer's clock running fast must not excuse a past due time)."""
    if schedule.timestamp_ms <= 0:
        return now_ms
    return min(schedule.timestamp_ms, now_ms)
