"""Load the interview's data from ``content/`` and check every part of it.

:func:`load_content` reads the YAML files with ``yaml.safe_load`` and returns
a :class:`~dialogs.content.Content`, or raises :class:`ContentError` listing
every problem found (file, key, what is wrong), so a bad edit never reaches a
user. The structure files are read by :mod:`dialogs.structure`, each locale by
:mod:`dialogs.locales`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from dialogs.content import Content, default_content_dir
from dialogs.locales import LocaleReader
from dialogs.problems import ContentError, Problem
from dialogs.structure import StructureReader


def load_content(directory: Path | str | None = None) -> Content:
    """Read and validate the content in ``directory``; raise :class:`ContentError`."""
    root = Path(directory) if directory is not None else default_content_dir()
    problems: list[Problem] = []
    raw = {
        name: _read(root / f"{name}.yaml", problems)
        for name in ("dialog", "questions", "rules", "advice", "safety")
    }
    locale_files = sorted((root / "locales").glob("*.yaml"))
    if not locale_files:
        problems.append(Problem("locales/", "-", "no locale files"))
    locales_raw = {p.stem: _read(p, problems) for p in locale_files}
    wordings_raw = {p.stem: _read(p, problems) for p in sorted((root / "wordings").glob("*.yaml"))}
    if problems:
        raise ContentError(problems)
    content = _build(problems, raw, locales_raw, wordings_raw)
    if problems or content is None:
        raise ContentError(problems)
    return content


def _build(
    problems: list[Problem],
    raw: Mapping[str, Any],
    locales_raw: Mapping[str, Any],
    wordings_raw: Mapping[str, Any],
) -> Content | None:
    """The content from the files' data, or None after noting why not in ``problems``."""
    structure = StructureReader(problems)
    locale = LocaleReader(problems)
    questions = structure.questions(raw["questions"])
    states, transitions, initial, always = structure.dialog(raw["dialog"], questions)
    rules = structure.rulebook(raw["rules"], questions)
    sources, advice_sources, answer_lines, categories, factsheets = structure.advice(
        raw["advice"], questions, rules
    )
    forbidden = structure.safety(raw["safety"])
    if "en" not in locales_raw:
        structure.bad("locales/en.yaml", "-", "the English locale is required")
        return None
    options = {qid: spec.options for qid, spec in questions.items()}
    locales = {
        name: locale.read(name, data, wordings_raw.get(name) or {}, options, advice_sources, rules)
        for name, data in locales_raw.items()
    }
    for name in set(wordings_raw) - set(locales_raw):
        structure.bad(f"wordings/{name}.yaml", "-", f"there is no locales/{name}.yaml")
    locale.same_keys(locales_raw)
    for name, texts in locales.items():
        if texts is not None:
            locale.forbidden_advice(name, texts, forbidden)
            for topic in factsheets:  # the fact sheet's title
                structure.text(
                    f"locales/{name}.yaml",
                    f"messages.sheet_{topic}",
                    texts.messages.get(f"sheet_{topic}"),
                )
    if problems:
        return None
    return Content(
        version=str(raw["dialog"].get("version", "")),
        initial=initial,
        always=always,
        states=states,
        transitions=transitions,
        questions=questions,
        rules=rules,
        sources=sources,
        advice_sources=advice_sources,
        why=answer_lines["why"],
        categories=categories,
        factsheets=factsheets,
        locales={k: v for k, v in locales.items() if v is not None},
        forbidden=forbidden,
        first_aid=answer_lines["first_aid"],
        not_public=structure.not_public,
    )


def _read(path: Path, problems: list[Problem]) -> Any:
    name = path.name if path.parent.name not in _SUBFOLDERS else f"{path.parent.name}/{path.name}"
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        problems.append(Problem(name, "-", "file is missing"))
        return None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, "-", f"not valid YAML: {exc}".replace("\n", " ")))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(name, "-", "must be a mapping at the top level"))
        return None
    return data


_SUBFOLDERS = ("locales", "wordings")
"""The folders of per-locale files, named with their file in problems."""
