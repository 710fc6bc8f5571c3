"""Edits of a private copy of content/, for the reload and content-change tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import ROOT

NEW_VERSION = "2099.1.1"
NEW_RED_FLAGS = "Updated safety check: do you have any of these now?"
BROKEN_PROBLEM = "rules.yaml: rules.R3.match[0].where: 'elbow' is not an option of where"


def copy_content(tmp_path: Path) -> Path:
    """A private copy of the shipped content that a test may edit."""
    return Path(shutil.copytree(ROOT / "content", tmp_path / "content"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def publish_new_content(root: Path) -> None:
    """Valid new content: version NEW_VERSION, new red_flags wording, no ``frequency`` question.

    Conversations waiting at ``frequency`` no longer fit; every other state still exists.
    """
    _edit(root / "dialog.yaml", 'version: "2026.11.2"', f'version: "{NEW_VERSION}"')
    _edit(root / "dialog.yaml", ", frequency, outcome", ", outcome")
    dialog = root / "dialog.yaml"
    lines = dialog.read_text(encoding="utf-8").splitlines(keepends=True)
    dialog.write_text("".join(line for line in lines if "frequency" not in line), "utf-8")
    questions = root / "questions.yaml"
    _edit(questions, "  frequency:\n    options: [first, yearly, monthly, weekly, nightly]\n", "")
    rules = root / "rules.yaml"
    _edit(
        rules,
        "by_frequency: &by_frequency\n  - urgency: routine\n    match:\n"
        "      - frequency: [weekly, nightly]\n  - urgency: self_care\n",
        "by_frequency: &by_frequency self_care\n",
    )
    for wordings in sorted((root / "wordings").glob("*.yaml")):  # every locale's
        text = wordings.read_text(encoding="utf-8")
        kept = text[: text.index("  frequency:\n")].splitlines(keepends=True)
        wordings.write_text("".join(k for k in kept if not k.startswith("  frequency: {")), "utf-8")
    _edit(
        root / "locales" / "en.yaml",
        "First, a safety check. Do you have any of these right now, or with the cramps?",
        NEW_RED_FLAGS,
    )


def break_content(root: Path) -> None:
    """Invalid content (a rule names an option that does not exist), with a new version."""
    _edit(root / "rules.yaml", "where: [arm, trunk, many]", "where: [arm, trunk, elbow]")
    text = (root / "dialog.yaml").read_text(encoding="utf-8")
    (root / "dialog.yaml").write_text(
        text.replace('version: "2026.11.2"', 'version: "2099.9.9"'), encoding="utf-8"
    )
