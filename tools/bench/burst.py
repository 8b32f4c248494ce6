"""One instance drains a burst: N schedules all due at the same moment. The fire rate is N
over the time from the due moment to the last target record."""

from __future__ import annotations

from contextlib import ExitStack

from tools.chaos.instances import Instances
from tools.chaos.load import Load, Tally
from tools.kafka.topics import create_topic, unique_name


def burst(bootstrap: str, count: int, exactly_once: bool, payload_bytes: int = 16) -> Tally:
    schedules = create_topic(bootstrap, unique_name("schedules"), 6, compacted=True)
    history = create_topic(bootstrap, unique_name("history"))
    target = create_topic(bootstrap, unique_name("target"), 3)
    with ExitStack() as stack:
        group = Instances(
            stack, bootstrap, schedules, history, EXACTLY_ONCE=str(exactly_once).lower()
        )
        group.start()
        start_in_s = max(15.0, count / 5000)  # every schedule read before the due moment
        load = Load(bootstrap, schedules, target, count, 0, start_in_s, payload_bytes)
        load.produce()
        return load.tally(timeout=300)
