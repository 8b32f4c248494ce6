"""Writes ``openapi/openapi.json``: the document clients are generated from.

It is built from the mini mode's app, which has every route (the mini-only ones are tagged
and documented as such), so one document serves both modes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from app.api import create_app
from app.config import Settings
from app.mini.scheduler import MiniScheduler

DOCUMENT = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def document() -> dict[str, Any]:
    app = create_app(MiniScheduler(Settings.from_env({})), mini=True)
    return app.openapi()


def text() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(text())
    print(f"wrote {DOCUMENT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
