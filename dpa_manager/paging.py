"""Long lists a page at a time: LIMIT one more than a page, OFFSET the pages before, and no count.

A count of the whole list costs as much as the list grows (a change announced to 100,000 clients);
a page shows what is on it and whether there is more, in the same time at any size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func, literal, select

from .extensions import db

T = TypeVar("T")

#: Rows on a page of a list.
PER_PAGE = 50
#: The last page number a request may ask for (deeper pages are not useful to read, and OFFSET costs).
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (from 1), and whether a next page exists."""

    items: Sequence[T]
    number: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def first(self) -> int:
        """The position in the whole list of the page's first row (from 1)."""
        return (self.number - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1

    @property
    def several(self) -> bool:
        """Whether the list runs over more than this page (the pager is shown)."""
        return self.has_next or self.has_prev

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def page_of(stmt, number: int, per_page: int | None = None, *, scalars: bool = True) -> Page[Any]:
    """Return page `number` of the rows of the ordered select `stmt`, PER_PAGE of them unless `per_page` says
    otherwise: its first column's values, or (scalars=False) whole rows."""
    per_page = per_page or PER_PAGE
    number = min(max(number, 1), MAX_PAGE)
    limited = stmt.limit(per_page + 1).offset((number - 1) * per_page)
    found = db.session.scalars(limited).all() if scalars else db.session.execute(limited).all()
    if not found and number > 1:  # past the end (a list that shrank, an edited address): the first page
        return page_of(stmt, 1, per_page, scalars=scalars)
    return Page(list(found[:per_page]), number, per_page, len(found) > per_page and number < MAX_PAGE)


#: Counts are made up to this number; beyond it a page says "more than" it (counting further costs time that
#: grows with the table, and tells a reader nothing more).
COUNT_CAP = 10_000


def count_upto(stmt, cap: int | None = None) -> int:
    """Return the number of rows of the select `stmt`, counting no further than `cap` (COUNT_CAP) + 1."""
    cap = COUNT_CAP if cap is None else cap
    return db.session.scalar(select(func.count()).select_from(stmt.limit(cap + 1).subquery())) or 0


def counts_upto(column, values, where: Sequence = (), cap: int | None = None) -> dict[Any, int]:
    """Return {value: rows where `column` == value and `where`} for each value, each counted up to `cap` + 1."""
    return {value: count_upto(select(literal(1)).where(column == value, *where), cap) for value in values}
