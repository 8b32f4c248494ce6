"""kafka-message-scheduler: sends a Kafka record to a target topic at a scheduled time."""

__version__ = "0.1.0"
