"""The other instances of the group, as API URLs: each advertises its ``ADVERTISED_URL`` as
its consumer ``client.id``, so the group's member list is the directory. No registry to
run, and it is exactly the set of instances that hold partitions."""

from __future__ import annotations

import logging
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from app.config import Settings

log = logging.getLogger(__name__)

CACHE_S = 2.0
DESCRIBE_TIMEOUT_S = 2.0


class GroupPeers:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._admin = AdminClient(settings.admin_config())
        self._urls: list[str] = []
        self._fresh_until = 0.0

    def urls(self) -> list[str]:
        """API URLs of the group's other members (without ADVERTISED_URL: none)."""
        own = self._settings.advertised_url
        if not own:
            return []
        if time.monotonic() < self._fresh_until:
            return self._urls
        group = self._settings.group_id
        try:
            [future] = self._admin.describe_consumer_groups(
                [group], request_timeout=DESCRIBE_TIMEOUT_S
            ).values()
            members = future.result(DESCRIBE_TIMEOUT_S).members
        except (KafkaException, TimeoutError) as error:
            log.warning("group %s could not be described: %r", group, error)
            return self._urls
        self._urls = sorted(
            {m.client_id for m in members if m.client_id.startswith("http")} - {own}
        )
        self._fresh_until = time.monotonic() + CACHE_S
        return self._urls
