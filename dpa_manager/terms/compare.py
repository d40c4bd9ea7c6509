"""Compare two versions of the terms article by article, with the changed words marked. Pure."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

#: How alike two article bodies must be to count as the same article renamed or renumbered.
SAME_ARTICLE = 0.5


@dataclass
class ArticleChange:
    #: "added", "removed", "changed" or "unchanged"
    status: str
    old_number: int | None
    new_number: int | None
    title: str
    old_title: str | None = None
    #: The words of the new text (or of the old one, when removed), each ("equal" | "insert" | "delete", text).
    words: list[tuple[str, str]] = field(default_factory=list)


def _tokens(text: str) -> list[str]:
    return re.findall(r"\S+|\s+", text)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Return the new text as runs of equal, inserted and deleted words.

    A space between two changed words belongs to the change, so that "zonder onredelijke vertraging"
    replaced by "onverwijld" reads as one deletion and one insertion, not as three pairs.
    """
    a, b = _tokens(old), _tokens(new)
    runs: list[tuple[str, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if "".join(deleted).strip():
            runs.append(("delete", "".join(deleted)))
        if "".join(inserted).strip():
            runs.append(("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    opcodes = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            text = "".join(a[i1:i2])
            if text.isspace() and (deleted or inserted) and index + 1 < len(opcodes):
                deleted.append(text)
                inserted.append(text)
                continue
            flush()
            runs.append(("equal", text))
        else:
            deleted.append("".join(a[i1:i2]))
            inserted.append("".join(b[j1:j2]))
    flush()
    return runs


def _norm(title: str) -> str:
    return re.sub(r"\W+", " ", title.lower()).strip()


def compare(old_articles, new_articles) -> list[ArticleChange]:
    """Compare two lists of articles (number, title, body) and return the changes in the new order.

    Articles are paired by title, then by how alike their text is, so that a renumbered or
    renamed article shows as changed rather than as removed and added.
    """
    old = list(old_articles)
    pairs: dict[int, Any] = {}
    unmatched_old = {id(a): a for a in old}
    by_title = {_norm(a.title): a for a in old}
    for new in new_articles:
        match = by_title.get(_norm(new.title))
        if match is not None and id(match) in unmatched_old:
            pairs[id(new)] = match
            del unmatched_old[id(match)]
    for new in new_articles:
        if id(new) in pairs:
            continue
        best, score = None, SAME_ARTICLE
        for candidate in unmatched_old.values():
            ratio = difflib.SequenceMatcher(a=candidate.body, b=new.body, autojunk=False).ratio()
            if ratio >= score:
                best, score = candidate, ratio
        if best is not None:
            pairs[id(new)] = best
            del unmatched_old[id(best)]
    result = []
    for new in new_articles:
        match = pairs.get(id(new))
        if match is None:
            result.append(ArticleChange("added", None, new.number, new.title, words=[("insert", new.body)]))
            continue
        same = match.body.strip() == new.body.strip() and match.title == new.title
        result.append(
            ArticleChange(
                "unchanged" if same else "changed",
                match.number,
                new.number,
                new.title,
                old_title=match.title if match.title != new.title else None,
                words=[("equal", new.body)] if same else word_diff(match.body, new.body),
            )
        )
    for gone in sorted(unmatched_old.values(), key=lambda a: a.number):
        result.append(ArticleChange("removed", gone.number, None, gone.title, words=[("delete", gone.body)]))
    return result
