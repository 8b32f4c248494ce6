"""Reads for the whole cluster: the instance that takes a request asks the others (found
through the consumer group, see ``app.kafka.peers``) for what they hold, in parallel and
with a timeout. An instance that does not answer makes the result partial, never an
error: the answer names it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

PEER_TIMEOUT_S = 2.0


@dataclass
class Answers:
    found: list[Any] = field(default_factory=list)
    """The JSON bodies of the instances that answered 200."""
    unreachable: list[str] = field(default_factory=list)


def ask(urls: list[str], path: str, params: dict[str, Any], authorization: str | None) -> Answers:
    """``GET path`` on every instance in ``urls``, with ``local=true`` so that they answer
    for themselves only."""
    headers = {"Authorization": authorization} if authorization else {}
    query = {k: v for k, v in params.items() if v is not None} | {"local": "true"}
    answers = Answers()
    with (
        httpx.Client(timeout=PEER_TIMEOUT_S, headers=headers) as client,
        ThreadPoolExecutor(len(urls), "peer-read") as pool,
    ):
        futures = [(url, pool.submit(client.get, url + path, params=query)) for url in urls]
        for url, future in futures:
            try:
                response = future.result()
            except httpx.HTTPError:
                answers.unreachable.append(url)
                continue
            if response.status_code == 200:
                answers.found.append(response.json())
            elif response.status_code != 404:
                answers.unreachable.append(url)
    return answers
