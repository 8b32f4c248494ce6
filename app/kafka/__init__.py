"""The Kafka mode: consumer, producer and the loop that joins them to the engine."""
