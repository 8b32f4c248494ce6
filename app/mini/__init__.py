"""The mini mode: the same engine and routes, no Kafka, state in memory."""
