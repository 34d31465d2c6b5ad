"""SQL of the marks tables, and whether what a mark points at exists in the shop."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Table, delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import bad_review_marks, inquiries, lost_inquiry_marks, order_events

Kind = Literal["lost_inquiry", "bad_review"]
_FIELDS = ("cause", "note", "reviewed")
_MARKS: dict[Kind, Table] = {"lost_inquiry": lost_inquiry_marks, "bad_review": bad_review_marks}
# What a mark of each kind points at: an inquiry (a pre-sale consultation, whatever its
# status), an order with a stored event.
_TARGETS: dict[Kind, tuple[Table, tuple[Any, ...]]] = {
    "lost_inquiry": (inquiries, (inquiries.c.kind == "presale",)),
    "bad_review": (order_events, ()),
}


def _at(table: Table, key: dict[str, Any]) -> list[Any]:
    return [table.c[k] == v for k, v in key.items()]


async def upsert_mark(
    session: AsyncSession, kind: Kind, *, key: dict[str, Any], fields: dict[str, Any]
) -> Any:
    """Insert or replace the mark at `key`; the row as stored (created_at kept)."""
    table = _MARKS[kind]
    given = insert(table).values(**key, **fields)
    stmt = given.on_conflict_do_update(
        index_elements=list(key),
        set_={**{f: given.excluded[f] for f in _FIELDS}, "updated_at": func.now()},
    ).returning(*table.c)
    return (await session.execute(stmt)).one()


async def fetch_mark(session: AsyncSession, kind: Kind, *, key: dict[str, Any]) -> Any | None:
    """The mark at `key` as stored, or None."""
    table = _MARKS[kind]
    return (await session.execute(select(table).where(*_at(table, key)))).one_or_none()


async def delete_mark(session: AsyncSession, kind: Kind, *, key: dict[str, Any]) -> bool:
    table = _MARKS[kind]
    result = await session.execute(delete(table).where(*_at(table, key)))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def markable(session: AsyncSession, kind: Kind, *, key: dict[str, Any]) -> bool:
    """The mark's target exists in the shop, or a mark is already there."""
    target, more = _TARGETS[kind]
    marks = _MARKS[kind]
    found = select(exists().where(*_at(target, key), *more)).scalar_subquery()
    marked = select(exists().where(*_at(marks, key))).scalar_subquery()
    return bool(await session.scalar(select(found | marked)))
