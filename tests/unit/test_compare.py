"""Comparing two versions of the terms, on real article edits."""

from dataclasses import dataclass

from dpa_manager.terms.compare import compare, word_diff
from dpa_manager.terms.services import default_terms


@dataclass
class A:
    number: int
    title: str
    body: str


def shipped():
    return [A(a["number"], a["title"], a["body"].strip()) for a in default_terms()["articles"]]


def test_identical_versions_have_no_changes():
    result = compare(shipped(), shipped())
    assert {c.status for c in result} == {"unchanged"}
    assert len(result) == len(shipped())


def test_a_changed_word_is_marked():
    old = shipped()
    new = shipped()
    liability = next(a for a in new if a.title == "Aansprakelijkheid")
    liability.body = liability.body.replace("zware fout", "grove fout", 1)
    (changed,) = [c for c in compare(old, new) if c.status == "changed"]
    assert changed.title == "Aansprakelijkheid"
    assert ("delete", "zware") in changed.words and ("insert", "grove") in changed.words
    text = "".join(t for op, t in changed.words if op != "delete")
    assert text == liability.body


def test_an_added_a_removed_and_a_renumbered_article():
    old = shipped()
    new = [a for a in shipped() if a.title != "Contactpunt gegevensbescherming"]
    for number, article in enumerate(new, start=1):
        article.number = number
    new.insert(3, A(4, "Bewaartermijnen", "De Verwerker bewaart opnames hoogstens dertig dagen."))
    for number, article in enumerate(new, start=1):
        article.number = number
    result = compare(old, new)
    assert [c.title for c in result if c.status == "added"] == ["Bewaartermijnen"]
    assert [c.title for c in result if c.status == "removed"] == ["Contactpunt gegevensbescherming"]
    renumbered = [c for c in result if c.status == "unchanged" and c.old_number != c.new_number]
    assert renumbered  # moved, not changed
    assert not [c for c in result if c.status == "changed"]


def test_a_renamed_article_is_paired_by_its_text():
    old = shipped()
    new = shipped()
    new[0].title = "Toepassingsgebied en rollen"
    (changed,) = [c for c in compare(old, new) if c.status == "changed"]
    assert changed.old_title == old[0].title and changed.title == "Toepassingsgebied en rollen"
    assert all(op == "equal" for op, _ in changed.words)


def test_word_diff_keeps_spacing():
    assert word_diff("een twee drie", "een vier drie") == [
        ("equal", "een "),
        ("delete", "twee"),
        ("insert", "vier"),
        ("equal", " drie"),
    ]
