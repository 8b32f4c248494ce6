# The scheduler in Kafka mode:  docker build -t kafka-message-scheduler .
# Configured only through the environment (README, "Configuration"); for example
#   docker run -e BOOTSTRAP_SERVERS=kafka:9092 -p 8000:8000 -p 8001:8001 kafka-message-scheduler
# Dockerfile.mini is the same image running the mini mode.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install .

# Only the virtualenv goes on: no build files, pip caches or sources in the final image.
FROM python:3.11-slim-bookworm
RUN useradd --system --no-log-init --user-group --uid 10001 --home-dir /nonexistent \
        --shell /usr/sbin/nologin scheduler \
    && install -d -o scheduler -g scheduler /var/lib/kafka-message-scheduler
COPY --from=build /opt/venv /opt/venv
# PAYLOAD_DIR is a cache rebuilt from Kafka on every assignment: mount a volume there only
# to keep the pending payloads off the container's writable layer.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PAYLOAD_DIR=/var/lib/kafka-message-scheduler \
    SERVER_ADDR=:8000 \
    METRICS_ADDR=:8001
# Numeric, so that Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001
EXPOSE 8000 8001
# The slim image has no curl: the probe is Python's urllib, which fails on a refused
# connection and on any status but 2xx. It follows SERVER_ADDR when that is changed.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ['SERVER_ADDR'].rpartition(':')[2]; urllib.request.urlopen(f'http://127.0.0.1:{port}/liveness', timeout=2)"]
ENTRYPOINT ["kafka-message-scheduler"]
CMD ["run"]
