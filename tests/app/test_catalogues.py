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


#: A plural written into a word, as in "klant(en)", "client(s)", "nouveau(x)", "signée(s)": ngettext says it instead.
WORD_PLURAL = re.compile(r"[^\W\d_]\((?:en|n|s|x|e|es)\)")


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_no_text_writes_a_plural_in_brackets(source_texts, language):
    """Every text reads as a person writes it: one form for one thing and another for several, through ngettext
    ("1 klant", "2 klanten"), never "klant(en)"."""
    if language == "nl":
        texts = [t for mid in source_texts for t in (mid if isinstance(mid, tuple) else (mid,))]
    else:
        texts = []
        for message in catalogue(language):
            if message.id:
                texts += message.string if isinstance(message.string, tuple) else [message.string]
    found = [text for text in texts if WORD_PLURAL.search(text)]
    assert not found, found[:10]


#: French typography: before ; : ? ! (ending a clause: a space, the end or a closing mark follows) a narrow no-break
#: space (U+202F), not a plain space, a no-break space or nothing; inside « » the same.
FRENCH_MARK = re.compile(r"(?<![\u202f])([;:?!])(?=\s|$|[»)\"'<])")
FRENCH_QUOTES = re.compile(r"«(?!\u202f)|(?<!\u202f)»")
#: An HTML entity ends in a semicolon that is no punctuation.
ENTITY = re.compile(r"&(?:[a-z]+|#\d+);")


def test_french_texts_set_a_narrow_no_break_space_before_double_punctuation_and_inside_quotes():
    wrong = []
    for message in catalogue("fr"):
        if not message.id or not translated(message):
            continue
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            plain = ENTITY.sub("", text)
            if FRENCH_MARK.search(plain) or FRENCH_QUOTES.search(plain):
                wrong.append(text)
    assert not wrong, wrong[:10]


def test_no_other_language_sets_the_french_spaces():
    assert not [m.id for m in catalogue("en") if m.id and "\u202f" in str(m.string)]
