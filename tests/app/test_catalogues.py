"""The French and English catalogues translate every text of the code and templates, keeping placeholders."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "dpa_manager" / "translations"
#: What must survive translation: %(name)s values, {name} fields, HTML tags, the comparison's markers.
KEPT = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]*\}|</?[a-z]+[^>]*>|\[\+|\+\]|\[-|-\]")


@pytest.fixture(scope="module")
def source_texts(tmp_path_factory):
    """Gather the texts of the code and templates afresh, as `make translations` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "N_",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def catalogue(language: str):
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_text_has_a_translation(source_texts, language):
    messages = {m.id: m for m in catalogue(language) if m.id}
    missing = [mid for mid in source_texts if mid not in messages or not translated(messages[mid])]
    assert not missing, f"untranslated into {language} (run `make translations`, then translate): {missing[:10]}"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_translations_keep_their_placeholders_and_markup(language):
    wrong = []
    for message in catalogue(language):
        if not message.id or not translated(message):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(KEPT.findall(i) for i in ids)) - {"%(num)d"}
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wrong += [ids[0] for s in strings if set(KEPT.findall(s)) - {"%(num)d"} != wanted]
    assert not wrong, wrong[:10]
