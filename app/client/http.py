"""A thin client of the /v1 REST API, for callers that have HTTP but no Kafka client.

It speaks in the API's own models (``app.api.models``), so a field added to the API cannot
be forgotten here. Writes are PUTs: create-or-replace by id, safe to repeat after a timeout.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from app.api.models import (
    ClockOut,
    Page,
    RecordHeader,
    RecordOut,
    ScheduleIn,
    ScheduleOut,
    as_text,
)
from app.client.records import due_ms


class ApiError(Exception):
    """An answer other than success; ``detail`` is the API's explanation (a list of field
    errors for a 422)."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class SchedulerClient:
    """``SchedulerClient("http://localhost:8000")``; or over a configured ``httpx.Client``
    (TLS, proxies, or a test client), whose base URL is then used."""

    def __init__(
        self,
        base_url: str = "http://localhost:8000",
        *,
        token: str | None = None,
        timeout: float = 10.0,
        http: httpx.Client | None = None,
    ) -> None:
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._auth = {"Authorization": f"Bearer {token}"} if token else {}

    def __enter__(self) -> SchedulerClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, headers=self._auth, **kwargs)
        if response.is_error:
            try:
                body = response.json()
            except ValueError:
                body = None
            detail = (
                body["detail"] if isinstance(body, dict) and "detail" in body else response.text
            )
            raise ApiError(response.status_code, detail)
        return response

    def schedule(
        self,
        schedule_id: str,
        due: datetime | float,
        target_topic: str,
        value: str | bytes,
        *,
        target_key: str | None = None,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        topic: str | None = None,
    ) -> ScheduleOut:
        """Create or replace schedule ``schedule_id``; the same arguments as
        ``app.client.schedule``, with text headers (what the API carries)."""
        text, encoding = as_text(value)
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        body = ScheduleIn(
            id=schedule_id,
            epoch=due_ms(due) / 1000,
            at=None,
            target_topic=target_topic,
            target_key=target_key,
            value=text or "",
            value_encoding=encoding,
            headers=[RecordHeader(name=name, value=raw) for name, raw in pairs],
            topic=topic,
        )
        path = f"/v1/schedules/{quote(schedule_id, safe='')}"
        response = self._call("PUT", path, json=body.model_dump(mode="json", exclude_none=True))
        return ScheduleOut.model_validate(response.json())

    def get(self, schedule_id: str) -> ScheduleOut | None:
        try:
            response = self._call("GET", f"/v1/schedules/{quote(schedule_id, safe='')}")
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return ScheduleOut.model_validate(response.json())

    def delete(self, schedule_id: str) -> bool:
        """False when no pending schedule has this id."""
        try:
            self._call("DELETE", f"/v1/schedules/{quote(schedule_id, safe='')}")
        except ApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    def pages(
        self,
        *,
        id_prefix: str | None = None,
        due_from: float | None = None,
        due_to: float | None = None,
        target_topic: str | None = None,
        page_size: int = 100,
    ) -> Iterator[Page]:
        """Every page of pending schedules, by due time; a page's ``unreachable`` names the
        instances whose schedules it may be missing."""
        params: dict[str, str | int | float] = {"limit": page_size}
        filters = {
            "id_prefix": id_prefix,
            "due_from": due_from,
            "due_to": due_to,
            "target_topic": target_topic,
        }
        params.update({name: value for name, value in filters.items() if value is not None})
        while True:
            page = Page.model_validate(self._call("GET", "/v1/schedules", params=params).json())
            yield page
            if page.next_cursor is None:
                return
            params["cursor"] = page.next_cursor

    def schedules(self, **filters: Any) -> Iterator[ScheduleOut]:
        """The items of ``pages(**filters)``."""
        for page in self.pages(**filters):
            yield from page.items

    def advance_clock(self, seconds: float) -> ClockOut:
        """Mini mode only: move its clock; what falls due fires at once."""
        response = self._call("POST", "/v1/clock/advance", json={"seconds": seconds})
        return ClockOut.model_validate(response.json())

    def records(self, topic: str, limit: int = 1000) -> list[RecordOut]:
        """Mini mode only: what was written to ``topic``, oldest first."""
        path = f"/v1/topics/{quote(topic, safe='')}/records"
        response = self._call("GET", path, params={"limit": limit})
        return [RecordOut.model_validate(item) for item in response.json()]
