"""Pending schedules of one partition in a file, so that memory does not grow with payloads.

The file is a cache of what the partition's log holds, rebuilt on every assignment; it is
never read after a restart, so it is created unlinked: the system frees it even when the
process is killed. Records are appended; the room of the dropped ones is taken back by
copying the live ones into a new file once it outweighs them.
"""

from __future__ import annotations

import marshal
import os
import tempfile

from app.engine import Schedule

FLUSH_BYTES = 1 << 20
WASTE_MIN_BYTES = 64 << 20
"""Dropped bytes below this are never worth a rewrite."""
READ_CHUNK_BYTES = 8 << 20
_SIZE_BITS = 32
_SIZE_MASK = (1 << _SIZE_BITS) - 1


class ScheduleFile:
    """A ``ScheduleStore`` on disk; a handle is the record's position and size."""

    __slots__ = ("_buffer", "_directory", "_fd", "_flushed", "_live", "_partition", "_topic")

    def __init__(self, topic: str, partition: int, directory: str | None = None) -> None:
        self._topic = topic
        self._partition = partition
        self._directory = directory
        self._fd = self._new_file()
        self._buffer = bytearray()
        """Appended, not yet written: one write per megabyte, not per schedule."""
        self._flushed = 0
        self._live = 0

    def put(self, schedule: Schedule) -> int:
        data = marshal.dumps(
            (
                schedule.id,
                schedule.due_ms,
                schedule.target_topic,
                schedule.target_key,
                schedule.value,
                schedule.headers,
                schedule.timestamp_ms,
                schedule.offset,
                schedule.version,
            )
        )
        position = self._flushed + len(self._buffer)
        self._buffer += data
        if len(self._buffer) >= FLUSH_BYTES:
            self._flush()
        self._live += len(data)
        return position << _SIZE_BITS | len(data)

    def get(self, ref: int) -> Schedule:
        key, due_ms, target_topic, target_key, value, headers, timestamp_ms, offset, version = (
            marshal.loads(self._read(ref))
        )
        return Schedule(
            id=key,
            due_ms=due_ms,
            target_topic=target_topic,
            target_key=target_key,
            value=value,
            headers=headers,
            timestamp_ms=timestamp_ms,
            topic=self._topic,
            partition=self._partition,
            offset=offset,
            version=version,
        )

    def drop(self, ref: int) -> None:
        self._live -= ref & _SIZE_MASK

    def wasted(self) -> bool:
        dropped = self._flushed + len(self._buffer) - self._live
        return dropped > WASTE_MIN_BYTES and dropped > self._live

    def rewrite(self, refs: list[int]) -> list[int]:
        """Copy the live records in file order, reading the old file in large chunks."""
        self._flush()
        old, self._fd = self._fd, self._new_file()
        self._flushed = self._live = 0
        new_refs = [0] * len(refs)
        chunk, chunk_at = b"", 0
        for index in sorted(range(len(refs)), key=refs.__getitem__):
            ref = refs[index]
            position, size = ref >> _SIZE_BITS, ref & _SIZE_MASK
            if position + size > chunk_at + len(chunk):
                chunk_at = position
                chunk = os.pread(old, max(size, READ_CHUNK_BYTES), position)
            start = position - chunk_at
            new_refs[index] = (self._flushed + len(self._buffer)) << _SIZE_BITS | size
            self._buffer += chunk[start : start + size]
            self._live += size
            if len(self._buffer) >= FLUSH_BYTES:
                self._flush()
        os.close(old)
        return new_refs

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._buffer.clear()

    def _new_file(self) -> int:
        fd, path = tempfile.mkstemp(
            prefix=f"{self._topic}-{self._partition}-", suffix=".schedules", dir=self._directory
        )
        os.unlink(path)
        return fd

    def _read(self, ref: int) -> bytes:
        position, size = ref >> _SIZE_BITS, ref & _SIZE_MASK
        if position >= self._flushed:
            start = position - self._flushed
            return bytes(self._buffer[start : start + size])
        data = os.pread(self._fd, size, position)
        if len(data) != size:
            raise OSError(f"schedule file of {self._topic}[{self._partition}] is truncated")
        return data

    def _flush(self) -> None:
        written = 0
        with memoryview(self._buffer) as pending:
            while written < len(pending):
                written += os.pwrite(self._fd, pending[written:], self._flushed + written)
        self._flushed += written
        self._buffer.clear()
