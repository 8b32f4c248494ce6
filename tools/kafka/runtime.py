"""Kafka runtime resolution: jars from Maven Central, Java command lines, ports and ids.

The broker jars are resolved with Maven from ``tools/kafka/pom.xml`` and copied into a cache
outside the repository (``~/.cache/kafka-message-scheduler/kafka-<version>/libs``, or
``$KMS_KAFKA_HOME/libs``). A marker file holding a digest of the POM is written after a
successful copy; while it matches, Maven is not run at all.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("tools.kafka")

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LOG4J2_CONFIG = HERE / "log4j2.properties"
HOME_ENV = "KMS_KAFKA_HOME"
MAVEN_TIMEOUT_S = 900.0
_MARKER = "libs.complete"
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"


class KafkaHarnessError(RuntimeError):
    """The Kafka test harness could not resolve, start or drive a broker."""


def kafka_version() -> str:
    """The Kafka version pinned in pom.xml (``<kafka.version>``)."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text("utf-8"))
    if match is None:
        raise KafkaHarnessError(f"no <kafka.version> property in {POM}")
    return match.group(1).strip()


def kafka_home() -> Path:
    """Cache directory holding ``libs/`` (``$KMS_KAFKA_HOME`` overrides the default)."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path.home() / ".cache" / "kafka-message-scheduler" / f"kafka-{kafka_version()}"


def java_executable() -> str:
    """Path of ``java`` ($JAVA_HOME/bin/java first, then PATH); raises if there is none."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise KafkaHarnessError(
            "java not found (neither $JAVA_HOME/bin/java nor java on PATH); "
            "Kafka 4.x needs a Java 17+ runtime, e.g. apt-get install openjdk-17-jre-headless"
        )
    return found


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def _is_complete(home: Path, digest: str) -> bool:
    marker = home / _MARKER
    try:
        return marker.read_text("utf-8").strip() == digest and (home / "libs").is_dir()
    except OSError:
        return False


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_maven(mvn: str, output_dir: Path, offline: bool) -> subprocess.CompletedProcess[str]:
    cmd = [mvn, "-B", "-q"]
    if offline:
        cmd.append("-o")
    cmd += [
        "-f",
        str(POM),
        # Full plugin coordinates: no plugin-prefix metadata lookup, so -o works.
        f"{_DEPENDENCY_PLUGIN}:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={output_dir}",
    ]
    log.info("running %s", " ".join(cmd))
    try:
        return subprocess.run(
            cmd,
            cwd=HERE,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=MAVEN_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise KafkaHarnessError(f"Maven did not finish within {MAVEN_TIMEOUT_S:.0f} s") from exc


def ensure_runtime() -> Path:
    """Return the directory holding the Kafka broker jars, downloading them if needed.

    Later calls are offline and do not run Maven while the marker matches pom.xml.
    """
    java_executable()
    home = kafka_home()
    digest = _pom_digest()
    libs = home / "libs"
    if _is_complete(home, digest):
        return libs
    with _file_lock(home / ".lock"):
        if _is_complete(home, digest):  # another process finished while we waited
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KafkaHarnessError(
                f"mvn not found on PATH and the Kafka jars are not cached in {libs}; "
                "install Maven 3.8+ (apt-get install maven) or point "
                f"${HOME_ENV} at a directory with a complete libs/"
            )
        partial = home / f"libs.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        log.info("resolving Kafka %s jars into %s", kafka_version(), libs)
        result = _run_maven(mvn, partial, offline=True)
        if result.returncode != 0:
            log.info("offline resolution failed; downloading from Maven Central")
            shutil.rmtree(partial, ignore_errors=True)
            result = _run_maven(mvn, partial, offline=False)
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            output = (result.stdout + result.stderr).strip().splitlines()[-40:]
            raise KafkaHarnessError("Maven failed to resolve the Kafka jars:\n" + "\n".join(output))
        if not (partial / f"kafka_2.13-{kafka_version()}.jar").is_file():
            raise KafkaHarnessError(f"Maven finished but {partial} has no kafka_2.13 jar")
        shutil.rmtree(libs, ignore_errors=True)
        partial.rename(libs)
        (home / _MARKER).write_text(digest + "\n", "utf-8")
    return libs


@dataclass(frozen=True)
class JvmOptions:
    """JVM settings for a broker process.

    ``fast_start`` adds ``-XX:TieredStopAtLevel=1`` (C1 JIT only): on 2 cores a broker is
    ready ~0.3-0.4 s sooner and functional-test loads ran no slower, but peak throughput
    under sustained load is lower: turn it off for performance measurements.
    """

    heap: str = "512m"
    fast_start: bool = True
    serial_gc: bool = True
    extra: tuple[str, ...] = ()

    def flags(self) -> list[str]:
        flags = [f"-Xms{self.heap}", f"-Xmx{self.heap}"]
        if self.serial_gc:
            flags.append("-XX:+UseSerialGC")
        else:
            flags += ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:ParallelGCThreads=2"]
        if self.fast_start:
            flags.append("-XX:TieredStopAtLevel=1")
        flags += ["-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData"]
        return flags + list(self.extra)


def java_command(
    libs: Path, main_class: str, args: Sequence[str], jvm: JvmOptions, logs_dir: Path
) -> list[str]:
    """The ``java`` command line running ``main_class`` on the Kafka classpath."""
    return [
        java_executable(),
        *jvm.flags(),
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}",
        f"-Dkafka.logs.dir={logs_dir}",
        "-cp",
        str(libs / "*"),  # the JVM expands the wildcard itself
        main_class,
        *args,
    ]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (all bound at once, then released)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def new_cluster_id() -> str:
    """A Kafka cluster id: URL-safe base64 of a random UUID, without padding (22 chars).

    Like Kafka's ``Uuid.randomUuid()``, never one starting with ``-``: the storage tool's
    argument parser would read such an id as an option.
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not text.startswith("-"):
            return text
