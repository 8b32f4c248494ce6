"""Project-wide pytest configuration.

* ``tools.kafka.pytest_plugin``: the real-Kafka fixtures (kafka_runtime, kafka_broker,
  topic_factory, schedules_topic_factory, group_id, kafka_cluster3).
* ``tests.scheduler_fixtures``: fixtures running the scheduler against that broker (topics,
  start_scheduler), shared by the integration and e2e tests.
"""

pytest_plugins = ["tools.kafka.pytest_plugin", "tests.scheduler_fixtures"]
