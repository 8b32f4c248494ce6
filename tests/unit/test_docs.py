"""The documentation points at files that exist, and the operations guide names only
variables the service reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_VARIABLE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_STRING = re.compile(r"\"([A-Z][A-Z0-9_]*)\"")
_HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of the page's headings: lower case, punctuation dropped, spaces to
    hyphens."""
    text = _FENCE.sub("", page.read_text("utf-8"))
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in _HEADING.findall(text)
    }


def relative_links(page: Path) -> list[str]:
    """Link targets outside code blocks that are neither URLs nor anchors of the page."""
    text = _FENCE.sub("", page.read_text("utf-8"))
    return [
        target
        for target in _LINK.findall(text)
        if not target.startswith("#") and ":" not in target.split("/")[0]
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    # BENCHMARKS.md is written by `make bench`'s author and is expected like any other file.
    missing = [
        target
        for target in relative_links(page)
        if not (page.parent / target.split("#")[0]).exists()
    ]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_anchors_name_headings(page: Path) -> None:
    text = _FENCE.sub("", page.read_text("utf-8"))
    wrong = []
    for target in _LINK.findall(text):
        path, _, anchor = target.partition("#")
        linked = page.parent / path if path else page
        if anchor and linked.suffix == ".md" and linked.exists() and anchor not in anchors(linked):
            wrong.append(target)
    assert wrong == []


def test_the_pages_link_to_each_other() -> None:
    readme = relative_links(ROOT / "README.md")
    for name in ("architecture", "protocol", "operations", "migration", "reliability"):
        assert f"docs/{name}.md" in readme


def test_operations_names_only_variables_the_configuration_reads() -> None:
    """Variables are written as inline code there: `NAME` or `NAME=value`."""
    text = (ROOT / "docs" / "operations.md").read_text("utf-8")
    named = {
        match.group(0)
        for code in _INLINE_CODE.findall(text)
        if (match := _VARIABLE.fullmatch(code.split("=")[0]))
    }
    read = set(_STRING.findall((ROOT / "app" / "config.py").read_text("utf-8")))
    assert named, "no variable found: the pattern no longer matches the page"
    assert sorted(named - read) == []
