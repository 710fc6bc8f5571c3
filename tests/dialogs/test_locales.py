"""`crampbot check` keeps languages honest: keys, placeholders, numbers, commands,
wordings for every option, Spanish forbidden advice, accents folded for matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.content import Content
from dialogs.wordings import normalize
from tests.dialogs.test_content import broken, edit, problems_of

__all__ = ["broken"]  # the fixture, imported for these tests


def test_changed_placeholder_is_reported_when_a_translation_drops_it(broken: Path) -> None:
    edit(
        broken / "locales" / "es.yaml",
        lambda d: d["outcome"].update(you_said="Me dijiste: {donde}. Cuándo: {when}."),
    )
    assert "locales/es.yaml: outcome.you_said: must have the same {placeholders} as en.yaml" in (
        problems_of(broken)
    )


def test_changed_number_is_reported_when_a_translation_says_another_amount(
    broken: Path,
) -> None:
    edit(
        broken / "locales" / "es.yaml",
        lambda d: d["advice"].update(
            why_long_cramp="Un calambre de más de 5 minutos debe revisarse hoy."
        ),
    )
    assert "locales/es.yaml: advice.why_long_cramp: must have the same numbers as en.yaml" in (
        problems_of(broken)
    )


def test_missing_command_is_reported_when_help_lists_another(broken: Path) -> None:
    edit(
        broken / "locales" / "es.yaml",
        lambda d: d["messages"].update(help=d["messages"]["help"].replace("/forget", "/olvidar")),
    )
    assert "locales/es.yaml: messages.help: must have the same /commands as en.yaml" in (
        problems_of(broken)
    )


def test_extra_key_is_reported_when_only_a_translation_has_it(broken: Path) -> None:
    edit(broken / "locales" / "es.yaml", lambda d: d["messages"].update(saludo="Hola"))
    assert "locales/es.yaml: messages.saludo: is not in en.yaml" in problems_of(broken)


def test_option_without_wordings_is_reported_when_a_locale_has_none(broken: Path) -> None:
    edit(broken / "wordings" / "es.yaml", lambda d: d["questions"]["where"].update(calf=[]))
    assert (
        "wordings/es.yaml: questions.where.calf: has no wordings (every option needs some, in every locale)"
        in problems_of(broken)
    )


def test_bad_command_name_is_reported_when_discord_would_refuse_it(broken: Path) -> None:
    edit(broken / "locales" / "es.yaml", lambda d: d["command_names"].update(back="Atrás Ya"))
    assert (
        "locales/es.yaml: command_names.back: must be 1-32 lower-case letters, digits, - or _"
        in problems_of(broken)
    )


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ("quinine", "Toma quinina o agua tónica antes de dormir."),
        ("forced_drinking", "Bebe mucha agua durante el día."),
        ("forced_drinking", "Toma 3 litros al día."),
        ("stopping_medicines", "Deja de tomar la estatina."),
        ("stopping_medicines", "Suspende el diurético si te dan calambres."),
    ],
)
def test_spanish_forbidden_advice_is_reported_when_a_text_gives_it(
    broken: Path, rule: str, text: str
) -> None:
    edit(broken / "locales" / "es.yaml", lambda d: d["advice"].update(stretch=text))
    assert f"locales/es.yaml: advice.stretch: contains forbidden advice ({rule})" in problems_of(
        broken
    )


def test_safe_spanish_advice_is_not_forbidden_when_it_says_the_opposite(content: Content) -> None:
    for safe in (
        "No dejes ni cambies por tu cuenta un medicamento recetado.",
        "No dejes la estatina antes de hablar con tu médico.",
        "No bebas más de lo que necesitas.",
        "Toma sorbos de agua.",
    ):
        assert not any(p.search(safe) for p in content.forbidden.values()), safe


def test_accents_are_folded_when_matching_replies() -> None:
    assert normalize("Músculo, PANTORRILLA, ¿Dónde? Ñandú") == "musculo pantorrilla donde nandu"
