"""``make run``: the scheduler against a local Kafka, or against BOOTSTRAP_SERVERS if set.

Starts the project's own broker when no cluster is named (it creates a target topic on
first use, so that a first try needs no admin step), creates the topics the scheduler needs,
then runs the service in the foreground until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from app.config import ConfigError, Settings
from app.kafka.admin import ensure_topics


def main() -> int:
    env = dict(os.environ)
    broker: subprocess.Popen[str] | None = None
    try:
        if not env.get("BOOTSTRAP_SERVERS"):
            print("starting a local Kafka broker (python -m tools.kafka up)...", file=sys.stderr)
            broker = subprocess.Popen(
                [sys.executable, "-m", "tools.kafka", "up", "--auto-create-topics"],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert broker.stdout is not None
            for line in broker.stdout:
                if line.startswith("BOOTSTRAP_SERVERS="):
                    env["BOOTSTRAP_SERVERS"] = line.strip().partition("=")[2]
                    break
            else:
                print("the local Kafka broker did not start", file=sys.stderr)
                return 1
        try:
            settings = Settings.from_env(env)
        except ConfigError as error:
            print(f"configuration error: {error}", file=sys.stderr)
            return 2
        created = ensure_topics(
            settings.bootstrap_servers, list(settings.schedules_topics), settings.history_topic
        )
        if created:
            print(f"created topics: {', '.join(created)}", file=sys.stderr)
        print(f"BOOTSTRAP_SERVERS={settings.bootstrap_servers}", file=sys.stderr)
        service = subprocess.Popen([sys.executable, "-m", "app"], env=env)

        def stop_service(signum: int, frame: object) -> None:
            service.send_signal(signal.SIGTERM)

        # Ctrl-C or a SIGTERM: the service stops gracefully first, then the broker.
        signal.signal(signal.SIGINT, stop_service)
        signal.signal(signal.SIGTERM, stop_service)
        return service.wait()
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(60)


if __name__ == "__main__":
    sys.exit(main())
