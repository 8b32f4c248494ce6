"""One Kafka JVM process (KRaft, combined broker+controller) and the pieces shared by
the single-broker and cluster harnesses: properties, storage formatting, process control,
readiness polling and the orphan-JVM guard.
"""

from __future__ import annotations

import abc
import atexit
import contextlib
import logging
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from tools.kafka.runtime import JvmOptions, KafkaHarnessError, ensure_runtime, java_command

log = logging.getLogger("tools.kafka")

LOG_TAIL_LINES = 50
STOP_TIMEOUT_S = 30.0
FORMAT_TIMEOUT_S = 120.0

_live_lock = threading.Lock()
_live: dict[int, subprocess.Popen[bytes]] = {}
_owned_dirs: set[Path] = set()


def _kill_live_processes() -> None:
    """atexit: SIGKILL every JVM this Python process started and has not stopped, then
    delete the directories of brokers and clusters that were never closed."""
    with _live_lock:
        procs = list(_live.values())
        _live.clear()
        dirs = list(_owned_dirs)
        _owned_dirs.clear()
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    for directory in dirs:
        shutil.rmtree(directory, ignore_errors=True)


atexit.register(_kill_live_processes)


def make_owned_dir(prefix: str, base_dir: Path | None = None) -> Path:
    """A new temp directory that is deleted at interpreter exit unless ``remove_tree``
    deleted it before."""
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir=base_dir))
    with _live_lock:
        _owned_dirs.add(directory)
    return directory


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


class KafkaNode:
    """A single ``kafka.Kafka`` JVM with its own directory, ports and log file.

    The directory holds ``server.properties``, ``data/`` and ``broker.log`` (stdout+stderr
    of every run of this node, appended). The node keeps its ports across restarts.
    """

    def __init__(
        self,
        node_id: int,
        directory: Path,
        port: int,
        controller_port: int,
        properties: Mapping[str, str],
        format_args: Sequence[str],
        jvm: JvmOptions,
    ) -> None:
        self.node_id = node_id
        self.directory = directory
        self.port = port
        self.controller_port = controller_port
        self.properties = dict(properties)
        self.format_args = list(format_args)
        self.jvm = jvm
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.directory / "broker.log"

    @property
    def properties_path(self) -> Path:
        return self.directory / "server.properties"

    @property
    def data_dir(self) -> Path:
        return Path(self.properties["log.dirs"])

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return _tail(self.log_path, lines)

    def _write_properties(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        body = "".join(f"{key}={value}\n" for key, value in self.properties.items())
        self.properties_path.write_text(body, "utf-8")

    def _format(self, libs: Path) -> None:
        """Run ``kafka.tools.StorageTool format`` once (skipped when already formatted)."""
        if (self.data_dir / "meta.properties").exists():
            return
        args = ["format", *self.format_args, "-c", str(self.properties_path)]
        # Short-lived tool: C1-only JIT starts faster whatever the broker uses.
        tool_jvm = JvmOptions(heap=self.jvm.heap, fast_start=True)
        cmd = java_command(libs, "kafka.tools.StorageTool", args, tool_jvm, self.directory)
        try:
            result = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=FORMAT_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise KafkaHarnessError(f"node {self.node_id}: storage format timed out") from exc
        if result.returncode != 0:
            raise KafkaHarnessError(
                f"node {self.node_id}: storage format failed (exit {result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )

    def prepare(self) -> None:
        """Write server.properties and format the storage (first time only)."""
        libs = ensure_runtime()
        self._write_properties()
        self._format(libs)

    def launch(self) -> None:
        """``prepare()``, then spawn the JVM (no readiness wait)."""
        if self.is_running:
            return
        self.prepare()
        libs = ensure_runtime()
        cmd = java_command(
            libs, "kafka.Kafka", [str(self.properties_path)], self.jvm, self.directory
        )
        in_main_thread = threading.current_thread() is threading.main_thread()
        setpriv = shutil.which("setpriv")
        if in_main_thread and setpriv is not None:
            # The JVM gets SIGKILL if this process dies without running atexit hooks.
            cmd = [setpriv, "--pdeathsig", "KILL", *cmd]
        with self.log_path.open("ab") as log_file:
            self._write_banner(log_file)
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                start_new_session=True,
            )
        with _live_lock:
            _live[proc.pid] = proc
        self._proc = proc
        log.info("node %d: started pid %d on %s", self.node_id, proc.pid, self.bootstrap_servers)

    def _write_banner(self, log_file: IO[bytes]) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log_file.write(f"===== harness: starting node {self.node_id} at {stamp} =====\n".encode())
        log_file.flush()

    def check_alive(self) -> None:
        """Raise (with the log tail) if the JVM was launched and has exited."""
        if self._proc is not None and (code := self._proc.poll()) is not None:
            raise KafkaHarnessError(
                f"Kafka node {self.node_id} exited early with code {code}; "
                f"last lines of {self.log_path}:\n{self.log_tail()}"
            )

    def _forget(self) -> None:
        if self._proc is not None:
            with _live_lock:
                _live.pop(self._proc.pid, None)
        self._proc = None

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM (controlled shutdown), wait up to ``timeout`` s, then SIGKILL."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("node %d: no exit %.0f s after SIGTERM; killing", self.node_id, timeout)
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT_S)
        self._forget()

    def kill(self) -> None:
        """SIGKILL immediately (crash simulation); the data stays for a restart."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)
        self._forget()


class ManagedKafka(abc.ABC):
    """Context-manager protocol shared by KafkaBroker and KafkaCluster: ``with`` starts it
    and ``close()`` (alias ``destroy()``) stops it and deletes its data on the way out."""

    @abc.abstractmethod
    def start(self) -> Self: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def destroy(self) -> None:
        self.close()

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def remove_tree(path: Path) -> None:
    with _live_lock:
        _owned_dirs.discard(path)
    shutil.rmtree(path, ignore_errors=True)
