"""Every bad setting stops start-up with a message that starts with its variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigError, Settings


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOG_FORMAT", "xml"),
        ("PAYLOAD_STORE", "cloud"),
        ("PAYLOAD_DIR", "/nonexistent/payloads"),
        ("LOG_LEVEL", "loud"),
        ("SINCE_DELTA", "1"),
        ("SESSION_TIMEOUT", "0"),
        ("EXACTLY_ONCE", "maybe"),
        ("TIMEZONE", "Mars/Base"),
        ("SERVER_ADDR", "8000"),
        ("ADVERTISED_URL", "pod:8000"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{variable}: "):
        Settings.from_env({variable: value})


def test_payload_settings_default_to_a_temporary_disk_store_and_can_be_chosen(
    tmp_path: Path,
) -> None:
    default = Settings.from_env({})
    assert (default.payload_store, default.payload_dir, default.log_format) == ("disk", "", "text")
    chosen = Settings.from_env(
        {"PAYLOAD_STORE": "Memory", "PAYLOAD_DIR": str(tmp_path), "LOG_FORMAT": "json"}
    )
    assert (chosen.payload_store, chosen.payload_dir, chosen.log_format) == (
        "memory",
        str(tmp_path),
        "json",
    )
