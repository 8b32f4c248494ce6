"""``make chaos``: a bounded soak. A local broker, three scheduler instances, schedules due
all through the run; instances are killed (SIGKILL) and replaced at random and the broker is
restarted once. It stops by itself and prints what became of every schedule.

    python -m tools.chaos [--schedules 6000] [--minutes 3] [--seed N]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from contextlib import ExitStack

from tools.chaos.instances import Instances
from tools.chaos.load import Load
from tools.kafka.broker import KafkaBroker
from tools.kafka.topics import create_topic, unique_name

log = logging.getLogger("chaos")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.chaos", description=__doc__)
    parser.add_argument("--schedules", type=int, default=6000)
    parser.add_argument("--minutes", type=float, default=3.0, help="how long schedules fall due")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="chaos %(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    spread_s = args.minutes * 60
    log.info("seed %d: %d schedules over %.0f s", seed, args.schedules, spread_s)
    with KafkaBroker() as broker, ExitStack() as stack:
        bootstrap = broker.bootstrap_servers
        schedules = create_topic(bootstrap, unique_name("schedules"), 6, compacted=True)
        history = create_topic(bootstrap, unique_name("history"))
        target = create_topic(bootstrap, unique_name("target"), 3)
        group = Instances(stack, bootstrap, schedules, history, SESSION_TIMEOUT="3000")
        for _ in range(args.instances):
            group.start()
        load = Load(bootstrap, schedules, target, args.schedules, spread_s, start_in_s=10)
        load.produce()
        restart_at = time.time() + spread_s * rng.uniform(0.3, 0.7)
        kills = restarts = 0
        while time.time() < load.last_due:
            time.sleep(rng.uniform(5, 20))  # chaos is paced by the clock, not by events
            if restarts == 0 and time.time() >= restart_at:
                log.info("restarting the broker")
                broker.restart()
                restarts += 1
                continue
            running = group.running()
            if running:
                victim = rng.choice(running)
                log.info("killing instance pid %d", victim.pid)
                group.kill(victim)
                kills += 1
            group.start()
        tally = load.tally(timeout=180)
    print(
        f"chaos seed={seed} instances={args.instances} kills={kills} broker_restarts={restarts}"
        f" {tally}"
    )
    return 0 if tally.lost == 0 and tally.duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
