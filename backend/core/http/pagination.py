"""Keyset ("cursor") pagination: stable under inserts and as fast on page 2,000 as on page 1."""

from __future__ import annotations

import base64
import binascii
import datetime
import operator
from collections.abc import Sequence
from typing import Generic, TypeVar

from django.db.models import Q, QuerySet
from ninja import Schema
from pydantic import Field

from backend.core import bounds
from backend.core.errors import Invalid

T = TypeVar("T")
MAX_LIMIT = 200


class CursorParams(Schema):
    cursor: str | None = Field(None, description="上一页返回的 next_cursor")
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="每页条数（1–200）")


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(f"id:{pk}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id":
            raise ValueError
        return bounds.check_id(int(value), "cursor")
    except (binascii.Error, ValueError, UnicodeDecodeError, Invalid):
        raise Invalid("分页游标无效", {"cursor": "invalid"}) from None


def paginate(queryset: QuerySet, params: CursorParams, *, newest_first: bool = False) -> dict:
    """One page of ``queryset`` ordered by id, plus the cursor for the next page (None at the end)."""
    queryset = queryset.order_by("-pk" if newest_first else "pk")
    if params.cursor:
        after = _decode(params.cursor)
        queryset = queryset.filter(pk__lt=after) if newest_first else queryset.filter(pk__gt=after)
    rows = list(queryset[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return {"items": rows, "next_cursor": _encode(rows[-1].pk) if more and rows else None}


def paginate_by_time(queryset: QuerySet | Sequence[QuerySet], params: CursorParams, field: str) -> dict:
    """Keyset on (``field``, id), for rows read in time order (positions): stable when rows arrive late.
    Several querysets (a person's fixes, one per device worn) are read as one, merged in that order."""
    querysets = [queryset] if isinstance(queryset, QuerySet) else list(queryset)
    if params.cursor:
        try:
            raw = base64.urlsafe_b64decode(params.cursor + "=" * (-len(params.cursor) % 4)).decode()
            stamp, _, pk = raw.rpartition("|")
            after = bounds.check_day(datetime.datetime.fromisoformat(stamp), "cursor")
            pk = bounds.check_id(int(pk), "cursor")
        except (binascii.Error, ValueError, UnicodeDecodeError, Invalid):
            raise Invalid("分页游标无效", {"cursor": "invalid"}) from None
        later = Q(**{f"{field}__gt": after}) | Q(**{field: after, "pk__gt": pk})
        querysets = [qs.filter(later) for qs in querysets]
    rows = first_in_order(querysets, (field, "pk"), params.limit + 1)
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor = (
            base64.urlsafe_b64encode(f"{getattr(last, field).isoformat()}|{last.pk}".encode())
            .decode()
            .rstrip("=")
        )
    return {"items": rows, "next_cursor": cursor}


def first_in_order(querysets: Sequence[QuerySet], order: tuple[str, ...], limit: int) -> list:
    """The first ``limit`` rows of several querysets taken together, in ``order`` (all ascending, or all
    descending with "-").  Each is asked for its own first ``limit``, which an index on its equality
    filter and the order serves as a short scan; one query with ``IN`` over all of them would read and
    sort everything in range before the limit applies."""
    if not querysets:
        return []
    rows = [row for qs in querysets for row in qs.order_by(*order)[:limit]]
    if len(querysets) > 1:
        names = [name.lstrip("-") for name in order]
        rows.sort(key=operator.attrgetter(*names), reverse=order[0].startswith("-"))
    return rows[:limit]
